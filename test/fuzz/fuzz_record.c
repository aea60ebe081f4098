/* libFuzzer harness for the collector's reader of audit records
 * (src/lib/audit/audit_record.c): a record is whatever bytes any local user or
 * agent sends, so any bytes at all. Invariants (abort on violation),
 * besides ASan/UBSan finding no access outside the input or the output:
 *   - what is accepted is written as strict JSON: no raw control byte,
 *     and libjq reads it back as one object;
 *   - the output never exceeds CAI_RECORD_JSON_MAX;
 *   - a container is reported only from a sender that may claim one, and
 *     then its id is 64 lowercase hex digits. */
#include <stdint.h>
#include <string.h>

#include "audit_record.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[CAI_RECORD_JSON_MAX + 2];

static void strict(size_t len)
{
	check(len <= CAI_RECORD_JSON_MAX);
	for (size_t i = 0; i < len; i++)
		check((unsigned char)out[i] >= 0x20);
	out[len] = '}';
	out[len + 1] = '\0';
	jv v = jv_parse_sized(out, (int)len + 1);
	check(jv_get_kind(v) == JV_KIND_OBJECT);
	jv_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cai_record r;
	struct cai_error err = {0};
	for (int claim = 0; claim < 2; claim++) {
		if (cai_record_decode(data, size, claim, out, CAI_RECORD_JSON_MAX, &r, &err) == 0) {
			if (r.kind == CAI_WIRE_EVENT) {
				strict(r.json_len);
				check(!r.has_container || claim);
			}
			if (r.has_container)
				check(cai_container_id_valid(r.container.id));
		}
	}
	long n = cai_record_to_json(data, size, out, sizeof(out), &err);
	if (n >= 0) {
		check(out[n - 1] == '}');
		strict((size_t)n - 1);
	}
	return 0;
}
