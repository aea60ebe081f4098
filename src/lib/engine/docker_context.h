/* The `containai-secure` Docker context, managed through the real docker CLI.
 * Every call passes `--context default` so that a broken currentContext or a
 * DOCKER_HOST in the environment cannot break us; we never run
 * `docker context use` and never touch any other context. */
#ifndef CAI_DOCKER_CONTEXT_H
#define CAI_DOCKER_CONTEXT_H

#include "docker_user.h"

enum cai_context_state {
	CAI_CONTEXT_ABSENT,
	CAI_CONTEXT_OURS,  /* exists and points at our socket */
	CAI_CONTEXT_OTHER, /* exists with another endpoint: not ours to change */
};

/* endpoint (may be NULL) receives the context's docker host. */
int cai_context_inspect(const struct cai_docker_user *u, FILE *trace, enum cai_context_state *state, char *endpoint,
			size_t cap, struct cai_error *err);
/* Create it; with update, re-point an existing one at our socket. */
int cai_context_create(const struct cai_docker_user *u, bool update, FILE *trace, struct cai_error *err);
int cai_context_remove(const struct cai_docker_user *u, FILE *trace, struct cai_error *err);

const char *cai_docker_cli(void);

/* Run the docker CLI (argv[0] is cai_docker_cli()) as user u, with u's HOME
 * and DOCKER_CONFIG, capturing its output. Returns 0 when it ran (its status
 * in cmd, to be freed), -1 with err when it could not (a missing CLI says
 * which package to install). */
struct cai_cmd;
int cai_docker_run(const struct cai_docker_user *u, const char *const *argv, FILE *trace, struct cai_cmd *cmd,
		   struct cai_error *err);

#endif
