/* cai-daemon-json's exit codes; documented in cai-daemon-json(1). Callers
 * (cai setup, the maintainer scripts) reload dockerd only on 0. */
#ifndef CAI_MERGE_EXIT_CODES_H
#define CAI_MERGE_EXIT_CODES_H

#include "cli_opts.h"
#include "daemon_json.h"

enum {
	MERGE_EXIT_CHANGED = 0,
	MERGE_EXIT_FAILED = 1,		   /* I/O error, or another failure */
	MERGE_EXIT_USAGE = CAI_EXIT_USAGE, /* 2, as cai_cli_getopt() exits */
	MERGE_EXIT_UNCHANGED = 3,	   /* already as asked; nothing written */
	MERGE_EXIT_REFUSED = 4,		   /* conflict; nothing written */
	MERGE_EXIT_INVALID = 5,		   /* invalid input; nothing written */
};

static inline int merge_exit_code(enum cai_dj_outcome o)
{
	switch (o) {
	case CAI_DJ_CHANGED:
		return MERGE_EXIT_CHANGED;
	case CAI_DJ_UNCHANGED:
		return MERGE_EXIT_UNCHANGED;
	case CAI_DJ_REFUSED:
		return MERGE_EXIT_REFUSED;
	case CAI_DJ_INVALID:
		return MERGE_EXIT_INVALID;
	case CAI_DJ_IO_ERROR:
		break;
	}
	return MERGE_EXIT_FAILED;
}

#endif
