/* Kernel-verified exec supervision through a seccomp user-notification
 * listener: every execve/execveat of the agent's process tree stops in the
 * kernel until we have logged it and said allow (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 * or deny (EPERM).
 *
 * MUST answer every notification it receives, whatever happens while
 * reading the target (a target stuck in a notification hangs forever).
 * MUST deny, under a policy, an exec whose path it cannot read from the
 * target (fail closed), and say why in the event.
 * MUST check the notification id is still valid after reading the target's
 * memory: the pid may have died and been reused in between.
 *
 * Known limit (TOCTOU): with CONTINUE the kernel re-reads the path and argv
 * from the target's memory after we answer. Another thread of the target, or
 * a process sharing its memory, can change them in between, so what we log
 * and match may not be what runs. A deny is reliable only against a
 * cooperative agent, like the shim; the audit records are what the agent
 * asked for. Only static denials in the kernel (the backstop) are hard. */
#ifndef CAI_SUPERVISE_H
#define CAI_SUPERVISE_H

#include <stdio.h>
#include <sys/types.h>

#include "audit_client.h"
#include "container.h"
#include "error.h"
#include "exec_filter.h"
#include "exec_policy.h"

/* The rule logged for an exec denied because the target's memory could not
 * be read while a policy is in force (fail closed). */
#define CAI_POLICY_UNREADABLE "<the exec's path or arguments could not be read from the process>"

struct cai_supervisor {
	int listener;
	const struct cai_exec_policy *policy;
	struct cai_audit_client *audit;
	/* The container every supervised process runs in (`cai run --image`
	 * created it and knows it); NULL on the host. */
	const struct cai_container *container;
	/* Where to say what goes wrong with delivery (--debug), NULL: nowhere.
	 * The library never writes to stderr itself. */
	FILE *trace;
	unsigned long execs, denied, vanished;
	/* Set by cai_supervise: the kernel wakes each side on the other's CPU
	 * (see cai_notify_sync_wakeup). */
	bool sync_wakeup;
};

/* Handle notifications until no process holds the filter any more: the
 * listener reports POLLHUP (Linux 5.8+). The agent, our child, is reaped
 * here as soon as it exits (its filter is released only then) and its wait
 * status stored in *agent_status; descendants that outlive it are still
 * supervised, as strace -f follows them. Returns 0, or -1 with err set. */
int cai_supervise(struct cai_supervisor *s, pid_t agent, int *agent_status, struct cai_error *err);

#endif
