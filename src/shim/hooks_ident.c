/* Calls that change what the event header shows (uid, comm, cwd). Each
 * wrapper calls the real function and, when it may have changed a field,
 * tells ident.c to read that field again at the next event. They report
 * nothing themselves, do no system call of their own (but one: a fork
 * child that changes its user first unmaps its parent's ring), and leave
 * the return value and errno as the real function left them.
 * They only invalidate, never store a value: in a vfork child (setuid
 * or chdir before exec is the usual pattern) the cache is the parent's.
 * See shim.h for the invariants. */
#include "shim.h"

#include <sched.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <unistd.h>

/* glibc's setuid family changes every thread's credentials. seteuid and
 * setfsuid do not change the real uid, which is what the header shows;
 * seteuid changes what the kernel stamps on a connection (the effective
 * uid), so it too lets go of the parent's ring. */
CAI_EXPORT int setuid(uid_t uid)
{
	cai_ring_forget_inherited();
	int ret = REAL(setuid)(uid);
	if (ret == 0)
		cai_ident_changed(CAI_ID_UID);
	return ret;
}

CAI_EXPORT int setreuid(uid_t ruid, uid_t euid)
{
	cai_ring_forget_inherited();
	int ret = REAL(setreuid)(ruid, euid);
	if (ret == 0)
		cai_ident_changed(CAI_ID_UID);
	return ret;
}

CAI_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	cai_ring_forget_inherited();
	int ret = REAL(setresuid)(ruid, euid, suid);
	if (ret == 0)
		cai_ident_changed(CAI_ID_UID);
	return ret;
}

CAI_EXPORT int seteuid(uid_t euid)
{
	cai_ring_forget_inherited();
	return REAL(seteuid)(euid);
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
	cai_transport_connect_now();
	int ret = REAL(chroot)(path);
	if (ret == 0)
		cai_ident_changed(CAI_ID_CWD);
	return ret;
}

/* daemon() forks (the atfork handler runs) and chdirs to "/" through
 * glibc's internal chdir. */
CAI_EXPORT int daemon(int nochdir, int noclose)
{
	int ret = REAL(daemon)(nochdir, noclose);
	if (ret == 0 && !nochdir)
		cai_ident_changed(CAI_ID_CWD);
	return ret;
}

/* A new user namespace shows the overflow uid until a uid_map is
 * written, possibly by another process, which no wrapper sees: from then
 * on the uid is read on every event. Joining a mount namespace moves the
 * root and the working directory to that namespace's root. */
CAI_EXPORT int unshare(int flags)
{
	if (flags & (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET))
		cai_transport_connect_now();
	int ret = REAL(unshare)(flags);
	if (ret == 0) {
		if (flags & CLONE_NEWUSER)
			cai_ident_live_begin(CAI_ID_UID);
		if (flags & CLONE_NEWNS)
			cai_ident_changed(CAI_ID_CWD);
		/* This thread's cwd is its own from now on: the process-wide
		 * cache (ident.c) no longer speaks for every thread. */
		if (flags & CLONE_FS) {
			static atomic_bool own_fs;
			if (!atomic_exchange(&own_fs, true))
				cai_ident_live_begin(CAI_ID_CWD);
		}
	}
	return ret;
}

CAI_EXPORT int setns(int fd, int nstype)
{
	cai_transport_connect_now();
	int ret = REAL(setns)(fd, nstype);
	if (ret == 0) {
		/* nstype 0 accepts any namespace type. */
		if (nstype == 0 || (nstype & CLONE_NEWUSER))
			cai_ident_live_begin(CAI_ID_UID);
		if (nstype == 0 || (nstype & CLONE_NEWNS))
			cai_ident_changed(CAI_ID_CWD);
	}
	return ret;
}

#if CAI_GLIBC
/* fts without FTS_NOCHDIR changes directory inside fts_read,
 * fts_children and fts_close with glibc's internal fchdir, and may call
 * the program's comparison function meanwhile: the working directory is
 * read on every event during those calls, and again after them. The
 * options are read before fts_close frees them. */
#define FTS_WRAPPER(ret_t, name, params, args)                                                                         \
	CAI_EXPORT ret_t name params                                                                                   \
	{                                                                                                              \
		if (!fts || (fts->fts_options & FTS_NOCHDIR))                                                          \
			return REAL(name) args;                                                                        \
		cai_ident_live_begin(CAI_ID_CWD);                                                                      \
		ret_t r = REAL(name) args;                                                                             \
		cai_ident_live_end(CAI_ID_CWD);                                                                        \
		return r;                                                                                              \
	}

FTS_WRAPPER(FTSENT *, fts_read, (FTS * fts), (fts))
FTS_WRAPPER(FTSENT *, fts_children, (FTS * fts, int opts), (fts, opts))
FTS_WRAPPER(int, fts_close, (FTS * fts), (fts))
FTS_WRAPPER(FTSENT64 *, fts64_read, (FTS64 * fts), (fts))
FTS_WRAPPER(FTSENT64 *, fts64_children, (FTS64 * fts, int opts), (fts, opts))
FTS_WRAPPER(int, fts64_close, (FTS64 * fts), (fts))
#endif

/* nftw with FTW_CHDIR calls the program's function from inside each
 * directory, changed to with glibc's internal chdir/fchdir. The wrapper
 * forwards to the default symbol version (GLIBC_2.3.3), which differs
 * from the 2.2.5 one only in rejecting unknown flags. A function that
 * leaves nftw by longjmp leaves the directory read on every event. */
CAI_EXPORT int nftw(const char *dir, cai_nftw_fn fn, int nopenfd, int flags)
{
	if (!(flags & FTW_CHDIR))
		return REAL(nftw)(dir, fn, nopenfd, flags);
	cai_ident_live_begin(CAI_ID_CWD);
	int ret = REAL(nftw)(dir, fn, nopenfd, flags);
	cai_ident_live_end(CAI_ID_CWD);
	return ret;
}

#if CAI_GLIBC
CAI_EXPORT int nftw64(const char *dir, __nftw64_func_t fn, int nopenfd, int flags)
{
	if (!(flags & FTW_CHDIR))
		return REAL(nftw64)(dir, fn, nopenfd, flags);
	cai_ident_live_begin(CAI_ID_CWD);
	int ret = REAL(nftw64)(dir, fn, nopenfd, flags);
	cai_ident_live_end(CAI_ID_CWD);
	return ret;
}
#endif
