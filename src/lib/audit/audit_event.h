/* The collector's own log records: the stamp it appends to every event it
 * accepted (who sent it, as the kernel says), and the records it writes
 * itself (rejections). Events arrive as records (audit_wire.h) and are
 * checked and written by audit_record.c; the schema is documented in
 * docs/audit-events.md. */
#ifndef CAI_AUDIT_EVENT_H
#define CAI_AUDIT_EVENT_H

#include <jv.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "audit_wire.h"
#include "error.h"

/* The end of an event's log line: ,"peer":{pid, uid, gid as the kernel
 * reported them, and "sent_as" when the message claimed others}, then
 * ,"container": container_json when not NULL, then the closing '}'.
 * Writes at most cap bytes and returns the length, 0 if it does not fit. */
size_t cai_audit_stamp(char *out, size_t cap, pid_t pid, uid_t uid, gid_t gid, const char *container_json,
		       const struct ucred *sent_as);

/* A log record saying a message was rejected (never its content). */
jv cai_audit_rejected_record(const char *reason, size_t bytes, pid_t pid, uid_t uid, gid_t gid);

/* The event timestamps as strings: wall time in UTC with nanoseconds
 * ("2026-11-22T07:19:56.123456789Z") and CLOCK_MONOTONIC seconds
 * ("12345.123456789"). mono may be NULL. */
void cai_audit_now(char ts[static 40], char *mono);

#endif
