/* Is sysbox-runc installed, which version, and installing it. */
#ifndef CAI_SYSBOX_H
#define CAI_SYSBOX_H

#include "error.h"

bool cai_sysbox_present(void);
/* First line of `sysbox-runc --version`, or "" when it cannot tell. */
void cai_sysbox_version(char *buf, size_t cap);

/* Install sysbox-ce with apt-get or dnf, from the repositories or from a
 * local package file (may be NULL). On failure err says where to get it. */
int cai_sysbox_install(const char *package_file, FILE *trace, struct cai_error *err);

#endif
