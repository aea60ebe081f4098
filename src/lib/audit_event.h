/* Audit events as the collector sees them: parsed and checked with libjq,
 * then stamped with the sender's kernel-verified credentials. The schema is
 * documented in docs/audit-events.md. */
#ifndef CAI_AUDIT_EVENT_H
#define CAI_AUDIT_EVENT_H

#include <jv.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "error.h"

#define CAI_AUDIT_EVENT_VERSION 1
#define CAI_AUDIT_EVENT_MAX 8192

/* Parse one message. Returns the event object (owned by the caller), or an
 * invalid jv with the reason in err when it is not a well-formed event.
 * A well-formed message is also one line of valid UTF-8 ending in '}', so
 * its bytes can be logged as they are (cai_audit_event_line). */
jv cai_audit_event_parse(const char *buf, size_t len, struct cai_error *err);

/* The same, for the collector, which knows who sent it: a "container"
 * object written by the sender is accepted (and its shape checked) only
 * when may_claim_container says this sender may report on containers;
 * otherwise it is a rejection like a forged "peer". */
jv cai_audit_event_parse_from(const char *buf, size_t len, bool may_claim_container, struct cai_error *err);

/* Add "peer": {pid, uid, gid} as the kernel reported them; consumes ev. */
jv cai_audit_event_stamp(jv ev, pid_t pid, uid_t uid, gid_t gid);

/* The log line for an accepted message: its own bytes with the "peer"
 * stamp (and, when container_json is not NULL, "container": that JSON
 * text) spliced in before the final '}'. Writes at most cap bytes to out
 * and returns the length, or 0 if it does not fit. */
size_t cai_audit_event_line(char *out, size_t cap, const char *msg, size_t len, pid_t pid, uid_t uid, gid_t gid,
			    const char *container_json, const struct ucred *sent_as);

/* A log record saying a message was rejected (never its content). */
jv cai_audit_rejected_record(const char *reason, size_t bytes, pid_t pid, uid_t uid, gid_t gid);

/* The event timestamps, as the shim writes them: wall time in UTC with
 * nanoseconds ("2026-11-22T07:19:56.123456789Z") and CLOCK_MONOTONIC
 * seconds ("12345.123456789"). mono may be NULL. */
void cai_audit_now(char ts[static 40], char *mono);

/* The shim's control messages (src/lib/audit_ring.h): {"kick":1} asks
 * the collector to read the sender's ring now; {"ring":1,"size":N}
 * registers the memfd that comes with it. And `cai run --image`'s (root on
 * the host only): {"listen":1,"container":{"id":...,"name":...}} hands over
 * a listening socket that only that container can reach; whatever connects
 * through it is that container's. Anything else is not one. For
 * CAI_AUDIT_LISTEN, *container (when not NULL) gets the checked object. */
enum cai_audit_control { CAI_AUDIT_NOT_CONTROL, CAI_AUDIT_KICK, CAI_AUDIT_RING, CAI_AUDIT_LISTEN };
enum cai_audit_control cai_audit_control_parse(const char *buf, size_t len, unsigned long long *ring_size);
enum cai_audit_control cai_audit_control_parse_listen(const char *buf, size_t len, unsigned long long *ring_size,
						      jv *container);
/* The collector's answer to a CAI_AUDIT_LISTEN it took. */
#define CAI_AUDIT_LISTEN_ACK "{\"listening\":1}"

/* true when call is one of the calls the shim reports. */
bool cai_audit_known_call(const char *call);

#endif
