/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The admin commands' unit tests run command lines through
 * sk_admin_exec on the store st, as root, and look at what they printed
 * (out, err) and what they asked the daemon to do (fx).  Include after
 * tap.h and store-test.h.
 */
#ifndef SK_ADMIN_RUN_H
#define SK_ADMIN_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skadmin.h"

static struct sk_store *st;
static char out[1 << 16], err[1 << 16];
static struct sk_admin_effects fx;
static const struct sk_admin_caller root = { .uid = 0, .pid = 1, .name = "uid=0(root)" };

/* Runs one command line (words split on blanks, '|' stands for a blank
 * inside a word); stdin_text may be NULL.  Returns the exit status. */
static int run_in(const char *stdin_text, const char *line)
{
	char buf[1024], *argv[64], *p;
	struct sk_admin_io io = { 0 };
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	int argc = 0, rc;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok(buf, " "); p && argc < 63; p = strtok(NULL, " ")) {
		for (char *q = p; *q; q++)
			if (*q == '|')
				*q = ' ';
		if (!strcmp(p, "--json"))
			io.json = true;
		else
			argv[argc++] = p;
	}
	argv[argc] = NULL;
	io.out = open_memstream(&obuf, &olen);
	io.err = open_memstream(&ebuf, &elen);
	io.in = stdin_text ? fmemopen((void *)stdin_text, strlen(stdin_text), "r") : NULL;
	memset(&fx, 0, sizeof(fx));
	rc = sk_admin_exec(st, &root, &io, argc, argv, &fx);
	fclose(io.out);
	fclose(io.err);
	if (io.in)
		fclose(io.in);
	snprintf(out, sizeof(out), "%s", obuf ? obuf : "");
	snprintf(err, sizeof(err), "%s", ebuf ? ebuf : "");
	free(obuf);
	free(ebuf);
	return rc;
}

static int run(const char *line)
{
	return run_in(NULL, line);
}

static bool has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		printf("# expected '%s' in:\n# %s\n", needle, hay);
		return false;
	}
	return true;
}

#endif /* SK_ADMIN_RUN_H */
