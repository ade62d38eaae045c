// SPDX-License-Identifier: GPL-2.0
/*
 * The "sekisho" link type: a point-to-point, ARP-less, header-less device.
 * Packets sent to it are sealed into DTLS records for the peer that owns
 * the destination; decrypted records come out of it.
 */
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>

#include "compat.h"
#include "datapath.h"
#include "device.h"
#include "peer.h"
#include "policy.h"
#include "record.h"
#include "sysfs.h"

static int sekisho_ndo_init(struct net_device *dev)
{
	struct sekisho_dev *sdev = netdev_priv(dev);
	int ret;

	sdev->stats = sekisho_stats_alloc(GFP_KERNEL);
	if (!sdev->stats)
		return -ENOMEM;
	ret = gro_cells_init(&sdev->gro_cells, dev);
	if (ret)
		goto err_stats;
	ret = sekisho_peer_init_tables(sdev);
	if (ret)
		goto err_gro;
	return 0;

err_gro:
	gro_cells_destroy(&sdev->gro_cells);
err_stats:
	sekisho_stats_free(sdev->stats);
	sdev->stats = NULL;
	return ret;
}

/*
 * Unregistration, for every reason: ip link del, the namespace going away,
 * rmmod.  Peers and policies go now; what records in flight still use is
 * released by the destructor, after the last reference to the device.
 */
static void sekisho_ndo_uninit(struct net_device *dev)
{
	struct sekisho_dev *sdev = netdev_priv(dev);

	mutex_lock(&sdev->lock);
	sdev->dead = true;
	sekisho_peer_del_all(sdev, SEKISHO_DEL_REASON_DEVICE_GONE);
	sekisho_policy_del_all(sdev);
	mutex_unlock(&sdev->lock);
	cancel_delayed_work_sync(&sdev->idle_work);
}

static void sekisho_destruct(struct net_device *dev)
{
	struct sekisho_dev *sdev = netdev_priv(dev);

	sekisho_peer_destroy_tables(sdev);
	gro_cells_destroy(&sdev->gro_cells);
	sekisho_stats_free(sdev->stats);
	sdev->stats = NULL;
	xa_destroy(&sdev->peers);
	xa_destroy(&sdev->policies);
	mutex_destroy(&sdev->lock);
}

static void sekisho_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *st)
{
	struct sekisho_dev *sdev = netdev_priv(dev);
	struct sekisho_stats s;

	sekisho_stats_read(sdev->stats, &s);
	st->rx_packets = s.c[SEKISHO_STAT_RX_PACKETS];
	st->rx_bytes = s.c[SEKISHO_STAT_RX_BYTES];
	st->tx_packets = s.c[SEKISHO_STAT_TX_PACKETS];
	st->tx_bytes = s.c[SEKISHO_STAT_TX_BYTES];
	st->rx_dropped = s.c[SEKISHO_STAT_DROP_REPLAY] +
			 s.c[SEKISHO_STAT_DROP_SPOOF] +
			 s.c[SEKISHO_STAT_DROP_POLICY];
	st->rx_errors = s.c[SEKISHO_STAT_DROP_AUTH] +
			s.c[SEKISHO_STAT_DROP_MALFORMED] +
			s.c[SEKISHO_STAT_RX_ERRORS];
	st->rx_crc_errors = s.c[SEKISHO_STAT_DROP_AUTH];
	st->rx_frame_errors = s.c[SEKISHO_STAT_DROP_MALFORMED];
	st->tx_dropped = s.c[SEKISHO_STAT_DROP_NO_PEER] +
			 s.c[SEKISHO_STAT_DROP_NO_KEY] +
			 s.c[SEKISHO_STAT_DROP_TOO_BIG];
	st->tx_errors = s.c[SEKISHO_STAT_TX_ERRORS];
}

static const struct net_device_ops sekisho_netdev_ops = {
	.ndo_init = sekisho_ndo_init,
	.ndo_uninit = sekisho_ndo_uninit,
	.ndo_start_xmit = sekisho_xmit,
	.ndo_get_stats64 = sekisho_get_stats64,
};

bool sekisho_dev_is_ours(const struct net_device *dev)
{
	return dev->netdev_ops == &sekisho_netdev_ops;
}

void sekisho_dev_deliver(struct sekisho_dev *sdev, struct sk_buff *skb)
{
	/* gro_cells_receive() drops (and counts) when the device is down */
	gro_cells_receive(&sdev->gro_cells, skb);
}

static void sekisho_setup(struct net_device *dev)
{
	struct sekisho_dev *sdev = netdev_priv(dev);

	dev->netdev_ops = &sekisho_netdev_ops;
	dev->header_ops = NULL;
	dev->type = ARPHRD_NONE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	sekisho_set_lltx(dev);
	dev->mtu = SEKISHO_DEFAULT_MTU;
	dev->min_mtu = SEKISHO_MIN_MTU;
	dev->max_mtu = SEKISHO_MAX_MTU;
	/* so that the stack leaves room for the record and outer headers */
	dev->needed_headroom = SEKISHO_TX_HEADROOM;
	dev->needed_tailroom = SEKISHO_REC_TAG_LEN;
	/* the UDP tunnel helpers count outer packets in tstats */
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->needs_free_netdev = true;
	dev->priv_destructor = sekisho_destruct;
	dev->sysfs_groups[0] = &sekisho_sysfs_group;

	sdev->dev = dev;
	mutex_init(&sdev->lock);
	xa_init(&sdev->peers);
	xa_init(&sdev->policies);
	INIT_LIST_HEAD(&sdev->routed_peers);
	INIT_DELAYED_WORK(&sdev->idle_work, sekisho_idle_work);
	atomic_set(&sdev->inflight, 0);
	atomic_set(&sdev->rx_queued, 0);
	sdev->peers_gen = 1;
	sdev->policies_gen = 1;
}

static int sekisho_validate(struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
				    "sekisho devices have no link-layer address");
		return -EINVAL;
	}
	return 0;
}

struct rtnl_link_ops sekisho_link_ops __read_mostly = {
	.kind = SEKISHO_LINK_KIND,
	.priv_size = sizeof(struct sekisho_dev),
	.setup = sekisho_setup,
	.validate = sekisho_validate,
};

int sekisho_netdev_init(void)
{
	return rtnl_link_register(&sekisho_link_ops);
}

void sekisho_netdev_exit(void)
{
	rtnl_link_unregister(&sekisho_link_ops);
}
