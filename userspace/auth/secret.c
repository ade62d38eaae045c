// SPDX-License-Identifier: GPL-2.0
/*
 * skauth secrets: constant-time comparison, wiping and random bytes.
 *
 * Every comparison of a secret (one-time code, TOTP code, session token)
 * goes through sk_ct_equal/sk_ct_streq so that the time taken does not tell
 * an attacker how many leading bytes were right.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "skauth.h"

bool sk_ct_equal(const void *a, const void *b, size_t len)
{
	/* CRYPTO_memcmp is OpenSSL's audited constant-time compare */
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool sk_ct_streq(const char *a, const char *b)
{
	size_t la, lb, n, i;
	unsigned char acc;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	/*
	 * Walk max(la, lb) bytes of both strings, reading past the shorter
	 * one's end as zero, so the loop length depends only on the longer
	 * string and not on where the first difference is.
	 */
	n = la > lb ? la : lb;
	acc = (unsigned char)(la != lb);
	for (i = 0; i < n; i++) {
		unsigned char ca = i < la ? (unsigned char)a[i] : 0;
		unsigned char cb = i < lb ? (unsigned char)b[i] : 0;

		acc |= ca ^ cb;
	}
	return acc == 0;
}

void sk_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

int sk_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	if (len == 0)
		return 0;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}
