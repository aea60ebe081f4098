/* The egress proxy's identity: every path, name and address it uses, in one
 * place. Agent containers join CAI_EGRESS_NETWORK, an internal network of the
 * Secure Engine whose only reachable address is the proxy's. */
#ifndef CAI_EGRESS_PATHS_H
#define CAI_EGRESS_PATHS_H

#define CAI_EGRESS_NETWORK "containai-agents"
#define CAI_EGRESS_BRIDGE "cai-agents0"
/* Away from cai0 (172.31.240.0/24), docker0 and the usual compose ranges. */
#define CAI_EGRESS_SUBNET "172.31.241.0/24"
#define CAI_EGRESS_GATEWAY "172.31.241.1"
/* Not 3128: Debian's own squid.service listens there on every address. */
#define CAI_EGRESS_PORT 3228
#define CAI_EGRESS_PORT_STR "3228"
#define CAI_EGRESS_URL "http://" CAI_EGRESS_GATEWAY ":" CAI_EGRESS_PORT_STR

#define CAI_EGRESS_ETC "/etc/containai/egress"
#define CAI_EGRESS_POLICY_CONF CAI_EGRESS_ETC "/policy.conf"
#define CAI_EGRESS_PRESETS CAI_EGRESS_ETC "/presets"
#define CAI_EGRESS_RUN "/run/containai/egress"
#define CAI_EGRESS_CLIENTS CAI_EGRESS_RUN "/clients"
#define CAI_EGRESS_SQUID_CONF CAI_EGRESS_RUN "/squid.conf"
#define CAI_EGRESS_SQUID_PID CAI_EGRESS_RUN "/squid.pid"
#define CAI_EGRESS_PIDFILE CAI_EGRESS_RUN "/cai-egress.pid"
/* Squid's own (it writes there as its user); ours stays in root's. */
#define CAI_EGRESS_LOG_DIR "/var/log/containai-egress"
#define CAI_EGRESS_ACCESS_LOG CAI_EGRESS_LOG_DIR "/access.log"
#define CAI_EGRESS_CACHE_LOG CAI_EGRESS_LOG_DIR "/cache.log"
#define CAI_EGRESS_SUPERVISOR_LOG "/var/log/containai/cai-egress.log"
#define CAI_EGRESS_UNIT "containai-egress.service"
/* A workspace's own list, read only when the admin enables it. */
#define CAI_EGRESS_PROJECT_FILE ".containai/egress-allow"

#define CAI_SQUID "/usr/sbin/squid"
#define CAI_SQUID_USER "proxy"
#define CAI_SQUID_PACKAGE "squid"

/* iptables chains of our own (docker flushes only its own). */
#define CAI_EGRESS_CHAIN_IN "CAI-EGRESS-IN"
#define CAI_EGRESS_CHAIN_FWD "CAI-EGRESS-FWD"
#define CAI_EGRESS_CHAIN_PROXY "CAI-EGRESS-PROXY"

#endif
