// SPDX-License-Identifier: GPL-2.0
/*
 * The Japanese usage errors (admin/usage_ja.c): every pair takes the same
 * printf conversions in the same order (a mismatch would read the wrong
 * argument), every Japanese text is Japanese, no English format twice,
 * and the lookup finds each one and nothing else.  The binary under
 * LANG=ja_JP.UTF-8: tests/admin/usage-ja.sh.  TAP output.
 */
#include <stdio.h>
#include <string.h>

#include "skadmin.h"
#include "tap.h"

static struct tap t;

/* the conversions of fmt ("%s", "%d", "%zu", "%.*s", ...) in order, '|'-joined */
static void convs(const char *fmt, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *p = fmt; *p; p++) {
		const char *s;

		if (*p != '%')
			continue;
		s = p++;
		if (*p == '%')
			continue;
		while (*p && strchr("-+ #0123456789.*hlzjt", *p))
			p++;
		if (!*p)
			break;
		o += (size_t)snprintf(out + o, len - o, "%.*s|", (int)(p - s + 1), s);
		if (o >= len)
			return;
	}
}

int main(void)
{
	const char *en, *ja;
	size_t n = 0, bad = 0, ascii = 0, dup = 0, lookup = 0;

	tap_begin();
	for (size_t i = 0; (ja = ska_usage_ja_at(i, &en)); i++) {
		char ce[256], cj[256];
		const char *e2;
		bool nonascii = false;

		n++;
		convs(en, ce, sizeof(ce));
		convs(ja, cj, sizeof(cj));
		if (strcmp(ce, cj)) {
			printf("# conversions differ: '%s' (%s) / '%s' (%s)\n", en, ce, ja, cj);
			bad++;
		}
		for (const char *p = ja; *p; p++)
			nonascii |= (unsigned char)*p >= 0x80;
		if (!nonascii) {
			printf("# not Japanese: '%s'\n", ja);
			ascii++;
		}
		for (size_t k = 0; k < i; k++)
			if (ska_usage_ja_at(k, &e2) && !strcmp(e2, en)) {
				printf("# twice: '%s'\n", en);
				dup++;
			}
		if (ska_usage_ja(en) != ja)
			lookup++;
	}
	tap_ok(&t, n >= 100, "%zu usage messages have a Japanese text", n);
	tap_ok(&t, !bad, "every pair takes the same conversions in the same order (%zu differ)", bad);
	tap_ok(&t, !ascii, "every Japanese text is Japanese (%zu are not)", ascii);
	tap_ok(&t, !dup, "no English format twice (%zu)", dup);
	tap_ok(&t, !lookup, "the lookup finds each one (%zu not)", lookup);
	tap_ok(&t, !ska_usage_ja("no such message %s") && !ska_usage_ja(NULL) &&
	       !ska_usage_ja("unexpected argument"), "an unknown format has none (printed in English)");
	tap_ok(&t, ska_usage_ja("unexpected argument '%s'") &&
	       strstr(ska_usage_ja("unexpected argument '%s'"), "使えません"),
	       "unexpected argument: 引数 '%%s' は使えません");
	return tap_end(&t);
}
