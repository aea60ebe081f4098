#include "tail.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

/* A small growable string for building one output line. */
struct sbuf {
	char *p;
	size_t len, cap;
};

CAI_PRINTF(2, 3) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
}

/* Borrowing accessors: obj stays owned by the caller; strings point into
 * obj and are valid while it lives. */
static jv field(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string(key));
}

static const char *str(jv obj, const char *key, const char *dflt, jv *keep)
{
	jv v = field(obj, key);
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return dflt;
	}
	*keep = v; /* the caller frees keep after using the string */
	return jv_string_value(v);
}

static long long num(jv obj, const char *key, long long dflt)
{
	jv v = field(obj, key);
	long long r = jv_get_kind(v) == JV_KIND_NUMBER ? (long long)jv_number_value(v) : dflt;
	jv_free(v);
	return r;
}

static void add_str_list(struct sbuf *b, jv arr)
{
	if (jv_get_kind(arr) != JV_KIND_ARRAY)
		return;
	int n = jv_array_length(jv_copy(arr));
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(arr), i);
		if (jv_get_kind(s) == JV_KIND_STRING)
			sb_printf(b, "%s%s", i ? " " : "", jv_string_value(s));
		jv_free(s);
	}
}

static void add_args(struct sbuf *b, const char *call, jv args)
{
	jv k1 = jv_invalid(), k2 = jv_invalid(), k3 = jv_invalid();
	if (strcmp(call, "connect") == 0) {
		const char *fam = str(args, "family", "?", &k1);
		const char *addr = str(args, "address", NULL, &k2);
		const char *path = str(args, "path", NULL, &k3);
		if (addr)
			sb_printf(b, " %s %s port %lld", fam, addr, num(args, "port", 0));
		else if (path)
			sb_printf(b, " %s %s", fam, path);
		else
			sb_printf(b, " %s", fam);
	} else if (strcmp(call, "egress") == 0) {
		/* The proxy's decision on one request: the result says which. */
		sb_printf(b, " %s %s port %lld", str(args, "method", "?", &k1), str(args, "host", "?", &k2),
			  num(args, "port", 0));
	} else if (strcmp(call, "system") == 0 || strcmp(call, "popen") == 0) {
		sb_printf(b, " %s", str(args, "command", "(null)", &k1));
	} else {
		const char *path = str(args, "resolved", NULL, &k1);
		if (!path)
			path = str(args, "path", NULL, &k2);
		if (path)
			sb_printf(b, " %s", path);
		else if (num(args, "fd", -1) >= 0)
			sb_printf(b, " fd %lld", num(args, "fd", -1));
		jv argv = field(args, "argv");
		if (jv_get_kind(argv) == JV_KIND_ARRAY) {
			sb_printf(b, " [");
			add_str_list(b, argv);
			sb_printf(b, "]");
		}
		jv_free(argv);
		jv flags = field(args, "flags");
		if (jv_get_kind(flags) == JV_KIND_ARRAY) {
			sb_printf(b, " ");
			add_str_list(b, flags);
		}
		jv_free(flags);
		const char *mode = str(args, "mode", NULL, &k3);
		if (mode)
			sb_printf(b, " %s", mode);
	}
	jv_free(k1);
	jv_free(k2);
	jv_free(k3);
}

/* " [name]", " [short id]" or " [container unknown]"; nothing on the host. */
static void add_container(struct sbuf *b, jv rec)
{
	jv c = field(rec, "container");
	if (jv_get_kind(c) == JV_KIND_OBJECT) {
		jv k1 = jv_invalid(), k2 = jv_invalid();
		const char *name = str(c, "name", NULL, &k1), *id = str(c, "id", NULL, &k2);
		if (name)
			sb_printf(b, " [%s]", name);
		else if (id)
			sb_printf(b, " [%.12s]", id);
		else
			sb_printf(b, " [container unknown]");
		jv_free(k1);
		jv_free(k2);
	}
	jv_free(c);
}

char *audit_format_line(const char *line)
{
	struct sbuf b = {.p = xmalloc(256), .cap = 256};
	b.p[0] = '\0';
	jv rec = jv_parse(line);
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		sb_printf(&b, "(not an audit record) %s", line);
		return b.p;
	}
	jv k1 = jv_invalid(), k2 = jv_invalid(), k3 = jv_invalid(), k4 = jv_invalid();
	jv peer = field(rec, "peer");
	jv rejected = field(rec, "rejected");
	const char *ts = str(rec, "ts", "?", &k1);
	sb_printf(&b, "%s", ts);
	add_container(&b, rec);
	if (jv_get_kind(rejected) == JV_KIND_OBJECT) {
		sb_printf(&b, " REJECTED from pid %lld uid %lld: %s (%lld bytes)", num(peer, "pid", -1),
			  num(peer, "uid", -1), str(rejected, "reason", "?", &k2), num(rejected, "bytes", 0));
	} else {
		const char *call = str(rec, "call", "?", &k2);
		const char *comm = str(rec, "comm", "?", &k3);
		const char *phase = str(rec, "phase", "", &k4);
		long long pid = num(rec, "pid", -1), kpid = num(peer, "pid", -1);
		sb_printf(&b, " pid %lld (%s) uid %lld %s%s", pid, comm, num(rec, "uid", -1), call,
			  strcmp(phase, "enter") == 0 ? ":" : "");
		jv args = field(rec, "args");
		add_args(&b, call, args);
		jv_free(args);
		jv res = field(rec, "result");
		if (jv_get_kind(res) == JV_KIND_OBJECT) {
			jv k5 = jv_invalid();
			const char *e = str(res, "error", NULL, &k5);
			if (e)
				sb_printf(&b, " = %lld %s", num(res, "return", -1), e);
			else
				sb_printf(&b, " = %lld", num(res, "return", 0));
			jv_free(k5);
		}
		jv_free(res);
		if (kpid >= 0 && kpid != pid)
			sb_printf(&b, " (kernel says pid %lld)", kpid);
		long long lost = num(rec, "dropped", 0);
		if (lost > 0)
			sb_printf(&b, " [%lld earlier events of this process lost]", lost);
		jv t = field(rec, "truncated");
		if (jv_get_kind(t) == JV_KIND_TRUE)
			sb_printf(&b, " [truncated]");
		jv_free(t);
	}
	jv_free(k1);
	jv_free(k2);
	jv_free(k3);
	jv_free(k4);
	jv_free(peer);
	jv_free(rejected);
	jv_free(rec);
	return b.p;
}

static bool all_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Does a record come from the container the user named? Its name, its
 * id, or (like docker's short ids) 12 or more leading hex digits of it. */
bool audit_container_matches(const char *line, const char *want)
{
	jv rec = jv_parse(line);
	jv c = field(rec, "container");
	jv k1 = jv_invalid(), k2 = jv_invalid();
	const char *name = str(c, "name", NULL, &k1), *id = str(c, "id", NULL, &k2);
	size_t wl = strlen(want);
	bool m = (name && strcmp(name, want) == 0) ||
		 (id && (strcmp(id, want) == 0 || (wl >= 12 && all_hex(want) && strncmp(id, want, wl) == 0)));
	jv_free(k1);
	jv_free(k2);
	jv_free(c);
	jv_free(rec);
	return m;
}

static bool wanted(const struct tail_opts *o, const char *line)
{
	return !o->container || audit_container_matches(line, o->container);
}

/* The readable view shows names an agent chose: a newline or an escape
 * sequence in one must not forge or erase a line on the reader's terminal.
 * Control characters and DEL become \n, \t, \r or \xHH, the C1 controls
 * (U+0080..U+009F, which some terminals take as CSI and the like) \u00HH;
 * a backslash becomes \\ so that nothing reads as an escape that was not
 * one. */
static char *escape_controls(const char *s)
{
	char *out = xmalloc(6 * strlen(s) + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || *p == '\n' || *p == '\t' || *p == '\r') {
			*o++ = '\\';
			*o++ = *p == '\\' ? '\\' : *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
		} else if (*p < 0x20 || *p == 0x7f) {
			o += sprintf(o, "\\x%02x", *p);
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			o += sprintf(o, "\\u%04x", p[1]);
			p++;
		} else {
			*o++ = (char)*p;
		}
	}
	*o = '\0';
	return out;
}

static void emit(const struct tail_opts *o, FILE *out, char *line)
{
	cai_strip_newline(line);
	if (!*line || !wanted(o, line))
		return;
	if (o->json) {
		fprintf(out, "%s\n", line);
	} else {
		char *text = audit_format_line(line);
		char *safe = escape_controls(text);
		fprintf(out, "%s\n", safe);
		free(safe);
		free(text);
	}
}

int audit_tail(const struct tail_opts *o, FILE *out, struct cai_error *err)
{
	cleanup_fclose FILE *f = fopen(o->log, "re");
	if (!f)
		return cai_error_set(err, errno, "open log `%s`", o->log);
	char *line = NULL;
	size_t cap = 0;
	if (o->last >= 0) {
		/* Count, then skip all but the last N. */
		long total = 0;
		while (getline(&line, &cap, f) > 0)
			if (wanted(o, line))
				total++;
		rewind(f);
		for (long skip = total - o->last; skip > 0 && getline(&line, &cap, f) > 0;)
			if (wanted(o, line))
				skip--;
	}
	for (;;) {
		while (getline(&line, &cap, f) > 0)
			emit(o, out, line);
		if (!o->follow)
			break;
		fflush(out);
		if (ferror(out))
			break;
		clearerr(f);
		/* Follow across logrotate: when the path names a new file,
		 * finish the old one and continue with the new. */
		struct stat cur, now;
		if (fstat(fileno(f), &cur) == 0 && stat(o->log, &now) == 0 &&
		    (cur.st_ino != now.st_ino || cur.st_dev != now.st_dev)) {
			FILE *nf = fopen(o->log, "re");
			if (nf) {
				while (getline(&line, &cap, f) > 0)
					emit(o, out, line);
				fclose(f);
				f = nf;
				continue;
			}
		}
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	free(line);
	if (fflush(out) != 0 || ferror(out))
		return cai_error_set(err, errno ? errno : EIO, "write standard output");
	return 0;
}
