#include "fd_pass.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4

int cai_fd_send_msg(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)len ? 0 : -1;
}

int cai_fd_recv_msg(int sock, void *buf, size_t len, int *fd)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	*fd = -1;
	ssize_t n;
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -1;
	/* Every fd that came is ours to close unless it is the one we hand on. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t j = 0; j < k; j++) {
			int rfd;
			memcpy(&rfd, CMSG_DATA(c) + j * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = rfd;
			else
				close(rfd);
		}
	}
	bool wrong = n != (ssize_t)len || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
	if (n == 0 || wrong) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = n == 0 ? EPIPE : EPROTO;
		return -1;
	}
	return 0;
}

int cai_fd_send(int sock, int status, int fd)
{
	return cai_fd_send_msg(sock, &status, sizeof(status), fd);
}

int cai_fd_recv(int sock, int *status, int *fd)
{
	return cai_fd_recv_msg(sock, status, sizeof(*status), fd);
}
