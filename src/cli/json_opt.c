/* The command line of the verbs that take only --json and --help. */
#include <getopt.h>

#include "cli.h"

int cai_parse_json_only(int argc, char **argv, const char *command, void (*usage)(FILE *out), bool *json)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_cli cli = {.prog = "cai", .command = command, .usage = usage};
	int c;
	*json = false;
	while ((c = cai_cli_getopt(&cli, argc, argv, "jh", longopts)) > 0)
		if (c == 'j')
			*json = true;
	if (c == CAI_CLI_EXIT)
		return cli.exit_code;
	return cai_cli_no_operands(&cli, argc, argv);
}
