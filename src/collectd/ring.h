/* cai-auditd's side of a process's shared-memory ring (protocol:
 * src/lib/audit/audit_ring.h). The memory is shared with the audited process,
 * so everything in it is hostile input: see ring.c. */
#ifndef CAI_AUDITD_RING_H
#define CAI_AUDITD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_ring.h"
#include "error.h"

struct ring_reader {
	struct cai_ring_ctl *ctl;
	const char *data;
	uint64_t size; /* checked once at attach; never read back from ctl */
	size_t map_len;
	uint64_t rd;	   /* next byte to read */
	uint64_t released; /* what tail says */
	uint64_t read_events;
	uint64_t stuck_pos;
	long long stuck_since_ms;
};

/* Check that memfd is a sealed memfd of size `CAI_RING_CTL_SIZE + size`
 * whose header agrees, and map it (ring_accept then tells the writer).
 * Does not take over memfd. */
int ring_attach(struct ring_reader *r, int memfd, uint64_t size, struct cai_error *err);

/* Tell the writer we read the ring from now on, and for how long
 * (CAI_RING_ACCEPTED_BOUND or _DETACHED). */
void ring_accept(struct ring_reader *r, uint32_t how);

/* Tell the writer of a ring we will not read (over the budget) to send
 * messages instead: its control page says CAI_RING_REFUSED. */
int ring_refuse(int memfd);

typedef void (*ring_event_fn)(void *ctx, const char *buf, size_t len);

/* Hand up to max complete events (max < 0: all) to fn, each copied out of
 * the shared memory first. Returns how many, or -1 with err set when the
 * ring is corrupt or an event has stayed incomplete for longer than
 * stuck_ms (the writer was interrupted for good): stop reading it then. */
int ring_read(struct ring_reader *r, int max, long long now_ms, long long stuck_ms, ring_event_fn fn, void *ctx,
	      struct cai_error *err);

/* Everything read so far is in the log: publish tail and wake
 * writers waiting for room. */
void ring_release(struct ring_reader *r);

/* Bytes reserved by writers and not read (yet). */
uint64_t ring_unread(const struct ring_reader *r);

/* Ask the writer to kick the collector after its next event; returns
 * true when a finished event waits already (no kick will come for it). */
bool ring_request_wake(struct ring_reader *r);

/* Bytes unread whose first event is unfinished: the ms until ring_read
 * will call it stuck (0: read now); -1 when nothing is unread. */
long long ring_stuck_in_ms(const struct ring_reader *r, long long now_ms, long long stuck_ms);

/* Say that the ring is being read to its end: a child writing an exec
 * event into its parent's ring then waits to learn whether it was read. */
void ring_closing(struct ring_reader *r);

/* Tell the writers this ring is read no more (`tail` is final), and
 * unmap it. */
void ring_detach(struct ring_reader *r);

#endif
