/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transport sockets: UDP sockets created by userspace and handed over by
 * file descriptor.  One struct sekisho_sock per socket (sk_user_data), shared
 * by every peer of one device that uses the socket.
 */
#ifndef _SEKISHO_SOCKET_H
#define _SEKISHO_SOCKET_H

#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/refcount.h>
#include <net/sock.h>

#include "peer.h"

struct sekisho_sock {
	struct sock *sk;		/* a reference on the sock, not the file */
	struct sekisho_dev *sdev;
	netdevice_tracker dev_tracker;
	refcount_t refcnt;		/* attachment, each peer, temporary */
	u32 npeers;			/* attached peers; under sdev->lock */
	struct list_head peers;		/* under sdev->lock */
	struct rcu_head rcu;
};

/*
 * Under sdev->lock: look the descriptor up, check it is a bound UDP socket
 * that nobody else uses, and attach it (or join the existing attachment of
 * this device).  Returns the socket with one reference for the caller's
 * peer and npeers incremented.
 */
struct sekisho_sock *sekisho_sock_attach(struct sekisho_dev *sdev, int fd,
					 const struct nlattr *attr,
					 struct netlink_ext_ack *extack);
/* under sdev->lock: a peer stops using the socket (npeers--) */
void sekisho_sock_unuse(struct sekisho_sock *ss);
void sekisho_sock_put(struct sekisho_sock *ss);

/* the remote endpoint of a connected socket; false if not connected */
bool sekisho_sock_connected_remote(struct sekisho_sock *ss,
				   struct sekisho_ep_key *k);
/* may a record to family go out through this socket? */
bool sekisho_sock_family_ok(struct sekisho_sock *ss, u8 family);
/*
 * The local address records to the peer leave from (learned, else the
 * socket's; all zero: chosen by routing) and the socket's port.
 */
void sekisho_sock_local(struct sekisho_peer *peer,
			const struct sekisho_sock *ss, u8 family,
			union sekisho_addr *addr, __be16 *port);

/*
 * Send a sealed record (skb->data at the DTLS header) to the peer's
 * endpoint, through the endpoint's socket.  Consumes skb.  Bottom halves
 * off.
 */
int sekisho_sock_send(struct sekisho_peer *peer, struct sk_buff *skb);

/* UDP encap_rcv (rx.c) */
int sekisho_udp_recv(struct sock *sk, struct sk_buff *skb);

#endif /* _SEKISHO_SOCKET_H */
