/* cai-audit tail: the log, one readable line per record. */
#ifndef CAI_AUDIT_TAIL_H
#define CAI_AUDIT_TAIL_H

#include <jv.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"

/* One log line (a JSON record) as a readable line, malloc'd. Lines that
 * are not JSON objects come back marked as such, never dropped. */
char *audit_format_line(const char *line);

/* true when the record comes from the container named want: its name,
 * its id, or an id prefix of at least 12 hex digits. */
bool audit_container_matches(const char *line, const char *want);

struct tail_opts {
	const char *log;
	long last;	       /* print only the last N records; -1 for all */
	const char *container; /* only records from this container (name or id) */
	bool follow;
	bool json;
};

int audit_tail(const struct tail_opts *o, FILE *out, struct cai_error *err);

#endif
