/* The program may close or overwrite any fd number, including the one
 * our connection sits on (closefrom-style loops, dup2 onto a chosen
 * number). These wrappers MUST keep the program's semantics exactly: the
 * number it names is closed or replaced as asked. What they add is that
 * our connection moves to another number first, so it survives and no
 * event is ever written into a file the program opens there later. */
#include "shim.h"

#include <errno.h>
#include <unistd.h>

CAI_EXPORT int close(int fd)
{
	if (fd >= 0 && fd == atomic_load(&cai_sock_fd))
		cai_fd_rehome(fd);
	return REAL(close)(fd);
}

CAI_EXPORT int dup2(int oldfd, int newfd)
{
	if (newfd >= 0 && newfd != oldfd && newfd == atomic_load(&cai_sock_fd))
		cai_fd_rehome(newfd);
	return REAL(dup2)(oldfd, newfd);
}

CAI_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	if (newfd >= 0 && newfd != oldfd && newfd == atomic_load(&cai_sock_fd))
		cai_fd_rehome(newfd);
	return REAL(dup3)(oldfd, newfd, flags);
}

#if CAI_GLIBC
/* Moving above the range may be impossible when it runs to the limit, so
 * the range is split around our fd instead: the program still sees every
 * other number closed, and ours is close-on-exec anyway. */
CAI_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int ours = atomic_load(&cai_sock_fd);
	if (ours < 0 || (unsigned)ours < first || (unsigned)ours > last || (flags & CLOSE_RANGE_CLOEXEC) ||
	    cai_in_foreign_child())
		return REAL(close_range)(first, last, flags);
	int rc = 0;
	if ((unsigned)ours > first)
		rc = REAL(close_range)(first, (unsigned)ours - 1, flags);
	if (rc == 0 && (unsigned)ours < last)
		rc = REAL(close_range)((unsigned)ours + 1, last, flags);
	return rc;
}

CAI_EXPORT void closefrom(int lowfd)
{
	int ours = atomic_load(&cai_sock_fd);
	if (ours < 0 || ours < lowfd || lowfd < 0 || cai_in_foreign_child()) {
		REAL(closefrom)(lowfd);
		return;
	}
	int saved = errno;
	if (ours > lowfd)
		close_range((unsigned)lowfd, (unsigned)ours - 1, 0);
	errno = saved;
	REAL(closefrom)(ours + 1);
}
#endif
