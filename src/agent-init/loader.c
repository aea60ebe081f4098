#include "loader.h"

#include <unistd.h>

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
