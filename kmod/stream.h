/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CSTP data path of a peer, of one of two kinds: a connected AF_UNIX
 * SOCK_SEQPACKET socket whose other end sekishod's TLS worker holds (one
 * message is one IP packet; the worker does the TLS and the CSTP framing),
 * or the client's TCP socket with kernel TLS installed, on which the
 * kernel reads and writes CSTP frames itself (ktls.c).  The kernel does
 * the rest (source and policy checks, routing, counters), as for DTLS.
 */
#ifndef _SEKISHO_STREAM_H
#define _SEKISHO_STREAM_H

#include <linux/netlink.h>
#include <linux/skbuff.h>

struct net;
struct sekisho_peer;
struct sekisho_stream;

/* PEER_NEW, before the peer is published; process context */
struct sekisho_stream *sekisho_stream_attach(struct sekisho_peer *peer, int fd,
					     u32 kind,
					     const struct nlattr *attr,
					     struct netlink_ext_ack *extack);
/* the peer is published: read what the worker sent before */
void sekisho_stream_start(struct sekisho_stream *st);
/* the peer is unlinked: no more receive; sleeps */
void sekisho_stream_stop(struct sekisho_stream *st);
/* the last peer reference is gone; sleeps */
void sekisho_stream_free(struct sekisho_stream *st);

/* queue one packet for the client; consumes skb (BH context is fine) */
void sekisho_stream_xmit(struct sekisho_peer *peer, struct sk_buff *skb);
struct net *sekisho_stream_net(const struct sekisho_stream *st);

#endif /* _SEKISHO_STREAM_H */
