#include "audit_event.h"

#include <math.h>

#include "container.h"
#include <time.h>

static const char *const known_calls[] = {
	"execve", "execv", "execl", "execle", "execlp", "execvp", "execvpe", "fexecve", "execveat",
	"posix_spawn", "posix_spawnp", "system", "popen", "connect", "open", "open64", "openat",
	"openat64", "creat", "creat64", "__open_2", "__open64_2", "__openat_2", "__openat64_2",
	"fopen", "fopen64", "freopen", "freopen64", "opendir", "audit_lost", "egress", NULL,
};

bool cai_audit_known_call(const char *call)
{
	for (const char *const *c = known_calls; *c; c++)
		if (strcmp(*c, call) == 0)
			return true;
	return false;
}

/* Borrowing lookups: obj stays owned by the caller. */
static jv get(jv obj, const char *key) { return jv_object_get(jv_copy(obj), jv_string(key)); }

static bool is_kind(jv obj, const char *key, jv_kind kind)
{
	jv v = get(obj, key);
	bool ok = jv_get_kind(v) == kind;
	jv_free(v);
	return ok;
}

static bool is_count(jv obj, const char *key)
{
	jv v = get(obj, key);
	bool ok = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0 &&
		  jv_number_value(v) == floor(jv_number_value(v)) && jv_number_value(v) < 9007199254740992.0;
	jv_free(v);
	return ok;
}

static bool has(jv obj, const char *key) { return jv_object_has(jv_copy(obj), jv_string(key)); }

/* Strict UTF-8: no overlongs, surrogates or code points past U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i], cp, len;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (n - i < len)
			return false;
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static jv reject(jv ev, struct cai_error *err, const char *why)
{
	jv_free(ev);
	cai_error_set(err, 0, "%s", why);
	return jv_invalid();
}

/* {"id": 64 lowercase hex, "name": a string or null} and nothing else. */
static bool container_shape_ok(jv ev)
{
	jv c = get(ev, "container");
	bool ok = jv_get_kind(c) == JV_KIND_OBJECT && jv_object_length(jv_copy(c)) == 2;
	if (ok) {
		jv id = get(c, "id"), name = get(c, "name");
		ok = jv_get_kind(id) == JV_KIND_STRING && cai_container_id_valid(jv_string_value(id)) &&
		     (jv_get_kind(name) == JV_KIND_NULL ||
		      (jv_get_kind(name) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(name)) < 256));
		jv_free(id);
		jv_free(name);
	}
	jv_free(c);
	return ok;
}

jv cai_audit_event_parse(const char *buf, size_t len, struct cai_error *err)
{
	return cai_audit_event_parse_from(buf, len, false, err);
}

jv cai_audit_event_parse_from(const char *buf, size_t len, bool may_claim_container, struct cai_error *err)
{
	if (len == 0)
		return reject(jv_null(), err, "empty message");
	if (len > CAI_AUDIT_EVENT_MAX)
		return reject(jv_null(), err, "message too large");
	/* The collector logs the message's own bytes, so they must already
	 * be one line of valid UTF-8: no control bytes (JSON needs none
	 * outside strings, and inside them they must be escaped). */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20)
			return reject(jv_null(), err, "control byte in message");
	if (!valid_utf8((const unsigned char *)buf, len))
		return reject(jv_null(), err, "not UTF-8");
	jv ev = jv_parse_sized(buf, (int)len);
	if (!jv_is_valid(ev))
		return reject(ev, err, "not JSON");
	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return reject(ev, err, "not a JSON object");
	if (buf[len - 1] != '}')
		return reject(ev, err, "bytes after the object");

	jv v = get(ev, "v");
	bool version_ok = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == CAI_AUDIT_EVENT_VERSION;
	jv_free(v);
	if (!version_ok)
		return reject(ev, err, "unknown schema version");
	static const char *const strings[] = {"ts", "mono", "comm", "call", "phase"};
	for (size_t i = 0; i < CAI_ARRAY_LEN(strings); i++)
		if (!is_kind(ev, strings[i], JV_KIND_STRING))
			return reject(ev, err, "missing or mistyped string field");
	static const char *const counts[] = {"pid", "ppid", "tid", "uid"};
	for (size_t i = 0; i < CAI_ARRAY_LEN(counts); i++)
		if (!is_count(ev, counts[i]))
			return reject(ev, err, "missing or mistyped id field");
	if (!is_kind(ev, "cwd", JV_KIND_STRING) && !is_kind(ev, "cwd", JV_KIND_NULL))
		return reject(ev, err, "missing or mistyped cwd");
	if (!is_kind(ev, "args", JV_KIND_OBJECT))
		return reject(ev, err, "missing args object");

	jv call = get(ev, "call"), phase = get(ev, "phase");
	bool call_ok = cai_audit_known_call(jv_string_value(call));
	bool enter = strcmp(jv_string_value(phase), "enter") == 0;
	bool phase_ok = enter || strcmp(jv_string_value(phase), "exit") == 0;
	jv_free(call);
	jv_free(phase);
	if (!call_ok)
		return reject(ev, err, "unknown call");
	if (!phase_ok)
		return reject(ev, err, "unknown phase");
	if (enter ? has(ev, "result") : !is_kind(ev, "result", JV_KIND_OBJECT))
		return reject(ev, err, enter ? "result in an enter event" : "missing result object");
	if (!enter) {
		jv res = get(ev, "result");
		jv ret = get(res, "return");
		bool ok = jv_get_kind(ret) == JV_KIND_NUMBER &&
			  (!has(res, "errno") || is_count(res, "errno"));
		jv_free(ret);
		jv_free(res);
		if (!ok)
			return reject(ev, err, "malformed result");
	}
	if (has(ev, "dropped") && !is_count(ev, "dropped"))
		return reject(ev, err, "malformed dropped count");
	if (has(ev, "truncated") && !is_kind(ev, "truncated", JV_KIND_TRUE))
		return reject(ev, err, "malformed truncated marker");
	if (has(ev, "source")) {
		jv src = get(ev, "source");
		bool ok = jv_get_kind(src) == JV_KIND_STRING &&
			  (strcmp(jv_string_value(src), "shim") == 0 || strcmp(jv_string_value(src), "seccomp") == 0);
		jv_free(src);
		if (!ok)
			return reject(ev, err, "unknown source");
	}
	/* Only the collector writes "peer": a sender that sets it is forging. */
	if (has(ev, "peer") || has(ev, "rejected"))
		return reject(ev, err, "reserved field set by sender");
	/* Which container an event comes from is the collector's to say,
	 * except for a root supervisor on the host reporting on a container. */
	if (has(ev, "container") && !may_claim_container)
		return reject(ev, err, "only the collector says which container");
	if (has(ev, "container") && !container_shape_ok(ev))
		return reject(ev, err, "malformed container");
	return ev;
}

static jv peer_jv(pid_t pid, uid_t uid, gid_t gid)
{
	jv p = jv_object();
	p = jv_object_set(p, jv_string("pid"), jv_number(pid));
	p = jv_object_set(p, jv_string("uid"), jv_number(uid));
	p = jv_object_set(p, jv_string("gid"), jv_number(gid));
	return p;
}

jv cai_audit_event_stamp(jv ev, pid_t pid, uid_t uid, gid_t gid)
{
	return jv_object_set(ev, jv_string("peer"), peer_jv(pid, uid, gid)); /* consumes ev */
}

size_t cai_audit_event_line(char *out, size_t cap, const char *msg, size_t len, pid_t pid, uid_t uid, gid_t gid,
			    const char *container_json, const struct ucred *sent_as)
{
	if (len < 2 || msg[len - 1] != '}')
		return 0;
	char stamp[192], sent[96] = "";
	if (sent_as)
		snprintf(sent, sizeof(sent), ",\"sent_as\":{\"pid\":%ld,\"uid\":%lu,\"gid\":%lu}", (long)sent_as->pid,
			 (unsigned long)sent_as->uid, (unsigned long)sent_as->gid);
	int n = snprintf(stamp, sizeof(stamp), "%s\"peer\":{\"pid\":%ld,\"uid\":%lu,\"gid\":%lu%s}",
			 len > 2 ? "," : "", (long)pid, (unsigned long)uid, (unsigned long)gid, sent);
	size_t cl = container_json ? strlen(container_json) : 0;
	size_t extra = container_json ? sizeof(",\"container\":") - 1 + cl : 0;
	if (n < 0 || (size_t)n >= sizeof(stamp) || len + (size_t)n + extra > cap)
		return 0;
	char *p = out;
	memcpy(p, msg, len - 1);
	p += len - 1;
	memcpy(p, stamp, (size_t)n);
	p += n;
	if (container_json) {
		memcpy(p, ",\"container\":", sizeof(",\"container\":") - 1);
		p += sizeof(",\"container\":") - 1;
		memcpy(p, container_json, cl);
		p += cl;
	}
	*p++ = '}';
	return (size_t)(p - out);
}

void cai_audit_now(char ts[static 40], char *mono)
{
	struct timespec rt;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &rt);
	gmtime_r(&rt.tv_sec, &tm);
	size_t n = strftime(ts, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, 40 - n, ".%09ldZ", rt.tv_nsec);
	if (mono) {
		struct timespec m;
		clock_gettime(CLOCK_MONOTONIC, &m);
		snprintf(mono, 32, "%lld.%09ld", (long long)m.tv_sec, m.tv_nsec);
	}
}

jv cai_audit_rejected_record(const char *reason, size_t bytes, pid_t pid, uid_t uid, gid_t gid)
{
	char when[40];
	cai_audit_now(when, NULL);
	jv r = jv_object();
	r = jv_object_set(r, jv_string("v"), jv_number(CAI_AUDIT_EVENT_VERSION));
	r = jv_object_set(r, jv_string("ts"), jv_string(when));
	jv why = jv_object();
	why = jv_object_set(why, jv_string("reason"), jv_string(reason));
	why = jv_object_set(why, jv_string("bytes"), jv_number((double)bytes));
	r = jv_object_set(r, jv_string("rejected"), why);
	return jv_object_set(r, jv_string("peer"), peer_jv(pid, uid, gid));
}

enum cai_audit_control cai_audit_control_parse_listen(const char *buf, size_t len, unsigned long long *ring_size,
						      jv *container)
{
	enum cai_audit_control kind = CAI_AUDIT_NOT_CONTROL;
	if (len > 512)
		return kind;
	jv v = jv_parse_sized(buf, (int)len);
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		int keys = jv_object_length(jv_copy(v));
		jv one = get(v, has(v, "kick") ? "kick" : has(v, "ring") ? "ring" : "listen");
		bool is_one = jv_get_kind(one) == JV_KIND_NUMBER && jv_number_value(one) == 1;
		jv_free(one);
		if (keys == 1 && has(v, "kick") && is_one) {
			kind = CAI_AUDIT_KICK;
		} else if (keys == 2 && has(v, "ring") && is_one && is_count(v, "size")) {
			jv size = get(v, "size");
			*ring_size = (unsigned long long)jv_number_value(size);
			jv_free(size);
			kind = CAI_AUDIT_RING;
		} else if (keys == 2 && has(v, "listen") && is_one && container_shape_ok(v)) {
			kind = CAI_AUDIT_LISTEN;
			if (container)
				*container = get(v, "container");
		}
	}
	jv_free(v);
	return kind;
}

enum cai_audit_control cai_audit_control_parse(const char *buf, size_t len, unsigned long long *ring_size)
{
	return cai_audit_control_parse_listen(buf, len, ring_size, NULL);
}
