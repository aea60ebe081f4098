#include "docker_context.h"

#include <errno.h>

#include "engine_paths.h"
#include "run_cmd.h"

const char *cai_docker_cli(void)
{
	return "docker";
}

int cai_docker_run(const struct cai_docker_user *u, const char *const *argv, FILE *trace, struct cai_cmd *cmd,
		   struct cai_error *err)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->argv = argv;
	cmd->trace = trace;
	cmd->home = u->home;
	cmd->docker_config = u->docker_config;
	if (!u->is_caller) {
		cmd->as_user = true;
		cmd->uid = u->uid;
		cmd->gid = u->gid;
		cmd->user_name = u->name;
	}
	if (cai_cmd_run(cmd, err) < 0) {
		cai_cmd_free(cmd);
		if (err->errnum == ENOENT)
			return cai_error_set(
			    err, 0,
			    "the docker CLI was not found in "
			    "/usr/bin or /usr/local/bin "
			    "(install docker-cli on Debian 13, docker.io on Debian 12, or docker-ce-cli)");
		return -1;
	}
	return 0;
}

static int cli_failure(const struct cai_docker_user *u, const char *what, struct cai_cmd *cmd, struct cai_error *err)
{
	char line[512];
	cai_error_set(err, 0, "%s for user `%s` (exit %d): %s", what, u->name, cmd->status,
		      cai_last_line(cmd->errout, line, sizeof(line)));
	cai_cmd_free(cmd);
	return -1;
}

int cai_context_inspect(const struct cai_docker_user *u, FILE *trace, enum cai_context_state *state, char *endpoint,
			size_t cap, struct cai_error *err)
{
	const char *argv[] = {cai_docker_cli(),
			      "--context",
			      "default",
			      "context",
			      "inspect",
			      CAI_CONTEXT_NAME,
			      "--format",
			      "{{.Endpoints.docker.Host}}",
			      NULL};
	struct cai_cmd cmd;
	if (cai_docker_run(u, argv, trace, &cmd, err) < 0)
		return -1;
	if (cmd.status != 0) {
		if (strstr(cmd.errout, "not found") || strstr(cmd.errout, "No such context") ||
		    strstr(cmd.errout, "does not exist")) {
			*state = CAI_CONTEXT_ABSENT;
			if (endpoint)
				endpoint[0] = '\0';
			cai_cmd_free(&cmd);
			return 0;
		}
		return cli_failure(u, "docker context inspect " CAI_CONTEXT_NAME, &cmd, err);
	}
	cai_strip_newline(cmd.out);
	*state = strcmp(cmd.out, CAI_ENGINE_HOST) == 0 ? CAI_CONTEXT_OURS : CAI_CONTEXT_OTHER;
	if (endpoint)
		snprintf(endpoint, cap, "%s", cmd.out);
	cai_cmd_free(&cmd);
	return 0;
}

int cai_context_create(const struct cai_docker_user *u, bool update, FILE *trace, struct cai_error *err)
{
	const char *argv[] = {cai_docker_cli(),
			      "--context",
			      "default",
			      "context",
			      update ? "update" : "create",
			      CAI_CONTEXT_NAME,
			      "--description",
			      CAI_CONTEXT_DESCRIPTION,
			      "--docker",
			      "host=" CAI_ENGINE_HOST,
			      NULL};
	struct cai_cmd cmd;
	if (cai_docker_run(u, argv, trace, &cmd, err) < 0)
		return -1;
	if (cmd.status != 0)
		return cli_failure(u, update ? "docker context update" : "docker context create", &cmd, err);
	cai_cmd_free(&cmd);
	return 0;
}

int cai_context_remove(const struct cai_docker_user *u, FILE *trace, struct cai_error *err)
{
	const char *argv[] = {cai_docker_cli(), "--context", "default", "context", "rm", CAI_CONTEXT_NAME, NULL};
	struct cai_cmd cmd;
	if (cai_docker_run(u, argv, trace, &cmd, err) < 0)
		return -1;
	if (cmd.status != 0)
		return cli_failure(u, "docker context rm " CAI_CONTEXT_NAME, &cmd, err);
	cai_cmd_free(&cmd);
	return 0;
}
