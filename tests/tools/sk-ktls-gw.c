// SPDX-License-Identifier: GPL-2.0
/*
 * sk-ktls-gw: the gateway side of one TLS connection, up to the hand-off
 * of its socket to sekisho.ko (tests/selftests/ktls.sh).
 *
 *   sk-ktls-gw --listen ADDR:PORT --tls 1.2|1.3 --cipher aes128|aes256|chacha
 *              --pass-fd N
 *
 * Accepts one TCP connection, does the TLS handshake with OpenSSL (an
 * ephemeral P-256 certificate made here), derives the traffic keys itself
 * (TLS 1.2: the key block from the master secret; TLS 1.3: the traffic
 * secrets from the key log callback), installs kernel TLS with TCP_ULP
 * "tls" and TLS_TX/TLS_RX, and passes the socket over the AF_UNIX socket
 * N (SCM_RIGHTS) with one line: "ok", "notls ERRNO" (no tls module) or
 * "nocipher ERRNO" (the kernel cannot offload the suite).  Deriving the
 * keys here does not depend on OpenSSL's own kTLS support (Debian's
 * OpenSSL 3.0 has no TLS 1.3 receive offload).
 *
 * The server sends no TLS 1.3 session tickets and reads no more than the
 * handshake, so the record sequence numbers at the hand-off are known:
 * TLS 1.2 one each way (the Finished messages), TLS 1.3 zero.
 */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sk-ktls-gw: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* the TLS 1.3 traffic secrets, from the key log */
static unsigned char c_secret[64], s_secret[64];
static size_t secret_len;

static void hex_in(const char *h, unsigned char *out, size_t *len)
{
	size_t n = 0;
	unsigned int b;

	while (n < 64 && sscanf(h + 2 * n, "%2x", &b) == 1)
		out[n++] = (unsigned char)b;
	*len = n;
}

static void keylog(const SSL *ssl, const char *line)
{
	const char *p;

	(void)ssl;
	p = strrchr(line, ' ');
	if (!p)
		return;
	if (!strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24))
		hex_in(p + 1, c_secret, &secret_len);
	else if (!strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24))
		hex_in(p + 1, s_secret, &secret_len);
}

static EVP_PKEY *make_cert(X509 **crt)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	if (!pk || !x)
		die("key");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"sekisho-ktls-test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (!X509_sign(x, pk, EVP_sha256()))
		die("sign");
	*crt = x;
	return pk;
}

static void kdf(const char *name, const char *digest, int mode,
		const unsigned char *key, size_t keylen,
		const unsigned char *info, size_t infolen,
		unsigned char *out, size_t outlen)
{
	EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *c = k ? EVP_KDF_CTX_new(k) : NULL;
	OSSL_PARAM p[5], *q = p;

	if (!c)
		die("kdf %s", name);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)digest, 0);
	/* HKDF's pseudorandom key is its "key", the PRF's is its "secret" */
	*q++ = OSSL_PARAM_construct_octet_string(mode >= 0 ? OSSL_KDF_PARAM_KEY :
						 OSSL_KDF_PARAM_SECRET,
						 (void *)key, keylen);
	if (mode >= 0) {
		*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, infolen);
	} else {
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
							 (void *)info, infolen);
	}
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(c, out, outlen, p) <= 0)
		die("derive %s", name);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(k);
}

/* HKDF-Expand-Label(secret, label, "", len) of RFC 8446 §7.1 */
static void expand_label(const char *digest, const unsigned char *secret,
			 size_t slen, const char *label, unsigned char *out,
			 size_t len)
{
	unsigned char info[64];
	size_t ll = strlen(label), n = 0;

	info[n++] = (unsigned char)(len >> 8);
	info[n++] = (unsigned char)len;
	info[n++] = (unsigned char)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;
	kdf("HKDF", digest, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, slen, info,
	    n, out, len);
}

/* one direction's crypto_info; the union is as large as the largest */
union ci {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 g128;
	struct tls12_crypto_info_aes_gcm_256 g256;
	struct tls12_crypto_info_chacha20_poly1305 cc;
};

static size_t fill_ci(union ci *c, int v13, int cipher, const unsigned char *key,
		      const unsigned char *iv, unsigned long long seq)
{
	unsigned char rs[8];
	int i;

	for (i = 0; i < 8; i++)
		rs[i] = (unsigned char)(seq >> (56 - 8 * i));
	memset(c, 0, sizeof(*c));
	c->info.version = v13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
/* GCM: a 4-byte salt; TLS 1.3's IV goes on in iv, TLS 1.2's first nonce is seq */
#define FILL_GCM(m, type, klen) do {					\
		c->info.cipher_type = (type);				\
		memcpy(c->m.key, key, (klen));				\
		memcpy(c->m.salt, iv, 4);				\
		memcpy(c->m.iv, v13 ? iv + 4 : rs, 8);			\
		memcpy(c->m.rec_seq, rs, 8);				\
		return sizeof(c->m);					\
	} while (0)
	switch (cipher) {
	case 0:
		FILL_GCM(g128, TLS_CIPHER_AES_GCM_128, 16);
	case 1:
		FILL_GCM(g256, TLS_CIPHER_AES_GCM_256, 32);
	default:
		c->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(c->cc.key, key, 32);
		memcpy(c->cc.iv, iv, 12);
		memcpy(c->cc.rec_seq, rs, 8);
		return sizeof(c->cc);
	}
}

static void pass(int unix_fd, int fd, const char *line)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)line, strlen(line) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	if (fd >= 0) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(unix_fd, &m, 0) < 0)
		die("sendmsg: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	static const char *const c12[] = { "ECDHE-ECDSA-AES128-GCM-SHA256",
		"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305" };
	static const char *const c13[] = { "TLS_AES_128_GCM_SHA256",
		"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256" };
	static const size_t keylen[] = { 16, 32, 32 };
	const char *listen_at = NULL, *digest;
	int v13 = -1, cipher = -1, unix_fd = -1, ls, fd, one = 1, i;
	unsigned char kb[2 * 32 + 2 * 12], ckey[32], skey[32], civ[12], siv[12];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	union ci tx, rx;
	size_t klen, ivlen, cilen;
	char buf[64], *colon;
	SSL_CTX *ctx;
	EVP_PKEY *pk;
	X509 *crt;
	SSL *ssl;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen_at = argv[i + 1];
		else if (!strcmp(argv[i], "--tls"))
			v13 = !strcmp(argv[i + 1], "1.3");
		else if (!strcmp(argv[i], "--cipher"))
			cipher = !strcmp(argv[i + 1], "aes128") ? 0 :
				 !strcmp(argv[i + 1], "aes256") ? 1 :
				 !strcmp(argv[i + 1], "chacha") ? 2 : -1;
		else if (!strcmp(argv[i], "--pass-fd"))
			unix_fd = atoi(argv[i + 1]);
		else
			die("unknown option %s", argv[i]);
	}
	if (!listen_at || v13 < 0 || cipher < 0 || unix_fd < 0)
		die("usage: --listen ADDR:PORT --tls 1.2|1.3 --cipher aes128|aes256|chacha --pass-fd N");
	snprintf(buf, sizeof(buf), "%s", listen_at);
	colon = strrchr(buf, ':');
	if (!colon)
		die("--listen ADDR:PORT");
	*colon = 0;
	sa.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, buf, &sa.sin_addr) != 1)
		die("bad address %s", buf);
	klen = keylen[cipher];
	ivlen = v13 || cipher == 2 ? 12 : 4;
	digest = cipher == 1 ? "SHA384" : "SHA256";

	pk = make_cert(&crt);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || !SSL_CTX_use_certificate(ctx, crt) ||
	    !SSL_CTX_use_PrivateKey(ctx, pk))
		die("ctx");
	SSL_CTX_set_min_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	if (v13 ? !SSL_CTX_set_ciphersuites(ctx, c13[cipher]) :
		  !SSL_CTX_set_cipher_list(ctx, c12[cipher]))
		die("cipher");
	/* nothing after the handshake: the sequence numbers stay known */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_keylog_callback(ctx, keylog);

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		die("listen %s: %s", listen_at, strerror(errno));
	printf("listening\n");
	fflush(stdout);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	close(ls);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		die("handshake");
	if (SSL_has_pending(ssl))
		die("bytes after the handshake in OpenSSL's buffer");

	if (v13) {
		if (!secret_len)
			die("no traffic secrets in the key log");
		expand_label(digest, c_secret, secret_len, "key", ckey, klen);
		expand_label(digest, c_secret, secret_len, "iv", civ, 12);
		expand_label(digest, s_secret, secret_len, "key", skey, klen);
		expand_label(digest, s_secret, secret_len, "iv", siv, 12);
	} else {
		unsigned char ms[48], seed[13 + 2 * SSL3_RANDOM_SIZE];

		if (SSL_SESSION_get_master_key(SSL_get_session(ssl), ms,
					       sizeof(ms)) != sizeof(ms))
			die("master secret");
		memcpy(seed, "key expansion", 13);
		SSL_get_server_random(ssl, seed + 13, SSL3_RANDOM_SIZE);
		SSL_get_client_random(ssl, seed + 13 + SSL3_RANDOM_SIZE,
				      SSL3_RANDOM_SIZE);
		kdf("TLS1-PRF", digest, -1, ms, sizeof(ms), seed, sizeof(seed),
		    kb, 2 * klen + 2 * ivlen);
		/* client key, server key, client IV, server IV (no MAC keys) */
		memcpy(ckey, kb, klen);
		memcpy(skey, kb + klen, klen);
		memcpy(civ, kb + 2 * klen, ivlen);
		memcpy(siv, kb + 2 * klen + ivlen, ivlen);
	}

	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3)) {
		snprintf(buf, sizeof(buf), "notls %d\n", errno);
		pass(unix_fd, -1, buf);
		return 0;
	}
	cilen = fill_ci(&tx, v13, cipher, skey, siv, v13 ? 0 : 1);
	fill_ci(&rx, v13, cipher, ckey, civ, v13 ? 0 : 1);
	if (setsockopt(fd, SOL_TLS, TLS_TX, &tx, cilen) ||
	    setsockopt(fd, SOL_TLS, TLS_RX, &rx, cilen)) {
		snprintf(buf, sizeof(buf), "nocipher %d\n", errno);
		pass(unix_fd, -1, buf);
		return 0;
	}
	pass(unix_fd, fd, "ok\n");
	/* no SSL_shutdown: the connection is the kernel's now */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	X509_free(crt);
	EVP_PKEY_free(pk);
	return 0;
}
