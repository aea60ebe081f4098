/* Delivery of events to cai-auditd. An event goes into the process's
 * shared-memory ring (ring.c) when it has one; otherwise, or when no ring
 * can be set up, as one SOCK_SEQPACKET message. This file owns the
 * connections.
 *
 * MUST NOT hold an fd between the program's calls where the transport
 * allows (issue 14, item 18: a program that lists its own fds must find
 * only its own). A ring the collector reads for as long as the process
 * lives (CAI_RING_ACCEPTED_DETACHED) needs none: it is registered on a
 * connection that closes at once, and kicks go on connections of their
 * own. A connection is held only while one is needed: for messages when
 * the process has no ring (none yet, none possible, refused, or
 * CAI_AUDIT_RING_KB=0), and for a ring the collector reads only while its
 * connection lasts (a kernel without pidfds). It is close-on-exec and sits
 * at a high number; a program that closes it gets it closed (fdguard.c).
 *
 * MUST NOT lose an event silently: every event that cannot be sent is
 * added to cai_dropped, and the next delivered event carries the count.
 * MUST NOT block the program for long: a full socket is waited on for at
 * most cai_cfg.timeout_ms, and after one such timeout we stop waiting
 * (try once, count, go on) until a send succeeds again.
 * MUST NOT take locks: state changes are atomic compare-and-swaps, so a
 * wrapper in a signal handler or another thread never deadlocks here.
 * The collector learns who sent each message from SCM_CREDENTIALS, which
 * the kernel attaches per message, so a connection inherited over fork
 * still attributes each event to the process that sent it. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

atomic_ulong cai_dropped;
_Atomic int cai_sock_fd = -1;
_Atomic int cai_owner_pid;
static atomic_int fd_users;
static atomic_uint conn_gen;	  /* bumped for each new connection */
static atomic_int conn_inherited; /* the connection came over fork */
static atomic_int degraded;
static atomic_int detached; /* the program closed our fd: hold none from now on */
static _Atomic long long next_retry_ns;

#define RETRY_NS (100LL * 1000 * 1000)

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A high number keeps our fd out of the way of programs that expect the
 * lowest free fds, dup2 onto small numbers, or count their fds. */
static int high_fd_hint(void)
{
	struct rlimit rl;
	if (cai_syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1000;
	long hint = (long)(rl.rlim_cur > 1024 ? 1024 : rl.rlim_cur) - 24;
	return hint > 16 ? (int)hint : 16;
}

static int raw_close(int fd)
{
	return (int)cai_syscall(SYS_close, fd);
}

/* A fresh connection, close-on-exec; -1 (errno from socket or connect) if
 * none. One that may outlive the wrapper (kept) is moved high; one closed
 * before the wrapper returns need not be: the program never sees it. */
int cai_transport_open(bool kept)
{
	int s = (int)cai_syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = cai_strnlen(cai_cfg.socket_path, sizeof(cai_cfg.socket_path) - 1);
	cai_memcpy(sun.sun_path, cai_cfg.socket_path, n);
	if (cai_syscall(SYS_connect, s, &sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1)) < 0) {
		int err = errno;
		raw_close(s);
		errno = err;
		return -1;
	}
	int high = kept ? (int)cai_syscall(SYS_fcntl, s, F_DUPFD_CLOEXEC, high_fd_hint()) : -1;
	if (high >= 0) {
		raw_close(s);
		s = high;
	}
	return s;
}

/* Whether the collector was found away less than RETRY_NS ago. The clock
 * is read only once an attempt has failed: the first one costs a fresh
 * process no vDSO pages (see CAI_SET). */
static bool retry_not_due(void)
{
	long long next = atomic_load(&next_retry_ns);
	return next != 0 && now_ns() < next;
}

/* The shared connection, connecting if needed (rate-limited while the
 * collector is away). Holds fd_users until put_fd(). */
static int get_fd(void)
{
	atomic_fetch_add(&fd_users, 1);
	int fd = atomic_load(&cai_sock_fd);
	if (fd >= 0)
		return fd;
	if (atomic_load(&detached)) {
		atomic_fetch_sub(&fd_users, 1);
		return -1;
	}
	/* Threads that find no connection at once each make one; the first
	 * installed wins. */
	if (retry_not_due()) {
		atomic_fetch_sub(&fd_users, 1);
		return -1;
	}
	int s = cai_transport_open(true);
	if (s < 0) {
		atomic_store(&next_retry_ns, now_ns() + RETRY_NS);
		atomic_fetch_sub(&fd_users, 1);
		return -1;
	}
	atomic_store(&next_retry_ns, 0);
	int expected = -1;
	if (!atomic_compare_exchange_strong(&cai_sock_fd, &expected, s)) {
		raw_close(s);
		return expected;
	}
	atomic_fetch_add(&conn_gen, 1);
	atomic_store(&conn_inherited, 0);
	atomic_store(&degraded, 0);
	return s;
}

static void put_fd(void)
{
	atomic_fetch_sub(&fd_users, 1);
}

int cai_transport_peek_fd(unsigned *gen)
{
	atomic_fetch_add(&fd_users, 1);
	*gen = atomic_load(&conn_gen);
	int fd = atomic_load(&cai_sock_fd);
	if (fd < 0)
		put_fd();
	return fd;
}

void cai_transport_put_fd(void)
{
	put_fd();
}

/* Wait (bounded) until no sender is between loading the fd and using it,
 * so that its number can be closed without an event landing in a file
 * the program opens on the same number. A sender interrupted by the
 * signal handler that waits here would never finish: hence the bound. */
static void wait_no_users(void)
{
	for (int i = 0; i < 20000 && atomic_load(&fd_users) > 0; i++)
		cai_syscall(SYS_sched_yield);
}

/* Forget fd as our connection; close it only when it still is ours. */
static void drop_connection(int fd, bool close_it)
{
	int expected = fd;
	if (atomic_compare_exchange_strong(&cai_sock_fd, &expected, -1)) {
		wait_no_users();
		if (close_it)
			raw_close(fd);
	}
}

/* Outside the process that owns the connection (a vfork or _Fork child,
 * which runs no atfork handler): the fd table is not ours to manage, so
 * such a child uses a connection of its own for each event. */
static int send_foreign(const char *buf, size_t len)
{
	int s = cai_transport_open(false);
	if (s < 0)
		return -1;
	long n = cai_syscall(SYS_sendto, s, buf, len, MSG_NOSIGNAL, NULL, 0);
	if (n < 0 && errno == EAGAIN) {
		struct pollfd p = {.fd = s, .events = POLLOUT};
		struct timespec ts = {cai_cfg.timeout_ms / 1000, (cai_cfg.timeout_ms % 1000) * 1000000L};
		if (cai_syscall(SYS_ppoll, &p, 1, &ts, NULL, 0) > 0)
			n = cai_syscall(SYS_sendto, s, buf, len, MSG_NOSIGNAL, NULL, 0);
	}
	raw_close(s);
	return n == (long)len ? 0 : -1;
}

bool cai_transport_adopt(int s, unsigned *gen)
{
	/* A ring is attributed to the process that registers it, so its
	 * connection (s, made for it) replaces one inherited over fork. */
	if (atomic_load(&detached)) {
		raw_close(s);
		return false;
	}
	int old = atomic_exchange(&cai_sock_fd, s);
	if (old >= 0) {
		wait_no_users();
		raw_close(old);
	}
	*gen = atomic_fetch_add(&conn_gen, 1) + 1;
	atomic_store(&conn_inherited, 0);
	atomic_store(&degraded, 0);
	atomic_store(&next_retry_ns, 0);
	return true;
}

void cai_transport_drop_idle(void)
{
	int fd = atomic_load(&cai_sock_fd);
	if (fd >= 0)
		drop_connection(fd, true);
}

void cai_transport_reconnect(unsigned gen)
{
	int fd = atomic_load(&cai_sock_fd);
	if (fd >= 0 && gen == atomic_load(&conn_gen))
		drop_connection(fd, true);
	atomic_store(&next_retry_ns, 0);
}

bool cai_in_foreign_child(void)
{
	return cai_syscall(SYS_getpid) != atomic_load(&cai_owner_pid);
}

int cai_transport_send(const char *buf, size_t len, bool foreign, bool last_words)
{
	/* An exec's last words from a fork or vfork child go into the ring
	 * of the process it came from when that is read (audit_ring.h, 6):
	 * no connection for the collector to accept and identify. */
	if (foreign)
		return last_words && cai_ring_send_inherited(buf, len, true) == CAI_RING_SENT ? 0
											      : send_foreign(buf, len);
	switch (cai_ring_send(buf, len, !last_words)) {
	case CAI_RING_SENT:
		return 0;
	case CAI_RING_LOST:
		return -1;
	default:
		break;
	}
	if (last_words && cai_ring_send_inherited(buf, len, false) == CAI_RING_SENT)
		return 0;
	if (atomic_load(&detached))
		return send_foreign(buf, len);
	/* An exec's last words from a process with no connection (most often
	 * a fork child): one of their own, closed before the exec. Nothing
	 * is left held if the exec fails, and the collector finds the whole
	 * exchange queued, its end included, when it accepts. */
	if (last_words && atomic_load(&cai_sock_fd) < 0)
		return retry_not_due() ? -1 : send_foreign(buf, len);
	int rc = -1;
	long long deadline = 0;
	bool reconnected = false;
	for (;;) {
		int fd = get_fd();
		if (fd < 0)
			break;
		long n = cai_syscall(SYS_sendto, fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
		if (n == (long)len) {
			put_fd();
			atomic_store(&degraded, 0);
			return 0;
		}
		int err = errno;
		put_fd();
		if (n >= 0 || err == EMSGSIZE)
			return -1;
		if (err == EINTR)
			continue;
		if (err == EAGAIN) {
			if (atomic_load(&degraded))
				return -1;
			long long now = now_ns();
			if (!deadline)
				deadline = now + (long long)cai_cfg.timeout_ms * 1000000LL;
			if (now >= deadline) {
				atomic_store(&degraded, 1);
				return -1;
			}
			long long left = deadline - now;
			struct timespec ts = {left / 1000000000LL, left % 1000000000LL};
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			cai_syscall(SYS_ppoll, &p, 1, &ts, NULL, 0);
			continue;
		}
		/* The collector went away (EPIPE, ECONNRESET, ENOTCONN), or the
		 * number no longer holds our socket (EBADF, ENOTSOCK: closed
		 * behind our back, so it may be the program's now and must not
		 * be closed): reconnect once, now, and retry. */
		drop_connection(fd, err != EBADF && err != ENOTSOCK);
		if (reconnected)
			break;
		reconnected = true;
		atomic_store(&next_retry_ns, 0);
	}
	return rc;
}

void cai_transport_wait_again(void)
{
	atomic_store(&degraded, 0);
	cai_ring_wait_again();
}

void cai_transport_init(void)
{
	/* No connection at load: a process connects when it first has an
	 * event to send (the collector then identifies it, alive, as the
	 * registration of a ring waits for the answer). */
	atomic_store(&cai_owner_pid, (int)cai_syscall(SYS_getpid));
}

void cai_transport_connect_now(void)
{
	/* Events after this go into a ring registered now, or on a
	 * connection made now. */
	if (cai_in_foreign_child() || cai_ring_prepare())
		return;
	if (atomic_load(&detached))
		return;
	atomic_store(&next_retry_ns, 0);
	(void)get_fd();
	put_fd();
}

void cai_transport_atfork_child(void)
{
	/* The child shares the parent's connection for messages
	 * (SCM_CREDENTIALS tells the two apart) until it sets up a ring of
	 * its own; losses counted before fork are the parent's. */
	atomic_store(&cai_owner_pid, (int)cai_syscall(SYS_getpid));
	CAI_SET(cai_dropped, 0);
	CAI_SET(fd_users, 0);
	CAI_SET(conn_inherited, 1);
	cai_ring_atfork_child();
}

/* The program is about to close or replace fd, our connection. Moving it
 * to another number would leave the program holding an fd it asked to be
 * rid of (it may count them, or fill the table to its limit), so the
 * connection is given up instead and the program's own call closes it.
 * From then on this process (and its forks, which copy its fd table)
 * sends each event on a connection opened and closed within the wrapper,
 * as a vfork child does: between the program's calls the shim holds no fd.
 * A ring read only while this connection lasts is retired first: the
 * collector reads what it holds when the connection closes. */
bool cai_fd_detach(int fd)
{
	if (fd < 0 || fd != atomic_load(&cai_sock_fd) || cai_in_foreign_child())
		return false;
	atomic_store(&detached, 1);
	cai_ring_connection_closing(atomic_load(&conn_gen));
	int expected = fd;
	if (!atomic_compare_exchange_strong(&cai_sock_fd, &expected, -1))
		return false;
	wait_no_users();
	return true;
}

/* The program's call failed and left fd open: it is still our socket,
 * which the program never had, so close it as the call would have. */
void cai_fd_detach_failed(int fd)
{
	int saved = errno;
	raw_close(fd);
	errno = saved;
}
