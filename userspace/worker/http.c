// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.1 request parsing for the worker, with http_parser doing the
 * grammar (including chunked decoding) and this file enforcing the bounds:
 * request line 8 KiB, each header 8 KiB, at most 64 headers (32 KiB in all),
 * body 64 KiB.  One request at a time: the parser is paused at the end of
 * each message so pipelined bytes stay with the caller.
 *
 * A request that can never become valid is refused at the byte that makes
 * it so, never left to the read timeout: http_parser (strict build) stops
 * at a bad method, URL, version character, bare CR or header character,
 * and scan() below at what it lets through: more than a few empty lines
 * before the request, two spaces in the request line, a request line
 * without an HTTP version (HTTP/0.9), a version other than 1.0/1.1 (505),
 * obsolete line folding and whitespace before a header's colon (RFC 9112
 * 5.1, 5.2).  A chunk larger than the body limit is 413 at its size line.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <openssl/crypto.h>

#include "worker.h"

/* the states of scan() (below) */
enum {
	SC_LEAD = 0, SC_METHOD, SC_TARGET0, SC_TARGET, SC_VERSION, SC_CR,
	SC_LINE, SC_NAME, SC_VALUE, SC_END_CR, SC_DONE,
	/* a chunked body (http_parser, built without HTTP_PARSER_STRICT,
	 * takes any two bytes after a chunk's data and a bare CR after a
	 * size): size line, data, its CRLF, the trailer */
	SC_CH_SIZE, SC_CH_EXT, SC_CH_SIZE_LF, SC_CH_DATA, SC_CH_DATA_CR, SC_CH_DATA_LF,
	SC_CH_TRAILER, SC_CH_TRAILER_LINE, SC_CH_TRAILER_LF, SC_CH_END_LF, SC_CH_DONE,
};
#define SK_HTTP_LEAD_MAX 4	/* CR/LF bytes tolerated before a request (RFC 9112 2.2) */

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

/* A chunk that cannot fit is refused at its size line, not after 64 KiB. */
static int on_chunk_header(http_parser *p)
{
	struct sk_http_req *r = req_of(p);

	if (p->content_length > SK_HTTP_BODY_MAX - r->body_len)
		return fail(r, 413, "chunk too large");
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
	.on_chunk_header = on_chunk_header,
	.on_message_complete = on_complete,
};

/*
 * The request head byte by byte, beside http_parser, for what it accepts
 * but HTTP/1.1 does not (see the top).  Runs over the bytes http_parser
 * consumed, up to the empty line that ends the head.
 */

static bool sp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* the empty line: a chunked body is scanned too, anything else is not */
static void head_end(struct sk_http_req *r)
{
	r->scan = r->parser->flags & F_CHUNKED ? SC_CH_SIZE : SC_DONE;
	r->chunk = 0;
}

static int scan(struct sk_http_req *r, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n && r->scan != SC_DONE && r->scan != SC_CH_DONE; i++) {
		uint8_t c = d[i];

		switch (r->scan) {
		case SC_LEAD:
			if (c == '\r' || c == '\n') {
				if (++r->lead > SK_HTTP_LEAD_MAX)
					return fail(r, 400, "empty lines instead of a request");
				break;
			}
			r->scan = SC_METHOD;
			break;
		case SC_METHOD:
			if (c == ' ')
				r->scan = SC_TARGET0;
			break;
		case SC_TARGET0:
			if (c == ' ')
				return fail(r, 400, "two spaces in the request line");
			r->scan = SC_TARGET;
			break;
		case SC_TARGET:
			if (c == ' ') {
				r->scan = SC_VERSION;
				r->scan_pos = 0;
			} else if (c == '\r' || c == '\n') {
				return fail(r, 400, "no HTTP version in the request line");
			}
			break;
		case SC_VERSION:
			/* "HTTP/1.1": http_parser checks the form, we the numbers */
			if (r->scan_pos == 5 && c >= '0' && c <= '9' && c != '1')
				return fail(r, 505, "HTTP version not supported");
			if (r->scan_pos == 7 && c >= '2' && c <= '9')
				return fail(r, 505, "HTTP version not supported");
			r->scan_pos++;
			if (c == '\r')
				r->scan = SC_CR;
			else if (c == '\n')
				r->scan = SC_LINE;
			break;
		case SC_CR:
			if (c != '\n')
				return fail(r, 400, "bare CR");
			r->scan = SC_LINE;
			break;
		case SC_LINE:
			if (sp(c))
				return fail(r, 400, "obsolete line folding");
			if (c == '\n')
				head_end(r);
			else
				r->scan = c == '\r' ? SC_END_CR : SC_NAME;
			break;
		case SC_NAME:
			if (sp(c))
				return fail(r, 400, "whitespace in a header name");
			if (c == ':')
				r->scan = SC_VALUE;
			break;
		case SC_VALUE:
			if (c == '\r')
				r->scan = SC_CR;
			else if (c == '\n')
				r->scan = SC_LINE;
			break;
		case SC_END_CR:
			if (c != '\n')
				return fail(r, 400, "bare CR");
			head_end(r);
			break;
		case SC_CH_SIZE:
		case SC_CH_EXT:
			if (c == '\r') {
				r->scan = SC_CH_SIZE_LF;
			} else if (c == '\n') {
				r->scan = r->chunk ? SC_CH_DATA : SC_CH_TRAILER;
			} else if (r->scan == SC_CH_SIZE && isxdigit(c)) {
				/* http_parser refuses an overflow; 413 comes first */
				if (r->chunk <= SK_HTTP_BODY_MAX)
					r->chunk = r->chunk * 16 + (uint64_t)(isdigit(c) ? c - '0' :
									  (c | 0x20) - 'a' + 10);
			} else {
				r->scan = SC_CH_EXT;
			}
			break;
		case SC_CH_SIZE_LF:
			if (c != '\n')
				return fail(r, 400, "bare CR in a chunk size line");
			r->scan = r->chunk ? SC_CH_DATA : SC_CH_TRAILER;
			break;
		case SC_CH_DATA: {
			size_t k = n - i < r->chunk ? n - i : (size_t)r->chunk;

			r->chunk -= k;
			i += k - 1;
			if (!r->chunk)
				r->scan = SC_CH_DATA_CR;
			break;
		}
		case SC_CH_DATA_CR:
			if (c == '\n') {
				r->scan = SC_CH_SIZE;
				break;
			}
			if (c != '\r')
				return fail(r, 400, "chunk longer than its size");
			r->scan = SC_CH_DATA_LF;
			break;
		case SC_CH_DATA_LF:
			if (c != '\n')
				return fail(r, 400, "bare CR after a chunk");
			r->scan = SC_CH_SIZE;
			break;
		case SC_CH_TRAILER:
			r->scan = c == '\n' ? SC_CH_DONE : c == '\r' ? SC_CH_END_LF : SC_CH_TRAILER_LINE;
			break;
		case SC_CH_END_LF:
			if (c != '\n')
				return fail(r, 400, "bare CR after the last chunk");
			r->scan = SC_CH_DONE;
			break;
		case SC_CH_TRAILER_LINE:
			if (c == '\n')
				r->scan = SC_CH_TRAILER;
			else if (c == '\r')
				r->scan = SC_CH_TRAILER_LF;
			break;
		case SC_CH_TRAILER_LF:
			if (c != '\n')
				return fail(r, 400, "bare CR in the trailer");
			r->scan = SC_CH_TRAILER;
			break;
		}
	}
	return 0;
}

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
	r->scan = SC_LEAD;
	r->scan_pos = r->lead = 0;
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
	/* what http_parser consumed; its own refusal comes below */
	if (scan(r, data, n))
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
