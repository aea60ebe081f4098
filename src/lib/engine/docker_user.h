/* Whose Docker CLI configuration we manage: root (the caller) and the user
 * behind sudo, each with their own contexts (design decision 4). */
#ifndef CAI_DOCKER_USER_H
#define CAI_DOCKER_USER_H

#include <limits.h>
#include <sys/types.h>

#include "error.h"

struct cai_docker_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	bool is_caller; /* the process itself, no privilege change */
	char home[PATH_MAX];
	char docker_config[PATH_MAX + 16]; /* where the CLI keeps config.json and contexts */
};

#define CAI_MAX_DOCKER_USERS 2

/* The caller, then SUDO_USER when it names another real user whose uid
 * matches SUDO_UID. Returns how many were filled, or -1 with err set. */
int cai_docker_users(struct cai_docker_user users[CAI_MAX_DOCKER_USERS], struct cai_error *err);

#endif
