/* Preloading the audit shim into a program about to be exec'd: the host
 * form of `cai run` and cai-agent-init in a container do it the same way. */
#ifndef CAI_PRELOAD_H
#define CAI_PRELOAD_H

#include <stdbool.h>

/* Put shim first in LD_PRELOAD (keeping what is there) and, when
 * audit_socket is not NULL, point the shim at it. Returns false when the
 * shim is not readable (nothing changed) or the environment cannot be set
 * (errno says why). One implementation for `cai run`, `cai audit run`,
 * `cai-audit run` and cai-agent-init. */
bool cai_preload_shim(const char *shim, const char *audit_socket);

#endif
