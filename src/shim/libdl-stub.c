/* A stand-in for glibc's libdl.so.2, used only to link the shim and never
 * installed or loaded. glibc before 2.34 has dlsym and dladdr in libdl.so.2
 * at the architecture's first version (GLIBC_2.2.5 on x86_64); 2.34 moved
 * them into libc.so.6 as GLIBC_2.34 and kept the old versions as compat
 * symbols. Linked against this file (see the Makefile's version script),
 * the shim asks for the old versions, which every glibc since 2.17 can
 * answer, instead of the new ones, which stop it loading before 2.34. */
#include <dlfcn.h>
#include <stddef.h>

void *dlsym(void *handle, const char *name)
{
	(void)handle;
	(void)name;
	return NULL;
}

int dladdr(const void *addr, Dl_info *info)
{
	(void)addr;
	(void)info;
	return 0;
}
