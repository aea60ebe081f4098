#include "jv_util.h"

#include "util.h"

jv cai_jv_string_or_null(const char *s)
{
	return s && *s ? jv_string(s) : jv_null();
}

char *cai_jv_to_cstring(jv v, int flags)
{
	jv s = jv_dump_string(v, flags); /* consumes v */
	char *out = xstrdup(jv_string_value(s));
	jv_free(s);
	return out;
}

int cai_jv_parse_object(const char *text, size_t len, jv *out, struct cai_error *err)
{
	jv doc = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);
		cai_error_set(err, 0, "%s", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "invalid JSON");
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		return cai_error_set(err, 0, "not a JSON object");
	}
	*out = doc;
	return 0;
}
