/* cai-seccomp-probe: can Sysbox's seccomp user notification work here? */
#include <errno.h>
#include <getopt.h>

#include "cli_opts.h"
#include "exit_codes.h"
#include "advice.h"
#include "engine_probe.h"
#include "probe_summary.h"
#include "wsl_info.h"
#include "probe_json.h"
#include "report_text.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cai-seccomp-probe [--json | --quiet | --summary | --platform] [--here]\n"
		     "\n"
		     "Detect the platform (linux, wsl1, wsl2; Docker Desktop's WSL integration)\n"
		     "and test, in a forked child, whether the kernel gives this process a\n"
		     "seccomp user-notification listener, as Sysbox needs. Where systemd is\n"
		     "PID 1 it probes again in a transient systemd service, where the engine\n"
		     "runs; that answer decides the exit code.\n"
		     "\n"
		     "Options:\n"
		     "  -j, --json     print one JSON object (schema in cai-seccomp-probe(1))\n"
		     "  -q, --quiet    print nothing; the exit code tells the result\n"
		     "  -s, --summary  print one line: both answers and what WSL says\n"
		     "  -p, --platform print one word, linux, wsl1 or wsl2, and probe nothing\n"
		     "                 (exit 0)\n"
		     "      --here     probe this process only (what the transient service runs)\n"
		     "  -h, --help     show this help and exit\n"
		     "  -V, --version  show the version and exit\n"
		     "\n"
		     "Exit codes:\n"
		     "  0  supported    seccomp user notification works\n"
		     "  1  failed       the probe itself could not run\n"
		     "  2  usage        bad command line\n"
		     "  3  busy         EBUSY: another listener holds the filter chain (WSL 1.1.0+)\n"
		     "  4  unsupported  EINVAL/ENOSYS: the kernel has no user notification\n"
		     "  5  denied       EPERM/EACCES/SIGSYS: an outer sandbox forbids filters\n"
		     "  6  error        the kernel gave another answer\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},	  {"quiet", no_argument, NULL, 'q'},
	    {"summary", no_argument, NULL, 's'},  {"here", no_argument, NULL, 'H'},
	    {"platform", no_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},  {NULL, 0, NULL, 0},
	};
	bool opt_json = false, opt_quiet = false, opt_summary = false, opt_here = false, opt_platform = false;
	struct cai_cli cli = {.prog = "cai-seccomp-probe", .usage = usage};
	int c;

	cai_set_progname(argv[0]);
	while ((c = cai_cli_getopt(&cli, argc, argv, "jqsphV", longopts)) > 0) {
		switch (c) {
		case 'p':
			opt_platform = true;
			break;
		case 's':
			opt_summary = true;
			break;
		case 'H':
			opt_here = true;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'q':
			opt_quiet = true;
			break;
		}
	}
	if (cai_cli_no_operands(&cli, argc, argv))
		return cli.exit_code;
	if (opt_json + opt_quiet + opt_summary + opt_platform > 1) {
		cai_warn("--json, --quiet, --summary and --platform cannot be used together");
		return PROBE_EXIT_USAGE;
	}

	struct cai_error err = {0};
	struct cai_platform platform;
	if (opt_platform) {
		/* The maintainer scripts' one-word question. */
		if (cai_platform_detect(&platform, &err) < 0)
			cai_die_error(PROBE_EXIT_FAILED, &err);
		puts(cai_platform_kind_name(platform.kind));
		if (fflush(stdout) != 0)
			cai_die(PROBE_EXIT_FAILED, "write standard output: %s", strerror(errno));
		return 0;
	}
	struct cai_notify_probe probe;
	struct cai_engine_probe engine;
	struct cai_wsl_info wsl = {0};
	if (cai_platform_detect(&platform, &err) < 0 || cai_notify_probe_run(&probe, &err) < 0)
		cai_die_error(PROBE_EXIT_FAILED, &err);
	if (opt_here) {
		engine = (struct cai_engine_probe){.where = CAI_PROBE_WHERE_THIS_TREE, .ran = true, .probe = probe};
	} else {
		cai_engine_probe_run(&probe, &engine);
		if (platform.kind == CAI_PLATFORM_WSL2)
			cai_wsl_info_read(&wsl);
	}
	/* Where the engine runs decides; this process's answer is reported beside it. */
	const struct cai_notify_probe *decisive = cai_engine_probe_decisive(&probe, &engine);

	int code = probe_exit_code(decisive->result);
	if (opt_quiet)
		return code;
	if (opt_summary) {
		char line[1024];
		cai_probe_summary(&platform, &probe, opt_here ? NULL : &engine, &wsl, line, sizeof(line));
		puts(line);
	} else if (opt_json) {
		jv doc = jv_object();
		doc = jv_object_set(doc, jv_string("schema_version"), jv_number(CAI_PROBE_SCHEMA_VERSION));
		doc = jv_object_set(doc, jv_string("tool"), jv_string("cai-seccomp-probe"));
		doc = jv_object_set(doc, jv_string("version"), jv_string(CAI_VERSION));
		doc = jv_object_set(doc, jv_string("platform"), cai_platform_to_jv(&platform));
		doc = jv_object_set(doc, jv_string("seccomp_notify"), cai_notify_probe_to_jv(&probe));
		if (!opt_here) {
			doc = jv_object_set(doc, jv_string("engine_context"), cai_engine_probe_to_jv(&probe, &engine));
			doc = jv_object_set(doc, jv_string("wsl"),
					    platform.kind == CAI_PLATFORM_WSL2 ? cai_wsl_info_to_jv(&wsl) : jv_null());
		}
		doc = jv_object_set(doc, jv_string("reason"), jv_string(cai_advice_reason(platform.kind, decisive)));
		jv steps = jv_array();
		for (const char *const *s = cai_advice_next_steps(platform.kind, decisive->result); *s; s++)
			steps = jv_array_append(steps, jv_string(*s));
		doc = jv_object_set(doc, jv_string("next_steps"), steps);
		/* The one fix that follows from what WSL said (as cai doctor gives it). */
		char fix[512];
		cai_advice_fix(platform.kind, decisive->result, wsl.networking_mode[0] ? wsl.networking_mode : NULL,
			       wsl.version[0] ? wsl.version : NULL, fix, sizeof(fix));
		doc = jv_object_set(doc, jv_string("fix"),
				    decisive->result == CAI_NOTIFY_SUPPORTED ? jv_null() : jv_string(fix));
		doc = jv_object_set(doc, jv_string("exit_code"), jv_number(code));
		char *text = cai_jv_to_cstring(doc, JV_PRINT_INDENT_FLAGS(2));
		puts(text);
		free(text);
	} else {
		probe_report_text(stdout, &platform, &probe, opt_here ? NULL : &engine);
	}
	if (fflush(stdout) != 0)
		cai_die(PROBE_EXIT_FAILED, "write standard output: %s", strerror(errno));
	return code;
}
