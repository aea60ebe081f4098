#include "notify_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "notify_filter.h"
#include "procfs.h"

#define PATH_ACTIONS_AVAIL "/proc/sys/kernel/seccomp/actions_avail"

/* What the child reports through the pipe. */
struct child_answer {
	int stage;
	int errnum;
};

enum cai_notify_result cai_notify_classify_errno(int errnum)
{
	switch (errnum) {
	case 0:
		return CAI_NOTIFY_SUPPORTED;
	case EBUSY:
		return CAI_NOTIFY_BUSY;
	case EINVAL:
	case ENOSYS:
		return CAI_NOTIFY_UNSUPPORTED;
	case EPERM:
	case EACCES:
		return CAI_NOTIFY_DENIED;
	default:
		return CAI_NOTIFY_ERROR;
	}
}

const char *cai_notify_result_name(enum cai_notify_result r)
{
	static const char *const names[] = {
	    [CAI_NOTIFY_SUPPORTED] = "supported",
	    [CAI_NOTIFY_BUSY] = "busy",
	    [CAI_NOTIFY_UNSUPPORTED] = "unsupported",
	    [CAI_NOTIFY_DENIED] = "denied",
	    [CAI_NOTIFY_ERROR] = "error",
	};
	return (unsigned)r < CAI_ARRAY_LEN(names) ? names[r] : "error";
}

const char *cai_notify_stage_name(enum cai_notify_stage s)
{
	static const char *const names[] = {
	    [CAI_STAGE_NONE] = "none",	     [CAI_STAGE_NO_NEW_PRIVS] = "no_new_privs",
	    [CAI_STAGE_SECCOMP] = "seccomp", [CAI_STAGE_LISTENER] = "listener",
	    [CAI_STAGE_SIGNAL] = "signal",   [CAI_STAGE_TIMEOUT] = "timeout",
	};
	return (unsigned)s < CAI_ARRAY_LEN(names) ? names[s] : "none";
}

static void read_seccomp_state(const char *path, struct cai_seccomp_state *st)
{
	char buf[8192];
	struct cai_error ignored;
	st->readable = cai_read_small_file(path, buf, sizeof(buf), &ignored) >= 0;
	st->mode = st->readable ? cai_status_field(buf, "Seccomp") : -1;
	st->filters = st->readable ? cai_status_field(buf, "Seccomp_filters") : -1;
}

static CAI_NORETURN void report_and_exit(int fd, int stage, int errnum)
{
	struct child_answer a = {.stage = stage, .errnum = errnum};
	(void)!write(fd, &a, sizeof(a));
	_exit(0);
}

/* Runs in the forked child only; never returns. Async-signal-safe calls only,
 * since the parent may have threads. */
static CAI_NORETURN void probe_child(int answer_fd, int syscall_nr)
{
	/* The listener fd must not become 0, 1 or 2 (as it would for a caller
	 * started with them closed), or we would test something Sysbox never sees. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			report_and_exit(answer_fd, CAI_STAGE_NONE, errno);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		report_and_exit(answer_fd, CAI_STAGE_NO_NEW_PRIVS, errno);

	struct cai_notify_filter filter;
	cai_notify_filter_init(&filter, &syscall_nr, 1);
	int listener = cai_notify_filter_install(&filter);
	if (listener < 0)
		report_and_exit(answer_fd, CAI_STAGE_SECCOMP, errno);
	if (!cai_notify_fd_check(listener))
		report_and_exit(answer_fd, CAI_STAGE_LISTENER, errno);
	report_and_exit(answer_fd, CAI_STAGE_NONE, 0);
}

static long elapsed_us_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000L;
}

/* Wait for the child's answer; returns bytes read, 0 on EOF, -1 on timeout. */
static ssize_t read_answer(int fd, struct child_answer *a)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	for (;;) {
		int n = poll(&pfd, 1, CAI_NOTIFY_PROBE_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		ssize_t r = read(fd, a, sizeof(*a));
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? 0 : r;
	}
}

int cai_notify_probe_run(struct cai_notify_probe *out, struct cai_error *err)
{
	memset(out, 0, sizeof(*out));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	read_seccomp_state("/proc/self/status", &out->self);
	read_seccomp_state("/proc/1/status", &out->pid1);
	struct cai_error ignored;
	out->actions_avail_readable =
	    cai_read_small_file_trim(PATH_ACTIONS_AVAIL, out->actions_avail, sizeof(out->actions_avail), &ignored) >= 0;
	out->user_notif_listed =
	    out->actions_avail_readable && cai_word_list_contains(out->actions_avail, "user_notif");

	/* acct(2): a syscall the child never makes between installing the filter
	 * and exiting, so nothing ever waits on the listener. */
	int syscall_nr = SYS_acct;

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return cai_error_set(err, errno, "seccomp probe: create pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return cai_error_set(err, saved, "seccomp probe: fork");
	}
	if (pid == 0) {
		close(pipefd[0]);
		probe_child(pipefd[1], syscall_nr);
	}
	close(pipefd[1]);

	struct child_answer answer = {0};
	ssize_t got = read_answer(pipefd[0], &answer);
	close(pipefd[0]);
	if (got < 0)
		kill(pid, SIGKILL);

	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (got == (ssize_t)sizeof(answer)) {
		out->stage = (enum cai_notify_stage)answer.stage;
		out->errnum = answer.errnum;
		out->result = cai_notify_classify_errno(answer.errnum);
		/* Only the kernel's answer to seccomp(2) or prctl(2) is classified;
		 * a listener that misbehaves or a failed /dev/null open is an error. */
		if (out->stage == CAI_STAGE_LISTENER || (out->stage == CAI_STAGE_NONE && out->errnum))
			out->result = CAI_NOTIFY_ERROR;
	} else if (got < 0) {
		out->stage = CAI_STAGE_TIMEOUT;
		out->errnum = ETIMEDOUT;
		out->result = CAI_NOTIFY_ERROR;
	} else if (WIFSIGNALED(status)) {
		/* SIGSYS: an outer filter kills or traps seccomp(2) itself. */
		out->stage = CAI_STAGE_SIGNAL;
		out->signal = WTERMSIG(status);
		out->result = out->signal == SIGSYS ? CAI_NOTIFY_DENIED : CAI_NOTIFY_ERROR;
	} else {
		out->stage = CAI_STAGE_NONE;
		out->errnum = EPROTO;
		out->result = CAI_NOTIFY_ERROR;
	}
	out->elapsed_us = elapsed_us_since(&t0);
	return 0;
}
