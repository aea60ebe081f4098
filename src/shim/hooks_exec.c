/* The exec family. Each public entry point needs its own wrapper: in glibc
 * 2.36 execl, execvp, system, popen and posix_spawn reach the kernel
 * through internal functions an LD_PRELOAD library cannot interpose.
 * An exec is reported before the call (it does not return when it works)
 * and again, with the error, when it fails. See shim.h for invariants. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

enum exec_kind { EXEC_VE, EXEC_VPE, EXEC_FD, EXEC_AT };

/* last_words: the exec family's enter, before the process is replaced. */
static void report_exec(const char *call, const char *phase, bool last_words, int dirfd, const char *path,
			char *const argv[], char *const envp[], int flags, bool with_result, int err)
{
	struct cai_hook h;
	if (cai_hook_begin_exec(&h, call, phase, last_words)) {
		if (path)
			cai_hook_path(&h, dirfd, path);
		if (dirfd != AT_FDCWD && !path)
			cai_ev_int(&h.ev, CAI_K_FD, dirfd);
		if (flags)
			cai_ev_int(&h.ev, CAI_K_FLAGS, flags);
		cai_hook_argv(&h, argv);
		if (!with_result)
			cai_hook_env(&h, envp);
		else
			cai_hook_result(&h, -1, err);
	}
	cai_hook_end(&h);
}

static int do_exec(const char *call, enum exec_kind kind, int dirfd, const char *path, char *const argv[],
		   char *const envp[], int flags)
{
	report_exec(call, "enter", true, kind == EXEC_AT || kind == EXEC_FD ? dirfd : AT_FDCWD, path, argv, envp, flags,
		    false, 0);
	size_t map_len = 0;
	char **env = cai_env_inject(envp, &map_len);
	char *const *use = env ? env : envp;
	int ret;
	switch (kind) {
	case EXEC_VE:
		ret = REAL(execve)(path, argv, use);
		break;
	case EXEC_VPE:
		ret = REAL(execvpe)(path, argv, use);
		break;
	case EXEC_FD:
		ret = REAL(fexecve)(dirfd, argv, use);
		break;
	default:
#if CAI_GLIBC
		ret = REAL(execveat)(dirfd, path, argv, use, flags);
#else
		ret = -1;
		errno = ENOSYS;
#endif
		break;
	}
	int err = errno;
	cai_env_release(env, map_len);
	report_exec(call, "exit", false, kind == EXEC_AT || kind == EXEC_FD ? dirfd : AT_FDCWD, path, argv, envp, flags,
		    true, err);
	errno = err;
	return ret;
}

CAI_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return do_exec("execve", EXEC_VE, AT_FDCWD, path, argv, envp, 0);
}

CAI_EXPORT int execv(const char *path, char *const argv[])
{
	return do_exec("execv", EXEC_VE, AT_FDCWD, path, argv, environ, 0);
}

CAI_EXPORT int execvp(const char *file, char *const argv[])
{
	return do_exec("execvp", EXEC_VPE, AT_FDCWD, file, argv, environ, 0);
}

CAI_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return do_exec("execvpe", EXEC_VPE, AT_FDCWD, file, argv, envp, 0);
}

CAI_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return do_exec("fexecve", EXEC_FD, fd, NULL, argv, envp, 0);
}

#if CAI_GLIBC
/* musl has no execveat function. */
CAI_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	return do_exec("execveat", EXEC_AT, dirfd, path, argv, envp, flags);
}
#endif

/* The execl forms: collect the variadic list into an array, on the stack
 * when small, else in mmap'd memory (no malloc after vfork). */
#define ARGV_STACK 256

static int execl_common(const char *call, enum exec_kind kind, const char *path, const char *arg0, va_list ap,
			bool with_env)
{
	va_list count;
	va_copy(count, ap);
	size_t n = 1;
	if (arg0)
		while (va_arg(count, char *))
			n++;
	va_end(count);
	char *stackv[ARGV_STACK];
	char **argv = stackv;
	size_t map_len = 0;
	if (n + 1 > ARGV_STACK) {
		map_len = ((n + 1) * sizeof(char *) + 4095) & ~(size_t)4095;
		argv = (char **)cai_syscall(SYS_mmap, NULL, map_len, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (argv == MAP_FAILED) {
			errno = E2BIG;
			return -1;
		}
	}
	size_t i = 0;
	argv[i++] = (char *)arg0;
	if (arg0)
		while ((argv[i] = va_arg(ap, char *)) != NULL)
			i++;
	argv[arg0 ? i : 0] = NULL;
	char *const *envp = environ;
	if (with_env)
		envp = va_arg(ap, char *const *);
	int ret = do_exec(call, kind, AT_FDCWD, path, argv, envp, 0);
	int err = errno;
	if (map_len)
		cai_syscall(SYS_munmap, argv, map_len);
	errno = err;
	return ret;
}

CAI_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int ret = execl_common("execl", EXEC_VE, path, arg, ap, false);
	va_end(ap);
	return ret;
}

CAI_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int ret = execl_common("execle", EXEC_VE, path, arg, ap, true);
	va_end(ap);
	return ret;
}

CAI_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int ret = execl_common("execlp", EXEC_VPE, file, arg, ap, false);
	va_end(ap);
	return ret;
}

static int spawn_common(const char *call, bool search, pid_t *pid, const char *path,
			const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr, char *const argv[],
			char *const envp[])
{
	report_exec(call, "enter", false, AT_FDCWD, path, argv, envp, 0, false, 0);
	size_t map_len = 0;
	char **env = cai_env_inject(envp, &map_len);
	pid_t child = -1;
	int rc = search ? REAL(posix_spawnp)(&child, path, fa, attr, argv, env ? env : envp)
			: REAL(posix_spawn)(&child, path, fa, attr, argv, env ? env : envp);
	cai_env_release(env, map_len);
	if (pid && rc == 0)
		*pid = child;
	struct cai_hook h;
	if (cai_hook_begin_exec(&h, call, "exit", false)) {
		cai_hook_path(&h, AT_FDCWD, path);
		cai_hook_argv(&h, argv);
		/* posix_spawn returns the error instead of setting errno. */
		cai_hook_result(&h, rc == 0 ? child : -1, rc);
	}
	cai_hook_end(&h);
	return rc;
}

CAI_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn_common("posix_spawn", false, pid, path, fa, attr, argv, envp);
}

CAI_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn_common("posix_spawnp", true, pid, file, fa, attr, argv, envp);
}

static void report_shell(const char *call, const char *phase, const char *cmd, const char *mode, bool with_result,
			 long long ret, int err)
{
	struct cai_hook h;
	if (cai_hook_begin_exec(&h, call, phase, false)) {
		cai_ev_str(&h.ev, CAI_K_COMMAND, cmd, CAI_LIM_PATH);
		if (mode)
			cai_ev_str(&h.ev, CAI_K_MODE, mode, 16);
		if (with_result)
			cai_hook_result(&h, ret, err);
	}
	cai_hook_end(&h);
}

/* system() and popen() run /bin/sh with the program's environ; the shell
 * is audited through LD_PRELOAD as long as environ still carries it. */
CAI_EXPORT int system(const char *cmd)
{
	report_shell("system", "enter", cmd, NULL, false, 0, 0);
	int ret = REAL(system)(cmd);
	int err = errno;
	report_shell("system", "exit", cmd, NULL, true, ret, ret == -1 ? err : 0);
	errno = err;
	return ret;
}

CAI_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	report_shell("popen", "enter", cmd, mode, false, 0, 0);
	FILE *ret = REAL(popen)(cmd, mode);
	int err = errno;
	report_shell("popen", "exit", cmd, mode, true, ret ? fileno(ret) : -1, ret ? 0 : err);
	errno = err;
	return ret;
}
