/* The policy's verdict on one exec, judged on what the kernel will run
 * rather than on the name the agent chose (issue 14, item 10). Every path
 * is seen in the target's context: its root (a container's), its cwd and
 * its own /proc/self. Denied, under a policy:
 *   - the path asked for, or with symlinks resolved, matches a pattern
 *     (a path into its own /proc/self: resolved there, and also inside
 *     its root, where /proc may be something else);
 *   - the file is the same file (device and inode) as a denied path;
 *   - it is a "#!" script whose interpreter is denied (up to 4 levels);
 *   - it is the dynamic loader asked to run a denied program;
 *   - it has no name at all: a memfd, or a file unlinked since it was
 *     opened (fexecve), which no path rule could ever match.
 * What stays evidence rather than a boundary is in supervise.h (TOCTOU). */
#ifndef CAI_EXEC_VERDICT_H
#define CAI_EXEC_VERDICT_H

#include <jv.h>
#include <sys/types.h>

#include "exec_policy.h"

#define CAI_POLICY_ANONYMOUS "<an executable with no name: memfd or unlinked file>"

/* The process that asked. rootfd: its root, /proc/<tid>/root opened
 * O_PATH before the notification was found still valid (so it is that
 * process's), or -1; cwd: its cwd. */
struct cai_exec_target {
	pid_t tid;
	int rootfd;
	const char *cwd;
};

/* path: what the agent asked for, made absolute against its cwd or dirfd
 * (may name /proc/self/...); argv borrowed. Returns the rule that denies,
 * or NULL. */
const char *cai_exec_verdict(const struct cai_exec_policy *p, const struct cai_exec_target *t, const char *path,
			     jv argv);

#endif
