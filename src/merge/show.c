#include "show.h"

#include "jv_util.h"
#include "util.h"

void merge_show_text(FILE *out, const char *file, jv doc)
{
	fprintf(out, "File:             %s\n", file);
	jv dflt = jv_object_get(jv_copy(doc), jv_string("default-runtime"));
	if (jv_get_kind(dflt) == JV_KIND_STRING)
		fprintf(out, "Default runtime:  %s\n", jv_string_value(dflt));
	else
		fprintf(out, "Default runtime:  runc (not set; dockerd's built-in default)\n");
	jv_free(dflt);

	jv runtimes = jv_object_get(jv_copy(doc), jv_string("runtimes"));
	if (!jv_is_valid(runtimes) || jv_object_length(jv_copy(runtimes)) == 0) {
		fprintf(out, "Runtimes:         none besides runc\n");
		jv_free(runtimes);
		return;
	}
	fprintf(out, "Runtimes:\n");
	jv_object_foreach(runtimes, name, entry)
	{
		jv path = jv_object_get(jv_copy(entry), jv_string("path"));
		fprintf(out, "  %s: %s", jv_string_value(name),
			jv_get_kind(path) == JV_KIND_STRING ? jv_string_value(path) : "(no path)");
		jv_free(path);
		/* Other fields (runtimeArgs, runtimeType...) as compact JSON. */
		jv_object_foreach(entry, k, v)
		{
			if (strcmp(jv_string_value(k), "path") != 0) {
				cleanup_free char *s = cai_jv_to_cstring(v, 0); /* consumes v */
				fprintf(out, " %s=%s", jv_string_value(k), s);
			} else {
				jv_free(v);
			}
			jv_free(k);
		}
		fputc('\n', out);
		jv_free(name);
		jv_free(entry);
	}
	jv_free(runtimes);
}
