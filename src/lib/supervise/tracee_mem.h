/* Reading strings and string arrays out of another process's memory, for
 * the exec supervisor. What it reads can change under it (see the TOCTOU
 * note in supervise.h): it is evidence for the log, not a security boundary. */
#ifndef CAI_TRACEE_MEM_H
#define CAI_TRACEE_MEM_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* What the supervisor reads of one exec at most: this many arguments, and
 * this many bytes of each string (the path, each argument), NUL included. */
#define CAI_TRACEE_MAX_ARGS 256
#define CAI_TRACEE_STRING_CAP 4096
#define CAI_TRACEE_PAGE 4096u

/* Copy the NUL-terminated string at addr into buf (cap bytes). Returns its
 * length; *truncated tells whether it was longer than cap - 1. -1 on a
 * read failure (errno: ESRCH gone, EFAULT bad address, EPERM). */
ssize_t cai_tracee_read_string(pid_t pid, uint64_t addr, char *buf, size_t cap, bool *truncated);

/* Read up to max pointers of the NULL-terminated array at addr into ptrs.
 * Returns the count; *truncated when the array had more. -1 on failure. */
ssize_t cai_tracee_read_ptrs(pid_t pid, uint64_t addr, uint64_t *ptrs, size_t max, bool *truncated);

/* One exec's path and arguments, as cai_tracee_read_string and
 * cai_tracee_read_ptrs would read them one by one, in fewer system calls:
 * the path's page and the array in one process_vm_readv, then in one more
 * every page where an argument starts that the first did not cover; only a
 * string or an array that runs on into the next page costs more. Large
 * (about 2 MiB): keep one, static. */
struct cai_tracee_exec {
	ssize_t path_len; /* -1: unreadable */
	bool path_cut;
	ssize_t argc; /* -1: the array unreadable */
	bool argv_cut;
	unsigned reads; /* process_vm_readv calls made */
	char path[CAI_TRACEE_STRING_CAP];
	uint64_t argv[CAI_TRACEE_MAX_ARGS];
	ssize_t arg_len[CAI_TRACEE_MAX_ARGS]; /* -1: unreadable */
	bool arg_cut[CAI_TRACEE_MAX_ARGS];
	char arg[CAI_TRACEE_MAX_ARGS][CAI_TRACEE_STRING_CAP];
	/* The stretches read so far, each up to the end of its page. */
	size_t nseg;
	struct {
		uint64_t addr;
		size_t len;
	} seg[CAI_TRACEE_MAX_ARGS + 2];
	unsigned char bytes[CAI_TRACEE_MAX_ARGS + 2][CAI_TRACEE_PAGE];
};

/* path_addr and argv_addr as execve(2) takes them (argv_addr 0: no
 * arguments). */
void cai_tracee_read_exec(pid_t pid, uint64_t path_addr, uint64_t argv_addr, struct cai_tracee_exec *x);

#endif
