#include "warning_box.h"

#include <langinfo.h>
#include <locale.h>

bool cai_locale_is_utf8(void)
{
	if (!setlocale(LC_CTYPE, ""))
		return false;
	const char *cs = nl_langinfo(CODESET);
	bool utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	setlocale(LC_CTYPE, "C");
	return utf8;
}

size_t cai_refusal_paragraphs(enum cai_platform_kind kind, const struct cai_notify_probe *probe,
			      const char *paras[CAI_REFUSAL_MAX_PARAS], char *buf, size_t cap)
{
	char namebuf[16];
	const char *ename = probe->errnum ? cai_errno_name(probe->errnum, namebuf) : "no errno";
	bool wsl = kind == CAI_PLATFORM_WSL2 || kind == CAI_PLATFORM_WSL1;
	size_t n = 0;

	paras[n++] = wsl ? "Sysbox on WSL2 may not work due to seccomp filter conflicts."
			 : "Sysbox may not work here: seccomp user notification is not available.";
	paras[n++] = "";
	switch (probe->result) {
	case CAI_NOTIFY_BUSY:
		snprintf(buf, cap,
			 wsl ? "Your WSL version (1.1.0+) has a seccomp filter on PID 1 that conflicts with "
			       "Sysbox's seccomp-notify mechanism (the kernel answered %s: a listener already "
			       "exists; WSL's mirrored networking installs it)."
			     : "A seccomp filter with a listener already exists in this process's filter chain "
			       "and conflicts with Sysbox's seccomp-notify mechanism (the kernel answered %s).",
			 ename);
		break;
	case CAI_NOTIFY_UNSUPPORTED:
		snprintf(buf, cap,
			 "This %s kernel has no seccomp user notification, which Sysbox's seccomp-notify "
			 "mechanism needs (the kernel answered %s).",
			 wsl ? "WSL" : "Linux", ename);
		break;
	case CAI_NOTIFY_DENIED:
		snprintf(buf, cap,
			 "An outer sandbox forbids installing seccomp filters, which Sysbox's seccomp-notify "
			 "mechanism needs (the kernel answered %s).",
			 probe->signal ? "SIGSYS" : ename);
		break;
	default:
		snprintf(buf, cap, "The seccomp user-notification probe gave an unexpected answer (%s).", ename);
		break;
	}
	paras[n++] = buf;
	paras[n++] = "";
	paras[n++] = "Docker Sandbox will still work (this is the hard requirement). Sysbox provides "
		     "additional isolation but is optional.";
	paras[n++] = "";
	paras[n++] = "Options:";
	paras[n++] = "1. Proceed anyway: cai setup --force";
	if (wsl) {
		paras[n++] = "2. Downgrade WSL: wsl --update --web-download --version 1.0.3";
		if (probe->result == CAI_NOTIFY_BUSY)
			paras[n++] = "   or switch WSL networking to NAT: networkingMode=nat under [wsl2] in "
				     "%UserProfile%\\.wslconfig, then wsl --shutdown";
		paras[n++] = "3. Skip Sysbox: Use Docker Sandbox without Sysbox";
	} else {
		paras[n++] = "2. Skip Sysbox: Use Docker Sandbox without Sysbox";
	}
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
