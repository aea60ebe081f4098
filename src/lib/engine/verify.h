/* Step 7 of setup, and part of `cai status`: ask the engine, through our
 * context, which runtimes it has and which is the default. */
#ifndef CAI_VERIFY_H
#define CAI_VERIFY_H

#include "docker_user.h"

struct cai_verify {
	bool answered;
	bool sysbox_listed;
	bool default_is_runc;
	char default_runtime[64];
	char error[512]; /* the CLI's complaint when it did not answer */
};

/* Returns -1 only when the docker CLI could not be run at all. */
int cai_verify_engine(const struct cai_docker_user *u, FILE *trace, struct cai_verify *v, struct cai_error *err);

#endif
