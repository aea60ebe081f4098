/* `cai doctor`: the known causes of a broken Secure Engine, each checked
 * with a result, the evidence and a fix to copy and paste. Every check only
 * reads: a fix is printed, never applied, and a fix on the Windows side
 * (.wslconfig, `wsl --shutdown`) is only ever text. `cai setup` runs the
 * checks marked for_setup and prints their warnings. */
#ifndef CAI_DOCTOR_H
#define CAI_DOCTOR_H

#include <jv.h>

#include "engine_probe.h"
#include "notify_probe.h"
#include "platform.h"
#include "wsl_info.h"

#define CAI_DOCTOR_SCHEMA_VERSION 1

enum cai_doctor_result {
	CAI_DOCTOR_OK,
	CAI_DOCTOR_WARNING,
	CAI_DOCTOR_FAILURE,
};

struct cai_doctor_check {
	const char *id;	   /* stable, for scripts: "seccomp-engine" */
	const char *title; /* for people */
	enum cai_doctor_result result;
	char evidence[768];
	char fix[768]; /* "" when there is nothing to do */
};

/* What the checks read, gathered once. */
struct cai_doctor_facts {
	struct cai_platform platform;
	struct cai_notify_probe here;	/* the probe in this process tree */
	struct cai_engine_probe engine; /* the probe where the engine runs */
	struct cai_wsl_info wsl;	/* read only on WSL2 */
	bool systemd_pid1;
};

#define CAI_DOCTOR_MAX_CHECKS 16

struct cai_doctor {
	struct cai_doctor_check checks[CAI_DOCTOR_MAX_CHECKS];
	size_t n;
};

/* Detect the platform, probe here and where the engine runs, ask WSL. */
int cai_doctor_gather(struct cai_doctor_facts *f, struct cai_error *err);
/* The part of gathering that setup has not done itself (WSL, systemd). */
void cai_doctor_gather_platform_extras(struct cai_doctor_facts *f);

/* Run every check, or only those that concern `cai setup`. */
void cai_doctor_run(const struct cai_doctor_facts *f, bool setup_only, struct cai_doctor *d);
enum cai_doctor_result cai_doctor_worst(const struct cai_doctor *d);
const char *cai_doctor_result_name(enum cai_doctor_result r);

/* {"id", "title", "result", "evidence", "fix"} per check, in an array. */
jv cai_doctor_checks_to_jv(const struct cai_doctor *d);

/* For the check files: fill c; fix may be NULL. */
void cai_doctor_set(struct cai_doctor_check *c, enum cai_doctor_result r, const char *fix, const char *fmt, ...)
    CAI_PRINTF(4, 5);

/* The checks, one file per concern. */
void cai_doctor_check_seccomp_here(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_seccomp_engine(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_engine_tree(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_sysbox_runc(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_kernel_idmap(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_docker_env(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_docker_snap(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_other_dockerd(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_wsl_networking(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_wsl_version(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_wsl_systemd(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_wsl_boot_command(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
/* doctor_services.c */
void cai_doctor_check_audit_collector(const struct cai_doctor_facts *f, struct cai_doctor_check *c);
void cai_doctor_check_egress_proxy(const struct cai_doctor_facts *f, struct cai_doctor_check *c);

#endif
