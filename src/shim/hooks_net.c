/* connect(2); see shim.h for the invariants. */
#include "shim.h"

#include <errno.h>

CAI_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int ret = REAL(connect)(fd, addr, len);
	int err = errno;
	struct cai_hook h;
	if (cai_hook_begin(&h, "connect", "exit")) {
		cai_ev_int(&h.ev, CAI_K_FD, fd);
		cai_ev_sockaddr(&h.ev, addr, len);
		cai_hook_result(&h, ret, ret < 0 ? err : 0);
	}
	cai_hook_end(&h);
	errno = err;
	return ret;
}
