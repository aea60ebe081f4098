/* Handing a file descriptor (the seccomp listener) from the agent's process
 * to the supervisor over a unix socket, with SCM_RIGHTS. */
#ifndef CAI_FD_PASS_H
#define CAI_FD_PASS_H

#include <stddef.h>

/* Send len bytes and, when fd >= 0, the fd, as one message. Returns 0 or
 * -1 (errno). */
int cai_fd_send_msg(int sock, const void *buf, size_t len, int fd);
/* Receive one message of exactly len bytes and at most one fd (*fd is -1
 * when none came; extra fds are closed). Returns 0, or -1 with errno: EPIPE
 * when the peer closed without sending, EPROTO when the size was wrong (any
 * fd that came is closed then). */
int cai_fd_recv_msg(int sock, void *buf, size_t len, int *fd);

/* The same with one int status as the message. */
int cai_fd_send(int sock, int status, int fd);
int cai_fd_recv(int sock, int *status, int *fd);

#endif
