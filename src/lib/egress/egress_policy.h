/* What one agent may reach: the allowlist assembled from --allow-domain,
 * named presets (one entry a line, '#' comments: the admin's in
 * /etc/containai/egress/presets, else the package's)
 * and, when the admin enables it, the workspace's own list; and the admin's
 * settings in policy.conf. Every entry is checked before anything starts. */
#ifndef CAI_EGRESS_POLICY_H
#define CAI_EGRESS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct cai_egress_list {
	char **v; /* NULL-terminated */
	size_t n;
};

/* policy.conf: "project-allowlist yes|no" (default no), "allow-address
 * ADDR[/PREFIX]" (repeatable: an address the proxy may reach although it is
 * private, link-local or the host's own). */
struct cai_egress_admin {
	bool project_allowlist;
	struct cai_egress_list addresses;
};

void cai_egress_list_add(struct cai_egress_list *l, const char *s);
void cai_egress_list_free(struct cai_egress_list *l);

/* A missing file is the defaults. */
int cai_egress_admin_load(const char *path, struct cai_egress_admin *a, struct cai_error *err);
void cai_egress_admin_free(struct cai_egress_admin *a);

/* Append a checked entry (err names it). */
int cai_egress_allow(struct cai_egress_list *l, const char *entry, struct cai_error *err);
/* Append every entry of a list file (err names file and line). A missing
 * file is an error unless missing_ok. */
int cai_egress_allow_file(struct cai_egress_list *l, const char *path, bool missing_ok, struct cai_error *err);
/* Append preset NAME from the first of dirs (NULL-terminated) that has it:
 * the admin's (CAI_EGRESS_PRESETS) before the package's. */
int cai_egress_allow_preset(struct cai_egress_list *l, const char *const *dirs, const char *name,
			    struct cai_error *err);

#endif
