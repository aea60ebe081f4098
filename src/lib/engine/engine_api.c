#include "engine_api.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

/* An inspect answer is a few KiB; this bounds a broken one. */
#define API_ANSWER_MAX (4 * 1024 * 1024)
#define API_TIMEOUT_MS 10000

static int connect_unix(const char *path, struct cai_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return cai_error_set(err, ENAMETOOLONG, "connect `%s`", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cai_error_set(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return cai_error_set(err, e, "connect `%s`", path);
	}
	return fd;
}

/* The whole answer: HTTP/1.0, so the engine closes when it is done (no
 * chunked encoding to undo). */
static char *read_all(int fd, size_t *len, struct cai_error *err)
{
	size_t cap = 16384;
	char *buf = xmalloc(cap + 1);
	*len = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, API_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			cai_error_set(err, r == 0 ? ETIMEDOUT : errno, "read the engine's answer");
			return NULL;
		}
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			cai_error_set(err, errno, "read the engine's answer");
			return NULL;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len == cap) {
			if (cap >= API_ANSWER_MAX) {
				free(buf);
				cai_error_set(err, EFBIG, "read the engine's answer");
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	buf[*len] = '\0';
	return buf;
}

jv cai_engine_api_get(const char *socket_path, const char *path, struct cai_error *err)
{
	cleanup_close int fd = connect_unix(socket_path, err);
	if (fd < 0)
		return jv_invalid();
	cleanup_free char *req = xasprintf("GET %s HTTP/1.0\r\nHost: docker\r\n\r\n", path);
	size_t n = strlen(req);
	if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
		cai_error_set(err, errno, "ask the engine for `%s`", path);
		return jv_invalid();
	}
	size_t len;
	cleanup_free char *answer = read_all(fd, &len, err);
	if (!answer)
		return jv_invalid();
	int status = 0;
	char *body = strstr(answer, "\r\n\r\n");
	if (sscanf(answer, "HTTP/1.%*d %d", &status) != 1 || !body) {
		cai_error_set(err, EPROTO, "the engine's answer to `%s` is not HTTP", path);
		return jv_invalid();
	}
	if (status != 200) {
		cai_error_set(err, 0, "the engine answered %d to `%s`", status, path);
		return jv_invalid();
	}
	body += 4;
	jv doc = jv_parse_sized(body, (int)(answer + len - body));
	if (!jv_is_valid(doc)) {
		jv_free(doc);
		cai_error_set(err, EPROTO, "the engine's answer to `%s` is not JSON", path);
		return jv_invalid();
	}
	return doc;
}
