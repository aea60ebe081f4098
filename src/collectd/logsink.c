/* Invariants: the log MUST be opened O_APPEND and MUST NOT follow a
 * symlink (O_NOFOLLOW, then fstat on the fd: a regular file or nothing);
 * a new log is created 0600 and an existing one loses any group-write or
 * world bits, because events name every file an agent touched. */
#include "logsink.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

static int open_log(struct logsink *s, struct cai_error *err)
{
	cleanup_free char *dir_copy = xstrdup(s->path);
	const char *dir = dirname(dir_copy);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return cai_error_set(err, errno, "create log directory `%s`", dir);
	int fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return cai_error_set(err, errno, "open log `%s`", s->path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return cai_error_set(err, e, "stat log `%s`", s->path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return cai_error_set(err, 0, "log `%s` is not a regular file", s->path);
	}
	if ((st.st_mode & 0027) && fchmod(fd, st.st_mode & 0640) < 0) {
		int e = errno;
		close(fd);
		return cai_error_set(err, e, "restrict mode of log `%s`", s->path);
	}
	s->fd = fd;
	return 0;
}

int logsink_open(struct logsink *s, const char *path, struct cai_error *err)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->path = xstrdup(path);
	s->cap = 1 << 16;
	s->buf = xmalloc(s->cap);
	return open_log(s, err);
}

char *logsink_reserve(struct logsink *s, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		while (s->len + n + 1 > s->cap)
			s->cap *= 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	return s->buf + s->len;
}

void logsink_commit(struct logsink *s, size_t len)
{
	s->buf[s->len + len] = '\n';
	s->len += len + 1;
	s->lines++;
}

bool logsink_full(const struct logsink *s)
{
	return s->len >= LOGSINK_BACKLOG_MAX;
}

void logsink_lost(struct logsink *s)
{
	s->lost++;
	s->lost_total++;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t c = 0;
	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
		c++;
	return c;
}

void logsink_add(struct logsink *s, const char *line, size_t len)
{
	memcpy(logsink_reserve(s, len), line, len);
	logsink_commit(s, len);
}

int logsink_flush(struct logsink *s, struct cai_error *err)
{
	size_t off = 0;
	while (off < s->len) {
		ssize_t n = write(s->fd, s->buf + off, s->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			/* Keep what was not written, whole lines only, so that it
			 * goes out with the next flush (or is reported lost at
			 * exit); a line cut by a short write is finished first. */
			size_t done = count_lines(s->buf, off);
			memmove(s->buf, s->buf + off, s->len - off);
			s->len -= off;
			s->written += done;
			s->lines -= done;
			s->write_errors++;
			bool first = !s->failing;
			if (first) {
				s->failing = true;
				s->fail_errno = e;
				s->fail_since_ms = cai_mono_ms();
			}
			cai_error_set(err, e, "write log `%s`%s", s->path,
				      first ? "; events wait in memory (16 MiB at most, then they are counted as lost) "
					      "until it can be written"
					    : "");
			if (!first)
				err->msg[0] = '\0';
			return -1;
		}
		off += (size_t)n;
		s->dirty = true;
	}
	s->len = 0;
	s->written += s->lines;
	s->lines = 0;
	return s->failing ? 1 : 0;
}

void logsink_recovered(struct logsink *s)
{
	s->failing = false;
	s->lost = 0;
}

int logsink_sync(struct logsink *s, struct cai_error *err)
{
	if (!s->dirty)
		return 0;
	if (fdatasync(s->fd) < 0)
		return cai_error_set(err, errno, "sync log `%s`", s->path);
	s->dirty = false;
	return 0;
}

int logsink_reopen(struct logsink *s, struct cai_error *err)
{
	int rc = logsink_flush(s, err);
	if (rc == 0)
		rc = logsink_sync(s, err);
	int old = s->fd;
	if (open_log(s, err) < 0) {
		/* Keep writing to the old file rather than losing events. */
		s->fd = old;
		return -1;
	}
	close(old);
	return rc;
}

void logsink_close(struct logsink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	free(s->path);
	s->buf = NULL;
	s->path = NULL;
}
