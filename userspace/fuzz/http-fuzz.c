// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the worker's HTTP request parser.  The input is split
 * into pieces (first byte = piece size) to exercise the incremental paths,
 * and requests are parsed one after the other as on a keep-alive
 * connection.  The header, cookie and path helpers run on what parses.
 */
#include <stdint.h>
#include <string.h>

#include "worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sk_http_req *req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step, off = 0;
	char c[96];

	if (!req)
		req = sk_http_new();
	if (size < 1)
		return 0;
	step = data[0] ? data[0] : 1;
	data++, size--;
	sk_http_reset(req);
	while (off < size) {
		size_t n = size - off < step ? size - off : step, used = 0;
		enum sk_http_state st = sk_http_feed(req, data + off, n, &used);

		if (used > n)
			__builtin_trap();
		off += used;
		if (st == SK_HTTP_ERROR)
			break;
		if (st == SK_HTTP_DONE) {
			sk_http_header(req, "Host", 0);
			sk_http_cookie(req, "webvpn", c, sizeof(c));
			sk_http_cookie(req, "webvpncontext", c, sizeof(c));
			if (req->url_len > SK_HTTP_LINE_MAX || req->body_len > SK_HTTP_BODY_MAX)
				__builtin_trap();
			sk_http_path_ok(req->url, req->url_len);
			sk_http_reset(req);
			continue;
		}
		if (used < n)
			break;	/* the parser stopped without an answer: must not loop */
	}
	return 0;
}
