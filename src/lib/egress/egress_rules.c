#include "egress_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "egress_paths.h"
#include "egress_squid.h"
#include "procfs.h"
#include "run_cmd.h"

struct table {
	const char *tool; /* iptables or ip6tables */
	bool v6;
};

/* Runs tool ARGS...; returns the exit status, or -1 when it cannot run. */
static int ipt(const struct table *t, FILE *trace, struct cai_error *err, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	argv[n++] = t->tool;
	argv[n++] = "-w";
	for (; *args && n < CAI_ARRAY_LEN(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	struct cai_cmd cmd = {.argv = argv, .trace = trace};
	if (cai_cmd_run(&cmd, err) < 0)
		return cai_error_prefix(err, "`%s` (is iptables installed?)", t->tool);
	int status = cmd.status;
	if (status != 0) {
		char line[512];
		cleanup_free char *s = cai_cmd_string(argv);
		cai_error_set(err, 0, "`%s` failed (exit %d): %s", s, status,
			      cai_last_line(cmd.errout, line, sizeof(line)));
	}
	cai_cmd_free(&cmd);
	return status;
}

#define IPT(t, v, e, ...) ipt((t), (v), (e), (const char *const[]){__VA_ARGS__, NULL})

/* Chain exists and is empty. */
static int fresh_chain(const struct table *t, const char *chain, FILE *trace, struct cai_error *err)
{
	struct cai_error ignored;
	if (IPT(t, NULL, &ignored, "-n", "-L", chain) != 0 && IPT(t, trace, err, "-N", chain) != 0)
		return -1;
	return IPT(t, trace, err, "-F", chain) == 0 ? 0 : -1;
}

/* `-I PARENT 1 MATCH... -j CHAIN` unless it is there already. */
static int jump(const struct table *t, const char *parent, const char *const *match, const char *chain, FILE *trace,
		struct cai_error *err)
{
	const char *check[16], *insert[16];
	size_t n = 0, m = 0;
	check[n++] = "-C";
	check[n++] = parent;
	insert[m++] = "-I";
	insert[m++] = parent;
	insert[m++] = "1";
	for (; *match; match++)
		check[n++] = insert[m++] = *match;
	check[n++] = insert[m++] = "-j";
	check[n++] = insert[m++] = chain;
	check[n] = insert[m] = NULL;
	struct cai_error ignored;
	if (ipt(t, NULL, &ignored, check) == 0)
		return 0;
	return ipt(t, trace, err, insert) == 0 ? 0 : -1;
}

static bool is_family(const char *addr, bool v6)
{
	char buf[64];
	unsigned char bin[16];
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(addr, "/"), addr);
	return inet_pton(v6 ? AF_INET6 : AF_INET, buf, bin) == 1;
}

/* DNS to the resolvers squid uses (they may well be private or local). */
static int resolver_rules(const struct table *t, FILE *trace, struct cai_error *err)
{
	cleanup_fclose FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512], ns[128];
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " nameserver %127s", ns) != 1 || !is_family(ns, t->v6))
			continue;
		const char *protos[] = {"udp", "tcp"};
		for (size_t i = 0; i < 2; i++)
			if (IPT(t, trace, err, "-A", CAI_EGRESS_CHAIN_PROXY, "-d", ns, "-p", protos[i], "--dport", "53",
				"-j", "RETURN") != 0)
				return -1;
	}
	return 0;
}

/* Squid talks to its external ACL helpers over TCP on loopback (Debian's
 * build, src/external_acl.cc: IPC_TCP_SOCKET), between ports it binds to 0:
 * the ephemeral range. Only that is let through; a service of the host on
 * a fixed port stays out of the proxy's reach here, and Squid's own rules
 * refuse every loopback destination an agent asks for. */
static int helper_rules(const struct table *t, FILE *trace, struct cai_error *err)
{
	char range[32] = "32768:60999", buf[64];
	struct cai_error ignored;
	unsigned lo, hi;
	if (cai_read_small_file_trim("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf), &ignored) > 0 &&
	    sscanf(buf, "%u %u", &lo, &hi) == 2 && lo > 0 && lo <= hi && hi < 65536)
		snprintf(range, sizeof(range), "%u:%u", lo, hi);
	const char *self = t->v6 ? "::1" : "127.0.0.1";
	return IPT(t, trace, err, "-A", CAI_EGRESS_CHAIN_PROXY, "-o", "lo", "-s", self, "-d", self, "-p", "tcp",
		   "--dport", range, "-j", "RETURN") == 0
		   ? 0
		   : -1;
}

static int proxy_chain(const struct table *t, const struct cai_egress_admin *a, FILE *trace, struct cai_error *err)
{
	const char *P = CAI_EGRESS_CHAIN_PROXY;
	if (fresh_chain(t, P, trace, err) < 0)
		return -1;
	/* Its answers to agents belong to connections they opened. */
	if (IPT(t, trace, err, "-A", P, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"))
		return -1;
	for (size_t i = 0; i < a->addresses.n; i++)
		if (is_family(a->addresses.v[i], t->v6) &&
		    IPT(t, trace, err, "-A", P, "-d", a->addresses.v[i], "-j", "RETURN"))
			return -1;
	if (resolver_rules(t, trace, err) < 0 || helper_rules(t, trace, err) < 0)
		return -1;
	if (IPT(t, trace, err, "-A", P, "-m", "addrtype", "--dst-type", "LOCAL", "-j", "REJECT"))
		return -1;
	for (const char *const *r = t->v6 ? cai_egress_blocked_v6 : cai_egress_blocked_v4; *r; r++)
		if (IPT(t, trace, err, "-A", P, "-d", *r, "-j", "REJECT"))
			return -1;
	if (t->v6 && (IPT(t, trace, err, "-A", P, "-d", "::/128", "-j", "REJECT") ||
		      IPT(t, trace, err, "-A", P, "-d", "::ffff:0:0/96", "-j", "REJECT")))
		return -1;
	return 0;
}

static int apply_table(const struct table *t, const struct cai_egress_admin *a, const char *uid, FILE *trace,
		       struct cai_error *err)
{
	const char *IN = CAI_EGRESS_CHAIN_IN, *FWD = CAI_EGRESS_CHAIN_FWD;
	if (fresh_chain(t, IN, trace, err) < 0 || fresh_chain(t, FWD, trace, err) < 0)
		return -1;
	if (!t->v6 && IPT(t, trace, err, "-A", IN, "-p", "tcp", "-d", CAI_EGRESS_GATEWAY, "--dport",
			  CAI_EGRESS_PORT_STR, "-j", "ACCEPT"))
		return -1;
	if (IPT(t, trace, err, "-A", IN, "-j", "DROP") || IPT(t, trace, err, "-A", FWD, "-j", "DROP"))
		return -1;
	if (proxy_chain(t, a, trace, err) < 0)
		return -1;
	const char *from_agents[] = {"-i", CAI_EGRESS_BRIDGE, NULL};
	const char *from_proxy[] = {"-m", "owner", "--uid-owner", uid, NULL};
	if (jump(t, "INPUT", from_agents, IN, trace, err) < 0 || jump(t, "FORWARD", from_agents, FWD, trace, err) < 0 ||
	    jump(t, "OUTPUT", from_proxy, CAI_EGRESS_CHAIN_PROXY, trace, err) < 0)
		return -1;
	return 0;
}

int cai_egress_rules_apply(const struct cai_egress_admin *a, uid_t proxy_uid, FILE *trace, struct cai_error *err)
{
	char uid[24];
	snprintf(uid, sizeof(uid), "%u", (unsigned)proxy_uid);
	const struct table v4 = {"iptables", false}, v6 = {"ip6tables", true};
	if (apply_table(&v4, a, uid, trace, err) < 0)
		return cai_error_prefix(err, "egress rules (IPv4)");
	if (apply_table(&v6, a, uid, trace, err) < 0)
		return cai_error_prefix(err, "egress rules (IPv6)");
	return 0;
}

static bool is_our_chain(const char *name)
{
	return strcmp(name, CAI_EGRESS_CHAIN_IN) == 0 || strcmp(name, CAI_EGRESS_CHAIN_FWD) == 0 ||
	       strcmp(name, CAI_EGRESS_CHAIN_PROXY) == 0;
}

/* `TOOL -w -S CHAIN`, as lines the caller frees; NULL with err set (errnum
 * ENOENT: the tool is not installed). */
static char *list_chain(const struct table *t, const char *chain, struct cai_error *err)
{
	const char *argv[] = {t->tool, "-w", "-S", chain, NULL};
	struct cai_cmd cmd = {.argv = argv};
	char *out = NULL;
	if (cai_cmd_run(&cmd, err) == 0) {
		char line[512];
		if (cmd.status == 0)
			out = steal_pointer(&cmd.out);
		else
			cai_error_set(err, 0, "`%s -S %s` failed (exit %d): %s", t->tool, chain, cmd.status,
				      cai_last_line(cmd.errout, line, sizeof(line)));
	}
	cai_cmd_free(&cmd);
	return out;
}

/* A rule line of `-S` whose target is one of our chains: "-A PARENT ...
 * -j CAI-EGRESS-...", split into words (NULL-terminated) in words, the
 * line cut in place. Lines with quoted words are never ours: skipped. */
static bool our_jump(char *line, const char *words[24])
{
	if (strncmp(line, "-A ", 3) != 0 || strchr(line, '"'))
		return false;
	size_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(line, " ", &save); w && n < 23; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	words[n] = NULL;
	return n >= 4 && strcmp(words[n - 2], "-j") == 0 && is_our_chain(words[n - 1]);
}

/* Deletes, in PARENT, every rule that jumps to one of our chains. */
static int remove_jumps(const struct table *t, const char *parent, bool dry_run, FILE *trace, int *count,
			struct cai_error *err)
{
	cleanup_free char *rules = list_chain(t, parent, err);
	if (!rules)
		return -1;
	char *save = NULL;
	for (char *line = strtok_r(rules, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *words[24], *del[28];
		if (!our_jump(line, words))
			continue;
		size_t n = 0;
		del[n++] = "-D";
		for (size_t i = 1; words[i]; i++)
			del[n++] = words[i];
		del[n] = NULL;
		if (!dry_run && ipt(t, trace, err, del) != 0)
			return -1;
		(*count)++;
	}
	return 0;
}

static int remove_chain(const struct table *t, const char *chain, bool dry_run, FILE *trace, int *count,
			struct cai_error *err)
{
	struct cai_error ignored;
	if (IPT(t, NULL, &ignored, "-n", "-L", chain) != 0)
		return 0;
	if (!dry_run && (IPT(t, trace, err, "-F", chain) != 0 || IPT(t, trace, err, "-X", chain) != 0))
		return -1;
	(*count)++;
	return 0;
}

/* Jumps first: a chain something still jumps to cannot be deleted. */
static int remove_table(const struct table *t, bool dry_run, FILE *trace, struct cai_egress_rules_removed *out,
			bool *absent, struct cai_error *err)
{
	static const char *const parents[] = {"INPUT", "FORWARD", "OUTPUT"};
	static const char *const chains[] = {CAI_EGRESS_CHAIN_IN, CAI_EGRESS_CHAIN_FWD, CAI_EGRESS_CHAIN_PROXY};
	for (size_t i = 0; i < CAI_ARRAY_LEN(parents); i++) {
		if (remove_jumps(t, parents[i], dry_run, trace, &out->jumps, err) == 0)
			continue;
		if (i == 0 && err->errnum == ENOENT) {
			*absent = true;
			return 0;
		}
		return -1;
	}
	/* A chain that cannot go (a foreign rule still jumps to it) does not
	 * keep the others from going; the first error is the one reported. */
	struct cai_error later;
	int rc = 0;
	for (size_t i = 0; i < CAI_ARRAY_LEN(chains); i++)
		if (remove_chain(t, chains[i], dry_run, trace, &out->chains, rc < 0 ? &later : err) < 0)
			rc = -1;
	return rc;
}

int cai_egress_rules_remove(bool dry_run, FILE *trace, struct cai_egress_rules_removed *out, struct cai_error *err)
{
	const struct table v4 = {"iptables", false}, v6 = {"ip6tables", true};
	struct cai_error later;
	memset(out, 0, sizeof(*out));
	int rc4 = remove_table(&v4, dry_run, trace, out, &out->iptables_absent, err);
	if (rc4 < 0)
		cai_error_prefix(err, "remove the egress rules (IPv4)");
	/* IPv6 too, whatever became of IPv4. */
	if (remove_table(&v6, dry_run, trace, out, &out->ip6tables_absent, rc4 < 0 ? &later : err) < 0)
		return rc4 < 0 ? -1 : cai_error_prefix(err, "remove the egress rules (IPv6)");
	return rc4;
}
