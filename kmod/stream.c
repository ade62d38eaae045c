// SPDX-License-Identifier: GPL-2.0
/*
 * The CSTP data path (stream.h): packets of a TLS-only client, relayed by
 * sekishod's worker over a SOCK_SEQPACKET pair, one packet per message.
 *
 * Receive: sk_data_ready only queues rx_work; the work reads at most
 * SEKISHO_STREAM_BUDGET messages per run and hands each to the same checks
 * and delivery as a decrypted DTLS record.  Transmit: ndo_start_xmit cannot
 * sleep in sendmsg, so packets wait in a bounded queue for tx_work, and a
 * full socket (a slow worker) keeps them there until sk_write_space.
 *
 * The peer owns the stream.  sekisho_stream_stop() runs when the peer is
 * unlinked, so that PEER_DEL followed by PEER_NEW with the same socket (a
 * DTLS handshake replacing the peer) finds it free again;
 * sekisho_stream_free() runs after the last peer reference, when no
 * transmit can queue any more.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "datapath.h"
#include "main.h"
#include "peer.h"
#include "stats.h"
#include "stream.h"

#define SEKISHO_STREAM_TXQ	256	/* packets waiting for the socket */
#define SEKISHO_STREAM_BUDGET	64	/* messages per receive run */

struct sekisho_stream {
	struct sekisho_peer *peer;
	struct socket *sock;		/* holds a reference on its file */
	struct work_struct rx_work;
	struct work_struct tx_work;
	struct sk_buff_head txq;
	bool started;			/* the peer is published */
	bool stopped;			/* the peer is unlinked */
	bool hooked;			/* our callbacks are installed */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
};

static void sekisho_stream_count(struct sekisho_peer *peer,
				 enum sekisho_stat s)
{
	local_bh_disable();
	sekisho_stats_inc(peer->sdev->stats, s);
	sekisho_stats_inc(peer->stats, s);
	local_bh_enable();
}

/* called by the sender's sendmsg, any context: only wake the work */
static void sekisho_stream_data_ready(struct sock *sk)
{
	struct sekisho_stream *st;

	rcu_read_lock();
	st = rcu_dereference_sk_user_data(sk);
	if (st && READ_ONCE(st->started) && !READ_ONCE(st->stopped))
		queue_work(sekisho_wq, &st->rx_work);
	rcu_read_unlock();
}

/*
 * The worker consumed messages, so there is room again.  Always queue: a
 * queue that looks empty here may be a packet tx_work just took out and
 * is about to put back after -EAGAIN.  Nobody else writes to this end of
 * the pair, so nobody else waits for its space.
 */
static void sekisho_stream_write_space(struct sock *sk)
{
	struct sekisho_stream *st;

	rcu_read_lock();
	st = rcu_dereference_sk_user_data(sk);
	if (st && !READ_ONCE(st->stopped))
		queue_work(sekisho_wq, &st->tx_work);
	rcu_read_unlock();
}

static void sekisho_stream_rx_work(struct work_struct *work)
{
	struct sekisho_stream *st = container_of(work, struct sekisho_stream,
						 rx_work);
	struct sekisho_peer *peer = st->peer;
	struct net_device *dev = peer->sdev->dev;
	unsigned int i;

	for (i = 0; i < SEKISHO_STREAM_BUDGET; i++) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		unsigned int mtu = READ_ONCE(dev->mtu);
		unsigned long now;
		struct sk_buff *skb;
		struct kvec iov;
		int n;

		if (READ_ONCE(st->stopped))
			return;
		skb = alloc_skb(mtu, GFP_KERNEL);
		if (!skb) {
			sekisho_stream_count(peer, SEKISHO_STAT_RX_ERRORS);
			break;
		}
		iov.iov_base = skb->data;
		iov.iov_len = mtu;
		n = kernel_recvmsg(st->sock, &msg, &iov, 1, mtu, MSG_DONTWAIT);
		if (n <= 0) {
			kfree_skb(skb);
			/* an empty message is not the end of the stream */
			if (n == 0 && !(READ_ONCE(st->sock->sk->sk_shutdown) &
					RCV_SHUTDOWN))
				continue;
			return;		/* empty (-EAGAIN), or the worker is gone */
		}
		if (msg.msg_flags & MSG_TRUNC) {
			/* larger than the device's MTU: the worker checks too */
			kfree_skb(skb);
			sekisho_stream_count(peer, SEKISHO_STAT_DROP_TOO_BIG);
			continue;
		}
		skb_put(skb, n);

		now = jiffies;
		if (READ_ONCE(peer->last_rx) != now)
			WRITE_ONCE(peer->last_rx, now);
		if (READ_ONCE(peer->idle_sent))
			WRITE_ONCE(peer->idle_sent, false);
		/* the client talks over TLS now: answer the same way */
		if (!READ_ONCE(peer->via_stream))
			WRITE_ONCE(peer->via_stream, true);

		local_bh_disable();
		sekisho_rx_packet(peer, skb);
		local_bh_enable();
	}
	/* more may be waiting: let others run first */
	queue_work(sekisho_wq, &st->rx_work);
}

static void sekisho_stream_tx_work(struct work_struct *work)
{
	struct sekisho_stream *st = container_of(work, struct sekisho_stream,
						 tx_work);
	struct sekisho_peer *peer = st->peer;
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&st->txq))) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
		unsigned int len = skb->len;
		struct kvec iov;
		int n;

		if (READ_ONCE(st->stopped) || skb_linearize(skb)) {
			kfree_skb(skb);
			sekisho_stream_count(peer, SEKISHO_STAT_TX_ERRORS);
			continue;
		}
		iov.iov_base = skb->data;
		iov.iov_len = len;
		n = kernel_sendmsg(st->sock, &msg, &iov, 1, len);
		if (n == -EAGAIN) {
			/* sk_write_space queues us again */
			skb_queue_head(&st->txq, skb);
			return;
		}
		consume_skb(skb);
		if (n != len) {
			/* the worker is gone (-EPIPE): nothing will be read */
			sekisho_stream_count(peer, SEKISHO_STAT_TX_ERRORS);
			skb_queue_purge(&st->txq);
			return;
		}
		local_bh_disable();
		sekisho_stats_add2(peer->sdev->stats, SEKISHO_STAT_TX_PACKETS, 1,
				   SEKISHO_STAT_TX_BYTES, len);
		sekisho_stats_add2(peer->stats, SEKISHO_STAT_TX_PACKETS, 1,
				   SEKISHO_STAT_TX_BYTES, len);
		local_bh_enable();
		cond_resched();
	}
}

void sekisho_stream_xmit(struct sekisho_peer *peer, struct sk_buff *skb)
{
	struct sekisho_stream *st = peer->stream;

	if (unlikely(READ_ONCE(st->stopped) ||
		     skb_queue_len_lockless(&st->txq) >= SEKISHO_STREAM_TXQ)) {
		sekisho_stats_inc(peer->sdev->stats, SEKISHO_STAT_TX_ERRORS);
		sekisho_stats_inc(peer->stats, SEKISHO_STAT_TX_ERRORS);
		kfree_skb(skb);
		return;
	}
	skb_queue_tail(&st->txq, skb);
	queue_work(sekisho_wq, &st->tx_work);
}

struct sekisho_stream *sekisho_stream_attach(struct sekisho_peer *peer, int fd,
					     const struct nlattr *attr,
					     struct netlink_ext_ack *extack)
{
	struct sekisho_stream *st;
	struct socket *sock;
	struct sock *sk;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "the stream is not a socket");
		return ERR_PTR(err);
	}
	sk = sock->sk;
	if (sk->sk_family != AF_UNIX || sock->type != SOCK_SEQPACKET) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the stream must be an AF_UNIX SOCK_SEQPACKET socket");
		err = -EPROTOTYPE;
		goto err_put;
	}
	if (READ_ONCE(sk->sk_state) != TCP_ESTABLISHED) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the stream socket is not connected");
		err = -ENOTCONN;
		goto err_put;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		err = -ENOMEM;
		goto err_put;
	}
	st->peer = peer;
	st->sock = sock;
	INIT_WORK(&st->rx_work, sekisho_stream_rx_work);
	INIT_WORK(&st->tx_work, sekisho_stream_tx_work);
	skb_queue_head_init(&st->txq);

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data) {
		write_unlock_bh(&sk->sk_callback_lock);
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the stream socket belongs to another peer");
		err = -EBUSY;
		goto err_free;
	}
	st->saved_data_ready = sk->sk_data_ready;
	st->saved_write_space = sk->sk_write_space;
	sk->sk_data_ready = sekisho_stream_data_ready;
	sk->sk_write_space = sekisho_stream_write_space;
	rcu_assign_sk_user_data(sk, st);
	st->hooked = true;
	write_unlock_bh(&sk->sk_callback_lock);
	return st;

err_free:
	kfree(st);
err_put:
	sockfd_put(sock);
	return ERR_PTR(err);
}

/* the peer is published: read what the worker sent before */
void sekisho_stream_start(struct sekisho_stream *st)
{
	WRITE_ONCE(st->started, true);
	queue_work(sekisho_wq, &st->rx_work);
}

void sekisho_stream_stop(struct sekisho_stream *st)
{
	struct sock *sk = st->sock->sk;

	WRITE_ONCE(st->stopped, true);
	if (st->hooked) {
		write_lock_bh(&sk->sk_callback_lock);
		sk->sk_data_ready = st->saved_data_ready;
		sk->sk_write_space = st->saved_write_space;
		rcu_assign_sk_user_data(sk, NULL);
		write_unlock_bh(&sk->sk_callback_lock);
		st->hooked = false;
	}
	cancel_work_sync(&st->rx_work);
	cancel_work_sync(&st->tx_work);
	skb_queue_purge(&st->txq);
}

void sekisho_stream_free(struct sekisho_stream *st)
{
	if (!st)
		return;
	/* a failed PEER_NEW was never stopped; a late transmit may have
	 * queued work after the stop
	 */
	sekisho_stream_stop(st);
	sockfd_put(st->sock);
	kfree(st);
}

struct net *sekisho_stream_net(const struct sekisho_stream *st)
{
	return sock_net(st->sock->sk);
}
