/* The big warning shown when setup refuses: a box whose every line has the
 * same width, drawn in UTF-8 or, where the terminal is not UTF-8, in ASCII. */
#ifndef CAI_WARNING_BOX_H
#define CAI_WARNING_BOX_H

#include <stdio.h>

#include "notify_probe.h"
#include "platform.h"

#define CAI_BOX_WIDTH 76 /* total width, borders included */
#define CAI_REFUSAL_MAX_PARAS 16

/* What the refusal warning is about. */
struct cai_refusal_facts {
	enum cai_platform_kind kind;
	const struct cai_notify_probe *probe; /* the deciding answer: where the engine runs */
	const struct cai_notify_probe *here;  /* this process's answer when it differs, else NULL */
	const char *where;		      /* where the deciding probe ran, for a sentence */
	const char *wsl_version;	      /* from wslinfo, NULL when unknown */
	const char *networking_mode;	      /* from wslinfo, NULL when unknown */
};

/* The paragraphs of the refusal warning for what the probe found; each is
 * ASCII text wrapped by the box. Returns the count; paras[] gets static or
 * buf-backed strings (buf: 2 KiB is enough). */
size_t cai_refusal_paragraphs(const struct cai_refusal_facts *f, const char *paras[CAI_REFUSAL_MAX_PARAS], char *buf,
			      size_t cap);

/* Draw title and paragraphs (an empty string is a blank line). */
void cai_warning_box(FILE *out, const char *title, const char *const *paras, size_t n, bool utf8);

/* true when LC_ALL/LC_CTYPE/LANG select a UTF-8 codeset. */
bool cai_locale_is_utf8(void);

#endif
