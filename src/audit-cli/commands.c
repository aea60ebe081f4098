/* The audit commands, `run` and `tail`: the same code answers as
 * `cai audit ...` and as the standalone `cai-audit ...`. */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "audit_wire.h"
#include "cli_opts.h"
#include "preload.h"
#include "tail.h"

#ifndef CAI_SHIM_PATH
#define CAI_SHIM_PATH "/usr/lib/containai/libcai-auditshim.so"
#endif
#define DEFAULT_SOCKET CAI_AUDIT_SOCKET_DEFAULT
#define DEFAULT_LOG "/var/log/containai/audit.jsonl"

static void usage(FILE *out);

/* prog: "cai audit" or "cai-audit", for usage, --version and hints. */
static struct cai_cli cli = {.prog = "cai-audit", .usage = usage};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s run [--socket PATH] [--shim PATH] -- COMMAND [ARG...]\n"
		"       %s tail [--log PATH] [-n N] [--follow] [--json] [--container NAME|ID]\n"
		"\n"
		"run   runs COMMAND with libcai-auditshim.so preloaded: every exec,\n"
		"      connect and open of it and of its children goes to cai-auditd.\n"
		"      Exits with COMMAND's status (126: cannot run it, 127: not found).\n"
		"tail  prints the audit log, one readable line per event.\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH  collector socket (default " DEFAULT_SOCKET ")\n"
		"      --shim PATH    the shim library (default " CAI_SHIM_PATH ")\n"
		"  -l, --log PATH     log to read (default " DEFAULT_LOG ")\n"
		"  -n, --lines N      only the last N records\n"
		"  -f, --follow       keep reading as the log grows (and across logrotate)\n"
		"  -j, --json         print the records as they are stored\n"
		"  -c, --container NAME|ID\n"
		"                     only records from this container: its name, its id,\n"
		"                     or at least 12 leading hex digits of the id\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n",
		cli.prog, cli.prog);
}

static bool socket_reachable(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"shim", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *opt_socket = DEFAULT_SOCKET, *opt_shim = CAI_SHIM_PATH;
	int c;
	optind = 1;
	while ((c = cai_cli_getopt(&cli, argc, argv, "+s:h", longopts)) > 0) {
		switch (c) {
		case 's':
			opt_socket = optarg;
			break;
		case 'S':
			opt_shim = optarg;
			break;
		}
	}
	if (cli.done)
		return cli.exit_code;
	if (optind >= argc) {
		cai_warn("run: no command given");
		return cai_cli_usage_error(&cli);
	}
	if (opt_shim[0] != '/') {
		cai_warn("run: the shim path `%s` must be absolute", opt_shim);
		return CAI_EXIT_USAGE;
	}
	if (access(opt_shim, R_OK) != 0) {
		cai_warn("run: shim `%s`: %s", opt_shim, strerror(errno));
		return 1;
	}
	if (!socket_reachable(opt_socket))
		cai_warn("run: no collector on `%s`; events are counted as lost until one starts "
			 "(start cai-auditd)",
			 opt_socket);
	if (!cai_preload_shim(opt_shim, opt_socket))
		cai_die(1, "run: set the environment: %s", strerror(errno));
	execvp(argv[optind], argv + optind);
	int e = errno;
	cai_warn("run: execute `%s`: %s", argv[optind], strerror(e));
	return e == ENOENT ? 127 : 126;
}

static int cmd_tail(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"log", required_argument, NULL, 'l'},
	    {"lines", required_argument, NULL, 'n'},
	    {"follow", no_argument, NULL, 'f'},
	    {"json", no_argument, NULL, 'j'},
	    {"container", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct tail_opts o = {.log = DEFAULT_LOG, .last = -1};
	int c;
	optind = 1;
	while ((c = cai_cli_getopt(&cli, argc, argv, "l:n:fjc:h", longopts)) > 0) {
		switch (c) {
		case 'l':
			o.log = optarg;
			break;
		case 'n': {
			char *end;
			errno = 0;
			o.last = strtol(optarg, &end, 10);
			if (errno || *end || o.last < 0) {
				cai_warn("tail: --lines wants a number, not `%s`", optarg);
				return CAI_EXIT_USAGE;
			}
			break;
		}
		case 'f':
			o.follow = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'c':
			if (!*optarg) {
				cai_warn("tail: --container wants a container name or id");
				return CAI_EXIT_USAGE;
			}
			o.container = optarg;
			break;
		}
	}
	if (cli.done)
		return cli.exit_code;
	if (optind < argc) {
		cai_warn("tail: unexpected argument `%s`", argv[optind]);
		return cai_cli_usage_error(&cli);
	}
	struct cai_error err = {0};
	if (audit_tail(&o, stdout, &err) < 0) {
		cai_warn("tail: %s", err.msg);
		return 1;
	}
	return 0;
}

int audit_cli_main(const char *name, int argc, char **argv)
{
	cli.prog = name;
	if (argc < 2) {
		usage(stderr);
		return CAI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	/* Not getopt: anything else here is a command, known or not. */
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return CAI_EXIT_OK;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0)
		return cai_cli_version(&cli);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "tail") == 0)
		return cmd_tail(argc - 1, argv + 1);
	cai_warn("unknown command `%s`", cmd);
	return cai_cli_usage_error(&cli);
}
