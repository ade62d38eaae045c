/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What stream.c (life cycle, socket callbacks, the worker relay, transmit)
 * and ktls.c (CSTP over a kTLS TCP socket) share.  Nothing else sees a
 * struct sekisho_stream.
 */
#ifndef _SEKISHO_STREAM_INT_H
#define _SEKISHO_STREAM_INT_H

#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>

#include "cstp.h"
#include "stats.h"

struct sekisho_peer;

struct sekisho_stream {
	struct sekisho_peer *peer;
	struct socket *sock;		/* holds a reference on its file */
	u32 kind;			/* enum sekisho_stream_kind */
	struct work_struct rx_work;
	struct work_struct tx_work;
	struct work_struct end_work;	/* ends the peer (end_reason) */
	struct sk_buff_head txq;
	bool started;			/* the peer is published */
	bool stopped;			/* the peer is unlinked */
	bool hooked;			/* our callbacks are installed */
	bool ended;			/* end_work is queued: read no more */
	u32 end_reason;			/* enum sekisho_del_reason */
	unsigned int tx_off;		/* bytes of txq's head already sent */
	/* kTLS receive: a CSTP header, then its payload (ktls.c) */
	u8 hdr[SEKISHO_CSTP_HLEN];
	unsigned int hdr_got;
	struct sk_buff *body;		/* payload so far; NULL: reading hdr */
	unsigned int body_len;
	/*
	 * the last bulk read (16 KiB) while whole frames of it wait for the
	 * next run, whose budget they did not fit; NULL between runs else
	 */
	u8 *rxbuf;
	unsigned int rx_off;		/* first byte not yet split */
	unsigned int rx_len;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
};

/* per-frame type of a queued skb (skb->cb), set by whoever queues it */
struct sekisho_stream_cb {
	unsigned int count_len;		/* > 0: a packet of this many bytes */
};

#define SEKISHO_STREAM_CB(skb) ((struct sekisho_stream_cb *)(skb)->cb)

/* stream.c, for ktls.c */
void sekisho_stream_count(struct sekisho_peer *peer, enum sekisho_stat s);
/* the client is alive and talks over this stream; process context */
void sekisho_stream_heard(struct sekisho_stream *st);
/* queue a frame for tx_work; consumes skb; false: the queue was full */
bool sekisho_stream_queue(struct sekisho_stream *st, struct sk_buff *skb);
/* hand a receive run's packets up, bottom halves off once; empties batch */
void sekisho_stream_flush(struct sekisho_stream *st,
			  struct sk_buff_head *batch);
/* end the peer with a reason from the receive work; read no more */
void sekisho_stream_end(struct sekisho_stream *st, u32 reason);

/* ktls.c */
int sekisho_ktls_check(struct socket *sock, const struct nlattr *attr,
		       struct netlink_ext_ack *extack);
void sekisho_ktls_rx(struct sekisho_stream *st);
/* put the CSTP DATA header in front of a packet; any context */
int sekisho_ktls_frame(struct sk_buff *skb);
/* drop a half-read frame (the stream is stopped) */
void sekisho_ktls_reset(struct sekisho_stream *st);

#endif /* _SEKISHO_STREAM_INT_H */
