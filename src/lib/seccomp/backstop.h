/* The static backstop: system calls an agent never needs and that would let
 * it reach past its sandbox (debug other processes, mount, load kernel code).
 * One list serves two places: the seccomp filter `cai run` installs on the
 * agent's process tree, and the Docker seccomp profile
 * seccomp-containai-agent.json for the Secure Engine's containers. */
#ifndef CAI_BACKSTOP_H
#define CAI_BACKSTOP_H

#include <jv.h>

#include "error.h"

/* NULL-terminated syscall names; each fails with EPERM. */
extern const char *const cai_backstop_syscalls[];

/* Install the backstop on the calling thread (needs no_new_privs or
 * CAP_SYS_ADMIN). Names the running kernel's headers do not know are skipped. */
int cai_backstop_install(struct cai_error *err);

/* The same list as a Docker seccomp profile: everything else allowed, the
 * list denied with EPERM. */
jv cai_backstop_docker_profile(void);
/* That profile written to a new file at path (for `docker run --security-opt
 * seccomp=path`). */
int cai_backstop_write_profile(const char *path, struct cai_error *err);

#endif
