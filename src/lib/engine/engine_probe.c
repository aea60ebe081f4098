#include "engine_probe.h"

#include <errno.h>
#include <libgen.h>

#include "engine.h"
#include "probe_json.h"
#include "run_cmd.h"

const char *cai_probe_where_name(enum cai_probe_where w)
{
	return w == CAI_PROBE_WHERE_SYSTEMD_SERVICE ? "systemd-service" : "this-process-tree";
}

const char *cai_probe_where_text(enum cai_probe_where w)
{
	return w == CAI_PROBE_WHERE_SYSTEMD_SERVICE
		   ? "a transient systemd service, where containai-docker.service runs"
		   : "this process tree: without systemd, `cai engine start` starts dockerd from its caller";
}

int cai_probe_sibling_path(char *out, size_t cap, struct cai_error *err)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return cai_error_set(err, errno, "read `/proc/self/exe`");
	self[n] = '\0';
	if ((size_t)snprintf(out, cap, "%s/cai-seccomp-probe", dirname(self)) >= cap)
		return cai_error_set(err, ENAMETOOLONG, "path of cai-seccomp-probe");
	return 0;
}

/* The probe's JSON from the service's stdout, into out->probe. */
static int parse_service_output(const char *text, struct cai_engine_probe *out)
{
	jv doc = jv_parse(text);
	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc); /* consumes doc */
		snprintf(out->error, sizeof(out->error), "the probe's output is not JSON: %s",
			 jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
		return -1;
	}
	jv notify = jv_object_get(doc, jv_string("seccomp_notify")); /* consumes doc */
	int rc = cai_notify_probe_from_jv(notify, &out->probe);	     /* consumes notify */
	if (rc < 0)
		snprintf(out->error, sizeof(out->error), "the probe's output has no readable `seccomp_notify`");
	return rc;
}

static void run_in_service(struct cai_engine_probe *out)
{
	char probe[4096];
	struct cai_error err = {0};
	if (cai_probe_sibling_path(probe, sizeof(probe), &err) < 0) {
		snprintf(out->error, sizeof(out->error), "%.500s", err.msg);
		return;
	}
	/* --pipe: the service's stdout is ours; --wait: its exit is ours;
	 * --collect: nothing stays behind, even when the probe fails. */
	const char *argv[] = {
	    "systemd-run", "--wait", "--pipe", "--collect", "--quiet", "--description=ContainAI seccomp probe",
	    probe,	   "--json", "--here", NULL};
	cleanup_free char *cmdline = cai_cmd_string(argv);
	snprintf(out->command, sizeof(out->command), "%.500s", cmdline);
	struct cai_cmd cmd = {.argv = argv};
	if (cai_cmd_run(&cmd, &err) < 0) {
		cai_cmd_free(&cmd);
		snprintf(out->error, sizeof(out->error), "%.500s", err.msg);
		return;
	}
	/* The probe's own exit codes 0 and 3-6 are answers; anything else is not. */
	if (cmd.status == 1 || cmd.status == 2 || cmd.status > 6) {
		char line[256];
		snprintf(out->error, sizeof(out->error), "`%.200s` failed (exit %d): %s", cmdline, cmd.status,
			 cai_last_line(cmd.errout, line, sizeof(line)));
	} else if (parse_service_output(cmd.out, out) == 0) {
		out->ran = true;
	}
	cai_cmd_free(&cmd);
}

void cai_engine_probe_run(const struct cai_notify_probe *here, struct cai_engine_probe *out)
{
	memset(out, 0, sizeof(*out));
	if (cai_engine_manager() == CAI_ENGINE_SYSTEMD) {
		out->where = CAI_PROBE_WHERE_SYSTEMD_SERVICE;
		run_in_service(out);
		return;
	}
	out->where = CAI_PROBE_WHERE_THIS_TREE;
	out->ran = true;
	out->probe = *here;
	snprintf(out->command, sizeof(out->command), "the probe in this process");
}

const struct cai_notify_probe *cai_engine_probe_decisive(const struct cai_notify_probe *here,
							 const struct cai_engine_probe *ep)
{
	return ep->ran ? &ep->probe : here;
}

bool cai_engine_probe_differs(const struct cai_notify_probe *here, const struct cai_engine_probe *ep)
{
	return ep->ran && (ep->probe.result != here->result || ep->probe.errnum != here->errnum);
}

jv cai_engine_probe_to_jv(const struct cai_notify_probe *here, const struct cai_engine_probe *ep)
{
	jv o = JV_OBJECT(jv_string("where"), jv_string(cai_probe_where_name(ep->where)), jv_string("ran"),
			 jv_bool(ep->ran), jv_string("command"), cai_jv_string_or_null(ep->command), jv_string("error"),
			 cai_jv_string_or_null(ep->error));
	o = jv_object_set(o, jv_string("seccomp_notify"), ep->ran ? cai_notify_probe_to_jv(&ep->probe) : jv_null());
	o = jv_object_set(o, jv_string("differs"), jv_bool(cai_engine_probe_differs(here, ep)));
	return o;
}
