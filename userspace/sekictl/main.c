// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl: command-line administration of the sekisho gateway.
 *
 *   sekictl NOUN [VERB] [ARGS...]      sekictl help, sekictl NOUN help
 *
 * Nouns live in cmd_*.c, their shared helpers in util.c, the noun table
 * in dispatch.c.  Exit codes: 0 ok, 1 the kernel or the system
 * refused, 2 usage error.
 */
#include <string.h>

#include "sekictl.h"

int main(int argc, char **argv)
{
	struct sk_ctx ctx = { .what = "", .out = stdout };

	if (argc < 2) {
		sk_help_all(stderr);
		return SK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		sk_help_all(stdout);
		return SK_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("sekictl %s (sekisho netlink family version %d)\n",
		       SK_VERSION, SEKISHO_FAMILY_VERSION);
		return SK_EXIT_OK;
	}
	return sk_dispatch(&ctx, argc - 1, argv + 1);
}
