#include "advice.h"

#include "version_parse.h"

const char *cai_advice_reason(enum cai_platform_kind kind, const struct cai_notify_probe *probe)
{
	switch (probe->result) {
	case CAI_NOTIFY_SUPPORTED:
		return "The kernel gave this process a seccomp user-notification listener, as Sysbox needs.";
	case CAI_NOTIFY_BUSY:
		if (kind == CAI_PLATFORM_WSL2)
			return "WSL's init (PID 1) already holds a seccomp listener (installed by WSL 1.1.0+ for "
			       "mirrored networking's port tracker); the kernel allows one per filter chain.";
		return "A seccomp listener already exists in this process's filter chain (a supervising "
		       "sandbox or container runtime); the kernel allows one per chain.";
	case CAI_NOTIFY_UNSUPPORTED:
		if (kind == CAI_PLATFORM_WSL1)
			return "WSL1 has no Linux kernel and no seccomp user notification.";
		if (kind == CAI_PLATFORM_WSL2)
			return "This WSL2 kernel has no seccomp user notification (Linux 5.0+ is needed; "
			       "WSL's 4.19 kernels lack it).";
		return "This kernel has no seccomp user notification (Linux 5.0+ with CONFIG_SECCOMP_FILTER).";
	case CAI_NOTIFY_DENIED:
		return "An outer sandbox (a container's seccomp profile, systemd's SystemCallFilter, or "
		       "another supervisor) forbids installing seccomp filters here.";
	case CAI_NOTIFY_ERROR:
		break;
	}
	return "The kernel gave an answer this probe does not know how to read.";
}

static const char *const steps_supported[] = {"Sysbox can run here: provision the Secure Engine with `cai setup`.",
					      NULL};
static const char *const steps_busy_wsl2[] = {
    "Switch WSL to NAT networking: set networkingMode=nat under [wsl2] in %UserProfile%\\.wslconfig, then run `wsl "
    "--shutdown`.",
    "Or downgrade WSL: wsl --update --web-download --version 1.0.3",
    "Or proceed anyway with `cai setup --force` (Sysbox containers may fail to start).",
    "Docker Sandbox still works without Sysbox; Sysbox only adds isolation.", NULL};
static const char *const steps_busy_linux[] = {"Run outside the supervising sandbox, or on the host, to use Sysbox.",
					       "Docker Sandbox still works without Sysbox; Sysbox only adds isolation.",
					       NULL};
static const char *const steps_unsupported_wsl1[] = {
    "Convert the distribution to WSL2: wsl --set-version <distro> 2",
    "Docker Sandbox still works without Sysbox; Sysbox only adds isolation.", NULL};
static const char *const steps_unsupported_wsl2[] = {
    "Update the WSL kernel: wsl --update (then `wsl --shutdown`).",
    "Docker Sandbox still works without Sysbox; Sysbox only adds isolation.", NULL};
static const char *const steps_unsupported_linux[] = {
    "Use a kernel with seccomp user notification (Linux 5.0 or later) to run Sysbox.",
    "Docker Sandbox still works without Sysbox; Sysbox only adds isolation.", NULL};
static const char *const steps_denied[] = {"Run on the host, or relax the outer seccomp profile, to use Sysbox.",
					   "Docker Sandbox still works without Sysbox; Sysbox only adds isolation.",
					   NULL};
static const char *const steps_error[] = {"Re-run with --json and report the output to the ContainAI maintainers.",
					  "Docker Sandbox still works without Sysbox; Sysbox only adds isolation.",
					  NULL};

const char *const *cai_advice_next_steps(enum cai_platform_kind kind, enum cai_notify_result result)
{
	switch (result) {
	case CAI_NOTIFY_SUPPORTED:
		return steps_supported;
	case CAI_NOTIFY_BUSY:
		return kind == CAI_PLATFORM_WSL2 ? steps_busy_wsl2 : steps_busy_linux;
	case CAI_NOTIFY_UNSUPPORTED:
		if (kind == CAI_PLATFORM_WSL1)
			return steps_unsupported_wsl1;
		return kind == CAI_PLATFORM_WSL2 ? steps_unsupported_wsl2 : steps_unsupported_linux;
	case CAI_NOTIFY_DENIED:
		return steps_denied;
	case CAI_NOTIFY_ERROR:
		break;
	}
	return steps_error;
}

void cai_advice_wsl(enum cai_platform_kind kind, enum cai_notify_result result, const char *networking_mode,
		    const char *wsl_version, struct cai_wsl_advice *out)
{
	memset(out, 0, sizeof(*out));
	if (kind == CAI_PLATFORM_WSL1) {
		out->convert = result != CAI_NOTIFY_SUPPORTED;
		return;
	}
	if (kind != CAI_PLATFORM_WSL2)
		return;
	if (result == CAI_NOTIFY_UNSUPPORTED) {
		out->kernel_update = true;
		return;
	}
	if (result != CAI_NOTIFY_BUSY)
		return;
	struct cai_version v;
	bool version_known = wsl_version && cai_version_find(wsl_version, NULL, &v);
	out->nat = !networking_mode || strcmp(networking_mode, "nat") != 0;
	out->downgrade = (!networking_mode || strcmp(networking_mode, "mirrored") != 0) &&
			 (!version_known || cai_version_cmp(&v, 1, 1, 0) >= 0);
}

void cai_advice_fix(enum cai_platform_kind kind, enum cai_notify_result result, const char *networking_mode,
		    const char *wsl_version, char *buf, size_t cap)
{
	struct cai_wsl_advice a;
	cai_advice_wsl(kind, result, networking_mode, wsl_version, &a);
	if (a.nat && a.downgrade)
		snprintf(buf, cap,
			 "On Windows, switch WSL to NAT networking: %s; or downgrade WSL: %s. Or provision "
			 "anyway: cai setup --force.",
			 CAI_ADVICE_NAT, CAI_ADVICE_DOWNGRADE);
	else if (a.nat)
		snprintf(buf, cap,
			 "On Windows, switch WSL to NAT networking: %s. Or provision anyway: cai setup --force.",
			 CAI_ADVICE_NAT);
	else if (a.downgrade)
		snprintf(buf, cap, "On Windows, downgrade WSL: %s. Or provision anyway: cai setup --force.",
			 CAI_ADVICE_DOWNGRADE);
	else if (a.kernel_update)
		snprintf(buf, cap, "On Windows, update the WSL kernel: %s.", CAI_ADVICE_KERNEL);
	else if (a.convert)
		snprintf(buf, cap, "On Windows, convert the distribution to WSL2: %s.", CAI_ADVICE_CONVERT);
	else
		snprintf(buf, cap, "%s", cai_advice_next_steps(kind, result)[0]);
}
