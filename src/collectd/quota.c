#include "quota.h"

#include <string.h>
#include <sys/resource.h>

void quota_init(struct conn_quota *q, int per_key)
{
	memset(q, 0, sizeof(*q));
	struct rlimit rl;
	long limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
	q->max_total = limit > 2 * QUOTA_RESERVE ? (int)(limit - QUOTA_RESERVE) : (int)(limit / 2);
	q->per_key = per_key > 0 ? per_key : QUOTA_DEFAULT_PER_USER;
	q->max_ring_bytes = QUOTA_DEFAULT_RING_BYTES;
	q->ring_bytes_per_key = QUOTA_DEFAULT_RING_BYTES_PER_USER;
	q->events_per_sec = QUOTA_DEFAULT_EVENTS_PER_SEC;
	q->bytes_per_sec = QUOTA_DEFAULT_BYTES_PER_SEC;
}

/* The count of key, found along its whole probe sequence first (slots
 * empty again are not an end), else a free slot claimed for it when create;
 * NULL when the table is full. */
static struct quota_entry *slot(struct conn_quota *q, long key, bool create)
{
	unsigned long h = (unsigned long)key * 2654435761u;
	long free_slot = -1;
	for (unsigned long i = 0; i < QUOTA_SLOTS; i++) {
		size_t k = (h + i) % QUOTA_SLOTS;
		if (q->e[k].n > 0 && q->e[k].key == key)
			return &q->e[k];
		if (q->e[k].n == 0 && free_slot < 0)
			free_slot = (long)k;
	}
	if (!create || free_slot < 0)
		return NULL;
	memset(&q->e[free_slot], 0, sizeof(q->e[free_slot]));
	q->e[free_slot].key = key;
	return &q->e[free_slot];
}

bool quota_take(struct conn_quota *q, long key)
{
	struct quota_entry *e = q->total < q->max_total ? slot(q, key, true) : NULL;
	if (!e || e->n >= q->per_key) {
		q->refused++;
		return false;
	}
	e->n++;
	q->total++;
	return true;
}

void quota_give(struct conn_quota *q, long key)
{
	struct quota_entry *e = slot(q, key, false);
	if (e && e->n > 0) {
		e->n--;
		q->total--;
	}
}

struct quota_entry *quota_entry_of(struct conn_quota *q, long key)
{
	return slot(q, key, false);
}

bool quota_ring_take(struct conn_quota *q, long key, long long bytes)
{
	struct quota_entry *e = slot(q, key, false);
	if (!e || e->ring_bytes + bytes > q->ring_bytes_per_key || q->ring_bytes + bytes > q->max_ring_bytes) {
		q->rings_refused++;
		return false;
	}
	e->ring_bytes += bytes;
	q->ring_bytes += bytes;
	return true;
}

void quota_ring_give(struct conn_quota *q, long key, long long bytes)
{
	struct quota_entry *e = slot(q, key, false);
	if (e)
		e->ring_bytes -= bytes;
	q->ring_bytes -= bytes;
}

bool quota_rate_take(struct conn_quota *q, long key, size_t bytes, long long now_ms)
{
	if (key == 0 || (q->events_per_sec == 0 && q->bytes_per_sec == 0))
		return true;
	struct quota_entry *e = slot(q, key, false);
	if (!e)
		return true;
	/* A full bucket holds one second's worth. */
	double ev_cap = (double)q->events_per_sec, by_cap = (double)q->bytes_per_sec;
	if (e->refilled_ms == 0) {
		e->events = ev_cap;
		e->bytes = by_cap;
	} else if (now_ms > e->refilled_ms) {
		double sec = (double)(now_ms - e->refilled_ms) / 1000.0;
		e->events = e->events + sec * ev_cap < ev_cap ? e->events + sec * ev_cap : ev_cap;
		e->bytes = e->bytes + sec * by_cap < by_cap ? e->bytes + sec * by_cap : by_cap;
	}
	e->refilled_ms = now_ms;
	if ((q->events_per_sec && e->events < 1.0) || (q->bytes_per_sec && e->bytes < (double)bytes)) {
		e->over++;
		return false;
	}
	e->events -= 1.0;
	e->bytes -= (double)bytes;
	return true;
}
