/* Step-by-step progress for setup and teardown: "[3/7] Title: result",
 * indented details, and a tally of what changed. */
#ifndef CAI_REPORT_H
#define CAI_REPORT_H

#include "util.h"

struct report {
	int step, total;
	int changes; /* actions taken (or, in a dry run, that would be) */
	int warnings;
	bool dry_run;
};

void report_step(struct report *r, const char *fmt, ...) CAI_PRINTF(2, 3);
void report_detail(const struct report *r, const char *fmt, ...) CAI_PRINTF(2, 3);
/* A change made, or in a dry run, one that would be made. */
void report_change(struct report *r, const char *fmt, ...) CAI_PRINTF(2, 3);
void report_warning(struct report *r, const char *fmt, ...) CAI_PRINTF(2, 3);
/* "FAILED at step 3 (Sysbox): <msg>" on stderr. */
void report_failure(const struct report *r, const char *step_name, const char *msg);

#endif
