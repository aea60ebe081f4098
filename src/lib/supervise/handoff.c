#include "handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "container.h"
#include "fd_pass.h"
#include "notify_filter.h"
#include "procfs.h"

static int listen_at(const char *path, int backlog, struct cai_error *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return cai_error_set(err, ENAMETOOLONG, "handoff socket `%s`", path);
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cai_error_set(err, errno, "handoff: socket");
	/* 0666 on the socket and 0711 on its directory: the container's root
	 * may be a mapped uid (Sysbox); the private parent keeps every host
	 * user but us out, and only the directory itself is mounted in. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0666) < 0 || listen(fd, backlog) < 0) {
		int e = errno;
		close(fd);
		return cai_error_set(err, e, "handoff: listen on `%s`", path);
	}
	return fd;
}

int cai_handoff_open(struct cai_handoff *h, const char *base, struct cai_error *err)
{
	memset(h, 0, sizeof(*h));
	h->listen_fd = h->audit_fd = -1;
	snprintf(h->dir, sizeof(h->dir), "%s/cai-run.XXXXXX", base);
	if (!mkdtemp(h->dir)) {
		int e = errno;
		h->dir[0] = '\0';
		return cai_error_set(err, e, "create a private directory in `%s`", base);
	}
	snprintf(h->mount_dir, sizeof(h->mount_dir), "%s/handoff", h->dir);
	snprintf(h->sock_path, sizeof(h->sock_path), "%s/%s", h->mount_dir, CAI_AGENT_HANDOFF_NAME);
	snprintf(h->cidfile, sizeof(h->cidfile), "%s/cid", h->dir);
	if (mkdir(h->mount_dir, 0711) < 0 || chmod(h->mount_dir, 0711) < 0)
		return cai_error_set(err, errno, "create `%s`", h->mount_dir);
	h->listen_fd = listen_at(h->sock_path, 1, err);
	return h->listen_fd < 0 ? -1 : 0;
}

int cai_handoff_open_audit(struct cai_handoff *h, struct cai_error *err)
{
	snprintf(h->audit_dir, sizeof(h->audit_dir), "%s/audit", h->dir);
	if (mkdir(h->audit_dir, 0711) < 0 || chmod(h->audit_dir, 0711) < 0)
		return cai_error_set(err, errno, "create `%s`", h->audit_dir);
	char path[sizeof(h->audit_dir) + 16];
	snprintf(path, sizeof(path), "%s/%s", h->audit_dir, CAI_HANDOFF_AUDIT_NAME);
	h->audit_fd = listen_at(path, SOMAXCONN, err);
	if (h->audit_fd < 0)
		return -1;
	/* Credentials ride on every message, even those sent before the
	 * collector has the socket. */
	int one = 1;
	setsockopt(h->audit_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	return 0;
}

static void stop_listening(struct cai_handoff *h)
{
	if (h->listen_fd >= 0) {
		close(h->listen_fd);
		h->listen_fd = -1;
		unlink(h->sock_path);
	}
}

int cai_handoff_accept(struct cai_handoff *h, int pidfd, int *conn, pid_t *peer, struct cai_error *err)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = h->listen_fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cai_error_set(err, errno, "handoff: poll");
		}
		if (p[0].revents & POLLIN) {
			int c = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0) {
				if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
					continue;
				return cai_error_set(err, errno, "handoff: accept");
			}
			struct ucred cred;
			socklen_t len = sizeof(cred);
			if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
				int e = errno;
				close(c);
				return cai_error_set(err, e, "handoff: SO_PEERCRED");
			}
			stop_listening(h);
			*conn = c;
			*peer = cred.pid;
			return 1;
		}
		if (p[1].revents)
			return 0;
	}
}

int cai_handoff_recv(int conn, struct cai_handoff_hello *hello, int *listener, struct cai_error *err)
{
	/* A hung init must not hang us: it has sent by the time it connects. */
	struct pollfd p = {.fd = conn, .events = POLLIN};
	int n = poll(&p, 1, 10000);
	if (n <= 0)
		return cai_error_set(err, n == 0 ? ETIMEDOUT : errno, "handoff: wait for the container's init");
	if (cai_fd_recv_msg(conn, hello, sizeof(*hello), listener) < 0)
		return cai_error_set(err, errno, "handoff: read the container's hello");
	if (hello->magic != CAI_HANDOFF_MAGIC || hello->loader > CAI_LOADER_MUSL || hello->shim_preloaded > 1 ||
	    (*listener >= 0) != (hello->listener_errno == 0)) {
		if (*listener >= 0)
			close(*listener);
		*listener = -1;
		return cai_error_set(err, EPROTO, "handoff: the container's init sent something else than a hello");
	}
	if (*listener >= 0 && !cai_notify_fd_check(*listener)) {
		int e = errno;
		close(*listener);
		*listener = -1;
		return cai_error_set(err, e, "handoff: the fd that came is not a seccomp listener");
	}
	return 0;
}

int cai_handoff_container_id(const struct cai_handoff *h, char id[CAI_CONTAINER_ID_LEN + 1], struct cai_error *err)
{
	char buf[128];
	if (cai_read_small_file_trim(h->cidfile, buf, sizeof(buf), err) < 0)
		return -1;
	if (!cai_container_id_valid(buf))
		return cai_error_set(err, EPROTO, "`%s` does not hold a container id", h->cidfile);
	memcpy(id, buf, 65);
	return 0;
}

void cai_handoff_close(struct cai_handoff *h)
{
	stop_listening(h);
	if (!h->dir[0])
		return;
	unlink(h->cidfile);
	if (h->audit_fd >= 0) {
		char path[sizeof(h->audit_dir) + 16];
		snprintf(path, sizeof(path), "%s/%s", h->audit_dir, CAI_HANDOFF_AUDIT_NAME);
		close(h->audit_fd);
		h->audit_fd = -1;
		unlink(path);
		rmdir(h->audit_dir);
	}
	rmdir(h->mount_dir);
	rmdir(h->dir);
	h->dir[0] = '\0';
}
