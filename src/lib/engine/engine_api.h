/* One GET to the engine's API over its unix socket, without the docker CLI:
 * for what must be quick (cai run asks for its container's address while
 * the agent waits to start). */
#ifndef CAI_ENGINE_API_H
#define CAI_ENGINE_API_H

#include <jv.h>

#include "error.h"

/* GET path (e.g. "/containers/ID/json") from the engine at socket_path: the
 * JSON body of a 200 answer (owned by the caller), or an invalid jv with
 * err. */
jv cai_engine_api_get(const char *socket_path, const char *path, struct cai_error *err);

#endif
