/* The file layer of the daemon.json editor, internal to daemon_json*.c:
 * resolve the file, open (and lock) its directory, read and parse it. */
#ifndef CAI_DAEMON_JSON_SESSION_H
#define CAI_DAEMON_JSON_SESSION_H

#include <stdbool.h>
#include <sys/stat.h>

#include <jv.h>

#include "atomic_file.h"
#include "error.h"

struct cai_dj_session {
	struct cai_file_target t;
	int dirfd; /* -1: the directory does not exist (so neither does the file) */
	bool exists;
	char *buf; /* the file's bytes, NULL when it does not exist */
	size_t len;
	struct stat st;
	jv doc;
};

/* Resolve `file`, open (with `lock`, lock) its directory, creating it first
 * when `create_dir`, then read and parse the file (missing = {}). Returns -1
 * with err->errnum != 0 for an I/O error and 0 for invalid content.
 * cai_dj_session_close(s) is due either way. */
int cai_dj_session_open(struct cai_dj_session *s, const char *file, bool lock, bool create_dir, struct cai_error *err);
void cai_dj_session_close(struct cai_dj_session *s);

#endif
