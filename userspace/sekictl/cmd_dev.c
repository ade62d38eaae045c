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
	struct sk_list_req r;
	struct knl nl;
	int ret;

	if ((ret = sk_list_open(ctx, argc, argv, NULL, &r, &nl)))
		return ret;
	ret = sk_knl(ctx, &nl, knl_get_devs(&nl, r.ifindex, &devs));
	knl_close(&nl);
	if (!ret)
		sk_print_list(ctx->out, SK_OBJ_DEV, &devs, r.json, r.dev, NULL);
	knl_vec_free(&devs);
	return ret;
}

static const struct sk_verb dev_verbs[] = {
	{ "list", "dev list", .run = dev_list },
	{ "show", "dev show", .run = dev_list },
};

int sk_cmd_dev(struct sk_ctx *ctx, int argc, char **argv)
{
	return SK_RUN_VERB(ctx, dev_verbs, argc, argv);
}
