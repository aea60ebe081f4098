/* cai teardown: undo what setup did, and only that. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <sys/stat.h>

#include "cli.h"
#include "daemon_json.h"
#include "docker_context.h"
#include "collector.h"
#include "egress_paths.h"
#include "egress_proxy.h"
#include "egress_rules.h"
#include "engine.h"
#include "engine_config.h"
#include "engine_paths.h"
#include "report.h"
#include "state.h"

#define TEARDOWN_STEPS 6

struct teardown_opts {
	bool purge;
	bool dry_run;
	FILE *trace; /* --verbose: each command run, on stderr */
	const char *daemon_json;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai teardown [--purge] [--dry-run] [--verbose]\n"
		"\n"
		"Undo what `cai setup` did, and only that:\n"
		"  1. remove the `%s` context of root and of the user behind sudo, only\n"
		"     where it still points at %s\n"
		"  2. stop the egress proxy, remove the agent network `%s` from the engine\n"
		"     and the host's %s* chains with the rules that jump to them\n"
		"  3. stop the engine's dockerd and the audit collector (and disable their units)\n"
		"  4. remove the runtime entry `%s` (and the bridge setting) that setup added\n"
		"     to the engine's daemon.json; an admin's other keys stay\n"
		"  5. delete the engine's bridge `%s`\n"
		"  6. with --purge: delete the engine's data (%s, %s,\n"
		"     %s), the proxy's logs and the recorded state\n"
		"\n"
		"Options:\n"
		"  --purge        also delete the engine's data (images, containers, volumes)\n"
		"  -n, --dry-run  print every action and change nothing\n"
		"  -v, --verbose  show each command run\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit codes: 0 done (or nothing to undo), 1 failure, 2 usage, 3 a step failed (named\n"
		"on stderr; what step 2 could not remove is named, and the steps after it still run).\n",
		CAI_CONTEXT_NAME, CAI_ENGINE_HOST, CAI_EGRESS_NETWORK, "CAI-EGRESS-", CAI_SYSBOX_RUNTIME,
		CAI_ENGINE_BRIDGE, CAI_ENGINE_DATA_ROOT, CAI_ENGINE_EXEC_ROOT, CAI_ENGINE_LOG);
}

static int step_contexts(struct report *r, const struct teardown_opts *o, struct cai_error *err)
{
	struct cai_docker_user users[CAI_MAX_DOCKER_USERS];
	report_step(r, "Docker context `%s`", CAI_CONTEXT_NAME);
	int n = cai_docker_users(users, err);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		enum cai_context_state state;
		char endpoint[512];
		if (cai_context_inspect(&users[i], o->trace, &state, endpoint, sizeof(endpoint), err) < 0)
			return -1;
		if (state == CAI_CONTEXT_ABSENT) {
			report_detail(r, "user %s: none", users[i].name);
		} else if (state == CAI_CONTEXT_OTHER) {
			report_detail(r, "user %s: points at `%s`, not ours; left alone", users[i].name, endpoint);
		} else {
			if (!o->dry_run && cai_context_remove(&users[i], o->trace, err) < 0)
				return -1;
			report_change(r, "remove user %s's context", users[i].name);
		}
	}
	return 0;
}

/* Step 2, in three parts that each say what they could not undo; one that
 * fails does not keep the others (or the later steps) from running. */
static int stop_egress(struct report *r, const struct teardown_opts *o)
{
	const char *how = cai_engine_manager() == CAI_ENGINE_SYSTEMD ? " (" CAI_EGRESS_UNIT ")" : "";
	if (o->dry_run) {
		struct cai_egress_status es;
		cai_egress_get_status(&es);
		if (es.pid || es.answering)
			report_change(r, "stop the egress proxy%s", how);
		else
			report_detail(r, "proxy: not running");
		return 0;
	}
	struct cai_error err = {0};
	bool stopped;
	if (cai_egress_stop(o->trace, &stopped, &err) < 0) {
		report_warning(r, "could not stop the egress proxy: %s", err.msg);
		return -1;
	}
	if (stopped)
		report_change(r, "stop the egress proxy%s", how);
	else
		report_detail(r, "proxy: not running");
	return 0;
}

static int remove_agent_network(struct report *r, const struct teardown_opts *o)
{
	struct cai_error err = {0};
	bool removed;
	switch (cai_egress_network_state()) {
	case CAI_EGRESS_NET_ABSENT:
		report_detail(r, "network `%s`: none", CAI_EGRESS_NETWORK);
		break;
	case CAI_EGRESS_NET_OTHER:
		report_detail(r, "network `%s`: not ours (no label of ours); left alone", CAI_EGRESS_NETWORK);
		break;
	case CAI_EGRESS_NET_NO_ENGINE:
		report_detail(r,
			      "network `%s`: the engine is not running, so it cannot be asked; whatever it keeps "
			      "stays in its data (--purge deletes that)",
			      CAI_EGRESS_NETWORK);
		break;
	case CAI_EGRESS_NET_OURS:
		if (!o->dry_run && cai_egress_network_remove(o->trace, &removed, &err) < 0) {
			report_warning(r, "could not remove: %s", err.msg);
			return -1;
		}
		report_change(r, "remove the network `%s` from the engine", CAI_EGRESS_NETWORK);
		break;
	}
	/* An engine that is not running leaves the bridge behind. */
	bool gone;
	if (!o->dry_run && cai_egress_bridge_remove(o->trace, &gone, &err) < 0) {
		report_warning(r, "could not remove: %s", err.msg);
		return -1;
	}
	if (!o->dry_run && gone)
		report_change(r, "delete the bridge `%s`", CAI_EGRESS_BRIDGE);
	return 0;
}

static int remove_egress_rules(struct report *r, const struct teardown_opts *o)
{
	struct cai_egress_rules_removed rm;
	struct cai_error err = {0};
	int rc = cai_egress_rules_remove(o->dry_run, o->trace, &rm, &err);
	if (rm.jumps || rm.chains)
		report_change(r, "remove %d rule(s) jumping to our chains and %d chain(s) (%s, %s, %s; IPv4 and IPv6)",
			      rm.jumps, rm.chains, CAI_EGRESS_CHAIN_IN, CAI_EGRESS_CHAIN_FWD, CAI_EGRESS_CHAIN_PROXY);
	if (rc < 0) {
		report_warning(r, "could not remove: %s", err.msg);
		return -1;
	}
	if (!rm.jumps && !rm.chains)
		report_detail(r, "iptables: no chains of ours%s",
			      rm.iptables_absent ? " (iptables is not installed)" : "");
	return 0;
}

static int step_egress(struct report *r, const struct teardown_opts *o)
{
	report_step(r, "Egress proxy (%s)", CAI_EGRESS_URL);
	int failed = (stop_egress(r, o) < 0) + (remove_agent_network(r, o) < 0) + (remove_egress_rules(r, o) < 0);
	return failed ? -1 : 0;
}

static int step_engine(struct report *r, const struct teardown_opts *o, struct cai_error *err)
{
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	if (!st.running) {
		report_step(r, "Engine: not running");
		return 0;
	}
	report_step(r, "Engine: running (pid %d)", (int)st.pid);
	struct cai_engine_opts eo = {.daemon_json = o->daemon_json, .trace = o->trace};
	bool stopped;
	if (!o->dry_run) {
		printf("      stopping dockerd (its containers stop first) ...\n");
		fflush(stdout);
		if (cai_engine_stop(&eo, &stopped, err) < 0)
			return -1;
	}
	report_change(r, "stop dockerd (pid %d)", (int)st.pid);
	if (st.manager == CAI_ENGINE_SYSTEMD) {
		if (!o->dry_run && cai_engine_enable(false, o->trace, err) < 0)
			return -1;
		report_change(r, "disable %s at boot", CAI_ENGINE_UNIT);
	}
	return 0;
}

/* The audit collector goes with the engine (part of step 2): stopped, and
 * under systemd its socket unit disabled. */
static int stop_collector(struct report *r, const struct teardown_opts *o, struct cai_error *err)
{
	struct cai_collector_status cs;
	cai_collector_get_status(&cs);
	bool running = cs.pid || (cs.manager == CAI_ENGINE_SYSTEMD && cs.accepting);
	if (running) {
		bool stopped;
		if (!o->dry_run && cai_collector_stop(o->trace, &stopped, err) < 0)
			return -1;
		report_change(r, "stop the audit collector");
	}
	if (cs.manager == CAI_ENGINE_SYSTEMD && cs.enabled) {
		if (!o->dry_run && cai_collector_enable(false, o->trace, err) < 0)
			return -1;
		report_change(r, "disable %s at boot", CAI_COLLECTOR_SOCKET_UNIT);
	}
	return 0;
}

static int step_daemon_json(struct report *r, const struct teardown_opts *o, bool managed, struct cai_error *err)
{
	report_step(r, "Engine configuration: %s", o->daemon_json);
	if (!managed) {
		report_detail(r, "not managed by cai (setup ran with --no-daemon-json); left as it is");
		return 0;
	}
	struct cai_dj_op ops[CAI_ENGINE_CONFIG_MAX_OPS];
	size_t n = cai_engine_config_teardown_ops(ops);
	struct cai_dj_options dj = {.dry_run = o->dry_run};
	enum cai_dj_outcome rc = cai_dj_edit(o->daemon_json, ops, n, &dj, err);
	if (rc != CAI_DJ_CHANGED && rc != CAI_DJ_UNCHANGED)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool runtime = ops[i].kind == CAI_DJ_OP_REMOVE_RUNTIME;
		if (ops[i].outcome == CAI_DJ_CHANGED && runtime)
			report_change(r, "remove runtime `%s`", CAI_SYSBOX_RUNTIME);
		else if (ops[i].outcome == CAI_DJ_CHANGED)
			report_change(r, "remove the setting `%s`", ops[i].name);
		else if (runtime)
			report_detail(r, "runtime `%s` not registered", CAI_SYSBOX_RUNTIME);
	}
	return 0;
}

static int step_network(struct report *r, const struct teardown_opts *o, struct cai_error *err)
{
	bool present = cai_engine_bridge_exists();
	report_step(r, "Bridge `%s`: %s", CAI_ENGINE_BRIDGE, present ? "present" : "absent");
	if (!present)
		return 0;
	bool removed;
	if (!o->dry_run && cai_engine_remove_network(o->trace, &removed, err) < 0)
		return -1;
	report_change(r, "delete bridge `%s`", CAI_ENGINE_BRIDGE);
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	int rc = type == FTW_DP ? rmdir(path) : unlink(path);
	/* The top directory may be a mount point (a dedicated data volume):
	 * emptying it is what purging means then. */
	if (rc != 0 && errno == EBUSY && type == FTW_DP && ftw->level == 0)
		return 0;
	if (rc != 0 && errno != ENOENT) {
		fprintf(stderr, "cai: remove `%s`: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* rm -rf that stays on one filesystem and never follows a symlink: a mount
 * left inside the data root, or a link planted there, is not followed. */
static int remove_tree(const char *path, struct cai_error *err)
{
	if (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 && errno != ENOENT)
		return cai_error_set(err, 0,
				     "remove `%s` (see the errors above; unmount what is still mounted there "
				     "and rerun)",
				     path);
	return 0;
}

static int step_purge(struct report *r, const struct teardown_opts *o, struct cai_error *err)
{
	static const char *const paths[] = {CAI_ENGINE_DATA_ROOT, CAI_ENGINE_EXEC_ROOT,	    CAI_ENGINE_LOG,
					    CAI_ENGINE_PIDFILE,	  CAI_ENGINE_TRUST_KEY,	    CAI_STATE_DIR,
					    CAI_COLLECTOR_LOG,	  CAI_COLLECTOR_STDERR_LOG, CAI_EGRESS_RUN,
					    CAI_EGRESS_LOG_DIR,	  CAI_EGRESS_SUPERVISOR_LOG};
	/* Removed only when empty: an admin's files there stay. */
	static const char *const dirs[] = {CAI_ENGINE_LOG_DIR, CAI_ETC_DIR "/docker", CAI_ETC_DIR};
	report_step(r, "Engine data: %s", o->purge ? "purge" : "kept (use --purge to delete it)");
	if (!o->purge)
		return 0;
	for (size_t i = 0; i < CAI_ARRAY_LEN(paths); i++) {
		struct stat st;
		if (lstat(paths[i], &st) != 0)
			continue;
		if (!o->dry_run && remove_tree(paths[i], err) < 0)
			return -1;
		report_change(r, "delete %s", paths[i]);
	}
	for (size_t i = 0; i < CAI_ARRAY_LEN(dirs) && !o->dry_run; i++)
		if (rmdir(dirs[i]) == 0)
			report_change(r, "delete the empty directory %s", dirs[i]);
	return 0;
}

static bool daemon_json_managed(void)
{
	struct cai_error err = {0};
	struct cai_state st;
	cai_state_load(CAI_STATE_FILE, &st, &err); /* unreadable: managed, the default */
	cai_state_free(&st);
	return st.daemon_json_managed;
}

static void record_teardown(void)
{
	struct cai_error err = {0};
	if (cai_state_record_teardown(CAI_STATE_FILE, &err) < 0)
		cai_warn("could not record the teardown: %s", err.msg);
}

int cmd_teardown(const struct cai_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"purge", no_argument, NULL, 'p'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct teardown_opts o = {.daemon_json = g->daemon_json};
	struct cai_cli cli = {.prog = "cai", .command = "teardown", .usage = usage};
	int c;
	while ((c = cai_cli_getopt(&cli, argc, argv, "nvh", longopts)) > 0) {
		switch (c) {
		case 'p':
			o.purge = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'v':
			o.trace = stderr;
			break;
		}
	}
	if (cai_cli_no_operands(&cli, argc, argv))
		return cli.exit_code;
	if (geteuid() != 0) {
		cai_warn("teardown must run as root (try: sudo cai teardown)");
		return CAI_EXIT_FAILURE;
	}
	struct report r = {.total = TEARDOWN_STEPS, .dry_run = o.dry_run};
	struct cai_error err = {0};
	bool managed = daemon_json_managed();
	if (o.dry_run)
		printf("Dry run: nothing will be changed.\n");
	if (step_contexts(&r, &o, &err) < 0) {
		report_failure(&r, "docker context", err.msg);
		return CAI_EXIT_STEP_FAILED;
	}
	bool egress_failed = step_egress(&r, &o) < 0;
	if (step_engine(&r, &o, &err) < 0 || stop_collector(&r, &o, &err) < 0) {
		report_failure(&r, "engine", err.msg);
		return CAI_EXIT_STEP_FAILED;
	}
	if (step_daemon_json(&r, &o, managed, &err) < 0) {
		report_failure(&r, "engine configuration", err.msg);
		return CAI_EXIT_STEP_FAILED;
	}
	if (step_network(&r, &o, &err) < 0) {
		report_failure(&r, "bridge", err.msg);
		return CAI_EXIT_STEP_FAILED;
	}
	if (step_purge(&r, &o, &err) < 0) {
		report_failure(&r, "purge", err.msg);
		return CAI_EXIT_STEP_FAILED;
	}
	if (!o.dry_run && !o.purge)
		record_teardown();
	if (egress_failed) {
		cai_warn("teardown: step 2 (egress proxy) could not remove what the warnings above name; the other "
			 "steps ran");
		return CAI_EXIT_STEP_FAILED;
	}
	if (o.dry_run)
		printf("Dry run: %d change(s) would be made; nothing was changed.\n", r.changes);
	else
		printf(r.changes ? "Secure Engine torn down: %d change(s).\n" : "Nothing to undo.\n", r.changes);
	return CAI_EXIT_OK;
}
