/* A bounded, allocation-free JSON writer for the shim's fixed event shape.
 *
 * MUST NOT allocate, lock, or call anything that is not async-signal-safe:
 * it runs inside hooks that may be reached from a signal handler or a vfork
 * child. MUST always produce a complete, valid JSON document in the caller's
 * buffer, however long the inputs: strings are cut (at a code point boundary)
 * and the writer records that it cut something. Parsing is never done here;
 * the collector validates every event with libjq. */
#ifndef CAI_SHIM_EVENT_H
#define CAI_SHIM_EVENT_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* O_TMPFILE without the O_DIRECTORY it includes: glibc's __O_TMPFILE, the
 * bit for which its open() reads a mode argument (musl tests the whole
 * O_TMPFILE, a narrower test) and the one the event's flags name. */
#ifdef __O_TMPFILE
#define CAI_O_TMPFILE_BIT __O_TMPFILE
#else
#define CAI_O_TMPFILE_BIT (O_TMPFILE & ~O_DIRECTORY)
#endif

#define CAI_AUDIT_SCHEMA_VERSION 1
/* Largest event the shim sends; the collector rejects anything larger. */
#define CAI_EV_MAX 8192
/* Bytes kept free for closing brackets and the trailing fields. */
#define CAI_EV_RESERVE 320
#define CAI_EV_DEPTH 8

struct cai_ev {
	char *buf;
	size_t len, cap;
	int depth;
	bool need_comma[CAI_EV_DEPTH];
	char closer[CAI_EV_DEPTH];
	bool truncated; /* a string or list was cut to fit */
};

void cai_ev_init(struct cai_ev *e, char *buf, size_t cap);
/* key is NULL inside arrays. */
void cai_ev_obj_begin(struct cai_ev *e, const char *key);
void cai_ev_obj_end(struct cai_ev *e);
void cai_ev_arr_begin(struct cai_ev *e, const char *key);
void cai_ev_arr_end(struct cai_ev *e);
/* A string of at most limit input bytes (and never past the reserve);
 * s == NULL writes null. */
void cai_ev_str(struct cai_ev *e, const char *key, const char *s, size_t limit);
void cai_ev_strn(struct cai_ev *e, const char *key, const char *s, size_t n, size_t limit);
void cai_ev_int(struct cai_ev *e, const char *key, long long v);
void cai_ev_uint(struct cai_ev *e, const char *key, unsigned long long v);
void cai_ev_bool(struct cai_ev *e, const char *key, bool v);
void cai_ev_null(struct cai_ev *e, const char *key);
/* True while there is room for another list element of about need bytes. */
bool cai_ev_room(const struct cai_ev *e, size_t need);
/* Close every open bracket; returns the length (no terminating newline). */
size_t cai_ev_finish(struct cai_ev *e);

/* Formatting helpers that write into caller buffers. */
/* "2026-11-22T07:19:56.123456789Z" from a CLOCK_REALTIME timespec. */
void cai_ev_fmt_utc(char out[static 32], long long sec, long nsec);
/* "12345.123456789" */
void cai_ev_fmt_mono(char out[static 32], long long sec, long nsec);
/* Writes the O_* names set in flags into the current array. */
void cai_ev_open_flags(struct cai_ev *e, const char *key, int flags);
/* "0644" */
void cai_ev_fmt_mode(char out[static 8], unsigned mode);
/* "ENOENT", or "E<n>". */
const char *cai_ev_errno_name(int err, char buf[static 16]);
/* Writes "family" and the address fields of a sockaddr. */
struct sockaddr;
void cai_ev_sockaddr(struct cai_ev *e, const struct sockaddr *sa, unsigned len);

#endif
