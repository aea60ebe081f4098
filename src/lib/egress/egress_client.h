/* What the proxy knows of each agent container: one file per client address
 * in CAI_EGRESS_CLIENTS, written by `cai run` (root) before the agent starts
 * and removed when it ends (Squid's helper names the container in the log
 * when it decides, so a late log line is still attributed to it):
 *
 *     container ID NAME
 *     allow PATTERN        (one line per entry)
 *
 * MUST: a reader trusts only a regular file owned by root, opened without
 * following a symlink, named by a checked IPv4 address. */
#ifndef CAI_EGRESS_CLIENT_H
#define CAI_EGRESS_CLIENT_H

#include <stdbool.h>

#include "container.h"
#include "egress_policy.h"
#include "error.h"

struct cai_egress_client {
	struct cai_container container;
	struct cai_egress_list allow;
};

/* true when addr is a dotted-quad IPv4 address (safe as a file name). */
bool cai_egress_addr_valid(const char *addr);

int cai_egress_client_write(const char *dir, const char *addr, const struct cai_container *c,
			    const struct cai_egress_list *allow, struct cai_error *err);
/* A missing file is fine. */
int cai_egress_client_remove(const char *dir, const char *addr, struct cai_error *err);
/* 1 and *out filled, 0 when there is no such client, -1 with err. */
int cai_egress_client_load(const char *dir, const char *addr, struct cai_egress_client *out, struct cai_error *err);
void cai_egress_client_free(struct cai_egress_client *c);

#endif
