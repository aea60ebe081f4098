/* The host's packet filter for the agent network, in chains of our own:
 *   CAI-EGRESS-IN    (INPUT, from the agent bridge): only the proxy's port
 *                    on the gateway address; nothing else of the host (no
 *                    DNS, no other service) is reachable from an agent.
 *   CAI-EGRESS-FWD   (FORWARD, from the agent bridge): dropped, whatever
 *                    Docker's own chains say.
 *   CAI-EGRESS-PROXY (OUTPUT, Squid's user): the proxy itself never opens a
 *                    connection to the host's own addresses, private,
 *                    loopback, link-local (metadata) or multicast ranges,
 *                    except the admin's allow-address entries, DNS to
 *                    the resolvers of /etc/resolv.conf and its own helpers
 *                    (loopback TCP between ephemeral ports).
 * The same for IPv6 with ip6tables (the agent network has no IPv6: all of
 * it dropped). Applying is idempotent: chains are flushed and refilled.
 * Removing is too: every rule of the filter table that jumps to one of our
 * chains, then the chains; every other rule stays as it was. */
#ifndef CAI_EGRESS_RULES_H
#define CAI_EGRESS_RULES_H

#include <stdbool.h>
#include <sys/types.h>

#include "egress_policy.h"
#include "error.h"

int cai_egress_rules_apply(const struct cai_egress_admin *a, uid_t proxy_uid, FILE *trace, struct cai_error *err);

/* What cai_egress_rules_remove found and removed, per family. A family
 * whose tool is not installed has nothing of ours (absent is true). */
struct cai_egress_rules_removed {
	int jumps;  /* rules of other chains that jumped to ours */
	int chains; /* our chains deleted */
	bool iptables_absent, ip6tables_absent;
};

/* Undo cai_egress_rules_apply whatever proxy user it was given; with
 * dry_run, only count. Returns -1 with err set when a tool failed (what was
 * removed before that is counted). */
int cai_egress_rules_remove(bool dry_run, FILE *trace, struct cai_egress_rules_removed *out, struct cai_error *err);

#endif
