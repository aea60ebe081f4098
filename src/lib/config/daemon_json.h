/* Add and remove one runtime entry in a Docker daemon.json, losing nothing.
 *
 * MUST: keep every other key and value, in its original order; parse and
 *       print only with libjq; leave the file byte-identical on any refusal.
 * MUST NOT: set or change `default-runtime`; write when nothing changes
 *           (callers reload dockerd only on CAI_DJ_CHANGED); alter a number
 *           silently (jq 1.6 holds numbers as doubles: integers of magnitude
 *           2^53 or more, NaN and infinities are refused, CAI_DJ_INVALID).
 *
 * One change of the file is one transaction (daemon_json_edit.c): the
 * operations of one cai_dj_edit share one lock, one read, one write and one
 * undo snapshot. The file layer (daemon_json.c) reads, locks and writes; the
 * document layer (daemon_json_doc.c) is a pure jv -> jv transformation,
 * fuzzed directly.
 */
#ifndef CAI_DAEMON_JSON_H
#define CAI_DAEMON_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include <jv.h>

#include "error.h"

enum cai_dj_outcome {
	CAI_DJ_CHANGED,	  /* file written (or, with dry_run, would be) */
	CAI_DJ_UNCHANGED, /* already as asked: nothing written, mtime and inode unchanged */
	CAI_DJ_REFUSED,	  /* conflict: same name with another path without replace, removing the
			     default-runtime, key held with another value */
	CAI_DJ_INVALID,	  /* invalid input: bad JSON (line/column), top level not an object,
			     runtimes not an object, inexact number, bad arguments */
	CAI_DJ_IO_ERROR,  /* read/write/lock/fsync/rename failure */
};

struct cai_dj_options {
	bool replace;  /* add: replace the path of a same-name entry, keeping its other fields */
	bool dry_run;  /* compute and describe the change, write nothing */
	FILE *preview; /* dry_run: where to print the resulting file; may be NULL */
};

/* "changed", "unchanged", "refused", "invalid", "I/O error". */
const char *cai_dj_outcome_name(enum cai_dj_outcome o);

enum cai_dj_op_kind {
	CAI_DJ_OP_ADD_RUNTIME,	  /* runtimes.NAME = {"path": PATH}, as cai_dj_add_runtime */
	CAI_DJ_OP_REMOVE_RUNTIME, /* as cai_dj_remove_runtime */
	CAI_DJ_OP_SET_DEFAULT,	  /* KEY = VALUE if absent, as cai_dj_set_default */
	CAI_DJ_OP_UNSET_IF_EQUAL, /* as cai_dj_unset_if_equal */
};

/* One operation of an edit. */
struct cai_dj_op {
	enum cai_dj_op_kind kind;
	const char *name; /* the runtime, or the top-level key */
	const char *path; /* ADD_RUNTIME: the runtime's path */
	jv value;	  /* SET_DEFAULT, UNSET_IF_EQUAL: consumed by cai_dj_edit */
	/* SET_DEFAULT: a key held with another value is the admin's choice:
	 * leave it (outcome REFUSED, the reason in `note`) and go on with the
	 * other operations, instead of refusing the whole edit. */
	bool keep_theirs;
	/* Filled by cai_dj_edit: this operation's own outcome (CHANGED also
	 * with dry_run), and why, for a kept conflict. */
	enum cai_dj_outcome outcome;
	struct cai_error note;
};

/* Apply ops[0..n) in order to the file as one transaction: one lock, one
 * read, and at most one write, under one undo snapshot named after the
 * runtime an ADD_RUNTIME creates (so that removing that runtime, together
 * with unsetting what the same edit set, gives back the file's bytes from
 * before the edit). CHANGED: the file was (with dry_run, would be)
 * written; UNCHANGED: nothing to do; REFUSED, INVALID, IO_ERROR: the first
 * operation that failed is in err, and nothing was written. Every op's
 * value is consumed, whatever the outcome. */
enum cai_dj_outcome cai_dj_edit(const char *file, struct cai_dj_op *ops, size_t n, const struct cai_dj_options *opt,
				struct cai_error *err);

/* The single-operation edits: each is cai_dj_edit with one op. */

/* Add runtimes.NAME = {"path": PATH}. Same name with the same path is
 * UNCHANGED whatever its other fields; another path is REFUSED unless
 * opt->replace, which sets the path and keeps the entry's other fields. An
 * add that creates the entry keeps an undo snapshot (see remove). */
enum cai_dj_outcome cai_dj_add_runtime(const char *file, const char *name, const char *path,
				       const struct cai_dj_options *opt, struct cai_error *err);

/* Remove runtimes.NAME. If the file still holds exactly the bytes our add
 * wrote, the bytes from before that add come back (no file if it created
 * the file); otherwise only the entry goes, and `runtimes` too if our add
 * created it and it is now empty. REFUSED if NAME is the default-runtime. */
enum cai_dj_outcome cai_dj_remove_runtime(const char *file, const char *name, const struct cai_dj_options *opt,
					  struct cai_error *err);

/* Set top-level KEY to VALUE only if KEY is absent (UNCHANGED if present
 * with an equal value, REFUSED if present with another value, naming the key
 * and both values). `value` is consumed. */
enum cai_dj_outcome cai_dj_set_default(const char *file, const char *key, jv value, const struct cai_dj_options *opt,
				       struct cai_error *err);

/* Remove top-level KEY only if its value equals VALUE (else UNCHANGED).
 * `value` is consumed. */
enum cai_dj_outcome cai_dj_unset_if_equal(const char *file, const char *key, jv value, const struct cai_dj_options *opt,
					  struct cai_error *err);

/* Parse the file (missing or whitespace-only = {}) with the same checks as
 * the editing calls. On failure returns -1 with err->errnum != 0 for an I/O
 * error and 0 for invalid content. *out is owned by the caller. */
int cai_dj_load(const char *file, jv *out, struct cai_error *err);

/* The document layer: no I/O. Each takes *doc (a valid document from
 * cai_dj_parse), and replaces it only on CAI_DJ_CHANGED. */

/* Parse daemon.json bytes: empty or whitespace-only is {}. Checks UTF-8,
 * syntax (jq's "at line L, column C"), a top-level object, an object
 * `runtimes` whose entries are objects, and exact numbers. */
enum cai_dj_outcome cai_dj_parse(const char *buf, size_t len, jv *out, struct cai_error *err);

/* The bytes we write: 2-space indent, keys in document order, final
 * newline. Consumes doc; returns malloc'd bytes and their length. */
char *cai_dj_format(jv doc, size_t *len);

enum cai_dj_outcome cai_dj_doc_add_runtime(jv *doc, const char *name, const char *path, bool replace,
					   bool *created_runtimes, struct cai_error *err);
enum cai_dj_outcome cai_dj_doc_remove_runtime(jv *doc, const char *name, bool drop_empty_runtimes,
					      struct cai_error *err);
/* value consumed */
enum cai_dj_outcome cai_dj_doc_set_default(jv *doc, const char *key, jv value, struct cai_error *err);
enum cai_dj_outcome cai_dj_doc_unset_if_equal(jv *doc, const char *key, jv value, struct cai_error *err);

#endif
