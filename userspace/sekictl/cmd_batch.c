// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl batch FILE|- [--continue]
 *
 * Runs one sekictl command per line in a single process, like `ip -batch`:
 * tests add 10,000 peers this way, and administrators script changes
 * without paying a process start per line.  Words are split on blanks;
 * single or double quotes keep a word together (a rule such as
 * "allow tcp 10.0.0.5 22").  Blank lines and lines starting with '#' are
 * skipped.  The first failing line stops the batch (its line number is
 * reported) unless --continue is given; the exit status is the worst seen.
 */
#include <errno.h>
#include <string.h>

#include "sekictl.h"

#define BATCH_MAX_LINE	8192
#define BATCH_MAX_WORDS	256

void sk_help_batch(FILE *f)
{
	fprintf(f,
"  sekictl batch FILE|- [--continue]\n"
"      one command per line, without the leading 'sekictl'; quotes keep\n"
"      a word together; stops at the first failing line unless --continue\n");
}

/*
 * Splits line in place into words; returns the number of words, or -1 with
 * *why set for an unterminated quote or too many words.
 */
static int split_words(char *line, char **words, int max, const char **why)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '\n')
			return n;
		if (n == max) {
			*why = "too many words";
			return -1;
		}
		words[n++] = w;
		while (*r && *r != '\n' && (quote || (*r != ' ' && *r != '\t'))) {
			if (!quote && (*r == '"' || *r == '\'')) {
				quote = *r++;
				continue;
			}
			if (quote && *r == quote) {
				quote = 0;
				r++;
				continue;
			}
			*w++ = *r++;
		}
		if (quote) {
			*why = "unterminated quote";
			return -1;
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
}

int sk_cmd_batch(struct sk_ctx *ctx, int argc, char **argv)
{
	char line[BATCH_MAX_LINE], *words[BATCH_MAX_WORDS];
	const char *path = NULL, *why = NULL;
	bool keep_going = false;
	unsigned long lineno = 0, done = 0;
	int worst = SK_EXIT_OK, i;
	FILE *f;

	for (i = 0; i < argc; i++) {
		if (sk_flag(argv[i], "continue"))
			keep_going = true;
		else if (!path)
			path = argv[i];
		else
			return sk_usage(ctx, "unexpected argument '%s'", argv[i]);
	}
	if (!path)
		return sk_usage(ctx, "missing FILE (or - for standard input)");
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return sk_usage(ctx, "%s: %s", path, strerror(errno));

	while (fgets(line, sizeof(line), f)) {
		struct sk_ctx sub = { .what = "", .out = ctx->out };
		int n, rc;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			sk_usage(ctx, "%s:%lu: line longer than %d bytes", path,
				 lineno, BATCH_MAX_LINE - 2);
			worst = SK_EXIT_USAGE;
			break;
		}
		n = split_words(line, words, BATCH_MAX_WORDS, &why);
		if (n < 0) {
			sk_usage(ctx, "%s:%lu: %s", path, lineno, why);
			worst = SK_EXIT_USAGE;
			if (!keep_going)
				break;
			continue;
		}
		if (!n || words[0][0] == '#')
			continue;
		if (!strcmp(words[0], "batch")) {
			sk_usage(ctx, "%s:%lu: batch cannot nest", path, lineno);
			worst = SK_EXIT_USAGE;
			break;
		}
		rc = sk_dispatch(&sub, n, words);
		if (rc > worst)
			worst = rc;
		if (rc != SK_EXIT_OK) {
			fprintf(stderr, "sekictl: batch: %s:%lu failed\n", path,
				lineno);
			if (!keep_going)
				break;
		} else {
			done++;
		}
	}
	if (f != stdin)
		fclose(f);
	fprintf(stderr, "sekictl: batch: %lu command(s) done\n", done);
	return worst;
}
