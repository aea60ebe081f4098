/* The exec supervision filter: USER_NOTIF on execve and execveat. Installed
 * by `cai run`'s agent child on the host and by cai-agent-init in a
 * container; both hand the listener to the same supervisor. */
#ifndef CAI_EXEC_FILTER_H
#define CAI_EXEC_FILTER_H

/* Syscall numbers the exec filter sends to the listener. */
extern const int cai_supervised_syscalls[2];

/* Returns the listener fd, or -1 with errno as the kernel set it (EBUSY,
 * EINVAL...). The caller must have no_new_privs or CAP_SYS_ADMIN. */
int cai_exec_filter_install(void);

#endif
