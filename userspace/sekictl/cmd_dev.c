// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl dev list|show [DEV] [--json]: SEKISHO_CMD_DEV_GET.
 */
#include <errno.h>
#include <string.h>

#include "knl.h"
#include "sekictl.h"
#include "skjson.h"

void sk_help_dev(FILE *f)
{
	fprintf(f,
"sekictl dev list|show [DEV] [--json]\n");
}

static int dev_list(struct sk_ctx *ctx, int argc, char **argv)
{
	struct knl_vec devs = { .size = sizeof(struct knl_dev) };
	const char *dev;
	bool json;
	unsigned int ifindex = 0;
	struct knl nl;
	int ret;

	if ((ret = sk_list_args(ctx, argc, argv, &dev, 1, &json)))
		return ret;
	if (dev && !(ifindex = sk_ifindex(ctx, dev)))
		return SK_EXIT_FAIL;
	if (sk_knl_open(ctx, &nl))
		return SK_EXIT_FAIL;
	ret = sk_knl(ctx, &nl, knl_get_devs(&nl, ifindex, &devs));
	knl_close(&nl);
	if (!ret)
		sk_print_list(ctx->out, SK_OBJ_DEV, &devs, json, dev, NULL);
	knl_vec_free(&devs);
	return ret;
}

static const struct sk_verb dev_verbs[] = {
	{ "list", "dev list", dev_list },
	{ "show", "dev show", dev_list },
};

int sk_cmd_dev(struct sk_ctx *ctx, int argc, char **argv)
{
	return SK_RUN_VERB(ctx, dev_verbs, argc, argv);
}
