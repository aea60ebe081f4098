/* cai run: the options both forms share, and the container form
 * (run-image.c) beside the host form (cmd-run.c). */
#ifndef CAI_CLI_RUN_H
#define CAI_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* Exit codes of cai run, as env(1) and docker run have them. */
enum { RUN_EXIT_FAILED = 125, RUN_EXIT_CANNOT_EXEC = 126, RUN_EXIT_NOT_FOUND = 127 };

struct run_opts {
	const char *policy;
	const char *shim;
	const char *audit_socket;
	bool use_shim;
	bool debug;
	char **cmd;
	/* --image */
	const char *image;
	const char *name;
	const char *runtime;
	const char *workspace;
	const char *shim_musl;
	const char *agent_init;
	const char **env; /* NULL-terminated */
	size_t nenv;
	bool keep;
	bool no_audit;
	/* the network (run-egress.h) */
	const char *network_policy; /* NULL: allowlist */
	const char **allow;	    /* --allow-domain */
	size_t nallow;
	const char **presets; /* --egress-preset */
	size_t npresets;
};

void run_debug(const struct run_opts *o, const char *fmt, ...) CAI_PRINTF(2, 3);
/* CMD's wait status as an exit code: its status, or 128+N for signal N. */
int run_exit_status(int status);
/* Supervise the execs behind listener (consumed) until no process holds
 * the filter, reaping `waited` (the agent, or the docker client) into
 * *status; events go to audit_socket, stamped with container when not NULL.
 * Says on stderr what failed and what could not be delivered. Returns 0 or
 * -1. Both forms of cai run end this way. */
struct cai_exec_policy;
struct cai_container;
int run_supervise(const struct run_opts *o, int listener, pid_t waited, const struct cai_exec_policy *policy,
		  const char *audit_socket, const struct cai_container *container, int *status);

/* `cai run --image`: returns cai run's exit code. */
int run_image(const struct run_opts *o);

#endif
