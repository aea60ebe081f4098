/* Calls that change what the event header shows (uid, comm, cwd). Each
 * wrapper calls the real function and, when it may have changed a field,
 * tells ident.c to read that field again at the next event. They report
 * nothing themselves, do no system call of their own, and leave the
 * return value and errno as the real function left them.
 * They only invalidate, never store a value: in a vfork child (setuid
 * or chdir before exec is the usual pattern) the cache is the parent's.
 * See shim.h for the invariants. */
#include "shim.h"

#include <stdarg.h>
#include <sys/prctl.h>
#include <unistd.h>

/* glibc's setuid family changes every thread's credentials. seteuid and
 * setfsuid do not change the real uid, which is what the header shows. */
CAI_EXPORT int setuid(uid_t uid)
{
	int ret = REAL(setuid)(uid);
	if (ret == 0)
		cai_ident_changed(CAI_ID_UID);
	return ret;
}

CAI_EXPORT int setreuid(uid_t ruid, uid_t euid)
{
	int ret = REAL(setreuid)(ruid, euid);
	if (ret == 0)
		cai_ident_changed(CAI_ID_UID);
	return ret;
}

CAI_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	int ret = REAL(setresuid)(ruid, euid, suid);
	if (ret == 0)
		cai_ident_changed(CAI_ID_UID);
	return ret;
}

/* Variadic in glibc; the kernel takes four more unsigned longs whatever
 * the option, and glibc passes them on unread, so do we. */
CAI_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long);
	unsigned long a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long);
	unsigned long a5 = va_arg(ap, unsigned long);
	va_end(ap);
	int ret = REAL(prctl)(option, a2, a3, a4, a5);
	if (ret == 0 && option == PR_SET_NAME)
		cai_ident_changed(CAI_ID_COMM);
	return ret;
}

/* glibc renames through its internal prctl (this thread) or open+write
 * of /proc/self/task/N/comm (another thread): neither reaches a wrapper. */
CAI_EXPORT int pthread_setname_np(pthread_t thread, const char *name)
{
	int rc = REAL(pthread_setname_np)(thread, name);
	if (rc == 0)
		cai_ident_changed(CAI_ID_COMM);
	return rc;
}

CAI_EXPORT int chdir(const char *path)
{
	int ret = REAL(chdir)(path);
	if (ret == 0)
		cai_ident_changed(CAI_ID_CWD);
	return ret;
}

CAI_EXPORT int fchdir(int fd)
{
	int ret = REAL(fchdir)(fd);
	if (ret == 0)
		cai_ident_changed(CAI_ID_CWD);
	return ret;
}

/* The working directory stays, but getcwd now answers relative to the
 * new root ("/" or "(unreachable)/..."). */
CAI_EXPORT int chroot(const char *path)
{
	int ret = REAL(chroot)(path);
	if (ret == 0)
		cai_ident_changed(CAI_ID_CWD);
	return ret;
}
