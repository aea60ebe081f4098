/* The undo snapshot of an add-runtime: a hidden file next to daemon.json,
 * `.<base>.cai-undo-<runtime>`, holding the bytes before the add and the
 * bytes the add wrote, so that a removal with nothing changed in between
 * gives back the original file byte for byte. Internal to daemon_json.c. */
#ifndef CAI_DAEMON_JSON_UNDO_H
#define CAI_DAEMON_JSON_UNDO_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct cai_dj_undo {
	bool present;
	bool had_file; /* the file existed before the add */
	char *before;  /* its bytes then (NULL if !had_file) */
	size_t before_len;
	char *after; /* the bytes the add wrote */
	size_t after_len;
	bool created_runtimes; /* the add created `runtimes` */
};

/* A missing or unreadable snapshot gives present = false. */
void cai_dj_undo_read(int dirfd, const char *base, const char *runtime, struct cai_dj_undo *u);
int cai_dj_undo_write(int dirfd, const char *dir, const char *base, const char *runtime, const struct cai_dj_undo *u,
		      struct cai_error *err);
int cai_dj_undo_remove(int dirfd, const char *dir, const char *base, const char *runtime, struct cai_error *err);
void cai_dj_undo_free(struct cai_dj_undo *u);

#endif
