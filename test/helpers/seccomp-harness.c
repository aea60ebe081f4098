/* Test helper: run a command under the seccomp conditions the probe must
 * classify, on the real kernel.
 *
 *   seccomp-harness listener -- CMD...  hold a user-notification listener in
 *                                       the filter chain, as WSL 1.1.0+'s init
 *                                       does (the probe then sees EBUSY)
 *   seccomp-harness errno NAME -- CMD... make seccomp(2) and
 *                                       prctl(PR_SET_SECCOMP) fail with NAME
 *                                       (EINVAL, ENOSYS, EPERM, EACCES, ...)
 *   seccomp-harness listener-errno NAME -- CMD...
 *                                       fail only seccomp(2) calls that ask for
 *                                       a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER)
 *                                       with NAME, as a kernel without user
 *                                       notification does (4.19: EINVAL);
 *                                       ordinary filters still load
 *   seccomp-harness kill -- CMD...      kill the process that calls seccomp(2)
 *   seccomp-harness no-pidfd -- CMD...  no pidfds, as before Linux 5.3:
 *                                       pidfd_open fails with ENOSYS and
 *                                       getsockopt(SO_PEERPIDFD) with
 *                                       ENOPROTOOPT
 *
 * Test-only: never installed. Exits with CMD's status (128+signal if killed). */
#include <errno.h>
#include <signal.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "notify_filter.h"
#include "util.h"
#include "error.h"

static CAI_NORETURN void usage(void)
{
	fprintf(stderr, "usage: seccomp-harness listener|kill|no-pidfd|errno NAME|listener-errno NAME -- CMD...\n");
	exit(2);
}

static int errno_by_name(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {{"EINVAL", EINVAL}, {"ENOSYS", ENOSYS}, {"EPERM", EPERM},	{"EACCES", EACCES},
		     {"EBUSY", EBUSY},	 {"E2BIG", E2BIG},   {"EFAULT", EFAULT}};
	for (size_t i = 0; i < CAI_ARRAY_LEN(names); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].value;
	cai_die(2, "unknown errno name `%s`", name);
}

static CAI_NORETURN void exec_command(char **argv)
{
	execvp(argv[0], argv);
	cai_die(127, "exec `%s`: %s", argv[0], strerror(errno));
}

/* The listener stays open in this process for as long as the command runs;
 * the command inherits the filter (not the fd, which is close-on-exec). */
static int run_with_listener(char **argv)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		cai_die(1, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	struct cai_notify_filter filter;
	/* kexec_file_load: nothing under test calls it, so no one ever waits
	 * on a notification this process does not answer. */
	static const int nr = SYS_kexec_file_load;
	cai_notify_filter_init(&filter, &nr, 1);
	int listener = cai_notify_filter_install(&filter);
	if (listener < 0)
		cai_die(1, "install listener filter: %s", strerror(errno));

	pid_t pid = fork();
	if (pid < 0)
		cai_die(1, "fork: %s", strerror(errno));
	if (pid == 0)
		exec_command(argv);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			cai_die(1, "waitpid: %s", strerror(errno));
	close(listener);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static scmp_filter_ctx new_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		cai_die(1, "seccomp_init failed");
	return ctx;
}

/* rc: how adding the rules went. */
static CAI_NORETURN void load_and_exec(scmp_filter_ctx ctx, int rc, char **argv)
{
	if (rc == 0)
		rc = seccomp_load(ctx);
	if (rc < 0)
		cai_die(1, "load filter: %s", strerror(-rc));
	seccomp_release(ctx);
	exec_command(argv);
}

static CAI_NORETURN void exec_with_action(uint32_t action, bool listener_only, char **argv)
{
	scmp_filter_ctx ctx = new_filter();
	/* SECCOMP_FILTER_FLAG_NEW_LISTENER is bit 3 of seccomp(2)'s flags. */
	int rc = listener_only ? seccomp_rule_add(ctx, action, SCMP_SYS(seccomp), 1,
						  SCMP_A1(SCMP_CMP_MASKED_EQ, 1u << 3, 1u << 3))
			       : seccomp_rule_add(ctx, action, SCMP_SYS(seccomp), 0);
	if (rc == 0 && !listener_only)
		rc = seccomp_rule_add(ctx, action, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP));
	load_and_exec(ctx, rc, argv);
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static CAI_NORETURN void exec_without_pidfds(char **argv)
{
	scmp_filter_ctx ctx = new_filter();
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(pidfd_open), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOPROTOOPT), SCMP_SYS(getsockopt), 2,
				      SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET), SCMP_A2(SCMP_CMP_EQ, SO_PEERPIDFD));
	load_and_exec(ctx, rc, argv);
}

int main(int argc, char **argv)
{
	cai_set_progname("seccomp-harness");
	if (argc < 2)
		usage();
	int first = 2;
	uint32_t action = 0;
	bool listener_only = strcmp(argv[1], "listener-errno") == 0;
	if (strcmp(argv[1], "errno") == 0 || listener_only) {
		if (argc < 3)
			usage();
		action = SCMP_ACT_ERRNO((uint32_t)errno_by_name(argv[2]));
		first = 3;
	} else if (strcmp(argv[1], "no-pidfd") == 0) {
		if (argc < 4 || strcmp(argv[2], "--") != 0)
			usage();
		exec_without_pidfds(argv + 3);
	} else if (strcmp(argv[1], "kill") == 0) {
		action = SCMP_ACT_KILL_PROCESS;
	} else if (strcmp(argv[1], "listener") != 0) {
		usage();
	}
	if (first >= argc || strcmp(argv[first], "--") != 0 || first + 1 >= argc)
		usage();
	char **cmd = argv + first + 1;
	if (action)
		exec_with_action(action, listener_only, cmd);
	return run_with_listener(cmd);
}
