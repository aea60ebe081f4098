/* Children that run no pthread_atfork handler: vfork, _Fork and clone.
 * Each marks the calling thread (cai_ident_maybe_child) so that the next
 * event of whoever runs on it asks the kernel for its pid: the child's
 * events are then "foreign" (own pid, own connection, nothing cached),
 * and the parent's next event finds its own pid and clears the mark.
 * See shim.h for the invariants. */
#include "shim.h"

#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

/* vfork MUST NOT be wrapped in C: the child runs on the parent's stack
 * until it execs or exits, and returning through a wrapper's frame would
 * clobber the return address the parent still needs. The stub sets the
 * thread-local mark and tail-jumps to glibc's __vfork (exported by every
 * glibc since 2.1.2), which returns straight to our caller, in the child
 * and then in the parent. It clobbers only call-clobbered registers.
 * On x86_64 it first calls cai_hook_before_fork, in the parent, before any
 * child exists (the stack aligned as a call expects): the ring the child
 * writes its exec's event into is set up there, as at fork(). */
#if defined(__x86_64__) && CAI_GLIBC
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	".p2align 4\n"
	"vfork:\n"
	".cfi_startproc\n"
	"	endbr64\n"
	"	subq $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"	call cai_hook_before_fork\n"
	"	addq $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"	movq cai_maybe_child@gottpoff(%rip), %rax\n"
	"	movl $1, %fs:(%rax)\n"
	"	jmp __vfork@PLT\n"
	".cfi_endproc\n"
	".size vfork, .-vfork\n");
#elif defined(__x86_64__)
/* musl exports no __vfork to jump to, and its vfork is this very system
 * call (src/process/x86_64/vfork.s): the return address is kept in a
 * register, which the parent still has when it resumes, and pushed back
 * after the call. Only a failure (no child exists then) reaches C. */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	".p2align 4\n"
	"vfork:\n"
	".cfi_startproc\n"
	"	endbr64\n"
	"	subq $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"	call cai_hook_before_fork\n"
	"	addq $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"	movq cai_maybe_child@gottpoff(%rip), %rax\n"
	"	movl $1, %fs:(%rax)\n"
	"	popq %rdx\n"
	".cfi_adjust_cfa_offset -8\n"
	"	movl $58, %eax\n"
	"	syscall\n"
	"	pushq %rdx\n"
	".cfi_adjust_cfa_offset 8\n"
	"	cmpq $-4095, %rax\n"
	"	jae 1f\n"
	"	ret\n"
	"1:	movq %rax, %rdi\n"
	"	jmp cai_vfork_failed\n"
	".cfi_endproc\n"
	".size vfork, .-vfork\n");

/* Called by the stub only: the system call's -errno becomes errno. */
long cai_vfork_failed(long rc) __attribute__((visibility("hidden"), used));
long cai_vfork_failed(long rc)
{
	errno = (int)-rc;
	return -1;
}
#elif defined(__aarch64__) && CAI_GLIBC
/* Untested on hardware here: assembled and linked with clang/lld only.
 * "hint #34" is BTI c (a no-op on cores without BTI). */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, %function\n"
	".p2align 2\n"
	"vfork:\n"
	".cfi_startproc\n"
	"	hint #34\n"
	"	adrp x0, :gottprel:cai_maybe_child\n"
	"	ldr x0, [x0, #:gottprel_lo12:cai_maybe_child]\n"
	"	mrs x1, tpidr_el0\n"
	"	mov w2, #1\n"
	"	str w2, [x1, x0]\n"
	"	b __vfork\n"
	".cfi_endproc\n"
	".size vfork, .-vfork\n");
#endif

/* glibc 2.34's (and musl 1.2.3's) fork without the atfork handlers: the child has copied
 * memory and a new pid, so it does here what the atfork child handler
 * does for fork(). */
CAI_EXPORT pid_t _Fork(void)
{
	pid_t (*real)(void) = REAL_SYM(fork_, "_Fork");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	cai_hook_before_fork();
	pid_t pid = real();
	if (pid == 0) {
		int saved = errno;
		cai_hook_atfork_child();
		errno = saved;
	}
	return pid;
}

/* glibc's clone(): the child runs fn with copied or shared memory and no
 * atfork handler. The optional arguments are always forwarded, as glibc's
 * own clone reads them whatever the flags say. */
CAI_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	pid_t *ptid = va_arg(ap, pid_t *);
	void *tls = va_arg(ap, void *);
	pid_t *ctid = va_arg(ap, pid_t *);
	va_end(ap);
	if (flags & (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET))
		cai_transport_connect_now();
	cai_ident_maybe_child();
	return REAL(clone)(fn, stack, flags, arg, ptid, tls, ctid);
}
