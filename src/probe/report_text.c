#include "report_text.h"

#include "advice.h"
#include "probe_summary.h"

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

static void print_engine_context(FILE *out, const struct cai_notify_probe *here, const struct cai_engine_probe *e)
{
	char answer[64];
	if (e->where == CAI_PROBE_WHERE_THIS_TREE) {
		fprintf(out, "Engine context:  %s\n", cai_probe_where_text(e->where));
		return;
	}
	if (!e->ran) {
		fprintf(out, "Engine context:  not probed in %s: %s\n", cai_probe_where_text(e->where), e->error);
		return;
	}
	cai_probe_describe(&e->probe, answer, sizeof(answer));
	fprintf(out, "Engine context:  %s in %s%s\n", answer, cai_probe_where_text(e->where),
		cai_engine_probe_differs(here, e) ? " (differs from this process: this one decides)" : "");
}

void probe_report_text(FILE *out, const struct cai_platform *p, const struct cai_notify_probe *here,
		       const struct cai_engine_probe *engine)
{
	const struct cai_notify_probe *probe = engine ? cai_engine_probe_decisive(here, engine) : here;
	char namebuf[16];

	fprintf(out, "Platform:        %s (kernel %s)\n", cai_platform_kind_name(p->kind), p->osrelease);
	if (p->docker_desktop) {
		fprintf(out, "Docker Desktop:  WSL integration present (%s%s)\n",
			p->docker_desktop_npaths ? p->docker_desktop_paths[0] : "proxy socket",
			p->docker_desktop_proxy_socket ? ", proxy socket found" : "");
	} else {
		fprintf(out, "Docker Desktop:  no WSL integration found\n");
	}

	fprintf(out, "Seccomp notify:  %s", cai_notify_result_name(here->result));
	if (here->errnum)
		fprintf(out, " (%s from %s: %s)", cai_errno_name(here->errnum, namebuf),
			cai_notify_stage_name(here->stage), strerror(here->errnum));
	else if (here->signal)
		fprintf(out, " (killed by SIG%s)", sigabbrev_np(here->signal) ? sigabbrev_np(here->signal) : "?");
	fputc('\n', out);
	if (here->actions_avail_readable)
		fprintf(out, "  %-14s %s\n", "user_notif:",
			here->user_notif_listed ? "listed in actions_avail" : "NOT listed in actions_avail");
	print_seccomp_state(out, "this process:", &here->self);
	print_seccomp_state(out, "PID 1:", &here->pid1);
	if (engine)
		print_engine_context(out, here, engine);

	fprintf(out, "\n%s\n", cai_advice_reason(p->kind, probe));
	const char *const *steps = cai_advice_next_steps(p->kind, probe->result);
	fprintf(out, "Next step%s:\n", steps[1] ? "s" : "");
	for (; *steps; steps++)
		fprintf(out, "  - %s\n", *steps);
}
