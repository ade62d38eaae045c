// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the worker's HTTP request parser (worker/http.c) fed as a
 * slow or hostile client would: a request that can never become a valid
 * HTTP/1.x request is refused at the very byte that makes it so, with its
 * status (400, 413, 414, 431, 505), never left to the read timeout.  Each
 * case is fed one byte at a time (the verdict must come exactly at the
 * decisive byte, SK_HTTP_MORE before it) and in pieces of 2, 3, 7 and 64
 * bytes (the verdict must come with the piece that holds that byte).  Valid
 * requests, fed the same ways, must still parse.  TAP output.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "worker.h"

static struct tap t;
static struct sk_http_req *r;

/* Feeds s in pieces of step bytes.  Returns the index of the byte at which
 * a verdict (DONE or ERROR) came, len if none; *st = the verdict. */
static size_t feed(const char *s, size_t len, size_t step, enum sk_http_state *st)
{
	size_t off = 0;

	sk_http_reset(r);
	*st = SK_HTTP_MORE;
	while (off < len) {
		size_t n = len - off < step ? len - off : step, used = 0;

		*st = sk_http_feed(r, (const uint8_t *)s + off, n, &used);
		if (*st != SK_HTTP_MORE)
			return off + n - 1;	/* somewhere in this piece */
		if (used != n)
			return len;		/* stalled without a verdict */
		off += n;
	}
	return len;
}

struct bad {
	const char *name;
	const char *s;		/* NULL: built in main */
	size_t len;
	size_t at;		/* the decisive byte */
	int status;
};

static void refused(const struct bad *b)
{
	static const size_t steps[] = { 2, 3, 7, 64 };
	enum sk_http_state st;
	size_t at = feed(b->s, b->len, 1, &st);
	bool ok;

	tap_ok(&t, st == SK_HTTP_ERROR && r->status == b->status && at == b->at,
	       "%s: %d at byte %zu, byte by byte (got %d at %zu: %s)", b->name, b->status, b->at,
	       st == SK_HTTP_ERROR ? r->status : 0, at, r->why ? r->why : "no verdict");
	ok = true;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t step = steps[i];

		size_t end = (b->at / step + 1) * step - 1;	/* of the piece holding b->at */

		at = feed(b->s, b->len, step, &st);
		if (st != SK_HTTP_ERROR || r->status != b->status ||
		    at != (end < b->len ? end : b->len - 1))
			ok = false;
	}
	tap_ok(&t, ok, "%s: the same verdict with the decisive piece of 2, 3, 7, 64 bytes", b->name);
}

static void accepted(const char *name, const char *s, size_t steps_max)
{
	bool ok = true;

	for (size_t step = 1; step <= steps_max; step++) {
		enum sk_http_state st;
		size_t at = feed(s, strlen(s), step, &st);

		if (st != SK_HTTP_DONE || at < strlen(s) - step) {
			ok = false;
			break;
		}
	}
	tap_ok(&t, ok, "%s: still accepted, in pieces of 1 to %zu bytes", name, steps_max);
}

#define BAD(n, str, at, status) { n, str, sizeof(str) - 1, at, status }

int main(void)
{
	static const struct bad bad[] = {
		BAD("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 11, 505),
		BAD("HTTP/0.9 written out", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 11, 505),
		BAD("HTTP/3", "POST /auth HTTP/3.0\r\n", 16, 505),
		BAD("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 13, 505),
		BAD("HTTP/1.x", "GET / HTTP/1.x\r\n\r\n", 13, 400),
		BAD("http/1.1 in lower case", "GET / http/1.1\r\n\r\n", 6, 400),
		BAD("no version (HTTP/0.9)", "GET /\r\nHost: a\r\n\r\n", 5, 400),
		BAD("space after the version", "GET / HTTP/1.1 \r\n\r\n", 14, 400),
		BAD("two spaces", "GET  / HTTP/1.1\r\n\r\n", 4, 400),
		BAD("tab for a space", "GET\t/ HTTP/1.1\r\n\r\n", 3, 400),
		BAD("method in lower case", "get / HTTP/1.1\r\n\r\n", 0, 400),
		BAD("unknown method", "FOO / HTTP/1.1\r\n\r\n", 0, 400),
		BAD("TLS record instead of HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, 400),
		BAD("SSH banner", "SSH-2.0-OpenSSH_9.2\r\n", 1, 400),
		BAD("empty lines only", "\r\n\r\n\r\n\r\n\r\n\r\n", 4, 400),
		BAD("NUL in the method", "GE\0T / HTTP/1.1\r\n\r\n", 2, 400),
		BAD("NUL in the URL", "GET /a\0b HTTP/1.1\r\n\r\n", 6, 400),
		BAD("NUL in a header value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 20, 400),
		BAD("bare CR in the request line", "GET / HTTP/1.1\rX: a\r\n\r\n", 15, 400),
		BAD("bare CR in a header", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 21, 400),
		BAD("obsolete line folding", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 22, 400),
		BAD("space before the colon", "GET / HTTP/1.1\r\nX : a\r\n\r\n", 17, 400),
		BAD("header without a colon", "GET / HTTP/1.1\r\nXYZ\r\n\r\n", 19, 400),
		BAD("bad Content-Length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 33, 400),
		BAD("two Content-Length", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab", 52, 400),
		BAD("Content-Length with chunked",
		    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 65, 400),
		BAD("gzip transfer coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 52, 400),
		BAD("Content-Length over 64 KiB", "POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 41, 413),
		BAD("chunk over 64 KiB", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n", 53, 413),
		BAD("bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", 47, 400),
		BAD("chunk longer than its size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab", 51, 400),
		BAD("bare CR after a chunk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\rx", 52, 400),
		BAD("bare CR in a chunk size line", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\rxa", 49, 400),
		BAD("bare CR ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\rX", 26, 400),
		BAD("bare CR after the last chunk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX", 51, 400),
	};
	struct bad big;
	char *s;
	size_t n;

	tap_begin();
	r = sk_http_new();
	if (!r) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(&bad[i]);

	/* a URL one byte over 8 KiB: 414 at that byte */
	n = 5 + SK_HTTP_LINE_MAX + 20;
	s = malloc(n + 1);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', n - 5);
	s[n] = 0;
	big = (struct bad){ "URL over 8 KiB", s, n, 4 + SK_HTTP_LINE_MAX, 414 };
	refused(&big);
	/* a header one byte over 8 KiB (name + value): 431 at that byte */
	memcpy(s, "GET / HTTP/1.1\r\nX: ", 19);
	memset(s + 19, 'b', n - 19);
	big = (struct bad){ "header over 8 KiB", s, n, 19 + SK_HTTP_HDR_MAX - 1, 431 };
	refused(&big);
	free(s);

	accepted("GET, HTTP/1.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 8);
	accepted("GET, HTTP/1.0", "GET /logout HTTP/1.0\r\n\r\n", 8);
	accepted("one empty line before the request", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 8);
	accepted("lines ending in LF only", "GET / HTTP/1.1\nHost: a\n\n", 8);
	accepted("POST with a body", "POST /auth HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 8);
	accepted("chunked POST", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 8);
	accepted("chunked POST with an extension and a trailer",
		 "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n11\r\n"
		 "0123456789abcdefg\r\n0\r\nX-T: 1\r\n\r\n", 8);
	accepted("CONNECT", "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nCookie: webvpn=x\r\n\r\n", 8);
	accepted("a header value with spaces and a tab",
		 "GET / HTTP/1.1\r\nUser-Agent: Open AnyConnect\tVPN Agent v9\r\n\r\n", 8);
	sk_http_free(r);
	return tap_end(&t);
}
