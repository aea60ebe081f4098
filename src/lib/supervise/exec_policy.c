#include "exec_policy.h"

#include <errno.h>
#include <fnmatch.h>
#include <jv.h>

#include "jv_util.h"

#define POLICY_MAX_BYTES (1024 * 1024)

int cai_exec_policy_load(const char *file, struct cai_exec_policy *p, struct cai_error *err)
{
	memset(p, 0, sizeof(*p));
	cleanup_fclose FILE *f = fopen(file, "re");
	if (!f)
		return cai_error_set(err, errno, "open policy `%s`", file);
	cleanup_free char *text = xmalloc(POLICY_MAX_BYTES + 1);
	size_t len = fread(text, 1, POLICY_MAX_BYTES + 1, f);
	if (ferror(f))
		return cai_error_set(err, errno, "read policy `%s`", file);
	if (len > POLICY_MAX_BYTES)
		return cai_error_set(err, 0, "policy `%s` is larger than 1 MiB", file);
	jv doc;
	if (cai_jv_parse_object(text, len, &doc, err) < 0)
		return cai_error_prefix(err, "policy `%s`", file);
	jv keys = jv_keys_unsorted(jv_copy(doc));
	int nkeys = jv_array_length(jv_copy(keys));
	for (int i = 0; i < nkeys; i++) {
		jv k = jv_array_get(jv_copy(keys), i);
		bool known = strcmp(jv_string_value(k), "deny_exec") == 0;
		if (!known)
			cai_error_set(err, 0, "policy `%s`: unknown key `%s` (known: deny_exec)", file,
				      jv_string_value(k));
		jv_free(k);
		if (!known) {
			jv_free(keys);
			jv_free(doc);
			return -1;
		}
	}
	jv_free(keys);
	jv deny = jv_object_get(doc, jv_string("deny_exec")); /* consumes doc */
	if (jv_get_kind(deny) == JV_KIND_INVALID) {
		jv_free(deny);
		return 0;
	}
	if (jv_get_kind(deny) != JV_KIND_ARRAY) {
		jv_free(deny);
		return cai_error_set(err, 0, "policy `%s`: `deny_exec` must be an array of strings", file);
	}
	int n = jv_array_length(jv_copy(deny));
	p->deny = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		jv item = jv_array_get(jv_copy(deny), i);
		if (jv_get_kind(item) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(item)) == 0) {
			jv_free(item);
			jv_free(deny);
			cai_exec_policy_free(p);
			return cai_error_set(err, 0, "policy `%s`: `deny_exec[%d]` must be a non-empty string", file,
					     i);
		}
		p->deny[p->ndeny++] = xstrdup(jv_string_value(item));
		jv_free(item);
	}
	jv_free(deny);
	return 0;
}

void cai_exec_policy_free(struct cai_exec_policy *p)
{
	for (size_t i = 0; i < p->ndeny; i++)
		free(p->deny[i]);
	free(p->deny);
	memset(p, 0, sizeof(*p));
}

const char *cai_exec_policy_denies(const struct cai_exec_policy *p, const char *path, const char *resolved)
{
	for (size_t i = 0; i < p->ndeny; i++) {
		if (fnmatch(p->deny[i], path, 0) == 0)
			return p->deny[i];
		if (resolved && fnmatch(p->deny[i], resolved, 0) == 0)
			return p->deny[i];
	}
	return NULL;
}
