#include "egress_pattern.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <strings.h>

static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static bool looks_like_address(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1 || strchr(s, ':') != NULL;
}

int cai_egress_pattern_check(const char *entry, struct cai_error *err)
{
	const char *name = entry;
	if (strncmp(name, "*.", 2) == 0)
		name += 2;
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0)
		return cai_error_set(err, 0, "`%s`: an empty name", entry);
	if (n > CAI_EGRESS_NAME_MAX)
		return cai_error_set(err, 0, "`%s`: longer than %d bytes", entry, CAI_EGRESS_NAME_MAX);
	if (looks_like_address(entry))
		return cai_error_set(err, 0, "`%s`: an address, not a host name (an admin allows addresses in %s)",
				     entry, "/etc/containai/egress/policy.conf");
	if (strchr(name, '*'))
		return cai_error_set(
		    err, 0, "`%s`: a wildcard is only allowed as the whole first label (*.example.com)", entry);
	for (const char *p = name; p < name + n;) {
		const char *dot = memchr(p, '.', (size_t)(name + n - p));
		size_t len = dot ? (size_t)(dot - p) : (size_t)(name + n - p);
		if (!label_ok(p, len))
			return cai_error_set(err, 0,
					     "`%s`: not a host name (letters, digits, '-' and '_' in labels "
					     "of 1 to 63 bytes, separated by dots)",
					     entry);
		p += len + (dot ? 1 : 0);
		if (dot && p == name + n)
			return cai_error_set(err, 0, "`%s`: an empty label", entry);
	}
	if (entry != name && !strchr(name, '.'))
		return cai_error_set(err, 0, "`%s`: a wildcard must name a domain with at least two labels", entry);
	return 0;
}

/* The length of s without one trailing dot. */
static size_t bare_len(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

bool cai_egress_pattern_match(const char *pattern, const char *host)
{
	size_t hn = bare_len(host);
	if (strncmp(pattern, "*.", 2) == 0) {
		const char *dom = pattern + 1; /* ".example.com" */
		size_t dn = bare_len(dom);
		return hn > dn && strncasecmp(host + hn - dn, dom, dn) == 0 && host[hn - dn - 1] != '.';
	}
	return bare_len(pattern) == hn && strncasecmp(pattern, host, hn) == 0;
}

bool cai_egress_list_match(char *const *patterns, const char *host)
{
	for (char *const *p = patterns; p && *p; p++)
		if (cai_egress_pattern_match(*p, host))
			return true;
	return false;
}
