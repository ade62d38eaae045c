// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the key holder (userspace/keyholder): what it signs, what
 * it refuses (no decryption, no raw block that is not PSS-encoded), and
 * its per-socket quota, with real RSA and EC keys. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "keyholder.h"
#include "skfd.h"
#include "tap.h"

static struct tap t;

static size_t req_len(const struct sk_keyop_req *r)
{
	return offsetof(struct sk_keyop_req, data) + r->len;
}

static int sign(EVP_PKEY *k, uint32_t op, uint32_t nid, const void *data, size_t len,
		struct sk_keyop_res *res)
{
	struct sk_keyop_req req = { .op = op, .md_nid = nid, .len = (uint32_t)len };

	memcpy(req.data, data, len);
	return sk_keyholder_sign(k, &req, req_len(&req), res);
}

static void rsa_tests(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	RSA *rsa = (RSA *)EVP_PKEY_get0_RSA(k);
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	uint8_t mh[64], em[512], out[512], ct[512];
	struct sk_keyop_res res;
	int klen = RSA_size(rsa);

	RAND_bytes(mh, sizeof(mh));
	for (size_t i = 0; i < 3; i++) {
		int hl = EVP_MD_get_size(mds[i]);
		EVP_PKEY_CTX *v = EVP_PKEY_CTX_new(k, NULL);
		int ok;

		RSA_padding_add_PKCS1_PSS_mgf1(rsa, em, mh, mds[i], mds[i], -1);
		ok = sign(k, SK_KEYOP_RSA_PSS, 0, em, (size_t)klen, &res) == 0;
		/* the answer is a valid PSS signature of mh */
		ok = ok && EVP_PKEY_verify_init(v) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_signature_md(v, mds[i]) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(v, -1) > 0 &&
		     EVP_PKEY_verify(v, res.sig, res.len, mh, (size_t)hl) == 1;
		tap_ok(&t, ok, "RSA-PSS block (%s) signed, and the signature verifies",
		       EVP_MD_get0_name(mds[i]));
		EVP_PKEY_CTX_free(v);
	}
	/* a block of random bytes with the right trailer is no PSS encoding */
	RAND_bytes(em, (int)klen);
	em[0] &= 0x7f;
	em[klen - 1] = 0xbc;
	tap_ok(&t, sign(k, SK_KEYOP_RSA_PSS, 0, em, (size_t)klen, &res) == -EINVAL &&
	       res.status == -EINVAL && res.len == 0, "a random block is refused");
	/* the decryption oracle: an RSA ciphertext must not be "signed" (that
	 * would decrypt it) */
	{
		uint8_t secret[48];
		int n;

		RAND_bytes(secret, sizeof(secret));
		n = RSA_public_encrypt(sizeof(secret), secret, ct, rsa, RSA_PKCS1_PADDING);
		tap_ok(&t, n == klen && sign(k, SK_KEYOP_RSA_PSS, 0, ct, (size_t)n, &res) == -EINVAL,
		       "an RSA ciphertext is refused (no decryption oracle)");
	}
	tap_ok(&t, sign(k, SK_KEYOP_RSA_PSS, 0, em, (size_t)klen - 1, &res) == -EINVAL,
	       "a PSS block shorter than the modulus is refused");
	{
		uint8_t d[32];
		unsigned int sl = 0;

		RAND_bytes(d, sizeof(d));
		tap_ok(&t, sign(k, SK_KEYOP_RSA_PKCS1, NID_sha256, d, 32, &res) == 0 &&
		       RSA_verify(NID_sha256, d, 32, res.sig, res.len, rsa) == 1,
		       "PKCS#1 v1.5 of a SHA-256 digest signed and verified");
		tap_ok(&t, sign(k, SK_KEYOP_RSA_PKCS1, NID_sha256, d, 31, &res) == -EINVAL,
		       "a digest of the wrong length is refused");
		tap_ok(&t, sign(k, SK_KEYOP_RSA_PKCS1, NID_sha1, d, 20, &res) == -EINVAL,
		       "SHA-1 is refused");
		tap_ok(&t, sign(k, SK_KEYOP_ECDSA, 0, d, 32, &res) == -EINVAL,
		       "ECDSA with an RSA key is refused");
		tap_ok(&t, sign(k, 99, 0, d, 32, &res) == -EINVAL, "an unknown operation is refused");
		(void)sl;
	}
	{
		struct sk_keyop_req req = { .op = SK_KEYOP_RSA_PKCS1, .md_nid = NID_sha256, .len = 32 };

		tap_ok(&t, sk_keyholder_sign(k, &req, req_len(&req) + 1, &res) == -EINVAL &&
		       sk_keyholder_sign(k, &req, 4, &res) == -EINVAL,
		       "a request whose length disagrees with its header is refused");
		req.len = SK_KEYOP_MAX + 1;
		tap_ok(&t, sk_keyholder_sign(k, &req, sizeof(req), &res) == -EINVAL,
		       "a length over SK_KEYOP_MAX is refused");
	}
	(void)out;
	EVP_PKEY_free(k);
}

static void ec_tests(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct sk_keyop_res res;
	uint8_t d[48];

	RAND_bytes(d, sizeof(d));
	tap_ok(&t, k && sign(k, SK_KEYOP_ECDSA, 0, d, 32, &res) == 0 &&
	       ECDSA_verify(0, d, 32, res.sig, (int)res.len, (EC_KEY *)EVP_PKEY_get0_EC_KEY(k)) == 1,
	       "ECDSA P-256 of a digest signed and verified");
	tap_ok(&t, sign(k, SK_KEYOP_ECDSA, 0, d, 17, &res) == -EINVAL,
	       "ECDSA of a non-SHA-2 length is refused");
	tap_ok(&t, sign(k, SK_KEYOP_RSA_PSS, 0, d, 32, &res) == -EINVAL,
	       "RSA-PSS with an EC key is refused");
	EVP_PKEY_free(k);
}

/* the serving loop: sockets arrive over the control socket; two answers each */
static void serve_tests(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct sk_keyop_req req = { .op = SK_KEYOP_ECDSA, .len = 32 };
	struct sk_keyop_res res;
	int ctl[2], w[2], st, answers = 0;
	pid_t pid;

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl);
	pid = fork();
	if (pid == 0) {
		close(ctl[0]);
		_exit(sk_keyholder_serve(ctl[1], k));
	}
	close(ctl[1]);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, w);
	sk_send_fd(ctl[0], "w", 1, w[0], 0);
	close(w[0]);
	for (int i = 0; i < 3; i++) {
		ssize_t n;

		send(w[1], &req, req_len(&req), 0);
		n = recv(w[1], &res, sizeof(res), 0);
		if (n > 0 && res.status == 0 && res.len > 0)
			answers++;
		if (n <= 0)
			break;
	}
	tap_ok(&t, answers == SK_KEYOP_PER_CONN,
	       "a worker socket gets %d answers, then it is closed (%d)", SK_KEYOP_PER_CONN, answers);
	close(w[1]);
	close(ctl[0]);
	tap_ok(&t, waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "the key holder exits when main's control socket closes");
	EVP_PKEY_free(k);
}

int main(void)
{
	tap_begin();
	rsa_tests();
	ec_tests();
	serve_tests();
	return tap_end(&t);
}
