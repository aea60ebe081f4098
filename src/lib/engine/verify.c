#include "verify.h"

#include <jv.h>

#include "docker_context.h"
#include "engine_paths.h"
#include "run_cmd.h"

int cai_verify_engine(const struct cai_docker_user *u, FILE *trace, struct cai_verify *v, struct cai_error *err)
{
	memset(v, 0, sizeof(*v));
	const char *argv[] = {cai_docker_cli(),
			      "--context",
			      CAI_CONTEXT_NAME,
			      "info",
			      "--format",
			      "{{json .Runtimes}}\n{{.DefaultRuntime}}",
			      NULL};
	struct cai_cmd cmd;
	if (cai_docker_run(u, argv, trace, &cmd, err) < 0)
		return -1;
	if (cmd.status != 0) {
		cai_last_line(cmd.errout, v->error, sizeof(v->error));
		cai_cmd_free(&cmd);
		return 0;
	}
	char *nl = strchr(cmd.out, '\n');
	if (nl) {
		*nl = '\0';
		snprintf(v->default_runtime, sizeof(v->default_runtime), "%s", nl + 1);
		cai_strip_newline(v->default_runtime);
	}
	jv runtimes = jv_parse(cmd.out);
	v->answered = jv_get_kind(runtimes) == JV_KIND_OBJECT;
	if (v->answered)
		v->sysbox_listed = jv_object_has(jv_copy(runtimes), jv_string(CAI_SYSBOX_RUNTIME));
	else
		snprintf(v->error, sizeof(v->error), "unexpected answer from docker info: %.200s", cmd.out);
	jv_free(runtimes);
	v->default_is_runc = strcmp(v->default_runtime, "runc") == 0;
	cai_cmd_free(&cmd);
	return 0;
}
