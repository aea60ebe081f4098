/* dl-call: what dlsym and dladdr answer a program that the shim is
 * preloaded into, and a call through the pointer dlsym returned. Prints
 * one "KEY=VALUE" line per look-up. Not installed; built for the tests
 * only. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "errno_names.h"

typedef int (*open_fn)(const char *, int, ...);

static const char *lib_of(void *addr)
{
	Dl_info info;
	if (!addr || !dladdr(addr, &info) || !info.dli_fname)
		return "(none)";
	const char *slash = strrchr(info.dli_fname, '/');
	return slash ? slash + 1 : info.dli_fname;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/nonexistent/dl-call";
	open_fn first = (open_fn)dlsym(RTLD_DEFAULT, "open");
	open_fn next = (open_fn)dlsym(RTLD_NEXT, "open");
	printf("default=%s\n", lib_of((void *)first));
	printf("next=%s\n", lib_of((void *)next));
	printf("main=%s\n", lib_of((void *)main));
	dlerror();
	void *none = dlsym(RTLD_DEFAULT, "cai_no_such_symbol");
	printf("missing=%s\n", none == NULL && dlerror() != NULL ? "NULL+dlerror" : "found");
	errno = EDOM;
	int fd = first ? first(path, O_RDONLY) : -1;
	int err = errno;
	const char *name = cai_errno_symbol(err);
	printf("ret=%d errno=%s\n", fd, fd < 0 ? (name ? name : "E?") : (err == EDOM ? "0" : "changed"));
	return 0;
}
