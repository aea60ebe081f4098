/* The `docker run` that starts an agent's container on the Secure Engine:
 * every flag in one place, built from a spec so that it can be tested
 * without a daemon. Never --privileged, never a host namespace; the backstop
 * profile always applies; only what the spec names is mounted. */
#ifndef CAI_AGENT_CONTAINER_H
#define CAI_AGENT_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

struct cai_agent_spec {
	const char *docker; /* the CLI */
	const char *host;   /* the engine: "unix:///var/run/docker-containai.sock" */
	const char *image;
	const char *name;
	const char *runtime;	/* "sysbox-runc", "runc" */
	const char *profile;	/* the seccomp backstop profile (JSON) */
	const char *cidfile;	/* where docker writes the container id */
	const char *init;	/* cai-agent-init on the host */
	const char *shim_glibc; /* NULL: not mounted */
	const char *shim_musl;	/* NULL: not mounted */
	const char *audit_dir;	/* the audit socket's directory; NULL: none */
	const char *audit_name; /* the socket's name in it */
	const char *handoff_dir;
	const char *workspace;	/* NULL: none */
	const char *const *env; /* NAME or NAME=VALUE, NULL-terminated; may be NULL */
	const char *network;	/* --network; NULL: the engine's default bridge */
	bool supervise;		/* ask init for an exec listener */
	bool tty;		/* -t */
	bool keep;		/* no --rm */
	char *const *cmd;	/* NULL-terminated */
};

/* The argv, NULL-terminated; free with cai_agent_argv_free. */
char **cai_agent_docker_argv(const struct cai_agent_spec *s);
void cai_agent_argv_free(char **argv);

/* Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, and ours:
 * at most 128 bytes. */
bool cai_agent_name_valid(const char *name);
/* An -e argument: NAME or NAME=VALUE with NAME a shell variable name. */
bool cai_agent_env_valid(const char *arg);

#endif
