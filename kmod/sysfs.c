// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/class/net/<dev>/sekisho/: the device's counters (summed over all
 * CPUs) and the sizes of its configuration, one read-only value per file.
 */
#include <linux/device.h>
#include <linux/netdevice.h>
#include <linux/sysfs.h>

#include "device.h"
#include "sysfs.h"

struct sekisho_stat_attr {
	struct device_attribute attr;
	enum sekisho_stat stat;
};

static ssize_t sekisho_stat_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	struct sekisho_dev *sdev = netdev_priv(to_net_dev(d));
	struct sekisho_stat_attr *sa;
	struct sekisho_stats s;

	sa = container_of(attr, struct sekisho_stat_attr, attr);
	sekisho_stats_read(sdev->stats, &s);
	return sysfs_emit(buf, "%llu\n", s.c[sa->stat]);
}

#define SEKISHO_STAT_ATTR(_name, _stat)					\
	static struct sekisho_stat_attr sekisho_attr_##_name = {	\
		.attr = __ATTR(_name, 0444, sekisho_stat_show, NULL),	\
		.stat = _stat,						\
	}

SEKISHO_STAT_ATTR(rx_packets, SEKISHO_STAT_RX_PACKETS);
SEKISHO_STAT_ATTR(rx_bytes, SEKISHO_STAT_RX_BYTES);
SEKISHO_STAT_ATTR(tx_packets, SEKISHO_STAT_TX_PACKETS);
SEKISHO_STAT_ATTR(tx_bytes, SEKISHO_STAT_TX_BYTES);
SEKISHO_STAT_ATTR(drop_no_peer, SEKISHO_STAT_DROP_NO_PEER);
SEKISHO_STAT_ATTR(drop_auth, SEKISHO_STAT_DROP_AUTH);
SEKISHO_STAT_ATTR(drop_replay, SEKISHO_STAT_DROP_REPLAY);
SEKISHO_STAT_ATTR(drop_spoof, SEKISHO_STAT_DROP_SPOOF);
SEKISHO_STAT_ATTR(drop_policy, SEKISHO_STAT_DROP_POLICY);
SEKISHO_STAT_ATTR(drop_malformed, SEKISHO_STAT_DROP_MALFORMED);
SEKISHO_STAT_ATTR(drop_too_big, SEKISHO_STAT_DROP_TOO_BIG);
SEKISHO_STAT_ATTR(drop_no_key, SEKISHO_STAT_DROP_NO_KEY);
SEKISHO_STAT_ATTR(dpd_answered, SEKISHO_STAT_DPD_ANSWERED);
SEKISHO_STAT_ATTR(keepalives, SEKISHO_STAT_KEEPALIVES);
SEKISHO_STAT_ATTR(to_userspace, SEKISHO_STAT_TO_USERSPACE);
SEKISHO_STAT_ATTR(rx_errors, SEKISHO_STAT_RX_ERRORS);
SEKISHO_STAT_ATTR(tx_errors, SEKISHO_STAT_TX_ERRORS);

static ssize_t peers_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct sekisho_dev *sdev = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%u\n", READ_ONCE(sdev->npeers));
}
static DEVICE_ATTR_RO(peers);

static ssize_t policies_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct sekisho_dev *sdev = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%u\n", READ_ONCE(sdev->npolicies));
}
static DEVICE_ATTR_RO(policies);

static ssize_t inflight_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct sekisho_dev *sdev = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%d\n", atomic_read(&sdev->inflight));
}
static DEVICE_ATTR_RO(inflight);

static struct attribute *sekisho_sysfs_attrs[] = {
	&dev_attr_peers.attr,
	&dev_attr_policies.attr,
	&sekisho_attr_rx_packets.attr.attr,
	&sekisho_attr_rx_bytes.attr.attr,
	&sekisho_attr_tx_packets.attr.attr,
	&sekisho_attr_tx_bytes.attr.attr,
	&sekisho_attr_drop_no_peer.attr.attr,
	&sekisho_attr_drop_auth.attr.attr,
	&sekisho_attr_drop_replay.attr.attr,
	&sekisho_attr_drop_spoof.attr.attr,
	&sekisho_attr_drop_policy.attr.attr,
	&sekisho_attr_drop_malformed.attr.attr,
	&sekisho_attr_drop_too_big.attr.attr,
	&sekisho_attr_drop_no_key.attr.attr,
	&sekisho_attr_dpd_answered.attr.attr,
	&sekisho_attr_keepalives.attr.attr,
	&sekisho_attr_to_userspace.attr.attr,
	&sekisho_attr_rx_errors.attr.attr,
	&sekisho_attr_tx_errors.attr.attr,
	&dev_attr_inflight.attr,
	NULL
};

const struct attribute_group sekisho_sysfs_group = {
	.name = "sekisho",
	.attrs = sekisho_sysfs_attrs,
};
