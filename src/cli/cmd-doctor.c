/* cai doctor: every known cause of a broken Secure Engine, checked, with
 * the evidence and a fix to copy. Changes nothing. */
#include "cli.h"
#include "doctor.h"
#include "engine_paths.h"
#include "probe_json.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cai doctor [--json]\n"
		     "\n"
		     "Check what is known to break the Secure Engine, each with a result (ok,\n"
		     "warning, failure), the evidence and a fix to copy and paste:\n"
		     "  seccomp user notification here and where the engine runs (a transient\n"
		     "  systemd service where systemd is PID 1), the running engine's process tree,\n"
		     "  Sysbox before 0.7.0 with runc 1.3.3+, a kernel without idmapped mounts or\n"
		     "  shiftfs, DOCKER_HOST/DOCKER_CONTEXT set, Docker from snap, another dockerd on\n"
		     "  the engine's socket or bridge, and on WSL2 the networking mode, the WSL\n"
		     "  version, systemd in /etc/wsl.conf and the boot command that restarts the\n"
		     "  engine; while the engine runs, the audit collector and the egress proxy.\n"
		     "  Changes nothing; fixes on the Windows side are only printed.\n"
		     "\n"
		     "Options:\n"
		     "  --json      print one JSON object (schema in cai(1))\n"
		     "  -h, --help  show this help\n"
		     "\n"
		     "Exit codes: 0 every check ok, 1 doctor itself failed, 2 usage, 3 warnings\n"
		     "(no failure), 4 at least one failure.\n");
}

static int exit_code(enum cai_doctor_result worst)
{
	return worst == CAI_DOCTOR_FAILURE   ? CAI_DOCTOR_EXIT_FAILURE
	       : worst == CAI_DOCTOR_WARNING ? CAI_DOCTOR_EXIT_WARNING
					     : CAI_DOCTOR_EXIT_OK;
}

static void print_json(const struct cai_doctor_facts *f, const struct cai_doctor *d, int code)
{
	jv doc =
	    JV_OBJECT(jv_string("schema_version"), jv_number(CAI_DOCTOR_SCHEMA_VERSION), jv_string("tool"),
		      jv_string("cai doctor"), jv_string("version"), jv_string(CAI_VERSION), jv_string("result"),
		      jv_string(cai_doctor_result_name(cai_doctor_worst(d))), jv_string("exit_code"), jv_number(code));
	doc = jv_object_set(doc, jv_string("platform"), cai_platform_to_jv(&f->platform));
	doc = jv_object_set(doc, jv_string("seccomp_notify"), cai_notify_probe_to_jv(&f->here));
	doc = jv_object_set(doc, jv_string("engine_context"), cai_engine_probe_to_jv(&f->here, &f->engine));
	doc = jv_object_set(doc, jv_string("wsl"),
			    f->platform.kind == CAI_PLATFORM_WSL2 ? cai_wsl_info_to_jv(&f->wsl) : jv_null());
	doc = jv_object_set(doc, jv_string("checks"), cai_doctor_checks_to_jv(d));
	char *text = cai_jv_to_cstring(doc, JV_PRINT_INDENT_FLAGS(2));
	puts(text);
	free(text);
}

static void print_text(const struct cai_doctor_facts *f, const struct cai_doctor *d, int code)
{
	static const char *const labels[] = {"ok", "WARNING", "FAILURE"};
	int counts[3] = {0};
	printf("Platform: %s (kernel %s)\n\n", cai_platform_kind_name(f->platform.kind), f->platform.osrelease);
	for (size_t i = 0; i < d->n; i++) {
		const struct cai_doctor_check *c = &d->checks[i];
		counts[c->result]++;
		printf("%-8s %-20s %s\n", labels[c->result], c->id, c->title);
		printf("%-29s %s\n", "", c->evidence);
		if (c->result != CAI_DOCTOR_OK && c->fix[0])
			printf("%-29s fix: %s\n", "", c->fix);
	}
	printf("\n%d ok, %d warning(s), %d failure(s) (exit %d). Nothing was changed.\n", counts[CAI_DOCTOR_OK],
	       counts[CAI_DOCTOR_WARNING], counts[CAI_DOCTOR_FAILURE], code);
}

int cmd_doctor(const struct cai_global *g, int argc, char **argv)
{
	(void)g;
	bool opt_json;
	int rc = cai_parse_json_only(argc, argv, "doctor", usage, &opt_json);
	if (rc >= 0)
		return rc;
	static struct cai_doctor_facts facts;
	static struct cai_doctor d;
	struct cai_error err = {0};
	if (cai_doctor_gather(&facts, &err) < 0) {
		cai_warn("doctor: %s", err.msg);
		return CAI_DOCTOR_EXIT_ERROR;
	}
	cai_doctor_run(&facts, false, &d);
	int code = exit_code(cai_doctor_worst(&d));
	if (opt_json)
		print_json(&facts, &d, code);
	else
		print_text(&facts, &d, code);
	return code;
}
