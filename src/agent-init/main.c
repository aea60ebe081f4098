/* cai-agent-init: the first process of an agent's container on the Secure
 * Engine (`cai run --image`). Static, so that it runs in any image.
 *
 *   cai-agent-init [--handoff SOCK] [--supervise] [--shim-glibc PATH]
 *                  [--shim-musl PATH] [--audit-socket PATH] -- CMD [ARG...]
 *   cai-agent-init --self-test
 *
 * --self-test is what `cai setup` runs in a container of each runtime to
 * verify it: it prints what the container offers (the exec listener, from a
 * forked child that exits right after) and exits 0.
 *
 * It preloads the shim that the image's loader can load, tries to create the
 * exec notification listener when asked (EBUSY under Sysbox, whose sysbox-fs
 * holds the one listener a filter chain may have, and on WSL2: then the shim
 * alone audits, quietly), hands the result to `cai run` on the host, waits
 * for its go, and runs CMD as PID 1 should (signals passed on, orphans
 * reaped, CMD's exit status returned). Every option is set by `cai run`;
 * the wire contract is src/lib/supervise/agent_handoff.h. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_handoff.h"
#include "cli_opts.h"
#include "exec_filter.h"
#include "fd_pass.h"
#include "loader.h"
#include "pid1.h"
#include "preload.h"

struct init_opts {
	const char *handoff;
	const char *shim_glibc;
	const char *shim_musl;
	const char *audit_socket;
	int supervise; /* only with handoff: nobody else would answer */
	int self_test;
	char **cmd;
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: cai-agent-init [--handoff SOCK] [--supervise] [--shim-glibc PATH] [--shim-musl PATH]\n"
		     "                      [--audit-socket PATH] -- CMD [ARG...]\n"
		     "       cai-agent-init --self-test\n"
		     "The first process of an agent container started by `cai run --image`; see cai(1).\n");
}

static int parse(int argc, char **argv, struct init_opts *o)
{
	enum { OPT_HANDOFF = 256, OPT_SUPERVISE, OPT_SHIM_GLIBC, OPT_SHIM_MUSL, OPT_SOCKET, OPT_SELF_TEST };
	static const struct option longopts[] = {
	    {"handoff", required_argument, NULL, OPT_HANDOFF},
	    {"supervise", no_argument, NULL, OPT_SUPERVISE},
	    {"shim-glibc", required_argument, NULL, OPT_SHIM_GLIBC},
	    {"shim-musl", required_argument, NULL, OPT_SHIM_MUSL},
	    {"audit-socket", required_argument, NULL, OPT_SOCKET},
	    {"self-test", no_argument, NULL, OPT_SELF_TEST},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	/* Nobody types it: a usage error shows the whole (short) usage. */
	struct cai_cli cli = {.prog = "cai-agent-init", .usage = usage, .usage_on_error = true};
	int c;
	while ((c = cai_cli_getopt(&cli, argc, argv, "+h", longopts)) > 0) {
		switch (c) {
		case OPT_HANDOFF:
			o->handoff = optarg;
			break;
		case OPT_SUPERVISE:
			o->supervise = 1;
			break;
		case OPT_SHIM_GLIBC:
			o->shim_glibc = optarg;
			break;
		case OPT_SHIM_MUSL:
			o->shim_musl = optarg;
			break;
		case OPT_SOCKET:
			o->audit_socket = optarg;
			break;
		case OPT_SELF_TEST:
			o->self_test = 1;
			return -1;
		}
	}
	if (cli.done)
		return cli.exit_code;
	if (optind >= argc || (o->supervise && !o->handoff))
		return cai_cli_usage_error(&cli);
	o->cmd = argv + optind;
	return -1;
}

/* Whether a process here may create the exec listener, asked in a child
 * that exits at once (the filter stays with it). */
static int self_test(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "cai-agent-init: fork: %s\n", strerror(errno));
		return CAI_INIT_FAILED;
	}
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			_exit(255);
		int fd = cai_exec_filter_install();
		_exit(fd >= 0 ? 0 : errno & 0xff);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int e = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	printf("cai-agent-init: container ok; exec listener: %s\n", e == 0		 ? "supported"
								    : e == 255		 ? "unknown"
								    : strerrorname_np(e) ? strerrorname_np(e)
											 : "error");
	return 0;
}

/* Tell the host what we found and wait for its word. Returns 0 on go. */
static int handoff(const char *path, const struct cai_handoff_hello *hello, int listener)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "cai-agent-init: handoff socket path too long\n");
		return -1;
	}
	strcpy(sun.sun_path, path);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "cai-agent-init: connect to `cai run` at `%s`: %s\n", path, strerror(errno));
		return -1;
	}
	char verdict = 0;
	if (cai_fd_send_msg(s, hello, sizeof(*hello), listener) < 0 || read(s, &verdict, 1) != 1) {
		fprintf(stderr, "cai-agent-init: `cai run` went away before it said go\n");
		close(s);
		return -1;
	}
	close(s);
	/* On a refusal `cai run` tells the user why. */
	return verdict == CAI_HANDOFF_GO ? 0 : -1;
}

int main(int argc, char **argv)
{
	/* As PID 1 of the container, a signal we have no handler for is
	 * discarded when sent, unless it is blocked: then it waits, and the
	 * agent gets it once it runs. A `docker stop` during the handoff is
	 * kept, not lost. */
	sigset_t all, agent_mask;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &agent_mask);
	struct init_opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.self_test)
		return self_test();
	/* The listener filter needs it, and nothing the agent runs may gain
	 * privileges (docker's no-new-privileges says the same). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fprintf(stderr, "cai-agent-init: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
		return CAI_INIT_FAILED;
	}
	struct cai_handoff_hello hello = {.magic = CAI_HANDOFF_MAGIC, .listener_errno = CAI_HANDOFF_NOT_ASKED};
	hello.loader = cai_image_loader();
	const char *shim = hello.loader == CAI_LOADER_GLIBC  ? o.shim_glibc
			   : hello.loader == CAI_LOADER_MUSL ? o.shim_musl
							     : NULL;
	hello.shim_preloaded = cai_preload_shim(shim, o.audit_socket);

	int listener = -1;
	if (o.supervise) {
		listener = cai_exec_filter_install();
		hello.listener_errno = listener < 0 ? errno : 0;
	}
	if (o.handoff) {
		rc = handoff(o.handoff, &hello, listener);
		if (listener >= 0)
			close(listener);
		if (rc < 0)
			return CAI_INIT_FAILED;
	}
	return cai_pid1_run(o.cmd, &agent_mask);
}
