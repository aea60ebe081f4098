/* Invariants:
 * - The shared memory is written by the audited process, which may be
 *   buggy or hostile: every word is loaded once, checked against the
 *   private copy of the size and the private read position, and a payload
 *   is copied out before it is looked at. A bad word makes the ring
 *   corrupt (reported, no longer read), never an access outside the map.
 * - The mapping cannot shrink under us: attach insists on F_SEAL_SHRINK.
 * - Nothing here writes to the data area (issue 14, item 3: zeroing a
 *   sparse ring's padding made the collector pay for pages the writer
 *   never touched). A record's word carries its lap; a word of another lap
 *   is not written yet. Only the control page is written.
 * - tail moves after the log write (the caller calls ring_release then),
 *   so a collector killed in between leaves the events counted as
 *   unconsumed by the writer. */
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int ring_attach(struct ring_reader *r, int memfd, uint64_t size, struct cai_error *err)
{
	memset(r, 0, sizeof(*r));
	if (!cai_ring_size_ok(size))
		return cai_error_set(err, 0, "ring size %llu is not a power of two from %u to %u",
				     (unsigned long long)size, CAI_RING_DATA_MIN, CAI_RING_DATA_MAX);
	int seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0)
		return cai_error_set(err, 0, "the ring is not a memfd");
	if (!(seals & F_SEAL_SHRINK))
		return cai_error_set(err, 0, "the ring's memfd is not sealed against shrinking");
	struct stat st;
	if (fstat(memfd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != CAI_RING_CTL_SIZE + size)
		return cai_error_set(err, 0, "the ring's memfd is not %llu bytes",
				     (unsigned long long)(CAI_RING_CTL_SIZE + size));
	size_t len = CAI_RING_CTL_SIZE + (size_t)size;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (m == MAP_FAILED)
		return cai_error_set(err, errno, "map the ring");
	struct cai_ring_ctl *c = m;
	if (c->magic != CAI_RING_MAGIC || c->version != CAI_RING_VERSION || c->data_size != size) {
		munmap(m, len);
		return cai_error_set(err, 0, "the ring's header does not match (magic, version or size)");
	}
	r->ctl = c;
	r->data = (const char *)m + CAI_RING_CTL_SIZE;
	r->size = size;
	r->map_len = len;
	r->rd = r->released = atomic_load(&c->tail);
	r->stuck_pos = UINT64_MAX;
	return 0;
}

void ring_accept(struct ring_reader *r, uint32_t how)
{
	atomic_store_explicit(&r->ctl->accepted, how, memory_order_release);
}

int ring_refuse(int memfd)
{
	/* The control page alone: the writer has touched it (its header),
	 * so mapping it costs us nothing, and the data area is never mapped. */
	struct stat st;
	int seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(memfd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)CAI_RING_CTL_SIZE)
		return -1; /* mapping a FUSE file could block us, a shrinkable one fault */
	struct cai_ring_ctl *c = mmap(NULL, CAI_RING_CTL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (c == MAP_FAILED)
		return -1;
	atomic_store(&c->closed, CAI_RING_REFUSED);
	munmap(c, CAI_RING_CTL_SIZE);
	return 0;
}

uint64_t ring_unread(const struct ring_reader *r)
{
	uint64_t h = atomic_load_explicit(&r->ctl->head, memory_order_acquire);
	return h - r->rd <= r->size ? h - r->rd : 0;
}

int ring_read(struct ring_reader *r, int max, long long now_ms, long long stuck_ms, ring_event_fn fn, void *ctx,
	      struct cai_error *err)
{
	static char payload[CAI_RING_RECORD_MAX];
	atomic_store_explicit(&r->ctl->beat_ns, (uint64_t)now_ms * 1000000ULL, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->ctl->head, memory_order_acquire);
	if (head - r->released > r->size)
		return cai_error_set(err, 0, "ring corrupt: head %llu is more than a ring ahead of tail %llu",
				     (unsigned long long)head, (unsigned long long)r->released);
	int n = 0;
	while (r->rd != head && (max < 0 || n < max)) {
		uint64_t off = r->rd & (r->size - 1), left = head - r->rd;
		const _Atomic uint64_t *wp = (const _Atomic uint64_t *)(const void *)(r->data + off);
		uint64_t word = atomic_load_explicit(wp, memory_order_acquire);
		uint32_t w = (uint32_t)word;
		if ((uint32_t)(word >> 32) != cai_ring_lap(r->rd, r->size) || !(w & CAI_RING_COMMIT)) {
			/* Being written, or never to be finished. */
			if (r->stuck_pos != r->rd) {
				r->stuck_pos = r->rd;
				r->stuck_since_ms = now_ms;
			} else if (now_ms - r->stuck_since_ms >= stuck_ms) {
				return cai_error_set(err, 0,
						     "ring: an event has stayed incomplete for %lld ms (its writer "
						     "was interrupted for good); %llu bytes unread",
						     now_ms - r->stuck_since_ms, (unsigned long long)left);
			}
			break;
		}
		uint32_t len = w & CAI_RING_LEN_MASK;
		uint64_t rec;
		if (w & CAI_RING_PAD) {
			if ((w & ~(CAI_RING_COMMIT | CAI_RING_PAD | CAI_RING_LEN_MASK)) || len != r->size - off ||
			    len > left)
				return cai_error_set(err, 0, "ring corrupt: bad padding word 0x%08x at %llu", w,
						     (unsigned long long)off);
			r->rd += len;
			continue;
		}
		rec = cai_ring_record_size(len);
		if ((w & ~(CAI_RING_COMMIT | CAI_RING_LEN_MASK)) || len == 0 || len > CAI_RING_RECORD_MAX ||
		    off + rec > r->size || rec > left)
			return cai_error_set(err, 0, "ring corrupt: bad record word 0x%08x at %llu", w,
					     (unsigned long long)off);
		memcpy(payload, r->data + off + 8, len);
		r->rd += rec;
		r->read_events++;
		n++;
		fn(ctx, payload, len);
	}
	return n;
}

void ring_release(struct ring_reader *r)
{
	if (r->rd == r->released)
		return;
	struct cai_ring_ctl *c = r->ctl;
	atomic_fetch_add_explicit(&c->consumed, r->read_events, memory_order_relaxed);
	r->read_events = 0;
	r->released = r->rd;
	atomic_store_explicit(&c->tail, r->rd, memory_order_release);
	atomic_fetch_add(&c->tail_seq, 1);
	if (atomic_exchange(&c->waiters, 0))
		syscall(SYS_futex, &c->tail_seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

bool ring_request_wake(struct ring_reader *r)
{
	atomic_store(&r->ctl->wake, 1);
	/* Pairs with the writer's fence between committing and reading wake. */
	atomic_thread_fence(memory_order_seq_cst);
	if (ring_unread(r) == 0)
		return false;
	/* An unfinished event first: its writer reads wake after committing
	 * and kicks, so there is nothing to read until then. */
	const _Atomic uint64_t *wp = (const _Atomic uint64_t *)(const void *)(r->data + (r->rd & (r->size - 1)));
	uint64_t word = atomic_load_explicit(wp, memory_order_acquire);
	return (uint32_t)(word >> 32) == cai_ring_lap(r->rd, r->size) && (word & CAI_RING_COMMIT);
}

long long ring_stuck_in_ms(const struct ring_reader *r, long long now_ms, long long stuck_ms)
{
	if (ring_unread(r) == 0)
		return -1;
	if (r->stuck_pos != r->rd)
		return 0; /* not looked at yet: ring_read starts the clock */
	long long left = r->stuck_since_ms + stuck_ms - now_ms;
	return left > 0 ? left : 0;
}

void ring_closing(struct ring_reader *r)
{
	atomic_store(&r->ctl->closed, CAI_RING_CLOSING);
	/* Pairs with the fence of a child that writes its exec event here
	 * (audit_ring.h, 6): either the last read sees its record, or it
	 * sees CLOSING and waits for FINISHED. */
	atomic_thread_fence(memory_order_seq_cst);
}

void ring_detach(struct ring_reader *r)
{
	if (!r->ctl)
		return;
	atomic_store(&r->ctl->closed, CAI_RING_FINISHED);
	atomic_fetch_add(&r->ctl->tail_seq, 1);
	syscall(SYS_futex, &r->ctl->tail_seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	munmap(r->ctl, r->map_len);
	r->ctl = NULL;
}
