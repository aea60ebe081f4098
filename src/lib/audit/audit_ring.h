/* The shared-memory ring that carries audit events from a process running
 * libcai-auditshim.so to cai-auditd without a system call per event.
 *
 * Protocol (docs/audit-events.md, "Transport"):
 * 1. The shim creates a sealed memfd (control page + data area), maps it,
 *    connects to the collector's SOCK_SEQPACKET socket (a connection for
 *    this alone) and sends one registration record (CAI_WIRE_RING,
 *    "size": N) with the memfd (SCM_RIGHTS). The collector checks the
 *    memfd (a memfd, F_SEAL_SHRINK set, the expected size), maps it too,
 *    and takes a pidfd of the registering process (SO_PEERPIDFD, else
 *    pidfd_open of SO_PEERCRED's pid). Every event in that ring is
 *    attributed to that connection's peer. It then sets `accepted`:
 *    CAI_RING_ACCEPTED_DETACHED when it holds the pidfd (it reads the ring
 *    until that process exits or registers another ring, as after an
 *    exec), CAI_RING_ACCEPTED_BOUND otherwise (until the connection
 *    closes), and answers CAI_WIRE_RING_ACK. The shim waits for the
 *    answer (CAI_RING_ACK_WAIT_MS) and closes a detached ring's connection:
 *    it holds no fd between events. Until the shim sees `accepted`, it
 *    sends its events as messages on the connection, which it keeps (so
 *    nothing is written into a ring that will not be read, and the order
 *    of events holds). A collector over its ring budget sets `closed` to
 *    CAI_RING_REFUSED instead, through the control page alone, and
 *    answers: the shim sends messages from then on.
 * 2. Writers (any thread, signal handlers) reserve space by a
 *    compare-and-swap on `head`, copy the event in, and publish it by
 *    storing its record word with CAI_RING_COMMIT (release order).
 * 3. The collector copies committed records out, checks each one exactly
 *    like a socket message, and advances `tail` and `consumed` once the
 *    lines are in the log; it bumps `tail_seq` (a futex word) and wakes
 *    writers that wait for room. It never writes to the data area: a
 *    record's word carries the lap it was written in, so what a reader
 *    left behind is never mistaken for a new record, and the pages of a
 *    ring stay charged to the process that touched them.
 * 4. An idle collector sets `wake`; the first writer to commit after that
 *    sends a kick record (CAI_WIRE_KICK): on a bound ring's connection, or
 *    on a connection of its own for a detached ring. A writer that finds
 *    the ring half full also kicks. Otherwise no system call is made. An
 *    idle collector still looks at every ring once a second.
 * 5. The collector sets `closed` when it stops reading a ring; the shim
 *    then counts what was never consumed (`committed` - `consumed`) as
 *    dropped and starts over with a new ring. A collector that was killed
 *    cannot say so: it stamps `beat_ns` each time it looks at the ring,
 *    and a writer that finds the stamp stale (CAI_RING_BEAT_STALE_NS)
 *    kicks. For a bound ring, a kick that fails because the peer is gone
 *    counts as `closed`; for a detached one the kick asks, and the
 *    collector answers CAI_WIRE_RING_UNKNOWN when it reads no ring of that
 *    process (it was restarted): that, nobody listening on the socket, or
 *    a stamp stale for CAI_RING_BEAT_DEAD_NS counts as `closed`.
 * 6. A forked (or vforked) child that execs writes its exec event (its
 *    last words) into the ring of the process it was forked from, which
 *    it still has mapped, instead of opening a connection of its own: the
 *    event is attributed to that ring's registration (the parent, in the
 *    same container), its `pid` is the child's claim. Only a ring read for
 *    as long as its registering process lives (DETACHED) is used, and no
 *    kick is sent (an idle collector looks within a second, and before it
 *    takes any new connection). As the parent may exit meanwhile, the
 *    collector sets `closed` to CAI_RING_CLOSING before it reads a ring
 *    to its end and CAI_RING_FINISHED once `tail` is final; the child
 *    reads `closed` after committing (a full fence between): 0 means the
 *    last read will see the event; otherwise it waits for FINISHED
 *    (bounded) and sends the event on a connection unless `tail` passed
 *    it. An earlier event that its writer never finished stops the read
 *    there; the collector reports the bytes left as a rejection.
 *
 * Records are 8-byte aligned: a 64-bit word, then the payload (one record
 * of audit_wire.h). The word's high half is the lap it belongs to (the
 * record's position divided by the data size, cut to 32 bits), its low
 * half CAI_RING_COMMIT | length once the record is complete; a word of
 * another lap is not written yet. A CAI_RING_PAD record fills the end of
 * the data area when an event does not fit before the wrap (its length
 * counts the whole gap, word included).
 *
 * The collector MUST treat all of this memory as hostile: it reads every
 * word once, bounds-checks it, and copies a payload out before checking it.
 * Nothing the shim writes here can make it read outside the mapping, and
 * the seal keeps the mapping from shrinking under it (no SIGBUS). */
#ifndef CAI_AUDIT_RING_H
#define CAI_AUDIT_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "audit_wire.h"

#define CAI_RING_MAGIC 0x32474e4952494143ULL /* "CAIRING2" */
#define CAI_RING_VERSION 2
#define CAI_RING_CTL_SIZE 4096u
#define CAI_RING_DATA_MIN (64u * 1024)
#define CAI_RING_DATA_MAX (16u * 1024 * 1024)
#define CAI_RING_DATA_DEFAULT (1024u * 1024)
#define CAI_RING_RECORD_MAX CAI_WIRE_RECORD_MAX

#define CAI_RING_COMMIT 0x80000000u
#define CAI_RING_PAD 0x40000000u
#define CAI_RING_LEN_MASK 0x00ffffffu

struct cai_ring_ctl {
	uint64_t magic;
	uint32_t version;
	uint32_t data_size; /* a power of two, DATA_MIN..DATA_MAX */

	/* Written by the shim. */
	alignas(64) _Atomic uint64_t head; /* bytes reserved, ever */
	_Atomic uint64_t committed;	   /* events published, ever */
	_Atomic uint32_t wake;		   /* set by the collector: kick me */

	/* Written by the collector. */
	alignas(64) _Atomic uint64_t tail; /* bytes released, ever */
	_Atomic uint64_t consumed;	   /* events released, ever */
	_Atomic uint32_t tail_seq;	   /* futex word, bumped per release */
	_Atomic uint32_t waiters;	   /* writers asleep on tail_seq */
	_Atomic uint32_t closed;	   /* the collector no longer reads */
	_Atomic uint32_t accepted;	   /* the collector reads this ring */
	_Atomic uint64_t beat_ns;	   /* CLOCK_MONOTONIC of its last look */
};

_Static_assert(sizeof(struct cai_ring_ctl) <= CAI_RING_CTL_SIZE, "control page");

/* Bytes a record with an n-byte payload takes. */
static inline uint32_t cai_ring_record_size(uint32_t n)
{
	return (8u + n + 7u) & ~7u;
}

/* The lap of position pos in a ring of size bytes (a power of two). */
static inline uint32_t cai_ring_lap(uint64_t pos, uint64_t size)
{
	return (uint32_t)(pos / size);
}

static inline uint64_t cai_ring_word(uint32_t lap, uint32_t low)
{
	return (uint64_t)lap << 32 | low;
}

/* The writer's side, shared by the shim's two writers (a process's own
 * events, and an exec's last words in its parent's ring). Reserve
 * rec bytes (cai_ring_record_size) in the ring of `size` data bytes, with
 * the gap to the end of the data area in *pad when the record does not
 * fit before the wrap; false when there is no room. *half: this
 * reservation took the ring past half full (the writer kicks then). */
static inline _Bool cai_ring_reserve(struct cai_ring_ctl *c, uint64_t size, uint32_t rec, uint64_t *pos, uint32_t *pad,
				     _Bool *half)
{
	uint64_t h = atomic_load_explicit(&c->head, memory_order_relaxed);
	for (;;) {
		uint64_t t = atomic_load_explicit(&c->tail, memory_order_acquire);
		uint64_t off = h & (size - 1);
		uint32_t gap = off + rec > size ? (uint32_t)(size - off) : 0;
		if (h - t > size || h + gap + rec - t > size)
			return 0;
		if (atomic_compare_exchange_weak_explicit(&c->head, &h, h + gap + rec, memory_order_relaxed,
							  memory_order_relaxed)) {
			*pos = h;
			*pad = gap;
			*half = h - t < size / 2 && h + gap + rec - t >= size / 2;
			return 1;
		}
	}
}

/* Write the len-byte payload into what cai_ring_reserve gave, then
 * publish it (the padding first, the record's word last, release order)
 * and count it in `committed`. */
static inline void cai_ring_commit(struct cai_ring_ctl *c, uint64_t size, uint64_t pos, uint32_t pad,
				   const void *payload, uint32_t len)
{
	char *data = (char *)c + CAI_RING_CTL_SIZE;
	if (pad)
		atomic_store_explicit((_Atomic uint64_t *)(void *)(data + (pos & (size - 1))),
				      cai_ring_word(cai_ring_lap(pos, size), CAI_RING_COMMIT | CAI_RING_PAD | pad),
				      memory_order_release);
	_Atomic uint64_t *w = (_Atomic uint64_t *)(void *)(data + ((pos + pad) & (size - 1)));
	__builtin_memcpy((char *)w + 8, payload, len);
	atomic_store_explicit(w, cai_ring_word(cai_ring_lap(pos + pad, size), CAI_RING_COMMIT | len),
			      memory_order_release);
	atomic_fetch_add_explicit(&c->committed, 1, memory_order_release);
}

/* The registration record (CAI_WIRE_RING) of a ring of size data bytes:
 * sent with the memfd as SCM_RIGHTS. */
#define CAI_RING_REGISTRATION_LEN (CAI_WIRE_HEADER + 2 + 8)
static inline void cai_ring_registration(unsigned char msg[CAI_RING_REGISTRATION_LEN], uint64_t size)
{
	cai_wire_header(msg, CAI_WIRE_RING);
	msg[CAI_WIRE_HEADER] = CAI_T_UINT;
	msg[CAI_WIRE_HEADER + 1] = CAI_K_SIZE;
	__builtin_memcpy(msg + CAI_WIRE_HEADER + 2, &size, 8);
}

static inline int cai_ring_size_ok(uint64_t n)
{
	return n >= CAI_RING_DATA_MIN && n <= CAI_RING_DATA_MAX && (n & (n - 1)) == 0;
}

/* `closed`: the collector is reading the ring to its end (its writer
 * exited or exec'd) and will then let it go; a ring it would not take
 * (over its budget); a ring let go for good: `tail` and `consumed` say
 * what was read, and nothing more will be. */
#define CAI_RING_CLOSING 1u
#define CAI_RING_REFUSED 2u
#define CAI_RING_FINISHED 3u

/* `accepted`: read while the registering connection is open (the shim
 * keeps it: a kernel without pidfds, or an older collector), or read for
 * as long as the registering process lives (the shim closes the
 * connection and holds no fd between events). */
#define CAI_RING_ACCEPTED_BOUND 1u
#define CAI_RING_ACCEPTED_DETACHED 2u

/* What the collector answers on the connection once it has taken or
 * refused a registration: the shim waits for it (at most
 * CAI_RING_ACK_WAIT_MS) before it reads `accepted` and `closed`. */
#define CAI_WIRE_RING_ACK "{\"ring\":1}"
#define CAI_RING_ACK_WAIT_MS 100
/* The answer to a kick on a connection without a ring: the collector
 * reads a ring of the kicking process (CAI_WIRE_RING_ACK), or none
 * (this one: it was restarted since, and the ring is read by nobody). */
#define CAI_WIRE_RING_UNKNOWN "{\"ring\":0}"

/* A writer kicks a collector whose stamp has not moved for STALE; a stamp
 * that has not moved for DEAD while events wait means nobody reads the
 * ring (the collector died or was restarted and does not know it): the
 * writer counts what is unread as lost and registers a new ring. An idle
 * collector still looks at every ring once a second. */
#define CAI_RING_BEAT_STALE_NS (250LL * 1000 * 1000)
#define CAI_RING_BEAT_DEAD_NS (5000LL * 1000 * 1000)

#endif
