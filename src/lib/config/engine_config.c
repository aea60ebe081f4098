#include "engine_config.h"

#include "engine_paths.h"

/* The settings, in the order setup adds them. */
static const struct {
	const char *key, *value;
	int below_major; /* only for dockerd versions below this (0: all) */
} settings[] = {
    {"bridge", CAI_ENGINE_BRIDGE, 0},
    {CAI_ENGINE_TRUST_KEY_SETTING, CAI_ENGINE_TRUST_KEY, 23},
};

size_t cai_engine_config_setup_ops(struct cai_dj_op ops[static CAI_ENGINE_CONFIG_MAX_OPS], int dockerd_major)
{
	size_t n = 0;
	ops[n++] =
	    (struct cai_dj_op){.kind = CAI_DJ_OP_ADD_RUNTIME, .name = CAI_SYSBOX_RUNTIME, .path = CAI_SYSBOX_RUNC};
	for (size_t i = 0; i < CAI_ARRAY_LEN(settings); i++) {
		if (settings[i].below_major && (dockerd_major < 0 || dockerd_major >= settings[i].below_major))
			continue;
		ops[n++] = (struct cai_dj_op){.kind = CAI_DJ_OP_SET_DEFAULT,
					      .name = settings[i].key,
					      .value = jv_string(settings[i].value),
					      .keep_theirs = true};
	}
	return n;
}

size_t cai_engine_config_teardown_ops(struct cai_dj_op ops[static CAI_ENGINE_CONFIG_MAX_OPS])
{
	size_t n = 0;
	for (size_t i = CAI_ARRAY_LEN(settings); i-- > 0;)
		ops[n++] = (struct cai_dj_op){
		    .kind = CAI_DJ_OP_UNSET_IF_EQUAL, .name = settings[i].key, .value = jv_string(settings[i].value)};
	ops[n++] = (struct cai_dj_op){.kind = CAI_DJ_OP_REMOVE_RUNTIME, .name = CAI_SYSBOX_RUNTIME};
	return n;
}
