/* Build-time generator: prints seccomp-containai-agent.json, the Docker
 * seccomp profile made from the same backstop list `cai run` installs. */
#include "backstop.h"
#include "probe_json.h"

int main(void)
{
	char *text = cai_jv_to_cstring(cai_backstop_docker_profile(), JV_PRINT_INDENT_FLAGS(2));
	puts(text);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}
