/* cai setup: the one place where the provisioning sequence lives. The
 * package's maintainer scripts call this; they never repeat a step. */
#include <errno.h>
#include <getopt.h>

#include "advice.h"
#include "cli.h"
#include "collector.h"
#include "daemon_json.h"
#include "docker_context.h"
#include "doctor.h"
#include "egress_paths.h"
#include "egress_proxy.h"
#include "engine.h"
#include "engine_config.h"
#include "engine_paths.h"
#include "force.h"
#include "platform.h"
#include "probe_json.h"
#include "probe_summary.h"
#include "report.h"
#include "run_cmd.h"
#include "state.h"
#include "sysbox.h"
#include "verify.h"
#include "verify_container.h"
#include "warning_box.h"

#define SETUP_STEPS 7

struct setup_opts {
	bool force;
	bool dry_run;
	FILE *trace; /* --verbose: each command run, on stderr */
	bool install_sysbox;
	bool manage_daemon_json;
	const char *sysbox_package;
	const char *daemon_json;
	const char *agent_init;
};

#ifndef CAI_AGENT_INIT_PATH
#define CAI_AGENT_INIT_PATH "/usr/lib/containai/cai-agent-init"
#endif

/* The containers step 7 runs: runc always, sysbox-runc where installed. */
struct verified {
	struct cai_container_check checks[2];
	size_t n;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai setup [--force] [--dry-run] [--verbose] [--sysbox-package FILE]\n"
		"                 [--no-install-sysbox] [--no-daemon-json] [--package-mode]\n"
		"                 [--agent-init PATH]\n"
		"\n"
		"Provision the Secure Engine, step by step:\n"
		"  1. detect the platform   2. probe seccomp user notification\n"
		"  3. make sure sysbox-runc is installed   4. register it in the engine's daemon.json\n"
		"  5. run the engine's own dockerd   6. create the `%s` Docker context\n"
		"  7. verify that the engine lists sysbox-runc and still defaults to runc, and run\n"
		"     a container with runc and with sysbox-runc (an image made here from the\n"
		"     package's files: no registry needed); `cai status` reports the result\n"
		"Running it again changes nothing and says so.\n"
		"\n"
		"Options:\n"
		"  --force               provision even where the probe fails (WSL2: EBUSY/EINVAL), and\n"
		"                        re-point a `%s` context or runtime entry that differs\n"
		"  -n, --dry-run         print every action and change nothing\n"
		"  -v, --verbose         show each command run\n"
		"  --sysbox-package FILE install sysbox-ce from this local .deb or .rpm\n"
		"  --no-install-sysbox   never install sysbox-ce; report when it is missing\n"
		"  --no-daemon-json      do not edit the engine's daemon.json (configuration management\n"
		"                        owns it); only check it\n"
		"  --package-mode        what the package's postinst uses: --no-install-sysbox\n"
		"  --agent-init PATH     the static init the verification image is made of\n"
		"                        (default %s)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Force sources, first match wins: --force, CAI_FORCE=1, the file %s.\n"
		"\n"
		"Exit codes: 0 provisioned (warnings possible), 1 refused (the probe failed and\n"
		"nothing was forced; nothing changed), 2 usage, 3 a step failed (named on stderr).\n",
		CAI_CONTEXT_NAME, CAI_CONTEXT_NAME, CAI_AGENT_INIT_PATH, CAI_FORCE_MARKER_FILE);
}

static int parse(int argc, char **argv, struct setup_opts *o)
{
	enum {
		OPT_SYSBOX_PACKAGE = 256,
		OPT_NO_INSTALL,
		OPT_NO_DAEMON_JSON,
		OPT_PACKAGE_MODE,
		OPT_FORCE,
		OPT_AGENT_INIT
	};
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"sysbox-package", required_argument, NULL, OPT_SYSBOX_PACKAGE},
	    {"no-install-sysbox", no_argument, NULL, OPT_NO_INSTALL},
	    {"no-daemon-json", no_argument, NULL, OPT_NO_DAEMON_JSON},
	    {"package-mode", no_argument, NULL, OPT_PACKAGE_MODE},
	    {"agent-init", required_argument, NULL, OPT_AGENT_INIT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_cli cli = {.prog = "cai", .command = "setup", .usage = usage};
	int c;
	while ((c = cai_cli_getopt(&cli, argc, argv, "nvh", longopts)) > 0) {
		switch (c) {
		case OPT_FORCE:
			o->force = true;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'v':
			o->trace = stderr;
			break;
		case OPT_SYSBOX_PACKAGE:
			o->sysbox_package = optarg;
			break;
		case OPT_NO_INSTALL:
		case OPT_PACKAGE_MODE:
			o->install_sysbox = false;
			break;
		case OPT_AGENT_INIT:
			o->agent_init = optarg;
			break;
		case OPT_NO_DAEMON_JSON:
			o->manage_daemon_json = false;
			break;
		}
	}
	if (cai_cli_no_operands(&cli, argc, argv))
		return cli.exit_code;
	if (o->sysbox_package && !o->install_sysbox) {
		cai_warn("setup: --sysbox-package cannot be combined with --no-install-sysbox or --package-mode");
		return cai_cli_usage_error(&cli);
	}
	return -1; /* go on */
}

/* Step 2's verdict, on the probe where the engine runs: go on, or stop
 * here with the warning. */
static bool refuse_or_warn(struct report *r, const struct cai_doctor_facts *f, enum cai_force_source force)
{
	const struct cai_notify_probe *probe = cai_engine_probe_decisive(&f->here, &f->engine);
	if (probe->result == CAI_NOTIFY_SUPPORTED)
		return false;
	char buf[2048];
	const char *paras[CAI_REFUSAL_MAX_PARAS];
	struct cai_refusal_facts rf = {
	    .kind = f->platform.kind,
	    .probe = probe,
	    .here = cai_engine_probe_differs(&f->here, &f->engine) ? &f->here : NULL,
	    .where = cai_probe_where_text(f->engine.where),
	    .wsl_version = f->wsl.version[0] ? f->wsl.version : NULL,
	    .networking_mode = f->wsl.networking_mode[0] ? f->wsl.networking_mode : NULL,
	};
	size_t n = cai_refusal_paragraphs(&rf, paras, buf, sizeof(buf));
	fflush(stdout);
	cai_warning_box(stderr, "WARNING", paras, n, cai_locale_is_utf8());
	if (force == CAI_FORCE_NONE)
		return true;
	report_warning(r, "proceeding anyway, forced by %s: Sysbox containers may fail to start",
		       cai_force_source_name(force));
	return false;
}

/* Step 2's line: the deciding answer, and both when the trees differ. */
static void report_probe(struct report *r, const struct cai_doctor_facts *f)
{
	char decisive[64], here[64];
	cai_probe_describe(cai_engine_probe_decisive(&f->here, &f->engine), decisive, sizeof(decisive));
	report_step(r, "Seccomp user notification: %s", decisive);
	if (f->engine.where == CAI_PROBE_WHERE_THIS_TREE)
		return;
	cai_probe_describe(&f->here, here, sizeof(here));
	if (!f->engine.ran)
		report_warning(r, "could not probe where the engine runs (%s); deciding on this process tree's answer",
			       f->engine.error);
	else if (cai_engine_probe_differs(&f->here, &f->engine))
		report_detail(r,
			      "where the engine runs (%s): %s; in this process tree: %s; the engine's answer decides",
			      cai_probe_where_text(f->engine.where), decisive, here);
	else
		report_detail(r, "the same in %s", cai_probe_where_text(f->engine.where));
}

/* The doctor's checks that concern setup: their warnings, before anything
 * is changed. */
static void doctor_warnings(struct report *r, const struct cai_doctor_facts *f)
{
	static struct cai_doctor d;
	cai_doctor_run(f, true, &d);
	for (size_t i = 0; i < d.n; i++) {
		const struct cai_doctor_check *c = &d.checks[i];
		/* A missing sysbox-runc is step 3's to report (and install). */
		if (c->result == CAI_DOCTOR_OK || (strcmp(c->id, "sysbox-runc") == 0 && !cai_sysbox_present()))
			continue;
		report_warning(r, "%s (%s): %s%s%s", c->title, c->id, c->evidence, c->fix[0] ? ". Fix: " : "", c->fix);
	}
}

static void record_refusal(const struct setup_opts *o, const struct cai_platform *p,
			   const struct cai_notify_probe *probe)
{
	if (o->dry_run)
		return;
	struct cai_error err = {0};
	struct cai_state_refusal r = {.present = true};
	snprintf(r.platform, sizeof(r.platform), "%s", cai_platform_kind_name(p->kind));
	snprintf(r.result, sizeof(r.result), "%s", cai_notify_result_name(probe->result));
	char namebuf[16];
	if (probe->errnum)
		snprintf(r.errno_name, sizeof(r.errno_name), "%s", cai_errno_name(probe->errnum, namebuf));
	if (cai_state_record_refusal(CAI_STATE_FILE, &r, &err) < 0)
		cai_warn("could not record the refusal: %s", err.msg);
}

static int step_sysbox(struct report *r, const struct setup_opts *o, struct cai_error *err)
{
	if (cai_sysbox_present()) {
		char version[256];
		cai_sysbox_version(version, sizeof(version));
		report_step(r, "Sysbox: %s present%s%s", CAI_SYSBOX_RUNC, version[0] ? ", " : "", version);
		return 0;
	}
	report_step(r, "Sysbox: %s is not installed", CAI_SYSBOX_RUNC);
	if (!o->install_sysbox) {
		report_warning(r,
			       "not installing %s here; install it (%s) and run `cai setup` again. The engine "
			       "starts without it, but containers using the sysbox-runc runtime fail until then.",
			       CAI_SYSBOX_PACKAGE, CAI_SYSBOX_DOWNLOAD);
		return 0;
	}
	if (o->dry_run) {
		report_change(r, "install %s %s", o->sysbox_package ? "local package" : CAI_SYSBOX_PACKAGE,
			      o->sysbox_package ? o->sysbox_package : "with the system's package manager");
		return 0;
	}
	if (cai_sysbox_install(o->sysbox_package, o->trace, err) < 0)
		return -1;
	report_change(r, "installed %s", o->sysbox_package ? o->sysbox_package : CAI_SYSBOX_PACKAGE);
	return 0;
}

/* What setup runs, checked before anything changes: the docker CLI (the
 * contexts) and dockerd (the engine). Debian 13 ships the CLI apart from
 * docker.io, which only recommends it. */
static bool in_safe_path(const char *name)
{
	char dirs[] = CAI_SAFE_PATH, *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", d, name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

static int check_docker_tools(struct cai_error *err)
{
	if (access(cai_dockerd_path(), X_OK) != 0)
		return cai_error_set(err, 0,
				     "dockerd was not found in /usr/sbin or /usr/bin: install docker.io "
				     "(Debian) or docker-ce (Docker's packages)");
	if (!in_safe_path(cai_docker_cli()))
		return cai_error_set(err, 0,
				     "the docker CLI was not found in %s: install docker-cli (Debian 13), "
				     "docker.io (Debian 12) or docker-ce-cli (Docker's packages)",
				     CAI_SAFE_PATH);
	return 0;
}

/* dockerd refuses to start when a directive is both a flag and in daemon.json. */
static int check_flag_keys(const char *file, struct cai_error *err)
{
	static const char *const keys[] = CAI_ENGINE_FLAG_KEYS;
	jv doc;
	if (cai_dj_load(file, &doc, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < CAI_ARRAY_LEN(keys) && rc == 0; i++) {
		if (jv_object_has(jv_copy(doc), jv_string(keys[i])))
			rc = cai_error_set(err, 0,
					   "`%s` sets `%s`, which the Secure Engine passes to dockerd as a flag "
					   "(dockerd refuses a directive given twice); remove that key",
					   file, keys[i]);
	}
	jv_free(doc);
	return rc;
}

/* One line per operation of step 4's edit. */
static void report_config_op(struct report *r, const struct cai_dj_op *op, int major)
{
	bool runtime = op->kind == CAI_DJ_OP_ADD_RUNTIME, bridge = strcmp(op->name, "bridge") == 0;
	switch (op->outcome) {
	case CAI_DJ_CHANGED:
		if (runtime)
			report_change(r, "register runtime `%s` (%s); default-runtime left as it is",
				      CAI_SYSBOX_RUNTIME, CAI_SYSBOX_RUNC);
		else if (bridge)
			report_change(r, "use the engine's own bridge `%s` (%s)", CAI_ENGINE_BRIDGE,
				      CAI_ENGINE_BRIDGE_CIDR);
		else
			report_change(r, "keep dockerd %d's trust key in %s, out of /etc/docker", major,
				      CAI_ENGINE_TRUST_KEY);
		break;
	case CAI_DJ_UNCHANGED:
		if (runtime)
			report_detail(r, "runtime `%s` already registered", CAI_SYSBOX_RUNTIME);
		else if (bridge)
			report_detail(r, "bridge `%s` already set", CAI_ENGINE_BRIDGE);
		break;
	default:
		/* An admin chose another value on purpose: theirs wins. */
		report_warning(r, "%s; keeping the admin's %s", op->note.msg, bridge ? "bridge" : "choice");
		break;
	}
}

static int step_daemon_json(struct report *r, const struct setup_opts *o, bool *changed, struct cai_error *err)
{
	*changed = false;
	report_step(r, "Engine configuration: %s%s", o->daemon_json, o->manage_daemon_json ? "" : " (not managed)");
	if (check_flag_keys(o->daemon_json, err) < 0)
		return -1;
	if (!o->manage_daemon_json) {
		jv doc;
		if (cai_dj_load(o->daemon_json, &doc, err) < 0)
			return -1;
		jv entry = jv_getpath(doc, JV_ARRAY(jv_string("runtimes"), jv_string(CAI_SYSBOX_RUNTIME)));
		if (jv_get_kind(entry) != JV_KIND_OBJECT)
			report_warning(r,
				       "runtime `%s` is not registered there; add {\"runtimes\": {\"%s\": {\"path\": "
				       "\"%s\"}}} to it (or run `cai setup` without --no-daemon-json)",
				       CAI_SYSBOX_RUNTIME, CAI_SYSBOX_RUNTIME, CAI_SYSBOX_RUNC);
		else
			report_detail(r, "runtime `%s` is registered", CAI_SYSBOX_RUNTIME);
		jv_free(entry);
		return 0;
	}

	int major = cai_dockerd_major_version();
	struct cai_dj_op ops[CAI_ENGINE_CONFIG_MAX_OPS];
	size_t n = cai_engine_config_setup_ops(ops, major);
	struct cai_dj_options dj = {.replace = o->force, .dry_run = o->dry_run, .preview = o->trace ? stdout : NULL};
	switch (cai_dj_edit(o->daemon_json, ops, n, &dj, err)) {
	case CAI_DJ_CHANGED:
		*changed = true;
		break;
	case CAI_DJ_UNCHANGED:
		break;
	case CAI_DJ_REFUSED: /* only the runtime entry refuses: an admin's setting is kept */
		return cai_error_prefix(err, "register runtime (rerun with --force to re-point it)");
	default:
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		report_config_op(r, &ops[i], major);
	return 0;
}

static int step_engine(struct report *r, const struct setup_opts *o, bool config_changed, struct cai_error *err)
{
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	const char *manager = st.manager == CAI_ENGINE_SYSTEMD ? "systemd unit " CAI_ENGINE_UNIT : "standalone";
	struct cai_engine_opts eo = {.daemon_json = o->daemon_json, .trace = o->trace, .start_timeout_s = 60};

	if (st.running && st.responding) {
		report_step(r, "Engine: running (%s, pid %d) on %s", manager, (int)st.pid, CAI_ENGINE_HOST);
		if (!config_changed)
			return 0;
		if (!o->dry_run && cai_engine_reload(&eo, err) < 0)
			return -1;
		report_change(r, "reload dockerd with SIGHUP to pick up the runtime (containers keep running)");
		return 0;
	}
	report_step(r, "Engine: not running (%s)", manager);
	if (o->dry_run) {
		const char *argv[16];
		cai_engine_dockerd_argv(o->daemon_json, argv);
		cleanup_free char *cmdline = cai_cmd_string(argv);
		report_change(r, "start %s",
			      st.manager == CAI_ENGINE_SYSTEMD ? "systemctl start " CAI_ENGINE_UNIT : cmdline);
		if (st.manager == CAI_ENGINE_SYSTEMD)
			report_change(r, "enable %s at boot", CAI_ENGINE_UNIT);
		return 0;
	}
	printf("      starting dockerd and waiting for %s ...\n", CAI_ENGINE_SOCKET);
	fflush(stdout);
	bool started;
	if (cai_engine_start(&eo, &started, err) < 0)
		return -1;
	cai_engine_get_status(&st);
	report_change(r, "started the engine (pid %d, log %s)", (int)st.pid,
		      st.manager == CAI_ENGINE_SYSTEMD ? "journalctl -u " CAI_ENGINE_UNIT : CAI_ENGINE_LOG);
	if (st.manager == CAI_ENGINE_SYSTEMD) {
		if (cai_engine_enable(true, o->trace, err) < 0)
			return -1;
		report_change(r, "enable %s at boot", CAI_ENGINE_UNIT);
	} else {
		/* Many WSL2 distributions boot without systemd. */
		report_detail(
		    r,
		    "systemd is not PID 1: after a restart run `cai engine start`, which starts the "
		    "engine, the audit collector and the egress proxy (on WSL, add `command = cai engine start` under "
		    "[boot] in /etc/wsl.conf)");
	}
	return 0;
}

/* The audit collector goes with the engine (part of step 5): started, and
 * under systemd its socket unit enabled, so that `cai run` never runs
 * without one. A collector that cannot start is a warning: the engine is
 * provisioned, and `cai status` says degraded with the fixing command. */
static void start_collector(struct report *r, const struct setup_opts *o)
{
	enum cai_engine_manager m = cai_engine_manager();
	struct cai_collector_status cs;
	cai_collector_get_status(&cs);
	bool enable = m == CAI_ENGINE_SYSTEMD && !cs.enabled;
	if (cs.accepting && !enable) {
		report_detail(r, "audit collector: accepting on %s", CAI_COLLECTOR_SOCKET);
		return;
	}
	if (o->dry_run) {
		if (!cs.accepting)
			report_change(r, "start the audit collector (%s)",
				      m == CAI_ENGINE_SYSTEMD ? "systemctl start " CAI_COLLECTOR_SOCKET_UNIT
							      : CAI_AUDITD_PATH);
		if (enable)
			report_change(r, "enable %s at boot", CAI_COLLECTOR_SOCKET_UNIT);
		return;
	}
	struct cai_error err = {0};
	bool started;
	if (cai_collector_start(o->trace, &started, &err) < 0) {
		report_warning(r,
			       "the audit collector did not start: %s; `cai run` cannot log events until it does "
			       "(`%s`)",
			       err.msg, cai_collector_fix_command(m));
		return;
	}
	if (started)
		report_change(r, "started the audit collector on %s (%s)", CAI_COLLECTOR_SOCKET,
			      m == CAI_ENGINE_SYSTEMD ? CAI_COLLECTOR_SOCKET_UNIT : "pidfile " CAI_COLLECTOR_PIDFILE);
	if (enable) {
		if (cai_collector_enable(true, o->trace, &err) < 0)
			report_warning(r, "%s", err.msg);
		else
			report_change(r, "enable %s at boot", CAI_COLLECTOR_SOCKET_UNIT);
	}
}

/* The egress proxy goes with the engine too (part of step 5). Under
 * systemd the engine's unit wants the proxy's; elsewhere setup starts it as
 * `cai engine start` does. One that cannot start is a warning, as the
 * collector's is: agents then run only with --network-policy open or none. */
static void start_egress(struct report *r, const struct setup_opts *o)
{
	struct cai_egress_status es;
	cai_egress_get_status(&es);
	bool systemd = cai_engine_manager() == CAI_ENGINE_SYSTEMD;
	const char *how = systemd ? CAI_EGRESS_UNIT : "pidfile " CAI_EGRESS_PIDFILE;
	if (es.answering) {
		report_detail(r, "egress proxy: %s", cai_egress_status_line(&es));
		return;
	}
	if (!es.squid) {
		report_warning(r, "egress proxy: %s; until then agents run only with --network-policy open or none",
			       cai_egress_status_line(&es));
		return;
	}
	if (o->dry_run) {
		report_change(r, "start the egress proxy on %s (%s)", CAI_EGRESS_URL, how);
		return;
	}
	struct cai_egress_opts eo;
	cai_egress_default_opts(&eo, o->trace);
	struct cai_error err = {0};
	bool started;
	if (cai_egress_start(&eo, &started, &err) < 0)
		report_warning(r,
			       "the egress proxy did not start: %s; agents run only with --network-policy open or "
			       "none until it does (`cai egress start`)",
			       err.msg);
	else if (started)
		report_change(r, "started the egress proxy on %s (%s)", CAI_EGRESS_URL, how);
}

static int step_contexts(struct report *r, const struct setup_opts *o, const struct cai_docker_user *users, int n,
			 struct cai_error *err)
{
	report_step(r, "Docker context `%s` -> %s", CAI_CONTEXT_NAME, CAI_ENGINE_HOST);
	for (int i = 0; i < n; i++) {
		const struct cai_docker_user *u = &users[i];
		enum cai_context_state state;
		char endpoint[512];
		if (cai_context_inspect(u, o->trace, &state, endpoint, sizeof(endpoint), err) < 0)
			return -1;
		switch (state) {
		case CAI_CONTEXT_OURS:
			report_detail(r, "user %s: already present", u->name);
			break;
		case CAI_CONTEXT_ABSENT:
			if (!o->dry_run && cai_context_create(u, false, o->trace, err) < 0)
				return -1;
			report_change(r, "create it for user %s (%s); the current context stays as it is", u->name,
				      u->docker_config);
			break;
		case CAI_CONTEXT_OTHER:
			if (!o->force)
				return cai_error_set(err, 0,
						     "user %s already has a context `%s` pointing at `%s`; "
						     "leaving it alone (rerun with --force to re-point it at %s)",
						     u->name, CAI_CONTEXT_NAME, endpoint, CAI_ENGINE_HOST);
			if (!o->dry_run && cai_context_create(u, true, o->trace, err) < 0)
				return -1;
			report_change(r, "re-point user %s's context from `%s` (forced)", u->name, endpoint);
			break;
		}
	}
	return 0;
}

/* A container of each runtime, as agents get them. A container that does
 * not run is a warning (recorded; `cai status` says degraded), not a failed
 * step: the engine is provisioned, and the cause is on the user's machine. */
static void verify_containers(struct report *r, const struct setup_opts *o, const struct cai_docker_user *caller,
			      struct verified *vc)
{
	vc->n = 0;
	vc->checks[vc->n++].runtime = "runc";
	if (cai_sysbox_present())
		vc->checks[vc->n++].runtime = CAI_SYSBOX_RUNTIME;
	struct cai_error err = {0};
	if (cai_verify_containers(caller, o->agent_init, vc->checks, vc->n, o->trace, &err) < 0) {
		for (size_t i = 0; i < vc->n; i++)
			snprintf(vc->checks[i].error, sizeof(vc->checks[i].error), "%.500s", err.msg);
		report_warning(r, "no verification container could be run: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < vc->n; i++) {
		const struct cai_container_check *c = &vc->checks[i];
		if (c->ran)
			report_detail(r, "ok    a container runs with `%s` (exec listener there: %s)", c->runtime,
				      c->listener);
		else
			report_warning(r, "a container does not run with `%s`: %s", c->runtime, c->error);
	}
}

static int step_verify(struct report *r, const struct setup_opts *o, const struct cai_docker_user *caller,
		       struct verified *vc, struct cai_error *err)
{
	report_step(r, "Verifying through `docker --context %s`", CAI_CONTEXT_NAME);
	if (o->dry_run) {
		report_detail(r, "skipped in a dry run");
		return 0;
	}
	struct cai_verify v;
	if (cai_verify_engine(caller, o->trace, &v, err) < 0)
		return -1;
	report_detail(r, "%s  engine answers through the context", v.answered ? "ok  " : "FAIL");
	report_detail(r, "%s  runtime `%s` is registered", v.sysbox_listed ? "ok  " : "FAIL", CAI_SYSBOX_RUNTIME);
	report_detail(r, "%s  default runtime is `runc` (it is `%s`)", v.default_is_runc ? "ok  " : "FAIL",
		      v.default_runtime);
	if (!cai_sysbox_present())
		report_warning(r, "%s is missing: containers with --runtime %s fail until %s is installed",
			       CAI_SYSBOX_RUNC, CAI_SYSBOX_RUNTIME, CAI_SYSBOX_PACKAGE);
	if (!v.answered || !v.sysbox_listed || !v.default_is_runc)
		return cai_error_set(err, 0, "the engine is not as expected (see the checks above; engine log: %s)",
				     CAI_ENGINE_LOG);
	verify_containers(r, o, caller, vc);
	return 0;
}

static void record_success(const struct setup_opts *o, const struct cai_platform *p,
			   const struct cai_notify_probe *probe, enum cai_force_source force,
			   const struct cai_docker_user *users, int n, const struct verified *vc)
{
	struct cai_error err = {0};
	static struct cai_state st;
	memset(&st, 0, sizeof(st));
	snprintf(st.platform, sizeof(st.platform), "%s", cai_platform_kind_name(p->kind));
	snprintf(st.probe, sizeof(st.probe), "%s", cai_notify_result_name(probe->result));
	const char *forced = cai_force_source_name(force);
	if (probe->result != CAI_NOTIFY_SUPPORTED && forced)
		snprintf(st.forced_by, sizeof(st.forced_by), "%s", forced);
	snprintf(st.daemon_json, sizeof(st.daemon_json), "%s", o->daemon_json);
	st.daemon_json_managed = o->manage_daemon_json;
	for (int i = 0; i < n && st.ncontext_users < CAI_STATE_MAX_USERS; i++)
		snprintf(st.context_users[st.ncontext_users++], sizeof(st.context_users[0]), "%.63s", users[i].name);
	for (size_t i = 0; i < vc->n && i < CAI_STATE_MAX_RUNS; i++) {
		const struct cai_container_check *c = &vc->checks[i];
		struct cai_state_run *r = &st.runs[st.nruns++];
		snprintf(r->runtime, sizeof(r->runtime), "%s", c->runtime);
		r->ran = c->ran;
		snprintf(r->detail, sizeof(r->detail), "%s", c->ran ? c->listener : c->error);
	}
	if (cai_state_record_success(CAI_STATE_FILE, &st, &err) < 0)
		cai_warn("could not record the state: %s", err.msg);
}

int cmd_setup(const struct cai_global *g, int argc, char **argv)
{
	struct setup_opts o = {.install_sysbox = true,
			       .manage_daemon_json = true,
			       .daemon_json = g->daemon_json,
			       .agent_init = CAI_AGENT_INIT_PATH};
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (geteuid() != 0) {
		cai_warn("setup must run as root (try: sudo cai setup%s)", o.dry_run ? " --dry-run" : "");
		return CAI_EXIT_FAILURE;
	}

	struct report r = {.total = SETUP_STEPS, .dry_run = o.dry_run};
	struct cai_error err = {0};
	static struct cai_doctor_facts facts;
	const struct cai_platform *const p = &facts.platform;
	struct cai_docker_user users[CAI_MAX_DOCKER_USERS];
	const char *failed_step = NULL;

	if (o.dry_run)
		printf("Dry run: nothing will be changed.\n");

	failed_step = "platform";
	if (cai_doctor_gather(&facts, &err) < 0)
		goto failed;
	report_step(&r, "Platform: %s (kernel %s)%s", cai_platform_kind_name(p->kind), p->osrelease,
		    p->docker_desktop ? ", Docker Desktop's WSL integration present (left untouched)" : "");
	doctor_warnings(&r, &facts);

	failed_step = "seccomp probe";
	report_probe(&r, &facts);
	const struct cai_notify_probe *probe = cai_engine_probe_decisive(&facts.here, &facts.engine);
	enum cai_force_source force = cai_force_source(o.force);
	if (refuse_or_warn(&r, &facts, force)) {
		record_refusal(&o, p, probe);
		fprintf(stderr, "cai: setup refused: nothing was changed. %s\n",
			o.dry_run ? "" : "The refusal is recorded; `cai status` reports it.");
		return CAI_EXIT_FAILURE;
	}
	/* Only the --force flag also re-points a differing runtime entry or
	 * context; CAI_FORCE and the marker answer the probe question alone. */

	failed_step = "docker";
	if (check_docker_tools(&err) < 0)
		goto failed;

	failed_step = "sysbox";
	if (step_sysbox(&r, &o, &err) < 0)
		goto failed;

	failed_step = "engine configuration";
	bool config_changed;
	if (step_daemon_json(&r, &o, &config_changed, &err) < 0)
		goto failed;

	failed_step = "engine";
	if (step_engine(&r, &o, config_changed, &err) < 0)
		goto failed;
	start_collector(&r, &o);
	start_egress(&r, &o);

	failed_step = "docker context";
	int nusers = cai_docker_users(users, &err);
	if (nusers < 0 || step_contexts(&r, &o, users, nusers, &err) < 0)
		goto failed;

	failed_step = "verify";
	struct verified vc = {0};
	if (step_verify(&r, &o, &users[0], &vc, &err) < 0)
		goto failed;

	if (o.dry_run) {
		printf(r.changes ? "Dry run: %d change(s) would be made; nothing was changed.\n"
				 : "Dry run: nothing to change; the Secure Engine is already provisioned.\n",
		       r.changes);
		return CAI_EXIT_OK;
	}
	record_success(&o, p, probe, force, users, nusers, &vc);
	if (r.changes)
		printf("Secure Engine provisioned: %d change(s). Use it with `docker --context %s ...`.\n", r.changes,
		       CAI_CONTEXT_NAME);
	else
		printf("Nothing changed: the Secure Engine was already provisioned.\n");
	if (r.warnings)
		printf("%d warning(s) above.\n", r.warnings);
	return CAI_EXIT_OK;

failed:
	report_failure(&r, failed_step, err.msg);
	return CAI_EXIT_STEP_FAILED;
}
