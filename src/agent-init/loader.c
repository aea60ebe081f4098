#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_client.h"

/* The loaders' fixed paths (PT_INTERP) on the architectures we build for. */
#if defined(__x86_64__)
#define GLIBC_LOADER "/lib64/ld-linux-x86-64.so.2"
#define MUSL_LOADER "/lib/ld-musl-x86_64.so.1"
#elif defined(__aarch64__)
#define GLIBC_LOADER "/lib/ld-linux-aarch64.so.1"
#define MUSL_LOADER "/lib/ld-musl-aarch64.so.1"
#else
#define GLIBC_LOADER NULL
#define MUSL_LOADER NULL
#endif

static bool present(const char *path)
{
	return path && access(path, X_OK) == 0;
}

enum cai_loader cai_image_loader(void)
{
	if (present(GLIBC_LOADER))
		return CAI_LOADER_GLIBC;
	if (present(MUSL_LOADER))
		return CAI_LOADER_MUSL;
	return CAI_LOADER_NONE;
}

bool cai_preload_shim(const char *shim, const char *audit_socket)
{
	if (!shim || access(shim, R_OK) != 0)
		return false;
	const char *old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t n = strlen(shim) + strlen(old) + 2;
		char *both = malloc(n);
		if (!both)
			return false;
		snprintf(both, n, "%s:%s", shim, old);
		setenv("LD_PRELOAD", both, 1);
		free(both);
	} else {
		setenv("LD_PRELOAD", shim, 1);
	}
	if (audit_socket)
		setenv(CAI_AUDIT_SOCKET_ENV, audit_socket, 1);
	return true;
}
