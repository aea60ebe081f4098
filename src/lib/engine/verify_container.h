/* Part of setup's verify step: run a real container of each runtime on the
 * engine, from an image made here from a file the package ships (the static
 * cai-agent-init: no registry, no network), with the agent's backstop
 * profile, and report whether it ran and whether a process in it may hold
 * the exec listener. */
#ifndef CAI_VERIFY_CONTAINER_H
#define CAI_VERIFY_CONTAINER_H

#include "docker_user.h"
#include "error.h"

#define CAI_VERIFY_IMAGE "containai/verify:" CAI_VERSION

struct cai_container_check {
	const char *runtime; /* set by the caller */
	bool ran;	     /* the container started and its init answered */
	char listener[32];   /* "supported", "EBUSY"... what init found */
	char error[512];     /* why it did not run: docker's last line */
};

/* Import CAI_VERIFY_IMAGE from init_path unless the engine has it, then run
 * one container per check. Returns -1 with err only when the checks could
 * not be made (docker missing, the image not importable); a container that
 * fails is ran == false with the reason. */
int cai_verify_containers(const struct cai_docker_user *u, const char *init_path, struct cai_container_check *checks,
			  size_t n, FILE *trace, struct cai_error *err);

#endif
