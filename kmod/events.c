// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications.  Each goes to the "events" group in the network namespace
 * of the device (not of the socket), and only when someone listens there.
 * Nothing here is reachable by an unauthenticated packet: the datapath
 * events (key exhaustion, policy denials) follow a verified tag or a local
 * transmit, the others are configuration or timer facts.
 */
#include <linux/in6.h>
#include <net/genetlink.h>

#include "crypto.h"
#include "events.h"
#include "netlink.h"
#include "peer.h"

/* every event fits: ifindex, ifname and at most two small nests */
#define SEKISHO_EV_SIZE	256

static void *sekisho_ev_start(struct sekisho_peer *peer, u8 cmd, gfp_t gfp,
			      struct sk_buff **msgp)
{
	struct net_device *dev = peer->sdev->dev;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&sekisho_genl_family, dev_net(dev), 0))
		return NULL;
	msg = genlmsg_new(SEKISHO_EV_SIZE, gfp);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, 0, 0, &sekisho_genl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(msg, SEKISHO_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, SEKISHO_A_IFNAME, dev->name)) {
		nlmsg_free(msg);
		return NULL;
	}
	*msgp = msg;
	return hdr;
}

static void sekisho_ev_send(struct sekisho_peer *peer, struct sk_buff *msg,
			    void *hdr, gfp_t gfp)
{
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&sekisho_genl_family, dev_net(peer->sdev->dev),
				msg, 0, 0, gfp);
}

/* PEER{ID, ...}: open the nest and put the id */
static struct nlattr *sekisho_ev_peer_nest(struct sk_buff *msg,
					   struct sekisho_peer *peer)
{
	struct nlattr *nest = nla_nest_start(msg, SEKISHO_A_PEER);

	if (nest && nla_put_u32(msg, SEKISHO_A_PEER_ID, peer->id)) {
		nla_nest_cancel(msg, nest);
		return NULL;
	}
	return nest;
}

void sekisho_ev_peer_del(struct sekisho_peer *peer, u32 reason)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	hdr = sekisho_ev_start(peer, SEKISHO_CMD_PEER_DEL_NTF, GFP_KERNEL, &msg);
	if (!hdr)
		return;
	nest = sekisho_ev_peer_nest(msg, peer);
	if (!nest || nla_put_u32(msg, SEKISHO_A_PEER_DEL_REASON, reason))
		goto err;
	nla_nest_end(msg, nest);
	sekisho_ev_send(peer, msg, hdr, GFP_KERNEL);
	return;
err:
	nlmsg_free(msg);
}

void sekisho_ev_peer_idle(struct sekisho_peer *peer, u64 idle_msecs)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	hdr = sekisho_ev_start(peer, SEKISHO_CMD_PEER_IDLE_NTF, GFP_KERNEL,
			       &msg);
	if (!hdr)
		return;
	nest = sekisho_ev_peer_nest(msg, peer);
	if (!nest || nla_put_u64_64bit(msg, SEKISHO_A_PEER_LAST_RX_MSECS,
				       idle_msecs, SEKISHO_A_PEER_PAD))
		goto err;
	nla_nest_end(msg, nest);
	sekisho_ev_send(peer, msg, hdr, GFP_KERNEL);
	return;
err:
	nlmsg_free(msg);
}

void sekisho_ev_key_exhaust(struct sekisho_peer *peer, u16 epoch, u64 seq)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	hdr = sekisho_ev_start(peer, SEKISHO_CMD_KEY_EXHAUST_NTF, GFP_ATOMIC,
			       &msg);
	if (!hdr)
		return;
	nest = nla_nest_start(msg, SEKISHO_A_KEYCONF);
	if (!nest ||
	    nla_put_u32(msg, SEKISHO_A_KEYCONF_PEER_ID, peer->id) ||
	    nla_put_u16(msg, SEKISHO_A_KEYCONF_EPOCH, epoch) ||
	    nla_put_u64_64bit(msg, SEKISHO_A_KEYCONF_TX_SEQ, seq,
			      SEKISHO_A_KEYCONF_PAD))
		goto err;
	nla_nest_end(msg, nest);
	sekisho_ev_send(peer, msg, hdr, GFP_ATOMIC);
	return;
err:
	nlmsg_free(msg);
}

void sekisho_ev_policy_deny(struct sekisho_peer *peer, u8 family,
			    const void *saddr, const void *daddr, u8 proto,
			    int dport, u32 suppressed)
{
	int alen = family == AF_INET ? 4 : 16;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	hdr = sekisho_ev_start(peer, SEKISHO_CMD_POLICY_DENY_NTF, GFP_ATOMIC,
			       &msg);
	if (!hdr)
		return;
	nest = sekisho_ev_peer_nest(msg, peer);
	if (!nest)
		goto err;
	nla_nest_end(msg, nest);
	nest = nla_nest_start(msg, SEKISHO_A_DENY);
	if (!nest ||
	    nla_put_u8(msg, SEKISHO_A_DENY_FAMILY, family) ||
	    nla_put(msg, SEKISHO_A_DENY_SADDR, alen, saddr) ||
	    nla_put(msg, SEKISHO_A_DENY_DADDR, alen, daddr) ||
	    nla_put_u8(msg, SEKISHO_A_DENY_PROTO, proto) ||
	    (dport >= 0 && nla_put_u16(msg, SEKISHO_A_DENY_DPORT, dport)) ||
	    nla_put_u32(msg, SEKISHO_A_DENY_SUPPRESSED, suppressed))
		goto err;
	nla_nest_end(msg, nest);
	sekisho_ev_send(peer, msg, hdr, GFP_ATOMIC);
	return;
err:
	nlmsg_free(msg);
}
