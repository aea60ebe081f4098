/* What one user (or one container) may take of the collector, so that
 * nobody can exhaust it and keep everybody else's events out (issue 14):
 * connections held at once (item 2), bytes of rings mapped (item 3), and
 * events and bytes per second (item 6).
 *
 * MUST be checked before a connection costs anything more than its fd
 * (identification reads /proc).
 * MUST leave fds in reserve for the log, rings and the collector's own
 * work: the total is below the fd limit by QUOTA_RESERVE. */
#ifndef CAI_AUDITD_QUOTA_H
#define CAI_AUDITD_QUOTA_H

#include <stdbool.h>
#include <sys/types.h>

#define QUOTA_SLOTS 1024
#define QUOTA_RESERVE 64
#define QUOTA_DEFAULT_PER_USER 256
/* Rings: 64 one-MiB rings per user, 1 GiB in all. */
#define QUOTA_DEFAULT_RING_BYTES_PER_USER (64LL << 20)
#define QUOTA_DEFAULT_RING_BYTES (1LL << 30)
/* Events per second and bytes per second per user (0: no limit); root on
 * the host has none. A burst of one second's worth is let through. */
#define QUOTA_DEFAULT_EVENTS_PER_SEC 100000
#define QUOTA_DEFAULT_BYTES_PER_SEC (64LL << 20)

struct quota_entry {
	long key; /* a uid, or -1 - N for the Nth container's socket handed over */
	int n;	  /* connections; the entry is free at 0 */
	long long ring_bytes;
	/* Token buckets, refilled by the time passed. */
	double events, bytes;
	long long refilled_ms;
	unsigned long over;	 /* events dropped over the rate, not yet said */
	unsigned long over_said; /* and already said */
	long long over_said_ms;
};

struct conn_quota {
	struct quota_entry e[QUOTA_SLOTS];
	int total, max_total, per_key;
	long long ring_bytes, max_ring_bytes, ring_bytes_per_key;
	long long events_per_sec, bytes_per_sec;
	unsigned long refused;
	unsigned long rings_refused;
	long long last_said_ms; /* the last rejection record about refusals */
};

/* max_total from the fd limit (RLIMIT_NOFILE) less the reserve. */
void quota_init(struct conn_quota *q, int per_key);
/* One more connection for key: false when over its share or the total. */
bool quota_take(struct conn_quota *q, long key);
void quota_give(struct conn_quota *q, long key);
/* The entry of a key that holds a connection, NULL if none. */
struct quota_entry *quota_entry_of(struct conn_quota *q, long key);
/* A ring of bytes for key: false when over its share or the total. */
bool quota_ring_take(struct conn_quota *q, long key, long long bytes);
void quota_ring_give(struct conn_quota *q, long key, long long bytes);
/* One event of bytes from key at now_ms: false when over its rate (then
 * counted in the entry's `over`). Root on the host (key 0) has no rate. */
bool quota_rate_take(struct conn_quota *q, long key, size_t bytes, long long now_ms);

#endif
