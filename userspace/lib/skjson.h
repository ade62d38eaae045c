/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer (compact output, RFC 8259 string escaping).
 * The caller keeps the nesting right; the writer only places commas and
 * escapes strings.  Depth is bounded by SK_JSON_MAXDEPTH; deeper output is
 * a programming error and is ignored rather than overrunning anything.
 */
#ifndef SK_JSON_H
#define SK_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SK_JSON_MAXDEPTH 16

struct sk_json {
	FILE *f;
	int depth;
	bool first[SK_JSON_MAXDEPTH];
};

void sk_json_init(struct sk_json *j, FILE *f);
/* key may be NULL inside arrays and at top level. */
void sk_json_obj_begin(struct sk_json *j, const char *key);
void sk_json_obj_end(struct sk_json *j);
void sk_json_arr_begin(struct sk_json *j, const char *key);
void sk_json_arr_end(struct sk_json *j);
void sk_json_str(struct sk_json *j, const char *key, const char *val);
void sk_json_u64(struct sk_json *j, const char *key, uint64_t val);
void sk_json_bool(struct sk_json *j, const char *key, bool val);
void sk_json_null(struct sk_json *j, const char *key);
/* Write s as a JSON string literal, quotes included. */
void sk_json_escape(FILE *f, const char *s);

#endif /* SK_JSON_H */
