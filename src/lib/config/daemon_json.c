/* The file layer of the daemon.json editor: resolve, lock, read, parse; and
 * the single-operation edits, each one transaction of daemon_json_edit.c.
 *
 * MUST: leave the file untouched (inode, mtime, bytes) when reading it.
 */
#include "daemon_json.h"
#include "daemon_json_session.h"

#include <errno.h>
#include <fcntl.h>

/* Append a hint to the message already in err. */
static void add_hint(struct cai_error *err, const char *hint)
{
	size_t n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, "; %s", hint);
}

static int io_error(struct cai_error *err)
{
	if (err->errnum == 0)
		err->errnum = EIO;
	return -1;
}

static int open_dir(struct cai_dj_session *s, bool lock, struct cai_error *err)
{
	if (lock) {
		s->dirfd = cai_dir_lock(s->t.dir, err);
		if (s->dirfd < 0) {
			if (err->errnum != ENOENT)
				return io_error(err);
			memset(err, 0, sizeof(*err));
		}
		return 0;
	}
	s->dirfd = open(s->t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0 && errno != ENOENT)
		return cai_error_set(err, errno, "open directory `%s`", s->t.dir), io_error(err);
	return 0;
}

int cai_dj_session_open(struct cai_dj_session *s, const char *file, bool lock, bool create_dir, struct cai_error *err)
{
	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	s->doc = jv_null();
	if (cai_file_target_resolve(file, &s->t, err) < 0)
		return io_error(err);
	if (create_dir && cai_mkdir_parents(s->t.dir, 0755, err) < 0)
		return io_error(err);
	if (open_dir(s, lock, err) < 0)
		return -1;
	if (s->dirfd >= 0) {
		if (lock)
			cai_remove_stale_temps_at(s->dirfd, s->t.base);
		if (cai_read_file_at(s->dirfd, s->t.dir, s->t.base, &s->buf, &s->len, &s->exists, &s->st, err) < 0)
			return io_error(err);
	}
	jv doc;
	if (cai_dj_parse(s->buf ? s->buf : "", s->len, &doc, err) != CAI_DJ_CHANGED) {
		cai_error_prefix(err, "`%s`", s->t.path);
		add_hint(err, "fix the file by hand; it was left unchanged");
		return -1;
	}
	jv_free(s->doc);
	s->doc = doc;
	return 0;
}

void cai_dj_session_close(struct cai_dj_session *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd); /* also drops the lock */
	free(s->buf);
	jv_free(s->doc);
	cai_file_target_free(&s->t);
}

int cai_dj_load(const char *file, jv *out, struct cai_error *err)
{
	struct cai_dj_session s;
	int rc = cai_dj_session_open(&s, file, false, false, err);
	if (rc == 0)
		*out = jv_copy(s.doc);
	cai_dj_session_close(&s);
	return rc;
}

static enum cai_dj_outcome edit_one(const char *file, struct cai_dj_op op, const struct cai_dj_options *opt,
				    struct cai_error *err)
{
	return cai_dj_edit(file, &op, 1, opt, err);
}

enum cai_dj_outcome cai_dj_add_runtime(const char *file, const char *name, const char *path,
				       const struct cai_dj_options *opt, struct cai_error *err)
{
	return edit_one(file, (struct cai_dj_op){.kind = CAI_DJ_OP_ADD_RUNTIME, .name = name, .path = path}, opt, err);
}

enum cai_dj_outcome cai_dj_remove_runtime(const char *file, const char *name, const struct cai_dj_options *opt,
					  struct cai_error *err)
{
	return edit_one(file, (struct cai_dj_op){.kind = CAI_DJ_OP_REMOVE_RUNTIME, .name = name}, opt, err);
}

enum cai_dj_outcome cai_dj_set_default(const char *file, const char *key, jv value, const struct cai_dj_options *opt,
				       struct cai_error *err)
{
	return edit_one(file, (struct cai_dj_op){.kind = CAI_DJ_OP_SET_DEFAULT, .name = key, .value = value}, opt, err);
}

enum cai_dj_outcome cai_dj_unset_if_equal(const char *file, const char *key, jv value, const struct cai_dj_options *opt,
					  struct cai_error *err)
{
	return edit_one(file, (struct cai_dj_op){.kind = CAI_DJ_OP_UNSET_IF_EQUAL, .name = key, .value = value}, opt,
			err);
}
