/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Peers: one per VPN session.  A peer is found on receive by its remote UDP
 * endpoint (per socket), on transmit by the inner destination (its VPN
 * address, then its routed prefixes).
 */
#ifndef _SEKISHO_PEER_H
#define _SEKISHO_PEER_H

#include <linux/in6.h>
#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <net/dst_cache.h>

#include "device.h"
#include "frag.h"

struct sekisho_sock;
struct sekisho_stream;
struct sekisho_key;
struct sekisho_policy;

union sekisho_addr {
	__be32 v4;
	struct in6_addr v6;
};

/*
 * Hash key of the receive lookup.  Compared as bytes: build it with
 * sekisho_ep_key_init() so that padding and unused address bytes are zero.
 */
struct sekisho_ep_key {
	const struct sekisho_sock *ss;
	union sekisho_addr addr;
	__be16 port;
	u8 family;		/* AF_INET or AF_INET6 */
	u8 pad;
};

struct sekisho_endpoint {
	struct rhash_head node;
	struct sekisho_ep_key key;
	struct sekisho_peer *peer;
	struct rcu_head rcu;
};

/* Hash key of the exact-match transmit lookup (assigned VPN addresses). */
struct sekisho_vpn_key {
	union sekisho_addr addr;
	u8 family;
	u8 pad[3];
};

struct sekisho_vpn_node {
	struct rhash_head node;
	struct sekisho_vpn_key key;
	struct sekisho_peer *peer;
	struct rcu_head rcu;
};

struct sekisho_route {
	union sekisho_addr addr;	/* host bits are zero */
	u8 family;
	u8 plen;
};

/*
 * The part of a peer that PEER_SET changes, replaced as a whole under RCU
 * so that the datapath always sees one consistent version.
 */
struct sekisho_peer_cfg {
	struct rcu_head rcu;
	struct sekisho_policy *policy;	/* NULL: deny everything */
	u32 idle_timeout;		/* seconds, 0 = never */
	bool has_vpn4;
	bool has_vpn6;
	__be32 vpn4;
	struct in6_addr vpn6;
	u32 nroutes;
	struct sekisho_route routes[];
};

enum sekisho_key_slot_idx {
	SEKISHO_SLOT_PRIMARY = SEKISHO_KEY_SLOT_PRIMARY,
	SEKISHO_SLOT_SECONDARY = SEKISHO_KEY_SLOT_SECONDARY,
	SEKISHO_NSLOTS
};

struct sekisho_peer {
	struct sekisho_dev *sdev;
	u32 id;
	refcount_t refcnt;	/* the device's peer set, and users in flight */
	bool dead;		/* unlinked from the device; under sdev->lock */
	/*
	 * UDP socket or NULL, with a reference; PEER_SET adds or replaces
	 * it under sdev->lock (never across namespaces).  The datapath sends
	 * through the endpoint's socket (ep->key.ss), not this one.
	 */
	struct sekisho_sock *ss;
	struct sekisho_stream *stream;	/* CSTP stream or NULL, immutable */
	/*
	 * The client last sent over the stream: transmit there too, even
	 * with a key (its DTLS may be blocked or broken).
	 */
	bool via_stream;
	netdevice_tracker dev_tracker;

	struct sekisho_endpoint __rcu *ep;
	struct sekisho_peer_cfg __rcu *cfg;
	struct sekisho_key __rcu *keys[SEKISHO_NSLOTS];
	struct sekisho_vpn_node *vpn4;	/* under sdev->lock */
	struct sekisho_vpn_node *vpn6;	/* under sdev->lock */

	/*
	 * Local address the peer's records arrive at, learned on receive
	 * when the socket is bound to the wildcard address, so that replies
	 * leave from the address the client talks to.
	 */
	seqlock_t local_lock;
	union sekisho_addr local;
	u8 local_family;		/* 0: not learned */

	struct dst_cache dst_cache;
	struct sekisho_pcpu_stats __percpu *stats;

	/*
	 * Records waiting for sekisho_rx_work(), which decrypts them in
	 * arrival order on whichever CPU the scheduler finds free.  Each
	 * queued record holds a peer and a key reference; a queued or
	 * running work item holds one more peer reference.
	 */
	struct sk_buff_head rx_queue;
	struct work_struct rx_work;
	atomic_t rx_queued;		/* queued or being decrypted there */
	unsigned int rx_avg_len;	/* moving average of record lengths */
	int rx_cpu;			/* CPU that last queued a record */
	unsigned int rx_same;		/* work runs in a row on that CPU */
	/* jiffies: until then the softirq decrypts (sekisho_rx_work()) */
	unsigned long rx_inline_until;

	unsigned long created;		/* jiffies */
	unsigned long last_rx;		/* jiffies of the last valid record */
	bool idle_sent;			/* PEER_IDLE_NTF sent since last_rx */
	unsigned long deny_next;	/* jiffies: next POLICY_DENY sample */
	atomic_t deny_suppressed;	/* denials not sampled since the last */
	/* TCP/UDP datagrams whose first fragment was allowed (frag.h) */
	spinlock_t frag_lock;
	struct sekisho_frags frags;

	struct list_head sock_node;	/* in ss->peers; under sdev->lock */
	struct list_head route_node;	/* in sdev->routed_peers; under lock */
	struct rcu_work free_work;
};

/*
 * What PEER_NEW / PEER_SET asked for: netlink.c parses the request into it
 * and checks presence, ranges and combinations before peer.c sees it; the
 * attributes are kept only to point extack at them.
 */
struct sekisho_peer_params {
	u32 id;
	int fd;				/* UDP socket (NEW, SET); -1: none */
	int stream_fd;			/* PEER_NEW only; -1: none */
	u32 stream_kind;		/* enum sekisho_stream_kind */
	bool set_remote;
	u8 remote_family;		/* 0: keep (SET) or from socket (NEW) */
	union sekisho_addr remote_addr;
	bool set_port;
	__be16 remote_port;
	bool set_vpn4;
	bool set_vpn6;
	__be32 vpn4;			/* 0.0.0.0 on SET: remove */
	struct in6_addr vpn6;		/* :: on SET: remove */
	bool set_routes;
	u32 nroutes;
	struct sekisho_route routes[SEKISHO_MAX_ROUTES];
	bool set_policy;
	u32 policy_id;
	bool set_idle;
	u32 idle_timeout;
	/* attributes for error reports */
	const struct nlattr *a_peer, *a_socket, *a_stream, *a_remote, *a_port;
	const struct nlattr *a_vpn4, *a_vpn6, *a_routes, *a_policy;
};

int sekisho_peer_init_tables(struct sekisho_dev *sdev);
void sekisho_peer_destroy_tables(struct sekisho_dev *sdev);

/* configuration: under sdev->lock */
int sekisho_peer_new(struct sekisho_dev *sdev,
		     const struct sekisho_peer_params *p,
		     struct netlink_ext_ack *extack);
int sekisho_peer_set(struct sekisho_dev *sdev, struct sekisho_peer *peer,
		     const struct sekisho_peer_params *p,
		     struct netlink_ext_ack *extack);
void sekisho_peer_del(struct sekisho_peer *peer, u32 reason);
void sekisho_peer_del_all(struct sekisho_dev *sdev, u32 reason);
struct sekisho_peer *sekisho_peer_find(struct sekisho_dev *sdev, u32 id);

/* install a new key as primary (see datapath.md for the slot rules) */
void sekisho_peer_key_install(struct sekisho_peer *peer,
			      struct sekisho_key *key);
int sekisho_peer_key_del(struct sekisho_peer *peer, u32 slot);

/* datapath lookups: under rcu_read_lock */
struct sekisho_peer *sekisho_peer_by_endpoint(struct sekisho_dev *sdev,
					      const struct sekisho_ep_key *k);
/* with a reference, or NULL */
struct sekisho_peer *sekisho_peer_by_dst(struct sekisho_dev *sdev, u8 family,
					 const void *daddr);
bool sekisho_peer_src_ok(const struct sekisho_peer_cfg *cfg, u8 family,
			 const void *saddr);
void sekisho_peer_learn_local(struct sekisho_peer *peer, u8 family,
			      const void *daddr);

/* the namespace of the peer's transport (UDP socket, else stream) */
struct net *sekisho_peer_net(const struct sekisho_peer *peer);

void sekisho_ep_key_init(struct sekisho_ep_key *k,
			 const struct sekisho_sock *ss, u8 family,
			 const void *addr, __be16 port);

static inline bool sekisho_peer_get(struct sekisho_peer *peer)
{
	return refcount_inc_not_zero(&peer->refcnt);
}

void sekisho_peer_put(struct sekisho_peer *peer);

/* the idle scan (a delayed work per device) */
void sekisho_idle_work(struct work_struct *work);
void sekisho_idle_kick(struct sekisho_dev *sdev);

#endif /* _SEKISHO_PEER_H */
