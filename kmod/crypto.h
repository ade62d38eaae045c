/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Record keys (one DTLS epoch, both directions) and the per-record crypto
 * request context shared by the receive and transmit paths.
 */
#ifndef _SEKISHO_CRYPTO_H
#define _SEKISHO_CRYPTO_H

#include <linux/atomic.h>
#include <linux/refcount.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <crypto/aead.h>

#include "record.h"
#include "replay.h"

/*
 * KEY_EXHAUST_NTF goes out once per key when its next transmit sequence
 * number reaches this mark, 2^32 records before SEKISHO_SEQ_LIMIT (which
 * is never sent).
 */
#define SEKISHO_SEQ_WARN	(SEKISHO_SEQ_LIMIT - (1ULL << 32))

/* flags of struct sekisho_key */
#define SEKISHO_KEY_EXHAUST_SENT	0

struct sekisho_key {
	refcount_t refcnt;	/* a slot, and each record in flight */
	u16 epoch;
	u32 cipher;		/* enum sekisho_cipher */
	struct crypto_aead *tx_tfm;
	struct crypto_aead *rx_tfm;
	u8 tx_iv[SEKISHO_REC_NONCE_LEN];	/* implicit IV: 4 (GCM) or 12 */
	u8 rx_iv[SEKISHO_REC_NONCE_LEN];
	atomic64_t tx_next;	/* next sequence number to send */
	unsigned long flags;

	spinlock_t replay_lock;	/* protects replay */
	struct sekisho_replay replay;

	struct rcu_work free_work;
};

/* Parameters of KEY_NEW, parsed from netlink (key bytes stay there). */
struct sekisho_key_params {
	u16 epoch;
	u32 cipher;
	const u8 *tx_key, *tx_iv, *rx_key, *rx_iv;
	u64 tx_seq;		/* first sequence number to send */
	bool rx_seq_set;
	u64 rx_seq;		/* every record <= rx_seq counts as seen */
};

/*
 * Allocate the transforms and set the keys (process context).  The caller
 * wipes its copies of the key bytes afterwards.
 */
/* module load/unload: hold one transform of each AEAD (see crypto.c) */
void sekisho_crypto_init(void);
void sekisho_crypto_exit(void);

struct sekisho_key *sekisho_key_create(const struct sekisho_key_params *p,
				       const char **why);
struct sekisho_key *sekisho_key_get(struct sekisho_key __rcu **slot);
void sekisho_key_put(struct sekisho_key *key);

/* highest sequence number received, false if none */
bool sekisho_key_rx_seq(struct sekisho_key *key, u64 *seq);

/*
 * One record in the crypto layer: the AEAD request with its IV, AAD and
 * scatterlist, plus what the completion needs to carry on.
 */
struct sekisho_peer;

struct sekisho_crypto_ctx {
	struct sk_buff *skb;
	struct sekisho_peer *peer;	/* holds a reference */
	struct sekisho_key *key;	/* holds a reference */
	u64 seq;
	unsigned int plen;		/* plaintext length (type byte + data) */
	unsigned int inner_len;		/* transmit: bytes counted as tx_bytes */
	u8 type;			/* transmit: payload type byte */
	bool async;
	u8 iv[SEKISHO_REC_NONCE_LEN];
	u8 aad[SEKISHO_REC_AAD_LEN];
	struct scatterlist *sg;
	struct aead_request *req;
	/* the receive or transmit path's next step, in BH context */
	void (*finish)(struct sekisho_crypto_ctx *ctx, int err);
};

struct sekisho_crypto_ctx *sekisho_crypto_ctx_alloc(struct crypto_aead *tfm,
						    unsigned int nsg);
void sekisho_crypto_ctx_free(struct sekisho_crypto_ctx *ctx);

/*
 * Run the AEAD operation of a record, for both paths: the AAD in ctx->aad,
 * ctx->plen bytes of payload and the tag at off in ctx->skb.
 * finish(ctx, err) follows in BH context, at once or from the completion
 * (counted in the device's inflight meanwhile).  Non-zero: the skb could
 * not be mapped; ctx is freed and finish is not called.
 */
int sekisho_crypto_run(struct sekisho_crypto_ctx *ctx, bool encrypt,
		       unsigned int off,
		       void (*finish)(struct sekisho_crypto_ctx *ctx, int err));

#endif /* _SEKISHO_CRYPTO_H */
