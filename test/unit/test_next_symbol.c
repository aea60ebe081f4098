/* The glibc shim's stand-in for dlsym(RTLD_NEXT, name) (next_symbol.c),
 * linked here into the program itself: the objects after it are then all
 * of its libraries, and every answer must be the address dlsym gives for
 * the same name from the same place. Covers the names the shim resolves,
 * functions with a hidden older version (nftw, posix_spawn), GNU indirect
 * functions with two versions (memcpy), a library after libc (libjq),
 * one loaded later with only the old ELF hash table, and names nobody
 * defines. */
#include <dlfcn.h>
#include <jv.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/shim/shim.h"
#include "tap.h"

static const char *const shim_names[] = {
    "open",	      "openat",
    "creat",	      "fopen",
    "freopen",	      "open64",
    "openat64",	      "creat64",
    "__open_2",	      "__open64_2",
    "__openat_2",     "__openat64_2",
    "fopen64",	      "freopen64",
    "connect",	      "execve",
    "execvpe",	      "execvp",
    "fexecve",	      "posix_spawn",
    "posix_spawnp",   "system",
    "popen",	      "opendir",
    "close",	      "dup2",
    "dup3",	      "execveat",
    "close_range",    "closefrom",
    "_Fork",	      "clone",
    "setuid",	      "setreuid",
    "setresuid",      "seteuid",
    "prctl",	      "pthread_setname_np",
    "chdir",	      "fchdir",
    "chroot",	      "daemon",
    "unshare",	      "setns",
    "nftw",	      "nftw64",
    "fts_read",	      "fts_children",
    "fts_close",      "fts64_read",
    "fts64_children", "fts64_close",
};

static void same_as_dlsym(const char *name)
{
	void *want = dlsym(RTLD_NEXT, name);
	void *got = cai_next_symbol(name);
	if (!ok(got == want, "%s: %p, as dlsym(RTLD_NEXT) says", name, got))
		printf("#   dlsym says %p\n", want);
}

/* The list form, as the shim's constructor uses it: every answer the
 * same as one name at a time, unknown names left NULL in place. */
static void batch_checks(void)
{
	enum { N = sizeof(shim_names) / sizeof(shim_names[0]) };
	char list[2048];
	size_t used = 0;
	for (size_t i = 0; i < N; i++) {
		size_t l = strlen(shim_names[i]) + 1;
		memcpy(list + used, shim_names[i], l);
		used += l;
	}
	list[used] = '\0';
	void *found[N + 1];
	ok(cai_next_symbols(list, found, N + 1) == N, "a list of the shim's %d names: all looked at", N);
	size_t same = 0;
	for (size_t i = 0; i < N; i++)
		same += found[i] && found[i] == dlsym(RTLD_NEXT, shim_names[i]);
	ok(same == N, "each answer is dlsym's (%zu of %d)", same, N);

	void *mixed[5] = {(void *)1, (void *)1, (void *)1, (void *)1, (void *)1};
	ok(cai_next_symbols("jv_parse\0cai_no_such_function\0memcpy\0main\0", mixed, 5) == 4,
	   "a list of 4 names: 4 looked at");
	ok(mixed[0] == (void *)jv_parse && mixed[1] == NULL && mixed[2] == dlsym(RTLD_NEXT, "memcpy") &&
	       mixed[3] == NULL && mixed[4] == (void *)1,
	   "found, unknown, found, the program's own: each in its place, nothing past the list written");

	void *two[3] = {NULL, NULL, (void *)1};
	ok(cai_next_symbols("open\0close\0dup2\0", two, 2) == 2 && two[0] == dlsym(RTLD_NEXT, "open") &&
	       two[1] == dlsym(RTLD_NEXT, "close") && two[2] == (void *)1,
	   "max 2: two names looked at, the third left alone");

	static char many[CAI_NEXT_MAX * 8 + 64];
	size_t at = 0;
	for (int i = 0; i < CAI_NEXT_MAX + 6; i++)
		at += (size_t)sprintf(many + at, "close") + 1;
	many[at] = '\0';
	static void *lots[CAI_NEXT_MAX + 6];
	ok(cai_next_symbols(many, lots, CAI_NEXT_MAX + 6) == CAI_NEXT_MAX && lots[CAI_NEXT_MAX - 1] == (void *)close,
	   "a list longer than CAI_NEXT_MAX: the first %d looked at", CAI_NEXT_MAX);
	void *none = (void *)1;
	ok(cai_next_symbols("", &none, 1) == 0 && none == (void *)1, "an empty list: nothing looked at or written");
}

int main(int argc, char **argv)
{
	batch_checks();
	for (size_t i = 0; i < sizeof(shim_names) / sizeof(shim_names[0]); i++) {
		ok(cai_next_symbol(shim_names[i]) != NULL, "%s is found", shim_names[i]);
		same_as_dlsym(shim_names[i]);
	}

	/* nftw@GLIBC_2.2.5 is hidden behind nftw@@GLIBC_2.3.3: the default. */
	same_as_dlsym("realpath");
	/* Indirect functions: the resolver's choice, at the default version. */
	same_as_dlsym("memcpy");
	same_as_dlsym("strlen");
	/* A function of a library loaded after libc. */
	jv keep = jv_null(); /* links libjq */
	jv_free(keep);
	ok(cai_next_symbol("jv_parse") == (void *)jv_parse, "jv_parse is libjq's");
	same_as_dlsym("jv_parse");

	/* A name at the very end of its allocation: nothing after its NUL may
	 * be read (the sanitized build's AddressSanitizer checks it). */
	char *heap = malloc(sizeof("open"));
	if (heap) {
		memcpy(heap, "open", sizeof("open"));
		ok(cai_next_symbol(heap) == dlsym(RTLD_NEXT, "open"), "a name at the end of its allocation: found");
		free(heap);
	}

	/* What no object defines, and what is not a function. */
	ok(cai_next_symbol("cai_no_such_function") == NULL, "an unknown name: NULL");
	ok(cai_next_symbol("") == NULL, "the empty name: NULL");
	ok(cai_next_symbol("environ") == NULL, "a variable (environ): NULL, functions only");
	/* Defined here, in the program itself, which is not "next". */
	ok(cai_next_symbol("main") == NULL, "main (before this object's end): NULL");

	/* A library with only the old ELF hash table (DT_HASH), loaded now. */
	/* Built beside this program (see the Makefile). */
	char sysv[PATH_MAX];
	const char *slash = strrchr(argv[0], '/');
	int n = slash ? snprintf(sysv, sizeof(sysv), "%.*s/sysv-hash.so", (int)(slash - argv[0]), argv[0]) : -1;
	if (argc > 1)
		n = snprintf(sysv, sizeof(sysv), "%s", argv[1]);
	if (n > 0 && (size_t)n < sizeof(sysv) && access(sysv, R_OK) == 0) {
		void *h = dlopen(sysv, RTLD_NOW | RTLD_GLOBAL);
		ok(h != NULL, "the DT_HASH-only library loads (%s)", h ? "ok" : dlerror());
		void *fn = h ? dlsym(h, "cai_sysv_hash_probe") : NULL;
		ok(fn && cai_next_symbol("cai_sysv_hash_probe") == fn, "found through its DT_HASH table");
		ok(fn && ((int (*)(void))cai_next_symbol("cai_sysv_hash_probe"))() == 4242, "and called");
		ok(cai_next_symbol("cai_sysv_hash_absent") == NULL, "an unknown name there: NULL");
		void *pair[2];
		ok(cai_next_symbols("cai_sysv_hash_probe\0openat\0", pair, 2) == 2 && fn && pair[0] == fn &&
		       pair[1] == dlsym(RTLD_NEXT, "openat"),
		   "one list answered from two objects: the DT_HASH library and libc");
	} else {
		skip("no DT_HASH-only library given", "a library with only DT_HASH");
		skip("no DT_HASH-only library given", "one list answered from two objects");
	}

	char self[PATH_MAX];
	ok(!cai_self_path(self, sizeof(self)), "the program's own object has no absolute name in the list");
	return done_testing();
}
