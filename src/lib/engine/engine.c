#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "atomic_file.h"
#include "engine_paths.h"
#include "procfs.h"
#include "run_cmd.h"

enum cai_engine_manager cai_engine_manager(void)
{
	struct stat st;
	/* sd_booted(3): systemd is PID 1 exactly when this directory exists. */
	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode) ? CAI_ENGINE_SYSTEMD
									     : CAI_ENGINE_STANDALONE;
}

const char *cai_dockerd_path(void)
{
	/* Debian's docker.io installs /usr/sbin/dockerd, docker-ce /usr/bin/dockerd. */
	return access(CAI_DOCKERD, X_OK) == 0 ? CAI_DOCKERD : "/usr/bin/dockerd";
}

void cai_engine_dockerd_argv(const char *daemon_json, const char *argv[16])
{
	size_t n = 0;
	argv[n++] = cai_dockerd_path();
	argv[n++] = "--config-file";
	argv[n++] = daemon_json;
	argv[n++] = "--host";
	argv[n++] = CAI_ENGINE_HOST;
	argv[n++] = "--data-root";
	argv[n++] = CAI_ENGINE_DATA_ROOT;
	argv[n++] = "--exec-root";
	argv[n++] = CAI_ENGINE_EXEC_ROOT;
	argv[n++] = "--pidfile";
	argv[n++] = CAI_ENGINE_PIDFILE;
	/* A containerd shared with the user's engine must not mix their
	 * containers with ours. */
	argv[n++] = "--containerd-namespace";
	argv[n++] = "containai";
	argv[n++] = "--containerd-plugins-namespace";
	argv[n++] = "containai-plugins";
	argv[n] = NULL;
}

int cai_dockerd_major_version(void)
{
	const char *argv[] = {cai_dockerd_path(), "--version", NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error ignored;
	int major = -1;
	if (cai_cmd_run(&cmd, &ignored) == 0 && cmd.status == 0 && sscanf(cmd.out, "Docker version %d.", &major) != 1)
		major = -1;
	cai_cmd_free(&cmd);
	return major;
}

/* Asks iproute2 rather than /sys/class/net, which shows the network
 * namespace of whoever mounted sysfs, not necessarily ours. */
bool cai_bridge_exists(const char *name)
{
	const char *argv[] = {"ip", "-o", "link", "show", "dev", name, NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error ignored;
	bool exists = cai_cmd_run(&cmd, &ignored) == 0 && cmd.status == 0;
	cai_cmd_free(&cmd);
	return exists;
}

bool cai_engine_bridge_exists(void)
{
	return cai_bridge_exists(CAI_ENGINE_BRIDGE);
}

static int run_ip(const char *bridge, const char *const *argv, FILE *trace, struct cai_error *err)
{
	struct cai_cmd cmd = {.argv = argv, .trace = trace};
	if (cai_cmd_run(&cmd, err) < 0)
		return cai_error_prefix(err, "configure bridge `%s` (is iproute2 installed?)", bridge);
	if (cmd.status != 0) {
		char line[512];
		cleanup_free char *s = cai_cmd_string(argv);
		cai_error_set(err, 0, "`%s` failed (exit %d): %s", s, cmd.status,
			      cai_last_line(cmd.errout, line, sizeof(line)));
		cai_cmd_free(&cmd);
		return -1;
	}
	cai_cmd_free(&cmd);
	return 0;
}

int cai_engine_prepare_network(FILE *trace, bool *created, struct cai_error *err)
{
	*created = false;
	if (!cai_engine_bridge_exists()) {
		const char *add[] = {"ip", "link", "add", CAI_ENGINE_BRIDGE, "type", "bridge", NULL};
		const char *addr[] = {"ip", "addr", "add", CAI_ENGINE_BRIDGE_CIDR, "dev", CAI_ENGINE_BRIDGE, NULL};
		if (run_ip(CAI_ENGINE_BRIDGE, add, trace, err) < 0 || run_ip(CAI_ENGINE_BRIDGE, addr, trace, err) < 0)
			return -1;
		*created = true;
	}
	const char *up[] = {"ip", "link", "set", CAI_ENGINE_BRIDGE, "up", NULL};
	return run_ip(CAI_ENGINE_BRIDGE, up, trace, err);
}

int cai_bridge_remove(const char *name, FILE *trace, bool *removed, struct cai_error *err)
{
	*removed = false;
	if (!cai_bridge_exists(name))
		return 0;
	const char *del[] = {"ip", "link", "delete", name, "type", "bridge", NULL};
	if (run_ip(name, del, trace, err) < 0)
		return -1;
	*removed = true;
	return 0;
}

int cai_engine_remove_network(FILE *trace, bool *removed, struct cai_error *err)
{
	return cai_bridge_remove(CAI_ENGINE_BRIDGE, trace, removed, err);
}

bool cai_engine_ping(const char *socket_path)
{
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return false;
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	static const char req[] = "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		return false;
	char buf[64] = {0};
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	return n > 12 && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0;
}

/* Is pid our dockerd? Root's (all four uids: a user cannot make one), and
 * started with our --pidfile: neither a user's process that took the pid
 * after a crash (whatever it calls itself) nor the user's own dockerd. */
static bool is_our_dockerd(long pid)
{
	char path[64], status[4096];
	struct cai_error ignored;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (cai_read_small_file(path, status, sizeof(status), &ignored) < 0)
		return false;
	const char *uid = strstr(status, "\nUid:");
	unsigned long r, e, ss, fs;
	if (!uid || sscanf(uid + 5, "%lu %lu %lu %lu", &r, &e, &ss, &fs) != 4 || r || e || ss || fs)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	char cmdline[8192];
	ssize_t n = cai_read_small_file(path, cmdline, sizeof(cmdline), &ignored);
	if (n <= 0)
		return false;
	/* NUL-separated: "--pidfile" then our path, or "--pidfile=PATH". */
	for (const char *a = cmdline, *prev = ""; a < cmdline + n; prev = a, a += strlen(a) + 1) {
		if (strcmp(a, "--pidfile=" CAI_ENGINE_PIDFILE) == 0 ||
		    (strcmp(prev, "--pidfile") == 0 && strcmp(a, CAI_ENGINE_PIDFILE) == 0))
			return true;
	}
	return false;
}

bool cai_engine_is_ours(pid_t pid)
{
	return is_our_dockerd(pid);
}

/* The pid in our pidfile, if that process is alive and is our dockerd. */
static pid_t engine_pid(void)
{
	pid_t pid = cai_read_pidfile(CAI_ENGINE_PIDFILE);
	/* Not ours: a stale pidfile, the pid now belongs to someone else. */
	return pid && is_our_dockerd(pid) ? pid : 0;
}

int cai_engine_get_status(struct cai_engine_status *st)
{
	memset(st, 0, sizeof(*st));
	st->manager = cai_engine_manager();
	st->pid = engine_pid();
	st->running = st->pid > 0;
	st->responding = cai_engine_ping(CAI_ENGINE_SOCKET);
	return 0;
}

static int systemctl(const char *verb, FILE *trace, struct cai_error *err)
{
	const char *argv[] = {"systemctl", verb, CAI_ENGINE_UNIT, NULL};
	struct cai_cmd cmd = {.argv = argv, .trace = trace};
	if (cai_cmd_run(&cmd, err) < 0)
		return -1;
	if (cmd.status != 0) {
		char line[512];
		cai_error_set(err, 0, "systemctl %s %s failed (exit %d): %s; see `journalctl -u %s`", verb,
			      CAI_ENGINE_UNIT, cmd.status, cai_last_line(cmd.errout, line, sizeof(line)),
			      CAI_ENGINE_UNIT);
		cai_cmd_free(&cmd);
		return -1;
	}
	cai_cmd_free(&cmd);
	return 0;
}

/* Runs in the forked child: become a session leader, log to the engine's
 * log file, exec dockerd. Exit status 126 reports a failure before exec. */
static CAI_NORETURN void standalone_child(const struct cai_engine_opts *o)
{
	const char *argv[16];
	cai_engine_dockerd_argv(o->daemon_json, argv);
	int log = open(CAI_ENGINE_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log < 0 || devnull < 0 || setsid() < 0 || dup2(devnull, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(126);
	/* dockerd lives on after us: it must not hold our caller's fds. */
	cai_close_fds_from(3);
	char *envp[] = {(char *)"PATH=" CAI_SAFE_PATH, NULL};
	execve(argv[0], (char *const *)argv, envp);
	dprintf(2, "cai: exec `%s`: %s\n", argv[0], strerror(errno));
	_exit(126);
}

static int wait_until_up(pid_t child, int timeout_s, struct cai_error *err)
{
	long long deadline = cai_mono_ms() + timeout_s * 1000L;
	while (cai_mono_ms() < deadline) {
		if (cai_engine_ping(CAI_ENGINE_SOCKET))
			return 0;
		int status;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			char tail[4096] = "", line[512];
			struct cai_error ignored;
			cai_read_small_file(CAI_ENGINE_LOG, tail, sizeof(tail), &ignored);
			return cai_error_set(
			    err, 0, "dockerd exited (status %d) before its socket answered: %s; full log in `%s`",
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			    cai_last_line(tail, line, sizeof(line)), CAI_ENGINE_LOG);
		}
		struct timespec ts = {.tv_nsec = 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return cai_error_set(err, 0, "dockerd did not answer on `%s` within %d s; see `%s`", CAI_ENGINE_SOCKET,
			     timeout_s, CAI_ENGINE_LOG);
}

int cai_engine_start(const struct cai_engine_opts *o, bool *started, struct cai_error *err)
{
	*started = false;
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	if (st.running && st.responding)
		return 0;
	if (access(o->daemon_json, R_OK) != 0)
		return cai_error_set(err, errno, "read the engine's configuration `%s` (run `cai setup` first)",
				     o->daemon_json);
	if (st.manager == CAI_ENGINE_SYSTEMD) {
		if (systemctl("start", o->trace, err) < 0)
			return -1;
		*started = true;
		return wait_until_up(0, o->start_timeout_s, err);
	}
	if (st.running)
		return cai_error_set(err, 0,
				     "dockerd (pid %d) owns `%s` but does not answer on `%s`; stop it with "
				     "`cai engine stop` and retry",
				     (int)st.pid, CAI_ENGINE_PIDFILE, CAI_ENGINE_SOCKET);
	/* Our pidfile naming a process that is not a dockerd is stale (a reboot
	 * or a crash reused the pid); dockerd would refuse to start over it. */
	if (unlink(CAI_ENGINE_PIDFILE) == 0 && o->trace)
		fprintf(o->trace, "+ rm %s (stale)\n", CAI_ENGINE_PIDFILE);
	bool created;
	if (cai_engine_prepare_network(o->trace, &created, err) < 0)
		return -1;
	if (cai_mkdir_parents(CAI_ENGINE_LOG_DIR, 0750, err) < 0)
		return -1;
	if (o->trace) {
		const char *argv[16];
		cai_engine_dockerd_argv(o->daemon_json, argv);
		cleanup_free char *s = cai_cmd_string(argv);
		fprintf(o->trace, "+ %s >>%s 2>&1 &\n", s, CAI_ENGINE_LOG);
	}
	pid_t pid = fork();
	if (pid < 0)
		return cai_error_set(err, errno, "start dockerd: fork");
	if (pid == 0)
		standalone_child(o);
	*started = true;
	if (wait_until_up(pid, o->start_timeout_s, err) < 0) {
		if (waitpid(pid, NULL, WNOHANG) == 0) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	return 0;
}

int cai_engine_stop(const struct cai_engine_opts *o, bool *stopped, struct cai_error *err)
{
	*stopped = false;
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	if (st.manager == CAI_ENGINE_SYSTEMD) {
		if (!st.running)
			return 0;
		if (systemctl("stop", o->trace, err) < 0)
			return -1;
		*stopped = true;
		return 0;
	}
	if (!st.running)
		return 0;
	if (o->trace)
		fprintf(o->trace, "+ kill -TERM %d\n", (int)st.pid);
	if (kill(st.pid, SIGTERM) != 0)
		return cai_error_set(err, errno, "stop dockerd (pid %d)", (int)st.pid);
	/* dockerd stops its containers first; give it the time it takes. */
	long long deadline = cai_mono_ms() + 60 * 1000L;
	while (cai_mono_ms() < deadline) {
		if (kill(st.pid, 0) != 0 && errno == ESRCH) {
			*stopped = true;
			return 0;
		}
		/* Reap it when it is our own child (same process started it). */
		waitpid(st.pid, NULL, WNOHANG);
		struct timespec ts = {.tv_nsec = 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return cai_error_set(err, 0, "dockerd (pid %d) did not stop within 60 s; see `%s`", (int)st.pid,
			     CAI_ENGINE_LOG);
}

int cai_engine_enable(bool enable, FILE *trace, struct cai_error *err)
{
	return systemctl(enable ? "enable" : "disable", trace, err);
}

int cai_engine_reload(const struct cai_engine_opts *o, struct cai_error *err)
{
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	if (!st.running)
		return cai_error_set(err, 0, "the Secure Engine is not running; start it with `cai engine start`");
	if (st.manager == CAI_ENGINE_SYSTEMD)
		return systemctl("reload", o->trace, err);
	if (o->trace)
		fprintf(o->trace, "+ kill -HUP %d\n", (int)st.pid);
	if (kill(st.pid, SIGHUP) != 0)
		return cai_error_set(err, errno, "reload dockerd (pid %d)", (int)st.pid);
	return 0;
}

int cai_engine_exec(const struct cai_engine_opts *o, struct cai_error *err)
{
	bool created;
	if (cai_engine_prepare_network(o->trace, &created, err) < 0)
		return -1;
	const char *argv[16];
	cai_engine_dockerd_argv(o->daemon_json, argv);
	/* Keep NOTIFY_SOCKET so dockerd can tell systemd it is ready. */
	const char *notify = getenv("NOTIFY_SOCKET");
	char notify_env[4096];
	char *envp[3] = {(char *)"PATH=" CAI_SAFE_PATH, NULL, NULL};
	if (notify) {
		snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", notify);
		envp[1] = notify_env;
	}
	execve(argv[0], (char *const *)argv, envp);
	return cai_error_set(err, errno, "exec `%s`", argv[0]);
}
