// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps of devices and peers (DEV_GET, PEER_GET), shared by sekictl's
 * show/dev/peer nouns and sekishod.  See knl.h.
 */
#include <errno.h>

#include "knl.h"

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct knl_vec *devs = data;
	const struct nlattr *a;
	struct knl_dev *d = NULL;
	uint32_t top_ifindex = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_IFINDEX:
			knl_attr_u32(a, &top_ifindex);
			break;
		case SEKISHO_A_DEV:
			d = knl_vec_push(devs);
			if (!d || knl_decode_dev(a, d))
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

static int peer_cb(const struct nlmsghdr *nlh, void *data)
{
	struct knl_vec *peers = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == SEKISHO_A_PEER) {
			struct knl_peer *p = knl_vec_push(peers);

			if (!p || knl_decode_peer(a, p))
				return -EBADMSG;
		}
	}
	return 0;
}

/* a dump that was interrupted starts again from an empty list */
static void vec_reset(void *data)
{
	((struct knl_vec *)data)->n = 0;
}

int knl_get_devs(struct knl *nl, uint32_t ifindex, struct knl_vec *devs)
{
	struct knl_msg m;
	int ret;

	ret = knl_msg_new(&m, nl, SEKISHO_CMD_DEV_GET, 0, 256);
	if (ret)
		return ret;
	if (ifindex) {
		knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
		ret = knl_do(nl, &m, dev_cb, devs);
	} else {
		ret = knl_dump(nl, &m, dev_cb, vec_reset, NULL, devs);
	}
	knl_msg_free(&m, false);
	return ret;
}

int knl_get_peers(struct knl *nl, uint32_t ifindex, const uint32_t *id,
		  struct knl_vec *peers)
{
	struct knl_msg m;
	struct nlattr *p;
	int ret;

	ret = knl_msg_new(&m, nl, SEKISHO_CMD_PEER_GET, 0, 256);
	if (ret)
		return ret;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
	if (id) {
		p = knl_nest_start(&m, SEKISHO_A_PEER);
		knl_put_u32(&m, SEKISHO_A_PEER_ID, *id);
		knl_nest_end(&m, p);
		ret = knl_do(nl, &m, peer_cb, peers);
	} else {
		ret = knl_dump(nl, &m, peer_cb, vec_reset, NULL, peers);
	}
	knl_msg_free(&m, false);
	return ret;
}
