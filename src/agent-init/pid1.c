#include "pid1.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void start_agent(char **cmd, const sigset_t *old_mask) __attribute__((noreturn));

/* CMD's path, searched in PATH as execvp would, but found before the one
 * exec: a supervised agent's log then holds its exec, not one failed attempt
 * per PATH entry. */
static const char *find_command(const char *name, char *buf, size_t cap)
{
	if (strchr(name, '/'))
		return name;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		struct stat st;
		if (snprintf(buf, cap, "%.*s%s%s", (int)n, n ? path : ".", "/", name) < (int)cap &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return buf;
		path += n + (path[n] == ':');
	}
	errno = ENOENT;
	return NULL;
}

/* In the child: its own process group, the terminal if there is one, default
 * signal handling, then the agent. Reports on stderr (nobody else can) and
 * exits 126/127 as env(1) does. */
static void start_agent(char **cmd, const sigset_t *old_mask)
{
	setpgid(0, 0);
	/* Blocked SIGTTOU lets a background group take the terminal. */
	if (isatty(STDIN_FILENO))
		tcsetpgrp(STDIN_FILENO, getpgrp());
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	char buf[4096];
	const char *file = find_command(cmd[0], buf, sizeof(buf));
	if (file)
		execv(file, cmd);
	int e = errno;
	fprintf(stderr, "cai-agent-init: run `%s`: %s\n", cmd[0], strerror(e));
	_exit(e == ENOENT ? CAI_INIT_NOT_FOUND : CAI_INIT_CANNOT_EXEC);
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cai_pid1_run(char **cmd, const sigset_t *agent_mask)
{
	/* Outside a PID namespace of our own, orphans would go elsewhere. */
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pid_t agent = fork();
	if (agent < 0) {
		fprintf(stderr, "cai-agent-init: fork: %s\n", strerror(errno));
		return CAI_INIT_FAILED;
	}
	if (agent == 0)
		start_agent(cmd, agent_mask);
	setpgid(agent, agent); /* also here: no window where a signal misses the group */

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(agent, sig);
			continue;
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == agent)
				return exit_code(status);
	}
}
