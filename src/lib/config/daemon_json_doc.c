/* The pure part of the daemon.json editor: bytes -> jv -> bytes, and the
 * edits on a jv. No I/O here, so the fuzzer drives it directly.
 *
 * MUST: consume or free every jv (the sanitized suite checks for leaks);
 *       report the line and column or the key path of anything refused.
 * MUST NOT: emit a document jq could not read back to an equal value.
 */
#include "daemon_json.h"
#include "json_dupkeys.h"

#include <limits.h>
#include <math.h>

#include "jv_util.h"

/* Integers from 2^53 on are not all representable as doubles, and jq 1.6
 * parses every number into a double. */
#define CAI_DJ_EXACT_LIMIT 9007199254740992.0

static const char *const reserved_runtimes[] = {"runc", "io.containerd.runc.v2", "io.containerd.runtime.v1.linux"};

const char *cai_dj_outcome_name(enum cai_dj_outcome o)
{
	switch (o) {
	case CAI_DJ_CHANGED:
		return "changed";
	case CAI_DJ_UNCHANGED:
		return "unchanged";
	case CAI_DJ_REFUSED:
		return "refused";
	case CAI_DJ_INVALID:
		return "invalid";
	case CAI_DJ_IO_ERROR:
		break;
	}
	return "I/O error";
}

static enum cai_dj_outcome invalid(struct cai_error *err, const char *msg, const char *suffix)
{
	cai_error_set(err, 0, "%s%s", msg, suffix);
	return CAI_DJ_INVALID;
}

static void line_column(const char *buf, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* jq-style path of a child: `.key`, or `["odd key"]` when the key is not a
 * plain identifier (the hyphen is allowed: daemon.json keys use it). */
static char *child_path(const char *parent, jv key)
{
	const char *k = jv_string_value(key);
	bool plain = *k && !(*k >= '0' && *k <= '9');
	for (const char *p = k; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
			*p == '-';
	if (plain)
		return xasprintf("%s.%s", parent, k);
	cleanup_free char *quoted = cai_jv_to_cstring(jv_copy(key), 0);
	return xasprintf("%s[%s]", parent, quoted);
}

/* Find a number jq cannot hold exactly; returns its path (malloc'd) or NULL.
 * v is borrowed. */
static char *inexact_number(jv v, const char *path)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (!isfinite(d) || fabs(d) >= CAI_DJ_EXACT_LIMIT)
			return xstrdup(*path ? path : ".");
		return NULL;
	}
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		for (int i = 0; i < n; i++) {
			jv item = jv_array_get(jv_copy(v), i);
			cleanup_free char *p = xasprintf("%s[%d]", path, i);
			char *bad = inexact_number(item, p);
			jv_free(item);
			if (bad)
				return bad;
		}
		return NULL;
	}
	case JV_KIND_OBJECT: {
		char *bad = NULL;
		jv_object_foreach(v, key, val)
		{
			if (!bad) {
				cleanup_free char *p = child_path(path, key);
				bad = inexact_number(val, p);
			}
			jv_free(key);
			jv_free(val);
		}
		return bad;
	}
	default:
		return NULL;
	}
}

static int check_numbers(jv v, const char *what, struct cai_error *err)
{
	cleanup_free char *bad = inexact_number(v, "");
	if (!bad)
		return 0;
	return cai_error_set(err, 0,
			     "%sthe number at `%s` cannot be kept exactly (jq holds numbers as doubles: integers must "
			     "be below 2^53 in magnitude, and NaN and infinities are not JSON)",
			     what, bad);
}

/* Structure dockerd itself insists on, checked before any edit. */
static int check_structure(jv doc, struct cai_error *err)
{
	if (jv_get_kind(doc) != JV_KIND_OBJECT)
		return cai_error_set(err, 0, "the top level is %s, not an object", jv_kind_name(jv_get_kind(doc)));
	jv runtimes = jv_object_get(jv_copy(doc), jv_string("runtimes"));
	if (!jv_is_valid(runtimes)) {
		jv_free(runtimes);
		return 0;
	}
	if (jv_get_kind(runtimes) != JV_KIND_OBJECT) {
		jv_kind k = jv_get_kind(runtimes);
		jv_free(runtimes);
		return cai_error_set(err, 0, "`.runtimes` is %s, not an object", jv_kind_name(k));
	}
	int rc = 0;
	jv_object_foreach(runtimes, key, val)
	{
		if (rc == 0 && jv_get_kind(val) != JV_KIND_OBJECT) {
			cleanup_free char *p = child_path(".runtimes", key);
			rc = cai_error_set(err, 0, "`%s` is %s, not an object", p, jv_kind_name(jv_get_kind(val)));
		}
		jv_free(key);
		jv_free(val);
	}
	jv_free(runtimes);
	return rc;
}

/* libjq replaces invalid UTF-8 in a string it makes: compare what it kept. */
static bool utf8_valid(const char *s)
{
	jv v = jv_string(s);
	bool same = strcmp(jv_string_value(v), s) == 0;
	jv_free(v);
	return same;
}

/* jq keeps the last of a repeated key; dockerd's Go decoder also takes the
 * last, but an admin who wrote two meant something: never guess which. */
static int check_duplicates(const char *buf, size_t len, struct cai_error *err)
{
	cleanup_free char *dup = cai_json_first_duplicate_key(buf, len);
	if (!dup)
		return 0;
	return cai_error_set(err, 0, "the key `%s` appears twice in one object: remove the one you do not mean", dup);
}

static enum cai_dj_outcome parse_error(jv invalid_value, struct cai_error *err)
{
	jv msg = jv_invalid_get_msg(invalid_value); /* consumes invalid_value */
	cai_error_set(err, 0, "invalid JSON: %s",
		      jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "unknown parse error");
	jv_free(msg);
	return CAI_DJ_INVALID;
}

enum cai_dj_outcome cai_dj_parse(const char *buf, size_t len, jv *out, struct cai_error *err)
{
	if (len > INT_MAX) {
		cai_error_set(err, 0, "the file is too large");
		return CAI_DJ_INVALID;
	}
	/* jq replaces invalid UTF-8 with U+FFFD without a word; find it first. */
	jv s = jv_string_sized(buf, (int)len);
	const char *sv = jv_string_value(s);
	size_t slen = (size_t)jv_string_length_bytes(jv_copy(s));
	if (slen != len || memcmp(sv, buf, len) != 0) {
		size_t off = 0;
		while (off < len && off < slen && sv[off] == buf[off])
			off++;
		jv_free(s);
		int line, col;
		line_column(buf, off, &line, &col);
		cai_error_set(err, 0, "invalid UTF-8 at line %d, column %d", line, col);
		return CAI_DJ_INVALID;
	}
	jv_free(s);

	jv_parser *p = jv_parser_new(0);
	jv_parser_set_buf(p, buf, (int)len, 0);
	jv doc = jv_parser_next(p);
	if (!jv_is_valid(doc)) {
		if (jv_invalid_has_msg(jv_copy(doc))) {
			jv_parser_free(p);
			return parse_error(doc, err);
		}
		jv_free(doc);
		doc = jv_object(); /* empty or whitespace only */
	} else {
		jv next = jv_parser_next(p);
		if (jv_is_valid(next)) {
			jv_free(next);
			jv_free(doc);
			jv_parser_free(p);
			cai_error_set(err, 0, "invalid JSON: a second value follows the top-level object");
			return CAI_DJ_INVALID;
		}
		if (jv_invalid_has_msg(jv_copy(next))) {
			jv_free(doc);
			jv_parser_free(p);
			return parse_error(next, err);
		}
		jv_free(next);
	}
	jv_parser_free(p);

	if (check_structure(doc, err) < 0 || check_numbers(doc, "", err) < 0 || check_duplicates(buf, len, err) < 0) {
		jv_free(doc);
		return CAI_DJ_INVALID;
	}
	*out = doc;
	return CAI_DJ_CHANGED;
}

char *cai_dj_format(jv doc, size_t *len)
{
	jv s = jv_dump_string(doc, JV_PRINT_INDENT_FLAGS(2)); /* consumes doc */
	size_t n = (size_t)jv_string_length_bytes(jv_copy(s));
	char *out = xmalloc(n + 2);
	memcpy(out, jv_string_value(s), n);
	out[n] = '\n';
	out[n + 1] = '\0';
	jv_free(s);
	*len = n + 1;
	return out;
}

/* A short, printable rendering of v (borrowed) for messages. */
static char *describe(jv v)
{
	if (!jv_is_valid(v))
		return xstrdup("(absent)");
	char *s = cai_jv_to_cstring(jv_copy(v), 0);
	if (strlen(s) > 200)
		strcpy(s + 190, " ...");
	return s;
}

static bool is_reserved(const char *name)
{
	for (size_t i = 0; i < CAI_ARRAY_LEN(reserved_runtimes); i++)
		if (strcmp(name, reserved_runtimes[i]) == 0)
			return true;
	return false;
}

enum cai_dj_outcome cai_dj_doc_add_runtime(jv *doc, const char *name, const char *path, bool replace,
					   bool *created_runtimes, struct cai_error *err)
{
	if (created_runtimes)
		*created_runtimes = false;
	if (!name || !*name)
		return invalid(err, "the runtime name is empty", "");
	if (!path || !*path)
		return invalid(err, "the runtime path is empty", "");
	if (is_reserved(name)) {
		cai_error_set(err, 0, "the runtime name `%s` is reserved by dockerd (it would refuse to start)", name);
		return CAI_DJ_INVALID;
	}
	/* jq would write a replacement character instead: another name, another
	 * path, and an exit 0. */
	if (!utf8_valid(name))
		return invalid(err, "the runtime name is not valid UTF-8", "");
	if (!utf8_valid(path))
		return invalid(err, "the runtime path is not valid UTF-8", "");
	if (check_structure(*doc, err) < 0)
		return CAI_DJ_INVALID;

	jv runtimes = jv_object_get(jv_copy(*doc), jv_string("runtimes"));
	bool created = false;
	if (!jv_is_valid(runtimes)) {
		jv_free(runtimes);
		runtimes = jv_object();
		created = true;
	}
	jv entry = jv_object_get(jv_copy(runtimes), jv_string(name));
	if (jv_is_valid(entry)) {
		jv cur = jv_object_get(jv_copy(entry), jv_string("path"));
		if (jv_equal(jv_copy(cur), jv_string(path))) {
			jv_free(cur);
			jv_free(entry);
			jv_free(runtimes);
			return CAI_DJ_UNCHANGED;
		}
		if (!replace) {
			cleanup_free char *was =
			    jv_get_kind(cur) == JV_KIND_STRING ? xstrdup(jv_string_value(cur)) : describe(cur);
			jv_free(cur);
			jv_free(entry);
			jv_free(runtimes);
			cai_error_set(err, 0,
				      "runtime `%s` already exists with path `%s` (pass --replace to change its path, "
				      "keeping its other fields)",
				      name, was);
			return CAI_DJ_REFUSED;
		}
		jv_free(cur);
		entry = jv_object_set(entry, jv_string("path"), jv_string(path));
	} else {
		jv_free(entry);
		entry = jv_object_set(jv_object(), jv_string("path"), jv_string(path));
	}
	runtimes = jv_object_set(runtimes, jv_string(name), entry);  /* entry consumed */
	*doc = jv_object_set(*doc, jv_string("runtimes"), runtimes); /* runtimes consumed */
	if (created_runtimes)
		*created_runtimes = created;
	return CAI_DJ_CHANGED;
}

enum cai_dj_outcome cai_dj_doc_remove_runtime(jv *doc, const char *name, bool drop_empty_runtimes,
					      struct cai_error *err)
{
	if (!name || !*name)
		return invalid(err, "the runtime name is empty", "");
	if (check_structure(*doc, err) < 0)
		return CAI_DJ_INVALID;
	jv runtimes = jv_object_get(jv_copy(*doc), jv_string("runtimes"));
	if (!jv_is_valid(runtimes) || !jv_object_has(jv_copy(runtimes), jv_string(name))) {
		jv_free(runtimes);
		return CAI_DJ_UNCHANGED;
	}
	jv dflt = jv_object_get(jv_copy(*doc), jv_string("default-runtime"));
	bool is_default = jv_equal(dflt, jv_string(name)); /* consumes both */
	if (is_default) {
		jv_free(runtimes);
		cai_error_set(err, 0,
			      "runtime `%s` is the `default-runtime`; without it dockerd would not start (set "
			      "`default-runtime` to another runtime first)",
			      name);
		return CAI_DJ_REFUSED;
	}
	runtimes = jv_object_delete(runtimes, jv_string(name));
	if (drop_empty_runtimes && jv_object_length(jv_copy(runtimes)) == 0) {
		jv_free(runtimes);
		*doc = jv_object_delete(*doc, jv_string("runtimes"));
	} else {
		*doc = jv_object_set(*doc, jv_string("runtimes"), runtimes);
	}
	return CAI_DJ_CHANGED;
}

/* Keys the generic setters never touch: each has its own rule. */
static int check_plain_key(const char *key, struct cai_error *err)
{
	if (!key || !*key)
		return cai_error_set(err, 0, "the key is empty");
	if (strcmp(key, "default-runtime") == 0)
		return cai_error_set(err, 0, "`default-runtime` is never set or changed by this tool");
	if (strcmp(key, "runtimes") == 0)
		return cai_error_set(err, 0, "`runtimes` is edited with add-runtime and remove-runtime only");
	return 0;
}

/* The checks set-default and unset share; value borrowed. */
static int check_key_edit(jv doc, const char *key, jv value, bool check_value_numbers, struct cai_error *err)
{
	if (check_plain_key(key, err) < 0)
		return -1;
	if (!jv_is_valid(value))
		return cai_error_set(err, 0, "the value is not a JSON value");
	if (check_value_numbers && check_numbers(value, "in the value, ", err) < 0)
		return -1;
	return check_structure(doc, err);
}

enum cai_dj_outcome cai_dj_doc_set_default(jv *doc, const char *key, jv value, struct cai_error *err)
{
	if (check_key_edit(*doc, key, value, true, err) < 0) {
		jv_free(value);
		return CAI_DJ_INVALID;
	}
	jv cur = jv_object_get(jv_copy(*doc), jv_string(key));
	if (!jv_is_valid(cur)) {
		jv_free(cur);
		*doc = jv_object_set(*doc, jv_string(key), value);
		return CAI_DJ_CHANGED;
	}
	if (jv_equal(jv_copy(cur), jv_copy(value))) {
		jv_free(cur);
		jv_free(value);
		return CAI_DJ_UNCHANGED;
	}
	cleanup_free char *was = describe(cur);
	cleanup_free char *want = describe(value);
	jv_free(cur);
	jv_free(value);
	cai_error_set(err, 0, "`%s` is already set to %s; refusing to change it to %s (change or remove it by hand)",
		      key, was, want);
	return CAI_DJ_REFUSED;
}

enum cai_dj_outcome cai_dj_doc_unset_if_equal(jv *doc, const char *key, jv value, struct cai_error *err)
{
	if (check_key_edit(*doc, key, value, false, err) < 0) {
		jv_free(value);
		return CAI_DJ_INVALID;
	}
	jv cur = jv_object_get(jv_copy(*doc), jv_string(key));
	if (!jv_is_valid(cur)) {
		jv_free(cur);
		jv_free(value);
		return CAI_DJ_UNCHANGED;
	}
	if (!jv_equal(cur, value)) /* consumes both */
		return CAI_DJ_UNCHANGED;
	*doc = jv_object_delete(*doc, jv_string(key));
	return CAI_DJ_CHANGED;
}
