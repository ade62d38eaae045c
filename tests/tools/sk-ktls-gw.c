// SPDX-License-Identifier: GPL-2.0
/*
 * sk-ktls-gw: the gateway side of one TLS connection, up to the hand-off
 * of its socket to sekisho.ko (tests/selftests/ktls.sh).
 *
 *   sk-ktls-gw --listen ADDR:PORT --tls 1.2|1.3 --cipher aes128|aes256|chacha
 *              --pass-fd N
 *
 * Accepts one TCP connection, does the TLS handshake with OpenSSL (an
 * ephemeral P-256 certificate made here), derives the traffic keys and
 * counts the records with userspace/lib/sktls.c, as sekishod's worker does
 * (TLS 1.2: the key block from the master secret; TLS 1.3: the traffic
 * secrets from the key log callback), installs kernel TLS with TCP_ULP
 * "tls" and TLS_TX/TLS_RX, and passes the socket over the AF_UNIX socket
 * N (SCM_RIGHTS) with one line: "ok", "notls ERRNO" (no tls module) or
 * "nocipher ERRNO" (the kernel cannot offload the suite).  Deriving the
 * keys here does not depend on OpenSSL's own kTLS support (Debian's
 * OpenSSL 3.0 has no TLS 1.3 receive offload).
 *
 * The server sends no TLS 1.3 session tickets and reads no more than the
 * handshake: the record sequence numbers at the hand-off are TLS 1.2 one
 * each way (the Finished messages), TLS 1.3 zero, as counted.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sktls.h"

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
	const char *listen_at = NULL, *why;
	int v13 = -1, cipher = -1, unix_fd = -1, ls, fd, one = 1, i, ret;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sk_ktls_track track;
	struct sk_ktls_keys keys;
	char buf[64], *colon;
	SSL_CTX *ctx;
	EVP_PKEY *pk;
	X509 *crt;
	SSL *ssl;
	bool lost;

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
	if (sk_ktls_ctx(ctx))
		die("key log");

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
	if (!ssl || sk_ktls_track(ssl, &track))
		die("ssl");
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		die("handshake");
	why = sk_ktls_export(ssl, &track, &keys);
	if (why)
		die("no hand-off: %s", why);
	ret = sk_ktls_install(fd, &keys, &why, &lost);
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (ret) {
		snprintf(buf, sizeof(buf), "%s %d\n",
			 !strcmp(why, "no-tls-module") ? "notls" : "nocipher", -ret);
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
