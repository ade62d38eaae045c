// SPDX-License-Identifier: GPL-2.0
/* Text validation and escaping; see sktext.h. */
#include "sktext.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t sk_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		/* E0: no overlong (A0..BF); ED: no surrogates (80..9F) */
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		/* F0: no overlong (90..BF); F4: nothing above U+10FFFF (80..8F) */
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;	/* 80..C1 (continuation, overlong), F5..FF */
}

/* the code point of a valid sequence of n bytes */
static unsigned int code_point(const unsigned char *s, size_t n)
{
	switch (n) {
	case 1: return s[0];
	case 2: return (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	case 3: return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
	default: return (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 |
			(s[3] & 0x3fu);
	}
}

static bool is_control(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

const char *sk_text_check(const char *s, size_t maxlen, bool multiline)
{
	static _Thread_local char why[64];
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	if (!s)
		return "missing";
	if (memchr(s, '\0', maxlen + 1) == NULL) {
		snprintf(why, sizeof(why), "longer than %zu bytes", maxlen);
		return why;
	}
	while (p[i]) {
		unsigned int cp;

		n = sk_utf8_len(p + i);
		if (!n) {
			snprintf(why, sizeof(why), "not valid UTF-8 at byte %zu", i + 1);
			return why;
		}
		cp = code_point(p + i, n);
		if (is_control(cp) &&
		    !(multiline && (cp == '\n' || cp == '\t' || (cp == '\r' && p[i + 1] == '\n')))) {
			snprintf(why, sizeof(why), "control character U+%04X at byte %zu", cp, i + 1);
			return why;
		}
		i += n;
	}
	return NULL;
}

size_t sk_text_escape(const char *s, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	if (!outlen)
		return 0;
	while (*p) {
		char esc[5];
		const char *src;

		n = sk_utf8_len(p);
		if (n && !is_control(code_point(p, n)) && *p != '\\') {
			src = (const char *)p;
		} else if (*p == '\\') {
			src = "\\\\";
			n = 1;
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			src = esc;
			n = 1;
		}
		{
			size_t w = src == (const char *)p ? n : strlen(src);

			if (o + w >= outlen)
				break;
			memcpy(out + o, src, w);
			o += w;
		}
		p += n;
	}
	out[o] = '\0';
	return o;
}

size_t sk_text_copy(char *out, size_t outlen, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0, n;

	if (!outlen)
		return 0;
	for (; *p; p += n) {
		n = sk_utf8_len(p);
		if (!n)
			n = 1;
		if (o + n >= outlen)
			break;
		memcpy(out + o, p, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

int sk_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}
