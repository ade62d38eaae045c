// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl show [DEV] [--json]: every sekisho device (or one) with its
 * counters and peers, like `wg show`.
 */
#include <string.h>

#include "knl.h"
#include "sekictl.h"
#include "skjson.h"

void sk_help_show(FILE *f)
{
	fprintf(f,
"sekictl show [DEV] [--json]\n");
}

int sk_cmd_show(struct sk_ctx *ctx, int argc, char **argv)
{
	struct knl_vec devs = { .size = sizeof(struct knl_dev) };
	struct knl_vec peers = { .size = sizeof(struct knl_peer) };
	struct sk_list_req r;
	struct sk_json j;
	struct knl nl;
	int ret;
	size_t k, p;
	bool json;

	if ((ret = sk_list_open(ctx, argc, argv, NULL, &r, &nl)))
		return ret;
	json = r.json;
	ret = sk_knl(ctx, &nl, knl_get_devs(&nl, r.ifindex, &devs));
	if (ret)
		goto out;
	sk_json_init(&j, ctx->out);
	if (json)
		sk_json_arr_begin(&j, NULL);	/* always an array, even for DEV */
	for (k = 0; k < devs.n; k++) {
		const struct knl_dev *d = (const struct knl_dev *)devs.items + k;

		peers.n = 0;
		ret = sk_knl(ctx, &nl, knl_get_peers(&nl, d->ifindex, NULL, &peers));
		if (ret)
			break;
		if (json) {
			sk_json_dev(&j, d);
			sk_json_arr_begin(&j, "peers");
			for (p = 0; p < peers.n; p++)
				sk_json_peer(&j, (struct knl_peer *)peers.items + p);
			sk_json_arr_end(&j);
			sk_json_obj_end(&j);
			continue;
		}
		if (k)
			fputc('\n', ctx->out);
		sk_print_dev(ctx->out, d);
		for (p = 0; p < peers.n; p++) {
			fputc('\n', ctx->out);
			sk_print_peer(ctx->out, (struct knl_peer *)peers.items + p, "  ");
		}
	}
	if (json && !ret) {
		sk_json_arr_end(&j);
		fputc('\n', ctx->out);
	}
out:
	knl_close(&nl);
	knl_vec_free(&devs);
	knl_vec_free(&peers);
	return ret;
}
