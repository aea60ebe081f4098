/* What setup last did or refused, kept in CAI_STATE_FILE so that `cai
 * status`, `cai teardown` and the maintainer scripts can tell. */
#ifndef CAI_STATE_H
#define CAI_STATE_H

#include <jv.h>

#include "error.h"

/* The recorded state object, or an empty object when none is recorded.
 * Fails only when the file exists but cannot be read or parsed. */
int cai_state_load(const char *path, jv *out, struct cai_error *err);
/* Replace the state atomically (value consumed). */
int cai_state_save(const char *path, jv state, struct cai_error *err);
int cai_state_remove(const char *path, struct cai_error *err);

/* ISO 8601 UTC time, for the records. */
void cai_utc_now(char buf[32]);

#endif
