/* Which executables an agent may run: allow by default, deny by path or
 * glob. Loaded from a JSON file with libjq:
 *   {"deny_exec": ["/usr/bin/nc", "GLOB", ...]}  (examples in cai(1))
 * Patterns are fnmatch(3) globs without FNM_PATHNAME ('*' also matches '/'),
 * matched against the absolute path the agent asked for and against the same
 * path with symlinks resolved. */
#ifndef CAI_EXEC_POLICY_H
#define CAI_EXEC_POLICY_H

#include "error.h"

struct cai_exec_policy {
	char **deny;
	size_t ndeny;
};

int cai_exec_policy_load(const char *file, struct cai_exec_policy *p, struct cai_error *err);
void cai_exec_policy_free(struct cai_exec_policy *p);
/* The first pattern that denies path, or NULL. */
const char *cai_exec_policy_denies(const struct cai_exec_policy *p, const char *path, const char *resolved);

#endif
