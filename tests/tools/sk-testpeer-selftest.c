// SPDX-License-Identifier: GPL-2.0
/*
 * sk-testpeer selftest: included by sk-testpeer.c (it tests that file's
 * static functions).  TAP output on stdout.
 *
 * Known answers come from the published specifications, not from this
 * program: McGrew & Viega, "The Galois/Counter Mode of Operation", test
 * cases 4 (AES-128) and 16 (AES-256); RFC 8439 section 2.8.2
 * (ChaCha20-Poly1305).  The record layout is checked against literal
 * bytes built from anyconnect-protocol.md 6.6, including its worked
 * example (explicit nonce 0001000000000001 for epoch 1, seq 1).
 */

static int st_n, st_fail;

__attribute__((format(printf, 2, 3)))
static void st_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	st_n++;
	if (!cond)
		st_fail++;
	printf("%sok %d - ", cond ? "" : "not ", st_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static size_t st_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	char err[SK_ERRLEN];

	if (sk_hex_decode(s, strlen(s), out, max, &n, err, sizeof(err))) {
		printf("Bail out! bad test vector: %s\n", err);
		exit(1);
	}
	return n;
}

struct st_kat {
	const char *name;
	enum sk_cipher c;
	const char *key, *nonce, *aad, *pt, *ct, *tag;
};

static const struct st_kat st_kats[] = {
	{
		"AES-128-GCM (GCM spec test case 4)", SK_CIPHER_AES128_GCM,
		"feffe9928665731c6d6a8f9467308308",
		"cafebabefacedbaddecaf888",
		"feedfacedeadbeeffeedfacedeadbeefabaddad2",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		"5bc94fbc3221a5db94fae95ae7121a47",
	},
	{
		"AES-256-GCM (GCM spec test case 16)", SK_CIPHER_AES256_GCM,
		"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		"cafebabefacedbaddecaf888",
		"feedfacedeadbeeffeedfacedeadbeefabaddad2",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		"76fc6ece0f4e1768cddf8853bb2d551b",
	},
	{
		"ChaCha20-Poly1305 (RFC 8439 2.8.2)", SK_CIPHER_CHACHA20_POLY1305,
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
		"070000004041424344454647",
		"50515253c0c1c2c3c4c5c6c7",
		"4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
		"73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
		"6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
		"637265656e20776f756c642062652069742e",
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		"3ff4def08e4b7a9de576d26586cec64b6116",
		"1ae10b594f09e26a7e902ecbd0600691",
	},
};

static void st_kat_one(const struct st_kat *v)
{
	uint8_t nonce[12], aad[64], pt[256], ct[256], tag[16], out[300], back[300];
	struct sk_keydir d = { 0 };
	struct aead e, dec;
	size_t an, pn;

	d.key_len = st_hex(v->key, d.key, sizeof(d.key));
	st_hex(v->nonce, nonce, sizeof(nonce));
	an = st_hex(v->aad, aad, sizeof(aad));
	pn = st_hex(v->pt, pt, sizeof(pt));
	st_hex(v->ct, ct, sizeof(ct));
	st_hex(v->tag, tag, sizeof(tag));
	if (aead_init(&e, v->c, 0, &d, true) || aead_init(&dec, v->c, 0, &d, false)) {
		st_ok(false, "%s: cipher setup", v->name);
		return;
	}
	st_ok(!aead_raw(&e, nonce, aad, an, pt, pn, out) &&
	      !memcmp(out, ct, pn) && !memcmp(out + pn, tag, 16),
	      "%s: seal matches the known answer", v->name);
	st_ok(!aead_raw(&dec, nonce, aad, an, out, pn + 16, back) &&
	      !memcmp(back, pt, pn), "%s: open recovers the plaintext", v->name);
	out[pn + 15] ^= 1;
	st_ok(aead_raw(&dec, nonce, aad, an, out, pn + 16, back) != 0,
	      "%s: open rejects a flipped tag bit", v->name);
	aead_free(&e);
	aead_free(&dec);
}

/* Record layout, checked against literal bytes (6.6). */
static void st_layout(enum sk_cipher c, uint16_t epoch, uint64_t seq,
		      const char *hdr_hex, const char *nonce_hex,
		      const char *aad_hex)
{
	const char *name = sk_cipher_name(c);
	struct sk_keydir d = { 0 };
	struct aead e, raw;
	uint8_t pt[21], rec[128], hdr[16], nonce[12], aad[13], expect[64];
	size_t i, len, hl, off = is_gcm(c) ? 8 : 0;

	d.key_len = sk_cipher_key_len(c);
	d.iv_len = sk_cipher_iv_len(c);
	for (i = 0; i < d.key_len; i++)
		d.key[i] = (uint8_t)i;
	for (i = 0; i < d.iv_len; i++)
		d.iv[i] = (uint8_t)(0xa0 + i);
	pt[0] = PT_DATA;
	for (i = 1; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(0x40 + i);
	hl = st_hex(hdr_hex, hdr, sizeof(hdr));
	st_hex(nonce_hex, nonce, sizeof(nonce));
	st_hex(aad_hex, aad, sizeof(aad));

	if (aead_init(&e, c, epoch, &d, true) || aead_init(&raw, c, 0, &d, true)) {
		st_ok(false, "%s: cipher setup", name);
		return;
	}
	len = rec_seal(&e, seq, pt, sizeof(pt), rec);
	st_ok(len == 13 + off + sizeof(pt) + 16,
	      "%s epoch %u seq %" PRIu64 ": record length %zu", name, epoch, seq, len);
	st_ok(hl == 13 && !memcmp(rec, hdr, 13),
	      "%s epoch %u seq %" PRIu64 ": header is %s", name, epoch, seq, hdr_hex);
	if (off)
		st_ok(!memcmp(rec + 13, hdr + 3, 8),
		      "%s: explicit nonce = epoch|seq", name);
	/* ciphertext|tag equals a raw AEAD over the literal nonce and AAD */
	aead_raw(&raw, nonce, aad, sizeof(aad), pt, sizeof(pt), expect);
	st_ok(!memcmp(rec + 13 + off, expect, sizeof(pt) + 16),
	      "%s: fragment = AEAD(nonce %s, aad %s)", name, nonce_hex, aad_hex);
	aead_free(&e);
	aead_free(&raw);
}

static void st_roundtrip(enum sk_cipher c)
{
	const char *name = sk_cipher_name(c);
	struct sk_keydir d = { 0 };
	struct aead e;
	struct rx_state rx;
	static uint8_t pt[2000], rec[2100], out[2100];
	size_t sizes[] = { 1, 2, 61, 1400, 1999 };
	size_t i, j, len, used;
	struct opened o;
	bool all = true;
	enum drop_reason r;

	d.key_len = sk_cipher_key_len(c);
	d.iv_len = sk_cipher_iv_len(c);
	RAND_bytes(d.key, (int)d.key_len);
	RAND_bytes(d.iv, (int)d.iv_len);
	memset(&rx, 0, sizeof(rx));
	if (aead_init(&e, c, 3, &d, true) || rx_add(&rx, c, 3, &d)) {
		st_ok(false, "%s: cipher setup", name);
		return;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizes[i]; j++)
			pt[j] = (uint8_t)(j * 7 + i);
		len = rec_seal(&e, 100 + i, pt, sizes[i], rec);
		r = rec_open(&rx, rec, len, &used, out, &o);
		if (r != DROP_NONE || used != len || o.n != sizes[i] ||
		    memcmp(o.pt, pt, o.n) || o.seq != 100 + i || o.epoch != 3)
			all = false;
	}
	st_ok(all, "%s: open(seal(x)) == x for sizes 1..1999", name);

	len = rec_seal(&e, 200, pt, 50, rec);
	r = rec_open(&rx, rec, len, &used, out, &o);
	st_ok(r == DROP_NONE, "%s: fresh record accepted", name);
	r = rec_open(&rx, rec, len, &used, out, &o);
	st_ok(r == DROP_REPLAY, "%s: same record again is a replay", name);

#define FAULT(f, want) do {						\
		len = rec_seal(&e, 300 + (f), pt, 50, rec);		\
		len = apply_fault((f), rec, len, c);			\
		r = rec_open(&rx, rec, len, &used, out, &o);		\
		st_ok(r == (want), "%s: fault %s -> drop %s (got %s)", name,	\
		      fault_names[f], drop_names[want], drop_names[r]);	\
	} while (0)
	FAULT(F_TAMPER_TAG, DROP_AUTH);
	FAULT(F_TAMPER_CT, DROP_AUTH);
	FAULT(F_TAMPER_HDR, DROP_AUTH);
	FAULT(F_TRUNCATE, DROP_MALFORMED);
	FAULT(F_WRONG_EPOCH, DROP_UNKNOWN_EPOCH);
#undef FAULT
	/* extra bytes: the record itself opens, the 7 trailing bytes do not */
	len = rec_seal(&e, 400, pt, 50, rec);
	len = apply_fault(F_EXTRA_BYTES, rec, len, c);
	r = rec_open(&rx, rec, len, &used, out, &o);
	st_ok(r == DROP_NONE && len - used == 7 &&
	      rec_open(&rx, rec + used, len - used, &used, out, &o) == DROP_MALFORMED,
	      "%s: fault extra-bytes -> record ok, trailer malformed", name);
	/* a failed tag must not move the window: the real record still opens */
	len = rec_seal(&e, 5000, pt, 50, rec);
	rec[len - 1] ^= 1;
	rec_open(&rx, rec, len, &used, out, &o);
	rec[len - 1] ^= 1;
	len = rec_seal(&e, 401, pt, 50, rec);
	st_ok(rec_open(&rx, rec, len, &used, out, &o) == DROP_NONE,
	      "%s: forged high seq does not advance the window", name);
	aead_free(&e);
	aead_free(&rx.ep[0].aead);
}

/* The window against a naive model that remembers every accepted seq. */
static void st_replay_model(void)
{
	enum { N = 1 << 22 };
	static bool seen[N];
	struct replay rw;
	uint64_t top = 0, s;
	bool any = false, agree = true;
	unsigned int i, rnd;

	memset(&rw, 0, sizeof(rw));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 200000 && agree; i++) {
		bool model, got;

		RAND_bytes((uint8_t *)&rnd, sizeof(rnd));
		/* mostly near the right edge, sometimes far behind or ahead */
		s = top + 60 - (rnd % 1300);
		if (top + 60 < rnd % 1300)
			s = rnd % 64;
		if (rnd % 97 == 0)
			s = top + 500 + (rnd >> 8) % 1500;
		if (s >= N - 4096)
			break;
		model = !any || s > top || (top - s < REPLAY_WINDOW && !seen[s]);
		got = replay_check(&rw, s);
		if (model != got)
			agree = false;
		if (got && rnd % 5) {	/* 1 in 5 "fails its tag": no update */
			replay_update(&rw, s);
			seen[s] = true;
			if (!any || s > top)
				top = s;
			any = true;
		}
	}
	st_ok(agree, "replay window agrees with a naive model (%u steps)", i);

	memset(&rw, 0, sizeof(rw));
	replay_init_seen(&rw, 10);
	st_ok(!replay_check(&rw, 10) && !replay_check(&rw, 0) &&
	      replay_check(&rw, 11), "rx-seq 10: 0..10 seen, 11 fresh");
	memset(&rw, 0, sizeof(rw));
	replay_update(&rw, 5000);
	st_ok(replay_check(&rw, 5000 - 1023) && !replay_check(&rw, 5000 - 1024),
	      "window is exactly %d records wide", REPLAY_WINDOW);
	replay_update(&rw, 5000 + 3000);
	st_ok(replay_check(&rw, 7999) && !replay_check(&rw, 8000),
	      "a jump beyond the window clears it");
}

static bool st_csum_ok(const uint8_t *p, size_t len)
{
	bool v6 = p[0] >> 4 == 6;
	size_t hl = v6 ? 40 : (size_t)(p[0] & 15) * 4;
	struct sk_addr s = { 0 }, d = { 0 };
	uint8_t proto = v6 ? p[6] : p[9];
	uint32_t sum = 0;

	if (!v6 && csum_fold(csum_add(0, p, hl)) != 0)
		return false;
	s.family = d.family = v6 ? AF_INET6 : AF_INET;
	memcpy(s.a, v6 ? p + 8 : p + 12, v6 ? 16 : 4);
	memcpy(d.a, v6 ? p + 24 : p + 16, v6 ? 16 : 4);
	if (proto != 1)
		sum = csum_pseudo(&s, &d, proto, len - hl);
	return csum_fold(csum_add(sum, p + hl, len - hl)) == 0;
}

static void st_packets(void)
{
	uint8_t p[2000];
	struct sk_endpoint a, b, a6, b6;
	char err[SK_ERRLEN];
	size_t n;

	sk_parse_endpoint("10.99.0.2:40000", &a, err, sizeof(err));
	sk_parse_endpoint("10.0.0.5:22", &b, err, sizeof(err));
	sk_parse_endpoint("[fd00:99::2]:40000", &a6, err, sizeof(err));
	sk_parse_endpoint("[fd00::5]:22", &b6, err, sizeof(err));

	n = build_icmp_echo(p, &a.addr, &b.addr, 7, 9, 56);
	st_ok(n == 84 && st_csum_ok(p, n), "ICMP echo: 84 bytes, checksums verify");
	n = build_icmp_echo(p, &a6.addr, &b6.addr, 7, 9, 56);
	st_ok(n == 104 && st_csum_ok(p, n), "ICMPv6 echo: 104 bytes, checksum verifies");
	n = build_udp(p, &a, &b, 33);
	st_ok(n == 61 && st_csum_ok(p, n), "UDP/IPv4: checksums verify");
	n = build_udp(p, &a6, &b6, 1000);
	st_ok(n == 1048 && st_csum_ok(p, n), "UDP/IPv6: checksum verifies");
	n = build_tcp_syn(p, &a, &b);
	st_ok(n == 40 && p[33] == 0x02 && st_csum_ok(p, n), "TCP SYN/IPv4: checksums verify");
	n = build_tcp_syn(p, &a6, &b6);
	st_ok(n == 60 && st_csum_ok(p, n), "TCP SYN/IPv6: checksum verifies");
}

static int cmd_selftest(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	for (i = 0; i < sizeof(st_kats) / sizeof(st_kats[0]); i++)
		st_kat_one(&st_kats[i]);

	/* 6.6 worked example: epoch 1, seq 1, plaintext length 21 */
	st_layout(SK_CIPHER_AES128_GCM, 1, 1,
		  "17fefd0001000000000001002d",
		  "a0a1a2a30001000000000001", "000100000000000117fefd0015");
	st_layout(SK_CIPHER_AES256_GCM, 1, 1,
		  "17fefd0001000000000001002d",
		  "a0a1a2a30001000000000001", "000100000000000117fefd0015");
	st_layout(SK_CIPHER_CHACHA20_POLY1305, 1, 1,
		  "17fefd00010000000000010025",
		  "a0a1a2a3a4a4a6a7a8a9aaaa", "000100000000000117fefd0015");
	/* byte order of a larger epoch and a 48-bit sequence number */
	st_layout(SK_CIPHER_AES128_GCM, 0x1234, 0xabcdef012345ULL,
		  "17fefd1234abcdef012345002d",
		  "a0a1a2a31234abcdef012345", "1234abcdef01234517fefd0015");
	st_layout(SK_CIPHER_CHACHA20_POLY1305, 0x1234, 0xabcdef012345ULL,
		  "17fefd1234abcdef0123450025",
		  "a0a1a2a3b6910d6a47a889ee", "1234abcdef01234517fefd0015");

	st_roundtrip(SK_CIPHER_AES128_GCM);
	st_roundtrip(SK_CIPHER_AES256_GCM);
	st_roundtrip(SK_CIPHER_CHACHA20_POLY1305);
	st_replay_model();
	st_packets();
	printf("1..%d\n", st_n);
	printf("# %d passed, %d failed\n", st_n - st_fail, st_fail);
	return st_fail ? 1 : 0;
}
