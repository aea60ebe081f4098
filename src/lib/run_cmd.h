/* Run an external program (docker, ip, systemctl, apt-get) with a clean,
 * fixed environment, optionally as another user, capturing its output. */
#ifndef CAI_RUN_CMD_H
#define CAI_RUN_CMD_H

#include <stdio.h>
#include <sys/types.h>

#include "error.h"

/* The PATH every program we start gets, whatever the caller's was. */
#define CAI_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct cai_cmd {
	const char *const *argv;
	/* Run as this user instead of the caller (for a sudo user's docker
	 * context); the child drops every privilege before exec. */
	bool as_user;
	uid_t uid;
	gid_t gid;
	const char *user_name;	   /* for initgroups */
	const char *home;	   /* HOME for the child; NULL keeps the caller's */
	const char *docker_config; /* DOCKER_CONFIG for the child; NULL leaves it unset */
	FILE *trace;		   /* echo "+ argv..." there first; NULL: nowhere */
	/* Filled by cai_cmd_run: stdout and stderr, NUL-terminated, each cut at 64 KiB. */
	char *out;
	char *errout;
	int status; /* exit status, or 128 + signal */
};

/* Returns 0 when the program ran (whatever its exit status), -1 with err set
 * when it could not be started (not found: err->errnum == ENOENT). */
int cai_cmd_run(struct cai_cmd *cmd, struct cai_error *err);
void cai_cmd_free(struct cai_cmd *cmd);

/* "docker --context default context ls", for messages. */
char *cai_cmd_string(const char *const *argv);

/* Last non-empty line of s (for quoting a tool's error), in buf. */
const char *cai_last_line(const char *s, char *buf, size_t cap);

#endif
