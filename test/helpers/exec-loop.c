/* Benchmark helper: exec-loop [--child-preload LIB] N [PROG]
 * fork, execve PROG (default /bin/true) with this environment (so that a
 * preloaded library is loaded in the child too), wait, N times; with
 * --child-preload, the exec'd program alone preloads LIB (what loading it
 * costs, without the calling side's part); prints the
 * median cost of one round in nanoseconds over batches of 50, the mean
 * over the whole run, and the page faults per round (this process's and
 * its children's), as "median_ns=N mean_ns=M faults_x10=F" (tenths).
 * exec-loop --fault-cost prints what one page fault costs here, touching
 * fresh pages: "fault_ns=N". Test and bench only: never installed. */
#include <errno.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "util.h"

#define BATCH 50

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* The mean cost of a first touch of an anonymous page: a minor fault. */
static int fault_cost(void)
{
	enum { PAGES = 20000, PAGE = 4096 };
	char *p = mmap(NULL, (size_t)PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	long long t0 = now_ns();
	for (long i = 0; i < PAGES; i++)
		((volatile char *)p)[i * PAGE] = 1;
	printf("fault_ns=%lld\n", (now_ns() - t0) / PAGES);
	return 0;
}

static long minor_faults(int who)
{
	struct rusage ru;
	return getrusage(who, &ru) == 0 ? ru.ru_minflt : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--fault-cost") == 0)
		return fault_cost();
	extern char **environ;
	char **child_env = environ;
	char *preload = NULL;
	if (argc > 2 && strcmp(argv[1], "--child-preload") == 0) {
		size_t n = 0;
		while (environ[n])
			n++;
		child_env = xcalloc(n + 2, sizeof(*child_env));
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
				child_env[k++] = environ[i];
		size_t len = strlen(argv[2]) + sizeof("LD_PRELOAD=");
		preload = xcalloc(len, 1);
		snprintf(preload, len, "LD_PRELOAD=%s", argv[2]);
		child_env[k] = preload;
		argv += 2;
		argc -= 2;
	}
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	const char *prog = argc > 2 ? argv[2] : "/bin/true";
	if (n < BATCH) {
		fprintf(stderr, "exec-loop: N must be at least %d\n", BATCH);
		return 2;
	}
	long batches = n / BATCH;
	long long *cost = xcalloc((size_t)batches, sizeof(*cost));
	char *const child_argv[] = {(char *)prog, NULL};
	long faults0 = minor_faults(RUSAGE_SELF);
	long long start = now_ns();
	for (long b = 0; b < batches; b++) {
		long long t0 = now_ns();
		for (int i = 0; i < BATCH; i++) {
			pid_t pid = fork();
			if (pid < 0)
				return 1;
			if (pid == 0) {
				execve(prog, child_argv, child_env);
				_exit(127);
			}
			int status;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "exec-loop: `%s` failed\n", prog);
				return 1;
			}
		}
		cost[b] = (now_ns() - t0) / BATCH;
	}
	long long mean = (now_ns() - start) / (batches * BATCH);
	qsort(cost, (size_t)batches, sizeof(*cost), cmp);
	long faults = minor_faults(RUSAGE_SELF) - faults0 + minor_faults(RUSAGE_CHILDREN);
	printf("median_ns=%lld mean_ns=%lld faults_x10=%ld\n", cost[batches / 2], mean,
	       faults * 10 / (batches * BATCH));
	free(cost);
	if (child_env != environ)
		free(child_env);
	free(preload);
	return 0;
}
