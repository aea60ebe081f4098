/* What setup puts into the engine's daemon.json and teardown takes out, as
 * one edit each (one transaction of cai_dj_edit), from one list, so that the
 * two stay each other's inverse. */
#ifndef CAI_ENGINE_CONFIG_H
#define CAI_ENGINE_CONFIG_H

#include <stddef.h>

#include "daemon_json.h"

/* The most operations either edit has. */
#define CAI_ENGINE_CONFIG_MAX_OPS 3

/* Setup's edit: the sysbox-runc runtime entry first, then each setting
 * where the file does not hold one (an admin's own value is kept: op
 * outcome REFUSED, the reason in its note). dockerd before 23 (or of an
 * unknown version, dockerd_major < 0: none) also gets the trust key's
 * path. Returns the number of ops. */
size_t cai_engine_config_setup_ops(struct cai_dj_op ops[static CAI_ENGINE_CONFIG_MAX_OPS], int dockerd_major);

/* Teardown's edit: each setting while it holds our value, then the runtime
 * entry. The settings go first so that an undo snapshot written by the
 * previous version (which described the runtime entry alone) still gives
 * back the file's bytes. */
size_t cai_engine_config_teardown_ops(struct cai_dj_op ops[static CAI_ENGINE_CONFIG_MAX_OPS]);

#endif
