/* The audit collector (cai-auditd) as part of the Secure Engine's
 * provisioning: started and enabled with the engine, stopped with it, and
 * its health for `cai status`. Under systemd it is cai-auditd.socket
 * (socket activation starts cai-auditd.service on the first event);
 * without systemd, `cai engine start` runs cai-auditd itself with a
 * pidfile, as it runs dockerd. */
#ifndef CAI_COLLECTOR_H
#define CAI_COLLECTOR_H

#include <sys/types.h>

#include "audit_client.h"
#include "engine.h"
#include "error.h"

/* The wire contract's socket: the one the shim and cai run send to. */
#define CAI_COLLECTOR_SOCKET CAI_AUDIT_SOCKET_DEFAULT
#define CAI_COLLECTOR_SOCKET_UNIT "cai-auditd.socket"
#define CAI_COLLECTOR_SERVICE_UNIT "cai-auditd.service"
#define CAI_COLLECTOR_LOG "/var/log/containai/audit.jsonl"
#define CAI_COLLECTOR_PIDFILE "/run/containai/cai-auditd.pid"
/* Its own stderr when run without systemd (under systemd: the journal). */
#define CAI_COLLECTOR_STDERR_LOG "/var/log/containai/cai-auditd.log"
/* How much of the log's end `cai status` reads to count losses. */
#define CAI_COLLECTOR_SCAN_BYTES (4L * 1024 * 1024)

#ifndef CAI_AUDITD_PATH
#define CAI_AUDITD_PATH "/usr/sbin/cai-auditd"
#endif

struct cai_collector_status {
	enum cai_engine_manager manager;
	bool socket_present; /* a unix socket at the collector's path */
	bool accepting;	     /* a connection to it succeeds */
	bool enabled;	     /* systemd: the socket unit starts at boot */
	pid_t pid;	     /* the running collector, 0 when none */
	char since[32];	     /* its start, UTC, "" when not running */
	bool log_writable;
	char log_error[256]; /* why not, when not */
	long dropped;	     /* events the shim reported lost, since `since` */
	long rejected;	     /* messages the collector rejected, since `since` */
};

void cai_collector_get_status(struct cai_collector_status *st);
/* Start unless accepting; waits until the socket accepts. */
int cai_collector_start(FILE *trace, bool *started, struct cai_error *err);
/* Stop the socket and the collector (its queued events are drained first). */
int cai_collector_stop(FILE *trace, bool *stopped, struct cai_error *err);
/* systemd only: the socket unit at boot, or no longer. */
int cai_collector_enable(bool enable, FILE *trace, struct cai_error *err);
/* The command that brings a down collector back, for messages. */
const char *cai_collector_fix_command(enum cai_engine_manager m);

#endif
