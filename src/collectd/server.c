/* Invariants:
 * - Every message MUST be attributed from what the kernel says
 *   (SCM_CREDENTIALS per message, SO_PEERCRED as fallback), never from what
 *   the message claims; the claim is kept beside it for comparison.
 * - A malformed message MUST be counted and logged as rejected (reason
 *   and size, never its content) and MUST NOT stop the loop.
 * - On SIGTERM, everything the kernel already accepted on any connection
 *   (including ones not yet accepted) MUST reach the log before exit. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <libgen.h>

#include "audit_event.h"
#include "probe_json.h"

#define SD_LISTEN_FDS_START 3
#define BATCH 256

static int from_systemd(struct cai_error *err)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (!pid || !fds || strtol(pid, NULL, 10) != getpid())
		return -1;
	if (strtol(fds, NULL, 10) != 1) {
		cai_error_set(err, 0, "expected exactly one socket from systemd, got LISTEN_FDS=%s", fds);
		return -2;
	}
	int fd = SD_LISTEN_FDS_START, type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
		cai_error_set(err, 0, "the socket from systemd is not a SOCK_SEQPACKET socket (ListenSequentialPacket=)");
		return -2;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

int server_listen(struct server *srv, const char *path, struct cai_error *err)
{
	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = srv->epoll_fd = srv->signal_fd = -1;
	srv->socket_path = path;
	int fd = from_systemd(err);
	if (fd == -2)
		return -1;
	if (fd >= 0) {
		srv->activated = true;
	} else {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		if (strlen(path) >= sizeof(sun.sun_path))
			return cai_error_set(err, ENAMETOOLONG, "socket path `%s`", path);
		strcpy(sun.sun_path, path);
		cleanup_free char *dir_copy = xstrdup(path);
		const char *dir = dirname(dir_copy);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return cai_error_set(err, errno, "create socket directory `%s`", dir);
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return cai_error_set(err, errno, "create socket");
		/* A stale socket from a dead collector is replaced; a live
		 * collector is not. */
		struct stat st;
		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				close(fd);
				return cai_error_set(err, EEXIST, "`%s` exists and is not a socket", path);
			}
			int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			bool alive = probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0;
			if (probe >= 0)
				close(probe);
			if (alive) {
				close(fd);
				return cai_error_set(err, EADDRINUSE, "another collector listens on `%s`", path);
			}
			unlink(path);
		}
		mode_t old = umask(0);
		int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		umask(old);
		if (rc < 0 || chmod(path, 0666) < 0) {
			int e = errno;
			close(fd);
			return cai_error_set(err, e, "bind `%s`", path);
		}
		if (listen(fd, SOMAXCONN) < 0) {
			int e = errno;
			close(fd);
			return cai_error_set(err, e, "listen on `%s`", path);
		}
	}
	int one = 1;
	/* Set before any connection exists: the kernel then attaches the
	 * sender's credentials to every message, even before accept(). */
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	srv->listen_fd = fd;
	return 0;
}

static void add_line(struct server *srv, jv rec)
{
	jv s = jv_dump_string(rec, 0); /* consumes rec */
	const char *text = jv_string_value(s);
	logsink_add(srv->log, text, strlen(text));
	jv_free(s);
}

static void handle_message(struct server *srv, const char *buf, size_t len, bool trunc, const struct ucred *cred)
{
	struct cai_error err = {0};
	srv->stats.received++;
	jv ev = trunc ? (cai_error_set(&err, 0, "message too large"), jv_invalid())
		      : cai_audit_event_parse(buf, len, &err);
	if (!jv_is_valid(ev)) {
		jv_free(ev);
		srv->stats.rejected++;
		add_line(srv, cai_audit_rejected_record(err.msg, len, cred->pid, cred->uid, cred->gid));
		return;
	}
	jv_free(ev);
	/* The checked bytes go to the log as they came, with the stamp: no
	 * second serialization, and nothing jq would rewrite. */
	char line[CAI_AUDIT_EVENT_MAX + 128];
	size_t n = cai_audit_event_line(line, sizeof(line), buf, len, cred->pid, cred->uid, cred->gid);
	if (n == 0) {
		srv->stats.rejected++;
		add_line(srv, cai_audit_rejected_record("cannot stamp", len, cred->pid, cred->uid, cred->gid));
		return;
	}
	logsink_add(srv->log, line, n);
	srv->stats.written++;
}

/* Read up to max messages from one connection; returns -1 when the peer is
 * gone (the caller closes it), 0 otherwise. */
static int drain_client(struct server *srv, int fd, int max)
{
	static char buf[CAI_AUDIT_EVENT_MAX + 1];
	for (int i = 0; max < 0 || i < max; i++) {
		union {
			char raw[CMSG_SPACE(sizeof(struct ucred))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.raw,
				     .msg_controllen = sizeof(ctl.raw)};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		if (n == 0)
			return -1;
		struct ucred cred = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
		bool have = false;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(cred))) {
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
				have = true;
			}
		}
		if (!have) {
			socklen_t cl = sizeof(cred);
			getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
		}
		handle_message(srv, buf, (size_t)n, (msg.msg_flags & MSG_TRUNC) || (size_t)n > CAI_AUDIT_EVENT_MAX,
			       &cred);
	}
	return 0;
}

static int accept_clients(struct server *srv, struct cai_error *err)
{
	for (;;) {
		int c = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ECONNABORTED)
				return 0;
			if (errno == EMFILE || errno == ENFILE) {
				cai_warn("accept: %s (connections wait in the backlog)", strerror(errno));
				return 0;
			}
			return cai_error_set(err, errno, "accept on `%s`", srv->socket_path);
		}
		int one = 1;
		setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
		if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, c, &ev) < 0) {
			int e = errno;
			close(c);
			return cai_error_set(err, e, "epoll_ctl");
		}
		srv->stats.clients++;
	}
}

static void close_client(struct server *srv, int fd)
{
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report_log_error(const struct cai_error *e)
{
	/* Events stay queued; say so once per failure, not per event. */
	cai_warn("%s", e->msg);
}

/* Read everything still queued on every connection, then flush. */
static void drain_all(struct server *srv)
{
	struct cai_error err = {0};
	/* Stop taking connections, but take the ones already queued: their
	 * senders believe their events were delivered. */
	accept_clients(srv, &err);
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
	close(srv->listen_fd);
	srv->listen_fd = -1;
	if (!srv->activated && srv->socket_path)
		unlink(srv->socket_path);
	struct epoll_event evs[BATCH];
	for (;;) {
		int n = epoll_wait(srv->epoll_fd, evs, BATCH, 0);
		if (n < 0 && errno == EINTR)
			continue;
		bool any = false;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == srv->listen_fd || fd == srv->signal_fd)
				continue;
			any = true;
			drain_client(srv, fd, -1);
			close_client(srv, fd);
		}
		if (!any)
			break;
	}
	if (logsink_flush(srv->log, &err) < 0 || logsink_sync(srv->log, &err) < 0)
		report_log_error(&err);
}

int server_run(struct server *srv, struct cai_error *err)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return cai_error_set(err, errno, "block signals");
	signal(SIGPIPE, SIG_IGN);
	srv->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->signal_fd < 0 || srv->epoll_fd < 0)
		return cai_error_set(err, errno, "set up the event loop");
	struct epoll_event lev = {.events = EPOLLIN, .data.fd = srv->listen_fd};
	struct epoll_event sev = {.events = EPOLLIN, .data.fd = srv->signal_fd};
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->listen_fd, &lev) < 0 ||
	    epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->signal_fd, &sev) < 0)
		return cai_error_set(err, errno, "epoll_ctl");

	long long last_sync = mono_ms();
	struct epoll_event evs[BATCH];
	for (;;) {
		int n = epoll_wait(srv->epoll_fd, evs, BATCH, 1000);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cai_error_set(err, errno, "epoll_wait");
		}
		bool stop = false, reopen = false;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == srv->listen_fd) {
				if (accept_clients(srv, err) < 0)
					return -1;
			} else if (fd == srv->signal_fd) {
				struct signalfd_siginfo si;
				while (read(srv->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reopen = true;
					else
						stop = true;
				}
			} else if (drain_client(srv, fd, 64) < 0) {
				/* Read what is left before closing: a peer that sent
				 * and exited must not lose its last events. */
				drain_client(srv, fd, -1);
				close_client(srv, fd);
			}
		}
		struct cai_error lerr = {0};
		if (logsink_flush(srv->log, &lerr) < 0)
			report_log_error(&lerr);
		long long now = mono_ms();
		if (now - last_sync >= 1000) {
			if (logsink_sync(srv->log, &lerr) < 0)
				report_log_error(&lerr);
			last_sync = now;
		}
		if (reopen && logsink_reopen(srv->log, &lerr) < 0)
			report_log_error(&lerr);
		if (stop) {
			drain_all(srv);
			return 0;
		}
	}
}

void server_close(struct server *srv)
{
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		if (!srv->activated && srv->socket_path)
			unlink(srv->socket_path);
	}
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
	if (srv->signal_fd >= 0)
		close(srv->signal_fd);
	srv->listen_fd = srv->epoll_fd = srv->signal_fd = -1;
}
