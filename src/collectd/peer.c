/* Invariants:
 * - The container MUST come from the kernel's record of the connection
 *   (the peer's pidfd, its /proc/PID/cgroup), never from what it sends.
 * - A pid MUST NOT be believed unless the process it named at connect()
 *   is still alive after its cgroup file was read: the pidfd is taken
 *   first, the file read, then the pidfd polled (readable = exited). A
 *   peer that exited first is recorded as unknown, never guessed.
 * - Except by the cgroup the kernel gives for the pidfd itself (no pid to
 *   reuse: it names the process that connected, and keeps the cgroup it
 *   exited in), and only a cgroup identified earlier from a live process
 *   whose answer follows from that cgroup alone
 *   (cai_cgroup_unified_decides), read between two equal cgroup ids.
 * - Only a validated 64-hex id is used in a path (cai_container_name).
 * - Every fd opened here is closed before returning. */
#include "peer.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; asm-generic value */
#endif

int peer_pidfd(int conn_fd, pid_t pid, const char **why, bool *exact)
{
	int pfd = -1;
	socklen_t len = sizeof(pfd);
	if (exact)
		*exact = false;
	if (getsockopt(conn_fd, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len) == 0 && pfd >= 0) {
		if (exact)
			*exact = true;
		return pfd;
	}
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

/* PIDFD_GET_INFO from <linux/pidfd.h> (Linux 6.13), which older headers
 * lack: its first version, which every kernel that has it accepts. */
struct peer_pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
_Static_assert(sizeof(struct peer_pidfd_info) == 64, "PIDFD_INFO_SIZE_VER0");
#define PEER_PIDFD_GET_INFO _IOWR(0xFF, 11, struct peer_pidfd_info)
#define PEER_PIDFD_INFO_CGROUPID (1ULL << 2)
#define PEER_PIDFD_INFO_EXIT (1ULL << 3) /* asked for, an exited one's cgroup comes too */

uint64_t peer_cgroup_id(int pidfd)
{
	struct peer_pidfd_info info = {.mask = PEER_PIDFD_INFO_CGROUPID | PEER_PIDFD_INFO_EXIT};
	if (ioctl(pidfd, PEER_PIDFD_GET_INFO, &info) < 0 || !(info.mask & PEER_PIDFD_INFO_CGROUPID))
		return 0;
	return info.cgroupid;
}

static void cached_name(struct peer_cache *c, const char *id, long long now_ms, char name[256])
{
	int slot = 0;
	for (int i = 0; i < PEER_NAME_CACHE; i++) {
		if (strcmp(c->names[i].id, id) == 0) {
			if (now_ms - c->names[i].fetched_ms < PEER_NAME_TTL_MS) {
				memcpy(name, c->names[i].name, 256);
				return;
			}
			slot = i;
			break;
		}
		if (c->names[i].fetched_ms < c->names[slot].fetched_ms)
			slot = i; /* the oldest entry makes room */
	}
	struct cai_error err = {0};
	/* A container without a readable name is still that container: the
	 * name is logged as null, and asked for again after the TTL. */
	if (cai_container_name(c->data_root, id, name, 256, &err) < 0)
		name[0] = '\0';
	memcpy(c->names[slot].id, id, sizeof(c->names[slot].id));
	memcpy(c->names[slot].name, name, 256);
	c->names[slot].fetched_ms = now_ms;
}

/* What cgroup identified, if seen within the TTL: 1 a container (id
 * filled), 0 none, -1 not known. */
static int cached_cgroup(const struct peer_cache *c, uint64_t cgroup, long long now_ms,
			 char id[CAI_CONTAINER_ID_LEN + 1])
{
	if (!cgroup)
		return -1;
	for (int i = 0; i < PEER_CGROUP_CACHE; i++)
		if (c->cgroups[i].cgroup == cgroup && now_ms - c->cgroups[i].seen_ms < PEER_CGROUP_TTL_MS) {
			memcpy(id, c->cgroups[i].id, CAI_CONTAINER_ID_LEN + 1);
			return c->cgroups[i].in_container;
		}
	return -1;
}

static void remember_cgroup(struct peer_cache *c, uint64_t cgroup, bool in_container, const char *id, long long now_ms)
{
	int slot = 0;
	for (int i = 0; i < PEER_CGROUP_CACHE; i++) {
		if (c->cgroups[i].cgroup == cgroup) {
			slot = i;
			break;
		}
		if (c->cgroups[i].seen_ms < c->cgroups[slot].seen_ms)
			slot = i; /* the oldest entry (or a free one) makes room */
	}
	c->cgroups[slot].cgroup = cgroup;
	c->cgroups[slot].in_container = in_container;
	snprintf(c->cgroups[slot].id, sizeof(c->cgroups[slot].id), "%s", in_container ? id : "");
	c->cgroups[slot].seen_ms = now_ms;
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

/* The peer of pidfd from /proc/PID/cgroup, remembered by its cgroup id
 * when that alone decides (see the invariants). */
static void identify_live(int pidfd, pid_t pid, uint64_t cgroup, struct peer_cache *cache, long long now_ms,
			  struct cai_container *c, struct peer_identity *out)
{
	struct cai_error err = {0};
	bool unified_decides = false;
	int rc = cai_container_id_of_pid(pid, c->id, &unified_decides, &err);
	if (peer_exited(pidfd)) {
		set_unknown(out, "peer exited before it could be identified");
		return;
	}
	if (rc < 0) {
		set_unknown(out, err.msg);
		return;
	}
	out->place = rc == 1 ? PEER_CONTAINER : PEER_HOST;
	/* The same cgroup before and after the read: the text is of it. */
	if (cgroup && unified_decides && peer_cgroup_id(pidfd) == cgroup)
		remember_cgroup(cache, cgroup, rc == 1, c->id, now_ms);
}

void peer_identify(int conn_fd, const struct ucred *known, struct peer_cache *cache, long long now_ms,
		   struct peer_identity *out)
{
	peer_cred(conn_fd, known, out);
	out->container = jv_null();
	const char *why = NULL;
	struct cai_container c = {{0}, {0}};
	if (out->pid <= 0) {
		set_unknown(out, "the peer's pid is not visible in the collector's pid namespace");
	} else {
		bool exact = false;
		cleanup_close int pidfd = peer_pidfd(conn_fd, out->pid, &why, &exact);
		uint64_t cgroup = pidfd < 0 ? 0 : peer_cgroup_id(pidfd);
		/* Only the kernel's pidfd of the connection names the peer for
		 * sure; pidfd_open of its pid may name a process that reused
		 * it, whose cgroup is no answer (the read below checks that). */
		int seen = exact ? cached_cgroup(cache, cgroup, now_ms, c.id) : -1;
		if (seen >= 0)
			out->place = seen ? PEER_CONTAINER : PEER_HOST;
		else if (pidfd < 0)
			set_unknown(out, why);
		else
			identify_live(pidfd, out->pid, cgroup, cache, now_ms, &c, out);
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
