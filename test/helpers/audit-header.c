/* audit-header SCENARIO ARGS...: change what the shim's event header
 * shows (cwd, comm, uid, pid, ppid) between two "probes", so that a test
 * can check that the event after the change shows the new value.
 * A probe is open("probe-TAG", O_RDONLY): a relative name, so its event
 * also carries "resolved"; it fails with ENOENT, which is expected.
 * Each change prints "CALL ret=N errno=NAME" (errno preservation is
 * checked too), and pids print as "KEY=N". Not installed; built for the
 * tests only.
 *   chdir DIR | fchdir DIR | chroot DIR     before, change, after
 *   chdir-thread DIR      a thread probes, main chdirs, the thread probes
 *   prctl NAME | setname-self NAME          before, rename, after
 *   setname-other NAME    a thread probes, main renames it, it probes
 *   proc-comm NAME        before, write NAME to /proc/self/comm, after
 *   proc-comm-task NAME   the same through /proc/self/task/TID/comm of
 *                         another thread, which probes before and after
 *   setuid UID | setreuid UID | setresuid UID
 *                         before, change, after, a refused change back
 *                         to 0 (EPERM), last
 *   unshare-user          before, unshare(CLONE_NEWUSER), mid, write
 *                         uid_map "0 0 1", after; exits 77 if refused
 *   setns-mnt DIR         chdir DIR, before, setns into our own mount
 *                         namespace (moves to its root), after
 *   daemon DIR            chdir DIR, before, daemon(0, 1), after
 *   fts DIR | nftw DIR    walk DIR changing directory; open each file
 *                         by its name relative to the walk's directory
 *   vfork | _Fork | fork | clone
 *                         parent probes, the child probes and exits,
 *                         the parent probes again
 *   errors                the wrappers' failures, with errno */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void probe(const char *tag)
{
	char name[64];
	snprintf(name, sizeof(name), "probe-%s", tag);
	int fd = open(name, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

/* Prints the result of a call that returns -1 and sets errno. */
static void report(const char *call, long ret, int err)
{
	printf("%s ret=%ld errno=%s\n", call, ret, ret < 0 ? strerrorname_np(err) : "0");
	fflush(stdout);
}

/* For calls that return an error number instead (pthread_*). */
static void report_rc(const char *call, int rc)
{
	printf("%s rc=%s\n", call, rc ? strerrorname_np(rc) : "0");
	fflush(stdout);
}

#define CALL(name, expr)                                                                                               \
	do {                                                                                                           \
		errno = EDOM;                                                                                          \
		long r_ = (long)(expr);                                                                                \
		int e_ = errno;                                                                                        \
		report(name, r_, e_);                                                                                  \
		if (r_ >= 0 && e_ != EDOM)                                                                             \
			printf("%s: errno changed on success\n", name);                                                \
	} while (0)

/* A second thread that probes, lets main change something, probes again. */
static int to_main[2], to_thread[2];
static pid_t thread_tid;

static void *second_thread(void *arg)
{
	(void)arg;
	char c = 0;
	thread_tid = (pid_t)syscall(SYS_gettid);
	probe("thread-before");
	if (write(to_main[1], &c, 1) != 1 || read(to_thread[0], &c, 1) != 1)
		exit(3);
	probe("thread-after");
	return NULL;
}

typedef void change_fn(pthread_t th, const char *arg);

static int with_thread(change_fn *change, const char *arg)
{
	if (pipe(to_main) || pipe(to_thread))
		return 1;
	pthread_t th;
	if (pthread_create(&th, NULL, second_thread, NULL))
		return 1;
	char c = 0;
	if (read(to_main[0], &c, 1) != 1)
		return 1;
	change(th, arg);
	if (write(to_thread[1], &c, 1) != 1)
		return 1;
	pthread_join(th, NULL);
	printf("pid=%d thread_tid=%d\n", getpid(), thread_tid);
	return 0;
}

static void change_chdir(pthread_t th, const char *dir)
{
	(void)th;
	CALL("chdir", chdir(dir));
}

static void change_setname(pthread_t th, const char *name)
{
	report_rc("pthread_setname_np", pthread_setname_np(th, name));
}

static void write_comm(const char *path, const char *name)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, name, strlen(name)) != (ssize_t)strlen(name)) {
		perror(path);
		exit(1);
	}
	close(fd);
	printf("wrote %s\n", path);
}

static void change_task_comm(pthread_t th, const char *name)
{
	(void)th;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", thread_tid);
	write_comm(path, name);
}

static int uid_change(const char *how, uid_t uid)
{
	probe("before");
	if (!strcmp(how, "setuid"))
		CALL("setuid", setuid(uid));
	else if (!strcmp(how, "setreuid"))
		CALL("setreuid", setreuid(uid, uid));
	else
		CALL("setresuid", setresuid(uid, uid, uid));
	probe("after");
	CALL("setuid", setuid(0));
	probe("last");
	return 0;
}

static int unshare_user(void)
{
	probe("before");
	errno = EDOM;
	if (unshare(CLONE_NEWUSER) < 0) {
		printf("unshare: %s\n", strerror(errno));
		return 77;
	}
	report("unshare", 0, errno);
	probe("mid");
	int fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, "0 0 1\n", 6) != 6) {
		printf("uid_map: %s\n", strerror(errno));
		return 77;
	}
	close(fd);
	probe("after");
	return 0;
}

static int walk_fd_name(const char *name)
{
	int fd = open(name, O_RDONLY);
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static int walk_fts(char *dir)
{
	char *roots[] = {dir, NULL};
	FTS *fts = fts_open(roots, FTS_PHYSICAL, NULL);
	if (!fts)
		return 1;
	FTSENT *e;
	int bad = 0;
	while ((e = fts_read(fts)) != NULL)
		if (e->fts_info == FTS_F)
			bad += walk_fd_name(e->fts_accpath);
	fts_close(fts);
	probe("after");
	printf("fts bad=%d\n", bad);
	return bad != 0;
}

static int nftw_bad;
static int nftw_fn(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type == FTW_F)
		nftw_bad += walk_fd_name(path + ftw->base);
	return 0;
}

static int walk_nftw(const char *dir)
{
	int rc = nftw(dir, nftw_fn, 4, FTW_PHYS | FTW_CHDIR);
	probe("after");
	printf("nftw rc=%d bad=%d\n", rc, nftw_bad);
	return rc != 0 || nftw_bad != 0;
}

static int clone_child(void *arg)
{
	(void)arg;
	probe("child");
	return 0;
}

static int child_scenario(const char *how)
{
	probe("parent-before");
	pid_t p;
	static char stack[64 * 1024] __attribute__((aligned(16)));
	if (!strcmp(how, "vfork")) {
		p = vfork();
		if (p == 0) {
			probe("child");
			_exit(0);
		}
	} else if (!strcmp(how, "_Fork") || !strcmp(how, "fork")) {
		p = !strcmp(how, "fork") ? fork() : _Fork();
		if (p == 0) {
			probe("child");
			_exit(0);
		}
	} else {
		p = clone(clone_child, stack + sizeof(stack), SIGCHLD, NULL);
	}
	if (p < 0) {
		perror(how);
		return 1;
	}
	int st;
	waitpid(p, &st, 0);
	probe("parent-after");
	printf("parent=%d child=%d status=%d\n", getpid(), p, WEXITSTATUS(st));
	return 0;
}

/* Each wrapper's failure: the program sees the real function's result. */
static int errors(void)
{
	CALL("chdir", chdir("/nonexistent"));
	CALL("fchdir", fchdir(-1));
	CALL("chroot", chroot("/nonexistent"));
	CALL("prctl", prctl(-1, 0, 0, 0, 0));
	CALL("prctl-get", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	report_rc("pthread_setname_np", pthread_setname_np(pthread_self(), "a-name-longer-than-15"));
	CALL("setns", setns(-1, 0));
	CALL("unshare", unshare(-1));
	CALL("clone", clone(NULL, NULL, 0, NULL));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: see the comment at the top of audit-header.c\n");
		return 2;
	}
	const char *sc = argv[1];
	const char *arg = argc > 2 ? argv[2] : NULL;
	if (!strcmp(sc, "errors"))
		return errors();
	if (!strcmp(sc, "unshare-user"))
		return unshare_user();
	if (!strcmp(sc, "vfork") || !strcmp(sc, "_Fork") || !strcmp(sc, "fork") || !strcmp(sc, "clone"))
		return child_scenario(sc);
	if (!arg) {
		fprintf(stderr, "audit-header: %s needs an argument\n", sc);
		return 2;
	}
	if (!strcmp(sc, "chdir-thread"))
		return with_thread(change_chdir, arg);
	if (!strcmp(sc, "setname-other"))
		return with_thread(change_setname, arg);
	if (!strcmp(sc, "proc-comm-task"))
		return with_thread(change_task_comm, arg);
	if (!strcmp(sc, "setuid") || !strcmp(sc, "setreuid") || !strcmp(sc, "setresuid"))
		return uid_change(sc, (uid_t)atoi(arg));
	if (!strcmp(sc, "fts"))
		return walk_fts(argv[2]);
	if (!strcmp(sc, "nftw"))
		return walk_nftw(arg);
	if (!strcmp(sc, "setns-mnt") || !strcmp(sc, "daemon")) {
		if (chdir(arg))
			return 1;
	}
	probe("before");
	if (!strcmp(sc, "chdir")) {
		CALL("chdir", chdir(arg));
	} else if (!strcmp(sc, "fchdir")) {
		int fd = open(arg, O_RDONLY | O_DIRECTORY);
		CALL("fchdir", fchdir(fd));
	} else if (!strcmp(sc, "chroot")) {
		CALL("chroot", chroot(arg));
	} else if (!strcmp(sc, "prctl")) {
		CALL("prctl", prctl(PR_SET_NAME, arg, 0, 0, 0));
	} else if (!strcmp(sc, "setname-self")) {
		report_rc("pthread_setname_np", pthread_setname_np(pthread_self(), arg));
	} else if (!strcmp(sc, "proc-comm")) {
		write_comm("/proc/self/comm", arg);
	} else if (!strcmp(sc, "setns-mnt")) {
		int fd = open("/proc/self/ns/mnt", O_RDONLY);
		CALL("setns", setns(fd, CLONE_NEWNS));
	} else if (!strcmp(sc, "daemon")) {
		/* The caller exits inside daemon(); the daemon, which keeps
		 * stdout (noclose), probes and exits. */
		CALL("daemon", daemon(0, 1));
	} else {
		fprintf(stderr, "audit-header: unknown scenario `%s`\n", sc);
		return 2;
	}
	probe("after");
	return 0;
}
