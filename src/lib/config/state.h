/* What setup last did or refused, kept in CAI_STATE_FILE so that `cai
 * status`, `cai teardown` and the maintainer scripts can tell. The file's
 * keys live in state.c only; everyone else reads and writes this struct. */
#ifndef CAI_STATE_H
#define CAI_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#include "error.h"

#define CAI_STATE_MAX_USERS 2
#define CAI_STATE_MAX_RUNS 2

struct cai_state_refusal {
	bool present;
	char at[32];
	char platform[16];
	char result[32];
	char errno_name[16]; /* "" when the probe gave no errno */
};

/* One container setup ran to verify a runtime. */
struct cai_state_run {
	char runtime[32];
	bool ran;
	char detail[512]; /* ran: the exec listener init found; else why it did not run */
};

struct cai_state {
	bool provisioned;
	char provisioned_at[32];
	char platform[16];
	char probe[32];
	char forced_by[32]; /* "" when not forced */
	char daemon_json[4096];
	bool daemon_json_managed; /* true unless setup ran with --no-daemon-json */
	char context_users[CAI_STATE_MAX_USERS][64];
	size_t ncontext_users;
	struct cai_state_refusal refusal;
	bool verified; /* setup ran its container checks, at verified_at */
	char verified_at[32];
	struct cai_state_run runs[CAI_STATE_MAX_RUNS];
	size_t nruns;
	jv doc; /* the object as read, keys of other versions included */
};

/* The recorded state; an empty one (doc {}) when none is recorded. Fails
 * only when the file exists but cannot be read or parsed. cai_state_free()
 * is due either way. */
int cai_state_load(const char *path, struct cai_state *st, struct cai_error *err);
void cai_state_free(struct cai_state *st);
/* The run of `runtime` verified by setup, or NULL. */
const struct cai_state_run *cai_state_run_of(const struct cai_state *st, const char *runtime);

/* The three records, each a read-modify-write keeping the other keys:
 * a refusal (stamped now); a provisioning (stamped now: every field of st
 * but the refusal, which is cleared); a teardown (provisioned = false, when
 * anything is recorded). */
int cai_state_record_refusal(const char *path, const struct cai_state_refusal *r, struct cai_error *err);
int cai_state_record_success(const char *path, const struct cai_state *st, struct cai_error *err);
int cai_state_record_teardown(const char *path, struct cai_error *err);

int cai_state_remove(const char *path, struct cai_error *err);

/* ISO 8601 UTC time, for the records. */
void cai_utc_now(char buf[32]);

#endif
