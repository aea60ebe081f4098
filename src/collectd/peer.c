/* Invariants:
 * - The container MUST come from the kernel's record of the connection
 *   (the peer's pidfd, its /proc/PID/cgroup), never from what it sends.
 * - A pid MUST NOT be believed unless the process it named at connect()
 *   is still alive after its cgroup file was read: the pidfd is taken
 *   first, the file read, then the pidfd polled (readable = exited). A
 *   peer that exited first is recorded as unknown, never guessed.
 * - Only a validated 64-hex id is used in a path (cai_container_name).
 * - Every fd opened here is closed before returning. */
#include "peer.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; asm-generic value */
#endif

int peer_pidfd(int conn_fd, pid_t pid, const char **why)
{
	int pfd = -1;
	socklen_t len = sizeof(pfd);
	if (getsockopt(conn_fd, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len) == 0 && pfd >= 0)
		return pfd;
	if (errno == ESRCH) {
		*why = "peer exited before it could be identified";
		return -1;
	}
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0)
		return pfd;
	*why = errno == ESRCH ? "peer exited before it could be identified" : "this kernel gives no pidfd for the peer";
	return -1;
}

bool peer_exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	return poll(&p, 1, 0) != 0;
}

static void cached_name(struct peer_name_cache *c, const char *id, long long now_ms, char name[256])
{
	int slot = 0;
	for (int i = 0; i < PEER_NAME_CACHE; i++) {
		if (strcmp(c->e[i].id, id) == 0) {
			if (now_ms - c->e[i].fetched_ms < PEER_NAME_TTL_MS) {
				memcpy(name, c->e[i].name, 256);
				return;
			}
			slot = i;
			break;
		}
		if (c->e[i].fetched_ms < c->e[slot].fetched_ms)
			slot = i; /* the oldest entry makes room */
	}
	struct cai_error err = {0};
	/* A container without a readable name is still that container: the
	 * name is logged as null, and asked for again after the TTL. */
	if (cai_container_name(c->data_root, id, name, 256, &err) < 0)
		name[0] = '\0';
	memcpy(c->e[slot].id, id, sizeof(c->e[slot].id));
	memcpy(c->e[slot].name, name, 256);
	c->e[slot].fetched_ms = now_ms;
}

static void set_unknown(struct peer_identity *out, const char *why)
{
	out->place = PEER_UNKNOWN;
	jv o = jv_object();
	o = jv_object_set(o, jv_string("id"), jv_null());
	out->container = jv_object_set(o, jv_string("unknown"), jv_string(why));
}

/* What the kernel recorded when the peer connected (SO_PEERCRED), or known
 * already when not NULL (read at accept); out is cleared first. */
static void peer_cred(int conn_fd, const struct ucred *known, struct peer_identity *out)
{
	memset(out, 0, sizeof(*out));
	struct ucred cred = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
	socklen_t cl = sizeof(cred);
	if (known)
		cred = *known;
	else if (getsockopt(conn_fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
		cred.pid = 0;
	out->pid = cred.pid;
	out->uid = cred.uid;
	out->gid = cred.gid;
}

void peer_identify(int conn_fd, const struct ucred *known, struct peer_name_cache *cache, long long now_ms,
		   struct peer_identity *out)
{
	peer_cred(conn_fd, known, out);
	out->container = jv_null();
	struct ucred cred = {.pid = out->pid, .uid = out->uid, .gid = out->gid};
	const char *why = NULL;
	struct cai_container c = {{0}, {0}};
	if (cred.pid <= 0) {
		set_unknown(out, "the peer's pid is not visible in the collector's pid namespace");
	} else {
		cleanup_close int pidfd = peer_pidfd(conn_fd, cred.pid, &why);
		struct cai_error err = {0};
		int rc = pidfd < 0 ? -1 : cai_container_id_of_pid(cred.pid, c.id, &err);
		if (pidfd < 0)
			set_unknown(out, why);
		else if (peer_exited(pidfd))
			set_unknown(out, "peer exited before it could be identified");
		else if (rc < 0)
			set_unknown(out, err.msg);
		else
			out->place = rc == 1 ? PEER_CONTAINER : PEER_HOST;
	}
	if (out->place == PEER_CONTAINER) {
		cached_name(cache, c.id, now_ms, c.name);
		out->container = cai_container_jv(&c);
	}
	if (out->place != PEER_HOST) {
		jv s = jv_dump_string(jv_copy(out->container), 0);
		out->container_json = xstrdup(jv_string_value(s));
		jv_free(s);
	}
}

void peer_identify_in(int conn_fd, const struct ucred *known, jv container, const char *container_json,
		      struct peer_identity *out)
{
	peer_cred(conn_fd, known, out);
	out->place = PEER_CONTAINER;
	out->container = container;
	out->container_json = xstrdup(container_json);
}

bool peer_may_claim_container(const struct peer_identity *p, uid_t msg_uid)
{
	return p->place == PEER_HOST && p->uid == 0 && msg_uid == 0;
}

void peer_identity_free(struct peer_identity *p)
{
	jv_free(p->container);
	p->container = jv_null();
	free(p->container_json);
	p->container_json = NULL;
}
