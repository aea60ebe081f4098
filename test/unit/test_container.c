/* The container id parser against the placements Docker uses and the ones
 * a hostile user could make; the name reader against the engine's file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "tap.h"

#define ID "3f4e1a2b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8"
#define ID2 "0000000000000000000000000000000000000000000000000000000000000001"

static int found(const char *text, char id[CAI_CONTAINER_ID_LEN + 1])
{
	return cai_container_id_from_cgroup(text, id);
}

/* The text's own answer, then whether its unified line alone gives it. */
static bool unified_decides(const char *text)
{
	char id[CAI_CONTAINER_ID_LEN + 1];
	int rc = cai_container_id_from_cgroup(text, id);
	return cai_cgroup_unified_decides(text, rc, id);
}

/* What may be remembered by a unified cgroup's id: exactly the answers
 * that every process in that cgroup would get. */
static void unified(void)
{
	ok(unified_decides("0::/docker/" ID "\n"), "v2, a container: its cgroup decides");
	ok(unified_decides("0::/system.slice/docker-" ID ".scope/sub\n"), "v2, systemd driver, nested: decides");
	ok(unified_decides("0::/user.slice/user-1000.slice/session-1.scope\n"), "v2, the host: decides");
	ok(unified_decides("0::/user.slice/docker/" ID "\n"), "v2, a forged placement is the host: decides");
	ok(unified_decides("0::/"), "v2, the root without a newline: decides");
	ok(unified_decides("12:pids:/docker/" ID "\n0::/docker/" ID "\n"),
	   "hybrid, the container in both: the unified cgroup decides");
	ok(!unified_decides("12:pids:/docker/" ID "\n0::/\n"),
	   "hybrid, the container in v1 only: the unified cgroup is shared with the host");
	ok(!unified_decides("9:name=systemd:/\n4:memory:/\n0::/\n"),
	   "v1 or hybrid, the host: a container could share its unified cgroup");
	ok(!unified_decides("9:name=systemd:/\n0::/user.slice\n"), "hybrid, the host: same");
	ok(!unified_decides("12:pids:/docker/" ID2 "\n0::/docker/" ID "\n"),
	   "v1 names another container first: the unified one does not decide");
	ok(!unified_decides("9:name=systemd:/docker/" ID "\n"), "v1 only, no unified line");
	ok(!unified_decides(""), "empty text");
	ok(!unified_decides(NULL), "NULL text");
	ok(!unified_decides("0::/\n0::/docker/" ID "\n"), "two unified lines: not the kernel's");
	is_int(cai_cgroup_unified_decides("0::/docker/" ID "\n", 1, ID2), 0, "an answer that is not the line's");
	is_int(cai_cgroup_unified_decides("0::/docker/" ID "\n", 0, ""), 0, "host claimed for a container's cgroup");
	is_int(cai_cgroup_unified_decides("0::/\n", 1, ID), 0, "a container claimed for the root");
}

static void parser(void)
{
	char id[CAI_CONTAINER_ID_LEN + 1];
	ok(found("0::/docker/" ID "\n", id) == 1 && strcmp(id, ID) == 0, "v2, cgroupfs driver");
	ok(found("0::/system.slice/docker-" ID ".scope\n", id) == 1 && strcmp(id, ID) == 0, "v2, systemd driver");
	ok(found("12:pids:/docker/" ID "\n11:memory:/docker/" ID "\n0::/\n", id) == 1 && strcmp(id, ID) == 0,
	   "v1 hybrid, cgroupfs driver");
	ok(found("1:name=systemd:/system.slice/docker-" ID ".scope\n0::/system.slice/docker-" ID ".scope\n", id) == 1 &&
	       strcmp(id, ID) == 0,
	   "v1, systemd driver, named hierarchy");
	ok(found("4:cpu,cpuacct:/docker/" ID "\n", id) == 1, "a controller list with a comma");
	ok(found("0::/docker/" ID "/docker/" ID2 "\n", id) == 1 && strcmp(id, ID) == 0,
	   "nested (docker in docker): the outermost id wins");
	ok(found("0::/docker/" ID "/init.scope\n", id) == 1 && strcmp(id, ID) == 0, "nested cgroups below the id");
	ok(found("0::/system.slice/docker-" ID ".scope/sub\n", id) == 1 && strcmp(id, ID) == 0,
	   "nested cgroups below the systemd scope");
	ok(found("0::/docker/" ID, id) == 1 && strcmp(id, ID) == 0, "a last line without newline");
	ok(found("3:memory:/user.slice\n2:pids:/docker/" ID "\n", id) == 1, "found on a later line");
	ok(found("2:pids:/docker/" ID2 "\n0::/docker/" ID "\n", id) == 1 && strcmp(id, ID2) == 0,
	   "the first line that names one wins");

	is_int(found("0::/\n", id), 0, "host root: not in a container");
	is_int(id[0], 0, "and id is emptied");
	is_int(found("", id), 0, "empty text");
	is_int(found(NULL, id), 0, "NULL text");
	is_int(found("0::/user.slice/user-1000.slice/user@1000.service/docker/" ID "\n", id), 0,
	       "forged below a delegated user subtree");
	is_int(found("0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID ".scope\n", id), 0,
	       "forged systemd scope below a user slice");
	is_int(found("0::/system.slice/foo.service/docker/" ID "\n", id), 0, "/docker/<id> below another prefix");
	is_int(found("0::/x/system.slice/docker-" ID ".scope\n", id), 0, "a systemd scope below another prefix");
	is_int(found("0::/docker/"
		     "3f4e1a2b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f"
		     "\n",
		     id),
	       0, "63 hex digits");
	is_int(found("0::/docker/" ID "0\n", id), 0, "65 hex digits");
	is_int(found("0::/docker/"
		     "3F4E1A2B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9012A3B4C5D6E7F8"
		     "\n",
		     id),
	       0, "uppercase hex");
	is_int(found("0::/docker/"
		     "3g4e1a2b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8"
		     "\n",
		     id),
	       0, "a letter past f");
	is_int(found("0::/docker/" ID ".scope\n", id), 0, "a suffix glued to the id");
	is_int(found("0::/system.slice/docker-" ID ".scopex\n", id), 0, "a suffix glued to the scope");
	is_int(found("0::/system.slice/docker-" ID "\n", id), 0, "systemd form without .scope");
	is_int(found("0::/docker-" ID ".scope\n", id), 0, "systemd scope outside system.slice");
	is_int(found("0::docker/" ID "\n", id), 0, "a relative path");
	is_int(found("0:/docker/" ID "\n", id), 0, "one colon only");
	is_int(found("0:memory:/docker/" ID "\n", id), 0, "hierarchy 0 with controllers");
	is_int(found("3::/docker/" ID "\n", id), 0, "a v1 hierarchy without controllers");
	is_int(found(":memory:/docker/" ID "\n", id), 0, "no hierarchy number");
	is_int(found("x:memory:/docker/" ID "\n", id), 0, "a hierarchy that is not a number");
	is_int(found("/docker/" ID "\n", id), 0, "a bare path is not a cgroup line");
	is_int(found("0::/\n/docker/" ID "\n", id), 0, "a bare path on a second line");
	is_int(found("0::/user.slice\n0::/docker/" ID "x\n", id), 0, "junk after the id on the line");

	char with_nul[] = "0::/user.slice\n\0"
			  "0::/docker/" ID "\n";
	is_int(found(with_nul, id), 0, "text after an embedded NUL is not read");
	char nul_in_path[] = "0::/docker/3f4e1a2b5c6d7e8f\0"
			     "90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8\n";
	is_int(found(nul_in_path, id), 0, "an id cut by a NUL");

	size_t big = 4 * 1024 * 1024;
	char *huge = malloc(big + 200);
	memset(huge, 'a', big);
	memcpy(huge, "0::/", 4);
	snprintf(huge + big, 200, "/docker/%s\n", ID);
	is_int(found(huge, id), 0, "a 4 MiB line ending in /docker/<id>");
	snprintf(huge, 200, "%s", "0::/user.slice\n");
	memset(huge + 15, 'x', big - 15);
	huge[big - 1] = '\n';
	snprintf(huge + big, 200, "0::/docker/%s", ID);
	ok(found(huge, id) == 1 && strcmp(id, ID) == 0, "a real placement after a 4 MiB junk line, no newline");
	memset(huge, '\n', big);
	huge[big] = '\0';
	is_int(found(huge, id), 0, "4 MiB of newlines");
	free(huge);
}

static char dir[] = "/tmp/cai-test-container-XXXXXX";

static void write_config(const char *id, const char *json, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/containers", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/containers/%s", dir, id);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", dir, id);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	(void)!write(fd, json, strlen(json));
	fchmod(fd, mode);
	close(fd);
}

static int name_of(const char *id, char *name, size_t cap, struct cai_error *err)
{
	memset(err, 0, sizeof(*err));
	return cai_container_name(dir, id, name, cap, err);
}

static void names(void)
{
	char name[256];
	struct cai_error err;
	ok(mkdtemp(dir) != NULL, "temp data root");
	write_config(ID, "{\"ID\":\"" ID "\",\"Name\":\"/cai-test-x\",\"State\":{}}", 0600);
	is_int(name_of(ID, name, sizeof(name), &err), 0, "name read");
	is_str(name, "cai-test-x", "without the leading slash");
	is_int(name_of(ID, name, 8, &err), -1, "a name longer than the buffer is refused");
	is_int(name[0], 0, "and leaves the name empty");

	is_int(name_of(ID2, name, sizeof(name), &err), -1, "missing config");
	is_int(err.errnum, ENOENT, "with ENOENT");
	ok(strstr(err.msg, "config.v2.json") != NULL, "the message names the file: %s", err.msg);
	is_int(name_of("../../etc/passwd", name, sizeof(name), &err), -1, "a path is not an id");
	is_int(name_of("3F4E1A2B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9012A3B4C5D6E7F8", name, sizeof(name), &err),
	       -1, "an uppercase id is not used in a path");
	is_int(name_of(NULL, name, sizeof(name), &err), -1, "no id");

	write_config(ID, "{\"Name\":", 0600);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "not JSON");
	ok(strstr(err.msg, "not JSON") != NULL, "says so: %s", err.msg);
	write_config(ID, "{\"Name\":42}", 0600);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "a .Name that is not a string");
	write_config(ID, "[\"/x\"]", 0600);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "not an object");
	write_config(ID, "{\"Name\":\"/\"}", 0600);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "an empty name");
	write_config(ID, "{\"Name\":\"/a\\u0000b\"}", 0600);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "a name holding a NUL");
	write_config(ID, "{\"Name\":\"/x\\u001b[31m\"}", 0600);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "a name with an escape sequence");
	write_config(ID, "{\"Name\":\"/cai-test-x\"}", 0622);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "a config others may write is not believed");

	char path[256], target[256];
	snprintf(target, sizeof(target), "%s/elsewhere.json", dir);
	int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	(void)!write(fd, "{\"Name\":\"/evil\"}", 16);
	close(fd);
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", dir, ID);
	unlink(path);
	(void)!symlink(target, path);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "a symlinked config is not followed");
	is_int(err.errnum, ELOOP, "with ELOOP");
	unlink(path);
	(void)!mkfifo(path, 0600);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "a FIFO is refused without blocking");
	unlink(path);

	char *big = malloc(CAI_CONTAINER_CONFIG_MAX + 64);
	int n = snprintf(big, 64, "{\"Name\":\"/big\",\"x\":\"");
	memset(big + n, 'a', CAI_CONTAINER_CONFIG_MAX);
	strcpy(big + n + CAI_CONTAINER_CONFIG_MAX, "\"}");
	write_config(ID, big, 0600);
	free(big);
	is_int(name_of(ID, name, sizeof(name), &err), -1, "a config past the size bound is not read");
	is_int(err.errnum, EFBIG, "with EFBIG");

	unlink(path);
	snprintf(path, sizeof(path), "%s/containers/%s", dir, ID);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/containers/%s", dir, ID2);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/containers", dir);
	rmdir(path);
	unlink(target);
	rmdir(dir);
}

static void live_and_jv(void)
{
	struct cai_container c;
	struct cai_error err = {0};
	int rc = cai_container_of_pid(getpid(), NULL, &c, &err);
	ok(rc == 0 || rc == 1, "our own process reads (%d)", rc);
	is_int(cai_container_of_pid(-5, NULL, &c, &err), -1, "a pid that does not exist");

	memset(&c, 0, sizeof(c));
	jv v = cai_container_jv(&c);
	is_int(jv_get_kind(v), JV_KIND_NULL, "no container: null");
	jv_free(v);
	strcpy(c.id, ID);
	v = cai_container_jv(&c);
	jv s = jv_dump_string(v, 0);
	is_str(jv_string_value(s), "{\"id\":\"" ID "\",\"name\":null}", "an unknown name is null");
	jv_free(s);
	strcpy(c.name, "cai-test-x");
	s = jv_dump_string(cai_container_jv(&c), 0);
	is_str(jv_string_value(s), "{\"id\":\"" ID "\",\"name\":\"cai-test-x\"}", "id and name");
	jv_free(s);
	ok(cai_container_id_valid(ID), "a valid id");
	ok(!cai_container_id_valid(ID "0") && !cai_container_id_valid("abc"), "ids of the wrong length");
}

/* mkdir for a cgroup: true when made now (the caller removes it). */
static bool made_dir(const char *path)
{
	return mkdir(path, 0755) == 0;
}

static bool move_to(const char *cgroup, pid_t pid)
{
	char procs[8192];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	FILE *f = fopen(procs, "w");
	if (!f)
		return false;
	bool ok_write = fprintf(f, "%d\n", (int)pid) > 0;
	return fclose(f) == 0 && ok_write;
}

/* A chain of cgroups DEPTH deep under root with long names: made[i] says
 * which were made (the caller removes them, deepest first). */
enum { DEPTH = 14 };
struct chain {
	char dir[DEPTH + 1][4096];
	bool made[DEPTH + 1];
};

static bool make_chain(struct chain *c, const char *root)
{
	char seg[201];
	memset(seg, 'a', 200);
	seg[200] = '\0';
	memset(c->made, 0, sizeof(c->made));
	snprintf(c->dir[0], sizeof(c->dir[0]), "%s/cai-test-%d", root, (int)getpid());
	c->made[0] = made_dir(c->dir[0]);
	for (int i = 1; i <= DEPTH && c->made[i - 1]; i++) {
		size_t l = strlen(c->dir[i - 1]);
		if (l + 1 + sizeof(seg) > sizeof(c->dir[i]))
			break;
		memcpy(c->dir[i], c->dir[i - 1], l);
		c->dir[i][l] = '/';
		memcpy(c->dir[i] + l + 1, seg, sizeof(seg));
		c->made[i] = made_dir(c->dir[i]);
	}
	return c->made[DEPTH];
}

static void remove_chain(const struct chain *c)
{
	for (int i = DEPTH; i >= 0; i--)
		if (c->made[i])
			rmdir(c->dir[i]);
}

/* A cgroup file longer than the page read first (cgroup v1, as root): the
 * pids and blkio lines are made some 3 KiB long each by nesting, and the
 * container's id comes on the cpu line after them. The id is found only
 * if the file is read to its end. */
static void long_cgroup_file(void)
{
	const char *pids = "/sys/fs/cgroup/pids", *blkio = "/sys/fs/cgroup/blkio", *cpu = "/sys/fs/cgroup/cpu";
	struct stat st;
	if (geteuid() != 0 || stat(pids, &st) != 0 || stat(blkio, &st) != 0 || stat(cpu, &st) != 0) {
		skip("needs root and cgroup v1 pids, blkio and cpu hierarchies", "a cgroup file over 4 KiB");
		return;
	}
	int gate[2];
	if (pipe(gate) < 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		char b;
		close(gate[1]);
		(void)!read(gate[0], &b, 1);
		_exit(0);
	}
	close(gate[0]);
	static struct chain a, b;
	char slice[256], scope[512];
	snprintf(slice, sizeof(slice), "%s/system.slice", cpu);
	snprintf(scope, sizeof(scope), "%s/docker-%s.scope", slice, ID2);
	bool made_slice = made_dir(slice);
	bool made_scope = made_dir(scope);
	bool placed = make_chain(&a, pids) && make_chain(&b, blkio) && made_scope && move_to(a.dir[DEPTH], child) &&
		      move_to(b.dir[DEPTH], child) && move_to(scope, child);
	if (placed) {
		char id[CAI_CONTAINER_ID_LEN + 1];
		struct cai_error err = {0};
		int rc = cai_container_id_of_pid(child, id, NULL, &err);
		ok(rc == 1 && strcmp(id, ID2) == 0, "an id after the first 4 KiB of the cgroup file is found (%d)", rc);
	} else {
		skip("could not make the cgroups", "a cgroup file over 4 KiB");
	}
	close(gate[1]);
	waitpid(child, NULL, 0);
	if (made_scope)
		rmdir(scope);
	if (made_slice)
		rmdir(slice);
	remove_chain(&a);
	remove_chain(&b);
}

int main(void)
{
	parser();
	unified();
	names();
	live_and_jv();
	long_cgroup_file();
	return done_testing();
}
