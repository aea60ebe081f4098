#include "egress_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "atomic_file.h"
#include "audit_client.h"
#include "docker_context.h"
#include "egress_event.h"
#include "egress_paths.h"
#include "egress_rules.h"
#include "egress_squid.h"
#include "engine.h"
#include "engine_paths.h"
#include "procfs.h"
#include "run_cmd.h"

/* Marks the agent network as ours: teardown removes no other. */
#define CAI_EGRESS_LABEL "org.containai.egress"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int docker(const char *const *args, FILE *trace, struct cai_cmd *cmd, struct cai_error *err)
{
	static const char *argv[24];
	size_t n = 0;
	argv[n++] = cai_docker_cli();
	argv[n++] = "--host";
	argv[n++] = CAI_ENGINE_HOST;
	for (; *args && n < CAI_ARRAY_LEN(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	*cmd = (struct cai_cmd){.argv = argv, .trace = trace};
	if (cai_cmd_run(cmd, err) < 0)
		return cai_error_prefix(err, "run the docker CLI");
	return 0;
}

int cai_egress_network_ensure(FILE *trace, struct cai_error *err)
{
	struct cai_cmd cmd;
	const char *inspect[] = {"network", "inspect", "--format", "{{.Internal}}", CAI_EGRESS_NETWORK, NULL};
	if (docker(inspect, NULL, &cmd, err) < 0)
		return -1;
	bool exists = cmd.status == 0, internal = exists && strncmp(cmd.out, "true", 4) == 0;
	cai_cmd_free(&cmd);
	if (exists && !internal)
		return cai_error_set(err, 0,
				     "the engine's network `%s` exists but is not internal (it would give agents "
				     "a route out): remove it with `docker --host %s network rm %s`",
				     CAI_EGRESS_NETWORK, CAI_ENGINE_HOST, CAI_EGRESS_NETWORK);
	if (exists)
		return 0;
	const char *create[] = {"network",
				"create",
				"--internal",
				"--subnet",
				CAI_EGRESS_SUBNET,
				"--gateway",
				CAI_EGRESS_GATEWAY,
				"--opt",
				"com.docker.network.bridge.name=" CAI_EGRESS_BRIDGE,
				"--opt",
				"com.docker.network.bridge.enable_icc=false",
				"--label",
				CAI_EGRESS_LABEL "=true",
				CAI_EGRESS_NETWORK,
				NULL};
	if (docker(create, trace, &cmd, err) < 0)
		return -1;
	int status = cmd.status;
	char line[512];
	if (status != 0)
		cai_error_set(err, 0, "create the agent network `%s` (is the Secure Engine running?): %s",
			      CAI_EGRESS_NETWORK, cai_last_line(cmd.errout, line, sizeof(line)));
	cai_cmd_free(&cmd);
	return status == 0 ? 0 : -1;
}

enum cai_egress_net cai_egress_network_state(void)
{
	if (!cai_engine_ping(CAI_ENGINE_SOCKET))
		return CAI_EGRESS_NET_NO_ENGINE;
	struct cai_cmd cmd;
	struct cai_error ignored;
	const char *inspect[] = {
	    "network", "inspect", "--format", "{{index .Labels \"" CAI_EGRESS_LABEL "\"}}", CAI_EGRESS_NETWORK, NULL};
	if (docker(inspect, NULL, &cmd, &ignored) < 0) {
		cai_cmd_free(&cmd);
		return CAI_EGRESS_NET_NO_ENGINE;
	}
	enum cai_egress_net state = cmd.status != 0			 ? CAI_EGRESS_NET_ABSENT
				    : strncmp(cmd.out, "true\n", 5) == 0 ? CAI_EGRESS_NET_OURS
									 : CAI_EGRESS_NET_OTHER;
	cai_cmd_free(&cmd);
	return state;
}

int cai_egress_network_remove(FILE *trace, bool *removed, struct cai_error *err)
{
	*removed = false;
	if (cai_egress_network_state() != CAI_EGRESS_NET_OURS)
		return 0;
	struct cai_cmd cmd;
	const char *rm[] = {"network", "rm", CAI_EGRESS_NETWORK, NULL};
	if (docker(rm, trace, &cmd, err) < 0) {
		cai_cmd_free(&cmd);
		return -1;
	}
	char line[512];
	if (cmd.status != 0)
		cai_error_set(err, 0, "remove the agent network `%s`: %s", CAI_EGRESS_NETWORK,
			      cai_last_line(cmd.errout, line, sizeof(line)));
	*removed = cmd.status == 0;
	cai_cmd_free(&cmd);
	return *removed ? 0 : -1;
}

int cai_egress_bridge_remove(FILE *trace, bool *removed, struct cai_error *err)
{
	return cai_bridge_remove(CAI_EGRESS_BRIDGE, trace, removed, err);
}

static const struct passwd *squid_user(struct cai_error *err)
{
	/* Debian's squid runs as proxy, Fedora's as squid. */
	const struct passwd *pw = getpwnam(CAI_SQUID_USER);
	if (!pw)
		pw = getpwnam("squid");
	if (!pw)
		cai_error_set(err, 0, "no user `%s` (or `squid`) for the proxy: reinstall the %s package",
			      CAI_SQUID_USER, CAI_SQUID_PACKAGE);
	return pw;
}

/* Squid's log directory, its user's: root never creates or chowns a file
 * in it (a link planted there would redirect that to a file of root's);
 * it only renames the previous run's access.log to access.log.1. */
static int log_dir(const struct passwd *pw, struct cai_error *err)
{
	if (mkdir(CAI_EGRESS_LOG_DIR, 0750) < 0 && errno != EEXIST)
		return cai_error_set(err, errno, "create `%s`", CAI_EGRESS_LOG_DIR);
	cleanup_close int fd = open(CAI_EGRESS_LOG_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, pw->pw_uid, pw->pw_gid) < 0 || fchmod(fd, 0750) < 0)
		return cai_error_set(err, errno, "give `%s` to `%s`", CAI_EGRESS_LOG_DIR, pw->pw_name);
	if (renameat(fd, "access.log", fd, "access.log.1") < 0 && errno != ENOENT)
		return cai_error_set(err, errno, "rename `%s`", CAI_EGRESS_ACCESS_LOG);
	return 0;
}

static int prepare_files(const struct cai_egress_admin *a, const struct cai_egress_opts *o, const struct passwd *pw,
			 struct cai_error *err)
{
	if (cai_mkdir_parents(CAI_EGRESS_CLIENTS, 0755, err) < 0 || log_dir(pw, err) < 0)
		return -1;
	struct cai_egress_squid_paths p = {.acl_helper = o->acl_helper,
					   .clients_dir = CAI_EGRESS_CLIENTS,
					   .hosts_file = "/etc/hosts",
					   .user = pw->pw_name};
	cleanup_free char *conf = cai_egress_squid_conf(a, &p);
	if (!conf)
		return cai_error_set(err, ENOMEM, "generate `%s`", CAI_EGRESS_SQUID_CONF);
	cleanup_free char *tmp = xasprintf("%s.tmp", CAI_EGRESS_SQUID_CONF);
	unlink(tmp);
	if (cai_write_new_file(tmp, conf, strlen(conf), 0644, err) < 0)
		return -1;
	if (chmod(tmp, 0644) < 0 || rename(tmp, CAI_EGRESS_SQUID_CONF) < 0)
		return cai_error_set(err, errno, "install `%s`", CAI_EGRESS_SQUID_CONF);
	return 0;
}

static void no_ipv6_on_bridge(void)
{
	int fd = open("/proc/sys/net/ipv6/conf/" CAI_EGRESS_BRIDGE "/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1\n", 2);
		close(fd);
	}
}

static pid_t spawn_squid(struct cai_error *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return cai_error_set(err, errno, "start squid: fork");
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, 0) < 0)
			_exit(126);
		cai_close_fds_from(3);
		char *const argv[] = {(char *)CAI_SQUID, (char *)"-N", (char *)"-f", (char *)CAI_EGRESS_SQUID_CONF,
				      NULL};
		char *envp[] = {(char *)"PATH=" CAI_SAFE_PATH, NULL};
		execve(argv[0], argv, envp);
		dprintf(2, "cai egress: exec `%s`: %s\n", argv[0], strerror(errno));
		_exit(126);
	}
	return pid;
}

/* Relay every complete line of the access log after *off. */
static void relay(int fd, off_t *off, struct cai_audit_client *audit)
{
	static char buf[65536];
	static size_t have;
	for (;;) {
		ssize_t n = pread(fd, buf + have, sizeof(buf) - 1 - have, *off);
		if (n <= 0)
			return;
		*off += n;
		have += (size_t)n;
		buf[have] = '\0';
		char *start = buf, *nl;
		while ((nl = strchr(start, '\n'))) {
			*nl = '\0';
			struct cai_egress_line l;
			if (cai_egress_line_parse(start, &l) == 0 && strcmp(l.method, "-") != 0)
				cai_audit_client_send(audit, cai_egress_event(&l)); /* consumes */
			start = nl + 1;
		}
		have = strlen(start);
		memmove(buf, start, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than any of ours: not one */
	}
}

static int follow(pid_t squid, struct cai_audit_client *audit, struct cai_error *err)
{
	/* Squid creates its log once it runs. */
	cleanup_close int fd = -1;
	off_t off = 0;
	bool term_sent = false;
	for (;;) {
		if (fd < 0)
			fd = open(CAI_EGRESS_ACCESS_LOG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0)
			relay(fd, &off, audit);
		if (stop_requested && !term_sent) {
			kill(squid, SIGTERM);
			term_sent = true;
		}
		int status;
		if (waitpid(squid, &status, WNOHANG) == squid) {
			if (fd >= 0)
				relay(fd, &off, audit);
			if (term_sent)
				return 0;
			return cai_error_set(err, 0, "squid exited (status %d); see `%s`",
					     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
					     CAI_EGRESS_CACHE_LOG);
		}
		cai_sleep_ms(50);
	}
}

int cai_egress_run(const struct cai_egress_opts *o, struct cai_error *err)
{
	if (access(CAI_SQUID, X_OK) != 0)
		return cai_error_set(err, errno, "squid is not installed (`%s`): install the %s package", CAI_SQUID,
				     CAI_SQUID_PACKAGE);
	if (access(o->acl_helper, X_OK) != 0)
		return cai_error_set(
		    err, errno, "the proxy's helper `%s` is missing: reinstall containai-secure-engine", o->acl_helper);
	const struct passwd *pw = squid_user(err);
	if (!pw)
		return -1;
	uid_t uid = pw->pw_uid;
	struct cai_egress_admin admin;
	if (cai_egress_admin_load(CAI_EGRESS_POLICY_CONF, &admin, err) < 0)
		return -1;
	int rc = cai_egress_network_ensure(o->trace, err);
	if (rc == 0) {
		no_ipv6_on_bridge();
		rc = cai_egress_rules_apply(&admin, uid, o->trace, err);
	}
	if (rc == 0)
		rc = prepare_files(&admin, o, pw, err);
	cai_egress_admin_free(&admin);
	if (rc < 0)
		return -1;
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pid_t squid = spawn_squid(err);
	if (squid < 0)
		return -1;
	struct cai_audit_client audit;
	cai_audit_client_init(&audit, o->audit_socket);
	rc = follow(squid, &audit, err);
	cai_audit_client_close(&audit);
	return rc;
}

bool cai_egress_answering(void)
{
	cleanup_close int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(CAI_EGRESS_PORT)};
	inet_pton(AF_INET, CAI_EGRESS_GATEWAY, &sa.sin_addr);
	return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/* The pid in our pidfile when it is alive and is `cai egress run`. */
static pid_t supervisor_pid(void)
{
	char path[64], cmdline[4096];
	struct cai_error ignored;
	pid_t pid = cai_read_pidfile(CAI_EGRESS_PIDFILE);
	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	ssize_t n = cai_read_small_file(path, cmdline, sizeof(cmdline) - 1, &ignored);
	if (n <= 0)
		return 0;
	for (const char *a = cmdline, *prev = ""; a < cmdline + n; prev = a, a += strlen(a) + 1)
		if (strcmp(prev, "egress") == 0 && strcmp(a, "run") == 0)
			return pid;
	return 0;
}

/* systemctl VERB the unit; QUIET: only the exit status matters. */
static int systemctl_unit(const char *verb, bool quiet, FILE *trace, struct cai_error *err)
{
	const char *argv[] = {"systemctl", verb, quiet ? "--quiet" : CAI_EGRESS_UNIT, quiet ? CAI_EGRESS_UNIT : NULL,
			      NULL};
	struct cai_cmd cmd = {.argv = argv, .trace = trace};
	int rc = cai_cmd_run(&cmd, err);
	char line[512];
	if (rc == 0 && cmd.status != 0)
		rc = quiet ? -1
			   : cai_error_set(err, 0, "systemctl %s %s failed (exit %d): %s; see `journalctl -u %s`", verb,
					   CAI_EGRESS_UNIT, cmd.status, cai_last_line(cmd.errout, line, sizeof(line)),
					   CAI_EGRESS_UNIT);
	cai_cmd_free(&cmd);
	return rc;
}

static int stop_unit(FILE *trace, bool *stopped, struct cai_error *err)
{
	struct cai_error ignored;
	if (cai_engine_manager() != CAI_ENGINE_SYSTEMD || systemctl_unit("is-active", true, NULL, &ignored) < 0)
		return 0;
	if (systemctl_unit("stop", false, trace, err) < 0)
		return -1;
	*stopped = true;
	return 0;
}

static CAI_NORETURN void supervisor_child(const struct cai_egress_opts *o, const char *self)
{
	int log = open(CAI_EGRESS_SUPERVISOR_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log < 0 || devnull < 0 || setsid() < 0 || dup2(devnull, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(126);
	cai_close_fds_from(3);
	/* The environment is not passed on: the collector's socket is. */
	const char *sock = o->audit_socket ? o->audit_socket : getenv(CAI_AUDIT_SOCKET_ENV);
	const char *argv[] = {self, "egress", "run", "--acl-helper", o->acl_helper, sock ? "--audit-socket" : NULL,
			      sock, NULL};
	char *envp[] = {(char *)"PATH=" CAI_SAFE_PATH, NULL};
	execve(self, (char *const *)argv, envp);
	dprintf(2, "cai egress: exec `%s`: %s\n", self, strerror(errno));
	_exit(126);
}

static int wait_until_up(pid_t child, int timeout_s, struct cai_error *err)
{
	long long deadline = cai_mono_ms() + timeout_s * 1000L;
	while (cai_mono_ms() < deadline) {
		if (cai_egress_answering())
			return 0;
		int status;
		if (waitpid(child, &status, WNOHANG) == child) {
			char tail[4096] = "", line[512];
			struct cai_error ignored;
			cai_read_small_file(CAI_EGRESS_SUPERVISOR_LOG, tail, sizeof(tail), &ignored);
			return cai_error_set(err, 0, "the egress proxy did not start: %s; see `%s`",
					     cai_last_line(tail, line, sizeof(line)), CAI_EGRESS_SUPERVISOR_LOG);
		}
		cai_sleep_ms(100);
	}
	return cai_error_set(err, 0, "the egress proxy did not answer on %s:%d within %d s; see `%s`",
			     CAI_EGRESS_GATEWAY, CAI_EGRESS_PORT, timeout_s, CAI_EGRESS_CACHE_LOG);
}

/* Under systemd: start the unit, then wait until Squid answers. */
static int start_unit(const struct cai_egress_opts *o, bool *started, struct cai_error *err)
{
	if (cai_egress_answering())
		return 0;
	if (systemctl_unit("start", false, o->trace, err) < 0)
		return -1;
	*started = true;
	long long deadline = cai_mono_ms() + o->start_timeout_s * 1000L;
	while (cai_mono_ms() < deadline) {
		if (cai_egress_answering())
			return 0;
		cai_sleep_ms(100);
	}
	return cai_error_set(err, 0, "the egress proxy did not answer on %s:%d within %d s; see `journalctl -u %s`",
			     CAI_EGRESS_GATEWAY, CAI_EGRESS_PORT, o->start_timeout_s, CAI_EGRESS_UNIT);
}

int cai_egress_start(const struct cai_egress_opts *o, bool *started, struct cai_error *err)
{
	*started = false;
	if (cai_engine_manager() == CAI_ENGINE_SYSTEMD)
		return start_unit(o, started, err);
	if (supervisor_pid() > 0 && cai_egress_answering())
		return 0;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return cai_error_set(err, errno, "readlink `/proc/self/exe`");
	self[n] = '\0';
	if (cai_mkdir_parents(CAI_EGRESS_RUN, 0755, err) < 0 || cai_mkdir_parents(CAI_ENGINE_LOG_DIR, 0750, err) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return cai_error_set(err, errno, "start the egress proxy: fork");
	if (pid == 0)
		supervisor_child(o, self);
	char text[32];
	int len = snprintf(text, sizeof(text), "%d\n", (int)pid);
	unlink(CAI_EGRESS_PIDFILE);
	if (cai_write_new_file(CAI_EGRESS_PIDFILE, text, (size_t)len, 0644, err) < 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -1;
	}
	*started = true;
	if (wait_until_up(pid, o->start_timeout_s, err) < 0) {
		if (waitpid(pid, NULL, WNOHANG) == 0) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
		}
		unlink(CAI_EGRESS_PIDFILE);
		return -1;
	}
	return 0;
}

int cai_egress_stop(FILE *trace, bool *stopped, struct cai_error *err)
{
	*stopped = false;
	if (stop_unit(trace, stopped, err) < 0)
		return -1;
	pid_t pid = supervisor_pid();
	if (pid <= 0)
		return 0;
	if (trace)
		fprintf(trace, "+ kill -TERM %d\n", (int)pid);
	if (kill(pid, SIGTERM) != 0)
		return cai_error_set(err, errno, "stop the egress proxy (pid %d)", (int)pid);
	long long deadline = cai_mono_ms() + 30 * 1000L;
	while (cai_mono_ms() < deadline) {
		waitpid(pid, NULL, WNOHANG);
		/* Gone, or a zombie whose parent has not reaped it (its cmdline
		 * is empty then): either way it has stopped. */
		if (supervisor_pid() != pid) {
			unlink(CAI_EGRESS_PIDFILE);
			*stopped = true;
			return 0;
		}
		cai_sleep_ms(50);
	}
	return cai_error_set(err, 0, "the egress proxy (pid %d) did not stop within 30 s", (int)pid);
}

void cai_egress_get_status(struct cai_egress_status *st)
{
	memset(st, 0, sizeof(*st));
	st->pid = supervisor_pid();
	st->answering = cai_egress_answering();
	st->squid = access(CAI_SQUID, X_OK) == 0;
	const char *argv[] = {"ip", "-o", "link", "show", "dev", CAI_EGRESS_BRIDGE, NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error ignored;
	st->network = cai_cmd_run(&cmd, &ignored) == 0 && cmd.status == 0;
	cai_cmd_free(&cmd);
}

const char *cai_egress_status_line(const struct cai_egress_status *st)
{
	static char line[320];
	char pid[32] = "";
	if (st->pid > 0)
		snprintf(pid, sizeof(pid), " (pid %d)", (int)st->pid);
	if (st->answering)
		snprintf(line, sizeof(line), "answering on %s%s, network %s%s", CAI_EGRESS_URL, pid, CAI_EGRESS_NETWORK,
			 st->squid ? "" : "; but squid is no longer installed: it will not start again");
	else if (!st->squid)
		snprintf(line, sizeof(line), "not running: squid is not installed (`%s`; install the %s package)",
			 CAI_SQUID, CAI_SQUID_PACKAGE);
	else
		snprintf(line, sizeof(line),
			 "NOT answering on %s: agents with --network-policy allowlist cannot start "
			 "(start it with `cai egress start`)",
			 CAI_EGRESS_URL);
	return line;
}
