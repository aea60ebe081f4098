/* Small helpers shared by every program: cleanup attributes, allocators
 * that abort on failure, and string predicates. */
#ifndef CAI_UTIL_H
#define CAI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAI_NORETURN __attribute__((noreturn))
#define CAI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define CAI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline void cai_free_ptr(void *p)
{
	free(*(void **)p);
}
static inline void cai_close_ptr(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void cai_fclose_ptr(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define cleanup_free __attribute__((cleanup(cai_free_ptr)))
#define cleanup_close __attribute__((cleanup(cai_close_ptr)))
#define cleanup_fclose __attribute__((cleanup(cai_fclose_ptr)))

/* Hand ownership out of a cleanup_* variable. */
static inline void *cai_steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) cai_steal_ptr(pp)

static inline int cai_steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) CAI_PRINTF(1, 2);

/* Close every fd from `from` up: a child we exec must not keep what its
 * caller inherited (debconf's pipe on fd 3 would hang a postinst). For
 * forked children before exec; async-signal-safe. */
void cai_close_fds_from(int from);

/* CLOCK_MONOTONIC in milliseconds, and a sleep of that many (EINTR ends
 * it early: callers loop on a deadline). */
long long cai_mono_ms(void);
void cai_sleep_ms(long ms);

bool cai_str_contains_ci(const char *haystack, const char *needle);
char *cai_strip_newline(char *s);

#endif
