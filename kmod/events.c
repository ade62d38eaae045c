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

/* what the event of a command carries besides the peer */
struct sekisho_ev {
	u32 reason;			/* PEER_DEL_NTF */
	u64 msecs;			/* PEER_IDLE_NTF */
	u16 epoch;			/* KEY_EXHAUST_NTF */
	u64 seq;			/* KEY_EXHAUST_NTF */
	u8 family;			/* POLICY_DENY_NTF, and the rest */
	const void *saddr, *daddr;
	u8 proto;
	int dport;			/* -1: none */
	u32 suppressed;
};

/* the nests of an event; -EMSGSIZE when they do not fit */
static int sekisho_ev_fill(struct sk_buff *msg, struct sekisho_peer *peer,
			   u8 cmd, const struct sekisho_ev *ev)
{
	int alen = ev->family == AF_INET ? 4 : 16;
	struct nlattr *nest;

	if (cmd == SEKISHO_CMD_KEY_EXHAUST_NTF) {
		nest = nla_nest_start(msg, SEKISHO_A_KEYCONF);
		if (!nest ||
		    nla_put_u32(msg, SEKISHO_A_KEYCONF_PEER_ID, peer->id) ||
		    nla_put_u16(msg, SEKISHO_A_KEYCONF_EPOCH, ev->epoch) ||
		    nla_put_u64_64bit(msg, SEKISHO_A_KEYCONF_TX_SEQ, ev->seq,
				      SEKISHO_A_KEYCONF_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
		return 0;
	}
	nest = nla_nest_start(msg, SEKISHO_A_PEER);
	if (!nest ||
	    nla_put_u32(msg, SEKISHO_A_PEER_ID, peer->id) ||
	    (cmd == SEKISHO_CMD_PEER_DEL_NTF &&
	     nla_put_u32(msg, SEKISHO_A_PEER_DEL_REASON, ev->reason)) ||
	    (cmd == SEKISHO_CMD_PEER_IDLE_NTF &&
	     nla_put_u64_64bit(msg, SEKISHO_A_PEER_LAST_RX_MSECS, ev->msecs,
			       SEKISHO_A_PEER_PAD)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	if (cmd != SEKISHO_CMD_POLICY_DENY_NTF)
		return 0;
	nest = nla_nest_start(msg, SEKISHO_A_DENY);
	if (!nest ||
	    nla_put_u8(msg, SEKISHO_A_DENY_FAMILY, ev->family) ||
	    nla_put(msg, SEKISHO_A_DENY_SADDR, alen, ev->saddr) ||
	    nla_put(msg, SEKISHO_A_DENY_DADDR, alen, ev->daddr) ||
	    nla_put_u8(msg, SEKISHO_A_DENY_PROTO, ev->proto) ||
	    (ev->dport >= 0 &&
	     nla_put_u16(msg, SEKISHO_A_DENY_DPORT, ev->dport)) ||
	    nla_put_u32(msg, SEKISHO_A_DENY_SUPPRESSED, ev->suppressed))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* the one builder: IFINDEX, IFNAME and the command's nests */
static void sekisho_ev_send(struct sekisho_peer *peer, u8 cmd, gfp_t gfp,
			    const struct sekisho_ev *ev)
{
	struct net_device *dev = peer->sdev->dev;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&sekisho_genl_family, dev_net(dev), 0))
		return;
	msg = genlmsg_new(SEKISHO_EV_SIZE, gfp);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &sekisho_genl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(msg, SEKISHO_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, SEKISHO_A_IFNAME, dev->name) ||
	    sekisho_ev_fill(msg, peer, cmd, ev)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&sekisho_genl_family, dev_net(dev), msg, 0, 0,
				gfp);
}

void sekisho_ev_peer_del(struct sekisho_peer *peer, u32 reason)
{
	struct sekisho_ev ev = { .reason = reason };

	sekisho_ev_send(peer, SEKISHO_CMD_PEER_DEL_NTF, GFP_KERNEL, &ev);
}

void sekisho_ev_peer_idle(struct sekisho_peer *peer, u64 idle_msecs)
{
	struct sekisho_ev ev = { .msecs = idle_msecs };

	sekisho_ev_send(peer, SEKISHO_CMD_PEER_IDLE_NTF, GFP_KERNEL, &ev);
}

void sekisho_ev_key_exhaust(struct sekisho_peer *peer, u16 epoch, u64 seq)
{
	struct sekisho_ev ev = { .epoch = epoch, .seq = seq };

	sekisho_ev_send(peer, SEKISHO_CMD_KEY_EXHAUST_NTF, GFP_ATOMIC, &ev);
}

void sekisho_ev_policy_deny(struct sekisho_peer *peer, u8 family,
			    const void *saddr, const void *daddr, u8 proto,
			    int dport, u32 suppressed)
{
	struct sekisho_ev ev = {
		.family = family, .saddr = saddr, .daddr = daddr,
		.proto = proto, .dport = dport, .suppressed = suppressed,
	};

	sekisho_ev_send(peer, SEKISHO_CMD_POLICY_DENY_NTF, GFP_ATOMIC, &ev);
}
