/* Duplicate keys in a JSON text: libjq keeps the last value of a repeated
 * key without a word, so a file whose meaning depends on which one counts
 * is found here, with libjq's own streaming parser (no parser of ours). */
#ifndef CAI_JSON_DUPKEYS_H
#define CAI_JSON_DUPKEYS_H

#include <stddef.h>

/* The path of the first key repeated within one object (".a.b", a
 * malloc'd string), or NULL when there is none (or the text is not JSON:
 * the ordinary parse says why). */
char *cai_json_first_duplicate_key(const char *buf, size_t len);

#endif
