/* cai status: what is provisioned, and is it healthy? Reads only. */
#include <getopt.h>

#include "cli.h"
#include "collector.h"
#include "daemon_json.h"
#include "docker_context.h"
#include "engine.h"
#include "engine_probe.h"
#include "probe_summary.h"
#include "egress_paths.h"
#include "egress_proxy.h"
#include "engine_paths.h"
#include "force.h"
#include "platform.h"
#include "probe_json.h"
#include "state.h"
#include "sysbox.h"
#include "verify.h"

#define MAX_PROBLEMS 16

struct status {
	struct cai_platform platform;
	struct cai_notify_probe probe;
	struct cai_engine_probe engine_probe; /* where the engine runs: this one decides */
	bool sysbox_present;
	char sysbox_version[256];
	bool config_readable;
	char config_error[512];
	bool runtime_registered;
	char runtime_path[512];
	char bridge[64];
	char default_runtime[64];
	struct cai_engine_status engine;
	struct cai_collector_status collector;
	char collector_problem[512];
	struct cai_verify verify;
	int nusers;
	struct cai_docker_user users[CAI_MAX_DOCKER_USERS];
	enum cai_context_state contexts[CAI_MAX_DOCKER_USERS];
	char endpoints[CAI_MAX_DOCKER_USERS][256];
	struct cai_state state; /* what setup recorded */
	const char *problems[MAX_PROBLEMS];
	int nproblems;
	int code;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai status [--json | --daemon-json-managed]\n"
		"\n"
		"Show the platform, the seccomp probe's answer, sysbox-runc, the engine's\n"
		"configuration, whether the engine runs and answers, the `%s` context of\n"
		"each user, the audit collector (socket accepting, log writable, events\n"
		"lost or rejected since it started), and whether a refusal is recorded.\n"
		"Changes nothing.\n"
		"\n"
		"Options:\n"
		"  --json      print one JSON object (schema in cai(1))\n"
		"  --daemon-json-managed\n"
		"              print `yes`, or `no` when setup last ran with --no-daemon-json,\n"
		"              from the recorded state alone (for maintainer scripts)\n"
		"  -h, --help  show this help\n"
		"\n"
		"Exit codes: 0 healthy, 1 status itself failed, 2 usage, 3 degraded (something\n"
		"is missing or wrong; listed), 4 refused (setup refused on this machine),\n"
		"5 not provisioned.\n",
		CAI_CONTEXT_NAME);
}

static const char *context_state_name(enum cai_context_state s)
{
	return s == CAI_CONTEXT_OURS ? "ours" : s == CAI_CONTEXT_OTHER ? "other" : "absent";
}

static void problem(struct status *s, const char *text)
{
	if (s->nproblems < MAX_PROBLEMS)
		s->problems[s->nproblems++] = text;
}

/* What setup's container checks recorded: a runtime whose container did
 * not run is a problem until setup runs again. */
static void check_verified(struct status *s)
{
	if (!s->state.verified)
		return;
	const struct cai_state_run *runc = cai_state_run_of(&s->state, "runc");
	const struct cai_state_run *sysbox = cai_state_run_of(&s->state, CAI_SYSBOX_RUNTIME);
	if (runc && !runc->ran)
		problem(s, "setup could not run a container with runc: see `cai setup`'s warning, then run it again");
	if (sysbox && !sysbox->ran)
		problem(s, "setup could not run a container with sysbox-runc: Sysbox does not work here (see `cai "
			   "setup`'s warning); `cai run --image` needs --runtime runc until it does");
}

/* "runc ok (exec listener: supported), sysbox-runc FAILED (...)" */
static void print_verified(const struct cai_state *st)
{
	if (!st->verified) {
		printf("Containers:      not verified yet (run `cai setup`)\n");
		return;
	}
	const char *runtimes[] = {"runc", CAI_SYSBOX_RUNTIME};
	printf("Containers:     ");
	for (size_t i = 0; i < CAI_ARRAY_LEN(runtimes); i++) {
		const struct cai_state_run *r = cai_state_run_of(st, runtimes[i]);
		if (r)
			printf(" %s %s (%s%s);", runtimes[i], r->ran ? "runs" : "FAILED",
			       r->ran ? "exec listener: " : "", r->detail[0] ? r->detail : "?");
		else
			printf(" %s not checked;", runtimes[i]);
	}
	printf(" at %s\n", st->verified_at[0] ? st->verified_at : "?");
}

static void read_config(struct status *s, const char *file)
{
	struct cai_error err = {0};
	jv doc;
	if (cai_dj_load(file, &doc, &err) < 0) {
		snprintf(s->config_error, sizeof(s->config_error), "%.500s", err.msg);
		return;
	}
	s->config_readable = true;
	jv path =
	    jv_getpath(jv_copy(doc), JV_ARRAY(jv_string("runtimes"), jv_string(CAI_SYSBOX_RUNTIME), jv_string("path")));
	if (jv_get_kind(path) == JV_KIND_STRING) {
		s->runtime_registered = true;
		snprintf(s->runtime_path, sizeof(s->runtime_path), "%s", jv_string_value(path));
	}
	jv_free(path);
	jv bridge = jv_object_get(jv_copy(doc), jv_string("bridge"));
	if (jv_get_kind(bridge) == JV_KIND_STRING)
		snprintf(s->bridge, sizeof(s->bridge), "%s", jv_string_value(bridge));
	jv_free(bridge);
	jv def = jv_object_get(doc, jv_string("default-runtime"));
	snprintf(s->default_runtime, sizeof(s->default_runtime), "%s",
		 jv_get_kind(def) == JV_KIND_STRING ? jv_string_value(def) : "runc");
	jv_free(def);
}

static int gather(struct status *s, const struct cai_global *g, struct cai_error *err)
{
	if (cai_platform_detect(&s->platform, err) < 0 || cai_notify_probe_run(&s->probe, err) < 0)
		return -1;
	cai_engine_probe_run(&s->probe, &s->engine_probe);
	if (cai_state_load(CAI_STATE_FILE, &s->state, err) < 0)
		return -1;
	s->sysbox_present = cai_sysbox_present();
	cai_sysbox_version(s->sysbox_version, sizeof(s->sysbox_version));
	read_config(s, g->daemon_json);
	cai_engine_get_status(&s->engine);
	cai_collector_get_status(&s->collector);
	s->nusers = cai_docker_users(s->users, err);
	if (s->nusers < 0)
		return -1;
	for (int i = 0; i < s->nusers; i++) {
		struct cai_error cerr = {0};
		if (cai_context_inspect(&s->users[i], NULL, &s->contexts[i], s->endpoints[i], sizeof(s->endpoints[i]),
					&cerr) < 0) {
			s->contexts[i] = CAI_CONTEXT_ABSENT;
			snprintf(s->endpoints[i], sizeof(s->endpoints[i]), "error: %.240s", cerr.msg);
		}
	}
	if (s->engine.responding && s->contexts[0] == CAI_CONTEXT_OURS &&
	    cai_verify_engine(&s->users[0], NULL, &s->verify, err) < 0)
		return -1;
	return 0;
}

/* A collector that is down or cannot write makes the status degraded, with
 * the command that fixes it. */
static void check_collector(struct status *s)
{
	const struct cai_collector_status *c = &s->collector;
	const char *fix = cai_collector_fix_command(c->manager);
	if (!c->accepting)
		snprintf(s->collector_problem, sizeof(s->collector_problem),
			 "the audit collector does not accept on %s: `cai run` loses its events; run `%s`",
			 CAI_COLLECTOR_SOCKET, fix);
	else if (!c->log_writable)
		snprintf(s->collector_problem, sizeof(s->collector_problem),
			 "the audit collector cannot write its log: %s", c->log_error);
	else if (c->manager == CAI_ENGINE_SYSTEMD && !c->enabled)
		snprintf(s->collector_problem, sizeof(s->collector_problem),
			 "%s is not enabled: no collector after a reboot; run `%s`", CAI_COLLECTOR_SOCKET_UNIT, fix);
	else
		return;
	problem(s, s->collector_problem);
}

static void classify(struct status *s)
{
	bool provisioned = s->state.provisioned;
	bool anything =
	    provisioned || s->runtime_registered || s->engine.running || s->contexts[0] != CAI_CONTEXT_ABSENT;
	if (s->state.refusal.present && !provisioned) {
		s->code = CAI_STATUS_REFUSED;
		problem(s, "setup refused on this machine: run `cai setup --force` (or dpkg-reconfigure "
			   "containai-secure-engine) to provision anyway");
		return;
	}
	if (!anything) {
		s->code = CAI_STATUS_NOT_PROVISIONED;
		problem(s, "the Secure Engine is not provisioned: run `cai setup`");
		return;
	}
	if (cai_engine_probe_decisive(&s->probe, &s->engine_probe)->result != CAI_NOTIFY_SUPPORTED)
		problem(s, "seccomp user notification does not work where the engine runs: Sysbox containers may fail "
			   "to start");
	if (!s->sysbox_present)
		problem(s, "sysbox-runc is not installed: install sysbox-ce");
	if (!s->config_readable)
		problem(s, "the engine's daemon.json cannot be read");
	else if (!s->runtime_registered)
		problem(s, "runtime sysbox-runc is not registered in the engine's daemon.json: run `cai setup`");
	else if (strcmp(s->runtime_path, CAI_SYSBOX_RUNC) != 0)
		problem(s, "runtime sysbox-runc points somewhere else than " CAI_SYSBOX_RUNC);
	if (!s->engine.running)
		problem(s, "the engine is not running: run `cai engine start`");
	else if (!s->engine.responding)
		problem(s, "the engine runs but does not answer on " CAI_ENGINE_SOCKET);
	for (int i = 0; i < s->nusers; i++)
		if (s->contexts[i] != CAI_CONTEXT_OURS) {
			problem(s, s->contexts[i] == CAI_CONTEXT_OTHER
				       ? "a containai-secure context points elsewhere: `cai setup --force` re-points it"
				       : "a user has no containai-secure context: run `cai setup`");
			break;
		}
	check_verified(s);
	check_collector(s);
	if (s->engine.responding && s->contexts[0] == CAI_CONTEXT_OURS) {
		if (!s->verify.sysbox_listed)
			problem(s, "the running engine does not list sysbox-runc: `cai engine reload`");
		if (!s->verify.default_is_runc)
			problem(s, "the running engine's default runtime is not runc");
	}
	s->code = s->nproblems ? CAI_STATUS_DEGRADED : CAI_STATUS_HEALTHY;
}

static const char *code_name(int code)
{
	switch (code) {
	case CAI_STATUS_HEALTHY:
		return "healthy";
	case CAI_STATUS_DEGRADED:
		return "degraded";
	case CAI_STATUS_REFUSED:
		return "refused";
	case CAI_STATUS_NOT_PROVISIONED:
		return "not-provisioned";
	}
	return "error";
}

static jv collector_jv(const struct cai_collector_status *c)
{
	jv out = JV_OBJECT(jv_string("manager"), jv_string(c->manager == CAI_ENGINE_SYSTEMD ? "systemd" : "standalone"),
			   jv_string("socket"), jv_string(CAI_COLLECTOR_SOCKET), jv_string("socket_present"),
			   jv_bool(c->socket_present), jv_string("accepting"), jv_bool(c->accepting));
	out = jv_object_set(out, jv_string("enabled"),
			    c->manager == CAI_ENGINE_SYSTEMD ? jv_bool(c->enabled) : jv_null());
	out = jv_object_set(out, jv_string("pid"), c->pid ? jv_number(c->pid) : jv_null());
	out = jv_object_set(out, jv_string("since"), cai_jv_string_or_null(c->since));
	out = jv_object_set(out, jv_string("log"), jv_string(CAI_COLLECTOR_LOG));
	out = jv_object_set(out, jv_string("log_writable"), jv_bool(c->log_writable));
	out = jv_object_set(out, jv_string("log_error"), cai_jv_string_or_null(c->log_error));
	out = jv_object_set(out, jv_string("dropped_since_start"), jv_number((double)c->dropped));
	return jv_object_set(out, jv_string("rejected_since_start"), jv_number((double)c->rejected));
}

static void print_collector(const struct cai_collector_status *c)
{
	printf("Audit collector: %s on %s",
	       c->accepting	   ? "accepting"
	       : c->socket_present ? "NOT accepting"
				   : "no socket",
	       CAI_COLLECTOR_SOCKET);
	if (c->manager == CAI_ENGINE_SYSTEMD)
		printf(" (%s %s)", CAI_COLLECTOR_SOCKET_UNIT, c->enabled ? "enabled" : "not enabled");
	if (c->pid)
		printf(", pid %d since %sZ", (int)c->pid, c->since);
	printf("\n                 log %s %s", CAI_COLLECTOR_LOG, c->log_writable ? "writable" : "NOT writable");
	if (c->pid)
		printf("; since start %ld event(s) lost, %ld rejected", c->dropped, c->rejected);
	putchar('\n');
}

/* The egress proxy of agent containers (cai egress): reported, not judged
 * here; an agent that needs it is refused by cai run with the reason. */
static jv egress_json(void)
{
	struct cai_egress_status st;
	cai_egress_get_status(&st);
	return JV_OBJECT(jv_string("answering"), jv_bool(st.answering), jv_string("pid"),
			 st.pid > 0 ? jv_number(st.pid) : jv_null(), jv_string("network"), jv_bool(st.network),
			 jv_string("squid_installed"), jv_bool(st.squid), jv_string("proxy"),
			 jv_string(CAI_EGRESS_URL));
}

static void print_egress(void)
{
	struct cai_egress_status st;
	cai_egress_get_status(&st);
	printf("Egress proxy:    %s\n", cai_egress_status_line(&st));
}

static void print_json(const struct status *s, const char *daemon_json)
{
	jv sysbox =
	    JV_OBJECT(jv_string("present"), jv_bool(s->sysbox_present), jv_string("path"), jv_string(CAI_SYSBOX_RUNC),
		      jv_string("version"), cai_jv_string_or_null(s->sysbox_version));
	jv config =
	    JV_OBJECT(jv_string("path"), jv_string(daemon_json), jv_string("readable"), jv_bool(s->config_readable),
		      jv_string("error"), cai_jv_string_or_null(s->config_error), jv_string("runtime_registered"),
		      jv_bool(s->runtime_registered), jv_string("runtime_path"), cai_jv_string_or_null(s->runtime_path),
		      jv_string("bridge"), cai_jv_string_or_null(s->bridge));
	config = jv_object_set(config, jv_string("default_runtime"), cai_jv_string_or_null(s->default_runtime));
	jv engine = JV_OBJECT(jv_string("manager"),
			      jv_string(s->engine.manager == CAI_ENGINE_SYSTEMD ? "systemd" : "standalone"),
			      jv_string("running"), jv_bool(s->engine.running), jv_string("pid"),
			      s->engine.running ? jv_number(s->engine.pid) : jv_null(), jv_string("responding"),
			      jv_bool(s->engine.responding), jv_string("host"), jv_string(CAI_ENGINE_HOST));
	engine = jv_object_set(engine, jv_string("runtimes_checked"),
			       s->verify.answered
				   ? JV_OBJECT(jv_string("sysbox_listed"), jv_bool(s->verify.sysbox_listed),
					       jv_string("default_runtime"), jv_string(s->verify.default_runtime))
				   : jv_null());
	jv contexts = jv_array();
	for (int i = 0; i < s->nusers; i++)
		contexts = jv_array_append(contexts,
					   JV_OBJECT(jv_string("user"), jv_string(s->users[i].name),
						     jv_string("docker_config"), jv_string(s->users[i].docker_config),
						     jv_string("state"), jv_string(context_state_name(s->contexts[i])),
						     jv_string("endpoint"), cai_jv_string_or_null(s->endpoints[i])));
	jv problems = jv_array();
	for (int i = 0; i < s->nproblems; i++)
		problems = jv_array_append(problems, jv_string(s->problems[i]));

	jv doc =
	    JV_OBJECT(jv_string("schema_version"), jv_number(1), jv_string("status"), jv_string(code_name(s->code)),
		      jv_string("exit_code"), jv_number(s->code), jv_string("platform"),
		      cai_platform_to_jv(&s->platform), jv_string("seccomp_notify"), cai_notify_probe_to_jv(&s->probe));
	doc = jv_object_set(doc, jv_string("engine_context"), cai_engine_probe_to_jv(&s->probe, &s->engine_probe));
	/* Which path `cai run` takes here: the same probe decides. */
	doc = jv_object_set(doc, jv_string("agent_audit"),
			    jv_string(s->probe.result == CAI_NOTIFY_SUPPORTED ? "seccomp" : "shim"));
	doc = jv_object_set(doc, jv_string("sysbox"), sysbox);
	doc = jv_object_set(doc, jv_string("engine_config"), config);
	doc = jv_object_set(doc, jv_string("engine"), engine);
	doc = jv_object_set(doc, jv_string("audit_collector"), collector_jv(&s->collector));
	doc = jv_object_set(doc, jv_string("egress"), egress_json());
	doc = jv_object_set(doc, jv_string("contexts"), contexts);
	doc = jv_object_set(doc, jv_string("recorded"), jv_copy(s->state.doc));
	doc = jv_object_set(doc, jv_string("problems"), problems);
	char *text = cai_jv_to_cstring(doc, JV_PRINT_INDENT_FLAGS(2));
	puts(text);
	free(text);
}

/* Where the engine runs, when that is not this process tree. */
static void print_engine_probe(const struct status *s)
{
	const struct cai_engine_probe *e = &s->engine_probe;
	char answer[64];
	if (e->where == CAI_PROBE_WHERE_THIS_TREE)
		return;
	cai_probe_describe(&e->probe, answer, sizeof(answer));
	if (!e->ran)
		printf("Engine context:  not probed (%s)\n", e->error);
	else
		printf("Engine context:  %s in a transient systemd service%s\n", answer,
		       cai_engine_probe_differs(&s->probe, e) ? " (differs from here; this one decides)" : "");
}

static void print_doctor_hint(const struct status *s)
{
	if (s->code == CAI_STATUS_DEGRADED || s->code == CAI_STATUS_REFUSED)
		printf("Run `cai doctor` for the causes and what to do about them.\n");
}

static void print_text(const struct status *s, const char *daemon_json)
{
	char namebuf[16];
	printf("Platform:        %s (kernel %s)\n", cai_platform_kind_name(s->platform.kind), s->platform.osrelease);
	printf("Seccomp notify:  %s%s%s%s\n", cai_notify_result_name(s->probe.result), s->probe.errnum ? " (" : "",
	       s->probe.errnum ? cai_errno_name(s->probe.errnum, namebuf) : "", s->probe.errnum ? ")" : "");
	print_engine_probe(s);
	if (s->probe.result == CAI_NOTIFY_SUPPORTED)
		printf("Agent audit:     seccomp supervision of execs (kernel-verified), shim for open/connect\n");
	else
		printf("Agent audit:     LD_PRELOAD shim (execs of static binaries are not seen here)\n");
	if (s->sysbox_present)
		printf("Sysbox:          %s%s%s\n", CAI_SYSBOX_RUNC, s->sysbox_version[0] ? ", " : "",
		       s->sysbox_version);
	else
		printf("Sysbox:          %s not installed\n", CAI_SYSBOX_RUNC);
	if (!s->config_readable)
		printf("Engine config:   %s\n", s->config_error);
	else
		printf("Engine config:   %s: runtime %s %s%s, bridge %s, default runtime %s\n", daemon_json,
		       CAI_SYSBOX_RUNTIME, s->runtime_registered ? "-> " : "not registered",
		       s->runtime_registered ? s->runtime_path : "", s->bridge[0] ? s->bridge : "(docker0)",
		       s->default_runtime);
	printf("Engine:          %s", s->engine.running ? "running" : "not running");
	if (s->engine.running)
		printf(" (%s, pid %d), %s %s", s->engine.manager == CAI_ENGINE_SYSTEMD ? "systemd" : "standalone",
		       (int)s->engine.pid, s->engine.responding ? "answers on" : "does NOT answer on", CAI_ENGINE_HOST);
	putchar('\n');
	print_collector(&s->collector);
	print_egress();
	for (int i = 0; i < s->nusers; i++)
		printf("Context:         %s: %s %s%s\n", s->users[i].name, CAI_CONTEXT_NAME,
		       s->contexts[i] == CAI_CONTEXT_ABSENT ? "absent" : "-> ",
		       s->contexts[i] == CAI_CONTEXT_ABSENT ? "" : s->endpoints[i]);
	print_verified(&s->state);
	const struct cai_state_refusal *refusal = &s->state.refusal;
	if (refusal->present)
		printf("Refusal:         recorded at %s (%s)\n", refusal->at[0] ? refusal->at : "?",
		       refusal->result[0] ? refusal->result : "?");
	else
		printf("Refusal:         none recorded\n");
	printf("Status:          %s\n", code_name(s->code));
	for (int i = 0; i < s->nproblems; i++)
		printf("  - %s\n", s->problems[i]);
	print_doctor_hint(s);
}

/* A one-word answer from the recorded state, probing nothing. */
static int print_daemon_json_managed(void)
{
	struct cai_error err = {0};
	struct cai_state st;
	int rc = cai_state_load(CAI_STATE_FILE, &st, &err);
	bool managed = st.daemon_json_managed;
	cai_state_free(&st);
	if (rc < 0) {
		cai_warn("status: %s", err.msg);
		return CAI_STATUS_ERROR;
	}
	puts(managed ? "yes" : "no");
	return CAI_EXIT_OK;
}

static int parse(int argc, char **argv, bool *json, bool *managed)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"daemon-json-managed", no_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_cli cli = {.prog = "cai", .command = "status", .usage = usage};
	int c;
	while ((c = cai_cli_getopt(&cli, argc, argv, "jh", longopts)) > 0) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'm':
			*managed = true;
			break;
		}
	}
	if (cai_cli_no_operands(&cli, argc, argv))
		return cli.exit_code;
	if (*json && *managed) {
		cai_warn("status: --json and --daemon-json-managed cannot be used together");
		return cai_cli_usage_error(&cli);
	}
	return -1;
}

int cmd_status(const struct cai_global *g, int argc, char **argv)
{
	bool opt_json = false, opt_managed = false;
	int rc = parse(argc, argv, &opt_json, &opt_managed);
	if (rc >= 0)
		return rc;
	if (opt_managed)
		return print_daemon_json_managed();
	static struct status s;
	struct cai_error err = {0};
	s.state.doc = jv_null();
	if (gather(&s, g, &err) < 0) {
		cai_state_free(&s.state);
		cai_warn("status: %s", err.msg);
		return CAI_STATUS_ERROR;
	}
	classify(&s);
	if (opt_json)
		print_json(&s, g->daemon_json);
	else
		print_text(&s, g->daemon_json);
	cai_state_free(&s.state);
	return s.code;
}
