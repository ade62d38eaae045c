// SPDX-License-Identifier: GPL-2.0
/*
 * The CSTP data path (stream.h): packets of a TLS-only client, either
 * relayed by sekishod's worker over a SOCK_SEQPACKET pair, one packet per
 * message, or read and written as CSTP frames on the client's own TCP
 * socket with kernel TLS installed (ktls.c).
 *
 * Receive: sk_data_ready only queues rx_work; the work reads at most
 * SEKISHO_STREAM_BUDGET messages (reads, on a kTLS stream) per run and
 * hands the run's packets together (bottom halves off once, so that the
 * device's GRO merges them) to the same checks and delivery as a
 * decrypted DTLS record.  Transmit: ndo_start_xmit cannot sleep in
 * sendmsg, so packets wait in a bounded queue for tx_work, and a full
 * socket (a slow worker or client) keeps them there until sk_write_space;
 * on a kTLS socket tx_work corks TCP while it sends more than one frame.
 * Both works run on the per-CPU sekisho_stream_wq (main.c): they take turns.
 *
 * The peer owns the stream.  sekisho_stream_stop() runs when the peer is
 * unlinked, so that PEER_DEL followed by PEER_NEW with the same socket (a
 * DTLS handshake replacing the peer) finds it free again;
 * sekisho_stream_free() runs after the last peer reference, when no
 * transmit can queue any more.  A kTLS stream also ends its peer itself
 * (the client closed the connection, sent DISCONNECT, or a bad frame).
 * The receive work cannot do that, since unlinking waits for the receive
 * work: end_work does, with a peer reference of its own.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "datapath.h"
#include "device.h"
#include "main.h"
#include "peer.h"
#include "stats.h"
#include "stream.h"
#include "stream_int.h"

#define SEKISHO_STREAM_TXQ	256	/* packets waiting for the socket */
#define SEKISHO_STREAM_BUDGET	64	/* messages per receive run */

void sekisho_stream_count(struct sekisho_peer *peer, enum sekisho_stat s)
{
	local_bh_disable();
	sekisho_stats_inc(peer->sdev->stats, s);
	sekisho_stats_inc(peer->stats, s);
	local_bh_enable();
}

/*
 * Data to read, or (kTLS) the connection closed or reset: only wake the
 * work.  A kTLS socket's own callback runs first, so that its record
 * parser sees the bytes; our read would drive it anyway.
 */
static void sekisho_stream_wake_rx(struct sock *sk, bool state)
{
	void (*saved)(struct sock *sk) = NULL;
	struct sekisho_stream *st;

	rcu_read_lock();
	st = rcu_dereference_sk_user_data(sk);
	if (st) {
		/* the worker relay's socket had no reader but us */
		if (st->kind == SEKISHO_STREAM_KIND_KTLS)
			saved = state ? st->saved_state_change :
					st->saved_data_ready;
		if (READ_ONCE(st->started) && !READ_ONCE(st->stopped) &&
		    !READ_ONCE(st->ended))
			queue_work(sekisho_stream_wq, &st->rx_work);
	}
	rcu_read_unlock();
	if (saved)
		saved(sk);
}

static void sekisho_stream_data_ready(struct sock *sk)
{
	sekisho_stream_wake_rx(sk, false);
}

static void sekisho_stream_state_change(struct sock *sk)
{
	sekisho_stream_wake_rx(sk, true);
}

/*
 * There is room again.  Always queue: a queue that looks empty here may be
 * a packet tx_work just took out and is about to put back after -EAGAIN.
 * On a kTLS socket the TLS layer's callback runs first: it pushes records
 * it holds, and only then is there room for ours.
 */
static void sekisho_stream_write_space(struct sock *sk)
{
	void (*saved)(struct sock *sk) = NULL;
	struct sekisho_stream *st;

	rcu_read_lock();
	st = rcu_dereference_sk_user_data(sk);
	if (st) {
		if (st->kind == SEKISHO_STREAM_KIND_KTLS)
			saved = st->saved_write_space;
		if (!READ_ONCE(st->stopped))
			queue_work(sekisho_stream_wq, &st->tx_work);
	}
	rcu_read_unlock();
	if (saved)
		saved(sk);
}

/*
 * The packets of one receive run go up together, with bottom halves off
 * once: the device's GRO cell then sees them as one batch and merges a
 * TCP flow's segments, as it does for DTLS records decrypted in one
 * softirq run.  Delivered one at a time, each packet went through the
 * inner stack (and the receiving TCP) alone at local_bh_enable().
 */
void sekisho_stream_flush(struct sekisho_stream *st,
			  struct sk_buff_head *batch)
{
	struct sk_buff *skb;

	if (skb_queue_empty(batch))
		return;
	local_bh_disable();
	while ((skb = __skb_dequeue(batch)))
		sekisho_rx_packet(st->peer, skb);
	local_bh_enable();
}

void sekisho_stream_heard(struct sekisho_stream *st)
{
	struct sekisho_peer *peer = st->peer;
	unsigned long now = jiffies;

	if (READ_ONCE(peer->last_rx) != now)
		WRITE_ONCE(peer->last_rx, now);
	if (READ_ONCE(peer->idle_sent))
		WRITE_ONCE(peer->idle_sent, false);
	/* the client talks over TLS now: answer the same way */
	if (!READ_ONCE(peer->via_stream))
		WRITE_ONCE(peer->via_stream, true);
}

static void sekisho_stream_end_work(struct work_struct *work)
{
	struct sekisho_stream *st = container_of(work, struct sekisho_stream,
						 end_work);
	struct sekisho_peer *peer = st->peer;
	struct sekisho_dev *sdev = peer->sdev;

	mutex_lock(&sdev->lock);
	/* PEER_DEL or the device's removal may have come first */
	if (!READ_ONCE(peer->dead))
		sekisho_peer_del(peer, st->end_reason);
	mutex_unlock(&sdev->lock);
	sekisho_peer_put(peer);
}

void sekisho_stream_end(struct sekisho_stream *st, u32 reason)
{
	if (READ_ONCE(st->ended))
		return;
	/* the receive work is the only caller: no race on ended */
	WRITE_ONCE(st->ended, true);
	st->end_reason = reason;
	/* a peer whose last reference is gone is being removed anyway */
	if (sekisho_peer_get(st->peer))
		queue_work(sekisho_wq, &st->end_work);
}

/* the worker relay: one message is one packet */
static void sekisho_stream_rx_seqpacket(struct sekisho_stream *st)
{
	struct sekisho_peer *peer = st->peer;
	struct net_device *dev = peer->sdev->dev;
	struct sk_buff_head batch;
	unsigned int i;

	__skb_queue_head_init(&batch);
	for (i = 0; i < SEKISHO_STREAM_BUDGET; i++) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		unsigned int mtu = READ_ONCE(dev->mtu);
		struct sk_buff *skb;
		struct kvec iov;
		int n;

		if (READ_ONCE(st->stopped))
			goto out;
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
			goto out;	/* empty (-EAGAIN), or the worker is gone */
		}
		if (msg.msg_flags & MSG_TRUNC) {
			/* larger than the device's MTU: the worker checks too */
			kfree_skb(skb);
			sekisho_stream_count(peer, SEKISHO_STAT_DROP_TOO_BIG);
			continue;
		}
		skb_put(skb, n);
		sekisho_stream_heard(st);
		__skb_queue_tail(&batch, skb);
	}
	/* more may be waiting: let others run first */
	queue_work(sekisho_stream_wq, &st->rx_work);
out:
	sekisho_stream_flush(st, &batch);
}

static void sekisho_stream_rx_work(struct work_struct *work)
{
	struct sekisho_stream *st = container_of(work, struct sekisho_stream,
						 rx_work);

	if (st->kind == SEKISHO_STREAM_KIND_KTLS)
		sekisho_ktls_rx(st);
	else
		sekisho_stream_rx_seqpacket(st);
}

static void sekisho_stream_tx_work(struct work_struct *work)
{
	struct sekisho_stream *st = container_of(work, struct sekisho_stream,
						 tx_work);
	struct sekisho_peer *peer = st->peer;
	struct sock *sk = st->sock->sk;
	struct sk_buff *skb;
	bool cork;

	/*
	 * More than one frame to send: cork the TCP socket (it has
	 * TCP_NODELAY) so that their records leave in full-sized segments,
	 * not one segment per record; the uncork pushes the rest.
	 */
	cork = st->kind == SEKISHO_STREAM_KIND_KTLS &&
	       skb_queue_len(&st->txq) > 1;
	if (cork)
		tcp_sock_set_cork(sk, true);

	while ((skb = skb_dequeue(&st->txq))) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
		unsigned int len = skb->len - st->tx_off;
		unsigned int count_len;
		struct kvec iov;
		int n;

		if (READ_ONCE(st->stopped) || skb_linearize(skb)) {
			kfree_skb(skb);
			st->tx_off = 0;
			sekisho_stream_count(peer, SEKISHO_STAT_TX_ERRORS);
			continue;
		}
		iov.iov_base = skb->data + st->tx_off;
		iov.iov_len = len;
		n = kernel_sendmsg(st->sock, &msg, &iov, 1, len);
		if (n == -EAGAIN) {
			/* sk_write_space queues us again */
			skb_queue_head(&st->txq, skb);
			goto out;
		}
		if (n > 0 && n < len && st->kind == SEKISHO_STREAM_KIND_KTLS) {
			/*
			 * A byte stream takes part of a frame: the rest goes
			 * next, into the same TLS record (kTLS keeps it open
			 * until a send without MSG_MORE completes).  Try at
			 * once; -EAGAIN then waits for sk_write_space.
			 */
			st->tx_off += n;
			skb_queue_head(&st->txq, skb);
			continue;
		}
		count_len = SEKISHO_STREAM_CB(skb)->count_len;
		consume_skb(skb);
		st->tx_off = 0;
		if (n != len) {
			/* the other end is gone (-EPIPE): nothing will be read */
			sekisho_stream_count(peer, SEKISHO_STAT_TX_ERRORS);
			skb_queue_purge(&st->txq);
			goto out;
		}
		if (count_len) {
			local_bh_disable();
			sekisho_stats_add2(peer->sdev->stats,
					   SEKISHO_STAT_TX_PACKETS, 1,
					   SEKISHO_STAT_TX_BYTES, count_len);
			sekisho_stats_add2(peer->stats, SEKISHO_STAT_TX_PACKETS,
					   1, SEKISHO_STAT_TX_BYTES, count_len);
			local_bh_enable();
		}
		cond_resched();
	}
out:
	if (cork)
		tcp_sock_set_cork(sk, false);
}

bool sekisho_stream_queue(struct sekisho_stream *st, struct sk_buff *skb)
{
	if (unlikely(READ_ONCE(st->stopped) ||
		     skb_queue_len_lockless(&st->txq) >= SEKISHO_STREAM_TXQ)) {
		kfree_skb(skb);
		return false;
	}
	skb_queue_tail(&st->txq, skb);
	queue_work(sekisho_stream_wq, &st->tx_work);
	return true;
}

void sekisho_stream_xmit(struct sekisho_peer *peer, struct sk_buff *skb)
{
	struct sekisho_stream *st = peer->stream;

	SEKISHO_STREAM_CB(skb)->count_len = skb->len;
	if (st->kind == SEKISHO_STREAM_KIND_KTLS && sekisho_ktls_frame(skb))
		goto err;
	if (sekisho_stream_queue(st, skb))
		return;
	skb = NULL;
err:
	sekisho_stats_inc(peer->sdev->stats, SEKISHO_STAT_TX_ERRORS);
	sekisho_stats_inc(peer->stats, SEKISHO_STAT_TX_ERRORS);
	kfree_skb(skb);
}

/* the socket of a kind, connected; its reference is the caller's */
static int sekisho_stream_check(struct socket *sock, u32 kind,
				const struct nlattr *attr,
				struct netlink_ext_ack *extack)
{
	struct sock *sk = sock->sk;

	if (kind == SEKISHO_STREAM_KIND_KTLS)
		return sekisho_ktls_check(sock, attr, extack);
	if (sk->sk_family != AF_UNIX || sock->type != SOCK_SEQPACKET) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the stream must be an AF_UNIX SOCK_SEQPACKET socket");
		return -EPROTOTYPE;
	}
	if (READ_ONCE(sk->sk_state) != TCP_ESTABLISHED) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the stream socket is not connected");
		return -ENOTCONN;
	}
	return 0;
}

struct sekisho_stream *sekisho_stream_attach(struct sekisho_peer *peer, int fd,
					     u32 kind,
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
	err = sekisho_stream_check(sock, kind, attr, extack);
	if (err)
		goto err_put;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		err = -ENOMEM;
		goto err_put;
	}
	st->peer = peer;
	st->sock = sock;
	st->kind = kind;
	INIT_WORK(&st->rx_work, sekisho_stream_rx_work);
	INIT_WORK(&st->tx_work, sekisho_stream_tx_work);
	INIT_WORK(&st->end_work, sekisho_stream_end_work);
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
	st->saved_state_change = sk->sk_state_change;
	sk->sk_data_ready = sekisho_stream_data_ready;
	sk->sk_write_space = sekisho_stream_write_space;
	/* a TCP close or reset wakes no reader: watch the state too */
	if (kind == SEKISHO_STREAM_KIND_KTLS)
		sk->sk_state_change = sekisho_stream_state_change;
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

/* the peer is published: read what the worker or client sent before */
void sekisho_stream_start(struct sekisho_stream *st)
{
	WRITE_ONCE(st->started, true);
	queue_work(sekisho_stream_wq, &st->rx_work);
}

void sekisho_stream_stop(struct sekisho_stream *st)
{
	struct sock *sk = st->sock->sk;

	WRITE_ONCE(st->stopped, true);
	if (st->hooked) {
		write_lock_bh(&sk->sk_callback_lock);
		sk->sk_data_ready = st->saved_data_ready;
		sk->sk_write_space = st->saved_write_space;
		sk->sk_state_change = st->saved_state_change;
		rcu_assign_sk_user_data(sk, NULL);
		write_unlock_bh(&sk->sk_callback_lock);
		st->hooked = false;
	}
	/* end_work is not waited for: it may be what is unlinking the peer */
	cancel_work_sync(&st->rx_work);
	cancel_work_sync(&st->tx_work);
	skb_queue_purge(&st->txq);
	st->tx_off = 0;
	sekisho_ktls_reset(st);
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
