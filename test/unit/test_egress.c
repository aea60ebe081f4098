/* The egress allowlist: what an entry may be, what it matches (as the
 * documentation says: wildcards below a domain, not the domain), the
 * admin's settings, and Squid's log lines read back into events. */
#include <stdlib.h>
#include <sys/stat.h>

#include "egress_event.h"
#include "egress_pattern.h"
#include "egress_policy.h"
#include "egress_squid.h"
#include "tap.h"

static bool valid(const char *e)
{
	struct cai_error err;
	return cai_egress_pattern_check(e, &err) == 0;
}

static void entries(void)
{
	ok(valid("example.com"), "a host name");
	ok(valid("api.example.com."), "with one trailing dot");
	ok(valid("*.example.com"), "a wildcard for a domain");
	ok(valid("xn--bcher-kva.example"), "a punycode label");
	ok(!valid(""), "empty");
	ok(!valid("*"), "a bare star");
	ok(!valid("*.com"), "a wildcard for a top-level domain");
	ok(!valid("ex*ample.com") && !valid("a.*.example.com") && !valid("**.example.com"), "a star elsewhere");
	ok(!valid("10.0.0.1") && !valid("::1") && !valid("[::1]"), "addresses (the admin allows those)");
	ok(!valid("a..example.com") && !valid(".example.com") && !valid("example.com.."), "empty labels");
	ok(!valid("-a.example.com") && !valid("a-.example.com"), "a label starting or ending with '-'");
	ok(!valid("a b.com") && !valid("a/b.com") && !valid("a:80.com") && !valid("a@b.com"), "other characters");
	char label[80];
	memset(label, 'a', 64);
	label[64] = '\0';
	char *long_label = xasprintf("%s.com", label);
	ok(!valid(long_label), "a label of 64 bytes");
	free(long_label);
	char name[300];
	memset(name, 'a', sizeof(name));
	for (size_t i = 10; i < sizeof(name); i += 11)
		name[i] = '.';
	name[255] = '\0';
	ok(!valid(name), "a name of 255 bytes");
	struct cai_error err;
	cai_egress_pattern_check("ex*ample.com", &err);
	is_str(err.msg, "`ex*ample.com`: a wildcard is only allowed as the whole first label (*.example.com)",
	       "the error says why");
}

static void matching(void)
{
	ok(cai_egress_pattern_match("example.com", "example.com"), "exact");
	ok(cai_egress_pattern_match("example.com", "EXAMPLE.com."), "case and a trailing dot");
	ok(!cai_egress_pattern_match("example.com", "www.example.com"), "a host name does not cover its subdomains");
	ok(!cai_egress_pattern_match("example.com", "badexample.com"), "nor a longer name ending the same");
	ok(cai_egress_pattern_match("*.example.com", "a.example.com"), "wildcard: one label below");
	ok(cai_egress_pattern_match("*.example.com", "a.b.example.com"), "wildcard: two labels below");
	ok(!cai_egress_pattern_match("*.example.com", "example.com"), "wildcard: not the domain itself");
	ok(!cai_egress_pattern_match("*.example.com", "badexample.com"), "wildcard: not a name ending the same");
	ok(!cai_egress_pattern_match("*.example.com", ".example.com"), "wildcard: not an empty label");
	ok(!cai_egress_pattern_match("*.example.com", "example.com.evil.net"), "wildcard: not a prefix");
	char *list[] = {"a.test", "*.b.test", NULL};
	ok(cai_egress_list_match(list, "x.b.test") && !cai_egress_list_match(list, "b.test"), "a list");
	ok(!cai_egress_list_match(NULL, "a.test"), "an empty list matches nothing");
}

static char *temp_file(const char *text)
{
	char *path = xstrdup("/tmp/test_egress.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

static void files(void)
{
	struct cai_egress_list l = {0};
	struct cai_error err;
	char *p = temp_file("# comment\n\n  a.test  # trailing comment\n*.b.test\n");
	ok(cai_egress_allow_file(&l, p, false, &err) == 0 && l.n == 2 && strcmp(l.v[0], "a.test") == 0 &&
	       strcmp(l.v[1], "*.b.test") == 0,
	   "a list file: comments and blanks ignored");
	unlink(p);
	free(p);
	p = temp_file("a.test\nnot a name\n");
	ok(cai_egress_allow_file(&l, p, false, &err) < 0, "a bad line is refused");
	char *want = xasprintf("%s:2: `not a name`: not a host name", p);
	ok(strncmp(err.msg, want, strlen(want)) == 0, "naming the file and line: %s", err.msg);
	free(want);
	unlink(p);
	free(p);
	ok(cai_egress_allow_file(&l, "/nonexistent/list", true, &err) == 0, "a missing optional file is no entry");
	ok(cai_egress_allow_file(&l, "/nonexistent/list", false, &err) < 0,
	   "a missing file given on purpose is an error");
	const char *const dirs[] = {"/nonexistent", "/tmp", NULL};
	ok(cai_egress_allow_preset(&l, dirs, "../etc/passwd", &err) < 0, "a preset name cannot leave the directory");
	ok(cai_egress_allow_preset(&l, dirs, "no-such", &err) < 0 &&
	       strcmp(err.msg, "no preset `no-such` (the presets are the files in /nonexistent and /tmp)") == 0,
	   "an unknown preset names where presets live");
	cai_egress_list_free(&l);

	struct cai_egress_admin a;
	p = temp_file("project-allowlist yes\nallow-address 10.1.2.3\nallow-address fd00::/8\n");
	ok(cai_egress_admin_load(p, &a, &err) == 0 && a.project_allowlist && a.addresses.n == 2, "policy.conf");
	cai_egress_admin_free(&a);
	unlink(p);
	free(p);
	const char *bad[] = {"allow-address 10.0.0.0/33\n", "allow-address example.com\n", "project-allowlist maybe\n",
			     "proxy-port 80\n"};
	for (size_t i = 0; i < CAI_ARRAY_LEN(bad); i++) {
		p = temp_file(bad[i]);
		ok(cai_egress_admin_load(p, &a, &err) < 0, "refused: %.*s", (int)strlen(bad[i]) - 1, bad[i]);
		unlink(p);
		free(p);
	}
	ok(cai_egress_admin_load("/nonexistent/policy.conf", &a, &err) == 0 && !a.project_allowlist,
	   "no file: defaults");
}

#define ID "3f4e1a2b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8"

static void log_lines(void)
{
	struct cai_egress_line l;
	ok(cai_egress_line_parse("1795980970.840 172.31.241.2 CONNECT a.test 443 TCP_TUNNEL 200 " ID ",agent-1,listed",
				 &l) == 0 &&
	       strcmp(l.container.id, ID) == 0 && strcmp(l.container.name, "agent-1") == 0 && l.listed && l.port == 443,
	   "a tunnel, tagged by the helper");
	jv ev = cai_egress_event(&l);
	jv dec = jv_object_get(jv_copy(ev), jv_string("decision"));
	is_str(jv_string_value(dec), "allow", "allowed");
	jv_free(dec);
	jv_free(ev);
	ok(cai_egress_line_parse("1795980970.840 172.31.241.2 GET b.test 80 TCP_DENIED 403 " ID ",-,unlisted", &l) == 0,
	   "a denial");
	ev = cai_egress_event(&l);
	jv reason = jv_object_get(jv_copy(ev), jv_string("rule"));
	is_str(jv_string_value(reason), "not on the allowlist", "the reason");
	jv c = jv_object_get(jv_copy(ev), jv_string("container"));
	jv name = jv_object_get(jv_copy(c), jv_string("name"));
	ok(jv_get_kind(name) == JV_KIND_NULL, "an unknown name is null");
	jv_free(name);
	jv_free(c);
	jv_free(reason);
	jv_free(ev);
	ok(cai_egress_line_parse("1795980970.840 172.31.241.2 GET b.test 80 TCP_DENIED 403 -", &l) == 0 &&
	       !l.container.id[0],
	   "no tag: no container");
	ok(cai_egress_line_parse("1795980970.840 172.31.241.2 GET b.test 80 TCP_DENIED 403 nothex,x,listed", &l) == 0 &&
	       !l.container.id[0],
	   "a malformed tag names no container");
	ok(cai_egress_line_parse("garbage", &l) < 0 && cai_egress_line_parse("", &l) < 0, "not a line of ours");
}

static void squid_conf(void)
{
	struct cai_egress_admin a = {0};
	cai_egress_list_add(&a.addresses, "10.9.8.7");
	struct cai_egress_squid_paths p = {"/helper", "/clients", "/etc/hosts", "proxy"};
	char *conf = cai_egress_squid_conf(&a, &p);
	ok(strstr(conf, "\nhttp_port 172.31.241.1:3228\n") != NULL, "listens on the gateway only");
	ok(strstr(conf, "\nacl cai_blocked dst 169.254.0.0/16\n") != NULL, "metadata blocked");
	ok(strstr(conf, "\nhttp_access deny cai_blocked !cai_admin_addresses\n") != NULL &&
	       strstr(conf, "\nacl cai_admin_addresses dst 10.9.8.7\n") != NULL,
	   "the admin's address exempted");
	ok(strstr(conf, "ttl=0 negative_ttl=0") != NULL, "no cached decision");
	ok(strstr(conf, "::ffff:") == NULL && strstr(conf, " ::/128") == NULL,
	   "no v4-mapped range (Squid would read it as all of IPv4)");
	free(conf);
	cai_egress_admin_free(&a);
}

int main(void)
{
	entries();
	matching();
	files();
	log_lines();
	squid_conf();
	return done_testing();
}
