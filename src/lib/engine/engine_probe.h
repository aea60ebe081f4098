/* The seccomp probe where Sysbox will really run. Seccomp filters are
 * inherited per process tree, and the engine's tree is not the caller's:
 * under systemd it is systemd's own (containai-docker.service), so the probe
 * runs again in a transient service, which inherits what the engine
 * inherits; without systemd, `cai engine start` forks dockerd from its
 * caller, so this process's tree is the engine's and the probe already made
 * here is the answer. The refusal is decided on this probe. */
#ifndef CAI_ENGINE_PROBE_H
#define CAI_ENGINE_PROBE_H

#include <jv.h>

#include "notify_probe.h"

enum cai_probe_where {
	CAI_PROBE_WHERE_THIS_TREE,	 /* no systemd: the engine starts from this tree */
	CAI_PROBE_WHERE_SYSTEMD_SERVICE, /* systemd is PID 1: a transient service */
};

struct cai_engine_probe {
	enum cai_probe_where where;
	bool ran;		       /* the probe ran there (always, for THIS_TREE) */
	struct cai_notify_probe probe; /* its answer when ran */
	char error[512];	       /* why it did not run there */
	char command[512];	       /* what was run, for the evidence */
};

/* here: the probe already made in this process. Never fails: a probe that
 * cannot run in the service is ran == false with the reason. */
void cai_engine_probe_run(const struct cai_notify_probe *here, struct cai_engine_probe *out);

/* The answer that decides: the engine's context when it ran, else here. */
const struct cai_notify_probe *cai_engine_probe_decisive(const struct cai_notify_probe *here,
							 const struct cai_engine_probe *ep);
/* Both ran and gave different results. */
bool cai_engine_probe_differs(const struct cai_notify_probe *here, const struct cai_engine_probe *ep);

const char *cai_probe_where_name(enum cai_probe_where w); /* "this-process-tree", "systemd-service" */
/* "a transient systemd service (as containai-docker.service)", for sentences. */
const char *cai_probe_where_text(enum cai_probe_where w);

/* {"where", "ran", "command", "error", "seccomp_notify", "differs"} */
jv cai_engine_probe_to_jv(const struct cai_notify_probe *here, const struct cai_engine_probe *ep);

/* The cai-seccomp-probe beside this program (/proc/self/exe's folder). */
int cai_probe_sibling_path(char *out, size_t cap, struct cai_error *err);

#endif
