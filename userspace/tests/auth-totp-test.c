// SPDX-License-Identifier: GPL-2.0
/* Unit tests of TOTP (userspace/auth/totp.c): RFC 6238 appendix B SHA-1
 * vectors, the window, the replay guard, wrong codes and bad secrets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>

#include "skauth.h"
#include "tap.h"

static struct tap t;

/* RFC 6238 appendix B, SHA-1 column; our codes are the last 6 of the 8 digits */
static const struct { int64_t time; const char *code8; } vec[] = {
	{ 59, "94287082" },         { 1111111109, "07081804" }, { 1111111111, "14050471" },
	{ 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000LL, "65353130" },
};

int main(void)
{
	char *b32 = NULL, code[7], other[7], secret[64];
	size_t b32len = 0, i;
	int64_t step = -1, now = 1700000000;
	int rc;

	tap_begin();
	tap_ok(&t, sk_auth_global_init() == 0, "global init");
	/* the RFC's ASCII secret, to base32 as an authenticator app takes it */
	rc = oath_base32_encode("12345678901234567890", 20, &b32, &b32len);
	tap_ok(&t, rc == OATH_OK && b32, "base32 of the RFC secret: %s", b32 ? b32 : "?");
	tap_ok(&t, b32 && !strcmp(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "base32 is the known one");
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		rc = sk_totp_generate(b32, vec[i].time, code);
		tap_ok(&t, rc == 0 && !strcmp(code, vec[i].code8 + 2), "RFC 6238 T=%lld: %s (want %s)",
		       (long long)vec[i].time, rc ? "error" : code, vec[i].code8 + 2);
		rc = sk_totp_verify(b32, vec[i].code8 + 2, vec[i].time, 0, -1, &step);
		tap_ok(&t, rc == 0 && step == vec[i].time / 30, "verify T=%lld window 0: rc %d step %lld",
		       (long long)vec[i].time, rc, (long long)step);
	}
	/* lower case and spaces, as apps display secrets */
	tap_ok(&t, sk_totp_generate("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", 59, code) == 0 &&
		   !strcmp(code, "287082"), "lower case / spaced secret: %s", code);

	/* window: the code of the previous and next step pass with window 1, not 0 */
	sk_totp_generate(b32, now - 30, code);
	rc = sk_totp_verify(b32, code, now, 0, -1, &step);
	tap_ok(&t, rc == -EACCES, "previous step, window 0: %d", rc);
	rc = sk_totp_verify(b32, code, now, 1, -1, &step);
	tap_ok(&t, rc == 0 && step == now / 30 - 1, "previous step, window 1: %d", rc);
	sk_totp_generate(b32, now + 30, code);
	rc = sk_totp_verify(b32, code, now, 1, -1, &step);
	tap_ok(&t, rc == 0 && step == now / 30 + 1, "next step, window 1: %d", rc);
	sk_totp_generate(b32, now + 60, code);
	rc = sk_totp_verify(b32, code, now, 1, -1, &step);
	tap_ok(&t, rc == -EACCES, "two steps ahead, window 1: %d", rc);
	rc = sk_totp_verify(b32, code, now, 2, -1, &step);
	tap_ok(&t, rc == 0, "two steps ahead, window 2: %d", rc);

	/* replay: the same code again after its step was recorded */
	sk_totp_generate(b32, now, code);
	rc = sk_totp_verify(b32, code, now, 1, -1, &step);
	tap_ok(&t, rc == 0 && step == now / 30, "current code accepted");
	rc = sk_totp_verify(b32, code, now + 10, 1, step, &step);
	tap_ok(&t, rc == -EALREADY, "same code again: -EALREADY (%d)", rc);
	sk_totp_generate(b32, now - 30, other);
	rc = sk_totp_verify(b32, other, now, 1, now / 30, &step);
	tap_ok(&t, rc == -EALREADY, "older step than the last accepted: -EALREADY (%d)", rc);
	sk_totp_generate(b32, now + 30, other);
	rc = sk_totp_verify(b32, other, now, 1, now / 30, &step);
	tap_ok(&t, rc == 0 && step == now / 30 + 1, "next step after the last accepted: ok");

	/* wrong codes */
	snprintf(other, sizeof(other), "%06u", (unsigned)(atoi(code) + 1) % 1000000u);
	tap_ok(&t, sk_totp_verify(b32, other, now, 0, -1, &step) == -EACCES, "wrong code -EACCES");
	tap_ok(&t, sk_totp_verify(b32, "12345", now, 1, -1, &step) == -EACCES, "5 digits -EACCES");
	tap_ok(&t, sk_totp_verify(b32, "1234567", now, 1, -1, &step) == -EACCES, "7 digits -EACCES");
	tap_ok(&t, sk_totp_verify(b32, "12a456", now, 1, -1, &step) == -EACCES, "letter -EACCES");
	tap_ok(&t, sk_totp_verify(b32, NULL, now, 1, -1, &step) == -EACCES, "no code -EACCES");

	/* bad secrets */
	tap_ok(&t, sk_totp_verify("not base32!", code, now, 1, -1, &step) == -EINVAL, "bad base32 -EINVAL");
	tap_ok(&t, sk_totp_verify("", code, now, 1, -1, &step) == -EINVAL, "empty secret -EINVAL");
	tap_ok(&t, sk_totp_verify("GEZDGNBV", code, now, 1, -1, &step) == -EINVAL, "5-byte secret -EINVAL");
	tap_ok(&t, sk_totp_generate(NULL, now, code) == -EINVAL, "NULL secret -EINVAL");
	tap_ok(&t, sk_totp_verify(b32, code, now, 100, -1, &step) == -EINVAL, "huge window -EINVAL");

	/* new secrets: 20 bytes -> 32 base32 characters, usable, different */
	rc = sk_totp_new_secret(secret, sizeof(secret));
	tap_ok(&t, rc == 0 && strlen(secret) == 32, "new secret %s", secret);
	tap_ok(&t, sk_totp_generate(secret, now, code) == 0 &&
		   sk_totp_verify(secret, code, now, 1, -1, &step) == 0, "new secret round trip");
	{
		char s2[64];

		sk_totp_new_secret(s2, sizeof(s2));
		tap_ok(&t, strcmp(secret, s2) != 0, "two new secrets differ");
		tap_ok(&t, sk_totp_new_secret(s2, 32) == -ENOSPC, "short buffer -ENOSPC");
	}
	free(b32);
	sk_auth_global_cleanup();
	return tap_end(&t);
}
