/* The proxy's configuration, generated whole from the admin's settings: the
 * one place that says what Squid does for the agent network.
 *
 * MUST: listen on the agent network's gateway address only; answer only
 * clients from the agent subnet; never cache; match CONNECT on the name
 * asked for (no TLS interception); refuse every destination in
 * cai_egress_blocked_ranges (metadata, private, loopback, link-local, the
 * host's own addresses) unless the admin allowed that address; allow the
 * rest only when the client's own allowlist names the host. */
#ifndef CAI_EGRESS_SQUID_H
#define CAI_EGRESS_SQUID_H

#include "egress_policy.h"

/* NULL-terminated CIDR lists of the ranges no agent reaches. */
extern const char *const cai_egress_blocked_v4[];
extern const char *const cai_egress_blocked_v6[];

struct cai_egress_squid_paths {
	const char *acl_helper;	 /* cai-egress-acl */
	const char *clients_dir; /* CAI_EGRESS_CLIENTS */
	const char *hosts_file;	 /* /etc/hosts */
	const char *user;	 /* Squid's unprivileged user */
};

/* The squid.conf text (malloc'd). */
char *cai_egress_squid_conf(const struct cai_egress_admin *a, const struct cai_egress_squid_paths *p);

#endif
