// SPDX-License-Identifier: GPL-2.0
/*
 * DTLS 1.2 record header, AAD and nonce layouts of the AEAD suites
 * (anyconnect-protocol.md section 6.6, RFC 5288 for GCM, RFC 7905 for
 * ChaCha20-Poly1305).  Only byte layouts live here; the crypto is elsewhere.
 */
#include "record.h"

static inline bool sekisho_rec_is_gcm(u32 cipher)
{
	return cipher == SEKISHO_CIPHER_AES128_GCM ||
	       cipher == SEKISHO_CIPHER_AES256_GCM;
}

bool sekisho_rec_cipher_valid(u32 cipher)
{
	return sekisho_rec_is_gcm(cipher) ||
	       cipher == SEKISHO_CIPHER_CHACHA20_POLY1305;
}

unsigned int sekisho_rec_nonce_len(u32 cipher)
{
	return sekisho_rec_is_gcm(cipher) ? SEKISHO_REC_GCM_EXPLICIT_LEN : 0;
}

unsigned int sekisho_rec_overhead(u32 cipher)
{
	if (!sekisho_rec_cipher_valid(cipher))
		return 0;
	return SEKISHO_REC_HDR_LEN + sekisho_rec_nonce_len(cipher) +
	       SEKISHO_REC_TAG_LEN;
}

unsigned int sekisho_rec_key_len(u32 cipher)
{
	switch (cipher) {
	case SEKISHO_CIPHER_AES128_GCM:
		return 16;
	case SEKISHO_CIPHER_AES256_GCM:
	case SEKISHO_CIPHER_CHACHA20_POLY1305:
		return 32;
	default:
		return 0;
	}
}

unsigned int sekisho_rec_iv_len(u32 cipher)
{
	if (sekisho_rec_is_gcm(cipher))
		return SEKISHO_REC_GCM_SALT_LEN;
	if (cipher == SEKISHO_CIPHER_CHACHA20_POLY1305)
		return SEKISHO_REC_CHACHA_IV_LEN;
	return 0;
}

int sekisho_rec_parse(const u8 *buf, unsigned int dlen, u32 cipher,
		      struct sekisho_rec_hdr *h)
{
	unsigned int min_frag;

	if (dlen < SEKISHO_REC_HDR_LEN)
		return -EINVAL;

	h->type = buf[0];
	h->version = get_unaligned_be16(buf + 1);
	h->epoch = get_unaligned_be16(buf + 3);
	h->seq = get_unaligned_be48(buf + 5);
	h->len = get_unaligned_be16(buf + 11);

	if (h->type != SEKISHO_REC_TYPE_APPDATA ||
	    h->version != SEKISHO_DTLS12_VERSION)
		return -ENOENT;
	if ((unsigned int)h->len > dlen - SEKISHO_REC_HDR_LEN)
		return -EINVAL;		/* truncated: not a record at all */
	if ((unsigned int)h->len < dlen - SEKISHO_REC_HDR_LEN)
		return -ENOENT;		/* more records follow: userspace */
	if (!sekisho_rec_cipher_valid(cipher))
		return -ENOENT;
	/* explicit nonce + payload type byte + tag */
	min_frag = sekisho_rec_nonce_len(cipher) + 1 + SEKISHO_REC_TAG_LEN;
	if (h->len < min_frag)
		return -EINVAL;
	return 0;
}

void sekisho_rec_build_hdr(u8 *buf, u16 epoch, u64 seq, u16 len)
{
	buf[0] = SEKISHO_REC_TYPE_APPDATA;
	put_unaligned_be16(SEKISHO_DTLS12_VERSION, buf + 1);
	put_unaligned_be16(epoch, buf + 3);
	put_unaligned_be48(seq, buf + 5);
	put_unaligned_be16(len, buf + 11);
}

void sekisho_rec_build_aad(u8 *aad, u16 epoch, u64 seq, u16 plen)
{
	put_unaligned_be16(epoch, aad);
	put_unaligned_be48(seq, aad + 2);
	aad[8] = SEKISHO_REC_TYPE_APPDATA;
	put_unaligned_be16(SEKISHO_DTLS12_VERSION, aad + 9);
	put_unaligned_be16(plen, aad + 11);
}

void sekisho_rec_build_explicit(u8 *explicit_nonce, u16 epoch, u64 seq)
{
	put_unaligned_be16(epoch, explicit_nonce);
	put_unaligned_be48(seq, explicit_nonce + 2);
}

void sekisho_rec_gcm_nonce(u8 *nonce, const u8 *salt,
			   const u8 *explicit_nonce)
{
	memcpy(nonce, salt, SEKISHO_REC_GCM_SALT_LEN);
	memcpy(nonce + SEKISHO_REC_GCM_SALT_LEN, explicit_nonce,
	       SEKISHO_REC_GCM_EXPLICIT_LEN);
}

void sekisho_rec_build_nonce(u8 *nonce, u32 cipher, const u8 *iv,
			     u16 epoch, u64 seq)
{
	u8 es[SEKISHO_REC_GCM_EXPLICIT_LEN];
	unsigned int i;

	sekisho_rec_build_explicit(es, epoch, seq);
	if (sekisho_rec_is_gcm(cipher)) {
		sekisho_rec_gcm_nonce(nonce, iv, es);
		return;
	}
	/* ChaCha20-Poly1305 (RFC 7905): iv XOR (00000000 | epoch | seq) */
	memcpy(nonce, iv, 4);
	for (i = 0; i < sizeof(es); i++)
		nonce[4 + i] = iv[4 + i] ^ es[i];
}
