/* The collector's reader of audit records (audit_record.c): well-formed
 * events pass and come out as the JSON they carry, every kind of malformed
 * or hostile record is refused with a reason, and whatever it writes is
 * strict JSON. Records are made with the host's encoder from JSON text,
 * and by hand where the encoder would refuse to make them. */
#include "audit_event.h"
#include "audit_record.h"
#include "tap.h"

#define GOOD_HEAD                                                                                                      \
	"{\"v\":1,\"ts\":\"2026-11-22T07:19:56.000000001Z\",\"mono\":\"1.5\",\"pid\":10,\"ppid\":1,"                   \
	"\"tid\":10,\"uid\":1000,\"comm\":\"cat\",\"cwd\":\"/tmp\","
#define GOOD GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{\"path\":\"/x\"},\"result\":{\"return\":3}}"

static unsigned char rec[CAI_WIRE_RECORD_MAX];
static char out[CAI_RECORD_JSON_MAX];

/* The record for a JSON text; its length, or -1. */
static long encode(const char *json, enum cai_wire_kind kind)
{
	struct cai_error err = {0};
	jv v = jv_parse(json);
	long n = cai_record_from_jv(v, kind, rec, sizeof(rec), &err);
	jv_free(v);
	return n;
}

/* Decode rec[0..n) as the collector does; the reason on refusal. */
static const char *decode(long n, bool may_claim, struct cai_record *r)
{
	static struct cai_error err;
	memset(&err, 0, sizeof(err));
	if (n < 0)
		return "could not encode";
	return cai_record_decode(rec, (size_t)n, may_claim, out, sizeof(out), r, &err) < 0 ? err.msg : NULL;
}

static const char *refusal(const char *json)
{
	struct cai_record r;
	return decode(encode(json, CAI_WIRE_EVENT), false, &r);
}

int main(void)
{
	struct cai_record r;

	/* A good event comes out as the JSON it carries, key order kept. */
	long n = encode(GOOD, CAI_WIRE_EVENT);
	ok(n > 0 && decode(n, false, &r) == NULL, "a well-formed event is accepted");
	out[r.json_len] = '\0';
	is_str(out,
	       "{\"v\":1,\"ts\":\"2026-11-22T07:19:56.000000001Z\",\"mono\":\"1.5\",\"pid\":10,\"ppid\":1,\"tid\":10,"
	       "\"uid\":1000,\"comm\":\"cat\",\"cwd\":\"/"
	       "tmp\",\"call\":\"open\",\"phase\":\"exit\",\"args\":{\"path\":\"/x\"},"
	       "\"result\":{\"return\":3}",
	       "written as the JSON it carries, without the closing brace (the stamp follows)");
	is_int(r.kind, CAI_WIRE_EVENT, "of kind event");

	static const struct {
		const char *json, *reason;
	} bad[] = {
	    {"{\"v\":2}", "unknown schema version"},
	    {"{\"v\":1}", "missing or mistyped string field"},
	    {GOOD_HEAD
	     "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":3},\"peer\":{\"pid\":1}}",
	     "a key of the sender's own outside \"env\""},
	    {GOOD_HEAD "\"call\":\"unlink\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":0}}", "unknown call"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"later\",\"args\":{},\"result\":{\"return\":0}}", "unknown phase"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{}}", "missing result object"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"enter\",\"args\":{},\"result\":{\"return\":0}}",
	     "result in an enter event"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":\"3\"}}",
	     "malformed result"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":3,\"errno\":-2}}",
	     "malformed result"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":[],\"result\":{\"return\":3}}",
	     "missing args object"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":3},\"dropped\":-1}",
	     "malformed dropped count"},
	    {GOOD_HEAD
	     "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":3},\"truncated\":false}",
	     "malformed truncated marker"},
	    {GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{},\"result\":{\"return\":3},\"source\":\"me\"}",
	     "unknown source"},
	    {"{\"v\":1,\"ts\":1,\"mono\":\"1\",\"pid\":1,\"ppid\":1,\"tid\":1,\"uid\":0,\"comm\":\"x\",\"cwd\":null,"
	     "\"call\":\"open\",\"phase\":\"enter\",\"args\":{}}",
	     "missing or mistyped string field"},
	    {"{\"v\":1,\"ts\":\"t\",\"mono\":\"1\",\"pid\":-1,\"ppid\":1,\"tid\":1,\"uid\":0,\"comm\":\"x\",\"cwd\":"
	     "null,"
	     "\"call\":\"open\",\"phase\":\"enter\",\"args\":{}}",
	     "missing or mistyped id field"},
	    {"{\"v\":1,\"ts\":\"t\",\"mono\":\"1\",\"pid\":1,\"ppid\":1,\"tid\":1,\"uid\":0,\"comm\":\"x\",\"cwd\":7,"
	     "\"call\":\"open\",\"phase\":\"enter\",\"args\":{}}",
	     "missing or mistyped cwd"},
	    {GOOD_HEAD
	     "\"call\":\"open\",\"phase\":\"exit\",\"args\":{\"env\":{\"A-B\":\"x\"}},\"result\":{\"return\":3}}",
	     "an environment variable's name that is not [A-Za-z0-9_]"},
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(bad); i++) {
		const char *why = refusal(bad[i].json);
		ok(why && strcmp(why, bad[i].reason) == 0, "refused (%s): %s", bad[i].reason, why ? why : "accepted");
	}

	/* Hostile bytes the encoder would never make. */
	n = encode(GOOD, CAI_WIRE_EVENT);
	const char *why;
	why = decode(0, false, &r);
	is_str(why, "empty message", "an empty message");
	memcpy(rec, "{\"v\":1}", 7);
	is_str(decode(7, false, &r), "not an audit record (wire version 2)", "JSON is not a record");
	n = encode(GOOD, CAI_WIRE_EVENT);
	rec[1] = 1;
	is_str(decode(n, false, &r), "not an audit record (wire version 2)", "another wire version");
	n = encode(GOOD, CAI_WIRE_EVENT);
	for (long cut = CAI_WIRE_HEADER + 1; cut < n; cut++) {
		why = decode(cut, false, &r);
		if (!why) {
			ok(0, "a record cut at %ld bytes is refused", cut);
			break;
		}
	}
	ok(1, "a record cut anywhere is refused, never read past its end");
	unsigned char hostile[][6] = {
	    {CAI_T_END, 0},			 /* an end at the top */
	    {CAI_T_STR, CAI_K_PATH, 0xff, 0xff}, /* a length past the end */
	    {0x7f, CAI_K_PATH},			 /* an unknown type */
	    {CAI_T_NULL, 200},			 /* an unknown key */
	    {CAI_T_NULL, CAI_K_NONE},		 /* no key in an object */
	    {CAI_T_OBJ, CAI_K_ENV},		 /* never closed */
	    {CAI_T_STR, CAI_K_INLINE, 0},	 /* an empty name of its own */
	};
	static const char *const hostile_why[] = {
	    "an end without a beginning",
	    "record ends inside an item",
	    "unknown item type",
	    "unknown key",
	    "an item without a key inside an object",
	    "record ends inside an object or array",
	    "a key of the sender's own outside \"env\"",
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(hostile); i++) {
		n = encode(GOOD, CAI_WIRE_EVENT);
		memcpy(rec + n, hostile[i], sizeof(hostile[i]));
		size_t len = (size_t)n + (i == 0 || i >= 2 ? 2 : 4) + (i == 6 ? 1 : 0);
		why = decode((long)len, false, &r);
		ok(why && strcmp(why, hostile_why[i]) == 0, "hostile item %zu refused: %s", i, why ? why : "accepted");
	}
	/* Nesting past the limit. */
	n = encode(GOOD, CAI_WIRE_EVENT);
	for (int i = 0; i < CAI_WIRE_DEPTH + 1; i++) {
		rec[n++] = CAI_T_ARR;
		rec[n++] = i == 0 ? CAI_K_ARGV : CAI_K_NONE;
	}
	is_str(decode(n, false, &r), "nested too deep", "nesting past the limit is refused");
	/* A duplicate key, at the top and inside env. */
	n = encode(GOOD, CAI_WIRE_EVENT);
	rec[n++] = CAI_T_NULL;
	rec[n++] = CAI_K_CWD;
	is_str(decode(n, false, &r), "duplicate key", "a duplicate key is refused");
	is_str(refusal(GOOD_HEAD "\"call\":\"open\",\"phase\":\"exit\",\"args\":{\"env\":{\"A\":\"1\",\"B\":\"2\"}},"
				 "\"result\":{\"return\":3}}")
		   ? "refused"
		   : "accepted",
	       "accepted", "distinct environment names are accepted");
	/* A time out of range. */
	n = encode(GOOD, CAI_WIRE_EVENT);
	rec[n++] = CAI_T_UTC;
	rec[n++] = CAI_K_STATUS;
	memset(rec + n, 0xff, 12);
	n += 12;
	is_str(decode(n, false, &r), "a time out of range", "a time out of range is refused");

	/* Strings: every byte a JSON reader cares about, escaped or replaced. */
	n = encode(
	    GOOD_HEAD
	    "\"call\":\"open\",\"phase\":\"exit\",\"args\":{\"path\":\"PLACEHOLDER\"},\"result\":{\"return\":3}}",
	    CAI_WIRE_EVENT);
	unsigned char *ph = memmem(rec, (size_t)n, "PLACEHOLDER", 11);
	static const unsigned char nasty[11] = {0x00, '\n', '"', '\\', 0x7f, 0x1b, 0xff, 0xed, 0xa0, 0x80, 'z'};
	memcpy(ph, nasty, sizeof(nasty));
	ok(decode(n, false, &r) == NULL, "any bytes are accepted in a string");
	out[r.json_len] = '\0';
	ok(strstr(out, "\"path\":\"\\u0000\\n\\\"\\\\\\u007f\\u001b\\ufffd\\ufffd\\ufffd\\ufffdz\"") != NULL,
	   "control bytes escaped, invalid UTF-8 and a surrogate as U+FFFD: %s", out);
	for (size_t i = 0; i < r.json_len; i++)
		if ((unsigned char)out[i] < 0x20) {
			ok(0, "no raw control byte in the output");
			break;
		}
	strcat(out, "}");
	jv parsed = jv_parse(out);
	ok(jv_is_valid(parsed), "libjq reads the output back");
	jv_free(parsed);

	/* A container claim: only from a sender that may make it, and only
	 * in its exact shape. */
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
	    "{\"id\":\"" CID "\",\"name\":null,\"path\":\"x\"}",
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(claims) + CAI_ARRAY_LEN(bad_claims); i++) {
		bool good_claim = i < CAI_ARRAY_LEN(claims);
		const char *c = good_claim ? claims[i] : bad_claims[i - CAI_ARRAY_LEN(claims)];
		char *m = xasprintf("%.*s,\"container\":%s}", (int)strlen(GOOD) - 1, GOOD, c);
		n = encode(m, CAI_WIRE_EVENT);
		why = decode(n, false, &r);
		ok(why && strcmp(why, "only the collector says which container") == 0,
		   "a sender's container claim %zu is refused by default", i);
		why = decode(n, true, &r);
		if (good_claim)
			ok(!why && r.has_container && strcmp(r.container.id, CID) == 0,
			   "a well-formed claim %zu is accepted from a sender who may make it", i);
		else
			ok(why && strcmp(why, "malformed container") == 0,
			   "a malformed claim %zu is refused even from such a sender", i);
		free(m);
	}

	/* Control records. */
	n = encode("{}", CAI_WIRE_KICK);
	ok(!decode(n, false, &r) && r.kind == CAI_WIRE_KICK, "a kick");
	n = encode("{\"size\":65536}", CAI_WIRE_RING);
	ok(!decode(n, false, &r) && r.kind == CAI_WIRE_RING && r.ring_size == 65536,
	   "a ring registration with its size");
	n = encode("{\"size\":65536,\"path\":\"x\"}", CAI_WIRE_RING);
	is_str(decode(n, false, &r), "a ring registration carries its size only", "a ring registration with more");
	n = encode("{\"container\":{\"id\":\"" CID "\",\"name\":\"web\"}}", CAI_WIRE_LISTEN);
	ok(!decode(n, false, &r) && r.kind == CAI_WIRE_LISTEN && strcmp(r.container.name, "web") == 0,
	   "a container's socket with its container");
	n = encode("{\"size\":1}", CAI_WIRE_KICK);
	is_str(decode(n, false, &r), "a kick carries nothing", "a kick with content");

	/* The stamp. */
	char line[256];
	struct ucred sent = {.pid = 1, .uid = 2, .gid = 3};
	size_t ln = cai_audit_stamp(line, sizeof(line), 42, 1000, 100, NULL, NULL);
	is_str(line, ",\"peer\":{\"pid\":42,\"uid\":1000,\"gid\":100}}", "the stamp closes the event");
	is_int((long long)ln, (long long)strlen(line), "and says its length");
	cai_audit_stamp(line, sizeof(line), 42, 1000, 100, "{\"id\":\"x\",\"name\":null}", &sent);
	is_str(line,
	       ",\"peer\":{\"pid\":42,\"uid\":1000,\"gid\":100,\"sent_as\":{\"pid\":1,\"uid\":2,\"gid\":3}},"
	       "\"container\":{\"id\":\"x\",\"name\":null}}",
	       "with what the sender claimed, and the container");
	is_int((long long)cai_audit_stamp(line, 20, 42, 1000, 100, NULL, NULL), 0,
	       "a stamp that does not fit is refused, not cut");

	ok(cai_record_known_call("__openat64_2", 12), "fortify variants are known calls");
	ok(!cai_record_known_call("read", 4), "read is not a reported call");
	ok(!cai_record_known_call("open\0x", 6), "a name with a NUL in it is not a call");
	return done_testing();
}
