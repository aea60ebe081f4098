/* Handing a file descriptor (the seccomp listener) from the agent's process
 * to the supervisor over a unix socket, with SCM_RIGHTS. */
#ifndef CAI_FD_PASS_H
#define CAI_FD_PASS_H

/* Send one int status and, when fd >= 0, the fd. Returns 0 or -1 (errno). */
int cai_fd_send(int sock, int status, int fd);
/* Receive them; *fd is -1 when none came. Returns 0 or -1 (errno; EPIPE
 * when the peer closed without sending). */
int cai_fd_recv(int sock, int *status, int *fd);

#endif
