/* `run` and `tail`, shared by `cai audit` and `cai-audit`. */
#ifndef CAI_AUDIT_CLI_COMMANDS_H
#define CAI_AUDIT_CLI_COMMANDS_H

/* argv[0] is the command's own name, argv[1] the subcommand; name is how
 * usage and hints call the command ("cai audit", "cai-audit"). Returns the
 * exit status. */
int audit_cli_main(const char *name, int argc, char **argv);

#endif
