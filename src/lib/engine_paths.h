/* The Secure Engine's identity: every path and name it uses, in one place
 * (design decision 1). dockerd gets the path directives below as flags only;
 * daemon.json holds the runtimes and the bridge, never these, so no directive
 * is ever given twice (dockerd refuses to start when one is). */
#ifndef CAI_ENGINE_PATHS_H
#define CAI_ENGINE_PATHS_H

#define CAI_ENGINE_SOCKET "/var/run/docker-containai.sock"
#define CAI_ENGINE_HOST "unix://" CAI_ENGINE_SOCKET
#define CAI_ENGINE_DAEMON_JSON "/etc/containai/docker/daemon.json"
#define CAI_ENGINE_DATA_ROOT "/var/lib/containai-docker"
#define CAI_ENGINE_EXEC_ROOT "/run/containai-docker"
#define CAI_ENGINE_PIDFILE "/run/containai-docker.pid"
#define CAI_ENGINE_LOG_DIR "/var/log/containai"
#define CAI_ENGINE_LOG CAI_ENGINE_LOG_DIR "/containai-docker.log"
#define CAI_ENGINE_UNIT "containai-docker.service"
/* dockerd before 23.0 writes a libtrust key to /etc/docker/key.json unless
 * daemon.json names another path; /etc/docker is not ours to write. */
#define CAI_ENGINE_TRUST_KEY "/etc/containai/docker/key.json"
#define CAI_ENGINE_TRUST_KEY_SETTING "deprecated-key-path"

/* Its own bridge, so it never shares docker0 with the user's engine. The
 * subnet is away from docker0's 172.17.0.0/16 and the usual compose ranges. */
#define CAI_ENGINE_BRIDGE "cai0"
#define CAI_ENGINE_BRIDGE_CIDR "172.31.240.1/24"

#define CAI_CONTEXT_NAME "containai-secure"
#define CAI_CONTEXT_DESCRIPTION "ContainAI Secure Engine (Sysbox)"

#define CAI_SYSBOX_RUNTIME "sysbox-runc"
#define CAI_SYSBOX_RUNC "/usr/bin/sysbox-runc"
#define CAI_SYSBOX_PACKAGE "sysbox-ce"
#define CAI_SYSBOX_DOWNLOAD "https://github.com/nestybox/sysbox/releases"

#define CAI_DOCKERD "/usr/sbin/dockerd"
#define CAI_ETC_DIR "/etc/containai"
#define CAI_FORCE_MARKER_FILE CAI_ETC_DIR "/force-sysbox"
#define CAI_STATE_DIR "/var/lib/containai"
#define CAI_STATE_FILE CAI_STATE_DIR "/state.json"

/* daemon.json keys that we pass as dockerd flags; an admin must not set them. */
#define CAI_ENGINE_FLAG_KEYS                                                                                           \
	{                                                                                                              \
		"hosts", "data-root", "exec-root", "pidfile", "host", "graph"                                          \
	}

#endif
