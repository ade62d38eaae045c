// SPDX-License-Identifier: GPL-2.0
/*
 * The "sekisho" generic netlink family (include/uapi/linux/sekisho.h,
 * Documentation/netlink/specs/sekisho.yaml).
 *
 * Every operation needs CAP_NET_ADMIN in the namespace of the requesting
 * socket, where the device is looked up.  The attribute policies, one per
 * command, are generated from the spec (netlink-gen.c, scripts/nl-gen.py)
 * and strict (resv_start_op 0: unknown attributes, attributes the command
 * does not take, reserved header bits and foreign message flags are
 * refused); what the policies cannot express (presence, sizes that depend
 * on the family or cipher, combinations) is checked here with an extack
 * message naming the attribute, before anything is allocated or changed.
 * peer.c, policy.c and crypto.c get plain structs.
 *
 * Locking: parallel_ops; pre_doit finds the device of every doit request
 * and takes its mutex (post_doit releases it), dumps run under RCU and
 * resume by id.  Key bytes are wiped from the request as soon
 * as the transforms have them and are never put in a reply.
 */
#include <linux/if.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "compat.h"
#include "crypto.h"
#include "device.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "peer.h"
#include "policy.h"
#include "route.h"
#include "socket.h"

/* ---- helpers ------------------------------------------------------------ */

/* the highest attribute type of a generated nest policy */
#define SEKISHO_NL_MAX(set)	(ARRAY_SIZE(set##_nl_policy) - 1)

/* the required nest type of a request, parsed with the generated policy */
#define SEKISHO_NL_PARSE_NEST(info, type, tb, set)			\
	sekisho_nl_parse_nest(info, type, "missing " #type, tb,		\
			      SEKISHO_NL_MAX(set), set##_nl_policy)

/* a peer with 64 IPv6 routes, both keys and its counters fits easily */
#define SEKISHO_NL_PEER_SIZE	8192

static bool sekisho_nl_need(struct netlink_ext_ack *extack,
			    const struct nlattr *nest, struct nlattr **tb,
			    int type, const char *msg)
{
	if (tb[type])
		return true;
	sekisho_set_err(extack, nest, msg);
	return !NL_REQ_ATTR_CHECK(extack, nest, tb, type);
}

static int sekisho_nl_parse_nest(struct genl_info *info, int type,
				 const char *missing, struct nlattr **tb,
				 int maxtype, const struct nla_policy *policy)
{
	if (!sekisho_nl_need(info->extack, NULL, info->attrs, type, missing))
		return -EINVAL;
	return nla_parse_nested(tb, maxtype, info->attrs[type], policy,
				info->extack);
}

void sekisho_nl_err_fmt(struct netlink_ext_ack *extack,
			const struct nlattr *attr, const char *fallback,
			const char *fmt, ...)
{
#ifdef SEKISHO_COMPAT_EXTACK_FMT
	va_list ap;
#endif

	if (!extack)
		return;
#ifdef SEKISHO_COMPAT_EXTACK_FMT
	va_start(ap, fmt);
	vsnprintf(extack->_msg_buf, sizeof(extack->_msg_buf), fmt, ap);
	va_end(ap);
	extack->_msg = extack->_msg_buf;
#else
	extack->_msg = fallback;
#endif
	extack->bad_attr = attr;
}

/* the sekisho device named by IFINDEX or IFNAME, with a reference */
static struct net_device *sekisho_nl_dev_get(struct net *net,
					     struct nlattr **attrs,
					     struct netlink_ext_ack *extack)
{
	struct nlattr *a = attrs[SEKISHO_A_IFINDEX];
	struct net_device *dev;

	if (a) {
		dev = dev_get_by_index(net, nla_get_u32(a));
	} else if (attrs[SEKISHO_A_IFNAME]) {
		char name[IFNAMSIZ];

		a = attrs[SEKISHO_A_IFNAME];
		nla_strscpy(name, a, sizeof(name));
		dev = dev_get_by_name(net, name);
	} else {
		NL_SET_ERR_MSG(extack,
			       "missing SEKISHO_A_IFINDEX (or SEKISHO_A_IFNAME)");
		NL_SET_ERR_ATTR_MISS(extack, NULL, SEKISHO_A_IFINDEX);
		return ERR_PTR(-EINVAL);
	}
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "no such device in the caller's network namespace");
		return ERR_PTR(-ENODEV);
	}
	if (!sekisho_dev_is_ours(dev)) {
		dev_put(dev);
		NL_SET_ERR_MSG_ATTR(extack, a, "not a sekisho device");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dev;
}

static int sekisho_nl_addr_family(const struct nlattr *a, u8 *family)
{
	switch (nla_len(a)) {
	case 4:
		*family = AF_INET;
		return 0;
	case 16:
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int sekisho_nl_put_stats(struct sk_buff *msg, int attr,
			 struct sekisho_pcpu_stats __percpu *s)
{
	struct sekisho_stats sum;
	struct nlattr *nest;
	unsigned int i;

	sekisho_stats_read(s, &sum);
	nest = nla_nest_start(msg, attr);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < SEKISHO_STAT_UAPI_NR; i++)
		if (nla_put_u64_64bit(msg, SEKISHO_A_STATS_RX_PACKETS + i,
				      sum.c[i], SEKISHO_A_STATS_PAD))
			goto err;
	nla_nest_end(msg, nest);
	return 0;
err:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

/*
 * Dump state in netlink_callback::ctx.  The device is looked up again by
 * ifindex in every dump call, so a dump that userspace stops reading never
 * holds a device reference.
 */
struct sekisho_dump_ctx {
	int ifindex;
	u32 next_id;		/* peer or policy id to continue at */
	u32 next_rule;		/* POLICY_GET: rule index to continue at */
	u32 filter_id;		/* POLICY_GET: only this policy (0: all) */
	u32 next_dev;		/* DEV_GET: devices already dumped */
	bool done;
};

static struct sekisho_dump_ctx *sekisho_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct sekisho_dump_ctx) > sizeof(cb->ctx));
	return (struct sekisho_dump_ctx *)cb->ctx;
}

/* the command of a dump request */
static u8 sekisho_dump_cmd(struct netlink_callback *cb)
{
	const struct genlmsghdr *gh = nlmsg_data(cb->nlh);

	return gh->cmd;
}

/* under rcu_read_lock; NULL when the device went away meanwhile */
static struct sekisho_dev *sekisho_dump_dev(struct netlink_callback *cb)
{
	struct net_device *dev;

	dev = dev_get_by_index_rcu(sock_net(cb->skb->sk),
				   sekisho_dump_ctx(cb)->ifindex);
	if (!dev || !sekisho_dev_is_ours(dev))
		return NULL;
	return netdev_priv(dev);
}

/*
 * The header of a reply or dump message of cmd and its IFINDEX; NULL when
 * msg is full.
 */
static void *sekisho_nl_msg_put(struct sk_buff *msg, u32 portid, u32 seq,
				int flags, u8 cmd, struct netlink_callback *cb,
				int ifindex)
{
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &sekisho_genl_family, flags, cmd);
	if (!hdr)
		return NULL;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(msg, SEKISHO_A_IFINDEX, ifindex)) {
		genlmsg_cancel(msg, hdr);
		return NULL;
	}
	return hdr;
}

/* ---- DEV_GET ------------------------------------------------------------ */

static int sekisho_nl_fill_dev(struct sk_buff *msg, struct net_device *dev,
			       u32 portid, u32 seq, int flags,
			       struct netlink_callback *cb)
{
	struct sekisho_dev *sdev = netdev_priv(dev);
	struct nlattr *nest;
	void *hdr;

	hdr = sekisho_nl_msg_put(msg, portid, seq, flags, SEKISHO_CMD_DEV_GET,
				 cb, dev->ifindex);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(msg, SEKISHO_A_DEV);
	if (!nest ||
	    nla_put_u32(msg, SEKISHO_A_DEV_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, SEKISHO_A_DEV_IFNAME, dev->name) ||
	    nla_put_u32(msg, SEKISHO_A_DEV_NUM_PEERS, READ_ONCE(sdev->npeers)) ||
	    nla_put_u32(msg, SEKISHO_A_DEV_NUM_POLICIES,
			READ_ONCE(sdev->npolicies)) ||
	    sekisho_nl_put_stats(msg, SEKISHO_A_DEV_STATS, sdev->stats))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return 0;
err:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

int sekisho_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = sekisho_nl_fill_dev(msg, sdev->dev, info->snd_portid,
				  info->snd_seq, 0, NULL);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

int sekisho_nl_dev_get_dumpit(struct sk_buff *skb,
			      struct netlink_callback *cb)
{
	struct sekisho_dump_ctx *ctx = sekisho_dump_ctx(cb);
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	u32 idx = 0;

	rcu_read_lock();
	cb->seq = READ_ONCE(net->dev_base_seq);
	for_each_netdev_rcu(net, dev) {
		if (!sekisho_dev_is_ours(dev))
			continue;
		if (idx++ < ctx->next_dev)
			continue;
		if (sekisho_nl_fill_dev(skb, dev, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI, cb)) {
			idx--;
			break;
		}
	}
	rcu_read_unlock();
	ctx->next_dev = idx;
	return skb->len;
}

/* ---- peers: parsing ------------------------------------------------------ */

static int sekisho_nl_parse_routes(const struct nlattr *routes,
				   struct sekisho_peer_params *p,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SEKISHO_A_ROUTE_MAX + 1];
	struct sekisho_route *r;
	const char *why = NULL;
	const struct nlattr *a;
	int rem, ret;

	p->set_routes = true;
	p->a_routes = routes;
	nla_for_each_nested(a, routes, rem) {
		if (nla_type(a) != SEKISHO_A_PEER_ROUTE)
			continue;
		if (p->nroutes >= SEKISHO_MAX_ROUTES) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "more than SEKISHO_MAX_ROUTES routes");
			return -E2BIG;
		}
		ret = nla_parse_nested(tb, SEKISHO_A_ROUTE_MAX, a,
				       sekisho_route_nl_policy, extack);
		if (ret)
			return ret;
		if (!sekisho_nl_need(extack, a, tb, SEKISHO_A_ROUTE_ADDR,
				     "a route needs SEKISHO_A_ROUTE_ADDR") ||
		    !sekisho_nl_need(extack, a, tb, SEKISHO_A_ROUTE_PREFIXLEN,
				     "a route needs SEKISHO_A_ROUTE_PREFIXLEN"))
			return -EINVAL;
		r = &p->routes[p->nroutes];
		memset(r, 0, sizeof(*r));
		if (sekisho_nl_addr_family(tb[SEKISHO_A_ROUTE_ADDR],
					   &r->family)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[SEKISHO_A_ROUTE_ADDR],
					    "a route address has 4 (IPv4) or 16 (IPv6) bytes");
			return -EINVAL;
		}
		nla_memcpy(&r->addr, tb[SEKISHO_A_ROUTE_ADDR], sizeof(r->addr));
		r->plen = nla_get_u8(tb[SEKISHO_A_ROUTE_PREFIXLEN]);
		if (sekisho_route_check(r, &why)) {
			sekisho_set_err(extack, a, why);
			return -EINVAL;
		}
		p->nroutes++;
	}
	return 0;
}

/* a file descriptor attribute (absent: *fd stays) */
static int sekisho_nl_get_fd(const struct nlattr *a, int *fd,
			     const struct nlattr **where,
			     struct netlink_ext_ack *extack)
{
	if (!a)
		return 0;
	if (nla_get_u32(a) > INT_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, a, "not a file descriptor");
		return -EBADF;
	}
	*fd = nla_get_u32(a);
	*where = a;
	return 0;
}

/*
 * A remote endpoint for a new socket (PEER_NEW, or PEER_SET giving a
 * socket) is a whole one or none (the socket is connected).
 */
static int sekisho_nl_check_remote(const struct sekisho_peer_params *p,
				   struct netlink_ext_ack *extack)
{
	if (p->set_remote && !p->set_port) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_remote,
				    "a remote address needs SEKISHO_A_PEER_REMOTE_PORT");
		return -EINVAL;
	}
	if (p->set_port && !p->set_remote) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_port,
				    "a remote port needs SEKISHO_A_PEER_REMOTE_IPV4 or _IPV6");
		return -EINVAL;
	}
	return 0;
}

/* what PEER_NEW needs besides the id and a socket or stream */
static int sekisho_nl_check_new_peer(const struct sekisho_peer_params *p,
				     struct netlink_ext_ack *extack)
{
	if (!p->set_vpn4 && !p->set_vpn6) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_peer,
				    "a peer needs SEKISHO_A_PEER_VPN_IPV4 and/or SEKISHO_A_PEER_VPN_IPV6");
		return -EINVAL;
	}
	/* the remote endpoint: a stream-only peer has none */
	if (p->fd < 0 && (p->set_remote || p->set_port)) {
		NL_SET_ERR_MSG_ATTR(extack, p->a_remote ?: p->a_port,
				    "a peer without SEKISHO_A_PEER_SOCKET has no remote endpoint");
		return -EINVAL;
	}
	return sekisho_nl_check_remote(p, extack);
}

static int sekisho_nl_parse_peer(struct genl_info *info,
				 struct sekisho_peer_params *p, bool is_new)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[SEKISHO_A_PEER_MAX + 1] = {};
	struct nlattr *nest = info->attrs[SEKISHO_A_PEER];
	struct nlattr *a, *kind;
	int ret;

	/* PEER_SET's policy has no stream: that of a peer cannot change */
	if (is_new)
		ret = SEKISHO_NL_PARSE_NEST(info, SEKISHO_A_PEER, tb,
					    sekisho_peer_new_input);
	else
		ret = SEKISHO_NL_PARSE_NEST(info, SEKISHO_A_PEER, tb,
					    sekisho_peer_set_input);
	if (ret)
		return ret;
	p->a_peer = nest;
	if (!sekisho_nl_need(extack, nest, tb, SEKISHO_A_PEER_ID,
			     "missing SEKISHO_A_PEER_ID"))
		return -EINVAL;
	p->id = nla_get_u32(tb[SEKISHO_A_PEER_ID]);

	a = tb[SEKISHO_A_PEER_SOCKET];
	p->fd = -1;
	p->stream_fd = -1;
	if (is_new) {
		/* the policy checked the range; a kind needs a stream */
		p->stream_kind = SEKISHO_STREAM_KIND_SEQPACKET;
		kind = tb[SEKISHO_A_PEER_STREAM_KIND];
		if (kind && !tb[SEKISHO_A_PEER_STREAM]) {
			NL_SET_ERR_MSG_ATTR(extack, kind,
					    "SEKISHO_A_PEER_STREAM_KIND needs SEKISHO_A_PEER_STREAM");
			return -EINVAL;
		}
		/* UDP (DTLS), the CSTP stream, or both */
		if (!tb[SEKISHO_A_PEER_STREAM] &&
		    !sekisho_nl_need(extack, nest, tb, SEKISHO_A_PEER_SOCKET,
				     "missing SEKISHO_A_PEER_SOCKET (or _STREAM)"))
			return -EINVAL;
		ret = sekisho_nl_get_fd(a, &p->fd, &p->a_socket, extack);
		if (ret)
			return ret;
		ret = sekisho_nl_get_fd(tb[SEKISHO_A_PEER_STREAM],
					&p->stream_fd, &p->a_stream, extack);
		if (ret)
			return ret;
		if (kind)
			p->stream_kind = nla_get_u32(kind);
	} else {
		/* a UDP socket added to a live peer, or a new one */
		ret = sekisho_nl_get_fd(a, &p->fd, &p->a_socket, extack);
		if (ret)
			return ret;
	}

	if (tb[SEKISHO_A_PEER_REMOTE_IPV4] && tb[SEKISHO_A_PEER_REMOTE_IPV6]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SEKISHO_A_PEER_REMOTE_IPV6],
				    "give one remote address, IPv4 or IPv6");
		return -EINVAL;
	}
	a = tb[SEKISHO_A_PEER_REMOTE_IPV4] ?: tb[SEKISHO_A_PEER_REMOTE_IPV6];
	if (a) {
		p->set_remote = true;
		p->a_remote = a;
		sekisho_nl_addr_family(a, &p->remote_family);
		nla_memcpy(&p->remote_addr, a, sizeof(p->remote_addr));
	}
	a = tb[SEKISHO_A_PEER_REMOTE_PORT];
	if (a) {
		p->set_port = true;
		p->a_port = a;
		p->remote_port = nla_get_be16(a);
	}

	a = tb[SEKISHO_A_PEER_VPN_IPV4];
	if (a) {
		p->set_vpn4 = true;
		p->a_vpn4 = a;
		p->vpn4 = nla_get_in_addr(a);
		if (is_new && !p->vpn4) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "0.0.0.0 is not a VPN address");
			return -EINVAL;
		}
	}
	a = tb[SEKISHO_A_PEER_VPN_IPV6];
	if (a) {
		p->set_vpn6 = true;
		p->a_vpn6 = a;
		p->vpn6 = nla_get_in6_addr(a);
		if (is_new && ipv6_addr_any(&p->vpn6)) {
			NL_SET_ERR_MSG_ATTR(extack, a, ":: is not a VPN address");
			return -EINVAL;
		}
	}

	if (tb[SEKISHO_A_PEER_ROUTES]) {
		ret = sekisho_nl_parse_routes(tb[SEKISHO_A_PEER_ROUTES], p,
					      extack);
		if (ret)
			return ret;
	}
	a = tb[SEKISHO_A_PEER_POLICY_ID];
	if (a) {
		p->set_policy = true;
		p->a_policy = a;
		p->policy_id = nla_get_u32(a);
	}
	a = tb[SEKISHO_A_PEER_IDLE_TIMEOUT];
	if (a) {
		p->set_idle = true;
		p->idle_timeout = nla_get_u32(a);
	}
	if (is_new)
		return sekisho_nl_check_new_peer(p, extack);
	return p->fd >= 0 ? sekisho_nl_check_remote(p, extack) : 0;
}

/*
 * Every doit request names its device: find it, hold it and take its lock
 * for the handler (info->user_ptr[0]); post_doit releases both.
 */
int sekisho_nl_pre_doit(const struct sekisho_genl_doit_ops *ops,
			struct sk_buff *skb, struct genl_info *info)
{
	struct sekisho_dev *sdev;
	struct net_device *dev;

	dev = sekisho_nl_dev_get(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	sdev = netdev_priv(dev);
	mutex_lock(&sdev->lock);
	if (sdev->dead) {
		mutex_unlock(&sdev->lock);
		dev_put(dev);
		NL_SET_ERR_MSG(info->extack, "the device is being removed");
		return -ENODEV;
	}
	info->user_ptr[0] = sdev;
	return 0;
}

void sekisho_nl_post_doit(const struct sekisho_genl_doit_ops *ops,
			  struct sk_buff *skb, struct genl_info *info)
{
	struct sekisho_dev *sdev = info->user_ptr[0];

	mutex_unlock(&sdev->lock);
	dev_put(sdev->dev);
}

static struct sekisho_peer *sekisho_nl_find_peer(struct sekisho_dev *sdev,
						 u32 id,
						 const struct nlattr *attr,
						 struct netlink_ext_ack *extack)
{
	struct sekisho_peer *peer = sekisho_peer_find(sdev, id);

	if (!peer)
		sekisho_nl_err_fmt(extack, attr,
				   "no peer with this id on the device",
				   "no peer %u on the device", id);
	return peer;
}

/* ---- PEER_NEW / PEER_SET / PEER_DEL ------------------------------------ */

static int sekisho_nl_peer_new_set(struct genl_info *info, bool is_new)
{
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sekisho_peer_params *p;
	struct sekisho_peer *peer;
	int ret;

	/* the request only, as a plain struct for peer.c */
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	ret = sekisho_nl_parse_peer(info, p, is_new);
	if (ret)
		goto out;
	if (is_new) {
		ret = sekisho_peer_new(sdev, p, info->extack);
	} else {
		peer = sekisho_nl_find_peer(sdev, p->id, p->a_peer,
					    info->extack);
		ret = peer ? sekisho_peer_set(sdev, peer, p, info->extack) :
			     -ENOENT;
	}
out:
	kfree(p);
	return ret;
}

int sekisho_nl_peer_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return sekisho_nl_peer_new_set(info, true);
}

int sekisho_nl_peer_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return sekisho_nl_peer_new_set(info, false);
}

/*
 * The id of the PEER or POLICY nest (type) of a GET or DEL request: the
 * command's policy lets only the id in, so id_type is the nest's maxtype.
 */
static int sekisho_nl_id(struct genl_info *info, int type, int id_type,
			 const struct nla_policy *policy, u32 *id,
			 struct nlattr **a_id)
{
	struct nlattr *tb[SEKISHO_A_PEER_ID + 1];
	struct nlattr *nest = info->attrs[type];
	int ret;

	BUILD_BUG_ON(SEKISHO_NL_MAX(sekisho_peer_id_input) != SEKISHO_A_PEER_ID ||
		     SEKISHO_NL_MAX(sekisho_policy_id_input) != SEKISHO_A_POLICY_ID ||
		     (int)SEKISHO_A_POLICY_ID > (int)SEKISHO_A_PEER_ID);
	ret = sekisho_nl_parse_nest(info, type,
				    type == SEKISHO_A_PEER ? "missing SEKISHO_A_PEER" :
							     "missing SEKISHO_A_POLICY",
				    tb, id_type, policy);
	if (ret)
		return ret;
	if (!sekisho_nl_need(info->extack, nest, tb, id_type,
			     type == SEKISHO_A_PEER ? "missing SEKISHO_A_PEER_ID" :
						      "missing SEKISHO_A_POLICY_ID"))
		return -EINVAL;
	*id = nla_get_u32(tb[id_type]);
	*a_id = tb[id_type];
	return 0;
}

static int sekisho_nl_peer_id(struct genl_info *info, u32 *id)
{
	struct nlattr *a_id;

	return sekisho_nl_id(info, SEKISHO_A_PEER, SEKISHO_A_PEER_ID,
			     sekisho_peer_id_input_nl_policy, id, &a_id);
}

int sekisho_nl_peer_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sekisho_peer *peer;
	int ret;
	u32 id;

	ret = sekisho_nl_peer_id(info, &id);
	if (ret)
		return ret;
	peer = sekisho_nl_find_peer(sdev, id, info->attrs[SEKISHO_A_PEER],
				    info->extack);
	if (peer)
		sekisho_peer_del(peer, SEKISHO_DEL_REASON_USERSPACE);
	else
		ret = -ENOENT;
	return ret;
}

/* ---- PEER_GET ------------------------------------------------------------ */

static int sekisho_nl_put_addr(struct sk_buff *msg, int a4, int a6,
			       u8 family, const union sekisho_addr *addr)
{
	if (family == AF_INET)
		return nla_put_in_addr(msg, a4, addr->v4);
	return nla_put_in6_addr(msg, a6, &addr->v6);
}

static int sekisho_nl_put_keys(struct sk_buff *msg, struct sekisho_peer *peer)
{
	struct sekisho_key *key;
	struct nlattr *keys, *ki;
	unsigned int i;
	u64 seq;

	keys = nla_nest_start(msg, SEKISHO_A_PEER_KEYS);
	if (!keys)
		return -EMSGSIZE;
	for (i = 0; i < SEKISHO_NSLOTS; i++) {
		key = rcu_dereference(peer->keys[i]);
		if (!key)
			continue;
		ki = nla_nest_start(msg, SEKISHO_A_PEER_KEYINFO);
		seq = min_t(u64, atomic64_read(&key->tx_next),
			    SEKISHO_SEQ_LIMIT);
		if (!ki ||
		    nla_put_u32(msg, SEKISHO_A_KEYINFO_SLOT, i) ||
		    nla_put_u16(msg, SEKISHO_A_KEYINFO_EPOCH, key->epoch) ||
		    nla_put_u32(msg, SEKISHO_A_KEYINFO_CIPHER, key->cipher) ||
		    nla_put_u64_64bit(msg, SEKISHO_A_KEYINFO_TX_SEQ, seq,
				      SEKISHO_A_KEYINFO_PAD))
			return -EMSGSIZE;
		if (sekisho_key_rx_seq(key, &seq) &&
		    nla_put_u64_64bit(msg, SEKISHO_A_KEYINFO_RX_SEQ, seq,
				      SEKISHO_A_KEYINFO_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, ki);
	}
	nla_nest_end(msg, keys);
	return 0;
}

static int sekisho_nl_put_routes(struct sk_buff *msg,
				 const struct sekisho_peer_cfg *cfg)
{
	const struct sekisho_route *r;
	struct nlattr *routes, *rn;
	u32 i;

	routes = nla_nest_start(msg, SEKISHO_A_PEER_ROUTES);
	if (!routes)
		return -EMSGSIZE;
	for (i = 0; i < cfg->nroutes; i++) {
		r = &cfg->routes[i];
		rn = nla_nest_start(msg, SEKISHO_A_PEER_ROUTE);
		if (!rn ||
		    sekisho_nl_put_addr(msg, SEKISHO_A_ROUTE_ADDR,
					SEKISHO_A_ROUTE_ADDR, r->family,
					&r->addr) ||
		    nla_put_u8(msg, SEKISHO_A_ROUTE_PREFIXLEN, r->plen))
			return -EMSGSIZE;
		nla_nest_end(msg, rn);
	}
	nla_nest_end(msg, routes);
	return 0;
}

/*
 * One peer message.  0 also when the peer was removed meanwhile (nothing
 * is added then); -EMSGSIZE when msg is full.
 */
static int sekisho_nl_fill_peer(struct sk_buff *msg, struct sekisho_peer *peer,
				u32 portid, u32 seq, int flags,
				struct netlink_callback *cb)
{
	const struct sekisho_peer_cfg *cfg;
	const struct sekisho_endpoint *ep;
	union sekisho_addr local;
	struct nlattr *nest;
	__be16 lport;
	void *hdr;

	hdr = sekisho_nl_msg_put(msg, portid, seq, flags, SEKISHO_CMD_PEER_GET,
				 cb, peer->sdev->dev->ifindex);
	if (!hdr)
		return -EMSGSIZE;

	rcu_read_lock();
	ep = rcu_dereference(peer->ep);
	cfg = rcu_dereference(peer->cfg);
	/* removed meanwhile; a stream-only peer has no endpoint */
	if (!cfg || (!ep && !peer->stream)) {
		rcu_read_unlock();
		genlmsg_cancel(msg, hdr);
		return 0;
	}
	if (ep)
		sekisho_sock_local(peer, ep->key.ss, ep->key.family, &local,
				   &lport);
	nest = nla_nest_start(msg, SEKISHO_A_PEER);
	if (!nest ||
	    nla_put_u32(msg, SEKISHO_A_PEER_ID, peer->id) ||
	    (ep &&
	     (sekisho_nl_put_addr(msg, SEKISHO_A_PEER_REMOTE_IPV4,
				  SEKISHO_A_PEER_REMOTE_IPV6, ep->key.family,
				  &ep->key.addr) ||
	      nla_put_be16(msg, SEKISHO_A_PEER_REMOTE_PORT, ep->key.port) ||
	      sekisho_nl_put_addr(msg, SEKISHO_A_PEER_LOCAL_IPV4,
				  SEKISHO_A_PEER_LOCAL_IPV6, ep->key.family,
				  &local) ||
	      nla_put_be16(msg, SEKISHO_A_PEER_LOCAL_PORT, lport))) ||
	    (cfg->has_vpn4 &&
	     nla_put_in_addr(msg, SEKISHO_A_PEER_VPN_IPV4, cfg->vpn4)) ||
	    (cfg->has_vpn6 &&
	     nla_put_in6_addr(msg, SEKISHO_A_PEER_VPN_IPV6, &cfg->vpn6)) ||
	    sekisho_nl_put_routes(msg, cfg) ||
	    nla_put_u32(msg, SEKISHO_A_PEER_POLICY_ID,
			cfg->policy ? cfg->policy->id : 0) ||
	    nla_put_u32(msg, SEKISHO_A_PEER_IDLE_TIMEOUT, cfg->idle_timeout) ||
	    nla_put_u64_64bit(msg, SEKISHO_A_PEER_LAST_RX_MSECS,
			      jiffies_to_msecs(jiffies -
					       READ_ONCE(peer->last_rx)),
			      SEKISHO_A_PEER_PAD) ||
	    sekisho_nl_put_stats(msg, SEKISHO_A_PEER_STATS, peer->stats) ||
	    sekisho_nl_put_keys(msg, peer))
		goto err;
	rcu_read_unlock();
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return 0;
err:
	rcu_read_unlock();
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

int sekisho_nl_peer_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sekisho_peer *peer;
	struct sk_buff *msg;
	int ret;
	u32 id;

	ret = sekisho_nl_peer_id(info, &id);
	if (ret)
		return ret;
	msg = genlmsg_new(SEKISHO_NL_PEER_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	peer = sekisho_nl_find_peer(sdev, id, info->attrs[SEKISHO_A_PEER],
				    info->extack);
	ret = peer ? sekisho_nl_fill_peer(msg, peer, info->snd_portid,
					  info->snd_seq, 0, NULL) : -ENOENT;
	if (ret)
		goto err;
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

/*
 * The device of a PEER_GET or POLICY_GET dump; POLICY_GET may name one
 * policy.  attrs has the size of the command's policy: PEER_GET's ends
 * before SEKISHO_A_POLICY.
 */
int sekisho_nl_dump_start(struct netlink_callback *cb)
{
	struct sekisho_dump_ctx *ctx = sekisho_dump_ctx(cb);
	struct nlattr **attrs = sekisho_dump_attrs(cb);
	struct nlattr *tb[SEKISHO_NL_MAX(sekisho_policy_id_input) + 1];
	struct net_device *dev;
	int ret;

	/* PEER_GET's do and dump share a policy: the dump takes no PEER */
	if (sekisho_dump_cmd(cb) == SEKISHO_CMD_PEER_GET &&
	    attrs[SEKISHO_A_PEER]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[SEKISHO_A_PEER],
				    "a peer dump takes no SEKISHO_A_PEER (get one peer without NLM_F_DUMP)");
		return -EINVAL;
	}
	dev = sekisho_nl_dev_get(sock_net(cb->skb->sk), attrs, cb->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ctx->ifindex = dev->ifindex;
	dev_put(dev);
	if (sekisho_dump_cmd(cb) == SEKISHO_CMD_POLICY_GET &&
	    attrs[SEKISHO_A_POLICY]) {
		ret = nla_parse_nested(tb, SEKISHO_NL_MAX(sekisho_policy_id_input),
				       attrs[SEKISHO_A_POLICY],
				       sekisho_policy_id_input_nl_policy,
				       cb->extack);
		if (ret)
			return ret;
		if (tb[SEKISHO_A_POLICY_ID])
			ctx->filter_id = nla_get_u32(tb[SEKISHO_A_POLICY_ID]);
	}
	return 0;
}

/*
 * One call of a PEER_GET or POLICY_GET dump: fill() puts what fits from
 * ctx->next_id on, under RCU, and returns non-zero (with ctx->next_id where
 * to continue) when the message is full.
 */
static int sekisho_nl_dump(struct sk_buff *skb, struct netlink_callback *cb,
			   int (*fill)(struct sk_buff *skb,
				       struct netlink_callback *cb,
				       struct sekisho_dev *sdev))
{
	struct sekisho_dump_ctx *ctx = sekisho_dump_ctx(cb);
	struct sekisho_dev *sdev;
	int ret;

	if (ctx->done)
		return 0;
	rcu_read_lock();
	sdev = sekisho_dump_dev(cb);
	if (!sdev) {
		rcu_read_unlock();
		return -ENODEV;
	}
	ret = fill(skb, cb, sdev);
	ctx->done = !ret;
	rcu_read_unlock();
	/* one peer (or policy rule) that does not fit into an empty message */
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static int sekisho_nl_dump_peers(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 struct sekisho_dev *sdev)
{
	struct sekisho_dump_ctx *ctx = sekisho_dump_ctx(cb);
	struct sekisho_peer *peer;
	unsigned long id;
	int ret;

	cb->seq = READ_ONCE(sdev->peers_gen);
	xa_for_each_start(&sdev->peers, id, peer, ctx->next_id) {
		ret = sekisho_nl_fill_peer(skb, peer,
					   NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI, cb);
		if (ret) {
			ctx->next_id = id;
			return ret;
		}
	}
	return 0;
}

int sekisho_nl_peer_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	return sekisho_nl_dump(skb, cb, sekisho_nl_dump_peers);
}

/* ---- KEY_NEW / KEY_DEL --------------------------------------------------- */

static int sekisho_nl_parse_keydir(struct nlattr *dir, u32 cipher,
				   const u8 **key, const u8 **iv,
				   bool *has_seq, u64 *seq,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SEKISHO_A_KEYDIR_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, SEKISHO_A_KEYDIR_MAX, dir,
			       sekisho_keydir_nl_policy, extack);
	if (ret)
		return ret;
	if (!sekisho_nl_need(extack, dir, tb, SEKISHO_A_KEYDIR_KEY,
			     "missing SEKISHO_A_KEYDIR_KEY") ||
	    !sekisho_nl_need(extack, dir, tb, SEKISHO_A_KEYDIR_IV,
			     "missing SEKISHO_A_KEYDIR_IV"))
		return -EINVAL;
	if (nla_len(tb[SEKISHO_A_KEYDIR_KEY]) != sekisho_rec_key_len(cipher)) {
		sekisho_set_err(extack, tb[SEKISHO_A_KEYDIR_KEY],
				cipher == SEKISHO_CIPHER_AES128_GCM ?
				"AES-128-GCM needs a 16-byte key" :
				"this cipher needs a 32-byte key");
		return -EINVAL;
	}
	if (nla_len(tb[SEKISHO_A_KEYDIR_IV]) != sekisho_rec_iv_len(cipher)) {
		sekisho_set_err(extack, tb[SEKISHO_A_KEYDIR_IV],
				cipher == SEKISHO_CIPHER_CHACHA20_POLY1305 ?
				"ChaCha20-Poly1305 needs a 12-byte IV" :
				"AES-GCM needs a 4-byte salt");
		return -EINVAL;
	}
	*key = nla_data(tb[SEKISHO_A_KEYDIR_KEY]);
	*iv = nla_data(tb[SEKISHO_A_KEYDIR_IV]);
	*has_seq = tb[SEKISHO_A_KEYDIR_SEQ];
	if (*has_seq)
		*seq = nla_get_u64(tb[SEKISHO_A_KEYDIR_SEQ]);
	return 0;
}

/* wipe every KEY and IV of the request's key directions, in place */
static void sekisho_nl_wipe_keys(struct nlattr *keyconf)
{
	struct nlattr *dir, *a;
	int rem, rem2;

	if (!keyconf)
		return;
	nla_for_each_nested(dir, keyconf, rem) {
		if (nla_type(dir) != SEKISHO_A_KEYCONF_ENCRYPT_DIR &&
		    nla_type(dir) != SEKISHO_A_KEYCONF_DECRYPT_DIR)
			continue;
		nla_for_each_nested(a, dir, rem2)
			if (nla_type(a) == SEKISHO_A_KEYDIR_KEY ||
			    nla_type(a) == SEKISHO_A_KEYDIR_IV)
				memzero_explicit(nla_data(a), nla_len(a));
	}
}

static int sekisho_nl_key_new(struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[SEKISHO_A_KEYCONF_MAX + 1] = {};
	struct nlattr *nest = info->attrs[SEKISHO_A_KEYCONF];
	struct sekisho_key_params kp = {};
	struct sekisho_peer *peer;
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sekisho_key *key;
	const char *why = NULL;
	bool has_seq;
	u32 peer_id;
	int ret;

	ret = SEKISHO_NL_PARSE_NEST(info, SEKISHO_A_KEYCONF, tb,
				    sekisho_key_new_input);
	if (ret)
		return ret;
	if (!sekisho_nl_need(extack, nest, tb, SEKISHO_A_KEYCONF_PEER_ID,
			     "missing SEKISHO_A_KEYCONF_PEER_ID") ||
	    !sekisho_nl_need(extack, nest, tb, SEKISHO_A_KEYCONF_EPOCH,
			     "missing SEKISHO_A_KEYCONF_EPOCH") ||
	    !sekisho_nl_need(extack, nest, tb, SEKISHO_A_KEYCONF_CIPHER,
			     "missing SEKISHO_A_KEYCONF_CIPHER") ||
	    !sekisho_nl_need(extack, nest, tb, SEKISHO_A_KEYCONF_ENCRYPT_DIR,
			     "missing SEKISHO_A_KEYCONF_ENCRYPT_DIR") ||
	    !sekisho_nl_need(extack, nest, tb, SEKISHO_A_KEYCONF_DECRYPT_DIR,
			     "missing SEKISHO_A_KEYCONF_DECRYPT_DIR"))
		return -EINVAL;
	peer_id = nla_get_u32(tb[SEKISHO_A_KEYCONF_PEER_ID]);
	kp.epoch = nla_get_u16(tb[SEKISHO_A_KEYCONF_EPOCH]);
	kp.cipher = nla_get_u32(tb[SEKISHO_A_KEYCONF_CIPHER]);
	ret = sekisho_nl_parse_keydir(tb[SEKISHO_A_KEYCONF_ENCRYPT_DIR],
				      kp.cipher, &kp.tx_key, &kp.tx_iv,
				      &has_seq, &kp.tx_seq, extack);
	if (ret)
		return ret;
	if (!has_seq)
		kp.tx_seq = 1;
	ret = sekisho_nl_parse_keydir(tb[SEKISHO_A_KEYCONF_DECRYPT_DIR],
				      kp.cipher, &kp.rx_key, &kp.rx_iv,
				      &kp.rx_seq_set, &kp.rx_seq, extack);
	if (ret)
		return ret;

	peer = sekisho_nl_find_peer(sdev, peer_id,
				    tb[SEKISHO_A_KEYCONF_PEER_ID], extack);
	if (!peer) {
		ret = -ENOENT;
		goto out;
	}
	if (!peer->ss) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SEKISHO_A_KEYCONF_PEER_ID],
				    "the peer has no SEKISHO_A_PEER_SOCKET, so no DTLS key");
		ret = -EINVAL;
		goto out;
	}
	key = sekisho_key_create(&kp, &why);
	if (IS_ERR(key)) {
		sekisho_set_err(extack, tb[SEKISHO_A_KEYCONF_CIPHER], why);
		ret = PTR_ERR(key);
		goto out;
	}
	sekisho_peer_key_install(peer, key);
out:
	return ret;
}

int sekisho_nl_key_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	int ret = sekisho_nl_key_new(info);

	/* the transforms hold the keys now (or nobody does) */
	sekisho_nl_wipe_keys(info->attrs[SEKISHO_A_KEYCONF]);
	return ret;
}

int sekisho_nl_key_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[SEKISHO_A_KEYCONF_MAX + 1] = {};
	struct nlattr *nest = info->attrs[SEKISHO_A_KEYCONF];
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sekisho_peer *peer;
	u32 slot;
	int ret;

	ret = SEKISHO_NL_PARSE_NEST(info, SEKISHO_A_KEYCONF, tb,
				    sekisho_key_del_input);
	if (ret)
		return ret;
	if (!sekisho_nl_need(extack, nest, tb, SEKISHO_A_KEYCONF_PEER_ID,
			     "missing SEKISHO_A_KEYCONF_PEER_ID") ||
	    !sekisho_nl_need(extack, nest, tb, SEKISHO_A_KEYCONF_SLOT,
			     "missing SEKISHO_A_KEYCONF_SLOT"))
		return -EINVAL;
	slot = nla_get_u32(tb[SEKISHO_A_KEYCONF_SLOT]);

	peer = sekisho_nl_find_peer(sdev,
				    nla_get_u32(tb[SEKISHO_A_KEYCONF_PEER_ID]),
				    tb[SEKISHO_A_KEYCONF_PEER_ID], extack);
	if (!peer) {
		ret = -ENOENT;
	} else {
		ret = sekisho_peer_key_del(peer, slot);
		if (ret)
			NL_SET_ERR_MSG_ATTR(extack, tb[SEKISHO_A_KEYCONF_SLOT],
					    "no key in this slot");
	}
	return ret;
}

/* ---- POLICY_NEW / POLICY_SET / POLICY_DEL -------------------------------- */

static int sekisho_nl_parse_rule(const struct nlattr *a, u32 idx,
				 struct sekisho_rule *r,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SEKISHO_A_RULE_MAX + 1];
	const char *why = NULL;
	u8 afam;
	int ret;

	ret = nla_parse_nested(tb, SEKISHO_A_RULE_MAX, a,
			       sekisho_rule_nl_policy, extack);
	if (ret)
		return ret;
	if (!sekisho_nl_need(extack, a, tb, SEKISHO_A_RULE_ACTION,
			     "a rule needs SEKISHO_A_RULE_ACTION") ||
	    !sekisho_nl_need(extack, a, tb, SEKISHO_A_RULE_FAMILY,
			     "a rule needs SEKISHO_A_RULE_FAMILY"))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->action = nla_get_u8(tb[SEKISHO_A_RULE_ACTION]);
	r->family = nla_get_u8(tb[SEKISHO_A_RULE_FAMILY]);
	if (tb[SEKISHO_A_RULE_ADDR]) {
		if (sekisho_nl_addr_family(tb[SEKISHO_A_RULE_ADDR], &afam) ||
		    afam != r->family) {
			sekisho_nl_err_fmt(extack, tb[SEKISHO_A_RULE_ADDR],
					   "the rule's address length does not match its family",
					   "rule %u: address length does not match the family",
					   idx);
			return -EINVAL;
		}
		nla_memcpy(&r->addr, tb[SEKISHO_A_RULE_ADDR], sizeof(r->addr));
	}
	if (tb[SEKISHO_A_RULE_PREFIXLEN])
		r->prefixlen = nla_get_u8(tb[SEKISHO_A_RULE_PREFIXLEN]);
	if (tb[SEKISHO_A_RULE_PROTO])
		r->proto = nla_get_u8(tb[SEKISHO_A_RULE_PROTO]);
	r->port_min = tb[SEKISHO_A_RULE_PORT_MIN] ?
		      nla_get_u16(tb[SEKISHO_A_RULE_PORT_MIN]) : 0;
	r->port_max = tb[SEKISHO_A_RULE_PORT_MAX] ?
		      nla_get_u16(tb[SEKISHO_A_RULE_PORT_MAX]) : U16_MAX;
	if (sekisho_rule_validate(r, &why)) {
		sekisho_nl_err_fmt(extack, a, why ?: "invalid rule",
				   "rule %u: %s", idx, why ?: "invalid");
		return -EINVAL;
	}
	return 0;
}

/*
 * The rules of POLICY_NEW/SET.  A policy fits one POLICY nest up to about
 * 1,000 rules (an attribute holds at most 64 KiB); beyond that userspace
 * sends several top-level POLICY nests in the same message, each with the
 * same ID, NUM_RULES (the total) and FIRST_RULE (its first rule's index),
 * in order.  The replacement stays atomic: it is one message.
 */
static int sekisho_nl_parse_policy(struct genl_info *info, u32 *id,
				   struct sekisho_rule **rulesp, u32 *np,
				   const struct nlattr **a_rules)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[SEKISHO_A_POLICY_MAX + 1] = {};
	struct sekisho_rule *rules = NULL;
	const struct nlattr *a, *r;
	u32 n = 0, filled = 0, chunks = 0, first;
	int rem, rem2, ret;

	if (!sekisho_nl_need(extack, NULL, info->attrs, SEKISHO_A_POLICY,
			     "missing SEKISHO_A_POLICY"))
		return -EINVAL;

	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(a) != SEKISHO_A_POLICY)
			continue;
		ret = nla_parse_nested(tb,
				       SEKISHO_NL_MAX(sekisho_policy_new_input),
				       a, sekisho_policy_new_input_nl_policy,
				       extack);
		if (ret)
			goto err;
		ret = -EINVAL;
		if (!sekisho_nl_need(extack, a, tb, SEKISHO_A_POLICY_ID,
				     "missing SEKISHO_A_POLICY_ID"))
			goto err;
		if (chunks++ == 0) {
			*id = nla_get_u32(tb[SEKISHO_A_POLICY_ID]);
			*a_rules = tb[SEKISHO_A_POLICY_RULES] ?: a;
			if (tb[SEKISHO_A_POLICY_NUM_RULES]) {
				n = nla_get_u32(tb[SEKISHO_A_POLICY_NUM_RULES]);
			} else if (tb[SEKISHO_A_POLICY_RULES]) {
				nla_for_each_nested(r, tb[SEKISHO_A_POLICY_RULES],
						    rem2)
					n++;
			}
			if (n > SEKISHO_MAX_RULES) {
				NL_SET_ERR_MSG_ATTR(extack, a,
						    "more than SEKISHO_MAX_RULES rules");
				ret = -E2BIG;
				goto err;
			}
			rules = kvcalloc(max(n, 1U), sizeof(*rules), GFP_KERNEL);
			if (!rules) {
				ret = -ENOMEM;
				goto err;
			}
		} else if (!tb[SEKISHO_A_POLICY_NUM_RULES] ||
			   !tb[SEKISHO_A_POLICY_FIRST_RULE] ||
			   nla_get_u32(tb[SEKISHO_A_POLICY_NUM_RULES]) != n ||
			   nla_get_u32(tb[SEKISHO_A_POLICY_ID]) != *id) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "a policy in several SEKISHO_A_POLICY parts needs the same ID and NUM_RULES and a FIRST_RULE in each");
			goto err;
		}
		if (tb[SEKISHO_A_POLICY_FIRST_RULE]) {
			first = nla_get_u32(tb[SEKISHO_A_POLICY_FIRST_RULE]);
			if (first != filled) {
				NL_SET_ERR_MSG_ATTR(extack,
						    tb[SEKISHO_A_POLICY_FIRST_RULE],
						    "the parts of a policy must follow each other in order");
				goto err;
			}
		}
		if (!tb[SEKISHO_A_POLICY_RULES])
			continue;
		nla_for_each_nested(r, tb[SEKISHO_A_POLICY_RULES], rem2) {
			if (filled >= n) {
				NL_SET_ERR_MSG_ATTR(extack, r,
						    "more rules than SEKISHO_A_POLICY_NUM_RULES");
				goto err;
			}
			ret = sekisho_nl_parse_rule(r, filled, &rules[filled],
						    extack);
			if (ret)
				goto err;
			ret = -EINVAL;
			filled++;
		}
	}
	if (filled != n) {
		NL_SET_ERR_MSG(extack, "fewer rules than SEKISHO_A_POLICY_NUM_RULES");
		ret = -EINVAL;
		goto err;
	}
	*rulesp = rules;
	*np = n;
	return 0;
err:
	kvfree(rules);
	return ret;
}

static int sekisho_nl_policy_new_set(struct genl_info *info, bool is_new)
{
	const struct nlattr *a_rules = NULL;
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sekisho_rule *rules;
	u32 id, n;
	int ret;

	ret = sekisho_nl_parse_policy(info, &id, &rules, &n, &a_rules);
	if (ret)
		return ret;
	/* both consume rules */
	if (is_new)
		ret = sekisho_policy_new(sdev, id, rules, n, a_rules,
					 info->extack);
	else
		ret = sekisho_policy_set(sdev, id, rules, n, a_rules,
					 info->extack);
	return ret;
}

int sekisho_nl_policy_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return sekisho_nl_policy_new_set(info, true);
}

int sekisho_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return sekisho_nl_policy_new_set(info, false);
}

static int sekisho_nl_policy_id(struct genl_info *info, u32 *id,
				struct nlattr **a_id)
{
	return sekisho_nl_id(info, SEKISHO_A_POLICY, SEKISHO_A_POLICY_ID,
			     sekisho_policy_id_input_nl_policy, id, a_id);
}

int sekisho_nl_policy_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct nlattr *a_id;
	int ret;
	u32 id;

	ret = sekisho_nl_policy_id(info, &id, &a_id);
	if (ret)
		return ret;
	return sekisho_policy_del(sdev, id, a_id, info->extack);
}

/* ---- POLICY_GET ---------------------------------------------------------- */

static int sekisho_nl_put_rule(struct sk_buff *msg, const struct sekisho_rule *r)
{
	struct nlattr *nest = nla_nest_start(msg, SEKISHO_A_POLICY_RULE);

	if (!nest ||
	    nla_put_u8(msg, SEKISHO_A_RULE_ACTION, r->action) ||
	    nla_put_u8(msg, SEKISHO_A_RULE_FAMILY, r->family) ||
	    (r->prefixlen &&
	     nla_put(msg, SEKISHO_A_RULE_ADDR, r->family == AF_INET ? 4 : 16,
		     &r->addr)) ||
	    nla_put_u8(msg, SEKISHO_A_RULE_PREFIXLEN, r->prefixlen) ||
	    nla_put_u8(msg, SEKISHO_A_RULE_PROTO, r->proto) ||
	    ((r->port_min || r->port_max != U16_MAX) &&
	     (nla_put_u16(msg, SEKISHO_A_RULE_PORT_MIN, r->port_min) ||
	      nla_put_u16(msg, SEKISHO_A_RULE_PORT_MAX, r->port_max)))) {
		if (nest)
			nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * One message of a policy: its header and as many rules from *first on as
 * fit.  *first moves past them.  -EMSGSIZE when not even the header (or,
 * with rules left, not one rule) fits.  Under RCU or the device lock.
 */
static int sekisho_nl_fill_policy(struct sk_buff *msg,
				  struct sekisho_dev *sdev,
				  struct sekisho_policy *pol, u32 *first,
				  u32 portid, u32 seq, int flags,
				  struct netlink_callback *cb)
{
	const struct sekisho_policy_rules *r;
	struct nlattr *nest, *rules;
	u32 i;
	void *hdr;

	r = rcu_dereference_check(pol->rules, lockdep_is_held(&sdev->lock));
	hdr = sekisho_nl_msg_put(msg, portid, seq, flags, SEKISHO_CMD_POLICY_GET,
				 cb, sdev->dev->ifindex);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(msg, SEKISHO_A_POLICY);
	if (!nest ||
	    nla_put_u32(msg, SEKISHO_A_POLICY_ID, pol->id) ||
	    nla_put_u32(msg, SEKISHO_A_POLICY_NUM_RULES, r->n) ||
	    nla_put_u32(msg, SEKISHO_A_POLICY_REFS, READ_ONCE(pol->refs)) ||
	    nla_put_u32(msg, SEKISHO_A_POLICY_FIRST_RULE, *first))
		goto err;
	rules = nla_nest_start(msg, SEKISHO_A_POLICY_RULES);
	if (!rules)
		goto err;
	for (i = *first; i < r->n; i++)
		if (sekisho_nl_put_rule(msg, &r->rules[i]))
			break;
	if (i == *first && i < r->n)
		goto err;
	nla_nest_end(msg, rules);
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	*first = i < r->n ? i : U32_MAX;
	return 0;
err:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

int sekisho_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sekisho_dev *sdev = info->user_ptr[0];
	struct sekisho_policy *pol;
	struct sk_buff *msg;
	struct nlattr *a_id;
	u32 id, first = 0;
	int ret;

	ret = sekisho_nl_policy_id(info, &id, &a_id);
	if (ret)
		return ret;
	/* a long policy: the first rules here, all of them in a dump */
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	pol = sekisho_policy_find(sdev, id);
	if (pol) {
		ret = sekisho_nl_fill_policy(msg, sdev, pol, &first,
					     info->snd_portid, info->snd_seq,
					     0, NULL);
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, a_id,
				    "no policy with this id on the device");
		ret = -ENOENT;
	}
	if (ret)
		goto err;
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

static int sekisho_nl_dump_policies(struct sk_buff *skb,
				    struct netlink_callback *cb,
				    struct sekisho_dev *sdev)
{
	struct sekisho_dump_ctx *ctx = sekisho_dump_ctx(cb);
	struct sekisho_policy *pol;
	unsigned long id;
	int ret;

	cb->seq = READ_ONCE(sdev->policies_gen);
	xa_for_each_start(&sdev->policies, id, pol, ctx->next_id) {
		if (ctx->filter_id && id != ctx->filter_id)
			continue;
		while (ctx->next_rule != U32_MAX) {
			ret = sekisho_nl_fill_policy(skb, sdev, pol,
						     &ctx->next_rule,
						     NETLINK_CB(cb->skb).portid,
						     cb->nlh->nlmsg_seq,
						     NLM_F_MULTI, cb);
			if (ret) {
				ctx->next_id = id;
				return ret;
			}
		}
		ctx->next_rule = 0;
	}
	return 0;
}

int sekisho_nl_policy_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	return sekisho_nl_dump(skb, cb, sekisho_nl_dump_policies);
}

/* ---- the family (operations and policies: netlink-gen.c) ------------- */

struct genl_family sekisho_genl_family __ro_after_init = {
	.name = SEKISHO_FAMILY_NAME,
	.version = SEKISHO_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = sekisho_nl_ops,
	.n_ops = ARRAY_SIZE(sekisho_nl_ops),
	.pre_doit = sekisho_nl_pre_doit,
	.post_doit = sekisho_nl_post_doit,
	/* a new family: strict checks for every operation */
	.resv_start_op = 0,
	.mcgrps = sekisho_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sekisho_nl_mcgrps),
};

int sekisho_nl_init(void)
{
	return genl_register_family(&sekisho_genl_family);
}

void sekisho_nl_exit(void)
{
	genl_unregister_family(&sekisho_genl_family);
}
