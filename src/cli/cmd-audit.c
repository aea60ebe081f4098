/* cai audit run|tail: the audit commands, shared with cai-audit. */
#include "../audit-cli/commands.h"
#include "cli.h"

int cmd_audit(const struct cai_global *g, int argc, char **argv)
{
	(void)g;
	return audit_cli_main("cai audit", argc, argv);
}
