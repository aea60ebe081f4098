/* cai engine start|stop|reload|status|run: the Secure Engine's dockerd. */
#include <getopt.h>

#include "cli.h"
#include "collector.h"
#include "engine.h"
#include "engine_paths.h"
#include "egress_paths.h"
#include "egress_proxy.h"
#include "probe_json.h"

/* Where systemd is not PID 1 the egress proxy starts and stops with the
 * engine (under systemd its unit is bound to the engine's). The engine is
 * up without it: agents then need --network-policy open or none, and
 * `cai run` says so. */
static void egress_with_engine(bool start, FILE *trace)
{
	if (cai_engine_manager() == CAI_ENGINE_SYSTEMD)
		return;
	struct cai_egress_opts eo;
	cai_egress_default_opts(&eo, trace);
	struct cai_error err = {0};
	bool did;
	if (start ? cai_egress_start(&eo, &did, &err) : cai_egress_stop(trace, &did, &err))
		cai_warn("engine: egress proxy: %s", err.msg);
	else if (did)
		printf(start ? "egress proxy started on %s\n" : "egress proxy stopped\n", CAI_EGRESS_URL);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai engine [--verbose] start|stop|reload|status [--json]|run\n"
		"\n"
		"  start   start the engine (systemctl start %s where systemd is PID 1,\n"
		"          else dockerd daemonised with its pidfile and log %s)\n"
		"          and wait until it answers on %s; then the audit collector\n"
		"          (%s, or cai-auditd with the pidfile %s)\n"
		"  stop    stop it (its containers stop first), then the audit collector\n"
		"  reload  send SIGHUP: dockerd re-reads its runtimes; containers keep running\n"
		"  status  running or not, pid, whether the socket answers (--json for scripts)\n"
		"  run     prepare the bridge and exec dockerd in the foreground (the systemd unit\n"
		"          runs this)\n"
		"\n"
		"Options:\n"
		"  -v, --verbose  show each command run\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit codes: 0 done (status: running and answering), 1 failure (status: not\n"
		"running or not answering), 2 usage.\n",
		CAI_ENGINE_UNIT, CAI_ENGINE_LOG, CAI_ENGINE_SOCKET, CAI_COLLECTOR_SOCKET_UNIT, CAI_COLLECTOR_PIDFILE);
}

/* The collector goes with the engine: started after it, stopped after it. */
static void collector_start_stop(bool start, FILE *trace)
{
	struct cai_error err = {0};
	bool did;
	if (start && cai_collector_start(trace, &did, &err) < 0)
		cai_die_error(CAI_EXIT_FAILURE, &err);
	if (!start && cai_collector_stop(trace, &did, &err) < 0)
		cai_die_error(CAI_EXIT_FAILURE, &err);
	if (did)
		printf(start ? "Audit collector started\n" : "Audit collector stopped\n");
}

static int engine_status(bool json)
{
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	bool healthy = st.running && st.responding;
	const char *manager = st.manager == CAI_ENGINE_SYSTEMD ? "systemd" : "standalone";
	if (json) {
		jv doc = JV_OBJECT(jv_string("running"), jv_bool(st.running), jv_string("pid"),
				   st.running ? jv_number(st.pid) : jv_null(), jv_string("responding"),
				   jv_bool(st.responding), jv_string("manager"), jv_string(manager), jv_string("host"),
				   jv_string(CAI_ENGINE_HOST));
		char *text = cai_jv_to_cstring(doc, JV_PRINT_INDENT_FLAGS(2));
		puts(text);
		free(text);
	} else if (st.running) {
		printf("running (%s, pid %d), %s %s\n", manager, (int)st.pid,
		       st.responding ? "answers on" : "does NOT answer on", CAI_ENGINE_HOST);
	} else {
		printf("not running (%s)%s\n", manager, st.responding ? "; but something answers on the socket" : "");
	}
	return healthy ? CAI_EXIT_OK : CAI_EXIT_FAILURE;
}

int cmd_engine(const struct cai_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_cli cli = {.prog = "cai", .command = "engine", .usage = usage};
	bool verbose = false, json = false;
	int c;
	while ((c = cai_cli_getopt(&cli, argc, argv, "vjh", longopts)) > 0) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'j':
			json = true;
			break;
		}
	}
	if (cli.done)
		return cli.exit_code;
	static const char *const actions[] = {"start", "stop", "reload", "status", "run", NULL};
	const char *action = cai_parse_action(&cli, argc, argv, actions, json);
	if (!action)
		return CAI_EXIT_USAGE;
	if (strcmp(action, "status") == 0)
		return engine_status(json);
	if (geteuid() != 0) {
		cai_warn("engine %s must run as root", action);
		return CAI_EXIT_FAILURE;
	}

	FILE *trace = verbose ? stderr : NULL;
	struct cai_engine_opts eo = {.daemon_json = g->daemon_json, .trace = trace, .start_timeout_s = 60};
	struct cai_error err = {0};
	bool did;
	if (strcmp(action, "start") == 0) {
		if (cai_engine_start(&eo, &did, &err) < 0)
			cai_die_error(CAI_EXIT_FAILURE, &err);
		printf(did ? "Secure Engine started; it answers on %s\n" : "Secure Engine already running on %s\n",
		       CAI_ENGINE_HOST);
		collector_start_stop(true, trace);
		egress_with_engine(true, trace);
	} else if (strcmp(action, "stop") == 0) {
		egress_with_engine(false, trace);
		if (cai_engine_stop(&eo, &did, &err) < 0)
			cai_die_error(CAI_EXIT_FAILURE, &err);
		printf(did ? "Secure Engine stopped\n" : "Secure Engine was not running\n");
		collector_start_stop(false, trace);
	} else if (strcmp(action, "reload") == 0) {
		if (cai_engine_reload(&eo, &err) < 0)
			cai_die_error(CAI_EXIT_FAILURE, &err);
		printf("Secure Engine reloaded (SIGHUP)\n");
	} else {
		cai_engine_exec(&eo, &err);
		cai_die_error(CAI_EXIT_FAILURE, &err);
	}
	return CAI_EXIT_OK;
}
