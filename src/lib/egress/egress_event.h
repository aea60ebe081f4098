/* One line of the proxy's access log (logformat cai_egress:
 * "TIME CLIENT METHOD HOST PORT SQUID_STATUS HTTP_STATUS TAG") as an audit
 * event ("call":"egress", docs/audit-events.md), attributed to the container
 * that cai-egress-acl named in TAG ("ID,NAME,listed|unlisted") when Squid
 * asked it, at the time of the decision. */
#ifndef CAI_EGRESS_EVENT_H
#define CAI_EGRESS_EVENT_H

#include <jv.h>

#include "container.h"

struct cai_egress_line {
	double time;
	char client[64];
	char method[32];
	char host[256];
	long port;
	char status[64]; /* TCP_DENIED, TCP_TUNNEL, TCP_MISS... */
	long http_status;
	struct cai_container container; /* id[0] == 0: not an agent's */
	bool listed;			/* the container's list names the host */
};

/* 0, or -1 when the line is not one of ours. */
int cai_egress_line_parse(const char *line, struct cai_egress_line *out);
jv cai_egress_event(const struct cai_egress_line *l);

#endif
