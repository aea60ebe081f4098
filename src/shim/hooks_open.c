/* The open family. Each wrapper calls the real function first, then
 * reports the call with its result; see shim.h for the invariants. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & CAI_O_TMPFILE_BIT) == CAI_O_TMPFILE_BIT;
}

static void report_open(const char *call, int dirfd, const char *path, int flags, bool has_mode, mode_t mode, int ret,
			int err)
{
	if (ret >= 0)
		cai_ident_opened(path, (flags & O_ACCMODE) != O_RDONLY);
	struct cai_hook h;
	if (!cai_hook_begin(&h, call, "exit")) {
		cai_hook_end(&h);
		return;
	}
	cai_hook_path(&h, dirfd, path);
	cai_ev_open_flags(&h.ev, CAI_K_FLAGS, flags);
	if (has_mode) {
		char m[8];
		cai_ev_fmt_mode(m, mode);
		cai_ev_str(&h.ev, CAI_K_MODE, m, 8);
	}
	cai_hook_result(&h, ret, ret < 0 ? err : 0);
	cai_hook_end(&h);
}

#define OPEN_WRAPPER(name, field)                                                                                      \
	CAI_EXPORT int name(const char *path, int flags, ...)                                                          \
	{                                                                                                              \
		mode_t mode = 0;                                                                                       \
		if (needs_mode(flags)) {                                                                               \
			va_list ap;                                                                                    \
			va_start(ap, flags);                                                                           \
			mode = va_arg(ap, mode_t);                                                                     \
			va_end(ap);                                                                                    \
		}                                                                                                      \
		int ret = REAL(field)(path, flags, mode);                                                              \
		int err = errno;                                                                                       \
		report_open(#name, AT_FDCWD, path, flags, needs_mode(flags), mode, ret, err);                          \
		errno = err;                                                                                           \
		return ret;                                                                                            \
	}

#define OPENAT_WRAPPER(name, field)                                                                                    \
	CAI_EXPORT int name(int dirfd, const char *path, int flags, ...)                                               \
	{                                                                                                              \
		mode_t mode = 0;                                                                                       \
		if (needs_mode(flags)) {                                                                               \
			va_list ap;                                                                                    \
			va_start(ap, flags);                                                                           \
			mode = va_arg(ap, mode_t);                                                                     \
			va_end(ap);                                                                                    \
		}                                                                                                      \
		int ret = REAL(field)(dirfd, path, flags, mode);                                                       \
		int err = errno;                                                                                       \
		report_open(#name, dirfd, path, flags, needs_mode(flags), mode, ret, err);                             \
		errno = err;                                                                                           \
		return ret;                                                                                            \
	}

OPEN_WRAPPER(open, open)
OPENAT_WRAPPER(openat, openat)
#if CAI_GLIBC
OPEN_WRAPPER(open64, open64)
OPENAT_WRAPPER(openat64, openat64)
#endif

#define CREAT_WRAPPER(name, field)                                                                                     \
	CAI_EXPORT int name(const char *path, mode_t mode)                                                             \
	{                                                                                                              \
		int ret = REAL(field)(path, mode);                                                                     \
		int err = errno;                                                                                       \
		report_open(#name, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, true, mode, ret, err);                \
		errno = err;                                                                                           \
		return ret;                                                                                            \
	}

CREAT_WRAPPER(creat, creat)
#if CAI_GLIBC
CREAT_WRAPPER(creat64, creat64)
#endif

#if CAI_GLIBC
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* _FORTIFY_SOURCE builds call these when the flags are known at compile
 * time not to need a mode. */
#define OPEN2_WRAPPER(name, field)                                                                                     \
	CAI_EXPORT int name(const char *path, int flags)                                                               \
	{                                                                                                              \
		int ret = REAL_SYM(field, #name)(path, flags);                                                         \
		int err = errno;                                                                                       \
		report_open(#name, AT_FDCWD, path, flags, false, 0, ret, err);                                         \
		errno = err;                                                                                           \
		return ret;                                                                                            \
	}
#define OPENAT2_WRAPPER(name, field)                                                                                   \
	CAI_EXPORT int name(int dirfd, const char *path, int flags)                                                    \
	{                                                                                                              \
		int ret = REAL_SYM(field, #name)(dirfd, path, flags);                                                  \
		int err = errno;                                                                                       \
		report_open(#name, dirfd, path, flags, false, 0, ret, err);                                            \
		errno = err;                                                                                           \
		return ret;                                                                                            \
	}

OPEN2_WRAPPER(__open_2, open_2)
OPEN2_WRAPPER(__open64_2, open64_2)
OPENAT2_WRAPPER(__openat_2, openat_2)
OPENAT2_WRAPPER(__openat64_2, openat64_2)
#endif

static void report_fopen(const char *call, const char *path, const char *mode, FILE *ret, int err)
{
	if (ret)
		cai_ident_opened(path, mode && strpbrk(mode, "wa+"));
	struct cai_hook h;
	if (!cai_hook_begin(&h, call, "exit")) {
		cai_hook_end(&h);
		return;
	}
	if (path)
		cai_hook_path(&h, AT_FDCWD, path);
	else
		cai_ev_null(&h.ev, CAI_K_PATH);
	cai_ev_str(&h.ev, CAI_K_MODE, mode, 16);
	/* fileno() takes no lock (it reads the FILE's fd field). */
	cai_hook_result(&h, ret ? fileno(ret) : -1, ret ? 0 : err);
	cai_hook_end(&h);
}

/* opendir() opens through a glibc-internal function; ls, find and
 * Python's os.listdir/scandir reach the kernel only through it. */
CAI_EXPORT DIR *opendir(const char *path)
{
	DIR *ret = REAL(opendir)(path);
	int err = errno;
	struct cai_hook h;
	if (cai_hook_begin(&h, "opendir", "exit")) {
		cai_hook_path(&h, AT_FDCWD, path);
		cai_hook_result(&h, ret ? dirfd(ret) : -1, ret ? 0 : err);
	}
	cai_hook_end(&h);
	errno = err;
	return ret;
}

#define FOPEN_WRAPPER(name, field)                                                                                     \
	CAI_EXPORT FILE *name(const char *path, const char *mode)                                                      \
	{                                                                                                              \
		FILE *ret = REAL(field)(path, mode);                                                                   \
		int err = errno;                                                                                       \
		report_fopen(#name, path, mode, ret, err);                                                             \
		errno = err;                                                                                           \
		return ret;                                                                                            \
	}
#define FREOPEN_WRAPPER(name, field)                                                                                   \
	CAI_EXPORT FILE *name(const char *path, const char *mode, FILE *stream)                                        \
	{                                                                                                              \
		FILE *ret = REAL(field)(path, mode, stream);                                                           \
		int err = errno;                                                                                       \
		report_fopen(#name, path, mode, ret, err);                                                             \
		errno = err;                                                                                           \
		return ret;                                                                                            \
	}

FOPEN_WRAPPER(fopen, fopen)
FREOPEN_WRAPPER(freopen, freopen)
#if CAI_GLIBC
FOPEN_WRAPPER(fopen64, fopen64)
FREOPEN_WRAPPER(freopen64, freopen64)
#endif
