#include "tracee_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#define PAGE 4096u

/* One process_vm_readv that never crosses a page boundary, so a string that
 * ends just before an unmapped page is still read whole. */
static ssize_t read_within_page(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t room = PAGE - (size_t)(addr % PAGE);
	if (len > room)
		len = room;
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
	return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

ssize_t cai_tracee_read_string(pid_t pid, uint64_t addr, char *buf, size_t cap, bool *truncated)
{
	size_t len = 0;
	*truncated = false;
	if (addr == 0) {
		errno = EFAULT;
		return -1;
	}
	while (len + 1 < cap) {
		ssize_t n = read_within_page(pid, addr + len, buf + len, cap - 1 - len);
		if (n <= 0) {
			if (n == 0)
				errno = EFAULT;
			return -1;
		}
		char *nul = memchr(buf + len, '\0', (size_t)n);
		if (nul)
			return (ssize_t)(nul - buf);
		len += (size_t)n;
	}
	buf[len] = '\0';
	*truncated = true;
	return (ssize_t)len;
}

ssize_t cai_tracee_read_ptrs(pid_t pid, uint64_t addr, uint64_t *ptrs, size_t max, bool *truncated)
{
	*truncated = false;
	if (addr == 0)
		return 0; /* execve(path, NULL, ...) is legal on Linux: no arguments */
	/* The native pointer size: 64-bit agents only on the 64-bit kernels we
	 * support. The array's bytes are read a page at a time (one system call
	 * for most argument lists); the kernel takes a pointer that straddles a
	 * page boundary, so the bytes of one carry over to the next read. */
	unsigned char bytes[PAGE + sizeof(uint64_t)];
	size_t carried = 0, have = 0;
	uint64_t at = addr;
	for (;;) {
		size_t want = (max + 1 - have) * sizeof(uint64_t) - carried; /* one more: the NULL, or proof of more */
		if (want > PAGE)
			want = PAGE;
		ssize_t n = read_within_page(pid, at, bytes + carried, want);
		if (n <= 0) {
			if (n == 0)
				errno = EFAULT;
			return -1;
		}
		at += (uint64_t)n;
		size_t avail = carried + (size_t)n, used = 0;
		for (; used + sizeof(uint64_t) <= avail; used += sizeof(uint64_t)) {
			uint64_t p;
			memcpy(&p, bytes + used, sizeof(p));
			if (p == 0)
				return (ssize_t)have;
			if (have == max) {
				*truncated = true;
				return (ssize_t)max;
			}
			ptrs[have++] = p;
		}
		carried = avail - used;
		memmove(bytes, bytes + used, carried);
	}
}
