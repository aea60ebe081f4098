/* Sending audit events to cai-auditd from a regular program (the exec
 * supervisor): one SOCK_SEQPACKET message per event, a record of
 * audit_wire.h like the LD_PRELOAD shim's. Never silently lossy: what cannot be
 * delivered within a bounded wait is counted, and the count rides on the next
 * delivered event as "dropped". */
#ifndef CAI_AUDIT_CLIENT_H
#define CAI_AUDIT_CLIENT_H

#include <jv.h>

#include "audit_wire.h"
#include "container.h"
#include "error.h"

struct cai_audit_client {
	int fd;
	char path[108];
	unsigned long dropped; /* events not delivered since the last delivery */
	unsigned long sent;
};

/* path NULL: $CAI_AUDIT_SOCKET, else the default. Connects lazily. */
void cai_audit_client_init(struct cai_audit_client *c, const char *path);
/* Consumes ev. Returns 0 when delivered, -1 when counted as dropped. */
int cai_audit_client_send(struct cai_audit_client *c, jv ev);
/* The same for a record the caller wrote (audit_writer.h), with
 * c->dropped as its "dropped" when not 0 (cai_ev_finish_event). */
int cai_audit_client_send_record(struct cai_audit_client *c, const unsigned char *rec, size_t len);
void cai_audit_client_close(struct cai_audit_client *c);

/* Hand the collector at path a listening socket that only container c can
 * reach (root on the host only): every connection through it is logged as
 * that container's, however short-lived its process. Returns the connection
 * it went over, which must stay open while the container may send (the
 * collector closes its copy with it), or -1 with err. */
int cai_audit_hand_over_listener(const char *path, int listen_fd, const struct cai_container *c, struct cai_error *err);

#endif
