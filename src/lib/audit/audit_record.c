/* Invariants: see audit_record.h. Every read of the record goes through
 * take(), which checks it against the end first; every write of the
 * output goes through room(), which checks it against cap first. */
#include "audit_record.h"

#include <string.h>

static const char *const known_calls[] = {
    "execve",	"execv",       "execl",	       "execle",    "execlp",	"execvp",     "execvpe",    "fexecve",
    "execveat", "posix_spawn", "posix_spawnp", "system",    "popen",	"connect",    "open",	    "open64",
    "openat",	"openat64",    "creat",	       "creat64",   "__open_2", "__open64_2", "__openat_2", "__openat64_2",
    "fopen",	"fopen64",     "freopen",      "freopen64", "opendir",	"audit_lost", "egress",	    NULL,
};

bool cai_record_known_call(const char *call, size_t len)
{
	for (const char *const *c = known_calls; *c; c++)
		if (strlen(*c) == len && memcmp(*c, call, len) == 0)
			return true;
	return false;
}

/* ---- output ---- */

static void fmt_digits(char *out, unsigned long long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Howard Hinnant's civil_from_days; the date and time of the last second
 * asked for are kept (events come in bursts within one second). */
size_t cai_fmt_utc(char out[static 32], long long sec, long nsec)
{
	static _Thread_local long long last_sec = -1;
	static _Thread_local char last[20];
	if (sec == last_sec) {
		memcpy(out, last, 19);
		out[19] = '.';
		fmt_digits(out + 20, (unsigned long long)nsec, 9);
		out[29] = 'Z';
		out[30] = '\0';
		return 30;
	}
	long long days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = yoe + era * 400;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y < 0 || y > 9999)
		y = 0;
	fmt_digits(out, (unsigned long long)y, 4);
	out[4] = '-';
	fmt_digits(out + 5, (unsigned long long)m, 2);
	out[7] = '-';
	fmt_digits(out + 8, (unsigned long long)d, 2);
	out[10] = 'T';
	fmt_digits(out + 11, (unsigned long long)(rem / 3600), 2);
	out[13] = ':';
	fmt_digits(out + 14, (unsigned long long)(rem / 60 % 60), 2);
	out[16] = ':';
	fmt_digits(out + 17, (unsigned long long)(rem % 60), 2);
	out[19] = '.';
	fmt_digits(out + 20, (unsigned long long)nsec, 9);
	out[29] = 'Z';
	out[30] = '\0';
	memcpy(last, out, 19);
	last_sec = sec;
	return 30;
}

static size_t fmt_u64(char *out, unsigned long long v)
{
	char tmp[24];
	int i = (int)sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t n = sizeof(tmp) - (size_t)i;
	memcpy(out, tmp + i, n);
	return n;
}

size_t cai_fmt_mono(char out[static 32], long long sec, long nsec)
{
	size_t n = fmt_u64(out, sec < 0 ? 0 : (unsigned long long)sec);
	out[n] = '.';
	fmt_digits(out + n + 1, (unsigned long long)nsec, 9);
	out[n + 10] = '\0';
	return n + 10;
}

/* ---- decoding ---- */

struct level {
	unsigned key; /* the key this object or array is under; CAI_K_NONE at the top */
	bool array;
	bool first;
	uint64_t seen[2]; /* table keys already used in this object */
	int ninline;
	const unsigned char *inline_name[64];
	unsigned char inline_len[64];
};

/* A top-level or nested value the schema checks look at afterwards. */
struct fact {
	unsigned char type;
	const unsigned char *v; /* the value's bytes in the record */
	size_t n;		/* a string's length */
};

struct dec {
	const unsigned char *p, *end;
	char *out;
	size_t len, cap;
	int depth;
	struct level lv[CAI_WIRE_DEPTH];
	struct fact top[CAI_K_COUNT];
	struct fact result[CAI_K_COUNT];
	struct fact container[CAI_K_COUNT];
	/* The facts noted for this record, unset before the next one (rather
	 * than clearing every table for every record). */
	struct fact *noted[3 * CAI_K_COUNT];
	int nnoted;
	const char *why;
};

static bool fail(struct dec *d, const char *why)
{
	if (!d->why)
		d->why = why;
	return false;
}

static const unsigned char *take(struct dec *d, size_t n)
{
	if ((size_t)(d->end - d->p) < n)
		return fail(d, "record ends inside an item"), NULL;
	const unsigned char *at = d->p;
	d->p += n;
	return at;
}

static char *room(struct dec *d, size_t n)
{
	if (d->cap - d->len < n)
		return fail(d, "record too large to write"), NULL;
	return d->out + d->len;
}

static bool put(struct dec *d, const void *s, size_t n)
{
	char *o = room(d, n);
	if (!o)
		return false;
	memcpy(o, s, n);
	d->len += n;
	return true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * no overlongs, surrogates or code points above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp;
	size_t len;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string: printable ASCII in runs, the rest escaped; bytes that are
 * not UTF-8 become U+FFFD (documented in audit-events(7)). */
static bool put_string(struct dec *d, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o = room(d, 6 * n + 2);
	if (!o)
		return false;
	char *start = o;
	*o++ = '"';
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
			run++;
		memcpy(o, s + i, run - i);
		o += run - i;
		i = run;
		if (i == n)
			break;
		unsigned c = s[i];
		if (c >= 0x80) {
			size_t u = utf8_len(s + i, n - i);
			if (u) {
				memcpy(o, s + i, u);
				o += u;
				i += u;
			} else {
				memcpy(o, "\\ufffd", 6);
				o += 6;
				i++;
			}
			continue;
		}
		*o++ = '\\';
		if (c == '"' || c == '\\')
			*o++ = (char)c;
		else if (c == '\n')
			*o++ = 'n';
		else if (c == '\t')
			*o++ = 't';
		else if (c == '\r')
			*o++ = 'r';
		else {
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 0xf];
			o += 5;
		}
		i++;
	}
	*o++ = '"';
	d->len += (size_t)(o - start);
	return true;
}

static bool inline_name_ok(const unsigned char *s, size_t n)
{
	if (n == 0 || n > CAI_WIRE_INLINE_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Every key as it is written: "name": and its length. */
static struct {
	const char *name;
	size_t len;
} key_names[CAI_K_COUNT] = {
#define KEY_TEXT(id, n) [CAI_K_##id] = {"\"" n "\":", sizeof(n) + 2},
    CAI_WIRE_KEYS(KEY_TEXT)
#undef KEY_TEXT
};

/* The key part of an item in an object: checked, unique, written. */
static bool key(struct dec *d, unsigned k)
{
	struct level *l = &d->lv[d->depth];
	if (l->array ? k != CAI_K_NONE : k == CAI_K_NONE)
		return fail(d, l->array ? "a key inside an array" : "an item without a key inside an object");
	if (!l->first && !put(d, ",", 1))
		return false;
	l->first = false;
	if (l->array)
		return true;
	if (k == CAI_K_INLINE) {
		if (l->key != CAI_K_ENV)
			return fail(d, "a key of the sender's own outside \"env\"");
		const unsigned char *n = take(d, 1), *name;
		if (!n || !(name = take(d, *n)))
			return false;
		if (!inline_name_ok(name, *n))
			return fail(d, "an environment variable's name that is not [A-Za-z0-9_]");
		if (l->ninline == 64)
			return fail(d, "too many environment variables");
		for (int i = 0; i < l->ninline; i++)
			if (l->inline_len[i] == *n && memcmp(l->inline_name[i], name, *n) == 0)
				return fail(d, "duplicate key");
		l->inline_name[l->ninline] = name;
		l->inline_len[l->ninline++] = *n;
		char *o = room(d, *n + 3);
		if (!o)
			return false;
		o[0] = '"';
		memcpy(o + 1, name, *n);
		o[*n + 1] = '"';
		o[*n + 2] = ':';
		d->len += *n + 3u;
		return true;
	}
	const char *name = k < CAI_K_COUNT ? key_names[k].name : NULL;
	if (!name)
		return fail(d, "unknown key");
	if (l->seen[k / 64] & (1ULL << (k % 64)))
		return fail(d, "duplicate key");
	l->seen[k / 64] |= 1ULL << (k % 64);
	return put(d, name, key_names[k].len);
}

static void note(struct dec *d, unsigned k, unsigned type, const unsigned char *v, size_t n)
{
	if (k == CAI_K_NONE || k >= CAI_K_COUNT)
		return;
	struct fact *f = d->depth == 0					    ? &d->top[k]
			 : d->depth == 1 && d->lv[1].key == CAI_K_RESULT    ? &d->result[k]
			 : d->depth == 1 && d->lv[1].key == CAI_K_CONTAINER ? &d->container[k]
									    : NULL;
	if (!f)
		return;
	/* Keys are unique per object (key() saw to it): noted once each. */
	d->noted[d->nnoted++] = f;
	*f = (struct fact){.type = (unsigned char)type, .v = v, .n = n};
}

static bool value(struct dec *d, unsigned type, unsigned k)
{
	char num[48];
	const unsigned char *v;
	switch (type) {
	case CAI_T_OBJ:
	case CAI_T_ARR:
		if (d->depth + 1 >= CAI_WIRE_DEPTH)
			return fail(d, "nested too deep");
		if (!put(d, type == CAI_T_OBJ ? "{" : "[", 1))
			return false;
		note(d, k, type, NULL, 0);
		d->depth++;
		memset(&d->lv[d->depth], 0, offsetof(struct level, inline_name));
		d->lv[d->depth].key = k;
		d->lv[d->depth].array = type == CAI_T_ARR;
		d->lv[d->depth].first = true;
		return true;
	case CAI_T_STR: {
		const unsigned char *ln = take(d, 2);
		uint16_t n;
		if (!ln)
			return false;
		memcpy(&n, ln, 2);
		if (!(v = take(d, n)))
			return false;
		note(d, k, type, v, n);
		return put_string(d, v, n);
	}
	case CAI_T_INT:
	case CAI_T_UINT: {
		if (!(v = take(d, 8)))
			return false;
		note(d, k, type, v, 8);
		uint64_t u;
		memcpy(&u, v, 8);
		size_t n = 0;
		if (type == CAI_T_INT && (int64_t)u < 0) {
			num[n++] = '-';
			u = 0 - u;
		}
		n += fmt_u64(num + n, u);
		return put(d, num, n);
	}
	case CAI_T_TRUE:
	case CAI_T_FALSE:
	case CAI_T_NULL:
		note(d, k, type, NULL, 0);
		return type == CAI_T_TRUE    ? put(d, "true", 4)
		       : type == CAI_T_FALSE ? put(d, "false", 5)
					     : put(d, "null", 4);
	case CAI_T_UTC:
	case CAI_T_MONO: {
		if (!(v = take(d, 12)))
			return false;
		int64_t sec;
		uint32_t nsec;
		memcpy(&sec, v, 8);
		memcpy(&nsec, v + 8, 4);
		/* Up to the year 9999; the monotonic clock counts from boot. */
		if (sec < 0 || sec > 253402300799LL || nsec >= 1000000000u)
			return fail(d, "a time out of range");
		note(d, k, type, v, 12);
		num[0] = '"';
		size_t n = 1 + (type == CAI_T_UTC ? cai_fmt_utc(num + 1, sec, (long)nsec)
						  : cai_fmt_mono(num + 1, sec, (long)nsec));
		num[n++] = '"';
		return put(d, num, n);
	}
	default:
		return fail(d, "unknown item type");
	}
}

static bool items(struct dec *d)
{
	while (d->p < d->end) {
		const unsigned char *h = take(d, 2);
		if (!h)
			return false;
		if (h[0] == CAI_T_END) {
			if (h[1] != CAI_K_NONE || d->depth == 0)
				return fail(d, "an end without a beginning");
			if (!put(d, d->lv[d->depth].array ? "]" : "}", 1))
				return false;
			d->depth--;
			continue;
		}
		if (!key(d, h[1]) || !value(d, h[0], h[1]))
			return false;
	}
	return d->depth == 0 || fail(d, "record ends inside an object or array");
}

/* ---- the schema (docs/audit-events.md) ---- */

static bool is_str(const struct fact *f, const char *s)
{
	return f->type == CAI_T_STR && f->n == strlen(s) && memcmp(f->v, s, f->n) == 0;
}

static bool is_count(const struct fact *f)
{
	if (f->type != CAI_T_UINT && f->type != CAI_T_INT)
		return false;
	uint64_t u;
	memcpy(&u, f->v, 8);
	return f->type == CAI_T_UINT || (int64_t)u >= 0;
}

static bool is_int(const struct fact *f)
{
	return f->type == CAI_T_UINT || f->type == CAI_T_INT;
}

static bool container_ok(struct dec *d, struct cai_record *r)
{
	const struct fact *id = &d->container[CAI_K_ID], *name = &d->container[CAI_K_NAME];
	for (unsigned k = 1; k < CAI_K_COUNT; k++)
		if (d->container[k].type && k != CAI_K_ID && k != CAI_K_NAME)
			return false;
	if (id->type != CAI_T_STR || id->n != CAI_CONTAINER_ID_LEN)
		return false;
	memcpy(r->container.id, id->v, id->n);
	r->container.id[id->n] = '\0';
	if (!cai_container_id_valid(r->container.id))
		return false;
	if (name->type == CAI_T_STR && name->n < sizeof(r->container.name) && !memchr(name->v, 0, name->n)) {
		memcpy(r->container.name, name->v, name->n);
		r->container.name[name->n] = '\0';
	} else if (name->type != CAI_T_NULL) {
		return false;
	}
	r->has_container = true;
	return true;
}

static bool event_ok(struct dec *d, bool may_claim, struct cai_record *r)
{
	const struct fact *t = d->top;
	uint64_t v = 0;
	if (is_int(&t[CAI_K_V]))
		memcpy(&v, t[CAI_K_V].v, 8);
	if (!is_int(&t[CAI_K_V]) || v != CAI_AUDIT_SCHEMA_VERSION)
		return fail(d, "unknown schema version");
	if ((t[CAI_K_TS].type != CAI_T_STR && t[CAI_K_TS].type != CAI_T_UTC) ||
	    (t[CAI_K_MONO].type != CAI_T_STR && t[CAI_K_MONO].type != CAI_T_MONO) || t[CAI_K_COMM].type != CAI_T_STR ||
	    t[CAI_K_CALL].type != CAI_T_STR || t[CAI_K_PHASE].type != CAI_T_STR)
		return fail(d, "missing or mistyped string field");
	if (!is_count(&t[CAI_K_PID]) || !is_count(&t[CAI_K_PPID]) || !is_count(&t[CAI_K_TID]) ||
	    !is_count(&t[CAI_K_UID]))
		return fail(d, "missing or mistyped id field");
	if (t[CAI_K_CWD].type != CAI_T_STR && t[CAI_K_CWD].type != CAI_T_NULL)
		return fail(d, "missing or mistyped cwd");
	if (t[CAI_K_ARGS].type != CAI_T_OBJ)
		return fail(d, "missing args object");
	if (!cai_record_known_call((const char *)t[CAI_K_CALL].v, t[CAI_K_CALL].n))
		return fail(d, "unknown call");
	bool enter = is_str(&t[CAI_K_PHASE], "enter");
	if (!enter && !is_str(&t[CAI_K_PHASE], "exit"))
		return fail(d, "unknown phase");
	if (enter ? t[CAI_K_RESULT].type != 0 : t[CAI_K_RESULT].type != CAI_T_OBJ)
		return fail(d, enter ? "result in an enter event" : "missing result object");
	if (!enter &&
	    (!is_int(&d->result[CAI_K_RETURN]) || (d->result[CAI_K_ERRNO].type && !is_count(&d->result[CAI_K_ERRNO]))))
		return fail(d, "malformed result");
	if (t[CAI_K_DROPPED].type && !is_count(&t[CAI_K_DROPPED]))
		return fail(d, "malformed dropped count");
	if (t[CAI_K_TRUNCATED].type && t[CAI_K_TRUNCATED].type != CAI_T_TRUE)
		return fail(d, "malformed truncated marker");
	if (t[CAI_K_SOURCE].type && !is_str(&t[CAI_K_SOURCE], "shim") && !is_str(&t[CAI_K_SOURCE], "seccomp"))
		return fail(d, "unknown source");
	/* Which container an event comes from is the collector's to say,
	 * except for a root supervisor on the host reporting on a container. */
	if (t[CAI_K_CONTAINER].type && !may_claim)
		return fail(d, "only the collector says which container");
	if (t[CAI_K_CONTAINER].type && (t[CAI_K_CONTAINER].type != CAI_T_OBJ || !container_ok(d, r)))
		return fail(d, "malformed container");
	return true;
}

static bool control_ok(struct dec *d, struct cai_record *r)
{
	const struct fact *t = d->top;
	int n = 0;
	for (unsigned k = 1; k < CAI_K_COUNT; k++)
		n += t[k].type != 0;
	switch (r->kind) {
	case CAI_WIRE_KICK:
		return n == 0 || fail(d, "a kick carries nothing");
	case CAI_WIRE_RING:
		if (n != 1 || t[CAI_K_SIZE].type != CAI_T_UINT)
			return fail(d, "a ring registration carries its size only");
		memcpy(&r->ring_size, t[CAI_K_SIZE].v, 8);
		return true;
	case CAI_WIRE_LISTEN:
		if (n != 1 || t[CAI_K_CONTAINER].type != CAI_T_OBJ || !container_ok(d, r))
			return fail(d, "a container's socket comes with its container only");
		return true;
	default:
		return fail(d, "unknown record kind");
	}
}

static struct dec d; /* 10 KiB: off the stack; the collector is one thread */

/* The header and every item, written to out; the schema is the caller's. */
static int walk(const void *rec, size_t len, char *out, size_t cap, struct cai_record *r, struct cai_error *err)
{
	memset(r, 0, sizeof(*r));
	memset(&d, 0, offsetof(struct dec, lv));
	memset(d.lv, 0, offsetof(struct level, inline_name));
	for (int i = 0; i < d.nnoted; i++)
		d.noted[i]->type = 0;
	d.nnoted = 0;
	d.why = NULL;
	if (len > CAI_WIRE_RECORD_MAX)
		return cai_error_set(err, 0, "record too large");
	r->kind = cai_wire_kind_of(rec, len);
	if (!r->kind)
		return cai_error_set(err, 0, len == 0 ? "empty message" : "not an audit record (wire version %d)",
				     CAI_WIRE_VERSION);
	d.p = (const unsigned char *)rec + CAI_WIRE_HEADER;
	d.end = (const unsigned char *)rec + len;
	d.out = out;
	d.cap = cap;
	d.lv[0].first = true;
	if (!put(&d, "{", 1) || !items(&d))
		return cai_error_set(err, 0, "%s", d.why ? d.why : "malformed record");
	r->json_len = d.len;
	return 0;
}

int cai_record_decode(const void *rec, size_t len, bool may_claim_container, char *out, size_t cap,
		      struct cai_record *r, struct cai_error *err)
{
	if (walk(rec, len, out, cap, r, err) < 0)
		return -1;
	if (!(r->kind == CAI_WIRE_EVENT ? event_ok(&d, may_claim_container, r) : control_ok(&d, r)))
		return cai_error_set(err, 0, "%s", d.why ? d.why : "malformed record");
	return 0;
}

long cai_record_to_json(const void *rec, size_t len, char *out, size_t cap, struct cai_error *err)
{
	struct cai_record r;
	if (walk(rec, len, out, cap > 0 ? cap - 1 : 0, &r, err) < 0)
		return -1;
	if (r.json_len + 2 > cap)
		return cai_error_set(err, 0, "record too large to write");
	out[r.json_len] = '}';
	out[r.json_len + 1] = '\0';
	return (long)r.json_len + 1;
}

/* ---- encoding, for host programs ---- */

struct enc {
	unsigned char *out;
	size_t len, cap;
	struct cai_error *err;
};

static bool emit(struct enc *e, const void *p, size_t n)
{
	if (e->cap - e->len < n)
		return cai_error_set(e->err, 0, "event too large for one record"), false;
	memcpy(e->out + e->len, p, n);
	e->len += n;
	return true;
}

static unsigned key_index(const char *name)
{
	for (unsigned k = 1; k < CAI_K_COUNT; k++)
		if (strcmp(cai_wire_key_name(k), name) == 0)
			return k;
	return CAI_K_INLINE;
}

static bool emit_item(struct enc *e, unsigned type, const char *name)
{
	unsigned char h[2] = {(unsigned char)type, CAI_K_NONE};
	if (!name)
		return emit(e, h, 2);
	h[1] = (unsigned char)key_index(name);
	if (h[1] != CAI_K_INLINE)
		return emit(e, h, 2);
	size_t n = strlen(name);
	unsigned char ln = (unsigned char)n;
	if (n == 0 || n > CAI_WIRE_INLINE_KEY_MAX)
		return cai_error_set(e->err, 0, "key `%.64s` cannot be carried", name), false;
	return emit(e, h, 2) && emit(e, &ln, 1) && emit(e, name, n);
}

static bool emit_jv(struct enc *e, const char *name, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_OBJECT:
	case JV_KIND_ARRAY: {
		bool obj = jv_get_kind(v) == JV_KIND_OBJECT;
		if (!emit_item(e, obj ? CAI_T_OBJ : CAI_T_ARR, name))
			return false;
		bool ok = true;
		if (obj) {
			jv_object_foreach(v, k, x)
			{
				ok = ok && emit_jv(e, jv_string_value(k), x);
				jv_free(k);
				jv_free(x);
			}
		} else {
			jv_array_foreach(v, i, x)
			{
				ok = ok && emit_jv(e, NULL, x);
				jv_free(x);
			}
		}
		unsigned char end[2] = {CAI_T_END, CAI_K_NONE};
		return ok && emit(e, end, 2);
	}
	case JV_KIND_STRING: {
		int n = jv_string_length_bytes(jv_copy(v));
		if (n > UINT16_MAX)
			return cai_error_set(e->err, 0, "string too long for one record"), false;
		uint16_t ln = (uint16_t)n;
		return emit_item(e, CAI_T_STR, name) && emit(e, &ln, 2) && emit(e, jv_string_value(v), (size_t)n);
	}
	case JV_KIND_NUMBER: {
		double x = jv_number_value(v);
		if (!(x == (double)(int64_t)x) || x < -9.2e18 || x > 9.2e18)
			return cai_error_set(e->err, 0, "`%s` is not an integer", name ? name : "an element"), false;
		int64_t i = (int64_t)x;
		return emit_item(e, i < 0 ? CAI_T_INT : CAI_T_UINT, name) && emit(e, &i, 8);
	}
	case JV_KIND_TRUE:
		return emit_item(e, CAI_T_TRUE, name);
	case JV_KIND_FALSE:
		return emit_item(e, CAI_T_FALSE, name);
	case JV_KIND_NULL:
		return emit_item(e, CAI_T_NULL, name);
	default:
		return cai_error_set(e->err, 0, "not a value a record can carry"), false;
	}
}

long cai_record_from_jv(jv obj, enum cai_wire_kind kind, unsigned char *out, size_t cap, struct cai_error *err)
{
	struct enc e = {.out = out, .cap = cap < CAI_WIRE_RECORD_MAX ? cap : CAI_WIRE_RECORD_MAX, .err = err};
	unsigned char h[CAI_WIRE_HEADER];
	cai_wire_header(h, kind);
	if (!emit(&e, h, sizeof(h)))
		return -1;
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return cai_error_set(err, 0, "a record is made from an object");
	bool ok = true;
	jv_object_foreach(obj, k, x)
	{
		ok = ok && emit_jv(&e, jv_string_value(k), x);
		jv_free(k);
		jv_free(x);
	}
	return ok ? (long)e.len : -1;
}
