// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: IP packets sent to the sekisho device become DTLS 1.2
 * application-data records of the peer that owns the destination.
 *
 *   record = header(13) | explicit nonce(8, GCM only: epoch | seq)
 *            | AEAD(type byte | packet) | tag(16)
 *
 * The record is built in place in the packet's own buffer (headroom for the
 * header, tailroom for the tag), encrypted (maybe asynchronously) and sent
 * through the peer's UDP socket.  Sequence numbers come from one atomic
 * counter per key and never repeat; at SEKISHO_SEQ_WARN the key asks
 * userspace for a rekey once, at SEKISHO_SEQ_LIMIT it stops sending.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>

#include "compat.h"
#include "crypto.h"
#include "datapath.h"
#include "events.h"
#include "peer.h"
#include "socket.h"
#include "stream.h"

static void sekisho_tx_count(struct sekisho_peer *peer, enum sekisho_stat s)
{
	sekisho_stats_inc(peer->sdev->stats, s);
	sekisho_stats_inc(peer->stats, s);
}

/* the sealed record in ctx is ready (err == 0); consumes everything */
static void sekisho_tx_finish(struct sekisho_crypto_ctx *ctx, int err)
{
	struct sekisho_peer *peer = ctx->peer;
	struct sk_buff *skb = ctx->skb;
	unsigned int inner_len = ctx->inner_len;
	u8 type = ctx->type;

	sekisho_key_put(ctx->key);
	sekisho_crypto_ctx_free(ctx);
	if (unlikely(err)) {
		sekisho_tx_count(peer, SEKISHO_STAT_TX_ERRORS);
		kfree_skb(skb);
	} else if (sekisho_sock_send(peer, skb)) {
		sekisho_tx_count(peer, SEKISHO_STAT_TX_ERRORS);
	} else if (type == SEKISHO_PT_DATA) {
		sekisho_stats_add2(peer->sdev->stats, SEKISHO_STAT_TX_PACKETS, 1,
				   SEKISHO_STAT_TX_BYTES, inner_len);
		sekisho_stats_add2(peer->stats, SEKISHO_STAT_TX_PACKETS, 1,
				   SEKISHO_STAT_TX_BYTES, inner_len);
	} else if (type == SEKISHO_PT_DPD_RESP) {
		sekisho_tx_count(peer, SEKISHO_STAT_DPD_ANSWERED);
	}
	sekisho_peer_put(peer);
}

/*
 * Next sequence number of the primary key, or SEKISHO_SEQ_LIMIT when it
 * may not send any more.
 */
static u64 sekisho_tx_seq(struct sekisho_peer *peer, struct sekisho_key *key)
{
	u64 seq = atomic64_inc_return(&key->tx_next) - 1;

	if (unlikely(seq >= SEKISHO_SEQ_WARN)) {
		if (seq >= SEKISHO_SEQ_LIMIT)
			return SEKISHO_SEQ_LIMIT;
		if (!test_and_set_bit(SEKISHO_KEY_EXHAUST_SENT, &key->flags))
			sekisho_ev_key_exhaust(peer, key->epoch, seq);
	}
	return seq;
}

void sekisho_tx_record(struct sekisho_peer *peer, struct sk_buff *skb, u8 type,
		       unsigned int count_len)
{
	struct sekisho_dev *sdev = peer->sdev;
	unsigned int nonce_len, plen, hlen;
	struct sekisho_crypto_ctx *ctx;
	struct sk_buff *trailer;
	struct sekisho_key *key;
	enum sekisho_stat why;
	int nfrags;
	u64 seq;
	u8 *hdr;

	key = sekisho_key_get(&peer->keys[SEKISHO_SLOT_PRIMARY]);
	if (unlikely(!key)) {
		why = SEKISHO_STAT_DROP_NO_KEY;
		goto drop;
	}
	nonce_len = sekisho_rec_nonce_len(key->cipher);
	hlen = SEKISHO_REC_HDR_LEN + nonce_len;
	plen = skb->len + 1;
	if (unlikely(nonce_len + plen + SEKISHO_REC_TAG_LEN > U16_MAX)) {
		why = SEKISHO_STAT_DROP_TOO_BIG;
		goto drop_key;
	}
	seq = sekisho_tx_seq(peer, key);
	if (unlikely(seq >= SEKISHO_SEQ_LIMIT)) {
		why = SEKISHO_STAT_DROP_NO_KEY;
		goto drop_key;
	}
	if (unlikely(atomic_read(&sdev->inflight) > SEKISHO_MAX_INFLIGHT)) {
		why = SEKISHO_STAT_TX_ERRORS;
		goto drop_key;
	}

	/* room for the record and outer headers in front, the tag behind */
	why = SEKISHO_STAT_TX_ERRORS;
	if (skb_cow_head(skb, SEKISHO_TX_HEADROOM))
		goto drop_key;
	nfrags = skb_cow_data(skb, SEKISHO_REC_TAG_LEN, &trailer);
	if (nfrags < 0)
		goto drop_key;
	*(u8 *)skb_push(skb, 1) = type;
	pskb_put(skb, trailer, SEKISHO_REC_TAG_LEN);
	hdr = skb_push(skb, hlen);
	sekisho_rec_build_hdr(hdr, key->epoch, seq,
			      nonce_len + plen + SEKISHO_REC_TAG_LEN);
	if (nonce_len)
		sekisho_rec_build_explicit(hdr + SEKISHO_REC_HDR_LEN,
					   key->epoch, seq);

	ctx = sekisho_crypto_ctx_alloc(key->tx_tfm, nfrags + 1);
	if (!ctx)
		goto drop_key;
	ctx->skb = skb;
	ctx->peer = peer;
	ctx->key = key;
	ctx->seq = seq;
	ctx->plen = plen;
	ctx->type = type;
	ctx->inner_len = count_len;
	sekisho_rec_build_nonce(ctx->iv, key->cipher, key->tx_iv, key->epoch,
				seq);
	sekisho_rec_build_aad(ctx->aad, key->epoch, seq, plen);
	if (sekisho_crypto_run(ctx, true, hlen, sekisho_tx_finish))
		goto drop_key;
	return;

drop_key:
	sekisho_key_put(key);
drop:
	sekisho_tx_count(peer, why);
	kfree_skb(skb);
	sekisho_peer_put(peer);
}

/* the destination of the packet at skb->data (no link-layer header) */
static bool sekisho_tx_dst(struct sk_buff *skb, u8 *family, const void **daddr)
{
	if (!pskb_may_pull(skb, 1))
		return false;
	switch (skb->data[0] >> 4) {
	case 4:
		if (!pskb_may_pull(skb, sizeof(struct iphdr)))
			return false;
		*family = AF_INET;
		*daddr = &((struct iphdr *)skb->data)->daddr;
		return true;
	case 6:
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)))
			return false;
		*family = AF_INET6;
		*daddr = &((struct ipv6hdr *)skb->data)->daddr;
		return true;
	}
	return false;
}

/* ndo_start_xmit; lockless (LLTX), bottom halves off */
netdev_tx_t sekisho_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct sekisho_dev *sdev = netdev_priv(dev);
	struct sekisho_peer *peer;
	const void *daddr;
	unsigned int len;
	u8 family;

	if (unlikely(!sekisho_tx_dst(skb, &family, &daddr))) {
		sekisho_stats_inc(sdev->stats, SEKISHO_STAT_TX_ERRORS);
		goto drop;
	}
	peer = sekisho_peer_by_dst(sdev, family, daddr);
	if (unlikely(!peer)) {
		sekisho_stats_inc(sdev->stats, SEKISHO_STAT_DROP_NO_PEER);
		goto drop;
	}
	len = skb->len;
	if (unlikely(len > READ_ONCE(dev->mtu) || skb_is_gso(skb))) {
		sekisho_tx_count(peer, SEKISHO_STAT_DROP_TOO_BIG);
		sekisho_peer_put(peer);
		goto drop;
	}
	/* the inner route has done its job */
	skb_dst_drop(skb);
	/*
	 * TLS when the client last talked over TLS or there is no DTLS key
	 * (yet, or at all): a client whose UDP is blocked never gets one.
	 */
	if (peer->stream &&
	    (READ_ONCE(peer->via_stream) ||
	     !rcu_access_pointer(peer->keys[SEKISHO_SLOT_PRIMARY]))) {
		sekisho_stream_xmit(peer, skb);
		sekisho_peer_put(peer);
		return NETDEV_TX_OK;
	}
	sekisho_tx_record(peer, skb, SEKISHO_PT_DATA, len);
	return NETDEV_TX_OK;

drop:
	kfree_skb(skb);
	return NETDEV_TX_OK;
}
