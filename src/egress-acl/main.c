/* cai-egress-acl CLIENTS_DIR: Squid's external ACL helper for the egress
 * proxy. For each request Squid writes "CLIENT_ADDR HOST PORT" (fields
 * %-encoded) and this answers OK when the client's allowlist (the file
 * CLIENTS_DIR/CLIENT_ADDR that `cai run` wrote) names HOST, else ERR; for a
 * known client with "log=ID,NAME,listed|unlisted", which Squid's access log
 * keeps (%ea): the container is named when the decision is taken, not when
 * the log is read (by then its address may be another container's).
 *
 * MUST: answer ERR for anything it cannot read or parse (default deny); one
 * answer per request line, in order; never write anything else to stdout.
 * Runs as Squid's user: it only reads root-owned files. */
#include <ctype.h>
#include <stdio.h>

#include "cli_opts.h"
#include "egress_client.h"
#include "egress_pattern.h"

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* In place: "%2e" -> '.'; an encoded NUL or a bad escape makes it invalid. */
static bool unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int h = hexval((unsigned char)p[1]), l = h < 0 ? -1 : hexval((unsigned char)p[2]);
		if (l < 0 || (h == 0 && l == 0))
			return false;
		*o++ = (char)(h * 16 + l);
		p += 2;
	}
	*o = '\0';
	return true;
}

/* The answer's text, without the newline. */
static void decide(const char *dir, char *line, char *out, size_t cap)
{
	snprintf(out, cap, "ERR");
	char *addr = strtok(line, " \t\r\n"), *host = strtok(NULL, " \t\r\n");
	if (!addr || !host || !unescape(addr) || !unescape(host))
		return;
	struct cai_egress_client c;
	struct cai_error err = {0};
	if (cai_egress_client_load(dir, addr, &c, &err) <= 0)
		return;
	bool ok = cai_egress_list_match(c.allow.v, host);
	/* Names and ids are [A-Za-z0-9_.-]: nothing to quote. */
	snprintf(out, cap, "%s log=%s,%s,%s", ok ? "OK" : "ERR", c.container.id,
		 c.container.name[0] ? c.container.name : "-", ok ? "listed" : "unlisted");
	cai_egress_client_free(&c);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cai-egress-acl CLIENTS_DIR (Squid runs it; see cai(1))\n");
		return CAI_EXIT_USAGE;
	}
	char line[8192];
	while (fgets(line, sizeof(line), stdin)) {
		bool whole = strchr(line, '\n') != NULL;
		char answer[512] = "ERR";
		if (whole)
			decide(argv[1], line, answer, sizeof(answer));
		/* A line longer than the buffer is one request: skip the rest. */
		while (!whole && fgets(line, sizeof(line), stdin) && !strchr(line, '\n'))
			;
		printf("%s\n", answer);
		fflush(stdout);
	}
	return 0;
}
