/* Invariants:
 * - Every message MUST be attributed from what the kernel says
 *   (SCM_CREDENTIALS per message, SO_PEERCRED as fallback), never from what
 *   the message claims; the claim is kept beside it for comparison.
 * - The container of a connection MUST be taken once, at accept, from the
 *   kernel (peer.c), and stamped on every record of that connection,
 *   rejections included. A sender MUST NOT write "container" itself
 *   unless it is root on the host (the exec supervisor reporting on a
 *   container); anyone else's claim is a rejection.
 * - A connection accepted on a container's own socket (handed over by
 *   `cai run --image`, root on the host, for one container whose only way
 *   to us it is) MUST be attributed to that container, whatever became of
 *   its process: the socket it came through is the kernel's fact. Such a
 *   socket MUST be closed when the connection that handed it over closes.
 * - A malformed message MUST be counted and logged as rejected (reason
 *   and size, never its content) and MUST NOT stop the loop.
 * - On SIGTERM, everything the kernel already accepted on any connection
 *   (including ones not yet accepted) MUST reach the log before exit.
 * - Nothing a peer controls MAY make the loop block. Every fd received
 *   MUST be let go through discard_fds (discard.c), never close(): the
 *   last close of a peer's lingering TCP socket, FUSE file or unix socket
 *   full of those waits as long as the peer likes. The control buffer
 *   MUST hold every fd the kernel can pass in one message, because the
 *   ones it cannot deliver it closes in our task. A connection MUST be
 *   shut down and its queue emptied the same way before it is closed,
 *   for its unread messages may carry fds too. */
#include "server_internal.h"

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
#include "audit_record.h"
#include "discard.h"
#include "engine_paths.h"
#include "probe_json.h"

#define SD_LISTEN_FDS_START 3
/* The kernel's SCM_MAX_FD: the most fds one message can carry. */
#define MAX_FDS_PER_MESSAGE 253
/* More empty messages than fit in a peer's send buffer (wmem_max). */
#define PURGE_EMPTY_MAX 1024
/* Containers' own sockets at once. */
#define MAX_CONTAINER_LISTENERS 1024
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
		cai_error_set(err, 0,
			      "the socket from systemd is not a SOCK_SEQPACKET socket (ListenSequentialPacket=)");
		return -2;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

/* Listen on path, which appears only once it takes connections: the
 * socket is bound to a name of its own in the same directory, set up
 * (SO_PASSCRED before any connection exists, so that the kernel attaches
 * the sender's credentials to every message, even before accept), then
 * renamed over path, replacing a stale socket at once. A client never
 * finds a socket there that refuses it. */
static int listen_at(int fd, const char *path, struct cai_error *err)
{
	struct sockaddr_un tmp = {.sun_family = AF_UNIX};
	int n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp.sun_path))
		return cai_error_set(err, ENAMETOOLONG, "socket path `%s` (with .PID)", path);
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return cai_error_set(err, errno, "SO_PASSCRED on `%s`", path);
	unlink(tmp.sun_path);
	/* Mode 0666 from the bind itself: no chmod of a name that someone
	 * could swap for a symlink in between. */
	mode_t old = umask(0111);
	int rc = bind(fd, (struct sockaddr *)&tmp, sizeof(tmp));
	umask(old);
	if (rc < 0)
		return cai_error_set(err, errno, "bind `%s`", tmp.sun_path);
	if (listen(fd, SOMAXCONN) < 0 || rename(tmp.sun_path, path) < 0) {
		int e = errno;
		unlink(tmp.sun_path);
		return cai_error_set(err, e, "listen on `%s`", path);
	}
	return 0;
}

int server_listen(struct server *srv, const char *path, struct cai_error *err)
{
	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = srv->epoll_fd = srv->signal_fd = -1;
	srv->peers.data_root = CAI_ENGINE_DATA_ROOT;
	quota_init(&srv->quota, QUOTA_DEFAULT_PER_USER);
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->socket_path = path;
	int fd = from_systemd(err);
	if (fd == -2)
		return -1;
	if (fd >= 0) {
		srv->activated = true;
		int one = 1; /* what listen_at sets, should systemd not have */
		setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
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
		}
		if (listen_at(fd, path, err) < 0) {
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	srv->listen_fd = fd;
	return 0;
}

struct client *client_of(struct server *srv, int fd)
{
	if (fd >= srv->nclients) {
		int n = srv->nclients ? srv->nclients : 64;
		while (n <= fd)
			n *= 2;
		srv->clients = xrealloc(srv->clients, (size_t)n * sizeof(*srv->clients));
		memset(srv->clients + srv->nclients, 0, (size_t)(n - srv->nclients) * sizeof(*srv->clients));
		srv->nclients = n;
	}
	return &srv->clients[fd];
}

static bool register_listener(struct server *srv, int fd, int *lfd, int nfds, const struct cai_container *c, size_t len,
			      const struct ucred *cred);

/* One message: an event, a kick, a ring registration or a container's
 * socket (the only kinds that may carry fds; every fd received is let go
 * here). Returns -1 when the connection must be closed. */
static int handle_any(struct server *srv, int fd, const char *buf, size_t len, bool trunc, const struct ucred *cred,
		      int *fds, int nfds)
{
	enum cai_wire_kind kind = trunc ? 0 : cai_wire_kind_of(buf, len);
	struct client *cl = client_of(srv, fd);
	int rc = 0;
	if (kind == CAI_WIRE_EVENT || kind == 0) {
		if (nfds == 0) {
			handle_message(srv, cl, buf, len, trunc, cred);
		} else {
			srv->stats.received++;
			srv->stats.rejected++;
			add_rejection(srv, cl, "file descriptors came with a message that is not a ring registration",
				      len, cred->pid, cred->uid, cred->gid);
		}
		discard_fds(&srv->discard, fds, nfds);
		return 0;
	}
	static char scratch[1024];
	struct cai_record r;
	struct cai_error err = {0};
	if (cai_record_decode(buf, len, false, scratch, sizeof(scratch), &r, &err) < 0) {
		srv->stats.received++;
		srv->stats.rejected++;
		add_rejection(srv, cl, err.msg, len, cred->pid, cred->uid, cred->gid);
		rc = kind == CAI_WIRE_KICK ? 0 : -1;
	} else if (kind == CAI_WIRE_LISTEN) {
		if (!register_listener(srv, fd, &fds[0], nfds, &r.container, len, cred))
			rc = -1;
	} else if (kind == CAI_WIRE_RING) {
		/* A refused ring is dropped with its connection, which tells
		 * the shim (its next kick fails) to count and fall back. */
		if (!register_ring(srv, fd, cl, fds, nfds, r.ring_size, len, cred))
			rc = -1;
	} else if (nfds == 0) { /* a kick */
		if (cl->has_ring && read_ring(srv, cl, -1) < 0)
			rc = -1;
		else if (!cl->has_ring)
			answer_kick(srv, fd, cl);
	} else {
		srv->stats.received++;
		srv->stats.rejected++;
		add_rejection(srv, cl, "file descriptors came with a kick", len, cred->pid, cred->uid, cred->gid);
	}
	discard_fds(&srv->discard, fds, nfds);
	return rc;
}

union control {
	char raw[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(MAX_FDS_PER_MESSAGE * sizeof(int))];
	struct cmsghdr align;
};

/* Pick the credentials (*have says whether they came) and the fds out of
 * a message's control data; returns how many fds. */
static int take_control(struct server *srv, struct msghdr *msg, struct ucred *cred, bool *have, int *fds)
{
	int nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*cred))) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			*have = true;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t j = 0; j < k; j++) {
				int rfd;
				memcpy(&rfd, CMSG_DATA(c) + j * sizeof(int), sizeof(int));
				if (nfds < MAX_FDS_PER_MESSAGE)
					fds[nfds++] = rfd;
				else
					discard_fds(&srv->discard, &rfd, 1);
			}
		}
	}
	return nfds;
}

/* Read up to max messages from one connection; returns -1 when the peer is
 * gone or must be dropped (the caller closes it), 0 otherwise. */
static int drain_client(struct server *srv, int fd, int max)
{
	static char buf[CAI_WIRE_RECORD_MAX + 1];
	for (int i = 0; max < 0 || i < max; i++) {
		union control ctl;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {
		    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.raw, .msg_controllen = sizeof(ctl.raw)};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		struct ucred sent = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
		bool have = false;
		int fds[MAX_FDS_PER_MESSAGE];
		int nfds = take_control(srv, &msg, &sent, &have, fds);
		if (n == 0) {
			/* Every message has SCM_CREDENTIALS (SO_PASSCRED): none
			 * is the end of the stream. An empty message is not: it
			 * says nothing, and the fds it carried are let go of (one
			 * batch of them each, as for any message). */
			discard_fds(&srv->discard, fds, nfds);
			if (msg.msg_controllen == 0) {
				client_of(srv, fd)->hung_up = true;
				return -1;
			}
			continue;
		}
		/* Who sent it is what the kernel recorded for the connection
		 * (SO_PEERCRED at accept). SCM_CREDENTIALS are the sender's to
		 * choose when it is root or in a namespace of its own: a message
		 * whose own differ is logged with them as "sent_as", never
		 * believed. */
		const struct client *cl = client_of(srv, fd);
		struct ucred cred = {.pid = cl->peer.pid, .uid = cl->peer.uid, .gid = cl->peer.gid};
		bool differs = have && (sent.pid != cred.pid || sent.uid != cred.uid || sent.gid != cred.gid);
		srv->sent_as = differs ? &sent : NULL;
		bool trunc = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n > CAI_WIRE_RECORD_MAX;
		int rc = handle_any(srv, fd, buf, (size_t)n, trunc, &cred, fds, nfds);
		srv->sent_as = NULL;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A connection about to be closed: once it is shut down nothing more can
 * arrive, and what is still queued is thrown away here, its fds through
 * discard_fds, rather than released by close() in our task. */
static void purge_queue(struct server *srv, int fd)
{
	shutdown(fd, SHUT_RDWR);
	/* Past the shutdown, an empty queue and an empty message both read
	 * as 0 bytes; but our connections have SO_PASSCRED, so every message,
	 * empty or not, comes with SCM_CREDENTIALS: 0 bytes and no control
	 * data is the end of the queue. The count bounds the loop all the same
	 * (the most empty messages a peer's send buffer can hold). */
	int empty = 0;
	while (empty < PURGE_EMPTY_MAX) {
		union control ctl;
		char byte;
		struct iovec iov = {.iov_base = &byte, .iov_len = 1};
		struct msghdr msg = {
		    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.raw, .msg_controllen = sizeof(ctl.raw)};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (n == 0 && msg.msg_controllen == 0)
			return;
		if (n == 0 && !(msg.msg_flags & MSG_CTRUNC) && msg.msg_controllen <= CMSG_SPACE(sizeof(struct ucred))) {
			empty++; /* an empty message with its credentials only */
			continue;
		}
		empty = 0;
		struct ucred ignored;
		bool have = false;
		int fds[MAX_FDS_PER_MESSAGE];
		int nfds = take_control(srv, &msg, &ignored, &have, fds);
		discard_fds(&srv->discard, fds, nfds);
	}
}

/* Read up to a batch from a connection; when it has ended or must be
 * dropped, read what is left and close it. */
static void serve_client(struct server *srv, int fd)
{
	if (drain_client(srv, fd, 64) == 0)
		return;
	/* A peer that sent and exited must not lose its last events; at
	 * the end of its stream there are none left. */
	if (!client_of(srv, fd)->hung_up)
		drain_client(srv, fd, -1);
	close_client(srv, fd);
}

/* Out of fds: take one connection with the fd kept in reserve and close it,
 * so that the backlog drains instead of the loop spinning on it. */
static void refuse_one(struct server *srv, int lfd)
{
	if (srv->reserve_fd >= 0)
		close(srv->reserve_fd);
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c >= 0)
		close(c);
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->quota.refused++;
	say_refused(srv, "out of file descriptors", 0);
}

/* Take every queued connection on lfd: the collector's socket (inside
 * -1: the peer is identified from the kernel), or a container's own
 * (inside: that listener's entry; every peer is in its container). */
static int accept_on(struct server *srv, int lfd, int inside, struct cai_error *err)
{
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ECONNABORTED)
				return 0;
			if (errno == EMFILE || errno == ENFILE) {
				refuse_one(srv, lfd);
				continue;
			}
			if (inside >= 0)
				return 0; /* a container's socket is not worth stopping for */
			return cai_error_set(err, errno, "accept on `%s`", srv->socket_path);
		}
		/* A share per user on the collector's socket, per container on
		 * a container's own. Closing an accepted socket that has sent
		 * nothing never blocks. */
		struct ucred cr = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
		socklen_t crl = sizeof(cr);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crl) < 0)
			cr.pid = 0;
		long key = inside >= 0 ? client_of(srv, inside)->quota_key : (long)cr.uid;
		if (!quota_take(&srv->quota, key)) {
			close(c);
			say_refused(srv,
				    inside >= 0 ? "too many connections from one container"
						: "too many connections from one user",
				    key);
			continue;
		}
		/* SO_PASSCRED comes from the listening socket (the kernel
		 * copies it at accept). */
		struct client *cl = client_of(srv, c);
		memset(cl, 0, sizeof(*cl));
		cl->open = true;
		cl->ring_pidfd = -1;
		cl->quota_key = key;
		/* Once per connection: the kernel's answer cannot change for
		 * the process that connected, and /proc is not read per event. */
		if (inside >= 0) {
			const struct client *l = client_of(srv, inside); /* after client_of(c): no realloc since */
			peer_identify_in(c, &cr, jv_copy(l->peer.container), l->peer.container_json, &cl->peer);
		} else {
			peer_identify(c, &cr, &srv->peers, cai_mono_ms(), &cl->peer);
		}
		srv->stats.clients++;
		/* Most peers have sent already, and a short-lived one (a fork
		 * child's exec event) has often hung up too: read it now rather
		 * than in up to two more turns of the loop. Bounded as there.
		 * One that has ended is closed without ever being watched. */
		serve_client(srv, c);
		cl = client_of(srv, c);
		if (!cl->open)
			continue;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
		if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, c, &ev) < 0) {
			int e = errno;
			close_client(srv, c);
			return cai_error_set(err, e, "epoll_ctl");
		}
		cl->watched = true;
	}
}

static int accept_clients(struct server *srv, struct cai_error *err)
{
	return accept_on(srv, srv->listen_fd, -1, err);
}

/* Stop listening on a container's socket: what is queued is taken first
 * (its senders believe they were heard), then the socket is closed. */
static void close_listener(struct server *srv, int lfd)
{
	struct cai_error ignored = {0};
	accept_on(srv, lfd, lfd, &ignored);
	struct client *l = client_of(srv, lfd);
	peer_identity_free(&l->peer);
	l->is_listener = false;
	srv->nlisteners--;
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, lfd, NULL);
	close(lfd);
}

/* {"listen":1,"container":...} with one listening socket, from root on
 * the host (the only one who may say which container something is). On
 * success the socket is ours (*fd is set to -1) and the sender gets
 * CAI_WIRE_LISTEN_ACK; anything else is a rejection and the connection
 * is closed. */
static bool register_listener(struct server *srv, int fd, int *lfd, int nfds, const struct cai_container *c, size_t len,
			      const struct ucred *cred)
{
	struct client *cl = client_of(srv, fd);
	const char *why = NULL;
	int type = 0, listening = 0, domain = 0;
	socklen_t sl = sizeof(int);
	if (!peer_may_claim_container(&cl->peer, cred->uid))
		why = "only root on the host may hand over a container's socket";
	else if (nfds != 1)
		why = "a container's socket comes alone";
	else if (cl->owns_listener)
		why = "this connection has handed over a container's socket already";
	else if (srv->nlisteners >= MAX_CONTAINER_LISTENERS)
		why = "too many containers' sockets";
	else if (getsockopt(*lfd, SOL_SOCKET, SO_DOMAIN, &domain, &sl) < 0 || domain != AF_UNIX ||
		 getsockopt(*lfd, SOL_SOCKET, SO_TYPE, &type, &sl) < 0 || type != SOCK_SEQPACKET ||
		 getsockopt(*lfd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &sl) < 0 || !listening)
		why = "the fd that came is not a listening unix SOCK_SEQPACKET socket";
	if (why) {
		srv->stats.received++;
		srv->stats.rejected++;
		add_rejection(srv, cl, why, len, cred->pid, cred->uid, cred->gid);
		return false;
	}
	int one = 1, l = *lfd;
	setsockopt(l, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, l, &ev) < 0)
		return false;
	*lfd = -1;
	jv container = cai_container_jv(c);
	jv text = jv_dump_string(jv_copy(container), 0);
	struct client *entry = client_of(srv, l);
	memset(entry, 0, sizeof(*entry));
	entry->ring_pidfd = -1;
	entry->is_listener = true;
	entry->listener_owner = fd;
	entry->quota_key = -1 - ++srv->listeners_seen;
	peer_identify_in(l, NULL, container, jv_string_value(text), &entry->peer);
	jv_free(text);
	cl = client_of(srv, fd);
	cl->owns_listener = true;
	cl->listener = l;
	srv->nlisteners++;
	(void)!send(fd, CAI_WIRE_LISTEN_ACK, strlen(CAI_WIRE_LISTEN_ACK), MSG_DONTWAIT | MSG_NOSIGNAL);
	return true;
}

/* What an entry holds of its sender: its quota share, identity and stamp. */
void let_go_of_sender(struct server *srv, struct client *cl)
{
	struct quota_entry *qe = quota_entry_of(&srv->quota, cl->quota_key);
	if (qe && qe->n == 1)
		say_over_quota(srv, qe, true);
	quota_give(&srv->quota, cl->quota_key);
	peer_identity_free(&cl->peer);
	free(cl->stamp);
	cl->stamp = NULL;
}

/* A connection goes: its ring moves to its process, or is read to the
 * end and let go (the process has exited, or exec'd, or the kernel gave
 * no pidfd). */
void close_client(struct server *srv, int fd)
{
	bool moved = ring_outlives_connection(srv, fd);
	struct client *cl = client_of(srv, fd);
	bool ended = cl->hung_up;
	finish_ring(srv, cl);
	cl->open = false;
	if (moved) {
		/* The share stays taken by the process's entry. */
		peer_identity_free(&cl->peer);
	} else {
		let_go_of_sender(srv, cl);
	}
	bool owned = cl->owns_listener;
	int lfd = cl->listener;
	cl->owns_listener = false;
	if (cl->watched)
		epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	cl->watched = false;
	if (!ended)
		purge_queue(srv, fd);
	close(fd);
	if (owned)
		close_listener(srv, lfd);
}

/* Read everything still queued on every connection, then flush. */
static void drain_all(struct server *srv)
{
	struct cai_error err = {0};
	/* Stop taking connections, but take the ones already queued: their
	 * senders believe their events were delivered. */
	accept_clients(srv, &err);
	for (int fd = 0; fd < srv->nclients; fd++)
		if (srv->clients[fd].is_listener)
			accept_on(srv, fd, fd, &err);
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
	close(srv->listen_fd);
	srv->listen_fd = -1;
	if (!srv->activated && srv->socket_path)
		unlink(srv->socket_path);
	/* Every connection, with or without messages waiting: a ring may
	 * hold events whose writer never kicked. */
	for (int fd = 0; fd < srv->nclients; fd++) {
		if (!srv->clients[fd].open)
			continue;
		drain_client(srv, fd, -1);
		close_client(srv, fd);
	}
	/* Rings whose connections have gone (some just now, above). */
	for (int fd = 0; fd < srv->nclients; fd++)
		retire_process(srv, fd);
	say_all_over_quota(srv, true);
	int rc = logsink_flush(srv->log, &err);
	if (rc == 1) {
		say_log_recovered(srv);
		rc = logsink_flush(srv->log, &err);
	}
	if (rc < 0 || logsink_sync(srv->log, &err) < 0)
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

	long long last_sync = cai_mono_ms();
	struct epoll_event evs[BATCH];
	for (;;) {
		int n = epoll_wait(srv->epoll_fd, evs, BATCH, next_timeout(srv));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cai_error_set(err, errno, "epoll_wait");
		}
		bool stop = false, reopen = false;
		srv->now_ms = cai_mono_ms();
		/* What the rings hold came first: an exec's event, written into
		 * the parent's ring, before the exec'd program's connection. So
		 * the rings are read before a connection is taken (and only
		 * then: they are read after every turn anyway). */
		for (int i = 0; i < n && srv->nrings > 0; i++)
			if (evs[i].data.fd == srv->listen_fd || client_of(srv, evs[i].data.fd)->is_listener) {
				poll_rings(srv);
				break;
			}
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
			} else if (client_of(srv, fd)->is_process) {
				retire_process(srv, fd);
			} else if (client_of(srv, fd)->is_listener) {
				if (accept_on(srv, fd, fd, err) < 0)
					return -1;
			} else if (client_of(srv, fd)->open) {
				/* (closed already in this round: a ring read above
				 * found it corrupt) */
				serve_client(srv, fd);
			}
		}
		srv->rings_behind = false;
		poll_rings(srv);
		flush_and_release(srv);
		discard_reap(&srv->discard);
		struct cai_error lerr = {0};
		long long now = cai_mono_ms();
		if (now - last_sync >= 1000) {
			say_all_over_quota(srv, false);
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
	if (srv->reserve_fd >= 0)
		close(srv->reserve_fd);
	srv->reserve_fd = -1;
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
	for (int fd = 0; fd < srv->nclients; fd++) {
		if (srv->clients[fd].has_ring)
			ring_detach(&srv->clients[fd].ring);
		if (srv->clients[fd].has_ring && srv->clients[fd].ring_pidfd >= 0)
			close(srv->clients[fd].ring_pidfd);
		if (srv->clients[fd].is_process)
			peer_identity_free(&srv->clients[fd].peer);
		if (srv->clients[fd].is_listener) {
			peer_identity_free(&srv->clients[fd].peer);
			close(fd);
		}
		if (srv->clients[fd].open) {
			peer_identity_free(&srv->clients[fd].peer);
			close(fd);
		}
		free(srv->clients[fd].stamp);
	}
	free(srv->clients);
	srv->clients = NULL;
	srv->nclients = 0;
}
