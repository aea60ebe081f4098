/* What WSL says about this distribution: `wslinfo` (WSL 2.0 and later) for
 * the networking mode and WSL's own version, and /etc/wsl.conf for systemd
 * and the boot command. Reads only: Windows-side files (.wslconfig) are
 * never opened, let alone written. */
#ifndef CAI_WSL_INFO_H
#define CAI_WSL_INFO_H

#include <jv.h>

#include "error.h"

#define CAI_WSL_CONF "/etc/wsl.conf"

/* The [boot] settings of /etc/wsl.conf that decide how the engine comes back
 * after `wsl --shutdown`. */
struct cai_wsl_conf {
	bool readable;		/* the file exists and could be read */
	bool systemd_set;	/* [boot] systemd= is present */
	bool systemd;		/* ... and says true */
	char boot_command[512]; /* [boot] command=, "" when absent */
};

struct cai_wsl_info {
	char networking_mode[32]; /* `wslinfo --networking-mode`: "nat", "mirrored"...; "" unknown */
	char version[64];	  /* `wslinfo --wsl-version`: "2.3.26.0"; "" unknown */
	char wslinfo_error[256];  /* why wslinfo told nothing, when it did not */
	struct cai_wsl_conf conf;
};

/* Run wslinfo (found on the fixed PATH) and read /etc/wsl.conf. */
void cai_wsl_info_read(struct cai_wsl_info *w);

/* Parse wsl.conf text (INI: sections, key = value, # and ; comments, keys
 * and section names case-insensitive, values optionally quoted). Pure. */
void cai_wsl_conf_parse(const char *text, struct cai_wsl_conf *c);

/* {"version", "networking_mode", "wslinfo_error", "wsl_conf": {...}} */
jv cai_wsl_info_to_jv(const struct cai_wsl_info *w);

#endif
