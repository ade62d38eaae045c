/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DTLS 1.2 record header for the AEAD suites, anyconnect-protocol.md 6.6:
 *
 *   type(1)=23 | version(2)=FE FD | epoch(2) | seq(6) | length(2)	(BE)
 *   GCM:     fragment = explicit_nonce(8) | ciphertext(n) | tag(16)
 *   ChaCha:  fragment = ciphertext(n) | tag(16)
 *   AAD(13) = epoch(2) | seq(6) | 23 | FE FD | n(2)	(n = plaintext length)
 */
#ifndef _SEKISHO_RECORD_H
#define _SEKISHO_RECORD_H

#include "pure.h"

#define SEKISHO_REC_HDR_LEN		13
#define SEKISHO_REC_AAD_LEN		13
#define SEKISHO_REC_NONCE_LEN		12	/* full AEAD nonce */
#define SEKISHO_REC_TAG_LEN		16
#define SEKISHO_REC_GCM_EXPLICIT_LEN	8
#define SEKISHO_REC_GCM_SALT_LEN	4
#define SEKISHO_REC_CHACHA_IV_LEN	12

#define SEKISHO_REC_TYPE_CCS		20
#define SEKISHO_REC_TYPE_ALERT		21
#define SEKISHO_REC_TYPE_HANDSHAKE	22
#define SEKISHO_REC_TYPE_APPDATA	23
#define SEKISHO_DTLS12_VERSION		0xfefd

/* payload type byte inside the plaintext (same values as CSTP) */
#define SEKISHO_PT_DATA		0x00
#define SEKISHO_PT_DPD_REQ	0x03
#define SEKISHO_PT_DPD_RESP	0x04
#define SEKISHO_PT_DISCONNECT	0x05
#define SEKISHO_PT_KEEPALIVE	0x07
#define SEKISHO_PT_COMPRESSED	0x08
#define SEKISHO_PT_TERMINATE	0x09

struct sekisho_rec_hdr {
	u8 type;
	u16 version;
	u16 epoch;
	u64 seq;	/* 48 bits */
	u16 len;	/* fragment length, after the header */
};

/* true for SEKISHO_CIPHER_AES128_GCM, _AES256_GCM, _CHACHA20_POLY1305 */
bool sekisho_rec_cipher_valid(u32 cipher);
/* explicit nonce bytes in the fragment: 8 for GCM, 0 for ChaCha20 (and unknown) */
unsigned int sekisho_rec_nonce_len(u32 cipher);
/* header + explicit nonce + tag: 37 (GCM) / 29 (ChaCha20); 0 for an unknown cipher */
unsigned int sekisho_rec_overhead(u32 cipher);
/* key length: 16 (AES-128-GCM) or 32; 0 for an unknown cipher */
unsigned int sekisho_rec_key_len(u32 cipher);
/* implicit IV length: 4 (GCM salt) or 12 (ChaCha20); 0 for an unknown cipher */
unsigned int sekisho_rec_iv_len(u32 cipher);

/*
 * Parse the first 13 bytes of a datagram of total length dlen.
 *
 * 0:       a single DTLS 1.2 application-data record that exactly fills the
 *          datagram and holds at least explicit nonce + 1 type byte + tag
 *          for cipher; *h is filled in.
 * -ENOENT: some other DTLS record (handshake 22, alert 21, CCS 20, another
 *          content type or version, several records in one datagram, or an
 *          unknown cipher): hand it to userspace unchanged.  *h is filled in
 *          whenever dlen >= 13.
 * -EINVAL: too short to be any record (dlen < 13), or an application-data
 *          record that is truncated or too short for cipher: drop it.
 */
int sekisho_rec_parse(const u8 *buf, unsigned int dlen, u32 cipher,
		      struct sekisho_rec_hdr *h);
/* 13 bytes: 23 | FE FD | epoch | seq(48) | len */
void sekisho_rec_build_hdr(u8 *buf, u16 epoch, u64 seq, u16 len);
/* 13 bytes: epoch | seq(48) | 23 | FE FD | plaintext length */
void sekisho_rec_build_aad(u8 *aad, u16 epoch, u64 seq, u16 plen);
/* 8 bytes of GCM explicit nonce: epoch | seq(48) (what GnuTLS sends) */
void sekisho_rec_build_explicit(u8 *explicit_nonce, u16 epoch, u64 seq);
/*
 * 12-byte AEAD nonce.  GCM: salt(4) | epoch(2) | seq(6), iv = 4-byte salt;
 * ChaCha20: iv(12) XOR (00000000 | epoch | seq), iv = 12 bytes.
 */
void sekisho_rec_build_nonce(u8 *nonce, u32 cipher, const u8 *iv,
			     u16 epoch, u64 seq);
/*
 * GCM receive side: the nonce is salt(4) | the 8 explicit bytes the sender
 * put in front of the ciphertext (which need not be epoch | seq).
 */
void sekisho_rec_gcm_nonce(u8 *nonce, const u8 *salt,
			   const u8 *explicit_nonce);

#endif /* _SEKISHO_RECORD_H */
