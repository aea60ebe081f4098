/* The collector's check of incoming events (libjq): well-formed events
 * pass and get the kernel's credentials, and every kind of malformed
 * message is refused with a reason, never a crash. */
#include "audit_event.h"
#include "tap.h"

#define GOOD_HEAD                                                                              \
	"{\"v\":1,\"ts\":\"2026-11-22T07:19:56.000000001Z\",\"mono\":\"1.5\",\"pid\":10,\"ppid\":1," \
	"\"tid\":10,\"uid\":1000,\"comm\":\"cat\",\"cwd\":\"/tmp\","

static bool accepted(const char *msg, char *why, size_t whylen)
{
	struct cai_error err = {0};
	jv ev = cai_audit_event_parse(msg, strlen(msg), &err);
	bool ok_ = jv_is_valid(ev);
	jv_free(ev);
	snprintf(why, whylen, "%s", err.msg);
	return ok_;
}

int main(void)
{
	char why[1024];
	static const struct {
		const char *msg, *reason, *name;
	} bad[] = {
		{"", "empty message", "empty message"},
		{"not json", "not JSON", "garbage"},
		{"[1,2]", "not a JSON object", "an array"},
		{"{\"v\":2}", "unknown schema version", "another schema version"},
		{"{\"v\":1} {\"v\":1}", "not JSON", "two values in one message"},
		{GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":3},"
			   "\"peer\":{\"pid\":1}}",
		 "reserved field set by sender", "a forged peer stamp"},
		{GOOD_HEAD "\"call\":\"unlink\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":0}}",
		 "unknown call", "an unknown call"},
		{GOOD_HEAD "\"call\":\"open\",\"phase\":\"later\",\"args\":{},\"result\":{\"return\":0}}",
		 "unknown phase", "an unknown phase"},
		{GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{}}", "missing result object",
		 "an exit without result"},
		{GOOD_HEAD "\"call\":\"execve\",\"phase\":\"enter\",\"args\":{},\"result\":{\"return\":0}}",
		 "result in an enter event", "an enter with a result"},
		{GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":[],\"result\":{\"return\":0}}",
		 "missing args object", "args not an object"},
		{GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":\"x\"}}",
		 "malformed result", "a string return value"},
		{GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":0},\"dropped\":-1}",
		 "malformed dropped count", "a negative drop count"},
		{GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":0},\"truncated\":1}",
		 "malformed truncated marker", "a numeric truncation marker"},
		{"{\"v\":1,\"ts\":\"x\",\"mono\":\"1\",\"pid\":1.5,\"ppid\":1,\"tid\":1,\"uid\":0,\"comm\":\"a\","
		 "\"cwd\":null,\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":0}}",
		 "missing or mistyped id field", "a fractional pid"},
		{"{\"v\":1,\"ts\":\"x\",\"mono\":\"1\",\"pid\":1,\"ppid\":1,\"tid\":1,\"uid\":0,\"comm\":\"a\","
		 "\"cwd\":5,\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":0}}",
		 "missing or mistyped cwd", "a numeric cwd"},
		{"{\"v\":1,\"mono\":\"1\",\"pid\":1,\"ppid\":1,\"tid\":1,\"uid\":0,\"comm\":\"a\","
		 "\"cwd\":null,\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":0}}",
		 "missing or mistyped string field", "no timestamp"},
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(bad); i++) {
		ok(!accepted(bad[i].msg, why, sizeof(why)), "refused: %s", bad[i].name);
		is_str(why, bad[i].reason, "with the reason for %s", bad[i].name);
	}

	char embedded_nul[] = GOOD_HEAD "\"call\":\"open\"\0";
	struct cai_error err = {0};
	jv ev = cai_audit_event_parse(embedded_nul, sizeof(embedded_nul) - 1, &err);
	ok(!jv_is_valid(ev), "refused: a NUL byte inside the message");
	jv_free(ev);

	static char huge[CAI_AUDIT_EVENT_MAX + 2];
	memset(huge, ' ', sizeof(huge) - 1);
	ok(!accepted(huge, why, sizeof(why)), "refused: a message over %d bytes", CAI_AUDIT_EVENT_MAX);
	is_str(why, "message too large", "with its reason");

	const char *good = GOOD_HEAD "\"call\":\"openat\",\"phase\":\"exit\",\"args\":{\"path\":\"x\"},"
				     "\"result\":{\"return\":-1,\"errno\":2,\"error\":\"ENOENT\"},\"dropped\":3}";
	ok(accepted(good, why, sizeof(why)), "a well-formed failed openat is accepted (%s)", why);
	const char *enter = GOOD_HEAD "\"call\":\"execve\",\"phase\":\"enter\",\"args\":{\"argv\":[]},"
				      "\"truncated\":true}";
	ok(accepted(enter, why, sizeof(why)), "a well-formed exec enter event is accepted (%s)", why);

	ev = cai_audit_event_parse(good, strlen(good), &err);
	ev = cai_audit_event_stamp(ev, 4242, 1000, 100);
	jv peer = jv_object_get(ev, jv_string("peer")); /* consumes ev */
	jv pid = jv_object_get(jv_copy(peer), jv_string("pid"));
	jv gid = jv_object_get(peer, jv_string("gid"));
	is_int(jv_number_value(pid), 4242, "the stamp carries the kernel's pid");
	is_int(jv_number_value(gid), 100, "and gid");
	jv_free(pid);
	jv_free(gid);

	jv rec = cai_audit_rejected_record("not JSON", 12, 7, 0, 0);
	jv r = jv_object_get(rec, jv_string("rejected"));
	jv reason = jv_object_get(r, jv_string("reason"));
	is_str(jv_string_value(reason), "not JSON", "a rejection record names the reason");
	jv_free(reason);

	ok(!accepted("{\"v\":1,\n\"x\":1}", why, sizeof(why)), "refused: a raw newline (the log is one event per line)");
	is_str(why, "control byte in message", "with its reason");
	ok(!accepted("{\"v\":\"\xff\"}", why, sizeof(why)), "refused: bytes that are not UTF-8");
	is_str(why, "not UTF-8", "with its reason");
	ok(!accepted("{\"v\":\"\xed\xa0\x80\"}", why, sizeof(why)), "refused: an encoded surrogate");
	ok(!accepted("{\"v\":1} ", why, sizeof(why)), "refused: trailing bytes after the object");

	char line[256];
	size_t ln = cai_audit_event_line(line, sizeof(line), "{\"a\":1}", 7, 42, 1000, 100, NULL, NULL);
	line[ln] = '\0';
	is_str(line, "{\"a\":1,\"peer\":{\"pid\":42,\"uid\":1000,\"gid\":100}}", "the stamp is spliced into the message's own bytes");
	is_int(cai_audit_event_line(line, 20, "{\"a\":1}", 7, 42, 1000, 100, NULL, NULL), 0, "a line that does not fit is refused, not cut");

	ln = cai_audit_event_line(line, sizeof(line), "{\"a\":1}", 7, 42, 1000, 100, "{\"id\":\"x\",\"name\":null}", NULL);
	line[ln] = '\0';
	is_str(line, "{\"a\":1,\"peer\":{\"pid\":42,\"uid\":1000,\"gid\":100},\"container\":{\"id\":\"x\",\"name\":null}}",
	       "the container is spliced after the peer");
	is_int(cai_audit_event_line(line, 60, "{\"a\":1}", 7, 42, 1000, 100, "{\"id\":\"x\",\"name\":null}", NULL), 0,
	       "a line whose container does not fit is refused, not cut");

#define CID "3f4e1a2b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8"
	static const char *const claims[] = {
		"{\"id\":\"" CID "\",\"name\":\"web\"}",
		"{\"id\":\"" CID "\",\"name\":null}",
	};
	static const char *const bad_claims[] = {
		"\"" CID "\"",
		"{\"id\":\"" CID "\"}",
		"{\"id\":\"" CID "0\",\"name\":null}",
		"{\"id\":null,\"name\":null}",
		"{\"id\":\"" CID "\",\"name\":7}",
		"{\"id\":\"" CID "\",\"name\":null,\"extra\":1}",
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(claims) + CAI_ARRAY_LEN(bad_claims); i++) {
		bool good_claim = i < CAI_ARRAY_LEN(claims);
		const char *c = good_claim ? claims[i] : bad_claims[i - CAI_ARRAY_LEN(claims)];
		char *m = xasprintf("%.*s,\"container\":%s}", (int)strlen(good) - 1, good, c);
		jv e = cai_audit_event_parse(m, strlen(m), &err);
		ok(!jv_is_valid(e) && strcmp(err.msg, "only the collector says which container") == 0,
		   "a sender's container claim %zu is refused by default", i);
		jv_free(e);
		e = cai_audit_event_parse_from(m, strlen(m), true, &err);
		if (good_claim)
			ok(jv_is_valid(e), "a well-formed claim %zu is accepted from a sender who may make it", i);
		else
			ok(!jv_is_valid(e) && strcmp(err.msg, "malformed container") == 0,
			   "a malformed claim %zu is refused even from such a sender", i);
		jv_free(e);
		free(m);
	}

	ok(cai_audit_known_call("__openat64_2"), "fortify variants are known calls");
	ok(!cai_audit_known_call("read"), "read is not a reported call");
	return done_testing();
}
