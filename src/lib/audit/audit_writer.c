/* See audit_writer.h for the invariants: no allocation, no locks, always a
 * complete record, bounded output. */
#include "audit_writer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../errno_names.h"

void cai_ev_init(struct cai_ev *e, unsigned char *buf, size_t cap)
{
	memset(e, 0, sizeof(*e));
	e->buf = buf;
	e->cap = cap;
	cai_wire_header(buf, CAI_WIRE_EVENT);
	e->len = CAI_WIRE_HEADER;
}

/* Bytes a value may still use without eating into the reserve. */
static size_t avail(const struct cai_ev *e)
{
	size_t limit = e->cap - CAI_EV_RESERVE;
	return e->len < limit ? limit - e->len : 0;
}

bool cai_ev_room(const struct cai_ev *e, size_t need)
{
	return avail(e) > need;
}

/* An item's type and key, when n more bytes of value fit too; false (and
 * the event marked cut) when they do not. Levels opened while skipping are
 * skipped whole. Strings stop at the reserve; small fixed-size values may
 * use it, all but the tail that closing items and "dropped" and
 * "truncated" need, so fields after a cut string are still written. */
static bool item(struct cai_ev *e, unsigned type, unsigned key, size_t n)
{
	size_t limit = type == CAI_T_STR || type == CAI_T_OBJ || type == CAI_T_ARR ? avail(e)
		       : e->len + CAI_EV_TAIL < e->cap				   ? e->cap - CAI_EV_TAIL - e->len
										   : 0;
	if (e->skip || 2 + n > limit) {
		e->truncated = true;
		return false;
	}
	e->buf[e->len++] = (unsigned char)type;
	e->buf[e->len++] = (unsigned char)key;
	return true;
}

static void put(struct cai_ev *e, const void *p, size_t n)
{
	cai_memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void open_level(struct cai_ev *e, unsigned type, unsigned key)
{
	if (e->depth + 1 >= CAI_WIRE_DEPTH || !item(e, type, key, 0)) {
		e->truncated = true;
		e->skip++;
		return;
	}
	e->depth++;
}

void cai_ev_obj_begin(struct cai_ev *e, unsigned key)
{
	open_level(e, CAI_T_OBJ, key);
}
void cai_ev_arr_begin(struct cai_ev *e, unsigned key)
{
	open_level(e, CAI_T_ARR, key);
}

/* Closing items always fit: the reserve holds one per level. */
static void close_level(struct cai_ev *e)
{
	if (e->skip) {
		e->skip--;
		return;
	}
	if (e->depth == 0)
		return;
	e->buf[e->len++] = CAI_T_END;
	e->buf[e->len++] = CAI_K_NONE;
	e->depth--;
}

void cai_ev_obj_end(struct cai_ev *e)
{
	close_level(e);
}
void cai_ev_arr_end(struct cai_ev *e)
{
	close_level(e);
}

/* n, or less so that a cut string does not end inside a UTF-8
 * character: an incomplete sequence at the end is left out. */
static size_t whole_chars(const char *s, size_t n)
{
	for (size_t back = 1; back <= 4 && back <= n; back++) {
		unsigned c = (unsigned char)s[n - back];
		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? n - back : n;
	}
	return n;
}

static void str_value(struct cai_ev *e, const char *s, size_t n, size_t limit)
{
	size_t room = avail(e) - 2; /* item() left at least the length */
	size_t keep = n < limit ? n : limit;
	if (keep > room)
		keep = room;
	if (keep > UINT16_MAX)
		keep = UINT16_MAX;
	if (keep < n) {
		keep = whole_chars(s, keep);
		e->truncated = true;
	}
	uint16_t len = (uint16_t)keep;
	put(e, &len, 2);
	put(e, s, keep);
}

void cai_ev_strn(struct cai_ev *e, unsigned key, const char *s, size_t n, size_t limit)
{
	if (!s) {
		cai_ev_null(e, key);
		return;
	}
	if (item(e, CAI_T_STR, key, 2))
		str_value(e, s, n, limit);
}

void cai_ev_str(struct cai_ev *e, unsigned key, const char *s, size_t limit)
{
	cai_ev_strn(e, key, s, s ? cai_strnlen(s, limit + 1) : 0, limit);
}

void cai_ev_str_named(struct cai_ev *e, const char *name, size_t name_len, const char *s, size_t limit)
{
	if (name_len == 0 || name_len > CAI_WIRE_INLINE_KEY_MAX || !s) {
		e->truncated = true;
		return;
	}
	if (!item(e, CAI_T_STR, CAI_K_INLINE, 1 + name_len + 2))
		return;
	e->buf[e->len++] = (unsigned char)name_len;
	put(e, name, name_len);
	str_value(e, s, cai_strnlen(s, limit + 1), limit);
}

char *cai_ev_str_begin(struct cai_ev *e, unsigned key, size_t limit, size_t *room)
{
	if (!item(e, CAI_T_STR, key, 2))
		return NULL;
	e->open_str = e->len;
	e->len += 2;
	size_t r = avail(e);
	if (r > limit)
		r = limit;
	*room = r > UINT16_MAX ? UINT16_MAX : r;
	return (char *)e->buf + e->len;
}

void cai_ev_str_end(struct cai_ev *e, size_t n, bool cut)
{
	if (cut) {
		n = whole_chars((const char *)e->buf + e->len, n);
		e->truncated = true;
	}
	uint16_t len = (uint16_t)n;
	memcpy(e->buf + e->open_str, &len, 2);
	e->len += n;
}

void cai_ev_str_cancel(struct cai_ev *e)
{
	e->len = e->open_str - 2;
}

void cai_ev_int(struct cai_ev *e, unsigned key, long long v)
{
	int64_t x = v;
	if (item(e, CAI_T_INT, key, 8))
		put(e, &x, 8);
}

void cai_ev_uint(struct cai_ev *e, unsigned key, unsigned long long v)
{
	uint64_t x = v;
	if (item(e, CAI_T_UINT, key, 8))
		put(e, &x, 8);
}

void cai_ev_bool(struct cai_ev *e, unsigned key, bool v)
{
	(void)item(e, v ? CAI_T_TRUE : CAI_T_FALSE, key, 0);
}

void cai_ev_null(struct cai_ev *e, unsigned key)
{
	(void)item(e, CAI_T_NULL, key, 0);
}

void cai_ev_time(struct cai_ev *e, unsigned key, enum cai_wire_type type, long long sec, long nsec)
{
	int64_t s = sec;
	uint32_t ns = (uint32_t)nsec;
	if (item(e, type, key, 12)) {
		put(e, &s, 8);
		put(e, &ns, 4);
	}
}

size_t cai_ev_finish(struct cai_ev *e)
{
	e->skip = 0;
	while (e->depth > 0)
		close_level(e);
	return e->len;
}

size_t cai_ev_finish_event(struct cai_ev *e, unsigned long long dropped)
{
	cai_ev_finish(e);
	/* The tail (CAI_EV_TAIL) always has room for these two. */
	if (dropped) {
		uint64_t x = dropped;
		e->buf[e->len++] = CAI_T_UINT;
		e->buf[e->len++] = CAI_K_DROPPED;
		put(e, &x, 8);
	}
	if (e->truncated) {
		e->buf[e->len++] = CAI_T_TRUE;
		e->buf[e->len++] = CAI_K_TRUNCATED;
	}
	return e->len;
}

void cai_ev_fmt_mode(char out[static 8], unsigned mode)
{
	out[0] = (char)('0' + ((mode >> 9) & 7));
	out[1] = (char)('0' + ((mode >> 6) & 7));
	out[2] = (char)('0' + ((mode >> 3) & 7));
	out[3] = (char)('0' + (mode & 7));
	out[4] = '\0';
}

void cai_ev_open_flags(struct cai_ev *e, unsigned key, int flags)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
	    {O_CREAT, "O_CREAT"},	  {O_EXCL, "O_EXCL"},	      {O_NOCTTY, "O_NOCTTY"},
	    {O_TRUNC, "O_TRUNC"},	  {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
	    {O_DSYNC, "O_DSYNC"},	  {O_ASYNC, "O_ASYNC"},	      {O_DIRECT, "O_DIRECT"},
	    {O_LARGEFILE, "O_LARGEFILE"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
	    {O_CLOEXEC, "O_CLOEXEC"},	  {O_PATH, "O_PATH"},
	};
	cai_ev_arr_begin(e, key);
	int acc = flags & O_ACCMODE;
	cai_ev_str(e, CAI_K_NONE,
		   acc == O_RDONLY   ? "O_RDONLY"
		   : acc == O_WRONLY ? "O_WRONLY"
		   : acc == O_RDWR   ? "O_RDWR"
				     : "O_ACCMODE",
		   16);
	int rest = flags & ~O_ACCMODE;
	/* O_TMPFILE includes O_DIRECTORY, O_SYNC includes O_DSYNC. */
	if ((rest & CAI_O_TMPFILE_BIT) == CAI_O_TMPFILE_BIT) {
		cai_ev_str(e, CAI_K_NONE, "O_TMPFILE", 16);
		rest &= ~CAI_O_TMPFILE_BIT;
	} else if (rest & O_DIRECTORY) {
		cai_ev_str(e, CAI_K_NONE, "O_DIRECTORY", 16);
		rest &= ~O_DIRECTORY;
	}
	if ((rest & O_SYNC) == O_SYNC) {
		cai_ev_str(e, CAI_K_NONE, "O_SYNC", 16);
		rest &= ~O_SYNC;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].bit && (rest & names[i].bit) == names[i].bit) {
			cai_ev_str(e, CAI_K_NONE, names[i].name, 16);
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
		cai_ev_str(e, CAI_K_NONE, hexbuf + i, 16);
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
	cai_memcpy(buf + 1, tmp + i, sizeof(tmp) - (size_t)i);
	buf[1 + sizeof(tmp) - (size_t)i] = '\0';
	return buf;
}

void cai_ev_sockaddr(struct cai_ev *e, const struct sockaddr *sa, unsigned len)
{
	char text[INET6_ADDRSTRLEN];
	if (!sa || len < sizeof(sa_family_t)) {
		cai_ev_null(e, CAI_K_FAMILY);
		return;
	}
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const void *)sa;
		cai_ev_str(e, CAI_K_FAMILY, "AF_INET", 16);
		if (len < sizeof(*in))
			break;
		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
		cai_ev_str(e, CAI_K_ADDRESS, text, sizeof(text));
		cai_ev_uint(e, CAI_K_PORT, ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		cai_ev_str(e, CAI_K_FAMILY, "AF_INET6", 16);
		if (len < sizeof(*in6))
			break;
		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		cai_ev_str(e, CAI_K_ADDRESS, text, sizeof(text));
		cai_ev_uint(e, CAI_K_PORT, ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = (const void *)sa;
		size_t off = offsetof(struct sockaddr_un, sun_path);
		cai_ev_str(e, CAI_K_FAMILY, "AF_UNIX", 16);
		if (len <= off) {
			cai_ev_null(e, CAI_K_PATH);
			break;
		}
		size_t n = len - off;
		if (n > sizeof(un->sun_path))
			n = sizeof(un->sun_path);
		if (un->sun_path[0] == '\0') {
			cai_ev_strn(e, CAI_K_ABSTRACT, un->sun_path + 1, n - 1, sizeof(un->sun_path));
		} else {
			cai_ev_strn(e, CAI_K_PATH, un->sun_path, strnlen(un->sun_path, n), sizeof(un->sun_path));
		}
		break;
	}
	case AF_UNSPEC:
		cai_ev_str(e, CAI_K_FAMILY, "AF_UNSPEC", 16);
		break;
	case AF_NETLINK:
		cai_ev_str(e, CAI_K_FAMILY, "AF_NETLINK", 16);
		break;
	default:
		cai_ev_uint(e, CAI_K_FAMILY_NUMBER, sa->sa_family);
		cai_ev_str(e, CAI_K_FAMILY, "other", 16);
		break;
	}
}
