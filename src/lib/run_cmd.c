#include "run_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#define OUTPUT_CAP (64 * 1024)

char *cai_cmd_string(const char *const *argv)
{
	size_t len = 1;
	for (const char *const *a = argv; *a; a++)
		len += strlen(*a) + 3;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (const char *const *a = argv; *a; a++) {
		if (a != argv)
			strcat(s, " ");
		bool quote = **a == '\0' || strpbrk(*a, " \t'\"$") != NULL;
		if (quote)
			strcat(s, "'");
		strcat(s, *a);
		if (quote)
			strcat(s, "'");
	}
	return s;
}

const char *cai_last_line(const char *s, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (!s)
		return buf;
	const char *end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > s && start[-1] != '\n')
		start--;
	size_t n = (size_t)(end - start);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return buf;
}

/* The child's whole environment: a fixed PATH, HOME, DOCKER_CONFIG, and
 * nothing inherited, so DOCKER_HOST, DOCKER_CONTEXT or a hostile PATH in the
 * caller's environment cannot redirect what we run or where it connects. */
static void child_environment(const struct cai_cmd *cmd, char **envp, char *home_buf, size_t home_cap, char *dc_buf,
			      size_t dc_cap)
{
	size_t n = 0;
	envp[n++] = (char *)"PATH=" CAI_SAFE_PATH;
	envp[n++] = (char *)"LC_ALL=C";
	const char *home = cmd->home ? cmd->home : getenv("HOME");
	if (home) {
		snprintf(home_buf, home_cap, "HOME=%s", home);
		envp[n++] = home_buf;
	}
	if (cmd->docker_config) {
		snprintf(dc_buf, dc_cap, "DOCKER_CONFIG=%s", cmd->docker_config);
		envp[n++] = dc_buf;
	}
	envp[n] = NULL;
}

/* Runs in the forked child only: report failures through errfd and _exit. */
static CAI_NORETURN void child_exec(const struct cai_cmd *cmd, int outfd, int errfd, char **envp)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(outfd, STDOUT_FILENO) < 0 ||
	    dup2(errfd, STDERR_FILENO) < 0)
		_exit(126);
	cai_close_fds_from(3);
	if (cmd->as_user) {
		/* Privilege drop: the docker CLI then writes the user's own
		 * ~/.docker with the user's ownership, and cannot read or write
		 * anything the user could not. Groups first, then gid, then
		 * uid; then prove that root cannot be regained. */
		if (initgroups(cmd->user_name, cmd->gid) != 0 || setgid(cmd->gid) != 0 || setuid(cmd->uid) != 0)
			_exit(126);
		if (cmd->uid != 0 && (setuid(0) == 0 || getuid() != cmd->uid || geteuid() != cmd->uid))
			_exit(126);
	}
	signal(SIGPIPE, SIG_DFL);
	if (strchr(cmd->argv[0], '/')) {
		execve(cmd->argv[0], (char *const *)cmd->argv, envp);
	} else {
		/* Search our fixed PATH, never the caller's. */
		char path[4096];
		for (const char *dir = CAI_SAFE_PATH; *dir;) {
			size_t n = strcspn(dir, ":");
			snprintf(path, sizeof(path), "%.*s/%s", (int)n, dir, cmd->argv[0]);
			execve(path, (char *const *)cmd->argv, envp);
			dir += n + (dir[n] == ':');
		}
		errno = ENOENT;
	}
	dprintf(STDERR_FILENO, "exec `%s`: %s\n", cmd->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static void read_both(int outfd, int errfd, char *out, char *errout)
{
	size_t lens[2] = {0, 0};
	char *bufs[2] = {out, errout};
	struct pollfd p[2] = {{.fd = outfd, .events = POLLIN}, {.fd = errfd, .events = POLLIN}};
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char chunk[4096];
			ssize_t n = read(p[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			size_t room = OUTPUT_CAP - 1 - lens[i];
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(bufs[i] + lens[i], chunk, take);
			lens[i] += take;
		}
	}
	out[lens[0]] = '\0';
	errout[lens[1]] = '\0';
}

int cai_cmd_run(struct cai_cmd *cmd, struct cai_error *err)
{
	FILE *trace = cmd->trace;
	if (trace) {
		cleanup_free char *s = cai_cmd_string(cmd->argv);
		if (cmd->as_user)
			fprintf(trace, "+ [as %s] %s\n", cmd->user_name, s);
		else
			fprintf(trace, "+ %s\n", s);
	}
	int outp[2], errp[2];
	if (pipe2(outp, O_CLOEXEC) != 0)
		return cai_error_set(err, errno, "run `%s`: pipe", cmd->argv[0]);
	if (pipe2(errp, O_CLOEXEC) != 0) {
		int saved = errno;
		close(outp[0]);
		close(outp[1]);
		return cai_error_set(err, saved, "run `%s`: pipe", cmd->argv[0]);
	}
	char home_buf[4096 + 8], dc_buf[4096 + 16];
	char *envp[8];
	child_environment(cmd, envp, home_buf, sizeof(home_buf), dc_buf, sizeof(dc_buf));

	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(outp[0]);
		close(outp[1]);
		close(errp[0]);
		close(errp[1]);
		return cai_error_set(err, saved, "run `%s`: fork", cmd->argv[0]);
	}
	if (pid == 0)
		child_exec(cmd, outp[1], errp[1], envp);
	close(outp[1]);
	close(errp[1]);
	free(cmd->out);
	free(cmd->errout);
	cmd->out = xmalloc(OUTPUT_CAP);
	cmd->errout = xmalloc(OUTPUT_CAP);
	read_both(outp[0], errp[0], cmd->out, cmd->errout);
	close(outp[0]);
	close(errp[0]);

	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cai_error_set(err, errno, "run `%s`: waitpid", cmd->argv[0]);
	cmd->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (cmd->status == 127 && strstr(cmd->errout, "exec `"))
		return cai_error_set(err, ENOENT, "run `%s`", cmd->argv[0]);
	if (cmd->status == 126 && cmd->as_user && !cmd->errout[0])
		return cai_error_set(err, EPERM, "run `%s` as user `%s`: could not drop privileges", cmd->argv[0],
				     cmd->user_name);
	return 0;
}

void cai_cmd_free(struct cai_cmd *cmd)
{
	free(cmd->out);
	free(cmd->errout);
	cmd->out = cmd->errout = NULL;
}
