/* Shared by the `cai` subcommands: global options and exit codes
 * (documented in cai(1)). */
#ifndef CAI_CLI_H
#define CAI_CLI_H

#include "cli_opts.h"
#include "error.h"

struct cai_global {
	const char *daemon_json; /* the engine's daemon.json (an admin may move it) */
};

/* cai's exit codes: CAI_EXIT_OK, CAI_EXIT_FAILURE (also: setup refused, as
 * its spec says) and CAI_EXIT_USAGE from cli_opts.h, and: */
enum {
	CAI_EXIT_STEP_FAILED = 3, /* setup/teardown: a step failed; the message names it */
};

/* cai status */
enum {
	CAI_STATUS_HEALTHY = 0,
	CAI_STATUS_ERROR = 1,
	CAI_STATUS_DEGRADED = 3,
	CAI_STATUS_REFUSED = 4,
	CAI_STATUS_NOT_PROVISIONED = 5,
};

/* cai doctor */
enum {
	CAI_DOCTOR_EXIT_OK = 0,
	CAI_DOCTOR_EXIT_ERROR = 1,
	CAI_DOCTOR_EXIT_WARNING = 3,
	CAI_DOCTOR_EXIT_FAILURE = 4,
};

int cmd_doctor(const struct cai_global *g, int argc, char **argv);
int cmd_setup(const struct cai_global *g, int argc, char **argv);
int cmd_status(const struct cai_global *g, int argc, char **argv);
int cmd_teardown(const struct cai_global *g, int argc, char **argv);
int cmd_engine(const struct cai_global *g, int argc, char **argv);
int cmd_egress(const struct cai_global *g, int argc, char **argv);
int cmd_run(const struct cai_global *g, int argc, char **argv);
int cmd_audit(const struct cai_global *g, int argc, char **argv);

/* The egress proxy's options where systemd is not PID 1, as `cai engine
 * start` and `cai setup` start it (cmd-egress.c). */
struct cai_egress_opts;
void cai_egress_default_opts(struct cai_egress_opts *o, FILE *trace);

/* [--json] [--help] and nothing else: -1 to go on, or the exit code. */
int cai_parse_json_only(int argc, char **argv, const char *command, void (*usage)(FILE *out), bool *json);

/* The one ACTION operand of engine and egress: one of actions (NULL-ended),
 * with --json only for `status`. Returns it, or NULL once the usage error
 * is said (exit CAI_EXIT_USAGE). */
const char *cai_parse_action(const struct cai_cli *cli, int argc, char **argv, const char *const *actions, bool json);

#endif
