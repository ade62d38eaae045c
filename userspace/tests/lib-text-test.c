// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the text validator and escaper (userspace/lib/sktext.c).  TAP output. */
#include <string.h>

#include "sktext.h"
#include "tap.h"

static struct tap t;

static void ok_text(const char *s, bool multiline, const char *name)
{
	const char *why = sk_text_check(s, 256, multiline);

	tap_ok(&t, !why, "accepted: %s%s%s", name, why ? " -- " : "", why ? why : "");
}

static void bad_text(const char *s, bool multiline, const char *want, const char *name)
{
	const char *why = sk_text_check(s, 256, multiline);

	tap_ok(&t, why && strstr(why, want), "refused: %s (%s)", name, why ? why : "accepted");
}

int main(void)
{
	char buf[64];

	tap_begin();
	ok_text("", false, "empty");
	ok_text("alice.example-1_x", false, "ASCII");
	ok_text("営業部 VPN", false, "Japanese (3-byte UTF-8)");
	ok_text("caf\xc3\xa9 \xf0\x9f\x94\x92", false, "2- and 4-byte UTF-8");
	ok_text("\xc2\xa0no-break space (U+00A0, the first after C1)", false, "U+00A0");
	ok_text("\xef\xbf\xbd\xf4\x8f\xbf\xbf", false, "U+FFFD and U+10FFFF");
	bad_text("eve\nforged", false, "control character U+000A at byte 4", "newline");
	bad_text("a\rb", false, "U+000D", "carriage return");
	bad_text("a\tb", false, "U+0009", "tab in one-line text");
	bad_text("x\x1b[2Jy", false, "U+001B", "escape (C0)");
	bad_text("x\x7fy", false, "U+007F", "DEL");
	bad_text("x\xc2\x80y", false, "U+0080", "C1 U+0080");
	bad_text("x\xc2\x9b" "31m", false, "U+009B", "C1 CSI U+009B");
	bad_text("x\xc2\x9fy", false, "U+009F", "C1 U+009F");
	bad_text("ab\xff", false, "not valid UTF-8 at byte 3", "0xFF");
	bad_text("\x80", false, "not valid UTF-8", "lone continuation byte");
	bad_text("\xc3", false, "not valid UTF-8", "truncated sequence at the end");
	bad_text("\xe3\x81", false, "not valid UTF-8", "truncated 3-byte sequence");
	bad_text("\xc0\xaf", false, "not valid UTF-8", "overlong '/' (C0 AF)");
	bad_text("\xc1\x8a", false, "not valid UTF-8", "overlong newline (C1 8A)");
	bad_text("\xe0\x80\x8a", false, "not valid UTF-8", "overlong 3-byte newline");
	bad_text("\xf0\x80\x80\x8a", false, "not valid UTF-8", "overlong 4-byte newline");
	bad_text("\xed\xa0\x80", false, "not valid UTF-8", "surrogate U+D800");
	bad_text("\xf4\x90\x80\x80", false, "not valid UTF-8", "above U+10FFFF");
	bad_text("\xf5\x80\x80\x80", false, "not valid UTF-8", "F5 lead byte");
	ok_text("line 1\nline 2\r\n\tindented", true, "multi-line: LF, CRLF, tab");
	bad_text("a\rb", true, "U+000D", "multi-line: a bare CR");
	bad_text("a\x0b", true, "U+000B", "multi-line: vertical tab");
	bad_text("a\n\xc2\x85", true, "U+0085", "multi-line: NEL (C1)");
	bad_text("a\n\xfe", true, "not valid UTF-8", "multi-line: invalid UTF-8");
	tap_ok(&t, sk_text_ok("12345678", 8, false) && !sk_text_ok("123456789", 8, false) &&
	       strstr(sk_text_check("123456789", 8, false), "longer than 8 bytes"),
	       "maxlen is in bytes");
	tap_ok(&t, !sk_text_ok(NULL, 8, false), "NULL is not text");

	sk_text_escape("eve\nforged\\\xff\xc2\x9b" "ok", buf, sizeof(buf));
	tap_ok(&t, !strcmp(buf, "eve\\x0aforged\\\\\\xff\\xc2\\x9bok"), "escape: %s", buf);
	tap_ok(&t, sk_text_ok(buf, sizeof(buf), false), "escape: the result is valid text");
	sk_text_escape("日本語", buf, 7);
	tap_ok(&t, !strcmp(buf, "日本"), "escape: truncates at a character boundary (%s)", buf);
	sk_text_copy(buf, 7, "日本語");
	tap_ok(&t, !strcmp(buf, "日本"), "copy: cuts between characters (%s)", buf);
	sk_text_copy(buf, 6, "ab日本");
	tap_ok(&t, !strcmp(buf, "ab日"), "copy: a character that does not fit is left out (%s)", buf);
	tap_ok(&t, sk_text_copy(buf, 4, "a\xff" "bc") == 3 && !strcmp(buf, "a\xff" "b"),
	       "copy: any other byte counts as one");
	tap_ok(&t, sk_text_copy(buf, 8, NULL) == 0 && !buf[0], "copy: NULL is empty");
	sk_text_escape("ab\x01", buf, 5);
	tap_ok(&t, !strcmp(buf, "ab"), "escape: an escape that does not fit is left out (%s)", buf);
	return tap_end(&t);
}
