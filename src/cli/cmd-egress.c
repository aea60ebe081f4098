/* cai egress start|stop|status|run: the Secure Engine's egress proxy. */
#include <getopt.h>

#include "cli.h"
#include "egress_paths.h"
#include "egress_proxy.h"
#include "engine.h"
#include "probe_json.h"
#include "run_cmd.h"

#ifndef CAI_EGRESS_ACL_PATH
#define CAI_EGRESS_ACL_PATH "/usr/lib/containai/cai-egress-acl"
#endif

void cai_egress_default_opts(struct cai_egress_opts *o, FILE *trace)
{
	*o = (struct cai_egress_opts){.acl_helper = CAI_EGRESS_ACL_PATH, .trace = trace, .start_timeout_s = 30};
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai egress [OPTIONS] start|stop|status [--json]|run\n"
		"\n"
		"The egress proxy of the Secure Engine: agent containers (cai run --image) join\n"
		"the internal network %s, whose only way out is Squid on %s:%d.\n"
		"It allows a host only when the agent's allowlist names it, never reaches\n"
		"private, loopback, link-local (cloud metadata) or the host's own addresses\n"
		"unless %s allows one, and logs every decision to the audit log.\n"
		"\n"
		"  start   start it (systemctl start %s where systemd is PID 1, else in\n"
		"          the background, logging to %s); `cai engine start` does this\n"
		"  stop    stop it (agents then reach nothing)\n"
		"  status  whether it answers (--json for scripts)\n"
		"  run     create the network and the host's rules, then run Squid in the\n"
		"          foreground and relay its decisions (the systemd unit runs this)\n"
		"\n"
		"Options:\n"
		"  --acl-helper PATH    Squid's helper (default %s)\n"
		"  --audit-socket PATH  the collector's socket (default $CAI_AUDIT_SOCKET or %s)\n"
		"  -v, --verbose        show each command run\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit codes: 0 done (status: answering), 1 failure (status: not answering), 2 usage.\n",
		CAI_EGRESS_NETWORK, CAI_EGRESS_GATEWAY, CAI_EGRESS_PORT, CAI_EGRESS_POLICY_CONF, CAI_EGRESS_UNIT,
		CAI_EGRESS_SUPERVISOR_LOG, CAI_EGRESS_ACL_PATH, "/run/containai/audit.sock");
}

static int egress_status(bool json)
{
	struct cai_egress_status st;
	cai_egress_get_status(&st);
	if (json) {
		jv doc = JV_OBJECT(jv_string("answering"), jv_bool(st.answering), jv_string("pid"),
				   st.pid > 0 ? jv_number(st.pid) : jv_null(), jv_string("network"),
				   jv_bool(st.network), jv_string("squid_installed"), jv_bool(st.squid),
				   jv_string("proxy"), jv_string(CAI_EGRESS_URL));
		char *text = cai_jv_to_cstring(doc, JV_PRINT_INDENT_FLAGS(2));
		puts(text);
		free(text);
	} else {
		printf("%s\n", cai_egress_status_line(&st));
	}
	return st.answering ? CAI_EXIT_OK : CAI_EXIT_FAILURE;
}

static int systemctl_egress(const char *verb, FILE *trace)
{
	const char *argv[] = {"systemctl", verb, CAI_EGRESS_UNIT, NULL};
	struct cai_cmd cmd = {.argv = argv, .trace = trace};
	struct cai_error err = {0};
	if (cai_cmd_run(&cmd, &err) < 0)
		cai_die_error(CAI_EXIT_FAILURE, &err);
	int status = cmd.status;
	if (status != 0) {
		char line[512];
		cai_warn("systemctl %s %s failed (exit %d): %s; see `journalctl -u %s`", verb, CAI_EGRESS_UNIT, status,
			 cai_last_line(cmd.errout, line, sizeof(line)), CAI_EGRESS_UNIT);
	}
	cai_cmd_free(&cmd);
	return status == 0 ? CAI_EXIT_OK : CAI_EXIT_FAILURE;
}

static int act(const char *action, const struct cai_egress_opts *o)
{
	struct cai_error err = {0};
	bool did;
	bool systemd = cai_engine_manager() == CAI_ENGINE_SYSTEMD;
	if (strcmp(action, "run") == 0) {
		if (cai_egress_run(o, &err) < 0)
			cai_die_error(CAI_EXIT_FAILURE, &err);
		return CAI_EXIT_OK;
	}
	if (systemd)
		return systemctl_egress(action, o->trace);
	if (strcmp(action, "start") == 0) {
		if (cai_egress_start(o, &did, &err) < 0)
			cai_die_error(CAI_EXIT_FAILURE, &err);
		printf(did ? "egress proxy started on %s\n" : "egress proxy already running on %s\n", CAI_EGRESS_URL);
	} else {
		if (cai_egress_stop(o->trace, &did, &err) < 0)
			cai_die_error(CAI_EXIT_FAILURE, &err);
		printf(did ? "egress proxy stopped\n" : "egress proxy was not running\n");
	}
	return CAI_EXIT_OK;
}

int cmd_egress(const struct cai_global *g, int argc, char **argv)
{
	(void)g;
	enum { OPT_ACL = 256, OPT_SOCKET };
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {"acl-helper", required_argument, NULL, OPT_ACL},
	    {"audit-socket", required_argument, NULL, OPT_SOCKET},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_egress_opts o;
	cai_egress_default_opts(&o, NULL);
	struct cai_cli cli = {.prog = "cai", .command = "egress", .usage = usage};
	bool json = false;
	int c;
	while ((c = cai_cli_getopt(&cli, argc, argv, "vjh", longopts)) > 0) {
		switch (c) {
		case 'v':
			o.trace = stderr;
			break;
		case 'j':
			json = true;
			break;
		case OPT_ACL:
			o.acl_helper = optarg;
			break;
		case OPT_SOCKET:
			o.audit_socket = optarg;
			break;
		}
	}
	if (cli.done)
		return cli.exit_code;
	static const char *const actions[] = {"start", "stop", "status", "run", NULL};
	const char *action = cai_parse_action(&cli, argc, argv, actions, json);
	if (!action)
		return CAI_EXIT_USAGE;
	if (strcmp(action, "status") == 0)
		return egress_status(json);
	if (geteuid() != 0) {
		cai_warn("egress %s must run as root", action);
		return CAI_EXIT_FAILURE;
	}
	return act(action, &o);
}
