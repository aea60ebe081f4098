/* The writer side of the shared-memory ring (protocol: audit_ring.h).
 *
 * MUST make no system call for an ordinary event: reserve, copy, commit.
 * System calls happen only to set the ring up (once per process), to kick
 * an idle or lagging collector, and to wait for room when the ring is full.
 * MUST stay lock-free and async-signal-safe like the rest of the shim: a
 * wrapper in a signal handler may interrupt another write on the same
 * thread; both reservations are independent and both complete.
 * MUST NOT lose an event silently: a full ring is waited on while the
 * collector makes progress (bounded by cai_cfg.timeout_ms without any), and
 * what cannot be written, or was written to a ring the collector stopped
 * reading, is added to cai_dropped. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* From <linux/futex.h>, which is not on musl-gcc's include path. */
#ifndef FUTEX_WAIT
#define FUTEX_WAIT 0
#endif

#include "../lib/audit/audit_ring.h"

static _Atomic(struct cai_ring_ctl *) ring;
/* The ring of the process this one was forked from, still mapped: read by
 * the collector for as long as that process lives, and written to only
 * for an exec's last words (cai_ring_send_inherited). */
static _Atomic(struct cai_ring_ctl *) inherited;
static atomic_int setting_up;
static atomic_int ring_users; /* writers between loading ring and committing */
static atomic_int ring_off;   /* memfd or sealing unsupported here: never retry */
static atomic_int degraded;   /* gave up waiting once; try once until room returns */
static atomic_int abandoned;
/* The held connection the collector reads the ring for as long as, 0 for a
 * ring read for as long as the process lives (no connection held). */
static atomic_uint ring_conn;
static _Atomic uint64_t seen_beat;
static _Atomic long long seen_beat_at;
static _Atomic long long checked_at; /* the last kick for a stale beat */
static _Atomic long long next_try_ns;

#define RETRY_NS (100LL * 1000 * 1000)
/* Abandoned rings stay mapped when a writer may still be inside one;
 * after this many, the process sends over the socket instead. */
#define MAX_ABANDONED 8

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The collector's answer on connection s, waited for a little. */
enum answer { ANSWER_YES, ANSWER_NO, ANSWER_NONE, ANSWER_HUNG_UP };

static enum answer await_answer(int s)
{
	int ms = cai_cfg.timeout_ms < CAI_RING_ACK_WAIT_MS ? cai_cfg.timeout_ms : CAI_RING_ACK_WAIT_MS;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	struct pollfd p = {.fd = s, .events = POLLIN};
	if (cai_syscall(SYS_ppoll, &p, 1, &ts, NULL, 0) <= 0)
		return ANSWER_NONE;
	char got[64];
	long n = cai_syscall(SYS_recvfrom, s, got, sizeof(got), MSG_DONTWAIT, NULL, NULL);
	if (n <= 0)
		return (p.revents & (POLLHUP | POLLERR)) ? ANSWER_HUNG_UP : ANSWER_NONE;
	size_t no = sizeof(CAI_WIRE_RING_UNKNOWN) - 1;
	return (size_t)n == no && memcmp(got, CAI_WIRE_RING_UNKNOWN, no) == 0 ? ANSWER_NO : ANSWER_YES;
}

/* A kick on a connection of its own, closed at once (ask: after waiting
 * for the answer). false only when the collector says it reads no ring of
 * ours, or nobody listens on the socket: nobody will read this ring.
 * Anything else (the socket out of reach after a chroot, no answer in
 * time) is no verdict: the beat decides (collector_looks_alive). */
static bool kick_apart(const unsigned char *rec, size_t len, bool ask)
{
	int s = cai_transport_open(false);
	if (s < 0)
		return !(ask && errno == ECONNREFUSED);
	long n = cai_syscall(SYS_sendto, s, rec, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
	bool known = !ask || n != (long)len || await_answer(s) != ANSWER_NO;
	cai_syscall(SYS_close, s);
	return known;
}

/* Ask the collector to read the ring now. false when nobody will: the
 * connection a bound ring was registered on is gone (the collector died
 * or dropped us), or (ask) the collector says it does not know a
 * detached one. */
static bool kick(bool ask)
{
	unsigned char rec[CAI_WIRE_HEADER];
	cai_wire_header(rec, CAI_WIRE_KICK);
	unsigned bound = atomic_load(&ring_conn);
	if (!bound)
		return kick_apart(rec, sizeof(rec), ask);
	unsigned gen;
	int fd = cai_transport_peek_fd(&gen);
	if (fd < 0)
		return false;
	bool alive = gen == bound;
	if (alive) {
		long n = cai_syscall(SYS_sendto, fd, rec, sizeof(rec), MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
		alive = n >= 0 || errno == EAGAIN || errno == EINTR || errno == ENOBUFS;
	}
	cai_transport_put_fd();
	return alive;
}

/* A new sealed memfd, mapped and registered on a connection of its own. */
static struct cai_ring_ctl *create_ring(void)
{
	size_t data = cai_cfg.ring_size, total = CAI_RING_CTL_SIZE + data;
	int mfd = (int)cai_syscall(SYS_memfd_create, "cai-audit-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		if (errno == ENOSYS || errno == EINVAL || errno == EPERM)
			atomic_store(&ring_off, 1);
		return NULL;
	}
	struct cai_ring_ctl *c = MAP_FAILED;
	if (cai_syscall(SYS_ftruncate, mfd, (long)total) < 0)
		goto fail;
	/* The collector maps this too: it must never shrink under it. */
	if (cai_syscall(SYS_fcntl, mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		atomic_store(&ring_off, 1);
		goto fail;
	}
	c = (struct cai_ring_ctl *)cai_syscall(SYS_mmap, NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (c == MAP_FAILED)
		goto fail;
	c->magic = CAI_RING_MAGIC;
	c->version = CAI_RING_VERSION;
	c->data_size = (uint32_t)data;

	unsigned char msg[CAI_RING_REGISTRATION_LEN];
	cai_ring_registration(msg, data);
	size_t n = sizeof(msg);

	union {
		char raw[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = msg, .iov_len = n};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.raw, .msg_controllen = sizeof(ctl.raw)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(int));

	/* A connection of its own: the collector attributes the ring to the
	 * process that made it, not to a parent it was inherited from. */
	int s = cai_transport_open(true);
	if (s < 0)
		goto fail;
	long sent = cai_syscall(SYS_sendmsg, s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent != (long)n) {
		cai_syscall(SYS_close, s);
		goto fail;
	}
	cai_syscall(SYS_close, mfd);
	mfd = -1;
	if (await_answer(s) == ANSWER_HUNG_UP && !atomic_load(&c->accepted)) {
		cai_syscall(SYS_close, s);
		goto fail;
	}
	atomic_store(&seen_beat, atomic_load(&c->beat_ns));
	atomic_store(&seen_beat_at, now_ns());
	atomic_store(&checked_at, 0);
	if (atomic_load(&c->closed) == CAI_RING_REFUSED) {
		cai_syscall(SYS_close, s); /* messages from now on (cai_ring_send) */
		return c;
	}
	if (atomic_load_explicit(&c->accepted, memory_order_acquire) == CAI_RING_ACCEPTED_DETACHED) {
		cai_syscall(SYS_close, s);
		atomic_store(&ring_conn, 0);
		cai_transport_drop_idle(); /* messages go in the ring from now on */
		return c;
	}
	/* Read only while s lasts, or not answered yet: s is held. */
	unsigned gen;
	if (!cai_transport_adopt(s, &gen)) {
		/* This process may hold no fd (the program closed ours) and
		 * the collector reads the ring only while s lasts. */
		atomic_store(&ring_off, 1);
		cai_syscall(SYS_munmap, c, total);
		return NULL;
	}
	atomic_store(&ring_conn, gen);
	return c;
fail:
	if (c != MAP_FAILED)
		cai_syscall(SYS_munmap, c, total);
	if (mfd >= 0)
		cai_syscall(SYS_close, mfd);
	return NULL;
}

/* The ring to write to, set up on first use; NULL: use the socket. */
static struct cai_ring_ctl *current_ring(bool may_create)
{
	struct cai_ring_ctl *c = atomic_load(&ring);
	if (c || !may_create || !cai_cfg.ring_size || atomic_load(&ring_off) ||
	    atomic_load(&abandoned) >= MAX_ABANDONED)
		return c;
	long long now = now_ns(), next = atomic_load(&next_try_ns);
	if (now < next)
		return NULL;
	int expected = 0;
	if (!atomic_compare_exchange_strong(&setting_up, &expected, 1))
		return NULL; /* another thread is at it: this event takes the socket */
	c = create_ring();
	if (c) {
		atomic_store(&ring, c);
		/* A ring of our own: the parent's is of no further use here. */
		struct cai_ring_ctl *old = atomic_exchange(&inherited, NULL);
		if (old)
			cai_syscall(SYS_munmap, old, CAI_RING_CTL_SIZE + cai_cfg.ring_size);
	} else
		atomic_store(&next_try_ns, now + RETRY_NS);
	atomic_store(&setting_up, 0);
	return c;
}

/* A ring the collector is reading to its end: wait (bounded) until it
 * has, so that `tail` and `consumed` are final. */
static void await_finished(struct cai_ring_ctl *c)
{
	long long deadline = now_ns() + (long long)cai_cfg.timeout_ms * 1000000LL;
	for (;;) {
		uint32_t seq = atomic_load(&c->tail_seq);
		atomic_store(&c->waiters, 1);
		if (atomic_load(&c->closed) != CAI_RING_CLOSING)
			return;
		long long left = deadline - now_ns();
		if (left <= 0)
			return;
		struct timespec ts = {left / 1000000000LL, left % 1000000000LL};
		cai_syscall(SYS_futex, &c->tail_seq, FUTEX_WAIT, seq, &ts, NULL, 0);
	}
}

/* Stop using c: what the collector never released is counted as lost.
 * Unmapped only when no other writer is inside it. */
static void abandon(struct cai_ring_ctl *c)
{
	struct cai_ring_ctl *expected = c;
	if (!atomic_compare_exchange_strong(&ring, &expected, NULL))
		return;
	atomic_fetch_add(&abandoned, 1);
	for (int i = 0; i < 20000 && atomic_load(&ring_users) > 1; i++)
		cai_syscall(SYS_sched_yield);
	await_finished(c);
	uint64_t lost = atomic_load(&c->committed) - atomic_load(&c->consumed);
	if (lost && lost < (1ULL << 40))
		atomic_fetch_add(&cai_dropped, (unsigned long)lost);
	if (atomic_load(&ring_users) <= 1)
		cai_syscall(SYS_munmap, c, CAI_RING_CTL_SIZE + cai_cfg.ring_size);
	/* The collector closed a bound ring's connection too; take a new
	 * one now (unless that happened already). */
	unsigned bound = atomic_exchange(&ring_conn, 0);
	if (bound)
		cai_transport_reconnect(bound);
}

/* A ring the collector would not take: nothing was written to it, and the
 * connection stays (events go over it as messages). */
static void refused(struct cai_ring_ctl *c)
{
	struct cai_ring_ctl *expected = c;
	if (!atomic_compare_exchange_strong(&ring, &expected, NULL))
		return;
	for (int i = 0; i < 20000 && atomic_load(&ring_users) > 1; i++)
		cai_syscall(SYS_sched_yield);
	if (atomic_load(&ring_users) <= 1)
		cai_syscall(SYS_munmap, c, CAI_RING_CTL_SIZE + cai_cfg.ring_size);
}

/* An awake collector stamps beat_ns whenever it looks at the ring. When
 * the stamp has not moved for a while (by our own clock: the collector
 * may live in another time namespace), ask once whether it is still
 * there; a killed collector cannot set `closed` itself. */
static bool collector_looks_alive(struct cai_ring_ctl *c)
{
	uint64_t beat = atomic_load_explicit(&c->beat_ns, memory_order_relaxed);
	long long now = now_ns();
	if (beat != atomic_load_explicit(&seen_beat, memory_order_relaxed)) {
		atomic_store_explicit(&seen_beat, beat, memory_order_relaxed);
		atomic_store_explicit(&seen_beat_at, now, memory_order_relaxed);
		return true;
	}
	long long at = atomic_load_explicit(&seen_beat_at, memory_order_relaxed);
	if (now - at < CAI_RING_BEAT_STALE_NS)
		return true;
	/* An idle collector still looks once a second: a detached ring that
	 * nobody has looked at for this long is read by nobody. */
	if (!atomic_load(&ring_conn) && now - at >= CAI_RING_BEAT_DEAD_NS)
		return false;
	long long k = atomic_load_explicit(&checked_at, memory_order_relaxed);
	if (now - k < CAI_RING_BEAT_STALE_NS || !atomic_compare_exchange_strong(&checked_at, &k, now))
		return true;
	return kick(true);
}

enum reserve_rc { RESERVED, FULL };

static enum reserve_rc reserve(struct cai_ring_ctl *c, uint32_t rec, uint64_t *pos, uint32_t *pad)
{
	bool half;
	if (!cai_ring_reserve(c, cai_cfg.ring_size, rec, pos, pad, &half))
		return FULL;
	/* Crossing half the ring: the collector may be asleep or behind; ask
	 * for a drain now, once per crossing. */
	if (half)
		(void)kick(false);
	return RESERVED;
}

/* Wait for room while the collector makes progress; false on timeout or
 * when the collector closed the ring. */
static bool wait_for_room(struct cai_ring_ctl *c, uint32_t rec)
{
	if (atomic_load(&degraded))
		return false;
	long long budget = (long long)cai_cfg.timeout_ms * 1000000LL;
	long long deadline = now_ns() + budget;
	uint64_t last_tail = atomic_load(&c->tail);
	if (!kick(false)) {
		atomic_store(&c->closed, CAI_RING_FINISHED); /* as good as: nobody will read it */
		return false;
	}
	for (;;) {
		uint32_t seq = atomic_load(&c->tail_seq);
		atomic_store(&c->waiters, 1);
		uint64_t h = atomic_load(&c->head), t = atomic_load(&c->tail);
		if (atomic_load(&c->closed))
			return false;
		uint64_t size = cai_cfg.ring_size, off = h & (size - 1);
		uint64_t gap = off + rec > size ? size - off : 0;
		if (h + gap + rec - t <= size)
			return true;
		long long now = now_ns();
		if (t != last_tail) {
			last_tail = t;
			deadline = now + budget;
		}
		if (now >= deadline) {
			atomic_store(&degraded, 1);
			return false;
		}
		long long left = deadline - now;
		if (left > 20000000LL)
			left = 20000000LL; /* look again now and then: a kick may have been lost */
		struct timespec ts = {0, (long)left};
		cai_syscall(SYS_futex, &c->tail_seq, FUTEX_WAIT, seq, &ts, NULL, 0);
		if (atomic_load(&c->tail) == last_tail && !kick(false)) {
			atomic_store(&c->closed, CAI_RING_FINISHED);
			return false;
		}
	}
}

/* A ring accepted after its registration stopped waiting for the answer:
 * once the collector says it reads the ring for as long as the process
 * lives, the connection held for it goes. */
static void let_go_of_connection(struct cai_ring_ctl *c)
{
	unsigned bound = atomic_load_explicit(&ring_conn, memory_order_relaxed);
	if (bound && atomic_load_explicit(&c->accepted, memory_order_relaxed) == CAI_RING_ACCEPTED_DETACHED &&
	    atomic_compare_exchange_strong(&ring_conn, &bound, 0))
		cai_transport_reconnect(bound);
}

int cai_ring_send(const char *buf, size_t len, bool may_create)
{
	if (len > CAI_RING_RECORD_MAX)
		return CAI_RING_NONE;
	atomic_fetch_add(&ring_users, 1);
	struct cai_ring_ctl *c = current_ring(may_create);
	if (!c) {
		atomic_fetch_sub(&ring_users, 1);
		return CAI_RING_NONE;
	}
	uint32_t why_closed = atomic_load_explicit(&c->closed, memory_order_relaxed);
	if (why_closed) {
		/* Refused for good (the collector's budget): messages from now
		 * on, and nothing was ever written to this ring. */
		if (why_closed == CAI_RING_REFUSED) {
			atomic_store(&ring_off, 1);
			refused(c);
		} else {
			abandon(c);
		}
		atomic_fetch_sub(&ring_users, 1);
		return CAI_RING_NONE;
	}
	if (!atomic_load_explicit(&c->accepted, memory_order_acquire)) {
		/* Not read yet: this event goes as a message, before any in
		 * the ring, as the collector reads them in that order. */
		atomic_fetch_sub(&ring_users, 1);
		return CAI_RING_NONE;
	}
	uint32_t rec = cai_ring_record_size((uint32_t)len);
	uint64_t pos;
	uint32_t pad;
	while (reserve(c, rec, &pos, &pad) == FULL) {
		if (!wait_for_room(c, rec)) {
			bool closed = atomic_load(&c->closed);
			if (closed)
				abandon(c);
			atomic_fetch_sub(&ring_users, 1);
			return closed ? CAI_RING_NONE : CAI_RING_LOST;
		}
	}
	atomic_store(&degraded, 0);
	cai_ring_commit(c, cai_cfg.ring_size, pos, pad, buf, (uint32_t)len);
	/* Pairs with the collector's fence between setting wake and reading
	 * head: either it sees this record, or we see its request. */
	atomic_thread_fence(memory_order_seq_cst);
	bool alive = true;
	if (atomic_load_explicit(&c->wake, memory_order_relaxed) && atomic_exchange(&c->wake, 0))
		alive = kick(false);
	else
		alive = collector_looks_alive(c);
	if (!alive)
		abandon(c); /* this event too is counted, if it was never read */
	else
		let_go_of_connection(c);
	atomic_fetch_sub(&ring_users, 1);
	return CAI_RING_SENT;
}

int cai_ring_send_inherited(const char *buf, size_t len, bool foreign)
{
	if (len > CAI_RING_RECORD_MAX)
		return CAI_RING_NONE;
	/* ring_users keeps another thread of a vfork parent (whose memory
	 * this is) from unmapping the ring under us. */
	atomic_fetch_add(&ring_users, 1);
	struct cai_ring_ctl *c = foreign ? atomic_load(&ring) : NULL;
	if (!c)
		c = atomic_load(&inherited);
	int rc = CAI_RING_NONE;
	uint32_t rec = cai_ring_record_size((uint32_t)len);
	uint64_t pos;
	uint32_t pad;
	bool half; /* no kick: the last words of a process about to exec */
	if (!c || atomic_load_explicit(&c->closed, memory_order_relaxed) ||
	    atomic_load_explicit(&c->accepted, memory_order_acquire) != CAI_RING_ACCEPTED_DETACHED ||
	    !cai_ring_reserve(c, cai_cfg.ring_size, rec, &pos, &pad, &half))
		goto out;
	cai_ring_commit(c, cai_cfg.ring_size, pos, pad, buf, (uint32_t)len);
	/* Pairs with the collector's fence between setting CLOSING and its
	 * last read: either that read sees this record, or we see CLOSING. */
	atomic_thread_fence(memory_order_seq_cst);
	rc = CAI_RING_SENT;
	if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
		await_finished(c);
		/* Read to its end after all, or sent again on a connection. */
		if (atomic_load(&c->closed) != CAI_RING_FINISHED || atomic_load(&c->tail) < pos + pad + rec)
			rc = CAI_RING_NONE;
	}
out:
	atomic_fetch_sub(&ring_users, 1);
	return rc;
}

void cai_ring_forget_inherited(void)
{
	if (!atomic_load(&inherited) || cai_in_foreign_child())
		return;
	struct cai_ring_ctl *c = atomic_exchange(&inherited, NULL);
	if (c)
		cai_syscall(SYS_munmap, c, CAI_RING_CTL_SIZE + cai_cfg.ring_size);
}

void cai_ring_connection_closing(unsigned gen)
{
	/* Writers already inside finish before the connection closes (the
	 * collector then reads what they committed); bounded, as a writer
	 * interrupted by the signal handler that calls us never finishes. */
	unsigned bound = atomic_load(&ring_conn);
	if (!bound || bound != gen || !atomic_compare_exchange_strong(&ring_conn, &bound, 0))
		return;
	struct cai_ring_ctl *c = atomic_exchange(&ring, NULL);
	if (!c)
		return;
	for (int i = 0; i < 20000 && atomic_load(&ring_users) > 0; i++)
		cai_syscall(SYS_sched_yield);
	if (atomic_load(&ring_users) == 0)
		cai_syscall(SYS_munmap, c, CAI_RING_CTL_SIZE + cai_cfg.ring_size);
}

void cai_ring_before_fork(void)
{
	/* Most forks find the ring there: no system call then. */
	if (!atomic_load(&ring) && cai_cfg.ring_size && !atomic_load(&ring_off) && !cai_in_foreign_child())
		(void)cai_ring_prepare();
}

bool cai_ring_prepare(void)
{
	/* Before every fork: no store when there is nothing to do, as each
	 * would copy a page the last fork shared (see CAI_SET). */
	if (atomic_load(&ring))
		return true;
	if (!cai_cfg.ring_size || atomic_load(&ring_off))
		return false;
	atomic_fetch_add(&ring_users, 1);
	bool have = current_ring(true) != NULL;
	atomic_fetch_sub(&ring_users, 1);
	return have;
}

void cai_ring_wait_again(void)
{
	atomic_store(&degraded, 0);
}

void cai_ring_atfork_child(void)
{
	/* The parent's ring is the parent's: its events are attributed to
	 * the process that registered it. The child sets up its own, and
	 * keeps the parent's for an exec's last words (the next ancestor's
	 * when the parent had none). */
	struct cai_ring_ctl *c = atomic_load(&ring);
	if (c) {
		atomic_store(&ring, NULL);
		struct cai_ring_ctl *old = atomic_exchange(&inherited, c);
		if (old)
			cai_syscall(SYS_munmap, old, CAI_RING_CTL_SIZE + cai_cfg.ring_size);
	}
	CAI_SET(ring_users, 0);
	CAI_SET(setting_up, 0);
	CAI_SET(degraded, 0);
	CAI_SET(next_try_ns, 0);
	CAI_SET(seen_beat_at, 0);
	CAI_SET(checked_at, 0);
	CAI_SET(ring_conn, 0);
}
