/* cai-audit: run a command under the audit shim, or read the audit log.
 * The same commands as `cai audit` (commands.c). */
#include "commands.h"
#include "error.h"

int main(int argc, char **argv)
{
	cai_set_progname(argv[0]);
	return audit_cli_main("cai-audit", argc, argv);
}
