/* The probe's findings as libjq values; the schema is documented in
 * cai-seccomp-probe(1), section JSON OUTPUT. */
#ifndef CAI_PROBE_JSON_H
#define CAI_PROBE_JSON_H

#include <jv.h>

#include "jv_util.h"
#include "notify_probe.h"
#include "platform.h"

#define CAI_PROBE_SCHEMA_VERSION 1

/* Each returns a new value owned by the caller. */
jv cai_platform_to_jv(const struct cai_platform *p);
jv cai_notify_probe_to_jv(const struct cai_notify_probe *probe);

/* The reverse of cai_notify_probe_to_jv, for a probe's answer read back
 * from another process (the transient service). Consumes v; returns -1
 * when v is not such an object or its result is not a known name. */
int cai_notify_probe_from_jv(jv v, struct cai_notify_probe *out);

#endif
