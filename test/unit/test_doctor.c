/* The doctor's pure parts: wsl.conf, version numbers, WSL advice, and a
 * probe's answer read back from the transient service's JSON. */
#include <errno.h>
#include <signal.h>

#include "advice.h"
#include "probe_json.h"
#include "tap.h"
#include "version_parse.h"
#include "wsl_info.h"

static void test_wsl_conf(void)
{
	struct cai_wsl_conf c;
	cai_wsl_conf_parse("[boot]\nsystemd=true\n", &c);
	ok(c.systemd_set && c.systemd, "[boot] systemd=true");
	cai_wsl_conf_parse("# comment\n[Boot]\r\n  SystemD = False ; no\r\ncommand = \"cai engine start\"\n", &c);
	ok(c.systemd_set && !c.systemd, "case-insensitive section and key, false (CRLF)");
	is_str(c.boot_command, "cai engine start", "quoted boot command unquoted");
	cai_wsl_conf_parse("[network]\ncommand = x\nsystemd=true\n[boot2]\nsystemd=true\n", &c);
	ok(!c.systemd_set && !c.boot_command[0], "keys outside [boot] are ignored");
	cai_wsl_conf_parse("[boot]\n;systemd=true\n#command=a\nnot a pair\n", &c);
	ok(!c.systemd_set && !c.boot_command[0], "comments and lines without = are ignored");
	cai_wsl_conf_parse("", &c);
	ok(!c.systemd_set, "empty file");
}

static void test_versions(void)
{
	struct cai_version v;
	ok(cai_version_find("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1\nspec: 1.0.2-dev\n", "version", &v) &&
	       cai_version_cmp(&v, 1, 1, 5) == 0,
	   "runc version line");
	ok(cai_version_find("sysbox-runc\n\tedition: \tCommunity Edition (CE)\n\tversion: \t0.6.4\n", "version", &v) &&
	       cai_version_cmp(&v, 0, 6, 4) == 0,
	   "sysbox-runc's version field");
	ok(cai_version_find("5.15.167.4-microsoft-standard-WSL2", NULL, &v) && cai_version_cmp(&v, 5, 15, 167) == 0,
	   "a WSL kernel release");
	ok(cai_version_find("6.1", NULL, &v) && cai_version_cmp(&v, 6, 1, 0) == 0, "two parts");
	ok(!cai_version_find("no digits here", NULL, &v), "no version");
	ok(!cai_version_find("x86_64 1", NULL, &v), "digits inside a word and a bare number are not a version");
	ok(!cai_version_find("99999999999.1", NULL, &v), "a number too long is refused");
	ok(cai_version_find("2.3.26.0", NULL, &v) && cai_version_cmp(&v, 1, 1, 0) > 0 &&
	       cai_version_cmp(&v, 2, 3, 27) < 0,
	   "comparison by major, minor, patch");
}

static void test_advice(void)
{
	struct cai_wsl_advice a;
	cai_advice_wsl(CAI_PLATFORM_WSL2, CAI_NOTIFY_BUSY, "mirrored", "2.3.26", &a);
	ok(a.nat && !a.downgrade, "mirrored: NAT, no downgrade");
	cai_advice_wsl(CAI_PLATFORM_WSL2, CAI_NOTIFY_BUSY, "nat", "2.3.26", &a);
	ok(!a.nat && a.downgrade, "NAT on 2.3.26: downgrade");
	cai_advice_wsl(CAI_PLATFORM_WSL2, CAI_NOTIFY_BUSY, "nat", "1.0.3", &a);
	ok(!a.nat && !a.downgrade, "NAT on 1.0.3: neither applies");
	cai_advice_wsl(CAI_PLATFORM_WSL2, CAI_NOTIFY_BUSY, NULL, NULL, &a);
	ok(a.nat && a.downgrade, "nothing known: both");
	cai_advice_wsl(CAI_PLATFORM_WSL2, CAI_NOTIFY_UNSUPPORTED, NULL, NULL, &a);
	ok(a.kernel_update && !a.downgrade && !a.nat, "EINVAL on WSL2: kernel update only");
	cai_advice_wsl(CAI_PLATFORM_WSL1, CAI_NOTIFY_UNSUPPORTED, NULL, NULL, &a);
	ok(a.convert && !a.kernel_update, "WSL1: convert");
	cai_advice_wsl(CAI_PLATFORM_LINUX, CAI_NOTIFY_BUSY, "mirrored", "2.3.26", &a);
	ok(!a.nat && !a.downgrade && !a.kernel_update && !a.convert, "plain Linux: nothing WSL-side");
}

static void test_probe_roundtrip(void)
{
	struct cai_notify_probe busy = {
	    .result = CAI_NOTIFY_BUSY,
	    .stage = CAI_STAGE_SECCOMP,
	    .errnum = EBUSY,
	    .actions_avail_readable = true,
	    .user_notif_listed = true,
	    .actions_avail = "user_notif",
	    .self = {.readable = true, .mode = 2, .filters = 1},
	    .pid1 = {.readable = false, .mode = -1, .filters = -1},
	    .elapsed_us = 42,
	};
	struct cai_notify_probe back;
	is_int(cai_notify_probe_from_jv(cai_notify_probe_to_jv(&busy), &back), 0, "a probe's JSON reads back");
	ok(back.result == CAI_NOTIFY_BUSY && back.stage == CAI_STAGE_SECCOMP && back.errnum == EBUSY,
	   "result, stage, errno");
	ok(back.self.readable && back.self.mode == 2 && back.self.filters == 1 && !back.pid1.readable,
	   "seccomp states");
	ok(back.user_notif_listed && back.elapsed_us == 42, "user_notif and timing");
	struct cai_notify_probe killed = {.result = CAI_NOTIFY_DENIED, .stage = CAI_STAGE_SIGNAL, .signal = SIGSYS};
	cai_notify_probe_from_jv(cai_notify_probe_to_jv(&killed), &back);
	ok(back.signal == SIGSYS && back.result == CAI_NOTIFY_DENIED, "a signal by name");
	is_int(cai_notify_probe_from_jv(jv_parse("{\"result\":\"maybe\"}"), &back), -1, "an unknown result is refused");
	is_int(cai_notify_probe_from_jv(jv_parse("[1]"), &back), -1, "not an object");
	is_int(cai_notify_probe_from_jv(jv_null(), &back), -1, "null");
}

int main(void)
{
	test_wsl_conf();
	test_versions();
	test_advice();
	test_probe_roundtrip();
	return done_testing();
}
