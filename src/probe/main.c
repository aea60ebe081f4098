/* cai-seccomp-probe: can Sysbox's seccomp user notification work here? */
#include <errno.h>
#include <getopt.h>

#include "exit_codes.h"
#include "advice.h"
#include "probe_json.h"
#include "report_text.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cai-seccomp-probe [--json | --quiet]\n"
		"\n"
		"Detect the platform (linux, wsl1, wsl2; Docker Desktop's WSL integration)\n"
		"and test, in a forked child, whether the kernel gives this process a\n"
		"seccomp user-notification listener, as Sysbox needs.\n"
		"\n"
		"Options:\n"
		"  -j, --json     print one JSON object (schema in cai-seccomp-probe(1))\n"
		"  -q, --quiet    print nothing; the exit code tells the result\n"
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
		{"json", no_argument, NULL, 'j'},    {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},    {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	bool opt_json = false, opt_quiet = false;
	int c;

	cai_set_progname(argv[0]);
	while ((c = getopt_long(argc, argv, "jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 'q':
			opt_quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cai-seccomp-probe %s\n", CAI_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'cai-seccomp-probe --help' for more information.\n");
			return PROBE_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cai_warn("unexpected argument `%s`", argv[optind]);
		fprintf(stderr, "Try 'cai-seccomp-probe --help' for more information.\n");
		return PROBE_EXIT_USAGE;
	}
	if (opt_json && opt_quiet) {
		cai_warn("--json and --quiet cannot be used together");
		return PROBE_EXIT_USAGE;
	}

	struct cai_error err = {0};
	struct cai_platform platform;
	struct cai_notify_probe probe;
	if (cai_platform_detect(&platform, &err) < 0 || cai_notify_probe_run(&probe, &err) < 0)
		cai_die_error(PROBE_EXIT_FAILED, &err);

	int code = probe_exit_code(probe.result);
	if (opt_quiet)
		return code;
	if (opt_json) {
		jv doc = jv_object();
		doc = jv_object_set(doc, jv_string("schema_version"), jv_number(CAI_PROBE_SCHEMA_VERSION));
		doc = jv_object_set(doc, jv_string("tool"), jv_string("cai-seccomp-probe"));
		doc = jv_object_set(doc, jv_string("version"), jv_string(CAI_VERSION));
		doc = jv_object_set(doc, jv_string("platform"), cai_platform_to_jv(&platform));
		doc = jv_object_set(doc, jv_string("seccomp_notify"), cai_notify_probe_to_jv(&probe));
		doc = jv_object_set(doc, jv_string("reason"), jv_string(cai_advice_reason(platform.kind, &probe)));
		jv steps = jv_array();
		for (const char *const *s = cai_advice_next_steps(platform.kind, probe.result); *s; s++)
			steps = jv_array_append(steps, jv_string(*s));
		doc = jv_object_set(doc, jv_string("next_steps"), steps);
		doc = jv_object_set(doc, jv_string("exit_code"), jv_number(code));
		char *text = cai_jv_to_cstring(doc, JV_PRINT_INDENT_FLAGS(2));
		puts(text);
		free(text);
	} else {
		probe_report_text(stdout, &platform, &probe);
	}
	if (fflush(stdout) != 0)
		cai_die(PROBE_EXIT_FAILED, "write standard output: %s", strerror(errno));
	return code;
}
