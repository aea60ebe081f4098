#include "egress_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "egress_pattern.h"

/* Lists are short (a preset is tens of lines): a bigger file is a mistake. */
#define LIST_FILE_MAX (256 * 1024)

void cai_egress_list_add(struct cai_egress_list *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void cai_egress_list_free(struct cai_egress_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int cai_egress_allow(struct cai_egress_list *l, const char *entry, struct cai_error *err)
{
	if (cai_egress_pattern_check(entry, err) < 0)
		return -1;
	cai_egress_list_add(l, entry);
	return 0;
}

/* The whole file, NUL-terminated; NULL with *missing set when absent. */
static char *slurp(const char *path, bool *missing, struct cai_error *err)
{
	*missing = false;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*missing = errno == ENOENT;
		cai_error_set(err, errno, "open `%s`", path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > LIST_FILE_MAX) {
		cai_error_set(err, S_ISREG(st.st_mode) ? EFBIG : EINVAL, "read `%s`", path);
		return NULL;
	}
	char *buf = xmalloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	return buf;
}

/* The next line's content without comment and surrounding blanks, or NULL. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	if (!line || !*line)
		return NULL;
	char *nl = strchr(line, '\n');
	*cursor = nl ? nl + 1 : line + strlen(line);
	if (nl)
		*nl = '\0';
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	while (isspace((unsigned char)*line))
		line++;
	size_t n = strlen(line);
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		line[--n] = '\0';
	return line;
}

int cai_egress_allow_file(struct cai_egress_list *l, const char *path, bool missing_ok, struct cai_error *err)
{
	bool missing;
	cleanup_free char *text = slurp(path, &missing, err);
	if (!text)
		return missing && missing_ok ? 0 : -1;
	char *cursor = text, *line;
	for (unsigned lineno = 1; (line = next_line(&cursor)); lineno++) {
		if (!*line)
			continue;
		if (cai_egress_allow(l, line, err) < 0)
			return cai_error_prefix(err, "%s:%u", path, lineno);
	}
	return 0;
}

static bool preset_name_ok(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

int cai_egress_allow_preset(struct cai_egress_list *l, const char *const *dirs, const char *name, struct cai_error *err)
{
	if (!preset_name_ok(name))
		return cai_error_set(err, 0, "preset `%s`: a preset is named with letters, digits, '-' and '_'", name);
	for (const char *const *d = dirs; *d; d++) {
		cleanup_free char *path = xasprintf("%s/%s", *d, name);
		if (access(path, F_OK) == 0)
			return cai_egress_allow_file(l, path, false, err);
	}
	return cai_error_set(err, 0, "no preset `%s` (the presets are the files in %s%s%s)", name, dirs[0],
			     dirs[0] && dirs[1] ? " and " : "", dirs[0] && dirs[1] ? dirs[1] : "");
}

static bool address_ok(const char *s)
{
	char buf[64];
	unsigned char bin[16];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	int family = inet_pton(AF_INET, buf, bin) == 1 ? AF_INET : inet_pton(AF_INET6, buf, bin) == 1 ? AF_INET6 : 0;
	if (!family)
		return false;
	if (!slash)
		return true;
	char *end;
	long prefix = strtol(slash + 1, &end, 10);
	return end != slash + 1 && !*end && prefix >= 0 && prefix <= (family == AF_INET ? 32 : 128);
}

static int admin_line(struct cai_egress_admin *a, char *line, struct cai_error *err)
{
	char *value = line + strcspn(line, " \t");
	if (*value)
		*value++ = '\0';
	value += strspn(value, " \t");
	if (strcmp(line, "project-allowlist") == 0) {
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return cai_error_set(err, 0, "project-allowlist `%s`: say yes or no", value);
		a->project_allowlist = strcmp(value, "yes") == 0;
		return 0;
	}
	if (strcmp(line, "allow-address") == 0) {
		if (!address_ok(value))
			return cai_error_set(err, 0,
					     "allow-address `%s`: give an IPv4 or IPv6 address, optionally "
					     "with /PREFIX",
					     value);
		cai_egress_list_add(&a->addresses, value);
		return 0;
	}
	return cai_error_set(err, 0, "unknown setting `%s` (project-allowlist, allow-address)", line);
}

int cai_egress_admin_load(const char *path, struct cai_egress_admin *a, struct cai_error *err)
{
	memset(a, 0, sizeof(*a));
	bool missing;
	cleanup_free char *text = slurp(path, &missing, err);
	if (!text)
		return missing ? 0 : -1;
	char *cursor = text, *line;
	for (unsigned lineno = 1; (line = next_line(&cursor)); lineno++) {
		if (*line && admin_line(a, line, err) < 0) {
			cai_egress_admin_free(a);
			return cai_error_prefix(err, "%s:%u", path, lineno);
		}
	}
	return 0;
}

void cai_egress_admin_free(struct cai_egress_admin *a)
{
	cai_egress_list_free(&a->addresses);
}
