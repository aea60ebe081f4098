/* cai: provisions and inspects the ContainAI Secure Engine. This file holds
 * only the command table and the global options; each verb lives in its own
 * cmd-<verb>.c. */
#include <getopt.h>

#include "cli.h"
#include "engine_paths.h"

struct command {
	const char *name;
	int (*handler)(const struct cai_global *g, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"setup", cmd_setup, "provision the Secure Engine (probe, sysbox, daemon.json, engine, context, verify)"},
    {"status", cmd_status, "show what is provisioned and whether it is healthy"},
    {"teardown", cmd_teardown, "undo what setup did, and only that"},
    {"doctor", cmd_doctor, "check the known causes of a broken Secure Engine; say what to fix"},
    {"engine", cmd_engine, "start, stop, reload or inspect the Secure Engine's dockerd"},
    {"egress", cmd_egress, "start, stop or inspect the egress proxy of agent containers"},
    {"run", cmd_run, "run an AI agent with its execs supervised and audited"},
    {"audit", cmd_audit, "run a command under the audit shim (run), or read the audit log (tail)"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai [--daemon-json PATH] COMMAND [OPTIONS]\n"
		"\n"
		"Provision and inspect the ContainAI Secure Engine: a dedicated Docker Engine\n"
		"with the Sysbox runtime, reached through the Docker context `%s`.\n"
		"\n"
		"Commands:\n",
		CAI_CONTEXT_NAME);
	for (size_t i = 0; i < CAI_ARRAY_LEN(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Global options:\n"
		"  --daemon-json PATH  the engine's daemon.json (default %s)\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"\n"
		"Run `cai COMMAND --help` for a command's options and exit codes; see cai(1).\n",
		CAI_ENGINE_DAEMON_JSON);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"daemon-json", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_global g = {.daemon_json = CAI_ENGINE_DAEMON_JSON};
	struct cai_cli cli = {.prog = "cai", .usage = usage};
	int c;

	cai_set_progname("cai");
	/* '+': stop at the first non-option, the command name. */
	while ((c = cai_cli_getopt(&cli, argc, argv, "+hV", longopts)) > 0)
		if (c == 'd')
			g.daemon_json = optarg;
	if (cli.done)
		return cli.exit_code;
	if (optind >= argc) {
		usage(stderr);
		return CAI_EXIT_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < CAI_ARRAY_LEN(commands); i++) {
		if (strcmp(commands[i].name, name) == 0) {
			argc -= optind;
			argv += optind;
			optind = 0; /* reset getopt for the subcommand's own parsing */
			return commands[i].handler(&g, argc, argv);
		}
	}
	cai_warn("unknown command `%s`", name);
	return cai_cli_usage_error(&cli);
}
