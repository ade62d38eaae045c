// SPDX-License-Identifier: GPL-2.0
/*
 * skauth TOTP (RFC 6238): HMAC-SHA-1, 6 digits, 30 s steps, through liboath.
 *
 * Verification generates the code for every step in the window and compares
 * each with the typed code in constant time, rather than calling
 * oath_totp_validate3, because the replay guard needs to know whether the
 * code matched an OLD step (-EALREADY, "already used") or none (-EACCES),
 * and liboath's validate stops at the first match with a plain compare.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>

#include "skauth.h"

#define TOTP_STEP 30
#define TOTP_DIGITS 6
#define TOTP_MAX_WINDOW 10	/* ±5 minutes; more would make guessing easy */
#define TOTP_SECRET_B32_MAX 256
#define TOTP_SECRET_MIN 10	/* bytes: RFC 4226 asks for at least 128 bits; 80 is the floor */

/* base32 -> bytes (liboath accepts lower case and spaces, as apps show them) */
static int decode_secret(const char *b32, char **key, size_t *keylen)
{
	size_t len;

	if (!b32)
		return -EINVAL;
	len = strnlen(b32, TOTP_SECRET_B32_MAX + 1);
	if (len == 0 || len > TOTP_SECRET_B32_MAX)
		return -EINVAL;
	if (oath_base32_decode(b32, len, key, keylen) != OATH_OK)
		return -EINVAL;
	if (*keylen < TOTP_SECRET_MIN) {
		sk_wipe(*key, *keylen);
		free(*key);
		*key = NULL;
		return -EINVAL;
	}
	return 0;
}

static void free_secret(char *key, size_t keylen)
{
	if (key) {
		sk_wipe(key, keylen);
		free(key);
	}
}

/* the code of step `step` (step * 30 = the step's first second) */
static int gen_step(const char *key, size_t keylen, int64_t step, char out[7])
{
	if (step < 0 || step > INT64_MAX / TOTP_STEP)
		return -EINVAL;
	return oath_totp_generate2(key, keylen, (time_t)(step * TOTP_STEP), TOTP_STEP, 0,
				   TOTP_DIGITS, 0, out) == OATH_OK ? 0 : -EINVAL;
}

int sk_totp_generate(const char *secret_b32, int64_t now, char out[7])
{
	char *key = NULL;
	size_t keylen = 0;
	int rc;

	if (now < 0)
		return -EINVAL;
	rc = decode_secret(secret_b32, &key, &keylen);
	if (rc)
		return rc;
	rc = gen_step(key, keylen, now / TOTP_STEP, out);
	free_secret(key, keylen);
	return rc;
}

static bool six_digits(const char *code)
{
	int i;

	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return code[TOTP_DIGITS] == '\0';
}

int sk_totp_verify(const char *secret_b32, const char *code, int64_t now, int window,
		   int64_t last_step, int64_t *step_out)
{
	char *key = NULL, want[TOTP_DIGITS + 1];
	size_t keylen = 0;
	int64_t cur, s, fresh = -1;
	bool replayed = false;
	int rc;

	if (now < 0 || window < 0 || window > TOTP_MAX_WINDOW)
		return -EINVAL;
	rc = decode_secret(secret_b32, &key, &keylen);
	if (rc)
		return rc;
	if (!code || !six_digits(code)) {
		rc = -EACCES;
		goto out;
	}
	cur = now / TOTP_STEP;
	/* look at every step of the window, whatever matches, so the time
	 * taken does not depend on which step (if any) the code was for */
	for (s = cur - window; s <= cur + window; s++) {
		if (s < 0)
			continue;
		rc = gen_step(key, keylen, s, want);
		if (rc)
			goto out;
		if (sk_ct_equal(want, code, TOTP_DIGITS)) {
			if (s <= last_step)
				replayed = true;
			else if (fresh < 0)
				fresh = s;	/* the earliest unused matching step */
		}
	}
	if (fresh >= 0) {
		if (step_out)
			*step_out = fresh;
		rc = 0;
	} else {
		rc = replayed ? -EALREADY : -EACCES;
	}
out:
	sk_wipe(want, sizeof(want));
	free_secret(key, keylen);
	return rc;
}

int sk_totp_new_secret(char *b32, size_t len)
{
	unsigned char raw[20];
	char *enc = NULL;
	size_t enclen = 0;
	int rc;

	rc = sk_random(raw, sizeof(raw));
	if (rc)
		return rc;
	if (oath_base32_encode((const char *)raw, sizeof(raw), &enc, &enclen) != OATH_OK) {
		rc = -ENOMEM;
		goto out;
	}
	if (enclen + 1 > len) {
		rc = -ENOSPC;
		goto out;
	}
	memcpy(b32, enc, enclen);
	b32[enclen] = '\0';
	rc = 0;
out:
	sk_wipe(raw, sizeof(raw));
	free_secret(enc, enclen);
	return rc;
}
