// SPDX-License-Identifier: GPL-2.0
/*
 * CSTP on the client's TCP socket with kernel TLS (stream kind ktls).
 *
 * Userspace did the TLS handshake and installed kTLS for both directions
 * (TLS_TX and TLS_RX with the keys and record sequence numbers of the
 * moment); from then on the socket's reads return the plaintext byte
 * stream of application data records, and each send becomes a record.
 *
 * Receive: the work item reads with kernel_recvmsg(MSG_DONTWAIT), a
 * bounded number of reads and frames per run, in bulk into a 16 KiB
 * buffer, and copies each whole frame into an skb of its size; a frame the
 * read cut ends the bulk reads until precise reads (the rest of the 8-byte
 * CSTP header, then exactly the rest of the payload) complete it, so at
 * most one partial frame (SEKISHO_MAX_MTU) is held per stream between
 * runs.  The buffer outlives a run only while whole frames of it wait for
 * the next run's budget.  The
 * TLS layer runs its own record parser under that read; a strparser of
 * ours on top would parse the plaintext in softirq context only to hand
 * it to a work item anyway (NVMe/TCP with TLS reads the same way).
 *
 * Which TLS records can follow the hand-off, and what happens then, is in
 * Documentation/datapath.md ("The kTLS stream"): application data is
 * read; any other record type (alert, KeyUpdate, renegotiation) makes the
 * read fail with -EIO, as no control buffer is given, and the peer ends.
 *
 * Transmit: one CSTP frame per send, so one frame per TLS record, which
 * openconnect requires (anyconnect-protocol.md §5); the records of one
 * transmit run share TCP segments (stream.c corks the socket meanwhile).
 */
#include <linux/net.h>
#include <linux/skbuff.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "datapath.h"
#include "device.h"
#include "main.h"
#include "peer.h"
#include "stats.h"
#include "stream_int.h"

#define SEKISHO_KTLS_READS	64	/* reads per receive run */
/*
 * Frames per receive run.  The stream's works share one CPU's pool, so the
 * transmit work runs only between receive runs: each frame a run delivers
 * may queue an answer (a ping's reply, an ACK), and the transmit queue
 * (SEKISHO_STREAM_TXQ, 256) must hold a run's worth.  One 16 KiB read
 * can carry 450 small frames, hence a bound on frames, not only reads.
 */
#define SEKISHO_KTLS_FRAMES	64
/* one bulk read: a full TLS record's plaintext */
#define SEKISHO_KTLS_RXBUF	16384

/* the TCP socket's state and upper layer protocol; under the socket lock */
static int sekisho_ktls_state(struct sock *sk)
{
	const struct tls_context *ctx;

	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (!inet_csk(sk)->icsk_ulp_ops ||
	    strcmp(inet_csk(sk)->icsk_ulp_ops->name, "tls"))
		return -ENOPROTOOPT;
	ctx = tls_get_ctx(sk);
	if (ctx->tx_conf == TLS_BASE || ctx->rx_conf == TLS_BASE)
		return -EINVAL;
	return 0;
}

int sekisho_ktls_check(struct socket *sock, const struct nlattr *attr,
		       struct netlink_ext_ack *extack)
{
	struct sock *sk = sock->sk;
	int err;

	if ((sk->sk_family != AF_INET && sk->sk_family != AF_INET6) ||
	    sock->type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a ktls stream must be a TCP socket");
		return -EPROTOTYPE;
	}
	/* the upper layer protocol changes only under the socket lock */
	lock_sock(sk);
	err = sekisho_ktls_state(sk);
	release_sock(sk);
	if (err == -ENOTCONN)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the ktls stream socket is not connected");
	else if (err == -ENOPROTOOPT)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the ktls stream socket has no kernel TLS (TCP_ULP \"tls\")");
	else if (err)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the ktls stream socket needs both TLS_TX and TLS_RX");
	return err;
}

int sekisho_ktls_frame(struct sk_buff *skb)
{
	unsigned int len = skb->len;

	/*
	 * openconnect wants the whole frame in one record: a device MTU
	 * over 16376 cannot be carried on the stream
	 */
	if (len > SEKISHO_CSTP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (skb_cow_head(skb, SEKISHO_CSTP_HLEN))
		return -ENOMEM;
	sekisho_cstp_put_hdr(skb_push(skb, SEKISHO_CSTP_HLEN), len,
			     SEKISHO_CSTP_DATA);
	return 0;
}

/* the bulk buffer is spent: free it, so that an idle stream holds none */
static void sekisho_ktls_rxbuf_put(struct sekisho_stream *st)
{
	kfree(st->rxbuf);
	st->rxbuf = NULL;
	st->rx_off = 0;
	st->rx_len = 0;
}

void sekisho_ktls_reset(struct sekisho_stream *st)
{
	kfree_skb(st->body);
	st->body = NULL;
	st->hdr_got = 0;
	sekisho_ktls_rxbuf_put(st);
}

/* what a failed or empty read means for the peer */
static void sekisho_ktls_failed(struct sekisho_stream *st, int n)
{
	switch (n) {
	case -EIO:
		/* a record other than application data, left unread */
		sekisho_stream_end(st, SEKISHO_DEL_REASON_TLS_RECORD);
		break;
	case -EBADMSG:
	case -EMSGSIZE:
	case -EINVAL:
		/* failed to decrypt, or a bad record header: TLS aborted */
		sekisho_stream_count(st->peer, SEKISHO_STAT_DROP_AUTH);
		sekisho_stream_end(st, SEKISHO_DEL_REASON_TLS_BAD_RECORD);
		break;
	default:
		/* 0: closed, maybe within a frame; a reset, a socket error */
		sekisho_stream_end(st, SEKISHO_DEL_REASON_STREAM_CLOSED);
		break;
	}
}

static int sekisho_ktls_read(struct sekisho_stream *st, void *buf,
			     unsigned int len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = buf, .iov_len = len };

	return kernel_recvmsg(st->sock, &msg, &iov, 1, len, MSG_DONTWAIT);
}

/* DPD-REQ: the same bytes back as DPD-RESP, as ocserv does */
static void sekisho_ktls_dpd(struct sekisho_stream *st, struct sk_buff *req)
{
	struct sekisho_peer *peer = st->peer;
	struct sk_buff *skb;

	/* an answer must fit one record too */
	if (req->len > SEKISHO_CSTP_MAX_PAYLOAD) {
		sekisho_stream_count(peer, SEKISHO_STAT_DROP_TOO_BIG);
		return;
	}
	skb = alloc_skb(SEKISHO_CSTP_HLEN + req->len, GFP_KERNEL);
	if (!skb) {
		sekisho_stream_count(peer, SEKISHO_STAT_TX_ERRORS);
		return;
	}
	sekisho_cstp_put_hdr(skb_put(skb, SEKISHO_CSTP_HLEN), req->len,
			     SEKISHO_CSTP_DPD_RESP);
	skb_put_data(skb, req->data, req->len);
	SEKISHO_STREAM_CB(skb)->count_len = 0;
	if (sekisho_stream_queue(st, skb))
		sekisho_stream_count(peer, SEKISHO_STAT_DPD_ANSWERED);
	else
		sekisho_stream_count(peer, SEKISHO_STAT_TX_ERRORS);
}

/* one whole frame; consumes skb (a packet goes to batch) */
static void sekisho_ktls_deliver(struct sekisho_stream *st, u8 type,
				 struct sk_buff *skb,
				 struct sk_buff_head *batch)
{
	struct sekisho_peer *peer = st->peer;

	sekisho_stream_heard(st);
	switch (type) {
	case SEKISHO_CSTP_DATA:
		if (skb->len > READ_ONCE(peer->sdev->dev->mtu)) {
			sekisho_stream_count(peer, SEKISHO_STAT_DROP_TOO_BIG);
			break;
		}
		__skb_queue_tail(batch, skb);
		return;
	case SEKISHO_CSTP_DPD_REQ:
		sekisho_ktls_dpd(st, skb);
		break;
	case SEKISHO_CSTP_DPD_RESP:
		break;
	case SEKISHO_CSTP_KEEPALIVE:
		sekisho_stream_count(peer, SEKISHO_STAT_KEEPALIVES);
		break;
	case SEKISHO_CSTP_DISCONNECT:
		/* userspace learns it from PEER_DEL_NTF's reason */
		sekisho_stream_end(st, SEKISHO_DEL_REASON_CLIENT_DISCONNECT);
		break;
	default:
		/*
		 * COMPRESSED was not negotiated, TERMINATE is the server's;
		 * as on DTLS, nothing else is defined
		 */
		sekisho_stream_count(peer, SEKISHO_STAT_DROP_MALFORMED);
		break;
	}
	consume_skb(skb);
}

/* a complete header: start its payload; false ends the stream */
static bool sekisho_ktls_header(struct sekisho_stream *st)
{
	unsigned int len = sekisho_cstp_len(st->hdr);

	if (!sekisho_cstp_hdr_ok(st->hdr) || len > SEKISHO_MAX_MTU) {
		sekisho_stream_count(st->peer, SEKISHO_STAT_DROP_MALFORMED);
		sekisho_stream_end(st, SEKISHO_DEL_REASON_STREAM_MALFORMED);
		return false;
	}
	st->body = alloc_skb(len, GFP_KERNEL);
	if (!st->body) {
		/* the stream cannot skip a frame: end it */
		sekisho_stream_count(st->peer, SEKISHO_STAT_RX_ERRORS);
		sekisho_stream_end(st, SEKISHO_DEL_REASON_STREAM_CLOSED);
		return false;
	}
	st->body_len = len;
	return true;
}

/*
 * Whole frames out of the bulk buffer (st->rx_off up to st->rx_len), at
 * most *left of them: each is copied into an skb of its own and delivered;
 * a frame cut at the end of the buffer starts the precise path (st->hdr,
 * st->body), which the next reads complete.  Frames over the budget stay
 * in the buffer for the next run.  Returns false when the stream ended (a
 * bad header, a DISCONNECT): read no more.
 */
static bool sekisho_ktls_split(struct sekisho_stream *st,
			       struct sk_buff_head *batch, unsigned int *left)
{
	while (st->rx_off < st->rx_len && *left && !READ_ONCE(st->ended)) {
		const u8 *buf = st->rxbuf + st->rx_off;
		unsigned int n = st->rx_len - st->rx_off;
		struct sk_buff *skb;
		unsigned int len;

		if (n < SEKISHO_CSTP_HLEN) {
			memcpy(st->hdr, buf, n);
			st->hdr_got = n;
			st->rx_off = st->rx_len;
			break;
		}
		memcpy(st->hdr, buf, SEKISHO_CSTP_HLEN);
		/* checks the header and allocates the payload's skb */
		if (!sekisho_ktls_header(st))
			return false;
		len = min(n - SEKISHO_CSTP_HLEN, st->body_len);
		skb_put_data(st->body, buf + SEKISHO_CSTP_HLEN, len);
		st->rx_off += SEKISHO_CSTP_HLEN + len;
		if (st->body->len < st->body_len) {
			st->hdr_got = SEKISHO_CSTP_HLEN;
			break;
		}
		skb = st->body;
		st->body = NULL;
		(*left)--;
		sekisho_ktls_deliver(st, st->hdr[6], skb, batch);
	}
	return !READ_ONCE(st->ended);
}

void sekisho_ktls_rx(struct sekisho_stream *st)
{
	unsigned int left = SEKISHO_KTLS_FRAMES;
	struct sk_buff_head batch;
	bool more = false;
	unsigned int i;

	/*
	 * Reads in bulk: kernel TLS returns every record it has ready in
	 * one read, so one read carries many small frames (the TCP ACKs of
	 * a download) or a dozen full-sized ones, where reading header and
	 * payload apart took two reads per frame, each a pass through the
	 * TLS layer's locking.  Without the buffer the precise reads go on.
	 */
	if (!st->rxbuf)
		st->rxbuf = kmalloc(SEKISHO_KTLS_RXBUF, GFP_KERNEL);
	__skb_queue_head_init(&batch);
	for (i = 0; i < SEKISHO_KTLS_READS && left; i++) {
		struct sk_buff *skb;
		int n;

		if (READ_ONCE(st->stopped) || READ_ONCE(st->ended))
			goto out;
		/* the last run's frames first, then a new bulk read */
		if (st->rxbuf && st->rx_off == st->rx_len &&
		    !st->body && !st->hdr_got) {
			n = sekisho_ktls_read(st, st->rxbuf,
					      SEKISHO_KTLS_RXBUF);
			if (n == -EAGAIN)
				goto out;
			if (n <= 0) {
				sekisho_ktls_failed(st, n);
				goto out;
			}
			st->rx_off = 0;
			st->rx_len = n;
		}
		if (st->rx_off < st->rx_len) {
			if (!sekisho_ktls_split(st, &batch, &left))
				goto out;
			continue;
		}
		if (!st->body) {
			n = sekisho_ktls_read(st, st->hdr + st->hdr_got,
					      SEKISHO_CSTP_HLEN - st->hdr_got);
			if (n == -EAGAIN)
				goto out;
			if (n <= 0) {
				sekisho_ktls_failed(st, n);
				goto out;
			}
			st->hdr_got += n;
			if (st->hdr_got < SEKISHO_CSTP_HLEN ||
			    !sekisho_ktls_header(st))
				continue;
		}
		skb = st->body;
		if (skb->len < st->body_len) {
			n = sekisho_ktls_read(st, skb_tail_pointer(skb),
					      st->body_len - skb->len);
			if (n == -EAGAIN)
				goto out;
			if (n <= 0) {
				sekisho_ktls_failed(st, n);
				goto out;
			}
			skb_put(skb, n);
			if (skb->len < st->body_len)
				continue;
		}
		st->body = NULL;
		st->hdr_got = 0;
		left--;
		sekisho_ktls_deliver(st, st->hdr[6], skb, &batch);
	}
	more = true;
out:
	if (st->rx_off == st->rx_len)
		sekisho_ktls_rxbuf_put(st);
	/* the frames read before an error were whole and authentic */
	sekisho_stream_flush(st, &batch);
	/*
	 * More may be waiting: queue the next run behind the transmit work
	 * that the answers to these frames just queued on this pool.
	 */
	if (more)
		queue_work(sekisho_stream_wq, &st->rx_work);
}
