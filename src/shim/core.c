/* Load-time setup and the event header shared by every wrapper.
 * Invariants: see shim.h. Two event buffers per thread: one for the
 * wrapper, one for a wrapper reached from a signal handler that
 * interrupted it; deeper nesting is counted as dropped, never silent. */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../lib/audit/audit_ring.h"

struct cai_reals cai_real;
CAI_TLS int *cai_t_errno; /* raw.h */
/* Zeroed (bss), not initialised data: it then shares its page with the
 * state that every process and fork child writes (see CAI_SET). */
struct cai_config cai_cfg;

static CAI_TLS int t_depth;

void cai_hook_atfork_child(void)
{
	/* The owner pid first: an event from a signal handler in between
	 * still asks the kernel (see cai_ident_before_fork). */
	cai_transport_atfork_child();
	cai_ident_atfork_child();
	cai_slots_atfork_child();
}

void cai_hook_before_fork(void)
{
	cai_ident_before_fork();
	int saved = errno;
	cai_ring_before_fork();
	if (errno != saved)
		errno = saved;
}

void *cai_resolve(const char *name)
{
#if CAI_GLIBC
	/* No libdl: see next_symbol.c. */
	return cai_next_symbol(name);
#else
	return dlsym(RTLD_NEXT, name);
#endif
}

static void copy_bounded(char *dst, size_t cap, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	if (la + lb >= cap) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, a, la);
	if (b)
		memcpy(dst + la, b, lb);
	dst[la + lb] = '\0';
}

static void config_init(void)
{
	const char *sock = getenv(CAI_AUDIT_SOCKET_ENV);
	if (!sock || !*sock || strlen(sock) >= sizeof(cai_cfg.socket_path))
		sock = CAI_AUDIT_SOCKET_DEFAULT;
	copy_bounded(cai_cfg.socket_path, sizeof(cai_cfg.socket_path), sock, NULL);
	copy_bounded(cai_cfg.socket_env, sizeof(cai_cfg.socket_env), CAI_AUDIT_SOCKET_ENV "=", sock);

	cai_cfg.timeout_ms = 1000;
	const char *t = getenv(CAI_AUDIT_TIMEOUT_ENV);
	if (t && *t) {
		char *end;
		long v = strtol(t, &end, 10);
		if (*end == '\0' && v >= 0 && v <= 60000)
			cai_cfg.timeout_ms = (int)v;
	}

	/* The ring's size in KiB, a power of two from 64 to 16384; 0 sends
	 * one message per event instead. */
	cai_cfg.ring_size = CAI_RING_DATA_DEFAULT;
	const char *r = getenv(CAI_AUDIT_RING_ENV);
	if (r && *r) {
		char *end;
		long kb = strtol(r, &end, 10);
		if (*end == '\0' && kb == 0)
			cai_cfg.ring_size = 0;
		else if (*end == '\0' && kb > 0 && kb <= 16384 && (kb & (kb - 1)) == 0 && kb >= 64)
			cai_cfg.ring_size = (size_t)kb * 1024;
	}

	/* Only names made of [A-Za-z0-9_] separated by commas: they become
	 * JSON keys, which the writer does not escape. */
	const char *names = getenv(CAI_AUDIT_ENV_ENV);
	if (names && strlen(names) < sizeof(cai_cfg.env_names) &&
	    strspn(names, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_,") == strlen(names))
		copy_bounded(cai_cfg.env_names, sizeof(cai_cfg.env_names), names, NULL);

	if (!cai_self_path(cai_cfg.self_path, sizeof(cai_cfg.self_path)))
		cai_cfg.self_path[0] = '\0';
}

/* Every real function, (field, name): found at load in one pass over the
 * loaded objects. */
/* clang-format off */
#define REALS_COMMON(X) \
	X(open, "open") \
	X(openat, "openat") \
	X(creat, "creat") \
	X(fopen, "fopen") \
	X(freopen, "freopen") \
	X(connect, "connect") \
	X(execve, "execve") \
	X(execvpe, "execvpe") \
	X(execvp, "execvp") \
	X(fexecve, "fexecve") \
	X(posix_spawn, "posix_spawn") \
	X(posix_spawnp, "posix_spawnp") \
	X(system, "system") \
	X(popen, "popen") \
	X(opendir, "opendir") \
	X(close, "close") \
	X(dup2, "dup2") \
	X(dup3, "dup3") \
	X(fork_, "_Fork") \
	X(clone, "clone") \
	X(setuid, "setuid") \
	X(setreuid, "setreuid") \
	X(setresuid, "setresuid") \
	X(seteuid, "seteuid") \
	X(prctl, "prctl") \
	X(pthread_setname_np, "pthread_setname_np") \
	X(chdir, "chdir") \
	X(fchdir, "fchdir") \
	X(chroot, "chroot") \
	X(daemon, "daemon") \
	X(unshare, "unshare") \
	X(setns, "setns") \
	X(nftw, "nftw")
#if CAI_GLIBC
#define REALS_GLIBC(X) \
	X(open64, "open64") \
	X(openat64, "openat64") \
	X(creat64, "creat64") \
	X(open_2, "__open_2") \
	X(open64_2, "__open64_2") \
	X(openat_2, "__openat_2") \
	X(openat64_2, "__openat64_2") \
	X(fopen64, "fopen64") \
	X(freopen64, "freopen64") \
	X(execveat, "execveat") \
	X(close_range, "close_range") \
	X(closefrom, "closefrom") \
	X(fts_read, "fts_read") \
	X(fts_children, "fts_children") \
	X(fts_close, "fts_close") \
	X(fts64_read, "fts64_read") \
	X(fts64_children, "fts64_children") \
	X(fts64_close, "fts64_close") \
	X(nftw64, "nftw64")
#else
#define REALS_GLIBC(X)
#endif
/* clang-format on */
#define REAL_NAME(field, sym) sym "\0"
#define REAL_OFFSET(field, sym) offsetof(struct cai_reals, field),

/* Names and offsets, no pointers: a table of pointers would be relocated,
 * a page written at every load. The list ends with an empty name. */
static const char real_names[] = REALS_COMMON(REAL_NAME) REALS_GLIBC(REAL_NAME);
static const unsigned short real_offsets[] = {REALS_COMMON(REAL_OFFSET) REALS_GLIBC(REAL_OFFSET)};
#define REALS_COUNT (sizeof(real_offsets) / sizeof(real_offsets[0]))
_Static_assert(REALS_COUNT <= CAI_NEXT_MAX, "one pass of cai_next_symbols resolves them all");

static void resolve_all(void)
{
	void *found[REALS_COUNT];
#if CAI_GLIBC
	cai_next_symbols(real_names, found, REALS_COUNT);
#else
	const char *name = real_names;
	for (size_t i = 0; i < REALS_COUNT; i++, name += strlen(name) + 1)
		found[i] = dlsym(RTLD_NEXT, name);
#endif
	/* A wrapper that ran before the constructor may have set one. */
	for (size_t i = 0; i < REALS_COUNT; i++) {
		void *have;
		memcpy(&have, (char *)&cai_real + real_offsets[i], sizeof(have));
		if (!have)
			memcpy((char *)&cai_real + real_offsets[i], &found[i], sizeof(found[i]));
	}
}

/* 0: not yet, 1: under way, 2: done. A library initialized before ours
 * (libselinux, for one) may open files from its own constructor, so the
 * first wrapper to run does the setup if the constructor has not. */
static atomic_int init_state;

static void shim_init_once(void)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&init_state, &expected, 1))
		return;
	int saved = errno;
	resolve_all();
	config_init();
	cai_transport_init();
	cai_ident_init();
	/* prepare: until the child handler has run, an event in the child
	 * (another library's child handler, a signal) asks for its pid. */
	pthread_atfork(cai_hook_before_fork, NULL, cai_hook_atfork_child);
	atomic_store(&init_state, 2);
	errno = saved;
}

__attribute__((constructor)) static void cai_shim_init(void)
{
	shim_init_once();
}

/* A process that exits with losses not yet reported says so one last
 * time (with the usual bounded wait), so that the gap is in the log even
 * when no further event of this process would carry it. Not reached on
 * _exit() or a fatal signal. */
__attribute__((destructor)) static void cai_shim_fini(void)
{
	if (atomic_load(&init_state) != 2 || atomic_load(&cai_dropped) == 0 || cai_in_foreign_child())
		return;
	struct cai_hook h;
	cai_transport_wait_again();
	if (cai_hook_begin(&h, "audit_lost", "exit"))
		cai_hook_result(&h, 0, 0);
	cai_hook_end(&h);
}

static long raw_readlink_fd(int fd, char *out, size_t cap)
{
	char proc[32] = "/proc/self/fd/";
	char digits[12];
	int i = (int)sizeof(digits);
	unsigned v = (unsigned)fd;
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	cai_memcpy(proc + 14, digits + i, sizeof(digits) - (size_t)i);
	proc[14 + sizeof(digits) - (size_t)i] = '\0';
	return cai_syscall(SYS_readlinkat, AT_FDCWD, proc, out, cap);
}

static bool hook_begin(struct cai_hook *h, const char *call, const char *phase, bool verify_pid, bool last_words)
{
	h->saved_errno = errno;
	h->active = false;
	h->args_open = false;
	if (atomic_load(&init_state) != 2) {
		shim_init_once();
		/* Another thread is setting up: this one event cannot be sent
		 * yet, and is counted. */
		if (atomic_load(&init_state) != 2) {
			atomic_fetch_add(&cai_dropped, 1);
			return false;
		}
	}
	if (t_depth >= 2) {
		atomic_fetch_add(&cai_dropped, 1);
		return false;
	}
	int depth = t_depth;
	struct cai_slot *slot = cai_slot_take(depth);
	if (!slot) {
		atomic_fetch_add(&cai_dropped, 1);
		return false;
	}
	t_depth++;
	h->active = true;
	/* An exec about to replace the process: sent as a message unless a
	 * ring exists already (setting one up would cost more than it saves). */
	h->last_words = last_words;

	struct timespec rt, mono;
	if (last_words) {
		/* Most often the first event of a fork child, which has not
		 * touched the vDSO's pages: faulting them in costs more than
		 * two system calls. */
		cai_syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt);
		cai_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &mono);
	} else {
		clock_gettime(CLOCK_REALTIME, &rt); /* vDSO: no system call */
		clock_gettime(CLOCK_MONOTONIC, &mono);
	}
	struct cai_ident id;
	cai_ident_read(&id, slot, depth > 0, verify_pid, last_words);
	h->cwd = id.cwd;
	h->foreign = id.foreign;

	struct cai_ev *e = &h->ev;
	cai_ev_init(e, slot->rec, CAI_EV_MAX);
	cai_ev_uint(e, CAI_K_V, CAI_AUDIT_SCHEMA_VERSION);
	cai_ev_time(e, CAI_K_TS, CAI_T_UTC, rt.tv_sec, rt.tv_nsec);
	cai_ev_time(e, CAI_K_MONO, CAI_T_MONO, mono.tv_sec, mono.tv_nsec);
	cai_ev_int(e, CAI_K_PID, id.pid);
	cai_ev_int(e, CAI_K_PPID, id.ppid);
	cai_ev_int(e, CAI_K_TID, id.tid);
	cai_ev_int(e, CAI_K_UID, id.uid);
	cai_ev_str(e, CAI_K_COMM, id.comm, 16);
	if (id.cwd)
		cai_ev_str(e, CAI_K_CWD, id.cwd, CAI_LIM_PATH);
	else
		cai_ev_null(e, CAI_K_CWD);
	cai_ev_str(e, CAI_K_CALL, call, 32);
	cai_ev_str(e, CAI_K_PHASE, phase, 8);
	/* Which path saw it; `cai run` sends "seccomp" events in the same format. */
	cai_ev_str(e, CAI_K_SOURCE, "shim", 8);
	cai_ev_obj_begin(e, CAI_K_ARGS);
	h->args_open = true;
	return true;
}

bool cai_hook_begin(struct cai_hook *h, const char *call, const char *phase)
{
	return hook_begin(h, call, phase, false, false);
}

bool cai_hook_begin_exec(struct cai_hook *h, const char *call, const char *phase, bool last_words)
{
	return hook_begin(h, call, phase, true, last_words);
}

static void close_args(struct cai_hook *h)
{
	if (h->args_open) {
		cai_ev_obj_end(&h->ev);
		h->args_open = false;
	}
}

void cai_hook_result(struct cai_hook *h, long long ret, int err)
{
	if (!h->active)
		return;
	close_args(h);
	struct cai_ev *e = &h->ev;
	cai_ev_obj_begin(e, CAI_K_RESULT);
	cai_ev_int(e, CAI_K_RETURN, ret);
	if (err) {
		char nb[16];
		cai_ev_int(e, CAI_K_ERRNO, err);
		cai_ev_str(e, CAI_K_ERROR, cai_ev_errno_name(err, nb), 16);
	}
	cai_ev_obj_end(e);
}

void cai_hook_end(struct cai_hook *h)
{
	if (h->active) {
		close_args(h);
		struct cai_ev *e = &h->ev;
		/* Take the count of earlier losses; if this event is lost
		 * too, they go back with it. */
		unsigned long lost = atomic_exchange(&cai_dropped, 0);
		size_t len = cai_ev_finish_event(e, lost);
		if (cai_transport_send((const char *)e->buf, len, h->foreign, h->last_words) < 0)
			atomic_fetch_add(&cai_dropped, lost + 1);
		cai_slot_put(--t_depth);
		h->active = false;
	}
	errno = h->saved_errno;
}

void cai_hook_path(struct cai_hook *h, int dirfd, const char *path)
{
	struct cai_ev *e = &h->ev;
	cai_ev_str(e, CAI_K_PATH, path, CAI_LIM_PATH);
	if (!path || path[0] == '/')
		return;
	if (dirfd != AT_FDCWD)
		cai_ev_int(e, CAI_K_DIRFD, dirfd);
	/* "resolved" is the directory joined with the path as given: no
	 * symlink or ".." resolution, which would need more system calls
	 * and could race anyway. Written in place: no copy on the stack. */
	size_t room;
	char *out = cai_ev_str_begin(e, CAI_K_RESOLVED, CAI_LIM_PATH, &room);
	if (!out)
		return;
	long n = -1;
	if (dirfd != AT_FDCWD) {
		n = raw_readlink_fd(dirfd, out, room);
	} else if (h->cwd) {
		n = (long)cai_strnlen(h->cwd, room);
		cai_memcpy(out, h->cwd, (size_t)n);
	}
	if (n <= 0 || out[0] != '/') {
		cai_ev_str_cancel(e);
		cai_ev_null(e, CAI_K_RESOLVED);
		return;
	}
	size_t jl = (size_t)n, pl = cai_strnlen(path, CAI_LIM_PATH);
	bool cut = jl == room;
	if (out[jl - 1] != '/' && jl < room)
		out[jl++] = '/';
	if (pl == 1 && path[0] == '.') {
		if (jl > 1)
			jl--;
	} else {
		size_t k = pl < room - jl ? pl : room - jl;
		cai_memcpy(out + jl, path, k);
		jl += k;
		cut |= k < pl;
	}
	cai_ev_str_end(e, jl, cut);
}

void cai_hook_env(struct cai_hook *h, char *const envp[])
{
	if (!cai_cfg.env_names[0] || !envp)
		return;
	struct cai_ev *e = &h->ev;
	cai_ev_obj_begin(e, CAI_K_ENV);
	const char *p = cai_cfg.env_names;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > 0 && n <= CAI_WIRE_INLINE_KEY_MAX) {
			for (size_t i = 0; envp[i]; i++) {
				if (strncmp(envp[i], p, n) == 0 && envp[i][n] == '=') {
					cai_ev_str_named(e, p, n, envp[i] + n + 1, CAI_LIM_ARG);
					break;
				}
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
	cai_ev_obj_end(e);
}

void cai_hook_argv(struct cai_hook *h, char *const argv[])
{
	struct cai_ev *e = &h->ev;
	if (!argv) {
		cai_ev_null(e, CAI_K_ARGV);
		return;
	}
	cai_ev_arr_begin(e, CAI_K_ARGV);
	size_t i;
	for (i = 0; argv[i]; i++) {
		if (i >= CAI_LIM_ARGC || !cai_ev_room(e, 16)) {
			e->truncated = true;
			break;
		}
		cai_ev_str(e, CAI_K_NONE, argv[i], CAI_LIM_ARG);
	}
	cai_ev_arr_end(e);
	size_t argc = i;
	while (argv[argc])
		argc++;
	cai_ev_uint(e, CAI_K_ARGC, argc);
}
