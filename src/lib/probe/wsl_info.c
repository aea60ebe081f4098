#include "wsl_info.h"

#include <errno.h>

#include "probe_json.h"
#include "procfs.h"
#include "run_cmd.h"

/* One line of `wslinfo OPTION`; false with why when it gave none. */
static bool wslinfo(const char *option, char *out, size_t cap, char *why, size_t why_cap)
{
	const char *argv[] = {"wslinfo", option, NULL};
	struct cai_cmd cmd = {.argv = argv};
	struct cai_error err = {0};
	out[0] = '\0';
	if (cai_cmd_run(&cmd, &err) < 0) {
		/* A program that was not found still had its output buffers. */
		cai_cmd_free(&cmd);
		snprintf(why, why_cap, "%.200s", err.errnum == ENOENT ? "wslinfo not found (WSL before 2.0)" : err.msg);
		return false;
	}
	bool ok = cmd.status == 0;
	if (ok) {
		size_t n = strcspn(cmd.out, "\r\n");
		snprintf(out, cap, "%.*s", (int)n, cmd.out);
		ok = out[0] != '\0';
	}
	if (!ok) {
		char line[200];
		snprintf(why, why_cap, "wslinfo %s failed (exit %d): %s", option, cmd.status,
			 cai_last_line(cmd.errout, line, sizeof(line)));
	}
	cai_cmd_free(&cmd);
	return ok;
}

void cai_wsl_info_read(struct cai_wsl_info *w)
{
	memset(w, 0, sizeof(*w));
	wslinfo("--networking-mode", w->networking_mode, sizeof(w->networking_mode), w->wslinfo_error,
		sizeof(w->wslinfo_error));
	wslinfo("--wsl-version", w->version, sizeof(w->version), w->wslinfo_error, sizeof(w->wslinfo_error));
	for (char *p = w->networking_mode; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);

	char text[16384];
	struct cai_error ignored;
	if (cai_read_small_file(CAI_WSL_CONF, text, sizeof(text), &ignored) >= 0) {
		cai_wsl_conf_parse(text, &w->conf);
		w->conf.readable = true;
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void unquote(char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	}
}

void cai_wsl_conf_parse(const char *text, struct cai_wsl_conf *c)
{
	memset(c, 0, sizeof(*c));
	bool in_boot = false;
	while (*text) {
		size_t n = strcspn(text, "\n");
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), text);
		text += n + (text[n] == '\n');
		char *s = trim(line);
		if (*s == '#' || *s == ';' || *s == '\0')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (end)
				*end = '\0';
			in_boot = strcasecmp(trim(s + 1), "boot") == 0;
			continue;
		}
		char *eq = strchr(s, '=');
		if (!in_boot || !eq)
			continue;
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		unquote(value);
		if (strcasecmp(key, "systemd") == 0) {
			c->systemd_set = true;
			c->systemd = strcasecmp(value, "true") == 0;
		} else if (strcasecmp(key, "command") == 0) {
			snprintf(c->boot_command, sizeof(c->boot_command), "%s", value);
		}
	}
}

jv cai_wsl_info_to_jv(const struct cai_wsl_info *w)
{
	jv conf = jv_null();
	if (w->conf.readable)
		conf = JV_OBJECT(jv_string("systemd"), w->conf.systemd_set ? jv_bool(w->conf.systemd) : jv_null(),
				 jv_string("boot_command"), cai_jv_string_or_null(w->conf.boot_command));
	return JV_OBJECT(jv_string("version"), cai_jv_string_or_null(w->version), jv_string("networking_mode"),
			 cai_jv_string_or_null(w->networking_mode), jv_string("wslinfo_error"),
			 cai_jv_string_or_null(w->wslinfo_error), jv_string("wsl_conf"), conf);
}
