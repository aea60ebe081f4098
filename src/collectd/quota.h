/* How many connections the collector holds at once, per user and in all,
 * so that one user (or one container) cannot take every fd it has and
 * keep everybody else's events out (issue 14, item 2).
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

struct conn_quota {
	struct {
		long key; /* a uid, or -1 - fd of a container's listening socket */
		int n;
	} e[QUOTA_SLOTS];
	int total, max_total, per_key;
	unsigned long refused;
	long long last_said_ms; /* the last rejection record about refusals */
};

/* max_total from the fd limit (RLIMIT_NOFILE) less the reserve. */
void quota_init(struct conn_quota *q, int per_key);
/* One more connection for key: false when over its share or the total. */
bool quota_take(struct conn_quota *q, long key);
void quota_give(struct conn_quota *q, long key);

#endif
