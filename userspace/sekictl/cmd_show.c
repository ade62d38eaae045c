// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl show [DEV] [--json]: every sekisho device (or one) with its
 * counters and peers, like `wg show`.
 */
#include <string.h>

#include "nl.h"
#include "sekictl.h"
#include "skjson.h"

void sk_help_show(FILE *f)
{
	fprintf(f,
"sekictl show [DEV] [--json]\n");
}

int sk_cmd_show(struct sk_ctx *ctx, int argc, char **argv)
{
	struct sk_vec devs = { .size = sizeof(struct sk_dev) };
	struct sk_vec peers = { .size = sizeof(struct sk_peer) };
	const char *dev = NULL;
	bool json = false;
	struct sk_json j;
	struct sk_nl nl;
	int i, ret;
	size_t k, p;

	for (i = 0; i < argc; i++) {
		if (sk_flag(argv[i], "json"))
			json = true;
		else if (argv[i][0] == '-')
			return sk_usage(ctx, "unknown option '%s'", argv[i]);
		else if (!dev)
			dev = argv[i];
		else
			return sk_usage(ctx, "unexpected argument '%s'", argv[i]);
	}
	if (sk_nl_open(&nl, ctx->what))
		return SK_EXIT_FAIL;
	ret = sk_get_devs(ctx, &nl, dev, &devs);
	if (ret)
		goto out;
	sk_json_init(&j, ctx->out);
	if (json)
		sk_json_arr_begin(&j, NULL);	/* always an array, even for DEV */
	for (k = 0; k < devs.n; k++) {
		const struct sk_dev *d = (const struct sk_dev *)devs.items + k;

		peers.n = 0;
		ret = sk_get_peers(ctx, &nl, d->ifindex, NULL, &peers);
		if (ret)
			break;
		if (json) {
			sk_json_dev(&j, d);
			sk_json_arr_begin(&j, "peers");
			for (p = 0; p < peers.n; p++)
				sk_json_peer(&j, (struct sk_peer *)peers.items + p);
			sk_json_arr_end(&j);
			sk_json_obj_end(&j);
			continue;
		}
		if (k)
			fputc('\n', ctx->out);
		sk_print_dev(ctx->out, d);
		for (p = 0; p < peers.n; p++) {
			fputc('\n', ctx->out);
			sk_print_peer(ctx->out, (struct sk_peer *)peers.items + p, "  ");
		}
	}
	if (json && !ret) {
		sk_json_arr_end(&j);
		fputc('\n', ctx->out);
	}
out:
	sk_nl_close(&nl);
	sk_vec_free(&devs);
	sk_vec_free(&peers);
	return ret;
}
