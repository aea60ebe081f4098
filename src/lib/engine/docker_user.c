#include "docker_user.h"

#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>

static int fill_from_passwd(struct cai_docker_user *u, const struct passwd *pw)
{
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
	snprintf(u->docker_config, sizeof(u->docker_config), "%s/.docker", pw->pw_dir);
	return 0;
}

/* A real directory (not a symlink) owned by root and writable by no one
 * else. */
static bool root_owned_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

int cai_docker_users(struct cai_docker_user users[CAI_MAX_DOCKER_USERS], struct cai_error *err)
{
	int n = 0;
	uid_t me = geteuid();
	errno = 0;
	struct passwd *pw = getpwuid(me);
	if (!pw)
		return cai_error_set(err, errno, "look up the calling user (uid %u)", (unsigned)me);
	struct cai_docker_user *caller = &users[n++];
	memset(caller, 0, sizeof(*caller));
	fill_from_passwd(caller, pw);
	caller->is_caller = true;
	/* A user's CLI honours HOME and DOCKER_CONFIG; follow it. Root's
	 * environment may come from a user (sudo -E, su -m), whose tree would
	 * then receive root's writes through symlinks planted there: root
	 * takes its home from the password database, and DOCKER_CONFIG only
	 * when it names a directory of root's that no one else can write. */
	const char *home = getenv("HOME");
	if (me != 0 && home && *home)
		snprintf(caller->home, sizeof(caller->home), "%s", home);
	const char *dc = getenv("DOCKER_CONFIG");
	if (dc && *dc && (me != 0 || root_owned_dir(dc)))
		snprintf(caller->docker_config, sizeof(caller->docker_config), "%s", dc);
	else
		snprintf(caller->docker_config, sizeof(caller->docker_config), "%s/.docker", caller->home);

	const char *sudo_user = getenv("SUDO_USER");
	const char *sudo_uid = getenv("SUDO_UID");
	if (me != 0 || !sudo_user || !*sudo_user || !sudo_uid)
		return n;
	errno = 0;
	pw = getpwnam(sudo_user);
	if (!pw || pw->pw_uid == 0 || pw->pw_uid == me)
		return n;
	char expect[32];
	snprintf(expect, sizeof(expect), "%u", (unsigned)pw->pw_uid);
	if (strcmp(expect, sudo_uid) != 0)
		return n; /* SUDO_USER and SUDO_UID disagree: trust neither */
	struct cai_docker_user *u = &users[n++];
	memset(u, 0, sizeof(*u));
	fill_from_passwd(u, pw);
	return n;
}
