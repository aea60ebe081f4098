#include "notify_filter.h"

#include <errno.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_IOCTL_NOTIF_ID_VALID
#define SECCOMP_IOCTL_NOTIF_ID_VALID _IOW('!', 2, __u64)
#endif
/* Linux 6.6; Debian 12's headers predate it. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

void cai_notify_filter_init(struct cai_notify_filter *f, const int *syscall_nrs, size_t n)
{
	if (n > CAI_NOTIFY_FILTER_MAX)
		n = CAI_NOTIFY_FILTER_MAX;
	/* libseccomp's SCMP_ARCH_* tokens are the kernel's AUDIT_ARCH_* values. */
	__u32 arch = seccomp_arch_native();
	size_t i = 0;
	/* Layout: load arch; wrong arch -> ALLOW; load nr; one JEQ per syscall
	 * jumping to NOTIFY; ALLOW; NOTIFY. Jump offsets count from the next
	 * instruction. */
	f->insns[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f->insns[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, (__u8)(n + 1));
	f->insns[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (size_t k = 0; k < n; k++)
		f->insns[i++] =
		    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)syscall_nrs[k], (__u8)(n - k), 0);
	f->insns[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f->insns[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	f->prog.len = (unsigned short)i;
	f->prog.filter = f->insns;
}

int cai_notify_filter_install(struct cai_notify_filter *f)
{
#ifdef __NR_seccomp
	long fd = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &f->prog);
	return (int)fd;
#else
	(void)f;
	errno = ENOSYS;
	return -1;
#endif
}

bool cai_notify_fd_check(int fd)
{
	__u64 id = 0;
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0) {
		errno = EPROTO; /* nobody is waiting on id 0: a listener cannot say yes */
		return false;
	}
	return errno == ENOENT;
}

bool cai_notify_sync_wakeup(int listener)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
}
