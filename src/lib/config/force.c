#include "force.h"

#include <sys/stat.h>

#include "engine_paths.h"

enum cai_force_source cai_force_source(bool flag)
{
	if (flag)
		return CAI_FORCE_FLAG;
	const char *env = getenv("CAI_FORCE");
	if (env && strcmp(env, "1") == 0)
		return CAI_FORCE_ENV;
	struct stat st;
	/* Only a regular file counts, whatever it holds: an admin creates it
	 * with `touch`. */
	if (lstat(CAI_FORCE_MARKER_FILE, &st) == 0 && S_ISREG(st.st_mode))
		return CAI_FORCE_MARKER;
	return CAI_FORCE_NONE;
}

const char *cai_force_source_name(enum cai_force_source s)
{
	switch (s) {
	case CAI_FORCE_FLAG:
		return "--force";
	case CAI_FORCE_ENV:
		return "CAI_FORCE=1";
	case CAI_FORCE_MARKER:
		return CAI_FORCE_MARKER_FILE;
	case CAI_FORCE_NONE:
		break;
	}
	return NULL;
}
