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
