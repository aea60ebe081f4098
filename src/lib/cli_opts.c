#include "cli_opts.h"

#include "error.h"
#include "version.h"

/* "cai setup", "cai-seccomp-probe": how --version and the hint name it. */
static void print_name(const struct cai_cli *cli, FILE *out)
{
	fputs(cli->prog, out);
	if (cli->command)
		fprintf(out, " %s", cli->command);
}

int cai_cli_version(const struct cai_cli *cli)
{
	print_name(cli, stdout);
	printf(" %s\n", CAI_VERSION);
	return CAI_EXIT_OK;
}

int cai_cli_usage_error(const struct cai_cli *cli)
{
	if (cli->usage_on_error) {
		cli->usage(stderr);
		return CAI_EXIT_USAGE;
	}
	fputs("Try '", stderr);
	print_name(cli, stderr);
	fputs(" --help' for more information.\n", stderr);
	return CAI_EXIT_USAGE;
}

int cai_cli_getopt(struct cai_cli *cli, int argc, char **argv, const char *optstring, const struct option *longopts)
{
	int c = getopt_long(argc, argv, optstring, longopts, NULL);
	switch (c) {
	case -1:
		return CAI_CLI_END;
	case 'h':
		cli->usage(stdout);
		cli->exit_code = CAI_EXIT_OK;
		return CAI_CLI_EXIT;
	case 'V':
		cli->exit_code = cai_cli_version(cli);
		return CAI_CLI_EXIT;
	case '?':
	case ':':
		cli->exit_code = cai_cli_usage_error(cli);
		return CAI_CLI_EXIT;
	default:
		return c;
	}
}

int cai_cli_no_operands(const struct cai_cli *cli, int argc, char **argv)
{
	if (optind >= argc)
		return -1;
	if (cli->command)
		cai_warn("%s: unexpected argument `%s`", cli->command, argv[optind]);
	else
		cai_warn("unexpected argument `%s`", argv[optind]);
	return cai_cli_usage_error(cli);
}
