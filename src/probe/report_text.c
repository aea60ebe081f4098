#include "report_text.h"

#include "advice.h"

static void print_seccomp_state(FILE *out, const char *who, const struct cai_seccomp_state *st)
{
	if (!st->readable) {
		fprintf(out, "  %-14s not readable\n", who);
		return;
	}
	fprintf(out, "  %-14s Seccomp %ld", who, st->mode);
	if (st->filters >= 0)
		fprintf(out, ", %ld filter(s)", st->filters);
	fputc('\n', out);
}

void probe_report_text(FILE *out, const struct cai_platform *p, const struct cai_notify_probe *probe)
{
	char namebuf[16];

	fprintf(out, "Platform:        %s (kernel %s)\n", cai_platform_kind_name(p->kind), p->osrelease);
	if (p->docker_desktop) {
		fprintf(out, "Docker Desktop:  WSL integration present (%s%s)\n",
			p->docker_desktop_npaths ? p->docker_desktop_paths[0] : "proxy socket",
			p->docker_desktop_proxy_socket ? ", proxy socket found" : "");
	} else {
		fprintf(out, "Docker Desktop:  no WSL integration found\n");
	}

	fprintf(out, "Seccomp notify:  %s", cai_notify_result_name(probe->result));
	if (probe->errnum)
		fprintf(out, " (%s from %s: %s)", cai_errno_name(probe->errnum, namebuf),
			cai_notify_stage_name(probe->stage), strerror(probe->errnum));
	else if (probe->signal)
		fprintf(out, " (killed by SIG%s)", sigabbrev_np(probe->signal) ? sigabbrev_np(probe->signal) : "?");
	fputc('\n', out);
	if (probe->actions_avail_readable)
		fprintf(out, "  %-14s %s\n", "user_notif:", probe->user_notif_listed ? "listed in actions_avail" : "NOT listed in actions_avail");
	print_seccomp_state(out, "this process:", &probe->self);
	print_seccomp_state(out, "PID 1:", &probe->pid1);

	fprintf(out, "\n%s\n", cai_advice_reason(p->kind, probe));
	const char *const *steps = cai_advice_next_steps(p->kind, probe->result);
	fprintf(out, "Next step%s:\n", steps[1] ? "s" : "");
	for (; *steps; steps++)
		fprintf(out, "  - %s\n", *steps);
}
