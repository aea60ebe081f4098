/* The shim's allocation-free JSON writer, checked by parsing its output
 * with libjq: every string must round-trip or be cut with the marker set,
 * and the document must stay valid and bounded whatever the input. */
#include <errno.h>
#include <fcntl.h>
#include <jv.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include "../../src/shim/event.h"
#include "tap.h"

static jv parse(const char *buf) { return jv_parse(buf); }

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
	char buf[CAI_EV_MAX];
	struct cai_ev e;

	/* Escaping of every character class JSON cares about. */
	const char tricky[] = "a\"b\\c\n\t\r\x01\x1f\x7f/é€😀";
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, "s", tricky, 1000);
	cai_ev_finish(&e);
	jv doc = parse(buf);
	ok(jv_is_valid(doc), "escaped string parses: %s", buf);
	is_str(field_str(doc, "s"), tricky, "the string round-trips through libjq");
	ok(!e.truncated, "no truncation marker for a short string");
	jv_free(doc);

	/* Invalid UTF-8 becomes U+FFFD, one per bad byte. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, "s", "x\xff\xc3(y\xed\xa0\x80", 1000);
	cai_ev_finish(&e);
	doc = parse(buf);
	ok(jv_is_valid(doc), "invalid UTF-8 still gives valid JSON");
	is_str(field_str(doc, "s"), "x\xef\xbf\xbd\xef\xbf\xbd(y\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	       "each invalid byte (and surrogate bytes) is U+FFFD");
	jv_free(doc);

	/* The per-field limit cuts and marks. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, "s", "abcdefghij", 4);
	cai_ev_finish(&e);
	doc = parse(buf);
	is_str(field_str(doc, "s"), "abcd", "a string is cut at its limit");
	ok(e.truncated, "and the truncation marker is set");
	jv_free(doc);

	/* A multi-byte character is never split. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_str(&e, "s", "ab€", 4);
	cai_ev_finish(&e);
	doc = parse(buf);
	ok(jv_is_valid(doc), "cutting inside a multi-byte character keeps valid JSON");
	is_str(field_str(doc, "s"), "ab", "the cut falls before the character, not inside it");
	jv_free(doc);

	/* Huge inputs: output stays within the buffer and valid. */
	static char big[100000];
	memset(big, '"', sizeof(big) - 1);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_arr_begin(&e, "list");
	for (int i = 0; i < 10; i++)
		cai_ev_str(&e, NULL, big, sizeof(big));
	cai_ev_arr_end(&e);
	cai_ev_uint(&e, "after", 7);
	size_t len = cai_ev_finish(&e);
	doc = parse(buf);
	ok(jv_is_valid(doc), "10 x 100 KB of quotes still give valid JSON");
	ok(len < sizeof(buf), "output stays inside the %zu-byte buffer (%zu)", sizeof(buf), len);
	ok(e.truncated, "and is marked truncated");
	jv after = jv_object_get(jv_copy(doc), jv_string("after"));
	is_int(jv_get_kind(after) == JV_KIND_NUMBER ? jv_number_value(after) : -1, 7,
	       "fields after a cut are still written");
	jv_free(after);
	jv_free(doc);

	/* Unclosed levels are closed by finish, each with its own bracket. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_obj_begin(&e, "o");
	cai_ev_arr_begin(&e, "a");
	cai_ev_int(&e, NULL, -42);
	cai_ev_finish(&e);
	is_str(buf, "{\"o\":{\"a\":[-42]}}", "finish closes an array and an object correctly");

	/* Numbers at the edges. */
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_int(&e, "min", -9223372036854775807LL - 1);
	cai_ev_uint(&e, "max", 18446744073709551615ULL);
	cai_ev_bool(&e, "t", true);
	cai_ev_null(&e, "n");
	cai_ev_finish(&e);
	is_str(buf, "{\"min\":-9223372036854775808,\"max\":18446744073709551615,\"t\":true,\"n\":null}",
	       "integer extremes, booleans and null");

	char t[32];
	cai_ev_fmt_utc(t, 0, 0);
	is_str(t, "1970-01-01T00:00:00.000000000Z", "epoch in UTC");
	cai_ev_fmt_utc(t, 951782400, 5);
	is_str(t, "2000-02-29T00:00:00.000000005Z", "leap day 2000");
	cai_ev_fmt_utc(t, 1795333196, 123456789);
	is_str(t, "2026-11-22T07:39:56.123456789Z", "a date in 2026");
	cai_ev_fmt_mono(t, 12345, 6789);
	is_str(t, "12345.000006789", "monotonic seconds with nanoseconds");
	char m[8];
	cai_ev_fmt_mode(m, 0644);
	is_str(m, "0644", "mode in octal");
	cai_ev_fmt_mode(m, 04755);
	is_str(m, "4755", "setuid mode in octal");

	char nb[16];
	is_str(cai_ev_errno_name(ENOENT, nb), "ENOENT", "errno name");
	is_str(cai_ev_errno_name(4000, nb), "E4000", "unknown errno number");

	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_open_flags(&e, "f", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
	cai_ev_finish(&e);
	is_str(buf, "{\"f\":[\"O_WRONLY\",\"O_CREAT\",\"O_TRUNC\",\"O_CLOEXEC\"]}", "open flags by name");
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_open_flags(&e, "f", O_RDWR | O_TMPFILE | 0x40000000);
	cai_ev_finish(&e);
	is_str(buf, "{\"f\":[\"O_RDWR\",\"O_TMPFILE\",\"0x40000000\"]}", "O_TMPFILE and unknown bits in hex");

	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(8080)};
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&in, sizeof(in));
	cai_ev_finish(&e);
	is_str(buf, "{\"family\":\"AF_INET\",\"address\":\"127.0.0.1\",\"port\":8080}", "IPv4 address");
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&in6, sizeof(in6));
	cai_ev_finish(&e);
	is_str(buf, "{\"family\":\"AF_INET6\",\"address\":\"::1\",\"port\":443}", "IPv6 address");
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	memcpy(un.sun_path, "\0abs", 4);
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path) + 4);
	cai_ev_finish(&e);
	is_str(buf, "{\"family\":\"AF_UNIX\",\"abstract\":\"abs\"}", "abstract unix name");
	strcpy(un.sun_path, "/run/x.sock");
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&un, sizeof(un));
	cai_ev_finish(&e);
	is_str(buf, "{\"family\":\"AF_UNIX\",\"path\":\"/run/x.sock\"}", "unix path");
	cai_ev_init(&e, buf, sizeof(buf));
	cai_ev_sockaddr(&e, (struct sockaddr *)&in, 3);
	cai_ev_finish(&e);
	is_str(buf, "{\"family\":\"AF_INET\"}", "a short address length is not read past");
	return done_testing();
}
