/* Internals shared by the files of libcai-auditshim.so.
 *
 * Invariants of the whole shim (every file):
 * - A wrapper MUST call the real function with the caller's arguments and
 *   return its result with the errno it left: the shim never changes what
 *   the program sees.
 * - Code reached from a wrapper MUST NOT allocate with malloc, take locks,
 *   or call non-async-signal-safe functions: wrappers run in signal
 *   handlers, vfork children and between fork and exec.
 * - The shim's own I/O MUST use raw system calls, so it is never reported
 *   and never a cancellation point.
 * - The shim MUST NOT write to the program's stdout/stderr or exit.
 * - The shim MUST NOT hold an fd the program asked to close or replace:
 *   once the program closes the connection's number, the process holds no
 *   fd of ours between calls (fdguard.c, cai_fd_detach in transport.c). */
#ifndef CAI_SHIM_H
#define CAI_SHIM_H

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <spawn.h>
#include <sys/socket.h>

#include "../lib/audit/audit_writer.h"
#include "raw.h"

/* The same sources build the glibc shim and its musl twin. glibc has entry
 * points musl has not: the LFS64 names (musl's headers turn them into the
 * plain ones), _FORTIFY_SOURCE's __open_2 family, fts in libc, close_range
 * and closefrom. Only the glibc shim wraps those. */
#ifdef __GLIBC__
#define CAI_GLIBC 1
#include <fts.h>
#else
#define CAI_GLIBC 0
#endif

typedef int (*cai_nftw_fn)(const char *, const struct stat *, int, struct FTW *);

#define CAI_EXPORT __attribute__((visibility("default")))
#define CAI_TLS __thread __attribute__((tls_model("initial-exec")))

/* Store v in an atomic only when it holds something else. After fork()
 * every page of the child (and of the parent) is copy-on-write: a store
 * of the value already there would copy a page for nothing, and each such
 * page fault costs more than the rest of the work around an exec. */
#define CAI_SET(var, v)                                                                                                \
	do {                                                                                                           \
		if (atomic_load_explicit(&(var), memory_order_relaxed) != (v))                                         \
			atomic_store(&(var), (v));                                                                     \
	} while (0)

/* Architectures with the vfork stub of hooks_fork.c (for musl, x86_64 only). */
#if defined(__x86_64__) || (defined(__aarch64__) && CAI_GLIBC)
#define CAI_VFORK_STUB 1
#else
#define CAI_VFORK_STUB 0
#endif

#define CAI_AUDIT_TIMEOUT_ENV "CAI_AUDIT_TIMEOUT_MS"
#define CAI_AUDIT_ENV_ENV "CAI_AUDIT_ENV"

struct cai_reals {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*creat)(const char *, mode_t);
	FILE *(*fopen)(const char *, const char *);
	FILE *(*freopen)(const char *, const char *, FILE *);
#if CAI_GLIBC
	int (*open64)(const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*creat64)(const char *, mode_t);
	int (*open_2)(const char *, int);
	int (*open64_2)(const char *, int);
	int (*openat_2)(int, const char *, int);
	int (*openat64_2)(int, const char *, int);
	FILE *(*fopen64)(const char *, const char *);
	FILE *(*freopen64)(const char *, const char *, FILE *);
#endif
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
			   char *const[], char *const[]);
	int (*posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
			    char *const[], char *const[]);
	int (*system)(const char *);
	FILE *(*popen)(const char *, const char *);
	DIR *(*opendir)(const char *);
	int (*close)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
#if CAI_GLIBC
	int (*execveat)(int, const char *, char *const[], char *const[], int);
	int (*close_range)(unsigned, unsigned, int);
	void (*closefrom)(int);
#endif
	pid_t (*fork_)(void); /* _Fork */
	int (*clone)(int (*)(void *), void *, int, void *, ...);
	int (*setuid)(uid_t);
	int (*setreuid)(uid_t, uid_t);
	int (*setresuid)(uid_t, uid_t, uid_t);
	int (*seteuid)(uid_t);
	int (*prctl)(int, ...);
	int (*pthread_setname_np)(pthread_t, const char *);
	int (*chdir)(const char *);
	int (*fchdir)(int);
	int (*chroot)(const char *);
	int (*daemon)(int, int);
	int (*unshare)(int);
	int (*setns)(int, int);
	int (*nftw)(const char *, cai_nftw_fn, int, int);
#if CAI_GLIBC
	FTSENT *(*fts_read)(FTS *);
	FTSENT *(*fts_children)(FTS *, int);
	int (*fts_close)(FTS *);
	FTSENT64 *(*fts64_read)(FTS64 *);
	FTSENT64 *(*fts64_children)(FTS64 *, int);
	int (*fts64_close)(FTS64 *);
	int (*nftw64)(const char *, __nftw64_func_t, int, int);
#endif
};

extern struct cai_reals cai_real;
void *cai_resolve(const char *name);
/* next_symbol.c: dlsym(RTLD_NEXT, name) without libdl (glibc shim), and
 * the absolute path this library was loaded from (false if not known). */
void *cai_next_symbol(const char *name);
/* The same for each name of a list ("open\0openat\0", ended by an empty
 * name), in one pass: found[i] answers the i-th name. At most
 * min(max, CAI_NEXT_MAX) names are looked at; returns how many were. */
#define CAI_NEXT_MAX 64
size_t cai_next_symbols(const char *names, void **found, size_t max);
bool cai_self_path(char *out, size_t cap);
/* Resolved at load time; lazily only when a wrapper runs before our
 * constructor (another library's constructor opening a file). */
#define REAL_SYM(field, sym)                                                                                           \
	({                                                                                                             \
		if (!cai_real.field)                                                                                   \
			cai_real.field = cai_resolve(sym);                                                             \
		cai_real.field;                                                                                        \
	})
#define REAL(fn) REAL_SYM(fn, #fn)

/* Settings captured once, at load time, from the environment. */
struct cai_config {
	char socket_path[108];
	char self_path[1024]; /* this library, for re-injection */
	char socket_env[160]; /* "CAI_AUDIT_SOCKET=..." to inject */
	char env_names[256];  /* "PATH,HOME": variables an exec event shows */
	int timeout_ms;
	size_t ring_size; /* data bytes of the ring; 0: one message per event */
};
extern struct cai_config cai_cfg;

/* slots.c: one event's working memory (see there). */
struct cai_slot {
	char comm[17];
	char cwd[CAI_LIM_PATH + 1];
	unsigned char rec[CAI_EV_MAX];
};
/* depth: 0 for an event, 1 for one nested in a signal handler. NULL when
 * no memory can be had (the event is counted as dropped). */
struct cai_slot *cai_slot_take(int depth);
void cai_slot_put(int depth);
void cai_slots_atfork_child(void);

/* One event being built. */
struct cai_hook {
	struct cai_ev ev;
	const char *cwd; /* read once per event; NULL if unknown */
	int saved_errno;
	bool active;
	bool args_open;
	bool foreign;
	bool last_words; /* an exec about to happen */
};

/* Starts an event (saves errno); false when this call cannot be reported
 * now (nested too deep: counted as dropped). */
bool cai_hook_begin(struct cai_hook *h, const char *call, const char *phase);
/* The same for the exec family: asks the kernel for the pid every time,
 * so that an exec from a child the shim could not see being made (a raw
 * fork or clone system call) is still reported under its own pid.
 * last_words: the call is about to replace this process (an exec's enter). */
bool cai_hook_begin_exec(struct cai_hook *h, const char *call, const char *phase, bool last_words);
/* Closes "args" and writes "result": ret, and errno/error when err != 0. */
void cai_hook_result(struct cai_hook *h, long long ret, int err);
/* Sends, releases the buffer, restores errno. */
void cai_hook_end(struct cai_hook *h);
/* Writes "path" and, for a relative one, "resolved" against dirfd/cwd. */
void cai_hook_path(struct cai_hook *h, int dirfd, const char *path);
void cai_hook_argv(struct cai_hook *h, char *const argv[]);
/* Writes "env" with the variables named in CAI_AUDIT_ENV found in envp. */
void cai_hook_env(struct cai_hook *h, char *const envp[]);

/* transport.c */
/* foreign: the caller is not the process that owns the connection (a
 * vfork or _Fork child); see cai_in_foreign_child(). last_words: the
 * process is about to exec, so a ring is not worth setting up for it. */
int cai_transport_send(const char *buf, size_t len, bool foreign, bool last_words);
/* The connections, for ring.c. open makes a fresh one (-1 if none; kept:
 * it may outlive the wrapper, and is moved to a high number), which adopt makes the process's held connection
 * (replacing one inherited over fork; false, and s closed, where the process may hold none) and says which it is. peek
 * gives the held one without connecting; each fd >= 0 it returns is held until put. reconnect drops connection gen;
 * drop_idle drops the held one (a detached ring needs none). */
int cai_transport_open(bool kept);
bool cai_transport_adopt(int s, unsigned *gen);
int cai_transport_peek_fd(unsigned *gen);
void cai_transport_put_fd(void);
void cai_transport_reconnect(unsigned gen);
void cai_transport_drop_idle(void);

/* ring.c: the shared-memory ring (src/lib/audit/audit_ring.h). */
enum { CAI_RING_SENT, CAI_RING_LOST, CAI_RING_NONE };
/* CAI_RING_NONE: no ring (none yet and may_create is false, or none can
 * be set up): send another way. CAI_RING_LOST: count it as dropped. */
int cai_ring_send(const char *buf, size_t len, bool may_create);
void cai_ring_atfork_child(void);
/* An exec's last words into the ring of the process this one was forked
 * (foreign: vforked) from; CAI_RING_NONE when there is none to use or the
 * collector let it go before reading this. */
int cai_ring_send_inherited(const char *buf, size_t len, bool foreign);
/* The process is about to change its user: the ring it was forked with is
 * the parent's, stamped with the parent's user, and must not outlive the
 * change (a worker that drops privileges must not be able to write events
 * stamped as its parent). Not in a vfork child: the memory is the parent's. */
void cai_ring_forget_inherited(void);
/* Connection gen is about to close: stop writing to a ring the collector
 * reads only while that connection lasts. */
void cai_ring_connection_closing(unsigned gen);
/* Set up the ring now if there is none (true when there is one): the
 * program is about to leave the socket's reach. */
bool cai_ring_prepare(void);
/* Before a fork or vfork, in the parent: the ring the child will write its
 * exec's event into, set up now if there is none (not in a foreign child,
 * whose memory is another process's). */
void cai_ring_before_fork(void);
void cai_ring_wait_again(void);
void cai_transport_init(void);
/* Set up a ring, or connect, now: the program is about to leave the
 * socket's reach (chroot, another mount or user namespace). */
void cai_transport_connect_now(void);
/* The next send waits (bounded) again even after a timeout. */
void cai_transport_wait_again(void);
void cai_transport_atfork_child(void);
void cai_hook_atfork_child(void);
extern atomic_ulong cai_dropped;
extern _Atomic int cai_sock_fd;
extern _Atomic int cai_owner_pid;
/* Before the program closes or replaces fd: when it is our connection,
 * give it up for good (true); the process then holds no fd of ours
 * between calls. After the program's call failed, detach_failed closes
 * what it left open. */
bool cai_fd_detach(int fd);
void cai_fd_detach_failed(int fd);
bool cai_in_foreign_child(void);

/* ident.c: the pid, ppid, tid, uid, comm and cwd of the event header,
 * cached (see the invariants there). */
struct cai_ident {
	long pid, ppid, tid, uid;
	const char *comm; /* 15 bytes at most */
	const char *cwd;  /* NULL when unknown */
	bool foreign;	  /* a child that does not own the connection */
};
enum { CAI_ID_UID = 1, CAI_ID_COMM = 2, CAI_ID_CWD = 4 };
/* comm and cwd are read into (or point into) slot, valid until the event
 * ends; nested: the event interrupted another on this thread; last_words:
 * an exec is about to replace the process (no cache is written). */
void cai_ident_read(struct cai_ident *id, struct cai_slot *slot, bool nested, bool verify_pid, bool last_words);
/* cwd_cache.c: the process's cwd as of a generation of ident.c's. */
bool cai_cwd_from_cache(unsigned long gen, char *out, bool *ok);
void cai_cwd_to_cache(unsigned long gen, const char *cwd, bool ok);
void cai_ident_init(void);
void cai_ident_atfork_child(void);
/* This thread may be about to run in a child that runs no atfork handler
 * (vfork, clone). */
void cai_ident_maybe_child(void);
/* The same before fork (the pthread_atfork prepare handler) and _Fork;
 * also notes the parent's pid for the child. */
void cai_ident_before_fork(void);
/* pthread_atfork's prepare handler (and, on x86_64, the vfork stub's):
 * cai_ident_before_fork, and a ring set up now for the child's exec event
 * (audit_ring.h, 6). */
void cai_hook_before_fork(void);
/* After a change made through a wrapper: read these fields again. */
void cai_ident_changed(unsigned fields);
/* Between begin and end, the fields are read on every event (a change
 * the shim cannot see happens meanwhile); end counts as a change. */
void cai_ident_live_begin(unsigned fields);
void cai_ident_live_end(unsigned fields);
/* A file was opened (successfully); for_write: for writing. */
void cai_ident_opened(const char *path, bool for_write);

/* env.c: an envp with LD_PRELOAD and the socket variable restored, in
 * mmap'd memory (no malloc after vfork); NULL when envp needs nothing. */
char **cai_env_inject(char *const envp[], size_t *map_len);
void cai_env_release(char **env, size_t map_len);

#endif
