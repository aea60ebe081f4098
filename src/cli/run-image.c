/* cai run --image: the agent in a container on the Secure Engine, audited
 * across the container boundary.
 *
 * docker starts the container with cai-agent-init as its first process and
 * our files mounted read-only at paths no image uses (agent_handoff.h). init
 * preloads the shim its image's loader can load, tries the exec listener, and
 * hands both facts (and the listener) to us over a socket in a directory
 * mounted for this one container. We check the peer is that container's own
 * process, decide (never an agent with no audit at all unless --no-audit),
 * say go, and supervise its execs as on the host. The seccomp backstop
 * profile is generated here from the same list the host form installs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "agent_container.h"
#include "atomic_file.h"
#include "audit_client.h"
#include "backstop.h"
#include "cli.h"
#include "container.h"
#include "docker_context.h"
#include "engine_paths.h"
#include "exec_policy.h"
#include "handoff.h"
#include "procfs.h"
#include "run.h"
#include "run-egress.h"
#include "run_cmd.h"
#include "supervise.h"

#ifndef CAI_SHIM_MUSL_PATH
#define CAI_SHIM_MUSL_PATH "/usr/lib/containai/libcai-auditshim-musl.so"
#endif

extern char **environ;

/* What the checks found, for the run. */
struct image_run {
	const struct run_opts *o;
	char name[129];
	const char *runtime;
	char workspace[PATH_MAX];
	const char *shim_musl; /* NULL when absent */
	const char *audit_socket;
	char audit_dir[PATH_MAX];
	const char *audit_name;
	struct cai_handoff handoff;
	struct run_egress egress;
	char profile[PATH_MAX + 16];
	char container_id[65];
	/* The connection over which the collector took the container's own
	 * audit socket; open for as long as the container may send. */
	int audit_control;
};

/* Set up before any signal can come: the handler may only use these. */
static volatile pid_t docker_pid;
static char **stop_argv;
static volatile sig_atomic_t stop_sent;

/* TERM (and an INT sent to us by kill, not by the terminal, whose ^C reaches
 * docker itself) stops the container the way `docker stop` does: TERM to
 * init, which passes it to the agent, then KILL after 10 s. HUP is passed on
 * through docker's signal proxy. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int saved = errno;
	if (sig == SIGHUP) {
		if (docker_pid > 0)
			kill(docker_pid, SIGHUP);
	} else if (!(sig == SIGINT && si->si_code == SI_KERNEL) && !stop_sent) {
		stop_sent = 1;
		pid_t p = _Fork(); /* async-signal-safe, unlike fork() */
		if (p == 0) {
			execve(stop_argv[0], stop_argv, environ);
			_exit(127);
		}
	}
	errno = saved;
}

static int connectable(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	int types[] = {SOCK_STREAM, SOCK_SEQPACKET};
	int e = 0;
	for (size_t i = 0; i < CAI_ARRAY_LEN(types); i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		int rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		e = errno;
		close(fd);
		if (rc == 0)
			return 0;
		if (e != EPROTOTYPE)
			break;
	}
	errno = e;
	return -1;
}

static void random_name(char *out, size_t cap)
{
	unsigned char b[4] = {0};
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		unsigned v = (unsigned)getpid() ^ (unsigned)time(NULL);
		memcpy(b, &v, sizeof(b));
	}
	snprintf(out, cap, "cai-agent-%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

static int pick_runtime(struct image_run *r, struct cai_error *err)
{
	if (r->o->runtime) {
		r->runtime = r->o->runtime;
		return 0;
	}
	if (access(CAI_SYSBOX_RUNC, X_OK) == 0) {
		r->runtime = CAI_SYSBOX_RUNTIME;
		return 0;
	}
	return cai_error_set(err, 0,
			     "%s is not installed (`%s`): install the %s package (%s), or accept the weaker "
			     "isolation of runc with --runtime runc",
			     CAI_SYSBOX_RUNTIME, CAI_SYSBOX_RUNC, CAI_SYSBOX_PACKAGE, CAI_SYSBOX_DOWNLOAD);
}

/* Everything that can be known before anything starts. */
static int check_inputs(struct image_run *r, struct cai_error *err)
{
	const struct run_opts *o = r->o;
	if (o->name && !cai_agent_name_valid(o->name))
		return cai_error_set(err, 0, "--name `%s`: use letters, digits, '_', '.' and '-' (at most 128)",
				     o->name);
	if (o->name)
		snprintf(r->name, sizeof(r->name), "%s", o->name);
	else
		random_name(r->name, sizeof(r->name));
	if (pick_runtime(r, err) < 0)
		return -1;
	if (o->workspace) {
		struct stat st;
		if (!realpath(o->workspace, r->workspace) || stat(r->workspace, &st) < 0)
			return cai_error_set(err, errno, "--workspace `%s`", o->workspace);
		if (!S_ISDIR(st.st_mode))
			return cai_error_set(err, ENOTDIR, "--workspace `%s`", o->workspace);
	}
	if (connectable(CAI_ENGINE_SOCKET) < 0)
		return cai_error_set(err, errno,
				     "the Secure Engine is not running: start it with `cai engine start` (or "
				     "`systemctl start %s`), then try again; connect `%s`",
				     CAI_ENGINE_UNIT, CAI_ENGINE_SOCKET);
	if (access(o->agent_init, X_OK) != 0)
		return cai_error_set(err, errno,
				     "the container's init `%s` is missing: reinstall containai-secure-engine",
				     o->agent_init);
	if (o->no_audit)
		return 0;
	r->audit_socket = o->audit_socket ? o->audit_socket : getenv(CAI_AUDIT_SOCKET_ENV);
	if (!r->audit_socket || !*r->audit_socket)
		r->audit_socket = CAI_AUDIT_SOCKET_DEFAULT;
	if (connectable(r->audit_socket) < 0)
		return cai_error_set(err, errno,
				     "the audit collector is not listening on `%s`: start it (`systemctl start "
				     "cai-auditd.socket`, or `cai-auditd &` as root), or run the agent unaudited with "
				     "--no-audit; connect",
				     r->audit_socket);
	char *slash = strrchr(r->audit_socket, '/');
	if (!slash || r->audit_socket[0] != '/')
		return cai_error_set(err, 0, "--audit-socket `%s`: give an absolute path", r->audit_socket);
	snprintf(r->audit_dir, sizeof(r->audit_dir), "%.*s", (int)(slash - r->audit_socket),
		 slash == r->audit_socket ? "/" : r->audit_socket);
	r->audit_name = slash + 1;
	if (o->use_shim && access(o->shim, R_OK) != 0)
		return cai_error_set(err, errno,
				     "the audit shim `%s` is missing: reinstall containai-secure-engine, "
				     "or run without it with --no-shim",
				     o->shim);
	r->shim_musl = o->use_shim && access(o->shim_musl, R_OK) == 0 ? o->shim_musl : NULL;
	return 0;
}

/* The backstop as Docker's seccomp profile, generated from the same list
 * the host form installs, into our private directory. */
static int write_profile(struct image_run *r, struct cai_error *err)
{
	snprintf(r->profile, sizeof(r->profile), "%s/profile.json", r->handoff.dir);
	return cai_backstop_write_profile(r->profile, err);
}

static pid_t spawn_docker(char **argv)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	cai_close_fds_from(3);
	/* The engine is named by --host; nothing in the caller's environment
	 * may point this docker elsewhere. */
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	unsetenv("LD_PRELOAD");
	setenv("PATH", CAI_SAFE_PATH, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "cai run: run `%s`: %s (install docker.io or docker-ce-cli)\n", argv[0], strerror(errno));
	_exit(RUN_EXIT_FAILED);
}

static int wait_for(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* docker rm --force ID, quietly: the container must not outlive us. By the
 * id docker gave ours, never by name: the name may be someone else's. */
static void remove_container(const struct image_run *r)
{
	if (!r->container_id[0])
		return;
	const char *argv[] = {cai_docker_cli(), "--host", CAI_ENGINE_HOST, "rm", "--force", r->container_id, NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error ignored;
	if (cai_cmd_run(&cmd, &ignored) == 0)
		cai_cmd_free(&cmd);
}

/* The connection is from the container docker created for us, as the kernel
 * sees it: the peer's cgroup names the id docker wrote to the cidfile. */
static int check_peer(struct image_run *r, pid_t peer, struct cai_error *err)
{
	if (cai_handoff_container_id(&r->handoff, r->container_id, err) < 0)
		return -1;
	char id[CAI_CONTAINER_ID_LEN + 1];
	int in = cai_container_id_of_pid(peer, id, NULL, err);
	if (in < 0)
		return -1;
	if (in == 0 || strcmp(id, r->container_id) != 0)
		return cai_error_set(err, EPERM, "handoff: the peer (pid %d) is not the container `%s`", (int)peer,
				     r->name);
	return 0;
}

static const char *loader_name(uint32_t loader)
{
	return loader == CAI_LOADER_GLIBC ? "glibc" : loader == CAI_LOADER_MUSL ? "musl" : "none";
}

/* Go or refuse, from what init found. Never an agent with no audit at all
 * unless the user asked for that. */
static bool decide(const struct image_run *r, const struct cai_handoff_hello *h, int listener)
{
	const struct run_opts *o = r->o;
	char nb[16];
	run_debug(o, "container %.12s: loader %s, shim %s, exec listener %s", r->container_id, loader_name(h->loader),
		  h->shim_preloaded ? "preloaded" : "not preloaded",
		  listener >= 0				       ? "handed over"
		  : h->listener_errno == CAI_HANDOFF_NOT_ASKED ? "not asked for"
							       : cai_errno_name(h->listener_errno, nb));
	if (o->no_audit)
		return true;
	if (o->policy && listener < 0) {
		cai_warn("run: --policy cannot be enforced: seccomp user notification is unavailable in the container "
			 "(%s; Sysbox and WSL2 hold the one listener a process may have); run without --policy",
			 h->listener_errno > 0 ? cai_errno_name(h->listener_errno, nb) : "not supervised");
		return false;
	}
	const char *why = NULL;
	if (o->use_shim && !h->shim_preloaded)
		why = h->loader == CAI_LOADER_NONE ? "the image has no dynamic loader (a static or foreign image), so "
						     "the audit shim cannot load"
		      : h->loader == CAI_LOADER_MUSL && !r->shim_musl
			  ? "the image uses musl and the musl shim is not "
			    "installed"
			  : "the audit shim is not readable in the container";
	if (!why && listener < 0 && h->listener_errno > 0)
		run_debug(o, "seccomp user notification unavailable in the container (%s): the shim audits this agent",
			  cai_errno_name(h->listener_errno, nb));
	if (why && listener < 0) {
		cai_warn("run: nothing could audit this agent: %s, and seccomp user notification is unavailable (%s); "
			 "run it unaudited with --no-audit if you must",
			 why, h->listener_errno > 0 ? cai_errno_name(h->listener_errno, nb) : "not supervised");
		return false;
	}
	if (why)
		cai_warn("run: %s: only the agent's execs are audited (through seccomp)", why);
	return true;
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGQUIT, SIG_IGN);
}

static char **make_stop_argv(const struct image_run *r)
{
	char **v = xcalloc(8, sizeof(*v));
	/* execve takes no PATH: find docker the way spawn_docker does. */
	const char *dirs[] = {"/usr/local/bin", "/usr/bin", "/bin", NULL};
	v[0] = xstrdup("/usr/bin/docker");
	for (const char **d = dirs; *d; d++) {
		cleanup_free char *p = xasprintf("%s/%s", *d, cai_docker_cli());
		if (access(p, X_OK) == 0) {
			free(v[0]);
			v[0] = steal_pointer(&p);
			break;
		}
	}
	const char *rest[] = {"--host", CAI_ENGINE_HOST, "stop", "-t", "10", r->name};
	for (size_t i = 0; i < CAI_ARRAY_LEN(rest); i++)
		v[i + 1] = xstrdup(rest[i]);
	return v;
}

/* After the handoff: supervise the container's execs (when init made a
 * listener) until its last process is gone, else wait for docker. */
static int follow(struct image_run *r, int listener, const struct cai_exec_policy *policy, int *status)
{
	if (listener < 0) {
		*status = wait_for(docker_pid);
		return 0;
	}
	struct cai_container c = {0};
	snprintf(c.id, sizeof(c.id), "%s", r->container_id);
	snprintf(c.name, sizeof(c.name), "%s", r->name);
	return run_supervise(r->o, listener, docker_pid, policy, r->audit_socket, &c, status);
}

/* The container's own audit socket goes to the collector now that the
 * container's id is known: whatever connects through it is this container's,
 * however short-lived the process (the collector need not find it alive). */
static int hand_over_audit_socket(struct image_run *r, struct cai_error *err)
{
	if (r->handoff.audit_fd < 0)
		return 0;
	struct cai_container c = {0};
	snprintf(c.id, sizeof(c.id), "%s", r->container_id);
	snprintf(c.name, sizeof(c.name), "%s", r->name);
	r->audit_control = cai_audit_hand_over_listener(r->audit_socket, r->handoff.audit_fd, &c, err);
	return r->audit_control < 0 ? -1 : 0;
}

/* Before the agent runs: the proxy learns the container's address and
 * what it may reach (until then every request of it is refused). */
static int register_egress(struct image_run *r, struct cai_error *err)
{
	struct cai_container c = {0};
	snprintf(c.id, sizeof(c.id), "%s", r->container_id);
	snprintf(c.name, sizeof(c.name), "%s", r->name);
	return run_egress_register(&r->egress, &c, err);
}

/* Start docker, take init's hello, say go or no. Returns the listener (or
 * -1) with *go set, or -2 when the container never reached init. */
static int start(struct image_run *r, char **argv, bool *go, int *docker_status)
{
	struct cai_error err = {0};
	docker_pid = spawn_docker(argv);
	if (docker_pid < 0) {
		cai_warn("run: fork: %s", strerror(errno));
		return -2;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, docker_pid, 0);
	int conn = -1, listener = -1;
	pid_t peer = 0;
	int got = pidfd < 0 ? -1 : cai_handoff_accept(&r->handoff, pidfd, &conn, &peer, &err);
	if (pidfd >= 0)
		close(pidfd);
	if (got <= 0) {
		if (got < 0)
			cai_warn("run: %s", err.msg);
		*docker_status = wait_for(docker_pid);
		return -2;
	}
	struct cai_handoff_hello hello;
	*go = false;
	if (check_peer(r, peer, &err) < 0 || cai_handoff_recv(conn, &hello, &listener, &err) < 0 ||
	    hand_over_audit_socket(r, &err) < 0 || register_egress(r, &err) < 0)
		cai_warn("run: %s", err.msg);
	else
		*go = decide(r, &hello, listener);
	char verdict = *go ? CAI_HANDOFF_GO : CAI_HANDOFF_REFUSE;
	(void)!write(conn, &verdict, 1);
	close(conn);
	if (!*go && listener >= 0) {
		close(listener);
		listener = -1;
	}
	return listener;
}

int run_image(const struct run_opts *o)
{
	struct image_run r = {.o = o, .audit_control = -1};
	struct cai_error err = {0};
	r.handoff.listen_fd = r.handoff.audit_fd = -1;
	if (check_inputs(&r, &err) < 0) {
		cai_warn("run: %s", err.msg);
		return RUN_EXIT_FAILED;
	}
	if (run_egress_prepare(o, o->workspace ? r.workspace : NULL, &r.egress, &err) < 0) {
		cai_warn("run: %s", err.msg);
		run_egress_free(&r.egress);
		return RUN_EXIT_FAILED;
	}
	struct cai_exec_policy policy = {0};
	if (o->policy && cai_exec_policy_load(o->policy, &policy, &err) < 0) {
		cai_warn("run: %s", err.msg);
		run_egress_free(&r.egress);
		return RUN_EXIT_FAILED;
	}
	const char *base = getenv("TMPDIR");
	bool audit = !o->no_audit;
	/* Root hands the collector a socket of the container's own; anyone
	 * else's agent reaches the collector's, which finds the container
	 * from the sender's cgroup (while the sender lives). */
	bool own_socket = audit && geteuid() == 0;
	if (cai_handoff_open(&r.handoff, base && *base == '/' ? base : "/tmp", &err) < 0 ||
	    write_profile(&r, &err) < 0 || (own_socket && cai_handoff_open_audit(&r.handoff, &err) < 0)) {
		cai_warn("run: %s", err.msg);
		cai_handoff_close(&r.handoff);
		cai_exec_policy_free(&policy);
		run_egress_free(&r.egress);
		return RUN_EXIT_FAILED;
	}
	struct cai_agent_spec spec = {.docker = cai_docker_cli(),
				      .host = CAI_ENGINE_HOST,
				      .image = o->image,
				      .name = r.name,
				      .runtime = r.runtime,
				      .profile = r.profile,
				      .cidfile = r.handoff.cidfile,
				      .init = o->agent_init,
				      .shim_glibc = audit && o->use_shim ? o->shim : NULL,
				      .shim_musl = audit ? r.shim_musl : NULL,
				      .audit_dir = !audit	? NULL
						   : own_socket ? r.handoff.audit_dir
								: r.audit_dir,
				      .audit_name = own_socket ? CAI_HANDOFF_AUDIT_NAME : r.audit_name,
				      .handoff_dir = r.handoff.mount_dir,
				      .workspace = o->workspace ? r.workspace : NULL,
				      .env = r.egress.env,
				      .network = run_egress_network(&r.egress),
				      /* Reading the agent's memory takes ptrace rights over it: root's. */
				      .supervise = audit && geteuid() == 0,
				      .tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO),
				      .keep = o->keep,
				      .cmd = o->cmd};
	char **argv = cai_agent_docker_argv(&spec);
	if (o->debug) {
		cleanup_free char *line = cai_cmd_string((const char *const *)argv);
		run_debug(o, "+ %s", line);
	}
	stop_argv = make_stop_argv(&r);
	install_signals();
	/* Nothing the agent runs may read or write our memory (the policy). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	bool go = false;
	int status = 0;
	int listener = start(&r, argv, &go, &status);
	if (!r.container_id[0] && cai_handoff_container_id(&r.handoff, r.container_id, &err) < 0)
		r.container_id[0] = '\0';
	int rc;
	if (listener == -2) {
		/* docker said why (no such image, a name in use, the runtime). */
		cai_warn("run: the agent's container `%s` did not start (docker exited with %d)", r.name,
			 run_exit_status(status));
		rc = RUN_EXIT_FAILED;
	} else if (!go) {
		wait_for(docker_pid);
		rc = RUN_EXIT_FAILED;
	} else {
		rc = follow(&r, listener, o->policy ? &policy : NULL, &status) < 0 ? RUN_EXIT_FAILED
										   : run_exit_status(status);
	}
	/* docker removes a container it ran with --rm; one whose client died
	 * (or that never reached init) is removed here. */
	if (!o->keep && (listener == -2 || !go || WIFSIGNALED(status)))
		remove_container(&r);
	/* Only now: the container's audit socket must stay linked while it runs. */
	cai_handoff_close(&r.handoff);
	if (r.audit_control >= 0)
		close(r.audit_control);
	cai_agent_argv_free(argv);
	cai_agent_argv_free(stop_argv);
	cai_exec_policy_free(&policy);
	run_egress_end(&r.egress);
	run_egress_free(&r.egress);
	return rc;
}
