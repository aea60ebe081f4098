/* The supervisor's reads of another process's memory, tried on this
 * process (process_vm_readv on oneself needs no privilege): argument
 * arrays of every length around the limit, across a page boundary, and
 * ending at an unmapped page; strings likewise; and an exec's path and
 * arguments read together, which must give what reading them one by one
 * gives, in fewer reads. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

static struct cai_tracee_exec x;

/* execve's path and argv read together must give what reading them one by
 * one gives, in fewer reads. */
static void exec_reads(pid_t self, long page)
{
	/* Three pages, the third unmapped. */
	char *m = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		ok(false, "mmap three pages");
		return;
	}
	munmap(m + 2 * page, (size_t)page);
	char *p1 = m, *p2 = m + page;

	/* What exec-loop does: argv[0] is the path itself, all in one page. */
	strcpy(p1, "/bin/true");
	uint64_t *argv = (uint64_t *)(void *)(p1 + 64);
	argv[0] = addr_of(p1);
	argv[1] = 0;
	cai_tracee_read_exec(self, addr_of(p1), addr_of(argv), &x);
	ok(x.path_len == 9 && strcmp(x.path, "/bin/true") == 0 && !x.path_cut, "exec: the path");
	ok(x.argc == 1 && x.arg_len[0] == 9 && strcmp(x.arg[0], "/bin/true") == 0 && !x.argv_cut, "  its argv");
	is_int(x.reads, 1, "  in one read: argv[0] is in the path's page");

	/* Arguments on the path's page, on another, and two that overlap. */
	argv = (uint64_t *)(void *)(p1 + 1024);
	strcpy(p1 + 100, "first");
	strcpy(p2 + 10, "second");
	strcpy(p2 + 20, "third");
	argv[0] = addr_of(p1 + 100);
	argv[1] = addr_of(p2 + 10);
	argv[2] = addr_of(p2 + 20);
	argv[3] = addr_of(p2 + 22);
	argv[4] = 0;
	cai_tracee_read_exec(self, addr_of(p1), addr_of(argv), &x);
	ok(x.argc == 4 && strcmp(x.arg[0], "first") == 0 && strcmp(x.arg[1], "second") == 0 &&
	       strcmp(x.arg[2], "third") == 0 && strcmp(x.arg[3], "ird") == 0 && x.arg_len[3] == 3,
	   "exec: arguments on two pages, two of them overlapping");
	is_int(x.reads, 2, "  in two reads");
	/* One across the page boundary: read on from its first page. */
	memcpy(p1 + page - 3, "str", 3);
	strcpy(p2, "addle");
	argv[2] = addr_of(p1 + page - 3);
	cai_tracee_read_exec(self, addr_of(p1), addr_of(argv), &x);
	ok(x.argc == 4 && strcmp(x.arg[2], "straddle") == 0 && x.arg_len[2] == 8 && strcmp(x.arg[1], "second") == 0,
	   "exec: an argument across the page boundary is read whole");
	is_int(x.reads, 3, "  with one read more");

	/* The pointer array across the page boundary, one pointer straddling it. */
	char *odd = p1 + page - 13;
	strcpy(p2 + 100, "later");
	uint64_t straddle[] = {addr_of(p1 + 100), addr_of(p2 + 100), 0};
	memcpy(odd, straddle, sizeof(straddle));
	cai_tracee_read_exec(self, addr_of(p1), addr_of(odd), &x);
	ok(x.argc == 2 && strcmp(x.arg[0], "first") == 0 && strcmp(x.arg[1], "later") == 0,
	   "exec: a misaligned array with a pointer across the page boundary");

	/* A string that runs into the unmapped page, beside readable ones. */
	memset(p2 + page - 8, 'z', 8);
	argv[0] = addr_of(p1 + 100);
	argv[1] = addr_of(p2 + page - 8);
	argv[2] = addr_of(p2 + 100);
	argv[3] = 0;
	cai_tracee_read_exec(self, addr_of(p1), addr_of(argv), &x);
	ok(x.argc == 3 && x.arg_len[0] == 5 && x.arg_len[1] == -1 && x.arg_len[2] == 5,
	   "exec: an argument running into an unmapped page is unreadable, the others are read");
	bool cut;
	char one[CAI_TRACEE_STRING_CAP];
	is_int(cai_tracee_read_string(self, addr_of(p2 + page - 8), one, sizeof(one), &cut), -1,
	       "  as it is read alone");

	/* An argument whose page cannot be read at all, and a path likewise:
	 * the rest is read alone. */
	argv[1] = addr_of(m + 2 * page + 16);
	cai_tracee_read_exec(self, addr_of(p1), addr_of(argv), &x);
	ok(x.argc == 3 && x.arg_len[0] == 5 && x.arg_len[1] == -1 && x.arg_len[2] == 5,
	   "exec: an argument on an unmapped page is unreadable, the others are read");
	cai_tracee_read_exec(self, addr_of(m + 2 * page), addr_of(argv), &x);
	ok(x.path_len == -1 && x.argc == 3 && x.arg_len[0] == 5 && x.arg_len[2] == 5,
	   "exec: an unmapped path is unreadable, the arguments are read");
	cai_tracee_read_exec(self, addr_of(p1), addr_of(m + 2 * page), &x);
	ok(x.path_len == 9 && x.argc == -1, "exec: an unmapped array is unreadable, the path is read");
	cai_tracee_read_exec(self, 0, 0, &x);
	ok(x.path_len == -1 && x.argc == 0, "exec: a NULL path is unreadable, a NULL argv no arguments");

	/* Limits: a path and an argument longer than the cap, an array longer
	 * than the limit. */
	char *big = malloc(3 * CAI_TRACEE_STRING_CAP);
	memset(big, 'a', 3 * CAI_TRACEE_STRING_CAP - 1);
	big[3 * CAI_TRACEE_STRING_CAP - 1] = '\0';
	static uint64_t many[CAI_TRACEE_MAX_ARGS + 2];
	for (size_t i = 0; i <= CAI_TRACEE_MAX_ARGS; i++)
		many[i] = addr_of(i == 7 ? big : p1 + 100);
	cai_tracee_read_exec(self, addr_of(big), addr_of(many), &x);
	ok(x.path_len == CAI_TRACEE_STRING_CAP - 1 && x.path_cut,
	   "exec: a path longer than the cap is cut, and says so");
	ok(x.argc == CAI_TRACEE_MAX_ARGS && x.argv_cut, "  an array over the limit likewise");
	ok(x.arg_len[7] == CAI_TRACEE_STRING_CAP - 1 && x.arg_cut[7] && !x.arg_cut[6] && x.arg_len[6] == 5,
	   "  an argument longer than the cap likewise, the others whole");
	free(big);

	/* Longer than the cap from just past a page's start: read on into
	 * the next page for the cap's last bytes. */
	memset(p1 + 2, 'b', (size_t)page * 2 - 3);
	p2[page - 1] = '\0';
	many[0] = addr_of(p1 + 2);
	many[1] = 0;
	cai_tracee_read_exec(self, addr_of(p1 + 2), addr_of(many), &x);
	ok(x.path_len == CAI_TRACEE_STRING_CAP - 1 && x.path_cut && x.path[CAI_TRACEE_STRING_CAP - 2] == 'b' &&
	       x.argc == 1 && x.arg_len[0] == CAI_TRACEE_STRING_CAP - 1 && x.arg_cut[0],
	   "exec: a path and an argument longer than the cap, from mid-page, cut at the cap");
	munmap(m, (size_t)page * 2);
}

static unsigned rnd(void)
{
	static uint64_t state = 16;
	state = state * 6364136223846793005u + 1442695040888963407u;
	return (unsigned)(state >> 33);
}

/* Random layouts over four pages, one of them unreadable: reading
 * together must give what reading one by one gives. */
static void exec_reads_random(pid_t self, long page)
{
	enum { PAGES = 4, TRIALS = 2000 };
	char *m = mmap(NULL, (size_t)page * PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		ok(false, "mmap four pages");
		return;
	}
	size_t size = (size_t)page * PAGES;
	static char one[CAI_TRACEE_STRING_CAP];
	static uint64_t ptrs[CAI_TRACEE_MAX_ARGS];
	int differ = 0;
	for (int t = 0; t < TRIALS && !differ; t++) {
		mprotect(m, size, PROT_READ | PROT_WRITE);
		/* Bytes with a NUL now and then: short strings, some long ones,
		 * some longer than the cap. */
		int every = 1 + (int)(rnd() % (t % 5 == 0 ? 9000 : t % 5 == 1 ? 600 : 12));
		for (size_t i = 0; i < size; i++)
			m[i] = (char)(rnd() % every == 0 ? 0 : 'a' + rnd() % 26);
		size_t at = (size_t)rnd() % (size - 64);
		int n = rnd() % 12;
		for (int i = 0; i < n && at + 8 * (size_t)(i + 1) <= size; i++) {
			uint64_t p = addr_of(m + (size_t)rnd() % size);
			memcpy(m + at + 8 * (size_t)i, &p, 8);
		}
		if (rnd() % 4 && at + 8 * (size_t)(n + 1) <= size)
			memset(m + at + 8 * (size_t)n, 0, 8);
		uint64_t path = rnd() % 16 ? addr_of(m + (size_t)rnd() % size) : 0;
		uint64_t argv = rnd() % 16 ? addr_of(m + at) : 0;
		int hole = rnd() % (PAGES + 1);
		if (hole < PAGES)
			mprotect(m + (size_t)hole * (size_t)page, (size_t)page, PROT_NONE);

		cai_tracee_read_exec(self, path, argv, &x);
		bool cut, more;
		ssize_t len = cai_tracee_read_string(self, path, one, sizeof(one), &cut);
		differ |= len != x.path_len || (len >= 0 && (cut != x.path_cut || strcmp(one, x.path) != 0));
		ssize_t argc = cai_tracee_read_ptrs(self, argv, ptrs, CAI_TRACEE_MAX_ARGS, &more);
		differ |= (argc != x.argc || (argc >= 0 && more != x.argv_cut)) << 1;
		for (ssize_t i = 0; i < argc && !differ; i++) {
			len = cai_tracee_read_string(self, ptrs[i], one, sizeof(one), &cut);
			differ |=
			    (len != x.arg_len[i] || (len >= 0 && (cut != x.arg_cut[i] || strcmp(one, x.arg[i]) != 0)))
			    << 2;
		}
		if (differ)
			printf("# trial %d differs (%d): path %+ld argv %+ld hole %d\n", t, differ,
			       path ? (long)(path - addr_of(m)) : -1L, argv ? (long)(argv - addr_of(m)) : -1L, hole);
	}
	ok(!differ, "exec: %d random layouts read together as one by one", TRIALS);
	munmap(m, size);
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
	exec_reads(self, page);
	exec_reads_random(self, page);
	return done_testing();
}
