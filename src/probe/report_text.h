#ifndef CAI_PROBE_REPORT_TEXT_H
#define CAI_PROBE_REPORT_TEXT_H

#include <stdio.h>

#include "engine_probe.h"
#include "notify_probe.h"
#include "platform.h"

/* The human summary: platform, the kernel's answer here and where the
 * engine runs (engine NULL: here only), and the next step. */
void probe_report_text(FILE *out, const struct cai_platform *p, const struct cai_notify_probe *probe,
		       const struct cai_engine_probe *engine);

#endif
