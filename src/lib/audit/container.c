/* Invariants:
 * - A container id MUST come only from Docker's own placements at the root
 *   of a cgroup hierarchy: a user with a delegated subtree can name a
 *   cgroup after any id, but only below their own slice.
 * - An id MUST be 64 lowercase hex digits before it is used in a path, so
 *   a peer can never steer which file is opened.
 * - The engine's file MUST be opened without following a final symlink,
 *   MUST be a regular file owned by root (or by us) and writable by no one
 *   else, and is read up to a fixed size and parsed by libjq. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "engine_paths.h"

bool cai_container_id_valid(const char *s)
{
	for (int i = 0; i < CAI_CONTAINER_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[CAI_CONTAINER_ID_LEN] == '\0';
}

static bool is_hex_id_at(const char *p, const char *end)
{
	if (end - p < CAI_CONTAINER_ID_LEN)
		return false;
	for (int i = 0; i < CAI_CONTAINER_ID_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* path..end is one cgroup path; the id must be followed by end or '/'. */
static bool match_prefix(const char *path, const char *end, const char *before, const char *after,
			 char id[CAI_CONTAINER_ID_LEN + 1])
{
	size_t bl = strlen(before), al = strlen(after);
	if ((size_t)(end - path) < bl || strncmp(path, before, bl) != 0)
		return false;
	const char *p = path + bl;
	if (!is_hex_id_at(p, end))
		return false;
	const char *q = p + CAI_CONTAINER_ID_LEN;
	if ((size_t)(end - q) < al || strncmp(q, after, al) != 0)
		return false;
	q += al;
	if (q != end && *q != '/')
		return false;
	memcpy(id, p, CAI_CONTAINER_ID_LEN);
	id[CAI_CONTAINER_ID_LEN] = '\0';
	return true;
}

/* "N:controllers:/path" (v1, controllers not empty) or "0::/path" (v2);
 * returns the path's start, or NULL for any other shape. */
static const char *line_path(const char *line, const char *end)
{
	const char *p = line;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == line || p == end || *p != ':')
		return NULL;
	bool v2 = p - line == 1 && line[0] == '0';
	const char *c = ++p;
	while (p < end && *p != ':')
		p++;
	if (p == end || (v2 != (p == c)))
		return NULL;
	return p + 1;
}

/* Docker's own placement on one line, at the root of its hierarchy. */
static bool line_container(const char *line, const char *end, char id[CAI_CONTAINER_ID_LEN + 1])
{
	const char *path = line_path(line, end);
	return path && (match_prefix(path, end, "/docker/", "", id) ||
			match_prefix(path, end, "/system.slice/docker-", ".scope", id));
}

int cai_container_id_from_cgroup(const char *cgroup_text, char id[CAI_CONTAINER_ID_LEN + 1])
{
	id[0] = '\0';
	if (!cgroup_text)
		return 0;
	for (const char *line = cgroup_text; *line;) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (line_container(line, end, id))
			return 1;
		line = *end ? end + 1 : end;
	}
	return 0;
}

bool cai_cgroup_unified_decides(const char *cgroup_text, int rc, const char *id)
{
	bool unified = false, other = false, unified_in = false;
	char unified_id[CAI_CONTAINER_ID_LEN + 1] = "";
	for (const char *line = cgroup_text; line && *line;) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (end - line >= 3 && memcmp(line, "0::", 3) == 0) {
			if (unified)
				return false; /* two: not a file the kernel writes */
			unified = true;
			unified_in = line_container(line, end, unified_id);
		} else if (end != line) {
			other = true;
		}
		line = *end ? end + 1 : end;
	}
	if (!unified)
		return false;
	if (rc == 1)
		return unified_in && strcmp(unified_id, id) == 0;
	/* Not in a container by any line: the unified cgroup says so alone
	 * only where no v1 hierarchy could hold a container. */
	return rc == 0 && !unified_in && !other;
}

/* Up to cap-1 bytes of an open fd, NUL-terminated; -1 with errno. */
static ssize_t read_fd(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static int read_config(const char *path, char **text, size_t *len, struct cai_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return cai_error_set(err, errno, "open `%s`", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cai_error_set(err, errno, "stat `%s`", path);
	if (!S_ISREG(st.st_mode))
		return cai_error_set(err, 0, "`%s` is not a regular file", path);
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return cai_error_set(err, 0, "`%s` may be written by others than the engine", path);
	if (st.st_size > CAI_CONTAINER_CONFIG_MAX)
		return cai_error_set(err, EFBIG, "`%s` is %lld bytes", path, (long long)st.st_size);
	cleanup_free char *buf = xmalloc(CAI_CONTAINER_CONFIG_MAX + 2);
	ssize_t n = read_fd(fd, buf, CAI_CONTAINER_CONFIG_MAX + 2);
	if (n < 0)
		return cai_error_set(err, errno, "read `%s`", path);
	if (n > CAI_CONTAINER_CONFIG_MAX)
		return cai_error_set(err, EFBIG, "`%s` grew past %d bytes", path, CAI_CONTAINER_CONFIG_MAX);
	*len = (size_t)n;
	*text = steal_pointer(&buf);
	return 0;
}

/* Docker's own rule for names, [a-zA-Z0-9][a-zA-Z0-9_.-]+: nothing that
 * could fake a field or a line where the name is printed. */
static bool docker_name_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (n == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return n >= 2;
}

int cai_container_name(const char *data_root, const char *id, char *name, size_t cap, struct cai_error *err)
{
	if (cap)
		name[0] = '\0';
	if (!id || !cai_container_id_valid(id))
		return cai_error_set(err, EINVAL, "not a container id");
	cleanup_free char *path = xasprintf("%s/containers/%s/config.v2.json", data_root, id);
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (read_config(path, &text, &len, err) < 0)
		return -1;
	jv doc = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(doc)) {
		jv_free(doc);
		return cai_error_set(err, 0, "`%s` is not JSON", path);
	}
	jv v = jv_get_kind(doc) == JV_KIND_OBJECT ? jv_object_get(jv_copy(doc), jv_string("Name")) : jv_invalid();
	jv_free(doc);
	int rc = 0;
	if (jv_get_kind(v) != JV_KIND_STRING) {
		rc = cai_error_set(err, 0, "`%s` has no string .Name", path);
	} else {
		const char *full = jv_string_value(v);
		bool whole = (size_t)jv_string_length_bytes(jv_copy(v)) == strlen(full); /* no NUL inside */
		const char *s = *full == '/' ? full + 1 : full;
		if (!whole || !docker_name_ok(s))
			rc = cai_error_set(err, 0, "`%s`: .Name is not a name Docker gives", path);
		else if (strlen(s) >= cap)
			rc = cai_error_set(err, ENAMETOOLONG, "`%s`: .Name", path);
		else
			memcpy(name, s, strlen(s) + 1);
	}
	jv_free(v);
	return rc;
}

int cai_container_id_of_pid(pid_t pid, char id[CAI_CONTAINER_ID_LEN + 1], bool *unified_decides, struct cai_error *err)
{
	id[0] = '\0';
	if (unified_decides)
		*unified_decides = false;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cai_error_set(err, errno, "open `%s`", path);
	/* Most fit in a page, read without an allocation (the collector
	 * reads one per connection); a longer one is read on. */
	char small[4096];
	cleanup_free char *big = NULL;
	char *buf = small;
	ssize_t n = read_fd(fd, small, sizeof(small));
	if (n == (ssize_t)sizeof(small) - 1) {
		big = xmalloc(CAI_CONTAINER_CGROUP_MAX);
		memcpy(big, small, (size_t)n);
		ssize_t more = read_fd(fd, big + n, CAI_CONTAINER_CGROUP_MAX - (size_t)n);
		n = more < 0 ? -1 : n + more;
		buf = big;
	}
	if (n < 0)
		return cai_error_set(err, errno, "read `%s`", path);
	/* A text that filled the buffer may end mid-line: a cut path could
	 * look like an id that the full one is not. */
	if ((size_t)n == CAI_CONTAINER_CGROUP_MAX - 1) {
		char *nl = strrchr(buf, '\n');
		*(nl ? nl + 1 : buf) = '\0';
	}
	int rc = cai_container_id_from_cgroup(buf, id);
	if (unified_decides)
		*unified_decides = cai_cgroup_unified_decides(buf, rc, id);
	return rc;
}

int cai_container_of_pid(pid_t pid, const char *data_root, struct cai_container *c, struct cai_error *err)
{
	memset(c, 0, sizeof(*c));
	int rc = cai_container_id_of_pid(pid, c->id, NULL, err);
	if (rc != 1)
		return rc;
	cai_container_name(data_root ? data_root : CAI_ENGINE_DATA_ROOT, c->id, c->name, sizeof(c->name), err);
	return 1;
}

jv cai_container_jv(const struct cai_container *c)
{
	if (!c->id[0])
		return jv_null();
	jv o = jv_object();
	o = jv_object_set(o, jv_string("id"), jv_string(c->id));
	return jv_object_set(o, jv_string("name"), c->name[0] ? jv_string(c->name) : jv_null());
}
