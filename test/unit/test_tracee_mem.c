/* The supervisor's reads of another process's memory, tried on this
 * process (process_vm_readv on oneself needs no privilege): argument
 * arrays of every length around the limit, across a page boundary, and
 * ending at an unmapped page; strings likewise. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "tracee_mem.h"

#define MAX 8

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* n pointers (each to "x") then NULL, ending exactly at end. */
static uint64_t *array_ending_at(char *end, size_t n, bool terminated)
{
	static const char x[] = "x";
	size_t slots = n + (terminated ? 1 : 0);
	uint64_t *a = (uint64_t *)(void *)(end - slots * sizeof(uint64_t));
	for (size_t i = 0; i < n; i++)
		a[i] = addr_of(x);
	if (terminated)
		a[n] = 0;
	return a;
}

int main(void)
{
	pid_t self = getpid();
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED)
		return 1;
	uint64_t ptrs[MAX];
	bool truncated;

	is_int(cai_tracee_read_ptrs(self, 0, ptrs, MAX, &truncated), 0, "a NULL argv is no arguments");
	ok(!truncated, "  and not truncated");

	uint64_t three[] = {11, 22, 33, 0};
	is_int(cai_tracee_read_ptrs(self, addr_of(three), ptrs, MAX, &truncated), 3, "three pointers");
	ok(!truncated && ptrs[0] == 11 && ptrs[2] == 33, "  read in order, not truncated");

	uint64_t exactly[MAX + 1] = {0};
	for (int i = 0; i < MAX; i++)
		exactly[i] = (uint64_t)i + 1;
	is_int(cai_tracee_read_ptrs(self, addr_of(exactly), ptrs, MAX, &truncated), MAX, "exactly the limit");
	ok(!truncated, "  is not truncated: the NULL after it was read");

	uint64_t more[MAX + 2] = {0};
	for (int i = 0; i <= MAX; i++)
		more[i] = (uint64_t)i + 1;
	is_int(cai_tracee_read_ptrs(self, addr_of(more), ptrs, MAX, &truncated), MAX, "one over the limit");
	ok(truncated && ptrs[MAX - 1] == MAX, "  is cut at the limit and says so");

	/* Five pointers before the page boundary, two after, then NULL. */
	uint64_t *across = (uint64_t *)(void *)(two + page - 5 * sizeof(uint64_t));
	for (int i = 0; i < 7; i++)
		across[i] = (uint64_t)i + 100;
	across[7] = 0;
	is_int(cai_tracee_read_ptrs(self, addr_of(across), ptrs, MAX, &truncated), 7,
	       "an array across a page boundary");
	ok(ptrs[4] == 104 && ptrs[5] == 105 && ptrs[6] == 106, "  both pages' pointers read");

	/* Misaligned, with one pointer straddling the page boundary (the
	 * kernel takes it, so the supervisor must read it too). */
	char *odd = two + page - 13;
	uint64_t straddle[] = {201, 202, 0};
	memcpy(odd, straddle, sizeof(straddle));
	is_int(cai_tracee_read_ptrs(self, addr_of(odd), ptrs, MAX, &truncated), 2,
	       "a misaligned array with a pointer across the page boundary");
	ok(ptrs[0] == 201 && ptrs[1] == 202, "  both pointers read whole");

	/* The second page gone: an array with no NULL before it fails, one
	 * whose NULL is the page's last word does not. */
	munmap(two + page, (size_t)page);
	uint64_t *open_ended = array_ending_at(two + page, 3, false);
	errno = 0;
	is_int(cai_tracee_read_ptrs(self, addr_of(open_ended), ptrs, MAX, &truncated), -1,
	       "an array running into an unmapped page fails");
	is_int(errno, EFAULT, "  with EFAULT");
	uint64_t *closed = array_ending_at(two + page, 3, true);
	is_int(cai_tracee_read_ptrs(self, addr_of(closed), ptrs, MAX, &truncated), 3,
	       "an array whose NULL ends the last mapped page is read whole");

	char buf[16];
	memcpy(two + page - 4, "abc", 4);
	is_int(cai_tracee_read_string(self, addr_of(two + page - 4), buf, sizeof(buf), &truncated), 3,
	       "a string ending just before an unmapped page is read whole");
	is_str(buf, "abc", "  its text");
	memcpy(two + page - 3, "abc", 3);
	is_int(cai_tracee_read_string(self, addr_of(two + page - 3), buf, sizeof(buf), &truncated), -1,
	       "a string running into an unmapped page fails");
	const char *long_one = "0123456789abcdefghij";
	is_int(cai_tracee_read_string(self, addr_of(long_one), buf, sizeof(buf), &truncated), 15,
	       "a string longer than the buffer is cut to fit");
	ok(truncated && buf[15] == '\0', "  says so and stays terminated");
	return done_testing();
}
