/* Which platform we run on (plain Linux, WSL1, WSL2) and whether Docker
 * Desktop's WSL integration is present. Shared by the probe and `cai`. */
#ifndef CAI_PLATFORM_H
#define CAI_PLATFORM_H

#include "error.h"

enum cai_platform_kind {
	CAI_PLATFORM_LINUX,
	CAI_PLATFORM_WSL1,
	CAI_PLATFORM_WSL2,
};

/* What made us decide; reported so an admin can check our reasoning. */
enum cai_wsl_evidence {
	CAI_WSL_OSRELEASE_WSL2 = 1u << 0, /* osrelease says microsoft-standard or WSL2 */
	CAI_WSL_VERSION_WSL2 = 1u << 1,	  /* /proc/version says so */
	CAI_WSL_OSRELEASE_WSL1 = 1u << 2, /* "Microsoft" with a capital M: WSL1's fake kernel */
	CAI_WSL_VERSION_WSL1 = 1u << 3,
	CAI_WSL_INTEROP = 1u << 4,	/* /proc/sys/fs/binfmt_misc/WSLInterop */
	CAI_WSL_INTEROP_LATE = 1u << 5, /* /proc/sys/fs/binfmt_misc/WSLInterop-late */
	CAI_WSL_RUN_WSL = 1u << 6,	/* /run/WSL */
};
#define CAI_WSL_EVIDENCE_COUNT 7

#define CAI_PATH_OSRELEASE "/proc/sys/kernel/osrelease"
#define CAI_PATH_VERSION "/proc/version"
#define CAI_PATH_WSL_INTEROP "/proc/sys/fs/binfmt_misc/WSLInterop"
#define CAI_PATH_WSL_INTEROP_LATE "/proc/sys/fs/binfmt_misc/WSLInterop-late"
#define CAI_PATH_RUN_WSL "/run/WSL"
#define CAI_PATH_MNT_WSL "/mnt/wsl"
#define CAI_PATH_DD_PROXY_SOCKET "/mnt/wsl/docker-desktop/shared-sockets/guest-services/docker.proxy.sock"

#define CAI_DD_MAX_PATHS 8

struct cai_platform {
	enum cai_platform_kind kind;
	char osrelease[256];
	char version[1024];
	unsigned evidence; /* enum cai_wsl_evidence bits */
	/* Docker Desktop's WSL integration: /mnt/wsl/docker-desktop* and its proxy socket. */
	bool docker_desktop;
	bool docker_desktop_proxy_socket;
	size_t docker_desktop_npaths;
	char docker_desktop_paths[CAI_DD_MAX_PATHS][sizeof(CAI_PATH_MNT_WSL) + 256];
};

/* Read the system and fill p. Fails only when /proc is unreadable. */
int cai_platform_detect(struct cai_platform *p, struct cai_error *err);

/* Decide p->kind from p->osrelease, p->version and the file evidence
 * already in p->evidence; adds the kernel-string evidence bits. Pure. */
void cai_platform_classify(struct cai_platform *p);

const char *cai_platform_kind_name(enum cai_platform_kind kind);
/* Stable token for one evidence bit ("osrelease-wsl2", "interop"...). */
const char *cai_wsl_evidence_name(unsigned bit);

#endif
