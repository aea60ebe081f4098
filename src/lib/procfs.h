/* Reading the small text files of /proc and /sys. */
#ifndef CAI_PROCFS_H
#define CAI_PROCFS_H

#include "error.h"

/* Read at most cap-1 bytes of path into buf, NUL-terminated.
 * Returns the length, or -1 with err set (err->errnum tells ENOENT etc.). */
ssize_t cai_read_small_file(const char *path, char *buf, size_t cap, struct cai_error *err);

/* Same, with trailing newlines removed. */
ssize_t cai_read_small_file_trim(const char *path, char *buf, size_t cap, struct cai_error *err);

/* The start of a /proc file that is one record (/proc/PID/status, stat),
 * NUL-terminated, with one read: a seq_file hands out the record it has
 * just generated whole, or its first cap-1 bytes, at the first read, and
 * a second read would only find the end of the file. */
ssize_t cai_read_proc_head(const char *path, char *buf, size_t cap, struct cai_error *err);

/* The pid a pidfile holds: a whole number from 2 to INT32_MAX, or 0 when
 * the file is missing, unreadable or holds anything else. Whether that
 * process is still the one that wrote it is the caller's question. */
pid_t cai_read_pidfile(const char *path);

/* Find "Key:\tvalue" in the text of a /proc/PID/status file.
 * Returns the value (the first of several, as for Uid:) as a long, or -1 when the key is absent or not a number. */
long cai_status_field(const char *status_text, const char *key);

/* The Name: of a /proc/PID/status text, the task's comm, unescaped: the
 * kernel writes a newline there as a backslash and an n, and a backslash
 * as two, and escapes nothing else, so the result is what /proc/PID/comm
 * holds before its final newline. Returns its length (cut to cap-1 bytes),
 * or -1 when the text has no Name: line. */
ssize_t cai_status_name(const char *status_text, char *out, size_t cap);

/* true when the whitespace-separated list contains word exactly. */
bool cai_word_list_contains(const char *list, const char *word);

#endif
