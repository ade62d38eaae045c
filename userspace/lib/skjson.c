// SPDX-License-Identifier: GPL-2.0
/* Tiny JSON writer; see skjson.h. */
#include "skjson.h"
#include "sktext.h"

#include <inttypes.h>

void sk_json_init(struct sk_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

void sk_json_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default: {
			/* Other control bytes, DEL and C1 controls as \u escapes;
			 * valid UTF-8 passes; a byte that is not valid UTF-8 becomes
			 * U+FFFD, so the output is always valid JSON (RFC 8259 8.1). */
			size_t n = sk_utf8_len(p);

			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
			} else if (!n) {
				fputs("\\ufffd", f);
			} else if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f) {
				fprintf(f, "\\u%04x", p[1]);
				p++;
			} else {
				fwrite(p, 1, n, f);
				p += n - 1;
			}
		}
		}
	}
	fputc('"', f);
}

static void sep(struct sk_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key) {
		sk_json_escape(j->f, key);
		fputc(':', j->f);
	}
}

static void open_(struct sk_json *j, const char *key, char c)
{
	sep(j, key);
	fputc(c, j->f);
	if (j->depth < SK_JSON_MAXDEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct sk_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		j->first[0] = true;
}

void sk_json_obj_begin(struct sk_json *j, const char *key)
{
	open_(j, key, '{');
}

void sk_json_obj_end(struct sk_json *j)
{
	close_(j, '}');
}

void sk_json_arr_begin(struct sk_json *j, const char *key)
{
	open_(j, key, '[');
}

void sk_json_arr_end(struct sk_json *j)
{
	close_(j, ']');
}

void sk_json_str(struct sk_json *j, const char *key, const char *val)
{
	sep(j, key);
	sk_json_escape(j->f, val);
}

void sk_json_u64(struct sk_json *j, const char *key, uint64_t val)
{
	sep(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void sk_json_bool(struct sk_json *j, const char *key, bool val)
{
	sep(j, key);
	fputs(val ? "true" : "false", j->f);
}

void sk_json_null(struct sk_json *j, const char *key)
{
	sep(j, key);
	fputs("null", j->f);
}
