#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <time.h>

#include "atomic_file.h"
#include "probe_json.h"

void cai_utc_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cai_state_load(const char *path, jv *out, struct cai_error *err)
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
	jv parsed = jv_parse_sized(data, (int)len);
	if (!jv_is_valid(parsed)) {
		jv msg = jv_invalid_get_msg(parsed);
		cai_error_set(err, 0, "read state `%s`: %s (remove the file to reset the recorded state)", path,
			      jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "invalid JSON");
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(parsed) != JV_KIND_OBJECT) {
		jv_free(parsed);
		return cai_error_set(err, 0, "read state `%s`: not a JSON object (remove the file to reset it)", path);
	}
	jv_free(*out);
	*out = parsed;
	return 0;
}

int cai_state_save(const char *path, jv state, struct cai_error *err)
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
