/* What the first process of a container owes the others (as tini does):
 * start the agent, pass on every signal it is sent, reap every orphan, and
 * exit with the agent's status. */
#ifndef CAI_INIT_PID1_H
#define CAI_INIT_PID1_H

#include <signal.h>

/* Exit codes when the agent could not be started, as env(1) has them. */
enum { CAI_INIT_FAILED = 125, CAI_INIT_CANNOT_EXEC = 126, CAI_INIT_NOT_FOUND = 127 };

/* Runs cmd in a child in its own process group (the terminal's foreground
 * one when stdin is a terminal), forwards signals to it, reaps everything,
 * and returns the agent's status as an exit code (128+N for signal N).
 * The agent starts with agent_mask as its signal mask; whatever this process
 * holds blocked and pending is passed on to it. Never returns in the child. */
int cai_pid1_run(char **cmd, const sigset_t *agent_mask);

#endif
