// SPDX-License-Identifier: GPL-2.0
/*
 * Peers and their lookup tables.
 *
 * Writers hold sdev->lock; the datapath reads under RCU.  A peer is
 * reachable through:
 *   sdev->peers      xarray by id (netlink, dumps resume by id)
 *   sdev->ep_table   rhashtable by (socket, remote address, remote port):
 *                    the receive lookup
 *   sdev->vpn_table  rhashtable by assigned VPN address: the transmit
 *                    lookup, exact match
 *   sdev->routes     snapshot of all routed prefixes: the transmit lookup
 *                    when no VPN address matched, longest prefix wins
 *
 * Lifetime: the device's peer set holds one reference, every route table
 * snapshot listing the peer one, every record in flight one.  Removal
 * (sekisho_peer_del) unlinks the peer from everything under the lock and
 * drops the keys, configuration and endpoint (freed after a grace
 * period); the last reference frees the rest after another grace period.
 */
#include <linux/jhash.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "compat.h"
#include "crypto.h"
#include "datapath.h"
#include "events.h"
#include "main.h"
#include "netlink.h"
#include "peer.h"
#include "policy.h"
#include "route.h"
#include "socket.h"
#include "stream.h"

static const struct rhashtable_params sekisho_ep_params = {
	.key_len = sizeof(struct sekisho_ep_key),
	.key_offset = offsetof(struct sekisho_endpoint, key),
	.head_offset = offsetof(struct sekisho_endpoint, node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params sekisho_vpn_params = {
	.key_len = sizeof(struct sekisho_vpn_key),
	.key_offset = offsetof(struct sekisho_vpn_node, key),
	.head_offset = offsetof(struct sekisho_vpn_node, node),
	.automatic_shrinking = true,
};

static unsigned int sekisho_addr_len(u8 family)
{
	return family == AF_INET ? sizeof(__be32) : sizeof(struct in6_addr);
}

void sekisho_ep_key_init(struct sekisho_ep_key *k,
			 const struct sekisho_sock *ss, u8 family,
			 const void *addr, __be16 port)
{
	memset(k, 0, sizeof(*k));
	k->ss = ss;
	k->family = family;
	k->port = port;
	memcpy(&k->addr, addr, sekisho_addr_len(family));
}

static void sekisho_vpn_key_init(struct sekisho_vpn_key *k, u8 family,
				 const void *addr)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	memcpy(&k->addr, addr, sekisho_addr_len(family));
}

int sekisho_peer_init_tables(struct sekisho_dev *sdev)
{
	int ret;

	ret = rhashtable_init(&sdev->ep_table, &sekisho_ep_params);
	if (ret)
		return ret;
	ret = rhashtable_init(&sdev->vpn_table, &sekisho_vpn_params);
	if (ret)
		rhashtable_destroy(&sdev->ep_table);
	return ret;
}

/* after the last peer is gone: the tables are empty */
void sekisho_peer_destroy_tables(struct sekisho_dev *sdev)
{
	rhashtable_destroy(&sdev->ep_table);
	rhashtable_destroy(&sdev->vpn_table);
}

/* ---- lifetime ------------------------------------------------------- */

static void sekisho_peer_free_work(struct work_struct *work)
{
	struct sekisho_peer *peer = container_of(to_rcu_work(work),
						 struct sekisho_peer,
						 free_work);
	unsigned int i;

	/* normally gone with sekisho_peer_unlink(); not for a failed NEW */
	for (i = 0; i < SEKISHO_NSLOTS; i++)
		sekisho_key_put(rcu_dereference_protected(peer->keys[i], 1));
	kfree(rcu_dereference_protected(peer->cfg, 1));
	kfree(rcu_dereference_protected(peer->ep, 1));
	dst_cache_destroy(&peer->dst_cache);
	sekisho_stats_free(peer->stats);
	if (peer->ss)
		sekisho_sock_put(peer->ss);
	sekisho_stream_free(peer->stream);
	netdev_put(peer->sdev->dev, &peer->dev_tracker);
	kfree(peer);
}

void sekisho_peer_put(struct sekisho_peer *peer)
{
	if (!refcount_dec_and_test(&peer->refcnt))
		return;
	INIT_RCU_WORK(&peer->free_work, sekisho_peer_free_work);
	queue_rcu_work(sekisho_wq, &peer->free_work);
}

/*
 * PEER_SET gives a peer a socket only in the namespace this returns, so a
 * reader that sees the old socket or none gets the same answer; an old
 * socket is freed a grace period after its last reference (callers hold
 * sdev->lock or run with bottom halves off).
 */
struct net *sekisho_peer_net(const struct sekisho_peer *peer)
{
	const struct sekisho_sock *ss = READ_ONCE(peer->ss);

	return ss ? sock_net(ss->sk) : sekisho_stream_net(peer->stream);
}

/* ---- configuration helpers ------------------------------------------ */

static struct sekisho_peer_cfg *sekisho_cfg_alloc(u32 nroutes)
{
	struct sekisho_peer_cfg *cfg;

	cfg = kzalloc(struct_size(cfg, routes, nroutes), GFP_KERNEL);
	if (cfg)
		cfg->nroutes = nroutes;
	return cfg;
}

/* the new configuration: old (NULL for NEW) changed by p */
static struct sekisho_peer_cfg *
sekisho_cfg_build(const struct sekisho_peer_cfg *old,
		  const struct sekisho_peer_params *p,
		  struct sekisho_policy *pol)
{
	struct sekisho_peer_cfg *cfg;
	u32 nroutes;

	nroutes = p->set_routes ? p->nroutes : (old ? old->nroutes : 0);
	cfg = sekisho_cfg_alloc(nroutes);
	if (!cfg)
		return NULL;
	if (old) {
		cfg->idle_timeout = old->idle_timeout;
		cfg->has_vpn4 = old->has_vpn4;
		cfg->vpn4 = old->vpn4;
		cfg->has_vpn6 = old->has_vpn6;
		cfg->vpn6 = old->vpn6;
		if (!p->set_routes)
			memcpy(cfg->routes, old->routes,
			       nroutes * sizeof(cfg->routes[0]));
	}
	cfg->policy = pol;
	if (p->set_idle)
		cfg->idle_timeout = p->idle_timeout;
	if (p->set_vpn4) {
		cfg->has_vpn4 = p->vpn4 != 0;
		cfg->vpn4 = p->vpn4;
	}
	if (p->set_vpn6) {
		cfg->has_vpn6 = !ipv6_addr_any(&p->vpn6);
		cfg->vpn6 = p->vpn6;
	}
	if (p->set_routes)
		memcpy(cfg->routes, p->routes, nroutes * sizeof(cfg->routes[0]));
	return cfg;
}

static struct sekisho_vpn_node *sekisho_vpn_node_new(struct sekisho_peer *peer,
						     u8 family,
						     const void *addr)
{
	struct sekisho_vpn_node *n;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return NULL;
	sekisho_vpn_key_init(&n->key, family, addr);
	n->peer = peer;
	return n;
}

static void sekisho_vpn_node_remove(struct sekisho_dev *sdev,
				    struct sekisho_vpn_node *n)
{
	if (!n)
		return;
	rhashtable_remove_fast(&sdev->vpn_table, &n->node, sekisho_vpn_params);
	kfree_rcu(n, rcu);
}

/*
 * Insert a VPN address node; on -EEXIST, say which peer has the address.
 */
static int sekisho_vpn_node_insert(struct sekisho_dev *sdev,
				   struct sekisho_vpn_node *n,
				   const struct nlattr *attr,
				   struct netlink_ext_ack *extack)
{
	struct sekisho_vpn_node *other;
	int ret;

	ret = rhashtable_lookup_insert_fast(&sdev->vpn_table, &n->node,
					    sekisho_vpn_params);
	if (ret == -EEXIST) {
		other = rhashtable_lookup_fast(&sdev->vpn_table, &n->key,
					       sekisho_vpn_params);
		sekisho_nl_err_fmt(extack, attr,
				   "the VPN address belongs to another peer",
				   "the VPN address belongs to peer %u",
				   other ? other->peer->id : 0);
	} else if (ret) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "cannot index the VPN address");
	}
	return ret;
}

static int sekisho_ep_insert(struct sekisho_dev *sdev,
			     struct sekisho_endpoint *ep,
			     const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	struct sekisho_endpoint *other;
	int ret;

	ret = rhashtable_lookup_insert_fast(&sdev->ep_table, &ep->node,
					    sekisho_ep_params);
	if (ret == -EEXIST) {
		other = rhashtable_lookup_fast(&sdev->ep_table, &ep->key,
					       sekisho_ep_params);
		sekisho_nl_err_fmt(extack, attr,
				   "another peer uses this remote endpoint on this socket",
				   "peer %u uses this remote endpoint on this socket",
				   other ? other->peer->id : 0);
	} else if (ret) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "cannot index the remote endpoint");
	}
	return ret;
}

static int sekisho_routes_rebuild(struct sekisho_dev *sdev,
				  struct sekisho_peer *opeer,
				  const struct sekisho_peer_cfg *ocfg,
				  struct sekisho_rtable **out,
				  const struct nlattr *attr,
				  struct netlink_ext_ack *extack)
{
	struct sekisho_rtable *t;
	u32 clash = 0;

	t = sekisho_rtable_build(sdev, opeer, ocfg, &clash);
	if (IS_ERR(t)) {
		if (PTR_ERR(t) == -EEXIST && opeer && clash == opeer->id)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "the same route is listed twice");
		else if (PTR_ERR(t) == -EEXIST)
			sekisho_nl_err_fmt(extack, attr,
					   "a route is already routed to another peer",
					   "a route is already routed to peer %u",
					   clash);
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "out of memory for the route table");
		return PTR_ERR(t);
	}
	*out = t;
	return 0;
}

static int sekisho_resolve_policy(struct sekisho_dev *sdev,
				  const struct sekisho_peer_params *p,
				  struct sekisho_policy **pol,
				  struct netlink_ext_ack *extack)
{
	*pol = NULL;
	if (!p->set_policy || !p->policy_id)
		return 0;
	*pol = sekisho_policy_find(sdev, p->policy_id);
	if (!*pol) {
		sekisho_nl_err_fmt(extack, p->a_policy,
				   "no policy with this id on the device",
				   "no policy %u on the device",
				   p->policy_id);
		return -ENOENT;
	}
	return 0;
}

/* ---- PEER_NEW --------------------------------------------------------- */

int sekisho_peer_new(struct sekisho_dev *sdev,
		     const struct sekisho_peer_params *p,
		     struct netlink_ext_ack *extack)
{
	struct sekisho_rtable *rt = NULL;
	struct sekisho_endpoint *ep = NULL;
	struct sekisho_peer_cfg *cfg;
	struct sekisho_policy *pol;
	struct sekisho_peer *peer;
	struct sekisho_sock *ss;
	struct sekisho_ep_key k = {};
	bool routes_built = false;
	int ret;

	lockdep_assert_held(&sdev->lock);
	if (sdev->dead)
		return -ENODEV;
	if (xa_load(&sdev->peers, p->id)) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_peer,
				    "a peer with this id exists on the device");
		return -EEXIST;
	}
	if (sdev->npeers >= READ_ONCE(sekisho_max_peers)) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_peer,
				    "the device has max_peers peers (module parameter)");
		return -ENOSPC;
	}

	ss = NULL;
	if (p->fd >= 0) {
		ss = sekisho_sock_attach(sdev, p->fd, p->a_socket, extack);
		if (IS_ERR(ss))
			return PTR_ERR(ss);
	}

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer) {
		if (ss) {
			sekisho_sock_unuse(ss);
			sekisho_sock_put(ss);
		}
		return -ENOMEM;
	}
	/* from here on, sekisho_peer_put() undoes everything but npeers */
	peer->sdev = sdev;
	peer->id = p->id;
	peer->ss = ss;
	peer->via_stream = !ss;
	refcount_set(&peer->refcnt, 1);
	netdev_hold(sdev->dev, &peer->dev_tracker, GFP_KERNEL);
	seqlock_init(&peer->local_lock);
	spin_lock_init(&peer->frag_lock);
	skb_queue_head_init(&peer->rx_queue);
	INIT_WORK(&peer->rx_work, sekisho_rx_work);
	INIT_LIST_HEAD(&peer->sock_node);
	INIT_LIST_HEAD(&peer->route_node);
	peer->created = jiffies;
	peer->last_rx = peer->created;
	peer->deny_next = peer->created;
	atomic_set(&peer->deny_suppressed, 0);
	atomic_set(&peer->rx_queued, 0);
	peer->rx_cpu = -1;
	peer->rx_inline_until = peer->created;
	ret = dst_cache_init(&peer->dst_cache, GFP_KERNEL);
	if (ret)
		goto err_free;
	peer->stats = sekisho_stats_alloc(GFP_KERNEL);
	if (!peer->stats) {
		ret = -ENOMEM;
		goto err_free;
	}

	ret = sekisho_resolve_policy(sdev, p, &pol, extack);
	if (ret)
		goto err_free;
	if (p->stream_fd >= 0) {
		peer->stream = sekisho_stream_attach(peer, p->stream_fd,
						     p->stream_kind,
						     p->a_stream, extack);
		if (IS_ERR(peer->stream)) {
			ret = PTR_ERR(peer->stream);
			peer->stream = NULL;
			goto err_free;
		}
	}

	/*
	 * The remote endpoint: a stream-only peer has none (netlink.c made
	 * sure that p has an address and a port together, or neither, and
	 * none without a socket).
	 */
	if (ss && p->set_remote) {
		sekisho_ep_key_init(&k, ss, p->remote_family, &p->remote_addr,
				    p->remote_port);
	} else if (ss && !sekisho_sock_connected_remote(ss, &k)) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_socket,
				    "no remote endpoint: give one or connect the socket");
		ret = -EDESTADDRREQ;
		goto err_free;
	}
	if (ss && !sekisho_sock_family_ok(ss, k.family)) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_remote ?: p->a_socket,
				    "the remote address family does not fit the socket");
		ret = -EAFNOSUPPORT;
		goto err_free;
	}
	cfg = sekisho_cfg_build(NULL, p, pol);
	rcu_assign_pointer(peer->cfg, cfg);
	if (!cfg) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (ss) {
		ep = kzalloc(sizeof(*ep), GFP_KERNEL);
		if (!ep) {
			ret = -ENOMEM;
			goto err_free;
		}
		ep->key = k;
		ep->peer = peer;
		rcu_assign_pointer(peer->ep, ep);
	}

	if (cfg->has_vpn4) {
		peer->vpn4 = sekisho_vpn_node_new(peer, AF_INET, &cfg->vpn4);
		if (!peer->vpn4) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	if (cfg->has_vpn6) {
		peer->vpn6 = sekisho_vpn_node_new(peer, AF_INET6, &cfg->vpn6);
		if (!peer->vpn6) {
			ret = -ENOMEM;
			goto err_free_vpn;
		}
	}
	if (cfg->nroutes) {
		ret = sekisho_routes_rebuild(sdev, peer, cfg, &rt, p->a_routes,
					     extack);
		if (ret)
			goto err_free_vpn;
		routes_built = true;
	}

	/*
	 * Publish.  The peer is complete, so datapath readers may find it
	 * as soon as it is in a table; undoing goes through the tables.
	 */
	ret = xa_insert(&sdev->peers, p->id, peer, GFP_KERNEL);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_peer, "cannot index the peer");
		goto err_free_rt;
	}
	if (ep) {
		ret = sekisho_ep_insert(sdev, ep, p->a_remote ?: p->a_socket,
					extack);
		if (ret)
			goto err_xa;
	}
	if (peer->vpn4) {
		ret = sekisho_vpn_node_insert(sdev, peer->vpn4, p->a_vpn4,
					      extack);
		if (ret)
			goto err_ep;
	}
	if (peer->vpn6) {
		ret = sekisho_vpn_node_insert(sdev, peer->vpn6, p->a_vpn6,
					      extack);
		if (ret)
			goto err_vpn4;
	}
	if (routes_built) {
		sekisho_rtable_publish(sdev, rt);
		list_add_tail(&peer->route_node, &sdev->routed_peers);
	}
	if (ss)
		list_add_tail(&peer->sock_node, &ss->peers);
	if (pol)
		pol->refs++;
	sdev->npeers++;
	sdev->peers_gen++;
	if (cfg->idle_timeout)
		sekisho_idle_kick(sdev);
	if (peer->stream)
		sekisho_stream_start(peer->stream);
	return 0;

err_vpn4:
	if (peer->vpn4)
		rhashtable_remove_fast(&sdev->vpn_table, &peer->vpn4->node,
				       sekisho_vpn_params);
err_ep:
	if (ep)
		rhashtable_remove_fast(&sdev->ep_table, &ep->node,
				       sekisho_ep_params);
err_xa:
	xa_erase(&sdev->peers, p->id);
err_free_rt:
	if (routes_built)
		sekisho_rtable_free(rt);
err_free_vpn:
	/* readers may have seen them: free after a grace period */
	if (peer->vpn4)
		kfree_rcu(peer->vpn4, rcu);
	if (peer->vpn6)
		kfree_rcu(peer->vpn6, rcu);
err_free:
	if (ss)
		sekisho_sock_unuse(ss);
	/* free the stream for another try now, not after a grace period */
	if (peer->stream)
		sekisho_stream_stop(peer->stream);
	sekisho_peer_put(peer);
	return ret;
}

/* ---- PEER_SET --------------------------------------------------------- */

/*
 * PEER_SET with a socket: attach it (NULL when it is the peer's own
 * already) and check it may carry this peer.
 */
static struct sekisho_sock *sekisho_peer_set_sock(struct sekisho_dev *sdev,
						  struct sekisho_peer *peer,
						  const struct sekisho_peer_params *p,
						  struct netlink_ext_ack *extack)
{
	struct sekisho_sock *ss;

	ss = sekisho_sock_attach(sdev, p->fd, p->a_socket, extack);
	if (IS_ERR(ss))
		return ss;
	if (ss == peer->ss || !net_eq(sock_net(ss->sk), sekisho_peer_net(peer))) {
		if (ss != peer->ss)
			NL_SET_ERR_MSG_ATTR(extack, p->a_socket,
					    "the UDP socket is in another network namespace than the peer's transport");
		sekisho_sock_unuse(ss);
		sekisho_sock_put(ss);
		return ss == peer->ss ? NULL : ERR_PTR(-EXDEV);
	}
	return ss;
}

/*
 * The remote endpoint PEER_SET asks for, into k: on a new socket a whole
 * one or the socket's connected remote, else absent parts keep their
 * value.  1: it differs from the old one; 0: the same; < 0: refused.
 */
static int sekisho_peer_set_ep(struct sekisho_peer *peer,
			       struct sekisho_sock *ss,
			       const struct sekisho_endpoint *oldep,
			       const struct sekisho_peer_params *p,
			       struct sekisho_ep_key *k,
			       struct netlink_ext_ack *extack)
{
	if (ss && p->set_remote) {
		sekisho_ep_key_init(k, ss, p->remote_family, &p->remote_addr,
				    p->remote_port);
	} else if (ss) {
		if (!sekisho_sock_connected_remote(ss, k)) {
			NL_SET_ERR_MSG_ATTR(extack, p->a_socket,
					    "no remote endpoint: give one or connect the socket");
			return -EDESTADDRREQ;
		}
	} else if (p->set_remote || p->set_port) {
		if (!oldep) {
			NL_SET_ERR_MSG_ATTR(extack, p->a_remote ?: p->a_port,
					    "a peer without a UDP socket has no remote endpoint");
			return -EINVAL;
		}
		*k = oldep->key;
		if (p->set_remote) {
			memset(&k->addr, 0, sizeof(k->addr));
			memcpy(&k->addr, &p->remote_addr,
			       sekisho_addr_len(p->remote_family));
			k->family = p->remote_family;
		}
		if (p->set_port)
			k->port = p->remote_port;
	} else {
		return 0;
	}
	if (!sekisho_sock_family_ok(ss ?: peer->ss, k->family)) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_remote ?: p->a_socket,
				    "the remote address family does not fit the socket");
		return -EAFNOSUPPORT;
	}
	return !oldep || memcmp(k, &oldep->key, sizeof(*k));
}

int sekisho_peer_set(struct sekisho_dev *sdev, struct sekisho_peer *peer,
		     const struct sekisho_peer_params *p,
		     struct netlink_ext_ack *extack)
{
	struct sekisho_vpn_node *new4 = NULL, *new6 = NULL;
	struct sekisho_endpoint *oldep, *newep = NULL;
	struct sekisho_peer_cfg *old, *cfg = NULL;
	struct sekisho_rtable *rt = NULL;
	struct sekisho_sock *ss = NULL;
	struct sekisho_policy *pol;
	bool routes_built = false;
	struct sekisho_ep_key k;
	unsigned int i;
	int ret;

	lockdep_assert_held(&sdev->lock);
	old = rcu_dereference_protected(peer->cfg,
					lockdep_is_held(&sdev->lock));
	oldep = rcu_dereference_protected(peer->ep,
					  lockdep_is_held(&sdev->lock));

	if (p->set_policy) {
		ret = sekisho_resolve_policy(sdev, p, &pol, extack);
		if (ret)
			return ret;
	} else {
		pol = old->policy;
	}

	if (p->fd >= 0) {
		ss = sekisho_peer_set_sock(sdev, peer, p, extack);
		if (IS_ERR(ss))
			return PTR_ERR(ss);
	}
	ret = sekisho_peer_set_ep(peer, ss, oldep, p, &k, extack);
	if (ret < 0)
		goto err_free;
	if (ret) {
		newep = kzalloc(sizeof(*newep), GFP_KERNEL);
		if (!newep) {
			ret = -ENOMEM;
			goto err_free;
		}
		newep->key = k;
		newep->peer = peer;
	}

	cfg = sekisho_cfg_build(old, p, pol);
	if (!cfg) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (!cfg->has_vpn4 && !cfg->has_vpn6) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_vpn4 ?: p->a_vpn6,
				    "a peer needs at least one VPN address");
		ret = -EINVAL;
		goto err_free;
	}
	if (cfg->has_vpn4 && (!old->has_vpn4 || old->vpn4 != cfg->vpn4)) {
		new4 = sekisho_vpn_node_new(peer, AF_INET, &cfg->vpn4);
		if (!new4) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	if (cfg->has_vpn6 &&
	    (!old->has_vpn6 || !ipv6_addr_equal(&old->vpn6, &cfg->vpn6))) {
		new6 = sekisho_vpn_node_new(peer, AF_INET6, &cfg->vpn6);
		if (!new6) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	if (p->set_routes) {
		ret = sekisho_routes_rebuild(sdev, peer, cfg, &rt, p->a_routes,
					     extack);
		if (ret)
			goto err_free;
		routes_built = true;
	}

	/* insert what is new; nothing is visible until all of it worked */
	if (newep) {
		ret = sekisho_ep_insert(sdev, newep, p->a_remote ?: p->a_port,
					extack);
		if (ret)
			goto err_rt;
	}
	if (new4) {
		ret = sekisho_vpn_node_insert(sdev, new4, p->a_vpn4, extack);
		if (ret)
			goto err_ep;
	}
	if (new6) {
		ret = sekisho_vpn_node_insert(sdev, new6, p->a_vpn6, extack);
		if (ret)
			goto err_new4;
	}

	/* commit */
	if (newep) {
		if (oldep)
			rhashtable_remove_fast(&sdev->ep_table, &oldep->node,
					       sekisho_ep_params);
		rcu_assign_pointer(peer->ep, newep);
		if (oldep)
			kfree_rcu(oldep, rcu);
		write_seqlock_bh(&peer->local_lock);
		peer->local_family = 0;
		write_sequnlock_bh(&peer->local_lock);
		dst_cache_reset(&peer->dst_cache);
	}
	if (p->set_vpn4 && (new4 || !cfg->has_vpn4)) {
		sekisho_vpn_node_remove(sdev, peer->vpn4);
		peer->vpn4 = new4;
	}
	if (p->set_vpn6 && (new6 || !cfg->has_vpn6)) {
		sekisho_vpn_node_remove(sdev, peer->vpn6);
		peer->vpn6 = new6;
	}
	if (routes_built) {
		sekisho_rtable_publish(sdev, rt);
		if (cfg->nroutes && list_empty(&peer->route_node))
			list_add_tail(&peer->route_node, &sdev->routed_peers);
		else if (!cfg->nroutes)
			list_del_init(&peer->route_node);
	}
	if (old->policy != cfg->policy) {
		if (old->policy)
			old->policy->refs--;
		if (cfg->policy)
			cfg->policy->refs++;
	}
	rcu_assign_pointer(peer->cfg, cfg);
	kfree_rcu(old, rcu);
	if (cfg->idle_timeout) {
		WRITE_ONCE(peer->idle_sent, false);
		sekisho_idle_kick(sdev);
	}
	if (ss) {
		/*
		 * The keys were those of the DTLS session on the old socket
		 * (or none): until KEY_NEW the stream carries what a key
		 * would.  The stream itself is not touched.
		 */
		for (i = 0; i < SEKISHO_NSLOTS; i++)
			sekisho_key_put(rcu_replace_pointer(peer->keys[i], NULL,
							    lockdep_is_held(&sdev->lock)));
		list_del_init(&peer->sock_node);
		list_add_tail(&peer->sock_node, &ss->peers);
		if (peer->ss) {
			sekisho_sock_unuse(peer->ss);
			sekisho_sock_put(peer->ss);
		}
		WRITE_ONCE(peer->ss, ss);
	}
	return 0;

err_new4:
	if (new4)
		rhashtable_remove_fast(&sdev->vpn_table, &new4->node,
				       sekisho_vpn_params);
err_ep:
	if (newep)
		rhashtable_remove_fast(&sdev->ep_table, &newep->node,
				       sekisho_ep_params);
err_rt:
	if (routes_built)
		sekisho_rtable_free(rt);
	/* inserted nodes may have been seen by readers */
	if (new4)
		kfree_rcu(new4, rcu);
	if (new6)
		kfree_rcu(new6, rcu);
	if (newep)
		kfree_rcu(newep, rcu);
	kfree(cfg);
	goto err_sock;

err_free:
	kfree(new4);
	kfree(new6);
	kfree(newep);
	kfree(cfg);
err_sock:
	if (ss) {
		sekisho_sock_unuse(ss);
		sekisho_sock_put(ss);
	}
	return ret;
}

/* ---- removal ---------------------------------------------------------- */

void sekisho_peer_del(struct sekisho_peer *peer, u32 reason)
{
	struct sekisho_dev *sdev = peer->sdev;
	struct sekisho_endpoint *ep;
	struct sekisho_peer_cfg *cfg;
	struct sekisho_rtable *rt;
	unsigned int i;

	lockdep_assert_held(&sdev->lock);
	if (peer->dead)
		return;
	WRITE_ONCE(peer->dead, true);

	xa_erase(&sdev->peers, peer->id);
	ep = rcu_replace_pointer(peer->ep, NULL, lockdep_is_held(&sdev->lock));
	if (ep) {
		rhashtable_remove_fast(&sdev->ep_table, &ep->node,
				       sekisho_ep_params);
		kfree_rcu(ep, rcu);
	}
	if (peer->stream)
		sekisho_stream_stop(peer->stream);
	sekisho_vpn_node_remove(sdev, peer->vpn4);
	sekisho_vpn_node_remove(sdev, peer->vpn6);
	peer->vpn4 = NULL;
	peer->vpn6 = NULL;
	if (!list_empty(&peer->route_node)) {
		list_del_init(&peer->route_node);
		/*
		 * Without memory for a new table the old one stays: it holds
		 * a reference on the peer, and lookups skip dead peers.
		 */
		rt = sekisho_rtable_build(sdev, NULL, NULL, NULL);
		if (!IS_ERR(rt))
			sekisho_rtable_publish(sdev, rt);
	}
	for (i = 0; i < SEKISHO_NSLOTS; i++)
		sekisho_key_put(rcu_replace_pointer(peer->keys[i], NULL,
						    lockdep_is_held(&sdev->lock)));
	cfg = rcu_replace_pointer(peer->cfg, NULL, lockdep_is_held(&sdev->lock));
	if (cfg->policy)
		cfg->policy->refs--;
	kfree_rcu(cfg, rcu);

	list_del_init(&peer->sock_node);
	if (peer->ss)
		sekisho_sock_unuse(peer->ss);
	sdev->npeers--;
	sdev->peers_gen++;

	sekisho_ev_peer_del(peer, reason);
	sekisho_peer_put(peer);
}

void sekisho_peer_del_all(struct sekisho_dev *sdev, u32 reason)
{
	struct sekisho_peer *peer;
	unsigned long id;

	lockdep_assert_held(&sdev->lock);
	/* one table change instead of one per routed peer */
	while (!list_empty(&sdev->routed_peers))
		list_del_init(sdev->routed_peers.next);
	sekisho_rtable_publish(sdev, NULL);
	xa_for_each(&sdev->peers, id, peer) {
		sekisho_peer_del(peer, reason);
		cond_resched();
	}
}

struct sekisho_peer *sekisho_peer_find(struct sekisho_dev *sdev, u32 id)
{
	lockdep_assert_held(&sdev->lock);
	return xa_load(&sdev->peers, id);
}

/* ---- keys ------------------------------------------------------------- */

/*
 * The new key becomes primary.  The secondary slot keeps the newest of the
 * old keys whose epoch differs from the new one: normally the old primary
 * (a rekey to the next epoch).  A key with the new key's epoch is dropped:
 * a fresh DTLS handshake starts over at epoch 1, and two keys of one epoch
 * could not be told apart on receive.
 */
void sekisho_peer_key_install(struct sekisho_peer *peer,
			      struct sekisho_key *key)
{
	struct sekisho_dev *sdev = peer->sdev;
	struct sekisho_key *op, *os, *keep = NULL;

	lockdep_assert_held(&sdev->lock);
	op = rcu_dereference_protected(peer->keys[SEKISHO_SLOT_PRIMARY],
				       lockdep_is_held(&sdev->lock));
	os = rcu_dereference_protected(peer->keys[SEKISHO_SLOT_SECONDARY],
				       lockdep_is_held(&sdev->lock));
	if (op && op->epoch != key->epoch)
		keep = op;
	else if (os && os->epoch != key->epoch)
		keep = os;

	rcu_assign_pointer(peer->keys[SEKISHO_SLOT_SECONDARY], keep);
	rcu_assign_pointer(peer->keys[SEKISHO_SLOT_PRIMARY], key);
	if (op && op != keep)
		sekisho_key_put(op);
	if (os && os != keep)
		sekisho_key_put(os);
}

int sekisho_peer_key_del(struct sekisho_peer *peer, u32 slot)
{
	struct sekisho_key *key;

	lockdep_assert_held(&peer->sdev->lock);
	key = rcu_replace_pointer(peer->keys[slot], NULL,
				  lockdep_is_held(&peer->sdev->lock));
	if (!key)
		return -ENOENT;
	sekisho_key_put(key);
	return 0;
}

/* ---- datapath lookups ------------------------------------------------- */

struct sekisho_peer *sekisho_peer_by_endpoint(struct sekisho_dev *sdev,
					      const struct sekisho_ep_key *k)
{
	struct sekisho_endpoint *ep;

	ep = rhashtable_lookup(&sdev->ep_table, k, sekisho_ep_params);
	return ep ? ep->peer : NULL;
}

struct sekisho_peer *sekisho_peer_by_dst(struct sekisho_dev *sdev, u8 family,
					 const void *daddr)
{
	struct sekisho_peer *peer = NULL;
	struct sekisho_vpn_node *n;
	struct sekisho_vpn_key k;

	sekisho_vpn_key_init(&k, family, daddr);
	rcu_read_lock();
	n = rhashtable_lookup(&sdev->vpn_table, &k, sekisho_vpn_params);
	if (n)
		peer = n->peer;
	else
		peer = sekisho_rtable_lookup(rcu_dereference(sdev->routes),
					     family, daddr);
	if (peer && (READ_ONCE(peer->dead) || !sekisho_peer_get(peer)))
		peer = NULL;
	rcu_read_unlock();
	return peer;
}

/* anti-spoofing: may the peer send from saddr? */
bool sekisho_peer_src_ok(const struct sekisho_peer_cfg *cfg, u8 family,
			 const void *saddr)
{
	u32 i;

	if (family == AF_INET) {
		if (cfg->has_vpn4 && *(const __be32 *)saddr == cfg->vpn4)
			return true;
	} else if (cfg->has_vpn6 && ipv6_addr_equal(saddr, &cfg->vpn6)) {
		return true;
	}
	for (i = 0; i < cfg->nroutes; i++)
		if (sekisho_route_match(&cfg->routes[i], family, saddr))
			return true;
	return false;
}

/* ---- idle timeouts ---------------------------------------------------- */

#define SEKISHO_IDLE_PERIOD	HZ

void sekisho_idle_kick(struct sekisho_dev *sdev)
{
	queue_delayed_work(system_power_efficient_wq, &sdev->idle_work,
			   SEKISHO_IDLE_PERIOD);
}

/*
 * Once a second, while any peer has an idle timeout: PEER_IDLE_NTF for each
 * peer that received no valid record for its timeout, once; the receive
 * path re-arms it (idle_sent) with the next valid record.
 */
void sekisho_idle_work(struct work_struct *work)
{
	struct sekisho_dev *sdev = container_of(to_delayed_work(work),
						struct sekisho_dev, idle_work);
	unsigned long now = jiffies, last, n = 0;
	struct sekisho_peer_cfg *cfg;
	struct sekisho_peer *peer;
	bool again = false;
	unsigned long id;

	mutex_lock(&sdev->lock);
	if (sdev->dead)
		goto out;
	xa_for_each(&sdev->peers, id, peer) {
		if (!(++n % 1024))
			cond_resched();
		cfg = rcu_dereference_protected(peer->cfg,
						lockdep_is_held(&sdev->lock));
		if (!cfg->idle_timeout)
			continue;
		again = true;
		if (READ_ONCE(peer->idle_sent))
			continue;
		last = READ_ONCE(peer->last_rx);
		if (time_before(now, last + (unsigned long)cfg->idle_timeout * HZ))
			continue;
		WRITE_ONCE(peer->idle_sent, true);
		sekisho_ev_peer_idle(peer, jiffies_to_msecs(now - last));
	}
	if (again)
		sekisho_idle_kick(sdev);
out:
	mutex_unlock(&sdev->lock);
}
