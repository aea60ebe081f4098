#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/random.h>

/* daemon.json files are a few KiB; this only stops us reading a device or a
 * runaway file into memory. */
#define CAI_MAX_FILE_SIZE (64u << 20)

static char *absolute_path(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	cleanup_free char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	return xasprintf("%s/%s", cwd, path);
}

/* Split "/a/b/c" into "/a/b" and "c"; "/c" into "/" and "c". */
static void split_path(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');
	*base = xstrdup(slash + 1);
	*dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

int cai_file_target_resolve(const char *path, struct cai_file_target *t, struct cai_error *err)
{
	memset(t, 0, sizeof(*t));
	if (!*path)
		return cai_error_set(err, 0, "the file name is empty");
	cleanup_free char *cur = absolute_path(path);
	if (!cur)
		return cai_error_set(err, errno, "resolve `%s`", path);

	for (int hops = 0;; hops++) {
		struct stat st;
		if (hops > 40)
			return cai_error_set(err, ELOOP, "resolve `%s`", path);
		if (lstat(cur, &st) < 0) {
			if (errno != ENOENT)
				return cai_error_set(err, errno, "resolve `%s`", cur);
			break;
		}
		if (!S_ISLNK(st.st_mode))
			break;
		char target[PATH_MAX];
		ssize_t n = readlink(cur, target, sizeof(target) - 1);
		if (n < 0)
			return cai_error_set(err, errno, "read link `%s`", cur);
		target[n] = '\0';
		char *next;
		if (target[0] == '/') {
			next = xstrdup(target);
		} else {
			cleanup_free char *d = NULL, *b = NULL;
			split_path(cur, &d, &b);
			next = xasprintf("%s/%s", strcmp(d, "/") == 0 ? "" : d, target);
		}
		free(cur);
		cur = next;
	}

	char *dir, *base;
	split_path(cur, &dir, &base);
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		free(dir);
		free(base);
		return cai_error_set(err, 0, "resolve `%s`: not a file name", path);
	}
	char *real = realpath(dir, NULL);
	if (real) {
		free(dir);
		dir = real;
	} else if (errno != ENOENT) {
		cai_error_set(err, errno, "resolve `%s`", dir);
		free(dir);
		free(base);
		return -1;
	}
	t->dir = dir;
	t->base = base;
	t->path = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base);
	return 0;
}

void cai_file_target_free(struct cai_file_target *t)
{
	free(t->path);
	free(t->dir);
	free(t->base);
	memset(t, 0, sizeof(*t));
}

int cai_mkdir_parents(const char *dir, mode_t mode, struct cai_error *err)
{
	cleanup_free char *p = xstrdup(dir);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, mode) == 0) {
			/* mkdir(2) applies the umask; the mode asked for is exact. */
			if (chmod(p, mode) < 0)
				return cai_error_set(err, errno, "chmod `%s`", p);
		} else if (errno != EEXIST) {
			return cai_error_set(err, errno, "create directory `%s`", p);
		}
		*s = saved;
		if (!saved)
			break;
	}
	struct stat st;
	if (stat(dir, &st) < 0)
		return cai_error_set(err, errno, "stat `%s`", dir);
	if (!S_ISDIR(st.st_mode))
		return cai_error_set(err, ENOTDIR, "create directory `%s`", dir);
	return 0;
}

int cai_dir_lock(const char *dir, struct cai_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cai_error_set(err, errno, "open directory `%s`", dir);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		return cai_error_set(err, e, "lock directory `%s`", dir);
	}
	return fd;
}

int cai_read_file_at(int dirfd, const char *dir, const char *base, char **buf, size_t *len, bool *exists,
		     struct stat *st_out, struct cai_error *err)
{
	*buf = NULL;
	*len = 0;
	*exists = false;
	cleanup_close int fd = openat(dirfd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return cai_error_set(err, errno, "open `%s/%s`", dir, base);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cai_error_set(err, errno, "stat `%s/%s`", dir, base);
	if (!S_ISREG(st.st_mode))
		return cai_error_set(err, 0, "open `%s/%s`: not a regular file", dir, base);
	if ((unsigned long long)st.st_size > CAI_MAX_FILE_SIZE)
		return cai_error_set(err, EFBIG, "read `%s/%s`", dir, base);
	size_t cap = (size_t)st.st_size + 1, n = 0;
	cleanup_free char *data = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > CAI_MAX_FILE_SIZE)
				return cai_error_set(err, EFBIG, "read `%s/%s`", dir, base);
			cap *= 2;
			char *bigger = realloc(data, cap);
			if (!bigger)
				return cai_error_set(err, ENOMEM, "read `%s/%s`", dir, base);
			data = bigger;
		}
		ssize_t r = read(fd, data + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return cai_error_set(err, errno, "read `%s/%s`", dir, base);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	data[n] = '\0';
	if (st_out)
		*st_out = st;
	*buf = steal_pointer(&data);
	*len = n;
	*exists = true;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int open_temp_at(int dirfd, const char *base, char **name)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char rnd[6];
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -1;
		char *n = xasprintf(".%s.cai-tmp-%02x%02x%02x%02x%02x%02x", base, rnd[0], rnd[1], rnd[2], rnd[3],
				    rnd[4], rnd[5]);
		int fd = openat(dirfd, n, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			*name = n;
			return fd;
		}
		int e = errno;
		free(n);
		if (e != EEXIST) {
			errno = e;
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

int cai_atomic_write_at(int dirfd, const char *dir, const char *base, const char *data, size_t len,
			const struct stat *like, mode_t new_mode, struct cai_error *err)
{
	cleanup_free char *tmp = NULL;
	int fd = open_temp_at(dirfd, base, &tmp);
	if (fd < 0)
		return cai_error_set(err, errno, "create a temporary file in `%s`", dir);

	struct stat st;
	mode_t mode = like ? (like->st_mode & 07777) : new_mode;
	const char *op = "write";
	if (write_all(fd, data, len) < 0)
		goto fail;
	op = "stat";
	if (fstat(fd, &st) < 0)
		goto fail;
	/* Owner before mode: chown(2) clears set-id bits. */
	op = "chown";
	if (like && (st.st_uid != like->st_uid || st.st_gid != like->st_gid) &&
	    fchown(fd, like->st_uid, like->st_gid) < 0)
		goto fail;
	op = "chmod";
	if (fchmod(fd, mode) < 0)
		goto fail;
	op = "fsync";
	if (fsync(fd) < 0)
		goto fail;
	op = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	op = "rename";
	if (renameat(dirfd, tmp, dirfd, base) < 0)
		goto fail;
	if (fsync(dirfd) < 0)
		return cai_error_set(err, errno, "fsync directory `%s`", dir);
	return 0;

fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return cai_error_set(err, e, "%s `%s/%s` (via a temporary file)", op, dir, base);
}

int cai_unlink_durable_at(int dirfd, const char *dir, const char *base, struct cai_error *err)
{
	if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
		return cai_error_set(err, errno, "remove `%s/%s`", dir, base);
	if (fsync(dirfd) < 0)
		return cai_error_set(err, errno, "fsync directory `%s`", dir);
	return 0;
}

/* Ours: ".<base>.cai-tmp-*" (the file) and "..<base>.cai-undo-*.cai-tmp-*"
 * (its undo snapshots). */
static bool is_our_temp(const char *name, const char *base)
{
	size_t blen = strlen(base);
	if (name[0] != '.')
		return false;
	if (strncmp(name + 1, base, blen) == 0 && strncmp(name + 1 + blen, ".cai-tmp-", 9) == 0)
		return true;
	return name[1] == '.' && strncmp(name + 2, base, blen) == 0 &&
	       strncmp(name + 2 + blen, ".cai-undo-", 10) == 0 && strstr(name + 2 + blen, ".cai-tmp-");
}

void cai_remove_stale_temps_at(int dirfd, const char *base)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (is_our_temp(de->d_name, base))
			unlinkat(dirfd, de->d_name, 0);
	closedir(d);
}

int cai_write_new_file(const char *path, const void *data, size_t len, mode_t mode, struct cai_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return cai_error_set(err, errno, "create `%s`", path);
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			unlink(path);
			return cai_error_set(err, e, "write `%s`", path);
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		return cai_error_set(err, errno, "write `%s`", path);
	return 0;
}
