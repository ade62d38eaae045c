// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the worker's TLS context (worker/tls.c, keyclient.c): a
 * TLS 1.3 and a TLS 1.2 handshake with RSA (PSS and PKCS#1 v1.5
 * signatures) and with ECDSA, the private key only in a separate process
 * reached over a socket, as sekishod-keyholder is.  (The key holder's own
 * checks are keyholder-sign-test's; the real pair runs in every e2e login.)
 * No session tickets; no static RSA key exchange. */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "keyop.h"
#include "tap.h"
#include "testcert.h"
#include "worker.h"

static struct tap t;

/* a stand-in for the key holder: signs whatever comes, counts nothing */
static void key_server(int fd, EVP_PKEY *k)
{
	struct sk_keyop_req req;
	struct sk_keyop_res res;
	ssize_t n;

	while ((n = recv(fd, &req, sizeof(req), 0)) > 0) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
		size_t sl = sizeof(res.sig);

		memset(&res, 0, sizeof(res));
		EVP_PKEY_sign_init(c);
		if (req.op == SK_KEYOP_RSA_PSS)
			EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING);
		else if (req.op == SK_KEYOP_RSA_PKCS1)
			EVP_PKEY_CTX_set_signature_md(c, EVP_get_digestbynid((int)req.md_nid));
		res.status = EVP_PKEY_sign(c, res.sig, &sl, req.data, req.len) > 0 ? 0 : -1;
		res.len = res.status ? 0 : (uint32_t)sl;
		EVP_PKEY_CTX_free(c);
		send(fd, &res, offsetof(struct sk_keyop_res, sig) + res.len, 0);
	}
	_exit(0);
}

static char *cert_pem(EVP_PKEY *k, size_t *len)
{
	X509 *x = test_self_signed(k);
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;

	PEM_write_bio_X509(b, x);
	*len = (size_t)BIO_get_mem_data(b, &p);
	out = malloc(*len);
	memcpy(out, p, *len);
	BIO_free(b);
	X509_free(x);
	return out;
}

static bool handshake(SSL_CTX *s, int version, const char *sigalgs, const char *cipher,
		      char *got, size_t gotlen)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *ss = SSL_new(s), *cs;
	BIO *b1, *b2;
	bool ok;

	SSL_CTX_set_min_proto_version(c, version);
	SSL_CTX_set_max_proto_version(c, version);
	if (sigalgs)
		SSL_CTX_set1_sigalgs_list(c, sigalgs);
	if (cipher)
		SSL_CTX_set_cipher_list(c, cipher);
	cs = SSL_new(c);
	BIO_new_bio_pair(&b1, 0, &b2, 0);
	SSL_set_bio(ss, b1, b1);
	SSL_set_bio(cs, b2, b2);
	SSL_set_accept_state(ss);
	SSL_set_connect_state(cs);
	for (int i = 0; i < 20; i++) {
		SSL_do_handshake(cs);
		SSL_do_handshake(ss);
	}
	ok = SSL_is_init_finished(ss) && SSL_is_init_finished(cs);
	snprintf(got, gotlen, "%s %s", SSL_get_version(cs), ok ? SSL_get_cipher(cs) : "failed");
	/* read what the server sent after the handshake: no tickets */
	if (ok) {
		char b[16];

		SSL_read(cs, b, sizeof(b));
		ok = SSL_get0_session(cs) != NULL &&	/* a session object exists... */
		     !SSL_SESSION_has_ticket(SSL_get0_session(cs));	/* ...without a ticket */
	}
	SSL_free(cs);
	SSL_free(ss);
	SSL_CTX_free(c);
	ERR_clear_error();
	return ok;
}

static void with_key(EVP_PKEY *k, const char *name, const char *sig12)
{
	size_t len;
	char *pem = cert_pem(k, &len), err[256] = "", got[128];
	int sv[2];
	pid_t pid;
	SSL_CTX *s;

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	pid = fork();
	if (pid == 0) {
		close(sv[1]);
		key_server(sv[0], k);
	}
	close(sv[0]);
	s = sk_worker_tls_ctx(pem, len, NULL, 0, sv[1], err, sizeof(err));
	tap_ok(&t, s != NULL, "%s: TLS context from the certificate alone (%s)", name, err);
	if (s) {
		tap_ok(&t, handshake(s, TLS1_3_VERSION, NULL, NULL, got, sizeof(got)),
		       "%s: TLS 1.3 handshake, signed by the other process, no ticket (%s)", name, got);
		tap_ok(&t, handshake(s, TLS1_2_VERSION, sig12, NULL, got, sizeof(got)),
		       "%s: TLS 1.2 handshake with %s (%s)", name, sig12, got);
		if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
			tap_ok(&t, !handshake(s, TLS1_2_VERSION, NULL, "AES128-GCM-SHA256", got, sizeof(got)),
			       "%s: static RSA key exchange is refused (%s)", name, got);
		SSL_CTX_free(s);
	}
	close(sv[1]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(pem);
}

int main(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");
	char err[256] = "";

	tap_begin();
	with_key(rsa, "RSA", "RSA+SHA256");
	with_key(ec, "EC P-256", "ECDSA+SHA256");
	tap_ok(&t, !sk_worker_tls_ctx("not a certificate", 17, NULL, 0, -1, err, sizeof(err)) && err[0],
	       "a malformed certificate is refused with a reason (%s)", err);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	return tap_end(&t);
}
