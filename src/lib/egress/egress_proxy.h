/* The egress proxy of the Secure Engine: the agent network, the host's
 * rules, Squid, and the relay of Squid's decisions into the audit log.
 * `cai egress run` is one process that owns all of it (the systemd unit
 * runs it; `cai egress start` daemonises it where systemd is not PID 1). */
#ifndef CAI_EGRESS_PROXY_H
#define CAI_EGRESS_PROXY_H

#include <stdbool.h>
#include <sys/types.h>

#include <stdio.h>

#include "error.h"

struct cai_egress_opts {
	const char *acl_helper;	  /* cai-egress-acl */
	const char *audit_socket; /* NULL: $CAI_AUDIT_SOCKET or the default */
	FILE *trace;		  /* each command run, echoed; NULL: nowhere */
	int start_timeout_s;
};

struct cai_egress_status {
	pid_t pid;	/* our supervisor (standalone), 0 if none */
	bool answering; /* something accepts on the proxy's address */
	bool network;	/* the agent network's bridge exists */
	bool squid;	/* squid is installed */
};

/* The agent network on the engine (created when missing). */
int cai_egress_network_ensure(FILE *trace, struct cai_error *err);

enum cai_egress_net {
	CAI_EGRESS_NET_ABSENT,
	CAI_EGRESS_NET_OURS,	  /* carries the label ensure gives it */
	CAI_EGRESS_NET_OTHER,	  /* same name, not ours: never removed */
	CAI_EGRESS_NET_NO_ENGINE, /* the engine does not answer: cannot tell */
};
enum cai_egress_net cai_egress_network_state(void);
/* Remove the agent network from the engine when it is ours. */
int cai_egress_network_remove(FILE *trace, bool *removed, struct cai_error *err);
/* Delete the agent network's bridge interface when present (the engine
 * deletes it with the network; this is for an engine that is not running). */
int cai_egress_bridge_remove(FILE *trace, bool *removed, struct cai_error *err);
/* Network, rules, directories and squid.conf; then Squid in the
 * foreground, its decisions relayed until SIGTERM. Returns on failure or
 * when Squid is gone (0 after SIGTERM). */
int cai_egress_run(const struct cai_egress_opts *o, struct cai_error *err);
/* Start it and wait until the proxy answers: under systemd its unit,
 * elsewhere the supervisor in the background. *started false when it was
 * already running. */
int cai_egress_start(const struct cai_egress_opts *o, bool *started, struct cai_error *err);
/* Stop it: under systemd the unit when active (it is static: nothing to
 * disable), and a supervisor of our pidfile wherever one runs. */
int cai_egress_stop(FILE *trace, bool *stopped, struct cai_error *err);
void cai_egress_get_status(struct cai_egress_status *st);
/* One line for people: "running (pid N), answering on URL" and the like. */
const char *cai_egress_status_line(const struct cai_egress_status *st);
/* A TCP connection to the proxy's address is accepted. */
bool cai_egress_answering(void);

#endif
