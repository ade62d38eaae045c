// SPDX-License-Identifier: GPL-2.0
/*
 * lib/sktls.c: the keys and record sequence numbers a gateway hands to
 * kernel TLS, checked without the kernel.  An OpenSSL server and client
 * talk over a socket pair (handshake, then application records both
 * ways, as an HTTP exchange and the CONNECT would), the server's state
 * is exported, and then, as the kernel would with those parameters:
 * the client's next record is decrypted from the raw bytes, and a record
 * sealed with the exported transmit keys must be what the client's
 * OpenSSL reads.  Every TLS 1.2 and 1.3 suite the kernel offloads; then
 * the cases that must not hand off (a session ticket or a KeyUpdate after
 * the handshake, bytes OpenSSL already holds, a CBC suite).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ktls-rec.h"
#include "sktls.h"
#include "tap.h"

static EVP_PKEY *pkey;
static X509 *cert;

static void make_cert(void)
{
	pkey = EVP_EC_gen("P-256");
	cert = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"ktls-test", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	X509_sign(cert, pkey, EVP_sha256());
}

struct pair {
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int sfd, cfd;
	struct sk_ktls_track t;
};

static void pair_free(struct pair *p)
{
	SSL_free(p->s);
	SSL_free(p->c);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
	close(p->sfd);
	close(p->cfd);
}

/* handshake both ends in turn (non-blocking) */
static int pair_new(struct pair *p, int v13, const char *suite, int tickets)
{
	int sv[2], sdone = 0, cdone = 0;

	memset(p, 0, sizeof(*p));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	p->sfd = sv[0];
	p->cfd = sv[1];
	fcntl(p->sfd, F_SETFL, O_NONBLOCK);
	fcntl(p->cfd, F_SETFL, O_NONBLOCK);
	p->sctx = SSL_CTX_new(TLS_server_method());
	p->cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_use_certificate(p->sctx, cert);
	SSL_CTX_use_PrivateKey(p->sctx, pkey);
	SSL_CTX_set_min_proto_version(p->sctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(p->sctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	if (v13)
		SSL_CTX_set_ciphersuites(p->sctx, suite);
	else
		SSL_CTX_set_cipher_list(p->sctx, suite);
	SSL_CTX_set_num_tickets(p->sctx, (size_t)tickets);
	if (!tickets)
		SSL_CTX_set_options(p->sctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	if (sk_ktls_ctx(p->sctx))
		return -1;
	p->s = SSL_new(p->sctx);
	p->c = SSL_new(p->cctx);
	if (sk_ktls_track(p->s, &p->t))
		return -1;
	SSL_set_fd(p->s, p->sfd);
	SSL_set_fd(p->c, p->cfd);
	for (int i = 0; i < 1000 && !(sdone && cdone); i++) {
		if (!cdone) {
			int r = SSL_connect(p->c);

			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(p->c, r) != SSL_ERROR_WANT_READ)
				return -1;
		}
		if (!sdone) {
			int r = SSL_accept(p->s);

			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(p->s, r) != SSL_ERROR_WANT_READ)
				return -1;
		}
	}
	return sdone && cdone ? 0 : -1;
}

static int rd(SSL *ssl, char *buf, int len)
{
	for (int i = 0; i < 100; i++) {
		int n = SSL_read(ssl, buf, len);

		if (n > 0)
			return n;
		if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ)
			return -1;
	}
	return -1;
}

/* some application records each way, as a login and the CONNECT make */
static int traffic(struct pair *p, int c2s, int s2c)
{
	char buf[256];

	for (int i = 0; i < c2s; i++)
		if (SSL_write(p->c, "GET / HTTP/1.1\r\n\r\n", 18) != 18 || rd(p->s, buf, sizeof(buf)) != 18)
			return -1;
	for (int i = 0; i < s2c; i++)
		if (SSL_write(p->s, "HTTP/1.1 200 OK\r\n\r\n", 19) != 19)
			return -1;
	for (int i = 0; i < s2c; i++)
		if (rd(p->c, buf, sizeof(buf)) != 19)
			return -1;
	return 0;
}

/* the client's next record, opened with the exported receive keys */
static int open_next(struct pair *p, const struct sk_ktls_keys *k)
{
	const char msg[] = "CSTP from the client";
	uint8_t pt[512];
	size_t n;

	if (SSL_write(p->c, msg, sizeof(msg)) != (int)sizeof(msg) || krec_open(k, p->sfd, pt, &n))
		return -1;
	return n == sizeof(msg) && !memcmp(pt, msg, sizeof(msg)) ? 0 : -1;
}

/* a record sealed with the exported transmit keys, read by the client */
static int seal_next(struct pair *p, const struct sk_ktls_keys *k)
{
	const char msg[] = "CSTP from the gateway";
	char buf[64];

	if (krec_seal(k, p->sfd, msg, sizeof(msg)))
		return -1;
	return rd(p->c, buf, sizeof(buf)) == (int)sizeof(msg) && !memcmp(buf, msg, sizeof(msg)) ?
	       0 : -1;
}

int main(void)
{
	static const struct { int v13; const char *suite, *name; int cipher; } cases[] = {
		{ 0, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS 1.2 AES-128-GCM", SK_KTLS_AES128_GCM },
		{ 0, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS 1.2 AES-256-GCM", SK_KTLS_AES256_GCM },
		{ 0, "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS 1.2 ChaCha20-Poly1305",
		  SK_KTLS_CHACHA20_POLY1305 },
		{ 1, "TLS_AES_128_GCM_SHA256", "TLS 1.3 AES-128-GCM", SK_KTLS_AES128_GCM },
		{ 1, "TLS_AES_256_GCM_SHA384", "TLS 1.3 AES-256-GCM", SK_KTLS_AES256_GCM },
		{ 1, "TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3 ChaCha20-Poly1305",
		  SK_KTLS_CHACHA20_POLY1305 },
	};
	struct tap t = { 0 };
	struct sk_ktls_keys k;
	struct pair p;
	const char *why;
	char buf[64];

	tap_begin();
	make_cert();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!tap_ok(&t, !pair_new(&p, cases[i].v13, cases[i].suite, 0) &&
			    !traffic(&p, 3, 2), "%s: handshake and 3 + 2 records", cases[i].name)) {
			pair_free(&p);
			continue;
		}
		why = sk_ktls_export(p.s, &p.t, &k);
		tap_ok(&t, !why && k.cipher == cases[i].cipher &&
		       k.version == (cases[i].v13 ? 0x0304 : 0x0303) && sk_ktls_keys_ok(&k),
		       "%s: exported (%s)", cases[i].name, why ? why : "ok");
		/* TLS 1.2 counts the Finished; TLS 1.3 starts at the traffic keys */
		tap_ok(&t, k.rx_seq == (uint64_t)(cases[i].v13 ? 3 : 4) &&
		       k.tx_seq == (uint64_t)(cases[i].v13 ? 2 : 3),
		       "%s: sequence numbers rx %llu tx %llu", cases[i].name,
		       (unsigned long long)k.rx_seq, (unsigned long long)k.tx_seq);
		tap_ok(&t, !open_next(&p, &k), "%s: the client's next record opens with the rx keys",
		       cases[i].name);
		tap_ok(&t, !seal_next(&p, &k), "%s: a record sealed with the tx keys reads at the client",
		       cases[i].name);
		pair_free(&p);
	}

	/* no hand-off when the counts may not say which keys are in use */
	pair_new(&p, 1, "TLS_AES_128_GCM_SHA256", 1);
	traffic(&p, 1, 1);	/* the client reads the ticket */
	why = sk_ktls_export(p.s, &p.t, &k);
	tap_ok(&t, why && !strcmp(why, "post-handshake"),
	       "TLS 1.3 with a session ticket after the handshake: %s", why ? why : "exported");
	pair_free(&p);

	pair_new(&p, 1, "TLS_AES_128_GCM_SHA256", 0);
	SSL_key_update(p.c, SSL_KEY_UPDATE_NOT_REQUESTED);
	traffic(&p, 1, 0);
	why = sk_ktls_export(p.s, &p.t, &k);
	tap_ok(&t, why && !strcmp(why, "post-handshake"), "a client's KeyUpdate: %s",
	       why ? why : "exported");
	pair_free(&p);

	pair_new(&p, 0, "ECDHE-ECDSA-AES128-GCM-SHA256", 0);
	SSL_write(p.c, "0123456789", 10);
	rd(p.s, buf, 4);	/* 6 bytes stay in OpenSSL */
	why = sk_ktls_export(p.s, &p.t, &k);
	tap_ok(&t, why && !strcmp(why, "pending"), "bytes OpenSSL holds: %s", why ? why : "exported");
	pair_free(&p);

	pair_new(&p, 0, "ECDHE-ECDSA-AES128-SHA256", 0);
	why = sk_ktls_export(p.s, &p.t, &k);
	tap_ok(&t, why && !strcmp(why, "cipher"), "a CBC suite: %s", why ? why : "exported");
	pair_free(&p);

	k.version = 0x0302;
	k.cipher = SK_KTLS_AES128_GCM;
	k.pad = 0;
	tap_ok(&t, !sk_ktls_keys_ok(&k), "TLS 1.1 keys are refused");
	k.version = 0x0304;
	k.cipher = 4;
	tap_ok(&t, !sk_ktls_keys_ok(&k), "an unknown cipher is refused");
	OPENSSL_cleanse(&k, sizeof(k));
	EVP_PKEY_free(pkey);
	X509_free(cert);
	return tap_end(&t);
}
