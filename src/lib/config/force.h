/* Where a decision to provision despite a failed probe came from. Sources,
 * first match wins: the caller's flag (`cai setup --force`, or the debconf
 * answer that the postinst turns into it), CAI_FORCE=1, the marker file. */
#ifndef CAI_FORCE_H
#define CAI_FORCE_H

#include "util.h"

enum cai_force_source {
	CAI_FORCE_NONE,
	CAI_FORCE_FLAG,
	CAI_FORCE_ENV,
	CAI_FORCE_MARKER,
};

enum cai_force_source cai_force_source(bool flag);
/* "--force", "CAI_FORCE=1", "/etc/containai/force-sysbox", or NULL. */
const char *cai_force_source_name(enum cai_force_source s);

#endif
