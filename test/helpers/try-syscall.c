/* Test helper, built static so no LD_PRELOAD shim can see it:
 *
 *   try-syscall NAME...   call each system call with arguments that make an
 *                         allowed call fail harmlessly (a bad pid, pointer
 *                         or fd) and print "NAME ERRNO-NAME"; a call blocked
 *                         by a seccomp filter prints the filter's errno.
 *   try-syscall exec PATH [ARG...]
 *                         execve(2) PATH directly, as a static agent would.
 *   try-syscall execveat PATH [ARG...]
 *                         the same through execveat(2) on the directory of
 *                         PATH opened as a dirfd, with the name relative to it.
 *   try-syscall hold-listener PATH [ARG...]
 *                         install a seccomp filter with a user-notification
 *                         listener (on a call nothing makes), keep the listener
 *                         open across execve(2) of PATH: what Sysbox does to a
 *                         container's first process, so that a second listener
 *                         fails with EBUSY there.
 *
 * Test-only: never installed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BAD_PTR ((void *)1)

static long try(const char *name)
{
	if (strcmp(name, "ptrace") == 0)
		return syscall(SYS_ptrace, PTRACE_PEEKDATA, -1, NULL, NULL); /* ESRCH */
	if (strcmp(name, "mount") == 0)
		return syscall(SYS_mount, BAD_PTR, BAD_PTR, BAD_PTR, 0, NULL); /* EFAULT */
	if (strcmp(name, "umount2") == 0)
		return syscall(SYS_umount2, BAD_PTR, 0); /* EFAULT */
	if (strcmp(name, "bpf") == 0)
		return syscall(SYS_bpf, BPF_PROG_LOAD, BAD_PTR, 8); /* EFAULT or EINVAL */
	if (strcmp(name, "perf_event_open") == 0)
		return syscall(SYS_perf_event_open, BAD_PTR, -1, -1, -1, 0); /* EFAULT */
	if (strcmp(name, "keyctl") == 0)
		return syscall(SYS_keyctl, -1, 0, 0, 0, 0); /* EOPNOTSUPP */
	if (strcmp(name, "getpid") == 0)
		return syscall(SYS_getppid) > 0 ? (errno = 0, -1) : -1; /* a control: never blocked */
	errno = ENOSYS;
	return -2;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
		execve(argv[2], argv + 2, (char *[]){NULL});
		printf("exec %s\n", strerrorname_np(errno));
		return 126;
	}
	if (argc >= 3 && strcmp(argv[1], "hold-listener") == 0) {
		struct sock_filter insns[] = {
		    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_lookup_dcookie, 0, 1),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]), .filter = insns};
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (fd < 0) {
			printf("hold-listener %s\n", strerrorname_np(errno));
			return 125;
		}
		/* The kernel makes it close-on-exec; the listener must outlive
		 * the exec for the filter to keep it. */
		fcntl((int)fd, F_SETFD, 0);
		execv(argv[2], argv + 2);
		printf("exec %s\n", strerrorname_np(errno));
		return 126;
	}
	if (argc >= 3 && strcmp(argv[1], "execveat") == 0) {
		char dir[4096], name[4096];
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		snprintf(name, sizeof(name), "%s", argv[2]);
		int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
		syscall(SYS_execveat, dfd, basename(name), argv + 2, (char *[]){NULL}, 0);
		printf("execveat %s\n", strerrorname_np(errno));
		return 126;
	}
	for (int i = 1; i < argc; i++) {
		errno = 0;
		long rc = try(argv[i]);
		if (rc == -2) {
			fprintf(stderr, "try-syscall: unknown call `%s`\n", argv[i]);
			return 2;
		}
		printf("%s %s\n", argv[i], rc >= 0 ? "OK" : errno ? strerrorname_np(errno) : "OK");
	}
	return 0;
}
