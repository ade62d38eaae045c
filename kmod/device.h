/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sekisho network device ("ip link add sk0 type sekisho") and its
 * private state: every peer, policy and lookup table hangs off it.
 */
#ifndef _SEKISHO_DEVICE_H
#define _SEKISHO_DEVICE_H

#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/gro_cells.h>

#include "stats.h"

#define SEKISHO_DEFAULT_MTU	1434
#define SEKISHO_MIN_MTU		576
/*
 * The largest inner packet whose record still fits one IPv4 datagram:
 * 65535 - IPv4 header - UDP header - GCM record overhead - type byte.
 */
#define SEKISHO_MAX_MTU		(65535 - 20 - 8 - 37 - 1)

struct sekisho_rtable;

struct sekisho_dev {
	struct net_device *dev;

	/*
	 * Serialises configuration (netlink, socket close, device teardown):
	 * the peer and policy sets, the lookup tables' writers, the routes.
	 * Readers on the datapath use RCU only.
	 */
	struct mutex lock;
	bool dead;			/* ndo_uninit ran; under lock */

	struct xarray peers;		/* id -> struct sekisho_peer */
	u32 npeers;			/* under lock, READ_ONCE elsewhere */
	u32 peers_gen;			/* bumped on add/del: dump consistency */
	struct rhashtable ep_table;	/* (socket, remote endpoint) -> peer */
	struct rhashtable vpn_table;	/* assigned VPN address -> peer */
	struct sekisho_rtable __rcu *routes; /* routed prefixes -> peer */
	struct list_head routed_peers;	/* peers with routes; under lock */

	struct xarray policies;		/* id -> struct sekisho_policy */
	u32 npolicies;			/* under lock, READ_ONCE elsewhere */
	u32 policies_gen;		/* bumped on new/set/del */

	struct sekisho_pcpu_stats __percpu *stats;
	struct gro_cells gro_cells;
	struct delayed_work idle_work;	/* idle timeouts of all peers */
	atomic_t inflight;		/* records in asynchronous crypto */
	atomic_t rx_queued;		/* records in the peers' receive queues */
};

extern struct rtnl_link_ops sekisho_link_ops;

int sekisho_netdev_init(void);
void sekisho_netdev_exit(void);

/* true if dev is a sekisho device */
bool sekisho_dev_is_ours(const struct net_device *dev);

/*
 * Hand a decrypted inner packet (skb->data at its IP header, protocol set)
 * to the stack as received on the device.  Runs with bottom halves off.
 */
void sekisho_dev_deliver(struct sekisho_dev *sdev, struct sk_buff *skb);

/* Upper bound on asynchronous crypto requests per device. */
#define SEKISHO_MAX_INFLIGHT	8192
/* records waiting in all receive queues of one device (rx.c) */
#define SEKISHO_MAX_RX_QUEUED	8192

#endif /* _SEKISHO_DEVICE_H */
