// SPDX-License-Identifier: GPL-2.0
/*
 * Record keys and per-record AEAD requests.  All crypto goes through the
 * kernel crypto API: "gcm(aes)" for both AES-GCM suites (the 12-byte nonce
 * is salt | explicit nonce, built by record.c) and
 * "rfc7539(chacha20,poly1305)" for ChaCha20-Poly1305.  Either may complete
 * asynchronously (on x86, AES-NI GCM defers to cryptd whenever the FPU is
 * not usable), so every user handles -EINPROGRESS / -EBUSY.
 */
#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "crypto.h"
#include "main.h"
#include "peer.h"

static const char *sekisho_aead_name(u32 cipher)
{
	switch (cipher) {
	case SEKISHO_CIPHER_AES128_GCM:
	case SEKISHO_CIPHER_AES256_GCM:
		return "gcm(aes)";
	case SEKISHO_CIPHER_CHACHA20_POLY1305:
		return "rfc7539(chacha20,poly1305)";
	}
	return NULL;
}

/*
 * One keyless transform of each AEAD, held from module load to unload.
 * The first allocation of "gcm(aes)" in a kernel loads modules through
 * modprobe, instantiates the template and runs its self-tests: 1.7 s
 * under emulation on Debian's 6.1, 1.3 s for ChaCha20-Poly1305.  Paid in
 * the first client's DTLS handshake, that made the gateway answer the
 * client's second flight only after its retransmission (issue 11 item
 * 13).  Held, the instance and its modules stay, and every peer's
 * allocation is a lookup.
 */
static struct crypto_aead *sekisho_aead_held[2];

void sekisho_crypto_init(void)
{
	static const char *const names[] = {
		"gcm(aes)", "rfc7539(chacha20,poly1305)",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct crypto_aead *tfm = crypto_alloc_aead(names[i], 0, 0);

		/* not fatal: a kernel without it refuses that suite's keys */
		sekisho_aead_held[i] = IS_ERR(tfm) ? NULL : tfm;
	}
}

void sekisho_crypto_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(sekisho_aead_held); i++)
		if (sekisho_aead_held[i])
			crypto_free_aead(sekisho_aead_held[i]);
}

static struct crypto_aead *sekisho_aead_new(u32 cipher, const u8 *key,
					    const char **why)
{
	const char *name = sekisho_aead_name(cipher);
	struct crypto_aead *tfm;
	int ret;

	if (!name) {
		*why = "unknown cipher";
		return ERR_PTR(-EINVAL);
	}
	tfm = crypto_alloc_aead(name, 0, 0);
	if (IS_ERR(tfm)) {
		*why = "AEAD transform not available in this kernel";
		return tfm;
	}
	if (crypto_aead_ivsize(tfm) != SEKISHO_REC_NONCE_LEN) {
		*why = "AEAD transform has an unexpected nonce size";
		ret = -EINVAL;
		goto err;
	}
	ret = crypto_aead_setkey(tfm, key, sekisho_rec_key_len(cipher));
	if (ret) {
		*why = "the AEAD transform refused the key";
		goto err;
	}
	ret = crypto_aead_setauthsize(tfm, SEKISHO_REC_TAG_LEN);
	if (ret) {
		*why = "the AEAD transform refused a 16-byte tag";
		goto err;
	}
	return tfm;

err:
	crypto_free_aead(tfm);
	return ERR_PTR(ret);
}

static void sekisho_key_destroy(struct sekisho_key *key)
{
	/* crypto_free_aead() wipes the transform contexts (the keys) */
	if (key->tx_tfm)
		crypto_free_aead(key->tx_tfm);
	if (key->rx_tfm)
		crypto_free_aead(key->rx_tfm);
	/* and this the IVs */
	kfree_sensitive(key);
}

struct sekisho_key *sekisho_key_create(const struct sekisho_key_params *p,
				       const char **why)
{
	unsigned int ivlen = sekisho_rec_iv_len(p->cipher);
	struct sekisho_key *key;
	struct crypto_aead *tfm;

	key = kzalloc(sizeof(*key), GFP_KERNEL);
	if (!key) {
		*why = "out of memory";
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&key->refcnt, 1);
	key->epoch = p->epoch;
	key->cipher = p->cipher;
	atomic64_set(&key->tx_next, p->tx_seq);
	spin_lock_init(&key->replay_lock);
	if (p->rx_seq_set)
		sekisho_replay_init_seen(&key->replay, p->rx_seq);
	else
		sekisho_replay_init(&key->replay);
	memcpy(key->tx_iv, p->tx_iv, ivlen);
	memcpy(key->rx_iv, p->rx_iv, ivlen);

	tfm = sekisho_aead_new(p->cipher, p->tx_key, why);
	if (IS_ERR(tfm))
		goto err;
	key->tx_tfm = tfm;
	tfm = sekisho_aead_new(p->cipher, p->rx_key, why);
	if (IS_ERR(tfm))
		goto err;
	key->rx_tfm = tfm;
	return key;

err:
	sekisho_key_destroy(key);
	return ERR_CAST(tfm);
}

static void sekisho_key_free_work(struct work_struct *work)
{
	struct sekisho_key *key = container_of(to_rcu_work(work),
					       struct sekisho_key, free_work);

	sekisho_key_destroy(key);
}

/*
 * Datapath readers find keys under RCU without a reference, so the key is
 * freed a grace period after the last reference is gone; crypto_free_aead()
 * may sleep, hence a work item rather than an RCU callback.
 */
void sekisho_key_put(struct sekisho_key *key)
{
	if (!key || !refcount_dec_and_test(&key->refcnt))
		return;
	INIT_RCU_WORK(&key->free_work, sekisho_key_free_work);
	queue_rcu_work(sekisho_wq, &key->free_work);
}

struct sekisho_key *sekisho_key_get(struct sekisho_key __rcu **slot)
{
	struct sekisho_key *key;

	rcu_read_lock();
	key = rcu_dereference(*slot);
	if (key && !refcount_inc_not_zero(&key->refcnt))
		key = NULL;
	rcu_read_unlock();
	return key;
}

bool sekisho_key_rx_seq(struct sekisho_key *key, u64 *seq)
{
	bool any;

	spin_lock_bh(&key->replay_lock);
	any = key->replay.any;
	*seq = key->replay.right;
	spin_unlock_bh(&key->replay_lock);
	return any;
}

/*
 * One allocation per record: the context, then the scatterlist, then the
 * AEAD request with the transform's private request space (aligned as the
 * crypto API wants it), the same layout esp4 uses.
 */
struct sekisho_crypto_ctx *sekisho_crypto_ctx_alloc(struct crypto_aead *tfm,
						    unsigned int nsg)
{
	struct sekisho_crypto_ctx *ctx;
	size_t sg_off, req_off, len;

	sg_off = ALIGN(sizeof(*ctx), __alignof__(struct scatterlist));
	req_off = ALIGN(sg_off + nsg * sizeof(struct scatterlist),
			crypto_tfm_ctx_alignment());
	len = req_off + sizeof(struct aead_request) + crypto_aead_reqsize(tfm);

	ctx = kmalloc(len, GFP_ATOMIC | __GFP_NOWARN);
	if (!ctx)
		return NULL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->sg = (struct scatterlist *)((u8 *)ctx + sg_off);
	ctx->req = (struct aead_request *)((u8 *)ctx + req_off);
	sg_init_table(ctx->sg, nsg);
	aead_request_set_tfm(ctx->req, tfm);
	return ctx;
}

void sekisho_crypto_ctx_free(struct sekisho_crypto_ctx *ctx)
{
	kfree(ctx);
}

/*
 * The one completion callback of both directions.  6.3+ pass the request's
 * data, older kernels the crypto_async_request whose ->data it is.
 */
#ifdef SEKISHO_COMPAT_CB_DATA
static void sekisho_crypto_done(void *data, int err)
{
#else
static void sekisho_crypto_done(struct crypto_async_request *areq, int err)
{
	void *data = areq->data;
#endif
	struct sekisho_crypto_ctx *ctx = data;

	/* a backlogged request entered the queue: the result comes later */
	if (err == -EINPROGRESS)
		return;
	atomic_dec(&ctx->peer->sdev->inflight);
	local_bh_disable();
	ctx->finish(ctx, err);
	local_bh_enable();
}

int sekisho_crypto_run(struct sekisho_crypto_ctx *ctx, bool encrypt,
		       unsigned int off,
		       void (*finish)(struct sekisho_crypto_ctx *ctx, int err))
{
	atomic_t *inflight = &ctx->peer->sdev->inflight;
	unsigned int len = ctx->plen + SEKISHO_REC_TAG_LEN;
	int ret;

	sg_set_buf(&ctx->sg[0], ctx->aad, SEKISHO_REC_AAD_LEN);
	ret = skb_to_sgvec(ctx->skb, &ctx->sg[1], off, len);
	if (ret < 0) {
		sekisho_crypto_ctx_free(ctx);
		return ret;
	}
	ctx->finish = finish;
	aead_request_set_callback(ctx->req, CRYPTO_TFM_REQ_MAY_BACKLOG,
				  sekisho_crypto_done, ctx);
	/* the tag is output of encryption, input of decryption */
	aead_request_set_crypt(ctx->req, ctx->sg, ctx->sg,
			       encrypt ? ctx->plen : len, ctx->iv);
	aead_request_set_ad(ctx->req, SEKISHO_REC_AAD_LEN);
	ret = encrypt ? crypto_aead_encrypt(ctx->req) :
			crypto_aead_decrypt(ctx->req);
	if (ret == -EINPROGRESS || ret == -EBUSY) {
		/* ctx belongs to the callback now */
		atomic_inc(inflight);
		return 0;
	}
	finish(ctx, ret);
	return 0;
}
