/* audit-record [--kind event|kick|ring|listen] [JSON]: the audit record
 * (src/lib/audit/audit_wire.h) that carries the JSON object, printed in hex for
 * the tests' senders (python's bytes.fromhex, audit-send). Keys outside
 * the wire's table become keys of the sender's own, so that a test can
 * send what the collector must refuse. Exit 1 when the object cannot be
 * carried, 2 on usage. Not installed. */
#include <stdio.h>
#include <string.h>

#include "audit_record.h"

int main(int argc, char **argv)
{
	enum cai_wire_kind kind = CAI_WIRE_EVENT;
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "--kind") == 0) {
		const char *k = argv[2];
		kind = strcmp(k, "kick") == 0	  ? CAI_WIRE_KICK
		       : strcmp(k, "ring") == 0	  ? CAI_WIRE_RING
		       : strcmp(k, "listen") == 0 ? CAI_WIRE_LISTEN
		       : strcmp(k, "event") == 0  ? CAI_WIRE_EVENT
						  : (enum cai_wire_kind)0;
		i = 3;
	}
	if (!kind || argc - i > 1) {
		fprintf(stderr, "usage: audit-record [--kind event|kick|ring|listen] [JSON]\n");
		return 2;
	}
	jv obj = jv_parse(argc > i ? argv[i] : "{}");
	if (!jv_is_valid(obj)) {
		fprintf(stderr, "audit-record: not JSON\n");
		jv_free(obj);
		return 2;
	}
	static unsigned char rec[CAI_WIRE_RECORD_MAX];
	struct cai_error err = {0};
	long n = cai_record_from_jv(obj, kind, rec, sizeof(rec), &err);
	jv_free(obj);
	if (n < 0) {
		fprintf(stderr, "audit-record: %s\n", err.msg);
		return 1;
	}
	for (long j = 0; j < n; j++)
		printf("%02x", rec[j]);
	putchar('\n');
	return 0;
}
