/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text from clients and administrators: one check before anything is
 * stored, and one way to show text that did not pass it.
 *
 * Valid text is UTF-8 (no overlong forms, no surrogates, nothing above
 * U+10FFFF) without control characters: no C0 control (U+0000-U+001F),
 * no DEL (U+007F), no C1 control (U+0080-U+009F).  A newline in a user
 * name forges a second line in `sekictl audit list`; an escape sequence
 * rewrites the administrator's terminal; invalid UTF-8 makes JSON output
 * invalid.  Multi-line text (a group's banner) may also hold line feeds,
 * tabs and a carriage return directly before a line feed.
 */
#ifndef SK_TEXT_H
#define SK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* NULL if s is valid text of at most maxlen bytes, else why not, e.g.
 * "not valid UTF-8 at byte 3", "control character U+000A at byte 3",
 * "longer than 64 bytes" (a static or thread-local string). */
const char *sk_text_check(const char *s, size_t maxlen, bool multiline);
static inline bool sk_text_ok(const char *s, size_t maxlen, bool multiline)
{
	return s && !sk_text_check(s, maxlen, multiline);
}

/* Length in bytes of the valid UTF-8 sequence at s (1-4), 0 if none (or
 * at the end of the string). */
size_t sk_utf8_len(const unsigned char *s);

/* Copies s to out (outlen > 0), writing every byte that is not valid
 * single-line text as \xNN and a backslash as \\, so the result is valid
 * text that shows what was there.  Truncates at a character boundary;
 * always terminated.  Returns the length written. */
size_t sk_text_escape(const char *s, char *out, size_t outlen);

/* Copies s (NULL: "") to out (outlen > 0) as far as it fits, cutting
 * only between characters: a valid UTF-8 sequence is copied whole or not
 * at all, any other byte counts as one.  Always terminated.  Returns the
 * length written.  For fixed-size fields filled from text that may be
 * longer (snprintf would cut a character in half). */
size_t sk_text_copy(char *out, size_t outlen, const char *s);

/* Writes one sentence (printf format) into err when err and errlen are
 * set, and returns -EINVAL: the refusal of a function that returns
 * -errno. */
int sk_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
