/* Which container a connection's peer runs in, taken once from the kernel
 * when the connection is accepted (see peer.c for how and why). */
#ifndef CAI_AUDITD_PEER_H
#define CAI_AUDITD_PEER_H

#include <jv.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Cgroups of the unified hierarchy identified recently, by the id the
 * kernel gives for a peer's pidfd: what identifies a peer whose process
 * exited before it was accepted (see peer.c). Bounded: the oldest entry
 * makes room. A cgroup's path, hence its answer, never changes (cgroup v2
 * has no rename, and ids are not reused); the TTL bounds how long a host
 * answer outlives a v1 hierarchy mounted later. */
#define PEER_CGROUP_CACHE 64
#define PEER_CGROUP_TTL_MS 60000

struct peer_cache {
	struct {
		char id[CAI_CONTAINER_ID_LEN + 1];
		char name[256]; /* "" when the engine's file gave none */
		long long fetched_ms;
	} names[PEER_NAME_CACHE];
	struct {
		uint64_t cgroup; /* 0: free */
		bool in_container;
		char id[CAI_CONTAINER_ID_LEN + 1];
		long long seen_ms;
	} cgroups[PEER_CGROUP_CACHE];
	const char *data_root;
};

/* Identify the peer of an accepted connection; known: its SO_PEERCRED if
 * read already, else NULL. Never fails: what cannot be known is recorded
 * as PEER_UNKNOWN with the reason. */
void peer_identify(int conn_fd, const struct ucred *known, struct peer_cache *cache, long long now_ms,
		   struct peer_identity *out);

/* The peer of a connection accepted on a container's own socket (see
 * server.c): in that container, whatever became of the process since. The
 * socket, not the process, says where it came from. */
void peer_identify_in(int conn_fd, const struct ucred *known, jv container, const char *container_json,
		      struct peer_identity *out);

/* A pidfd (close-on-exec) for the process that connected: SO_PEERPIDFD
 * names exactly it (*exact set, when given); before Linux 6.5, pidfd_open
 * of its pid, which a pid reused between connect() and now would fool (the
 * window is the accept latency). Returns the fd, or -1 with *why set. */
int peer_pidfd(int conn_fd, pid_t pid, const char **why, bool *exact);

/* Has the process of pidfd exited? (A pidfd polls readable then.) */
bool peer_exited(int pidfd);

/* The id of the process's cgroup in the unified hierarchy, from its pidfd
 * (PIDFD_GET_INFO, Linux 6.13; kept after it exits from Linux 6.15), or 0
 * when the kernel does not say. */
uint64_t peer_cgroup_id(int pidfd);

/* May this peer write "container" itself? Only root on the host. */
bool peer_may_claim_container(const struct peer_identity *p, uid_t msg_uid);

void peer_identity_free(struct peer_identity *p);

#endif
