#include "exec_filter.h"

#include <sys/syscall.h>

#include "notify_filter.h"
#include "util.h"

const int cai_supervised_syscalls[2] = {SYS_execve, SYS_execveat};

int cai_exec_filter_install(void)
{
	struct cai_notify_filter filter;
	cai_notify_filter_init(&filter, cai_supervised_syscalls, CAI_ARRAY_LEN(cai_supervised_syscalls));
	return cai_notify_filter_install(&filter);
}
