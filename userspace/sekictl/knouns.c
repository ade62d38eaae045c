// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel nouns of sekictl: the commands that speak only generic
 * netlink to sekisho.ko.  The small `sekictl` program (front.c) runs them
 * itself and hands every other command to sekictl-admin; sekictl-admin
 * (main.c, dispatch.c) runs them through this same table.
 */
#include <string.h>

#include "sekictl.h"

static const struct sk_cmd kernel_cmds[] = {
	{ "show", sk_cmd_show, sk_help_show,
	  "devices with their peers and counters (like wg show)" },
	{ "dev", sk_cmd_dev, sk_help_dev, "sekisho devices" },
	{ "peer", sk_cmd_peer, sk_help_peer, "sessions: add, set, del, list" },
	{ "key", sk_cmd_key, sk_help_key, "record keys of a peer: add, del" },
	{ "kpolicy", sk_cmd_policy, sk_help_policy,
	  "kernel allowlists by numeric id: add, set, del, list" },
	{ "monitor", sk_cmd_monitor, sk_help_monitor, "print kernel events" },
	{ "socket", sk_cmd_socket, sk_help_socket,
	  "hold a UDP socket open for tests" },
};

#define NKERNEL (sizeof(kernel_cmds) / sizeof(kernel_cmds[0]))

int sk_run_cmd(const struct sk_cmd *cmds, size_t n, struct sk_ctx *ctx, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(argv[0], cmds[i].noun))
			continue;
		if (argc > 1 && (!strcmp(argv[1], "help") ||
				 !strcmp(argv[1], "--help") ||
				 !strcmp(argv[1], "-h"))) {
			cmds[i].help(ctx->out);
			return SK_EXIT_OK;
		}
		ctx->what = cmds[i].noun;
		return cmds[i].run(ctx, argc - 1, argv + 1);
	}
	return -1;
}

int sk_kernel_dispatch(struct sk_ctx *ctx, int argc, char **argv)
{
	return sk_run_cmd(kernel_cmds, NKERNEL, ctx, argc, argv);
}

void sk_print_nouns(FILE *f, const struct sk_cmd *cmds, size_t n, bool help)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (help)
			cmds[i].help(f);
		else
			fprintf(f, "  %-8s %s\n", cmds[i].noun, cmds[i].summary);
	}
}

void sk_kernel_nouns(FILE *f, bool help)
{
	sk_print_nouns(f, kernel_cmds, NKERNEL, help);
}
