/* The contract between `cai run --image` on the host and cai-agent-init, the
 * first process of the agent's container: where our files appear inside the
 * container, and the one exchange on the handoff socket. Both sides include
 * this header; nothing here is written down twice.
 *
 * The exchange (SOCK_SEQPACKET, one connection, after which the host closes
 * and unlinks the socket so that nothing in the container can reach it):
 *   init -> host: one struct cai_handoff_hello, with the exec listener fd
 *                 (SCM_RIGHTS) when init made one;
 *   host -> init: one byte, CAI_HANDOFF_GO or CAI_HANDOFF_REFUSE.
 *
 * Invariants:
 * - The host MUST believe a hello only from the container it created: the
 *   peer's cgroup (read from the kernel) names the id docker gave it.
 * - The host MUST close a connection that sends anything but one hello of
 *   exactly this size with the right magic, and MUST close any fd that came
 *   with it unless the fd is a seccomp listener it asked for.
 * - init MUST NOT exec the agent before the host said go: the supervisor's
 *   first notification is the agent's own exec. */
#ifndef CAI_AGENT_HANDOFF_H
#define CAI_AGENT_HANDOFF_H

#include <stdint.h>

/* Inside the container. A hidden top-level directory that no image uses;
 * docker creates it (and the mount points) in the container's own layer. */
#define CAI_AGENT_DIR "/.containai"
#define CAI_AGENT_INIT_MOUNT CAI_AGENT_DIR "/bin/cai-agent-init"
#define CAI_AGENT_SHIM_GLIBC_MOUNT CAI_AGENT_DIR "/lib/libcai-auditshim.so"
#define CAI_AGENT_SHIM_MUSL_MOUNT CAI_AGENT_DIR "/lib/libcai-auditshim-musl.so"
/* The directory of the container's own audit socket (as root: handed to
 * the collector, which attributes whatever comes through it to this
 * container), or else the collector's socket directory; read-only
 * (connect() works on a socket in a read-only mount). */
#define CAI_AGENT_AUDIT_DIR CAI_AGENT_DIR "/audit"
#define CAI_AGENT_HANDOFF_DIR CAI_AGENT_DIR "/handoff"
#define CAI_AGENT_HANDOFF_NAME "init.sock"
#define CAI_AGENT_WORKSPACE "/workspace"

/* The image's dynamic loader, which decides the shim that can load. */
enum cai_loader {
	CAI_LOADER_NONE = 0, /* none found: static or foreign image */
	CAI_LOADER_GLIBC = 1,
	CAI_LOADER_MUSL = 2,
};

#define CAI_HANDOFF_MAGIC 0x31494143u /* "CAI1" */
/* listener_errno when init was not asked to make a listener. */
#define CAI_HANDOFF_NOT_ASKED (-1)

struct cai_handoff_hello {
	uint32_t magic;
	uint32_t loader;	 /* enum cai_loader */
	uint32_t shim_preloaded; /* 1 when init set LD_PRELOAD for that loader */
	int32_t listener_errno;	 /* 0: the listener comes with this message;
				  * > 0: why none (EBUSY under Sysbox or WSL2);
				  * CAI_HANDOFF_NOT_ASKED */
};

#define CAI_HANDOFF_GO 'g'
#define CAI_HANDOFF_REFUSE 'x'

#endif
