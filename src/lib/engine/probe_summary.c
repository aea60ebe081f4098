#include "probe_summary.h"

void cai_probe_describe(const struct cai_notify_probe *p, char *buf, size_t cap)
{
	char namebuf[16];
	snprintf(buf, cap, "%s%s%s%s", cai_notify_result_name(p->result), p->errnum ? " (" : "",
		 p->errnum ? cai_errno_name(p->errnum, namebuf) : "", p->errnum ? ")" : "");
}

void cai_probe_summary(const struct cai_platform *p, const struct cai_notify_probe *here,
		       const struct cai_engine_probe *engine, const struct cai_wsl_info *wsl, char *buf, size_t cap)
{
	char h[64], e[64], where[320] = "";
	cai_probe_describe(here, h, sizeof(h));
	if (engine && engine->where == CAI_PROBE_WHERE_THIS_TREE)
		snprintf(where, sizeof(where), "; the engine starts from this process tree (no systemd)");
	else if (engine && engine->ran)
		snprintf(where, sizeof(where), "; where the engine runs (transient systemd service): %s",
			 (cai_probe_describe(&engine->probe, e, sizeof(e)), e));
	else if (engine)
		snprintf(where, sizeof(where), "; where the engine runs: not probed (%.200s)", engine->error);
	char w[160] = "";
	if (p->kind == CAI_PLATFORM_WSL2 && wsl && (wsl->version[0] || wsl->networking_mode[0]))
		snprintf(w, sizeof(w), "; WSL %s, networking mode %s", wsl->version[0] ? wsl->version : "unknown",
			 wsl->networking_mode[0] ? wsl->networking_mode : "unknown");
	snprintf(buf, cap, "%s, kernel %s: this process: %s%s%s", cai_platform_kind_name(p->kind), p->osrelease, h,
		 where, w);
}
