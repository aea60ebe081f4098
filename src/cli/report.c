#include "report.h"

#include <stdarg.h>

void report_step(struct report *r, const char *fmt, ...)
{
	va_list ap;
	r->step++;
	printf("[%d/%d] ", r->step, r->total);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void report_detail(const struct report *r, const char *fmt, ...)
{
	(void)r;
	va_list ap;
	fputs("      ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void report_change(struct report *r, const char *fmt, ...)
{
	va_list ap;
	r->changes++;
	fputs(r->dry_run ? "      would: " : "      done:  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void report_warning(struct report *r, const char *fmt, ...)
{
	va_list ap;
	r->warnings++;
	fflush(stdout);
	fputs("      warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void report_failure(const struct report *r, const char *step_name, const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "cai: step %d/%d (%s) failed: %s\n", r->step, r->total, step_name, msg);
}
