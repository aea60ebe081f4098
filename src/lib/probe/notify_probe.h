/* The real test: can this process get a seccomp user-notification listener,
 * as Sysbox must? Run in a forked child so the caller is never filtered. */
#ifndef CAI_NOTIFY_PROBE_H
#define CAI_NOTIFY_PROBE_H

#include "error.h"

enum cai_notify_result {
	CAI_NOTIFY_SUPPORTED,	/* listener installed and answering */
	CAI_NOTIFY_BUSY,	/* EBUSY: a listener already exists in the filter chain */
	CAI_NOTIFY_UNSUPPORTED, /* EINVAL, ENOSYS: the kernel has no user notification */
	CAI_NOTIFY_DENIED,	/* EPERM, EACCES, SIGSYS: an outer sandbox forbids filters */
	CAI_NOTIFY_ERROR,	/* any other answer */
};

/* Which step of the child gave the answer. */
enum cai_notify_stage {
	CAI_STAGE_NONE,
	CAI_STAGE_NO_NEW_PRIVS, /* prctl(PR_SET_NO_NEW_PRIVS) */
	CAI_STAGE_SECCOMP,	/* seccomp(SET_MODE_FILTER, NEW_LISTENER) */
	CAI_STAGE_LISTENER,	/* the returned fd did not behave as a listener */
	CAI_STAGE_SIGNAL,	/* the child was killed (SIGSYS: a KILL/TRAP filter) */
	CAI_STAGE_TIMEOUT,	/* the child did not answer in time */
};

struct cai_seccomp_state {
	bool readable;
	long mode;    /* Seccomp: 0 none, 1 strict, 2 filter; -1 when the field is absent */
	long filters; /* Seccomp_filters (Linux 5.9+); -1 when absent */
};

struct cai_notify_probe {
	enum cai_notify_result result;
	enum cai_notify_stage stage;
	int errnum; /* the kernel's errno at that stage, 0 if none */
	int signal; /* for CAI_STAGE_SIGNAL */
	bool actions_avail_readable;
	bool user_notif_listed; /* /proc/sys/kernel/seccomp/actions_avail lists user_notif */
	char actions_avail[256];
	struct cai_seccomp_state self; /* the calling process */
	struct cai_seccomp_state pid1; /* init: WSL's holds the conflicting listener */
	long elapsed_us;
};

#define CAI_NOTIFY_PROBE_TIMEOUT_MS 2000

/* Returns 0 with out filled (whatever the classification), or -1 with err set
 * when the probe itself could not run (fork or pipe failed). */
int cai_notify_probe_run(struct cai_notify_probe *out, struct cai_error *err);

enum cai_notify_result cai_notify_classify_errno(int errnum);
const char *cai_notify_result_name(enum cai_notify_result r);
const char *cai_notify_stage_name(enum cai_notify_stage s);

#endif
