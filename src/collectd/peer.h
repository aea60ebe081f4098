/* Which container a connection's peer runs in, taken once from the kernel
 * when the connection is accepted (see peer.c for how and why). */
#ifndef CAI_AUDITD_PEER_H
#define CAI_AUDITD_PEER_H

#include <jv.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "container.h"

enum peer_place {
	PEER_HOST,	/* identified, in no container */
	PEER_CONTAINER, /* identified, in container */
	PEER_UNKNOWN,	/* could not be identified (why says why) */
};

struct peer_identity {
	enum peer_place place;
	pid_t pid; /* SO_PEERCRED at accept: the process that connected */
	uid_t uid;
	gid_t gid;
	/* The "container" value for the log, as a jv and as JSON text;
	 * jv_null() and NULL for a host peer. */
	jv container;
	char *container_json;
};

/* Names of containers seen recently, so that a busy container costs one
 * read of the engine's file per PEER_NAME_TTL_MS, not one per connection. */
#define PEER_NAME_CACHE 64
#define PEER_NAME_TTL_MS 60000

struct peer_name_cache {
	struct {
		char id[CAI_CONTAINER_ID_LEN + 1];
		char name[256]; /* "" when the engine's file gave none */
		long long fetched_ms;
	} e[PEER_NAME_CACHE];
	const char *data_root;
};

/* Identify the peer of an accepted connection; known: its SO_PEERCRED if
 * read already, else NULL. Never fails: what cannot be known is recorded
 * as PEER_UNKNOWN with the reason. */
void peer_identify(int conn_fd, const struct ucred *known, struct peer_name_cache *cache, long long now_ms,
		   struct peer_identity *out);

/* The peer of a connection accepted on a container's own socket (see
 * server.c): in that container, whatever became of the process since. The
 * socket, not the process, says where it came from. */
void peer_identify_in(int conn_fd, const struct ucred *known, jv container, const char *container_json,
		      struct peer_identity *out);

/* A pidfd (close-on-exec) for the process that connected: SO_PEERPIDFD
 * names exactly it; before Linux 6.5, pidfd_open of its pid, which a pid
 * reused between connect() and now would fool (the window is the accept
 * latency). Returns the fd, or -1 with *why set. */
int peer_pidfd(int conn_fd, pid_t pid, const char **why);

/* Has the process of pidfd exited? (A pidfd polls readable then.) */
bool peer_exited(int pidfd);

/* May this peer write "container" itself? Only root on the host. */
bool peer_may_claim_container(const struct peer_identity *p, uid_t msg_uid);

void peer_identity_free(struct peer_identity *p);

#endif
