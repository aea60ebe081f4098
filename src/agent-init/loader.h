/* Which dynamic loader the container's image has, and the shim that can be
 * preloaded into its programs. */
#ifndef CAI_INIT_LOADER_H
#define CAI_INIT_LOADER_H

#include <stdbool.h>

#include "agent_handoff.h"

/* The image's loader: glibc's first (an image with both runs glibc programs). */
enum cai_loader cai_image_loader(void);

/* Put shim first in LD_PRELOAD (keeping what is there) and point the shim
 * at the collector's socket. Returns false when the shim is not readable. */
bool cai_preload_shim(const char *shim, const char *audit_socket);

#endif
