#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "audit_event.h"
#include "audit_record.h"
#include "exec_verdict.h"
#include "notify_filter.h"
#include "jv_util.h"
#include "procfs.h"
#include "tracee_mem.h"

#define MAX_ARGS CAI_TRACEE_MAX_ARGS
#define MAX_ARG_BYTES CAI_TRACEE_STRING_CAP

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

/* *unreadable: the array or one of its strings could not be read. */
static jv argv_of(const struct cai_tracee_exec *x, bool *truncated, bool *unreadable)
{
	if (x->argc < 0) {
		*unreadable = true;
		return jv_null();
	}
	*truncated |= x->argv_cut;
	jv argv = jv_array();
	for (ssize_t i = 0; i < x->argc; i++) {
		if (x->arg_len[i] < 0) {
			*unreadable = true;
			argv = jv_array_append(argv, jv_null());
			continue;
		}
		*truncated |= x->arg_cut[i];
		argv = jv_array_append(argv, jv_string(x->arg[i]));
	}
	return argv;
}

/* At most max bytes of a string (consumed); a cut multi-byte character
 * becomes U+FFFD, as libjq makes it. */
static jv cut_string(jv str, size_t max)
{
	if (jv_get_kind(str) != JV_KIND_STRING || (size_t)jv_string_length_bytes(jv_copy(str)) <= max)
		return str;
	jv out = jv_string_sized(jv_string_value(str), (int)max);
	jv_free(str);
	return out;
}

/* What the collector takes is one record of at most CAI_WIRE_RECORD_MAX
 * bytes (with room for the client's "dropped"): a bigger exec event would be
 * refused whole, path and all. Cut argv (fewer and shorter arguments), then
 * the paths and the cwd, until it fits, and say "truncated". Consumes ev;
 * *len: the length of the returned event's record in rec (-1: none). */
static jv fit_event(jv ev, unsigned char rec[static CAI_WIRE_RECORD_MAX], long *len)
{
	size_t each = MAX_ARG_BYTES, count = MAX_ARGS;
	for (;;) {
		struct cai_error ignored = {0};
		*len = cai_record_from_jv(ev, CAI_WIRE_EVENT, rec, CAI_WIRE_RECORD_MAX - 64, &ignored);
		if (*len > 0 || each < 16)
			return ev;
		each /= 2;
		count = count > 8 ? count / 2 : count;
		jv args = jv_object_get(jv_copy(ev), jv_string("args"));
		jv argv = jv_object_get(jv_copy(args), jv_string("argv"));
		jv cut = jv_array();
		if (jv_get_kind(argv) == JV_KIND_ARRAY) {
			int n = jv_array_length(jv_copy(argv));
			for (int i = 0; i < n && (size_t)i < count; i++)
				cut = jv_array_append(cut, cut_string(jv_array_get(jv_copy(argv), i), each));
		}
		jv_free(argv);
		args = jv_object_set(args, jv_string("argv"), cut);
		const char *paths[] = {"path", "resolved"};
		for (size_t i = 0; i < CAI_ARRAY_LEN(paths); i++) {
			jv v = jv_object_get(jv_copy(args), jv_string(paths[i]));
			if (jv_get_kind(v) == JV_KIND_STRING)
				args = jv_object_set(args, jv_string(paths[i]), cut_string(v, each < 256 ? 256 : each));
			else
				jv_free(v);
		}
		ev = jv_object_set(ev, jv_string("args"), args);
		jv cwd = jv_object_get(jv_copy(ev), jv_string("cwd"));
		if (jv_get_kind(cwd) == JV_KIND_STRING)
			ev = jv_object_set(ev, jv_string("cwd"), cut_string(cwd, each < 256 ? 256 : each));
		else
			jv_free(cwd);
		ev = jv_object_set(ev, jv_string("truncated"), jv_true());
	}
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
	bool truncated = x.path_cut, unreadable = x.path_len < 0;
	/* The arguments decide too (the program ld.so is asked to run). */
	jv argv = argv_of(&x, &truncated, &unreadable);
	size_t argc = x.argc > 0 ? (size_t)x.argc : 0;
	resolve(tid, &t, at ? (long)req->data.args[0] : AT_FDCWD, path, resolved, sizeof(resolved));
	/* Only a policy looks at the files: inside the target's root, taken
	 * here, while the pid is known to be the target's. */
	cleanup_close int rootfd = s->policy && !unreadable ? open_proc(tid, "root", O_PATH | O_DIRECTORY) : -1;

	/* Everything above describes the process only if it is still the one
	 * that made the call. */
	if (!notif_valid(s->listener, req->id)) {
		jv_free(argv);
		s->vanished++;
		return;
	}
	/* A target whose memory cannot be read (it made itself non-dumpable,
	 * say) cannot be matched: under a policy that is a denial, not a pass. */
	const char *rule = NULL;
	if (s->policy && unreadable) {
		rule = CAI_POLICY_UNREADABLE;
	} else if (s->policy) {
		struct cai_exec_target target = {.tid = tid, .rootfd = rootfd, .cwd = t.cwd};
		rule = cai_exec_verdict(s->policy, &target, resolved[0] ? resolved : path, argv);
		/* The verdict may have looked at /proc/<tid> (for the target's
		 * /proc/self): that was the target's only if its call is still
		 * pending now. Otherwise the tid may be another process's, and
		 * nothing waits for the answer: no event describes it. */
		if (!notif_valid(s->listener, req->id)) {
			jv_free(argv);
			s->vanished++;
			return;
		}
	}
	s->execs++;
	if (rule)
		s->denied++;

	char ts[40], mono[32];
	cai_audit_now(ts, mono);
	jv args = JV_OBJECT(jv_string("path"), jv_string(path), jv_string("resolved"), cai_jv_string_or_null(resolved),
			    jv_string("argv"), argv, jv_string("argc"), jv_number((double)argc));
	if (at) {
		args = jv_object_set(args, jv_string("dirfd"), jv_number((double)(int)req->data.args[0]));
		args = jv_object_set(args, jv_string("flags"), jv_number((double)(int)req->data.args[4]));
	}
	jv ev = JV_OBJECT(jv_string("v"), jv_number(1), jv_string("ts"), jv_string(ts), jv_string("mono"),
			  jv_string(mono), jv_string("pid"), jv_number((double)(t.tgid > 0 ? t.tgid : tid)),
			  jv_string("ppid"), jv_number((double)(t.ppid >= 0 ? t.ppid : 0)));
	ev = jv_object_set(ev, jv_string("tid"), jv_number(tid));
	ev = jv_object_set(ev, jv_string("uid"), jv_number((double)(t.uid >= 0 ? t.uid : 0)));
	ev = jv_object_set(ev, jv_string("comm"), jv_string(t.comm));
	ev = jv_object_set(ev, jv_string("cwd"), cai_jv_string_or_null(t.cwd));
	ev = jv_object_set(ev, jv_string("call"), jv_string(at ? "execveat" : "execve"));
	ev = jv_object_set(ev, jv_string("phase"), jv_string("enter"));
	ev = jv_object_set(ev, jv_string("source"), jv_string("seccomp"));
	if (s->container)
		ev = jv_object_set(ev, jv_string("container"), cai_container_jv(s->container));
	ev = jv_object_set(ev, jv_string("args"), args);
	ev = jv_object_set(ev, jv_string("decision"), jv_string(rule ? "deny" : "allow"));
	if (rule)
		ev = jv_object_set(ev, jv_string("rule"), jv_string(rule));
	if (truncated)
		ev = jv_object_set(ev, jv_string("truncated"), jv_true());
	static unsigned char rec[CAI_WIRE_RECORD_MAX];
	long len;
	ev = fit_event(ev, rec, &len);
	/* Said once per outage, not once per exec: the count is what matters,
	 * and it rides on the next delivered event (and the end of the run). */
	if (cai_audit_client_send_made(s->audit, ev, rec, len) < 0 && s->trace && s->audit->dropped == 1)
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
