/* The probe's classification table, and the real probe run in this very
 * process: it must answer, and this process must not end up filtered. */
#include <errno.h>

#include "notify_probe.h"
#include "procfs.h"
#include "tap.h"

static long my_seccomp_filters(void)
{
	char buf[8192];
	struct cai_error err;
	if (cai_read_small_file("/proc/self/status", buf, sizeof(buf), &err) < 0)
		return -2;
	long mode = cai_status_field(buf, "Seccomp");
	long filters = cai_status_field(buf, "Seccomp_filters");
	return mode * 1000 + filters;
}

int main(void)
{
	static const struct {
		int errnum;
		enum cai_notify_result want;
	} table[] = {
	    {0, CAI_NOTIFY_SUPPORTED},	      {EBUSY, CAI_NOTIFY_BUSY},	  {EINVAL, CAI_NOTIFY_UNSUPPORTED},
	    {ENOSYS, CAI_NOTIFY_UNSUPPORTED}, {EPERM, CAI_NOTIFY_DENIED}, {EACCES, CAI_NOTIFY_DENIED},
	    {EFAULT, CAI_NOTIFY_ERROR},	      {ENOMEM, CAI_NOTIFY_ERROR}, {E2BIG, CAI_NOTIFY_ERROR},
	};
	for (size_t i = 0; i < CAI_ARRAY_LEN(table); i++) {
		char buf[16];
		is_str(cai_notify_result_name(cai_notify_classify_errno(table[i].errnum)),
		       cai_notify_result_name(table[i].want), "errno %s classified",
		       table[i].errnum ? cai_errno_name(table[i].errnum, buf) : "0");
	}
	is_str(cai_notify_result_name((enum cai_notify_result)42), "error", "out-of-range result name");
	is_str(cai_notify_stage_name(CAI_STAGE_SECCOMP), "seccomp", "stage name");

	long before = my_seccomp_filters();
	struct cai_notify_probe probe;
	struct cai_error err = {0};
	is_int(cai_notify_probe_run(&probe, &err), 0, "probe runs: %s", err.msg);
	long after = my_seccomp_filters();
	is_int(after, before, "the calling process is not filtered by the probe");
	ok(probe.self.readable && probe.self.mode >= 0, "own seccomp state read");
	ok(probe.elapsed_us > 0, "elapsed time measured (%ld us)", probe.elapsed_us);

	if (probe.actions_avail_readable && probe.user_notif_listed && before == 0) {
		is_str(cai_notify_result_name(probe.result), "supported",
		       "this unfiltered kernel supports notification");
		is_int(probe.errnum, 0, "no errno when supported");
		is_str(cai_notify_stage_name(probe.stage), "none", "no failing stage when supported");
	} else {
		skip("this kernel lacks user_notif or the test runs under a seccomp filter", "supported here");
		skip("see above", "no errno");
		skip("see above", "no stage");
	}

	/* Twice in a row gives the same answer: nothing is left behind. */
	struct cai_notify_probe again;
	is_int(cai_notify_probe_run(&again, &err), 0, "second run");
	is_int(again.result, probe.result, "same answer on the second run");
	return done_testing();
}
