#include "doctor.h"

#include <stdarg.h>

#include "engine.h"
#include "probe_json.h"

struct check_entry {
	const char *id;
	const char *title;
	bool for_setup; /* setup probes seccomp itself (its step 2) */
	void (*run)(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
};

static const struct check_entry checks[] = {
    {"seccomp-here", "seccomp user notification in this process tree", false, cai_doctor_check_seccomp_here},
    {"seccomp-engine", "seccomp user notification where the engine runs", false, cai_doctor_check_seccomp_engine},
    {"engine-process-tree", "the running engine's process tree", false, cai_doctor_check_engine_tree},
    {"sysbox-runc", "Sysbox and runc versions", true, cai_doctor_check_sysbox_runc},
    {"kernel-idmap", "idmapped mounts or shiftfs for volumes", true, cai_doctor_check_kernel_idmap},
    {"docker-env", "DOCKER_HOST and DOCKER_CONTEXT in the environment", true, cai_doctor_check_docker_env},
    {"docker-snap", "Docker from snap", true, cai_doctor_check_docker_snap},
    {"other-dockerd", "another dockerd on the engine's socket or bridge", true, cai_doctor_check_other_dockerd},
    {"wsl-networking", "WSL networking mode", true, cai_doctor_check_wsl_networking},
    {"wsl-version", "WSL version", true, cai_doctor_check_wsl_version},
    {"wsl-systemd", "systemd in /etc/wsl.conf", true, cai_doctor_check_wsl_systemd},
    {"wsl-boot-command", "the boot command that restarts the engine", true, cai_doctor_check_wsl_boot_command},
    /* setup starts these itself (its step 5) */
    {"audit-collector", "the audit collector", false, cai_doctor_check_audit_collector},
    {"egress-proxy", "the egress proxy of agent containers", false, cai_doctor_check_egress_proxy},
};
_Static_assert(CAI_ARRAY_LEN(checks) <= CAI_DOCTOR_MAX_CHECKS, "raise CAI_DOCTOR_MAX_CHECKS");

void cai_doctor_set(struct cai_doctor_check *c, enum cai_doctor_result r, const char *fix, const char *fmt, ...)
{
	va_list ap;
	c->result = r;
	va_start(ap, fmt);
	vsnprintf(c->evidence, sizeof(c->evidence), fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
}

void cai_doctor_gather_platform_extras(struct cai_doctor_facts *f)
{
	f->systemd_pid1 = cai_engine_manager() == CAI_ENGINE_SYSTEMD;
	memset(&f->wsl, 0, sizeof(f->wsl));
	if (f->platform.kind == CAI_PLATFORM_WSL2)
		cai_wsl_info_read(&f->wsl);
}

int cai_doctor_gather(struct cai_doctor_facts *f, struct cai_error *err)
{
	memset(f, 0, sizeof(*f));
	if (cai_platform_detect(&f->platform, err) < 0 || cai_notify_probe_run(&f->here, err) < 0)
		return -1;
	cai_engine_probe_run(&f->here, &f->engine);
	cai_doctor_gather_platform_extras(f);
	return 0;
}

void cai_doctor_run(const struct cai_doctor_facts *f, bool setup_only, struct cai_doctor *d)
{
	d->n = 0;
	for (size_t i = 0; i < CAI_ARRAY_LEN(checks); i++) {
		if (setup_only && !checks[i].for_setup)
			continue;
		struct cai_doctor_check *c = &d->checks[d->n++];
		memset(c, 0, sizeof(*c));
		c->id = checks[i].id;
		c->title = checks[i].title;
		checks[i].run(f, c);
	}
}

enum cai_doctor_result cai_doctor_worst(const struct cai_doctor *d)
{
	enum cai_doctor_result worst = CAI_DOCTOR_OK;
	for (size_t i = 0; i < d->n; i++)
		if (d->checks[i].result > worst)
			worst = d->checks[i].result;
	return worst;
}

const char *cai_doctor_result_name(enum cai_doctor_result r)
{
	return r == CAI_DOCTOR_FAILURE ? "failure" : r == CAI_DOCTOR_WARNING ? "warning" : "ok";
}

jv cai_doctor_checks_to_jv(const struct cai_doctor *d)
{
	jv out = jv_array();
	for (size_t i = 0; i < d->n; i++) {
		const struct cai_doctor_check *c = &d->checks[i];
		out = jv_array_append(out, JV_OBJECT(jv_string("id"), jv_string(c->id), jv_string("title"),
						     jv_string(c->title), jv_string("result"),
						     jv_string(cai_doctor_result_name(c->result)),
						     jv_string("evidence"), jv_string(c->evidence), jv_string("fix"),
						     cai_jv_string_or_null(c->fix)));
	}
	return out;
}
