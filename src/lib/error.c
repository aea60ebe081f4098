#include "error.h"

#include "errno_names.h"

#include <errno.h>
#include <stdarg.h>

static const char *progname = "containai";

void cai_set_progname(const char *name)
{
	const char *slash = strrchr(name, '/');
	progname = slash ? slash + 1 : name;
}

const char *cai_progname(void)
{
	return progname;
}

int cai_error_set(struct cai_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
	err->errnum = errnum;
	return -1;
}

/* Append src to dst (capacity cap) at *len, truncating silently. */
static void append_bounded(char *dst, size_t cap, size_t *len, const char *src)
{
	size_t n = strlen(src);
	if (*len + n >= cap)
		n = cap - 1 - *len;
	memcpy(dst + *len, src, n);
	*len += n;
	dst[*len] = '\0';
}

int cai_error_prefix(struct cai_error *err, const char *fmt, ...)
{
	char prefix[512];
	char out[sizeof(err->msg)];
	size_t len = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	append_bounded(out, sizeof(out), &len, prefix);
	append_bounded(out, sizeof(out), &len, ": ");
	append_bounded(out, sizeof(out), &len, err->msg);
	memcpy(err->msg, out, sizeof(out));
	return -1;
}

const char *cai_errno_name(int errnum, char buf[static 16])
{
	const char *name = cai_errno_symbol(errnum);
	if (name)
		return name;
	snprintf(buf, 16, "E%d", errnum);
	return buf;
}

static void vwarn(const char *fmt, va_list ap) CAI_PRINTF(1, 0);
static void vwarn(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cai_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void cai_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void cai_die_error(int status, const struct cai_error *err)
{
	cai_die(status, "%s", err->msg);
}
