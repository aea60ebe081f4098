/* Invariants:
 * - A close() of a file descriptor that a peer sent MUST NOT block the
 *   event loop. The last close of a TCP or SCTP socket with SO_LINGER
 *   waits until its unsent data is gone (the peer chooses how long), a
 *   FUSE or NFS file waits for its server's flush, and a unix socket's
 *   queue may hold more such files, released in the closing task.
 * - Only a shmem file (a memfd: F_GET_SEALS succeeds) is closed in
 *   place; nothing in its release waits. Every other fd is closed while a
 *   forked closer still holds it, so that the closer, killed with
 *   SIGKILL, drops the last reference: an exiting task does not linger,
 *   and a flush that hangs, hangs in the closer.
 * - Sockets lose SO_LINGER first (they are the sender's own objects, so
 *   this harms nobody): when no closer can be forked (at most
 *   MAX_CLOSERS at once), the close in place at least does not linger. */
#include "discard.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Closers stuck in a flush are the only ones alive for more than an
 * instant; past this many, close in place. */
#define MAX_CLOSERS 64

static bool release_cannot_block(int fd)
{
	return fcntl(fd, F_GET_SEALS) >= 0;
}

static void unlinger(int fd)
{
	struct linger off = {.l_onoff = 0, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off)); /* ENOTSOCK: fine */
}

/* A child that holds a copy of every fd until it is killed. */
static pid_t fork_closer(struct discard *d)
{
	if (d->closers >= MAX_CLOSERS)
		return -1;
	pid_t pid = fork();
	if (pid == 0)
		for (;;)
			pause(); /* every signal is blocked but SIGKILL */
	if (pid > 0)
		d->closers++;
	return pid;
}

void discard_fds(struct discard *d, int *fds, int nfds)
{
	int risky = 0;
	for (int i = 0; i < nfds; i++) {
		if (fds[i] < 0)
			continue;
		if (release_cannot_block(fds[i])) {
			close(fds[i]);
			fds[i] = -1;
		} else {
			unlinger(fds[i]);
			risky++;
		}
	}
	if (!risky)
		return;
	pid_t closer = fork_closer(d);
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	if (closer > 0)
		kill(closer, SIGKILL);
}

void discard_reap(struct discard *d)
{
	while (d->closers > 0 && waitpid(-1, NULL, WNOHANG) > 0)
		d->closers--;
}
