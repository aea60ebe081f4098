/* Which Docker container a process runs in, as the kernel and the engine
 * record it: the id from the process's cgroup path, the name from the
 * engine's own state on disk. Used by cai-auditd to attribute events and
 * by the exec supervisor. */
#ifndef CAI_CONTAINER_H
#define CAI_CONTAINER_H

#include <jv.h>
#include <sys/types.h>

#include "error.h"

#define CAI_CONTAINER_ID_LEN 64
/* config.v2.json is a few KiB; a bigger one is not read. */
#define CAI_CONTAINER_CONFIG_MAX (1024 * 1024)
/* /proc/PID/cgroup is read up to this size; a cut-off last line is ignored. */
#define CAI_CONTAINER_CGROUP_MAX (64 * 1024)

struct cai_container {
	char id[CAI_CONTAINER_ID_LEN + 1]; /* id[0]==0: not in a container */
	char name[256];			   /* name[0]==0: unknown */
};

/* true when s is exactly CAI_CONTAINER_ID_LEN lowercase hex digits. */
bool cai_container_id_valid(const char *s);

/* The Docker container id in a /proc/PID/cgroup text. Returns 1 and fills
 * id, or 0 when none. Only Docker's own placements at the root of a
 * hierarchy count: `/docker/<id>` (cgroupfs driver) and
 * `/system.slice/docker-<id>.scope` (systemd driver), each optionally
 * followed by `/...`; the first line that has one wins. */
int cai_container_id_from_cgroup(const char *cgroup_text, char id[CAI_CONTAINER_ID_LEN + 1]);

/* The container's name as its engine recorded it: DATA_ROOT/containers/ID/
 * config.v2.json ".Name" without the leading '/'. Returns 0, or -1 with err
 * (missing, unreadable, not JSON, wrong type, not root's). */
int cai_container_name(const char *data_root, const char *id, char *name, size_t cap, struct cai_error *err);

/* Whether a /proc/PID/cgroup text's answer (rc and id, as
 * cai_container_id_from_cgroup gave them) follows from its unified
 * hierarchy's line ("0::/path") alone: then every process in that cgroup
 * gets the same answer, and it may be remembered by the cgroup's id. A
 * container: the unified line names the same one. No container: the text
 * has no other line (a cgroup v2 host), since where v1 hierarchies exist,
 * a container may be placed in them alone and share a unified cgroup with
 * the host. */
bool cai_cgroup_unified_decides(const char *cgroup_text, int rc, const char *id);

/* The container id of a live process from /proc/PID/cgroup: 1 and id
 * filled, 0 not in a container, -1 with err when the file cannot be read.
 * The caller decides whether the pid still names the process it meant.
 * unified_decides (may be NULL): set to cai_cgroup_unified_decides. */
int cai_container_id_of_pid(pid_t pid, char id[CAI_CONTAINER_ID_LEN + 1], bool *unified_decides, struct cai_error *err);

/* Both for a live process: reads /proc/PID/cgroup then the name (from
 * CAI_ENGINE_DATA_ROOT unless data_root given). Returns 1 in a container,
 * 0 not, -1 error. A name that cannot be read leaves c->name empty, still
 * returns 1, and says why in err. */
int cai_container_of_pid(pid_t pid, const char *data_root, struct cai_container *c, struct cai_error *err);

/* {"id":..., "name": ... or null}; jv_null() when c->id is empty. */
jv cai_container_jv(const struct cai_container *c);

#endif
