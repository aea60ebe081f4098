#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "audit_event.h"
#include "audit_writer.h"
#include "exec_verdict.h"
#include "notify_filter.h"
#include "procfs.h"
#include "tracee_mem.h"

static bool notif_valid(int listener, __u64 id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void proc_link(pid_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	ssize_t n = readlink(path, buf, cap - 1);
	buf[n > 0 ? n : 0] = '\0';
}

static int open_proc(pid_t pid, const char *what, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return open(path, flags | O_CLOEXEC);
}

/* The target's identity, read from /proc before the id is re-validated. */
struct target {
	long tgid, ppid, uid;
	char comm[32];
	char cwd[4096];
};

/* Tgid, PPid, the real uid and the comm (as Name:) from one file, whose
 * first lines they are: one read holds them. */
static void read_target(pid_t tid, struct target *t)
{
	char path[64], status[4096];
	struct cai_error ignored;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (cai_read_proc_head(path, status, sizeof(status), &ignored) >= 0) {
		t->tgid = cai_status_field(status, "Tgid");
		t->ppid = cai_status_field(status, "PPid");
		t->uid = cai_status_field(status, "Uid"); /* the real uid: the first number */
		if (cai_status_name(status, t->comm, sizeof(t->comm)) < 0)
			t->comm[0] = '\0';
		cai_strip_newline(t->comm);
	} else {
		t->tgid = t->ppid = t->uid = -1;
		t->comm[0] = '\0';
	}
	proc_link(tid, "cwd", t->cwd, sizeof(t->cwd));
}

/* dirfd-relative or cwd-relative path made absolute, as the shim reports it. */
static void resolve(pid_t tid, const struct target *t, long dirfd, const char *path, char *out, size_t cap)
{
	if (path[0] == '/') {
		snprintf(out, cap, "%s", path);
		return;
	}
	char base[4096];
	if ((int)dirfd == AT_FDCWD) {
		snprintf(base, sizeof(base), "%s", t->cwd);
	} else {
		char what[32];
		snprintf(what, sizeof(what), "fd/%d", (int)dirfd);
		proc_link(tid, what, base, sizeof(base));
	}
	if (!base[0]) {
		out[0] = '\0';
		return;
	}
	if (!path[0])
		snprintf(out, cap, "%s", base); /* AT_EMPTY_PATH: the fd itself */
	else
		snprintf(out, cap, "%s%s%s", base, strcmp(base, "/") ? "/" : "", path);
}

/* Was argv, or one of its strings, unreadable? Was anything cut? */
static bool argv_unreadable(const struct cai_tracee_exec *x)
{
	for (ssize_t i = 0; i < x->argc; i++)
		if (x->arg_len[i] < 0)
			return true;
	return x->argc < 0;
}

static bool argv_cut(const struct cai_tracee_exec *x)
{
	for (ssize_t i = 0; i < x->argc; i++)
		if (x->arg_cut[i])
			return true;
	return x->argv_cut;
}

/* argv for a policy to match (an unreadable string is null). */
static jv argv_of(const struct cai_tracee_exec *x)
{
	if (x->argc < 0)
		return jv_null();
	jv argv = jv_array();
	for (ssize_t i = 0; i < x->argc; i++)
		argv = jv_array_append(argv, x->arg_len[i] < 0 ? jv_null() : jv_string(x->arg[i]));
	return argv;
}

/* The exec's event, written straight into rec (audit_writer.h), with the
 * shim's limits: a longer string is cut, argv past its limit or the
 * record's room is left out, and the event says "truncated". The decision
 * comes before the arguments, so that no argument list can crowd it out.
 * Returns the record's length. */
static size_t write_event(const struct cai_supervisor *s, pid_t tid, bool at, const struct seccomp_notif *req,
			  const struct target *t, const struct cai_tracee_exec *x, const char *path,
			  const char *resolved, bool truncated, const char *rule,
			  unsigned char rec[CAI_WIRE_RECORD_MAX])
{
	struct timespec rt, mono;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	struct cai_ev e;
	cai_ev_init(&e, rec, CAI_WIRE_RECORD_MAX);
	cai_ev_uint(&e, CAI_K_V, CAI_AUDIT_SCHEMA_VERSION);
	cai_ev_time(&e, CAI_K_TS, CAI_T_UTC, rt.tv_sec, rt.tv_nsec);
	cai_ev_time(&e, CAI_K_MONO, CAI_T_MONO, mono.tv_sec, mono.tv_nsec);
	cai_ev_int(&e, CAI_K_PID, t->tgid > 0 ? t->tgid : tid);
	cai_ev_int(&e, CAI_K_PPID, t->ppid >= 0 ? t->ppid : 0);
	cai_ev_int(&e, CAI_K_TID, tid);
	cai_ev_int(&e, CAI_K_UID, t->uid >= 0 ? t->uid : 0);
	cai_ev_str(&e, CAI_K_COMM, t->comm, sizeof(t->comm));
	cai_ev_str(&e, CAI_K_CWD, t->cwd[0] ? t->cwd : NULL, CAI_LIM_PATH);
	cai_ev_str(&e, CAI_K_CALL, at ? "execveat" : "execve", 16);
	cai_ev_str(&e, CAI_K_PHASE, "enter", 8);
	cai_ev_str(&e, CAI_K_SOURCE, "seccomp", 8);
	if (s->container) {
		cai_ev_obj_begin(&e, CAI_K_CONTAINER);
		cai_ev_str(&e, CAI_K_ID, s->container->id, CAI_CONTAINER_ID_LEN);
		cai_ev_str(&e, CAI_K_NAME, s->container->name[0] ? s->container->name : NULL,
			   sizeof(s->container->name));
		cai_ev_obj_end(&e);
	}
	cai_ev_str(&e, CAI_K_DECISION, rule ? "deny" : "allow", 8);
	if (rule)
		cai_ev_str(&e, CAI_K_RULE, rule, 256);
	cai_ev_obj_begin(&e, CAI_K_ARGS);
	cai_ev_str(&e, CAI_K_PATH, path, CAI_LIM_PATH);
	cai_ev_str(&e, CAI_K_RESOLVED, resolved[0] ? resolved : NULL, CAI_LIM_PATH);
	if (x->argc < 0) {
		cai_ev_null(&e, CAI_K_ARGV);
	} else {
		cai_ev_arr_begin(&e, CAI_K_ARGV);
		for (ssize_t i = 0; i < x->argc; i++) {
			if (i >= CAI_LIM_ARGC || !cai_ev_room(&e, 16)) {
				e.truncated = true;
				break;
			}
			cai_ev_strn(&e, CAI_K_NONE, x->arg_len[i] < 0 ? NULL : x->arg[i],
				    x->arg_len[i] < 0 ? 0 : (size_t)x->arg_len[i], CAI_LIM_ARG);
		}
		cai_ev_arr_end(&e);
	}
	cai_ev_uint(&e, CAI_K_ARGC, x->argc > 0 ? (unsigned long long)x->argc : 0);
	if (at) {
		cai_ev_int(&e, CAI_K_DIRFD, (int)req->data.args[0]);
		cai_ev_int(&e, CAI_K_FLAGS, (int)req->data.args[4]);
	}
	cai_ev_obj_end(&e);
	e.truncated |= truncated;
	return cai_ev_finish_event(&e, s->audit->dropped);
}

static void respond(int listener, __u64 id, int error)
{
	struct seccomp_notif_resp resp = {.id = id};
	if (error)
		resp.error = -error;
	else
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	/* ENOENT: the target died or was interrupted; nothing waits any more. */
	while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno == EINTR)
		;
}

static void handle(struct cai_supervisor *s, const struct seccomp_notif *req)
{
	pid_t tid = (pid_t)req->pid;
	bool at = req->data.nr == cai_supervised_syscalls[1];
	uint64_t path_addr = at ? req->data.args[1] : req->data.args[0];
	uint64_t argv_addr = at ? req->data.args[2] : req->data.args[1];

	struct target t;
	read_target(tid, &t);
	static struct cai_tracee_exec x;
	static char resolved[8192];
	cai_tracee_read_exec(tid, path_addr, argv_addr, &x);
	const char *path = x.path_len >= 0 ? x.path : "";
	bool truncated = x.path_cut || argv_cut(&x), unreadable = x.path_len < 0 || argv_unreadable(&x);
	resolve(tid, &t, at ? (long)req->data.args[0] : AT_FDCWD, path, resolved, sizeof(resolved));
	/* Only a policy looks at the files: inside the target's root, taken
	 * here, while the pid is known to be the target's. */
	cleanup_close int rootfd = s->policy && !unreadable ? open_proc(tid, "root", O_PATH | O_DIRECTORY) : -1;

	/* Everything above describes the process only if it is still the one
	 * that made the call. */
	if (!notif_valid(s->listener, req->id)) {
		s->vanished++;
		return;
	}
	/* A target whose memory cannot be read (it made itself non-dumpable,
	 * say) cannot be matched: under a policy that is a denial, not a pass.
	 * The arguments decide too (the program ld.so is asked to run). */
	const char *rule = NULL;
	if (s->policy && unreadable) {
		rule = CAI_POLICY_UNREADABLE;
	} else if (s->policy) {
		struct cai_exec_target target = {.tid = tid, .rootfd = rootfd, .cwd = t.cwd};
		jv argv = argv_of(&x);
		rule = cai_exec_verdict(s->policy, &target, resolved[0] ? resolved : path, argv);
		jv_free(argv);
		/* The verdict may have looked at /proc/<tid> (for the target's
		 * /proc/self): that was the target's only if its call is still
		 * pending now. Otherwise the tid may be another process's, and
		 * nothing waits for the answer: no event describes it. */
		if (!notif_valid(s->listener, req->id)) {
			s->vanished++;
			return;
		}
	}
	s->execs++;
	if (rule)
		s->denied++;

	static unsigned char rec[CAI_WIRE_RECORD_MAX];
	size_t len = write_event(s, tid, at, req, &t, &x, path, resolved, truncated, rule, rec);
	/* Said once per outage, not once per exec: the count is what matters,
	 * and it rides on the next delivered event (and the end of the run). */
	if (cai_audit_client_send_record(s->audit, rec, len) < 0 && s->trace && s->audit->dropped == 1)
		fprintf(s->trace,
			"collector unavailable at `%s`: events are counted until it is back, and the next one "
			"delivered says how many were dropped\n",
			s->audit->path);

	respond(s->listener, req->id, rule ? EPERM : 0);
}

int cai_supervise(struct cai_supervisor *s, pid_t agent, int *agent_status, struct cai_error *err)
{
	struct seccomp_notif req;
	int pidfd = (int)syscall(SYS_pidfd_open, agent, 0);
	if (pidfd < 0)
		return cai_error_set(err, errno, "supervise: pidfd_open(%d)", (int)agent);
	s->sync_wakeup = cai_notify_sync_wakeup(s->listener);
	if (s->trace)
		fprintf(s->trace, "exec supervision: %s\n",
			s->sync_wakeup ? "synchronous wake-up (one CPU for both sides)"
				       : "ordinary wake-up (synchronous needs Linux 6.6)");
	bool reaped = false;
	int rc = 0;
	for (;;) {
		struct pollfd p[2] = {{.fd = s->listener, .events = POLLIN},
				      {.fd = reaped ? -1 : pidfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = cai_error_set(err, errno, "supervise: poll");
			break;
		}
		if (p[0].revents & POLLIN) {
			memset(&req, 0, sizeof(req));
			if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
				/* ENOENT: the target was killed before we took it. */
				if (errno == EINTR || errno == ENOENT)
					continue;
				rc = cai_error_set(err, errno, "supervise: receive notification");
				break;
			}
			handle(s, &req);
			continue;
		}
		if (p[1].revents && waitpid(agent, agent_status, WNOHANG) == agent)
			reaped = true;
		if (p[0].revents & (POLLHUP | POLLERR))
			break; /* nobody holds the filter any more */
	}
	if (rc < 0) {
		/* Closing the listener fails every pending and future exec of the
		 * tree with ENOSYS: nothing is left waiting, nothing runs unseen. */
		close(s->listener);
		s->listener = -1;
	}
	if (!reaped)
		while (waitpid(agent, agent_status, 0) < 0 && errno == EINTR)
			;
	close(pidfd);
	return rc;
}
