/* Allowlist entries: a host name ("registry.npmjs.org") or a wildcard for
 * every name below a domain ("*.example.com": a.example.com and
 * a.b.example.com, not example.com itself). Matching ignores case and one
 * trailing dot. Addresses are not entries: an admin allows an address in
 * policy.conf (allow-address). */
#ifndef CAI_EGRESS_PATTERN_H
#define CAI_EGRESS_PATTERN_H

#include <stdbool.h>

#include "error.h"

#define CAI_EGRESS_NAME_MAX 253

/* 0 when entry is a valid pattern, else -1 with err saying why. */
int cai_egress_pattern_check(const char *entry, struct cai_error *err);
/* Does host (as a client asked for it) match pattern (checked)? */
bool cai_egress_pattern_match(const char *pattern, const char *host);
/* Does any of the NULL-terminated patterns match? */
bool cai_egress_list_match(char *const *patterns, const char *host);

#endif
