/* The program may close or overwrite any fd number, including the one
 * our connection sits on (closefrom-style loops, close_range, dup2 onto
 * a chosen number).
 *
 * These wrappers MUST keep the program's semantics exactly: the number it
 * names is closed or replaced as asked, by one call of the real function.
 * MUST NOT leave the shim holding an fd the program asked to close: after
 * such a call the program's fd table is what it would be without the shim
 * (it may count its fds or fill the table up to RLIMIT_NOFILE). So the
 * connection is given up before the call (cai_fd_detach: no event is then
 * written into a file the program opens on that number) and each later
 * event of the process uses a connection that lives only inside the
 * wrapper sending it. */
#include "shim.h"

#include <errno.h>
#include <unistd.h>

CAI_EXPORT int close(int fd)
{
	/* close releases the number even when it fails (EINTR, EIO). */
	cai_fd_detach(fd);
	return REAL(close)(fd);
}

CAI_EXPORT int dup2(int oldfd, int newfd)
{
	bool ours = newfd != oldfd && cai_fd_detach(newfd);
	int rc = REAL(dup2)(oldfd, newfd);
	if (rc < 0 && ours)
		cai_fd_detach_failed(newfd);
	return rc;
}

CAI_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	bool ours = newfd != oldfd && cai_fd_detach(newfd);
	int rc = REAL(dup3)(oldfd, newfd, flags);
	if (rc < 0 && ours)
		cai_fd_detach_failed(newfd);
	return rc;
}

#if CAI_GLIBC
/* CLOSE_RANGE_CLOEXEC closes nothing, and ours is close-on-exec already. */
CAI_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int fd = atomic_load(&cai_sock_fd);
	bool ours = fd >= 0 && (unsigned)fd >= first && (unsigned)fd <= last && !(flags & CLOSE_RANGE_CLOEXEC) &&
		    cai_fd_detach(fd);
	int rc = REAL(close_range)(first, last, flags);
	if (rc < 0 && ours)
		cai_fd_detach_failed(fd);
	return rc;
}

/* glibc's closefrom closes every number from lowfd up or aborts. */
CAI_EXPORT void closefrom(int lowfd)
{
	int fd = atomic_load(&cai_sock_fd);
	if (lowfd >= 0 && fd >= lowfd)
		cai_fd_detach(fd);
	REAL(closefrom)(lowfd);
}
#endif
