#include "egress_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "atomic_file.h"

#define CLIENT_FILE_MAX (256 * 1024)

bool cai_egress_addr_valid(const char *addr)
{
	struct in_addr a;
	return strlen(addr) < 16 && inet_pton(AF_INET, addr, &a) == 1;
}

int cai_egress_client_write(const char *dir, const char *addr, const struct cai_container *c,
			    const struct cai_egress_list *allow, struct cai_error *err)
{
	if (!cai_egress_addr_valid(addr))
		return cai_error_set(err, EINVAL, "egress client address `%s`", addr);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return cai_error_set(err, errno, "open_memstream");
	fprintf(f, "container %s %s\n", c->id, c->name[0] ? c->name : "-");
	for (size_t i = 0; i < allow->n; i++)
		fprintf(f, "allow %s\n", allow->v[i]);
	fclose(f);
	cleanup_free char *tmp = xasprintf("%s/.%s.tmp", dir, addr);
	cleanup_free char *path = xasprintf("%s/%s", dir, addr);
	unlink(tmp);
	int rc = cai_write_new_file(tmp, text, len, 0644, err);
	free(text);
	/* The proxy's helper (squid's user) reads it, whatever our umask. */
	if (rc < 0 || chmod(tmp, 0644) < 0) {
		if (rc == 0)
			cai_error_set(err, errno, "chmod `%s`", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return cai_error_set(err, e, "rename `%s` to `%s`", tmp, path);
	}
	return 0;
}

int cai_egress_client_remove(const char *dir, const char *addr, struct cai_error *err)
{
	if (!cai_egress_addr_valid(addr))
		return cai_error_set(err, EINVAL, "egress client address `%s`", addr);
	cleanup_free char *path = xasprintf("%s/%s", dir, addr);
	if (unlink(path) < 0 && errno != ENOENT)
		return cai_error_set(err, errno, "remove `%s`", path);
	return 0;
}

static char *read_trusted(const char *path, bool *missing, struct cai_error *err)
{
	*missing = false;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*missing = errno == ENOENT;
		cai_error_set(err, errno, "open `%s`", path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
	    st.st_size > CLIENT_FILE_MAX) {
		cai_error_set(err, EPERM, "`%s` is not a root-owned regular file of at most %d bytes", path,
			      CLIENT_FILE_MAX);
		return NULL;
	}
	char *buf = xmalloc((size_t)st.st_size + 1);
	ssize_t n = read(fd, buf, (size_t)st.st_size);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int parse_client(char *text, struct cai_egress_client *out, struct cai_error *err)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "allow ", 6) == 0) {
			cai_egress_list_add(&out->allow, line + 6);
		} else if (strncmp(line, "container ", 10) == 0) {
			char id[80] = "", name[256] = "";
			if (sscanf(line + 10, "%79s %255s", id, name) < 1 || !cai_container_id_valid(id))
				return cai_error_set(err, EINVAL, "egress client: malformed line `%.80s`", line);
			memcpy(out->container.id, id, CAI_CONTAINER_ID_LEN + 1); /* checked: 64 hex digits */
			if (strcmp(name, "-") != 0)
				snprintf(out->container.name, sizeof(out->container.name), "%s", name);
		}
	}
	return 0;
}

int cai_egress_client_load(const char *dir, const char *addr, struct cai_egress_client *out, struct cai_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!cai_egress_addr_valid(addr))
		return 0;
	cleanup_free char *path = xasprintf("%s/%s", dir, addr);
	bool missing;
	cleanup_free char *text = read_trusted(path, &missing, err);
	if (!text)
		return missing ? 0 : -1;
	if (parse_client(text, out, err) < 0) {
		cai_egress_client_free(out);
		return -1;
	}
	return 1;
}

void cai_egress_client_free(struct cai_egress_client *c)
{
	cai_egress_list_free(&c->allow);
}
