// SPDX-License-Identifier: GPL-2.0
/*
 * skauth e-mail one-time codes: 6 decimal digits, uniform.
 *
 * A random byte mod 10 would favour 0..5 (256 = 25*10 + 6); bytes >= 250
 * are thrown away instead (rejection sampling), so each digit is uniform.
 */
#include <errno.h>

#include "skauth.h"

#define OTP_DIGITS 6

int sk_otp_generate(char out[7])
{
	unsigned char pool[32];
	size_t used = sizeof(pool);	/* force a refill on the first digit */
	int n = 0, tries = 0, rc;

	while (n < OTP_DIGITS) {
		if (used == sizeof(pool)) {
			/* bounded: 6 digits need ~6.1 bytes on average;
			 * 8 pools failing to give 6 means RAND is broken */
			if (++tries > 8) {
				rc = -EIO;
				goto out;
			}
			rc = sk_random(pool, sizeof(pool));
			if (rc)
				goto out;
			used = 0;
		}
		unsigned char b = pool[used++];

		if (b >= 250)
			continue;
		out[n++] = (char)('0' + b % 10);
	}
	out[OTP_DIGITS] = '\0';
	rc = 0;
out:
	if (rc)
		sk_wipe(out, OTP_DIGITS + 1);
	sk_wipe(pool, sizeof(pool));
	return rc;
}
