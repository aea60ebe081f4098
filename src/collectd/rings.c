/* cai-auditd's rings (protocol: src/lib/audit/audit_ring.h): taking a
 * registration, reading every ring a batch at a time, and letting a ring
 * go when its writer is gone.
 *
 * Invariants:
 * - A ring is read for as long as the process that registered it lives
 *   when the kernel gives a pidfd of it, else for as long as its
 *   connection: a ring MUST NOT be let go while its writer may still
 *   write, and MUST be read to its end before it is let go.
 * - One ring per process: a newer registration of the same process (after
 *   an exec) retires the older one.
 * - A ring that outlives its connection keeps the connection's share of
 *   its sender's quota, its identity and its stamp: it is attributed and
 *   bounded exactly as before.
 * - Space is released to the writer only after the log has the lines. */
#include "server_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Rings mapped at once; a registration beyond is refused (the shim then
 * counts its events as dropped and falls back to messages). */
#define MAX_RINGS 4096
/* Poll rings this often while they carry events; when they have been
 * quiet for RING_IDLE_MS, ask their writers for a kick instead. A ring
 * that had more than a batch is read again at once, and a writer that
 * finds its ring half full kicks (a ring of 1 MiB fills in a few ms at
 * full speed), so the interval bounds only how late a slow writer's
 * events reach the log. At 1 ms the collector woke 15,000 times during a
 * make -j2 of this tree and took 1.3 s of CPU from the build; at 10 ms,
 * 3,100 times and 0.8 s. */
#define RING_POLL_MS 10
#define RING_IDLE_MS 200
/* An event reserved and not finished after this long will never be. */
#define RING_STUCK_MS 5000

/* Stop reading cl's ring; what it released so far stays released. */
static void drop_ring(struct server *srv, struct client *cl)
{
	quota_ring_give(&srv->quota, cl->quota_key, (long long)(CAI_RING_CTL_SIZE + cl->ring.size));
	ring_detach(&cl->ring);
	cl->has_ring = false;
	srv->nrings--;
}

struct ring_ctx {
	struct server *srv;
	struct client *cl;
	struct ucred cred;
};

static void ring_event(void *ctx, const char *buf, size_t len)
{
	struct ring_ctx *rc = ctx;
	handle_message(rc->srv, rc->cl, buf, len, false, &rc->cred);
}

/* Read what the client's ring holds (max events, < 0: all). A corrupt or
 * stuck ring is reported and stops being read; returns -1 then (the
 * caller closes the connection, which tells the shim to start over). */
int read_ring(struct server *srv, struct client *cl, int max)
{
	struct ring_ctx rc = {
	    .srv = srv, .cl = cl, .cred = {.pid = cl->owner.pid, .uid = cl->owner.uid, .gid = cl->owner.gid}};
	struct cai_error err = {0};
	int n = ring_read(&cl->ring, max, cai_mono_ms(), RING_STUCK_MS, ring_event, &rc, &err);
	if (n < 0) {
		srv->stats.rejected++;
		add_rejection(srv, cl, err.msg, (size_t)ring_unread(&cl->ring), rc.cred.pid, rc.cred.uid, rc.cred.gid);
		drop_ring(srv, cl);
		return -1;
	}
	if (n > 0)
		srv->ring_active_ms = cai_mono_ms();
	return n;
}

/* The shim waits for this before it reads `accepted` and `closed`; one
 * small message on a fresh connection, never waited for. */
static void send_ring_ack(int fd)
{
	(void)!send(fd, CAI_WIRE_RING_ACK, strlen(CAI_WIRE_RING_ACK), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* A kick on a connection of its own (from a process whose ring outlives
 * its registration): say whether a ring of that process is read here. A
 * collector started since does not know it; the shim then starts over. */
void answer_kick(struct server *srv, int fd, const struct client *cl)
{
	bool known = false;
	for (int i = 0; i < srv->nclients && !known && cl->peer.pid > 0; i++)
		known = srv->clients[i].has_ring && srv->clients[i].peer.pid == cl->peer.pid;
	const char *answer = known ? CAI_WIRE_RING_ACK : CAI_WIRE_RING_UNKNOWN;
	(void)!send(fd, answer, strlen(answer), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* A ring just registered on connection fd: read for as long as the
 * registering process lives when the kernel gives a pidfd for it (the
 * shim then closes the connection and holds no fd between events), else
 * for as long as the connection. A process has one ring: an older one of
 * the same process (before an exec) is read to its end and let go. */
static void accept_ring(struct server *srv, int fd, struct client *cl)
{
	const char *why = NULL;
	cl->ring_pidfd = cl->peer.pid > 0 ? peer_pidfd(fd, cl->peer.pid, &why, NULL) : -1;
	if (cl->ring_pidfd >= 0 && peer_exited(cl->ring_pidfd)) {
		close(cl->ring_pidfd);
		cl->ring_pidfd = -1;
	}
	pid_t pid = cl->peer.pid;
	ring_accept(&cl->ring, cl->ring_pidfd >= 0 ? CAI_RING_ACCEPTED_DETACHED : CAI_RING_ACCEPTED_BOUND);
	send_ring_ack(fd);
	for (int i = 0; i < srv->nclients; i++)
		if (srv->clients[i].is_process && srv->clients[i].peer.pid == pid)
			retire_process(srv, i);
}

bool register_ring(struct server *srv, int fd, struct client *cl, const int *fds, int nfds, unsigned long long size,
		   size_t len, const struct ucred *cred)
{
	struct cai_error err = {0};
	if (nfds != 1)
		cai_error_set(&err, 0, "a ring registration carries exactly one memfd, not %d fds", nfds);
	else if (cl->has_ring)
		cai_error_set(&err, 0, "this connection has registered a ring already");
	else if (srv->nrings >= MAX_RINGS)
		cai_error_set(&err, 0, "too many rings (%d)", MAX_RINGS);
	else if (cl->ring_refused)
		cai_error_set(&err, 0, "a ring registration again after a refusal");
	else if (!cai_ring_size_ok(size))
		cai_error_set(&err, 0, "ring size %llu is not a power of two from %u to %u", size, CAI_RING_DATA_MIN,
			      CAI_RING_DATA_MAX);
	else if (!quota_ring_take(&srv->quota, cl->quota_key, (long long)(CAI_RING_CTL_SIZE + size))) {
		/* Over the budget: the writer is told through the ring's
		 * control page and keeps its connection for messages. */
		if (ring_refuse(fds[0]) == 0) {
			cl->ring_refused = true;
			char reason[256];
			snprintf(
			    reason, sizeof(reason),
			    "ring budget exhausted (%lld MiB per user, %lld MiB in all): %lu ring(s) refused so far, "
			    "their writers send messages instead (latest: %s %ld)",
			    srv->quota.ring_bytes_per_key >> 20, srv->quota.max_ring_bytes >> 20,
			    srv->quota.rings_refused, key_kind(cl->quota_key), key_number(cl->quota_key));
			say_limited(srv, &srv->rings_said_ms, false, cl->quota_key, reason);
			send_ring_ack(fd);
			return true;
		}
		cai_error_set(&err, 0, "the ring is not a memfd");
	} else if (ring_attach(&cl->ring, fds[0], size, &err) < 0) {
		quota_ring_give(&srv->quota, cl->quota_key, (long long)(CAI_RING_CTL_SIZE + size));
	} else {
		cl->has_ring = true;
		cl->owner.pid = cred->pid;
		cl->owner.uid = cred->uid;
		cl->owner.gid = cred->gid;
		cl->ring_seq = ++srv->ring_seq;
		srv->nrings++;
		srv->stats.rings++;
		srv->ring_active_ms = cai_mono_ms();
		accept_ring(srv, fd, cl);
		return true;
	}
	srv->stats.received++;
	srv->stats.rejected++;
	add_rejection(srv, cl, err.msg, len, cred->pid, cred->uid, cred->gid);
	return false;
}

/* What the log has, the rings may release; until then they keep it. */
int flush_and_release(struct server *srv)
{
	struct cai_error lerr = {0};
	int rc = logsink_flush(srv->log, &lerr);
	if (rc < 0) {
		report_log_error(&lerr);
		return -1;
	}
	if (rc == 1)
		say_log_recovered(srv);
	for (int fd = 0; fd < srv->nclients; fd++)
		if (srv->clients[fd].has_ring)
			ring_release(&srv->clients[fd].ring);
	return 0;
}

/* A ring's last events are read before it is let go: its writer has
 * exited (or exec'd). Bytes that were reserved and never finished are
 * reported. */
void finish_ring(struct server *srv, struct client *cl)
{
	if (cl->has_ring) {
		ring_closing(&cl->ring);
		if (read_ring(srv, cl, -1) >= 0) {
			uint64_t left = ring_unread(&cl->ring);
			if (left) {
				srv->stats.rejected++;
				add_rejection(
				    srv, cl,
				    "ring: an event was reserved and never finished (its writer died mid-event)",
				    (size_t)left, cl->owner.pid, cl->owner.uid, cl->owner.gid);
			}
		}
		flush_and_release(srv);
		if (cl->has_ring)
			drop_ring(srv, cl);
	}
	if (cl->ring_pidfd >= 0) {
		if (cl->is_process)
			epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, cl->ring_pidfd, NULL);
		close(cl->ring_pidfd);
		cl->ring_pidfd = -1;
	}
}

/* The process of pidfd exited (or a newer ring of it came): its ring is
 * read to the end and let go with the entry. */
void retire_process(struct server *srv, int pidfd)
{
	struct client *cl = client_of(srv, pidfd);
	if (!cl->is_process)
		return;
	finish_ring(srv, cl); /* closes pidfd */
	let_go_of_sender(srv, cl);
	cl->is_process = false;
}

/* Is there a ring registered after cl's by the same process? */
static bool newer_ring_of(const struct server *srv, const struct client *cl)
{
	for (int i = 0; i < srv->nclients; i++) {
		const struct client *o = &srv->clients[i];
		if (o != cl && o->has_ring && o->peer.pid == cl->peer.pid && o->ring_seq > cl->ring_seq)
			return true;
	}
	return false;
}

/* The connection at fd closes while its ring is read for as long as the
 * process lives: the entry (ring, identity, quota share) moves to the
 * pidfd's index. false when the ring is to be let go now. */
bool ring_outlives_connection(struct server *srv, int fd)
{
	struct client *cl = client_of(srv, fd);
	if (!cl->has_ring || cl->ring_pidfd < 0 || peer_exited(cl->ring_pidfd) || newer_ring_of(srv, cl))
		return false;
	int pidfd = cl->ring_pidfd;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = pidfd};
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, pidfd, &ev) < 0)
		return false;
	struct client *pe = client_of(srv, pidfd);
	cl = client_of(srv, fd); /* client_of may have moved the table */
	*pe = *cl;
	pe->open = false;
	pe->watched = false; /* its pidfd is watched, as a process's */
	pe->is_process = true;
	pe->owns_listener = false;
	/* The connection's entry keeps nothing that is now the process's. */
	cl->has_ring = false;
	cl->ring_pidfd = -1;
	cl->peer.container = jv_null();
	cl->peer.container_json = NULL;
	cl->stamp = NULL;
	return true;
}

/* Read every ring a batch at a time (so that one busy writer cannot starve
 * the others); returns how many events were read. */
int poll_rings(struct server *srv)
{
	int total = 0;
	for (int fd = 0; fd < srv->nclients; fd++) {
		struct client *cl = &srv->clients[fd];
		if (!cl->has_ring)
			continue;
		int n = read_ring(srv, cl, BATCH);
		if (n < 0 && cl->is_process)
			retire_process(srv, fd);
		else if (n < 0)
			close_client(srv, fd);
		else
			total += n;
		if (n == BATCH)
			srv->rings_behind = true;
	}
	return total;
}

/* How long the loop may sleep: briefly while rings carry events; when
 * they have been quiet, until a writer's kick (after asking for one). */
int next_timeout(struct server *srv)
{
	if (srv->nrings == 0)
		return 1000;
	if (srv->rings_behind)
		return 0;
	if (cai_mono_ms() - srv->ring_active_ms < RING_IDLE_MS)
		return RING_POLL_MS;
	long long now = cai_mono_ms(), wait = 1000;
	for (int fd = 0; fd < srv->nclients; fd++) {
		struct ring_reader *r = &srv->clients[fd].ring;
		if (!srv->clients[fd].has_ring)
			continue;
		if (ring_request_wake(r))
			return 0;
		/* An unfinished event sleeps us only until it counts as stuck:
		 * never a busy wait on a writer that will not finish. */
		long long left = ring_stuck_in_ms(r, now, RING_STUCK_MS);
		if (left >= 0 && left < wait)
			wait = left > RING_POLL_MS ? left : RING_POLL_MS;
	}
	return (int)wait;
}
