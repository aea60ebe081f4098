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

static long number_or(jv o, const char *key, long dflt)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	long n = jv_get_kind(v) == JV_KIND_NUMBER ? (long)jv_number_value(v) : dflt;
	jv_free(v);
	return n;
}

static void seccomp_state_from_jv(jv o, struct cai_seccomp_state *st) /* consumes o */
{
	st->readable = jv_get_kind(o) == JV_KIND_OBJECT;
	st->mode = st->readable ? number_or(o, "seccomp", -1) : -1;
	st->filters = st->readable ? number_or(o, "seccomp_filters", -1) : -1;
	jv_free(o);
}

int cai_notify_probe_from_jv(jv v, struct cai_notify_probe *out)
{
	memset(out, 0, sizeof(*out));
	int rc = -1;
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		goto done;
	jv result = jv_object_get(jv_copy(v), jv_string("result"));
	jv stage = jv_object_get(jv_copy(v), jv_string("stage"));
	for (int r = CAI_NOTIFY_SUPPORTED; r <= CAI_NOTIFY_ERROR; r++)
		if (jv_get_kind(result) == JV_KIND_STRING &&
		    strcmp(jv_string_value(result), cai_notify_result_name((enum cai_notify_result)r)) == 0) {
			out->result = (enum cai_notify_result)r;
			rc = 0;
		}
	for (int s = CAI_STAGE_NONE; s <= CAI_STAGE_TIMEOUT; s++)
		if (jv_get_kind(stage) == JV_KIND_STRING &&
		    strcmp(jv_string_value(stage), cai_notify_stage_name((enum cai_notify_stage)s)) == 0)
			out->stage = (enum cai_notify_stage)s;
	jv_free(result);
	jv_free(stage);
	out->errnum = (int)number_or(v, "errno", 0);
	jv sig = jv_object_get(jv_copy(v), jv_string("signal"));
	if (jv_get_kind(sig) == JV_KIND_STRING && strncmp(jv_string_value(sig), "SIG", 3) == 0) {
		for (int n = 1; n < NSIG; n++)
			if (sigabbrev_np(n) && strcmp(sigabbrev_np(n), jv_string_value(sig) + 3) == 0)
				out->signal = n;
	} else if (jv_get_kind(sig) == JV_KIND_NUMBER)
		out->signal = (int)jv_number_value(sig);
	jv_free(sig);
	jv avail = jv_object_get(jv_copy(v), jv_string("user_notif_available"));
	out->actions_avail_readable = jv_get_kind(avail) == JV_KIND_TRUE || jv_get_kind(avail) == JV_KIND_FALSE;
	out->user_notif_listed = jv_get_kind(avail) == JV_KIND_TRUE;
	jv_free(avail);
	seccomp_state_from_jv(jv_object_get(jv_copy(v), jv_string("self")), &out->self);
	seccomp_state_from_jv(jv_object_get(jv_copy(v), jv_string("pid1")), &out->pid1);
	out->elapsed_us = number_or(v, "elapsed_us", 0);
done:
	jv_free(v);
	return rc;
}
