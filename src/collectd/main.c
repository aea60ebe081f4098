/* cai-auditd: collect the audit shim's events into an append-only log. */
#include <errno.h>
#include <getopt.h>

#include "audit_wire.h"
#include "error.h"
#include "logsink.h"
#include "server.h"

#define DEFAULT_SOCKET CAI_AUDIT_SOCKET_DEFAULT
#define DEFAULT_LOG "/var/log/containai/audit.jsonl"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai-auditd [--socket PATH] [--log PATH] [--max-connections-per-user N]\n"
		"\n"
		"Receive the events of libcai-auditshim.so on a unix socket, stamp each\n"
		"with the sender's kernel-verified pid/uid/gid (and, for a program in a\n"
		"Docker container, the container's id and name), and append them as JSON\n"
		"lines to the log. SIGHUP reopens the log (logrotate); SIGTERM drains\n"
		"every connection and exits. Under systemd the socket comes from\n"
		"cai-auditd.socket (socket activation).\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH  listen here (default " DEFAULT_SOCKET ")\n"
		"  -l, --log PATH     append here (default " DEFAULT_LOG ")\n"
		"  --max-connections-per-user N\n"
		"                     connections one user (or one container's own socket) may\n"
		"                     hold at once (default 256); more are refused, counted and\n"
		"                     said in the log; all users together stay 64 below the\n"
		"                     fd limit\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n"
		"\n"
		"Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failure, 2 usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'}, {"log", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{"max-connections-per-user", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	const char *opt_socket = DEFAULT_SOCKET, *opt_log = DEFAULT_LOG;
	long opt_per_user = QUOTA_DEFAULT_PER_USER;
	int c;

	cai_set_progname(argv[0]);
	while ((c = getopt_long(argc, argv, "s:l:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_socket = optarg;
			break;
		case 'l':
			opt_log = optarg;
			break;
		case 'm': {
			char *end;
			opt_per_user = strtol(optarg, &end, 10);
			if (end == optarg || *end || opt_per_user < 1 || opt_per_user > 1000000) {
				cai_warn("--max-connections-per-user `%s`: give a number from 1 to 1000000", optarg);
				return 2;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cai-auditd %s\n", CAI_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'cai-auditd --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		cai_warn("unexpected argument `%s`", argv[optind]);
		fprintf(stderr, "Try 'cai-auditd --help' for more information.\n");
		return 2;
	}

	struct cai_error err = {0};
	struct logsink log;
	struct server srv;
	if (logsink_open(&log, opt_log, &err) < 0)
		cai_die_error(1, &err);
	if (server_listen(&srv, opt_socket, &err) < 0)
		cai_die_error(1, &err);
	srv.log = &log;
	srv.quota.per_key = (int)opt_per_user;
	int rc = server_run(&srv, &err);
	if (rc < 0)
		cai_warn("%s", err.msg);
	cai_warn("stopping: %llu received, %llu written, %llu rejected, %lu log write errors, %llu rings",
		 srv.stats.received, srv.stats.written, srv.stats.rejected, log.write_errors, srv.stats.rings);
	bool unwritten = log.len > 0;
	server_close(&srv);
	logsink_close(&log);
	if (unwritten)
		cai_warn("events could not be written to `%s` and are lost", opt_log);
	return rc < 0 || unwritten ? 1 : 0;
}
