/* The Secure Engine's dockerd: its command line, its bridge, and starting,
 * stopping and reloading it, under systemd or on its own where systemd is
 * not PID 1 (as on many WSL2 distributions). */
#ifndef CAI_ENGINE_H
#define CAI_ENGINE_H

#include <sys/types.h>

#include "error.h"

struct cai_engine_opts {
	const char *daemon_json; /* CAI_ENGINE_DAEMON_JSON unless the admin chose another */
	FILE *trace;		 /* a "+ command" line for each action; NULL: none */
	int start_timeout_s;
};

enum cai_engine_manager {
	CAI_ENGINE_STANDALONE, /* `cai engine start` daemonises dockerd */
	CAI_ENGINE_SYSTEMD,    /* containai-docker.service */
};

struct cai_engine_status {
	bool running; /* a dockerd process owns our pidfile */
	pid_t pid;
	bool responding; /* our socket answers /_ping */
	enum cai_engine_manager manager;
};

enum cai_engine_manager cai_engine_manager(void);

/* dockerd and its flags: only the path directives of engine_paths.h, and
 * the config file. NULL-terminated, static storage except daemon_json. */
void cai_engine_dockerd_argv(const char *daemon_json, const char *argv[16]);
const char *cai_dockerd_path(void);
/* Major version of the installed dockerd (20 for "Docker version 20.10.24"),
 * or -1 when it cannot be told. */
int cai_dockerd_major_version(void);

/* A bridge of this network namespace: present? removed when present (the
 * engine's, or another of ours such as the agent network's). */
bool cai_bridge_exists(const char *name);
int cai_bridge_remove(const char *name, FILE *trace, bool *removed, struct cai_error *err);
bool cai_engine_bridge_exists(void);
/* Create and bring up the engine's bridge when it is missing. */
int cai_engine_prepare_network(FILE *trace, bool *created, struct cai_error *err);
/* Delete the bridge when present. */
int cai_engine_remove_network(FILE *trace, bool *removed, struct cai_error *err);

int cai_engine_get_status(struct cai_engine_status *st);
/* Start unless running; waits until the socket answers. */
int cai_engine_start(const struct cai_engine_opts *o, bool *started, struct cai_error *err);
int cai_engine_stop(const struct cai_engine_opts *o, bool *stopped, struct cai_error *err);
/* systemd only: start the unit at boot, or no longer. */
int cai_engine_enable(bool enable, FILE *trace, struct cai_error *err);
/* SIGHUP: dockerd re-reads runtimes without touching containers. */
int cai_engine_reload(const struct cai_engine_opts *o, struct cai_error *err);
/* Replace this process with dockerd (for the systemd unit); returns only on failure. */
int cai_engine_exec(const struct cai_engine_opts *o, struct cai_error *err);

/* Is pid our dockerd: root's, started with our --pidfile? */
bool cai_engine_is_ours(pid_t pid);

/* GET /_ping on a unix socket; true on "200". */
bool cai_engine_ping(const char *socket_path);

#endif
