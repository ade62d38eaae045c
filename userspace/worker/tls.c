// SPDX-License-Identifier: GPL-2.0
/*
 * The worker's TLS server context, made in the worker from public material
 * only: the certificate chain and the client CA list that main wrote into
 * the configuration memfd, and a key object whose private operations go
 * to the key holder (keyclient.c).
 *
 * No session tickets and no session cache: every worker is a new process
 * that would make a ticket key of its own, which no other worker could
 * read, so a ticket could never be used and its key would only be one
 * more secret in the worker.  (Before workers were exec'd, they shared the
 * ticket key of main's context.)  Static RSA key exchange is off: the key
 * holder signs, it never decrypts.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "worker.h"

/* The main process checks a client certificate itself (skchain), with the
 * CRL and OCSP; a missing or bad one must reach it to get its message. */
static int accept_any_cert(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

static int fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();

	snprintf(err, errlen, "%s: %s", what, e ? ERR_reason_error_string(e) : "out of memory");
	return -1;
}

static int use_chain(SSL_CTX *ctx, const char *pem, size_t len, int key_fd, char *err,
		     size_t errlen)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *leaf = NULL, *x;
	EVP_PKEY *pk = NULL;
	int ret = -1;

	if (!b || !(leaf = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		fail(err, errlen, "server certificate");
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, leaf) != 1) {
		fail(err, errlen, "server certificate");
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			fail(err, errlen, "certificate chain");
			goto out;
		}
	ERR_clear_error();	/* the end of the PEM text */
	pk = sk_keyclient_pkey(leaf, key_fd);
	if (!pk || SSL_CTX_use_PrivateKey(ctx, pk) != 1) {
		fail(err, errlen, "the key holder's key (RSA or EC expected)");
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_free(pk);
	X509_free(leaf);
	BIO_free(b);
	return ret;
}

static int use_client_cas(SSL_CTX *ctx, const char *pem, size_t len, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	if (!names || !b) {
		sk_X509_NAME_free(names);
		BIO_free(b);
		return fail(err, errlen, "client CA list");
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		X509_NAME *n = X509_NAME_dup(X509_get_subject_name(x));

		X509_free(x);
		if (!n || !sk_X509_NAME_push(names, n)) {
			X509_NAME_free(n);
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			BIO_free(b);
			return fail(err, errlen, "client CA list");
		}
	}
	ERR_clear_error();
	BIO_free(b);
	if (!sk_X509_NAME_num(names)) {
		sk_X509_NAME_free(names);
		snprintf(err, errlen, "client CA list: no certificate");
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_cert);
	return 0;
}

SSL_CTX *sk_worker_tls_ctx(const char *cert_pem, size_t cert_len, const char *ca_pem,
			   size_t ca_len, int key_fd, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		fail(err, errlen, "TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* what Debian's openssl.cnf asks for, which the worker does not read */
	SSL_CTX_set_security_level(ctx, 2);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			    SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* the key log gives the TLS 1.3 traffic secrets for kernel TLS */
	if (SSL_CTX_set_cipher_list(ctx, "DEFAULT:!kRSA") != 1 || sk_ktls_ctx(ctx) ||
	    use_chain(ctx, cert_pem, cert_len, key_fd, err, errlen) ||
	    (ca_len && use_client_cas(ctx, ca_pem, ca_len, err, errlen))) {
		if (!err[0])
			fail(err, errlen, "TLS context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
