/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One TLS application record opened or sealed with the parameters
 * lib/sktls.c exports (struct sk_ktls_keys), with plain EVP AEAD code of
 * its own (not OpenSSL's TLS record layer), as the kernel would use them:
 * the checks of lib-ktls-test and worker-conn-test.
 */
#ifndef SK_TEST_KTLS_REC_H
#define SK_TEST_KTLS_REC_H

#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sktls.h"

/* TLS 1.2 GCM: salt + explicit nonce; ChaCha20 and TLS 1.3: iv ^ seq */
static void krec_nonce(const struct sk_ktls_keys *k, const uint8_t *iv, uint64_t seq,
		       const uint8_t *explicit, uint8_t out[12])
{
	if (k->version == 0x0303 && k->cipher != SK_KTLS_CHACHA20_POLY1305) {
		memcpy(out, iv, 4);
		memcpy(out + 4, explicit, 8);
		return;
	}
	memcpy(out, iv, 12);
	for (int i = 0; i < 8; i++)
		out[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
}

static int krec_aead(const struct sk_ktls_keys *k, bool enc, const uint8_t *key, const uint8_t *n,
		     const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
		     uint8_t *tag)
{
	const EVP_CIPHER *ci = k->cipher == SK_KTLS_AES128_GCM ? EVP_aes_128_gcm() :
			       k->cipher == SK_KTLS_AES256_GCM ? EVP_aes_256_gcm() :
			       EVP_chacha20_poly1305();
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol, ok;

	ok = c && EVP_CipherInit_ex(c, ci, NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, n, enc) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag)) &&
	     EVP_CipherUpdate(c, NULL, &ol, aad, (int)aadlen) &&
	     EVP_CipherUpdate(c, out, &ol, in, (int)len) &&
	     EVP_CipherFinal_ex(c, out + ol, &ol) &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag));
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* TLS 1.2's additional data: seq, type 23, version, plaintext length */
static void krec_aad12(uint8_t aad[13], uint64_t seq, size_t len)
{
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = 23;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
}

/* reads one application record (<= 512 bytes) from fd and opens it with the
 * receive keys at rx_seq: its content into pt (<= 512), length in *ptlen */
static int krec_open(const struct sk_ktls_keys *k, int fd, uint8_t *pt, size_t *ptlen)
{
	uint8_t rec[512 + 64], n[12], aad[13];
	size_t blen, off = 0, ctlen;
	ssize_t got = read(fd, rec, 5);

	if (got != 5 || rec[0] != 23)
		return -1;
	blen = (size_t)(rec[3] << 8 | rec[4]);
	if (blen < 16 + 8 || blen > 512 || read(fd, rec + 5, blen) != (ssize_t)blen)
		return -1;
	if (k->version == 0x0303) {
		if (k->cipher != SK_KTLS_CHACHA20_POLY1305)
			off = 8;
		ctlen = blen - off - 16;
		krec_aad12(aad, k->rx_seq, ctlen);
		krec_nonce(k, k->rx_iv, k->rx_seq, rec + 5, n);
		if (krec_aead(k, false, k->rx_key, n, aad, 13, rec + 5 + off, ctlen, pt,
			      rec + 5 + off + ctlen))
			return -1;
		*ptlen = ctlen;
		return 0;
	}
	ctlen = blen - 16;
	krec_nonce(k, k->rx_iv, k->rx_seq, NULL, n);
	if (krec_aead(k, false, k->rx_key, n, rec, 5, rec + 5, ctlen, pt, rec + 5 + ctlen))
		return -1;
	/* the inner content type follows the content (no padding here) */
	if (!ctlen || pt[ctlen - 1] != 23)
		return -1;
	*ptlen = ctlen - 1;
	return 0;
}

/* seals msg (<= 256 bytes) as one application record with the transmit
 * keys at tx_seq and writes it to fd */
static int krec_seal(const struct sk_ktls_keys *k, int fd, const void *msg, size_t len)
{
	uint8_t rec[5 + 8 + 257 + 16], pt[257], n[12], aad[13], ex[8];
	size_t off = 0, ptlen = len, total;

	if (len > 256)
		return -1;
	memcpy(pt, msg, len);
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	for (int i = 0; i < 8; i++)
		ex[i] = (uint8_t)(k->tx_seq >> (56 - 8 * i));
	if (k->version == 0x0303) {
		if (k->cipher != SK_KTLS_CHACHA20_POLY1305) {
			off = 8;
			memcpy(rec + 5, ex, 8);
		}
		krec_aad12(aad, k->tx_seq, ptlen);
		krec_nonce(k, k->tx_iv, k->tx_seq, ex, n);
		if (krec_aead(k, true, k->tx_key, n, aad, 13, pt, ptlen, rec + 5 + off,
			      rec + 5 + off + ptlen))
			return -1;
	} else {
		pt[ptlen++] = 23;
		rec[3] = (uint8_t)((ptlen + 16) >> 8);
		rec[4] = (uint8_t)(ptlen + 16);
		krec_nonce(k, k->tx_iv, k->tx_seq, NULL, n);
		if (krec_aead(k, true, k->tx_key, n, rec, 5, pt, ptlen, rec + 5, rec + 5 + ptlen))
			return -1;
	}
	total = 5 + off + ptlen + 16;
	rec[3] = (uint8_t)((total - 5) >> 8);
	rec[4] = (uint8_t)(total - 5);
	return write(fd, rec, total) == (ssize_t)total ? 0 : -1;
}

#endif
