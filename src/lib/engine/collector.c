#include "collector.h"

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
#include "util.h"

static int systemctl(const char *const *argv, FILE *trace, struct cai_error *err)
{
	struct cai_cmd cmd = {.argv = argv, .trace = trace};
	if (cai_cmd_run(&cmd, err) < 0)
		return -1;
	if (cmd.status != 0) {
		char line[512];
		cleanup_free char *s = cai_cmd_string(argv);
		cai_error_set(err, 0, "`%s` failed (exit %d): %s; see `journalctl -u %s`", s, cmd.status,
			      cai_last_line(cmd.errout, line, sizeof(line)), CAI_COLLECTOR_SERVICE_UNIT);
		cai_cmd_free(&cmd);
		return -1;
	}
	cai_cmd_free(&cmd);
	return 0;
}

/* One line of `systemctl show -p PROP --value UNIT`, "" when unknown. */
static void systemctl_show(const char *unit, const char *prop, char *buf, size_t cap)
{
	const char *argv[] = {"systemctl", "show", "-p", prop, "--value", unit, NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error ignored;
	buf[0] = '\0';
	if (cai_cmd_run(&cmd, &ignored) == 0 && cmd.status == 0)
		snprintf(buf, cap, "%.*s", (int)strcspn(cmd.out, "\n"), cmd.out);
	cai_cmd_free(&cmd);
}

static bool socket_accepts(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cleanup_close int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/* Is pid a cai-auditd of root's? (A stale pidfile may name anything.) */
static bool is_collector(pid_t pid)
{
	char path[64], buf[4096];
	struct cai_error ignored;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (cai_read_small_file_trim(path, buf, sizeof(buf), &ignored) < 0 || strcmp(buf, "cai-auditd") != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (cai_read_small_file(path, buf, sizeof(buf), &ignored) < 0)
		return false;
	const char *uid = strstr(buf, "\nUid:");
	unsigned long r, e, s, f;
	return uid && sscanf(uid + 5, "%lu %lu %lu %lu", &r, &e, &s, &f) == 4 && !r && !e && !s && !f;
}

static pid_t standalone_pid(void)
{
	pid_t pid = cai_read_pidfile(CAI_COLLECTOR_PIDFILE);
	return pid && is_collector(pid) ? pid : 0;
}

static pid_t systemd_pid(void)
{
	char buf[32];
	systemctl_show(CAI_COLLECTOR_SERVICE_UNIT, "MainPID", buf, sizeof(buf));
	long pid = strtol(buf, NULL, 10);
	return pid > 1 && pid <= INT32_MAX ? (pid_t)pid : 0;
}

/* The process's start as "YYYY-MM-DDTHH:MM:SS" UTC, the log's ts prefix. */
static void start_time(pid_t pid, char out[32])
{
	char path[64], buf[4096];
	struct cai_error ignored;
	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (cai_read_small_file(path, buf, sizeof(buf), &ignored) < 0)
		return;
	/* Field 22 counts clock ticks since boot; fields after comm's ')'. */
	const char *p = strrchr(buf, ')');
	unsigned long long ticks = 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return;
	if (cai_read_small_file("/proc/stat", buf, sizeof(buf), &ignored) < 0)
		return;
	const char *bt = strstr(buf, "\nbtime ");
	long long btime;
	long hz = sysconf(_SC_CLK_TCK);
	if (!bt || sscanf(bt + 7, "%lld", &btime) != 1 || hz <= 0)
		return;
	time_t t = (time_t)(btime + (long long)(ticks / (unsigned long long)hz));
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void check_log(struct cai_collector_status *st)
{
	struct stat sb;
	st->log_writable = false;
	if (lstat(CAI_COLLECTOR_LOG, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			snprintf(st->log_error, sizeof(st->log_error), "`%s` is not a regular file", CAI_COLLECTOR_LOG);
		else if (access(CAI_COLLECTOR_LOG, W_OK) != 0)
			snprintf(st->log_error, sizeof(st->log_error), "`%s`: %s", CAI_COLLECTOR_LOG, strerror(errno));
		else
			st->log_writable = true;
		return;
	}
	if (errno != ENOENT) {
		snprintf(st->log_error, sizeof(st->log_error), "`%s`: %s", CAI_COLLECTOR_LOG, strerror(errno));
		return;
	}
	/* Not written yet: the collector creates it in its directory. */
	if (lstat(CAI_ENGINE_LOG_DIR, &sb) == 0 && (!S_ISDIR(sb.st_mode) || access(CAI_ENGINE_LOG_DIR, W_OK) != 0))
		snprintf(st->log_error, sizeof(st->log_error), "`%s` is not a writable directory", CAI_ENGINE_LOG_DIR);
	else
		st->log_writable = true;
}

/* One log record since the collector started: count what it says was lost. */
static void count_record(struct cai_collector_status *st, const char *line, size_t len)
{
	const char *ts = memmem(line, len, "\"ts\":\"", 6);
	size_t since_len = strlen(st->since);
	if (!ts || (size_t)(line + len - (ts + 6)) < since_len || strncmp(ts + 6, st->since, since_len) < 0)
		return;
	jv rec = jv_parse_sized(line, (int)len);
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		return;
	}
	if (jv_object_has(jv_copy(rec), jv_string("rejected")))
		st->rejected++;
	jv d = jv_object_get(rec, jv_string("dropped")); /* consumes rec */
	if (jv_get_kind(d) == JV_KIND_NUMBER && jv_number_value(d) > 0)
		st->dropped += (long)jv_number_value(d);
	jv_free(d);
}

/* The last CAI_COLLECTOR_SCAN_BYTES of the log, line by line. */
static void count_losses(struct cai_collector_status *st)
{
	if (!st->since[0])
		return;
	cleanup_close int fd = open(CAI_COLLECTOR_LOG, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
		return;
	off_t from = sb.st_size > CAI_COLLECTOR_SCAN_BYTES ? sb.st_size - CAI_COLLECTOR_SCAN_BYTES : 0;
	size_t n = (size_t)(sb.st_size - from);
	cleanup_free char *buf = xmalloc(n + 1);
	ssize_t got = pread(fd, buf, n, from);
	if (got <= 0)
		return;
	char *p = buf, *end = buf + got;
	if (from > 0) { /* the first line is cut: skip it */
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			return;
		p++;
	}
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break; /* a line being written */
		count_record(st, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

void cai_collector_get_status(struct cai_collector_status *st)
{
	memset(st, 0, sizeof(*st));
	st->manager = cai_engine_manager();
	struct stat sb;
	st->socket_present = lstat(CAI_COLLECTOR_SOCKET, &sb) == 0 && S_ISSOCK(sb.st_mode);
	st->accepting = st->socket_present && socket_accepts(CAI_COLLECTOR_SOCKET);
	if (st->manager == CAI_ENGINE_SYSTEMD) {
		char state[64];
		systemctl_show(CAI_COLLECTOR_SOCKET_UNIT, "UnitFileState", state, sizeof(state));
		st->enabled = strcmp(state, "enabled") == 0;
		st->pid = systemd_pid();
	} else {
		st->pid = standalone_pid();
	}
	if (st->pid)
		start_time(st->pid, st->since);
	check_log(st);
	count_losses(st);
}

const char *cai_collector_fix_command(enum cai_engine_manager m)
{
	return m == CAI_ENGINE_SYSTEMD ? "systemctl enable --now " CAI_COLLECTOR_SOCKET_UNIT : "cai engine start";
}

/* Runs in the forked child: a session of its own, stderr to its log, exec. */
static CAI_NORETURN void collector_child(void)
{
	int log = open(CAI_COLLECTOR_STDERR_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (log < 0 || devnull < 0 || setsid() < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(log, 2) < 0)
		_exit(126);
	/* It outlives us: it must not hold our caller's fds (debconf's pipe). */
	cai_close_fds_from(3);
	const char *argv[] = {CAI_AUDITD_PATH, "--socket", CAI_COLLECTOR_SOCKET, "--log", CAI_COLLECTOR_LOG, NULL};
	char *envp[] = {(char *)"PATH=" CAI_SAFE_PATH, NULL};
	execve(argv[0], (char *const *)argv, envp);
	dprintf(2, "cai: exec `%s`: %s\n", argv[0], strerror(errno));
	_exit(126);
}

static int write_pidfile(pid_t pid, struct cai_error *err)
{
	char text[32];
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	/* /run/containai is root's (0755): a stale pidfile is ours to replace. */
	if (unlink(CAI_COLLECTOR_PIDFILE) < 0 && errno != ENOENT)
		return cai_error_set(err, errno, "remove the stale `%s`", CAI_COLLECTOR_PIDFILE);
	return cai_write_new_file(CAI_COLLECTOR_PIDFILE, text, strlen(text), 0644, err);
}

static int start_standalone(FILE *trace, struct cai_error *err)
{
	if (access(CAI_AUDITD_PATH, X_OK) != 0)
		return cai_error_set(err, errno, "run the audit collector `%s`", CAI_AUDITD_PATH);
	if (cai_mkdir_parents(CAI_ENGINE_LOG_DIR, 0750, err) < 0 || cai_mkdir_parents("/run/containai", 0755, err) < 0)
		return -1;
	if (trace)
		fprintf(trace, "+ %s --socket %s --log %s 2>>%s &\n", CAI_AUDITD_PATH, CAI_COLLECTOR_SOCKET,
			CAI_COLLECTOR_LOG, CAI_COLLECTOR_STDERR_LOG);
	pid_t pid = fork();
	if (pid < 0)
		return cai_error_set(err, errno, "start the audit collector: fork");
	if (pid == 0)
		collector_child();
	long long deadline = cai_mono_ms() + 10 * 1000L;
	while (cai_mono_ms() < deadline) {
		if (socket_accepts(CAI_COLLECTOR_SOCKET))
			return write_pidfile(pid, err);
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char tail[4096] = "", line[512];
			struct cai_error ignored;
			cai_read_small_file(CAI_COLLECTOR_STDERR_LOG, tail, sizeof(tail), &ignored);
			return cai_error_set(err, 0,
					     "the audit collector exited (status %d) before its socket accepted: %s",
					     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
					     cai_last_line(tail, line, sizeof(line)));
		}
		cai_sleep_ms(50);
	}
	kill(pid, SIGTERM);
	return cai_error_set(err, 0, "the audit collector did not accept on `%s` within 10 s; see `%s`",
			     CAI_COLLECTOR_SOCKET, CAI_COLLECTOR_STDERR_LOG);
}

int cai_collector_start(FILE *trace, bool *started, struct cai_error *err)
{
	*started = false;
	if (socket_accepts(CAI_COLLECTOR_SOCKET))
		return 0;
	if (cai_engine_manager() == CAI_ENGINE_SYSTEMD) {
		const char *argv[] = {"systemctl", "start", CAI_COLLECTOR_SOCKET_UNIT, NULL};
		if (systemctl(argv, trace, err) < 0)
			return -1;
	} else if (start_standalone(trace, err) < 0) {
		return -1;
	}
	*started = true;
	return 0;
}

static int stop_standalone(pid_t pid, FILE *trace, struct cai_error *err)
{
	if (trace)
		fprintf(trace, "+ kill -TERM %d\n", (int)pid);
	if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
		return cai_error_set(err, errno, "stop the audit collector (pid %d)", (int)pid);
	/* SIGTERM drains every connection first. */
	long long deadline = cai_mono_ms() + 30 * 1000L;
	while (cai_mono_ms() < deadline) {
		waitpid(pid, NULL, WNOHANG);
		if (kill(pid, 0) != 0 && errno == ESRCH) {
			unlink(CAI_COLLECTOR_PIDFILE);
			return 0;
		}
		cai_sleep_ms(50);
	}
	return cai_error_set(err, 0, "the audit collector (pid %d) did not stop within 30 s", (int)pid);
}

int cai_collector_stop(FILE *trace, bool *stopped, struct cai_error *err)
{
	*stopped = false;
	if (cai_engine_manager() == CAI_ENGINE_SYSTEMD) {
		char active[32], sactive[32];
		systemctl_show(CAI_COLLECTOR_SOCKET_UNIT, "ActiveState", sactive, sizeof(sactive));
		systemctl_show(CAI_COLLECTOR_SERVICE_UNIT, "ActiveState", active, sizeof(active));
		if (strcmp(sactive, "active") != 0 && strcmp(active, "active") != 0)
			return 0;
		const char *argv[] = {"systemctl", "stop", CAI_COLLECTOR_SOCKET_UNIT, CAI_COLLECTOR_SERVICE_UNIT, NULL};
		if (systemctl(argv, trace, err) < 0)
			return -1;
		*stopped = true;
		return 0;
	}
	pid_t pid = standalone_pid();
	if (!pid)
		return 0;
	if (stop_standalone(pid, trace, err) < 0)
		return -1;
	*stopped = true;
	return 0;
}

int cai_collector_enable(bool enable, FILE *trace, struct cai_error *err)
{
	const char *argv[] = {"systemctl", enable ? "enable" : "disable", "--quiet", CAI_COLLECTOR_SOCKET_UNIT, NULL};
	return systemctl(argv, trace, err);
}
