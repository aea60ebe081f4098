/* audit-call FUNCTION ARGS...: call one wrapped libc function exactly once
 * with the given arguments (exec forms: PATH ARGV0 ARGS...), so a test can compare the event the shim sent
 * with the call that was made. Prints "ret=N errno=NAME" on stdout (for
 * the calls that return) so errno preservation is checked too.
 * Not installed; built for the tests only, also with musl-gcc
 * (audit-call-musl) for the musl shim, without the glibc-only calls. */
/* Call the plain entry points; the _FORTIFY_SOURCE ones (__open_2...) are
 * called by name below. */
#undef _FORTIFY_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "errno_names.h"

#ifdef __GLIBC__
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
#endif

/* AUDIT_CALL_LINGER_MS=N: stay N ms before exiting, so that a collector
 * under load has accepted this process's connection (and read its
 * container) while it still lives. */
static void linger(void)
{
	const char *ms = getenv("AUDIT_CALL_LINGER_MS");
	long n = ms ? strtol(ms, NULL, 10) : 0;
	if (n > 0) {
		struct timespec ts = {n / 1000, (n % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static int report(long ret, int err)
{
	const char *name = cai_errno_symbol(err);
	printf("ret=%ld errno=%s\n", ret, err ? (name ? name : "E?") : "0");
	fflush(stdout);
	linger();
	return ret < 0 ? 1 : 0;
}

static int flags_of(const char *s)
{
	int f = 0;
	if (strchr(s, 'r') && strchr(s, 'w'))
		f |= O_RDWR;
	else if (strchr(s, 'w'))
		f |= O_WRONLY;
	if (strchr(s, 'c'))
		f |= O_CREAT;
	if (strchr(s, 'x'))
		f |= O_EXCL;
	if (strchr(s, 't'))
		f |= O_TRUNC;
	if (strchr(s, 'a'))
		f |= O_APPEND;
	if (strchr(s, 'e'))
		f |= O_CLOEXEC;
	if (strchr(s, 'd'))
		f |= O_DIRECTORY;
	return f;
}

static int do_connect(int family, const char *addr, const char *port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;
	errno = 0;
	if (family == AF_UNIX) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		strncpy(un.sun_path, addr, sizeof(un.sun_path) - 1);
		rc = connect(fd, (struct sockaddr *)&un, sizeof(un));
	} else if (family == AF_INET) {
		struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port))};
		inet_pton(AF_INET, addr, &in.sin_addr);
		rc = connect(fd, (struct sockaddr *)&in, sizeof(in));
	} else {
		struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)atoi(port))};
		inet_pton(AF_INET6, addr, &in6.sin6_addr);
		rc = connect(fd, (struct sockaddr *)&in6, sizeof(in6));
	}
	return report(rc, rc < 0 ? errno : 0);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: audit-call FUNCTION ARGS...\n");
		return 2;
	}
	const char *fn = argv[1];
	char **a = argv + 2;
	int n = argc - 2;
	long r;
	/* errno is set to a marker first: a successful call must leave it. */
	errno = EDOM;
	if (!strcmp(fn, "open") && n >= 2) {
		r = n > 2 ? open(a[0], flags_of(a[1]), (mode_t)strtol(a[2], NULL, 8)) : open(a[0], flags_of(a[1]));
#ifdef __GLIBC__
	} else if (!strcmp(fn, "open64") && n >= 2) {
		r = n > 2 ? open64(a[0], flags_of(a[1]), (mode_t)strtol(a[2], NULL, 8)) : open64(a[0], flags_of(a[1]));
	} else if ((!strcmp(fn, "openat") || !strcmp(fn, "openat64") || !strcmp(fn, "__openat_2") ||
		    !strcmp(fn, "__openat64_2")) &&
		   n >= 3) {
		int dfd = strcmp(a[0], "CWD") == 0 ? AT_FDCWD : open(a[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		errno = EDOM;
		if (!strcmp(fn, "openat"))
			r = n > 3 ? openat(dfd, a[1], flags_of(a[2]), (mode_t)strtol(a[3], NULL, 8))
				  : openat(dfd, a[1], flags_of(a[2]));
		else if (!strcmp(fn, "openat64"))
			r = n > 3 ? openat64(dfd, a[1], flags_of(a[2]), (mode_t)strtol(a[3], NULL, 8))
				  : openat64(dfd, a[1], flags_of(a[2]));
#ifdef __GLIBC__
		else if (!strcmp(fn, "__openat_2"))
			r = __openat_2(dfd, a[1], flags_of(a[2]));
		else
			r = __openat64_2(dfd, a[1], flags_of(a[2]));
#else
		else
			r = -1; /* musl has no _FORTIFY_SOURCE entry points */
#endif
	} else if (!strcmp(fn, "creat") && n == 2) {
		r = creat(a[0], (mode_t)strtol(a[1], NULL, 8));
	} else if (!strcmp(fn, "creat64") && n == 2) {
		r = creat64(a[0], (mode_t)strtol(a[1], NULL, 8));
	} else if (!strcmp(fn, "__open_2") && n == 2) {
		r = __open_2(a[0], flags_of(a[1]));
	} else if (!strcmp(fn, "__open64_2") && n == 2) {
		r = __open64_2(a[0], flags_of(a[1]));
#endif
	} else if ((!strcmp(fn, "fopen") || !strcmp(fn, "fopen64")) && n == 2) {
		FILE *f = !strcmp(fn, "fopen") ? fopen(a[0], a[1]) : fopen64(a[0], a[1]);
		r = f ? fileno(f) : -1;
	} else if ((!strcmp(fn, "freopen") || !strcmp(fn, "freopen64")) && n == 2) {
		FILE *f = !strcmp(fn, "freopen") ? freopen(a[0], a[1], stdin) : freopen64(a[0], a[1], stdin);
		r = f ? fileno(f) : -1;
	} else if (!strcmp(fn, "opendir") && n == 1) {
		DIR *d = opendir(a[0]);
		int e = errno;
		r = d ? dirfd(d) : -1;
		if (d)
			closedir(d);
		errno = e;
	} else if (!strcmp(fn, "connect") && n >= 2) {
		int fam = !strcmp(a[0], "unix") ? AF_UNIX : !strcmp(a[0], "inet6") ? AF_INET6 : AF_INET;
		return do_connect(fam, a[1], n > 2 ? a[2] : "0");
	} else if (!strcmp(fn, "execve") && n >= 2) {
		char *envp[] = {"AUDIT_CALL=1", NULL};
		r = execve(a[0], a + 1, envp);
	} else if (!strcmp(fn, "execve-environ") && n >= 1) {
		r = execve(a[0], a + 1, environ);
	} else if (!strcmp(fn, "execv") && n >= 1) {
		r = execv(a[0], a + 1);
	} else if (!strcmp(fn, "execvp") && n >= 1) {
		r = execvp(a[0], a + 1);
	} else if (!strcmp(fn, "execvpe") && n >= 1) {
		char *envp[] = {"AUDIT_CALL=1", NULL};
		r = execvpe(a[0], a + 1, envp);
	} else if (!strcmp(fn, "execl") && n >= 2) {
		r = execl(a[0], a[1], n > 2 ? a[2] : (char *)NULL, (char *)NULL);
	} else if (!strcmp(fn, "execle") && n >= 2) {
		char *envp[] = {"AUDIT_CALL=1", NULL};
		r = execle(a[0], a[1], n > 2 ? a[2] : (char *)NULL, (char *)NULL, envp);
	} else if (!strcmp(fn, "execlp") && n >= 2) {
		r = execlp(a[0], a[1], n > 2 ? a[2] : (char *)NULL, (char *)NULL);
	} else if (!strcmp(fn, "fexecve") && n >= 1) {
		int fd = open(a[0], O_RDONLY | O_CLOEXEC);
		char *envp[] = {"AUDIT_CALL=1", NULL};
		errno = EDOM;
		r = fexecve(fd, a + 1, envp);
#ifdef __GLIBC__
	} else if (!strcmp(fn, "execveat") && n >= 2) {
		int dfd = open(a[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char *envp[] = {"AUDIT_CALL=1", NULL};
		errno = EDOM;
		r = execveat(dfd, a[1], a + 1, envp, 0);
#endif
	} else if ((!strcmp(fn, "posix_spawn") || !strcmp(fn, "posix_spawnp")) && n >= 2) {
		pid_t pid;
		char *envp[] = {"AUDIT_CALL=1", NULL};
		int rc = !strcmp(fn, "posix_spawn") ? posix_spawn(&pid, a[0], NULL, NULL, a + 1, envp)
						    : posix_spawnp(&pid, a[0], NULL, NULL, a + 1, envp);
		if (rc != 0)
			return report(-1, rc);
		int st;
		waitpid(pid, &st, 0);
		printf("child=%d status=%d\n", pid, WEXITSTATUS(st));
		return report(pid, errno == EDOM ? 0 : errno);
	} else if (!strcmp(fn, "system") && n == 1) {
		r = system(a[0]);
	} else if (!strcmp(fn, "popen") && n == 1) {
		FILE *f = popen(a[0], "r");
		r = f ? fileno(f) : -1;
		if (f) {
			char buf[256];
			while (fgets(buf, sizeof(buf), f))
				fputs(buf, stdout);
			pclose(f);
		}
	} else if ((!strcmp(fn, "vfork-open") || !strcmp(fn, "_Fork-open")) && n == 2) {
		/* The child opens a[0] and leaves; then the parent opens a[1].
		 * Prints both pids so the test can match the events. */
		pid_t pid = !strcmp(fn, "vfork-open") ? vfork() : _Fork();
		if (pid == 0) {
			open(a[0], O_RDONLY);
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
		r = open(a[1], O_RDONLY);
		int e = errno;
		printf("parent=%d child=%d\n", getpid(), pid);
		return report(r, r < 0 ? e : 0);
	} else {
		fprintf(stderr, "audit-call: unknown call or arguments `%s`\n", fn);
		return 2;
	}
	int e = errno;
	return report(r, r < 0 ? e : (e == EDOM ? 0 : e));
}
