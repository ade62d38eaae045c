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

int sk_cmd_dev(struct sk_ctx *ctx, int argc, char **argv)
{
	struct knl_vec devs = { .size = sizeof(struct knl_dev) };
	const char *dev = NULL;
	bool json = false;
	unsigned int ifindex = 0;
	struct knl nl;
	int i, ret;
	size_t k;

	if (argc < 1)
		return sk_usage(ctx, "expected list or show");
	if (strcmp(argv[0], "list") && strcmp(argv[0], "show"))
		return sk_usage(ctx, "unknown verb '%s' (expected list or show)",
				argv[0]);
	ctx->what = !strcmp(argv[0], "list") ? "dev list" : "dev show";
	for (i = 1; i < argc; i++) {
		if (sk_flag(argv[i], "json"))
			json = true;
		else if (argv[i][0] == '-')
			return sk_usage(ctx, "unknown option '%s'", argv[i]);
		else if (!dev)
			dev = argv[i];
		else
			return sk_usage(ctx, "unexpected argument '%s'", argv[i]);
	}
	if (dev && !(ifindex = sk_ifindex(ctx, dev)))
		return SK_EXIT_FAIL;
	if (sk_knl_open(ctx, &nl))
		return SK_EXIT_FAIL;
	ret = sk_knl(ctx, &nl, knl_get_devs(&nl, ifindex, &devs));
	knl_close(&nl);
	if (ret)
		goto out;
	if (json) {
		struct sk_json j;

		sk_json_init(&j, ctx->out);
		if (!dev)
			sk_json_arr_begin(&j, NULL);
		for (k = 0; k < devs.n; k++) {
			sk_json_dev(&j, (struct knl_dev *)devs.items + k);
			sk_json_obj_end(&j);
		}
		if (!dev)
			sk_json_arr_end(&j);
		fputc('\n', ctx->out);
	} else {
		for (k = 0; k < devs.n; k++) {
			if (k)
				fputc('\n', ctx->out);
			sk_print_dev(ctx->out, (struct knl_dev *)devs.items + k);
		}
	}
out:
	knl_vec_free(&devs);
	return ret;
}
