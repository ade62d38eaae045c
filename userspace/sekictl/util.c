// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the sekictl nouns: messages, option scanning, device
 * names.  Kept apart from main.c so the unit tests can link them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sekictl.h"
#include "skadmin.h"

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

bool sk_locale_ja(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return !strncmp(v, "ja", 2);
	}
	return false;
}

int sk_usage(const struct sk_ctx *ctx, const char *fmt, ...)
{
	bool ja = sk_locale_ja();
	const char *f = ja && ska_usage_ja(fmt) ? ska_usage_ja(fmt) : fmt;
	va_list ap;
	char noun[32];
	size_t n = strcspn(ctx->what, " ");

	fprintf(stderr, "sekictl: %s: ", ctx->what);
	va_start(ap, fmt);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (n >= sizeof(noun))
		n = sizeof(noun) - 1;
	memcpy(noun, ctx->what, n);
	noun[n] = '\0';
	if (ja)
		fprintf(stderr, "使い方は 'sekictl %s help' を参照してください。\n", noun);
	else
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
			if (!verbs[i].run)
				return verbs[i].run_set(ctx, argc - 1, argv + 1, verbs[i].set);
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

int sk_list_open(const struct sk_ctx *ctx, int argc, char **argv, const char *idname,
		 struct sk_list_req *r, struct knl *nl)
{
	const char **pos[2] = { &r->dev, &r->ids };
	int i, k = 0, npos = idname ? 2 : 1;
	char e2[SK_ERRLEN];

	memset(r, 0, sizeof(*r));
	for (i = 0; i < argc; i++) {
		if (sk_flag(argv[i], "json"))
			r->json = true;
		else if (argv[i][0] == '-')
			return sk_usage(ctx, "unknown option '%s'", argv[i]);
		else if (k < npos)
			*pos[k++] = argv[i];
		else
			return sk_usage(ctx, "unexpected argument '%s'", argv[i]);
	}
	if (idname && !r->dev)
		return sk_usage(ctx, "expected DEV");
	if (r->ids && (sk_parse_u32(r->ids, &r->id, e2, sizeof(e2)) || !r->id))
		return sk_usage(ctx, "%s: '%s' is not a number 1..4294967295", idname, r->ids);
	if (r->dev && !(r->ifindex = sk_ifindex(ctx, r->dev)))
		return SK_EXIT_FAIL;
	return sk_knl_open(ctx, nl) ? SK_EXIT_FAIL : SK_EXIT_OK;
}

int sk_knl_del(const struct sk_ctx *ctx, const char *dev, uint8_t cmd, uint16_t nest,
	       uint16_t a1, uint32_t v1, uint16_t a2, uint32_t v2)
{
	unsigned int ifindex = sk_ifindex(ctx, dev);
	struct knl_msg m;
	struct knl nl;
	struct nlattr *n;
	int ret;

	if (!ifindex)
		return SK_EXIT_FAIL;
	if (sk_knl_open(ctx, &nl))
		return SK_EXIT_FAIL;
	if (sk_knl(ctx, &nl, knl_msg_new(&m, &nl, cmd, 0, 256))) {
		knl_close(&nl);
		return SK_EXIT_FAIL;
	}
	knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
	n = knl_nest_start(&m, nest);
	knl_put_u32(&m, a1, v1);
	if (a2)
		knl_put_u32(&m, a2, v2);
	knl_nest_end(&m, n);
	ret = sk_knl(ctx, &nl, knl_do(&nl, &m, NULL, NULL));
	knl_msg_free(&m, false);
	knl_close(&nl);
	return ret;
}

int sk_bad_arg(const char *arg, char *err, size_t errlen)
{
	snprintf(err, errlen, arg[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'",
		 arg);
	return -1;
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
		fprintf(stderr, "sekictl: %s: %s\n", ctx->what,
			nl->last.err == ret ? knl_error(nl) : strerror(-ret));
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
