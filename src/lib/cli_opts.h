/* The part of the command line that every program of the package reads the
 * same way: -h/--help prints the usage on stdout and exits 0, -V/--version
 * prints "NAME VERSION" and exits 0, and a usage error (a bad option, which
 * getopt has named on stderr, or a bad operand) points to --help and exits
 * 2. Each program keeps its own options and what they mean. */
#ifndef CAI_CLI_OPTS_H
#define CAI_CLI_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* The exit codes every program shares; each documents its others. */
enum {
	CAI_EXIT_OK = 0,
	CAI_EXIT_FAILURE = 1,
	CAI_EXIT_USAGE = 2,
};

struct cai_cli {
	const char *prog;	  /* as the user calls it: "cai", "cai-daemon-json", "cai audit" */
	const char *command;	  /* its subcommand ("setup"), or NULL */
	void (*usage)(FILE *out); /* the --help text */
	bool usage_on_error;	  /* a usage error prints the usage, not "Try '... --help'" */
	bool done;		  /* --help, --version or a usage error answered: exit now */
	int exit_code;		  /* with done: the exit code */
};

/* getopt_long() that answers 'h' (--help), 'V' (--version) and the errors
 * itself; the caller lists those among its options only where it takes
 * them. Returns the caller's next option, or 0 when the options are over
 * (operands start at optind) or cli->done. */
int cai_cli_getopt(struct cai_cli *cli, int argc, char **argv, const char *optstring, const struct option *longopts);

/* "NAME VERSION" on stdout; returns CAI_EXIT_OK. */
int cai_cli_version(const struct cai_cli *cli);

/* "Try 'NAME --help' for more information." (or the usage) on stderr;
 * returns CAI_EXIT_USAGE. */
int cai_cli_usage_error(const struct cai_cli *cli);

/* After the options of a command that takes no operands: true if it is
 * done, already or because there is one at optind ("COMMAND: unexpected
 * argument `X`", a usage error); then exit with cli->exit_code. */
bool cai_cli_no_operands(struct cai_cli *cli, int argc, char **argv);

#endif
