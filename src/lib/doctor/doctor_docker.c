/* The doctor's checks of the Docker around the engine: the caller's
 * environment, Docker from snap, and another dockerd on our socket or
 * bridge. */
#include "doctor.h"

#include <dirent.h>
#include <sys/stat.h>

#include "daemon_json.h"
#include "engine.h"
#include "engine_paths.h"
#include "procfs.h"

void cai_doctor_check_docker_env(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	(void)f;
	const char *host = getenv("DOCKER_HOST"), *context = getenv("DOCKER_CONTEXT");
	if ((!host || !*host) && (!context || !*context)) {
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "neither DOCKER_HOST nor DOCKER_CONTEXT is set");
		return;
	}
	char evidence[600];
	snprintf(evidence, sizeof(evidence), "%s%.250s%s%s%.250s%s", host && *host ? "DOCKER_HOST=" : "",
		 host && *host ? host : "", host && *host && context && *context ? ", " : "",
		 context && *context ? "DOCKER_CONTEXT=" : "", context && *context ? context : "",
		 " is set: it overrides `docker context use` and every command without --context");
	cai_doctor_set(c, CAI_DOCTOR_WARNING,
		       "unset DOCKER_HOST DOCKER_CONTEXT (and remove them from your shell's startup files); then use "
		       "`docker --context " CAI_CONTEXT_NAME " ...`",
		       "%s", evidence);
}

/* Sysbox does not support Docker from snap: its dockerd is confined and
 * keeps its own /var/lib and runtimes. */
void cai_doctor_check_docker_snap(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	(void)f;
	static const char *const paths[] = {"/snap/docker", "/snap/bin/docker", "/snap/bin/docker.dockerd"};
	struct stat st;
	for (size_t i = 0; i < CAI_ARRAY_LEN(paths); i++) {
		if (lstat(paths[i], &st) == 0) {
			cai_doctor_set(
			    c, CAI_DOCTOR_FAILURE,
			    "Sysbox does not support Docker from snap: `snap remove docker`, then install Docker "
			    "from the distribution (apt-get install docker.io) or Docker's own packages.",
			    "Docker from snap is installed (`%s`)", paths[i]);
			return;
		}
	}
	cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "no Docker from snap (no /snap/docker)");
}

/* argv of pid, NUL-separated, in buf; the count of bytes or -1. */
static ssize_t cmdline_of(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	struct cai_error ignored;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	return cai_read_small_file(path, buf, cap, &ignored);
}

/* The value of --NAME VALUE, --NAME=VALUE or -S VALUE in a NUL-separated argv. */
static const char *flag_value(const char *argv, ssize_t n, const char *name, const char *short_name)
{
	size_t len = strlen(name);
	for (const char *a = argv, *prev = ""; a < argv + n; prev = a, a += strlen(a) + 1) {
		if (strncmp(a, name, len) == 0 && a[len] == '=')
			return a + len + 1;
		if (strcmp(prev, name) == 0 || (short_name && strcmp(prev, short_name) == 0))
			return a;
	}
	return NULL;
}

static bool config_sets_our_bridge(const char *file)
{
	jv doc;
	struct cai_error ignored;
	if (cai_dj_load(file, &doc, &ignored) < 0)
		return false;
	jv bridge = jv_object_get(doc, jv_string("bridge")); /* consumes doc */
	bool ours = jv_get_kind(bridge) == JV_KIND_STRING && strcmp(jv_string_value(bridge), CAI_ENGINE_BRIDGE) == 0;
	jv_free(bridge);
	return ours;
}

/* What another dockerd shares with ours, or NULL. */
static const char *clash_of(const char *argv, ssize_t n)
{
	for (const char *a = argv; a < argv + n; a += strlen(a) + 1)
		if (strstr(a, CAI_ENGINE_SOCKET))
			return "the engine's socket " CAI_ENGINE_SOCKET;
	const char *bridge = flag_value(argv, n, "--bridge", "-b");
	if (bridge && strcmp(bridge, CAI_ENGINE_BRIDGE) == 0)
		return "the engine's bridge " CAI_ENGINE_BRIDGE;
	const char *config = flag_value(argv, n, "--config-file", NULL);
	if (config_sets_our_bridge(config ? config : "/etc/docker/daemon.json"))
		return "the engine's bridge " CAI_ENGINE_BRIDGE " (set in its daemon.json)";
	return NULL;
}

void cai_doctor_check_other_dockerd(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	(void)f;
	DIR *proc = opendir("/proc");
	struct dirent *de;
	while (proc && (de = readdir(proc)) != NULL) {
		char *end, path[64], comm[64], argv[16384];
		long num = strtol(de->d_name, &end, 10);
		if (*end || num <= 0 || num > 1L << 30)
			continue;
		pid_t pid = (pid_t)num;
		struct cai_error ignored;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if (cai_read_small_file_trim(path, comm, sizeof(comm), &ignored) < 0 || strcmp(comm, "dockerd") != 0)
			continue;
		ssize_t n = cmdline_of(pid, argv, sizeof(argv));
		const char *clash = n > 0 && !cai_engine_is_ours(pid) ? clash_of(argv, n) : NULL;
		if (clash) {
			closedir(proc);
			cai_doctor_set(c, CAI_DOCTOR_FAILURE,
				       "Give that dockerd another socket and bridge (its --host/--bridge flags or its "
				       "daemon.json), or stop it; the Secure Engine needs both to itself.",
				       "another dockerd (pid %d: %.300s) uses %s", (int)pid, argv, clash);
			return;
		}
	}
	if (proc)
		closedir(proc);
	struct cai_engine_status st;
	cai_engine_get_status(&st);
	if (st.responding && !st.running) {
		cai_doctor_set(c, CAI_DOCTOR_FAILURE,
			       "Find what listens there (`ss -xlp | grep docker-containai`) and stop it or move it.",
			       "something that is not the Secure Engine answers on " CAI_ENGINE_SOCKET);
		return;
	}
	cai_doctor_set(c, CAI_DOCTOR_OK, NULL,
		       "no other dockerd uses " CAI_ENGINE_SOCKET " or bridge " CAI_ENGINE_BRIDGE);
}
