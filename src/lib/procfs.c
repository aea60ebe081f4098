#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

ssize_t cai_read_small_file(const char *path, char *buf, size_t cap, struct cai_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cai_error_set(err, errno, "open `%s`", path);
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cai_error_set(err, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t cai_read_small_file_trim(const char *path, char *buf, size_t cap, struct cai_error *err)
{
	ssize_t n = cai_read_small_file(path, buf, cap, err);
	if (n >= 0)
		n = (ssize_t)strlen(cai_strip_newline(buf));
	return n;
}

ssize_t cai_read_proc_head(const char *path, char *buf, size_t cap, struct cai_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cai_error_set(err, errno, "open `%s`", path);
	ssize_t n;
	while ((n = read(fd, buf, cap - 1)) < 0)
		if (errno != EINTR)
			return cai_error_set(err, errno, "read `%s`", path);
	buf[n] = '\0';
	return n;
}

pid_t cai_read_pidfile(const char *path)
{
	char buf[32];
	struct cai_error ignored;
	if (cai_read_small_file_trim(path, buf, sizeof(buf), &ignored) < 0)
		return 0;
	char *end;
	long pid = strtol(buf, &end, 10);
	return end == buf || *end || pid <= 1 || pid > INT32_MAX ? 0 : (pid_t)pid;
}

long cai_status_field(const char *status_text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = status_text; line && *line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			const char *v = line + klen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			char *end;
			errno = 0;
			long value = strtol(v, &end, 10);
			if (end == v || errno || (*end != '\n' && *end != '\0' && *end != '\t' && *end != ' '))
				return -1;
			return value;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

ssize_t cai_status_name(const char *status_text, char *out, size_t cap)
{
	const char *v = strncmp(status_text, "Name:\t", 6) == 0 ? status_text : strstr(status_text, "\nName:\t");
	if (!v)
		return -1;
	v += v == status_text ? 6 : 7;
	size_t len = 0;
	for (; *v && *v != '\n' && len + 1 < cap; v++) {
		char c = *v;
		if (c == '\\' && (v[1] == 'n' || v[1] == '\\')) {
			v++;
			c = *v == 'n' ? '\n' : '\\';
		}
		out[len++] = c;
	}
	out[len] = '\0';
	return (ssize_t)len;
}

bool cai_word_list_contains(const char *list, const char *word)
{
	size_t wlen = strlen(word);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		size_t n = strcspn(p, " \t\n");
		if (n == wlen && strncmp(p, word, n) == 0)
			return true;
		p += n;
	}
	return false;
}
