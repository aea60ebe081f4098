#include "audit_client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "audit_record.h"
#include "fd_pass.h"
#include "jv_util.h"

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

int cai_audit_client_send_record(struct cai_audit_client *c, const unsigned char *rec, size_t len)
{
	if (len > 0 && connect_collector(c) && send_once(c, (const char *)rec, len)) {
		c->dropped = 0;
		c->sent++;
		return 0;
	}
	c->dropped++;
	return -1;
}

int cai_audit_client_send(struct cai_audit_client *c, jv ev)
{
	if (c->dropped)
		ev = jv_object_set(ev, jv_string("dropped"), jv_number((double)c->dropped));
	static unsigned char rec[CAI_WIRE_RECORD_MAX];
	struct cai_error err = {0};
	long len = cai_record_from_jv(ev, CAI_WIRE_EVENT, rec, sizeof(rec), &err);
	jv_free(ev);
	return cai_audit_client_send_record(c, rec, len > 0 ? (size_t)len : 0);
}

void cai_audit_client_close(struct cai_audit_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int cai_audit_hand_over_listener(const char *path, int listen_fd, const struct cai_container *c, struct cai_error *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return cai_error_set(err, ENAMETOOLONG, "the collector's socket `%s`", path);
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cai_error_set(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		return cai_error_set(err, e, "connect to the collector at `%s`", path);
	}
	jv msg = JV_OBJECT(jv_string("container"), cai_container_jv(c));
	unsigned char rec[512];
	long len = cai_record_from_jv(msg, CAI_WIRE_LISTEN, rec, sizeof(rec), err);
	jv_free(msg);
	if (len < 0) {
		close(fd);
		return -1;
	}
	int rc = cai_fd_send_msg(fd, (const char *)rec, (size_t)len, listen_fd);
	int e = errno;
	if (rc < 0) {
		close(fd);
		return cai_error_set(err, e, "hand the container's socket to the collector");
	}
	/* The collector answers at once, or closes the connection on a refusal. */
	char reply[64] = {0};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = poll(&p, 1, 5000) == 1 ? recv(fd, reply, sizeof(reply) - 1, 0) : -1;
	if (n != (ssize_t)strlen(CAI_WIRE_LISTEN_ACK) || memcmp(reply, CAI_WIRE_LISTEN_ACK, (size_t)n) != 0) {
		close(fd);
		return cai_error_set(err, 0, "the collector at `%s` did not take the container's socket (%s)", path,
				     n == 0  ? "it refused: its log says why"
				     : n < 0 ? "no answer"
					     : "unexpected answer");
	}
	return fd;
}
