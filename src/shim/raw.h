/* The shim's own system calls and errno, without calling into libc.
 *
 * The exec family's event is built in a fork child just before it execs,
 * and fork copies no page table entries of file mappings: the first call
 * into any page of libc's text there is a page fault, and on a virtual
 * machine a page fault costs more than all the rest of the event. So the
 * shim makes its system calls itself (cai_syscall: the same contract as
 * syscall(), -1 with errno set on failure) and reaches errno through an
 * address kept per thread (fetched once, in the parent before fork).
 *
 * errno's address is the thread's for its whole life, and a vfork child or
 * a raw clone without CLONE_SETTLS runs on its parent's thread pointer,
 * as libc's own errno does. Architectures without the inline system call
 * here use libc's syscall(). */
#ifndef CAI_SHIM_RAW_H
#define CAI_SHIM_RAW_H

#include <errno.h>
#include <unistd.h>

extern __thread int *cai_t_errno __attribute__((tls_model("initial-exec")));

static inline int *cai_errno_location(void)
{
	int *p = cai_t_errno;
	if (!p)
		p = cai_t_errno = __errno_location();
	return p;
}

#undef errno
#define errno (*cai_errno_location())

#if defined(__x86_64__)
static inline long cai_raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define CAI_RAW_SYSCALL 1
#elif defined(__aarch64__)
static inline long cai_raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
	return x0;
}
#define CAI_RAW_SYSCALL 1
#else
#define CAI_RAW_SYSCALL 0
#endif

#if CAI_RAW_SYSCALL
static inline long cai_sys(long n, long a, long b, long c, long d, long e, long f)
{
	long r = cai_raw_syscall(n, a, b, c, d, e, f);
	if ((unsigned long)r > -4096UL) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* cai_syscall(SYS_x, args...): up to six arguments, each passed as a long
 * (pointers, ints and sizes alike, as syscall() takes them). */
#define CAI_NARGS_(a, b, c, d, e, f, g, n, ...) n
#define CAI_NARGS(...) CAI_NARGS_(__VA_ARGS__, 7, 6, 5, 4, 3, 2, 1, 0)
#define CAI_CAT_(a, b) a##b
#define CAI_CAT(a, b) CAI_CAT_(a, b)
#define cai_syscall(...) CAI_CAT(cai_syscall_, CAI_NARGS(__VA_ARGS__))(__VA_ARGS__)
#define cai_syscall_1(n) cai_sys((n), 0, 0, 0, 0, 0, 0)
#define cai_syscall_2(n, a) cai_sys((n), (long)(a), 0, 0, 0, 0, 0)
#define cai_syscall_3(n, a, b) cai_sys((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define cai_syscall_4(n, a, b, c) cai_sys((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define cai_syscall_5(n, a, b, c, d) cai_sys((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define cai_syscall_6(n, a, b, c, d, e) cai_sys((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define cai_syscall_7(n, a, b, c, d, e, f)                                                                             \
	cai_sys((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#else
#define cai_syscall syscall
#endif

#endif
