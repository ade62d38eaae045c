/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policies: per-device allowlists referenced by peers through their id.
 * POLICY_SET swaps the compiled rules inside the object, so every peer that
 * references it sees the change at once, without touching the peers.
 */
#ifndef _SEKISHO_POLICY_H
#define _SEKISHO_POLICY_H

#include <linux/netlink.h>
#include <linux/workqueue.h>

#include "allowlist.h"
#include "device.h"

/* One version of a policy's rules: the source (for GET) and compiled form. */
struct sekisho_policy_rules {
	struct sekisho_acl *acl;
	u32 n;
	struct sekisho_rule *rules;	/* kvmalloc'ed */
	struct rcu_work free_work;
};

struct sekisho_policy {
	u32 id;
	u32 refs;			/* peers using it; under sdev->lock */
	struct sekisho_policy_rules __rcu *rules;
	struct rcu_work free_work;
};

/*
 * Compile rules[0..n) (kvmalloc'ed; ownership passes to the callee in all
 * cases) and create or replace policy id.  Under sdev->lock.
 */
int sekisho_policy_new(struct sekisho_dev *sdev, u32 id,
		       struct sekisho_rule *rules, u32 n,
		       const struct nlattr *a_rules,
		       struct netlink_ext_ack *extack);
int sekisho_policy_set(struct sekisho_dev *sdev, u32 id,
		       struct sekisho_rule *rules, u32 n,
		       const struct nlattr *a_rules,
		       struct netlink_ext_ack *extack);
int sekisho_policy_del(struct sekisho_dev *sdev, u32 id,
		       const struct nlattr *a_id,
		       struct netlink_ext_ack *extack);
void sekisho_policy_del_all(struct sekisho_dev *sdev);
/* under sdev->lock or RCU */
struct sekisho_policy *sekisho_policy_find(struct sekisho_dev *sdev, u32 id);

/* under rcu_read_lock; a NULL policy denies */
bool sekisho_policy_allows(const struct sekisho_policy *pol, u8 family,
			   const void *daddr, u8 proto, int dport);

#endif /* _SEKISHO_POLICY_H */
