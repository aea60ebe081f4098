/* One line of facts about the probe, the same wherever it is shown: the
 * debconf question (through `cai-seccomp-probe --summary`), `cai setup`. */
#ifndef CAI_PROBE_SUMMARY_H
#define CAI_PROBE_SUMMARY_H

#include "engine_probe.h"
#include "platform.h"
#include "wsl_info.h"

/* "this process: busy (EBUSY); where the engine runs (a transient systemd
 * service): supported; WSL 2.3.26.0, networking mode mirrored". engine may
 * be NULL (probed here only); wsl facts are left out when unknown. */
void cai_probe_summary(const struct cai_platform *p, const struct cai_notify_probe *here,
		       const struct cai_engine_probe *engine, const struct cai_wsl_info *wsl, char *buf, size_t cap);

/* "busy (EBUSY)" */
void cai_probe_describe(const struct cai_notify_probe *p, char *buf, size_t cap);

#endif
