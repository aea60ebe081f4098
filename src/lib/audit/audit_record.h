/* Audit records (src/lib/audit/audit_wire.h) as the collector reads them and as
 * host programs write them.
 *
 * cai_record_decode is the collector's only reader of what a sender wrote:
 * it MUST NOT read outside [rec, rec + len), MUST check every key, type,
 * length and nesting level, and MUST write strict JSON (RFC 8259: escaped
 * control characters, valid UTF-8, integers only) or nothing. It never
 * allocates, so a hostile record costs the collector one pass over its
 * bytes. */
#ifndef CAI_AUDIT_RECORD_H
#define CAI_AUDIT_RECORD_H

#include <jv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_wire.h"
#include "container.h"
#include "error.h"

/* Output room a record may need: every item of the largest record written
 * at its longest (a null under the longest key, a byte as \ufffd). */
#define CAI_RECORD_JSON_MAX (CAI_WIRE_RECORD_MAX * 12 + 64)

struct cai_record {
	enum cai_wire_kind kind;
	size_t json_len;    /* CAI_WIRE_EVENT: bytes of out, "{..." without the closing '}' */
	uint64_t ring_size; /* CAI_WIRE_RING */
	bool has_container; /* an event's claim, or CAI_WIRE_LISTEN's container */
	struct cai_container container;
};

/* Check one record and, for an event, write it to out as a JSON object
 * without its closing brace (the collector appends its stamp). An event
 * may carry "container" only when may_claim_container (root on the host).
 * Returns 0, or -1 with the reason in err (never the record's content). */
int cai_record_decode(const void *rec, size_t len, bool may_claim_container, char *out, size_t cap,
		      struct cai_record *r, struct cai_error *err);

/* The same checks of structure (lengths, keys, types, nesting), none of
 * the schema: the whole object as JSON text with a NUL after it. Returns
 * its length or -1 with err. For tests, fuzzing and tools. */
long cai_record_to_json(const void *rec, size_t len, char *out, size_t cap, struct cai_error *err);

/* Write obj (borrowed; its keys from the wire's table, integers only) as a
 * record of kind into out. Returns the length, or -1 with err (too large
 * for cap, a value the wire cannot carry). For programs on the host: the
 * exec supervisor, `cai run --image`, the tests' senders. */
long cai_record_from_jv(jv obj, enum cai_wire_kind kind, unsigned char *out, size_t cap, struct cai_error *err);

/* "2026-11-22T07:19:56.123456789Z" (no lock, unlike gmtime_r) and
 * "12345.123456789"; out gets a terminating NUL. Return the length. */
size_t cai_fmt_utc(char out[static 32], long long sec, long nsec);
size_t cai_fmt_mono(char out[static 32], long long sec, long nsec);

/* true when call is one of the calls the shim and the supervisor report. */
bool cai_record_known_call(const char *call, size_t len);

#endif
