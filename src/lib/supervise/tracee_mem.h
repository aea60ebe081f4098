/* Reading strings and string arrays out of another process's memory, for
 * the exec supervisor. What it reads can change under it (see the TOCTOU
 * note in supervise.h): it is evidence for the log, not a security boundary. */
#ifndef CAI_TRACEE_MEM_H
#define CAI_TRACEE_MEM_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Copy the NUL-terminated string at addr into buf (cap bytes). Returns its
 * length; *truncated tells whether it was longer than cap - 1. -1 on a
 * read failure (errno: ESRCH gone, EFAULT bad address, EPERM). */
ssize_t cai_tracee_read_string(pid_t pid, uint64_t addr, char *buf, size_t cap, bool *truncated);

/* Read up to max pointers of the NULL-terminated array at addr into ptrs.
 * Returns the count; *truncated when the array had more. -1 on failure. */
ssize_t cai_tracee_read_ptrs(pid_t pid, uint64_t addr, uint64_t *ptrs, size_t max, bool *truncated);

#endif
