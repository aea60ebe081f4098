/* Small libjq helpers every part of the tree may use. */
#ifndef CAI_JV_UTIL_H
#define CAI_JV_UTIL_H

#include <jv.h>

#include "error.h"

/* jv_string(s), or null for NULL or "". */
jv cai_jv_string_or_null(const char *s);

/* jv_dump_string of v, consumed; returns a malloc'd C string. */
char *cai_jv_to_cstring(jv v, int flags);

/* The len bytes of text (len < INT_MAX) as one JSON object, into *out.
 * Returns -1 with err set to jq's message or "not a JSON object". */
int cai_jv_parse_object(const char *text, size_t len, jv *out, struct cai_error *err);

#endif
