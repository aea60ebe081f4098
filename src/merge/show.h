#ifndef CAI_MERGE_SHOW_H
#define CAI_MERGE_SHOW_H

#include <stdio.h>

#include <jv.h>

/* The runtimes and default-runtime of doc (borrowed), for people. */
void merge_show_text(FILE *out, const char *file, jv doc);

#endif
