/* Who is calling: pid, ppid, tid, uid, comm and cwd for the event header,
 * without a system call for an ordinary event.
 *
 * Each field is read once and cached; what can change it goes through a
 * wrapper that tells this file (hooks_fork.c, hooks_ident.c):
 * - pid: the owner pid of transport.c, refreshed in fork children. A
 *   thread that may now run in a vfork, _Fork or clone child (shared or
 *   copied memory, no atfork handler) has cai_maybe_child set; its next
 *   event asks the kernel, and is "foreign" when the pid is not ours.
 * - ppid: read at load time, set to the forking pid in fork children,
 *   then kept (the kernel may reparent the process later).
 * - uid, comm, cwd: a process-wide generation per field, bumped after a
 *   change; a cache holds the generation it was read at. uid and comm
 *   are per thread (a thread's credentials and name are its own), cached
 *   in a few bytes of TLS; cwd is per process (pthreads share it; a
 *   thread that unshares CLONE_FS makes it live), cached once for all
 *   threads behind a sequence counter (seqlock) and copied into the
 *   event's slot.
 *   Some changes cannot be seen at the call that makes them (a uid map
 *   written by another process, a rename through /proc/.../comm, chdirs
 *   inside glibc while user callbacks run): the field is then read on
 *   every event, for a while or for good ("live").
 *
 * MUST NOT write a cache in a foreign event: a vfork child shares the
 * parent's memory and TLS, and its values are not the parent's.
 * MUST write a thread's cache only from its outermost event, and mark it
 * invalid while writing it: an event nested in a signal handler then finds
 * either a complete cache or reads the value into its own slot.
 * MUST NOT keep more than a few bytes in static TLS (slots.c says why). */
#include "shim.h"

#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if CAI_VFORK_STUB
#define PID_ALWAYS false
#else
/* No vfork stub for this architecture: a vfork child is only recognised
 * by asking the kernel on every event. */
#define PID_ALWAYS true
#endif

CAI_TLS int cai_maybe_child __attribute__((used));

static _Atomic int cached_ppid;
/* The pid that called fork: the child's ppid. Not getppid() in the
 * child, which says 1 when the parent has already exited (daemon()). */
static _Atomic int fork_parent;

/* Generations start at 1: a thread's 0 means "never read". They are
 * unsigned long so that on 64-bit systems they never wrap. */
static atomic_ulong gen_uid = 1, gen_comm = 1, gen_cwd = 1;
static atomic_uint live_uid, live_comm, live_cwd;
static atomic_ulong cwd_cached_gen; /* what cwd_cache.c holds, as a hint */

static CAI_TLS long t_tid;
static CAI_TLS unsigned long t_uid_gen, t_comm_gen;
static CAI_TLS long t_uid;
static CAI_TLS char t_comm[17];

/* Orders the cache's stores against a signal handler on this thread. */
#define HANDLER_FENCE() atomic_signal_fence(memory_order_seq_cst)

void cai_ident_init(void)
{
	atomic_store(&cached_ppid, (int)cai_syscall(SYS_getppid));
}

void cai_ident_atfork_child(void)
{
	/* The thread that called fork() lives on in the child as its only
	 * thread, whose id is the child's pid (already the owner pid), and
	 * with a new parent. */
	t_tid = atomic_load(&cai_owner_pid);
	CAI_SET(cached_ppid, atomic_load(&fork_parent));
	cai_maybe_child = 0;
}

void cai_ident_maybe_child(void)
{
	cai_maybe_child = 1;
}

void cai_ident_before_fork(void)
{
	/* Fetched here, in the parent: the child finds errno's address
	 * without calling into libc (raw.h). */
	(void)cai_errno_location();
	/* Unchanged from the last fork in a process that forks often (a
	 * shell): stored only when different (see CAI_SET). */
	CAI_SET(fork_parent, (int)cai_syscall(SYS_getpid));
	if (!cai_maybe_child)
		cai_maybe_child = 1;
}

static void bump(atomic_ulong *gen)
{
	if (atomic_fetch_add(gen, 1) + 1 == 0)
		atomic_fetch_add(gen, 1);
}

void cai_ident_changed(unsigned fields)
{
	if (fields & CAI_ID_UID)
		bump(&gen_uid);
	if (fields & CAI_ID_COMM)
		bump(&gen_comm);
	if (fields & CAI_ID_CWD)
		bump(&gen_cwd);
}

void cai_ident_live_begin(unsigned fields)
{
	if (fields & CAI_ID_UID)
		atomic_fetch_add(&live_uid, 1);
	if (fields & CAI_ID_COMM)
		atomic_fetch_add(&live_comm, 1);
	if (fields & CAI_ID_CWD)
		atomic_fetch_add(&live_cwd, 1);
}

void cai_ident_live_end(unsigned fields)
{
	if (fields & CAI_ID_UID)
		atomic_fetch_sub(&live_uid, 1);
	if (fields & CAI_ID_COMM)
		atomic_fetch_sub(&live_comm, 1);
	if (fields & CAI_ID_CWD)
		atomic_fetch_sub(&live_cwd, 1);
	cai_ident_changed(fields);
}

/* Writing NAME to /proc/self/comm or /proc/self/task/N/comm renames a
 * thread, but only at the write(), after the open that we see; writes are
 * not wrapped, so once such a file is open for writing the thread names
 * are read on every event, for the rest of the process's life. Any file
 * whose last component is "comm" counts: the cost of a false match is one
 * system call per event. */
void cai_ident_opened(const char *path, bool for_write)
{
	if (!for_write || !path)
		return;
	size_t n = strlen(path); /* the kernel took it: shorter than PATH_MAX */
	if (n >= 4 && memcmp(path + n - 4, "comm", 4) == 0 && (n == 4 || path[n - 5] == '/')) {
		static atomic_bool comm_written;
		if (!atomic_exchange(&comm_written, true))
			cai_ident_live_begin(CAI_ID_COMM);
	}
}

static void read_comm(char *buf)
{
	buf[16] = '\0';
	cai_syscall(SYS_prctl, PR_GET_NAME, buf, 0, 0, 0);
}

static bool read_cwd(char *buf)
{
	return cai_syscall(SYS_getcwd, buf, CAI_LIM_PATH + 1) > 0;
}

static long get_uid(bool nested, bool fresh)
{
	if (fresh || atomic_load(&live_uid))
		return cai_syscall(SYS_getuid);
	unsigned long g = atomic_load(&gen_uid);
	if (t_uid_gen == g)
		return t_uid;
	long uid = cai_syscall(SYS_getuid);
	if (!nested) {
		t_uid_gen = 0;
		HANDLER_FENCE();
		t_uid = uid;
		HANDLER_FENCE();
		t_uid_gen = g;
	}
	return uid;
}

static const char *get_comm(struct cai_slot *slot, bool nested, bool fresh)
{
	if (!fresh && !atomic_load(&live_comm)) {
		unsigned long g = atomic_load(&gen_comm);
		if (t_comm_gen == g)
			return t_comm;
		if (!nested) {
			t_comm_gen = 0;
			HANDLER_FENCE();
			read_comm(t_comm);
			HANDLER_FENCE();
			t_comm_gen = g;
			return t_comm;
		}
	}
	read_comm(slot->comm);
	return slot->comm;
}

/* keep: the process goes on after this event, so what is read is worth
 * caching (not so for an exec's last words, where it would cost a page). */
static const char *get_cwd(struct cai_slot *slot, bool fresh, bool keep)
{
	bool ok;
	if (fresh || atomic_load(&live_cwd))
		return read_cwd(slot->cwd) ? slot->cwd : NULL;
	unsigned long g = atomic_load(&gen_cwd);
	/* The generation last cached, kept here too: where none is (a fork
	 * child of a process that never had an event), the cache's pages are
	 * not even read. */
	if (atomic_load(&cwd_cached_gen) == g && cai_cwd_from_cache(g, slot->cwd, &ok))
		return ok ? slot->cwd : NULL;
	ok = read_cwd(slot->cwd);
	if (keep) {
		cai_cwd_to_cache(g, slot->cwd, ok);
		CAI_SET(cwd_cached_gen, g);
	}
	return ok ? slot->cwd : NULL;
}

void cai_ident_read(struct cai_ident *id, struct cai_slot *slot, bool nested, bool verify_pid, bool last_words)
{
	int owner = atomic_load(&cai_owner_pid);
	long pid = owner;
	bool foreign = false;
	if (verify_pid || PID_ALWAYS || cai_maybe_child) {
		pid = cai_syscall(SYS_getpid);
		if (pid != owner)
			foreign = true;
		else
			/* The child, if there was one, has gone (exec or
			 * exit): this thread is ours again. */
			cai_maybe_child = 0;
	}
	id->foreign = foreign;
	id->pid = pid;
	id->ppid = foreign ? cai_syscall(SYS_getppid) : atomic_load(&cached_ppid);
	long tid = foreign ? 0 : t_tid;
	if (!tid) {
		tid = cai_syscall(SYS_gettid);
		if (!foreign)
			t_tid = tid;
	}
	id->tid = tid;
	id->uid = get_uid(nested, foreign);
	id->comm = get_comm(slot, nested, foreign);
	id->cwd = get_cwd(slot, foreign, !last_words);
}
