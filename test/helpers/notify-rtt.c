/* Benchmark helper: notify-rtt N [GAP_US]
 * The floor under any exec supervision: the kernel's seccomp user
 * notification round trip alone. N getppid() calls bare, then N under a
 * filter that notifies on getppid, answered CONTINUE at once by a thread
 * of this process (made before the filter, so not under it): back to back,
 * and one call every GAP_US microseconds (default 2000, about an exec's
 * spacing), when both sides have gone idle in between; then the same two
 * with the synchronous wake-up (Linux 6.6) that cai run asks for. Prints
 * "bare_ns=A notified_ns=B idle_ns=C sync_ns=D sync_idle_ns=E" (means per
 * call; the sync figures are -1 where the kernel lacks it). Exits 77 when
 * the kernel has no user notification. Test and bench only: never
 * installed. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "notify_filter.h"

static _Atomic int listener = -1;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *answer(void *arg)
{
	(void)arg;
	while (atomic_load(&listener) < 0)
		sched_yield();
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	for (;;) {
		__builtin_memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		resp = (struct seccomp_notif_resp){.id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

static long long per_call(long n)
{
	long long t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now_ns() - t0) / n;
}

/* One call after each gap: only the calls are timed. */
static long long per_spaced_call(long n, long gap_us)
{
	long long sum = 0;
	struct timespec gap = {gap_us / 1000000, (gap_us % 1000000) * 1000};
	for (long i = 0; i < n; i++) {
		nanosleep(&gap, NULL);
		long long t0 = now_ns();
		syscall(SYS_getppid);
		sum += now_ns() - t0;
	}
	return sum / n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	long gap_us = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
	if (n < 1 || gap_us < 0)
		return 2;
	long spaced = n / 100 > 0 ? n / 100 : 1;
	long long bare = per_call(n);
	struct sock_filter prog[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = {.len = sizeof(prog) / sizeof(prog[0]), .filter = prog};
	/* The answering thread exists before the filter: it is not under it.
	 * It waits for the listener to be set. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	pthread_t th;
	if (pthread_create(&th, NULL, answer, NULL) != 0)
		return 1;
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
	if (fd < 0) {
		printf("no user notification here: %d\n", errno);
		return 77;
	}
	atomic_store(&listener, fd);
	long long notified = per_call(n), idle = per_spaced_call(spaced, gap_us);
	long long sync = -1, sync_idle = -1;
	if (cai_notify_sync_wakeup(fd)) {
		sync = per_call(n);
		sync_idle = per_spaced_call(spaced, gap_us);
	}
	printf("bare_ns=%lld notified_ns=%lld idle_ns=%lld sync_ns=%lld sync_idle_ns=%lld\n", bare, notified, idle,
	       sync, sync_idle);
	return 0;
}
