#include "platform.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "procfs.h"

const char *cai_platform_kind_name(enum cai_platform_kind kind)
{
	switch (kind) {
	case CAI_PLATFORM_WSL1:
		return "wsl1";
	case CAI_PLATFORM_WSL2:
		return "wsl2";
	case CAI_PLATFORM_LINUX:
		break;
	}
	return "linux";
}

const char *cai_wsl_evidence_name(unsigned bit)
{
	switch (bit) {
	case CAI_WSL_OSRELEASE_WSL2:
		return "osrelease-wsl2";
	case CAI_WSL_VERSION_WSL2:
		return "version-wsl2";
	case CAI_WSL_OSRELEASE_WSL1:
		return "osrelease-wsl1";
	case CAI_WSL_VERSION_WSL1:
		return "version-wsl1";
	case CAI_WSL_INTEROP:
		return "binfmt-wslinterop";
	case CAI_WSL_INTEROP_LATE:
		return "binfmt-wslinterop-late";
	case CAI_WSL_RUN_WSL:
		return "run-wsl";
	}
	return "unknown";
}

/* Microsoft's WSL2 kernels say "microsoft-standard" ("4.19.128-microsoft-standard",
 * "5.15.167.4-microsoft-standard-WSL2"); the seed check `grep -qi
 * microsoft-standard /proc/version` must keep meaning WSL2. Custom WSL2
 * kernels often keep a "WSL2" suffix. WSL1 has no Linux kernel: its syscall
 * layer reports a fixed "4.4.0-19041-Microsoft" with a capital M. A bare
 * "microsoft" is not enough: Azure kernels are built by Microsoft too. */
static unsigned kernel_string_evidence(const char *s, unsigned wsl2_bit, unsigned wsl1_bit)
{
	if (cai_str_contains_ci(s, "microsoft-standard") || strstr(s, "WSL2"))
		return wsl2_bit;
	if (strstr(s, "-Microsoft"))
		return wsl1_bit;
	return 0;
}

void cai_platform_classify(struct cai_platform *p)
{
	p->evidence |= kernel_string_evidence(p->osrelease, CAI_WSL_OSRELEASE_WSL2, CAI_WSL_OSRELEASE_WSL1);
	p->evidence |= kernel_string_evidence(p->version, CAI_WSL_VERSION_WSL2, CAI_WSL_VERSION_WSL1);

	if (p->evidence & (CAI_WSL_OSRELEASE_WSL2 | CAI_WSL_VERSION_WSL2))
		p->kind = CAI_PLATFORM_WSL2;
	else if (p->evidence & (CAI_WSL_OSRELEASE_WSL1 | CAI_WSL_VERSION_WSL1))
		p->kind = CAI_PLATFORM_WSL1;
	/* A custom WSL2 kernel may carry no marker in its name, but WSL's
	 * interop handler and /run/WSL are still there. WSL1 cannot boot a
	 * custom kernel, so these alone mean WSL2. */
	else if (p->evidence & (CAI_WSL_INTEROP | CAI_WSL_INTEROP_LATE | CAI_WSL_RUN_WSL))
		p->kind = CAI_PLATFORM_WSL2;
	else
		p->kind = CAI_PLATFORM_LINUX;
}

static bool path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void detect_docker_desktop(struct cai_platform *p)
{
	DIR *dir = opendir(CAI_PATH_MNT_WSL);
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "docker-desktop", strlen("docker-desktop")) != 0)
			continue;
		p->docker_desktop = true;
		if (p->docker_desktop_npaths < CAI_DD_MAX_PATHS) {
			snprintf(p->docker_desktop_paths[p->docker_desktop_npaths], sizeof(p->docker_desktop_paths[0]),
				 "%s/%s", CAI_PATH_MNT_WSL, de->d_name);
			p->docker_desktop_npaths++;
		}
	}
	closedir(dir);

	struct stat st;
	if (stat(CAI_PATH_DD_PROXY_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode)) {
		p->docker_desktop = true;
		p->docker_desktop_proxy_socket = true;
	}
}

int cai_platform_detect(struct cai_platform *p, struct cai_error *err)
{
	memset(p, 0, sizeof(*p));
	if (cai_read_small_file_trim(CAI_PATH_OSRELEASE, p->osrelease, sizeof(p->osrelease), err) < 0)
		return cai_error_prefix(err, "detect platform");
	if (cai_read_small_file_trim(CAI_PATH_VERSION, p->version, sizeof(p->version), err) < 0)
		return cai_error_prefix(err, "detect platform");

	if (path_exists(CAI_PATH_WSL_INTEROP))
		p->evidence |= CAI_WSL_INTEROP;
	if (path_exists(CAI_PATH_WSL_INTEROP_LATE))
		p->evidence |= CAI_WSL_INTEROP_LATE;
	if (path_exists(CAI_PATH_RUN_WSL))
		p->evidence |= CAI_WSL_RUN_WSL;

	cai_platform_classify(p);
	detect_docker_desktop(p);
	return 0;
}
