// SPDX-License-Identifier: GPL-2.0
/*
 * sk-testpeer: an independent far end for the sekisho tests.
 *
 * It plays the AnyConnect client's DTLS 1.2 data channel in userspace: it
 * seals and opens application-data records exactly as
 * anyconnect-protocol.md section 6.6 describes, using nothing but OpenSSL's
 * EVP AEAD interface.  It deliberately shares no code with the kernel
 * module: when the two agree, both are likely right.
 *
 *   sk-testpeer tunnel ...   tun device <-> DTLS records over UDP
 *   sk-testpeer send ...     craft single records (faults, replays, probes)
 *   sk-testpeer selftest     known-answer tests, TAP output
 *
 * See sk-testpeer --help and Documentation/sekictl.md ("sk-testpeer").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <inttypes.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "skparse.h"

/* ------------------------------------------------------------------ */
/* DTLS 1.2 record constants (anyconnect-protocol.md 6.5, 6.6)          */

#define REC_HDR		13
#define REC_TYPE_APP	23
#define REC_VER_HI	0xfe
#define REC_VER_LO	0xfd
#define TAG_LEN		16
#define GCM_EXPLICIT	8
#define MAX_DGRAM	65535
#define MAX_PLAIN	(MAX_DGRAM - REC_HDR - GCM_EXPLICIT - TAG_LEN)

#define PT_DATA		0x00
#define PT_DPD_REQ	0x03
#define PT_DPD_RESP	0x04
#define PT_KEEPALIVE	0x07

#define REPLAY_WINDOW	1024
#define SEQ_LIMIT	0xffffffffffffULL	/* 2^48 - 1 is never sent */

static const char *prog = "sk-testpeer";

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

__attribute__((format(printf, 1, 2)))
static void warnx(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put48(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 5; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get48(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

/* ------------------------------------------------------------------ */
/* AEAD: one EVP context per direction and key, keyed once.            */

struct aead {
	enum sk_cipher cipher;
	uint16_t epoch;
	bool enc;
	EVP_CIPHER_CTX *ctx;
	uint8_t iv[SK_IV_MAX];		/* GCM: 4-byte salt; ChaCha20: 12 */
};

static const EVP_CIPHER *evp_cipher(enum sk_cipher c)
{
	switch (c) {
	case SK_CIPHER_AES128_GCM:
		return EVP_aes_128_gcm();
	case SK_CIPHER_AES256_GCM:
		return EVP_aes_256_gcm();
	case SK_CIPHER_CHACHA20_POLY1305:
		return EVP_chacha20_poly1305();
	default:
		return NULL;
	}
}

static bool is_gcm(enum sk_cipher c)
{
	return c == SK_CIPHER_AES128_GCM || c == SK_CIPHER_AES256_GCM;
}

/* Bytes a record adds around its plaintext, header included. */
static size_t rec_overhead(enum sk_cipher c)
{
	return REC_HDR + (is_gcm(c) ? GCM_EXPLICIT : 0) + TAG_LEN;
}

static int aead_init(struct aead *a, enum sk_cipher c, uint16_t epoch,
		     const struct sk_keydir *d, bool enc)
{
	int ok;

	memset(a, 0, sizeof(*a));
	a->cipher = c;
	a->epoch = epoch;
	a->enc = enc;
	memcpy(a->iv, d->iv, d->iv_len);
	a->ctx = EVP_CIPHER_CTX_new();
	if (!a->ctx)
		return -1;
	if (enc)
		ok = EVP_EncryptInit_ex(a->ctx, evp_cipher(c), NULL, NULL, NULL);
	else
		ok = EVP_DecryptInit_ex(a->ctx, evp_cipher(c), NULL, NULL, NULL);
	ok = ok && EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
	if (enc)
		ok = ok && EVP_EncryptInit_ex(a->ctx, NULL, NULL, d->key, NULL);
	else
		ok = ok && EVP_DecryptInit_ex(a->ctx, NULL, NULL, d->key, NULL);
	return ok ? 0 : -1;
}

static void aead_free(struct aead *a)
{
	EVP_CIPHER_CTX_free(a->ctx);
	OPENSSL_cleanse(a, sizeof(*a));
}

/*
 * Raw AEAD with an explicit 12-byte nonce: out = ciphertext | tag on
 * encryption; on decryption in holds ciphertext | tag and out receives the
 * plaintext.  Returns 0, or -1 (decryption: the tag did not verify).
 */
static int aead_raw(struct aead *a, const uint8_t nonce[12],
		    const uint8_t *aad, size_t aadlen,
		    const uint8_t *in, size_t inlen, uint8_t *out)
{
	int l, l2;

	if (a->enc) {
		if (!EVP_EncryptInit_ex(a->ctx, NULL, NULL, NULL, nonce) ||
		    !EVP_EncryptUpdate(a->ctx, NULL, &l, aad, (int)aadlen) ||
		    !EVP_EncryptUpdate(a->ctx, out, &l, in, (int)inlen) ||
		    !EVP_EncryptFinal_ex(a->ctx, out + l, &l2) ||
		    !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
					 out + inlen))
			return -1;
		return 0;
	}
	if (inlen < TAG_LEN)
		return -1;
	inlen -= TAG_LEN;
	if (!EVP_DecryptInit_ex(a->ctx, NULL, NULL, NULL, nonce) ||
	    !EVP_DecryptUpdate(a->ctx, NULL, &l, aad, (int)aadlen) ||
	    !EVP_DecryptUpdate(a->ctx, out, &l, in, (int)inlen) ||
	    !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
				 (void *)(in + inlen)))
		return -1;
	if (EVP_DecryptFinal_ex(a->ctx, out + l, &l2) <= 0)
		return -1;
	return 0;
}

/* nonce for (epoch, seq): GCM salt|epoch|seq, ChaCha20 iv ^ (0|epoch|seq) */
static void rec_nonce(const struct aead *a, uint16_t epoch, uint64_t seq,
		      const uint8_t *explicit_nonce, uint8_t nonce[12])
{
	int i;

	if (is_gcm(a->cipher)) {
		memcpy(nonce, a->iv, 4);
		memcpy(nonce + 4, explicit_nonce, 8);
		return;
	}
	memset(nonce, 0, 4);
	put16(nonce + 4, epoch);
	put48(nonce + 6, seq);
	for (i = 0; i < 12; i++)
		nonce[i] ^= a->iv[i];
}

static void rec_aad(uint8_t aad[13], uint16_t epoch, uint64_t seq, size_t n)
{
	put16(aad, epoch);
	put48(aad + 2, seq);
	aad[8] = REC_TYPE_APP;
	aad[9] = REC_VER_HI;
	aad[10] = REC_VER_LO;
	put16(aad + 11, (uint16_t)n);
}

/*
 * Seal plaintext pt[0..n) (type byte included) as one record with the key's
 * epoch and sequence number seq.  out needs n + rec_overhead() bytes.
 * Returns the record length, or 0 on failure.
 */
static size_t rec_seal(struct aead *a, uint64_t seq, const uint8_t *pt,
		       size_t n, uint8_t *out)
{
	uint8_t nonce[12], aad[13], *frag = out + REC_HDR;
	size_t flen = n + TAG_LEN;

	if (n > MAX_PLAIN || seq >= SEQ_LIMIT)
		return 0;
	out[0] = REC_TYPE_APP;
	out[1] = REC_VER_HI;
	out[2] = REC_VER_LO;
	put16(out + 3, a->epoch);
	put48(out + 5, seq);
	if (is_gcm(a->cipher)) {
		/* explicit nonce = epoch | seq, as GnuTLS does (6.6) */
		memcpy(frag, out + 3, GCM_EXPLICIT);
		frag += GCM_EXPLICIT;
		flen += GCM_EXPLICIT;
	}
	put16(out + 11, (uint16_t)flen);
	rec_nonce(a, a->epoch, seq, out + REC_HDR, nonce);
	rec_aad(aad, a->epoch, seq, n);
	if (aead_raw(a, nonce, aad, sizeof(aad), pt, n, frag))
		return 0;
	return REC_HDR + flen;
}

/* ------------------------------------------------------------------ */
/* Replay window, RFC 6347 4.1.2.6, 1024 records                       */

struct replay {
	bool init;
	uint64_t top;				/* highest authenticated seq */
	uint64_t bits[REPLAY_WINDOW / 64];	/* bit (s % W) marks s seen */
};

static bool rw_test(const struct replay *r, uint64_t s)
{
	return r->bits[(s % REPLAY_WINDOW) / 64] >> (s % 64) & 1;
}

static void rw_set(struct replay *r, uint64_t s, bool on)
{
	uint64_t m = 1ULL << (s % 64);

	if (on)
		r->bits[(s % REPLAY_WINDOW) / 64] |= m;
	else
		r->bits[(s % REPLAY_WINDOW) / 64] &= ~m;
}

/* Every record at or below seq counts as seen (the SEQ attribute semantics). */
static void replay_init_seen(struct replay *r, uint64_t seq)
{
	r->init = true;
	r->top = seq;
	memset(r->bits, 0xff, sizeof(r->bits));
}

/* true if s may be accepted (checked before decrypting) */
static bool replay_check(const struct replay *r, uint64_t s)
{
	if (!r->init || s > r->top)
		return true;
	if (r->top - s >= REPLAY_WINDOW)
		return false;
	return !rw_test(r, s);
}

/* called only after the tag verified */
static void replay_update(struct replay *r, uint64_t s)
{
	if (!r->init) {
		memset(r->bits, 0, sizeof(r->bits));
		r->init = true;
		r->top = s;
	} else if (s > r->top) {
		uint64_t d = s - r->top, i;

		if (d >= REPLAY_WINDOW)
			memset(r->bits, 0, sizeof(r->bits));
		else
			for (i = 1; i <= d; i++)
				rw_set(r, r->top + i, false);
		r->top = s;
	}
	rw_set(r, s, true);
}

/* ------------------------------------------------------------------ */
/* Receive side: keys by epoch, record parsing                          */

enum drop_reason {
	DROP_NONE,
	DROP_AUTH,
	DROP_REPLAY,
	DROP_MALFORMED,
	DROP_UNKNOWN_EPOCH,
	DROP_NON_APPDATA,
};

static const char *const drop_names[] = {
	[DROP_NONE] = "ok",
	[DROP_AUTH] = "auth",
	[DROP_REPLAY] = "replay",
	[DROP_MALFORMED] = "malformed",
	[DROP_UNKNOWN_EPOCH] = "unknown-epoch",
	[DROP_NON_APPDATA] = "non-appdata",
};

#define MAX_RX_EPOCHS 2

struct rx_epoch {
	bool used;
	struct aead aead;
	struct replay rw;
	uint64_t records;
};

struct rx_state {
	struct rx_epoch ep[MAX_RX_EPOCHS];
};

struct opened {
	uint16_t epoch;
	uint64_t seq;
	const uint8_t *pt;	/* plaintext, type byte first */
	size_t n;
};

static struct rx_epoch *rx_find(struct rx_state *rx, uint16_t epoch)
{
	int i;

	for (i = 0; i < MAX_RX_EPOCHS; i++)
		if (rx->ep[i].used && rx->ep[i].aead.epoch == epoch)
			return &rx->ep[i];
	return NULL;
}

static int rx_add(struct rx_state *rx, enum sk_cipher c, uint16_t epoch,
		  const struct sk_keydir *d)
{
	int i;

	for (i = 0; i < MAX_RX_EPOCHS; i++) {
		struct rx_epoch *e = &rx->ep[i];

		if (e->used)
			continue;
		if (aead_init(&e->aead, c, epoch, d, false))
			return -1;
		e->used = true;
		memset(&e->rw, 0, sizeof(e->rw));
		if (d->has_seq)
			replay_init_seen(&e->rw, d->seq);
		return 0;
	}
	return -1;
}

/*
 * Open the first record of buf[0..len).  *consumed is set to the bytes the
 * record occupies (so several records in one datagram can be walked); out
 * receives the plaintext (needs len bytes).
 */
static enum drop_reason rec_open(struct rx_state *rx, const uint8_t *buf,
				 size_t len, size_t *consumed, uint8_t *out,
				 struct opened *o)
{
	uint16_t epoch, flen;
	uint64_t seq;
	struct rx_epoch *e;
	uint8_t nonce[12], aad[13];
	const uint8_t *frag;
	size_t n;

	*consumed = len;
	if (len < REC_HDR)
		return DROP_MALFORMED;
	flen = get16(buf + 11);
	if ((size_t)flen > len - REC_HDR)
		return DROP_MALFORMED;
	*consumed = REC_HDR + flen;
	if (buf[1] != REC_VER_HI || buf[2] != REC_VER_LO)
		return DROP_MALFORMED;
	if (buf[0] != REC_TYPE_APP)
		return DROP_NON_APPDATA;
	epoch = get16(buf + 3);
	seq = get48(buf + 5);
	e = rx_find(rx, epoch);
	if (!e)
		return DROP_UNKNOWN_EPOCH;
	if (flen < rec_overhead(e->aead.cipher) - REC_HDR + 1)
		return DROP_MALFORMED;
	if (!replay_check(&e->rw, seq))
		return DROP_REPLAY;
	frag = buf + REC_HDR;
	n = flen - TAG_LEN;
	if (is_gcm(e->aead.cipher)) {
		frag += GCM_EXPLICIT;
		n -= GCM_EXPLICIT;
	}
	rec_nonce(&e->aead, epoch, seq, buf + REC_HDR, nonce);
	rec_aad(aad, epoch, seq, n);
	if (aead_raw(&e->aead, nonce, aad, sizeof(aad), frag, n + TAG_LEN, out))
		return DROP_AUTH;
	replay_update(&e->rw, seq);
	e->records++;
	o->epoch = epoch;
	o->seq = seq;
	o->pt = out;
	o->n = n;
	return DROP_NONE;
}

/* ------------------------------------------------------------------ */
/* Internet checksum and packet builders                                */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* sum of the IPv4/IPv6 pseudo header */
static uint32_t csum_pseudo(const struct sk_addr *src, const struct sk_addr *dst,
			    uint8_t proto, size_t len)
{
	size_t al = sk_addr_len(src->family);
	uint32_t sum = 0;

	sum = csum_add(sum, src->a, al);
	sum = csum_add(sum, dst->a, al);
	sum += proto;
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	return sum;
}

/* Writes the IP header; returns its length (20 or 40). */
static size_t ip_header(uint8_t *p, const struct sk_addr *src,
			const struct sk_addr *dst, uint8_t proto, size_t l4len)
{
	if (src->family == AF_INET6) {
		p[0] = 0x60;
		p[1] = p[2] = p[3] = 0;
		put16(p + 4, (uint16_t)l4len);
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, src->a, 16);
		memcpy(p + 24, dst->a, 16);
		return 40;
	}
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (uint16_t)(20 + l4len));
	put16(p + 4, 0x5a5a);		/* identification */
	put16(p + 6, 0x4000);		/* DF */
	p[8] = 64;
	p[9] = proto;
	p[10] = p[11] = 0;
	memcpy(p + 12, src->a, 4);
	memcpy(p + 16, dst->a, 4);
	put16(p + 10, csum_fold(csum_add(0, p, 20)));
	return 20;
}

static void fill_pattern(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i & 0xff);
}

static size_t build_icmp_echo(uint8_t *p, const struct sk_addr *src,
			      const struct sk_addr *dst, uint16_t id,
			      uint16_t seq, size_t payload)
{
	bool v6 = src->family == AF_INET6;
	size_t l4 = 8 + payload;
	size_t h = ip_header(p, src, dst, v6 ? 58 : 1, l4);
	uint8_t *ic = p + h;
	uint32_t sum = v6 ? csum_pseudo(src, dst, 58, l4) : 0;

	ic[0] = v6 ? 128 : 8;
	ic[1] = 0;
	ic[2] = ic[3] = 0;
	put16(ic + 4, id);
	put16(ic + 6, seq);
	fill_pattern(ic + 8, payload);
	put16(ic + 2, csum_fold(csum_add(sum, ic, l4)));
	return h + l4;
}

static size_t build_udp(uint8_t *p, const struct sk_endpoint *s,
			const struct sk_endpoint *d, size_t payload)
{
	size_t l4 = 8 + payload;
	size_t h = ip_header(p, &s->addr, &d->addr, 17, l4);
	uint8_t *u = p + h;
	uint16_t c;

	put16(u, s->port);
	put16(u + 2, d->port);
	put16(u + 4, (uint16_t)l4);
	u[6] = u[7] = 0;
	fill_pattern(u + 8, payload);
	c = csum_fold(csum_add(csum_pseudo(&s->addr, &d->addr, 17, l4), u, l4));
	put16(u + 6, c ? c : 0xffff);
	return h + l4;
}

static size_t build_tcp_syn(uint8_t *p, const struct sk_endpoint *s,
			    const struct sk_endpoint *d)
{
	size_t l4 = 20;
	size_t h = ip_header(p, &s->addr, &d->addr, 6, l4);
	uint8_t *t = p + h;

	memset(t, 0, l4);
	put16(t, s->port);
	put16(t + 2, d->port);
	t[4] = 0x12; t[5] = 0x34; t[6] = 0x56; t[7] = 0x78;	/* seq */
	t[12] = 5 << 4;			/* data offset */
	t[13] = 0x02;			/* SYN */
	put16(t + 14, 64240);		/* window */
	put16(t + 16, csum_fold(csum_add(csum_pseudo(&s->addr, &d->addr, 6, l4),
					 t, l4)));
	return h + l4;
}

/* One-line description of an IP packet, for the send mode's output. */
static void describe_ip(const uint8_t *p, size_t len, char *buf, size_t blen)
{
	struct sk_addr s = { 0 }, d = { 0 };
	char sb[SK_ADDRSTRLEN], db[SK_ADDRSTRLEN];
	const uint8_t *l4;
	uint8_t proto;
	size_t hl;

	if (len >= 20 && p[0] >> 4 == 4) {
		hl = (p[0] & 15) * 4;
		s.family = d.family = AF_INET;
		memcpy(s.a, p + 12, 4);
		memcpy(d.a, p + 16, 4);
		proto = p[9];
	} else if (len >= 40 && p[0] >> 4 == 6) {
		hl = 40;
		s.family = d.family = AF_INET6;
		memcpy(s.a, p + 8, 16);
		memcpy(d.a, p + 24, 16);
		proto = p[6];
	} else {
		snprintf(buf, blen, "not-ip len %zu", len);
		return;
	}
	if (hl > len)
		hl = len;
	l4 = p + hl;
	sk_format_addr(&s, sb, sizeof(sb));
	sk_format_addr(&d, db, sizeof(db));
	if ((proto == 1 || proto == 58) && len >= hl + 8)
		snprintf(buf, blen, "%s %s -> %s type %u id %u seq %u len %zu",
			 proto == 1 ? "icmp" : "icmpv6", sb, db, l4[0],
			 get16(l4 + 4), get16(l4 + 6), len);
	else if ((proto == 6 || proto == 17) && len >= hl + 4)
		snprintf(buf, blen, "%s %s:%u -> %s:%u len %zu",
			 proto == 6 ? "tcp" : "udp", sb, get16(l4), db,
			 get16(l4 + 2), len);
	else
		snprintf(buf, blen, "proto %u %s -> %s len %zu", proto, sb, db, len);
}

/* ------------------------------------------------------------------ */
/* Common option helpers                                                */

static void parse_endpoint_opt(const char *opt, const char *v,
			       struct sk_endpoint *e)
{
	char err[SK_ERRLEN];

	if (sk_parse_endpoint(v, e, err, sizeof(err)))
		die("--%s: %s", opt, err);
}

static uint64_t parse_num_opt(const char *opt, const char *v, uint64_t max)
{
	char err[SK_ERRLEN];
	uint64_t n;

	if (sk_parse_u64(v, max, &n, err, sizeof(err)))
		die("--%s: %s", opt, err);
	return n;
}

static void load_keys_opt(const char *opt, const char *path, enum sk_cipher c,
			  struct sk_keys *k)
{
	char err[SK_ERRLEN];

	if (sk_keys_load(path, k, err, sizeof(err)))
		die("--%s: %s", opt, err);
	if (sk_keys_check(k, c, err, sizeof(err))) {
		sk_keys_wipe(k);
		die("--%s: %s", opt, err);
	}
}

static int udp_socket(const struct sk_endpoint *local)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, sz = 4 << 20;

	fd = socket(local->addr.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (local->addr.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	sk_endpoint_to_sockaddr(local, &ss, &sl);
	if (bind(fd, (struct sockaddr *)&ss, sl)) {
		char b[SK_ADDRSTRLEN];

		die("bind %s: %s", sk_format_endpoint(local, b, sizeof(b)),
		    strerror(errno));
	}
	return fd;
}

static void write_pidfile(const char *path)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die("--pidfile: path too long");
	f = fopen(tmp, "w");
	if (!f)
		die("--pidfile %s: %s", path, strerror(errno));
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) || rename(tmp, path))
		die("--pidfile %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* tunnel mode                                                          */

#define BATCH 32

struct tun_stats {
	uint64_t tun_rx_packets, tun_rx_bytes, tun_tx_packets, tun_tx_bytes;
	uint64_t tun_write_errors;
	uint64_t tx_records, tx_data, tx_dpd_resp, tx_errors, tx_seq_exhausted;
	uint64_t rx_datagrams, rx_records, rx_data, rx_dpd_req, rx_dpd_resp;
	uint64_t rx_keepalive, rx_other_type, rx_empty_data;
	uint64_t drop[DROP_NON_APPDATA + 1];
	uint64_t rekeys;
};

struct tunnel {
	int tun_fd, udp_fd;
	const char *stats_file;
	struct sockaddr_storage remote;
	socklen_t remote_len;
	struct aead tx;
	uint64_t tx_seq;
	struct sk_keydir rekey_tx;
	uint16_t rekey_epoch;
	uint64_t rekey_at;		/* 0: never */
	bool rekeyed;
	enum sk_cipher cipher;
	struct rx_state rx;
	struct tun_stats st;
	size_t bufsz;
};

static volatile sig_atomic_t got_term, got_usr1;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static void write_stats(struct tunnel *t)
{
	char tmp[4096];
	FILE *f;
	int i;

	if (!t->stats_file)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", t->stats_file) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f) {
		warnx("--stats-file %s: %s", t->stats_file, strerror(errno));
		return;
	}
#define S(x) fprintf(f, #x " %" PRIu64 "\n", t->st.x)
	S(tun_rx_packets); S(tun_rx_bytes); S(tun_tx_packets); S(tun_tx_bytes);
	S(tun_write_errors);
	S(tx_records); S(tx_data); S(tx_dpd_resp); S(tx_errors);
	S(tx_seq_exhausted);
	S(rx_datagrams); S(rx_records); S(rx_data); S(rx_dpd_req);
	S(rx_dpd_resp); S(rx_keepalive); S(rx_other_type); S(rx_empty_data);
	S(rekeys);
#undef S
	fprintf(f, "drop_auth %" PRIu64 "\n", t->st.drop[DROP_AUTH]);
	fprintf(f, "drop_replay %" PRIu64 "\n", t->st.drop[DROP_REPLAY]);
	fprintf(f, "drop_malformed %" PRIu64 "\n", t->st.drop[DROP_MALFORMED]);
	fprintf(f, "drop_unknown_epoch %" PRIu64 "\n",
		t->st.drop[DROP_UNKNOWN_EPOCH]);
	fprintf(f, "drop_non_appdata %" PRIu64 "\n", t->st.drop[DROP_NON_APPDATA]);
	fprintf(f, "tx_epoch %u\n", t->tx.epoch);
	fprintf(f, "tx_seq %" PRIu64 "\n", t->tx_seq);
	for (i = 0; i < MAX_RX_EPOCHS; i++) {
		struct rx_epoch *e = &t->rx.ep[i];

		if (!e->used)
			continue;
		fprintf(f, "rx_epoch_%u_records %" PRIu64 "\n", e->aead.epoch,
			e->records);
		fprintf(f, "rx_epoch_%u_seq %" PRIu64 "\n", e->aead.epoch,
			e->rw.init ? e->rw.top : 0);
	}
	if (fclose(f) || rename(tmp, t->stats_file))
		warnx("--stats-file %s: %s", t->stats_file, strerror(errno));
}

/* rtnetlink RTM_NEWADDR through libmnl, so no external `ip` is needed */
static void tun_add_addr(unsigned int ifindex, const char *cidr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[SK_ERRLEN];
	struct sk_prefix p;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	const char *slash = strchr(cidr, '/');
	char abuf[SK_ADDRSTRLEN];
	size_t alen;
	int ret;
	unsigned int maxlen;
	uint64_t len;

	/* A CIDR here has host bits (10.99.0.1/24): parse the parts apart. */
	alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	if (alen >= sizeof(abuf))
		die("--tun-addr: '%s' is not ADDR/LEN", cidr);
	memcpy(abuf, cidr, alen);
	abuf[alen] = '\0';
	memset(&p, 0, sizeof(p));
	if (sk_parse_addr(abuf, &p.addr, err, sizeof(err)))
		die("--tun-addr: %s", err);
	maxlen = p.addr.family == AF_INET6 ? 128 : 32;
	len = maxlen;
	if (slash && sk_parse_u64(slash + 1, maxlen, &len, err, sizeof(err)))
		die("--tun-addr: '%s': prefix length %s", cidr, err);
	p.len = (uint8_t)len;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)p.addr.family;
	ifa->ifa_prefixlen = p.len;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sk_addr_len(p.addr.family), p.addr.a);
	mnl_attr_put(nlh, IFA_ADDRESS, sk_addr_len(p.addr.family), p.addr.a);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("rtnetlink: %s", strerror(errno));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("rtnetlink: %s", strerror(errno));
	ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret < 0 || mnl_cb_run(buf, ret, 1, mnl_socket_get_portid(nl),
				  NULL, NULL) < 0)
		die("--tun-addr %s: %s", cidr, strerror(errno));
	mnl_socket_close(nl);
}

static int tun_open(const char *name, const char *addr4, const char *addr6,
		    unsigned int mtu)
{
	struct ifreq ifr;
	int fd, s;
	unsigned int ifindex;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (strlen(name) >= IFNAMSIZ)
		die("--tun: name '%s' longer than %d characters", name, IFNAMSIZ - 1);
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr))
		die("TUNSETIFF %s: %s", name, strerror(errno));
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		die("fcntl: %s", strerror(errno));

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket: %s", strerror(errno));
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr))
		die("SIOCSIFMTU %s %u: %s", name, mtu, strerror(errno));
	ifindex = if_nametoindex(name);
	if (!ifindex)
		die("%s: %s", name, strerror(errno));
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS %s: %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS %s: %s", name, strerror(errno));
	close(s);
	/* addresses after "up": IPv6 addresses on a down device are kept, but
	 * adding them to an up device is the common case and avoids surprises */
	if (addr4)
		tun_add_addr(ifindex, addr4);
	if (addr6)
		tun_add_addr(ifindex, addr6);
	return fd;
}

static void maybe_rekey(struct tunnel *t)
{
	if (!t->rekey_at || t->rekeyed || t->st.tx_records < t->rekey_at)
		return;
	aead_free(&t->tx);
	if (aead_init(&t->tx, t->cipher, t->rekey_epoch, &t->rekey_tx, true))
		die("rekey: cannot set up the cipher");
	t->tx_seq = t->rekey_tx.has_seq ? t->rekey_tx.seq : 1;
	OPENSSL_cleanse(&t->rekey_tx, sizeof(t->rekey_tx));
	t->rekeyed = true;
	t->st.rekeys++;
}

/* seal pt as the next record; returns its length or 0 (counted) */
static size_t tunnel_seal(struct tunnel *t, const uint8_t *pt, size_t n,
			  uint8_t *out)
{
	size_t len;

	maybe_rekey(t);
	if (t->tx_seq >= SEQ_LIMIT) {
		t->st.tx_seq_exhausted++;
		return 0;
	}
	len = rec_seal(&t->tx, t->tx_seq, pt, n, out);
	if (!len) {
		t->st.tx_errors++;
		return 0;
	}
	t->tx_seq++;
	t->st.tx_records++;
	return len;
}

struct slot {
	uint8_t *pt;		/* type byte + packet */
	uint8_t *rec;
	struct iovec iov;
	struct sockaddr_storage from;
};

static void tunnel_from_tun(struct tunnel *t, struct slot *slots,
			    struct mmsghdr *msgs)
{
	int k = 0, i, sent;

	while (k < BATCH) {
		ssize_t n = read(t->tun_fd, slots[k].pt + 1, t->bufsz - 1);
		size_t len;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				warnx("tun read: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		t->st.tun_rx_packets++;
		t->st.tun_rx_bytes += (uint64_t)n;
		slots[k].pt[0] = PT_DATA;
		len = tunnel_seal(t, slots[k].pt, (size_t)n + 1, slots[k].rec);
		if (!len)
			continue;
		t->st.tx_data++;
		slots[k].iov.iov_base = slots[k].rec;
		slots[k].iov.iov_len = len;
		memset(&msgs[k].msg_hdr, 0, sizeof(msgs[k].msg_hdr));
		msgs[k].msg_hdr.msg_name = &t->remote;
		msgs[k].msg_hdr.msg_namelen = t->remote_len;
		msgs[k].msg_hdr.msg_iov = &slots[k].iov;
		msgs[k].msg_hdr.msg_iovlen = 1;
		k++;
	}
	for (i = 0; i < k; i += sent) {
		sent = sendmmsg(t->udp_fd, msgs + i, (unsigned int)(k - i), 0);
		if (sent <= 0) {
			/* a full socket buffer drops, like a real link would */
			t->st.tx_errors += (uint64_t)(k - i);
			break;
		}
	}
}

static void tunnel_record(struct tunnel *t, const uint8_t *rec, size_t len,
			  const struct sockaddr_storage *from, socklen_t fromlen,
			  uint8_t *pt, uint8_t *out)
{
	while (len > 0) {
		struct opened o;
		size_t used;
		enum drop_reason r = rec_open(&t->rx, rec, len, &used, pt, &o);

		rec += used;
		len -= used;
		if (r != DROP_NONE) {
			t->st.drop[r]++;
			continue;
		}
		t->st.rx_records++;
		switch (o.pt[0]) {
		case PT_DATA:
			if (o.n < 2) {
				t->st.rx_empty_data++;
				break;
			}
			t->st.rx_data++;
			if (write(t->tun_fd, o.pt + 1, o.n - 1) < 0) {
				t->st.tun_write_errors++;
			} else {
				t->st.tun_tx_packets++;
				t->st.tun_tx_bytes += o.n - 1;
			}
			break;
		case PT_DPD_REQ: {
			size_t rl;

			t->st.rx_dpd_req++;
			/* echo: same length and content, type byte 0x04 */
			pt[0] = PT_DPD_RESP;
			rl = tunnel_seal(t, o.pt, o.n, out);
			if (!rl)
				break;
			if (sendto(t->udp_fd, out, rl, 0,
				   (const struct sockaddr *)from, fromlen) < 0)
				t->st.tx_errors++;
			else
				t->st.tx_dpd_resp++;
			break;
		}
		case PT_DPD_RESP:
			t->st.rx_dpd_resp++;
			break;
		case PT_KEEPALIVE:
			t->st.rx_keepalive++;
			break;
		default:
			t->st.rx_other_type++;
		}
	}
}

static void tunnel_from_udp(struct tunnel *t, struct slot *slots,
			    struct mmsghdr *msgs, uint8_t *pt, uint8_t *out)
{
	int n, i;

	for (i = 0; i < BATCH; i++) {
		slots[i].iov.iov_base = slots[i].rec;
		slots[i].iov.iov_len = t->bufsz + 64;
		memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
		msgs[i].msg_hdr.msg_name = &slots[i].from;
		msgs[i].msg_hdr.msg_namelen = sizeof(slots[i].from);
		msgs[i].msg_hdr.msg_iov = &slots[i].iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(t->udp_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			warnx("recvmmsg: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		t->st.rx_datagrams++;
		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			t->st.drop[DROP_MALFORMED]++;
			continue;
		}
		tunnel_record(t, slots[i].rec, msgs[i].msg_len, &slots[i].from,
			      msgs[i].msg_hdr.msg_namelen, pt, out);
	}
}

static void usage_tunnel(FILE *f)
{
	fprintf(f,
"usage: sk-testpeer tunnel --local ADDR:PORT --remote ADDR:PORT --cipher C\n"
"           --epoch E --keys FILE --tun NAME [--tun-addr CIDR] [--tun-addr6 CIDR]\n"
"           [--mtu N] [--pidfile F] [--stats-file F]\n"
"           [--rekey-at N --rekey-epoch E2 --rekey-keys FILE2]\n"
"  C: aes128-gcm | aes256-gcm | chacha20-poly1305\n"
"  keys from the client's point of view (its tx-key is the gateway's rx-key)\n"
"  SIGUSR1 writes --stats-file; SIGTERM/SIGINT write it and exit\n");
}

static int cmd_tunnel(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "remote", required_argument, NULL, 'r' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "keys", required_argument, NULL, 'k' },
		{ "tun", required_argument, NULL, 't' },
		{ "tun-addr", required_argument, NULL, '4' },
		{ "tun-addr6", required_argument, NULL, '6' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "stats-file", required_argument, NULL, 's' },
		{ "rekey-at", required_argument, NULL, 'A' },
		{ "rekey-epoch", required_argument, NULL, 'E' },
		{ "rekey-keys", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *local = NULL, *remote = NULL, *cipher = NULL, *keys = NULL;
	const char *tun = NULL, *addr4 = NULL, *addr6 = NULL, *pidfile = NULL;
	const char *rekey_keys = NULL, *stats_file = NULL;
	bool have_epoch = false, have_rekey_epoch = false;
	uint64_t epoch = 0, rekey_epoch = 0, mtu = 1400, rekey_at = 0;
	struct sk_endpoint le, re;
	struct sk_keys k, k2;
	struct tunnel *t;
	struct slot *slots;
	struct mmsghdr *msgs;
	uint8_t *pt, *out;
	char err[SK_ERRLEN];
	sigset_t block, empty;
	struct sigaction sa;
	int c, i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': local = optarg; break;
		case 'r': remote = optarg; break;
		case 'c': cipher = optarg; break;
		case 'e': epoch = parse_num_opt("epoch", optarg, 0xffff);
			have_epoch = true; break;
		case 'k': keys = optarg; break;
		case 't': tun = optarg; break;
		case '4': addr4 = optarg; break;
		case '6': addr6 = optarg; break;
		case 'm': mtu = parse_num_opt("mtu", optarg, 65000); break;
		case 'p': pidfile = optarg; break;
		case 's': stats_file = optarg; break;
		case 'A': rekey_at = parse_num_opt("rekey-at", optarg, SEQ_LIMIT);
			break;
		case 'E': rekey_epoch = parse_num_opt("rekey-epoch", optarg, 0xffff);
			have_rekey_epoch = true; break;
		case 'K': rekey_keys = optarg; break;
		case 'h': usage_tunnel(stdout); return 0;
		default: usage_tunnel(stderr); return 2;
		}
	}
	if (optind != argc)
		die("tunnel: unexpected argument '%s'", argv[optind]);
	if (!local || !remote || !cipher || !have_epoch || !keys || !tun) {
		usage_tunnel(stderr);
		die("tunnel: --local, --remote, --cipher, --epoch, --keys and --tun are required");
	}
	if (mtu < 68)
		die("--mtu: %" PRIu64 " is below 68", mtu);
	if ((rekey_keys != NULL) != have_rekey_epoch)
		die("--rekey-epoch and --rekey-keys go together");
	if (rekey_at && !rekey_keys)
		die("--rekey-at needs --rekey-epoch and --rekey-keys");
	if (have_rekey_epoch && rekey_epoch == epoch)
		die("--rekey-epoch must differ from --epoch");

	t = calloc(1, sizeof(*t));
	if (!t)
		die("out of memory");
	t->stats_file = stats_file;
	parse_endpoint_opt("local", local, &le);
	parse_endpoint_opt("remote", remote, &re);
	if (le.addr.family != re.addr.family)
		die("--local and --remote must be of the same address family");
	if (sk_parse_cipher(cipher, &t->cipher, err, sizeof(err)))
		die("--cipher: %s", err);
	load_keys_opt("keys", keys, t->cipher, &k);
	if (aead_init(&t->tx, t->cipher, (uint16_t)epoch, &k.tx, true) ||
	    rx_add(&t->rx, t->cipher, (uint16_t)epoch, &k.rx))
		die("cannot set up %s", cipher);
	t->tx_seq = k.tx.has_seq ? k.tx.seq : 1;
	sk_keys_wipe(&k);
	if (rekey_keys) {
		load_keys_opt("rekey-keys", rekey_keys, t->cipher, &k2);
		if (rx_add(&t->rx, t->cipher, (uint16_t)rekey_epoch, &k2.rx))
			die("cannot set up %s", cipher);
		t->rekey_tx = k2.tx;
		t->rekey_epoch = (uint16_t)rekey_epoch;
		t->rekey_at = rekey_at;
		sk_keys_wipe(&k2);
	}
	sk_endpoint_to_sockaddr(&re, &t->remote, &t->remote_len);

	t->bufsz = mtu + 64 > 2048 ? mtu + 64 : 2048;
	slots = calloc(BATCH, sizeof(*slots));
	msgs = calloc(BATCH, sizeof(*msgs));
	pt = malloc(t->bufsz + 128);
	out = malloc(t->bufsz + 128);
	if (!slots || !msgs || !pt || !out)
		die("out of memory");
	for (i = 0; i < BATCH; i++) {
		slots[i].pt = malloc(t->bufsz);
		slots[i].rec = malloc(t->bufsz + 128);
		if (!slots[i].pt || !slots[i].rec)
			die("out of memory");
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&empty);

	t->udp_fd = udp_socket(&le);
	t->tun_fd = tun_open(tun, addr4, addr6, (unsigned int)mtu);
	write_pidfile(pidfile);
	write_stats(t);

	while (!got_term) {
		struct pollfd pfd[2] = {
			{ .fd = t->tun_fd, .events = POLLIN },
			{ .fd = t->udp_fd, .events = POLLIN },
		};
		int r = ppoll(pfd, 2, NULL, &empty);

		if (got_usr1) {
			got_usr1 = 0;
			write_stats(t);
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[1].revents & POLLIN)
			tunnel_from_udp(t, slots, msgs, pt, out);
		if (pfd[0].revents & POLLIN)
			tunnel_from_tun(t, slots, msgs);
	}
	write_stats(t);
	if (pidfile)
		unlink(pidfile);
	aead_free(&t->tx);
	for (i = 0; i < MAX_RX_EPOCHS; i++)
		if (t->rx.ep[i].used)
			aead_free(&t->rx.ep[i].aead);
	OPENSSL_cleanse(&t->rekey_tx, sizeof(t->rekey_tx));
	for (i = 0; i < BATCH; i++) {
		free(slots[i].pt);
		free(slots[i].rec);
	}
	free(slots);
	free(msgs);
	free(pt);
	free(out);
	close(t->tun_fd);
	close(t->udp_fd);
	free(t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* send mode                                                            */

enum fault {
	F_NONE, F_TAMPER_TAG, F_TAMPER_CT, F_TAMPER_HDR, F_TRUNCATE,
	F_EXTRA_BYTES, F_WRONG_EPOCH,
};

static const char *const fault_names[] = {
	"none", "tamper-tag", "tamper-ct", "tamper-hdr", "truncate",
	"extra-bytes", "wrong-epoch",
};

enum expect { E_UNSET, E_DPD_RESP, E_DATA, E_NONE };

static const char *pt_name(uint8_t t)
{
	switch (t) {
	case PT_DATA: return "data";
	case PT_DPD_REQ: return "dpd-req";
	case PT_DPD_RESP: return "dpd-resp";
	case PT_KEEPALIVE: return "keepalive";
	default: return "other";
	}
}

/* Apply a fault to a sealed record; returns the new datagram length. */
static size_t apply_fault(enum fault f, uint8_t *rec, size_t len,
			  enum sk_cipher c)
{
	switch (f) {
	case F_NONE:
		break;
	case F_TAMPER_TAG:
		rec[len - 1] ^= 0x01;
		break;
	case F_TAMPER_CT:
		rec[REC_HDR + (is_gcm(c) ? GCM_EXPLICIT : 0)] ^= 0x80;
		break;
	case F_TAMPER_HDR:
		/* header seq only: the AAD (and ChaCha20 nonce) no longer match */
		rec[10] ^= 0x01;
		break;
	case F_TRUNCATE:
		/* drop the last 4 bytes, length field left as it was */
		len -= 4;
		break;
	case F_EXTRA_BYTES:
		/* 7 bytes after the record: too short for another header */
		memset(rec + len, 0xa5, 7);
		len += 7;
		break;
	case F_WRONG_EPOCH:
		put16(rec + 3, (uint16_t)(get16(rec + 3) + 1));
		break;
	}
	return len;
}

static void usage_send(FILE *f)
{
	fprintf(f,
"usage: sk-testpeer send --local ADDR:PORT --remote ADDR:PORT --cipher C --epoch E\n"
"           --keys FILE --seq N [--type data|dpd|keepalive|raw]\n"
"           [--payload-hex HEX | --icmp-echo SRC,DST[,ID,SEQ] |\n"
"            --udp SRC:SPORT,DST:DPORT,LEN | --tcp-syn SRC:SPORT,DST:DPORT]\n"
"           [--size N] [--repeat K] [--same-seq] [--interval MS]\n"
"           [--fault none|tamper-tag|tamper-ct|tamper-hdr|truncate|extra-bytes|wrong-epoch]\n"
"           [--wait-reply MS] [--expect dpd-resp|data|none]\n"
"  IPv6 endpoints are written [ADDR]:PORT.  --type raw sends --payload-hex as\n"
"  the whole plaintext (type byte included).  --size: ICMP echo payload,\n"
"  DPD bytes after the type byte (default 0), or raw/data padding.\n"
"  exit 0 if the expectation held, 1 if not, 2 on usage errors\n");
}

struct send_req {
	enum { T_DATA, T_DPD, T_KEEPALIVE, T_RAW } type;
	bool type_set;
	const char *payload_hex, *icmp, *udp, *tcp;
	uint64_t size;
	bool size_set;
};

/* Build the plaintext (type byte included) for the send mode. */
static size_t build_plain(const struct send_req *q, uint8_t *pt, size_t max,
			  uint16_t *icmp_id, uint16_t *icmp_seq,
			  struct sk_addr *isrc, struct sk_addr *idst)
{
	char err[SK_ERRLEN];
	size_t n = 1, hl;
	int builders = !!q->payload_hex + !!q->icmp + !!q->udp + !!q->tcp;

	if (builders > 1)
		die("give only one of --payload-hex, --icmp-echo, --udp, --tcp-syn");
	if ((q->type == T_DPD || q->type == T_KEEPALIVE) &&
	    (q->icmp || q->udp || q->tcp))
		die("--type dpd/keepalive take no packet (use --size or --payload-hex)");
	switch (q->type) {
	case T_DPD: pt[0] = PT_DPD_REQ; break;
	case T_KEEPALIVE: pt[0] = PT_KEEPALIVE; break;
	default: pt[0] = PT_DATA; break;
	}
	if (q->payload_hex) {
		size_t off = q->type == T_RAW ? 0 : 1;

		hl = strlen(q->payload_hex);
		if (sk_hex_decode(q->payload_hex, hl, pt + off, max - off, &n,
				  err, sizeof(err)))
			die("--payload-hex: %s", err);
		if (q->type == T_RAW && n == 0)
			die("--type raw needs at least one byte of --payload-hex");
		return n + off;
	}
	if (q->icmp) {
		char buf[256], *f[4], *s, *save = NULL;
		int nf = 0;
		uint64_t v;

		if (strlen(q->icmp) >= sizeof(buf))
			die("--icmp-echo: too long");
		strcpy(buf, q->icmp);
		for (s = strtok_r(buf, ",", &save); s && nf < 4;
		     s = strtok_r(NULL, ",", &save))
			f[nf++] = s;
		if (s || (nf != 2 && nf != 4))
			die("--icmp-echo: expected SRC,DST[,ID,SEQ]");
		if (sk_parse_addr(f[0], isrc, err, sizeof(err)) ||
		    sk_parse_addr(f[1], idst, err, sizeof(err)))
			die("--icmp-echo: %s", err);
		if (isrc->family != idst->family)
			die("--icmp-echo: SRC and DST of different families");
		*icmp_id = 0x5e5e;
		*icmp_seq = 1;
		if (nf == 4) {
			v = parse_num_opt("icmp-echo ID", f[2], 0xffff);
			*icmp_id = (uint16_t)v;
			v = parse_num_opt("icmp-echo SEQ", f[3], 0xffff);
			*icmp_seq = (uint16_t)v;
		}
		if ((q->size_set ? q->size : 56) + 1 + 48 > max)
			die("--size too large");
		return 1 + build_icmp_echo(pt + 1, isrc, idst, *icmp_id,
					   *icmp_seq, q->size_set ? q->size : 56);
	}
	if (q->udp || q->tcp) {
		char buf[256], *f[3], *s, *save = NULL;
		int nf = 0, want = q->udp ? 3 : 2;
		struct sk_endpoint se, de;
		uint64_t len = 0;

		if (strlen(q->udp ? q->udp : q->tcp) >= sizeof(buf))
			die("--udp/--tcp-syn: too long");
		strcpy(buf, q->udp ? q->udp : q->tcp);
		for (s = strtok_r(buf, ",", &save); s && nf < 3;
		     s = strtok_r(NULL, ",", &save))
			f[nf++] = s;
		if (s || nf != want)
			die(q->udp ? "--udp: expected SRC:SPORT,DST:DPORT,LEN"
				   : "--tcp-syn: expected SRC:SPORT,DST:DPORT");
		parse_endpoint_opt(q->udp ? "udp" : "tcp-syn", f[0], &se);
		parse_endpoint_opt(q->udp ? "udp" : "tcp-syn", f[1], &de);
		if (se.addr.family != de.addr.family)
			die("--udp/--tcp-syn: SRC and DST of different families");
		*isrc = se.addr;
		*idst = de.addr;
		if (q->tcp)
			return 1 + build_tcp_syn(pt + 1, &se, &de);
		len = parse_num_opt("udp LEN", f[2], 65000);
		if (len + 1 + 48 > max)
			die("--udp: LEN too large");
		return 1 + build_udp(pt + 1, &se, &de, len);
	}
	/* no builder: DPD, keepalive or data padding of --size bytes */
	if (q->size_set) {
		if (q->size + 1 > max)
			die("--size too large");
		n = 1 + q->size;
		fill_pattern(pt + 1, q->size);
		if (q->type == T_DPD && q->size >= 4) {
			/* bytes 1-4: probe ID, as the client does */
			pt[1] = 0x5e; pt[2] = 0x4b; pt[3] = 0x53; pt[4] = 0x48;
		}
	}
	if (q->type == T_DATA && n == 1)
		die("--type data needs a packet (--icmp-echo, --udp, --tcp-syn, --payload-hex or --size)");
	return n;
}

static int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "remote", required_argument, NULL, 'r' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "keys", required_argument, NULL, 'k' },
		{ "seq", required_argument, NULL, 'q' },
		{ "type", required_argument, NULL, 'T' },
		{ "payload-hex", required_argument, NULL, 'x' },
		{ "icmp-echo", required_argument, NULL, 'I' },
		{ "udp", required_argument, NULL, 'U' },
		{ "tcp-syn", required_argument, NULL, 'S' },
		{ "size", required_argument, NULL, 'z' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "same-seq", no_argument, NULL, 'Q' },
		{ "interval", required_argument, NULL, 'i' },
		{ "fault", required_argument, NULL, 'f' },
		{ "wait-reply", required_argument, NULL, 'w' },
		{ "expect", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *local = NULL, *remote = NULL, *cipher_s = NULL, *keys = NULL;
	bool have_epoch = false, have_seq = false, same_seq = false;
	uint64_t epoch = 0, seq = 0, repeat = 1, interval = 0, wait_ms = 0;
	enum fault fault = F_NONE;
	enum expect expect = E_UNSET;
	struct send_req q = { .type = T_DATA };
	struct sk_endpoint le, re;
	struct sockaddr_storage rss;
	socklen_t rsl;
	enum sk_cipher cipher;
	struct sk_keys k;
	struct aead tx;
	struct rx_state rx;
	uint8_t *pt, *rec, *buf, *out;
	size_t n, rl;
	uint16_t icmp_id = 0, icmp_seq = 0;
	struct sk_addr isrc = { 0 }, idst = { 0 };
	char err[SK_ERRLEN];
	int c, fd, ok = 1;
	uint64_t i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': local = optarg; break;
		case 'r': remote = optarg; break;
		case 'c': cipher_s = optarg; break;
		case 'e': epoch = parse_num_opt("epoch", optarg, 0xffff);
			have_epoch = true; break;
		case 'k': keys = optarg; break;
		case 'q': seq = parse_num_opt("seq", optarg, SEQ_LIMIT);
			have_seq = true; break;
		case 'T':
			q.type_set = true;
			if (!strcmp(optarg, "data")) q.type = T_DATA;
			else if (!strcmp(optarg, "dpd")) q.type = T_DPD;
			else if (!strcmp(optarg, "keepalive")) q.type = T_KEEPALIVE;
			else if (!strcmp(optarg, "raw")) q.type = T_RAW;
			else die("--type: '%s' is not data, dpd, keepalive or raw",
				 optarg);
			break;
		case 'x': q.payload_hex = optarg; break;
		case 'I': q.icmp = optarg; break;
		case 'U': q.udp = optarg; break;
		case 'S': q.tcp = optarg; break;
		case 'z': q.size = parse_num_opt("size", optarg, MAX_PLAIN - 1);
			q.size_set = true; break;
		case 'R': repeat = parse_num_opt("repeat", optarg, 1000000);
			break;
		case 'Q': same_seq = true; break;
		case 'i': interval = parse_num_opt("interval", optarg, 60000);
			break;
		case 'f': {
			size_t j;

			for (j = 0; j < sizeof(fault_names) / sizeof(fault_names[0]); j++)
				if (!strcmp(optarg, fault_names[j]))
					break;
			if (j == sizeof(fault_names) / sizeof(fault_names[0]))
				die("--fault: unknown fault '%s'", optarg);
			fault = (enum fault)j;
			break;
		}
		case 'w': wait_ms = parse_num_opt("wait-reply", optarg, 600000);
			break;
		case 'X':
			if (!strcmp(optarg, "dpd-resp")) expect = E_DPD_RESP;
			else if (!strcmp(optarg, "data")) expect = E_DATA;
			else if (!strcmp(optarg, "none")) expect = E_NONE;
			else die("--expect: '%s' is not dpd-resp, data or none", optarg);
			break;
		case 'h': usage_send(stdout); return 0;
		default: usage_send(stderr); return 2;
		}
	}
	if (optind != argc)
		die("send: unexpected argument '%s'", argv[optind]);
	if (!local || !remote || !cipher_s || !have_epoch || !keys || !have_seq) {
		usage_send(stderr);
		die("send: --local, --remote, --cipher, --epoch, --keys and --seq are required");
	}
	if (repeat == 0)
		die("--repeat: must be at least 1");
	if (expect != E_UNSET && !wait_ms)
		die("--expect needs --wait-reply MS");
	if (!same_seq && seq + repeat - 1 >= SEQ_LIMIT)
		die("--seq + --repeat passes 2^48 - 1");
	parse_endpoint_opt("local", local, &le);
	parse_endpoint_opt("remote", remote, &re);
	if (le.addr.family != re.addr.family)
		die("--local and --remote must be of the same address family");
	if (sk_parse_cipher(cipher_s, &cipher, err, sizeof(err)))
		die("--cipher: %s", err);
	load_keys_opt("keys", keys, cipher, &k);

	pt = malloc(MAX_DGRAM);
	rec = malloc(MAX_DGRAM + 64);
	buf = malloc(MAX_DGRAM + 64);
	out = malloc(MAX_DGRAM + 64);
	if (!pt || !rec || !buf || !out)
		die("out of memory");
	n = build_plain(&q, pt, MAX_PLAIN, &icmp_id, &icmp_seq, &isrc, &idst);

	memset(&rx, 0, sizeof(rx));
	if (aead_init(&tx, cipher, (uint16_t)epoch, &k.tx, true) ||
	    rx_add(&rx, cipher, (uint16_t)epoch, &k.rx))
		die("cannot set up %s", cipher_s);
	sk_keys_wipe(&k);
	fd = udp_socket(&le);
	sk_endpoint_to_sockaddr(&re, &rss, &rsl);

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < repeat; i++) {
		uint64_t s = same_seq ? seq : seq + i;

		if (i == 0 || !same_seq) {
			rl = rec_seal(&tx, s, pt, n, rec);
			if (!rl)
				die("sealing failed");
			rl = apply_fault(fault, rec, rl, cipher);
		}
		if (sendto(fd, rec, rl, 0, (struct sockaddr *)&rss, rsl) < 0) {
			fprintf(stderr, "%s: sendto: %s\n", prog, strerror(errno));
			return 1;
		}
		printf("sent epoch %" PRIu64 " seq %" PRIu64 " type %s len %zu record %zu fault %s\n",
		       epoch, s, q.type == T_RAW ? "raw" : pt_name(pt[0]), n,
		       rl, fault_names[fault]);
		if (interval && i + 1 < repeat)
			usleep((useconds_t)interval * 1000);
	}

	if (wait_ms) {
		struct timespec start, now;
		bool got = false;

		clock_gettime(CLOCK_MONOTONIC, &start);
		for (;;) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			long left;
			ssize_t len;
			struct opened o;
			size_t used;
			enum drop_reason r;
			char desc[256];

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = (long)wait_ms - ((now.tv_sec - start.tv_sec) * 1000 +
					       (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				break;
			if (poll(&pfd, 1, (int)left) <= 0)
				continue;
			len = recv(fd, buf, MAX_DGRAM, 0);
			if (len < 0)
				continue;
			r = rec_open(&rx, buf, (size_t)len, &used, out, &o);
			if (r != DROP_NONE) {
				printf("reply dropped: %s (%zd bytes)\n",
				       drop_names[r], len);
				continue;
			}
			got = true;
			if (o.pt[0] == PT_DATA && o.n > 1)
				describe_ip(o.pt + 1, o.n - 1, desc, sizeof(desc));
			else
				snprintf(desc, sizeof(desc), "len %zu", o.n);
			printf("reply epoch %u seq %" PRIu64 " type %s %s\n",
			       o.epoch, o.seq, pt_name(o.pt[0]), desc);
			switch (expect) {
			case E_DPD_RESP:
				if (o.pt[0] != PT_DPD_RESP) {
					printf("expect dpd-resp: FAIL: got %s\n",
					       pt_name(o.pt[0]));
					ok = 0;
				} else if (o.n != n || memcmp(o.pt + 1, pt + 1, n - 1)) {
					printf("expect dpd-resp: FAIL: length %zu/%zu or content differs\n",
					       o.n, n);
					ok = 0;
				} else {
					printf("expect dpd-resp: ok\n");
				}
				break;
			case E_DATA:
				if (o.pt[0] != PT_DATA || o.n < 2) {
					printf("expect data: FAIL: got %s\n",
					       pt_name(o.pt[0]));
					ok = 0;
					break;
				}
				if (q.icmp) {
					/* must be the echo reply to our request */
					const uint8_t *ip = o.pt + 1, *ic;
					bool v6 = isrc.family == AF_INET6;
					size_t hl = v6 ? 40 : (size_t)(ip[0] & 15) * 4;

					if (o.n - 1 < hl + 8 || ip[0] >> 4 != (v6 ? 6 : 4) ||
					    (v6 ? ip[6] : ip[9]) != (v6 ? 58 : 1)) {
						printf("expect data: FAIL: not an ICMP reply\n");
						ok = 0;
						break;
					}
					ic = ip + hl;
					if (ic[0] != (v6 ? 129 : 0) ||
					    get16(ic + 4) != icmp_id ||
					    get16(ic + 6) != icmp_seq ||
					    memcmp(v6 ? ip + 8 : ip + 12, idst.a,
						   sk_addr_len(idst.family)) ||
					    memcmp(v6 ? ip + 24 : ip + 16, isrc.a,
						   sk_addr_len(isrc.family))) {
						printf("expect data: FAIL: not the echo reply to id %u seq %u\n",
						       icmp_id, icmp_seq);
						ok = 0;
						break;
					}
				}
				printf("expect data: ok\n");
				break;
			case E_NONE:
				printf("expect none: FAIL: got a reply\n");
				ok = 0;
				break;
			case E_UNSET:
				break;
			}
			break;
		}
		if (!got) {
			printf("no reply within %" PRIu64 " ms\n", wait_ms);
			if (expect == E_NONE)
				printf("expect none: ok\n");
			else if (expect != E_UNSET) {
				printf("expect %s: FAIL: no reply\n",
				       expect == E_DATA ? "data" : "dpd-resp");
				ok = 0;
			}
		}
	}
	aead_free(&tx);
	aead_free(&rx.ep[0].aead);
	close(fd);
	free(pt);
	free(rec);
	free(buf);
	free(out);
	return ok ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* selftest mode                                                        */

#include "sk-testpeer-selftest.c"

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
"usage: sk-testpeer tunnel|send|selftest [OPTIONS]   (--help per mode)\n"
"  tunnel    tun device <-> DTLS 1.2 records over UDP (AnyConnect client data channel)\n"
"  send      seal single records: probes, crafted packets, faults, replays\n"
"  selftest  known-answer and layout tests of the record code (TAP)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "tunnel"))
		return cmd_tunnel(argc - 1, argv + 1);
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "selftest"))
		return cmd_selftest();
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	fprintf(stderr, "%s: unknown mode '%s'\n", prog, argv[1]);
	return 2;
}
