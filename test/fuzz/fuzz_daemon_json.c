/* libFuzzer harness for the daemon.json document layer. Input bytes are a
 * daemon.json. Invariants (abort on violation):
 *   - what we print parses back to an equal document, and printing is stable;
 *   - an add keeps every other top-level key, in order, with an equal value,
 *     and every other runtime entry;
 *   - add then remove gives back an equal document;
 *   - --replace keeps the entry's other fields.
 */
#include <sanitizer/lsan_interface.h>
#include <stdint.h>

#include "daemon_json.h"
#include "fuzz_check.h"

#define NAME "cai-fuzz"
#define PATH "/usr/bin/cai-fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Top-level keys in document order, as a jv array; v borrowed. */
static jv keys_in_order(jv v)
{
	jv keys = jv_array();
	jv_object_foreach(v, k, val)
	{
		keys = jv_array_append(keys, k);
		jv_free(val);
	}
	return keys;
}

/* Print, parse back, compare; print again, compare bytes. doc borrowed. */
static void check_roundtrip(jv doc)
{
	struct cai_error err;
	size_t len, len2;
	char *out = cai_dj_format(jv_copy(doc), &len);
	jv back;
	check(cai_dj_parse(out, len, &back, &err) == CAI_DJ_CHANGED);
	check(jv_equal(jv_copy(back), jv_copy(doc)));
	check(jv_equal(keys_in_order(back), keys_in_order(doc)));
	char *out2 = cai_dj_format(back, &len2);
	check(len == len2 && memcmp(out, out2, len) == 0);
	free(out);
	free(out2);
}

static jv get(jv obj, const char *key)
{
	return jv_object_get(jv_copy(obj), jv_string(key));
}

/* jq 1.6's parser leaks the pending value on some syntax errors ("a" "b":
 * value() returns "Expected separator between values" without freeing its
 * argument). That is libjq's bug, not ours: screen the syntax with leak
 * checking off, then run our code, parse included, with it on. */
static bool jq_syntax_ok(const uint8_t *data, size_t size)
{
	if (size > 0x7fffffff)
		return false;
	__lsan_disable();
	jv_parser *p = jv_parser_new(0);
	jv_parser_set_buf(p, (const char *)data, (int)size, 0);
	bool ok = true;
	for (;;) {
		jv v = jv_parser_next(p);
		if (!jv_is_valid(v)) {
			ok = !jv_invalid_has_msg(v); /* consumes v */
			break;
		}
		jv_free(v);
	}
	jv_parser_free(p);
	__lsan_enable();
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cai_error err;
	jv orig;
	if (!jq_syntax_ok(data, size))
		return 0;
	if (cai_dj_parse((const char *)data, size, &orig, &err) != CAI_DJ_CHANGED)
		return 0;
	check(jv_get_kind(orig) == JV_KIND_OBJECT);
	check_roundtrip(orig);

	jv doc = jv_copy(orig);
	bool created = false;
	enum cai_dj_outcome rc = cai_dj_doc_add_runtime(&doc, NAME, PATH, false, &created, &err);
	jv old_rts = get(orig, "runtimes");
	bool had_entry = jv_is_valid(old_rts) && jv_object_has(jv_copy(old_rts), jv_string(NAME));

	if (rc == CAI_DJ_CHANGED) {
		check(!had_entry);
		check_roundtrip(doc);
		/* Other top-level keys: same order, equal values. */
		jv want_keys = keys_in_order(orig);
		if (created)
			want_keys = jv_array_append(want_keys, jv_string("runtimes"));
		check(jv_equal(keys_in_order(doc), want_keys));
		jv_object_foreach(orig, k, v)
		{
			if (strcmp(jv_string_value(k), "runtimes") != 0)
				check(jv_equal(jv_object_get(jv_copy(doc), jv_copy(k)), jv_copy(v)));
			jv_free(k);
			jv_free(v);
		}
		/* runtimes: the old entries unchanged plus ours. */
		jv rts = get(doc, "runtimes");
		jv want = jv_is_valid(old_rts) ? jv_copy(old_rts) : jv_object();
		want = jv_object_set(want, jv_string(NAME),
				     jv_object_set(jv_object(), jv_string("path"), jv_string(PATH)));
		check(jv_equal(rts, want));

		enum cai_dj_outcome r2 = cai_dj_doc_remove_runtime(&doc, NAME, created, &err);
		jv dflt = get(orig, "default-runtime");
		bool ours_is_default = jv_equal(dflt, jv_string(NAME));
		if (ours_is_default) {
			check(r2 == CAI_DJ_REFUSED);
		} else {
			check(r2 == CAI_DJ_CHANGED);
			check(jv_equal(jv_copy(doc), jv_copy(orig)));
			check(jv_equal(keys_in_order(doc), keys_in_order(orig)));
		}
	} else if (rc == CAI_DJ_UNCHANGED) {
		check(had_entry);
		check(jv_equal(jv_copy(doc), jv_copy(orig)));
	} else if (rc == CAI_DJ_REFUSED) {
		check(had_entry);
		check(jv_equal(jv_copy(doc), jv_copy(orig)));
		/* --replace: path set, every other field of the entry kept. */
		check(cai_dj_doc_add_runtime(&doc, NAME, PATH, true, &created, &err) == CAI_DJ_CHANGED);
		check_roundtrip(doc);
		jv entry = jv_object_get(get(doc, "runtimes"), jv_string(NAME));
		jv old_entry = jv_object_get(jv_copy(old_rts), jv_string(NAME));
		check(jv_equal(jv_object_delete(jv_copy(entry), jv_string("path")),
			       jv_object_delete(old_entry, jv_string("path"))));
		check(jv_equal(jv_object_get(entry, jv_string("path")), jv_string(PATH)));
	} else {
		check(!"add on a parsed document is never invalid or an I/O error");
	}

	/* Removing the first existing runtime keeps everything else. (The API
	 * takes C strings and refuses an empty name: a name that is empty or
	 * holds a NUL is skipped.) */
	if (jv_is_valid(old_rts) && jv_object_length(jv_copy(old_rts)) > 0) {
		int it = jv_object_iter(old_rts);
		jv first = jv_object_iter_key(old_rts, it);
		size_t n = strlen(jv_string_value(first));
		if (n == 0 || n != (size_t)jv_string_length_bytes(jv_copy(first))) {
			jv_free(first);
			first = jv_null();
		}
		jv d2 = jv_copy(orig);
		enum cai_dj_outcome r3 = CAI_DJ_CHANGED;
		if (jv_get_kind(first) == JV_KIND_STRING)
			r3 = cai_dj_doc_remove_runtime(&d2, jv_string_value(first), false, &err);
		if (jv_get_kind(first) != JV_KIND_STRING) {
			/* skipped */
		} else if (r3 == CAI_DJ_CHANGED) {
			check_roundtrip(d2);
			jv want = jv_object_set(jv_copy(orig), jv_string("runtimes"),
						jv_object_delete(jv_copy(old_rts), jv_copy(first)));
			check(jv_equal(jv_copy(d2), want));
		} else {
			check(r3 == CAI_DJ_REFUSED);
		}
		jv_free(d2);
		jv_free(first);
	}
	jv_free(old_rts);
	jv_free(doc);
	jv_free(orig);
	return 0;
}
