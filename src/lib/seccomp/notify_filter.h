/* A minimal seccomp filter that asks for a user-notification listener:
 * allow every syscall, send the chosen ones to the listener. With one
 * syscall it is what Sysbox needs from the kernel, reduced to its essence
 * (the probe); with execve and execveat it is `cai run`'s exec supervision. */
#ifndef CAI_NOTIFY_FILTER_H
#define CAI_NOTIFY_FILTER_H

#include <linux/filter.h>
#include <stddef.h>

#define CAI_NOTIFY_FILTER_MAX 4

struct cai_notify_filter {
	struct sock_filter insns[5 + CAI_NOTIFY_FILTER_MAX];
	struct sock_fprog prog;
};

/* Build the program for the n (1 to CAI_NOTIFY_FILTER_MAX) syscall numbers
 * on the native architecture; other architectures' numbers pass. */
void cai_notify_filter_init(struct cai_notify_filter *f, const int *syscall_nrs, size_t n);

/* seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog),
 * made as a raw syscall so that errno is exactly the kernel's answer
 * (libseccomp 2.5 turns EBUSY into ECANCELED or EFAULT, and refuses NOTIFY
 * rules up front on kernels it thinks lack them). The caller must already
 * have no_new_privs or CAP_SYS_ADMIN. Returns the listener fd (close-on-exec),
 * or -1 with errno set. */
int cai_notify_filter_install(struct cai_notify_filter *f);

/* true when fd answers like a seccomp listener (SECCOMP_IOCTL_NOTIF_ID_VALID
 * on an id nobody holds gives ENOENT); otherwise errno says what it did. */
#include <stdbool.h>
bool cai_notify_fd_check(int fd);

/* Ask the kernel (6.6 and later) to run the supervisor on the CPU of the
 * process that stopped, and that process on the supervisor's CPU when it
 * answers: one waits while the other runs, so neither waits for another CPU
 * (an idle one, in a virtual machine, can take hundreds of microseconds to
 * wake). false on older kernels, where the notification works as before. */
bool cai_notify_sync_wakeup(int listener);

#endif
