// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the worker's parsers: HTTP requests (limits, chunking,
 * pipelining, cookies, paths), the auth XML (fields, refusals of DOCTYPE,
 * entities, depth, size) and its rendering, and CSTP frame reassembly.
 * TAP output.
 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <http_parser.h>

#include "tap.h"
#include "posture.h"
#include "worker.h"

static struct tap t;

/* Feeds s in pieces of step bytes; returns the final state, *rest = unconsumed. */
static enum sk_http_state feed(struct sk_http_req *r, const char *s, size_t len, size_t step,
			       size_t *rest)
{
	enum sk_http_state st = SK_HTTP_MORE;
	size_t off = 0;

	while (off < len && st == SK_HTTP_MORE) {
		size_t n = len - off < step ? len - off : step, used;

		st = sk_http_feed(r, (const uint8_t *)s + off, n, &used);
		off += used;
		if (st == SK_HTTP_MORE && used < n)
			break;
	}
	*rest = len - off;
	return st;
}

static enum sk_http_state one(struct sk_http_req *r, const char *s, size_t step)
{
	size_t rest;

	sk_http_reset(r);
	return feed(r, s, strlen(s), step, &rest);
}

static void http(void)
{
	struct sk_http_req *r = sk_http_new();
	char *big = malloc(100000);
	char c[128];
	size_t rest;
	enum sk_http_state st;
	const char *two = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /x HTTP/1.1\r\nHost: a\r\n\r\n";

	st = one(r, "POST /auth HTTP/1.1\r\nHost: vpn\r\nContent-Length: 4\r\nCookie: a=b; webvpncontext=Zm9v_-=; webvpn=x y\r\n\r\nabcd", 1000);
	tap_ok(&t, st == SK_HTTP_DONE && r->method == HTTP_POST && !strcmp(r->url, "/auth") &&
	       r->body_len == 4 && !memcmp(r->body, "abcd", 4) && r->keep_alive,
	       "http: POST with Content-Length");
	tap_ok(&t, !sk_http_cookie(r, "webvpncontext", c, sizeof(c)) && !strcmp(c, "Zm9v_-="),
	       "http: cookie webvpncontext parsed");
	tap_ok(&t, sk_http_cookie(r, "webvpn", c, sizeof(c)) != 0,
	       "http: cookie with a forbidden character ignored");
	tap_ok(&t, sk_http_header(r, "host", 0) && !strcmp(sk_http_header(r, "HOST", 0), "vpn"),
	       "http: header lookup is case-insensitive");
	st = one(r, "POST / HTTP/1.1\r\nHost: vpn\r\nContent-Length: 4\r\n\r\nabcd", 1);
	tap_ok(&t, st == SK_HTTP_DONE && r->body_len == 4, "http: byte-by-byte feeding");
	st = one(r, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 7);
	tap_ok(&t, st == SK_HTTP_DONE && r->body_len == 5 && !memcmp(r->body, "abcde", 5),
	       "http: chunked body decoded");
	st = one(r, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 100);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 400, "http: bad chunk size -> 400");
	st = one(r, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 100);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 400, "http: other transfer coding -> 400");
	st = one(r, "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 100);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 400, "http: length and chunked together -> 400");
	st = one(r, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 100);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 400, "http: two Content-Length -> 400");
	st = one(r, "POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 100);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 413, "http: declared body > 64 KiB -> 413");
	/* a chunked body that grows past the limit */
	{
		size_t o = (size_t)sprintf(big, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");

		for (int i = 0; i < 20; i++) {
			o += sprintf(big + o, "1000\r\n");
			memset(big + o, 'a', 4096);
			o += 4096;
			o += sprintf(big + o, "\r\n");
		}
		big[o] = 0;
		st = one(r, big, 5000);
		tap_ok(&t, st == SK_HTTP_ERROR && r->status == 413, "http: chunked body > 64 KiB -> 413");
	}
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', 9000);
	strcpy(big + 9005, " HTTP/1.1\r\n\r\n");
	st = one(r, big, 4096);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 414, "http: request line > 8 KiB -> 414");
	strcpy(big, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + 23, 'b', 9000);
	strcpy(big + 9023, "\r\n\r\n");
	st = one(r, big, 4096);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 431, "http: header > 8 KiB -> 431");
	{
		size_t o = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");

		for (int i = 0; i < 65; i++)
			o += sprintf(big + o, "X-H%d: v\r\n", i);
		strcpy(big + o, "\r\n");
		st = one(r, big, 4096);
		tap_ok(&t, st == SK_HTTP_ERROR && r->status == 431, "http: 65 headers -> 431");
		o = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
		for (int i = 0; i < 63; i++)
			o += sprintf(big + o, "X-H%d: v\r\n", i);
		strcpy(big + o, "\r\n");
		st = one(r, big, 4096);
		tap_ok(&t, st == SK_HTTP_DONE && r->n_hdrs == 63, "http: 63 headers accepted");
	}
	st = one(r, "GET / HTTP/1.1\r\nX-Empty:\r\nHost: h\r\n\r\n", 100);
	tap_ok(&t, st == SK_HTTP_DONE && sk_http_header(r, "X-Empty", 0) &&
	       !sk_http_header(r, "X-Empty", 0)[0] && !strcmp(sk_http_header(r, "Host", 0), "h"),
	       "http: empty header value");
	st = one(r, "GARBAGE\r\n\r\n", 100);
	tap_ok(&t, st == SK_HTTP_ERROR && r->status == 400, "http: garbage -> 400");
	/* pipelined: the second request stays for the next round */
	sk_http_reset(r);
	st = feed(r, two, strlen(two), 1000, &rest);
	tap_ok(&t, st == SK_HTTP_DONE && r->body_len == 5 && rest == strlen("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"),
	       "http: pipelined request left unconsumed (%zu)", rest);
	sk_http_reset(r);
	st = feed(r, two + strlen(two) - rest, rest, 1000, &rest);
	tap_ok(&t, st == SK_HTTP_DONE && r->method == HTTP_GET && !strcmp(r->url, "/x"),
	       "http: second pipelined request");
	/* CONNECT: headers end the message, CSTP bytes follow */
	sk_http_reset(r);
	{
		const char *cn = "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: vpn\r\nCookie: webvpn=abc\r\n\r\nSTF\x01";

		st = feed(r, cn, strlen(cn), 1000, &rest);
		tap_ok(&t, st == SK_HTTP_DONE && r->method == HTTP_CONNECT &&
		       !strcmp(r->url, "/CSCOSSLC/tunnel") && rest == 4,
		       "http: CONNECT leaves the CSTP bytes (%zu)", rest);
	}
	st = one(r, "GET / HTTP/1.0\r\n\r\n", 100);
	tap_ok(&t, st == SK_HTTP_DONE && !r->keep_alive, "http: HTTP/1.0 closes");

	tap_ok(&t, !sk_http_path_ok("/", 1) && !sk_http_path_ok("/profile/abc-_1", 15) &&
	       !sk_http_path_ok("/CSCOSSLC/tunnel", 16), "path: plain paths accepted");
	tap_ok(&t, sk_http_path_ok("/%2e%2e/etc", 11) && sk_http_path_ok("/../etc", 7) &&
	       sk_http_path_ok("//x", 3) && sk_http_path_ok("/a\\b", 4) &&
	       sk_http_path_ok("/a\0b", 4) && sk_http_path_ok("/a?b", 4) &&
	       sk_http_path_ok("http://x/", 9) && sk_http_path_ok("", 0) &&
	       sk_http_path_ok("/a/..", 5) && sk_http_path_ok("/a/b/", 5) == 0,
	       "path: %%, .., //, backslash, NUL, query, absolute form refused");
	free(big);
	sk_http_free(r);
}

static void xml(void)
{
	struct sk_xml_auth a = { 0 };
	char err[128] = "", *big, out[16384];
	struct sk_form *f = calloc(1, sizeof(*f));
	int n;
	const char *reply =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"auth-reply\" "
		"aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3</version><device-id>linux-64</device-id>"
		"<opaque is-for=\"sg\"><tunnel-group>eng</tunnel-group></opaque><auth><username>alice</username>"
		"<password>s&amp;cr&lt;t</password></auth><group-select>eng</group-select>"
		"<host-scan-token>T</host-scan-token></config-auth>";

	tap_ok(&t, !sk_xml_parse_auth(reply, strlen(reply), &a, err, sizeof(err)) && !a.is_init &&
	       a.n_fields == 2 && !strcmp(a.names[0], "username") && !strcmp(a.values[0], "alice") &&
	       !strcmp(a.values[1], "s&cr<t") && !strcmp(a.group, "eng"),
	       "xml: auth-reply fields, entities of XML itself, group-select (%s)", err);
	{
		const char *init = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"init\" aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3</version><device-id>linux-64</device-id><capabilities><auth-method>single-sign-on-v2</auth-method></capabilities><group-access>https://127.0.0.1/</group-access></config-auth>";

		tap_ok(&t, !sk_xml_parse_auth(init, strlen(init), &a, err, sizeof(err)) && a.is_init &&
		       a.n_fields == 0 && !a.group[0] && !strcmp(a.device_id, "linux-64"),
		       "xml: init request, its device-id linux-64");
	}
	{
		/* <device-id> is a hint (the client kind, posture.h): openconnect
		 * --os=win, Cisco's with attributes; too long or with an element
		 * inside it is dropped, the document still accepted */
		char doc[512];
		static const struct {
			const char *inner, *want;
		} d[] = {
			{ "<device-id>win</device-id>", "win" },
			{ "<device-id computer-name=\"PC1\" device-type=\"VMware\" platform-version=\"10.0.22631\" "
			  "unique-id=\"ABC\">win</device-id>", "win" },
			{ "<device-id>0123456789012345678901234567890</device-id>",
			  "0123456789012345678901234567890" },
			{ "<device-id>01234567890123456789012345678901</device-id>", "" },
			{ "<device-id>w<b/>in</device-id>", "" },
			{ "", "" },
		};

		for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
			snprintf(doc, sizeof(doc), "<config-auth type=\"init\">%s<group-select>g</group-select>"
				 "</config-auth>", d[i].inner);
			tap_ok(&t, !sk_xml_parse_auth(doc, strlen(doc), &a, err, sizeof(err)) &&
			       !strcmp(a.device_id, d[i].want) && !strcmp(a.group, "g"),
			       "xml: device-id %zu -> '%s' (%s)", i, a.device_id, err);
		}
	}
	{
		/* the client kind from the User-Agent and the device-id */
		static const struct {
			const char *ua, *devid;
			unsigned int want;
		} k[] = {
			{ "Open AnyConnect VPN Agent v9.01-3", "linux-64", SK_PO_CLIENT_OTHER },
			{ "Open AnyConnect VPN Agent v9.01-3", "mac-intel", SK_PO_CLIENT_OTHER },
			{ "Open AnyConnect VPN Agent v9.12", "win", SK_PO_CLIENT_WINDOWS },
			{ "AnyConnect-compatible OpenConnect VPN Agent v9.12", "win", SK_PO_CLIENT_WINDOWS },
			{ "AnyConnect-compatible OpenConnect VPN Agent v9.12", "linux-64", SK_PO_CLIENT_OTHER },
			{ "OpenConnect-GUI v1.6.2", "win", SK_PO_CLIENT_WINDOWS },
			{ NULL, "win", SK_PO_CLIENT_WINDOWS },
			{ "AnyConnect Windows 5.1.2.42", "win", SK_PO_CLIENT_CISCO },
			{ "AnyConnect Darwin_i386 4.10.08029", "mac-intel", SK_PO_CLIENT_CISCO },
			{ "anyconnect linux_64 4.10.07061", "linux-64", SK_PO_CLIENT_CISCO },
			{ "Cisco AnyConnect VPN Agent for Apple iPhone 4.9", "apple-ios", SK_PO_CLIENT_CISCO },
			{ "Cisco Secure Client 5.1", NULL, SK_PO_CLIENT_CISCO },
			{ "Open AnyConnect VPN Agent v9.01-3", "Win", SK_PO_CLIENT_OTHER },
			{ "Open AnyConnect VPN Agent v9.01-3", "windows", SK_PO_CLIENT_OTHER },
			{ "", "", SK_PO_CLIENT_OTHER },
		};

		for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
			tap_ok(&t, sk_po_client_of(k[i].ua, k[i].devid) == k[i].want,
			       "client kind: '%s' + '%s' -> %s", k[i].ua ? k[i].ua : "(none)",
			       k[i].devid ? k[i].devid : "(none)", sk_po_client_name(k[i].want));
	}
#define REFUSED(doc, what, needle) do { \
	int rc_ = sk_xml_parse_auth(doc, strlen(doc), &a, err, sizeof(err)); \
	tap_ok(&t, rc_ && strstr(err, needle), "xml: %s refused (%s)", what, err); \
} while (0)
	REFUSED("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><config-auth type=\"init\">&a;</config-auth>",
		"DOCTYPE with entity", "DOCTYPE");
	REFUSED("<!DOCTYPE config-auth SYSTEM \"file:///etc/passwd\"><config-auth type=\"init\"/>",
		"external DOCTYPE", "DOCTYPE");
	REFUSED("<config-auth type=\"init\">&xxe;</config-auth>", "undeclared entity", "ntity");
	REFUSED("<config-auth type=\"bogus\"/>", "unknown type", "type");
	REFUSED("<other type=\"init\"/>", "other root", "root");
	REFUSED("<config-auth type=\"init\"><a>", "truncated document", "");
	big = malloc(70000);
	strcpy(big, "<config-auth type=\"init\">");
	for (int i = 0; i < 20; i++)
		strcat(big, "<a>");
	for (int i = 0; i < 20; i++)
		strcat(big, "</a>");
	strcat(big, "</config-auth>");
	REFUSED(big, "depth 21", "deep");
	strcpy(big, "<config-auth type=\"init\">");
	for (int i = 0; i < 300; i++)
		strcat(big, "<a/>");
	strcat(big, "</config-auth>");
	REFUSED(big, "300 elements", "many");
	strcpy(big, "<config-auth type=\"auth-reply\"><auth><password>");
	memset(big + strlen(big), 'x', 1025);
	strcpy(big + strlen(big) - 0, "");
	big[48 + 1025] = 0;
	strcat(big, "</password></auth></config-auth>");
	REFUSED(big, "1025-byte field", "long");
	strcpy(big, "<config-auth type=\"auth-reply\"><auth>");
	for (int i = 0; i < 17; i++)
		sprintf(big + strlen(big), "<f%d>v</f%d>", i, i);
	strcat(big, "</auth></config-auth>");
	REFUSED(big, "17 fields", "fields");
	REFUSED("<config-auth type=\"auth-reply\"><auth><password><b>x</b></password></auth></config-auth>",
		"element inside a field", "inside");
	free(big);

	/* rendering */
	snprintf(f->auth_id, sizeof(f->auth_id), "main");
	snprintf(f->message, sizeof(f->message), "ユーザ名 / <Username> & \"pw\"");
	snprintf(f->error, sizeof(f->error), "Login failed.");
	f->n_inputs = 3;
	f->inputs[0].type = SK_IN_TEXT;
	snprintf(f->inputs[0].name, 32, "username");
	snprintf(f->inputs[0].label, 128, "Username:");
	f->inputs[1].type = SK_IN_PASSWORD;
	snprintf(f->inputs[1].name, 32, "password");
	snprintf(f->inputs[1].label, 128, "Password:");
	f->inputs[2].type = SK_IN_SELECT;
	snprintf(f->inputs[2].name, 32, "group_list");
	snprintf(f->inputs[2].label, 128, "Group:");
	snprintf(f->inputs[2].value, 128, "sales");
	f->inputs[2].n_options = 2;
	snprintf(f->inputs[2].options[0].value, 65, "eng");
	snprintf(f->inputs[2].options[0].label, 65, "Engineering <R&D>");
	snprintf(f->inputs[2].options[1].value, 65, "sales");
	snprintf(f->inputs[2].options[1].label, 65, "Sales");
	n = sk_xml_render_form(f, "e\"ng", "/eng", out, sizeof(out));
	tap_ok(&t, n > 0 && strstr(out, "<auth id=\"main\">") &&
	       strstr(out, "<opaque is-for=\"sg\"><tunnel-group>e&quot;ng</tunnel-group></opaque>") &&
	       strstr(out, "ユーザ名 / &lt;Username&gt; &amp; &quot;pw&quot;") &&
	       strstr(out, "<error>Login failed.</error>") &&
	       strstr(out, "<form method=\"post\" action=\"/eng\">") &&
	       strstr(out, "<input type=\"password\" name=\"password\" label=\"Password:\" />") &&
	       strstr(out, "<option value=\"sales\" selected=\"true\">Sales</option>") &&
	       strstr(out, "Engineering &lt;R&amp;D&gt;"),
	       "xml: form rendered and escaped");
	{
		/* what we render must be well-formed XML (the client parses it with libxml2) */
		XML_Parser xp = XML_ParserCreate("UTF-8");

		tap_ok(&t, XML_Parse(xp, out, n, XML_TRUE) == XML_STATUS_OK,
		       "xml: rendered form is well-formed");
		XML_ParserFree(xp);
	}
	{
		/*
		 * A label cut inside a character (a text that did not fit a
		 * fixed buffer: the fuzzer's crash of session 16) and stray
		 * bytes: only whole characters are written, so the document
		 * stays well-formed UTF-8.
		 */
		XML_Parser xp = XML_ParserCreate("UTF-8");

		snprintf(f->inputs[0].label, 128, "ab\xe6\x97\xa5\xe6\x97");
		snprintf(f->inputs[1].label, 128, "x\xffy\xc5z\xc5\xa3");
		n = sk_xml_render_form(f, "", "/", out, sizeof(out));
		tap_ok(&t, n > 0 && strstr(out, "label=\"ab\xe6\x97\xa5\"") &&
		       strstr(out, "label=\"xyz\xc5\xa3\"") && XML_Parse(xp, out, n, XML_TRUE) == XML_STATUS_OK,
		       "xml: a character cut in two and invalid bytes are left out, the form is well-formed");
		XML_ParserFree(xp);
	}
	f->n_inputs = 0;
	n = sk_xml_render_form(f, "", "/", out, sizeof(out));
	tap_ok(&t, n > 0 && !strstr(out, "<form") && strstr(out, "<error>") && !strstr(out, "<opaque"),
	       "xml: fatal has an error and no form");
	n = sk_xml_render_success(f, "eng", "c00kie", out, sizeof(out));
	tap_ok(&t, n > 0 && strstr(out, "type=\"complete\"") && strstr(out, "<auth id=\"success\">") &&
	       strstr(out, "<session-token>c00kie</session-token>"), "xml: success document");
	tap_ok(&t, sk_xml_render_form(f, "", "/", out, 100) < 0, "xml: small buffer refused");
	free(f);
}

static void cstp(void)
{
	struct sk_cstp_rx *rx = calloc(1, sizeof(*rx));
	uint8_t fr[64], pl[SK_CSTP_PAYLOAD_MAX], stream[256], type = 0xff;
	size_t plen = 0, sl = 0;
	int n, got = 0;

	n = sk_cstp_build(SK_CSTP_DPD_REQ, "ab", 2, fr, sizeof(fr));
	tap_ok(&t, n == 10 && !memcmp(fr, "STF\x01\x00\x02\x03\x00" "ab", 10), "cstp: build DPD-REQ");
	tap_ok(&t, sk_cstp_build(0, pl, SK_CSTP_PAYLOAD_MAX + 1, stream, sizeof(stream)) < 0,
	       "cstp: oversized payload refused");
	/* three frames in one stream, fed one byte at a time */
	sl += sk_cstp_build(SK_CSTP_KEEPALIVE, NULL, 0, stream + sl, sizeof(stream) - sl);
	sl += sk_cstp_build(SK_CSTP_DATA, "0123456789", 10, stream + sl, sizeof(stream) - sl);
	sl += sk_cstp_build(SK_CSTP_DISCONNECT, "\xb0" "bye", 4, stream + sl, sizeof(stream) - sl);
	for (size_t i = 0; i < sl; i++) {
		sk_cstp_feed(rx, stream + i, 1);
		while (sk_cstp_pop(rx, &type, pl, sizeof(pl), &plen) == 1) {
			got++;
			if (got == 2 && (type != 0 || plen != 10 || memcmp(pl, "0123456789", 10)))
				got = -100;
		}
	}
	tap_ok(&t, got == 3 && type == SK_CSTP_DISCONNECT && plen == 4 && pl[0] == 0xb0,
	       "cstp: reassembly byte by byte (%d frames)", got);
	memset(rx, 0, sizeof(*rx));
	sk_cstp_feed(rx, (const uint8_t *)"STX", 3);
	tap_ok(&t, sk_cstp_pop(rx, &type, pl, sizeof(pl), &plen) == -1, "cstp: bad magic detected early");
	memset(rx, 0, sizeof(*rx));
	sk_cstp_feed(rx, (const uint8_t *)"STF\x01\x00\x00\x07\x01", 8);
	tap_ok(&t, sk_cstp_pop(rx, &type, pl, sizeof(pl), &plen) == -1, "cstp: byte 7 != 0 refused");
	memset(rx, 0, sizeof(*rx));
	sk_cstp_feed(rx, (const uint8_t *)"STF\x01\xff\xff\x00\x00", 8);
	tap_ok(&t, sk_cstp_pop(rx, &type, pl, sizeof(pl), &plen) == -1, "cstp: length > 16 KiB refused");
	free(rx);
}

int main(void)
{
	tap_begin();
	http();
	xml();
	cstp();
	return tap_end(&t);
}
