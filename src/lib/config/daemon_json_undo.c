#include "daemon_json_undo.h"

#include <jv.h>

#include "atomic_file.h"
#include "jv_util.h"

#define UNDO_FORMAT 1

/* Runtime names end up in a file name: keep [A-Za-z0-9._-], %XX the rest. */
static char *undo_name(const char *base, const char *runtime)
{
	size_t n = strlen(runtime);
	cleanup_free char *enc = xmalloc(3 * n + 1);
	char *o = enc;
	for (const unsigned char *p = (const unsigned char *)runtime; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '_' || *p == '-') {
			*o++ = (char)*p;
		} else {
			snprintf(o, 4, "%%%02X", *p);
			o += 3;
		}
	}
	*o = '\0';
	return xasprintf(".%s.cai-undo-%s", base, enc);
}

static char *dup_bytes(jv s, size_t *len)
{
	*len = (size_t)jv_string_length_bytes(jv_copy(s));
	char *out = xmalloc(*len + 1);
	memcpy(out, jv_string_value(s), *len);
	out[*len] = '\0';
	return out;
}

void cai_dj_undo_read(int dirfd, const char *base, const char *runtime, struct cai_dj_undo *u)
{
	memset(u, 0, sizeof(*u));
	cleanup_free char *name = undo_name(base, runtime);
	cleanup_free char *buf = NULL;
	size_t len;
	bool exists;
	struct cai_error ignored;
	if (cai_read_file_at(dirfd, ".", name, &buf, &len, &exists, NULL, &ignored) < 0 || !exists || len > 0x7fffffff)
		return;
	jv doc = jv_parse_sized(buf, (int)len);
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		return;
	}
	jv fmt = jv_object_get(jv_copy(doc), jv_string("cai-undo"));
	jv rt = jv_object_get(jv_copy(doc), jv_string("runtime"));
	jv before = jv_object_get(jv_copy(doc), jv_string("before"));
	jv after = jv_object_get(jv_copy(doc), jv_string("after"));
	jv created = jv_object_get(doc, jv_string("created-runtimes")); /* consumes doc */
	bool ok = jv_get_kind(fmt) == JV_KIND_NUMBER && jv_number_value(fmt) == UNDO_FORMAT &&
		  jv_get_kind(rt) == JV_KIND_STRING && strcmp(jv_string_value(rt), runtime) == 0 &&
		  (jv_get_kind(before) == JV_KIND_STRING || jv_get_kind(before) == JV_KIND_NULL) &&
		  jv_get_kind(after) == JV_KIND_STRING &&
		  (jv_get_kind(created) == JV_KIND_TRUE || jv_get_kind(created) == JV_KIND_FALSE);
	if (ok) {
		u->present = true;
		u->had_file = jv_get_kind(before) == JV_KIND_STRING;
		if (u->had_file)
			u->before = dup_bytes(before, &u->before_len);
		u->after = dup_bytes(after, &u->after_len);
		u->created_runtimes = jv_get_kind(created) == JV_KIND_TRUE;
	}
	jv_free(fmt);
	jv_free(rt);
	jv_free(before);
	jv_free(after);
	jv_free(created);
}

int cai_dj_undo_write(int dirfd, const char *dir, const char *base, const char *runtime, const struct cai_dj_undo *u,
		      struct cai_error *err)
{
	cleanup_free char *name = undo_name(base, runtime);
	/* The bytes were parsed (before) or printed (after) by jq, so they are
	 * valid UTF-8 and survive as JSON strings unchanged. */
	jv doc = jv_object();
	doc = jv_object_set(doc, jv_string("cai-undo"), jv_number(UNDO_FORMAT));
	doc = jv_object_set(doc, jv_string("runtime"), jv_string(runtime));
	doc = jv_object_set(doc, jv_string("before"),
			    u->had_file ? jv_string_sized(u->before, (int)u->before_len) : jv_null());
	doc = jv_object_set(doc, jv_string("after"), jv_string_sized(u->after, (int)u->after_len));
	doc = jv_object_set(doc, jv_string("created-runtimes"), jv_bool(u->created_runtimes));
	cleanup_free char *text = cai_jv_to_cstring(doc, 0);
	/* 0600: the old bytes of daemon.json may be private. */
	if (cai_atomic_write_at(dirfd, dir, name, text, strlen(text), NULL, 0600, err) < 0)
		return cai_error_prefix(err, "save the undo snapshot");
	return 0;
}

int cai_dj_undo_remove(int dirfd, const char *dir, const char *base, const char *runtime, struct cai_error *err)
{
	cleanup_free char *name = undo_name(base, runtime);
	return cai_unlink_durable_at(dirfd, dir, name, err);
}

void cai_dj_undo_free(struct cai_dj_undo *u)
{
	free(u->before);
	free(u->after);
	memset(u, 0, sizeof(*u));
}
