/* Dotted version numbers as tools print them: "runc version 1.1.5+ds1",
 * sysbox-runc's "version: 0.6.4", a kernel's "5.15.167.4-microsoft-standard". */
#ifndef CAI_VERSION_PARSE_H
#define CAI_VERSION_PARSE_H

#include "util.h"

struct cai_version {
	int major, minor, patch;
};

/* The first "N.N[.N]" in text after the first occurrence of word (any case;
 * NULL: from the start). Returns false when there is none. Pure. */
bool cai_version_find(const char *text, const char *word, struct cai_version *out);

/* <0, 0, >0 as a is before, equal to, after major.minor.patch. */
int cai_version_cmp(const struct cai_version *a, int major, int minor, int patch);

#endif
