/* The shim's allocation-free record writer, checked through the
 * collector's reader (audit_record.c) and libjq: every string must
 * round-trip or be cut with the marker set, and the record must stay
 * well-formed and bounded whatever the input. */
#include <errno.h>
#include <fcntl.h>
#include <jv.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include "audit_writer.h"
#include "audit_record.h"
#include "tap.h"

/* The record as the collector would write it (structure only). */
static char *json_of(const struct cai_ev *e)
{
	static char out[CAI_RECORD_JSON_MAX];
	struct cai_error err = {0};
	if (cai_record_to_json(e->buf, e->len, out, sizeof(out), &err) < 0)
		snprintf(out, sizeof(out), "refused: %s", err.msg);
	return out;
}

static jv parse(const struct cai_ev *e)
{
	return jv_parse(json_of(e));
}

static char *field_str(jv doc, const char *key)
{
	jv v = jv_object_get(jv_copy(doc), jv_string(key));
	static char out[CAI_EV_MAX * 2];
	out[0] = '\0';
	if (jv_get_kind(v) == JV_KIND_STRING)
		snprintf(out, sizeof(out), "%s", jv_string_value(v));
	jv_free(v);
	return out;
}

int main(void)
{
	unsigned char buf[CAI_EV_MAX];
	struct cai_ev e;

	/* Escaping of every character class JSON cares about. */
	const char tricky[] = "a\"b\\c\n\t\r\x01\x1f\x7f/é€😀";
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, CAI_K_PATH, tricky, 1000);
	cai_ev_finish(&e);
	jv doc = parse(&e);
	ok(jv_is_valid(doc), "escaped string parses: %s", json_of(&e));
	is_str(field_str(doc, "path"), tricky, "the string round-trips through libjq");
	ok(!e.truncated, "no truncation marker for a short string");
	jv_free(doc);

	/* Invalid UTF-8 becomes U+FFFD, one per bad byte. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, CAI_K_PATH, "x\xff\xc3(y\xed\xa0\x80", 1000);
	cai_ev_finish(&e);
	doc = parse(&e);
	ok(jv_is_valid(doc), "invalid UTF-8 still gives valid JSON");
	is_str(field_str(doc, "path"), "x\xef\xbf\xbd\xef\xbf\xbd(y\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	       "each invalid byte (and surrogate bytes) is U+FFFD");
	jv_free(doc);

	/* The per-field limit cuts and marks. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, CAI_K_PATH, "abcdefghij", 4);
	cai_ev_finish(&e);
	doc = parse(&e);
	is_str(field_str(doc, "path"), "abcd", "a string is cut at its limit");
	ok(e.truncated, "and the truncation marker is set");
	jv_free(doc);

	/* A multi-byte character is never split. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, CAI_K_PATH, "ab€", 4);
	cai_ev_finish(&e);
	doc = parse(&e);
	ok(jv_is_valid(doc), "cutting inside a multi-byte character keeps valid JSON");
	is_str(field_str(doc, "path"), "ab", "the cut falls before the character, not inside it");
	jv_free(doc);

	/* Huge inputs: output stays within the buffer and valid. */
	static char big[100000];
	memset(big, '"', sizeof(big) - 1);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_arr_begin(&e, CAI_K_ARGV);
	for (int i = 0; i < 10; i++)
		cai_ev_str(&e, CAI_K_NONE, big, sizeof(big));
	cai_ev_arr_end(&e);
	cai_ev_uint(&e, CAI_K_ARGC, 7);
	size_t len = cai_ev_finish(&e);
	doc = parse(&e);
	ok(jv_is_valid(doc), "10 x 100 KB of quotes still give valid JSON");
	ok(len <= sizeof(buf), "the record stays inside the %zu-byte buffer (%zu)", sizeof(buf), len);
	ok(e.truncated, "and is marked truncated");
	jv after = jv_object_get(jv_copy(doc), jv_string("argc"));
	is_int(jv_get_kind(after) == JV_KIND_NUMBER ? jv_number_value(after) : -1, 7,
	       "fields after a cut are still written");
	jv_free(after);
	jv_free(doc);

	/* Unclosed levels are closed by finish, each with its own bracket. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_obj_begin(&e, CAI_K_ARGS);
	cai_ev_arr_begin(&e, CAI_K_ARGV);
	cai_ev_int(&e, CAI_K_NONE, -42);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"args\":{\"argv\":[-42]}}", "finish closes an array and an object correctly");

	/* Numbers at the edges. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_int(&e, CAI_K_PID, -9223372036854775807LL - 1);
	cai_ev_uint(&e, CAI_K_PPID, 18446744073709551615ULL);
	cai_ev_bool(&e, CAI_K_TRUNCATED, true);
	cai_ev_null(&e, CAI_K_CWD);
	cai_ev_finish(&e);
	is_str(json_of(&e),
	       "{\"pid\":-9223372036854775808,\"ppid\":18446744073709551615,\"truncated\":true,\"cwd\":null}",
	       "integer extremes, booleans and null");

	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_time(&e, CAI_K_TS, CAI_T_UTC, 0, 0);
	cai_ev_time(&e, CAI_K_MONO, CAI_T_MONO, 12345, 6789);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"ts\":\"1970-01-01T00:00:00.000000000Z\",\"mono\":\"12345.000006789\"}",
	       "times are written by the reader: epoch in UTC, monotonic seconds with nanoseconds");
	char t[32];
	cai_fmt_utc(t, 951782400, 5);
	is_str(t, "2000-02-29T00:00:00.000000005Z", "leap day 2000");
	cai_fmt_utc(t, 1795333196, 123456789);
	is_str(t, "2026-11-22T07:39:56.123456789Z", "a date in 2026");

	/* Keys of the caller's own: environment variables inside "env". */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_obj_begin(&e, CAI_K_ENV);
	cai_ev_str_named(&e, "PATH", 4, "/bin", 100);
	cai_ev_str_named(&e, "HOME", 4, "/root", 100);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"env\":{\"PATH\":\"/bin\",\"HOME\":\"/root\"}}", "environment variables by name");
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str_named(&e, "PATH", 4, "/bin", 100);
	cai_ev_finish(&e);
	ok(strstr(json_of(&e), "refused: a key of the sender's own outside") != NULL,
	   "a name of the caller's is refused outside \"env\"");

	/* A string written in place, cut inside a character. */
	cai_ev_init(&e, buf, sizeof(buf));
	size_t room;
	char *p = cai_ev_str_begin(&e, CAI_K_RESOLVED, 5, &room);
	is_int((long long)room, 5, "a string in place gets its limit as room");
	memcpy(p, "ab\xe2\x82\xac", 5);
	cai_ev_str_end(&e, 4, true);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"resolved\":\"ab\"}", "a cut in place ends before an incomplete character");
	ok(e.truncated, "and marks the event");
	cai_ev_init(&e, buf, sizeof(buf));
	(void)cai_ev_str_begin(&e, CAI_K_RESOLVED, 5, &room);
	cai_ev_str_cancel(&e);
	cai_ev_null(&e, CAI_K_RESOLVED);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"resolved\":null}", "a string in place can be taken back");
	char m[8];
	cai_ev_fmt_mode(m, 0644);
	is_str(m, "0644", "mode in octal");
	cai_ev_fmt_mode(m, 04755);
	is_str(m, "4755", "setuid mode in octal");

	char nb[16];
	is_str(cai_ev_errno_name(ENOENT, nb), "ENOENT", "errno name");
	is_str(cai_ev_errno_name(4000, nb), "E4000", "unknown errno number");

	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_open_flags(&e, CAI_K_FLAGS, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"flags\":[\"O_WRONLY\",\"O_CREAT\",\"O_TRUNC\",\"O_CLOEXEC\"]}", "open flags by name");
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_open_flags(&e, CAI_K_FLAGS, O_RDWR | O_TMPFILE | 0x40000000);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"flags\":[\"O_RDWR\",\"O_TMPFILE\",\"0x40000000\"]}",
	       "O_TMPFILE and unknown bits in hex");

	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(8080)};
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&in, sizeof(in));
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"family\":\"AF_INET\",\"address\":\"127.0.0.1\",\"port\":8080}", "IPv4 address");
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&in6, sizeof(in6));
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"family\":\"AF_INET6\",\"address\":\"::1\",\"port\":443}", "IPv6 address");
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	memcpy(un.sun_path, "\0abs", 4);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path) + 4);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"family\":\"AF_UNIX\",\"abstract\":\"abs\"}", "abstract unix name");
	strcpy(un.sun_path, "/run/x.sock");
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&un, sizeof(un));
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"family\":\"AF_UNIX\",\"path\":\"/run/x.sock\"}", "unix path");
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&in, 3);
	cai_ev_finish(&e);
	is_str(json_of(&e), "{\"family\":\"AF_INET\"}", "a short address length is not read past");
	return done_testing();
}
