/* The daemon.json editor on real files in a temporary directory: a table
 * of inputs with the exact bytes written or the exact outcome and message,
 * then the file-level properties (modes, owners, inodes, links, undo). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "daemon_json.h"
#include "scratch.h"
#include "tap.h"

/* Replace every "@F@" in tmpl with file. */
static char *subst(const char *tmpl, const char *file)
{
	char *out = xstrdup("");
	for (const char *p = tmpl; *p;) {
		const char *at = strstr(p, "@F@");
		size_t n = at ? (size_t)(at - p) : strlen(p);
		char *next = xasprintf("%s%.*s%s", out, (int)n, p, at ? file : "");
		free(out);
		out = next;
		p += n + (at ? 3 : 0);
	}
	return out;
}

enum op { ADD, REPLACE, REMOVE, SET, UNSET };

struct tcase {
	const char *what;
	const char *input; /* NULL: no file */
	enum op op;
	const char *arg1, *arg2; /* NAME PATH, or KEY JSON */
	enum cai_dj_outcome want;
	const char *output; /* the file afterwards; NULL: byte-identical to input */
	const char *msg;    /* exact error message (@F@ = the file), or NULL */
};

#define RT(name, path) "\"runtimes\": {\n    \"" name "\": {\n      \"path\": \"" path "\"\n    }\n  }"
#define SYSBOX RT("sysbox-runc", "/usr/bin/sysbox-runc")

static const struct tcase cases[] = {
    {"add to {}", "{}\n", ADD, "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_CHANGED, "{\n  " SYSBOX "\n}\n", NULL},
    {"add to a missing file", NULL, ADD, "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_CHANGED, "{\n  " SYSBOX "\n}\n",
     NULL},
    {"an empty file is {}", "", ADD, "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_CHANGED, "{\n  " SYSBOX "\n}\n",
     NULL},
    {"a whitespace-only file is {}", " \n\t\r\n ", ADD, "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_CHANGED,
     "{\n  " SYSBOX "\n}\n", NULL},
    {"siblings and their order kept, runtime appended after existing ones",
     "{\"z-last\": 1, \"runtimes\": {\"nvidia\": {\"path\": \"nvidia-container-runtime\", \"runtimeArgs\": []}}, "
     "\"a-first\": [true, null, \"s\"], \"features\": {\"buildkit\": true}}",
     ADD, "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_CHANGED,
     "{\n  \"z-last\": 1,\n  \"runtimes\": {\n    \"nvidia\": {\n      \"path\": \"nvidia-container-runtime\",\n"
     "      \"runtimeArgs\": []\n    },\n    \"sysbox-runc\": {\n      \"path\": \"/usr/bin/sysbox-runc\"\n    }\n"
     "  },\n  \"a-first\": [\n    true,\n    null,\n    \"s\"\n  ],\n  \"features\": {\n    \"buildkit\": true\n  "
     "}\n}\n",
     NULL},
    {"default-runtime is kept as it is", "{\"default-runtime\": \"runc\"}", ADD, "sysbox-runc", "/usr/bin/sysbox-runc",
     CAI_DJ_CHANGED, "{\n  \"default-runtime\": \"runc\",\n  " SYSBOX "\n}\n", NULL},
    {"same name, same path: unchanged", "{\"runtimes\":{\"sysbox-runc\":{\"path\":\"/usr/bin/sysbox-runc\"}}}", ADD,
     "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_UNCHANGED, NULL, NULL},
    {"same name and path with runtimeArgs: unchanged",
     "{\"runtimes\":{\"sysbox-runc\":{\"path\":\"/usr/bin/sysbox-runc\",\"runtimeArgs\":[\"--x\"]}}}", ADD,
     "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_UNCHANGED, NULL, NULL},
    {"same name, another path: refused", "{\"runtimes\":{\"sysbox-runc\":{\"path\":\"/opt/x\"}}}", ADD, "sysbox-runc",
     "/usr/bin/sysbox-runc", CAI_DJ_REFUSED, NULL,
     "`@F@`: runtime `sysbox-runc` already exists with path `/opt/x` (pass --replace to change its path, "
     "keeping its other fields)"},
    {"--replace sets the path and keeps runtimeArgs and order",
     "{\"runtimes\":{\"sysbox-runc\":{\"runtimeArgs\":[\"--debug\"],\"path\":\"/opt/x\",\"extra\":{\"k\":1}}}}",
     REPLACE, "sysbox-runc", "/usr/bin/sysbox-runc", CAI_DJ_CHANGED,
     "{\n  \"runtimes\": {\n    \"sysbox-runc\": {\n      \"runtimeArgs\": [\n        \"--debug\"\n      ],\n"
     "      \"path\": \"/usr/bin/sysbox-runc\",\n      \"extra\": {\n        \"k\": 1\n      }\n    }\n  }\n}\n",
     NULL},
    {"--replace on an entry without a path adds it", "{\"runtimes\":{\"s\":{\"runtimeType\":\"io.x.v1\"}}}", REPLACE,
     "s", "/p", CAI_DJ_CHANGED,
     "{\n  \"runtimes\": {\n    \"s\": {\n      \"runtimeType\": \"io.x.v1\",\n      \"path\": \"/p\"\n    }\n  }\n}\n",
     NULL},
    {"an entry without a path is refused without --replace", "{\"runtimes\":{\"s\":{\"runtimeType\":\"io.x.v1\"}}}",
     ADD, "s", "/p", CAI_DJ_REFUSED, NULL,
     "`@F@`: runtime `s` already exists with path `(absent)` (pass --replace to change its path, keeping its "
     "other fields)"},
    {"the reserved name runc is invalid", "{}", ADD, "runc", "/x", CAI_DJ_INVALID, NULL,
     "the runtime name `runc` is reserved by dockerd (it would refuse to start)"},
    {"an empty runtime name is invalid", "{}", ADD, "", "/x", CAI_DJ_INVALID, NULL, "the runtime name is empty"},
    {"an empty runtime path is invalid", "{}", ADD, "x", "", CAI_DJ_INVALID, NULL, "the runtime path is empty"},
    {"invalid JSON: line and column, file untouched", "{\"a\": 1,\n \"b\" 2}", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: invalid JSON: Expected separator between values at line 2, column 7; fix the file by hand; it "
     "was left unchanged"},
    {"unfinished JSON", "{\"a\": [1,\n", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: invalid JSON: Unfinished JSON term at EOF at line 2, column 0; fix the file by hand; it was left "
     "unchanged"},
    {"a second top-level value", "{} {}", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: invalid JSON: a second value follows the top-level object; fix the file by hand; it was left "
     "unchanged"},
    {"jq's nan literal is refused", "{\"a\": nan}", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: the number at `.a` cannot be kept exactly (jq holds numbers as doubles: integers must be below 2^53 "
     "in magnitude, and NaN and infinities are not JSON); fix the file by hand; it was left unchanged"},
    {"invalid UTF-8: line and column", "{\"a\": \"ok\",\n \"b\": \"\xff\"}", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: invalid UTF-8 at line 2, column 8; fix the file by hand; it was left unchanged"},
    {"top level an array", "[1, 2]", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: the top level is array, not an object; fix the file by hand; it was left unchanged"},
    {"top level a string", "\"x\"", REMOVE, "x", NULL, CAI_DJ_INVALID, NULL,
     "`@F@`: the top level is string, not an object; fix the file by hand; it was left unchanged"},
    {"runtimes not an object", "{\"runtimes\": [\"sysbox-runc\"]}", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: `.runtimes` is array, not an object; fix the file by hand; it was left unchanged"},
    {"a runtime entry not an object", "{\"runtimes\": {\"sysbox-runc\": \"/usr/bin/sysbox-runc\"}}", ADD, "sysbox-runc",
     "/usr/bin/sysbox-runc", CAI_DJ_INVALID, NULL,
     "`@F@`: `.runtimes.sysbox-runc` is string, not an object; fix the file by hand; it was left unchanged"},
    {"integer 2^53 refused, naming its path",
     "{\"default-ulimits\": {\"nofile\": {\"Name\": \"nofile\", \"Hard\": 9007199254740992, \"Soft\": 1024}}}", ADD,
     "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: the number at `.default-ulimits.nofile.Hard` cannot be kept exactly (jq holds numbers as doubles: "
     "integers must be below 2^53 in magnitude, and NaN and infinities are not JSON); fix the file by hand; it "
     "was left unchanged"},
    {"a big negative integer in an array refused", "{\"a b\": [1, -18446744073709551616]}", ADD, "x", "/x",
     CAI_DJ_INVALID, NULL,
     "`@F@`: the number at `[\"a b\"][1]` cannot be kept exactly (jq holds numbers as doubles: integers must be "
     "below 2^53 in magnitude, and NaN and infinities are not JSON); fix the file by hand; it was left unchanged"},
    {"an overflowing number refused", "{\"x\": 1e400}", ADD, "x", "/x", CAI_DJ_INVALID, NULL,
     "`@F@`: the number at `.x` cannot be kept exactly (jq holds numbers as doubles: integers must be below 2^53 "
     "in magnitude, and NaN and infinities are not JSON); fix the file by hand; it was left unchanged"},
    {"integers below 2^53 and fractions kept exactly",
     "{\"max\": 9007199254740991, \"min\": -9007199254740991, \"f\": 0.1, \"g\": -2.5, \"z\": 0}", ADD, "x", "/x",
     CAI_DJ_CHANGED,
     "{\n  \"max\": 9007199254740991,\n  \"min\": -9007199254740991,\n  \"f\": 0.1,\n  \"g\": -2.5,\n  \"z\": 0,\n  "
     "\"runtimes\": {\n    \"x\": {\n      \"path\": \"/x\"\n    }\n  }\n}\n",
     NULL},
    {"remove: only our entry goes, runtimes stays",
     "{\"a\":1,\"runtimes\":{\"nvidia\":{\"path\":\"/n\"},\"sysbox-runc\":{\"path\":\"/s\"}},\"b\":2}", REMOVE,
     "sysbox-runc", NULL, CAI_DJ_CHANGED,
     "{\n  \"a\": 1,\n  \"runtimes\": {\n    \"nvidia\": {\n      \"path\": \"/n\"\n    }\n  },\n  \"b\": 2\n}\n",
     NULL},
    {"remove without our snapshot keeps an empty runtimes", "{\"runtimes\":{\"sysbox-runc\":{\"path\":\"/s\"}}}",
     REMOVE, "sysbox-runc", NULL, CAI_DJ_CHANGED, "{\n  \"runtimes\": {}\n}\n", NULL},
    {"remove an absent runtime: unchanged", "{\"runtimes\":{\"nvidia\":{\"path\":\"/n\"}}}", REMOVE, "sysbox-runc",
     NULL, CAI_DJ_UNCHANGED, NULL, NULL},
    {"remove from a missing file: unchanged", NULL, REMOVE, "sysbox-runc", NULL, CAI_DJ_UNCHANGED, NULL, NULL},
    {"remove the default-runtime: refused",
     "{\"default-runtime\":\"sysbox-runc\",\"runtimes\":{\"sysbox-runc\":{\"path\":\"/s\"}}}", REMOVE, "sysbox-runc",
     NULL, CAI_DJ_REFUSED, NULL,
     "`@F@`: runtime `sysbox-runc` is the `default-runtime`; without it dockerd would not start (set "
     "`default-runtime` to another runtime first)"},
    {"set-default on an absent key appends it", "{\"a\":1}", SET, "bridge", "\"cai0\"", CAI_DJ_CHANGED,
     "{\n  \"a\": 1,\n  \"bridge\": \"cai0\"\n}\n", NULL},
    {"set-default with an equal value: unchanged", "{\"bridge\":\"cai0\"}", SET, "bridge", "\"cai0\"", CAI_DJ_UNCHANGED,
     NULL, NULL},
    {"set-default with another value: refused naming both", "{\"bridge\":\"docker0\"}", SET, "bridge", "\"cai0\"",
     CAI_DJ_REFUSED, NULL,
     "`@F@`: `bridge` is already set to \"docker0\"; refusing to change it to \"cai0\" (change or remove it by "
     "hand)"},
    {"set-default never sets default-runtime", "{}", SET, "default-runtime", "\"sysbox-runc\"", CAI_DJ_INVALID, NULL,
     "`default-runtime` is never set or changed by this tool"},
    {"set-default refuses an inexact number", "{}", SET, "n", "9007199254740993", CAI_DJ_INVALID, NULL,
     "in the value, the number at `.` cannot be kept exactly (jq holds numbers as doubles: integers must be below "
     "2^53 in magnitude, and NaN and infinities are not JSON)"},
    {"unset an equal value", "{\"bridge\":\"cai0\",\"a\":1}", UNSET, "bridge", "\"cai0\"", CAI_DJ_CHANGED,
     "{\n  \"a\": 1\n}\n", NULL},
    {"unset another value: unchanged", "{\"bridge\":\"docker0\"}", UNSET, "bridge", "\"cai0\"", CAI_DJ_UNCHANGED, NULL,
     NULL},
    {"unset an absent key: unchanged", "{}", UNSET, "bridge", "\"cai0\"", CAI_DJ_UNCHANGED, NULL, NULL},
};

static enum cai_dj_outcome run_op(const char *file, const struct tcase *c, const struct cai_dj_options *o,
				  struct cai_error *err)
{
	struct cai_dj_options opt = *o;
	switch (c->op) {
	case REPLACE:
		opt.replace = true;
		/* fall through */
	case ADD:
		return cai_dj_add_runtime(file, c->arg1, c->arg2, &opt, err);
	case REMOVE:
		return cai_dj_remove_runtime(file, c->arg1, &opt, err);
	case SET:
		return cai_dj_set_default(file, c->arg1, jv_parse(c->arg2), &opt, err);
	case UNSET:
		return cai_dj_unset_if_equal(file, c->arg1, jv_parse(c->arg2), &opt, err);
	}
	return CAI_DJ_IO_ERROR;
}

static void table(void)
{
	for (size_t i = 0; i < CAI_ARRAY_LEN(cases); i++) {
		const struct tcase *c = &cases[i];
		clear_dir();
		cleanup_free char *file = path_of("daemon.json");
		if (c->input)
			put(file, c->input);

		/* The dry run first: same outcome, nothing written, and the
		 * preview is exactly what the real run then writes. */
		char *pv = NULL;
		size_t pvlen = 0;
		FILE *pf = open_memstream(&pv, &pvlen);
		struct cai_dj_options dry = {.dry_run = true, .preview = pf};
		struct cai_error err = {0};
		enum cai_dj_outcome drc = run_op(file, c, &dry, &err);
		fclose(pf);
		cleanup_free char *after_dry = slurp(file);
		bool untouched = c->input ? after_dry && strcmp(after_dry, c->input) == 0 : !after_dry;
		ok(drc == c->want && untouched, "%s: dry run gives %s and writes nothing", c->what,
		   cai_dj_outcome_name(c->want));

		memset(&err, 0, sizeof(err));
		struct cai_dj_options real = {0};
		enum cai_dj_outcome rc = run_op(file, c, &real, &err);
		is_str(cai_dj_outcome_name(rc), cai_dj_outcome_name(c->want), "%s: outcome", c->what);
		cleanup_free char *got = slurp(file);
		const char *want = c->output ? c->output : c->input;
		if (want)
			is_str(got, want, "%s: file bytes", c->what);
		else
			ok(!got, "%s: still no file", c->what);
		if (c->output)
			is_str(pv, c->output, "%s: the dry-run preview is what was written", c->what);
		free(pv);
		if (c->msg) {
			cleanup_free char *wmsg = subst(c->msg, file);
			is_str(err.msg, wmsg, "%s: message", c->what);
		}
	}
}

static void stat_of(const char *p, struct stat *st)
{
	if (lstat(p, st) < 0)
		memset(st, 0, sizeof(*st));
}

static void file_properties(void)
{
	struct cai_error err = {0};
	struct stat a, b;

	/* Missing parents: created 0755 whatever the umask; file 0644. */
	clear_dir();
	mode_t old = umask(077);
	cleanup_free char *deep = path_of("etc/containai/docker/daemon.json");
	is_int(cai_dj_add_runtime(deep, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err), CAI_DJ_CHANGED,
	       "add to a file under missing directories");
	umask(old);
	cleanup_free char *d1 = path_of("etc"), *d3 = path_of("etc/containai/docker");
	stat_of(d1, &a);
	is_int(a.st_mode & 07777, 0755, "a created parent directory is 0755");
	stat_of(d3, &a);
	is_int(a.st_mode & 07777, 0755, "the created directory holding the file is 0755");
	stat_of(deep, &a);
	is_int(a.st_mode & 07777, 0644, "a created file is 0644");

	/* UNCHANGED: no write at all. */
	clear_dir();
	cleanup_free char *f = path_of("daemon.json");
	put(f, "{\"runtimes\":{\"sysbox-runc\":{\"path\":\"/usr/bin/sysbox-runc\"}}}");
	struct timespec past[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	utimensat(AT_FDCWD, f, past, 0);
	stat_of(f, &a);
	is_int(cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err), CAI_DJ_UNCHANGED,
	       "adding the same entry again is unchanged");
	stat_of(f, &b);
	ok(a.st_ino == b.st_ino && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec,
	   "unchanged keeps the inode and the mtime");

	/* A changed file is a new inode (rename), with the old mode and owner. */
	clear_dir();
	put(f, "{}");
	chmod(f, 0640);
	bool root = geteuid() == 0;
	if (root)
		chown(f, 1234, 5678) == 0 ? (void)0 : perror("chown");
	stat_of(f, &a);
	is_int(cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err), CAI_DJ_CHANGED,
	       "add to a 0640 file");
	stat_of(f, &b);
	is_int(b.st_mode & 07777, 0640, "the mode is kept");
	ok(a.st_ino != b.st_ino, "the file was replaced by rename, not rewritten in place");
	if (root) {
		is_int(b.st_uid, 1234, "the owner is kept");
		is_int(b.st_gid, 5678, "the group is kept");
	} else {
		skip("needs root to chown to a test uid", "the owner is kept");
		skip("needs root to chown to a test gid", "the group is kept");
	}

	/* A symlinked daemon.json: the target is edited, the link stays. */
	clear_dir();
	cleanup_free char *real = path_of("real.json"), *link = path_of("daemon.json");
	put(real, "{\"log-level\":\"warn\"}");
	ok(symlink("real.json", link) == 0, "make a symlink daemon.json -> real.json");
	is_int(cai_dj_add_runtime(link, "x", "/x", NULL, &err), CAI_DJ_CHANGED, "add through a relative symlink");
	stat_of(link, &a);
	ok(S_ISLNK(a.st_mode), "the symlink is still a symlink");
	cleanup_free char *rb = slurp(real);
	is_str(
	    rb,
	    "{\n  \"log-level\": \"warn\",\n  \"runtimes\": {\n    \"x\": {\n      \"path\": \"/x\"\n    }\n  }\n}\n",
	    "its target holds the result");
	is_int(cai_dj_remove_runtime(link, "x", NULL, &err), CAI_DJ_CHANGED, "remove through the symlink");
	free(rb);
	rb = slurp(real);
	is_str(rb, "{\"log-level\":\"warn\"}", "the target's original bytes are back");
	stat_of(link, &a);
	ok(S_ISLNK(a.st_mode), "and the link is still a link");

	/* A dangling symlink: the target is created. */
	clear_dir();
	cleanup_free char *sub = path_of("conf");
	mkdir(sub, 0700);
	ok(symlink("conf/target.json", link) == 0, "make a dangling symlink");
	is_int(cai_dj_add_runtime(link, "x", "/x", NULL, &err), CAI_DJ_CHANGED, "add through a dangling symlink");
	cleanup_free char *tgt = path_of("conf/target.json");
	stat_of(link, &a);
	stat_of(tgt, &b);
	ok(S_ISLNK(a.st_mode) && S_ISREG(b.st_mode), "the link's target was created and the link kept");

	/* Not a regular file, and a parent that is a file: I/O errors. */
	clear_dir();
	mkdir(f, 0755);
	memset(&err, 0, sizeof(err));
	is_int(cai_dj_add_runtime(f, "x", "/x", NULL, &err), CAI_DJ_IO_ERROR, "a directory at the file's path");
	cleanup_free char *wmsg = xasprintf("open `%s`: not a regular file", f);
	is_str(err.msg, wmsg, "its message names it");
	clear_dir();
	cleanup_free char *blocker = path_of("blocker"), *under = path_of("blocker/daemon.json");
	put(blocker, "x");
	memset(&err, 0, sizeof(err));
	is_int(cai_dj_add_runtime(under, "x", "/x", NULL, &err), CAI_DJ_IO_ERROR, "a parent that is a file");
	is_int(err.errnum, ENOTDIR, "ENOTDIR is reported");

	/* Stale temp files of a killed writer are cleaned under the lock. */
	clear_dir();
	cleanup_free char *stale = path_of(".daemon.json.cai-tmp-0123456789ab");
	cleanup_free char *stale_undo = path_of("..daemon.json.cai-undo-x.cai-tmp-0123456789ab");
	cleanup_free char *foreign = path_of(".other.json.cai-tmp-0123456789ab");
	put(stale, "half");
	put(stale_undo, "half");
	put(foreign, "not ours");
	put(f, "{}");
	cai_dj_add_runtime(f, "x", "/x", NULL, &err);
	ok(access(stale, F_OK) < 0, "a stale temp file is removed by the next write");
	ok(access(stale_undo, F_OK) < 0, "so is a stale temp file of an undo snapshot");
	ok(access(foreign, F_OK) == 0, "another file's temp file is left alone");
}

static void undo(void)
{
	struct cai_error err = {0};
	cleanup_free char *f = path_of("daemon.json");
	static const char *const originals[] = {
	    "{\"log-level\":\"warn\",   \"debug\" : false}",
	    "\t{\n\t\"runtimes\": {\"nvidia\": {\"path\": \"/n\"}}\n}\n\n",
	    "",
	    "  {\"s\": \"\\u00e9\\u0000\", \"n\": 1.50}  ",
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(originals); i++) {
		clear_dir();
		put(f, originals[i]);
		cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err);
		is_int(cai_dj_remove_runtime(f, "sysbox-runc", NULL, &err), CAI_DJ_CHANGED, "undo %zu: removed", i);
		cleanup_free char *got = slurp(f);
		is_str(got, originals[i], "undo %zu: add then remove gives back the original bytes", i);
	}

	clear_dir();
	cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err);
	is_int(cai_dj_remove_runtime(f, "sysbox-runc", NULL, &err), CAI_DJ_CHANGED,
	       "remove after an add created the file");
	ok(access(f, F_OK) < 0, "the file the add created is gone again");
	cleanup_free char *snap = path_of(".daemon.json.cai-undo-sysbox-runc");
	ok(access(snap, F_OK) < 0, "the undo snapshot is removed once used");

	/* Our own entry, unchanged since our add, is re-pointed without
	 * --replace (a new version puts the runtime elsewhere), and the undo
	 * still gives back the bytes before the first add. An entry someone
	 * changed since is not ours any more: refused. */
	clear_dir();
	put(f, "{\"log-level\": \"warn\"}");
	is_int(cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err), CAI_DJ_CHANGED, "ours: added");
	is_int(cai_dj_add_runtime(f, "sysbox-runc", "/opt/sysbox/bin/sysbox-runc", NULL, &err), CAI_DJ_CHANGED,
	       "ours, unchanged since: re-pointed without --replace");
	{
		cleanup_free char *now = slurp(f);
		ok(strstr(now, "/opt/sysbox/bin/sysbox-runc") != NULL, "the new path is written");
	}
	is_int(cai_dj_remove_runtime(f, "sysbox-runc", NULL, &err), CAI_DJ_CHANGED, "ours: removed");
	{
		cleanup_free char *back = slurp(f);
		is_str(back, "{\"log-level\": \"warn\"}", "the original bytes come back after a re-point");
	}
	clear_dir();
	put(f, "{}");
	cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err);
	put(f, "{\"runtimes\": {\"sysbox-runc\": {\"path\": \"/usr/bin/sysbox-runc\", \"runtimeArgs\": [\"--x\"]}}}");
	is_int(cai_dj_add_runtime(f, "sysbox-runc", "/opt/sysbox/bin/sysbox-runc", NULL, &err), CAI_DJ_REFUSED,
	       "an entry an admin changed since our add is not re-pointed without --replace");

	/* Someone edits the file after our add: only our entry goes, and the
	 * runtimes object our add created. */
	clear_dir();
	put(f, "{\"a\": 1}");
	cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err);
	cai_dj_set_default(f, "b", jv_number(2), NULL, &err);
	is_int(cai_dj_remove_runtime(f, "sysbox-runc", NULL, &err), CAI_DJ_CHANGED, "remove after another edit");
	cleanup_free char *got = slurp(f);
	is_str(got, "{\n  \"a\": 1,\n  \"b\": 2\n}\n", "only our entry and our runtimes object went");
	ok(access(snap, F_OK) < 0, "the stale snapshot is removed");

	/* Our entry removed by hand: remove is unchanged and drops the snapshot. */
	clear_dir();
	put(f, "{}");
	cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err);
	ok(access(snap, F_OK) == 0, "an add that creates the entry leaves a snapshot");
	put(f, "{\"runtimes\": {}}");
	is_int(cai_dj_remove_runtime(f, "sysbox-runc", NULL, &err), CAI_DJ_UNCHANGED,
	       "remove after the entry was removed by hand: unchanged");
	ok(access(snap, F_OK) < 0, "and the stale snapshot is removed");
	free(got);
	got = slurp(f);
	is_str(got, "{\"runtimes\": {}}", "the file is left as it was");

	/* Two of our runtimes, removed in the order they were added: the
	 * runtimes object our first add created still goes with the last. */
	clear_dir();
	put(f, "{\"a\": 1}");
	cai_dj_add_runtime(f, "first", "/1", NULL, &err);
	cai_dj_add_runtime(f, "second", "/2", NULL, &err);
	is_int(cai_dj_remove_runtime(f, "first", NULL, &err), CAI_DJ_CHANGED, "remove the first of two of ours");
	is_int(cai_dj_remove_runtime(f, "second", NULL, &err), CAI_DJ_CHANGED, "then the second");
	free(got);
	got = slurp(f);
	is_str(got, "{\n  \"a\": 1\n}\n", "the runtimes object our first add created is gone too");
	/* In the reverse order each undo gives back the bytes before it. */
	clear_dir();
	put(f, "{\"a\": 1}");
	cai_dj_add_runtime(f, "first", "/1", NULL, &err);
	cai_dj_add_runtime(f, "second", "/2", NULL, &err);
	cai_dj_remove_runtime(f, "second", NULL, &err);
	cai_dj_remove_runtime(f, "first", NULL, &err);
	free(got);
	got = slurp(f);
	is_str(got, "{\"a\": 1}", "removed in reverse order: the original bytes");

	/* ... but a runtimes object someone else filled in the meantime stays. */
	clear_dir();
	put(f, "{}");
	cai_dj_add_runtime(f, "sysbox-runc", "/usr/bin/sysbox-runc", NULL, &err);
	cai_dj_add_runtime(f, "nvidia", "/n", NULL, &err);
	is_int(cai_dj_remove_runtime(f, "sysbox-runc", NULL, &err), CAI_DJ_CHANGED,
	       "remove ours beside another runtime");
	free(got);
	got = slurp(f);
	is_str(got, "{\n  \"runtimes\": {\n    \"nvidia\": {\n      \"path\": \"/n\"\n    }\n  }\n}\n",
	       "the other runtime stays");

	/* A --replace is not undone to the old path: remove removes. */
	clear_dir();
	put(f, "{\"runtimes\":{\"s\":{\"path\":\"/old\",\"runtimeArgs\":[\"-x\"]}}}");
	struct cai_dj_options rep = {.replace = true};
	cai_dj_add_runtime(f, "s", "/new", &rep, &err);
	is_int(cai_dj_remove_runtime(f, "s", NULL, &err), CAI_DJ_CHANGED, "remove after a replace");
	free(got);
	got = slurp(f);
	is_str(got, "{\n  \"runtimes\": {}\n}\n", "the replaced entry is removed, not restored");

	/* Dry run of an undo: nothing changes, the preview is the old bytes. */
	clear_dir();
	put(f, "{ }");
	cai_dj_add_runtime(f, "s", "/s", NULL, &err);
	char *pv = NULL;
	size_t pvlen = 0;
	FILE *pf = open_memstream(&pv, &pvlen);
	struct cai_dj_options dry = {.dry_run = true, .preview = pf};
	is_int(cai_dj_remove_runtime(f, "s", &dry, &err), CAI_DJ_CHANGED, "dry run of an undo");
	fclose(pf);
	is_str(pv, "{ }", "its preview is the original bytes");
	free(pv);
	cleanup_free char *snap2 = path_of(".daemon.json.cai-undo-s");
	ok(access(snap2, F_OK) == 0, "and the snapshot is still there");
}

static void load(void)
{
	struct cai_error err = {0};
	cleanup_free char *f = path_of("daemon.json");
	jv doc;
	clear_dir();
	ok(cai_dj_load(f, &doc, &err) == 0 && jv_equal(doc, jv_object()), "load: a missing file is {}");
	put(f, "\n  \n");
	ok(cai_dj_load(f, &doc, &err) == 0 && jv_equal(doc, jv_object()), "load: a whitespace-only file is {}");
	put(f, "{\"a\": [1, {\"b\": null}]}");
	ok(cai_dj_load(f, &doc, &err) == 0 && jv_equal(doc, jv_parse("{\"a\": [1, {\"b\": null}]}")), "load: parses");
	put(f, "{");
	memset(&err, 0, sizeof(err));
	ok(cai_dj_load(f, &doc, &err) < 0 && err.errnum == 0, "load: invalid content has errnum 0");
	unlink(f);
	mkdir(f, 0700);
	ok(cai_dj_load(f, &doc, &err) < 0 && err.errnum != 0, "load: an unreadable file has an errnum");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	table();
	file_properties();
	undo();
	load();
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
