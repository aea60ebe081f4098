/* The append-only log: one JSON line per record.
 * fsync policy: lines are written with write(2) after each batch of
 * received messages, so a crash of the collector loses nothing the kernel
 * has accepted; fdatasync(2) runs at most once per second while lines are
 * being written, and always on SIGHUP (before reopening) and on exit. */
#ifndef CAI_LOGSINK_H
#define CAI_LOGSINK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Lines that could not be written wait in memory up to this much; past
 * it, new lines are dropped and counted (the log's filesystem is full or
 * failing), and the log says how many once it can be written again. */
#define LOGSINK_BACKLOG_MAX (16u << 20)

struct logsink {
	char *path;
	int fd;
	char *buf;
	size_t len, cap;
	size_t lines; /* queued in buf */
	bool dirty;   /* written since the last fdatasync */
	unsigned long write_errors;
	unsigned long long written; /* lines the kernel took */
	/* While writes fail: since when, why, and the lines dropped. */
	bool failing;
	int fail_errno;
	long long fail_since_ms;
	unsigned long long lost, lost_total;
};

int logsink_open(struct logsink *s, const char *path, struct cai_error *err);
/* Queue one line (a newline is added). */
void logsink_add(struct logsink *s, const char *line, size_t len);
/* true when no more lines may be queued (the backlog is full): the
 * caller drops the line and counts it with logsink_lost(). */
bool logsink_full(const struct logsink *s);
void logsink_lost(struct logsink *s);
/* Room for a line of at most n bytes, to be written in place; then
 * logsink_commit(len) queues the first len of them (a newline is added).
 * Nothing is queued until the commit. */
char *logsink_reserve(struct logsink *s, size_t n);
void logsink_commit(struct logsink *s, size_t len);
/* write(2) what is queued. Returns 0; 1 when the log was failing and is
 * written again (the caller says what was lost: s->lost since
 * s->fail_since_ms, then calls logsink_recovered); -1 with err on a
 * failure, and err says so only for the first of a run of failures (the
 * caller warns once, not once per loop). */
int logsink_flush(struct logsink *s, struct cai_error *err);
void logsink_recovered(struct logsink *s);
int logsink_sync(struct logsink *s, struct cai_error *err);
/* For logrotate: flush, sync, close, open the path again. */
int logsink_reopen(struct logsink *s, struct cai_error *err);
void logsink_close(struct logsink *s);

#endif
