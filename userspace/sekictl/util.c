// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the sekictl nouns: messages, option scanning, device
 * names.  Kept apart from main.c so the unit tests can link them.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "sekictl.h"

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

int sk_run_verb(struct sk_ctx *ctx, const struct sk_verb *verbs, size_t n,
		int argc, char **argv)
{
	char expected[128] = "";
	size_t i, len = 0;

	for (i = 0; argc >= 1 && i < n; i++) {
		if (!strcmp(argv[0], verbs[i].name)) {
			ctx->what = verbs[i].what;
			return verbs[i].run(ctx, argc - 1, argv + 1);
		}
	}
	for (i = 0; i < n && len < sizeof(expected); i++)
		len += (size_t)snprintf(expected + len, sizeof(expected) - len, "%s%s",
					!i ? "" : i + 1 < n ? ", " : " or ",
					verbs[i].name);
	if (argc < 1)
		return sk_usage(ctx, "expected %s", expected);
	return sk_usage(ctx, "unknown verb '%s' (expected %s)", argv[0], expected);
}

int sk_list_args(const struct sk_ctx *ctx, int argc, char **argv,
		 const char **pos, int npos, bool *json)
{
	int i, k = 0;

	for (i = 0; i < npos; i++)
		pos[i] = NULL;
	*json = false;
	for (i = 0; i < argc; i++) {
		if (sk_flag(argv[i], "json"))
			*json = true;
		else if (argv[i][0] == '-')
			return sk_usage(ctx, "unknown option '%s'", argv[i]);
		else if (k < npos)
			pos[k++] = argv[i];
		else
			return sk_usage(ctx, "unexpected argument '%s'", argv[i]);
	}
	return SK_EXIT_OK;
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

int sk_knl(const struct sk_ctx *ctx, const struct knl *nl, int ret)
{
	if (ret) {
		/* a callback's own error (a malformed reply) is not in nl->last */
		fprintf(stderr, "sekictl: %s: %s\n", ctx->what,
			nl->last.err == ret ? knl_error(nl) :
			ret == -EBADMSG ? "malformed reply from the kernel" : strerror(-ret));
		return SK_EXIT_FAIL;
	}
	if (nl->warning[0])
		fprintf(stderr, "sekictl: %s: %s\n", ctx->what, nl->warning);
	return SK_EXIT_OK;
}

int sk_knl_open(const struct sk_ctx *ctx, struct knl *nl)
{
	return sk_knl(ctx, nl, knl_open(nl));
}
