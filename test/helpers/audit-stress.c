/* audit-stress MODE ...: workloads for the shim's robustness tests and
 * benchmarks. Each mode prints what it did so the test can count the
 * events it expects. Not installed; built for the tests only.
 *   threads T N      T threads each open+close a file N times while the
 *                    main thread forks 20 children that open one file each
 *   signals N        N opens in a loop while a 100 us interval timer's
 *                    handler opens a file too; prints the handler's count
 *   closeall PATH    close every fd from 3 up (close(2) loop, then
 *                    close_range and closefrom), then open PATH
 *   dup2over PATH    dup2 a file onto every fd number up to the limit's
 *                    top 64, then open PATH
 *   vfork PROG       vfork, then execve PROG in the child
 *   emit N PATH      N failing opens of PATH (events, nothing else)
 *   openclose N      N open+close of /dev/null; prints the median ns per
 *                    pair over batches of 1000 and the mean over the whole
 *                    run (what a program that keeps opening files pays)
 *   sendcost N       N 200-byte sends on a SOCK_SEQPACKET socketpair while
 *                    a thread drains it; prints the median and mean ns
 *   conncost SOCKET N  N times what an exec's event costs its sender
 *                    without a connection: socket, connect to SOCKET,
 *                    one 200-byte send, close; prints the median and mean
 *                    ns (the collector rejects the bytes and counts them)
 *   syscallcost N    N getppid() system calls; prints the mean ns of one
 *   uring PATH       open PATH with an io_uring IORING_OP_OPENAT (raw
 *                    system calls); exits 77 when io_uring is unavailable
 *   stacks PATH      open PATH from threads with 16, 24 and 32 KiB stacks
 *                    and from a signal handler on an 8 KiB sigaltstack;
 *                    prints what each did (a crash is the failure) */
#include <errno.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int iters;
static const char *thread_path = "/dev/null";

static void *opener(void *arg)
{
	(void)arg;
	for (int i = 0; i < iters; i++) {
		int fd = open(thread_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror("open");
			exit(1);
		}
		close(fd);
	}
	return NULL;
}

static int mode_threads(int t, int n)
{
	pthread_t th[64];
	iters = n;
	if (t > 64)
		t = 64;
	for (int i = 0; i < t; i++)
		pthread_create(&th[i], NULL, opener, NULL);
	int forks = 0;
	for (int i = 0; i < 20; i++) {
		pid_t p = fork();
		if (p == 0) {
			int fd = open("/dev/zero", O_RDONLY);
			_exit(fd >= 0 ? 0 : 1);
		}
		if (p > 0) {
			int st;
			waitpid(p, &st, 0);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				forks++;
		}
	}
	for (int i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	printf("thread_opens=%d fork_opens=%d\n", t * n, forks);
	return 0;
}

static atomic_int handler_opens;
static void on_alarm(int sig)
{
	(void)sig;
	int saved = errno;
	int fd = open("/dev/zero", O_RDONLY);
	if (fd >= 0) {
		close(fd);
		atomic_fetch_add(&handler_opens, 1);
	}
	errno = saved;
}

static int mode_signals(int n)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 100}, {0, 100}};
	setitimer(ITIMER_REAL, &it, NULL);
	int bad_errno = 0;
	for (int i = 0; i < n; i++) {
		errno = 0;
		int fd = open("/nonexistent/audit-stress", O_RDONLY);
		if (fd >= 0 || errno != ENOENT)
			bad_errno++;
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("main_opens=%d handler_opens=%d bad_errno=%d\n", n, atomic_load(&handler_opens), bad_errno);
	return bad_errno ? 1 : 0;
}

static int mode_closeall(const char *path)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	int top = rl.rlim_cur > 4096 ? 4096 : (int)rl.rlim_cur;
	for (int fd = 3; fd < top; fd++)
		close(fd);
	int a = open(path, O_RDONLY);
	close_range(3, ~0U, 0);
	int b = open(path, O_RDONLY);
	closefrom(3);
	int c = open(path, O_RDONLY);
	printf("fds=%d,%d,%d\n", a, b, c);
	return a < 0 || b < 0 || c < 0;
}

static int mode_dup2over(const char *path)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	int top = rl.rlim_cur > 4096 ? 4096 : (int)rl.rlim_cur;
	int src = open("/dev/null", O_RDONLY);
	for (int fd = top - 64; fd < top; fd++)
		if (fd != src && dup2(src, fd) != fd)
			return 1;
	int a = open(path, O_RDONLY);
	printf("fd=%d\n", a);
	return a < 0;
}

static int mode_vfork(char **argv)
{
	pid_t p = vfork();
	if (p == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	int a = open("/dev/null", O_RDONLY);
	printf("child=%d status=%d fd=%d\n", p, WEXITSTATUS(st), a);
	return 0;
}

static int mode_emit(int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (open(path, O_RDONLY) >= 0)
			return 1;
	printf("emitted=%d\n", n);
	return 0;
}

static long long ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Runs fn n times in batches of batch calls; prints the median batch's
 * and the whole run's ns per call (the mean is what a program pays). */
static int time_calls(int n, int batch, bool (*fn)(void *), void *arg)
{
	int batches = n / batch > 0 ? n / batch : 1;
	long long *per = calloc((size_t)batches, sizeof(*per));
	if (!per)
		return 1;
	long long start = ns_now();
	for (int b = 0; b < batches; b++) {
		long long t0 = ns_now();
		for (int i = 0; i < batch; i++)
			if (!fn(arg)) {
				free(per);
				return 1;
			}
		per[b] = (ns_now() - t0) / batch;
	}
	long long mean = (ns_now() - start) / ((long long)batches * batch);
	qsort(per, (size_t)batches, sizeof(*per), cmp_ll);
	printf("median_ns=%lld mean_ns=%lld\n", per[batches / 2], mean);
	free(per);
	return 0;
}

static bool open_close(void *arg)
{
	(void)arg;
	close(open("/dev/null", O_RDONLY));
	return true;
}

static void *drainer(void *arg)
{
	int fd = *(int *)arg;
	char buf[512];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

static bool send_200(void *arg)
{
	static char msg[200];
	return send(*(int *)arg, msg, sizeof(msg), 0) == (ssize_t)sizeof(msg);
}

static int mode_sendcost(int n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 1;
	pthread_t th;
	pthread_create(&th, NULL, drainer, &sv[1]);
	int rc = time_calls(n, 1000, send_200, &sv[0]);
	shutdown(sv[0], SHUT_WR);
	pthread_join(th, NULL);
	return rc;
}

static bool connect_send_close(void *arg)
{
	const struct sockaddr_un *sun = arg;
	static char msg[200];
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
		perror("conncost: connect");
		if (s >= 0)
			close(s);
		return false;
	}
	bool sent = send(s, msg, sizeof(msg), MSG_NOSIGNAL) == (ssize_t)sizeof(msg);
	close(s);
	return sent;
}

static bool one_syscall(void *arg)
{
	(void)arg;
	return syscall(SYS_getppid) > 0;
}

static int mode_conncost(const char *path, int n)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return 2;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	return time_calls(n, 100, connect_send_close, &sun);
}

static const char *stack_path;

static void *stack_opener(void *arg)
{
	(void)arg;
	int fd = open(stack_path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	return (void *)(long)(fd >= 0);
}

static volatile sig_atomic_t handler_opened = -1;

static void on_usr1(int sig)
{
	(void)sig;
	int saved = errno;
	int fd = open(stack_path, O_RDONLY);
	handler_opened = fd >= 0;
	if (fd >= 0)
		close(fd);
	errno = saved;
}

static int mode_stacks(const char *path)
{
	stack_path = path;
	static const size_t sizes[] = {16 << 10, 24 << 10, 32 << 10};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, sizes[i]);
		pthread_t th;
		int rc = pthread_create(&th, &a, stack_opener, NULL);
		void *opened = NULL;
		if (rc == 0)
			pthread_join(th, &opened);
		printf("stack %zu KiB: create=%s opened=%ld\n", sizes[i] >> 10, rc ? strerror(rc) : "ok", (long)opened);
		pthread_attr_destroy(&a);
	}
	static char alt[8192];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	if (sigaltstack(&ss, NULL) < 0)
		return 1;
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("sigaltstack 8 KiB: opened=%d\n", (int)handler_opened);
	return 0;
}

static int mode_uring(const char *path)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		printf("io_uring_setup: %s\n", strerror(errno));
		return 77;
	}
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes =
	    mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 77;
	}
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_OPENAT;
	sqes[0].fd = AT_FDCWD;
	sqes[0].addr = (unsigned long)path;
	sqes[0].open_flags = O_RDONLY;
	unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
	unsigned *array = (unsigned *)(sq + p.sq_off.array);
	array[*tail & *(unsigned *)(sq + p.sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		printf("io_uring_enter: %s\n", strerror(errno));
		return 77;
	}
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	unsigned head = *(unsigned *)(cq + p.cq_off.head);
	int res = cqes[head & *(unsigned *)(cq + p.cq_off.ring_mask)].res;
	if (res == -EINVAL || res == -EOPNOTSUPP) {
		printf("IORING_OP_OPENAT: %s\n", strerror(-res));
		return 77;
	}
	printf("uring_fd=%d\n", res);
	return res >= 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "sendcost"))
		return mode_sendcost(atoi(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "conncost"))
		return mode_conncost(argv[2], atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "syscallcost"))
		return time_calls(atoi(argv[2]), 100, one_syscall, NULL);
	if (argc >= 3 && !strcmp(argv[1], "uring"))
		return mode_uring(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "threads"))
		return mode_threads(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "signals"))
		return mode_signals(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "closeall"))
		return mode_closeall(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "dup2over"))
		return mode_dup2over(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "vfork"))
		return mode_vfork(argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "stacks"))
		return mode_stacks(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "emit"))
		return mode_emit(atoi(argv[2]), argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "openclose"))
		return time_calls(atoi(argv[2]), 1000, open_close, NULL);
	fprintf(stderr, "usage: see the comment at the top of audit-stress.c\n");
	return 2;
}
