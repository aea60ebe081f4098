/* Keeping children audited: an exec with a cleaned environment (an
 * explicit envp, `env -i`) would drop LD_PRELOAD and the socket variable,
 * so they are put back. The new array lives in mmap'd memory: malloc is
 * not safe in a vfork child or after fork in a threaded program.
 * The socket variable is always ours: an audited program does not get to
 * redirect its children's events elsewhere. */
#include "shim.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool has_prefix(const char *s, const char *p, size_t pl)
{
	return cai_starts_with(s, p, pl);
}

/* Whether the loader will load path from this LD_PRELOAD value: one of
 * its elements (ld.so splits on spaces and colons) is exactly path. A
 * name that merely contains ours (a backup copy, a typo) loads nothing
 * of ours, and the child would run unaudited. */
static size_t element_len(const char *list)
{
	/* Not strcspn: in a fork child about to exec, a libc page costs a
	 * page fault (raw.h). */
	size_t n = 0;
	while (list[n] && list[n] != ' ' && list[n] != ':')
		n++;
	return n;
}

static bool preload_lists(const char *list, const char *path)
{
	size_t pl = cai_strnlen(path, sizeof(cai_cfg.self_path));
	while (pl && *list) {
		size_t n = element_len(list);
		if (n == pl && cai_starts_with(list, path, pl))
			return true;
		list += n;
		if (*list)
			list++;
	}
	return false;
}

char **cai_env_inject(char *const envp[], size_t *map_len)
{
	static const char pre[] = "LD_PRELOAD=";
	static const char sock[] = CAI_AUDIT_SOCKET_ENV "=";
	if (!cai_cfg.self_path[0])
		return NULL;
	size_t n = 0;
	bool preload_ok = false, sock_ok = false, preload_seen = false;
	const char *old_preload = NULL;
	for (; envp && envp[n]; n++) {
		if (has_prefix(envp[n], pre, sizeof(pre) - 1)) {
			preload_seen = true;
			old_preload = envp[n] + sizeof(pre) - 1;
			preload_ok = preload_lists(old_preload, cai_cfg.self_path);
		} else if (has_prefix(envp[n], sock, sizeof(sock) - 1)) {
			sock_ok = cai_streq(envp[n], cai_cfg.socket_env);
		}
	}
	if (preload_ok && sock_ok)
		return NULL;
	size_t old_len = old_preload ? strlen(old_preload) : 0;
	size_t preload_len = strlen(cai_cfg.self_path) + old_len + sizeof(pre) + 2;
	size_t bytes = (n + 3) * sizeof(char *) + preload_len;
	long page = 4096;
	size_t len = (bytes + (size_t)page - 1) & ~((size_t)page - 1);
	void *map =
	    (void *)cai_syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	char **out = map;
	char *str = (char *)(out + n + 3);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (has_prefix(envp[i], sock, sizeof(sock) - 1))
			continue;
		if (has_prefix(envp[i], pre, sizeof(pre) - 1) && !preload_ok)
			continue;
		out[k++] = envp[i];
	}
	if (!preload_ok) {
		/* Ours first, then what the program asked for; a child whose
		 * environment lost LD_PRELOAD gets this library only, not
		 * whatever else the first program preloaded. */
		char *p = str;
		memcpy(p, pre, sizeof(pre) - 1);
		p += sizeof(pre) - 1;
		size_t sl = strlen(cai_cfg.self_path);
		memcpy(p, cai_cfg.self_path, sl + 1);
		p += sl;
		if (preload_seen && old_len) {
			*p++ = ':';
			memcpy(p, old_preload, old_len + 1);
		}
		out[k++] = str;
	}
	out[k++] = cai_cfg.socket_env;
	out[k] = NULL;
	*map_len = len;
	return out;
}

void cai_env_release(char **env, size_t map_len)
{
	if (env)
		cai_syscall(SYS_munmap, env, map_len);
}
