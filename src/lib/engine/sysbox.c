#include "sysbox.h"

#include <errno.h>

#include "engine_paths.h"
#include "run_cmd.h"

bool cai_sysbox_present(void)
{
	return access(CAI_SYSBOX_RUNC, X_OK) == 0;
}

void cai_sysbox_version(char *buf, size_t cap)
{
	buf[0] = '\0';
	if (!cai_sysbox_present())
		return;
	const char *argv[] = {CAI_SYSBOX_RUNC, "--version", NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error ignored;
	if (cai_cmd_run(&cmd, &ignored) == 0 && cmd.status == 0) {
		size_t n = strcspn(cmd.out, "\n");
		snprintf(buf, cap, "%.*s", (int)n, cmd.out);
	}
	cai_cmd_free(&cmd);
}

static bool have(const char *path)
{
	return access(path, X_OK) == 0;
}

int cai_sysbox_install(const char *package_file, FILE *trace, struct cai_error *err)
{
	const char *target = package_file ? package_file : CAI_SYSBOX_PACKAGE;
	const char *argv[8];
	size_t n = 0;
	if (have("/usr/bin/apt-get")) {
		argv[n++] = "apt-get";
		argv[n++] = "install";
		argv[n++] = "-y";
	} else if (have("/usr/bin/dnf")) {
		argv[n++] = "dnf";
		argv[n++] = "install";
		argv[n++] = "-y";
	} else {
		return cai_error_set(err, 0,
				     "no apt-get or dnf to install `%s`; download sysbox-ce from %s, install it, "
				     "and run `cai setup` again",
				     target, CAI_SYSBOX_DOWNLOAD);
	}
	char local[4096];
	if (package_file) {
		if (access(package_file, R_OK) != 0)
			return cai_error_set(err, errno, "read sysbox package `%s`", package_file);
		/* apt-get treats a bare name as a package name: make it a path. */
		snprintf(local, sizeof(local), "%s%s", package_file[0] == '/' ? "" : "./", package_file);
		argv[n++] = local;
	} else {
		argv[n++] = CAI_SYSBOX_PACKAGE;
	}
	argv[n] = NULL;
	struct cai_cmd cmd = {.argv = argv, .trace = trace};
	if (cai_cmd_run(&cmd, err) < 0)
		return -1;
	int status = cmd.status;
	char line[512];
	cai_last_line(cmd.errout, line, sizeof(line));
	cai_cmd_free(&cmd);
	if (status != 0)
		return cai_error_set(err, 0,
				     "%s could not install `%s` (exit %d: %s); download sysbox-ce from %s "
				     "and run `cai setup --sysbox-package FILE`",
				     argv[0], target, status, line, CAI_SYSBOX_DOWNLOAD);
	if (!cai_sysbox_present())
		return cai_error_set(err, 0, "`%s` was installed but `%s` is still missing", target, CAI_SYSBOX_RUNC);
	return 0;
}
