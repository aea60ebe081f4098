#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "procfs.h"
#include "tap.h"

static const char status_text[] = "Name:\tcat\n"
				  "Umask:\t0022\n"
				  "NoNewPrivs:\t0\n"
				  "Uid:\t1000\t1001\t1002\t1003\n"
				  "Seccomp:\t2\n"
				  "Seccomp_filters:\t1\n"
				  "Speculation_Store_Bypass:\tthread vulnerable\n";

int main(void)
{
	is_int(cai_status_field(status_text, "Seccomp"), 2, "Seccomp read");
	is_int(cai_status_field(status_text, "Seccomp_filters"), 1, "Seccomp_filters read, not confused with Seccomp");
	is_int(cai_status_field(status_text, "NoNewPrivs"), 0, "a zero value");
	is_int(cai_status_field(status_text, "Uid"), 1000, "the first of several numbers (real uid)");
	is_int(cai_status_field(status_text, "Missing"), -1, "absent key gives -1");
	is_int(cai_status_field(status_text, "Name"), -1, "non-numeric value gives -1");
	is_int(cai_status_field(status_text, "Seccom"), -1, "a key prefix does not match");
	is_int(cai_status_field("Seccomp:\t0", "Seccomp"), 0, "last line without newline");

	char name[32];
	is_int(cai_status_name(status_text, name, sizeof(name)), 3, "Name: read");
	is_str(name, "cat", "  its text");
	is_int(cai_status_name("Umask:\t0022\nName:\ta\\\\b\\nc\\\n", name, sizeof(name)), 6,
	       "Name: after another line, unescaped");
	is_str(name, "a\\b\nc\\", "  a backslash and a newline, as /proc/PID/comm has them");
	is_int(cai_status_name("Name:\tabcdef\n", name, 4), 3, "Name: cut to the buffer");
	is_str(name, "abc", "  and terminated");
	is_int(cai_status_name("Umask:\t0022\nXName:\tx\n", name, sizeof(name)), -1, "no Name: line gives -1");

	/* The kernel's own escaping: this thread's comm, both ways. */
	char comm[32], status[4096];
	struct cai_error perr = {0};
	prctl(PR_SET_NAME, "we\\ird\nnm\n", 0, 0, 0);
	ok(cai_read_small_file_trim("/proc/thread-self/comm", comm, sizeof(comm), &perr) >= 0, "read comm");
	ok(cai_read_proc_head("/proc/thread-self/status", status, sizeof(status), &perr) > 0, "read status");
	ok(cai_status_name(status, name, sizeof(name)) >= 0 && strcmp(cai_strip_newline(name), comm) == 0,
	   "status's Name: unescaped is comm, a backslash and newlines included");
	ok(strstr(status, "\nnonvoluntary_ctxt_switches:\t"), "one read gives the whole of status, its last line too");
	is_int(cai_read_proc_head("/proc/self/status", status, 6, &perr), 5, "one read bounded by the capacity");
	is_str(status, "Name:", "  NUL-terminated");

	const char *actions = "kill_process kill_thread trap errno user_notif trace log allow";
	ok(cai_word_list_contains(actions, "user_notif"), "user_notif found");
	ok(cai_word_list_contains(actions, "allow"), "last word found");
	ok(!cai_word_list_contains(actions, "user"), "a prefix is not a word");
	ok(!cai_word_list_contains("kill_process kill_thread trap errno trace log allow\n", "user_notif"),
	   "missing user_notif");
	ok(!cai_word_list_contains("", "user_notif"), "empty list");

	char path[] = "/tmp/cai-test-procfs-XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0, "temp file");
	(void)!write(fd, "5.15.167.4-microsoft-standard-WSL2\n", 35);
	close(fd);
	char buf[64];
	struct cai_error err = {0};
	is_int(cai_read_small_file_trim(path, buf, sizeof(buf), &err), 34, "trimmed length");
	is_str(buf, "5.15.167.4-microsoft-standard-WSL2", "newline removed");
	is_int(cai_read_small_file(path, buf, 8, &err), 7, "read bounded by capacity");
	is_str(buf, "5.15.16", "bounded read is NUL-terminated");
	unlink(path);

	is_int(cai_read_small_file(path, buf, sizeof(buf), &err), -1, "missing file fails");
	is_int(err.errnum, ENOENT, "with ENOENT");
	ok(strstr(err.msg, "open `/tmp/cai-test-procfs-") && strstr(err.msg, "No such file or directory"),
	   "message names the file and the cause: %s", err.msg);

	is_int(cai_read_pidfile(path), 0, "pidfile: a missing file gives 0");
	static const struct {
		const char *text;
		int pid;
	} pidfiles[] = {
	    {"4242\n", 4242}, {"4242", 4242},	   {"1\n", 0},
	    {"0\n", 0},	      {"-5\n", 0},	   {"42x\n", 0},
	    {"\n", 0},	      {"2147483648\n", 0}, {"2147483647\n", 2147483647},
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(pidfiles); i++) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		(void)!write(fd, pidfiles[i].text, strlen(pidfiles[i].text));
		close(fd);
		is_int(cai_read_pidfile(path), pidfiles[i].pid, "pidfile holding `%.*s` gives %d",
		       (int)strcspn(pidfiles[i].text, "\n"), pidfiles[i].text, pidfiles[i].pid);
	}
	unlink(path);
	return done_testing();
}
