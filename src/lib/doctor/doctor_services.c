/* The doctor's checks of what runs beside the engine: the audit collector
 * that `cai run` logs to, and the egress proxy that agent containers reach
 * the network through. Both go with the engine, so while it is not running
 * they do not apply. */
#include "doctor.h"

#include "collector.h"
#include "egress_paths.h"
#include "egress_proxy.h"
#include "engine.h"

static bool engine_running(struct cai_doctor_check *c, const char *what)
{
	struct cai_engine_status es;
	cai_engine_get_status(&es);
	if (!es.running)
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL,
			       "does not apply: the engine is not running (the %s goes with it)", what);
	return es.running;
}

void cai_doctor_check_audit_collector(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	(void)f;
	if (!engine_running(c, "audit collector"))
		return;
	struct cai_collector_status cs;
	cai_collector_get_status(&cs);
	if (!cs.accepting)
		cai_doctor_set(c, CAI_DOCTOR_WARNING, cai_collector_fix_command(cs.manager),
			       "no collector accepts on %s: `cai run` and its agents cannot log their events",
			       CAI_COLLECTOR_SOCKET);
	else if (!cs.log_writable)
		cai_doctor_set(c, CAI_DOCTOR_FAILURE,
			       "Make room on the log's filesystem (df " CAI_COLLECTOR_LOG "), then "
			       "look at the collector's warnings",
			       "accepting on %s, but its log cannot be written: %s", CAI_COLLECTOR_SOCKET,
			       cs.log_error[0] ? cs.log_error : "unknown error");
	else
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "accepting on %s; log %s writable", CAI_COLLECTOR_SOCKET,
			       CAI_COLLECTOR_LOG);
}

void cai_doctor_check_egress_proxy(const struct cai_doctor_facts *f, struct cai_doctor_check *c)
{
	if (!engine_running(c, "egress proxy"))
		return;
	struct cai_egress_status st;
	cai_egress_get_status(&st);
	const char *restart = f->systemd_pid1 ? "systemctl restart " CAI_EGRESS_UNIT : "cai egress start";
	if (!st.squid)
		cai_doctor_set(c, CAI_DOCTOR_WARNING,
			       f->systemd_pid1
				   ? "Install squid (apt install squid), then systemctl restart " CAI_EGRESS_UNIT
				   : "Install squid (apt install squid), then cai egress start",
			       "squid is not installed: `cai run --image` refuses the default network policy "
			       "(allowlist) until the egress proxy runs");
	else if (!st.answering)
		cai_doctor_set(c, CAI_DOCTOR_WARNING, restart,
			       "the egress proxy does not answer on %s (%s): agents on the allowlist policy reach "
			       "nothing",
			       CAI_EGRESS_URL, cai_egress_status_line(&st));
	else
		cai_doctor_set(c, CAI_DOCTOR_OK, NULL, "%s", cai_egress_status_line(&st));
}
