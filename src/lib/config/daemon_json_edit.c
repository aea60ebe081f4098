/* One change of daemon.json is one transaction: the operations of an edit
 * share one lock, one read, one write and one undo snapshot.
 *
 * MUST: hold the directory lock from the read to the last rename, so that
 *       two runs at once serialise and neither update is lost; leave the
 *       file untouched (inode, mtime, bytes) on anything but CAI_DJ_CHANGED;
 *       write an undo snapshot before the file it describes, so that a
 *       crash between the two leaves a snapshot that matches nothing.
 * MUST NOT: write anything with dry_run; create directories for an edit
 *           that cannot add anything (remove, unset).
 */
#include "daemon_json.h"
#include "daemon_json_session.h"
#include "daemon_json_undo.h"

#include <errno.h>

/* What the edit does to one runtime's undo snapshot once the file is written. */
struct undo_plan {
	const char *runtime;
	bool write;		/* else remove */
	bool restorable;	/* remove: the snapshot still describes the file (untouched_since) */
	struct cai_dj_undo rec; /* write: `after` is filled at commit */
};

struct edit {
	struct cai_dj_session s; /* s.doc: the document as the operations so far left it */
	const struct cai_dj_options *opt;
	jv start;     /* the document as read */
	bool changed; /* an operation changed the document */
	struct undo_plan *plans;
	size_t nplans;
};

static const struct cai_dj_options no_options;

static char *dup_bytes(const char *b, size_t len)
{
	char *out = xmalloc(len + 1);
	if (len)
		memcpy(out, b, len);
	out[len] = '\0';
	return out;
}

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* A later plan for the same runtime replaces an earlier one. */
static struct undo_plan *plan_for(struct edit *e, const char *runtime)
{
	for (size_t i = 0; i < e->nplans; i++) {
		if (strcmp(e->plans[i].runtime, runtime) == 0) {
			cai_dj_undo_free(&e->plans[i].rec);
			memset(&e->plans[i], 0, sizeof(e->plans[i]));
			e->plans[i].runtime = runtime;
			return &e->plans[i];
		}
	}
	struct undo_plan *p = &e->plans[e->nplans++];
	p->runtime = runtime;
	return p;
}

static jv runtime_entry(jv doc, const char *name)
{
	return jv_getpath(doc, JV_ARRAY(jv_string("runtimes"), jv_string(name))); /* consumes doc */
}

/* An entry that our own edit wrote and nobody changed since (it is what the
 * snapshot's "after" holds) is ours to re-point: a new version of the
 * package that puts the runtime elsewhere moves it without --force, and the
 * undo still gives back the original bytes. entry is borrowed. */
static bool entry_is_ours(const struct cai_dj_undo *own, const char *name, jv entry)
{
	if (!own->present)
		return false;
	jv was = runtime_entry(jv_parse_sized(own->after, (int)own->after_len), name);
	bool ours = jv_get_kind(was) == JV_KIND_OBJECT && jv_equal(jv_copy(was), jv_copy(entry));
	jv_free(was);
	return ours;
}

static enum cai_dj_outcome add_runtime(struct edit *e, const struct cai_dj_op *op, struct cai_error *err)
{
	jv entry = runtime_entry(jv_copy(e->s.doc), op->name);
	bool had_entry = jv_get_kind(entry) == JV_KIND_OBJECT;
	struct cai_dj_undo own = {0};
	if (had_entry)
		cai_dj_undo_read(e->s.dirfd, e->s.t.base, op->name, &own);
	bool ours = had_entry && entry_is_ours(&own, op->name, entry);
	jv_free(entry);

	bool created_runtimes;
	enum cai_dj_outcome rc =
	    cai_dj_doc_add_runtime(&e->s.doc, op->name, op->path, e->opt->replace || ours, &created_runtimes, err);
	if (rc != CAI_DJ_CHANGED) {
		cai_dj_undo_free(&own);
		return rc;
	}
	struct undo_plan *p = plan_for(e, op->name);
	if (ours) {
		/* Still ours: the snapshot keeps the bytes before our first edit. */
		p->write = true;
		p->rec = own;
	} else if (had_entry) {
		/* A replaced path is not ours to undo byte for byte. */
		cai_dj_undo_free(&own);
	} else {
		p->write = true;
		p->rec = (struct cai_dj_undo){
		    .present = true,
		    .had_file = e->s.exists,
		    .before = e->s.exists ? dup_bytes(e->s.buf, e->s.len) : NULL,
		    .before_len = e->s.len,
		    .created_runtimes = created_runtimes,
		};
	}
	return rc;
}

/* The document as the operations so far left it, in bytes: the file's own
 * until one changes something. Returns malloc'd bytes or NULL (no file). */
static char *current_bytes(const struct edit *e, size_t *len)
{
	if (e->changed)
		return cai_dj_format(jv_copy(e->s.doc), len);
	*len = e->s.len;
	return e->s.exists ? dup_bytes(e->s.buf, e->s.len) : NULL;
}

/* The snapshot of our edit still describes the file if its "after" is the
 * file as this edit found it (a snapshot of one whole edit), or as this
 * edit's operations before the removal left it (a snapshot written by an
 * add alone, the previous version's, with setup's later settings unset
 * first). */
static bool untouched_since(const struct edit *e, const struct cai_dj_undo *u)
{
	if (!u->present || !e->s.exists)
		return false;
	if (same_bytes(e->s.buf, e->s.len, u->after, u->after_len))
		return true;
	size_t len;
	cleanup_free char *now = current_bytes(e, &len);
	return now && same_bytes(now, len, u->after, u->after_len);
}

static enum cai_dj_outcome remove_runtime(struct edit *e, const struct cai_dj_op *op, struct cai_error *err)
{
	struct cai_dj_undo u;
	cai_dj_undo_read(e->s.dirfd, e->s.t.base, op->name, &u);
	bool restorable = untouched_since(e, &u);
	enum cai_dj_outcome rc = cai_dj_doc_remove_runtime(&e->s.doc, op->name, u.present && u.created_runtimes, err);
	if (u.present && (rc == CAI_DJ_CHANGED || rc == CAI_DJ_UNCHANGED)) {
		/* Used, or stale (our entry is gone already): it goes. */
		struct undo_plan *p = plan_for(e, op->name);
		p->restorable = rc == CAI_DJ_CHANGED && restorable;
		p->rec = u;
		return rc;
	}
	cai_dj_undo_free(&u);
	return rc;
}

static enum cai_dj_outcome apply(struct edit *e, struct cai_dj_op *op, struct cai_error *err)
{
	switch (op->kind) {
	case CAI_DJ_OP_ADD_RUNTIME:
		return add_runtime(e, op, err);
	case CAI_DJ_OP_REMOVE_RUNTIME:
		return remove_runtime(e, op, err);
	case CAI_DJ_OP_SET_DEFAULT:
		return cai_dj_doc_set_default(&e->s.doc, op->name, jv_copy(op->value), err);
	case CAI_DJ_OP_UNSET_IF_EQUAL:
		return cai_dj_doc_unset_if_equal(&e->s.doc, op->name, jv_copy(op->value), err);
	}
	return CAI_DJ_INVALID; /* check_op refused it already */
}

static bool has_value(const struct cai_dj_op *op)
{
	return op->kind == CAI_DJ_OP_SET_DEFAULT || op->kind == CAI_DJ_OP_UNSET_IF_EQUAL;
}

/* The operation on an empty document: what it says of its arguments alone. */
static enum cai_dj_outcome check_op(const struct cai_dj_op *op, struct cai_error *err)
{
	jv doc = jv_object();
	enum cai_dj_outcome rc = CAI_DJ_INVALID;
	switch (op->kind) {
	case CAI_DJ_OP_ADD_RUNTIME:
		rc = cai_dj_doc_add_runtime(&doc, op->name, op->path, false, NULL, err);
		break;
	case CAI_DJ_OP_REMOVE_RUNTIME:
		rc = cai_dj_doc_remove_runtime(&doc, op->name, false, err);
		break;
	case CAI_DJ_OP_SET_DEFAULT:
		rc = cai_dj_doc_set_default(&doc, op->name, jv_copy(op->value), err);
		break;
	case CAI_DJ_OP_UNSET_IF_EQUAL:
		rc = cai_dj_doc_unset_if_equal(&doc, op->name, jv_copy(op->value), err);
		break;
	default:
		cai_error_set(err, 0, "unknown operation %d", (int)op->kind);
	}
	jv_free(doc);
	return rc;
}

/* Bad arguments are refused before anything on disk is touched. */
static int check_arguments(struct cai_dj_op *ops, size_t n, struct cai_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (check_op(&ops[i], err) == CAI_DJ_INVALID) {
			ops[i].outcome = CAI_DJ_INVALID;
			return -1;
		}
	}
	return 0;
}

/* Run the operations in order on the document. Returns -1 with the failing
 * operation's outcome in *fail. */
static int run_ops(struct edit *e, struct cai_dj_op *ops, size_t n, enum cai_dj_outcome *fail, struct cai_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct cai_dj_op *op = &ops[i];
		op->outcome = apply(e, op, &op->note);
		if (op->outcome == CAI_DJ_REFUSED || op->outcome == CAI_DJ_INVALID)
			cai_error_prefix(&op->note, "`%s`", e->s.t.path);
		if (op->outcome == CAI_DJ_CHANGED)
			e->changed = true;
		else if (op->outcome == CAI_DJ_REFUSED && op->kind == CAI_DJ_OP_SET_DEFAULT && op->keep_theirs)
			continue;
		else if (op->outcome != CAI_DJ_UNCHANGED) {
			*err = op->note;
			*fail = op->outcome;
			return -1;
		}
		memset(&op->note, 0, sizeof(op->note));
	}
	return 0;
}

/* The bytes to write: those from before our earlier edit when this edit
 * undoes it exactly, else the document. Sets *restored to that snapshot. */
static char *result_bytes(struct edit *e, size_t *len, const struct undo_plan **restored)
{
	*restored = NULL;
	for (size_t i = 0; i < e->nplans; i++) {
		const struct undo_plan *p = &e->plans[i];
		if (!p->restorable)
			continue;
		jv before;
		struct cai_error ignored;
		if (cai_dj_parse(p->rec.had_file ? p->rec.before : "", p->rec.before_len, &before, &ignored) !=
		    CAI_DJ_CHANGED)
			continue;
		if (jv_equal(before, jv_copy(e->s.doc))) { /* consumes both */
			*restored = p;
			*len = p->rec.before_len;
			return p->rec.had_file ? dup_bytes(p->rec.before, p->rec.before_len) : NULL;
		}
	}
	return cai_dj_format(jv_copy(e->s.doc), len);
}

/* Our add created `runtimes`, but other runtimes added by us since are still
 * in it: their snapshots inherit the fact, so that the last removal takes
 * `runtimes` away. Best effort: a failure only leaves an empty `runtimes`. */
static void pass_on_created_runtimes(struct edit *e)
{
	jv runtimes = jv_object_get(jv_copy(e->s.doc), jv_string("runtimes"));
	if (jv_get_kind(runtimes) != JV_KIND_OBJECT) {
		jv_free(runtimes);
		return;
	}
	jv_object_foreach(runtimes, key, val)
	{
		struct cai_dj_undo other;
		struct cai_error ignored;
		cai_dj_undo_read(e->s.dirfd, e->s.t.base, jv_string_value(key), &other);
		if (other.present && !other.created_runtimes) {
			other.created_runtimes = true;
			cai_dj_undo_write(e->s.dirfd, e->s.t.dir, e->s.t.base, jv_string_value(key), &other, &ignored);
		}
		cai_dj_undo_free(&other);
		jv_free(key);
		jv_free(val);
	}
	jv_free(runtimes);
}

static int remove_snapshots(struct edit *e, bool pass_on, struct cai_error *err)
{
	for (size_t i = 0; i < e->nplans; i++) {
		struct undo_plan *p = &e->plans[i];
		if (p->write)
			continue;
		if (pass_on && p->rec.created_runtimes)
			pass_on_created_runtimes(e);
		if (cai_dj_undo_remove(e->s.dirfd, e->s.t.dir, e->s.t.base, p->runtime, err) < 0)
			return -1;
	}
	return 0;
}

static int write_snapshots(struct edit *e, const char *after, size_t after_len, struct cai_error *err)
{
	for (size_t i = 0; i < e->nplans; i++) {
		struct undo_plan *p = &e->plans[i];
		if (!p->write)
			continue;
		free(p->rec.after);
		p->rec.after = dup_bytes(after, after_len);
		p->rec.after_len = after_len;
		if (cai_dj_undo_write(e->s.dirfd, e->s.t.dir, e->s.t.base, p->runtime, &p->rec, err) < 0)
			return -1;
	}
	return 0;
}

static enum cai_dj_outcome io_error(struct cai_error *err)
{
	if (err->errnum == 0)
		err->errnum = EIO;
	return CAI_DJ_IO_ERROR;
}

/* Write the result: snapshots first, then the file, then what the undo used
 * up. */
static enum cai_dj_outcome commit(struct edit *e, struct cai_error *err)
{
	bool dry = e->opt->dry_run;
	/* Nothing to do, or operations that cancel out: nothing to write. */
	if (!e->changed || jv_equal(jv_copy(e->start), jv_copy(e->s.doc)))
		return !dry && remove_snapshots(e, false, err) < 0 ? io_error(err) : CAI_DJ_UNCHANGED;
	size_t len;
	const struct undo_plan *restored;
	cleanup_free char *out = result_bytes(e, &len, &restored);
	if (dry) {
		if (e->opt->preview && out)
			fwrite(out, 1, len, e->opt->preview);
		return CAI_DJ_CHANGED;
	}
	if (write_snapshots(e, out, len, err) < 0)
		return io_error(err);
	const char *dir = e->s.t.dir, *base = e->s.t.base;
	int rc = out ? cai_atomic_write_at(e->s.dirfd, dir, base, out, len, e->s.exists ? &e->s.st : NULL, 0644, err)
		     : cai_unlink_durable_at(e->s.dirfd, dir, base, err);
	if (rc < 0 || remove_snapshots(e, !restored, err) < 0)
		return io_error(err);
	return CAI_DJ_CHANGED;
}

static bool may_add(const struct cai_dj_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].kind == CAI_DJ_OP_ADD_RUNTIME || ops[i].kind == CAI_DJ_OP_SET_DEFAULT)
			return true;
	return false;
}

static void free_values(struct cai_dj_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (has_value(&ops[i]))
			jv_free(ops[i].value);
		ops[i].value = jv_invalid();
	}
}

enum cai_dj_outcome cai_dj_edit(const char *file, struct cai_dj_op *ops, size_t n, const struct cai_dj_options *opt,
				struct cai_error *err)
{
	if (!opt)
		opt = &no_options;
	for (size_t i = 0; i < n; i++) {
		ops[i].outcome = CAI_DJ_UNCHANGED;
		memset(&ops[i].note, 0, sizeof(ops[i].note));
	}
	enum cai_dj_outcome rc = CAI_DJ_INVALID;
	if (check_arguments(ops, n, err) < 0) {
		free_values(ops, n);
		return rc;
	}
	cleanup_free struct undo_plan *plans = xcalloc(n ? n : 1, sizeof(*plans));
	struct edit e = {.opt = opt, .plans = plans, .start = jv_null()};
	bool create = may_add(ops, n) && !opt->dry_run;
	if (cai_dj_session_open(&e.s, file, !opt->dry_run, create, err) < 0) {
		rc = err->errnum ? CAI_DJ_IO_ERROR : CAI_DJ_INVALID;
	} else {
		e.start = jv_copy(e.s.doc);
		if (run_ops(&e, ops, n, &rc, err) == 0)
			rc = commit(&e, err);
	}
	for (size_t i = 0; i < e.nplans; i++)
		cai_dj_undo_free(&plans[i].rec);
	jv_free(e.start);
	cai_dj_session_close(&e.s);
	free_values(ops, n);
	return rc;
}
