/* The host's side of the exchange with cai-agent-init (the contract is
 * agent_handoff.h): a private directory for docker's cidfile, a directory
 * that is mounted into the container with the one socket in it, and the
 * hello that comes over it. */
#ifndef CAI_HANDOFF_H
#define CAI_HANDOFF_H

#include <limits.h>
#include <sys/types.h>

#include "agent_handoff.h"
#include "container.h"
#include "error.h"

struct cai_handoff {
	char dir[PATH_MAX];	       /* private (0700): the cidfile */
	char mount_dir[PATH_MAX + 16]; /* dir/handoff (0711): mounted into the container */
	char sock_path[PATH_MAX + 32]; /* mount_dir/init.sock (0666) */
	char cidfile[PATH_MAX + 16];
	int listen_fd;
	/* The container's own audit socket (cai_handoff_open_audit): dir/audit
	 * (0711) is mounted in, with audit.sock (0666) listening in it. */
	char audit_dir[PATH_MAX + 16];
	int audit_fd;
};

#define CAI_HANDOFF_AUDIT_NAME "audit.sock"

/* Make the directories under base (mkdtemp) and listen on the socket. */
int cai_handoff_open(struct cai_handoff *h, const char *base, struct cai_error *err);

/* Make the container's own audit socket, to be handed to the collector
 * (cai_audit_hand_over_listener) once the container's id is known. */
int cai_handoff_open_audit(struct cai_handoff *h, struct cai_error *err);

/* Wait for init's connection while watching the process behind pidfd (the
 * docker client): returns 1 with *conn and the peer's pid (the kernel's
 * SO_PEERCRED), 0 when that process exited first, -1 on error. The socket
 * is closed and unlinked once a connection is taken: nothing else can come. */
int cai_handoff_accept(struct cai_handoff *h, int pidfd, int *conn, pid_t *peer, struct cai_error *err);

/* Read the one hello. *listener is a checked seccomp listener when init sent
 * one, else -1 (any other fd that came is closed). Returns 0 or -1 (err). */
int cai_handoff_recv(int conn, struct cai_handoff_hello *hello, int *listener, struct cai_error *err);

/* The container id docker wrote, or -1 when it has not. */
int cai_handoff_container_id(const struct cai_handoff *h, char id[CAI_CONTAINER_ID_LEN + 1], struct cai_error *err);

/* Close the socket and remove everything under dir. */
void cai_handoff_close(struct cai_handoff *h);

#endif
