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
}

/* The count of key, found along its whole probe sequence first (slots
 * empty again are not an end), else a free slot claimed for it when create;
 * NULL when the table is full. */
static int *slot(struct conn_quota *q, long key, bool create)
{
	unsigned long h = (unsigned long)key * 2654435761u;
	long free_slot = -1;
	for (unsigned long i = 0; i < QUOTA_SLOTS; i++) {
		size_t k = (h + i) % QUOTA_SLOTS;
		if (q->e[k].n > 0 && q->e[k].key == key)
			return &q->e[k].n;
		if (q->e[k].n == 0 && free_slot < 0)
			free_slot = (long)k;
	}
	if (!create || free_slot < 0)
		return NULL;
	q->e[free_slot].key = key;
	return &q->e[free_slot].n;
}

bool quota_take(struct conn_quota *q, long key)
{
	int *n = q->total < q->max_total ? slot(q, key, true) : NULL;
	if (!n || *n >= q->per_key) {
		q->refused++;
		return false;
	}
	(*n)++;
	q->total++;
	return true;
}

void quota_give(struct conn_quota *q, long key)
{
	int *n = slot(q, key, false);
	if (n && *n > 0) {
		(*n)--;
		q->total--;
	}
}
