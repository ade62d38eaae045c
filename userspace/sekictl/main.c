// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl: command-line administration of the sekisho gateway.
 *
 *   sekictl NOUN [VERB] [ARGS...]      sekictl help, sekictl NOUN help
 *
 * Nouns live in cmd_*.c; this file holds the dispatch table and the small
 * helpers every noun uses.  Exit codes: 0 ok, 1 the kernel or the system
 * refused, 2 usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sekictl.h"

static void help_all(FILE *f);

static const struct sk_cmd commands[] = {
	{ "show", sk_cmd_show, sk_help_show,
	  "devices with their peers and counters (like wg show)" },
	{ "dev", sk_cmd_dev, sk_help_dev, "sekisho devices" },
	{ "peer", sk_cmd_peer, sk_help_peer, "sessions: add, set, del, list" },
	{ "key", sk_cmd_key, sk_help_key, "record keys of a peer: add, del" },
	{ "policy", sk_cmd_policy, sk_help_policy,
	  "allowlists: add, set, del, list" },
	{ "monitor", sk_cmd_monitor, sk_help_monitor, "print kernel events" },
	{ "socket", sk_cmd_socket, sk_help_socket,
	  "hold a UDP socket open for tests" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int sk_fail(const struct sk_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sekictl: %s: ", ctx->what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SK_EXIT_FAIL;
}

int sk_usage(const struct sk_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char noun[32];
	size_t n = strcspn(ctx->what, " ");

	fprintf(stderr, "sekictl: %s: ", ctx->what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (n >= sizeof(noun))
		n = sizeof(noun) - 1;
	memcpy(noun, ctx->what, n);
	noun[n] = '\0';
	fprintf(stderr, "Try 'sekictl %s help'.\n", noun);
	return SK_EXIT_USAGE;
}

int sk_opt(int argc, char **argv, int *i, const char *name, const char **val,
	   char *err, size_t errlen)
{
	const char *a = argv[*i];
	size_t nl = strlen(name);

	if (strncmp(a, "--", 2) || strncmp(a + 2, name, nl))
		return 0;
	if (a[2 + nl] == '=') {
		*val = a + 3 + nl;
		return 1;
	}
	if (a[2 + nl] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "--%s needs a value", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

bool sk_flag(const char *arg, const char *name)
{
	return !strncmp(arg, "--", 2) && !strcmp(arg + 2, name);
}

unsigned int sk_ifindex(const struct sk_ctx *ctx, const char *dev)
{
	unsigned int idx;

	if (strlen(dev) >= IF_NAMESIZE) {
		sk_fail(ctx, "device name '%s' is longer than %d characters", dev,
			IF_NAMESIZE - 1);
		return 0;
	}
	idx = if_nametoindex(dev);
	if (!idx)
		sk_fail(ctx, "device '%s': %s", dev,
			errno == ENODEV ? "no such device" : strerror(errno));
	return idx;
}

static void help_all(FILE *f)
{
	size_t i;

	fprintf(f,
"usage: sekictl NOUN [VERB] [ARGS...]\n"
"\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].noun, commands[i].summary);
	fprintf(f,
"  help     this text; 'sekictl NOUN help' shows a noun's syntax\n"
"\n");
	for (i = 0; i < NCOMMANDS; i++)
		commands[i].help(f);
	fprintf(f,
"\n"
"exit status: 0 ok, 1 refused by the kernel or the system, 2 usage error\n"
"see Documentation/sekictl.md for the rule and key file formats\n");
}

int main(int argc, char **argv)
{
	struct sk_ctx ctx = { .what = "", .out = stdout };
	size_t i;

	if (argc < 2) {
		help_all(stderr);
		return SK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		help_all(stdout);
		return SK_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("sekictl (sekisho netlink family version %d)\n",
		       SEKISHO_FAMILY_VERSION);
		return SK_EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].noun))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "help") ||
				 !strcmp(argv[2], "--help") ||
				 !strcmp(argv[2], "-h"))) {
			commands[i].help(stdout);
			return SK_EXIT_OK;
		}
		ctx.what = commands[i].noun;
		return commands[i].run(&ctx, argc - 2, argv + 2);
	}
	fprintf(stderr, "sekictl: unknown command '%s'\nTry 'sekictl help'.\n",
		argv[1]);
	return SK_EXIT_USAGE;
}
