/* Small libjq helpers every part of the tree may use. */
#ifndef CAI_JV_UTIL_H
#define CAI_JV_UTIL_H

#include <jv.h>

/* jv_string(s), or null for NULL or "". */
jv cai_jv_string_or_null(const char *s);

/* jv_dump_string of v, consumed; returns a malloc'd C string. */
char *cai_jv_to_cstring(jv v, int flags);

#endif
