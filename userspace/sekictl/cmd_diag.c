// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl diagnose [--config CONF] [--json]: the checklist (admin/skdiag.h)
 * on this host, with the kernel's side from here (netlink): the policies
 * the module holds on the device against the store's.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "knl.h"
#include "skbackup.h"
#include "skdiag.h"

int sk_diagnose_route(const char *store, int n, char **args, bool json, bool ja);

static int count_policy(const struct sk_policy *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static void kernel_side(struct ska_diag *d, const char *device, struct sk_store *st, void *arg)
{
	struct knl_vec devs = { .size = sizeof(struct knl_dev) };
	unsigned int ifindex = if_nametoindex(device);
	const struct knl_dev *dev;
	struct knl nl;
	int want = 0, rc;

	(void)arg;
	if (!ifindex)
		return;	/* the device line said it */
	if ((rc = knl_open(&nl))) {
		ska_diag_say(d, SKA_DIAG_ERR, "kernel-policy", "the sekisho netlink family does not "
			     "answer (%s): is the module loaded?", "sekisho の netlink が応答しません"
			     "（%s）。モジュールは読み込まれていますか", strerror(-rc));
		return;
	}
	rc = knl_get_devs(&nl, ifindex, &devs);
	knl_close(&nl);
	dev = devs.items;
	if (rc || !devs.n) {
		ska_diag_say(d, SKA_DIAG_ERR, "kernel-policy", "%s is not a sekisho device (%s)",
			     "%s は sekisho のデバイスではありません（%s）", device,
			     rc ? strerror(-rc) : "no answer");
	} else if (st && !sk_policy_list(st, count_policy, &want) &&
		   (!dev->has_policies || dev->num_policies < (uint32_t)want)) {
		ska_diag_say(d, SKA_DIAG_ERR, "kernel-policy", "%s holds %u of the store's %d "
			     "policies: restart sekishod, which programs every policy at start",
			     "%1$s にはストアの %3$d 個のうち %2$u 個のポリシーしかありません。起動時に"
			     "すべてを設定する sekishod を再起動してください", device,
			     dev->has_policies ? dev->num_policies : 0, want);
	} else {
		ska_diag_say(d, SKA_DIAG_OK, "kernel-policy", "%s holds %u policies (the store has "
			     "%d), %u session(s)", "%s にはポリシーが %u 個あります（ストアは %d 個）、"
			     "セッション %u 件", device, dev->has_policies ? dev->num_policies : 0,
			     want, dev->has_peers ? dev->num_peers : 0);
	}
	knl_vec_free(&devs);
}

int sk_diagnose_route(const char *store, int n, char **args, bool json, bool ja)
{
	struct ska_diag_opt o = { .store = store, .json = json, .ja = ja, .out = stdout,
				  .kernel = kernel_side };

	for (int i = 1; i < n; i++) {
		if (!strcmp(args[i], "--config") && i + 1 < n) {
			o.config = args[++i];
		} else {
			fprintf(stderr, ja ? "sekictl: diagnose: 引数 '%s' は使えません\n"
				"書式: sekictl [--store S] diagnose [--config CONF] [--json]\n" :
				"sekictl: diagnose: unexpected argument '%s'\n"
				"usage: sekictl [--store S] diagnose [--config CONF] [--json]\n", args[i]);
			return 2;
		}
	}
	return ska_diagnose(&o);
}
