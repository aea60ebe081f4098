/* The JSON documents built from probe results (schema in cai-seccomp-probe(1)). */
#include <errno.h>
#include <signal.h>

#include "probe_json.h"
#include "tap.h"

static jv get(jv obj, const char *key)
{
	return jv_object_get(jv_copy(obj), jv_string(key));
}

int main(void)
{
	struct cai_notify_probe busy = {
	    .result = CAI_NOTIFY_BUSY,
	    .stage = CAI_STAGE_SECCOMP,
	    .errnum = EBUSY,
	    .actions_avail_readable = true,
	    .user_notif_listed = true,
	    .actions_avail = "kill_process errno user_notif allow",
	    .self = {.readable = true, .mode = 2, .filters = 1},
	    .pid1 = {.readable = false},
	    .elapsed_us = 1234,
	};
	jv o = cai_notify_probe_to_jv(&busy);
	char *text = cai_jv_to_cstring(jv_copy(o), 0);
	is_str(text,
	       "{\"result\":\"busy\",\"stage\":\"seccomp\",\"errno\":16,\"errno_name\":\"EBUSY\",\"signal\":null,"
	       "\"actions_avail\":[\"kill_process\",\"errno\",\"user_notif\",\"allow\"],\"user_notif_available\":true,"
	       "\"self\":{\"seccomp\":2,\"seccomp_filters\":1},\"pid1\":null,\"elapsed_us\":1234}",
	       "busy probe as JSON, keys in documented order");
	free(text);
	jv_free(o);

	struct cai_notify_probe killed = {
	    .result = CAI_NOTIFY_DENIED,
	    .stage = CAI_STAGE_SIGNAL,
	    .signal = SIGSYS,
	    .self = {.readable = true, .mode = 0, .filters = -1},
	};
	o = cai_notify_probe_to_jv(&killed);
	jv v = get(o, "signal");
	is_str(jv_string_value(v), "SIGSYS", "signal by name");
	jv_free(v);
	v = get(o, "errno");
	ok(jv_get_kind(v) == JV_KIND_NULL, "errno null without one");
	jv_free(v);
	v = get(o, "actions_avail");
	ok(jv_get_kind(v) == JV_KIND_NULL, "actions_avail null when unreadable");
	jv_free(v);
	jv self = get(o, "self");
	v = get(self, "seccomp_filters");
	ok(jv_get_kind(v) == JV_KIND_NULL, "absent Seccomp_filters is null");
	jv_free(v);
	jv_free(self);
	jv_free(o);

	struct cai_platform p = {
	    .kind = CAI_PLATFORM_WSL2,
	    .osrelease = "5.15.167.4-microsoft-standard-WSL2",
	    .version = "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@x)",
	    .evidence = CAI_WSL_OSRELEASE_WSL2 | CAI_WSL_INTEROP,
	    .docker_desktop = true,
	    .docker_desktop_proxy_socket = true,
	    .docker_desktop_npaths = 1,
	    .docker_desktop_paths = {"/mnt/wsl/docker-desktop"},
	};
	text = cai_jv_to_cstring(cai_platform_to_jv(&p), 0);
	is_str(text,
	       "{\"kind\":\"wsl2\",\"osrelease\":\"5.15.167.4-microsoft-standard-WSL2\","
	       "\"kernel_version\":\"Linux version 5.15.167.4-microsoft-standard-WSL2 (root@x)\","
	       "\"evidence\":[\"osrelease-wsl2\",\"binfmt-wslinterop\"],"
	       "\"docker_desktop\":{\"present\":true,\"proxy_socket\":true,\"paths\":[\"/mnt/wsl/docker-desktop\"]}}",
	       "platform as JSON");
	free(text);

	/* A kernel string with quotes and control bytes stays valid JSON. */
	struct cai_platform odd = {.kind = CAI_PLATFORM_LINUX, .osrelease = "6.1\"x\\y\x01"};
	text = cai_jv_to_cstring(cai_platform_to_jv(&odd), 0);
	jv back = jv_parse(text);
	ok(jv_is_valid(back), "odd kernel string escaped into valid JSON: %s", text);
	v = get(back, "osrelease");
	is_str(jv_string_value(v), "6.1\"x\\y\x01", "and it round-trips");
	jv_free(v);
	jv_free(back);
	free(text);
	return done_testing();
}
