/* The doctor's seccomp checks: the probe here, the probe where the engine
 * runs, and whether a running standalone engine shares our filters. */
#include "doctor.h"

#include "advice.h"
#include "engine.h"
#include "probe_summary.h"
#include "procfs.h"

#define describe cai_probe_describe

static void fix_for(const struct cai_doctor_facts *f, enum cai_notify_result r, char *buf, size_t cap)
{
	cai_advice_fix(f->platform.kind, r, f->wsl.networking_mode[0] ? f->wsl.networking_mode : NULL,
		       f->wsl.version[0] ? f->wsl.version : NULL, buf, cap);
}

void cai_doctor_check_seccomp_here(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	char here[64], fix[512];
	describe(&f->here, here, sizeof(here));
	if (f->here.result == CAI_NOTIFY_SUPPORTED) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "%s; this process has %ld seccomp filter(s), PID 1 has %ld",
			       here, f->here.self.filters, f->here.pid1.filters);
		return;
	}
	/* Only the engine's tree decides; where it works, this is a note. */
	if (f->engine.where != CAI_PROBE_WHERE_THIS_TREE && f->engine.ran &&
	    f->engine.probe.result == CAI_NOTIFY_SUPPORTED) {
		cai_doctor_set(c, CAI_DOCTOR_WARNING,
			       "Nothing to do for the engine; `cai setup` decides on the probe where "
			       "the engine runs.",
			       "%s here, but supported where the engine runs (%s); this process has %ld seccomp "
			       "filter(s)",
			       here, cai_probe_where_text(f->engine.where), f->here.self.filters);
		return;
	}
	fix_for(f, f->here.result, fix, sizeof(fix));
	cai_doctor_set(c, CAI_DOCTOR_FAILURE, fix, "%s: %s", here, cai_advice_reason(f->platform.kind, &f->here));
}

void cai_doctor_check_seccomp_engine(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	char there[64], here[64], fix[512];
	const struct cai_engine_probe *e = &f->engine;
	describe(&f->here, here, sizeof(here));
	if (!e->ran) {
		cai_doctor_set(c, CAI_DOCTOR_WARNING,
			       "Run `cai doctor` as root; if systemd-run fails, see `journalctl -xe`.",
			       "could not probe in %s (%s); setup decides on this process tree's answer, %s",
			       cai_probe_where_text(e->where), e->error, here);
		return;
	}
	describe(&e->probe, there, sizeof(there));
	if (e->probe.result == CAI_NOTIFY_SUPPORTED) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "%s in %s; this process tree: %s", there,
			       cai_probe_where_text(e->where), here);
		return;
	}
	fix_for(f, e->probe.result, fix, sizeof(fix));
	cai_doctor_set(c, CAI_DOCTOR_FAILURE, fix, "%s in %s; this process tree: %s. %s", there,
		       cai_probe_where_text(e->where), here, cai_advice_reason(f->platform.kind, &e->probe));
}

static long seccomp_filters_of(pid_t pid)
{
	char path[64], buf[8192];
	struct cai_error ignored;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (cai_read_small_file(path, buf, sizeof(buf), &ignored) < 0)
		return -1;
	return cai_status_field(buf, "Seccomp_filters");
}

/* Without systemd the engine inherits the filters of whoever started it;
 * one started from another tree (WSL's boot command, another shell) may
 * hold a listener this process does not, or lack one it has. */
void cai_doctor_check_engine_tree(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	if (st.manager == CAI_ENGINE_SYSTEMD) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL,
			       "does not apply: systemd runs the engine, probed in a transient "
			       "service");
		return;
	}
	if (!st.running) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL,
			       "the engine is not running; `cai engine start` will start it "
			       "from its caller's process tree");
		return;
	}
	long theirs = seccomp_filters_of(st.pid), ours = f->here.self.filters;
	if (theirs < 0 || ours < 0) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL,
			       "cannot compare the engine's (pid %d) seccomp filters with ours: "
			       "/proc has no Seccomp_filters (Linux before 5.9)",
			       (int)st.pid);
		return;
	}
	if (theirs == ours) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL,
			       "the engine (pid %d) has %ld seccomp filter(s), as this process "
			       "does: the probe here speaks for it",
			       (int)st.pid, ours);
		return;
	}
	cai_doctor_set(c, CAI_DOCTOR_WARNING,
		       "Restart the engine from the process tree Sysbox should run in: `cai engine stop && cai engine "
		       "start`, then `cai doctor` there (on WSL without systemd, the [boot] command of /etc/wsl.conf "
		       "starts it from WSL's init).",
		       "the engine (pid %d) was started from another process tree: it has %ld seccomp filter(s), this "
		       "process %ld; the probe here may not speak for it",
		       (int)st.pid, theirs, ours);
}
