// SPDX-License-Identifier: GPL-2.0
/*
 * The noun table of sekictl and its dispatcher, shared by main() and by
 * `sekictl batch`, which runs one command per input line.
 */
#include <string.h>

#include "sekictl.h"

/* sekictl store (cmd_store.c, which sees skstore.h and not sekictl.h) */
int sk_store_cmd(FILE *out, int argc, char **argv);
void sk_store_help(FILE *f);
/* init, backup, restore (admin_route.c) */
bool sk_ops_is_noun(const char *noun);
void sk_ops_help(FILE *f);

static int sk_cmd_store(struct sk_ctx *ctx, int argc, char **argv)
{
	return sk_store_cmd(ctx->out, argc, argv);
}

/* the nouns of sekictl-admin only; the kernel nouns are in knouns.c */
static const struct sk_cmd commands[] = {
	{ "batch", sk_cmd_batch, sk_help_batch,
	  "run many commands from a file, one per line" },
	{ "store", sk_cmd_store, sk_store_help,
	  "a whole store: copy (SQLite <-> PostgreSQL), digest" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

void sk_help_all(FILE *f)
{
	fprintf(f,
"usage: sekictl NOUN [VERB] [ARGS...]\n"
"\n");
	sk_kernel_nouns(f, false);
	sk_print_nouns(f, commands, NCOMMANDS, false);
	fprintf(f,
"  help     this text; 'sekictl NOUN help' shows a noun's syntax\n"
"\n");
	sk_kernel_nouns(f, true);
	sk_print_nouns(f, commands, NCOMMANDS, true);
	fputc('\n', f);
	sk_ops_help(f);
	sk_admin_help(f);
	fprintf(f,
"\n"
"exit status: 0 ok, 1 refused by the kernel, the store or the system, 2 usage error\n"
"see Documentation/sekictl.md for the rule and key file formats\n");
}

int sk_dispatch(struct sk_ctx *ctx, int argc, char **argv)
{
	int rc;

	/* the store nouns (and the options that choose store or daemon) */
	if (sk_admin_is_noun(argv[0]) || sk_ops_is_noun(argv[0]) || !strcmp(argv[0], "--json") ||
	    !strncmp(argv[0], "--store", 7) || !strncmp(argv[0], "--socket", 8))
		return sk_admin_route(argc, argv);
	rc = sk_kernel_dispatch(ctx, argc, argv);
	if (rc < 0)
		rc = sk_run_cmd(commands, NCOMMANDS, ctx, argc, argv);
	if (rc >= 0)
		return rc;
	if (sk_locale_ja())
		fprintf(stderr, "sekictl: 不明なコマンド '%s' です\n使い方は 'sekictl help' を参照してください。\n",
			argv[0]);
	else
		fprintf(stderr, "sekictl: unknown command '%s'\nTry 'sekictl help'.\n",
			argv[0]);
	return SK_EXIT_USAGE;
}
