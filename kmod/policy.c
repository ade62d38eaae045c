// SPDX-License-Identifier: GPL-2.0
/*
 * Policy objects.  The compiled allowlist (allowlist.c) is immutable; a
 * policy points at its current version under RCU, so POLICY_SET compiles
 * the new rules in process context, swaps the pointer, and frees the old
 * version after a grace period: packets in flight finish with the old
 * rules, the next ones see the new, and no session is touched.
 */
#include <linux/slab.h>

#include "compat.h"
#include "main.h"
#include "netlink.h"
#include "policy.h"

static void sekisho_rules_destroy(struct sekisho_policy_rules *r)
{
	if (!r)
		return;
	sekisho_acl_free(r->acl);
	kvfree(r->rules);
	kfree(r);
}

static void sekisho_rules_free_work(struct work_struct *work)
{
	struct sekisho_policy_rules *r =
		container_of(to_rcu_work(work), struct sekisho_policy_rules,
			     free_work);

	sekisho_rules_destroy(r);
}

/* kvfree() of big compiled tables may sleep: free from a work item */
static void sekisho_rules_free_rcu(struct sekisho_policy_rules *r)
{
	INIT_RCU_WORK(&r->free_work, sekisho_rules_free_work);
	queue_rcu_work(sekisho_wq, &r->free_work);
}

static struct sekisho_policy_rules *
sekisho_rules_compile(struct sekisho_rule *rules, u32 n,
		      const struct nlattr *a_rules,
		      struct netlink_ext_ack *extack)
{
	struct sekisho_policy_rules *r;
	const char *why = NULL;
	struct sekisho_acl *acl;
	u32 bad = 0;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		kvfree(rules);
		return ERR_PTR(-ENOMEM);
	}
	acl = sekisho_acl_compile_bad(rules, n, GFP_KERNEL, &why, &bad);
	if (IS_ERR(acl)) {
		if (PTR_ERR(acl) == -EINVAL)
			sekisho_nl_err_fmt(extack, a_rules,
					   why ?: "invalid rule",
					   "rule %u: %s", bad,
					   why ?: "invalid");
		else if (PTR_ERR(acl) == -E2BIG)
			sekisho_set_err(extack, a_rules,
					why ?: "the compiled policy would be too large");
		else
			sekisho_set_err(extack, a_rules,
					why ?: "cannot compile the policy");
		kvfree(rules);
		kfree(r);
		return ERR_CAST(acl);
	}
	r->acl = acl;
	r->n = n;
	r->rules = rules;
	return r;
}

struct sekisho_policy *sekisho_policy_find(struct sekisho_dev *sdev, u32 id)
{
	return xa_load(&sdev->policies, id);
}

int sekisho_policy_new(struct sekisho_dev *sdev, u32 id,
		       struct sekisho_rule *rules, u32 n,
		       const struct nlattr *a_rules,
		       struct netlink_ext_ack *extack)
{
	struct sekisho_policy_rules *r;
	struct sekisho_policy *pol;
	int ret;

	lockdep_assert_held(&sdev->lock);
	if (sdev->dead) {
		kvfree(rules);
		return -ENODEV;
	}
	if (xa_load(&sdev->policies, id)) {
		kvfree(rules);
		NL_SET_ERR_MSG(extack,
			       "a policy with this id exists; POLICY_SET replaces its rules");
		return -EEXIST;
	}
	if (sdev->npolicies >= READ_ONCE(sekisho_max_policies)) {
		kvfree(rules);
		NL_SET_ERR_MSG(extack,
			       "the device has max_policies policies (module parameter)");
		return -ENOSPC;
	}
	r = sekisho_rules_compile(rules, n, a_rules, extack);
	if (IS_ERR(r))
		return PTR_ERR(r);
	pol = kzalloc(sizeof(*pol), GFP_KERNEL);
	if (!pol) {
		sekisho_rules_destroy(r);
		return -ENOMEM;
	}
	pol->id = id;
	RCU_INIT_POINTER(pol->rules, r);
	ret = xa_insert(&sdev->policies, id, pol, GFP_KERNEL);
	if (ret) {
		sekisho_rules_destroy(r);
		kfree(pol);
		return ret;
	}
	sdev->npolicies++;
	sdev->policies_gen++;
	return 0;
}

int sekisho_policy_set(struct sekisho_dev *sdev, u32 id,
		       struct sekisho_rule *rules, u32 n,
		       const struct nlattr *a_rules,
		       struct netlink_ext_ack *extack)
{
	struct sekisho_policy_rules *r, *old;
	struct sekisho_policy *pol;

	lockdep_assert_held(&sdev->lock);
	pol = xa_load(&sdev->policies, id);
	if (!pol) {
		kvfree(rules);
		NL_SET_ERR_MSG(extack, "no policy with this id on the device");
		return -ENOENT;
	}
	r = sekisho_rules_compile(rules, n, a_rules, extack);
	if (IS_ERR(r))
		return PTR_ERR(r);
	old = rcu_replace_pointer(pol->rules, r, lockdep_is_held(&sdev->lock));
	sekisho_rules_free_rcu(old);
	sdev->policies_gen++;
	return 0;
}

static void sekisho_policy_free_work(struct work_struct *work)
{
	struct sekisho_policy *pol = container_of(to_rcu_work(work),
						  struct sekisho_policy,
						  free_work);

	sekisho_rules_destroy(rcu_dereference_protected(pol->rules, 1));
	kfree(pol);
}

static void sekisho_policy_remove(struct sekisho_dev *sdev,
				  struct sekisho_policy *pol)
{
	xa_erase(&sdev->policies, pol->id);
	sdev->npolicies--;
	sdev->policies_gen++;
	INIT_RCU_WORK(&pol->free_work, sekisho_policy_free_work);
	queue_rcu_work(sekisho_wq, &pol->free_work);
}

int sekisho_policy_del(struct sekisho_dev *sdev, u32 id,
		       const struct nlattr *a_id,
		       struct netlink_ext_ack *extack)
{
	struct sekisho_policy *pol;

	lockdep_assert_held(&sdev->lock);
	pol = xa_load(&sdev->policies, id);
	if (!pol) {
		NL_SET_ERR_MSG_ATTR(extack, a_id,
				    "no policy with this id on the device");
		return -ENOENT;
	}
	if (pol->refs) {
		sekisho_nl_err_fmt(extack, a_id,
				   "the policy is in use by peers",
				   "the policy is in use by %u peer(s)",
				   pol->refs);
		return -EBUSY;
	}
	sekisho_policy_remove(sdev, pol);
	return 0;
}

/* device teardown: the peers are gone already */
void sekisho_policy_del_all(struct sekisho_dev *sdev)
{
	struct sekisho_policy *pol;
	unsigned long id;

	lockdep_assert_held(&sdev->lock);
	xa_for_each(&sdev->policies, id, pol)
		sekisho_policy_remove(sdev, pol);
}

bool sekisho_policy_allows(const struct sekisho_policy *pol, u8 family,
			   const void *daddr, u8 proto, int dport)
{
	const struct sekisho_policy_rules *r;

	if (!pol)
		return false;
	r = rcu_dereference(pol->rules);
	return sekisho_acl_allows(r->acl, family, daddr, proto, dport, NULL);
}
