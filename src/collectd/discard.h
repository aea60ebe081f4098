/* Letting go of file descriptors that a peer sent (SCM_RIGHTS): see
 * discard.c for why a plain close() will not do. */
#ifndef CAI_AUDITD_DISCARD_H
#define CAI_AUDITD_DISCARD_H

/* Closer processes that may still be alive (reaped by discard_reap). */
struct discard {
	int closers;
};

/* Close every fds[i] >= 0 without letting the close block the caller,
 * and set it to -1. */
void discard_fds(struct discard *d, int *fds, int nfds);

/* Reap closer processes that have exited; never waits. */
void discard_reap(struct discard *d);

#endif
