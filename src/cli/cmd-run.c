/* cai run: launch an agent under exec supervision.
 *
 * Where the kernel lets us hold a seccomp listener, every execve/execveat of
 * the agent's tree is seen in the kernel (static binaries included) and
 * logged with "source":"seccomp". Where it does not (WSL2: EBUSY; old
 * kernels: EINVAL), the LD_PRELOAD shim reports what dynamically linked
 * programs do ("source":"shim"), quietly: that fallback is expected there and
 * is no reason to alarm anyone. The shim also reports open and connect on
 * both paths. Exit codes follow env(1): the agent's own status, or 125 when
 * cai run itself failed, 126 when CMD could not be run, 127 when not found. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "agent_container.h"
#include "agent_handoff.h"
#include "audit_client.h"
#include "backstop.h"
#include "cli.h"
#include "engine_paths.h"
#include "exec_policy.h"
#include "fd_pass.h"
#include "preload.h"
#include "run.h"
#include "supervise.h"

#ifndef CAI_SHIM_PATH
#define CAI_SHIM_PATH "/usr/lib/containai/libcai-auditshim.so"
#endif
#ifndef CAI_SHIM_MUSL_PATH
#define CAI_SHIM_MUSL_PATH "/usr/lib/containai/libcai-auditshim-musl.so"
#endif
#ifndef CAI_AGENT_INIT_PATH
#define CAI_AGENT_INIT_PATH "/usr/lib/containai/cai-agent-init"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai run [OPTIONS] -- CMD [ARG...]\n"
		"       cai run --image IMAGE [OPTIONS] -- CMD [ARG...]\n"
		"\n"
		"Run CMD (an AI agent) with its process tree audited, on this host or, with\n"
		"--image, in a container on the Secure Engine (%s):\n"
		"  - every execve/execveat is stopped in the kernel through a seccomp\n"
		"    user-notification listener, logged (\"source\":\"seccomp\") and allowed, or\n"
		"    denied with EPERM when the policy says so;\n"
		"  - where the kernel cannot notify (WSL2: EBUSY, old kernels: EINVAL; in a\n"
		"    container: Sysbox holds the listener) the LD_PRELOAD audit shim reports\n"
		"    execs of dynamically linked programs (\"source\":\"shim\") instead,\n"
		"    without a warning;\n"
		"  - the shim reports open and connect in both cases;\n"
		"  - a static backstop denies ptrace, mount, module loading, bpf, kexec and\n"
		"    the like to the whole tree (EPERM).\n"
		"Events go to cai-auditd on %s.\n"
		"\n"
		"Options:\n"
		"  --policy FILE        JSON: {\"deny_exec\": [\"/usr/bin/nc\", \"/tmp/*\"]} (fnmatch globs\n"
		"                       on the absolute path and on the path with symlinks resolved)\n"
		"  --no-shim            do not inject the LD_PRELOAD shim\n"
		"  --shim PATH          the shim library (default %s)\n"
		"  --audit-socket PATH  the collector's socket\n"
		"  --debug              say on stderr which path audits the agent, and why;\n"
		"                       at the end, execs supervised and denied, and the\n"
		"                       supervisor's CPU time per exec\n"
		"  --no-audit           run the agent with no audit at all (no shim, no\n"
		"                       supervision, no collector needed); without it, an\n"
		"                       agent that nothing could audit is refused\n"
		"  -h, --help           show this help\n"
		"\n"
		"Container options (--image):\n"
		"  --image IMAGE        run CMD in a container of IMAGE (already on the engine:\n"
		"                       nothing is pulled) as its first process's child\n"
		"  --name NAME          the container's name (default cai-agent-XXXXXXXX); every\n"
		"                       event carries it with the container's id\n"
		"  --runtime NAME       sysbox-runc (the default; required unless you name\n"
		"                       another) or runc, for weaker isolation on purpose\n"
		"  --workspace DIR      mount DIR read-write at %s, the working directory\n"
		"  -e, --env NAME[=VALUE]  pass a variable (NAME alone: its value here)\n"
		"  --keep               keep the container after CMD exits (default: removed)\n"
		"  --shim-musl PATH     the shim for musl images (default %s)\n"
		"  --agent-init PATH    the container's first process (default %s)\n"
		"  --network-policy allowlist|open|none\n"
		"                       allowlist (the default): the container joins the internal\n"
		"                       network containai-agents, with no route out; the only way\n"
		"                       out is the egress proxy (HTTP_PROXY and HTTPS_PROXY are set),\n"
		"                       which allows the hosts listed below and nothing else, and\n"
		"                       never private, link-local (metadata) or the host's own\n"
		"                       addresses; each decision is in the audit log.\n"
		"                       open: the engine's bridge, unfiltered. none: no network\n"
		"  --allow-domain NAME  allow a host (api.example.com) or every host under a\n"
		"                       domain (*.example.com); repeatable\n"
		"  --egress-preset NAME allow the hosts listed in the preset NAME (package-registries,\n"
		"                       git-hosts, ai-apis; an admin's in /etc/containai/egress/presets\n"
		"                       first, else the package's); repeatable.\n"
		"                       With project-allowlist yes in /etc/containai/egress/policy.conf,\n"
		"                       the workspace's .containai/egress-allow is read too\n"
		"Nothing else of the host is mounted. SIGTERM stops the container (TERM, then\n"
		"KILL after 10 s).\n"
		"\n"
		"Exit codes: CMD's own status (128+N when killed by signal N), 125 cai run\n"
		"failed (or refused: the message says why), 126 CMD could not be run,\n"
		"127 CMD not found, 2 usage.\n",
		CAI_CONTEXT_NAME, CAI_AUDIT_SOCKET_DEFAULT, CAI_SHIM_PATH, CAI_AGENT_WORKSPACE, CAI_SHIM_MUSL_PATH,
		CAI_AGENT_INIT_PATH);
}

static void push(const char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	enum {
		OPT_POLICY = 256,
		OPT_NO_SHIM,
		OPT_SHIM,
		OPT_SOCKET,
		OPT_DEBUG,
		OPT_IMAGE,
		OPT_NAME,
		OPT_RUNTIME,
		OPT_WORKSPACE,
		OPT_KEEP,
		OPT_NO_AUDIT,
		OPT_SHIM_MUSL,
		OPT_AGENT_INIT,
		OPT_NETWORK_POLICY,
		OPT_ALLOW_DOMAIN,
		OPT_EGRESS_PRESET
	};
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"no-shim", no_argument, NULL, OPT_NO_SHIM},
	    {"shim", required_argument, NULL, OPT_SHIM},
	    {"audit-socket", required_argument, NULL, OPT_SOCKET},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"image", required_argument, NULL, OPT_IMAGE},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"runtime", required_argument, NULL, OPT_RUNTIME},
	    {"workspace", required_argument, NULL, OPT_WORKSPACE},
	    {"env", required_argument, NULL, 'e'},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"no-audit", no_argument, NULL, OPT_NO_AUDIT},
	    {"shim-musl", required_argument, NULL, OPT_SHIM_MUSL},
	    {"agent-init", required_argument, NULL, OPT_AGENT_INIT},
	    {"network-policy", required_argument, NULL, OPT_NETWORK_POLICY},
	    {"allow-domain", required_argument, NULL, OPT_ALLOW_DOMAIN},
	    {"egress-preset", required_argument, NULL, OPT_EGRESS_PRESET},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_cli cli = {.prog = "cai", .command = "run", .usage = usage};
	int c;
	bool container_only = false;
	/* '+': options end at the command. */
	while ((c = cai_cli_getopt(&cli, argc, argv, "+he:", longopts)) > 0) {
		switch (c) {
		case OPT_POLICY:
			o->policy = optarg;
			break;
		case OPT_NO_SHIM:
			o->use_shim = false;
			break;
		case OPT_SHIM:
			o->shim = optarg;
			break;
		case OPT_SOCKET:
			o->audit_socket = optarg;
			break;
		case OPT_DEBUG:
			o->debug = true;
			break;
		case OPT_IMAGE:
			o->image = optarg;
			break;
		case OPT_NAME:
			o->name = optarg;
			container_only = true;
			break;
		case OPT_RUNTIME:
			o->runtime = optarg;
			container_only = true;
			break;
		case OPT_WORKSPACE:
			o->workspace = optarg;
			container_only = true;
			break;
		case OPT_KEEP:
			o->keep = true;
			container_only = true;
			break;
		case OPT_NO_AUDIT:
			o->no_audit = true;
			break;
		case OPT_SHIM_MUSL:
			o->shim_musl = optarg;
			container_only = true;
			break;
		case OPT_AGENT_INIT:
			o->agent_init = optarg;
			container_only = true;
			break;
		case OPT_NETWORK_POLICY:
			o->network_policy = optarg;
			container_only = true;
			break;
		case OPT_ALLOW_DOMAIN:
			push(&o->allow, &o->nallow, optarg);
			container_only = true;
			break;
		case OPT_EGRESS_PRESET:
			push(&o->presets, &o->npresets, optarg);
			container_only = true;
			break;
		case 'e':
			if (!cai_agent_env_valid(optarg)) {
				cai_warn("run: -e `%s`: give NAME or NAME=VALUE", optarg);
				return cai_cli_usage_error(&cli);
			}
			o->env = xrealloc(o->env, (o->nenv + 2) * sizeof(*o->env));
			o->env[o->nenv++] = optarg;
			o->env[o->nenv] = NULL;
			container_only = true;
			break;
		}
	}
	if (cli.done)
		return cli.exit_code;
	if (container_only && !o->image) {
		cai_warn(
		    "run: --name, --runtime, --workspace, -e, --keep, --shim-musl, --agent-init, --network-policy, "
		    "--allow-domain and --egress-preset go with --image");
		return cai_cli_usage_error(&cli);
	}
	if (optind >= argc) {
		cai_warn("run: missing the command to run (cai run [OPTIONS] -- CMD...)");
		return cai_cli_usage_error(&cli);
	}
	o->cmd = argv + optind;
	return -1;
}

/* This thread's CPU time (the supervisor's loop runs on it). */
static long long thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void run_debug(const struct run_opts *o, const char *fmt, ...)
{
	if (!o->debug)
		return;
	va_list ap;
	fprintf(stderr, "cai run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The agent's side, in the forked child: lock down, hand over the listener,
 * wait for the supervisor, exec. Reports failures on stderr (no caller is
 * left) and exits 125/126/127. */
static CAI_NORETURN void agent_child(const struct run_opts *o, int sock)
{
	struct cai_error err = {0};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fprintf(stderr, "cai run: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
		_exit(RUN_EXIT_FAILED);
	}
	/* The backstop is the hard boundary (and what kills foreign-arch
	 * calls, which the exec filter lets through): never missing quietly,
	 * never missing under a policy. */
	if (cai_backstop_install(&err) < 0) {
		fprintf(stderr,
			"cai run: the static backstop could not be installed (%s): ptrace, mount and the like "
			"are NOT denied to this agent\n",
			err.msg);
		if (o->policy)
			_exit(RUN_EXIT_FAILED);
	}

	errno = 0;
	int listener = o->no_audit ? -1 : cai_exec_filter_install();
	int status = listener < 0 ? errno : 0;
	if (cai_fd_send(sock, status, listener) < 0) {
		fprintf(stderr, "cai run: hand the listener to the supervisor: %s\n", strerror(errno));
		_exit(RUN_EXIT_FAILED);
	}
	if (listener >= 0)
		close(listener);
	/* The supervisor says go once it reads the listener; our own exec below
	 * is the first one it sees. */
	char go;
	if (read(sock, &go, 1) != 1 || go != 'g')
		_exit(RUN_EXIT_FAILED); /* the supervisor said why */
	close(sock);

	if (o->use_shim)
		cai_preload_shim(o->shim, o->audit_socket);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	execvp(o->cmd[0], o->cmd);
	int e = errno;
	fprintf(stderr, "cai run: run `%s`: %s\n", o->cmd[0], strerror(e));
	_exit(e == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_CANNOT_EXEC);
}

/* Go ('g') or refuse: the quiet fallback means no warning about EBUSY,
 * never an agent with no audit, nor a policy that nothing enforces. */
static char decide(const struct run_opts *o, int listener, int kernel_errno, const char *no_shim)
{
	char namebuf[16];
	if (listener >= 0) {
		run_debug(o, "%s", "execs supervised through a seccomp listener");
		return 'g';
	}
	const char *why = cai_errno_name(kernel_errno, namebuf);
	if (o->policy) {
		cai_warn("run: --policy cannot be enforced: seccomp user notification is unavailable here (%s); run "
			 "without --policy",
			 why);
		return 'x';
	}
	if (no_shim[0]) {
		cai_warn("run: nothing could audit this agent: seccomp user notification is unavailable here (%s) and "
			 "the audit shim %s; run it unaudited with --no-audit if you must",
			 why, no_shim);
		return 'x';
	}
	run_debug(o, "seccomp user notification unavailable (%s): the shim audits this agent", why);
	return 'g';
}

static volatile sig_atomic_t agent_pid;

static void forward_signal(int sig)
{
	if (agent_pid > 0)
		kill(agent_pid, sig);
}

int run_exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cmd_run(const struct cai_global *g, int argc, char **argv)
{
	(void)g;
	struct run_opts o = {.use_shim = true,
			     .shim = CAI_SHIM_PATH,
			     .shim_musl = CAI_SHIM_MUSL_PATH,
			     .agent_init = CAI_AGENT_INIT_PATH};
	int rc = parse(argc, argv, &o);
	if (rc < 0 && o.image)
		rc = run_image(&o);
	if (rc >= 0) {
		free(o.env);
		free(o.allow);
		free(o.presets);
		return rc;
	}

	struct cai_error err = {0};
	struct cai_exec_policy policy = {0};
	if (o.policy && cai_exec_policy_load(o.policy, &policy, &err) < 0) {
		cai_warn("run: %s", err.msg);
		return RUN_EXIT_FAILED;
	}
	/* Why no shim, when there is none: for the refusal below. */
	char no_shim[600] = "";
	if (!o.no_audit && !o.use_shim)
		snprintf(no_shim, sizeof(no_shim), "was turned off (--no-shim)");
	else if (!o.no_audit && access(o.shim, R_OK) != 0)
		snprintf(no_shim, sizeof(no_shim), "`%.500s` is not readable", o.shim);
	o.use_shim = !o.no_audit && !no_shim[0];

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		cai_warn("run: socketpair: %s", strerror(errno));
		return RUN_EXIT_FAILED;
	}
	/* The terminal's ^C and ^\ reach the agent directly; we outlive it to
	 * log its last execs. TERM and HUP sent to us are passed on. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	pid_t pid = fork();
	if (pid < 0) {
		cai_warn("run: fork: %s", strerror(errno));
		return RUN_EXIT_FAILED;
	}
	if (pid == 0) {
		close(sv[0]);
		agent_child(&o, sv[1]);
	}
	close(sv[1]);
	agent_pid = pid;
	/* The agent runs as our uid: were we dumpable, it could open our
	 * /proc/PID/mem and rewrite the policy we enforce on it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct sigaction sa = {.sa_handler = forward_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	int kernel_errno = 0, listener = -1, status = 0;
	if (cai_fd_recv(sv[0], &kernel_errno, &listener) < 0) {
		/* The child failed before handing anything over; it said why. */
		close(sv[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		cai_exec_policy_free(&policy);
		return run_exit_status(status);
	}
	char go = o.no_audit ? 'g' : decide(&o, listener, kernel_errno, no_shim);
	(void)!write(sv[0], &go, 1);
	close(sv[0]);

	if (listener < 0 || go != 'g') {
		if (listener >= 0)
			close(listener);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		cai_exec_policy_free(&policy);
		return run_exit_status(status);
	}

	rc = run_supervise(&o, listener, pid, o.policy ? &policy : NULL, o.audit_socket, NULL, &status);
	cai_exec_policy_free(&policy);
	return rc < 0 ? RUN_EXIT_FAILED : run_exit_status(status);
}

int run_supervise(const struct run_opts *o, int listener, pid_t waited, const struct cai_exec_policy *policy,
		  const char *audit_socket, const struct cai_container *container, int *status)
{
	struct cai_audit_client audit;
	cai_audit_client_init(&audit, audit_socket);
	struct cai_supervisor sup = {.listener = listener,
				     .policy = policy,
				     .audit = &audit,
				     .trace = o->debug ? stderr : NULL,
				     .container = container};
	struct cai_error err = {0};
	long long cpu0 = thread_cpu_ns();
	int rc = cai_supervise(&sup, waited, status, &err);
	long long cpu = thread_cpu_ns() - cpu0;
	if (sup.listener >= 0)
		close(sup.listener);
	if (rc < 0)
		cai_warn("run: %s", err.msg);
	/* What supervision cost besides the kernel's round trips: make bench
	 * reads this line. */
	run_debug(o, "supervised %lu exec(s), %lu denied; the supervisor used %.1f us of CPU per exec", sup.execs,
		  sup.denied, sup.execs ? (double)cpu / 1000.0 / (double)sup.execs : 0.0);
	if (audit.dropped)
		cai_warn("run: %lu audit event(s) could not be delivered to `%s` (is cai-auditd running?)",
			 audit.dropped, audit.path);
	cai_audit_client_close(&audit);
	return rc;
}
