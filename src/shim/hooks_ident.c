/* Wrappers that tell ident.c when a cached header value changes, and the
 * ones that tell the shim it runs in a new process: _Fork (no atfork
 * handlers run) and vfork (the child shares our memory). Each calls the
 * real function with the caller's arguments and returns what it returned,
 * with its errno (see shim.h). */
#include "shim.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Set by vfork on the calling thread: the next event of this thread may
 * come from the child, which shares our memory and this thread's TLS. */
CAI_TLS int cai_vfork_pending;

#if defined(__x86_64__)
/* vfork cannot be wrapped by a C function: the child returns through the
 * wrapper's frame and the parent would return through the clobbered
 * remains. This stub only sets the flag and jumps to glibc's __vfork,
 * whose frame is the caller's own. */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	"vfork:\n"
	"	endbr64\n"
	"	movq cai_vfork_pending@gottpoff(%rip), %rax\n"
	"	movl $1, %fs:(%rax)\n"
	"	jmp __vfork@PLT\n"
	".size vfork, .-vfork\n");
#endif

CAI_EXPORT pid_t _Fork(void)
{
	pid_t (*real)(void) = REAL_SYM(fork_nohandlers, "_Fork");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	pid_t pid = real();
	if (pid == 0) {
		int saved = errno;
		cai_hook_atfork_child();
		errno = saved;
	}
	return pid;
}

#define AFTER(call, on_success)                                                                                        \
	do {                                                                                                           \
		int rc_ = (call);                                                                                      \
		if (rc_ == 0) {                                                                                        \
			int saved_ = errno;                                                                            \
			on_success;                                                                                    \
			errno = saved_;                                                                                \
		}                                                                                                      \
		return rc_;                                                                                            \
	} while (0)

CAI_EXPORT int chdir(const char *path) { AFTER(REAL(chdir)(path), cai_ident_cwd_changed()); }
CAI_EXPORT int fchdir(int fd) { AFTER(REAL(fchdir)(fd), cai_ident_cwd_changed()); }
CAI_EXPORT int chroot(const char *path) { AFTER(REAL(chroot)(path), cai_ident_cwd_changed()); }
CAI_EXPORT int setuid(uid_t uid) { AFTER(REAL(setuid)(uid), cai_ident_uid_changed()); }
CAI_EXPORT int setreuid(uid_t r, uid_t e) { AFTER(REAL(setreuid)(r, e), cai_ident_uid_changed()); }
CAI_EXPORT int setresuid(uid_t r, uid_t e, uid_t s) { AFTER(REAL(setresuid)(r, e, s), cai_ident_uid_changed()); }
CAI_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
	/* Returns an error number, not -1 and errno. */
	AFTER(REAL(pthread_setname_np)(th, name), cai_ident_comm_changed());
}

CAI_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
	va_end(ap);
	int rc = REAL(prctl)(option, a2, a3, a4, a5);
	if (option == PR_SET_NAME && rc == 0) {
		int saved = errno;
		cai_ident_comm_changed();
		errno = saved;
	}
	return rc;
}
