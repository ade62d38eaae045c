// SPDX-License-Identifier: GPL-2.0
/*
 * sekisho: kernel datapath of an AnyConnect-compatible SSL-VPN gateway.
 *
 * Userspace (sekishod) authenticates clients and runs the DTLS handshake;
 * this module then carries the session's DTLS 1.2 application-data records
 * between a UDP socket and the "sekisho" network device.
 * Documentation/datapath.md describes the design.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <net/rtnetlink.h>

#include "crypto.h"
#include "device.h"
#include "main.h"
#include "netlink.h"

struct workqueue_struct *sekisho_wq;
struct workqueue_struct *sekisho_stream_wq;

unsigned int sekisho_max_peers = 65536;
unsigned int sekisho_max_policies = 65536;
unsigned int sekisho_deny_interval_ms = 1000;
bool sekisho_rx_work_param = true;

static int sekisho_param_set_range(const char *val,
				   const struct kernel_param *kp,
				   unsigned int min, unsigned int max)
{
	return param_set_uint_minmax(val, kp, min, max);
}

static int sekisho_param_set_count(const char *val,
				   const struct kernel_param *kp)
{
	return sekisho_param_set_range(val, kp, 1, 1U << 24);
}

static int sekisho_param_set_interval(const char *val,
				      const struct kernel_param *kp)
{
	return sekisho_param_set_range(val, kp, 0, 3600 * 1000);
}

static const struct kernel_param_ops sekisho_count_ops = {
	.set = sekisho_param_set_count,
	.get = param_get_uint,
};

static const struct kernel_param_ops sekisho_interval_ops = {
	.set = sekisho_param_set_interval,
	.get = param_get_uint,
};

module_param_cb(max_peers, &sekisho_count_ops, &sekisho_max_peers, 0644);
MODULE_PARM_DESC(max_peers,
		 "Most peers on one device, 1..16777216 (default 65536)");
module_param_cb(max_policies, &sekisho_count_ops, &sekisho_max_policies, 0644);
MODULE_PARM_DESC(max_policies,
		 "Most policies on one device, 1..16777216 (default 65536)");
module_param_cb(deny_sample_interval_ms, &sekisho_interval_ops,
		&sekisho_deny_interval_ms, 0644);
MODULE_PARM_DESC(deny_sample_interval_ms,
		 "Least time between two POLICY_DENY samples of one peer, ms; 0 = no samples (default 1000)");
module_param_named(rx_work, sekisho_rx_work_param, bool, 0644);
MODULE_PARM_DESC(rx_work,
		 "Decrypt each peer's records in a work item, off the CPU that received them, when more than one CPU is online (default Y)");

bool sekisho_rx_in_work(void)
{
	return READ_ONCE(sekisho_rx_work_param) && num_online_cpus() > 1;
}

static int __init sekisho_init(void)
{
	int ret;

	/*
	 * Freeing transforms, peers and policies is deferred here; it may
	 * sleep.  Not WQ_MEM_RECLAIM: nothing in reclaim waits for it.
	 */
	sekisho_wq = alloc_workqueue("sekisho", WQ_UNBOUND, 0);
	if (!sekisho_wq)
		return -ENOMEM;
	/*
	 * A TLS-only client's packets (stream.c): per CPU, not unbound.  A
	 * CPU's pool then runs its receive and transmit works one after the
	 * other on one kworker, as NAPI would, instead of one kworker each
	 * that the scheduler interleaves and that wait for each other's
	 * socket lock (Documentation/decisions/ktls-stream.md, "One kworker
	 * per CPU").
	 */
	sekisho_stream_wq = alloc_workqueue("sekisho-stream", 0, 0);
	if (!sekisho_stream_wq) {
		destroy_workqueue(sekisho_wq);
		return -ENOMEM;
	}

	sekisho_crypto_init();
	ret = sekisho_netdev_init();
	if (ret)
		goto err_wq;
	ret = sekisho_nl_init();
	if (ret)
		goto err_netdev;
	return 0;

err_netdev:
	sekisho_netdev_exit();
err_wq:
	sekisho_crypto_exit();
	destroy_workqueue(sekisho_stream_wq);
	destroy_workqueue(sekisho_wq);
	return ret;
}

static void __exit sekisho_exit(void)
{
	/*
	 * Deletes every sekisho device in every namespace and waits until
	 * the last reference is gone: records in asynchronous crypto hold
	 * their peer, and peers hold the device.  The family is still there,
	 * so each peer is reported (PEER_DEL_NTF, reason DEVICE_GONE);
	 * requests meanwhile find no device or a dead one.
	 */
	sekisho_netdev_exit();
	sekisho_nl_exit();
	/*
	 * Deferred frees are queue_rcu_work()s: wait for their grace periods,
	 * run them, and once more for anything they released in turn.
	 */
	rcu_barrier();
	flush_workqueue(sekisho_wq);
	rcu_barrier();
	/* every stream was freed with its peer, its works cancelled */
	destroy_workqueue(sekisho_stream_wq);
	destroy_workqueue(sekisho_wq);
	sekisho_crypto_exit();
}

module_init(sekisho_init);
module_exit(sekisho_exit);

MODULE_DESCRIPTION("sekisho SSL-VPN gateway datapath (DTLS 1.2 records)");
MODULE_AUTHOR("sekisho maintainers");
MODULE_LICENSE("GPL");
/* VERSION at the top of the tree (kmod/Kbuild), as dkms.conf's PACKAGE_VERSION */
MODULE_VERSION(SEKISHO_RELEASE);
MODULE_ALIAS_RTNL_LINK("sekisho");
MODULE_ALIAS_GENL_FAMILY("sekisho");
