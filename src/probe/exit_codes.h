/* cai-seccomp-probe's exit codes; documented in cai-seccomp-probe(1).
 * Callers (cai setup, the maintainer scripts) branch on these. */
#ifndef CAI_PROBE_EXIT_CODES_H
#define CAI_PROBE_EXIT_CODES_H

#include "cli_opts.h"
#include "notify_probe.h"

enum {
	PROBE_EXIT_SUPPORTED = 0,
	PROBE_EXIT_FAILED = 1,		   /* the probe itself could not run */
	PROBE_EXIT_USAGE = CAI_EXIT_USAGE, /* 2, as cai_cli_getopt() exits */
	PROBE_EXIT_BUSY = 3,
	PROBE_EXIT_UNSUPPORTED = 4,
	PROBE_EXIT_DENIED = 5,
	PROBE_EXIT_ERROR = 6, /* the kernel gave an unexpected answer */
};

static inline int probe_exit_code(enum cai_notify_result r)
{
	switch (r) {
	case CAI_NOTIFY_SUPPORTED:
		return PROBE_EXIT_SUPPORTED;
	case CAI_NOTIFY_BUSY:
		return PROBE_EXIT_BUSY;
	case CAI_NOTIFY_UNSUPPORTED:
		return PROBE_EXIT_UNSUPPORTED;
	case CAI_NOTIFY_DENIED:
		return PROBE_EXIT_DENIED;
	case CAI_NOTIFY_ERROR:
		break;
	}
	return PROBE_EXIT_ERROR;
}

#endif
