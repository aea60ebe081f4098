/* The file layer of the daemon.json editor: resolve, lock, read, edit with
 * daemon_json_doc.c, write atomically, keep the undo snapshot.
 *
 * MUST: hold the directory lock from the read to the rename, so that two
 *       runs at once serialise and neither update is lost; leave the file
 *       untouched (inode, mtime, bytes) on anything but CAI_DJ_CHANGED.
 * MUST NOT: write anything with dry_run; create directories for an edit
 *           that cannot add anything (remove, unset).
 */
#include "daemon_json.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "daemon_json_undo.h"

struct dj_session {
	struct cai_file_target t;
	int dirfd; /* -1: the directory does not exist (so neither does the file) */
	bool exists;
	char *buf;
	size_t len;
	struct stat st;
	jv doc;
};

static void session_close(struct dj_session *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd); /* also drops the lock */
	free(s->buf);
	jv_free(s->doc);
	cai_file_target_free(&s->t);
}

/* Append a hint to the message already in err. */
static void add_hint(struct cai_error *err, const char *hint)
{
	size_t n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, "; %s", hint);
}

static enum cai_dj_outcome io_error(struct cai_error *err)
{
	if (err->errnum == 0)
		err->errnum = EIO;
	return CAI_DJ_IO_ERROR;
}

/* Resolve `file`, open (and with `lock`, lock) its directory, creating it
 * first when `create_dir`, then read and parse the file. Returns
 * CAI_DJ_UNCHANGED when s is ready (nothing has been changed yet), else the
 * outcome to report; session_close(s) is due either way. */
static enum cai_dj_outcome session_open(struct dj_session *s, const char *file, bool lock, bool create_dir,
					struct cai_error *err)
{
	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	s->doc = jv_null();
	if (cai_file_target_resolve(file, &s->t, err) < 0)
		return io_error(err);
	if (create_dir && cai_mkdir_parents(s->t.dir, 0755, err) < 0)
		return io_error(err);
	if (lock) {
		s->dirfd = cai_dir_lock(s->t.dir, err);
		if (s->dirfd < 0) {
			if (err->errnum != ENOENT)
				return io_error(err);
			memset(err, 0, sizeof(*err));
		}
	} else {
		s->dirfd = open(s->t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->dirfd < 0 && errno != ENOENT)
			return cai_error_set(err, errno, "open directory `%s`", s->t.dir), io_error(err);
	}
	if (s->dirfd >= 0) {
		if (lock)
			cai_remove_stale_temps_at(s->dirfd, s->t.base);
		if (cai_read_file_at(s->dirfd, s->t.dir, s->t.base, &s->buf, &s->len, &s->exists, &s->st, err) < 0)
			return io_error(err);
	}
	jv doc;
	enum cai_dj_outcome rc = cai_dj_parse(s->buf ? s->buf : "", s->len, &doc, err);
	if (rc != CAI_DJ_CHANGED) {
		cai_error_prefix(err, "`%s`", s->t.path);
		add_hint(err, "fix the file by hand; it was left unchanged");
		return rc;
	}
	jv_free(s->doc);
	s->doc = doc;
	return CAI_DJ_UNCHANGED;
}

static enum cai_dj_outcome session_write(struct dj_session *s, const char *data, size_t len, struct cai_error *err)
{
	if (cai_atomic_write_at(s->dirfd, s->t.dir, s->t.base, data, len, s->exists ? &s->st : NULL, 0644, err) < 0)
		return io_error(err);
	return CAI_DJ_CHANGED;
}

static void preview(const struct cai_dj_options *opt, const char *data, size_t len)
{
	if (opt->preview && data)
		fwrite(data, 1, len, opt->preview);
}

static const struct cai_dj_options no_options;

enum cai_dj_outcome cai_dj_add_runtime(const char *file, const char *name, const char *path,
				       const struct cai_dj_options *opt, struct cai_error *err)
{
	if (!opt)
		opt = &no_options;
	/* Bad arguments are refused before anything on disk is touched. */
	jv probe = jv_object();
	enum cai_dj_outcome rc = cai_dj_doc_add_runtime(&probe, name, path, false, NULL, err);
	jv_free(probe);
	if (rc == CAI_DJ_INVALID)
		return rc;

	struct dj_session s;
	cleanup_free char *out = NULL;
	struct cai_dj_undo own = {0};
	bool ours = false;
	rc = session_open(&s, file, !opt->dry_run, !opt->dry_run, err);
	if (rc != CAI_DJ_UNCHANGED)
		goto out;

	jv runtimes = jv_object_get(jv_copy(s.doc), jv_string("runtimes"));
	bool had_entry = jv_is_valid(runtimes) && jv_object_has(jv_copy(runtimes), jv_string(name));
	jv entry = had_entry ? jv_object_get(jv_copy(runtimes), jv_string(name)) : jv_invalid();
	jv_free(runtimes);

	/* An entry that our own add wrote and nobody changed since (it is what
	 * the undo snapshot's "after" holds) is ours to re-point: a new
	 * version of the package that puts the runtime elsewhere moves it
	 * without --force, and the undo still gives back the original bytes. */
	if (had_entry) {
		cai_dj_undo_read(s.dirfd, s.t.base, name, &own);
		if (own.present) {
			jv was = jv_parse_sized(own.after, (int)own.after_len);
			jv was_entry = jv_getpath(was, JV_ARRAY(jv_string("runtimes"), jv_string(name)));
			ours = jv_get_kind(was_entry) == JV_KIND_OBJECT && jv_equal(was_entry, jv_copy(entry));
		}
	}
	jv_free(entry);

	bool created_runtimes;
	rc = cai_dj_doc_add_runtime(&s.doc, name, path, opt->replace || ours, &created_runtimes, err);
	if (rc == CAI_DJ_REFUSED || rc == CAI_DJ_INVALID)
		cai_error_prefix(err, "`%s`", s.t.path);
	if (rc != CAI_DJ_CHANGED)
		goto out;

	size_t len;
	out = cai_dj_format(jv_copy(s.doc), &len);
	if (opt->dry_run) {
		preview(opt, out, len);
		goto out;
	}
	if (had_entry && ours) {
		/* Still ours: the snapshot keeps the bytes before our first add. */
		struct cai_dj_undo u = own;
		u.after = out;
		u.after_len = len;
		if (cai_dj_undo_write(s.dirfd, s.t.dir, s.t.base, name, &u, err) < 0) {
			rc = io_error(err);
			goto out;
		}
	} else if (had_entry) {
		/* A replaced path is not ours to undo byte for byte. */
		if (cai_dj_undo_remove(s.dirfd, s.t.dir, s.t.base, name, err) < 0) {
			rc = io_error(err);
			goto out;
		}
	} else {
		struct cai_dj_undo u = {
		    .present = true,
		    .had_file = s.exists,
		    .before = s.buf,
		    .before_len = s.len,
		    .after = out,
		    .after_len = len,
		    .created_runtimes = created_runtimes,
		};
		if (cai_dj_undo_write(s.dirfd, s.t.dir, s.t.base, name, &u, err) < 0) {
			rc = io_error(err);
			goto out;
		}
	}
	rc = session_write(&s, out, len, err);
out:
	cai_dj_undo_free(&own);
	session_close(&s);
	return rc;
}

/* Our add created `runtimes`, but other runtimes added by us since are still
 * in it: their snapshots inherit the fact, so that the last removal takes
 * `runtimes` away. Best effort: a failure only leaves an empty `runtimes`. */
static void pass_on_created_runtimes(struct dj_session *s)
{
	jv runtimes = jv_object_get(jv_copy(s->doc), jv_string("runtimes"));
	if (jv_get_kind(runtimes) != JV_KIND_OBJECT) {
		jv_free(runtimes);
		return;
	}
	jv_object_foreach(runtimes, key, val)
	{
		struct cai_dj_undo other;
		struct cai_error ignored;
		cai_dj_undo_read(s->dirfd, s->t.base, jv_string_value(key), &other);
		if (other.present && !other.created_runtimes) {
			other.created_runtimes = true;
			cai_dj_undo_write(s->dirfd, s->t.dir, s->t.base, jv_string_value(key), &other, &ignored);
		}
		cai_dj_undo_free(&other);
		jv_free(key);
		jv_free(val);
	}
	jv_free(runtimes);
}

enum cai_dj_outcome cai_dj_remove_runtime(const char *file, const char *name, const struct cai_dj_options *opt,
					  struct cai_error *err)
{
	if (!opt)
		opt = &no_options;
	if (!name || !*name) {
		cai_error_set(err, 0, "the runtime name is empty");
		return CAI_DJ_INVALID;
	}
	struct dj_session s;
	cleanup_free char *out = NULL;
	enum cai_dj_outcome rc = session_open(&s, file, !opt->dry_run, false, err);
	if (rc != CAI_DJ_UNCHANGED || s.dirfd < 0)
		goto out;

	struct cai_dj_undo u;
	cai_dj_undo_read(s.dirfd, s.t.base, name, &u);
	rc = cai_dj_doc_remove_runtime(&s.doc, name, u.present && u.created_runtimes, err);
	if (rc == CAI_DJ_REFUSED || rc == CAI_DJ_INVALID)
		cai_error_prefix(err, "`%s`", s.t.path);
	if (rc == CAI_DJ_UNCHANGED && u.present && !opt->dry_run) {
		/* Our entry is gone already: the snapshot is stale. */
		if (cai_dj_undo_remove(s.dirfd, s.t.dir, s.t.base, name, err) < 0)
			rc = io_error(err);
	}
	if (rc != CAI_DJ_CHANGED)
		goto undo_out;

	bool untouched = u.present && s.exists && s.len == u.after_len && memcmp(s.buf, u.after, s.len) == 0;
	if (untouched) {
		/* Nobody changed the file since our add: give back its old bytes. */
		if (opt->dry_run) {
			preview(opt, u.before, u.before_len);
		} else {
			int r = u.had_file ? cai_atomic_write_at(s.dirfd, s.t.dir, s.t.base, u.before, u.before_len,
								 &s.st, 0644, err)
					   : cai_unlink_durable_at(s.dirfd, s.t.dir, s.t.base, err);
			if (r < 0 || cai_dj_undo_remove(s.dirfd, s.t.dir, s.t.base, name, err) < 0)
				rc = io_error(err);
		}
		goto undo_out;
	}
	size_t len;
	out = cai_dj_format(jv_copy(s.doc), &len);
	if (opt->dry_run) {
		preview(opt, out, len);
		goto undo_out;
	}
	rc = session_write(&s, out, len, err);
	if (rc == CAI_DJ_CHANGED && u.present && u.created_runtimes)
		pass_on_created_runtimes(&s);
	if (rc == CAI_DJ_CHANGED && u.present && cai_dj_undo_remove(s.dirfd, s.t.dir, s.t.base, name, err) < 0)
		rc = io_error(err);
undo_out:
	cai_dj_undo_free(&u);
out:
	session_close(&s);
	return rc;
}

typedef enum cai_dj_outcome (*key_edit_fn)(jv *doc, const char *key, jv value, struct cai_error *err);

static enum cai_dj_outcome edit_key(const char *file, const char *key, jv value, const struct cai_dj_options *opt,
				    key_edit_fn fn, bool may_create, struct cai_error *err)
{
	if (!opt)
		opt = &no_options;
	jv probe = jv_object();
	enum cai_dj_outcome rc = fn(&probe, key, jv_copy(value), err);
	jv_free(probe);
	if (rc == CAI_DJ_INVALID) {
		jv_free(value);
		return rc;
	}
	struct dj_session s;
	cleanup_free char *out = NULL;
	rc = session_open(&s, file, !opt->dry_run, may_create && !opt->dry_run, err);
	if (rc != CAI_DJ_UNCHANGED || (!may_create && s.dirfd < 0)) {
		jv_free(value);
		goto out;
	}
	rc = fn(&s.doc, key, value, err); /* value consumed */
	if (rc == CAI_DJ_REFUSED || rc == CAI_DJ_INVALID)
		cai_error_prefix(err, "`%s`", s.t.path);
	if (rc != CAI_DJ_CHANGED)
		goto out;
	size_t len;
	out = cai_dj_format(jv_copy(s.doc), &len);
	if (opt->dry_run)
		preview(opt, out, len);
	else
		rc = session_write(&s, out, len, err);
out:
	session_close(&s);
	return rc;
}

enum cai_dj_outcome cai_dj_set_default(const char *file, const char *key, jv value, const struct cai_dj_options *opt,
				       struct cai_error *err)
{
	return edit_key(file, key, value, opt, cai_dj_doc_set_default, true, err);
}

enum cai_dj_outcome cai_dj_unset_if_equal(const char *file, const char *key, jv value, const struct cai_dj_options *opt,
					  struct cai_error *err)
{
	return edit_key(file, key, value, opt, cai_dj_doc_unset_if_equal, false, err);
}

int cai_dj_load(const char *file, jv *out, struct cai_error *err)
{
	struct dj_session s;
	enum cai_dj_outcome rc = session_open(&s, file, false, false, err);
	if (rc != CAI_DJ_UNCHANGED) {
		if (rc == CAI_DJ_INVALID)
			err->errnum = 0;
		session_close(&s);
		return -1;
	}
	*out = jv_copy(s.doc);
	session_close(&s);
	return 0;
}
