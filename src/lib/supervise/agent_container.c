#include "agent_container.h"

#include <ctype.h>
#include <string.h>

#include "agent_handoff.h"
#include "util.h"

struct argv_buf {
	char **v;
	size_t n, cap;
};

static void add(struct argv_buf *a, char *owned)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = owned;
	a->v[a->n] = NULL;
}

static void add2(struct argv_buf *a, const char *opt, const char *val)
{
	add(a, xstrdup(opt));
	add(a, xstrdup(val));
}

/* One field of docker's --mount value, which is CSV: a field with a comma
 * or a quote is quoted, quotes doubled. */
static char *csv_field(const char *key, const char *value)
{
	cleanup_free char *field = xasprintf("%s=%s", key, value);
	if (!strpbrk(field, ",\"\n"))
		return steal_pointer(&field);
	char *out = xmalloc(2 * strlen(field) + 3), *o = out;
	*o++ = '"';
	for (const char *p = field; *p; p++) {
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static void add_mount(struct argv_buf *a, const char *source, const char *target, bool readonly)
{
	cleanup_free char *src = csv_field("source", source);
	cleanup_free char *dst = csv_field("target", target);
	add(a, xstrdup("--mount"));
	add(a, xasprintf("type=bind,%s,%s%s", src, dst, readonly ? ",readonly" : ""));
}

char **cai_agent_docker_argv(const struct cai_agent_spec *s)
{
	struct argv_buf a = {0};
	add(&a, xstrdup(s->docker));
	add2(&a, "--host", s->host);
	add(&a, xstrdup("run"));
	add2(&a, "--name", s->name);
	add2(&a, "--cidfile", s->cidfile);
	/* An image that is not on the engine is an error, never a download. */
	add2(&a, "--pull", "never");
	add(&a, xstrdup("--interactive"));
	if (s->tty)
		add(&a, xstrdup("--tty"));
	if (!s->keep)
		add(&a, xstrdup("--rm"));
	add2(&a, "--runtime", s->runtime);
	add(&a, xstrdup("--security-opt"));
	add(&a, xasprintf("seccomp=%s", s->profile));
	add2(&a, "--security-opt", "no-new-privileges");
	add2(&a, "--label", "org.containai.agent=true");
	if (s->network)
		add2(&a, "--network", s->network);
	add2(&a, "--entrypoint", CAI_AGENT_INIT_MOUNT);
	add_mount(&a, s->init, CAI_AGENT_INIT_MOUNT, true);
	if (s->shim_glibc)
		add_mount(&a, s->shim_glibc, CAI_AGENT_SHIM_GLIBC_MOUNT, true);
	if (s->shim_musl)
		add_mount(&a, s->shim_musl, CAI_AGENT_SHIM_MUSL_MOUNT, true);
	if (s->audit_dir)
		add_mount(&a, s->audit_dir, CAI_AGENT_AUDIT_DIR, true);
	add_mount(&a, s->handoff_dir, CAI_AGENT_HANDOFF_DIR, true);
	if (s->workspace) {
		add_mount(&a, s->workspace, CAI_AGENT_WORKSPACE, false);
		add2(&a, "--workdir", CAI_AGENT_WORKSPACE);
	}
	for (const char *const *e = s->env; e && *e; e++)
		add2(&a, "--env", *e);
	add(&a, xstrdup(s->image));

	/* cai-agent-init's own arguments. */
	add2(&a, "--handoff", CAI_AGENT_HANDOFF_DIR "/" CAI_AGENT_HANDOFF_NAME);
	if (s->supervise)
		add(&a, xstrdup("--supervise"));
	if (s->shim_glibc)
		add2(&a, "--shim-glibc", CAI_AGENT_SHIM_GLIBC_MOUNT);
	if (s->shim_musl)
		add2(&a, "--shim-musl", CAI_AGENT_SHIM_MUSL_MOUNT);
	if (s->audit_dir) {
		add(&a, xstrdup("--audit-socket"));
		add(&a, xasprintf("%s/%s", CAI_AGENT_AUDIT_DIR, s->audit_name));
	}
	add(&a, xstrdup("--"));
	for (char *const *c = s->cmd; *c; c++)
		add(&a, xstrdup(*c));
	return a.v;
}

void cai_agent_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

bool cai_agent_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 128 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

bool cai_agent_env_valid(const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (n == 0 || isdigit((unsigned char)arg[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)arg[i]) && arg[i] != '_')
			return false;
	return true;
}
