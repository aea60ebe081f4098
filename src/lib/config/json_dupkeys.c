#include "json_dupkeys.h"

#include <jv.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define MAX_DEPTH 256

/* One open container: the keys its members had so far (an object used as a
 * set) and the member being filled (null once it is complete). */
struct frame {
	jv seen;
	jv current;
};

static void pop_to(struct frame *s, int *depth, int keep)
{
	while (*depth > keep) {
		(*depth)--;
		jv_free(s[*depth].seen);
		jv_free(s[*depth].current);
	}
}

static char *path_string(jv path, int upto)
{
	jv out = jv_string("");
	for (int i = 0; i <= upto; i++) {
		jv k = jv_array_get(jv_copy(path), i);
		if (jv_get_kind(k) == JV_KIND_STRING) {
			out = jv_string_append_str(jv_string_append_str(out, "."), jv_string_value(k));
		} else {
			char index[32];
			snprintf(index, sizeof(index), "[%d]",
				 jv_get_kind(k) == JV_KIND_NUMBER ? (int)jv_number_value(k) : -1);
			out = jv_string_append_str(out, index);
		}
		jv_free(k);
	}
	char *s = xstrdup(jv_string_value(out));
	jv_free(out);
	return s;
}

/* A leaf event [path, value] (or a closing one, [path], when closing):
 * walk the path against the open containers. Returns a duplicate's path. */
static char *visit(struct frame *s, int *depth, jv path, bool closing)
{
	int n = jv_array_length(jv_copy(path));
	if (n > MAX_DEPTH)
		return NULL;
	if (closing) {
		/* The container holding the last element closed; the member
		 * that held it is complete. */
		pop_to(s, depth, n - 1 > 0 ? n - 1 : 0);
		if (*depth > 0) {
			jv_free(s[*depth - 1].current);
			s[*depth - 1].current = jv_null();
		}
		return NULL;
	}
	for (int d = 0; d < n; d++) {
		jv key = jv_array_get(jv_copy(path), d);
		if (d < *depth && jv_equal(jv_copy(s[d].current), jv_copy(key))) {
			jv_free(key);
			continue;
		}
		if (d < *depth) {
			pop_to(s, depth, d + 1);
		} else {
			s[d].seen = jv_object();
			s[d].current = jv_null();
			(*depth)++;
		}
		if (jv_get_kind(key) == JV_KIND_STRING) {
			if (jv_object_has(jv_copy(s[d].seen), jv_copy(key))) {
				jv_free(key);
				return path_string(path, d);
			}
			s[d].seen = jv_object_set(s[d].seen, jv_copy(key), jv_true());
		}
		jv_free(s[d].current);
		s[d].current = key;
	}
	/* A scalar completes the member that holds it. */
	if (n > 0) {
		jv_free(s[n - 1].current);
		s[n - 1].current = jv_null();
	}
	return NULL;
}

char *cai_json_first_duplicate_key(const char *buf, size_t len)
{
	if (len > INT_MAX)
		return NULL;
	struct frame stack[MAX_DEPTH + 1];
	int depth = 0;
	char *dup = NULL;
	jv_parser *p = jv_parser_new(JV_PARSE_STREAMING);
	jv_parser_set_buf(p, buf, (int)len, 0);
	while (!dup) {
		jv ev = jv_parser_next(p);
		if (!jv_is_valid(ev)) {
			jv_free(ev);
			break;
		}
		int k = jv_get_kind(ev) == JV_KIND_ARRAY ? jv_array_length(jv_copy(ev)) : 0;
		jv path = k ? jv_array_get(jv_copy(ev), 0) : jv_invalid();
		if (jv_get_kind(path) == JV_KIND_ARRAY)
			dup = visit(stack, &depth, path, k == 1);
		jv_free(path);
		jv_free(ev);
	}
	jv_parser_free(p);
	pop_to(stack, &depth, 0);
	return dup;
}
