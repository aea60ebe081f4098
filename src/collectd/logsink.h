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

struct logsink {
	char *path;
	int fd;
	char *buf;
	size_t len, cap;
	bool dirty;           /* written since the last fdatasync */
	unsigned long write_errors;
};

int logsink_open(struct logsink *s, const char *path, struct cai_error *err);
/* Queue one line (a newline is added). */
void logsink_add(struct logsink *s, const char *line, size_t len);
/* Room for a line of at most n bytes, to be written in place; then
 * logsink_commit(len) queues the first len of them (a newline is added).
 * Nothing is queued until the commit. */
char *logsink_reserve(struct logsink *s, size_t n);
void logsink_commit(struct logsink *s, size_t len);
/* write(2) what is queued. */
int logsink_flush(struct logsink *s, struct cai_error *err);
int logsink_sync(struct logsink *s, struct cai_error *err);
/* For logrotate: flush, sync, close, open the path again. */
int logsink_reopen(struct logsink *s, struct cai_error *err);
void logsink_close(struct logsink *s);

#endif
