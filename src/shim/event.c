/* See event.h for the invariants: no allocation, no locks, always valid
 * JSON, bounded output. */
#include "event.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../lib/errno_names.h"

void cai_ev_init(struct cai_ev *e, char *buf, size_t cap)
{
	memset(e, 0, sizeof(*e));
	e->buf = buf;
	e->cap = cap;
	e->buf[0] = '{';
	e->len = 1;
	e->depth = 0;
}

/* Bytes a value may still use without eating into the reserve. */
static size_t avail(const struct cai_ev *e)
{
	size_t limit = e->cap - CAI_EV_RESERVE;
	return e->len < limit ? limit - e->len : 0;
}

bool cai_ev_room(const struct cai_ev *e, size_t need) { return avail(e) > need; }

/* Structural bytes: only written while the reserve is untouched or when
 * closing, so they always fit. */
static void put(struct cai_ev *e, const char *s, size_t n)
{
	if (e->len + n >= e->cap) {
		e->truncated = true;
		return;
	}
	memcpy(e->buf + e->len, s, n);
	e->len += n;
}

static void putc_(struct cai_ev *e, char c) { put(e, &c, 1); }

static void put_key_raw(struct cai_ev *e, const char *key)
{
	/* Keys are our own ASCII literals: no escaping needed. */
	putc_(e, '"');
	put(e, key, strlen(key));
	put(e, "\":", 2);
}

static void sep(struct cai_ev *e, const char *key)
{
	if (e->need_comma[e->depth])
		putc_(e, ',');
	e->need_comma[e->depth] = true;
	if (key)
		put_key_raw(e, key);
}

static void open_level(struct cai_ev *e, const char *key, char c)
{
	sep(e, key);
	putc_(e, c);
	if (e->depth + 1 < CAI_EV_DEPTH) {
		e->depth++;
		e->need_comma[e->depth] = false;
		e->closer[e->depth] = c == '{' ? '}' : ']';
	}
}

void cai_ev_obj_begin(struct cai_ev *e, const char *key) { open_level(e, key, '{'); }
void cai_ev_arr_begin(struct cai_ev *e, const char *key) { open_level(e, key, '['); }

static void close_level(struct cai_ev *e, char c)
{
	putc_(e, c);
	if (e->depth > 0)
		e->depth--;
}

void cai_ev_obj_end(struct cai_ev *e) { close_level(e, '}'); }
void cai_ev_arr_end(struct cai_ev *e) { close_level(e, ']'); }

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid.
 * Rejects overlongs, surrogates and code points above U+10FFFF, which a
 * JSON parser would refuse or rewrite. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void cai_ev_strn(struct cai_ev *e, const char *key, const char *s, size_t n, size_t limit)
{
	static const char hex[] = "0123456789abcdef";
	sep(e, key);
	if (!s) {
		put(e, "null", 4);
		return;
	}
	putc_(e, '"');
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	bool cut = n > limit;
	if (cut) {
		n = limit;
		e->truncated = true;
	}
	while (i < n) {
		char tmp[8];
		size_t tn, adv;
		unsigned c = p[i];
		size_t u = utf8_len(p + i, n - i);
		if (u == 0 && cut && c >= 0xc2 && n - i < 4) {
			/* The limit fell inside a character: stop before it. */
			break;
		} else if (u == 0) {
			/* Not UTF-8: JSON cannot carry raw bytes, so the byte
			 * becomes U+FFFD (documented in audit-events(7)). */
			memcpy(tmp, "\\ufffd", 6);
			tn = 6;
			adv = 1;
		} else if (u > 1) {
			memcpy(tmp, p + i, u);
			tn = u;
			adv = u;
		} else if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			tn = 2;
			adv = 1;
		} else if (c == '\n') {
			memcpy(tmp, "\\n", 2);
			tn = 2;
			adv = 1;
		} else if (c == '\t') {
			memcpy(tmp, "\\t", 2);
			tn = 2;
			adv = 1;
		} else if (c == '\r') {
			memcpy(tmp, "\\r", 2);
			tn = 2;
			adv = 1;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[c >> 4];
			tmp[5] = hex[c & 0xf];
			tn = 6;
			adv = 1;
		} else {
			tmp[0] = (char)c;
			tn = 1;
			adv = 1;
		}
		if (tn >= avail(e)) {
			e->truncated = true;
			break;
		}
		memcpy(e->buf + e->len, tmp, tn);
		e->len += tn;
		i += adv;
	}
	putc_(e, '"');
}

void cai_ev_str(struct cai_ev *e, const char *key, const char *s, size_t limit)
{
	cai_ev_strn(e, key, s, s ? strnlen(s, limit + 1) : 0, limit);
}

static void put_u64(struct cai_ev *e, unsigned long long v, bool neg)
{
	char tmp[24];
	int i = (int)sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		tmp[--i] = '-';
	put(e, tmp + i, sizeof(tmp) - (size_t)i);
}

void cai_ev_int(struct cai_ev *e, const char *key, long long v)
{
	sep(e, key);
	if (v < 0)
		put_u64(e, 0ULL - (unsigned long long)v, true);
	else
		put_u64(e, (unsigned long long)v, false);
}

void cai_ev_uint(struct cai_ev *e, const char *key, unsigned long long v)
{
	sep(e, key);
	put_u64(e, v, false);
}

void cai_ev_bool(struct cai_ev *e, const char *key, bool v)
{
	sep(e, key);
	put(e, v ? "true" : "false", v ? 4 : 5);
}

void cai_ev_null(struct cai_ev *e, const char *key)
{
	sep(e, key);
	put(e, "null", 4);
}

size_t cai_ev_finish(struct cai_ev *e)
{
	while (e->depth > 0)
		close_level(e, e->closer[e->depth]);
	putc_(e, '}');
	e->buf[e->len < e->cap ? e->len : e->cap - 1] = '\0';
	return e->len;
}

static void fmt_digits(char *out, unsigned long long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Howard Hinnant's days_from_civil inverse: gmtime_r takes glibc's tz
 * lock, which a hook in a signal handler must not. */
void cai_ev_fmt_utc(char out[static 32], long long sec, long nsec)
{
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
}

void cai_ev_fmt_mono(char out[static 32], long long sec, long nsec)
{
	char tmp[24];
	int i = (int)sizeof(tmp);
	unsigned long long v = sec < 0 ? 0 : (unsigned long long)sec;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t n = sizeof(tmp) - (size_t)i;
	memcpy(out, tmp + i, n);
	out[n] = '.';
	fmt_digits(out + n + 1, (unsigned long long)nsec, 9);
	out[n + 10] = '\0';
}

void cai_ev_fmt_mode(char out[static 8], unsigned mode)
{
	out[0] = (char)('0' + ((mode >> 9) & 7));
	out[1] = (char)('0' + ((mode >> 6) & 7));
	out[2] = (char)('0' + ((mode >> 3) & 7));
	out[3] = (char)('0' + (mode & 7));
	out[4] = '\0';
}

void cai_ev_open_flags(struct cai_ev *e, const char *key, int flags)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{O_CREAT, "O_CREAT"},	  {O_EXCL, "O_EXCL"},	      {O_NOCTTY, "O_NOCTTY"},
		{O_TRUNC, "O_TRUNC"},	  {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
		{O_DSYNC, "O_DSYNC"},	  {O_ASYNC, "O_ASYNC"},	      {O_DIRECT, "O_DIRECT"},
		{O_LARGEFILE, "O_LARGEFILE"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
		{O_CLOEXEC, "O_CLOEXEC"}, {O_PATH, "O_PATH"},
	};
	cai_ev_arr_begin(e, key);
	int acc = flags & O_ACCMODE;
	cai_ev_str(e, NULL, acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "O_ACCMODE", 16);
	int rest = flags & ~O_ACCMODE;
	/* O_TMPFILE includes O_DIRECTORY, O_SYNC includes O_DSYNC. */
	if ((rest & CAI_O_TMPFILE_BIT) == CAI_O_TMPFILE_BIT) {
		cai_ev_str(e, NULL, "O_TMPFILE", 16);
		rest &= ~CAI_O_TMPFILE_BIT;
	} else if (rest & O_DIRECTORY) {
		cai_ev_str(e, NULL, "O_DIRECTORY", 16);
		rest &= ~O_DIRECTORY;
	}
	if ((rest & O_SYNC) == O_SYNC) {
		cai_ev_str(e, NULL, "O_SYNC", 16);
		rest &= ~O_SYNC;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].bit && (rest & names[i].bit) == names[i].bit) {
			cai_ev_str(e, NULL, names[i].name, 16);
			rest &= ~names[i].bit;
		}
	}
	if (rest) {
		char hexbuf[16];
		static const char hex[] = "0123456789abcdef";
		unsigned u = (unsigned)rest;
		int i = 15;
		hexbuf[i] = '\0';
		do {
			hexbuf[--i] = hex[u & 0xf];
			u >>= 4;
		} while (u && i > 2);
		hexbuf[--i] = 'x';
		hexbuf[--i] = '0';
		cai_ev_str(e, NULL, hexbuf + i, 16);
	}
	cai_ev_arr_end(e);
}

const char *cai_ev_errno_name(int err, char buf[static 16])
{
	const char *n = cai_errno_symbol(err);
	if (n)
		return n;
	char tmp[12];
	int i = (int)sizeof(tmp);
	unsigned v = err < 0 ? 0U - (unsigned)err : (unsigned)err;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 1);
	buf[0] = 'E';
	memcpy(buf + 1, tmp + i, sizeof(tmp) - (size_t)i);
	buf[1 + sizeof(tmp) - (size_t)i] = '\0';
	return buf;
}

void cai_ev_sockaddr(struct cai_ev *e, const struct sockaddr *sa, unsigned len)
{
	char text[INET6_ADDRSTRLEN];
	if (!sa || len < sizeof(sa_family_t)) {
		cai_ev_null(e, "family");
		return;
	}
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const void *)sa;
		cai_ev_str(e, "family", "AF_INET", 16);
		if (len < sizeof(*in))
			break;
		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
		cai_ev_str(e, "address", text, sizeof(text));
		cai_ev_uint(e, "port", ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		cai_ev_str(e, "family", "AF_INET6", 16);
		if (len < sizeof(*in6))
			break;
		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		cai_ev_str(e, "address", text, sizeof(text));
		cai_ev_uint(e, "port", ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = (const void *)sa;
		size_t off = offsetof(struct sockaddr_un, sun_path);
		cai_ev_str(e, "family", "AF_UNIX", 16);
		if (len <= off) {
			cai_ev_null(e, "path");
			break;
		}
		size_t n = len - off;
		if (n > sizeof(un->sun_path))
			n = sizeof(un->sun_path);
		if (un->sun_path[0] == '\0') {
			cai_ev_strn(e, "abstract", un->sun_path + 1, n - 1, sizeof(un->sun_path));
		} else {
			cai_ev_strn(e, "path", un->sun_path, strnlen(un->sun_path, n), sizeof(un->sun_path));
		}
		break;
	}
	case AF_UNSPEC:
		cai_ev_str(e, "family", "AF_UNSPEC", 16);
		break;
	case AF_NETLINK:
		cai_ev_str(e, "family", "AF_NETLINK", 16);
		break;
	default:
		cai_ev_uint(e, "family_number", sa->sa_family);
		cai_ev_str(e, "family", "other", 16);
		break;
	}
}
