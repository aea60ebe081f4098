/* Audit events as the collector sees them: parsed and checked with libjq,
 * then stamped with the sender's kernel-verified credentials. The schema is
 * documented in docs/audit-events.md. */
#ifndef CAI_AUDIT_EVENT_H
#define CAI_AUDIT_EVENT_H

#include <jv.h>
#include <sys/types.h>

#include "error.h"

#define CAI_AUDIT_EVENT_VERSION 1
#define CAI_AUDIT_EVENT_MAX 8192

/* Parse one message. Returns the event object (owned by the caller), or an
 * invalid jv with the reason in err when it is not a well-formed event. */
jv cai_audit_event_parse(const char *buf, size_t len, struct cai_error *err);

/* Add "peer": {pid, uid, gid} as the kernel reported them; consumes ev. */
jv cai_audit_event_stamp(jv ev, pid_t pid, uid_t uid, gid_t gid);

/* A log record saying a message was rejected (never its content). */
jv cai_audit_rejected_record(const char *reason, size_t bytes, pid_t pid, uid_t uid, gid_t gid);

/* true when call is one of the calls the shim reports. */
bool cai_audit_known_call(const char *call);

#endif
