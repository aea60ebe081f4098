#include "exec_verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define MAX_DEPTH 4

/* path inside the target's root, without magic links (there, /proc/self
 * would be us). */
static int open_in_root(const struct cai_exec_target *t, const char *path)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, t->rootfd, path, &how, sizeof(how));
}

static bool names_own_proc(const char *path)
{
	return strncmp(path, "/proc/self/", 11) == 0 || strncmp(path, "/proc/thread-self/", 18) == 0;
}

/* The file at path as the target sees it, opened O_PATH: its own /proc/self
 * (and thread-self) through our /proc/<tid>, anything else inside its root.
 * -1 when it cannot be opened. */
static int open_as_target(const struct cai_exec_target *t, const char *path)
{
	char host[4352];
	if (strncmp(path, "/proc/self/", 11) == 0) {
		snprintf(host, sizeof(host), "/proc/%d/%s", (int)t->tid, path + 11);
		return open(host, O_PATH | O_CLOEXEC);
	}
	if (strncmp(path, "/proc/thread-self/", 18) == 0) {
		snprintf(host, sizeof(host), "/proc/%d/task/%d/%s", (int)t->tid, (int)t->tid, path + 18);
		return open(host, O_PATH | O_CLOEXEC);
	}
	return open_in_root(t, path);
}

/* The name the kernel has for fd ("/memfd:x (deleted)", "/usr/bin/id"). */
static void name_of(int fd, char *buf, size_t cap)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, cap - 1);
	buf[n > 0 ? n : 0] = '\0';
}

static bool anonymous(const char *name, const struct stat *st)
{
	size_t n = strlen(name);
	return st->st_nlink == 0 || strncmp(name, "/memfd:", 7) == 0 ||
	       (n > 10 && strcmp(name + n - 10, " (deleted)") == 0);
}

/* A denied path (no glob) that is this very file. */
static const char *same_file(const struct cai_exec_policy *p, const struct cai_exec_target *t, const struct stat *st)
{
	for (size_t i = 0; i < p->ndeny; i++) {
		if (p->deny[i][0] != '/' || strpbrk(p->deny[i], "*?["))
			continue;
		int fd = open_as_target(t, p->deny[i]);
		struct stat d;
		bool same = fd >= 0 && fstat(fd, &d) == 0 && d.st_dev == st->st_dev && d.st_ino == st->st_ino;
		if (fd >= 0)
			close(fd);
		if (same)
			return p->deny[i];
	}
	return NULL;
}

/* A script's interpreter: the first word after "#!", when the file can be
 * read (an execute-only script cannot, and is judged by its own name). */
static bool interpreter_of(int fd, char *out, size_t cap)
{
	char link[64], head[256];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int rfd = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (rfd < 0)
		return false;
	ssize_t n = read(rfd, head, sizeof(head) - 1);
	close(rfd);
	if (n < 3 || head[0] != '#' || head[1] != '!')
		return false;
	head[n] = '\0';
	const char *s = head + 2 + strspn(head + 2, " \t");
	size_t len = strcspn(s, " \t\r\n");
	if (len == 0 || len >= cap)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool is_loader(const char *name)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld-musl-", 8) == 0 || strcmp(base, "ld.so") == 0;
}

/* The program ld.so is asked to run: its first argument that is not an
 * option (those that take a value skip it too). */
static bool loader_target(jv argv, const char *cwd, char *out, size_t cap)
{
	static const char *const with_value[] = {
	    "--library-path",	     "--preload", "--audit", "--argv0", "--inhibit-rpath", "--glibc-hwcaps-mask",
	    "--glibc-hwcaps-prepend"};
	int n = jv_get_kind(argv) == JV_KIND_ARRAY ? jv_array_length(jv_copy(argv)) : 0;
	for (int i = 1; i < n; i++) {
		jv a = jv_array_get(jv_copy(argv), i);
		const char *s = jv_get_kind(a) == JV_KIND_STRING ? jv_string_value(a) : "";
		bool takes = false;
		for (size_t k = 0; k < CAI_ARRAY_LEN(with_value); k++)
			takes |= strcmp(s, with_value[k]) == 0;
		if (s[0] == '-' && s[1] == '-') {
			i += takes;
			jv_free(a);
			continue;
		}
		if (s[0] == '/')
			snprintf(out, cap, "%s", s);
		else
			snprintf(out, cap, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", s);
		jv_free(a);
		return out[0] != '\0';
	}
	return false;
}

static const char *judge(const struct cai_exec_policy *p, const struct cai_exec_target *t, const char *path, jv argv,
			 int depth)
{
	if (depth == 0 && names_own_proc(path)) {
		/* Its own /proc/self, below, is what the kernel resolves, unless
		 * its root has no procfs at /proc: the name inside the root
		 * counts too. */
		char name[4096] = "";
		int in_root = open_in_root(t, path);
		if (in_root >= 0) {
			name_of(in_root, name, sizeof(name));
			close(in_root);
		}
		const char *rule = cai_exec_policy_denies(p, path, name[0] ? name : NULL);
		if (rule)
			return rule;
	}
	int fd = open_as_target(t, path);
	char canonical[4096] = "";
	if (fd >= 0)
		name_of(fd, canonical, sizeof(canonical));
	const char *rule = cai_exec_policy_denies(p, path, canonical[0] ? canonical : NULL);
	if (rule || fd < 0) {
		if (fd >= 0)
			close(fd);
		return rule;
	}
	struct stat st;
	char next[4096];
	if (fstat(fd, &st) == 0) {
		if (anonymous(canonical, &st))
			rule = CAI_POLICY_ANONYMOUS;
		else if (!(rule = same_file(p, t, &st)) && depth < MAX_DEPTH) {
			/* Only a regular file can be exec'd, and only one is
			 * opened to read its "#!": opening a device the agent
			 * names would run its driver's open as root. */
			if (S_ISREG(st.st_mode) && interpreter_of(fd, next, sizeof(next)))
				rule = judge(p, t, next, jv_null(), depth + 1);
			else if (is_loader(canonical) && loader_target(argv, t->cwd, next, sizeof(next)))
				rule = judge(p, t, next, jv_null(), depth + 1);
		}
	}
	close(fd);
	return rule;
}

const char *cai_exec_verdict(const struct cai_exec_policy *p, const struct cai_exec_target *t, const char *path,
			     jv argv)
{
	struct cai_exec_target at = *t;
	if (!at.cwd || !*at.cwd)
		at.cwd = "/";
	return judge(p, &at, path, argv, 0);
}
