#include "audit_client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "probe_json.h"

/* How long one event may wait for a slow collector before it is counted. */
#define SEND_WAIT_MS 50

void cai_audit_client_init(struct cai_audit_client *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!path)
		path = getenv(CAI_AUDIT_SOCKET_ENV);
	if (!path || !*path)
		path = CAI_AUDIT_SOCKET_DEFAULT;
	snprintf(c->path, sizeof(c->path), "%s", path);
}

static bool connect_collector(struct cai_audit_client *c)
{
	if (c->fd >= 0)
		return true;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, c->path, sizeof(sa.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return false;
	}
	c->fd = fd;
	return true;
}

static bool send_once(struct cai_audit_client *c, const char *buf, size_t len)
{
	for (;;) {
		if (send(c->fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			close(c->fd); /* collector gone: reconnect next time */
			c->fd = -1;
			return false;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		int n = poll(&p, 1, SEND_WAIT_MS);
		if (n <= 0 || (p.revents & (POLLERR | POLLHUP)))
			return false;
	}
}

int cai_audit_client_send(struct cai_audit_client *c, jv ev)
{
	if (c->dropped)
		ev = jv_object_set(ev, jv_string("dropped"), jv_number((double)c->dropped));
	cleanup_free char *text = cai_jv_to_cstring(ev, 0);
	size_t len = strlen(text);
	if (connect_collector(c) && send_once(c, text, len)) {
		c->dropped = 0;
		c->sent++;
		return 0;
	}
	c->dropped++;
	return -1;
}

void cai_audit_client_close(struct cai_audit_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
