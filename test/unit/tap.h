/* A tiny TAP producer for the C unit tests: ok(), is_int(), is_str(),
 * skip(), then done_testing() prints the plan and returns the exit code. */
#ifndef CAI_TAP_H
#define CAI_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 4, 5))) static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                                         \
	do {                                                                                                           \
		long long g_ = (long long)(got), w_ = (long long)(want);                                               \
		if (!ok(g_ == w_, __VA_ARGS__))                                                                        \
			printf("#   got %lld, want %lld\n", g_, w_);                                                   \
	} while (0)

#define is_str(got, want, ...)                                                                                         \
	do {                                                                                                           \
		const char *g_ = (got), *w_ = (want);                                                                  \
		if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))                                                 \
			printf("#   got \"%s\"\n#  want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");            \
	} while (0)

#define skip(reason, ...)                                                                                              \
	do {                                                                                                           \
		tap_count++;                                                                                           \
		printf("ok %d - ", tap_count);                                                                         \
		printf(__VA_ARGS__);                                                                                   \
		printf(" # skip %s\n", reason);                                                                        \
	} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
