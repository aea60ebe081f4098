/* cai run --image's network: the policy (--network-policy allowlist, the
 * default: the internal agent network behind the egress proxy; open: the
 * engine's bridge, as before; none: no network), the agent's allowlist, and
 * the proxy's record of the container. */
#ifndef CAI_CLI_RUN_EGRESS_H
#define CAI_CLI_RUN_EGRESS_H

#include "container.h"
#include "egress_policy.h"
#include "run.h"

enum run_network { RUN_NET_ALLOWLIST, RUN_NET_OPEN, RUN_NET_NONE };

struct run_egress {
	enum run_network policy;
	struct cai_egress_list allow;
	const char **env; /* the caller's -e plus the proxy's variables, NULL-terminated */
	char addr[16];	  /* the container's address on the agent network, once known */
};

/* 0, or -1 with err: an unknown policy or a bad entry (err says which and
 * where). For allowlist, also that the proxy answers. */
int run_egress_prepare(const struct run_opts *o, const char *workspace, struct run_egress *e, struct cai_error *err);
/* docker run's --network value (NULL: the engine's default). */
const char *run_egress_network(const struct run_egress *e);
/* Tell the proxy which container the address is and what it may reach,
 * before the agent starts. */
int run_egress_register(struct run_egress *e, const struct cai_container *c, struct cai_error *err);
/* The container is gone: the proxy forgets its address. */
void run_egress_end(struct run_egress *e);
void run_egress_free(struct run_egress *e);

#endif
