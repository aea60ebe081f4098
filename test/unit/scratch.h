/* Scratch files for the C unit tests that work on real files: one private
 * directory (made by scratch_make, emptied by clear_dir, removed by
 * scratch_remove), and files written and read whole. Include once, in the
 * test's main file. */
#ifndef CAI_TEST_SCRATCH_H
#define CAI_TEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util.h"

static char tmpdir[] = "/tmp/cai-test-XXXXXX";

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void put(const char *path, const char *bytes)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(bytes, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* The whole file, or NULL if it does not exist. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	FILE *m = open_memstream(&buf, &cap);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void clear_dir(void)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(tmpdir, 0700);
}

#endif
