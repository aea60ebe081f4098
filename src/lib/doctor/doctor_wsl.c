/* The doctor's WSL2 checks: what wslinfo says (networking mode, version)
 * and how /etc/wsl.conf brings the engine back after `wsl --shutdown`. */
#include "doctor.h"

#include "advice.h"
#include "version_parse.h"

static bool not_wsl2(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	if (f->platform.kind == CAI_PLATFORM_WSL2)
		return false;
	cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "does not apply: this is %s, not WSL2",
		       cai_platform_kind_name(f->platform.kind));
	return true;
}

static enum cai_notify_result decisive_result(const struct cai_doctor_facts *f)
{
	return cai_engine_probe_decisive(&f->here, &f->engine)->result;
}

/* Mirrored networking's port tracker is the documented holder of the
 * listener that makes Sysbox's fail with EBUSY. */
void cai_doctor_check_wsl_networking(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	if (not_wsl2(f, c))
		return;
	const char *mode = f->wsl.networking_mode;
	if (!*mode) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "unknown: %s", f->wsl.wslinfo_error);
		return;
	}
	if (strcmp(mode, "mirrored") == 0 && decisive_result(f) == CAI_NOTIFY_BUSY) {
		cai_doctor_set(
		    c, CAI_DOCTOR_WARNING, "On Windows, switch WSL to NAT networking: " CAI_ADVICE_NAT ".",
		    "networking mode %s: its port tracker holds the seccomp listener, and the probe where the "
		    "engine runs answers EBUSY",
		    mode);
		return;
	}
	cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "networking mode %s; the probe where the engine runs answers %s", mode,
		       cai_notify_result_name(decisive_result(f)));
}

void cai_doctor_check_wsl_version(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	if (not_wsl2(f, c))
		return;
	struct cai_version v;
	if (!*f->wsl.version || !cai_version_find(f->wsl.version, NULL, &v)) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "unknown: %s",
			       f->wsl.wslinfo_error[0] ? f->wsl.wslinfo_error : "wslinfo gave no version");
		return;
	}
	if (cai_version_cmp(&v, 1, 1, 0) >= 0 && decisive_result(f) == CAI_NOTIFY_BUSY) {
		char fix[512];
		cai_advice_fix(f->platform.kind, CAI_NOTIFY_BUSY,
			       f->wsl.networking_mode[0] ? f->wsl.networking_mode : NULL, f->wsl.version, fix,
			       sizeof(fix));
		cai_doctor_set(
		    c, CAI_DOCTOR_WARNING, fix,
		    "WSL %s (1.1.0 or later installs a seccomp listener on PID 1), and the probe where the engine "
		    "runs answers EBUSY",
		    f->wsl.version);
		return;
	}
	cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "WSL %s", f->wsl.version);
}

static bool boot_command_starts_engine(const struct cai_doctor_facts *f)
{
	return strstr(f->wsl.conf.boot_command, "cai engine start") != NULL;
}

void cai_doctor_check_wsl_systemd(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	if (not_wsl2(f, c))
		return;
	const struct cai_wsl_conf *conf = &f->wsl.conf;
	if (conf->systemd && f->systemd_pid1) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "systemd=true in " CAI_WSL_CONF ", and systemd is PID 1");
		return;
	}
	if (conf->systemd) {
		cai_doctor_set(
		    c, CAI_DOCTOR_WARNING, "On Windows, restart WSL: wsl --shutdown; then run `cai setup` again.",
		    "systemd=true in " CAI_WSL_CONF ", but systemd is not PID 1: WSL has not restarted since");
		return;
	}
	if (boot_command_starts_engine(f)) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL,
			       "systemd is not enabled in " CAI_WSL_CONF "; its [boot] command starts the engine");
		return;
	}
	cai_doctor_set(c, CAI_DOCTOR_WARNING,
		       "Add `systemd=true` under [boot] in " CAI_WSL_CONF " (then, on Windows: wsl --shutdown), or the "
		       "boot command of the check wsl-boot-command.",
		       "systemd is not enabled in " CAI_WSL_CONF "%s, and no boot command starts the engine",
		       conf->readable ? "" : " (the file is absent)");
}

void cai_doctor_check_wsl_boot_command(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	if (not_wsl2(f, c))
		return;
	if (f->systemd_pid1) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "does not apply: systemd starts containai-docker.service");
		return;
	}
	const char *cmd = f->wsl.conf.boot_command;
	if (boot_command_starts_engine(f)) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "[boot] command = %s", cmd);
		return;
	}
	char fix[768];
	if (*cmd)
		snprintf(fix, sizeof(fix),
			 "Change the [boot] line in " CAI_WSL_CONF " to: command = \"%.400s; cai engine "
			 "start\"",
			 cmd);
	else
		snprintf(fix, sizeof(fix), "Add under [boot] in " CAI_WSL_CONF ": command = \"cai engine start\"");
	cai_doctor_set(c, CAI_DOCTOR_WARNING, fix,
		       "without systemd, nothing restarts the engine after `wsl --shutdown`: %s%s%s",
		       *cmd ? "the [boot] command is `" : "no [boot] command is set", cmd, *cmd ? "`" : "");
}
