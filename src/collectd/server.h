/* cai-auditd's listening socket and event loop. */
#ifndef CAI_AUDITD_SERVER_H
#define CAI_AUDITD_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

#include "discard.h"
#include "error.h"
#include "logsink.h"

#include "peer.h"
#include "quota.h"
#include "ring.h"

struct server_stats {
	unsigned long long received, written, rejected, clients, rings;
	unsigned long long over_quota; /* events over their sender's rate */
};

/* One accepted connection, a container's own listening socket, or a
 * process whose ring outlived the connection that registered it (indexed
 * by its pidfd), indexed by its fd. */
struct client {
	bool open;
	bool hung_up; /* read to the end of the stream: nothing is queued or can come */
	bool watched; /* in the epoll set (not one read to its end at accept) */
	bool has_ring;
	/* The ring is read for as long as its writer lives: ring_pidfd (>= 0)
	 * says when it has exited. When the connection closes first, the
	 * entry moves to the pidfd's index and is_process is set. */
	bool is_process;
	int ring_pidfd;
	unsigned long long ring_seq; /* registrations are numbered: the newest of a process wins */
	bool ring_refused;	     /* over the ring budget once: messages only */
	/* A listening socket that `cai run --image` (root on the host) handed
	 * over for one container: peer.container says which. listener_owner is the
	 * connection it came on; the socket is closed when that one is. */
	bool is_listener;
	int listener_owner;
	/* On a connection: it registered the listening socket at fd listener. */
	bool owns_listener;
	int listener;
	struct ucred_copy {
		int pid;
		unsigned uid, gid;
	} owner;		   /* who registered the ring (SCM_CREDENTIALS) */
	struct peer_identity peer; /* who connected, and from which container */
	long quota_key;		   /* whose share it takes (quota.h) */
	char *stamp;		   /* the end of its lines (server.c, stamp_of) */
	size_t stamp_len;
	struct ucred stamp_for;
	struct ring_reader ring;
};

struct server {
	const char *socket_path;
	bool activated; /* the socket came from systemd: not ours to unlink */
	int listen_fd;
	int epoll_fd;
	int signal_fd;
	struct logsink *log;
	struct server_stats stats;
	struct client *clients; /* indexed by fd */
	int nclients;		/* entries allocated */
	int nrings;
	unsigned long long ring_seq;
	int nlisteners;
	/* Containers' sockets handed over so far: each one's share is its
	 * own (quota key -1 - its number), never a later socket's that got
	 * the same fd while a ring from the first still lives. */
	long listeners_seen;
	long long ring_active_ms; /* last time a ring had events */
	bool rings_behind;	  /* a ring had more than one batch waiting */
	long long rings_said_ms;  /* the last record about refused rings */
	long long now_ms;	  /* CLOCK_MONOTONIC at the loop's last wake */
	struct peer_cache peers;
	struct discard discard; /* fds peers sent, being let go of */
	/* While one message is handled: its SCM_CREDENTIALS when they differ
	 * from the connection's, else NULL. */
	const struct ucred *sent_as;
	struct conn_quota quota;
	int reserve_fd; /* /dev/null, given up to refuse a connection when out of fds */
};

/* Take the socket from systemd (LISTEN_FDS) or create it at path, mode
 * 0666 so that any agent can send events. */
int server_listen(struct server *srv, const char *path, struct cai_error *err);
/* Runs until SIGTERM or SIGINT, then drains every connection. */
int server_run(struct server *srv, struct cai_error *err);
void server_close(struct server *srv);

#endif
