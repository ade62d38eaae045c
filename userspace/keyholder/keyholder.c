// SPDX-License-Identifier: GPL-2.0
/*
 * The key holder's work: sign what a worker's handshake needs, and nothing
 * a worker could turn into another use of the key.
 *
 *  - PKCS#1 v1.5 and ECDSA: the request carries a digest; its length must
 *    be that of the named digest (PKCS#1) or of a SHA-2 digest (ECDSA).
 *  - RSA-PSS (TLS 1.3): libssl encodes the block and asks for the raw RSA
 *    operation.  A raw private operation on any input would decrypt RSA
 *    ciphertexts, so the block must first be a well-formed PSS encoding
 *    (RFC 8017 9.1.1: the 0xbc trailer, a zero-padded data block ending in
 *    0x01 and a salt as long as the hash, for SHA-256, -384 or -512), as
 *    libssl makes for TLS.  A ciphertext passes that check with negligible
 *    probability.
 *  - At most SK_KEYOP_PER_CONN answers per worker socket.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <seccomp.h>

#include "keyholder.h"
#include "sksandbox.h"
#include "skfd.h"

/* MGF1 (RFC 8017 B.2.1) into out[len] */
static int mgf1(const EVP_MD *md, const uint8_t *seed, size_t seedlen, uint8_t *out, size_t len)
{
	uint8_t h[EVP_MAX_MD_SIZE], c[4];
	unsigned int hl;
	size_t done = 0;

	for (uint32_t i = 0; done < len; i++) {
		c[0] = (uint8_t)(i >> 24);
		c[1] = (uint8_t)(i >> 16);
		c[2] = (uint8_t)(i >> 8);
		c[3] = (uint8_t)i;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL) ||
		    !EVP_DigestUpdate(ctx, seed, seedlen) || !EVP_DigestUpdate(ctx, c, 4) ||
		    !EVP_DigestFinal_ex(ctx, h, &hl)) {
			EVP_MD_CTX_free(ctx);
			return -1;
		}
		EVP_MD_CTX_free(ctx);
		for (unsigned int k = 0; k < hl && done < len; k++)
			out[done++] = h[k];
	}
	return 0;
}

/* Is em[len] (len = the modulus's bytes) a PSS encoding with hash md? */
static bool pss_with(const uint8_t *em, size_t len, int modbits, const EVP_MD *md)
{
	size_t embits = (size_t)modbits - 1, emlen = (embits + 7) / 8;
	size_t hlen = (size_t)EVP_MD_get_size(md), dblen, i;
	unsigned int top = (unsigned int)(8 * emlen - embits);
	uint8_t db[SK_KEYOP_MAX] = { 0 };

	if (emlen < len) {		/* the modulus's top byte holds one bit */
		if (em[0])
			return false;
		em++;
	}
	if (emlen < 2 * hlen + 2 || em[emlen - 1] != 0xbc)
		return false;
	if (top && (em[0] & (0xff << (8 - top))))
		return false;
	dblen = emlen - hlen - 1;
	if (mgf1(md, em + dblen, hlen, db, dblen))
		return false;
	for (i = 0; i < dblen; i++)
		db[i] ^= em[i];
	if (top)
		db[0] &= (uint8_t)(0xff >> top);
	/* PS (zeros) || 0x01 || salt, the salt as long as the hash */
	for (i = 0; i < dblen - hlen - 1; i++)
		if (db[i])
			return false;
	return db[dblen - hlen - 1] == 0x01;
}

static bool pss_block(EVP_PKEY *key, const uint8_t *em, size_t len)
{
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	int bits = EVP_PKEY_get_bits(key);

	if (bits <= 0 || len != (size_t)EVP_PKEY_get_size(key))
		return false;
	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
		if (pss_with(em, len, bits, mds[i]))
			return true;
	return false;
}

static bool sha2_len(size_t len)
{
	return len == 28 || len == 32 || len == 48 || len == 64;
}

int sk_keyholder_sign(EVP_PKEY *key, const struct sk_keyop_req *req, size_t len,
		      struct sk_keyop_res *res)
{
	const size_t hdr = offsetof(struct sk_keyop_req, data);
	EVP_PKEY_CTX *ctx = NULL;
	size_t siglen = sizeof(res->sig);
	int ret = -EINVAL, type = EVP_PKEY_get_base_id(key);

	memset(res, 0, offsetof(struct sk_keyop_res, sig));
	if (len < hdr || req->len > SK_KEYOP_MAX || len != hdr + req->len)
		goto out;
	ctx = EVP_PKEY_CTX_new(key, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0) {
		ret = -ENOMEM;
		goto out;
	}
	switch (req->op) {
	case SK_KEYOP_RSA_PKCS1: {
		const EVP_MD *md = EVP_get_digestbynid((int)req->md_nid);

		if (type != EVP_PKEY_RSA || !md || !sha2_len(req->len) ||
		    (size_t)EVP_MD_get_size(md) != req->len ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
			goto out;
		break;
	}
	case SK_KEYOP_RSA_PSS:
		if (type != EVP_PKEY_RSA || !pss_block(key, req->data, req->len) ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0)
			goto out;
		break;
	case SK_KEYOP_ECDSA:
		if (type != EVP_PKEY_EC || !sha2_len(req->len))
			goto out;
		break;
	default:
		goto out;
	}
	if (EVP_PKEY_sign(ctx, res->sig, &siglen, req->data, req->len) <= 0) {
		ret = -EIO;
		goto out;
	}
	res->len = (uint32_t)siglen;
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	res->status = ret;
	return ret;
}

struct conn {
	int fd;
	int answered;
};

static void answer(EVP_PKEY *key, struct conn *c)
{
	struct sk_keyop_req req;
	struct sk_keyop_res res;
	ssize_t n = recv(c->fd, &req, sizeof(req), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		sk_keyholder_sign(key, &req, (size_t)n, &res);
		send(c->fd, &res, offsetof(struct sk_keyop_res, sig) + res.len,
		     MSG_NOSIGNAL | MSG_DONTWAIT);
		if (++c->answered < SK_KEYOP_PER_CONN && !res.status)
			return;
	}
	/* the worker is done, broke the protocol, or used its quota */
	close(c->fd);
	c->fd = -1;
}

int sk_keyholder_serve(int ctl, EVP_PKEY *key)
{
	struct conn *conns = calloc(SK_KEYHOLDER_CONNS, sizeof(*conns));
	struct pollfd *p = calloc(SK_KEYHOLDER_CONNS + 1, sizeof(*p));
	int *idx = calloc(SK_KEYHOLDER_CONNS + 1, sizeof(*idx));
	int n_conns = 0;

	if (!conns || !p || !idx)
		return 1;
	for (;;) {
		int np = 1, r;

		p[0].fd = ctl;
		p[0].events = POLLIN;
		for (int i = 0; i < n_conns; i++) {
			p[np].fd = conns[i].fd;
			p[np].events = POLLIN;
			idx[np++] = i;
		}
		r = poll(p, (nfds_t)np, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 1;
		for (int k = 1; k < np; k++)
			if (p[k].revents)
				answer(key, &conns[idx[k]]);
		/* compact: closed sockets leave the table */
		for (int i = 0; i < n_conns;)
			if (conns[i].fd < 0)
				conns[i] = conns[--n_conns];
			else
				i++;
		if (p[0].revents) {
			char b;
			int fd;
			ssize_t m = sk_recv_fd(ctl, &b, 1, &fd, MSG_DONTWAIT);

			if (m == 0 || (m < 0 && errno != EAGAIN && errno != EINTR))
				return 0;	/* main is gone */
			if (fd >= 0 && n_conns < SK_KEYHOLDER_CONNS) {
				conns[n_conns].fd = fd;
				conns[n_conns++].answered = 0;
			} else if (fd >= 0) {
				close(fd);
			}
		}
	}
}

/* what signing with a loaded key needs (found by running under the filter) */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(close), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(getrandom),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(clock_gettime), SCMP_SYS(getpid),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
};

int sk_keyholder_sandbox(char *err, size_t errlen)
{
	return sk_sandbox_apply(allowed, sizeof(allowed) / sizeof(allowed[0]), err, errlen);
}
