// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl dev list|show [DEV] [--json]: SEKISHO_CMD_DEV_GET.
 */
#include <errno.h>
#include <string.h>

#include "nl.h"
#include "sekictl.h"
#include "skjson.h"

void sk_help_dev(FILE *f)
{
	fprintf(f,
"sekictl dev list|show [DEV] [--json]\n");
}

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sk_vec *devs = data;
	const struct nlattr *a;
	struct sk_dev *d = NULL;
	uint32_t top_ifindex = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_IFINDEX:
			sk_attr_u32(a, &top_ifindex);
			break;
		case SEKISHO_A_DEV:
			d = sk_vec_push(devs);
			if (!d || sk_decode_dev(a, d))
				return -EBADMSG;
			break;
		}
	}
	if (d && !d->ifindex)
		d->ifindex = top_ifindex;
	if (d && !d->ifname[0] && d->ifindex)
		if_indextoname(d->ifindex, d->ifname);
	return 0;
}

static void dev_reset(void *data)
{
	((struct sk_vec *)data)->n = 0;
}

int sk_get_devs(struct sk_ctx *ctx, struct sk_nl *nl, const char *dev,
		struct sk_vec *devs)
{
	struct sk_msg m;
	int ret;

	if (sk_msg_new(&m, nl, SEKISHO_CMD_DEV_GET, 0, 256))
		return SK_EXIT_FAIL;
	if (dev) {
		unsigned int idx = sk_ifindex(ctx, dev);

		if (!idx) {
			sk_msg_free(&m, false);
			return SK_EXIT_FAIL;
		}
		sk_put_u32(&m, SEKISHO_A_IFINDEX, idx);
		ret = sk_nl_do(nl, &m, dev_cb, devs);
	} else {
		ret = sk_nl_dump(nl, &m, dev_cb, dev_reset, NULL, devs);
	}
	sk_msg_free(&m, false);
	if (ret == -EBADMSG)
		return sk_fail(ctx, "malformed reply from the kernel");
	return ret ? SK_EXIT_FAIL : SK_EXIT_OK;
}

int sk_cmd_dev(struct sk_ctx *ctx, int argc, char **argv)
{
	struct sk_vec devs = { .size = sizeof(struct sk_dev) };
	const char *dev = NULL;
	bool json = false;
	struct sk_nl nl;
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
	if (sk_nl_open(&nl, ctx->what))
		return SK_EXIT_FAIL;
	ret = sk_get_devs(ctx, &nl, dev, &devs);
	sk_nl_close(&nl);
	if (ret)
		goto out;
	if (json) {
		struct sk_json j;

		sk_json_init(&j, ctx->out);
		if (!dev)
			sk_json_arr_begin(&j, NULL);
		for (k = 0; k < devs.n; k++) {
			sk_json_dev(&j, (struct sk_dev *)devs.items + k);
			sk_json_obj_end(&j);
		}
		if (!dev)
			sk_json_arr_end(&j);
		fputc('\n', ctx->out);
	} else {
		for (k = 0; k < devs.n; k++) {
			if (k)
				fputc('\n', ctx->out);
			sk_print_dev(ctx->out, (struct sk_dev *)devs.items + k);
		}
	}
out:
	sk_vec_free(&devs);
	return ret;
}
