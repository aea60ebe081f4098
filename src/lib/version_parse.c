#include "version_parse.h"

#include <ctype.h>
#include <strings.h>

static const char *find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* Digits at *p, at most 9 of them, as an int; advances *p. */
static bool number(const char **p, int *out)
{
	if (!isdigit((unsigned char)**p))
		return false;
	long v = 0;
	int digits = 0;
	while (isdigit((unsigned char)**p)) {
		if (++digits > 9)
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = (int)v;
	return true;
}

bool cai_version_find(const char *text, const char *word, struct cai_version *out)
{
	if (word && !(text = find_ci(text, word)))
		return false;
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p) || (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		const char *q = p;
		struct cai_version v = {0};
		if (!number(&q, &v.major) || *q != '.')
			continue;
		q++;
		if (!number(&q, &v.minor))
			continue;
		if (*q == '.') {
			q++;
			number(&q, &v.patch);
		}
		*out = v;
		return true;
	}
	return false;
}

int cai_version_cmp(const struct cai_version *a, int major, int minor, int patch)
{
	if (a->major != major)
		return a->major < major ? -1 : 1;
	if (a->minor != minor)
		return a->minor < minor ? -1 : 1;
	if (a->patch != patch)
		return a->patch < patch ? -1 : 1;
	return 0;
}
