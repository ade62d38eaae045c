// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod's per-connection worker (see worker.h and
 * Documentation/admin/sekishod-security.md).  One process per client TCP
 * connection: it drops its privileges, does the TLS handshake, serves the
 * fixed HTTP routes, turns XML into SK_IPC_AUTH and answers back into XML,
 * and after CONNECT speaks CSTP and runs the DTLS handshakes.  It decides
 * nothing itself: the main process answers every question over ipc_fd.
 *
 * Every hostile or malformed input ends in an HTTP error (or CSTP_END
 * ERROR) and the exit of this worker only.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <http_parser.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>

#include "hostscan.h"
#include "worker.h"
#include "skfd.h"

#define RBUF 16384
#define OUTBUF (96 * 1024)
/* packets taken from the CSTP relay per wakeup: enough to fill a TCP
 * window quickly, few enough that the client's frames and main's messages
 * are not kept waiting behind a flood */
#define STREAM_BURST 64

struct worker {
	const struct sk_worker_cfg *cfg;
	int ipc, cfd;
	SSL *ssl;
	SSL_CTX *dctx;
	struct sockaddr_storage peer;
	bool peer_v6;
	/* bytes read from TLS not yet consumed */
	uint8_t rbuf[RBUF];
	size_t rlen;
	struct sk_http_req *req;
	/* IPC message buffer (one message at a time) */
	uint8_t msg[SK_IPC_MAX];
	int msg_fd;
	char out[OUTBUF];
	/* tunnel */
	struct sk_ipc_connect conn;
	unsigned int dpd, mtu, base_mtu;
	/* the CSTP relay (main's CONNECT_REPLY fd): an AF_UNIX SOCK_SEQPACKET
	 * socket whose other end is in the kernel peer, one IP packet per
	 * message; -1 = none (old module): DATA is dropped */
	int stream;
	uint64_t data_dropped;
	/* the records and secrets of the TLS connection (lib/sktls.h), for
	 * handing it to the kernel after the CONNECT; handed: from the KTLS
	 * message on, OpenSSL neither reads nor writes the socket (no
	 * close_notify at the end either), cfd is closed once main has it */
	struct sk_ktls_track kt;
	bool handed;
	bool dtls_offer;		/* the CONNECT reply offered DTLS (SK_CONNECT_DTLS) */
	/* the DTLS handshake in progress (dtls.c), run step by step from the
	 * CSTP loop so that the tunnel keeps carrying while it waits */
	struct sk_dtls *dtls;
	int64_t dtls_due;		/* its next step without input (ms) */
	/* DTLS_READY said done: the kernel carries the whole session, leave
	 * once this handshake has ended */
	bool dtls_done;
	short dtls_events;
	struct dtls_cb {
		struct worker *w;
		int fd;
		int ipc_type;		/* a KILL that arrived while we waited */
		bool keys_taken;	/* main has the keys: no DTLS_FAIL after */
	} dcb;
	/*
	 * A DTLS_START that must wait: one that comes while the worker waits
	 * for DTLS_READY (the handshake's last flight waits with it), or for
	 * KTLS_READY (ktls_handoff).  Its ClientHello and socket are kept and
	 * its handshake begins once the wait is over.  Taking it for the end
	 * of the wait, as before, dropped it, and the DTLS_READY that
	 * followed then ended the worker: on kernel TLS a session whose DTLS
	 * never came and that had no worker left (issue 16).
	 */
	uint8_t hello[sizeof(struct sk_ipc_dtls_start) + SK_DTLS_HELLO_MAX];
	size_t hello_len;		/* 0: none kept */
	int hello_fd;
	bool kready;			/* KTLS_READY read, kept in kr */
	struct sk_ipc_ktls_ready kr;
};

static unsigned int ms_or(unsigned int v, unsigned int def)
{
	return v ? v : def;
}

/* ---- IPC ---- */

static int ipc_send(struct worker *w, void *m, size_t len, uint16_t type, int fd)
{
	struct sk_ipc_hdr *h = m;
	ssize_t n;

	h->magic = SK_IPC_MAGIC;
	h->type = type;
	h->reserved = 0;
	h->len = (uint32_t)len;
	n = sk_send_fd(w->ipc, m, len, fd, 0);
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * Receives one message into w->msg (fd, if any, into w->msg_fd).  Returns
 * its type, 0 on EOF, -1 on a malformed message.
 */
static int ipc_recv(struct worker *w)
{
	struct iovec iov = { .iov_base = w->msg, .iov_len = sizeof(w->msg) };
	union { struct cmsghdr c; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	struct sk_ipc_hdr *h = (struct sk_ipc_hdr *)w->msg;
	ssize_t n;

	if (w->msg_fd >= 0)
		close(w->msg_fd);
	w->msg_fd = -1;
	do
		n = recvmsg(w->ipc, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&w->msg_fd, CMSG_DATA(c), sizeof(int));
	if ((size_t)n < sizeof(*h) || h->magic != SK_IPC_MAGIC || h->len != (size_t)n ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -1;
	return h->type;
}

/* Waits for a message from main for at most ms. */
static int ipc_wait_ms(struct worker *w, unsigned int ms)
{
	struct pollfd p = { .fd = w->ipc, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, (int)ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	return ipc_recv(w);
}

static int ipc_wait(struct worker *w)
{
	return ipc_wait_ms(w, ms_or(w->cfg->ipc_timeout_ms, 60000));
}

static void cstp_end(struct worker *w, uint32_t reason, const char *fmt, ...)
{
	struct sk_ipc_cstp_end m = { .reason = reason };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	ipc_send(w, &m, sizeof(m), SK_IPC_CSTP_END, -1);
}

/* ---- TLS I/O with deadlines (the socket is non-blocking) ---- */

/*
 * Waits for the TLS socket per SSL error e; -1 on timeout/error.  With
 * watch_ipc, a message (or EOF) from main interrupts the wait: -3.
 */
static int tls_wait_ipc(struct worker *w, int e, int64_t deadline, bool watch_ipc)
{
	struct pollfd p[2] = { { .fd = w->cfd, .events = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN },
			       { .fd = w->ipc, .events = POLLIN } };
	int64_t left = deadline - sk_worker_mono_ms();
	int r;

	if (left <= 0)
		return -1;
	do
		r = poll(p, watch_ipc ? 2 : 1, (int)left);
	while (r < 0 && errno == EINTR);
	if (r > 0 && watch_ipc && p[1].revents)
		return -3;
	return r > 0 ? 0 : -1;
}

static int tls_wait(struct worker *w, int e, int64_t deadline)
{
	return tls_wait_ipc(w, e, deadline, false);
}

/* Writes everything (one SSL_write = one record while len <= 16 KiB). */
static int tls_write(struct worker *w, const void *buf, size_t len)
{
	int64_t deadline = sk_worker_mono_ms() + 30000;
	size_t off = 0;

	while (off < len) {
		size_t chunk = len - off > 16384 ? 16384 : len - off;
		int n = SSL_write(w->ssl, (const uint8_t *)buf + off, (int)chunk), e;

		if (n > 0) {
			off += n;
			continue;
		}
		e = SSL_get_error(w->ssl, n);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    tls_wait(w, e, deadline))
			return -1;
	}
	return 0;
}

/*
 * Reads what is available into rbuf, waiting until deadline.
 * Returns >0 bytes, 0 on EOF, -1 on error, -2 on timeout, -3 when main
 * has something to say (watch_ipc only).
 */
static int tls_read_ipc(struct worker *w, int64_t deadline, bool watch_ipc)
{
	for (;;) {
		int n, e, r;

		if (w->rlen >= sizeof(w->rbuf))
			return -1;
		n = SSL_read(w->ssl, w->rbuf + w->rlen, (int)(sizeof(w->rbuf) - w->rlen));
		if (n > 0) {
			w->rlen += n;
			return n;
		}
		e = SSL_get_error(w->ssl, n);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if ((e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) ||
		    (e == SSL_ERROR_SSL &&
		     ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
			ERR_clear_error();
			return 0;	/* TCP EOF without close_notify */
		}
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -1;
		r = tls_wait_ipc(w, e, deadline, watch_ipc);
		if (r)
			return r == -3 ? -3 : -2;
	}
}

static int tls_read(struct worker *w, int64_t deadline)
{
	return tls_read_ipc(w, deadline, false);
}

static void consume(struct worker *w, size_t n)
{
	memmove(w->rbuf, w->rbuf + n, w->rlen - n);
	w->rlen -= n;
}

/* ---- HTTP responses ---- */

static const char *reason_of(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 403: return "Forbidden";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Copies s keeping only printable ASCII without quotes: safe in a header line. */
static void header_safe(char *out, size_t outlen, const char *s, size_t slen)
{
	size_t o = 0;

	for (size_t i = 0; i < slen && s[i] && o + 1 < outlen; i++)
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"')
			out[o++] = s[i];
	out[o] = 0;
}

/*
 * One response.  extra: more header lines, each ending in "\r\n".  close:
 * send "Connection: close" (the caller then ends the worker).
 */
static int respond(struct worker *w, int status, const char *ctype, const char *extra,
		   const void *body, size_t blen, bool close_conn)
{
	int n = snprintf(w->out, sizeof(w->out),
			 "HTTP/1.1 %d %s\r\nServer: sekisho\r\nX-Transcend-Version: 1\r\n"
			 "%s%s%sContent-Length: %zu\r\nConnection: %s\r\n%s\r\n",
			 status, reason_of(status), ctype ? "Content-Type: " : "",
			 ctype ? ctype : "", ctype ? "\r\n" : "", blen,
			 close_conn ? "close" : "Keep-Alive", extra ? extra : "");
	int rc;

	if (n < 0 || (size_t)n >= sizeof(w->out) || blen > sizeof(w->out) - n)
		return -1;
	if (blen)
		memcpy(w->out + n, body, blen);
	rc = tls_write(w, w->out, n + blen);
	/* bodies can be secret (a profile package holds a private key) */
	OPENSSL_cleanse(w->out, n + blen);
	return rc;
}

/* What a refusal tells the person behind the client: which check failed
 * and what to do, Japanese and English (the style of auth/messages.c). */
static const char *refusal_text(int status)
{
	switch (status) {
	case 408:
		return "リクエストが時間内に届きませんでした。接続し直してください。 / "
		       "The request did not arrive in time. Connect again.\n";
	case 413:
		return "リクエストの本文が大きすぎます (上限 64 KiB)。AnyConnect 互換のクライアントで接続してください。 / "
		       "The request body is too large (limit 64 KiB). Connect with an AnyConnect-compatible client.\n";
	case 414:
		return "URL が長すぎます (上限 8 KiB)。AnyConnect 互換のクライアントで接続してください。 / "
		       "The URL is too long (limit 8 KiB). Connect with an AnyConnect-compatible client.\n";
	case 431:
		return "リクエストヘッダーが大きすぎるか多すぎます (1 行 8 KiB、64 行、合計 32 KiB まで)。AnyConnect 互換のクライアントで接続してください。 / "
		       "The request headers are too large or too many (8 KiB each, 64 lines, 32 KiB in all). Connect with an AnyConnect-compatible client.\n";
	case 505:
		return "HTTP/1.0 と HTTP/1.1 以外には対応していません。AnyConnect 互換のクライアントで接続してください。 / "
		       "Only HTTP/1.0 and HTTP/1.1 are supported. Connect with an AnyConnect-compatible client.\n";
	default:
		return "リクエストの形式が HTTP/1.1 の規則に合わないため処理できません。AnyConnect 互換のクライアントで接続してください。 / "
		       "The request breaks the HTTP/1.1 rules and was refused. Connect with an AnyConnect-compatible client.\n";
	}
}

/* the parser's reason (a fixed English phrase) names the check that failed */
static int refuse(struct worker *w, int status)
{
	char msg[1024];
	const char *why = w->req && w->req->status == status ? w->req->why : NULL;
	int n = snprintf(msg, sizeof(msg), "%s%s%s%s", refusal_text(status),
			 why ? "検査 / check: " : "", why ? why : "", why ? "\n" : "");

	if (n < 0 || (size_t)n >= sizeof(msg))
		n = snprintf(msg, sizeof(msg), "%s", refusal_text(status));
	respond(w, status, "text/plain; charset=utf-8", NULL, msg, (size_t)n, true);
	return -1;
}

/* ---- auth ---- */

static void lang_of(const struct sk_http_req *r, char *out, size_t outlen)
{
	const char *al = sk_http_header(r, "Accept-Language", 0);

	out[0] = 0;
	if (!al)
		return;
	while (*al == ' ')
		al++;
	if (!strncasecmp(al, "ja", 2))
		snprintf(out, outlen, "ja");
	else if (!strncasecmp(al, "en", 2))
		snprintf(out, outlen, "en");
}

static int do_auth(struct worker *w, const char *group_path)
{
	struct sk_http_req *r = w->req;
	struct sk_xml_auth *x = calloc(1, sizeof(*x));
	struct sk_ipc_auth *a = (struct sk_ipc_auth *)w->msg;
	struct sk_ipc_auth_reply *rep;
	const struct sk_form *f;
	X509 *cert;
	size_t pos = sizeof(*a);
	char err[128], cookies[512], action[80];
	int type, n, rc = -1;

	if (!x)
		return -1;
	if (sk_xml_parse_auth((const char *)r->body, r->body_len, x, err, sizeof(err))) {
		refuse(w, 400);
		goto out;
	}
	memset(a, 0, sizeof(*a));
	sk_http_cookie(r, "webvpncontext", a->context, sizeof(a->context));
	if (sk_http_cookie(r, "sdesktop", a->sdesktop, sizeof(a->sdesktop)))
		a->sdesktop[0] = 0;
	snprintf(a->group, sizeof(a->group), "%s", x->group);
	snprintf(a->group_path, sizeof(a->group_path), "%s", group_path);
	lang_of(r, a->lang, sizeof(a->lang));
	a->is_init = x->is_init;
	a->client = (uint8_t)sk_po_client_of(sk_http_header(r, "User-Agent", 0), x->device_id);
	cert = SSL_get0_peer_certificate(w->ssl);
	if (cert) {
		unsigned char *p = w->msg + pos;
		int dl = i2d_X509(cert, NULL);

		if (dl > 0 && (size_t)dl <= SK_IPC_MAX / 2) {
			i2d_X509(cert, &p);
			a->cert_len = dl;
			pos += dl;
		}
	}
	for (int i = 0; i < x->n_fields; i++) {
		size_t nl = strlen(x->names[i]) + 1, vl = strlen(x->values[i]) + 1;

		if (nl + vl > sizeof(w->msg) - pos)
			break;
		memcpy(w->msg + pos, x->names[i], nl);
		memcpy(w->msg + pos + nl, x->values[i], vl);
		pos += nl + vl;
		a->n_fields++;
	}
	type = ipc_send(w, a, pos, SK_IPC_AUTH, -1);
	OPENSSL_cleanse(w->msg, pos);	/* passwords */
	if (type)
		goto out;
	/* at nine o'clock the round may queue behind other passwords */
	type = ipc_wait_ms(w, ms_or(w->cfg->auth_timeout_ms, 300000));
	if (type == SK_IPC_KILL || type <= 0)
		goto out;
	rep = (struct sk_ipc_auth_reply *)w->msg;
	if (type != SK_IPC_AUTH_REPLY || rep->h.len != sizeof(*rep) + sizeof(struct sk_form))
		goto out;
	f = (const struct sk_form *)(w->msg + sizeof(*rep));
	rep->context[sizeof(rep->context) - 1] = 0;
	rep->cookie[sizeof(rep->cookie) - 1] = 0;
	cookies[0] = 0;
	if (rep->context[0]) {
		char v[sizeof(rep->context)];

		header_safe(v, sizeof(v), rep->context, sizeof(v));
		snprintf(cookies, sizeof(cookies), "Set-Cookie: webvpncontext=%s; Secure; HttpOnly\r\n", v);
	}
	snprintf(action, sizeof(action), "/%s", group_path);
	/* the group to echo in <opaque>: the client's choice, else the URL's */
	if (!x->group[0])
		snprintf(x->group, sizeof(x->group), "%s", group_path);
	if (rep->status == SK_AUTH_SUCCESS) {
		char v[sizeof(rep->cookie)];
		size_t l = strlen(cookies);

		header_safe(v, sizeof(v), rep->cookie, sizeof(v));
		snprintf(cookies + l, sizeof(cookies) - l, "Set-Cookie: webvpn=%s; Secure; HttpOnly\r\n", v);
		n = sk_xml_render_success(f, x->group, v, w->out, sizeof(w->out));
	} else if (rep->status == SK_AUTH_FORM && rep->hs_token[0]) {
		char tk[sizeof(rep->hs_ticket)], tok[sizeof(rep->hs_token)];

		header_safe(tk, sizeof(tk), rep->hs_ticket, sizeof(tk));
		header_safe(tok, sizeof(tok), rep->hs_token, sizeof(tok));
		n = sk_xml_render_hostscan(f, x->group, tk, tok, w->out, sizeof(w->out));
	} else if (rep->status == SK_AUTH_FORM || rep->status == SK_AUTH_FATAL) {
		struct sk_form *ff = (struct sk_form *)f;

		if (rep->status == SK_AUTH_FATAL)
			ff->n_inputs = 0;	/* fatal = error and no inputs (§2.7) */
		if (rep->status == SK_AUTH_FATAL && !ff->error[0])
			snprintf(ff->error, sizeof(ff->error), "認証に失敗しました / Authentication failed");
		n = sk_xml_render_form(f, x->group, action, w->out, sizeof(w->out));
	} else {
		goto out;
	}
	if (n < 0)
		goto out;
	/* render into the tail of msg so w->out can hold the response */
	if ((size_t)n >= sizeof(w->msg))
		goto out;
	memcpy(w->msg, w->out, n);
	rc = respond(w, 200, "text/xml", cookies, w->msg, n, !r->keep_alive);
	OPENSSL_cleanse(w->msg, n);
	if (rc == 0 && !r->keep_alive)
		rc = 1;
out:
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
	return rc;
}

/* ---- CONNECT ---- */

static bool has_token(const char *list, const char *tok)
{
	size_t tl = strlen(tok);

	for (const char *s = list; s && *s;) {
		const char *e = strchr(s, ':');
		size_t l = e ? (size_t)(e - s) : strlen(s);

		if (l == tl && !strncmp(s, tok, tl))
			return true;
		s = e ? e + 1 : NULL;
	}
	return false;
}

static void parse_connect(struct worker *w, struct sk_ipc_connect *c)
{
	const struct sk_http_req *r = w->req;
	const char *v;

	memset(c, 0, sizeof(*c));
	sk_http_cookie(r, "webvpn", c->cookie, sizeof(c->cookie));
	v = sk_http_header(r, "X-CSTP-Hostname", 0);
	if (v) {
		size_t o = 0;

		/* a host name: keep [A-Za-z0-9.-] only */
		for (; *v && o + 1 < sizeof(c->hostname); v++)
			if (isalnum((unsigned char)*v) || *v == '.' || *v == '-')
				c->hostname[o++] = *v;
	}
	for (int k = 0; (v = sk_http_header(r, "X-CSTP-Address", k)) && k < 4; k++) {
		if (!c->has_want4 && inet_pton(AF_INET, v, &c->want4) == 1)
			c->has_want4 = 1;
		else if (!c->has_want6 && inet_pton(AF_INET6, v, &c->want6) == 1)
			c->has_want6 = 1;
	}
	v = sk_http_header(r, "X-CSTP-Address-Type", 0);
	c->ipv6 = v && strstr(v, "IPv6") != NULL;
	v = sk_http_header(r, "X-DTLS-CipherSuite", 0);
	c->psk_negotiate = has_token(v, "PSK-NEGOTIATE");
	v = sk_http_header(r, "X-CSTP-Base-MTU", 0);
	if (v) {
		char *end;
		unsigned long m = strtoul(v, &end, 10);

		if (!*end && end != v && m >= 576 && m <= 65535)
			c->base_mtu = (uint32_t)m;
	}
	c->peer_v6 = w->peer_v6;
}

/* The value of "Name: value\r\n" in main's header block, 0 if absent. */
static unsigned long header_num(const char *hdrs, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl + 2 < len; ) {
		const char *line = hdrs + i;
		const char *eol = memchr(line, '\n', len - i);

		if (!strncmp(line, name, nl) && line[nl] == ':')
			return strtoul(line + nl + 1, NULL, 10);
		if (!eol)
			break;
		i = eol - hdrs + 1;
	}
	return 0;
}

static int cstp_loop(struct worker *w);
static int dtls_run(struct worker *w);
static void hello_keep(struct worker *w);
static int hello_take(struct worker *w);
static void stream_close(struct worker *w);

/* KTLS_READY in w->msg, kept in w->kr; -1 if malformed */
static int kready_take(struct worker *w)
{
	if (((struct sk_ipc_hdr *)w->msg)->len != sizeof(w->kr))
		return -1;
	memcpy(&w->kr, w->msg, sizeof(w->kr));
	w->kready = true;
	return 0;
}

/*
 * The CONNECT reply is out: the TLS connection goes to the kernel
 * (ipc.h: KTLS), or main hears why not (KTLS_SKIP) and the relay goes on.
 * Nothing more is read from the client before main answers: the client's
 * first CSTP frames wait in the socket for kernel TLS to read them.
 * Returns -1 when the connection is lost (the worker ends), 1 when the
 * kernel has the connection and main has nothing more for this worker
 * (it exits), else 0 (the CSTP loop: relay, or DTLS and KILL).
 */
static int ktls_handoff(struct worker *w)
{
	struct sk_ipc_ktls m = { 0 };
	struct sk_ipc_ktls_ready *r;
	const char *why;
	int t, rc;

	/* CSTP bytes already read with the CONNECT would be lost */
	why = w->rlen ? "pending" : sk_ktls_export(w->ssl, &w->kt, &m.keys);
	/* DTLS offered: main keeps the PSK, for the DTLS handshakes that
	 * come after this worker has left (ipc.h, DTLS_RESUME) */
	if (!why && w->dtls_offer) {
		m.has_psk = 1;
		if (sk_dtls_psk(w->ssl, m.dtls_psk))
			why = "kdf";
	}
	if (why)
		OPENSSL_cleanse(&m, sizeof(m));
	if (why) {
		struct sk_ipc_ktls_skip sk = { 0 };

		snprintf(sk.reason, sizeof(sk.reason), "%s", why);
		return ipc_send(w, &sk, sizeof(sk), SK_IPC_KTLS_SKIP, -1);
	}
	w->handed = true;
	w->kready = false;
	rc = ipc_send(w, &m, sizeof(m), SK_IPC_KTLS, w->cfd);
	OPENSSL_cleanse(&m, sizeof(m));
	if (rc)
		return -1;
	/*
	 * The client may start DTLS at once: its first datagram can reach
	 * main before our KTLS does.  Its DTLS_START is kept, not begun,
	 * until KTLS_READY: main answers our KTLS before the DTLS_KEYS a
	 * handshake would send, so a handshake whose keys came in this wait
	 * (a slow worker: the client's second flight is there before the
	 * first step ends) met KTLS_READY where it waited for DTLS_READY,
	 * failed, and the DTLS_READY that followed ended the worker; on
	 * kernel TLS a session without DTLS and without a worker (issue 16).
	 */
	while (!w->kready) {
		t = ipc_wait(w);
		if (t == SK_IPC_KTLS_READY) {
			if (kready_take(w))
				return -1;
		} else if (t == SK_IPC_DTLS_START) {
			hello_keep(w);
		} else {
			return -1;	/* KILL, EOF, garbage */
		}
	}
	r = &w->kr;
	if (r->status && r->lost)
		return -1;
	if (r->status) {
		w->handed = false;	/* the socket is as it was: relay */
	} else {
		/* the kernel has it: no reads, no writes, no DPD of ours */
		stream_close(w);
		close(w->cfd);
		w->cfd = -1;
		/* no DTLS to come (the client asked for none): nothing left */
		if (r->done)
			return 1;
	}
	/* the ClientHello kept meanwhile: its handshake now */
	if (w->hello_len && hello_take(w) == 0 && dtls_run(w) != SK_IPC_DTLS_START)
		return -1;	/* KILL or EOF while its keys waited */
	return 0;
}

static int do_connect(struct worker *w)
{
	struct sk_ipc_connect_reply *rep;
	const char *hdrs;
	uint32_t flags;
	int type, n;

	parse_connect(w, &w->conn);
	if (ipc_send(w, &w->conn, sizeof(w->conn), SK_IPC_CONNECT, -1))
		return -1;
	type = ipc_wait(w);
	if (type != SK_IPC_CONNECT_REPLY)
		return -1;
	rep = (struct sk_ipc_connect_reply *)w->msg;
	if (rep->h.len < sizeof(*rep) || rep->headers_len != rep->h.len - sizeof(*rep))
		return -1;
	hdrs = (const char *)w->msg + sizeof(*rep);
	rep->reason[sizeof(rep->reason) - 1] = 0;
	if (rep->status == 401) {
		respond(w, 401, NULL, NULL, NULL, 0, true);
		return 1;
	}
	if (rep->status != 200) {
		char extra[160], why[128];

		header_safe(why, sizeof(why), rep->reason, sizeof(why));
		snprintf(extra, sizeof(extra), "X-Reason: %s\r\n", why);
		respond(w, 503, NULL, extra, NULL, 0, true);
		return 1;
	}
	/* the CSTP relay comes with the 200 answer (see ipc.h) */
	w->stream = w->msg_fd;
	w->msg_fd = -1;
	flags = rep->flags;
	w->dtls_offer = (flags & SK_CONNECT_DTLS) != 0;
	w->dpd = rep->dpd ? rep->dpd : ms_or(w->cfg->dpd, 30);
	w->mtu = rep->mtu;
	w->base_mtu = header_num(hdrs, rep->headers_len, "X-CSTP-Base-MTU");
	if (!w->base_mtu)
		w->base_mtu = w->conn.base_mtu ? w->conn.base_mtu : 1406;
	n = snprintf(w->out, sizeof(w->out), "HTTP/1.1 200 CONNECTED\r\n");
	if (rep->headers_len > sizeof(w->out) - n - 3)
		return -1;
	memcpy(w->out + n, hdrs, rep->headers_len);
	n += rep->headers_len;
	memcpy(w->out + n, "\r\n", 2);
	if (tls_write(w, w->out, n + 2))
		return -1;
	if ((flags & SK_CONNECT_KTLS) && w->stream >= 0 && (n = ktls_handoff(w)))
		return n < 0 ? -1 : 0;
	return cstp_loop(w);
}

/* ---- CSTP ---- */

static int cstp_send(struct worker *w, uint8_t type, const void *p, size_t len)
{
	uint8_t f[SK_CSTP_HDR_LEN + SK_CSTP_PAYLOAD_MAX];
	int n = sk_cstp_build(type, p, len, f, sizeof(f));

	/* one frame, one SSL_write, one TLS record (§5) */
	return n < 0 ? -1 : tls_write(w, f, n);
}

/* The data MTU the client computes after the DTLS handshake (§4.5). */
static uint32_t dtls_mtu(const struct worker *w, uint32_t cipher)
{
	unsigned int ovh = (w->peer_v6 ? 40 : 20) + 8 + (cipher == SK_CIPHER_CHACHA20_POLY1305 ? 29 : 37) + 1;
	unsigned int m = w->base_mtu > ovh ? w->base_mtu - ovh : 0;

	if (w->mtu && w->mtu < m)
		m = w->mtu;
	return m;
}

static void dtls_fail(struct worker *w, const char *why)
{
	struct sk_ipc_dtls_fail f = { 0 };

	snprintf(f.reason, sizeof(f.reason), "%s", why);
	ipc_send(w, &f, sizeof(f), SK_IPC_DTLS_FAIL, -1);
}

/*
 * A DTLS_START (in w->msg) that came while we wait for DTLS_READY: kept,
 * with its socket, and started when the wait is over (dtls_run).  Only
 * the newest is kept; one it replaces is failed, as do_dtls fails a
 * handshake a newer ClientHello replaces, so that main's count of
 * handshakes in progress stays right.
 */
static void hello_keep(struct worker *w)
{
	uint32_t len = ((struct sk_ipc_hdr *)w->msg)->len;

	if (w->hello_len) {
		dtls_fail(w, "replaced by a newer ClientHello");
		close(w->hello_fd);
		w->hello_len = 0;
		w->hello_fd = -1;
	}
	if (len > sizeof(w->hello) || w->msg_fd < 0) {
		dtls_fail(w, "bad DTLS_START");
		return;
	}
	memcpy(w->hello, w->msg, len);
	w->hello_len = len;
	w->hello_fd = w->msg_fd;
	w->msg_fd = -1;
}

/*
 * The keys go to main with the socket; main programs the kernel and answers
 * DTLS_READY.  Only then does dtls.c let our final flight go (see there).
 */
static int dtls_keys_cb(void *arg, struct sk_ipc_dtls_keys *k)
{
	struct dtls_cb *c = arg;
	struct worker *w = c->w;

	k->mtu = dtls_mtu(w, k->cipher);
	if (ipc_send(w, k, sizeof(*k), SK_IPC_DTLS_KEYS, c->fd))
		return -1;
	for (;;) {
		int t = ipc_wait(w);
		const struct sk_ipc_dtls_ready *r = (const struct sk_ipc_dtls_ready *)w->msg;

		if (t == SK_IPC_DTLS_READY) {
			if (r->h.len != sizeof(*r) || r->status)
				return -1;
			w->dtls_done = r->done != 0;
			c->keys_taken = true;
			return 0;
		}
		/* kept for after the wait (see struct worker) */
		if (t == SK_IPC_DTLS_START) {
			hello_keep(w);
			continue;
		}
		c->ipc_type = t;	/* KILL, EOF or garbage: the loop handles it */
		return -1;
	}
}

/* ends the handshake in progress; a failed one is reported to main */
static void dtls_end(struct worker *w, const char *fail)
{
	if (!w->dtls)
		return;
	if (fail && w->dcb.ipc_type == SK_IPC_DTLS_START && !w->dcb.keys_taken)
		dtls_fail(w, fail);
	close(w->dcb.fd);
	sk_dtls_free(w->dtls);
	w->dtls = NULL;
}

static int dtls_begin(struct worker *w);

/* the DTLS_START kept (hello_keep) into w->msg, and begun: dtls_begin */
static int hello_take(struct worker *w)
{
	memcpy(w->msg, w->hello, w->hello_len);
	if (w->msg_fd >= 0)
		close(w->msg_fd);
	w->msg_fd = w->hello_fd;
	w->hello_len = 0;
	w->hello_fd = -1;
	return dtls_begin(w);
}

/*
 * One step of the handshake in progress.  Returns SK_IPC_DTLS_START, or the
 * type of another message main sent while we waited for DTLS_READY (now in
 * w->msg), or -1/0 on an IPC error/EOF.
 */
static int dtls_run(struct worker *w)
{
	for (;;) {
		int wait, ev, r = sk_dtls_step(w->dtls, &wait, &ev), t;

		if (r == 0) {
			w->dtls_due = sk_worker_mono_ms() + wait;
			w->dtls_events = (short)ev;
		} else {
			dtls_end(w, r < 0 ? sk_dtls_reason(w->dtls) : NULL);
		}
		t = w->dtls ? SK_IPC_DTLS_START : w->dcb.ipc_type;
		/* a newer ClientHello came while we waited for DTLS_READY:
		 * it replaces this handshake now (a loop, not recursion: each
		 * wait may keep another) */
		if (t != SK_IPC_DTLS_START || !w->hello_len)
			return t;
		if (hello_take(w))
			return SK_IPC_DTLS_START;	/* failed, main told */
		/* and its first step, round the loop */
	}
}

/*
 * DTLS_START (in w->msg): a new handshake.  One still in progress ends
 * first (a newer ClientHello of the client, or one from someone who is not
 * the client: it cannot finish without the PSK of our TLS session, and
 * meanwhile CSTP goes on).  0: set up; -1: none (failed, main told).
 */
static int dtls_begin(struct worker *w)
{
	struct sk_ipc_dtls_start *ds = (struct sk_ipc_dtls_start *)w->msg;
	int fd = w->msg_fd;

	w->msg_fd = -1;
	dtls_end(w, "replaced by a newer ClientHello");
	if (fd < 0 || ds->h.len < sizeof(*ds) || ds->dgram_len != ds->h.len - sizeof(*ds) ||
	    ds->dgram_len > SK_DTLS_HELLO_MAX) {
		dtls_fail(w, "bad DTLS_START");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w->dcb = (struct dtls_cb){ .w = w, .fd = fd, .ipc_type = SK_IPC_DTLS_START };
	w->dtls = sk_dtls_begin(w->dctx, w->ssl, fd, w->msg + sizeof(*ds), ds->dgram_len,
				ms_or(w->cfg->dtls_timeout_ms, 15000), dtls_keys_cb, &w->dcb);
	if (!w->dtls) {
		dtls_fail(w, "out of memory");
		close(fd);
		return -1;
	}
	return 0;
}

/* a DTLS_START: returns what dtls_run returns */
static int do_dtls(struct worker *w)
{
	return dtls_begin(w) ? SK_IPC_DTLS_START : dtls_run(w);
}

static void stream_close(struct worker *w)
{
	if (w->stream >= 0)
		close(w->stream);
	w->stream = -1;
}

/*
 * One CSTP DATA payload from the client into the kernel.  Never blocks: a
 * full relay (the kernel is behind) drops the packet, as a full NIC queue
 * would; the client's TCP recovers.  Returns 0 if sent, -1 if dropped.
 */
static int stream_from_client(struct worker *w, const uint8_t *pkt, size_t len)
{
	ssize_t n;

	/* an IP packet is never empty nor larger than the tunnel MTU we gave */
	if (w->stream < 0 || len == 0 || (w->mtu && len > w->mtu))
		return -1;
	do
		n = send(w->stream, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		stream_close(w);	/* the kernel peer is gone (EPIPE): stop trying */
	return -1;
}

/*
 * Packets the kernel routes to the client: each one CSTP DATA frame, at
 * most STREAM_BURST per call.  Returns -1 only if writing to the client
 * failed.
 */
static int stream_to_client(struct worker *w, uint8_t *pkt, bool hup)
{
	for (int i = 0; i < STREAM_BURST && w->stream >= 0; i++) {
		ssize_t n = recv(w->stream, pkt, SK_CSTP_PAYLOAD_MAX, MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				stream_close(w);
			return 0;
		}
		if (n == 0) {
			/* EOF (the kernel peer and main let go), or an empty
			 * message, which carries nothing */
			if (hup)
				stream_close(w);
			continue;
		}
		if (cstp_send(w, SK_CSTP_DATA, pkt, (size_t)n))
			return -1;
	}
	return 0;
}

static int cstp_loop(struct worker *w)
{
	struct sk_cstp_rx *rx = calloc(1, sizeof(*rx));
	uint8_t *pl = malloc(SK_CSTP_PAYLOAD_MAX);
	uint8_t *pkt = malloc(SK_CSTP_PAYLOAD_MAX);
	int64_t last_rx = sk_worker_mono_ms(), last_dpd = 0;
	int rc = -1;

	if (!rx || !pl || !pkt)
		goto out;
	for (;;) {
		/* poll skips a negative fd: no relay, no entry */
		struct pollfd p[4] = { { .fd = w->cfd, .events = POLLIN },
				       { .fd = w->ipc, .events = POLLIN },
				       { .fd = w->stream, .events = POLLIN },
				       { .fd = w->dtls ? sk_dtls_fd(w->dtls) : -1,
					 .events = w->dtls_events } };
		int64_t now = sk_worker_mono_ms(), dpd_ms = (int64_t)w->dpd * 1000, wait;
		int t;
		uint8_t type;
		size_t plen, used;
		int r;

		/* frames already buffered (CSTP bytes after the CONNECT headers) */
		used = sk_cstp_feed(rx, w->rbuf, w->rlen);
		consume(w, used);
		while ((r = sk_cstp_pop(rx, &type, pl, SK_CSTP_PAYLOAD_MAX, &plen)) == 1) {
			last_rx = sk_worker_mono_ms();
			switch (type) {
			case SK_CSTP_DPD_REQ:
				if (cstp_send(w, SK_CSTP_DPD_RESP, pl, plen))
					goto eof;
				break;
			case SK_CSTP_DPD_RESP:
			case SK_CSTP_KEEPALIVE:
				break;
			case SK_CSTP_DATA:
				/* into the kernel, which checks the source
				 * address and the policy as for DTLS */
				if (stream_from_client(w, pl, plen))
					w->data_dropped++;
				break;
			case SK_CSTP_COMPRESSED:
				/* we never offer compression: counted, dropped */
				w->data_dropped++;
				break;
			case SK_CSTP_DISCONNECT: {
				char text[100];

				header_safe(text, sizeof(text), (const char *)pl + (plen ? 1 : 0),
					    plen ? (plen - 1 < sizeof(text) ? plen - 1 : sizeof(text) - 1) : 0);
				cstp_end(w, SK_END_BYE, "client disconnect 0x%02x: %s",
					 plen ? pl[0] : 0, text);
				rc = 0;
				goto out;
			}
			default:
				cstp_end(w, SK_END_ERROR, "unexpected CSTP type 0x%02x", type);
				goto out;
			}
		}
		if (r < 0) {
			cstp_end(w, SK_END_ERROR, "malformed CSTP frame");
			goto out;
		}
		if (w->rlen)
			continue;	/* more buffered bytes than the reassembly held */
		now = sk_worker_mono_ms();
		if (w->handed) {
			/* the kernel has the stream and answers DPD: only
			 * main and DTLS are left to wait for */
			wait = w->dtls ? w->dtls_due - now : -1;
			if (w->dtls && wait < 1)
				wait = 1;
		} else {
			if (now - last_rx >= 2 * dpd_ms) {
				cstp_end(w, SK_END_DPD, "no answer for %u s", 2 * w->dpd);
				rc = 0;
				goto out;
			}
			/* DPD after dpd s of silence, again every dpd/2 s */
			if (now - last_rx >= dpd_ms && now - last_dpd >= dpd_ms / 2) {
				if (cstp_send(w, SK_CSTP_DPD_REQ, NULL, 0))
					goto eof;
				last_dpd = now;
			}
			wait = last_rx + dpd_ms - now;
			if (wait <= 0)
				wait = dpd_ms / 2 - (now - last_dpd);
			if (wait > 2 * dpd_ms - (now - last_rx))
				wait = 2 * dpd_ms - (now - last_rx);
			if (w->dtls && wait > w->dtls_due - now)
				wait = w->dtls_due - now;
			if (wait < 1)
				wait = 1;
		}
		if (w->handed || SSL_pending(w->ssl) == 0) {
			r = poll(p, 4, (int)wait);
			if (r < 0 && errno != EINTR)
				goto out;
			if (r < 0)
				continue;
		} else {
			/* TLS has decrypted bytes waiting: read them, but look
			 * at main, the relay and DTLS too, so that a client
			 * sending without pause does not starve them */
			r = poll(p, 4, 0);
			if (r < 0 && errno != EINTR)
				goto out;
			if (r < 0)
				p[1].revents = p[2].revents = p[3].revents = 0;
			p[0].revents = POLLIN;
		}
		t = -2;		/* nothing from main for the code below */
		/* the DTLS handshake: its socket has a datagram, or its timer ran out */
		if (w->dtls && (p[3].revents || sk_worker_mono_ms() >= w->dtls_due)) {
			t = dtls_run(w);
			if (t == SK_IPC_DTLS_START)
				t = -2;
		}
		if (t == -2 && p[1].revents) {
			t = ipc_recv(w);
			if (t == SK_IPC_DTLS_START)
				t = do_dtls(w);
			if (t == SK_IPC_DTLS_START)
				t = -2;
		}
		/* our last flight is out and main has the session: the kernel
		 * carries it all, no process is left for it.  Checked after
		 * both: a DTLS_START's first step runs the whole handshake when
		 * the client's flights are already there (a slow worker) */
		if (!w->dtls && w->dtls_done) {
			rc = 0;
			goto out;
		}
		if (t != -2) {
			if (t == SK_IPC_KILL) {
				struct sk_ipc_kill *k = (struct sk_ipc_kill *)w->msg;
				uint8_t d[1 + sizeof(k->text)];
				size_t tl;

				if (k->h.len != sizeof(*k))
					goto out;
				if (w->handed) {
					/* main sends the DISCONNECT on the kernel's stream */
					rc = 0;
					goto out;
				}
				k->text[sizeof(k->text) - 1] = 0;
				tl = strlen(k->text);
				/* §7.5: DISCONNECT with a code and the administrator's text */
				d[0] = 0xb0;
				memcpy(d + 1, k->text, tl);
				cstp_send(w, SK_CSTP_DISCONNECT, d, 1 + tl);
				SSL_shutdown(w->ssl);
				rc = 0;
				goto out;
			} else {
				goto out;	/* EOF or a message main never sends here */
			}
		}
		if (p[2].revents && w->stream >= 0 &&
		    stream_to_client(w, pkt, (p[2].revents & (POLLHUP | POLLERR)) != 0))
			goto eof;
		if (p[0].revents) {
			r = tls_read(w, sk_worker_mono_ms() + 1);
			if (r == 0)
				goto eof;
			if (r == -1) {
				cstp_end(w, SK_END_ERROR, "TLS error");
				goto out;
			}
		}
	}
eof:
	cstp_end(w, SK_END_EOF, "connection closed");
	rc = 0;
out:
	dtls_end(w, NULL);
	stream_close(w);
	free(rx);
	free(pl);
	free(pkt);
	return rc;
}

/* ---- routes ---- */

static bool token_ok(const char *s)
{
	size_t l = strlen(s);

	if (l < 16 || l > 64)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* GET /profile/<token> and GET /proxy/<group>.pac: main answers both with
 * a PROFILE_REPLY */
static int do_fetch(struct worker *w, uint16_t what, const char *name)
{
	struct sk_ipc_profile m = { 0 };
	struct sk_ipc_pac pm = { 0 };
	struct sk_ipc_profile_reply *rep;
	char extra[256], ct[64], fn[64];
	int type, rc;

	if (what == SK_IPC_PAC) {
		snprintf(pm.group, sizeof(pm.group), "%s", name);
		rc = ipc_send(w, &pm, sizeof(pm), SK_IPC_PAC, -1);
	} else {
		snprintf(m.token, sizeof(m.token), "%s", name);
		rc = ipc_send(w, &m, sizeof(m), SK_IPC_PROFILE, -1);
	}
	if (rc)
		return -1;
	type = ipc_wait(w);
	if (type != SK_IPC_PROFILE_REPLY)
		return -1;
	rep = (struct sk_ipc_profile_reply *)w->msg;
	if (rep->h.len < sizeof(*rep) || rep->body_len != rep->h.len - sizeof(*rep))
		return -1;
	header_safe(ct, sizeof(ct), rep->content_type, sizeof(rep->content_type));
	header_safe(fn, sizeof(fn), rep->filename, sizeof(rep->filename));
	extra[0] = 0;
	if (rep->status == 200 && fn[0])
		snprintf(extra, sizeof(extra), "Content-Disposition: attachment; filename=\"%s\"\r\n"
			 "Cache-Control: no-store\r\n", fn);
	if (rep->status != 200 && rep->status != 404 && rep->status != 410)
		rep->status = 404;
	/* the body is copied out of msg by respond() before msg is reused */
	rc = respond(w, (int)rep->status, ct[0] ? ct : "application/octet-stream", extra,
		     w->msg + sizeof(*rep), rep->body_len, !w->req->keep_alive);
	OPENSSL_cleanse(w->msg, rep->h.len);
	return rc ? -1 : (w->req->keep_alive ? 0 : 1);
}

static bool group_path_ok(const char *s)
{
	size_t l = strlen(s);

	if (l == 0 || l >= 64)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* ---- host scan (anyconnect-protocol.md §3.3-3.5) ---- */

#define SDESKTOP "/+CSCOE+/sdesktop/"

/* The value of key in a query "a=1&b=2" (only [A-Za-z0-9_.-] values), 0 or -1. */
static int query_value(const char *q, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (const char *p = q; p && *p;) {
		const char *e = strchr(p, '&');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = l - kl - 1;

			if (vl >= outlen)
				return -1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = 0;
			return 0;
		}
		p = e ? e + 1 : NULL;
	}
	return -1;
}

static bool query_ok(const char *q)
{
	for (; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr("=&_.-", *q))
			return false;
	return true;
}

/*
 * GET token.xml?ticket=T, POST scan.xml, GET wait.html: each asks main
 * (SK_IPC_HOSTSCAN).  The report is parsed here, in the sandbox; main
 * gets only the fixed-size result.
 */
static int do_hostscan(struct worker *w, const char *what, const char *query)
{
	struct sk_http_req *r = w->req;
	struct sk_ipc_hostscan *m = calloc(1, sizeof(*m));
	struct sk_ipc_hostscan_reply *rep;
	bool ka = r->keep_alive;
	char body[512], err[160];
	int type, rc = -1, status;
	size_t blen = 0;
	const char *ct = "text/xml";
	static const char refresh[] =
		"<!DOCTYPE html>\n<html><head><meta http-equiv=\"refresh\" content=\"1\">"
		"<title>sekisho</title></head><body><p>端末を確認しています / Scanning your device</p>"
		"</body></html>\n";

	if (!m)
		return -1;
	if (!strcmp(what, "token.xml") && r->method == HTTP_GET) {
		m->op = SK_HS_TICKET;
		if (!query || query_value(query, "ticket", m->ticket, sizeof(m->ticket)) ||
		    !token_ok(m->ticket)) {
			rc = respond(w, 404, "text/plain", NULL, "Not Found\n", 10, !ka) ? -1 : !ka;
			goto out;
		}
	} else if (!strcmp(what, "scan.xml") && r->method == HTTP_POST) {
		m->op = SK_HS_REPORT;
		/* the body is bounded by the HTTP parser (SK_HTTP_BODY_MAX, 64 KiB) */
		if (sk_hostscan_parse((const char *)r->body, r->body_len, &m->report, err, sizeof(err)))
			m->bad = 1;
	} else if (!strcmp(what, "wait.html") && r->method == HTTP_GET) {
		m->op = SK_HS_WAIT;
	} else {
		rc = respond(w, 404, "text/plain", NULL, "Not Found\n", 10, !ka) ? -1 : !ka;
		goto out;
	}
	if (m->op != SK_HS_TICKET &&
	    (sk_http_cookie(r, "sdesktop", m->token, sizeof(m->token)) || !token_ok(m->token))) {
		rc = respond(w, 403, "text/plain", NULL, "Forbidden\n", 10, !ka) ? -1 : !ka;
		goto out;
	}
	if (ipc_send(w, m, sizeof(*m), SK_IPC_HOSTSCAN, -1))
		goto out;
	type = ipc_wait(w);
	rep = (struct sk_ipc_hostscan_reply *)w->msg;
	if (type != SK_IPC_HOSTSCAN_REPLY || rep->h.len != sizeof(*rep))
		goto out;
	rep->token[sizeof(rep->token) - 1] = 0;
	status = (int)rep->status;
	if (m->op == SK_HS_TICKET && status == 200) {
		char tok[sizeof(rep->token)];

		header_safe(tok, sizeof(tok), rep->token, sizeof(tok));
		blen = (size_t)snprintf(body, sizeof(body),
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hostscan><token>%s</token></hostscan>\n",
			tok);
	} else if (m->op == SK_HS_REPORT && status == 200) {
		blen = (size_t)snprintf(body, sizeof(body),
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hostscan><status>ok</status></hostscan>\n");
	} else if (m->op == SK_HS_REPORT && status == 400) {
		/* say why: the wrapper prints our answer, so the user's log shows it */
		blen = (size_t)snprintf(body, sizeof(body), "%.400s\n", err);
		ct = "text/plain; charset=utf-8";
	} else if (m->op == SK_HS_WAIT && status == 200) {
		/* a body starting with <?xml ends the client's polling (§3.5) */
		blen = (size_t)snprintf(body, sizeof(body),
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hostscan><status>done</status></hostscan>\n");
	} else if (m->op == SK_HS_WAIT && status == 202) {
		status = 200;
		ct = "text/html; charset=utf-8";
		blen = sizeof(refresh) - 1;
		memcpy(body, refresh, blen);
	} else {
		if (status != 404)
			status = status == 400 ? 400 : 403;
		ct = "text/plain";
		blen = (size_t)snprintf(body, sizeof(body), "%s\n", status == 404 ? "Not Found" : "Forbidden");
	}
	if (blen >= sizeof(body))
		goto out;
	rc = respond(w, status, ct, "Cache-Control: no-store\r\n", body, blen, !ka) ? -1 : !ka;
out:
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
	return rc;
}

/* Returns 0 to go on with the next request, 1 to close quietly, -1 on error. */
static int route(struct worker *w)
{
	struct sk_http_req *r = w->req;
	const char *u = r->url;
	bool ka = r->keep_alive;
	static const char page[] =
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>sekisho</title></head>"
		"<body><p>AnyConnect 互換クライアント (openconnect) で接続してください。</p>"
		"<p>Please use an AnyConnect client (openconnect).</p></body></html>\n";

	if (!strncmp(u, SDESKTOP, sizeof(SDESKTOP) - 1) && r->url_len < 200) {
		/* the host scan paths have a '+' and a query, which the strict
		 * check below refuses: only these exact names get through */
		char what[16], query[160] = "";
		const char *p = u + sizeof(SDESKTOP) - 1, *q = strchr(p, '?');
		size_t wl = q ? (size_t)(q - p) : strlen(p);

		if (wl < sizeof(what) && (!q || (strlen(q + 1) < sizeof(query) && query_ok(q + 1)))) {
			memcpy(what, p, wl);
			what[wl] = 0;
			if (q)
				snprintf(query, sizeof(query), "%s", q + 1);
			if (!strcmp(what, "token.xml") || !strcmp(what, "scan.xml") ||
			    !strcmp(what, "wait.html"))
				return do_hostscan(w, what, q ? query : NULL);
		}
		respond(w, 404, "text/plain", NULL, "Not Found\n", 10, true);
		return 1;
	}
	if (sk_http_path_ok(r->url, r->url_len)) {
		/* encodings, traversal, queries: refused before anything else */
		respond(w, 404, "text/plain", NULL, "Not Found\n", 10, true);
		return 1;
	}
	if (r->method == HTTP_CONNECT) {
		if (strcmp(u, "/CSCOSSLC/tunnel")) {
			respond(w, 404, NULL, NULL, NULL, 0, true);
			return 1;
		}
		return do_connect(w) < 0 ? -1 : 1;
	}
	if (r->method == HTTP_POST) {
		if (!strcmp(u, "/") || !strcmp(u, "/auth"))
			return do_auth(w, "");
		if (group_path_ok(u + 1))
			return do_auth(w, u + 1);
	} else if (r->method == HTTP_GET) {
		size_t ul = strlen(u);

		if (!strncmp(u, "/profile/", 9)) {
			if (token_ok(u + 9))
				return do_fetch(w, SK_IPC_PROFILE, u + 9);
		} else if (!strncmp(u, "/proxy/", 7) && ul > 11 && ul - 11 < 64 &&
			   !strcmp(u + ul - 4, ".pac")) {
			char g[64];

			memcpy(g, u + 7, ul - 11);
			g[ul - 11] = 0;
			if (group_path_ok(g))
				return do_fetch(w, SK_IPC_PAC, g);
		} else if (!strcmp(u, "/logout")) {
			return respond(w, 200, "text/html", NULL, NULL, 0, !ka) ? -1 : !ka;
		} else if (!strcmp(u, "/")) {
			return respond(w, 200, "text/html; charset=utf-8", NULL, page,
				       sizeof(page) - 1, !ka) ? -1 : !ka;
		}
	}
	return respond(w, 404, "text/plain", NULL, "Not Found\n", 10, !ka) ? -1 : !ka;
}

/* ---- main loop ---- */

static int http_loop(struct worker *w)
{
	const struct sk_worker_cfg *c = w->cfg;

	for (;;) {
		int64_t start = sk_worker_mono_ms(), hdr_deadline = 0, body_deadline = 0;
		enum sk_http_state st = SK_HTTP_MORE;
		int rc;

		sk_http_reset(w->req);
		for (;;) {
			size_t used = 0;
			int64_t deadline;
			int n;

			if (w->rlen) {
				st = sk_http_feed(w->req, w->rbuf, w->rlen, &used);
				consume(w, used);
			}
			if (st != SK_HTTP_MORE)
				break;
			if (w->req->started && !hdr_deadline)
				hdr_deadline = sk_worker_mono_ms() + ms_or(c->header_timeout_ms, 10000);
			if (w->req->headers_done && !body_deadline)
				body_deadline = sk_worker_mono_ms() + ms_or(c->body_timeout_ms, 30000);
			deadline = body_deadline ? body_deadline : hdr_deadline ? hdr_deadline :
				   start + ms_or(c->idle_timeout_ms, 60000);
			n = tls_read_ipc(w, deadline, true);
			if (n == -3) {
				/* between requests main only ever sends KILL (or closes) */
				ipc_recv(w);
				return 1;
			}
			if (n == -2) {
				/* nothing at all: just close; a slow request: 408 */
				if (w->req->started)
					refuse(w, 408);
				return 1;
			}
			if (n <= 0)
				return n == 0 ? 0 : 1;
		}
		if (st == SK_HTTP_ERROR)
			return refuse(w, w->req->status);
		rc = route(w);
		if (rc)
			return rc;
	}
}

static int tls_accept(struct worker *w)
{
	int64_t deadline = sk_worker_mono_ms() + ms_or(w->cfg->tls_timeout_ms, 10000);

	for (;;) {
		int r = SSL_accept(w->ssl), e;

		if (r == 1)
			return 0;
		e = SSL_get_error(w->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || tls_wait(w, e, deadline))
			return -1;
	}
}

static int send_hello(struct worker *w)
{
	struct sk_ipc_hello h = { 0 };
	const char *sni = SSL_get_servername(w->ssl, TLSEXT_NAMETYPE_host_name);
	const char *cn = SSL_get_cipher_name(w->ssl);

	h.peer = w->peer;
	snprintf(h.tls_version, sizeof(h.tls_version), "%s", SSL_get_version(w->ssl));
	snprintf(h.tls_cipher, sizeof(h.tls_cipher), "%s", cn ? cn : "");
	if (sni)
		header_safe(h.sni, sizeof(h.sni), sni, sizeof(h.sni));
	return ipc_send(w, &h, sizeof(h), SK_IPC_HELLO, -1);
}

/*
 * A refusal often comes while the client is still sending (an oversized
 * header or body).  Closing a socket with unread input makes the kernel
 * send a RST, and a RST can destroy our error response before the client
 * reads it.  So: stop writing, then read and discard what still arrives,
 * for at most 2 s and max bytes (Apache's "lingering close").  The
 * re-check worker ends its connection the same way (recheck.c).
 */
void sk_worker_linger_close(int fd, size_t max)
{
	int64_t end = sk_worker_mono_ms() + 2000;
	size_t total = 0;
	char buf[4096];

	if (shutdown(fd, SHUT_WR))
		return;
	while (total < max) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - sk_worker_mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
			break;
		if (n > 0)
			total += (size_t)n;
	}
}

/*
 * A DTLS worker (ipc.h, DTLS_RESUME): main started it for one DTLS
 * handshake of a session whose own worker has left; client_fd is the UDP
 * socket main connected to the client.  In the sandbox before it reads a
 * byte; the PSK and the ClientHello come from main; the handshake runs as
 * a connection worker's does (DTLS_KEYS, DTLS_READY, DTLS_FAIL), then the
 * worker exits.  KILL or main's EOF end it at any point.
 */
static int dtls_worker(struct worker *w)
{
	struct sk_ipc_dtls_resume *r = (struct sk_ipc_dtls_resume *)w->msg;
	int fd = w->cfd, t;
	char err[160];

	if (w->cfg->dtls_ctx && SSL_CTX_up_ref(w->cfg->dtls_ctx))
		w->dctx = w->cfg->dtls_ctx;
	else
		w->dctx = sk_dtls_ctx_new(w->cfg->dtls_ciphers);
	if (!w->dctx)
		return 1;
	sk_worker_preload();
	if (!w->cfg->no_sandbox && sk_sandbox_enter(err, sizeof(err))) {
		fprintf(stderr, "sekishod worker: sandbox: %s\n", err);
		return 1;
	}
	t = ipc_wait(w);
	if (t != SK_IPC_DTLS_RESUME || w->msg_fd >= 0 || r->h.len < sizeof(*r) ||
	    r->dgram_len != r->h.len - sizeof(*r) || r->dgram_len == 0 ||
	    r->dgram_len > SK_DTLS_HELLO_MAX) {
		OPENSSL_cleanse(w->msg, sizeof(*r));
		return t == SK_IPC_KILL || t == 0 ? 0 : 1;
	}
	w->base_mtu = r->base_mtu;
	w->mtu = r->mtu;
	w->cfd = -1;	/* the handshake's now: dtls_end closes it */
	w->dcb = (struct dtls_cb){ .w = w, .fd = fd, .ipc_type = SK_IPC_DTLS_START };
	w->dtls = sk_dtls_begin_psk(w->dctx, r->psk, fd, w->msg + sizeof(*r), r->dgram_len,
				    ms_or(w->cfg->dtls_timeout_ms, 15000), dtls_keys_cb, &w->dcb);
	OPENSSL_cleanse(r->psk, sizeof(r->psk));
	if (!w->dtls) {
		dtls_fail(w, "out of memory");
		close(fd);
		return 1;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = w->ipc, .events = POLLIN } };
		int64_t wait;

		t = dtls_run(w);
		/* done, failed (main was told), or KILL or EOF in the keys' wait */
		if (!w->dtls || t != SK_IPC_DTLS_START)
			break;
		p[0].events = w->dtls_events;
		wait = w->dtls_due - sk_worker_mono_ms();
		if (poll(p, 2, wait < 1 ? 1 : (int)wait) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;	/* KILL or EOF: main sends nothing else */
	}
	dtls_end(w, NULL);
	return 0;
}

void sk_worker_preload(void)
{
	/* the PRF the DTLS keys come from: a provider fetch may want files,
	 * which the sandbox no longer lets it open */
	EVP_KDF *k = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);

	EVP_KDF_free(k);
	sk_ktls_preload();	/* and the HKDF of the TLS 1.3 kTLS keys */
}

int sk_worker_run(const struct sk_worker_cfg *cfg, int ipc_fd, int client_fd)
{
	struct worker *w = calloc(1, sizeof(*w));
	socklen_t sl;
	char err[160];
	int rc = 1, fl;

	if (!w) {
		close(ipc_fd);
		close(client_fd);
		return 1;
	}
	if (sk_worker_recheck_mode(ipc_fd)) {
		free(w);
		return sk_worker_recheck(cfg, ipc_fd, client_fd);
	}
	w->cfg = cfg;
	w->ipc = ipc_fd;
	w->cfd = client_fd;
	w->msg_fd = -1;
	w->hello_fd = -1;
	w->stream = -1;
	/* everything that needs the file system or more syscalls happens before the sandbox */
	sl = sizeof(w->peer);
	if (getpeername(client_fd, (struct sockaddr *)&w->peer, &sl) == 0 &&
	    w->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&w->peer;

		w->peer_v6 = !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
	}
	fl = fcntl(client_fd, F_GETFL);
	if (fl < 0 || fcntl(client_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto out;
	sl = sizeof(fl);
	if (!getsockopt(client_fd, SOL_SOCKET, SO_TYPE, &fl, &sl) && fl == SOCK_DGRAM) {
		rc = dtls_worker(w);	/* a UDP socket: a DTLS worker */
		goto out;
	}
	w->req = sk_http_new();
	w->ssl = SSL_new(cfg->tls_ctx);
	/* count the records from the first: the kernel may take over */
	if (w->ssl)
		sk_ktls_track(w->ssl, &w->kt);
	if (cfg->dtls_ctx && SSL_CTX_up_ref(cfg->dtls_ctx))
		w->dctx = cfg->dtls_ctx;
	else
		w->dctx = sk_dtls_ctx_new(cfg->dtls_ciphers);
	if (!w->req || !w->ssl || !w->dctx || !SSL_set_fd(w->ssl, client_fd))
		goto out;
	sk_worker_preload();
	if (!cfg->no_sandbox && sk_sandbox_enter(err, sizeof(err))) {
		fprintf(stderr, "sekishod worker: sandbox: %s\n", err);
		goto out;
	}
	if (tls_accept(w))
		goto out;
	if (send_hello(w))
		goto out;
	rc = http_loop(w) < 0 ? 1 : 0;
	if (!w->handed) {
		SSL_shutdown(w->ssl);
		sk_worker_linger_close(client_fd, 256u << 10);
	}
out:
	if (w->ssl)
		SSL_free(w->ssl);
	SSL_CTX_free(w->dctx);
	sk_http_free(w->req);
	if (w->msg_fd >= 0)
		close(w->msg_fd);
	if (w->hello_fd >= 0)
		close(w->hello_fd);
	if (w->cfd >= 0)
		close(w->cfd);	/* -1 once main has it (ktls_handoff) */
	close(ipc_fd);
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
	return rc;
}
