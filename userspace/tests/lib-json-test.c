// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the JSON writer (userspace/lib/skjson.c).  TAP output. */
#include <stdlib.h>
#include <string.h>

#include "skjson.h"
#include "tap.h"

static struct tap t;

/* run fn into a memory stream and compare with want */
static void expect(const char *name, void (*fn)(struct sk_json *j),
		   const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sk_json j;

	sk_json_init(&j, f);
	fn(&j);
	fclose(f);
	tap_ok(&t, !strcmp(buf, want), "%s: %s", name, buf);
	if (strcmp(buf, want))
		printf("# want %s\n", want);
	free(buf);
}

static void escapes(struct sk_json *j)
{
	sk_json_str(j, NULL, "a\"b\\c\n\t\x01\x7f\xc3\xa9/");
}

/* invalid UTF-8 (0xff, a lone continuation, an overlong '/', a truncated
 * sequence) and C1 controls: still valid JSON */
static void bad_utf8(struct sk_json *j)
{
	sk_json_str(j, NULL, "a\xff" "b\x80" "c\xc0\xaf" "d\xc2\x9b" "e\xe6\x97\xa5\xe6");
}

static void nesting(struct sk_json *j)
{
	sk_json_obj_begin(j, NULL);
	sk_json_str(j, "event", "peer-del");
	sk_json_u64(j, "peer", 7);
	sk_json_arr_begin(j, "routes");
	sk_json_str(j, NULL, "10.0.0.0/8");
	sk_json_str(j, NULL, "fd00::/8");
	sk_json_arr_end(j);
	sk_json_arr_begin(j, "empty");
	sk_json_arr_end(j);
	sk_json_obj_begin(j, "stats");
	sk_json_u64(j, "rx", 18446744073709551615ULL);
	sk_json_obj_end(j);
	sk_json_bool(j, "ok", true);
	sk_json_null(j, "last");
	sk_json_obj_end(j);
}

static void lines(struct sk_json *j)
{
	/* two top-level objects (JSON lines): no comma between them */
	sk_json_obj_begin(j, NULL);
	sk_json_u64(j, "a", 1);
	sk_json_obj_end(j);
	fputc('\n', j->f);
	sk_json_obj_begin(j, NULL);
	sk_json_u64(j, "b", 2);
	sk_json_obj_end(j);
}

static void key_escape(struct sk_json *j)
{
	sk_json_obj_begin(j, NULL);
	sk_json_str(j, "we\"ird", "x");
	sk_json_obj_end(j);
}

static void deep(struct sk_json *j)
{
	int i;

	/* deeper than SK_JSON_MAXDEPTH must not write out of bounds */
	for (i = 0; i < SK_JSON_MAXDEPTH + 4; i++)
		sk_json_arr_begin(j, NULL);
	for (i = 0; i < SK_JSON_MAXDEPTH + 4; i++)
		sk_json_arr_end(j);
}

int main(void)
{
	tap_begin();
	expect("string escapes", escapes,
	       "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xc3\xa9/\"");
	expect("invalid UTF-8 as U+FFFD, C1 controls escaped", bad_utf8,
	       "\"a\\ufffdb\\ufffdc\\ufffd\\ufffdd\\u009be\xe6\x97\xa5\\ufffd\"");
	expect("nesting and commas", nesting,
	       "{\"event\":\"peer-del\",\"peer\":7,\"routes\":[\"10.0.0.0/8\",\"fd00::/8\"],"
	       "\"empty\":[],\"stats\":{\"rx\":18446744073709551615},\"ok\":true,\"last\":null}");
	expect("JSON lines", lines, "{\"a\":1}\n{\"b\":2}");
	expect("keys are escaped too", key_escape, "{\"we\\\"ird\":\"x\"}");
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct sk_json j;

		sk_json_init(&j, f);
		deep(&j);
		fclose(f);
		tap_ok(&t, len >= 2 * (SK_JSON_MAXDEPTH + 4) && buf[0] == '[',
		       "nesting beyond the depth limit stays in bounds");
		free(buf);
	}
	return tap_end(&t);
}
