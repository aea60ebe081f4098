/* One edit of several operations is one transaction: setup's edit and
 * teardown's, the previous version's undo snapshots, kept conflicts, and a
 * failing operation that leaves the file as it was. */
#include <ftw.h>
#include <sys/stat.h>

#include "daemon_json.h"
#include "engine_config.h"
#include "scratch.h"
#include "tap.h"

static int count_undo_snapshots(void)
{
	cleanup_free char *cmd = xasprintf("ls -A %s | grep -c cai-undo", tmpdir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static enum cai_dj_outcome setup_edit(const char *f, int major, struct cai_dj_op *ops, size_t *n)
{
	struct cai_error err = {0};
	*n = cai_engine_config_setup_ops(ops, major);
	return cai_dj_edit(f, ops, *n, NULL, &err);
}

static enum cai_dj_outcome teardown_edit(const char *f)
{
	struct cai_dj_op ops[CAI_ENGINE_CONFIG_MAX_OPS];
	struct cai_error err = {0};
	size_t n = cai_engine_config_teardown_ops(ops);
	return cai_dj_edit(f, ops, n, NULL, &err);
}

static void setup_then_teardown(void)
{
	static const char *const originals[] = {
	    "{ \"log-level\" : \"warn\",\n\t\"debug\": false }\n",
	    "{\"runtimes\": {\"nvidia\": {\"path\": \"/n\"}}, \"x\": 1.50}",
	    "",
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(originals); i++) {
		clear_dir();
		cleanup_free char *f = path_of("daemon.json");
		put(f, originals[i]);
		struct cai_dj_op ops[CAI_ENGINE_CONFIG_MAX_OPS];
		size_t n;
		is_int(setup_edit(f, 20, ops, &n), CAI_DJ_CHANGED, "setup %zu: one edit changes the file", i);
		is_int(n, 3, "setup %zu: runtime, bridge and trust key for dockerd 20", i);
		for (size_t j = 0; j < n; j++)
			is_int(ops[j].outcome, CAI_DJ_CHANGED, "setup %zu: operation %zu changed", i, j);
		is_int(count_undo_snapshots(), 1, "setup %zu: one undo snapshot", i);
		cleanup_free char *mid = slurp(f);
		ok(mid && strstr(mid, "sysbox-runc") && strstr(mid, "cai0") && strstr(mid, "key.json"),
		   "setup %zu: the file holds all three", i);
		is_int(setup_edit(f, 20, ops, &n), CAI_DJ_UNCHANGED, "setup %zu: again, unchanged", i);
		is_int(teardown_edit(f), CAI_DJ_CHANGED, "teardown %zu: one edit", i);
		cleanup_free char *got = slurp(f);
		is_str(got, originals[i], "teardown %zu: the original bytes come back", i);
		is_int(count_undo_snapshots(), 0, "teardown %zu: the snapshot is used up", i);
	}

	/* No file before setup: none after teardown. */
	clear_dir();
	cleanup_free char *f = path_of("daemon.json");
	struct cai_dj_op ops[CAI_ENGINE_CONFIG_MAX_OPS];
	size_t n;
	setup_edit(f, 24, ops, &n);
	is_int(n, 2, "dockerd 24: no trust key");
	is_int(teardown_edit(f), CAI_DJ_CHANGED, "teardown of a file setup created");
	ok(access(f, F_OK) < 0, "the file is gone again");
}

/* The previous version wrote the runtime entry with its own snapshot, then
 * the bridge and the trust key as separate writes. */
static void previous_version_snapshot(void)
{
	clear_dir();
	cleanup_free char *f = path_of("daemon.json");
	cleanup_free char *snap = path_of(".daemon.json.cai-undo-sysbox-runc");
	static const char before[] = "{\"log-level\": \"warn\"}\n";
	static const char after_add[] = "{\n  \"log-level\": \"warn\",\n  \"runtimes\": {\n    \"sysbox-runc\": {\n"
					"      \"path\": \"/usr/bin/sysbox-runc\"\n    }\n  }\n}\n";
	static const char after_all[] =
	    "{\n  \"log-level\": \"warn\",\n  \"runtimes\": {\n    \"sysbox-runc\": {\n"
	    "      \"path\": \"/usr/bin/sysbox-runc\"\n    }\n  },\n  \"bridge\": \"cai0\",\n"
	    "  \"deprecated-key-path\": \"/etc/containai/docker/key.json\"\n}\n";
	put(f, after_all);
	jv rec = JV_OBJECT(jv_string("cai-undo"), jv_number(1), jv_string("runtime"), jv_string("sysbox-runc"),
			   jv_string("before"), jv_string(before), jv_string("after"), jv_string(after_add),
			   jv_string("created-runtimes"), jv_true());
	jv text = jv_dump_string(rec, 0);
	put(snap, jv_string_value(text));
	jv_free(text);
	is_int(teardown_edit(f), CAI_DJ_CHANGED, "teardown of what the previous version's setup wrote");
	cleanup_free char *got = slurp(f);
	is_str(got, before, "the bytes from before that setup come back");
	ok(access(snap, F_OK) < 0, "and its snapshot is used up");
}

static void kept_conflict(void)
{
	clear_dir();
	cleanup_free char *f = path_of("daemon.json");
	put(f, "{\"bridge\": \"br-admin\"}\n");
	struct cai_dj_op ops[CAI_ENGINE_CONFIG_MAX_OPS];
	size_t n;
	is_int(setup_edit(f, 24, ops, &n), CAI_DJ_CHANGED, "an admin's bridge: the edit still registers the runtime");
	is_int(ops[0].outcome, CAI_DJ_CHANGED, "the runtime is added");
	is_int(ops[1].outcome, CAI_DJ_REFUSED, "the bridge is refused");
	ok(strstr(ops[1].note.msg, "br-admin") != NULL, "and the note names the admin's value: %s", ops[1].note.msg);
	cleanup_free char *got = slurp(f);
	ok(got && strstr(got, "br-admin") && strstr(got, "sysbox-runc"), "the admin's bridge stays");
	is_int(teardown_edit(f), CAI_DJ_CHANGED, "teardown");
	cleanup_free char *back = slurp(f);
	is_str(back, "{\"bridge\": \"br-admin\"}\n", "gives back the admin's bytes");
}

static void failure_writes_nothing(void)
{
	clear_dir();
	cleanup_free char *f = path_of("daemon.json");
	static const char orig[] = "{\"runtimes\": {\"sysbox-runc\": {\"path\": \"/elsewhere\"}}}\n";
	put(f, orig);
	struct cai_dj_op ops[CAI_ENGINE_CONFIG_MAX_OPS];
	size_t n;
	struct cai_error err = {0};
	n = cai_engine_config_setup_ops(ops, 20);
	/* The runtime entry comes first and refuses: nothing else is written. */
	is_int(cai_dj_edit(f, ops, n, NULL, &err), CAI_DJ_REFUSED, "a runtime of another path refuses the edit");
	ok(strstr(err.msg, "/elsewhere") != NULL, "naming the path: %s", err.msg);
	cleanup_free char *got = slurp(f);
	is_str(got, orig, "the file is as it was");
	is_int(count_undo_snapshots(), 0, "no snapshot");

	struct cai_dj_op bad[] = {
	    {.kind = CAI_DJ_OP_SET_DEFAULT, .name = "a", .value = jv_number(1)},
	    {.kind = CAI_DJ_OP_SET_DEFAULT, .name = "default-runtime", .value = jv_string("x")},
	};
	memset(&err, 0, sizeof(err));
	is_int(cai_dj_edit(f, bad, 2, NULL, &err), CAI_DJ_INVALID, "a bad operation refuses the whole edit");
	cleanup_free char *got2 = slurp(f);
	is_str(got2, orig, "before anything is written");
}

static void operations_that_cancel_out(void)
{
	clear_dir();
	cleanup_free char *f = path_of("daemon.json");
	put(f, "{\"a\": 1}");
	struct stat a, b;
	stat(f, &a);
	struct cai_dj_op ops[] = {
	    {.kind = CAI_DJ_OP_SET_DEFAULT, .name = "b", .value = jv_number(2)},
	    {.kind = CAI_DJ_OP_UNSET_IF_EQUAL, .name = "b", .value = jv_number(2)},
	};
	struct cai_error err = {0};
	is_int(cai_dj_edit(f, ops, 2, NULL, &err), CAI_DJ_UNCHANGED, "set then unset: unchanged");
	stat(f, &b);
	ok(a.st_ino == b.st_ino, "nothing was written");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	setup_then_teardown();
	previous_version_snapshot();
	kept_conflict();
	failure_writes_nothing();
	operations_that_cancel_out();
	clear_dir();
	rmdir(tmpdir);
	return done_testing();
}
