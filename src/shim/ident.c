/* Who and where the caller is, for the event header, without a system call
 * per event (one costs about 1 us on the VMs we measure on, half the
 * budget of a whole event). Each value is read once and kept until
 * something that changes it goes through a wrapper (hooks_ident.c):
 * - pid, ppid: at load and in a fork or _Fork child. ppid is the parent
 *   when the program started or forked: the kernel may reparent the
 *   process later, and the original parent is what a process tree needs.
 * - uid (real): refreshed after setuid, setreuid, setresuid.
 * - cwd (process-wide) and comm (per thread): a process-wide generation
 *   counter is bumped by chdir, fchdir, chroot, and by prctl(PR_SET_NAME),
 *   pthread_setname_np or opening a /proc .../comm file; a thread reads
 *   the value again when its copy is of an older generation.
 * Changes made by raw system calls are not seen (docs/audit-events.md).
 * Only the outer event of a thread (slot 0) writes the thread's copies; an
 * event in a signal handler that interrupted it (slot 1) uses them only
 * when they are complete and current, and reads into its own buffer
 * otherwise. Generation 0 means "no copy". */
#include "shim.h"

#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_uint cwd_gen = 1;
static atomic_uint comm_gen = 1;
static atomic_long cached_ppid;
static atomic_long cached_uid;

static CAI_TLS unsigned t_cwd_gen;
static CAI_TLS long t_cwd_len;
static CAI_TLS char t_cwd[CAI_LIM_PATH + 1];
static CAI_TLS unsigned t_comm_gen;
static CAI_TLS char t_comm[17];
static CAI_TLS char t_cwd_nested[CAI_LIM_PATH + 1];

void cai_ident_init(void)
{
	atomic_store(&cached_ppid, syscall(SYS_getppid));
	atomic_store(&cached_uid, syscall(SYS_getuid));
}

void cai_ident_atfork_child(void)
{
	atomic_store(&cached_ppid, syscall(SYS_getppid));
	/* A thread other than the forking one may have been renaming or
	 * changing directory: start from fresh copies. */
	t_cwd_gen = 0;
	t_comm_gen = 0;
}

void cai_ident_cwd_changed(void) { atomic_fetch_add(&cwd_gen, 1); }
void cai_ident_comm_changed(void) { atomic_fetch_add(&comm_gen, 1); }
void cai_ident_uid_changed(void) { atomic_store(&cached_uid, syscall(SYS_getuid)); }

long cai_ident_ppid(void) { return atomic_load_explicit(&cached_ppid, memory_order_relaxed); }
long cai_ident_uid(void) { return atomic_load_explicit(&cached_uid, memory_order_relaxed); }

const char *cai_ident_cwd(int slot)
{
	unsigned g = atomic_load_explicit(&cwd_gen, memory_order_acquire);
	if (t_cwd_gen == g)
		return t_cwd_len > 0 ? t_cwd : NULL;
	if (slot > 0) {
		long n = syscall(SYS_getcwd, t_cwd_nested, sizeof(t_cwd_nested));
		return n > 0 ? t_cwd_nested : NULL;
	}
	t_cwd_gen = 0; /* being rewritten: not for a nested event */
	atomic_signal_fence(memory_order_seq_cst);
	t_cwd_len = syscall(SYS_getcwd, t_cwd, sizeof(t_cwd));
	atomic_signal_fence(memory_order_seq_cst);
	t_cwd_gen = g;
	return t_cwd_len > 0 ? t_cwd : NULL;
}

void cai_ident_comm(int slot, char out[static 17])
{
	unsigned g = atomic_load_explicit(&comm_gen, memory_order_acquire);
	if (t_comm_gen == g) {
		memcpy(out, t_comm, 17);
		return;
	}
	memset(out, 0, 17);
	syscall(SYS_prctl, PR_GET_NAME, out, 0, 0, 0);
	if (slot > 0)
		return;
	t_comm_gen = 0;
	atomic_signal_fence(memory_order_seq_cst);
	memcpy(t_comm, out, 17);
	atomic_signal_fence(memory_order_seq_cst);
	t_comm_gen = g;
}
