/* Crash-safe editing of one configuration file: resolve symlinks to the real
 * file, serialise writers with a lock on its directory, replace it with
 * rename(2) so readers only ever see the old or the new bytes, and make the
 * result durable.
 *
 * MUST: every write goes to a new temp file in the same directory, is
 *       fsync'd, gets the original's mode/owner/group, then is renamed over
 *       the target, and the directory is fsync'd.
 * MUST NOT: truncate or write the target in place; follow a symlink that
 *           appears between resolution and open (O_NOFOLLOW on the final name).
 */
#ifndef CAI_ATOMIC_FILE_H
#define CAI_ATOMIC_FILE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"

struct cai_file_target {
	char *path; /* the real file: symlinks followed, may not exist yet */
	char *dir;  /* its directory (absolute) */
	char *base; /* its name within dir */
};

/* Follow symlinks in `path` (also a dangling final link) to the file that
 * would be edited. The directory need not exist yet. */
int cai_file_target_resolve(const char *path, struct cai_file_target *t, struct cai_error *err);
void cai_file_target_free(struct cai_file_target *t);

/* mkdir -p; directories created get exactly `mode`. */
int cai_mkdir_parents(const char *dir, mode_t mode, struct cai_error *err);

/* Open dir and take an exclusive flock on it: every writer of a file in it
 * holds this lock for its whole read-modify-write. Returns the dir fd. */
int cai_dir_lock(const char *dir, struct cai_error *err);

/* Read dir/base whole. A missing file gives *exists = false, *buf = NULL.
 * st (may be NULL) gets the file's stat. Refuses a non-regular file. */
int cai_read_file_at(int dirfd, const char *dir, const char *base, char **buf, size_t *len, bool *exists,
		     struct stat *st, struct cai_error *err);

/* Replace dir/base with data. `like` (may be NULL) gives the mode, owner and
 * group to keep; without it the file gets `new_mode` and our owner. */
int cai_atomic_write_at(int dirfd, const char *dir, const char *base, const char *data, size_t len,
			const struct stat *like, mode_t new_mode, struct cai_error *err);

/* Unlink dir/base (missing is fine) and fsync dir. */
int cai_unlink_durable_at(int dirfd, const char *dir, const char *base, struct cai_error *err);

/* Remove temp files of base (and of its undo snapshots) left by a writer that
 * was killed. Only call with
 * the directory lock held: then no live writer owns one. */
void cai_remove_stale_temps_at(int dirfd, const char *base);

/* Create path (it must not exist; a symlink there is not followed) with
 * mode and write data to it: for files in a private directory of ours. */
int cai_write_new_file(const char *path, const void *data, size_t len, mode_t mode, struct cai_error *err);

#endif
