// SPDX-License-Identifier: GPL-2.0
/*
 * The DTLS-PSK server handshake of anyconnect-protocol.md §6.7, run by the
 * worker once per DTLS (re)connect.  OpenSSL does the handshake only.  When
 * it is about to send its final flight (ChangeCipherSpec + Finished), the
 * keys are already known: the keys and sequence numbers go to the main
 * process, which programs the kernel datapath, and only then does the flight
 * leave.  The client sends its first MTU probe as soon as it has our
 * Finished, so the kernel must own the session before that (§6.5).  OpenSSL
 * never writes on this association after its Finished (quiet shutdown, so no
 * close_notify uses a sequence number).
 *
 * The UDP socket is already connected to the client; the main process read
 * the ClientHello from the listening socket, so a small BIO returns that
 * datagram first and then reads the socket.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include "worker.h"

#define PSK_LABEL "EXPORTER-openconnect-psk"

struct dgram_bio {
	int fd;
	const uint8_t *first;	/* the ClientHello main passed, returned once */
	size_t first_len;
	SSL *ssl;
	/* called before the first datagram that carries our ChangeCipherSpec */
	int (*before_ccs)(struct dgram_bio *d);
	bool ccs_seen, keys_failed;
	sk_dtls_keys_cb keys_cb;
	void *cb_arg;
	char *reason;
	size_t rlen;
};

/* true if the datagram holds a ChangeCipherSpec record (13-byte headers) */
static bool has_ccs(const uint8_t *p, size_t len)
{
	while (len >= 13) {
		size_t rl = (size_t)p[11] << 8 | p[12];

		if (p[0] == 20)
			return true;
		if (rl > len - 13)
			break;
		p += 13 + rl;
		len -= 13 + rl;
	}
	return false;
}

/* per-handshake state, found from the SSL through app data */
struct dtls_hs {
	uint8_t psk[32];
	bool have_rd, have_wr;
	uint16_t rd_epoch, wr_epoch;
	uint64_t rd_seq, wr_seq;
};

static int bio_write(BIO *b, const char *buf, int len)
{
	struct dgram_bio *d = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (!d->ccs_seen && len > 0 && has_ccs((const uint8_t *)buf, (size_t)len)) {
		d->ccs_seen = true;
		if (d->before_ccs(d))
			return -1;
	}
	n = send(d->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			BIO_set_retry_write(b);
		/* ICMP errors on a connected UDP socket: drop, DTLS retransmits */
		else if (errno == ECONNREFUSED)
			return len;
		return -1;
	}
	return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	struct dgram_bio *d = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (d->first) {
		size_t l = d->first_len < (size_t)len ? d->first_len : (size_t)len;

		memcpy(buf, d->first, l);
		d->first = NULL;
		return (int)l;
	}
	n = recv(d->fd, buf, len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED)
			BIO_set_retry_read(b);
		return -1;
	}
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
	case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
		return 1;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 48;	/* IPv6 + UDP: the larger, so records always fit */
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return 1400;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static unsigned int psk_cb(SSL *ssl, const char *identity, unsigned char *psk,
			   unsigned int max)
{
	struct dtls_hs *hs = SSL_get_app_data(ssl);

	(void)identity;	/* openconnect sends "psk"; the key itself authenticates */
	if (!hs || max < sizeof(hs->psk))
		return 0;
	memcpy(psk, hs->psk, sizeof(hs->psk));
	return sizeof(hs->psk);
}

/* Tracks the epoch/sequence of every record header read or written (§6.7 step 4). */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		   SSL *ssl, void *arg)
{
	struct dtls_hs *hs = SSL_get_app_data(ssl);
	const uint8_t *h = buf;
	uint16_t epoch;
	uint64_t seq = 0;

	(void)version, (void)arg;
	if (!hs || content_type != SSL3_RT_HEADER || len < 13)
		return;
	epoch = (uint16_t)(h[3] << 8 | h[4]);
	for (int i = 5; i < 11; i++)
		seq = seq << 8 | h[i];
	if (write_p) {
		if (!hs->have_wr || epoch > hs->wr_epoch ||
		    (epoch == hs->wr_epoch && seq > hs->wr_seq)) {
			hs->wr_epoch = epoch;
			hs->wr_seq = seq;
			hs->have_wr = true;
		}
	} else {
		if (!hs->have_rd || epoch > hs->rd_epoch ||
		    (epoch == hs->rd_epoch && seq > hs->rd_seq)) {
			hs->rd_epoch = epoch;
			hs->rd_seq = seq;
			hs->have_rd = true;
		}
	}
}

SSL_CTX *sk_dtls_ctx_new(const char *ciphers)
{
	SSL_CTX *c = SSL_CTX_new(DTLS_server_method());

	if (!c)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(c, ciphers ? ciphers :
				     "PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:PSK-CHACHA20-POLY1305")) {
		SSL_CTX_free(c);
		return NULL;
	}
	SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_QUERY_MTU |
			       SSL_OP_NO_TICKET);
	SSL_CTX_set_psk_server_callback(c, psk_cb);
	SSL_CTX_set_msg_callback(c, msg_cb);
	SSL_CTX_set_read_ahead(c, 1);
	return c;
}

/* key block = TLS1-PRF(master, "key expansion" || server_random || client_random) */
static int key_block(SSL *s, const char *digest, uint8_t *kb, size_t kblen)
{
	uint8_t ms[48], seed[13 + 64];
	size_t msl;
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[4];
	int rc = -1;

	msl = SSL_SESSION_get_master_key(SSL_get_session(s), ms, sizeof(ms));
	memcpy(seed, "key expansion", 13);
	if (msl != sizeof(ms) ||
	    SSL_get_server_random(s, seed + 13, 32) != 32 ||
	    SSL_get_client_random(s, seed + 45, 32) != 32)
		goto out;
	kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	if (!kdf)
		goto out;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, ms, msl);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, kb, kblen, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	OPENSSL_cleanse(ms, sizeof(ms));
	return rc;
}

static int export_keys(SSL *s, struct dtls_hs *hs, struct sk_ipc_dtls_keys *k,
		       char *reason, size_t rlen)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(s);
	const EVP_MD *md;
	uint8_t kb[88];
	size_t kl, il;
	const char *dn;

	if (!c)
		goto bad;
	switch (SSL_CIPHER_get_cipher_nid(c)) {
	case NID_aes_128_gcm: k->cipher = SK_CIPHER_AES128_GCM; kl = 16; il = 4; break;
	case NID_aes_256_gcm: k->cipher = SK_CIPHER_AES256_GCM; kl = 32; il = 4; break;
	case NID_chacha20_poly1305: k->cipher = SK_CIPHER_CHACHA20_POLY1305; kl = 32; il = 12; break;
	default: goto bad;
	}
	md = SSL_CIPHER_get_handshake_digest(c);
	dn = md ? EVP_MD_get0_name(md) : NULL;
	if (!dn || key_block(s, dn, kb, 2 * (kl + il))) {
		snprintf(reason, rlen, "DTLS key derivation failed");
		return -1;
	}
	/* client_write_key | server_write_key | client_write_IV | server_write_IV */
	memcpy(k->dec_key, kb, kl);
	memcpy(k->enc_key, kb + kl, kl);
	memcpy(k->dec_iv, kb + 2 * kl, il);
	memcpy(k->enc_iv, kb + 2 * kl + il, il);
	OPENSSL_cleanse(kb, sizeof(kb));
	k->key_len = kl;
	k->iv_len = il;
	/* Our Finished is epoch 1 seq 0 (already framed if OpenSSL buffered
	 * the flight, else about to be): the kernel sends from seq 1 on.  The
	 * client's Finished (epoch 1 seq M) is the replay window's right edge. */
	if (!hs->have_rd || hs->rd_epoch != 1 ||
	    (hs->have_wr && hs->wr_epoch == 1 && hs->wr_seq != 0)) {
		snprintf(reason, rlen, "DTLS record sequence unknown");
		return -1;
	}
	k->epoch = 1;
	k->tx_seq = 1;
	k->rx_seq = hs->rd_seq;
	return 0;
bad:
	snprintf(reason, rlen, "unexpected DTLS cipher");
	return -1;
}

/* the keys, handed over before our final flight leaves (see the top) */
static int keys_before_ccs(struct dgram_bio *d)
{
	struct sk_ipc_dtls_keys k = { 0 };
	int rc;

	rc = export_keys(d->ssl, SSL_get_app_data(d->ssl), &k, d->reason, d->rlen);
	if (!rc) {
		rc = d->keys_cb(d->cb_arg, &k);
		if (rc)
			snprintf(d->reason, d->rlen, "the kernel did not take the DTLS keys");
	}
	OPENSSL_cleanse(&k, sizeof(k));
	d->keys_failed = rc != 0;
	return rc;
}

/* one handshake in progress (worker.h: sk_dtls_begin) */
struct sk_dtls {
	struct dgram_bio d;
	struct dtls_hs hs;
	uint8_t first[SK_DTLS_HELLO_MAX];	/* the ClientHello, kept until read */
	int64_t deadline;
	SSL *s;
	char reason[128];
};

static BIO_METHOD *dgram_method(void)
{
	static BIO_METHOD *meth;	/* immutable once made; one per process */

	if (!meth) {
		meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sekisho-dgram");
		if (!meth || !BIO_meth_set_write(meth, bio_write) ||
		    !BIO_meth_set_read(meth, bio_read) || !BIO_meth_set_ctrl(meth, bio_ctrl) ||
		    !BIO_meth_set_create(meth, bio_create)) {
			BIO_meth_free(meth);
			meth = NULL;
		}
	}
	return meth;
}

/* tls NULL: the PSK is psk (a DTLS worker's, from main), else tls's exporter */
static struct sk_dtls *dtls_begin(SSL_CTX *dctx, SSL *tls, const uint8_t *psk, int fd,
				  const uint8_t *dgram, size_t dlen, unsigned int timeout_ms,
				  sk_dtls_keys_cb keys_cb, void *cb_arg)
{
	struct sk_dtls *h = calloc(1, sizeof(*h));
	BIO_METHOD *meth = dgram_method();
	BIO *b;

	if (!h)
		return NULL;
	snprintf(h->reason, sizeof(h->reason), "DTLS handshake failed");
	h->deadline = sk_worker_mono_ms() + (timeout_ms ? timeout_ms : 15000);
	if (dlen > sizeof(h->first))
		dlen = sizeof(h->first);
	memcpy(h->first, dgram, dlen);
	h->d = (struct dgram_bio){ .fd = fd, .first = h->first, .first_len = dlen,
				   .before_ccs = keys_before_ccs, .keys_cb = keys_cb,
				   .cb_arg = cb_arg, .reason = h->reason,
				   .rlen = sizeof(h->reason) };
	if (!meth) {
		h->s = NULL;
		return h;	/* sk_dtls_step reports the failure */
	}
	if (!tls) {
		memcpy(h->hs.psk, psk, sizeof(h->hs.psk));
	} else if (SSL_export_keying_material(tls, h->hs.psk, sizeof(h->hs.psk), PSK_LABEL,
					      strlen(PSK_LABEL), NULL, 0, 0) != 1) {
		snprintf(h->reason, sizeof(h->reason), "TLS exporter failed");
		return h;
	}
	h->s = SSL_new(dctx);
	b = BIO_new(meth);
	if (!h->s || !b) {
		BIO_free(b);
		SSL_free(h->s);
		h->s = NULL;
		return h;
	}
	BIO_set_data(b, &h->d);
	h->d.ssl = h->s;
	SSL_set_bio(h->s, b, b);
	SSL_set_app_data(h->s, &h->hs);
	SSL_set_mtu(h->s, 1400);
	return h;
}

struct sk_dtls *sk_dtls_begin(SSL_CTX *dctx, SSL *tls, int fd, const uint8_t *dgram, size_t dlen,
			      unsigned int timeout_ms, sk_dtls_keys_cb keys_cb, void *cb_arg)
{
	return dtls_begin(dctx, tls, NULL, fd, dgram, dlen, timeout_ms, keys_cb, cb_arg);
}

struct sk_dtls *sk_dtls_begin_psk(SSL_CTX *dctx, const uint8_t psk[32], int fd,
				  const uint8_t *dgram, size_t dlen, unsigned int timeout_ms,
				  sk_dtls_keys_cb keys_cb, void *cb_arg)
{
	return dtls_begin(dctx, NULL, psk, fd, dgram, dlen, timeout_ms, keys_cb, cb_arg);
}

int sk_dtls_psk(SSL *tls, uint8_t psk[32])
{
	return SSL_export_keying_material(tls, psk, 32, PSK_LABEL, strlen(PSK_LABEL), NULL, 0,
					  0) == 1 ? 0 : -1;
}

int sk_dtls_step(struct sk_dtls *h, int *wait_ms, int *events)
{
	struct timeval tv;
	int64_t left;
	int r, e;

	*wait_ms = 0;
	*events = POLLIN;
	if (!h->s)
		return -1;
	if (sk_worker_mono_ms() >= h->deadline) {
		snprintf(h->reason, sizeof(h->reason), "DTLS handshake timed out");
		return -1;
	}
	/* a retransmission is due: resend our last flight */
	if (DTLSv1_get_timeout(h->s, &tv) && !tv.tv_sec && !tv.tv_usec &&
	    DTLSv1_handle_timeout(h->s) < 0)
		return -1;
	r = SSL_accept(h->s);
	if (r == 1) {
		if (!h->d.ccs_seen) {
			snprintf(h->reason, sizeof(h->reason),
				 "DTLS handshake ended without our ChangeCipherSpec");
			return -1;
		}
		h->reason[0] = 0;
		return 1;
	}
	e = SSL_get_error(h->s, r);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
		unsigned long ee = ERR_peek_last_error();

		if (!h->d.keys_failed)
			snprintf(h->reason, sizeof(h->reason), "DTLS handshake failed: %s",
				 ee ? ERR_reason_error_string(ee) : "peer closed");
		ERR_clear_error();
		return -1;
	}
	left = h->deadline - sk_worker_mono_ms();
	if (DTLSv1_get_timeout(h->s, &tv)) {
		int64_t t = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;

		if (t < left)
			left = t;
	}
	*wait_ms = left < 1 ? 1 : (int)left;
	if (e == SSL_ERROR_WANT_WRITE)
		*events = POLLOUT;
	return 0;
}

int sk_dtls_fd(const struct sk_dtls *h)
{
	return h->d.fd;
}

const char *sk_dtls_reason(const struct sk_dtls *h)
{
	return h->reason;
}

void sk_dtls_free(struct sk_dtls *h)
{
	if (!h)
		return;
	ERR_clear_error();
	if (h->s) {
		SSL_set_quiet_shutdown(h->s, 1);
		SSL_set_app_data(h->s, NULL);
		SSL_free(h->s);
	}
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

int sk_dtls_handshake(SSL_CTX *dctx, SSL *tls, int fd, const uint8_t *dgram, size_t dlen,
		      unsigned int timeout_ms, sk_dtls_keys_cb keys_cb, void *cb_arg,
		      char *reason, size_t rlen)
{
	struct sk_dtls *h = sk_dtls_begin(dctx, tls, fd, dgram, dlen, timeout_ms, keys_cb, cb_arg);
	int r = -1, wait, ev;

	if (!h) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	while ((r = sk_dtls_step(h, &wait, &ev)) == 0) {
		struct pollfd pfd = { .fd = fd, .events = (short)ev };

		if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
			r = -1;
			break;
		}
	}
	snprintf(reason, rlen, "%s", h->reason);
	sk_dtls_free(h);
	return r == 1 ? 0 : -1;
}
