// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod-keyholder: holds the TLS server's private key for sekishod's
 * workers.  sekishod's main process forks and execs it (already as the
 * service user), with:
 *   fd 3  the control socket (SOCK_SEQPACKET): the first message we send
 *         is "ok" or why we cannot serve; then each message from main
 *         brings one worker's socket
 *   fd 4  the private key file, PEM (opened by main as root; read here)
 *   fd 5  the server certificate file, PEM (the key must match it)
 * Main never reads the key itself.  See Documentation/architecture.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keyholder.h"

#define KH_CTL		3
#define KH_KEY		4
#define KH_CERT		5
#define KH_FILE_MAX	(1 << 20)

/* a file of at most KH_FILE_MAX bytes from fd (from offset 0: main keeps
 * the descriptors to start a new key holder after a crash) */
static char *slurp(int fd, size_t *len)
{
	char *buf = OPENSSL_secure_zalloc(KH_FILE_MAX);
	size_t off = 0;
	ssize_t n;

	if (!buf)
		buf = OPENSSL_zalloc(KH_FILE_MAX);
	if (!buf)
		return NULL;
	while (off < KH_FILE_MAX - 1 && (n = pread(fd, buf + off, KH_FILE_MAX - 1 - off, (off_t)off)) > 0)
		off += (size_t)n;
	*len = off;
	return buf;
}

static void drop(char *buf)
{
	OPENSSL_cleanse(buf, KH_FILE_MAX);
	if (CRYPTO_secure_allocated(buf))
		OPENSSL_secure_free(buf);
	else
		OPENSSL_free(buf);
}

/* no passphrase prompt: an encrypted key is refused with a message */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return 0;
}

static EVP_PKEY *load(char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t len;
	char *buf = slurp(KH_KEY, &len);
	BIO *b;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b = BIO_new_mem_buf(buf, (int)len);
	if (b)
		key = PEM_read_bio_PrivateKey(b, NULL, no_pass, NULL);
	BIO_free(b);
	drop(buf);
	close(KH_KEY);
	if (!key) {
		unsigned long e = ERR_get_error();

		snprintf(err, errlen, "server_key: not a PEM private key without a passphrase (%s)",
			 e ? ERR_reason_error_string(e) : "empty");
		return NULL;
	}
	buf = slurp(KH_CERT, &len);
	b = buf ? BIO_new_mem_buf(buf, (int)len) : NULL;
	if (b)
		cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (buf)
		drop(buf);
	close(KH_CERT);
	if (!cert || X509_check_private_key(cert, key) != 1) {
		snprintf(err, errlen, cert ? "server_key does not match server_cert" :
			 "server_cert: no PEM certificate");
		X509_free(cert);
		EVP_PKEY_free(key);
		return NULL;
	}
	X509_free(cert);
	return key;
}

int main(void)
{
	char err[SK_KEYHOLDER_READY_MAX] = "";
	EVP_PKEY *key;

	/* the workers run as the same user: none may read our memory */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* the key's pages stay out of swap and core files */
	CRYPTO_secure_malloc_init(1 << 16, 32);
	key = load(err, sizeof(err));
	if (key && sk_keyholder_sandbox(err, sizeof(err))) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	if (!key) {
		send(KH_CTL, err, strlen(err), MSG_NOSIGNAL);
		return 1;
	}
	send(KH_CTL, "ok", 2, MSG_NOSIGNAL);
	return sk_keyholder_serve(KH_CTL, key);
}
