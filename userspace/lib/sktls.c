// SPDX-License-Identifier: GPL-2.0
/* Kernel TLS for an OpenSSL connection; see sktls.h. */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>

#include "sktls.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

static int ex_idx = -1;

static void hex_in(const char *h, uint8_t *out, size_t *len)
{
	size_t n = 0;

	for (; n < 64; n++) {
		unsigned int b;

		if (!h[2 * n] || !h[2 * n + 1] || sscanf(h + 2 * n, "%2x", &b) != 1)
			break;
		out[n] = (uint8_t)b;
	}
	*len = n;
}

static void keylog(const SSL *ssl, const char *line)
{
	struct sk_ktls_track *t = ex_idx >= 0 ? SSL_get_ex_data(ssl, ex_idx) : NULL;
	const char *p = strrchr(line, ' ');

	if (!t || !p)
		return;
	if (!strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24))
		hex_in(p + 1, t->c_secret, &t->c_len);
	else if (!strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24))
		hex_in(p + 1, t->s_secret, &t->s_len);
}

/*
 * Every record header goes by here (SSL3_RT_HEADER: on reads when it is
 * read, on writes when the record is made), and every handshake message
 * after its record's header.  TLS 1.2: the records after a
 * ChangeCipherSpec record use the new keys (the Finished is number 0).
 * TLS 1.3: the records after the Finished use the traffic keys (number 0
 * is the first application record).
 */
static void on_msg(int write_p, int version, int type, const void *buf, size_t len, SSL *ssl,
		   void *arg)
{
	struct sk_ktls_track *t = arg;
	const uint8_t *b = buf;
	int dir = write_p ? 1 : 0;
	bool v13 = SSL_version(ssl) == TLS1_3_VERSION;

	(void)version;
	if (!t || !len)
		return;
	switch (type) {
	case SSL3_RT_HEADER:
		if (len < 5)
			return;
		if (b[0] == SSL3_RT_CHANGE_CIPHER_SPEC) {
			/* TLS 1.3's middlebox ChangeCipherSpec changes nothing */
			if (!v13) {
				if (t->active[dir])
					t->post = true;
				t->active[dir] = true;
				t->seq[dir] = 0;
			}
		} else if (t->active[dir]) {
			t->seq[dir]++;
		}
		break;
	case SSL3_RT_HANDSHAKE:
		if (t->done[dir]) {
			t->post = true;	/* ticket, KeyUpdate, renegotiation */
		} else if (b[0] == SSL3_MT_FINISHED) {
			t->done[dir] = true;
			if (v13) {
				t->active[dir] = true;
				t->seq[dir] = 0;
			}
		}
		break;
	case SSL3_RT_ALERT:
		t->post = true;
		break;
	}
}

int sk_ktls_ctx(SSL_CTX *ctx)
{
	if (ex_idx < 0)
		ex_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ex_idx < 0)
		return -1;
	SSL_CTX_set_keylog_callback(ctx, keylog);
	return 0;
}

int sk_ktls_track(SSL *ssl, struct sk_ktls_track *t)
{
	memset(t, 0, sizeof(*t));
	if (ex_idx < 0 || !SSL_set_ex_data(ssl, ex_idx, t))
		return -1;
	SSL_set_msg_callback(ssl, on_msg);
	SSL_set_msg_callback_arg(ssl, t);
	return 0;
}

void sk_ktls_preload(void)
{
	EVP_KDF_free(EVP_KDF_fetch(NULL, "HKDF", NULL));
	EVP_KDF_free(EVP_KDF_fetch(NULL, "TLS1-PRF", NULL));
}

static int kdf(const char *name, const char *digest, int mode, const uint8_t *key, size_t keylen,
	       const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *c = k ? EVP_KDF_CTX_new(k) : NULL;
	OSSL_PARAM p[5], *q = p;
	int ret = -1;

	if (!c)
		goto out;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	/* HKDF's pseudorandom key is its "key", the PRF's is its "secret" */
	*q++ = OSSL_PARAM_construct_octet_string(mode >= 0 ? OSSL_KDF_PARAM_KEY :
						 OSSL_KDF_PARAM_SECRET, (void *)key, keylen);
	if (mode >= 0) {
		*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
							 infolen);
	} else {
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)info,
							 infolen);
	}
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(c, out, outlen, p) > 0)
		ret = 0;
out:
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(k);
	return ret;
}

/* HKDF-Expand-Label(secret, label, "", len) of RFC 8446 §7.1 */
static int expand_label(const char *digest, const uint8_t *secret, size_t slen,
			const char *label, uint8_t *out, size_t len)
{
	uint8_t info[32];
	size_t ll = strlen(label), n = 0;

	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;
	return kdf("HKDF", digest, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, slen, info, n, out, len);
}

static size_t key_len(uint16_t cipher)
{
	return cipher == SK_KTLS_AES128_GCM ? 16 : 32;
}

const char *sk_ktls_export(SSL *ssl, struct sk_ktls_track *t, struct sk_ktls_keys *k)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const EVP_MD *md = c ? SSL_CIPHER_get_handshake_digest(c) : NULL;
	const char *digest = md ? EVP_MD_get0_name(md) : NULL;
	int v = SSL_version(ssl);
	size_t klen, ivlen;

	memset(k, 0, sizeof(*k));
	if (v != TLS1_2_VERSION && v != TLS1_3_VERSION)
		return "version";
	if (!c || !digest)
		return "cipher";
	switch (SSL_CIPHER_get_cipher_nid(c)) {
	case NID_aes_128_gcm:
		k->cipher = SK_KTLS_AES128_GCM;
		break;
	case NID_aes_256_gcm:
		k->cipher = SK_KTLS_AES256_GCM;
		break;
	case NID_chacha20_poly1305:
		k->cipher = SK_KTLS_CHACHA20_POLY1305;
		break;
	default:
		return "cipher";
	}
	if (t->post)
		return "post-handshake";
	if (!t->done[0] || !t->done[1] || !t->active[0] || !t->active[1])
		return "handshake";
	/* a byte OpenSSL has read (or half a record) would be lost */
	if (SSL_has_pending(ssl))
		return "pending";
	k->version = v == TLS1_3_VERSION ? 0x0304 : 0x0303;
	k->rx_seq = t->seq[0];
	k->tx_seq = t->seq[1];
	klen = key_len(k->cipher);
	ivlen = v == TLS1_3_VERSION || k->cipher == SK_KTLS_CHACHA20_POLY1305 ? 12 : 4;
	if (v == TLS1_3_VERSION) {
		if (!t->c_len || t->c_len != t->s_len)
			return "secrets";
		if (expand_label(digest, t->c_secret, t->c_len, "key", k->rx_key, klen) ||
		    expand_label(digest, t->c_secret, t->c_len, "iv", k->rx_iv, 12) ||
		    expand_label(digest, t->s_secret, t->s_len, "key", k->tx_key, klen) ||
		    expand_label(digest, t->s_secret, t->s_len, "iv", k->tx_iv, 12)) {
			OPENSSL_cleanse(k, sizeof(*k));
			return "kdf";
		}
	} else {
		uint8_t ms[48], seed[13 + 2 * SSL3_RANDOM_SIZE], kb[2 * 32 + 2 * 12];
		int bad;

		if (SSL_SESSION_get_master_key(SSL_get_session(ssl), ms, sizeof(ms)) != sizeof(ms))
			return "secrets";
		memcpy(seed, "key expansion", 13);
		SSL_get_server_random(ssl, seed + 13, SSL3_RANDOM_SIZE);
		SSL_get_client_random(ssl, seed + 13 + SSL3_RANDOM_SIZE, SSL3_RANDOM_SIZE);
		bad = kdf("TLS1-PRF", digest, -1, ms, sizeof(ms), seed, sizeof(seed), kb,
			  2 * klen + 2 * ivlen);
		/* client key, server key, client IV, server IV (AEAD: no MAC keys) */
		memcpy(k->rx_key, kb, klen);
		memcpy(k->tx_key, kb + klen, klen);
		memcpy(k->rx_iv, kb + 2 * klen, ivlen);
		memcpy(k->tx_iv, kb + 2 * klen + ivlen, ivlen);
		OPENSSL_cleanse(ms, sizeof(ms));
		OPENSSL_cleanse(kb, sizeof(kb));
		if (bad) {
			OPENSSL_cleanse(k, sizeof(*k));
			return "kdf";
		}
	}
	OPENSSL_cleanse(t->c_secret, sizeof(t->c_secret));
	OPENSSL_cleanse(t->s_secret, sizeof(t->s_secret));
	return NULL;
}

bool sk_ktls_keys_ok(const struct sk_ktls_keys *k)
{
	return (k->version == 0x0303 || k->version == 0x0304) && k->pad == 0 &&
	       k->cipher >= SK_KTLS_AES128_GCM && k->cipher <= SK_KTLS_CHACHA20_POLY1305;
}

/* one direction's crypto_info; the union is as large as the largest */
union ci {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 g128;
	struct tls12_crypto_info_aes_gcm_256 g256;
	struct tls12_crypto_info_chacha20_poly1305 cc;
};

static size_t fill_ci(union ci *c, const struct sk_ktls_keys *k, bool tx)
{
	const uint8_t *key = tx ? k->tx_key : k->rx_key, *iv = tx ? k->tx_iv : k->rx_iv;
	uint64_t seq = tx ? k->tx_seq : k->rx_seq;
	bool v13 = k->version == 0x0304;
	uint8_t rs[8];

	for (int i = 0; i < 8; i++)
		rs[i] = (uint8_t)(seq >> (56 - 8 * i));
	memset(c, 0, sizeof(*c));
	c->info.version = v13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
/* GCM: a 4-byte salt; TLS 1.3's IV goes on in iv, TLS 1.2's first explicit nonce is seq */
#define FILL_GCM(m, type, klen) do {					\
		c->info.cipher_type = (type);				\
		memcpy(c->m.key, key, (klen));				\
		memcpy(c->m.salt, iv, 4);				\
		memcpy(c->m.iv, v13 ? iv + 4 : rs, 8);			\
		memcpy(c->m.rec_seq, rs, 8);				\
		return sizeof(c->m);					\
	} while (0)
	switch (k->cipher) {
	case SK_KTLS_AES128_GCM:
		FILL_GCM(g128, TLS_CIPHER_AES_GCM_128, 16);
	case SK_KTLS_AES256_GCM:
		FILL_GCM(g256, TLS_CIPHER_AES_GCM_256, 32);
	default:
		c->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(c->cc.key, key, 32);
		memcpy(c->cc.iv, iv, 12);
		memcpy(c->cc.rec_seq, rs, 8);
		return sizeof(c->cc);
	}
#undef FILL_GCM
}

int sk_ktls_install(int fd, const struct sk_ktls_keys *k, const char **why, bool *lost)
{
	union ci tx, rx;
	size_t len;
	int ret = 0;

	*lost = false;
	if (!sk_ktls_keys_ok(k)) {
		*why = "invalid";
		return -EINVAL;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3)) {
		*why = "no-tls-module";
		return -errno;
	}
	len = fill_ci(&tx, k, true);
	fill_ci(&rx, k, false);
	if (setsockopt(fd, SOL_TLS, TLS_TX, &tx, (socklen_t)len)) {
		ret = -errno;
		*why = "kernel-cipher";
	} else if (setsockopt(fd, SOL_TLS, TLS_RX, &rx, (socklen_t)len)) {
		ret = -errno;
		*why = "kernel-rx";
		*lost = true;
	}
	OPENSSL_cleanse(&tx, sizeof(tx));
	OPENSSL_cleanse(&rx, sizeof(rx));
	return ret;
}
