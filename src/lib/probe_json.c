#include "probe_json.h"

#include <signal.h>

/* Ownership: jv_object_set consumes object, key and value; each call below
 * hands over values built inline and keeps none. */

static jv seccomp_state_to_jv(const struct cai_seccomp_state *st)
{
	if (!st->readable)
		return jv_null();
	jv o = jv_object();
	o = jv_object_set(o, jv_string("seccomp"), st->mode >= 0 ? jv_number((double)st->mode) : jv_null());
	o = jv_object_set(o, jv_string("seccomp_filters"),
			  st->filters >= 0 ? jv_number((double)st->filters) : jv_null());
	return o;
}

static jv signal_to_jv(int sig)
{
	if (!sig)
		return jv_null();
	const char *abbrev = sigabbrev_np(sig);
	return abbrev ? jv_string_fmt("SIG%s", abbrev) : jv_number(sig);
}

jv cai_platform_to_jv(const struct cai_platform *p)
{
	jv evidence = jv_array();
	for (unsigned i = 0; i < CAI_WSL_EVIDENCE_COUNT; i++)
		if (p->evidence & (1u << i))
			evidence = jv_array_append(evidence, jv_string(cai_wsl_evidence_name(1u << i)));

	jv paths = jv_array();
	for (size_t i = 0; i < p->docker_desktop_npaths; i++)
		paths = jv_array_append(paths, jv_string(p->docker_desktop_paths[i]));
	jv dd = jv_object();
	dd = jv_object_set(dd, jv_string("present"), jv_bool(p->docker_desktop));
	dd = jv_object_set(dd, jv_string("proxy_socket"), jv_bool(p->docker_desktop_proxy_socket));
	dd = jv_object_set(dd, jv_string("paths"), paths);

	jv o = jv_object();
	o = jv_object_set(o, jv_string("kind"), jv_string(cai_platform_kind_name(p->kind)));
	o = jv_object_set(o, jv_string("osrelease"), jv_string(p->osrelease));
	o = jv_object_set(o, jv_string("kernel_version"), jv_string(p->version));
	o = jv_object_set(o, jv_string("evidence"), evidence);
	o = jv_object_set(o, jv_string("docker_desktop"), dd);
	return o;
}

jv cai_notify_probe_to_jv(const struct cai_notify_probe *probe)
{
	char namebuf[16];
	jv actions = jv_null();
	if (probe->actions_avail_readable) {
		actions = jv_array();
		char copy[sizeof(probe->actions_avail)];
		memcpy(copy, probe->actions_avail, sizeof(copy));
		char *save = NULL;
		for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
			actions = jv_array_append(actions, jv_string(w));
	}

	jv o = jv_object();
	o = jv_object_set(o, jv_string("result"), jv_string(cai_notify_result_name(probe->result)));
	o = jv_object_set(o, jv_string("stage"), jv_string(cai_notify_stage_name(probe->stage)));
	o = jv_object_set(o, jv_string("errno"), probe->errnum ? jv_number(probe->errnum) : jv_null());
	o = jv_object_set(o, jv_string("errno_name"),
			  probe->errnum ? jv_string(cai_errno_name(probe->errnum, namebuf)) : jv_null());
	o = jv_object_set(o, jv_string("signal"), signal_to_jv(probe->signal));
	o = jv_object_set(o, jv_string("actions_avail"), actions);
	o = jv_object_set(o, jv_string("user_notif_available"),
			  probe->actions_avail_readable ? jv_bool(probe->user_notif_listed) : jv_null());
	o = jv_object_set(o, jv_string("self"), seccomp_state_to_jv(&probe->self));
	o = jv_object_set(o, jv_string("pid1"), seccomp_state_to_jv(&probe->pid1));
	o = jv_object_set(o, jv_string("elapsed_us"), jv_number((double)probe->elapsed_us));
	return o;
}

jv cai_jv_string_or_null(const char *s) { return s && *s ? jv_string(s) : jv_null(); }

char *cai_jv_to_cstring(jv v, int flags)
{
	jv s = jv_dump_string(v, flags); /* consumes v */
	char *out = xstrdup(jv_string_value(s));
	jv_free(s);
	return out;
}
