/* cai-auditd: collect the audit shim's events into an append-only log. */
#include <errno.h>

#include "audit_wire.h"
#include "error.h"
#include "logsink.h"
#include "cli_opts.h"
#include "server.h"

#define DEFAULT_SOCKET CAI_AUDIT_SOCKET_DEFAULT
#define DEFAULT_LOG "/var/log/containai/audit.jsonl"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cai-auditd [--socket PATH] [--log PATH] [LIMITS]\n"
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
		     "\n"
		     "Limits, per user (or per container's own socket); what exceeds one is\n"
		     "refused or dropped, counted, and said in the log at most every 10 s:\n"
		     "  --max-connections-per-user N\n"
		     "                     connections held at once (default 256); all users\n"
		     "                     together stay 64 below the fd limit\n"
		     "  --max-ring-mib-per-user N\n"
		     "                     MiB of shared-memory rings mapped (default 64); past it a\n"
		     "                     process sends its events as messages instead\n"
		     "  --max-ring-mib N   the same for all users together (default 1024)\n"
		     "  --max-events-per-user N\n"
		     "                     events per second (default 100000; 0: no limit); root on\n"
		     "                     the host has no rate limit\n"
		     "  --max-bytes-per-user N\n"
		     "                     bytes of records per second (default 67108864; 0: no limit)\n"
		     "If the log cannot be written (a full disk), up to 16 MiB of lines wait in\n"
		     "memory; later events are counted as lost and the log says how many once it\n"
		     "can be written again.\n"
		     "\n"
		     "  -h, --help         show this help and exit\n"
		     "  -V, --version      show the version and exit\n"
		     "\n"
		     "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failure, 2 usage.\n");
}

/* A whole number from lo to hi, or a usage error naming the option. */
static int number_option(const char *name, const char *arg, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (end == arg || *end || errno || v < lo || v > hi) {
		cai_warn("%s `%s`: give a whole number from %lld to %lld", name, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"log", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"max-connections-per-user", required_argument, NULL, 'm'},
	    {"max-ring-mib-per-user", required_argument, NULL, 'r'},
	    {"max-ring-mib", required_argument, NULL, 'R'},
	    {"max-events-per-user", required_argument, NULL, 'e'},
	    {"max-bytes-per-user", required_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0},
	};
	const char *opt_socket = DEFAULT_SOCKET, *opt_log = DEFAULT_LOG;
	long opt_per_user = QUOTA_DEFAULT_PER_USER;
	long long opt_ring_user = QUOTA_DEFAULT_RING_BYTES_PER_USER >> 20,
		  opt_ring_all = QUOTA_DEFAULT_RING_BYTES >> 20;
	long long opt_events = QUOTA_DEFAULT_EVENTS_PER_SEC, opt_bytes = QUOTA_DEFAULT_BYTES_PER_SEC;
	struct cai_cli cli = {.prog = "cai-auditd", .usage = usage};
	int c;
	long long v;

	cai_set_progname(argv[0]);
	while ((c = cai_cli_getopt(&cli, argc, argv, "s:l:hV", longopts)) > 0) {
		switch (c) {
		case 's':
			opt_socket = optarg;
			break;
		case 'l':
			opt_log = optarg;
			break;
		case 'm':
			if (number_option("--max-connections-per-user", optarg, 1, 1000000, &v) < 0)
				return cai_cli_usage_error(&cli);
			opt_per_user = (long)v;
			break;
		case 'r':
			if (number_option("--max-ring-mib-per-user", optarg, 0, 1 << 20, &opt_ring_user) < 0)
				return cai_cli_usage_error(&cli);
			break;
		case 'R':
			if (number_option("--max-ring-mib", optarg, 0, 1 << 20, &opt_ring_all) < 0)
				return cai_cli_usage_error(&cli);
			break;
		case 'e':
			if (number_option("--max-events-per-user", optarg, 0, 1000000000, &opt_events) < 0)
				return cai_cli_usage_error(&cli);
			break;
		case 'b':
			if (number_option("--max-bytes-per-user", optarg, 0, 1LL << 40, &opt_bytes) < 0)
				return cai_cli_usage_error(&cli);
			break;
		default:
			return cai_cli_usage_error(&cli);
		}
	}
	if (cai_cli_no_operands(&cli, argc, argv))
		return cli.exit_code;

	struct cai_error err = {0};
	struct logsink log;
	struct server srv;
	if (logsink_open(&log, opt_log, &err) < 0)
		cai_die_error(1, &err);
	if (server_listen(&srv, opt_socket, &err) < 0)
		cai_die_error(1, &err);
	srv.log = &log;
	srv.quota.per_key = (int)opt_per_user;
	srv.quota.ring_bytes_per_key = opt_ring_user << 20;
	srv.quota.max_ring_bytes = opt_ring_all << 20;
	srv.quota.events_per_sec = opt_events;
	srv.quota.bytes_per_sec = opt_bytes;
	int rc = server_run(&srv, &err);
	if (rc < 0)
		cai_warn("%s", err.msg);
	/* Lines still queued could not be written: not counted as written. */
	unsigned long long unwritten = log.lines;
	unsigned long long written = srv.stats.written > unwritten ? srv.stats.written - unwritten : 0;
	cai_warn("stopping: %llu received, %llu written, %llu rejected, %llu over quota, %llu lost (log not writable), "
		 "%llu unwritten at exit, %lu log write errors, %llu rings",
		 srv.stats.received, written, srv.stats.rejected, srv.stats.over_quota, log.lost_total, unwritten,
		 log.write_errors, srv.stats.rings);
	server_close(&srv);
	logsink_close(&log);
	if (unwritten)
		cai_warn("%llu line(s) could not be written to `%s` and are lost", unwritten, opt_log);
	return rc < 0 || unwritten ? 1 : 0;
}
