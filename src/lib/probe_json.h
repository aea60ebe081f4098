/* The probe's findings as libjq values; the schema is documented in
 * cai-seccomp-probe(1), section JSON OUTPUT. */
#ifndef CAI_PROBE_JSON_H
#define CAI_PROBE_JSON_H

#include <jv.h>

#include "notify_probe.h"
#include "platform.h"

#define CAI_PROBE_SCHEMA_VERSION 1

/* Each returns a new value owned by the caller. */
jv cai_platform_to_jv(const struct cai_platform *p);
jv cai_notify_probe_to_jv(const struct cai_notify_probe *probe);

/* jv_string(s), or null for NULL or "". */
jv cai_jv_string_or_null(const char *s);

/* jv_dump_string of v, consumed; returns a malloc'd C string. */
char *cai_jv_to_cstring(jv v, int flags);

#endif
