// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite sekisho_record: DTLS 1.2 record header parsing and the AAD
 * and nonce layouts of anyconnect-protocol.md section 6.6, byte for byte.
 * Also built on the host by tests/unit as record-test.
 */
#include "../record.h"
#include "sk_test.h"

static const u32 ciphers[] = {
	SEKISHO_CIPHER_AES128_GCM,
	SEKISHO_CIPHER_AES256_GCM,
	SEKISHO_CIPHER_CHACHA20_POLY1305,
};

static bool mem_eq(struct sk_test *test, const char *what, const u8 *got,
		   const u8 *want, unsigned int n)
{
	unsigned int i;

	if (!memcmp(got, want, n))
		return true;
	for (i = 0; i < n; i++)
		if (got[i] != want[i])
			break;
	SK_FAIL("%s: byte %u is %02x, want %02x", what, i, got[i], want[i]);
	return false;
}

SK_TEST(record_cipher_sizes)
{
	SK_EXPECT_EQ(sekisho_rec_nonce_len(SEKISHO_CIPHER_AES128_GCM), 8);
	SK_EXPECT_EQ(sekisho_rec_nonce_len(SEKISHO_CIPHER_AES256_GCM), 8);
	SK_EXPECT_EQ(sekisho_rec_nonce_len(SEKISHO_CIPHER_CHACHA20_POLY1305), 0);
	SK_EXPECT_EQ(sekisho_rec_overhead(SEKISHO_CIPHER_AES128_GCM), 37);
	SK_EXPECT_EQ(sekisho_rec_overhead(SEKISHO_CIPHER_AES256_GCM), 37);
	SK_EXPECT_EQ(sekisho_rec_overhead(SEKISHO_CIPHER_CHACHA20_POLY1305), 29);
	SK_EXPECT_EQ(sekisho_rec_overhead(SEKISHO_CIPHER_NONE), 0);
	SK_EXPECT_EQ(sekisho_rec_overhead(__SEKISHO_CIPHER_MAX), 0);
	SK_EXPECT_EQ(sekisho_rec_key_len(SEKISHO_CIPHER_AES128_GCM), 16);
	SK_EXPECT_EQ(sekisho_rec_key_len(SEKISHO_CIPHER_AES256_GCM), 32);
	SK_EXPECT_EQ(sekisho_rec_key_len(SEKISHO_CIPHER_CHACHA20_POLY1305), 32);
	SK_EXPECT_EQ(sekisho_rec_iv_len(SEKISHO_CIPHER_AES128_GCM), 4);
	SK_EXPECT_EQ(sekisho_rec_iv_len(SEKISHO_CIPHER_CHACHA20_POLY1305), 12);
	SK_EXPECT(!sekisho_rec_cipher_valid(SEKISHO_CIPHER_NONE));
	SK_EXPECT(!sekisho_rec_cipher_valid(__SEKISHO_CIPHER_MAX));
	SK_EXPECT(!sekisho_rec_cipher_valid(0xffffffffU));
}

SK_TEST(record_build_hdr_layout)
{
	static const u8 want[13] = {
		0x17, 0xfe, 0xfd, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x2a,
	};
	static const u8 want_max[13] = {
		0x17, 0xfe, 0xfd, 0xff, 0xfe,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	u8 buf[13];

	sekisho_rec_build_hdr(buf, 1, 1, 42);
	mem_eq(test, "hdr epoch 1 seq 1", buf, want, 13);
	sekisho_rec_build_hdr(buf, 0xfffe, SEKISHO_SEQ_LIMIT, 0xffff);
	mem_eq(test, "hdr max", buf, want_max, 13);
}

SK_TEST(record_aad_layout)
{
	/* epoch(2) | seq(6) | 23 | FE FD | n(2), n = plaintext length */
	static const u8 want[13] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x17, 0xfe, 0xfd, 0x05, 0xdd,
	};
	static const u8 want2[13] = {
		0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
		0x17, 0xfe, 0xfd, 0x00, 0x01,
	};
	u8 aad[13];

	sekisho_rec_build_aad(aad, 1, 1, 1501);
	mem_eq(test, "aad epoch 1 seq 1", aad, want, 13);
	sekisho_rec_build_aad(aad, 0x1234, 0x56789abcdef0ULL, 1);
	mem_eq(test, "aad pattern", aad, want2, 13);
}

SK_TEST(record_gcm_nonce_layout)
{
	/* GnuTLS explicit nonce for epoch 1, seq 1 is 0001000000000001 [lab] */
	static const u8 explicit_want[8] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	};
	static const u8 salt[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	static const u8 want[12] = {
		0xa1, 0xb2, 0xc3, 0xd4,
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	};
	static const u8 other_explicit[8] = {
		0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
	};
	static const u8 want_other[12] = {
		0xa1, 0xb2, 0xc3, 0xd4,
		0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
	};
	u8 ex[8], nonce[12];
	unsigned int i;

	sekisho_rec_build_explicit(ex, 1, 1);
	mem_eq(test, "explicit nonce", ex, explicit_want, 8);
	for (i = 0; i < 2; i++) {
		sekisho_rec_build_nonce(nonce, ciphers[i], salt, 1, 1);
		mem_eq(test, "gcm nonce", nonce, want, 12);
	}
	/* receive side: whatever explicit bytes the sender chose */
	sekisho_rec_gcm_nonce(nonce, salt, other_explicit);
	mem_eq(test, "gcm nonce from explicit", nonce, want_other, 12);
}

SK_TEST(record_chacha_nonce_layout)
{
	/* iv(12) XOR (00000000 | epoch | seq), RFC 7905 */
	static const u8 iv[12] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
		0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	};
	static const u8 want[12] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x04,
		0x06, 0x07, 0x08, 0x09, 0x0a, 0x0a,
	};
	static const u8 want2[12] = {
		0x00, 0x01, 0x02, 0x03, 0x16, 0x31,
		0x50, 0x7f, 0x92, 0xb5, 0xd4, 0xfb,
	};
	u8 nonce[12];

	sekisho_rec_build_nonce(nonce, SEKISHO_CIPHER_CHACHA20_POLY1305, iv,
				1, 1);
	mem_eq(test, "chacha nonce epoch 1 seq 1", nonce, want, 12);
	sekisho_rec_build_nonce(nonce, SEKISHO_CIPHER_CHACHA20_POLY1305, iv,
				0x1234, 0x56789abcdef0ULL);
	mem_eq(test, "chacha nonce pattern", nonce, want2, 12);
}

/* a datagram of one record: header with len, then len bytes */
static void make_rec(u8 *buf, u8 type, u16 version, u16 epoch, u64 seq,
		     u16 len)
{
	buf[0] = type;
	put_unaligned_be16(version, buf + 1);
	put_unaligned_be16(epoch, buf + 3);
	put_unaligned_be48(seq, buf + 5);
	put_unaligned_be16(len, buf + 11);
	memset(buf + 13, 0xa5, len);
}

SK_TEST(record_parse_valid)
{
	u8 *buf = SK_ALLOC(1, 13 + 2000);
	struct sekisho_rec_hdr h;
	unsigned int i, len;

	SK_ASSERT(buf);
	for (i = 0; i < ARRAY_SIZE(ciphers); i++) {
		unsigned int min = sekisho_rec_nonce_len(ciphers[i]) + 1 + 16;

		for (len = min; len < 2000; len += 97) {
			make_rec(buf, 23, 0xfefd, 1, 0x123456789abcULL, len);
			memset(&h, 0, sizeof(h));
			SK_EXPECT_EQ(sekisho_rec_parse(buf, 13 + len,
						       ciphers[i], &h), 0);
			SK_EXPECT_EQ(h.type, 23);
			SK_EXPECT_EQ(h.version, 0xfefd);
			SK_EXPECT_EQ(h.epoch, 1);
			SK_EXPECT_EQ(h.seq, 0x123456789abcULL);
			SK_EXPECT_EQ(h.len, len);
		}
		/* the smallest record: explicit nonce, type byte, tag */
		make_rec(buf, 23, 0xfefd, 0xffff, SEKISHO_SEQ_LIMIT, min);
		SK_EXPECT_EQ(sekisho_rec_parse(buf, 13 + min, ciphers[i], &h),
			     0);
		SK_EXPECT_EQ(h.epoch, 0xffff);
		SK_EXPECT_EQ(h.seq, SEKISHO_SEQ_LIMIT);
		/* one byte less: nothing inside, drop */
		make_rec(buf, 23, 0xfefd, 1, 1, min - 1);
		SK_EXPECT_EQ(sekisho_rec_parse(buf, 13 + min - 1, ciphers[i],
					       &h), -EINVAL);
	}
	/* built by our own builder */
	sekisho_rec_build_hdr(buf, 1, 7, 40);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 53, SEKISHO_CIPHER_AES256_GCM, &h),
		     0);
	SK_EXPECT_EQ(h.seq, 7);
}

SK_TEST(record_parse_too_short)
{
	u8 buf[64];
	struct sekisho_rec_hdr h;
	unsigned int n;

	make_rec(buf, 23, 0xfefd, 1, 1, 0);
	for (n = 0; n < 13; n++)
		SK_EXPECT_EQ(sekisho_rec_parse(buf, n,
					       SEKISHO_CIPHER_AES128_GCM, &h),
			     -EINVAL);
	/* a bare header with length 0 */
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 13, SEKISHO_CIPHER_AES128_GCM, &h),
		     -EINVAL);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 13,
				       SEKISHO_CIPHER_CHACHA20_POLY1305, &h),
		     -EINVAL);
	/* ChaCha has no explicit nonce: 17 bytes suffice there, not for GCM */
	make_rec(buf, 23, 0xfefd, 1, 1, 17);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 30,
				       SEKISHO_CIPHER_CHACHA20_POLY1305, &h), 0);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 30, SEKISHO_CIPHER_AES128_GCM, &h),
		     -EINVAL);
	/* the length field promises more than the datagram holds */
	make_rec(buf, 23, 0xfefd, 1, 1, 40);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 13 + 39,
				       SEKISHO_CIPHER_AES128_GCM, &h), -EINVAL);
	put_unaligned_be16(0xffff, buf + 11);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 64, SEKISHO_CIPHER_AES128_GCM, &h),
		     -EINVAL);
}

SK_TEST(record_parse_not_appdata)
{
	static const u8 types[] = { 0, 20, 21, 22, 24, 25, 0x80, 0xff };
	u8 buf[13 + 64];
	struct sekisho_rec_hdr h;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		make_rec(buf, types[i], 0xfefd, 0, 0, 64);
		SK_EXPECT_EQ(sekisho_rec_parse(buf, sizeof(buf),
					       SEKISHO_CIPHER_AES128_GCM, &h),
			     -ENOENT);
		SK_EXPECT_EQ(h.type, types[i]);
	}
	/* a ClientHello: type 22, epoch 0, version FE FF of DTLS 1.0 */
	make_rec(buf, 22, 0xfeff, 0, 0, 64);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, sizeof(buf),
				       SEKISHO_CIPHER_CHACHA20_POLY1305, &h),
		     -ENOENT);
	/* even a short handshake fragment goes to userspace untouched */
	make_rec(buf, 22, 0xfefd, 1, 3, 2);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 15, SEKISHO_CIPHER_AES128_GCM, &h),
		     -ENOENT);
}

SK_TEST(record_parse_wrong_version)
{
	static const u16 versions[] = { 0xfeff, 0xfefc, 0x0303, 0x0301, 0, 0xfdfd };
	u8 buf[13 + 64];
	struct sekisho_rec_hdr h;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(versions); i++) {
		make_rec(buf, 23, versions[i], 1, 1, 64);
		SK_EXPECT_EQ(sekisho_rec_parse(buf, sizeof(buf),
					       SEKISHO_CIPHER_AES256_GCM, &h),
			     -ENOENT);
		SK_EXPECT_EQ(h.version, versions[i]);
	}
}

SK_TEST(record_parse_several_records)
{
	u8 buf[2 * 13 + 40 + 30];
	struct sekisho_rec_hdr h;

	/* appdata 40 bytes followed by another record: not for the kernel */
	make_rec(buf, 23, 0xfefd, 1, 5, 40);
	make_rec(buf + 53, 23, 0xfefd, 1, 6, 30);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, sizeof(buf),
				       SEKISHO_CIPHER_AES128_GCM, &h), -ENOENT);
	SK_EXPECT_EQ(h.seq, 5);
	SK_EXPECT_EQ(h.len, 40);
	/* a single trailing byte is enough to make it "several" */
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 54, SEKISHO_CIPHER_AES128_GCM, &h),
		     -ENOENT);
	/* exactly one record */
	SK_EXPECT_EQ(sekisho_rec_parse(buf, 53, SEKISHO_CIPHER_AES128_GCM, &h),
		     0);
}

SK_TEST(record_parse_unknown_cipher)
{
	u8 buf[13 + 64];
	struct sekisho_rec_hdr h;

	make_rec(buf, 23, 0xfefd, 1, 1, 64);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, sizeof(buf), SEKISHO_CIPHER_NONE,
				       &h), -ENOENT);
	SK_EXPECT_EQ(sekisho_rec_parse(buf, sizeof(buf), 77, &h), -ENOENT);
}

SK_TEST(record_roundtrip_random)
{
	struct sekisho_rec_hdr h;
	struct sk_rng g;
	u8 buf[13 + 64];
	unsigned int i;

	sk_rng_seed(&g, 0x5e415e0003ULL);
	for (i = 0; i < 2000; i++) {
		u16 epoch = (u16)sk_rand32(&g);
		u64 seq = sk_rand64(&g) & SEKISHO_SEQ_LIMIT;
		u16 len = (u16)(25 + sk_below(&g, 40));
		u8 aad[13];

		sekisho_rec_build_hdr(buf, epoch, seq, len);
		if (sekisho_rec_parse(buf, 13 + len, ciphers[i % 3], &h) ||
		    h.epoch != epoch || h.seq != seq || h.len != len) {
			SK_FAIL("roundtrip epoch %u seq %llu len %u", epoch,
				(unsigned long long)seq, len);
			return;
		}
		/* the AAD repeats epoch|seq|type|version of the header */
		sekisho_rec_build_aad(aad, epoch, seq, len);
		if (memcmp(aad, buf + 3, 8) || memcmp(aad + 8, buf, 3)) {
			SK_FAIL("aad and header disagree at epoch %u seq %llu",
				epoch, (unsigned long long)seq);
			return;
		}
	}
}

SK_SUITE(sekisho_record,
	 SK_CASE(record_cipher_sizes),
	 SK_CASE(record_build_hdr_layout),
	 SK_CASE(record_aad_layout),
	 SK_CASE(record_gcm_nonce_layout),
	 SK_CASE(record_chacha_nonce_layout),
	 SK_CASE(record_parse_valid),
	 SK_CASE(record_parse_too_short),
	 SK_CASE(record_parse_not_appdata),
	 SK_CASE(record_parse_wrong_version),
	 SK_CASE(record_parse_several_records),
	 SK_CASE(record_parse_unknown_cipher),
	 SK_CASE(record_roundtrip_random));
