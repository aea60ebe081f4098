#include "warning_box.h"

#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>

#include "advice.h"
#include "probe_summary.h"

bool cai_locale_is_utf8(void)
{
	if (!setlocale(LC_CTYPE, ""))
		return false;
	const char *cs = nl_langinfo(CODESET);
	bool utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	setlocale(LC_CTYPE, "C");
	return utf8;
}

/* Room for one more paragraph in buf; "" when full. */
static char *next_chunk(char **buf, size_t *cap, const char *fmt, ...) CAI_PRINTF(3, 4);
static char *next_chunk(char **buf, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	char *out = *buf;
	va_start(ap, fmt);
	int n = vsnprintf(out, *cap, fmt, ap);
	va_end(ap);
	size_t used = n < 0 ? 0 : (size_t)n + 1 > *cap ? *cap : (size_t)n + 1;
	*buf += used;
	*cap -= used;
	return out;
}

static const char *cause(const struct cai_refusal_facts *f, bool wsl, char **buf, size_t *cap)
{
	char namebuf[16];
	const struct cai_notify_probe *probe = f->probe;
	const char *ename = probe->errnum ? cai_errno_name(probe->errnum, namebuf) : "no errno";
	switch (probe->result) {
	case CAI_NOTIFY_BUSY:
		return next_chunk(buf, cap,
				  wsl ? "Your WSL version (1.1.0+) has a seccomp filter on PID 1 that conflicts with "
					"Sysbox's seccomp-notify mechanism (the kernel answered %s: a listener already "
					"exists; WSL's mirrored networking installs it)."
				      : "A seccomp filter with a listener already exists in the filter chain %s and "
					"conflicts with Sysbox's seccomp-notify mechanism (the kernel answered %s).",
				  wsl	    ? ename
				  : f->here ? "where the engine runs"
					    : "of this process",
				  ename);
	case CAI_NOTIFY_UNSUPPORTED:
		return next_chunk(buf, cap,
				  "This %s kernel has no seccomp user notification, which Sysbox's seccomp-notify "
				  "mechanism needs (the kernel answered %s).",
				  wsl ? "WSL" : "Linux", ename);
	case CAI_NOTIFY_DENIED:
		return next_chunk(buf, cap,
				  "An outer sandbox forbids installing seccomp filters, which Sysbox's seccomp-notify "
				  "mechanism needs (the kernel answered %s).",
				  probe->signal ? "SIGSYS" : ename);
	default:
		return next_chunk(buf, cap, "The seccomp user-notification probe gave an unexpected answer (%s).",
				  ename);
	}
}

/* The WSL options, numbered from 2, as far as what WSL said allows. */
static size_t wsl_options(const struct cai_refusal_facts *f, const char **paras, size_t n, char **buf, size_t *cap)
{
	struct cai_wsl_advice a;
	cai_advice_wsl(f->kind, f->probe->result, f->networking_mode, f->wsl_version, &a);
	int k = 2;
	if (a.downgrade) {
		paras[n++] = next_chunk(buf, cap, "%d. Downgrade WSL: %s", k++, CAI_ADVICE_DOWNGRADE);
		if (a.nat)
			paras[n++] = "   or switch WSL networking to NAT: " CAI_ADVICE_NAT;
	} else if (a.nat) {
		paras[n++] = next_chunk(buf, cap, "%d. Switch WSL networking to NAT: %s", k++, CAI_ADVICE_NAT);
	} else if (a.kernel_update) {
		paras[n++] = next_chunk(buf, cap, "%d. Update the WSL kernel: %s", k++, CAI_ADVICE_KERNEL);
	} else if (a.convert) {
		paras[n++] = next_chunk(buf, cap, "%d. Convert the distribution to WSL2: %s", k++, CAI_ADVICE_CONVERT);
	}
	paras[n++] = next_chunk(buf, cap, "%d. Skip Sysbox: Use Docker Sandbox without Sysbox", k);
	return n;
}

size_t cai_refusal_paragraphs(const struct cai_refusal_facts *f, const char *paras[CAI_REFUSAL_MAX_PARAS], char *buf,
			      size_t cap)
{
	bool wsl = f->kind == CAI_PLATFORM_WSL2 || f->kind == CAI_PLATFORM_WSL1;
	size_t n = 0;

	paras[n++] = wsl ? "Sysbox on WSL2 may not work due to seccomp filter conflicts."
			 : "Sysbox may not work here: seccomp user notification is not available.";
	paras[n++] = "";
	paras[n++] = cause(f, wsl, &buf, &cap);
	if (f->here) {
		char a[64], b[64];
		cai_probe_describe(f->probe, a, sizeof(a));
		cai_probe_describe(f->here, b, sizeof(b));
		paras[n++] = next_chunk(&buf, &cap,
					"Where the engine runs (%s) the probe answered %s; in this process "
					"tree it answered %s. The engine's answer decides.",
					f->where, a, b);
	}
	if (wsl && (f->wsl_version || f->networking_mode))
		paras[n++] = next_chunk(&buf, &cap, "WSL version: %s; networking mode: %s.",
					f->wsl_version ? f->wsl_version : "unknown",
					f->networking_mode ? f->networking_mode : "unknown");
	paras[n++] = "";
	paras[n++] = "Docker Sandbox will still work (this is the hard requirement). Sysbox provides "
		     "additional isolation but is optional.";
	paras[n++] = "";
	paras[n++] = "Options:";
	paras[n++] = "1. Proceed anyway: cai setup --force";
	if (wsl)
		return wsl_options(f, paras, n, &buf, &cap);
	paras[n++] = "2. Skip Sysbox: Use Docker Sandbox without Sysbox";
	return n;
}

struct box_glyphs {
	const char *tl, *tr, *bl, *br, *h, *v, *lt, *rt;
};

static void hline(FILE *out, const struct box_glyphs *g, const char *left, const char *right)
{
	fputs(left, out);
	for (int i = 0; i < CAI_BOX_WIDTH - 2; i++)
		fputs(g->h, out);
	fputs(right, out);
	fputc('\n', out);
}

static void text_line(FILE *out, const struct box_glyphs *g, const char *text, size_t len, size_t indent)
{
	const size_t inner = CAI_BOX_WIDTH - 4;
	fprintf(out, "%s %*s%.*s%*s %s\n", g->v, (int)indent, "", (int)len, text, (int)(inner - indent - len), "",
		g->v);
}

/* Word-wrap one paragraph; continuation lines keep its leading spaces plus
 * the width of a "1. " list marker so options read as a list. */
static void wrapped(FILE *out, const struct box_glyphs *g, const char *para)
{
	const size_t inner = CAI_BOX_WIDTH - 4;
	size_t lead = strspn(para, " ");
	size_t cont = lead + ((para[lead] >= '0' && para[lead] <= '9' && para[lead + 1] == '.') ? 3 : 0);
	const char *p = para;
	size_t indent = 0;
	if (!*p) {
		text_line(out, g, "", 0, 0);
		return;
	}
	while (*p) {
		size_t room = inner - indent;
		size_t len = strlen(p);
		if (len > room) {
			len = room;
			while (len > 0 && p[len] != ' ')
				len--;
			if (len == 0)
				len = room; /* one word longer than the box: cut it */
		}
		text_line(out, g, p, len, indent);
		p += len;
		while (*p == ' ')
			p++;
		indent = cont;
	}
}

void cai_warning_box(FILE *out, const char *title, const char *const *paras, size_t n, bool utf8)
{
	static const struct box_glyphs utf8_glyphs = {"╔", "╗", "╚", "╝", "═", "║", "╠", "╣"};
	static const struct box_glyphs ascii_glyphs = {"+", "+", "+", "+", "=", "|", "+", "+"};
	const struct box_glyphs *g = utf8 ? &utf8_glyphs : &ascii_glyphs;
	const size_t inner = CAI_BOX_WIDTH - 4;

	hline(out, g, g->tl, g->tr);
	size_t tlen = strlen(title);
	text_line(out, g, title, tlen, (inner - tlen) / 2);
	hline(out, g, g->lt, g->rt);
	for (size_t i = 0; i < n; i++)
		wrapped(out, g, paras[i]);
	hline(out, g, g->bl, g->br);
}
