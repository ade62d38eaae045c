// SPDX-License-Identifier: GPL-2.0
/*
 * The worker's half of the TLS private key: a key object that holds only
 * the public half, whose private operations go to the key holder
 * (sekishod-keyholder) over the socket main gave us (SK_WFD_KEY).
 *
 * libssl signs through the legacy RSA_METHOD and EC_KEY_METHOD of a key
 * that has them: a PKCS#1 v1.5 signature arrives as (digest NID, digest),
 * an RSA-PSS signature (TLS 1.3) as the PSS-encoded block for a raw RSA
 * operation, an ECDSA signature as the digest.  These interfaces are
 * deprecated in OpenSSL 3 but are still the ones libssl calls for keys
 * held elsewhere (as engines and PKCS#11 modules do); the alternative, a
 * provider of our own, is ten times the code.  See
 * Documentation/decisions/key-holder.md.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keyop.h"
#include "worker.h"

#define KEYOP_TIMEOUT_MS 10000

static int key_fd = -1;

/* One request, one answer; the signature's length or -1. */
static int keyop(uint32_t op, uint32_t md_nid, const unsigned char *data, size_t len,
		 unsigned char *sig, size_t sigmax)
{
	struct sk_keyop_req req;
	struct sk_keyop_res res;
	struct pollfd p = { .fd = key_fd, .events = POLLIN };
	ssize_t n;

	if (key_fd < 0 || len > sizeof(req.data))
		return -1;
	memset(&req, 0, offsetof(struct sk_keyop_req, data));
	req.op = op;
	req.md_nid = md_nid;
	req.len = (uint32_t)len;
	memcpy(req.data, data, len);
	n = send(key_fd, &req, offsetof(struct sk_keyop_req, data) + len, MSG_NOSIGNAL);
	if (n < 0)
		return -1;
	if (poll(&p, 1, KEYOP_TIMEOUT_MS) != 1)
		return -1;
	n = recv(key_fd, &res, sizeof(res), 0);
	if (n < (ssize_t)offsetof(struct sk_keyop_res, sig) || res.status ||
	    res.len > sigmax || (size_t)n != offsetof(struct sk_keyop_res, sig) + res.len)
		return -1;
	memcpy(sig, res.sig, res.len);
	return (int)res.len;
}

/* RSA-PSS: libssl did the encoding, we ask for the raw private operation */
static int rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	if (padding != RSA_NO_PADDING || flen != RSA_size(rsa))
		return -1;
	return keyop(SK_KEYOP_RSA_PSS, 0, from, (size_t)flen, to, (size_t)RSA_size(rsa));
}

/* no decryption: the server key is for signatures only (no RSA key exchange) */
static int rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	(void)flen; (void)from; (void)to; (void)rsa; (void)padding;
	return -1;
}

static int rsa_sign(int type, const unsigned char *m, unsigned int m_length,
		    unsigned char *sigret, unsigned int *siglen, const RSA *rsa)
{
	int n = keyop(SK_KEYOP_RSA_PKCS1, (uint32_t)type, m, m_length, sigret,
		      (size_t)RSA_size(rsa));

	if (n < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static int ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
		   unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	int n;

	(void)type; (void)kinv; (void)r;
	if (dlen < 0)
		return 0;
	n = keyop(SK_KEYOP_ECDSA, 0, dgst, (size_t)dlen, sig, (size_t)ECDSA_size(eckey));
	if (n < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
			      const BIGNUM *r, EC_KEY *eckey)
{
	unsigned char der[SK_KEYOP_MAX];
	const unsigned char *p = der;
	unsigned int len;

	if (!ec_sign(0, dgst, dlen, der, &len, kinv, r, eckey))
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, len);
}

static EVP_PKEY *rsa_remote(EVP_PKEY *pub)
{
	static RSA_METHOD *meth;
	RSA *rsa;
	EVP_PKEY *pk;

	if (!meth) {
		meth = RSA_meth_dup(RSA_get_default_method());
		if (!meth || !RSA_meth_set1_name(meth, "sekisho key holder") ||
		    !RSA_meth_set_priv_enc(meth, rsa_priv_enc) ||
		    !RSA_meth_set_priv_dec(meth, rsa_priv_dec) ||
		    !RSA_meth_set_sign(meth, rsa_sign))
			return NULL;
	}
	rsa = RSAPublicKey_dup(EVP_PKEY_get0_RSA(pub));
	pk = EVP_PKEY_new();
	if (!rsa || !pk || !RSA_set_method(rsa, meth) || !EVP_PKEY_assign_RSA(pk, rsa)) {
		RSA_free(rsa);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

static EVP_PKEY *ec_remote(EVP_PKEY *pub)
{
	static EC_KEY_METHOD *meth;
	EC_KEY *ec;
	EVP_PKEY *pk;

	if (!meth) {
		meth = EC_KEY_METHOD_new(EC_KEY_get_default_method());
		if (!meth)
			return NULL;
		EC_KEY_METHOD_set_sign(meth, ec_sign, NULL, ec_sign_sig);
	}
	ec = EC_KEY_dup(EVP_PKEY_get0_EC_KEY(pub));
	pk = EVP_PKEY_new();
	if (!ec || !pk || !EC_KEY_set_method(ec, meth) || !EVP_PKEY_assign_EC_KEY(pk, ec)) {
		EC_KEY_free(ec);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

EVP_PKEY *sk_keyclient_pkey(X509 *cert, int fd)
{
	EVP_PKEY *pub = X509_get_pubkey(cert), *pk = NULL;

	if (!pub)
		return NULL;
	key_fd = fd;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		pk = rsa_remote(pub);
		break;
	case EVP_PKEY_EC:
		pk = ec_remote(pub);
		break;
	}
	EVP_PKEY_free(pub);
	return pk;
}
