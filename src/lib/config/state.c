#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <time.h>

#include "atomic_file.h"
#include "jv_util.h"

void cai_utc_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int load_doc(const char *path, jv *out, struct cai_error *err)
{
	*out = jv_object();
	cleanup_free char *dir = xstrdup(path);
	cleanup_free char *base = xstrdup(path);
	cleanup_free char *data = NULL;
	size_t len = 0;
	bool exists = false;
	const char *d = dirname(dir);
	cleanup_close int dirfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? 0 : cai_error_set(err, errno, "open `%s`", d);
	if (cai_read_file_at(dirfd, d, basename(base), &data, &len, &exists, NULL, err) < 0)
		return -1;
	if (!exists)
		return 0;
	jv parsed;
	struct cai_error why = {0};
	if (cai_jv_parse_object(data, len, &parsed, &why) < 0)
		return cai_error_set(err, 0, "read state `%s`: %s (remove the file to reset the recorded state)", path,
				     why.msg);
	jv_free(*out);
	*out = parsed;
	return 0;
}

/* Replace the state atomically (state consumed). */
static int save_doc(const char *path, jv state, struct cai_error *err)
{
	cleanup_free char *text = cai_jv_to_cstring(state, JV_PRINT_INDENT_FLAGS(2));
	size_t len = strlen(text);
	cleanup_free char *withnl = xasprintf("%s\n", text);
	cleanup_free char *dir = xstrdup(path);
	cleanup_free char *base = xstrdup(path);
	const char *d = dirname(dir), *b = basename(base);
	if (cai_mkdir_parents(d, 0755, err) < 0)
		return -1;
	int dirfd = cai_dir_lock(d, err);
	if (dirfd < 0)
		return -1;
	int rc = cai_atomic_write_at(dirfd, d, b, withnl, len + 1, NULL, 0644, err);
	close(dirfd);
	return rc;
}

#define SCHEMA_VERSION 1

static void copy_string(jv obj, const char *key, char *buf, size_t cap)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	snprintf(buf, cap, "%s", jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "");
	jv_free(v);
}

static jv get(jv obj, const char *key)
{
	return jv_get_kind(obj) == JV_KIND_OBJECT ? jv_object_get(jv_copy(obj), jv_string(key)) : jv_invalid();
}

static void read_refusal(jv r, struct cai_state_refusal *out)
{
	out->present = jv_get_kind(r) == JV_KIND_OBJECT;
	if (out->present) {
		copy_string(r, "at", out->at, sizeof(out->at));
		copy_string(r, "platform", out->platform, sizeof(out->platform));
		copy_string(r, "result", out->result, sizeof(out->result));
		copy_string(r, "errno_name", out->errno_name, sizeof(out->errno_name));
	}
	jv_free(r);
}

/* {"at", "<runtime>": {"ran", "exec_listener"} or {"ran", "error"}} */
static void read_runs(jv v, struct cai_state *st)
{
	st->verified = jv_get_kind(v) == JV_KIND_OBJECT;
	if (!st->verified) {
		jv_free(v);
		return;
	}
	copy_string(v, "at", st->verified_at, sizeof(st->verified_at));
	jv_object_foreach(v, key, one)
	{
		if (jv_get_kind(one) == JV_KIND_OBJECT && st->nruns < CAI_STATE_MAX_RUNS) {
			struct cai_state_run *r = &st->runs[st->nruns++];
			jv ran = get(one, "ran");
			snprintf(r->runtime, sizeof(r->runtime), "%s", jv_string_value(key));
			r->ran = jv_get_kind(ran) == JV_KIND_TRUE;
			copy_string(one, r->ran ? "exec_listener" : "error", r->detail, sizeof(r->detail));
			if (jv_get_kind(ran) != JV_KIND_TRUE && jv_get_kind(ran) != JV_KIND_FALSE)
				st->nruns--; /* not a run setup recorded */
			jv_free(ran);
		}
		jv_free(key);
		jv_free(one);
	}
	jv_free(v);
}

static void read_state(jv doc, struct cai_state *st)
{
	jv provisioned = get(doc, "provisioned"), managed = get(doc, "daemon_json_managed"),
	   users = get(doc, "context_users");
	st->provisioned = jv_get_kind(provisioned) == JV_KIND_TRUE;
	st->daemon_json_managed = jv_get_kind(managed) != JV_KIND_FALSE;
	copy_string(doc, "provisioned_at", st->provisioned_at, sizeof(st->provisioned_at));
	copy_string(doc, "platform", st->platform, sizeof(st->platform));
	copy_string(doc, "probe", st->probe, sizeof(st->probe));
	copy_string(doc, "forced_by", st->forced_by, sizeof(st->forced_by));
	copy_string(doc, "daemon_json", st->daemon_json, sizeof(st->daemon_json));
	int n = jv_get_kind(users) == JV_KIND_ARRAY ? jv_array_length(jv_copy(users)) : 0;
	for (int i = 0; i < n && st->ncontext_users < CAI_STATE_MAX_USERS; i++) {
		jv u = jv_array_get(jv_copy(users), i);
		if (jv_get_kind(u) == JV_KIND_STRING)
			snprintf(st->context_users[st->ncontext_users++], sizeof(st->context_users[0]), "%s",
				 jv_string_value(u));
		jv_free(u);
	}
	read_refusal(get(doc, "refusal"), &st->refusal);
	read_runs(get(doc, "containers_verified"), st);
	jv_free(provisioned);
	jv_free(managed);
	jv_free(users);
}

int cai_state_load(const char *path, struct cai_state *st, struct cai_error *err)
{
	memset(st, 0, sizeof(*st));
	int rc = load_doc(path, &st->doc, err);
	read_state(st->doc, st);
	return rc;
}

void cai_state_free(struct cai_state *st)
{
	jv_free(st->doc);
	st->doc = jv_null();
}

const struct cai_state_run *cai_state_run_of(const struct cai_state *st, const char *runtime)
{
	for (size_t i = 0; i < st->nruns; i++)
		if (strcmp(st->runs[i].runtime, runtime) == 0)
			return &st->runs[i];
	return NULL;
}

/* The state to update, at this schema: an unreadable one is replaced
 * (it is {} then), unknown keys are kept. */
static jv load_for_update(const char *path)
{
	jv doc;
	struct cai_error ignored = {0};
	load_doc(path, &doc, &ignored);
	return jv_object_set(doc, jv_string("schema_version"), jv_number(SCHEMA_VERSION));
}

int cai_state_record_refusal(const char *path, const struct cai_state_refusal *r, struct cai_error *err)
{
	jv doc = load_for_update(path);
	char now[32];
	cai_utc_now(now);
	jv refusal = jv_object();
	refusal = jv_object_set(refusal, jv_string("at"), jv_string(now));
	refusal = jv_object_set(refusal, jv_string("platform"), jv_string(r->platform));
	refusal = jv_object_set(refusal, jv_string("result"), jv_string(r->result));
	refusal = jv_object_set(refusal, jv_string("errno_name"), cai_jv_string_or_null(r->errno_name));
	doc = jv_object_set(doc, jv_string("refusal"), refusal);
	return save_doc(path, doc, err);
}

static jv runs_jv(const struct cai_state *st)
{
	char now[32];
	cai_utc_now(now);
	jv out = JV_OBJECT(jv_string("at"), jv_string(now));
	for (size_t i = 0; i < st->nruns; i++) {
		const struct cai_state_run *r = &st->runs[i];
		jv one = JV_OBJECT(jv_string("ran"), jv_bool(r->ran));
		one = jv_object_set(one, jv_string(r->ran ? "exec_listener" : "error"), jv_string(r->detail));
		out = jv_object_set(out, jv_string(r->runtime), one);
	}
	return out;
}

int cai_state_record_success(const char *path, const struct cai_state *st, struct cai_error *err)
{
	jv doc = load_for_update(path);
	char now[32];
	cai_utc_now(now);
	jv names = jv_array();
	for (size_t i = 0; i < st->ncontext_users; i++)
		names = jv_array_append(names, jv_string(st->context_users[i]));
	doc = jv_object_set(doc, jv_string("provisioned"), jv_bool(true));
	doc = jv_object_set(doc, jv_string("provisioned_at"), jv_string(now));
	doc = jv_object_set(doc, jv_string("platform"), jv_string(st->platform));
	doc = jv_object_set(doc, jv_string("probe"), jv_string(st->probe));
	doc = jv_object_set(doc, jv_string("forced_by"), cai_jv_string_or_null(st->forced_by));
	doc = jv_object_set(doc, jv_string("daemon_json"), jv_string(st->daemon_json));
	doc = jv_object_set(doc, jv_string("daemon_json_managed"), jv_bool(st->daemon_json_managed));
	doc = jv_object_set(doc, jv_string("context_users"), names);
	doc = jv_object_set(doc, jv_string("refusal"), jv_null());
	doc = jv_object_set(doc, jv_string("containers_verified"), runs_jv(st));
	return save_doc(path, doc, err);
}

int cai_state_record_teardown(const char *path, struct cai_error *err)
{
	jv doc;
	struct cai_error ignored = {0};
	/* Nothing recorded, or unreadable: left as it is. */
	if (load_doc(path, &doc, &ignored) < 0 || jv_object_length(jv_copy(doc)) == 0) {
		jv_free(doc);
		return 0;
	}
	doc = jv_object_set(doc, jv_string("provisioned"), jv_bool(false));
	return save_doc(path, doc, err);
}

int cai_state_remove(const char *path, struct cai_error *err)
{
	cleanup_free char *dir = xstrdup(path);
	cleanup_free char *base = xstrdup(path);
	const char *d = dirname(dir), *b = basename(base);
	int dirfd = cai_dir_lock(d, err);
	if (dirfd < 0)
		return errno == ENOENT || err->errnum == ENOENT ? 0 : -1;
	int rc = cai_unlink_durable_at(dirfd, d, b, err);
	close(dirfd);
	return rc;
}
