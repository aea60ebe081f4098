/* What the command lines of several verbs share: only --json and --help
 * (doctor), one action of a list (engine, egress). */
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
	return cai_cli_no_operands(&cli, argc, argv) ? cli.exit_code : -1;
}

/* "start, stop, status or run" */
static void list_actions(const char *const *actions, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; actions[i] && len < cap; i++) {
		const char *sep = i == 0 ? "" : actions[i + 1] ? ", " : " or ";
		int n = snprintf(buf + len, cap - len, "%s%s", sep, actions[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static bool is_action(const char *const *actions, const char *word)
{
	for (size_t i = 0; actions[i]; i++)
		if (strcmp(actions[i], word) == 0)
			return true;
	return false;
}

const char *cai_parse_action(const struct cai_cli *cli, int argc, char **argv, const char *const *actions, bool json)
{
	if (optind >= argc) {
		char list[256];
		list_actions(actions, list, sizeof(list));
		cai_warn("%s: missing action (%s)", cli->command, list);
	} else if (optind + 1 != argc) {
		cai_warn("%s: expected exactly one action", cli->command);
	} else if (json && strcmp(argv[optind], "status") != 0) {
		cai_warn("%s: --json goes with `status` only", cli->command);
	} else if (!is_action(actions, argv[optind])) {
		cai_warn("%s: unknown action `%s`", cli->command, argv[optind]);
	} else {
		return argv[optind];
	}
	cai_cli_usage_error(cli);
	return NULL;
}
