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
		return 0;
	case 'h':
		cli->usage(stdout);
		cli->exit_code = CAI_EXIT_OK;
		break;
	case 'V':
		cli->exit_code = cai_cli_version(cli);
		break;
	case '?':
	case ':':
		cli->exit_code = cai_cli_usage_error(cli);
		break;
	default:
		return c;
	}
	cli->done = true;
	return 0;
}

bool cai_cli_no_operands(struct cai_cli *cli, int argc, char **argv)
{
	if (cli->done || optind >= argc)
		return cli->done;
	if (cli->command)
		cai_warn("%s: unexpected argument `%s`", cli->command, argv[optind]);
	else
		cai_warn("unexpected argument `%s`", argv[optind]);
	cli->exit_code = cai_cli_usage_error(cli);
	cli->done = true;
	return true;
}
