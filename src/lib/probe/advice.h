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

/* The WSL-side ways out of a failed probe, as far as what WSL told us
 * (wslinfo; "" when unknown) allows: NAT networking unless it is NAT
 * already; a downgrade to WSL 1.0.3 only where WSL is 1.1.0 or later (or
 * unknown) and not in mirrored mode (there NAT is the fix); a kernel update
 * where the kernel has no user notification (WSL's 4.19); WSL2 for WSL1. */
struct cai_wsl_advice {
	bool nat, downgrade, kernel_update, convert;
};
void cai_advice_wsl(enum cai_platform_kind kind, enum cai_notify_result result, const char *networking_mode,
		    const char *wsl_version, struct cai_wsl_advice *out);

#define CAI_ADVICE_NAT "networkingMode=nat under [wsl2] in %UserProfile%\\.wslconfig, then wsl --shutdown"
#define CAI_ADVICE_DOWNGRADE "wsl --update --web-download --version 1.0.3"
#define CAI_ADVICE_KERNEL "wsl --update, then wsl --shutdown"
#define CAI_ADVICE_CONVERT "wsl --set-version <distro> 2"

/* The fix for a failed probe in one paragraph (for `cai doctor`). */
void cai_advice_fix(enum cai_platform_kind kind, enum cai_notify_result result, const char *networking_mode,
		    const char *wsl_version, char *buf, size_t cap);

#endif
