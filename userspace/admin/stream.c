// SPDX-License-Identifier: GPL-2.0
/*
 * Which path a session's CSTP stream takes (issue 16), as sekishod audited
 * it at the session's last CONNECT (type "stream", sekishod/ktls.c):
 * "ktls (TLS 1.3, aes-128-gcm)" when the kernel carries it on kernel TLS,
 * "relay (cipher)" when the worker relays it, and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "sktext.h"

struct stream_q {
	char needle[40];	/* "\"session\":ID," */
	char detail[SK_TEXT_MAX * 2];
	char result[SK_NAME_MAX + 1];
};

static int stream_each(const struct sk_audit *r, void *arg)
{
	struct stream_q *q = arg;

	/* the records come oldest first: the last one is the last CONNECT's */
	if (strstr(r->detail, q->needle)) {
		snprintf(q->detail, sizeof(q->detail), "%s", r->detail);
		snprintf(q->result, sizeof(q->result), "%s", r->result);
	}
	return 0;
}

/* the value of "key":"..." in a detail sekishod wrote: [a-z0-9.-] only */
static void field(const char *detail, const char *key, char *out, size_t len)
{
	char pat[24];
	const char *p;
	size_t n = 0;

	out[0] = 0;
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(detail, pat);
	if (!p)
		return;
	for (p += strlen(pat); n + 1 < len && *p &&
	     (strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", *p)); p++)
		out[n++] = *p;
	out[n] = 0;
}

bool ska_session_stream(struct ska *a, const struct sk_session *s, char *out, size_t len)
{
	struct sk_audit_filter flt = { .type = "stream", .user = s->user };
	struct stream_q *q = calloc(1, sizeof(*q));
	char f1[24], f2[24];
	bool found = false;

	out[0] = 0;
	if (!q)
		return false;
	snprintf(q->needle, sizeof(q->needle), "\"session\":%lld,", (long long)s->id);
	if (!sk_audit_list(a->st, &flt, stream_each, q) && q->result[0]) {
		if (!strcmp(q->result, "ktls")) {
			field(q->detail, "tls", f1, sizeof(f1));
			field(q->detail, "cipher", f2, sizeof(f2));
			snprintf(out, len, "ktls (TLS %s, %s)", f1, f2);
		} else {
			field(q->detail, "reason", f1, sizeof(f1));
			snprintf(out, len, "relay (%s)", f1);
		}
		found = true;
	}
	free(q);
	return found;
}
