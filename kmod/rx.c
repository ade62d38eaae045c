// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: DTLS 1.2 records from a transport socket.
 *
 * sekisho_udp_recv() is the socket's UDP encap_rcv hook (softirq, RCU held).
 * It keeps only application-data records of a known peer's current epochs;
 * everything else (handshakes, alerts, ChangeCipherSpec, records of unknown
 * peers or epochs, several records in one datagram) returns 1 and reaches
 * the socket's userspace owner unchanged.  For a kept record:
 *
 *   replay pre-check -> [peer's queue -> work item] -> decrypt in place
 *   (maybe asynchronously)
 *   -> tag verified? -> replay update -> payload type:
 *      DATA      inner IP checks, anti-spoofing, allowlist, deliver
 *      DPD_REQ   echoed as DPD_RESP (same length and content) by tx.c
 *      KEEPALIVE, DPD_RESP  consumed
 *      other     dropped (DISCONNECT and TERMINATE travel on CSTP)
 *
 * Hot path: no printk, counters only.
 *
 * Why a work item: the softirq that runs encap_rcv is on the CPU the
 * datagram arrived on.  With one receive queue (a single-queue virtual NIC,
 * or veth, where it is the sender's CPU) every record of every client
 * would be decrypted on that one CPU.  The per-peer work item moves the
 * decryption to a CPU the scheduler finds free, and, being one item per
 * peer, keeps each client's records in order without a reorder step
 * (WireGuard spreads even one peer over all CPUs and reorders after; one
 * CPU per client is enough here).  Decrypting a batch with bottom halves
 * off also lets GRO merge the batch's TCP segments before forwarding.
 * Only peers sending mostly large records use it (SEKISHO_RX_WORK_MIN_AVG),
 * and only while it moves the work: a peer whose work item keeps running
 * on the CPU that queued its records is decrypted in the softirq for a
 * while (sekisho_rx_work()).  Module parameter rx_work=N, or a single
 * online CPU, decrypts in the softirq always.  Transmit stays in the
 * caller's context: the same scheme there measured no faster
 * (Documentation/datapath.md).
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/udp.h>

#include "compat.h"
#include "crypto.h"
#include "datapath.h"
#include "events.h"
#include "frag.h"
#include "main.h"
#include "peer.h"
#include "policy.h"
#include "socket.h"

/* records one peer may have waiting for its work item */
#define SEKISHO_RX_QUEUE_LEN	1024
/* records decrypted with bottom halves off, so GRO sees a batch */
#define SEKISHO_RX_BATCH	16
/* records per run of the work item before it yields its worker */
#define SEKISHO_RX_BUDGET	256
/* runs in a row on the queueing CPU before the softirq decrypts again */
#define SEKISHO_RX_SAME_RUNS	8
/* how long the softirq decrypts then, before the work item is tried again */
#define SEKISHO_RX_INLINE_TIME	HZ
/*
 * Average record length (bytes, datagram after the UDP header) from which
 * a peer's records go to its work item.  Below it the peer sends mostly
 * small records (TCP ACKs of a download, interactive traffic, DPD) and a
 * work item's wake-up per record costs more than it saves: those are
 * decrypted in the softirq.  A full-size record is over 1300 bytes.
 */
#define SEKISHO_RX_WORK_MIN_AVG	512

/* what sekisho_udp_recv() found, for the work item */
struct sekisho_rx_cb {
	struct sekisho_key *key;
	struct sekisho_rec_hdr h;
};

static inline struct sekisho_rx_cb *sekisho_rx_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct sekisho_rx_cb) > sizeof_field(struct sk_buff, cb));
	return (struct sekisho_rx_cb *)skb->cb;
}

static void sekisho_rx_count(struct sekisho_peer *peer, enum sekisho_stat s)
{
	sekisho_stats_inc(peer->sdev->stats, s);
	sekisho_stats_inc(peer->stats, s);
}

/* a rate-limited sample of a denied packet for the audit log */
static void sekisho_rx_deny_sample(struct sekisho_peer *peer, u8 family,
				   const void *saddr, const void *daddr,
				   u8 proto, int dport)
{
	unsigned int ms = READ_ONCE(sekisho_deny_interval_ms);
	unsigned long now = jiffies, next;

	if (!ms)
		return;
	next = READ_ONCE(peer->deny_next);
	if (time_before(now, next) ||
	    cmpxchg(&peer->deny_next, next, now + msecs_to_jiffies(ms)) != next) {
		atomic_inc(&peer->deny_suppressed);
		return;
	}
	sekisho_ev_policy_deny(peer, family, saddr, daddr, proto, dport,
			       atomic_xchg(&peer->deny_suppressed, 0));
}

/*
 * The datagram a fragment belongs to, for the peer's table (frag.h): a
 * keyed hash, so that a client cannot aim at a slot; its own source is
 * already checked against its addresses.
 */
static u64 sekisho_rx_frag_key(u8 family, const void *saddr, const void *daddr,
			       u8 proto, u32 id)
{
	static siphash_key_t secret;
	struct {
		u8 family, proto;
		u16 pad;
		u32 id;
		u8 saddr[16], daddr[16];
	} in = { .family = family, .proto = proto, .id = id };
	size_t alen = family == AF_INET ? 4 : 16;

	net_get_random_once(&secret, sizeof(secret));
	memcpy(in.saddr, saddr, alen);
	memcpy(in.daddr, daddr, alen);
	return siphash(&in, sizeof(in), &secret);
}

/* the identification of an IPv6 fragment (its Fragment header's) */
static int sekisho_rx_frag6_id(struct sk_buff *skb, u32 *id)
{
	unsigned int off = 0;
	struct frag_hdr _fh;
	const struct frag_hdr *fh;

	if (ipv6_find_hdr(skb, &off, NEXTHDR_FRAGMENT, NULL, NULL) != NEXTHDR_FRAGMENT)
		return -EINVAL;
	fh = skb_header_pointer(skb, off, sizeof(_fh), &_fh);
	if (!fh)
		return -EINVAL;
	*id = ntohl(fh->identification);
	return 0;
}

/*
 * A DATA payload: skb->data at the inner IP header.  Check it, check that
 * the peer may send from its source, apply the peer's allowlist, deliver.
 * TCP and UDP fragments after the first follow the first one's verdict
 * (frag.h); a TCP or UDP first fragment must carry the ports (RFC 7112).
 */
void sekisho_rx_packet(struct sekisho_peer *peer, struct sk_buff *skb)
{
	struct sekisho_dev *sdev = peer->sdev;
	const struct sekisho_peer_cfg *cfg;
	const void *saddr, *daddr;
	bool is_frag, first_frag = true, ported, allowed;
	unsigned int len;
	int l4off = 0, dport = -1;
	u32 frag_id = 0;
	u64 frag_key = 0;
	u8 family, proto;

	if (!pskb_may_pull(skb, 1))
		goto malformed;
	switch (skb->data[0] >> 4) {
	case 4: {
		const struct iphdr *iph;
		unsigned int ihl, tot;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			goto malformed;
		iph = (const struct iphdr *)skb->data;
		ihl = iph->ihl * 4;
		tot = ntohs(iph->tot_len);
		if (ihl < sizeof(*iph) || tot < ihl || tot > skb->len)
			goto malformed;
		if (pskb_trim(skb, tot) || !pskb_may_pull(skb, ihl))
			goto malformed;
		skb_reset_network_header(skb);
		iph = ip_hdr(skb);
		family = AF_INET;
		proto = iph->protocol;
		l4off = ihl;
		is_frag = ip_is_fragment(iph);
		first_frag = !(iph->frag_off & htons(IP_OFFSET));
		frag_id = ntohs(iph->id);
		saddr = &iph->saddr;
		daddr = &iph->daddr;
		skb->protocol = htons(ETH_P_IP);
		break;
	}
	case 6: {
		const struct ipv6hdr *ip6h;
		unsigned short frag_off = 0;
		unsigned int tot, off = 0;
		int nexthdr, flags = 0;

		if (!pskb_may_pull(skb, sizeof(*ip6h)))
			goto malformed;
		ip6h = (const struct ipv6hdr *)skb->data;
		tot = sizeof(*ip6h) + ntohs(ip6h->payload_len);
		if (tot > skb->len || pskb_trim(skb, tot))
			goto malformed;
		skb_reset_network_header(skb);
		ip6h = ipv6_hdr(skb);
		/*
		 * the transport protocol, also of a fragment after the first
		 * (for which off stays 0: it has no transport header)
		 */
		nexthdr = ipv6_find_hdr(skb, &off, -1, &frag_off, &flags);
		if (nexthdr < 0)
			goto malformed;
		family = AF_INET6;
		proto = nexthdr;
		is_frag = flags & IP6_FH_F_FRAG;
		first_frag = !frag_off;
		if (first_frag)
			l4off = off;
		if (is_frag && sekisho_rx_frag6_id(skb, &frag_id))
			goto malformed;
		saddr = &ip6h->saddr;
		daddr = &ip6h->daddr;
		skb->protocol = htons(ETH_P_IPV6);
		break;
	}
	default:
		goto malformed;
	}

	ported = proto == IPPROTO_TCP || proto == IPPROTO_UDP;
	if (ported && first_frag) {
		__be16 _ports[2];
		const __be16 *ports;

		/*
		 * a first fragment without its ports could pass no port rule
		 * (RFC 7112); nor can a datagram that short be TCP or UDP
		 */
		ports = skb_header_pointer(skb, l4off, sizeof(_ports), _ports);
		if (!ports)
			goto malformed;
		dport = ntohs(ports[1]);
	}
	if (ported && is_frag)
		frag_key = sekisho_rx_frag_key(family, saddr, daddr, proto, frag_id);

	rcu_read_lock();
	cfg = rcu_dereference(peer->cfg);
	if (unlikely(!cfg)) {
		/* removed while the record was in the crypto layer */
		rcu_read_unlock();
		kfree_skb(skb);
		return;
	}
	if (!sekisho_peer_src_ok(cfg, family, saddr)) {
		rcu_read_unlock();
		sekisho_rx_count(peer, SEKISHO_STAT_DROP_SPOOF);
		kfree_skb(skb);
		return;
	}
	if (ported && is_frag && !first_frag) {
		spin_lock_bh(&peer->frag_lock);
		allowed = sekisho_frags_allowed(&peer->frags, frag_key, jiffies);
		spin_unlock_bh(&peer->frag_lock);
	} else {
		allowed = sekisho_policy_allows(cfg->policy, family, daddr, proto, dport);
		if (allowed && frag_key) {
			spin_lock_bh(&peer->frag_lock);
			sekisho_frags_allow(&peer->frags, frag_key, jiffies,
					    SEKISHO_FRAG_TTL_SECS * HZ);
			spin_unlock_bh(&peer->frag_lock);
		}
	}
	if (!allowed) {
		rcu_read_unlock();
		sekisho_rx_count(peer, SEKISHO_STAT_DROP_POLICY);
		sekisho_rx_deny_sample(peer, family, saddr, daddr, proto, dport);
		kfree_skb(skb);
		return;
	}
	rcu_read_unlock();

	/* a packet received on the sekisho device from here on */
	len = skb->len;
	skb_reset_mac_header(skb);
	skb_reset_mac_len(skb);
	skb_scrub_packet(skb, !net_eq(dev_net(sdev->dev),
				      sekisho_peer_net(peer)));
	skb_clear_hash(skb);
	skb->dev = sdev->dev;
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;
	skb->encapsulation = 0;
	sekisho_stats_add2(sdev->stats, SEKISHO_STAT_RX_PACKETS, 1,
			   SEKISHO_STAT_RX_BYTES, len);
	sekisho_stats_add2(peer->stats, SEKISHO_STAT_RX_PACKETS, 1,
			   SEKISHO_STAT_RX_BYTES, len);
	sekisho_dev_deliver(sdev, skb);
	return;

malformed:
	sekisho_rx_count(peer, SEKISHO_STAT_DROP_MALFORMED);
	kfree_skb(skb);
}

/* the record's tag verified (err == 0) or not; consumes everything */
static void sekisho_rx_finish(struct sekisho_crypto_ctx *ctx, int err)
{
	struct sekisho_peer *peer = ctx->peer;
	struct sekisho_key *key = ctx->key;
	struct sk_buff *skb = ctx->skb;
	unsigned int plen = ctx->plen;
	u64 seq = ctx->seq;
	unsigned long now;
	bool fresh;
	u8 type;

	sekisho_crypto_ctx_free(ctx);
	if (unlikely(err)) {
		sekisho_rx_count(peer, err == -EBADMSG ? SEKISHO_STAT_DROP_AUTH :
				 SEKISHO_STAT_RX_ERRORS);
		goto drop;
	}

	/* authentic: now it may move the window (a concurrent copy may win) */
	spin_lock(&key->replay_lock);
	fresh = sekisho_replay_update(&key->replay, seq);
	spin_unlock(&key->replay_lock);
	if (!fresh) {
		sekisho_rx_count(peer, SEKISHO_STAT_DROP_REPLAY);
		goto drop;
	}

	now = jiffies;
	if (READ_ONCE(peer->last_rx) != now)
		WRITE_ONCE(peer->last_rx, now);
	if (READ_ONCE(peer->idle_sent))
		WRITE_ONCE(peer->idle_sent, false);
	/* the client is on DTLS (again): answer there */
	if (READ_ONCE(peer->via_stream))
		WRITE_ONCE(peer->via_stream, false);
	if (ip_hdr(skb)->version == 4)
		sekisho_peer_learn_local(peer, AF_INET, &ip_hdr(skb)->daddr);
	else
		sekisho_peer_learn_local(peer, AF_INET6, &ipv6_hdr(skb)->daddr);

	/* to the plaintext: type byte, then the payload; drop the tag */
	__skb_pull(skb, SEKISHO_REC_HDR_LEN + sekisho_rec_nonce_len(key->cipher));
	if (pskb_trim(skb, plen) || !pskb_may_pull(skb, 1)) {
		sekisho_rx_count(peer, SEKISHO_STAT_RX_ERRORS);
		goto drop;
	}
	sekisho_key_put(key);
	type = skb->data[0];
	switch (type) {
	case SEKISHO_PT_DATA:
		__skb_pull(skb, 1);
		sekisho_rx_packet(peer, skb);
		break;
	case SEKISHO_PT_DPD_REQ:
		/* the echo: same bytes after the type byte, sealed anew */
		__skb_pull(skb, 1);
		if (sekisho_peer_get(peer))
			sekisho_tx_record(peer, skb, SEKISHO_PT_DPD_RESP, 0);
		else
			kfree_skb(skb);
		break;
	case SEKISHO_PT_KEEPALIVE:
		sekisho_rx_count(peer, SEKISHO_STAT_KEEPALIVES);
		consume_skb(skb);
		break;
	case SEKISHO_PT_DPD_RESP:
		consume_skb(skb);
		break;
	default:
		/*
		 * COMPRESSED was not negotiated; DISCONNECT and TERMINATE
		 * are sent on CSTP only; the decrypted record cannot be given
		 * back to userspace.
		 */
		sekisho_rx_count(peer, SEKISHO_STAT_DROP_MALFORMED);
		kfree_skb(skb);
		break;
	}
	sekisho_peer_put(peer);
	return;

drop:
	kfree_skb(skb);
	sekisho_key_put(key);
	sekisho_peer_put(peer);
}

/*
 * Decrypt the record in place.  skb->data at the DTLS header; the record
 * fills the skb.  Consumes skb and the references on peer and key.
 */
static void sekisho_rx_decrypt(struct sekisho_peer *peer,
			       struct sekisho_key *key, struct sk_buff *skb,
			       const struct sekisho_rec_hdr *h)
{
	unsigned int nonce_len = sekisho_rec_nonce_len(key->cipher);
	unsigned int plen = h->len - nonce_len - SEKISHO_REC_TAG_LEN;
	struct sekisho_dev *sdev = peer->sdev;
	struct sekisho_crypto_ctx *ctx;
	struct sk_buff *trailer;
	int nfrags;

	if (atomic_read(&sdev->inflight) > SEKISHO_MAX_INFLIGHT)
		goto err;
	nfrags = skb_cow_data(skb, 0, &trailer);
	if (nfrags < 0)
		goto err;
	ctx = sekisho_crypto_ctx_alloc(key->rx_tfm, nfrags + 1);
	if (!ctx)
		goto err;
	ctx->skb = skb;
	ctx->peer = peer;
	ctx->key = key;
	ctx->seq = h->seq;
	ctx->plen = plen;
	if (nonce_len)
		sekisho_rec_gcm_nonce(ctx->iv, key->rx_iv,
				      skb->data + SEKISHO_REC_HDR_LEN);
	else
		sekisho_rec_build_nonce(ctx->iv, key->cipher, key->rx_iv,
					h->epoch, h->seq);
	sekisho_rec_build_aad(ctx->aad, h->epoch, h->seq, plen);
	if (sekisho_crypto_run(ctx, false, SEKISHO_REC_HDR_LEN + nonce_len,
			       sekisho_rx_finish))
		goto err;
	return;

err:
	sekisho_rx_count(peer, SEKISHO_STAT_RX_ERRORS);
	kfree_skb(skb);
	sekisho_key_put(key);
	sekisho_peer_put(peer);
}

void sekisho_rx_work(struct work_struct *work)
{
	struct sekisho_peer *peer = container_of(work, struct sekisho_peer,
						 rx_work);
	struct sekisho_rec_hdr h;
	struct sekisho_key *key;
	struct sk_buff *skb;
	unsigned int n = 0;

	/*
	 * Running on the CPU that queued the records moved nothing off it
	 * (the gateway has one CPU for this, or every other one is busy),
	 * and a kworker's wake-up per run costs that CPU more than decrypting
	 * in the softirq.  After a few such runs in a row the softirq
	 * decrypts this peer's records for a while; then the work item is
	 * tried again, in case another CPU has become free.  rx_same is the
	 * work's own: its runs do not overlap.
	 */
	if (raw_smp_processor_id() != READ_ONCE(peer->rx_cpu)) {
		peer->rx_same = 0;
	} else if (++peer->rx_same >= SEKISHO_RX_SAME_RUNS) {
		peer->rx_same = 0;
		WRITE_ONCE(peer->rx_inline_until,
			   jiffies + SEKISHO_RX_INLINE_TIME);
	}
	/* the receive path's context: RCU readers, bottom halves off */
	rcu_read_lock();
	local_bh_disable();
	while ((skb = skb_dequeue(&peer->rx_queue))) {
		atomic_dec(&peer->sdev->rx_queued);
		key = sekisho_rx_cb(skb)->key;
		h = sekisho_rx_cb(skb)->h;
		/* consumes the record's own peer and key references */
		sekisho_rx_decrypt(peer, key, skb, &h);
		if (++n % SEKISHO_RX_BATCH)
			continue;
		local_bh_enable();	/* GRO and the stack take the batch */
		rcu_read_unlock();
		/* delivered: the softirq may decrypt this peer's next record */
		atomic_sub(SEKISHO_RX_BATCH, &peer->rx_queued);
		if (n >= SEKISHO_RX_BUDGET && !skb_queue_empty_lockless(&peer->rx_queue)) {
			/* again later, with this run's reference; else it is queued already */
			if (!queue_work(sekisho_wq, &peer->rx_work))
				sekisho_peer_put(peer);
			return;
		}
		cond_resched();
		rcu_read_lock();
		local_bh_disable();
	}
	local_bh_enable();
	rcu_read_unlock();
	atomic_sub(n % SEKISHO_RX_BATCH, &peer->rx_queued);
	sekisho_peer_put(peer);
}

/*
 * Hand the record to the peer's work item when the peer sends large
 * records, or when records of it are still queued (so none overtakes
 * them); else decrypt it here.  Consumes like sekisho_rx_decrypt().
 */
static void sekisho_rx_enqueue(struct sekisho_peer *peer,
			       struct sekisho_key *key, struct sk_buff *skb,
			       const struct sekisho_rec_hdr *h)
{
	unsigned int avg = READ_ONCE(peer->rx_avg_len);
	int cpu = smp_processor_id();
	struct sekisho_rx_cb *cb;

	/* one flow, one CPU at a time: a lost update only blurs the average */
	avg = avg - avg / 8 + skb->len / 8;
	WRITE_ONCE(peer->rx_avg_len, avg);
	if ((!sekisho_rx_in_work() || avg < SEKISHO_RX_WORK_MIN_AVG ||
	     time_before(jiffies, READ_ONCE(peer->rx_inline_until))) &&
	    !atomic_read(&peer->rx_queued)) {
		sekisho_rx_decrypt(peer, key, skb, h);
		return;
	}
	if (READ_ONCE(peer->rx_cpu) != cpu)
		WRITE_ONCE(peer->rx_cpu, cpu);
	cb = sekisho_rx_cb(skb);
	cb->key = key;
	cb->h = *h;
	/* bounded per peer, and per device against many flooding peers */
	spin_lock(&peer->rx_queue.lock);
	if (unlikely(skb_queue_len(&peer->rx_queue) >= SEKISHO_RX_QUEUE_LEN))
		goto full;
	if (unlikely(atomic_inc_return(&peer->sdev->rx_queued) > SEKISHO_MAX_RX_QUEUED)) {
		atomic_dec(&peer->sdev->rx_queued);
		goto full;
	}
	__skb_queue_tail(&peer->rx_queue, skb);
	atomic_inc(&peer->rx_queued);
	spin_unlock(&peer->rx_queue.lock);
	/* the record's reference keeps the peer: this get cannot fail */
	if (sekisho_peer_get(peer) && !queue_work(sekisho_wq, &peer->rx_work))
		sekisho_peer_put(peer);	/* queued already, with a reference */
	return;

full:
	spin_unlock(&peer->rx_queue.lock);
	sekisho_rx_count(peer, SEKISHO_STAT_RX_ERRORS);
	kfree_skb(skb);
	sekisho_key_put(key);
	sekisho_peer_put(peer);
}

static struct sekisho_key *sekisho_rx_key(struct sekisho_peer *peer, u16 epoch)
{
	struct sekisho_key *key;
	unsigned int i;

	for (i = 0; i < SEKISHO_NSLOTS; i++) {
		key = rcu_dereference(peer->keys[i]);
		if (key && key->epoch == epoch)
			return key;
	}
	return NULL;
}

static bool sekisho_rx_endpoint(struct sekisho_sock *ss, struct sk_buff *skb,
				struct sekisho_ep_key *k)
{
	__be16 sport = udp_hdr(skb)->source;

	switch (ip_hdr(skb)->version) {
	case 4:
		sekisho_ep_key_init(k, ss, AF_INET, &ip_hdr(skb)->saddr, sport);
		return true;
	case 6:
		sekisho_ep_key_init(k, ss, AF_INET6, &ipv6_hdr(skb)->saddr,
				    sport);
		return true;
	}
	return false;
}

/* UDP encap_rcv: 0 = consumed, 1 = continue to the socket's queue */
int sekisho_udp_recv(struct sock *sk, struct sk_buff *skb)
{
	struct sekisho_peer *peer;
	struct sekisho_sock *ss;
	struct sekisho_dev *sdev;
	struct sekisho_rec_hdr h;
	struct sekisho_ep_key k;
	struct sekisho_key *key;
	unsigned int dlen;
	bool fresh;
	int ret;

	ss = rcu_dereference_sk_user_data(sk);
	if (unlikely(!ss) || !sekisho_rx_endpoint(ss, skb, &k))
		return 1;
	sdev = ss->sdev;
	dlen = skb->len - sizeof(struct udphdr);

	peer = sekisho_peer_by_endpoint(sdev, &k);
	if (!peer) {
		u8 _type;
		const u8 *type;

		/* a new client's handshake, or data for a session gone */
		type = skb_header_pointer(skb, sizeof(struct udphdr), 1, &_type);
		if (type && *type == SEKISHO_REC_TYPE_APPDATA)
			sekisho_stats_inc(sdev->stats, SEKISHO_STAT_DROP_NO_PEER);
		sekisho_stats_inc(sdev->stats, SEKISHO_STAT_TO_USERSPACE);
		return 1;
	}

	if (dlen < SEKISHO_REC_HDR_LEN)
		goto malformed;
	if (!pskb_may_pull(skb, sizeof(struct udphdr) + SEKISHO_REC_HDR_LEN))
		goto drop;
	/* with no cipher yet: only the header fields, to find the key */
	ret = sekisho_rec_parse(skb->data + sizeof(struct udphdr), dlen,
				SEKISHO_CIPHER_NONE, &h);
	if (ret == -EINVAL)
		goto malformed;
	if (h.type != SEKISHO_REC_TYPE_APPDATA ||
	    h.version != SEKISHO_DTLS12_VERSION)
		goto to_user;
	key = sekisho_rx_key(peer, h.epoch);
	if (!key)
		goto to_user;
	ret = sekisho_rec_parse(skb->data + sizeof(struct udphdr), dlen,
				key->cipher, &h);
	if (ret == -ENOENT)
		goto to_user;
	if (ret)
		goto malformed;

	/* cheap rejection of replays and stale records before any crypto */
	spin_lock(&key->replay_lock);
	fresh = sekisho_replay_check(&key->replay, h.seq);
	spin_unlock(&key->replay_lock);
	if (!fresh) {
		sekisho_rx_count(peer, SEKISHO_STAT_DROP_REPLAY);
		goto drop;
	}

	if (!sekisho_peer_get(peer))
		goto to_user;
	if (!refcount_inc_not_zero(&key->refcnt)) {
		sekisho_peer_put(peer);
		goto to_user;
	}
	__skb_pull(skb, sizeof(struct udphdr));
	sekisho_rx_enqueue(peer, key, skb, &h);
	return 0;

to_user:
	sekisho_rx_count(peer, SEKISHO_STAT_TO_USERSPACE);
	return 1;
malformed:
	sekisho_rx_count(peer, SEKISHO_STAT_DROP_MALFORMED);
drop:
	kfree_skb(skb);
	return 0;
}
