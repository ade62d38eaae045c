// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.1 request parsing for the worker, with http_parser doing the
 * grammar (including chunked decoding) and this file enforcing the bounds:
 * request line 8 KiB, each header 8 KiB, at most 64 headers (32 KiB in all),
 * body 64 KiB.  One request at a time: the parser is paused at the end of
 * each message so pipelined bytes stay with the caller.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <openssl/crypto.h>

#include "worker.h"

static struct sk_http_req *req_of(http_parser *p)
{
	return p->data;
}

static int fail(struct sk_http_req *r, int status, const char *why)
{
	if (!r->status) {
		r->status = status;
		r->why = why;
	}
	return -1;
}

static int on_begin(http_parser *p)
{
	req_of(p)->started = true;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct sk_http_req *r = req_of(p);

	r->started = true;
	if (len > SK_HTTP_LINE_MAX - r->url_len)
		return fail(r, 414, "request line too long");
	memcpy(r->url + r->url_len, at, len);
	r->url_len += len;
	r->url[r->url_len] = 0;
	return 0;
}

/* Header bytes go to hdrbuf; name and value of one header together <= 8 KiB. */
static int hdr_append(struct sk_http_req *r, const char *at, size_t len)
{
	if (len > SK_HTTP_HDR_MAX - r->line_len)
		return fail(r, 431, "header too long");
	if (len > SK_HTTP_HDRBUF - 1 - r->hdrbuf_len)
		return fail(r, 431, "headers too large");
	memcpy(r->hdrbuf + r->hdrbuf_len, at, len);
	r->hdrbuf_len += len;
	r->line_len += len;
	return 0;
}

/* Ends the header being parsed: NUL after its value (an empty one if none came). */
static int close_header(struct sk_http_req *r)
{
	struct sk_http_hdr *h = &r->hdrs[r->n_hdrs - 1];

	if (r->hdrbuf_len + 2 > SK_HTTP_HDRBUF)
		return fail(r, 431, "headers too large");
	if (!r->in_value) {
		r->hdrbuf[r->hdrbuf_len++] = 0;
		h->value_off = r->hdrbuf_len;
		h->value_len = 0;
	}
	r->hdrbuf[r->hdrbuf_len++] = 0;
	r->in_value = false;
	return 0;
}

static int on_hfield(http_parser *p, const char *at, size_t len)
{
	struct sk_http_req *r = req_of(p);
	struct sk_http_hdr *h;

	if (r->in_value || r->n_hdrs == 0) {
		if (r->n_hdrs > 0 && close_header(r))
			return -1;
		if (r->n_hdrs >= SK_HTTP_HDRS_MAX)
			return fail(r, 431, "too many headers");
		h = &r->hdrs[r->n_hdrs++];
		memset(h, 0, sizeof(*h));
		h->name_off = r->hdrbuf_len;
		r->line_len = 0;
	}
	h = &r->hdrs[r->n_hdrs - 1];
	if (hdr_append(r, at, len))
		return -1;
	h->name_len += len;
	return 0;
}

static int on_hvalue(http_parser *p, const char *at, size_t len)
{
	struct sk_http_req *r = req_of(p);
	struct sk_http_hdr *h;

	if (r->n_hdrs == 0)
		return fail(r, 400, "header value without name");
	h = &r->hdrs[r->n_hdrs - 1];
	if (!r->in_value) {
		/* NUL after the name, value starts */
		if (r->hdrbuf_len >= SK_HTTP_HDRBUF - 1)
			return fail(r, 431, "headers too large");
		r->hdrbuf[r->hdrbuf_len++] = 0;
		h->value_off = r->hdrbuf_len;
		r->in_value = true;
	}
	if (hdr_append(r, at, len))
		return -1;
	h->value_len += len;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct sk_http_req *r = req_of(p);
	const char *te;

	if (r->n_hdrs > 0 && close_header(r))
		return -1;
	r->headers_done = true;
	r->method = p->method;
	r->http_major = p->http_major;
	r->http_minor = p->http_minor;
	/* only "chunked" as a transfer coding, never together with a length */
	te = sk_http_header(r, "Transfer-Encoding", 0);
	if (te && strcasecmp(te, "chunked"))
		return fail(r, 400, "unsupported transfer coding");
	if (te && sk_http_header(r, "Content-Length", 0))
		return fail(r, 400, "both Content-Length and Transfer-Encoding");
	if (sk_http_header(r, "Content-Length", 1) || sk_http_header(r, "Transfer-Encoding", 1))
		return fail(r, 400, "repeated framing header");
	if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX &&
	    p->content_length > SK_HTTP_BODY_MAX)
		return fail(r, 413, "body too large");
	/* CONNECT has no body; http_parser stops after the headers (upgrade) */
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct sk_http_req *r = req_of(p);

	if (len > SK_HTTP_BODY_MAX - r->body_len)
		return fail(r, 413, "body too large");
	memcpy(r->body + r->body_len, at, len);
	r->body_len += len;
	r->body[r->body_len] = 0;
	return 0;
}

static int on_complete(http_parser *p)
{
	struct sk_http_req *r = req_of(p);

	r->complete = true;
	r->keep_alive = http_should_keep_alive(p);
	/* stop here: what follows is the next request (or CSTP) */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_begin,
	.on_url = on_url,
	.on_header_field = on_hfield,
	.on_header_value = on_hvalue,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

struct sk_http_req *sk_http_new(void)
{
	struct sk_http_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->parser = calloc(1, sizeof(*r->parser));
	if (!r->parser) {
		free(r);
		return NULL;
	}
	sk_http_reset(r);
	return r;
}

void sk_http_free(struct sk_http_req *r)
{
	if (!r)
		return;
	free(r->parser);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

void sk_http_reset(struct sk_http_req *r)
{
	http_parser *p = r->parser;

	/* bodies may hold passwords */
	OPENSSL_cleanse(r->body, r->body_len + 1 < sizeof(r->body) ? r->body_len + 1 : sizeof(r->body));
	OPENSSL_cleanse(r->hdrbuf, r->hdrbuf_len);
	memset(r, 0, offsetof(struct sk_http_req, parser));
	r->parser = p;
	r->in_value = r->complete = false;
	r->line_len = 0;
	http_parser_init(p, HTTP_REQUEST);
	p->data = r;
}

enum sk_http_state sk_http_feed(struct sk_http_req *r, const uint8_t *data, size_t len,
				size_t *used)
{
	http_parser *p = r->parser;
	size_t n;
	enum http_errno e;

	*used = 0;
	if (r->complete)
		return SK_HTTP_DONE;
	if (r->status)
		return SK_HTTP_ERROR;
	if (len == 0)
		return SK_HTTP_MORE;
	n = http_parser_execute(p, &settings, (const char *)data, len);
	e = HTTP_PARSER_ERRNO(p);
	*used = n;
	if (r->status)
		return SK_HTTP_ERROR;
	if (r->complete) {
		/* HPE_PAUSED stops before consuming the byte after the message */
		if (e == HPE_PAUSED)
			http_parser_pause(p, 0);
		return SK_HTTP_DONE;
	}
	if (e != HPE_OK) {
		r->status = 400;
		r->why = http_errno_description(e);
		return SK_HTTP_ERROR;
	}
	if (p->upgrade && r->headers_done) {
		/* CONNECT: message ends with the headers */
		r->complete = true;
		r->keep_alive = true;
		return SK_HTTP_DONE;
	}
	return SK_HTTP_MORE;
}

const char *sk_http_header(const struct sk_http_req *r, const char *name, int nth)
{
	size_t nl = strlen(name);

	for (int i = 0; i < r->n_hdrs; i++) {
		const struct sk_http_hdr *h = &r->hdrs[i];

		if (h->name_len != nl || strncasecmp(r->hdrbuf + h->name_off, name, nl))
			continue;
		if (nth-- == 0)
			return r->hdrbuf + h->value_off;
	}
	return NULL;
}

static bool cookie_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '=' || c == '-';
}

int sk_http_cookie(const struct sk_http_req *r, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *v;

	out[0] = 0;
	for (int k = 0; (v = sk_http_header(r, "Cookie", k)); k++) {
		const char *s = v;

		while (*s) {
			const char *end = strchr(s, ';');
			size_t seg;

			while (*s == ' ' || *s == '\t')
				s++;
			seg = end ? (size_t)(end - s) : strlen(s);
			while (seg && (s[seg - 1] == ' ' || s[seg - 1] == '\t'))
				seg--;
			if (seg > nl && !strncmp(s, name, nl) && s[nl] == '=') {
				const char *val = s + nl + 1;
				size_t vl = seg - nl - 1;
				bool ok = vl > 0 && vl < outlen;

				for (size_t i = 0; ok && i < vl; i++)
					ok = cookie_char(val[i]);
				/* anything outside the alphabet or too long is ignored */
				if (ok) {
					memcpy(out, val, vl);
					out[vl] = 0;
					return 0;
				}
			}
			if (!end)
				break;
			s = end + 1;
		}
	}
	return -1;
}

int sk_http_path_ok(const char *url, size_t len)
{
	if (len == 0 || url[0] != '/' || strlen(url) != len)
		return -1;	/* relative, absolute-form or embedded NUL */
	for (size_t i = 0; i < len; i++) {
		char c = url[i];

		if (c == '/') {
			if (i + 1 < len && url[i + 1] == '/')
				return -1;
			continue;
		}
		if (c == '.' && i + 1 < len && url[i + 1] == '.')
			return -1;
		if (!isalnum((unsigned char)c) && c != '_' && c != '-' && c != '.')
			return -1;	/* %, \, ?, #, spaces, controls, non-ASCII */
	}
	return 0;
}
