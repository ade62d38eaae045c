/* SPDX-License-Identifier: GPL-2.0 */
/* Record receive (rx.c) and transmit (tx.c) paths. */
#ifndef _SEKISHO_DATAPATH_H
#define _SEKISHO_DATAPATH_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>

struct sekisho_peer;
struct sekisho_key;

netdev_tx_t sekisho_xmit(struct sk_buff *skb, struct net_device *dev);

/*
 * One inner packet of the peer (decrypted DTLS, or read from its CSTP
 * stream): source and policy checks, then up the device.  Consumes skb;
 * bottom halves off.
 */
void sekisho_rx_packet(struct sekisho_peer *peer, struct sk_buff *skb);

/* a peer's receive work: decrypts what sekisho_udp_recv() queued */
void sekisho_rx_work(struct work_struct *work);

/*
 * Seal skb (skb->data at the plaintext after the type byte) as one record
 * of payload type @type with the peer's primary key and send it.  Consumes
 * skb and one reference on peer.  count_len > 0: count a transmitted
 * packet of that many bytes once it is handed to the socket.
 */
void sekisho_tx_record(struct sekisho_peer *peer, struct sk_buff *skb, u8 type,
		       unsigned int count_len);

/*
 * Headroom a record needs in front of the inner packet: record header (13),
 * GCM explicit nonce (8), type byte (1), outer IPv6 (40) and UDP (8)
 * headers, and NET_SKB_PAD for the link layer below, as WireGuard does.
 */
#define SEKISHO_TX_HEADROOM	(13 + 8 + 1 + 40 + 8 + NET_SKB_PAD)

#endif /* _SEKISHO_DATAPATH_H */
