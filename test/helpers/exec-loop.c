/* Benchmark helper: exec-loop N [PROG]
 * fork, execve PROG (default /bin/true) with this environment (so that a
 * preloaded library is loaded in the child too), wait, N times; prints the
 * median cost of one round in nanoseconds over batches of 50 and the mean
 * over the whole run, as "median_ns=N mean_ns=M".
 * Test and bench only: never installed. */
#include <errno.h>
#include <spawn.h>
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

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	const char *prog = argc > 2 ? argv[2] : "/bin/true";
	if (n < BATCH) {
		fprintf(stderr, "exec-loop: N must be at least %d\n", BATCH);
		return 2;
	}
	long batches = n / BATCH;
	long long *cost = xcalloc((size_t)batches, sizeof(*cost));
	char *const child_argv[] = {(char *)prog, NULL};
	extern char **environ;
	long long start = now_ns();
	for (long b = 0; b < batches; b++) {
		long long t0 = now_ns();
		for (int i = 0; i < BATCH; i++) {
			pid_t pid = fork();
			if (pid < 0)
				return 1;
			if (pid == 0) {
				execve(prog, child_argv, environ);
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
	printf("median_ns=%lld mean_ns=%lld\n", cost[batches / 2], mean);
	free(cost);
	return 0;
}
