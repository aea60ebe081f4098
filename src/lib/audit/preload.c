#include "preload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_client.h"

bool cai_preload_shim(const char *shim, const char *audit_socket)
{
	if (!shim || access(shim, R_OK) != 0)
		return false;
	const char *old = getenv("LD_PRELOAD");
	int rc;
	if (old && *old) {
		/* Not xasprintf: cai-agent-init links no allocator that dies. */
		size_t n = strlen(shim) + strlen(old) + 2;
		char *both = malloc(n);
		if (!both)
			return false;
		snprintf(both, n, "%s:%s", shim, old);
		rc = setenv("LD_PRELOAD", both, 1);
		free(both);
	} else {
		rc = setenv("LD_PRELOAD", shim, 1);
	}
	if (rc == 0 && audit_socket)
		rc = setenv(CAI_AUDIT_SOCKET_ENV, audit_socket, 1);
	return rc == 0;
}
