#include "tracee_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#define PAGE CAI_TRACEE_PAGE

/* Bytes from addr to the end of its page. */
static size_t page_room(uint64_t addr)
{
	return PAGE - (size_t)(addr % PAGE);
}

/* One process_vm_readv that never crosses a page boundary, so a string that
 * ends just before an unmapped page is still read whole; counted in *reads. */
static ssize_t read_within_page(pid_t pid, uint64_t addr, void *buf, size_t len, unsigned *reads)
{
	size_t room = page_room(addr);
	if (len > room)
		len = room;
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
	(*reads)++;
	return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

/* The rest of a string whose first len bytes (no NUL among them) are in
 * buf already. */
static ssize_t string_from(pid_t pid, uint64_t addr, char *buf, size_t cap, size_t len, bool *truncated,
			   unsigned *reads)
{
	while (len + 1 < cap) {
		ssize_t n = read_within_page(pid, addr + len, buf + len, cap - 1 - len, reads);
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

ssize_t cai_tracee_read_string(pid_t pid, uint64_t addr, char *buf, size_t cap, bool *truncated)
{
	unsigned reads = 0;
	*truncated = false;
	if (addr == 0) {
		errno = EFAULT;
		return -1;
	}
	return string_from(pid, addr, buf, cap, 0, truncated, &reads);
}

/* The array's bytes are read a page at a time (one system call for most
 * argument lists), the first len of them, when len > 0, taken from first;
 * the kernel takes a pointer that straddles a page boundary, so the bytes
 * of one carry over to the next read. */
static ssize_t ptrs_from(pid_t pid, uint64_t addr, const unsigned char *first, size_t len, uint64_t *ptrs, size_t max,
			 bool *truncated, unsigned *reads)
{
	unsigned char bytes[PAGE + sizeof(uint64_t)];
	size_t carried = 0, have = 0;
	uint64_t at = addr;
	for (;;) {
		size_t want = (max + 1 - have) * sizeof(uint64_t) - carried; /* one more: the NULL, or proof of more */
		if (want > PAGE)
			want = PAGE;
		ssize_t n;
		if (len > 0) {
			n = (ssize_t)(len < want ? len : want);
			memcpy(bytes, first, (size_t)n);
			len = 0;
		} else {
			n = read_within_page(pid, at, bytes + carried, want, reads);
		}
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

ssize_t cai_tracee_read_ptrs(pid_t pid, uint64_t addr, uint64_t *ptrs, size_t max, bool *truncated)
{
	unsigned reads = 0;
	*truncated = false;
	if (addr == 0)
		return 0; /* execve(path, NULL, ...) is legal on Linux: no arguments */
	/* The native pointer size: 64-bit agents only on the 64-bit kernels we
	 * support. */
	return ptrs_from(pid, addr, NULL, 0, ptrs, max, truncated, &reads);
}

/* Read the n stretches from start[i] to the end of its page (want[i] bytes
 * at most) in one process_vm_readv; keep those that came whole. The
 * kernel stops at the first stretch it cannot read: that one and the rest
 * are not kept, and whoever needs them reads them alone. */
static void read_stretches(pid_t pid, struct cai_tracee_exec *x, const uint64_t *start, const size_t *want, size_t n)
{
	struct iovec local[CAI_TRACEE_MAX_ARGS + 2], remote[CAI_TRACEE_MAX_ARGS + 2];
	size_t base = x->nseg;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t len = page_room(start[i]);
		if (len > want[i])
			len = want[i];
		local[i] = (struct iovec){.iov_base = x->bytes[base + i], .iov_len = len};
		remote[i] = (struct iovec){.iov_base = (void *)(uintptr_t)start[i], .iov_len = len};
	}
	ssize_t got = process_vm_readv(pid, local, n, remote, n, 0);
	x->reads++;
	size_t upto = 0;
	for (size_t i = 0; i < n && got > 0 && upto + remote[i].iov_len <= (size_t)got; i++) {
		upto += remote[i].iov_len;
		x->seg[base + i].addr = start[i];
		x->seg[base + i].len = remote[i].iov_len;
		x->nseg++;
	}
}

/* The bytes already read from addr on, and how many; NULL if none. */
static const unsigned char *already_read(const struct cai_tracee_exec *x, uint64_t addr, size_t *len)
{
	for (size_t i = 0; i < x->nseg; i++) {
		if (addr >= x->seg[i].addr && addr - x->seg[i].addr < x->seg[i].len) {
			*len = x->seg[i].len - (size_t)(addr - x->seg[i].addr);
			return x->bytes[i] + (addr - x->seg[i].addr);
		}
	}
	return NULL;
}

/* cai_tracee_read_string, from what is already read where it can. */
static ssize_t string_at(pid_t pid, struct cai_tracee_exec *x, uint64_t addr, char *buf, size_t cap, bool *truncated)
{
	*truncated = false;
	if (addr == 0) {
		errno = EFAULT;
		return -1;
	}
	size_t avail;
	const unsigned char *p = already_read(x, addr, &avail);
	if (!p)
		return string_from(pid, addr, buf, cap, 0, truncated, &x->reads);
	size_t take = avail < cap - 1 ? avail : cap - 1;
	const unsigned char *nul = memchr(p, '\0', take);
	if (nul) {
		memcpy(buf, p, (size_t)(nul - p) + 1);
		return nul - p;
	}
	memcpy(buf, p, take);
	if (take < cap - 1) /* the string goes on past what was read */
		return string_from(pid, addr, buf, cap, take, truncated, &x->reads);
	buf[take] = '\0';
	*truncated = true;
	return (ssize_t)take;
}

/* The page of every argument that starts where nothing was read yet, each
 * from its first such argument on, in one more read. */
static void read_argument_pages(pid_t pid, struct cai_tracee_exec *x)
{
	uint64_t start[CAI_TRACEE_MAX_ARGS];
	size_t want[CAI_TRACEE_MAX_ARGS], n = 0, avail;
	for (ssize_t i = 0; i < x->argc; i++) {
		uint64_t a = x->argv[i];
		if (already_read(x, a, &avail))
			continue;
		size_t k = 0;
		while (k < n && start[k] / PAGE != a / PAGE)
			k++;
		if (k == n) {
			start[n] = a;
			want[n++] = PAGE;
		} else if (a < start[k]) {
			start[k] = a;
		}
	}
	read_stretches(pid, x, start, want, n);
}

void cai_tracee_read_exec(pid_t pid, uint64_t path_addr, uint64_t argv_addr, struct cai_tracee_exec *x)
{
	x->nseg = 0;
	x->reads = 0;
	x->path_cut = x->argv_cut = false;
	uint64_t start[2];
	size_t want[2], n = 0;
	if (path_addr) {
		start[n] = path_addr;
		want[n++] = PAGE; /* to its page's end: arguments often follow the path */
	}
	if (argv_addr) {
		start[n] = argv_addr;
		want[n++] = (CAI_TRACEE_MAX_ARGS + 1) * sizeof(uint64_t);
	}
	read_stretches(pid, x, start, want, n);
	x->path_len = string_at(pid, x, path_addr, x->path, sizeof(x->path), &x->path_cut);

	/* execve(path, NULL, ...) is legal on Linux: no arguments. */
	size_t len = 0;
	const unsigned char *first = argv_addr ? already_read(x, argv_addr, &len) : NULL;
	x->argc = argv_addr ? ptrs_from(pid, argv_addr, first, first ? len : 0, x->argv, CAI_TRACEE_MAX_ARGS,
					&x->argv_cut, &x->reads)
			    : 0;
	if (x->argc <= 0)
		return;
	read_argument_pages(pid, x);
	for (ssize_t i = 0; i < x->argc; i++)
		x->arg_len[i] = string_at(pid, x, x->argv[i], x->arg[i], sizeof(x->arg[i]), &x->arg_cut[i]);
}
