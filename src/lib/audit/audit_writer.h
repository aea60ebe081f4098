/* A bounded, allocation-free writer of audit records (audit_wire.h): the
 * shim's events, and the exec supervisor's (supervise.c), one encoder.
 *
 * MUST NOT allocate, lock, or call anything that is not async-signal-safe:
 * it runs inside hooks that may be reached from a signal handler or a vfork
 * child. MUST always leave a complete record in the caller's buffer, however
 * long the inputs: strings are cut (at a character boundary) and the writer
 * records that it cut something. No JSON is written here: the collector
 * checks every record and writes the log line itself, so the per-event cost
 * in the audited program is a few copies. */
#ifndef CAI_AUDIT_WRITER_H
#define CAI_AUDIT_WRITER_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_wire.h"

/* O_TMPFILE without the O_DIRECTORY it includes: glibc's __O_TMPFILE, the
 * bit for which its open() reads a mode argument (musl tests the whole
 * O_TMPFILE, a narrower test) and the one the event's flags name. */
#ifdef __O_TMPFILE
#define CAI_O_TMPFILE_BIT __O_TMPFILE
#else
#define CAI_O_TMPFILE_BIT (O_TMPFILE & ~O_DIRECTORY)
#endif

/* Largest event the shim sends; the collector rejects anything larger. */
#define CAI_EV_MAX CAI_WIRE_RECORD_MAX

/* Per-string limits of an event (input bytes), the same for the shim and
 * the supervisor (docs/audit-events.md, "Strings"). */
#define CAI_LIM_PATH 2048
#define CAI_LIM_ARG 512
#define CAI_LIM_ARGC 64

/* String and memory helpers that make no call into libc: the exec family's
 * event is built in a fork child, where each page of libc's text touched is
 * a page fault (raw.h). The sanitized build keeps libc's, which ASan checks. */
static inline size_t cai_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

static inline void cai_memcpy(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
#else
	unsigned char *d = dst;
	const unsigned char *s = src;
	for (size_t i = 0; i < n; i++) {
		d[i] = s[i];
		/* Keeps the compiler from turning the loop back into memcpy. */
		__asm__ volatile("" : : : "memory");
	}
#endif
}

/* Whether s begins with the n bytes of prefix. */
static inline bool cai_starts_with(const char *s, const char *prefix, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != prefix[i])
			return false;
	return true;
}

static inline bool cai_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}
/* Bytes strings leave free: for numbers after a cut and the tail. */
#define CAI_EV_RESERVE 128
/* Bytes nothing but the tail may use: a closing item per level,
 * "dropped" and "truncated". */
#define CAI_EV_TAIL (2 * CAI_WIRE_DEPTH + 10 + 2)

struct cai_ev {
	unsigned char *buf;
	size_t len, cap;
	int depth;
	int skip;	 /* levels opened while out of room */
	size_t open_str; /* where the string being written in place begins */
	bool truncated;	 /* a string or list was cut to fit */
};

/* key: a CAI_K_* index; CAI_K_NONE inside arrays. */
void cai_ev_init(struct cai_ev *e, unsigned char *buf, size_t cap);
void cai_ev_obj_begin(struct cai_ev *e, unsigned key);
void cai_ev_obj_end(struct cai_ev *e);
void cai_ev_arr_begin(struct cai_ev *e, unsigned key);
void cai_ev_arr_end(struct cai_ev *e);
/* A string of at most limit input bytes (and never past the reserve);
 * s == NULL writes null. */
void cai_ev_str(struct cai_ev *e, unsigned key, const char *s, size_t limit);
void cai_ev_strn(struct cai_ev *e, unsigned key, const char *s, size_t n, size_t limit);
/* The same under a key of the caller's ([A-Za-z0-9_], 1 to 63 bytes):
 * an environment variable's name inside "env". */
void cai_ev_str_named(struct cai_ev *e, const char *name, size_t name_len, const char *s, size_t limit);
/* A string written in place: where its bytes go, and how many may (*room,
 * at most limit); NULL when there is no room (nothing is written). End it
 * with cai_ev_str_end (n bytes written; cut: something did not fit) or
 * take it back with cai_ev_str_cancel. */
char *cai_ev_str_begin(struct cai_ev *e, unsigned key, size_t limit, size_t *room);
void cai_ev_str_end(struct cai_ev *e, size_t n, bool cut);
void cai_ev_str_cancel(struct cai_ev *e);
void cai_ev_int(struct cai_ev *e, unsigned key, long long v);
void cai_ev_uint(struct cai_ev *e, unsigned key, unsigned long long v);
void cai_ev_bool(struct cai_ev *e, unsigned key, bool v);
void cai_ev_null(struct cai_ev *e, unsigned key);
/* type: CAI_T_UTC or CAI_T_MONO. */
void cai_ev_time(struct cai_ev *e, unsigned key, enum cai_wire_type type, long long sec, long nsec);
/* True while there is room for another list element of about need bytes. */
bool cai_ev_room(const struct cai_ev *e, size_t need);
/* Close every open object and array; returns the record's length. */
size_t cai_ev_finish(struct cai_ev *e);
/* The same, then "dropped" (when not 0) and "truncated" (when something
 * was cut) at the top level, for which room is always kept. */
size_t cai_ev_finish_event(struct cai_ev *e, unsigned long long dropped);

/* "0644" */
void cai_ev_fmt_mode(char out[static 8], unsigned mode);
/* Writes the O_* names set in flags into the current array. */
void cai_ev_open_flags(struct cai_ev *e, unsigned key, int flags);
/* "ENOENT", or "E<n>". */
const char *cai_ev_errno_name(int err, char buf[static 16]);
/* Writes "family" and the address fields of a sockaddr. */
struct sockaddr;
void cai_ev_sockaddr(struct cai_ev *e, const struct sockaddr *sa, unsigned len);

#endif
