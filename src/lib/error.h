/* Library code reports failures through struct cai_error instead of printing
 * or exiting; main() decides what to print and which exit code to use. */
#ifndef CAI_ERROR_H
#define CAI_ERROR_H

#include "util.h"

struct cai_error {
	int errnum;	/* errno of the root cause, 0 if none */
	char msg[1024]; /* "operation `object`: strerror" */
};

/* Fill err with a message; errnum != 0 appends ": strerror(errnum)".
 * Always returns -1 so callers can `return cai_error_set(...)`. */
int cai_error_set(struct cai_error *err, int errnum, const char *fmt, ...) CAI_PRINTF(3, 4);

/* Prefix the message already in err with more context ("step: "). */
int cai_error_prefix(struct cai_error *err, const char *fmt, ...) CAI_PRINTF(2, 3);

/* "EBUSY", or "E123" when errno_names.c has no name for it. */
const char *cai_errno_name(int errnum, char buf[static 16]);

/* Program name used as the prefix of every diagnostic. */
void cai_set_progname(const char *name);
const char *cai_progname(void);

/* For main() and single-purpose programs only. */
void cai_warn(const char *fmt, ...) CAI_PRINTF(1, 2);
CAI_NORETURN void cai_die(int status, const char *fmt, ...) CAI_PRINTF(2, 3);
CAI_NORETURN void cai_die_error(int status, const struct cai_error *err);

#endif
