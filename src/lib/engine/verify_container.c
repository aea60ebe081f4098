#include "verify_container.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "backstop.h"
#include "docker_context.h"
#include "engine_paths.h"
#include "run_cmd.h"

#define INIT_IN_IMAGE "cai-agent-init"

/* A one-file ustar archive, the image's only content. */
static int write_tar(const char *tar_path, const char *file, struct cai_error *err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	bool exists = false;
	if (cai_read_file_at(AT_FDCWD, ".", file, &data, &len, &exists, NULL, err) < 0)
		return -1;
	if (!exists)
		return cai_error_set(err, ENOENT, "`%s` (reinstall containai-secure-engine)", file);
	size_t total = 512 + (len + 511) / 512 * 512 + 1024; /* header, data, two zero blocks */
	cleanup_free unsigned char *tar = xcalloc(1, total);
	unsigned char *h = tar;
	memcpy(h, INIT_IN_IMAGE, strlen(INIT_IN_IMAGE));
	snprintf((char *)h + 100, 8, "%07o", 0755);   /* mode */
	snprintf((char *)h + 108, 8, "%07o", 0);      /* uid */
	snprintf((char *)h + 116, 8, "%07o", 0);      /* gid */
	snprintf((char *)h + 124, 12, "%011zo", len); /* size */
	snprintf((char *)h + 136, 12, "%011o", 0);    /* mtime */
	h[156] = '0';				      /* a regular file */
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	/* The checksum is summed with its own field as eight spaces. */
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	memcpy(tar + 512, data, len);
	return cai_write_new_file(tar_path, tar, total, 0600, err);
}

static int ensure_image(const struct cai_docker_user *u, const char *dir, const char *init_path, FILE *trace,
			struct cai_error *err)
{
	const char *inspect[] = {cai_docker_cli(), "--context", CAI_CONTEXT_NAME, "image", "inspect",
				 "--format",	   "{{.Id}}",	CAI_VERIFY_IMAGE, NULL};
	struct cai_cmd cmd;
	if (cai_docker_run(u, inspect, trace, &cmd, err) < 0)
		return -1;
	int status = cmd.status;
	cai_cmd_free(&cmd);
	if (status == 0)
		return 0;
	cleanup_free char *tar = xasprintf("%s/verify.tar", dir);
	if (write_tar(tar, init_path, err) < 0)
		return -1;
	const char *import[] = {cai_docker_cli(), "--context", CAI_CONTEXT_NAME, "import", tar, CAI_VERIFY_IMAGE, NULL};
	if (cai_docker_run(u, import, trace, &cmd, err) < 0)
		return -1;
	char last[400];
	int rc = cmd.status == 0 ? 0
				 : cai_error_set(err, 0, "docker import `%s`: %s", CAI_VERIFY_IMAGE,
						 cai_last_line(cmd.errout, last, sizeof(last)));
	cai_cmd_free(&cmd);
	return rc;
}

static int run_check(const struct cai_docker_user *u, const char *profile, struct cai_container_check *c, FILE *trace,
		     struct cai_error *err)
{
	cleanup_free char *seccomp = xasprintf("seccomp=%s", profile);
	const char *argv[] = {cai_docker_cli(),
			      "--context",
			      CAI_CONTEXT_NAME,
			      "run",
			      "--rm",
			      "--network",
			      "none",
			      "--runtime",
			      c->runtime,
			      "--security-opt",
			      seccomp,
			      "--security-opt",
			      "no-new-privileges",
			      "--label",
			      "org.containai.verify=true",
			      CAI_VERIFY_IMAGE,
			      "/" INIT_IN_IMAGE,
			      "--self-test",
			      NULL};
	struct cai_cmd cmd;
	if (cai_docker_run(u, argv, trace, &cmd, err) < 0)
		return -1;
	const char *mark = strstr(cmd.out, "exec listener: ");
	c->ran = cmd.status == 0 && mark;
	if (c->ran) {
		snprintf(c->listener, sizeof(c->listener), "%s", mark + strlen("exec listener: "));
		cai_strip_newline(c->listener);
	} else {
		/* docker's own complaint, not its "Run 'docker run --help'" hint. */
		const char *why = strstr(cmd.errout, "Error");
		char line[sizeof(c->error)];
		snprintf(line, sizeof(line), "%.*s", why ? (int)strcspn(why, "\n") : 0, why ? why : "");
		if (line[0])
			snprintf(c->error, sizeof(c->error), "%s", line);
		else
			cai_last_line(cmd.errout[0] ? cmd.errout : cmd.out, c->error, sizeof(c->error));
		if (!c->error[0])
			snprintf(c->error, sizeof(c->error), "docker run exited with %d", cmd.status);
	}
	cai_cmd_free(&cmd);
	return 0;
}

int cai_verify_containers(const struct cai_docker_user *u, const char *init_path, struct cai_container_check *checks,
			  size_t n, FILE *trace, struct cai_error *err)
{
	char dir[] = "/tmp/cai-verify.XXXXXX";
	if (!mkdtemp(dir))
		return cai_error_set(err, errno, "create a private directory in /tmp");
	/* The docker CLI reads the files as the user the check is for. */
	int rc = !u->is_caller && chown(dir, u->uid, u->gid) < 0 ? cai_error_set(err, errno, "chown `%s`", dir) : 0;
	cleanup_free char *profile = xasprintf("%s/profile.json", dir);
	cleanup_free char *tar = xasprintf("%s/verify.tar", dir);
	if (rc == 0)
		rc = cai_backstop_write_profile(profile, err);
	if (rc == 0)
		rc = ensure_image(u, dir, init_path, trace, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = run_check(u, profile, &checks[i], trace, err);
	unlink(tar);
	unlink(profile);
	rmdir(dir);
	return rc;
}
