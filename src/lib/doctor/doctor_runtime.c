/* The doctor's runtime checks: Sysbox against runc, and what the kernel
 * offers Sysbox for volumes. */
#include "doctor.h"

#include <sys/stat.h>

#include "engine_paths.h"
#include "procfs.h"
#include "run_cmd.h"
#include "sysbox.h"
#include "version_parse.h"

/* `PROGRAM --version`'s whole output parsed after "version"; false when the
 * program is missing or says no version. line gets its first line. */
static bool tool_version(const char *program, struct cai_version *v, char *line, size_t cap)
{
	const char *argv[] = {program, "--version", NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error ignored;
	bool ok = cai_cmd_run(&cmd, &ignored) == 0 && cmd.status == 0 && cai_version_find(cmd.out, "version", v);
	if (ok)
		snprintf(line, cap, "%d.%d.%d", v->major, v->minor, v->patch);
	else
		snprintf(line, cap, "unknown");
	cai_cmd_free(&cmd);
	return ok;
}

/* Sysbox before 0.7.0 cannot run Docker inside its containers with runc
 * 1.3.3 or later (Docker 28.5.2+): runc refuses sysbox-fs's /proc as an
 * "unsafe procfs" (nestybox/sysbox#972, #973). */
void cai_doctor_check_sysbox_runc(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	(void)f;
	struct cai_version sv, rv;
	char sline[32], rline[32];
	bool runc_known = tool_version("runc", &rv, rline, sizeof(rline));
	if (!cai_sysbox_present()) {
		cai_doctor_set(c, CAI_DOCTOR_WARNING,
			       "Install sysbox-ce 0.7.0 or later (" CAI_SYSBOX_DOWNLOAD "), then run `cai setup`.",
			       "%s is not installed (runc %s)", CAI_SYSBOX_RUNC, rline);
		return;
	}
	bool sysbox_known = tool_version(CAI_SYSBOX_RUNC, &sv, sline, sizeof(sline));
	if (sysbox_known && runc_known && cai_version_cmp(&sv, 0, 7, 0) < 0 && cai_version_cmp(&rv, 1, 3, 3) >= 0) {
		cai_doctor_set(
		    c, CAI_DOCTOR_FAILURE,
		    "Upgrade sysbox-ce to 0.7.0 or later (" CAI_SYSBOX_DOWNLOAD "), or keep runc below 1.3.3.",
		    "sysbox-runc %s with runc %s: Docker inside Sysbox containers fails with \"unsafe procfs "
		    "detected\" (Sysbox before 0.7.0 with runc 1.3.3 or later)",
		    sline, rline);
		return;
	}
	if (!sysbox_known) {
		cai_doctor_set(c, CAI_DOCTOR_WARNING, "Reinstall sysbox-ce (" CAI_SYSBOX_DOWNLOAD ").",
			       "`%s --version` gives no version; runc %s", CAI_SYSBOX_RUNC, rline);
		return;
	}
	cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "sysbox-runc %s, runc %s", sline, rline);
}

static bool shiftfs_available(void)
{
	char buf[8192];
	struct cai_error ignored;
	struct stat st;
	if (stat("/sys/module/shiftfs", &st) == 0)
		return true;
	if (cai_read_small_file("/proc/filesystems", buf, sizeof(buf), &ignored) < 0)
		return false;
	return cai_word_list_contains(buf, "shiftfs");
}

/* Sysbox maps a container's root to an unprivileged host uid; without
 * idmapped mounts (Linux 5.12) or shiftfs, bind-mounted host files show up
 * as nobody:nogroup inside. */
void cai_doctor_check_kernel_idmap(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	struct cai_version k;
	const char *release = f->platform.osrelease;
	if (!cai_version_find(release, NULL, &k)) {
		cai_doctor_set(c, CAI_DOCTOR_WARNING, NULL, "cannot read a version in the kernel release `%s`",
			       release);
		return;
	}
	if (cai_version_cmp(&k, 5, 12, 0) >= 0) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "kernel %s has idmapped mounts (Linux 5.12+)", release);
		return;
	}
	if (shiftfs_available()) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "kernel %s has no idmapped mounts, but shiftfs is there",
			       release);
		return;
	}
	cai_doctor_set(
	    c, CAI_DOCTOR_WARNING,
	    f->platform.kind == CAI_PLATFORM_WSL2
		? "On Windows, update the WSL kernel: wsl --update, then wsl --shutdown."
		: "Boot a kernel 5.12 or later, or load shiftfs (`modprobe shiftfs` where the kernel ships it).",
	    "kernel %s has neither idmapped mounts (Linux 5.12+) nor shiftfs: files in volumes show up as "
	    "nobody:nogroup inside Sysbox containers",
	    release);
}
