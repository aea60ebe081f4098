/* cai-daemon-json: add and remove a runtime in a Docker daemon.json, losing
 * nothing else. The logic lives in src/lib/config/daemon_json.c; this file parses
 * the command line, prints what happened and picks the exit code. */
#include <errno.h>
#include <getopt.h>

#include "cli_opts.h"
#include "daemon_json.h"
#include "engine_paths.h"
#include "exit_codes.h"
#include "jv_util.h"
#include "show.h"

static const char *opt_file = CAI_ENGINE_DAEMON_JSON;
static bool opt_quiet;

struct command {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*run)(int argc, char **argv);
};

static const char exit_help[] = "Exit codes:\n"
				"  0  changed    the file was written (with --dry-run: would be)\n"
				"  1  failed     I/O error (read, lock, write, fsync, rename) or another failure\n"
				"  2  usage      bad command line\n"
				"  3  unchanged  already as asked; nothing was written\n"
				"  4  refused    conflict (see the message); nothing was written\n"
				"  5  invalid    invalid file or value (see the message); nothing was written\n";

/* The subcommand main() chose, for its --help. */
static const struct command *opt_command;

static void say(const char *fmt, ...) CAI_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	if (opt_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* With --dry-run the resulting file goes to stdout, so the message goes to
 * stderr: `cai-daemon-json --dry-run ... > new.json` gives the file. */
static void say_dry(const char *fmt, ...) CAI_PRINTF(1, 2);
static void say_dry(const char *fmt, ...)
{
	if (opt_quiet)
		return;
	va_list ap;
	fputs("dry run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int finish(enum cai_dj_outcome rc, const struct cai_error *err)
{
	if (rc == CAI_DJ_REFUSED || rc == CAI_DJ_INVALID || rc == CAI_DJ_IO_ERROR)
		cai_warn("%s", err->msg);
	if (fflush(stdout) != 0) {
		cai_warn("write standard output: %s", strerror(errno));
		return MERGE_EXIT_FAILED;
	}
	return merge_exit_code(rc);
}

/* --file and --quiet, which go before the command or after it. */
static void global_option(int c)
{
	if (c == 'f')
		opt_file = optarg;
	else if (c == 'q')
		opt_quiet = true;
}

static void sub_usage(FILE *out)
{
	fprintf(out, "Usage: cai-daemon-json [--file PATH] [--quiet] %s\n\n%s\n%s", opt_command->synopsis,
		opt_command->help, exit_help);
}

/* Common front of every subcommand: its options, the operand count. `extra`
 * lists what it accepts besides --file, --quiet and --help: 'r' --replace,
 * 'n' --dry-run, 'j' --json (the others' pointers may be NULL). Returns -1
 * to go on, or the exit code. */
static int front(int argc, char **argv, int want, const char *extra, bool *replace, bool *dry_run, bool *json)
{
	static const struct option longopts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"replace", no_argument, NULL, 'r'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_cli cli = {.prog = "cai-daemon-json", .command = argv[0], .usage = sub_usage};
	int c;
	optind = 0; /* reinitialise getopt for the subcommand's argv */
	while ((c = cai_cli_getopt(&cli, argc, argv, "f:qh", longopts)) > 0) {
		if ((c == 'r' || c == 'n' || c == 'j') && !strchr(extra, c)) {
			cai_warn("%s: option `%s` does not apply here", argv[0], argv[optind - 1]);
			return cai_cli_usage_error(&cli);
		}
		switch (c) {
		case 'r':
			*replace = true;
			break;
		case 'n':
			*dry_run = true;
			break;
		case 'j':
			*json = true;
			break;
		default:
			global_option(c);
		}
	}
	if (cli.done)
		return cli.exit_code;
	if (!*opt_file) {
		cai_warn("--file: the file name is empty");
		return cai_cli_usage_error(&cli);
	}
	int ops = argc - optind;
	if (ops != want) {
		if (ops < want)
			cai_warn("%s: missing operand", argv[0]);
		else
			cai_warn("%s: unexpected argument `%s`", argv[0], argv[optind + want]);
		return cai_cli_usage_error(&cli);
	}
	return -1;
}

static int cmd_add(int argc, char **argv)
{
	struct cai_dj_options o = {.preview = stdout};
	int rc = front(argc, argv, 2, "rn", &o.replace, &o.dry_run, NULL);
	if (rc >= 0)
		return rc;
	const char *name = argv[optind], *path = argv[optind + 1];

	/* Only to word the message: the library decides under its lock. */
	bool existed = false;
	jv doc;
	struct cai_error err = {0};
	if (cai_dj_load(opt_file, &doc, &err) == 0) {
		jv rts = jv_object_get(doc, jv_string("runtimes")); /* consumes doc */
		existed = jv_is_valid(rts) && jv_object_has(jv_copy(rts), jv_string(name));
		jv_free(rts);
	}
	memset(&err, 0, sizeof(err));
	enum cai_dj_outcome out = cai_dj_add_runtime(opt_file, name, path, &o, &err);
	void (*msg)(const char *, ...) = o.dry_run ? say_dry : say;
	const char *would = o.dry_run ? "would " : "";
	if (out == CAI_DJ_CHANGED && existed)
		msg("%sset the path of runtime `%s` to %s in %s, keeping its other fields", would, name, path,
		    opt_file);
	else if (out == CAI_DJ_CHANGED)
		msg("%s%s runtime `%s` (%s) to %s", would, o.dry_run ? "add" : "added", name, path, opt_file);
	else if (out == CAI_DJ_UNCHANGED)
		msg("unchanged: runtime `%s` already has path %s in %s", name, path, opt_file);
	return finish(out, &err);
}

static int cmd_remove(int argc, char **argv)
{
	struct cai_dj_options o = {.preview = stdout};
	int rc = front(argc, argv, 1, "n", NULL, &o.dry_run, NULL);
	if (rc >= 0)
		return rc;
	const char *name = argv[optind];
	struct cai_error err = {0};
	enum cai_dj_outcome out = cai_dj_remove_runtime(opt_file, name, &o, &err);
	if (out == CAI_DJ_CHANGED && o.dry_run)
		say_dry("would remove runtime `%s` from %s", name, opt_file);
	else if (out == CAI_DJ_CHANGED)
		say("removed runtime `%s` from %s", name, opt_file);
	else if (out == CAI_DJ_UNCHANGED)
		say("unchanged: %s has no runtime `%s`", opt_file, name);
	return finish(out, &err);
}

/* KEY JSON operands of set-default and unset. */
static int key_value(int argc, char **argv, struct cai_dj_options *o, jv *value)
{
	int rc = front(argc, argv, 2, "n", NULL, &o->dry_run, NULL);
	if (rc >= 0)
		return rc;
	const char *text = argv[optind + 1];
	*value = jv_parse(text);
	if (!jv_is_valid(*value)) {
		jv msg = jv_invalid_get_msg(*value);
		cai_warn("%s: the value `%s` is not JSON (%s); quote strings, e.g. '\"cai0\"'", argv[0], text,
			 jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "empty");
		jv_free(msg);
		return cai_cli_usage_error(&(struct cai_cli){.prog = "cai-daemon-json", .command = argv[0]});
	}
	return -1;
}

/* What set-default or unset did, in words. */
static void say_key_edit(enum cai_dj_op_kind kind, enum cai_dj_outcome out, bool dry_run, const char *key,
			 const char *shown)
{
	bool set = kind == CAI_DJ_OP_SET_DEFAULT;
	if (out == CAI_DJ_CHANGED && dry_run && set)
		say_dry("would set `%s` to %s in %s", key, shown, opt_file);
	else if (out == CAI_DJ_CHANGED && dry_run)
		say_dry("would remove `%s` (%s) from %s", key, shown, opt_file);
	else if (out == CAI_DJ_CHANGED && set)
		say("set `%s` to %s in %s", key, shown, opt_file);
	else if (out == CAI_DJ_CHANGED)
		say("removed `%s` (%s) from %s", key, shown, opt_file);
	else if (out == CAI_DJ_UNCHANGED && set)
		say("unchanged: `%s` is already %s in %s", key, shown, opt_file);
	else if (out == CAI_DJ_UNCHANGED)
		say("unchanged: `%s` is not %s in %s", key, shown, opt_file);
}

/* set-default and unset: one key, one value. */
static int run_key_edit(int argc, char **argv, enum cai_dj_op_kind kind)
{
	struct cai_dj_options o = {.preview = stdout};
	jv value;
	int rc = key_value(argc, argv, &o, &value);
	if (rc >= 0)
		return rc;
	const char *key = argv[optind];
	cleanup_free char *shown = cai_jv_to_cstring(jv_copy(value), 0);
	struct cai_error err = {0};
	struct cai_dj_op op = {.kind = kind, .name = key, .value = value}; /* value consumed */
	enum cai_dj_outcome out = cai_dj_edit(opt_file, &op, 1, &o, &err);
	say_key_edit(kind, out, o.dry_run, key, shown);
	return finish(out, &err);
}

static int cmd_set_default(int argc, char **argv)
{
	return run_key_edit(argc, argv, CAI_DJ_OP_SET_DEFAULT);
}

static int cmd_unset(int argc, char **argv)
{
	return run_key_edit(argc, argv, CAI_DJ_OP_UNSET_IF_EQUAL);
}

static int cmd_show(int argc, char **argv)
{
	bool json = false;
	int rc = front(argc, argv, 0, "j", NULL, NULL, &json);
	if (rc >= 0)
		return rc;
	jv doc;
	struct cai_error err = {0};
	if (cai_dj_load(opt_file, &doc, &err) < 0) {
		cai_warn("%s", err.msg);
		return err.errnum ? MERGE_EXIT_FAILED : MERGE_EXIT_INVALID;
	}
	if (json) {
		size_t len;
		cleanup_free char *text = cai_dj_format(doc, &len); /* consumes doc */
		fwrite(text, 1, len, stdout);
	} else {
		merge_show_text(stdout, opt_file, doc);
		jv_free(doc);
	}
	if (fflush(stdout) != 0) {
		cai_warn("write standard output: %s", strerror(errno));
		return MERGE_EXIT_FAILED;
	}
	return 0;
}

static const struct command commands[] = {
    {"add-runtime", "add-runtime NAME PATH [--replace] [--dry-run]",
     "Add runtimes.NAME = {\"path\": PATH}. The same NAME with the same PATH is\n"
     "left as it is (exit 3), whatever its other fields. The same NAME with\n"
     "another path is refused (exit 4) unless --replace, which sets the path and\n"
     "keeps the entry's other fields (runtimeArgs...). A missing file is created\n"
     "(mode 0644, parent directories 0755).\n"
     "\n"
     "  --replace  change the path of an existing entry of that name\n"
     "  --dry-run  print the resulting file on stdout; write nothing\n",
     cmd_add},
    {"remove-runtime", "remove-runtime NAME [--dry-run]",
     "Remove runtimes.NAME. If the file is exactly as our add-runtime left it,\n"
     "its bytes from before that add come back (no file if the add created it);\n"
     "otherwise only the entry goes, with `runtimes` if our add created it and\n"
     "it is now empty. Refused (exit 4) if NAME is the default-runtime.\n"
     "\n"
     "  --dry-run  print the resulting file on stdout; write nothing\n",
     cmd_remove},
    {"set-default", "set-default KEY JSON [--dry-run]",
     "Set the top-level KEY to the JSON value only if KEY is absent. Present with\n"
     "an equal value: unchanged (exit 3); with another value: refused (exit 4).\n"
     "`default-runtime` and `runtimes` cannot be set this way.\n"
     "\n"
     "  --dry-run  print the resulting file on stdout; write nothing\n",
     cmd_set_default},
    {"unset", "unset KEY JSON [--dry-run]",
     "Remove the top-level KEY only if its value equals the JSON value;\n"
     "otherwise leave the file as it is (exit 3).\n"
     "\n"
     "  --dry-run  print the resulting file on stdout; write nothing\n",
     cmd_unset},
    {"show", "show [--json]",
     "Print the default runtime and the runtimes, or with --json the whole\n"
     "document as this tool would write it. A missing file reads as {}.\n"
     "\n"
     "  --json  print the document as JSON\n",
     cmd_show},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < CAI_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: cai-daemon-json [--file PATH] [--quiet] COMMAND [ARGS...]\n"
		     "\n"
		     "Add or remove one runtime entry in a Docker daemon.json, keeping every\n"
		     "other key and value in its order. Writes are atomic (temp file, fsync,\n"
		     "rename), keep mode, owner and group, and are serialised with a lock.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < CAI_ARRAY_LEN(commands); i++)
		fprintf(out, "  %s\n", commands[i].synopsis);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -f, --file PATH  the daemon.json to edit (default " CAI_ENGINE_DAEMON_JSON ")\n"
		"  -q, --quiet      print no message (errors still go to stderr)\n"
		"  -h, --help       show this help, or a command's with COMMAND --help\n"
		"  -V, --version    show the version and exit\n"
		"\n"
		"%s",
		exit_help);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct cai_cli cli = {.prog = "cai-daemon-json", .usage = usage};
	int c;

	cai_set_progname(argv[0]);
	/* '+': stop at the command; its own options follow it. */
	while ((c = cai_cli_getopt(&cli, argc, argv, "+f:qhV", longopts)) > 0)
		global_option(c);
	if (cli.done)
		return cli.exit_code;
	if (optind >= argc) {
		cai_warn("missing command");
		return cai_cli_usage_error(&cli);
	}
	opt_command = find_command(argv[optind]);
	if (!opt_command) {
		cai_warn("unknown command `%s`", argv[optind]);
		return cai_cli_usage_error(&cli);
	}
	return opt_command->run(argc - optind, argv + optind);
}
