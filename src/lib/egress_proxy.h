/* The egress proxy of the Secure Engine: the agent network, the host's
 * rules, Squid, and the relay of Squid's decisions into the audit log.
 * `cai egress run` is one process that owns all of it (the systemd unit
 * runs it; `cai egress start` daemonises it where systemd is not PID 1). */
#ifndef CAI_EGRESS_PROXY_H
#define CAI_EGRESS_PROXY_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct cai_egress_opts {
	const char *acl_helper;	  /* cai-egress-acl */
	const char *audit_socket; /* NULL: $CAI_AUDIT_SOCKET or the default */
	bool verbose;
	int start_timeout_s;
};

struct cai_egress_status {
	pid_t pid;	/* our supervisor (standalone), 0 if none */
	bool answering; /* something accepts on the proxy's address */
	bool network;	/* the agent network's bridge exists */
	bool squid;	/* squid is installed */
};

/* The agent network on the engine (created when missing). */
int cai_egress_network_ensure(bool verbose, struct cai_error *err);
/* Network, rules, directories and squid.conf; then Squid in the
 * foreground, its decisions relayed until SIGTERM. Returns on failure or
 * when Squid is gone (0 after SIGTERM). */
int cai_egress_run(const struct cai_egress_opts *o, struct cai_error *err);
/* Standalone: start the supervisor in the background and wait until the
 * proxy answers. *started false when it was already running. */
int cai_egress_start(const struct cai_egress_opts *o, bool *started, struct cai_error *err);
int cai_egress_stop(bool verbose, bool *stopped, struct cai_error *err);
void cai_egress_get_status(struct cai_egress_status *st);
/* One line for people: "running (pid N), answering on URL" and the like. */
const char *cai_egress_status_line(const struct cai_egress_status *st);
/* A TCP connection to the proxy's address is accepted. */
bool cai_egress_answering(void);

#endif
