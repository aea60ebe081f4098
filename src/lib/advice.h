/* What to tell a person about a probe result: one sentence of explanation
 * and the next step. Shared by the probe, `cai setup` and `cai status`. */
#ifndef CAI_ADVICE_H
#define CAI_ADVICE_H

#include "notify_probe.h"
#include "platform.h"

/* Why the probe answered as it did, in one sentence. */
const char *cai_advice_reason(enum cai_platform_kind kind, const struct cai_notify_probe *probe);

/* The next step to take; NULL-terminated list of lines. */
const char *const *cai_advice_next_steps(enum cai_platform_kind kind, enum cai_notify_result result);

#endif
