/* Which dynamic loader the container's image has, which decides the shim
 * that can be preloaded into its programs (preload.h). */
#ifndef CAI_INIT_LOADER_H
#define CAI_INIT_LOADER_H

#include <stdbool.h>

#include "agent_handoff.h"

/* The image's loader: glibc's first (an image with both runs glibc programs). */
enum cai_loader cai_image_loader(void);

#endif
