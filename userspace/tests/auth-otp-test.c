// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the one-time codes (userspace/auth/otp.c), the secret
 * helpers (secret.c) and the user messages (messages.c). */
#include <errno.h>
#include <string.h>

#include "skauth.h"
#include "tap.h"

static struct tap t;

#define N 10000

static bool non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

int main(void)
{
	static const char *const keys[] = {
		"pw-wrong", "locked", "otp-wrong", "otp-expired", "otp-used", "totp-wrong",
		"totp-replay", "cert-missing", "cert-revoked", "cert-other-user",
		"account-expired", "account-not-yet-valid", "outside-hours",
		"too-many-sessions", "pw-change-required", "pw-too-short", "pw-too-simple",
		"pw-same-as-user", "pw-mismatch", "group-unknown", "internal",
		/* the certificate reasons as cert-<why> */
		"cert-untrusted", "cert-expired", "cert-not-yet-valid", "cert-bad-usage",
		"cert-no-identity", "cert-ocsp-failed",
		/* directories */
		"dir-unavailable", "dir-no-group", "dir-local-name", "dir-locked", "dir-pw-change",
		"dir-disabled", "dir-expired", "dir-pw-policy",
		"dir-challenge", "dir-challenge-wrong", "dir-challenge-too-many", "prompt-answer",
	};
	long count[6][10] = { { 0 } };
	char code[7], prev[7] = "";
	bool all_ok = true;
	int i, j, same = 0;
	double worst = 0;
	size_t k;

	tap_begin();
	for (i = 0; i < N; i++) {
		if (sk_otp_generate(code)) {
			all_ok = false;
			break;
		}
		if (strlen(code) != 6)
			all_ok = false;
		for (j = 0; j < 6; j++) {
			if (code[j] < '0' || code[j] > '9') {
				all_ok = false;
				break;
			}
			count[j][code[j] - '0']++;
		}
		if (!strcmp(code, prev))
			same++;
		memcpy(prev, code, sizeof(prev));
	}
	tap_ok(&t, all_ok, "%d codes, each 6 decimal digits", N);
	tap_ok(&t, same < 3, "consecutive codes repeat rarely (%d)", same);
	/* chi-square per position, 9 degrees of freedom: P(X > 40) < 1e-5,
	 * so a loose bound of 40 fails only for a real fault (a digit never
	 * or always drawn, a wrong range).  The small bias that rejection
	 * sampling removes (26/256 vs 25/256) would need ~10^6 codes to show. */
	for (j = 0; j < 6; j++) {
		double chi = 0, e = N / 10.0;

		for (k = 0; k < 10; k++)
			chi += (count[j][k] - e) * (count[j][k] - e) / e;
		if (chi > worst)
			worst = chi;
		tap_ok(&t, chi < 40.0, "digit %d roughly uniform: chi-square %.1f < 40", j + 1, chi);
	}

	/* constant-time compares */
	tap_ok(&t, sk_ct_equal("123456", "123456", 6), "ct_equal equal");
	tap_ok(&t, !sk_ct_equal("123456", "123457", 6), "ct_equal last byte differs");
	tap_ok(&t, sk_ct_streq("token", "token"), "ct_streq equal");
	tap_ok(&t, !sk_ct_streq("token", "token2"), "ct_streq prefix is not equal");
	tap_ok(&t, !sk_ct_streq("token2", "token"), "ct_streq longer is not equal");
	tap_ok(&t, !sk_ct_streq("", "x") && sk_ct_streq("", ""), "ct_streq empty");
	tap_ok(&t, !sk_ct_streq(NULL, "x") && !sk_ct_streq(NULL, NULL), "ct_streq NULL never equal");
	{
		char s[8] = "secret!";
		unsigned char r1[16] = { 0 }, r2[16] = { 0 };

		sk_wipe(s, sizeof(s));
		tap_ok(&t, s[0] == 0 && s[6] == 0, "wipe zeroes");
		tap_ok(&t, sk_random(r1, sizeof(r1)) == 0 && sk_random(r2, sizeof(r2)) == 0 &&
			   memcmp(r1, r2, sizeof(r1)) != 0, "random gives different bytes");
	}

	/* messages: every key of the contract has its own text in both languages */
	{
		const char *generic_ja = sk_msg("no-such-key", "ja");
		bool own = true, both = true, ja = true;

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *j_ = sk_msg(keys[k], "ja"), *e = sk_msg(keys[k], "en");
			const char *b = sk_msg(keys[k], NULL);
			size_t lj = strlen(j_);

			if (j_ == generic_ja) {
				own = false;
				printf("# no text for %s\n", keys[k]);
			}
			/* Japanese text has non-ASCII bytes; English has none */
			if (!non_ascii(j_) || non_ascii(e)) {
				ja = false;
				printf("# language mix-up for %s\n", keys[k]);
			}
			if (strncmp(b, j_, lj) || strncmp(b + lj, " / ", 3) || strcmp(b + lj + 3, e)) {
				both = false;
				printf("# both-languages form wrong for %s\n", keys[k]);
			}
		}
		tap_ok(&t, own, "each contract key has its own text");
		tap_ok(&t, ja, "ja texts are Japanese, en texts English");
		tap_ok(&t, both, "NULL lang gives \"ja / en\"");
		tap_ok(&t, sk_msg("locked", NULL) == sk_msg("locked", NULL), "the both form is static");
		tap_ok(&t, strstr(sk_msg("locked", "en"), "administrator") &&
			   strstr(sk_msg("locked", "ja"), "管理者"), "locked says to ask the administrator");
		tap_ok(&t, sk_msg("locked", "ja-JP") == sk_msg("locked", "ja"), "ja-JP is Japanese");
		tap_ok(&t, sk_msg("locked", "fr") == sk_msg("locked", "en"), "other languages get English");
		tap_ok(&t, sk_msg(NULL, "en") && sk_msg(NULL, "en") == sk_msg("zzz", "en"),
		       "unknown and NULL keys give the generic text");
	}
	return tap_end(&t);
}
