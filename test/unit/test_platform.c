/* Platform classification from real kernel strings. */
#include "platform.h"
#include "tap.h"

struct row {
	const char *name;
	const char *osrelease;
	const char *version;
	unsigned files; /* file evidence already found */
	enum cai_platform_kind want;
	unsigned want_evidence;
};

static const struct row rows[] = {
    {"WSL1 19041", "4.4.0-19041-Microsoft",
     "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep "
     "11 14:32:00 PST 2021",
     CAI_WSL_INTEROP, CAI_PLATFORM_WSL1, CAI_WSL_OSRELEASE_WSL1 | CAI_WSL_VERSION_WSL1 | CAI_WSL_INTEROP},
    {"WSL2 4.19", "4.19.128-microsoft-standard",
     "Linux version 4.19.128-microsoft-standard (oe-user@oe-host) (gcc version 8.2.0 (GCC)) #1 SMP Tue Jun 23 12:58:10 "
     "UTC 2020",
     0, CAI_PLATFORM_WSL2, CAI_WSL_OSRELEASE_WSL2 | CAI_WSL_VERSION_WSL2},
    {"WSL2 5.15", "5.15.167.4-microsoft-standard-WSL2",
     "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) "
     "2.37) #1 SMP Tue Nov 5 00:21:55 UTC 2024",
     CAI_WSL_INTEROP_LATE | CAI_WSL_RUN_WSL, CAI_PLATFORM_WSL2,
     CAI_WSL_OSRELEASE_WSL2 | CAI_WSL_VERSION_WSL2 | CAI_WSL_INTEROP_LATE | CAI_WSL_RUN_WSL},
    {"WSL2 6.6", "6.6.36.3-microsoft-standard-WSL2", "Linux version 6.6.36.3-microsoft-standard-WSL2 (root@x) #1 SMP",
     0, CAI_PLATFORM_WSL2, CAI_WSL_OSRELEASE_WSL2 | CAI_WSL_VERSION_WSL2},
    {"custom WSL2 kernel named WSL2", "6.1.21-custom-WSL2", "Linux version 6.1.21-custom-WSL2 (me@box) #1 SMP", 0,
     CAI_PLATFORM_WSL2, CAI_WSL_OSRELEASE_WSL2 | CAI_WSL_VERSION_WSL2},
    {"custom WSL2 kernel, no marker, interop", "6.8.0", "Linux version 6.8.0 (me@box) #1 SMP", CAI_WSL_INTEROP,
     CAI_PLATFORM_WSL2, CAI_WSL_INTEROP},
    {"custom WSL2 kernel, no marker, interop-late", "6.8.0", "Linux version 6.8.0 (me@box) #1 SMP",
     CAI_WSL_INTEROP_LATE, CAI_PLATFORM_WSL2, CAI_WSL_INTEROP_LATE},
    {"custom WSL2 kernel, no marker, /run/WSL", "6.8.0", "Linux version 6.8.0 (me@box) #1 SMP", CAI_WSL_RUN_WSL,
     CAI_PLATFORM_WSL2, CAI_WSL_RUN_WSL},
    {"Debian 12", "6.1.0-26-amd64",
     "Linux version 6.1.0-26-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian 6.1.112-1", 0, CAI_PLATFORM_LINUX, 0},
    {"Azure kernel built by Microsoft", "5.15.0-1057-azure",
     "Linux version 5.15.0-1057-azure (buildd@lcy02-amd64-068) (gcc ...) #65-Ubuntu SMP; built at microsoft.com", 0,
     CAI_PLATFORM_LINUX, 0},
    {"seed check is case-insensitive", "5.10.16.3-MICROSOFT-STANDARD-WSL2",
     "Linux version 5.10.16.3-MICROSOFT-STANDARD", 0, CAI_PLATFORM_WSL2, CAI_WSL_OSRELEASE_WSL2 | CAI_WSL_VERSION_WSL2},
};

int main(void)
{
	for (size_t i = 0; i < CAI_ARRAY_LEN(rows); i++) {
		struct cai_platform p = {0};
		snprintf(p.osrelease, sizeof(p.osrelease), "%s", rows[i].osrelease);
		snprintf(p.version, sizeof(p.version), "%s", rows[i].version);
		p.evidence = rows[i].files;
		cai_platform_classify(&p);
		is_str(cai_platform_kind_name(p.kind), cai_platform_kind_name(rows[i].want), "%s: kind", rows[i].name);
		is_int(p.evidence, rows[i].want_evidence, "%s: evidence", rows[i].name);
	}

	is_str(cai_platform_kind_name(CAI_PLATFORM_LINUX), "linux", "kind name linux");
	is_str(cai_wsl_evidence_name(CAI_WSL_INTEROP_LATE), "binfmt-wslinterop-late", "evidence name");

	/* The machine running the tests: detection must succeed and agree with
	 * the seed check on its own /proc/version. */
	struct cai_platform here;
	struct cai_error err = {0};
	ok(cai_platform_detect(&here, &err) == 0, "detect on this machine: %s", err.msg);
	bool seed = cai_str_contains_ci(here.version, "microsoft-standard");
	ok(!seed || here.kind == CAI_PLATFORM_WSL2, "seed check and detection agree here (%s)",
	   cai_platform_kind_name(here.kind));
	return done_testing();
}
