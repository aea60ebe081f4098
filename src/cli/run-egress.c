#include "run-egress.h"

#include <errno.h>

#include "egress_client.h"
#include "egress_paths.h"
#include "egress_proxy.h"
#include "engine_paths.h"
#include "engine_api.h"

#ifndef CAI_EGRESS_SHIPPED_PRESETS
#define CAI_EGRESS_SHIPPED_PRESETS "/usr/share/containai/egress/presets"
#endif

static int parse_policy(const char *name, enum run_network *out, struct cai_error *err)
{
	if (!name || strcmp(name, "allowlist") == 0)
		*out = RUN_NET_ALLOWLIST;
	else if (strcmp(name, "open") == 0)
		*out = RUN_NET_OPEN;
	else if (strcmp(name, "none") == 0)
		*out = RUN_NET_NONE;
	else
		return cai_error_set(err, 0, "--network-policy `%s`: say allowlist, open or none", name);
	return 0;
}

static int build_allowlist(const struct run_opts *o, const char *workspace, struct run_egress *e, struct cai_error *err)
{
	for (size_t i = 0; i < o->nallow; i++)
		if (cai_egress_allow(&e->allow, o->allow[i], err) < 0)
			return cai_error_prefix(err, "--allow-domain");
	const char *const dirs[] = {CAI_EGRESS_PRESETS, CAI_EGRESS_SHIPPED_PRESETS, NULL};
	for (size_t i = 0; i < o->npresets; i++)
		if (cai_egress_allow_preset(&e->allow, dirs, o->presets[i], err) < 0)
			return cai_error_prefix(err, "--egress-preset");
	struct cai_egress_admin admin;
	if (cai_egress_admin_load(CAI_EGRESS_POLICY_CONF, &admin, err) < 0)
		return -1;
	int rc = 0;
	if (admin.project_allowlist && workspace) {
		cleanup_free char *path = xasprintf("%s/%s", workspace, CAI_EGRESS_PROJECT_FILE);
		rc = cai_egress_allow_file(&e->allow, path, true, err);
	}
	cai_egress_admin_free(&admin);
	return rc;
}

static void add_env(struct run_egress *e, size_t *n, const char *s)
{
	e->env = xrealloc(e->env, (*n + 2) * sizeof(*e->env));
	e->env[(*n)++] = s;
	e->env[*n] = NULL;
}

int run_egress_prepare(const struct run_opts *o, const char *workspace, struct run_egress *e, struct cai_error *err)
{
	memset(e, 0, sizeof(*e));
	if (parse_policy(o->network_policy, &e->policy, err) < 0)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < o->nenv; i++)
		add_env(e, &n, o->env[i]);
	if (e->policy != RUN_NET_ALLOWLIST) {
		if (o->nallow || o->npresets)
			return cai_error_set(err, 0,
					     "--allow-domain and --egress-preset go with --network-policy allowlist");
		return 0;
	}
	if (build_allowlist(o, workspace, e, err) < 0)
		return -1;
	if (!cai_egress_answering())
		return cai_error_set(err, 0,
				     "the egress proxy does not answer on %s: start it with `cai egress start` "
				     "(or `systemctl start %s`), or choose --network-policy open or none",
				     CAI_EGRESS_URL, CAI_EGRESS_UNIT);
	static const char *const proxy_env[] = {
	    "HTTP_PROXY=" CAI_EGRESS_URL,  "HTTPS_PROXY=" CAI_EGRESS_URL,      "http_proxy=" CAI_EGRESS_URL,
	    "https_proxy=" CAI_EGRESS_URL, "NO_PROXY=localhost,127.0.0.1,::1", "no_proxy=localhost,127.0.0.1,::1",
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(proxy_env); i++)
		add_env(e, &n, proxy_env[i]);
	return 0;
}

const char *run_egress_network(const struct run_egress *e)
{
	return e->policy == RUN_NET_ALLOWLIST ? CAI_EGRESS_NETWORK : e->policy == RUN_NET_NONE ? "none" : NULL;
}

/* Asked of the engine's API directly: the agent waits for this. */
static int container_addr(const struct cai_container *c, char addr[16], struct cai_error *err)
{
	cleanup_free char *path = xasprintf("/containers/%s/json", c->id);
	jv doc = cai_engine_api_get(CAI_ENGINE_SOCKET, path, err);
	if (!jv_is_valid(doc))
		return cai_error_prefix(err, "find the agent's address");
	jv ip = jv_getpath(doc, JV_ARRAY(jv_string("NetworkSettings"), jv_string("Networks"),
					 jv_string(CAI_EGRESS_NETWORK), jv_string("IPAddress"))); /* consumes doc */
	bool ok = jv_get_kind(ip) == JV_KIND_STRING && cai_egress_addr_valid(jv_string_value(ip));
	if (ok)
		memcpy(addr, jv_string_value(ip), strlen(jv_string_value(ip)) + 1); /* checked: at most 15 bytes */
	jv_free(ip);
	if (!ok)
		return cai_error_set(err, 0, "the container `%s` has no address on `%s`", c->name, CAI_EGRESS_NETWORK);
	return 0;
}

int run_egress_register(struct run_egress *e, const struct cai_container *c, struct cai_error *err)
{
	if (e->policy != RUN_NET_ALLOWLIST)
		return 0;
	if (container_addr(c, e->addr, err) < 0)
		return -1;
	return cai_egress_client_write(CAI_EGRESS_CLIENTS, e->addr, c, &e->allow, err);
}

void run_egress_end(struct run_egress *e)
{
	struct cai_error ignored;
	if (e->addr[0])
		cai_egress_client_remove(CAI_EGRESS_CLIENTS, e->addr, &ignored);
	e->addr[0] = '\0';
}

void run_egress_free(struct run_egress *e)
{
	cai_egress_list_free(&e->allow);
	free(e->env);
	e->env = NULL;
}
