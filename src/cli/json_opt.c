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
	int c;
	*json = false;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			usage(stdout);
			return CAI_EXIT_OK;
		default:
			return cai_usage_hint(command);
		}
	}
	if (optind < argc) {
		cai_warn("%s: unexpected argument `%s`", command, argv[optind]);
		return cai_usage_hint(command);
	}
	return -1;
}
