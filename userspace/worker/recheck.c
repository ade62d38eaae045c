// SPDX-License-Identifier: GPL-2.0
/*
 * The worker's re-check mode (issue 12 (b), ipc.h SK_IPC_RECHECK): one
 * plain HTTP POST of a host scan report, sent by the posture agent from
 * inside a quarantined tunnel to the gateway's in-tunnel listener.  The
 * bytes are a client's, so they are parsed here, in the sandbox, with the
 * same bounded HTTP parser and host scan parser as the login's scan.xml;
 * main gets the parsed struct (or why there is none), decides, and this
 * worker writes main's answer and exits.  No TLS: the tunnel already
 * carries the connection encrypted, and the listener takes only what
 * comes out of a tunnel (SO_BINDTODEVICE on the sekisho device).
 */
#include <errno.h>
#include <http_parser.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostscan.h"
#include "sksandbox.h"
#include "worker.h"

/* the whole request (headers and body) must come within this */
#define RECHECK_READ_MS		10000
/* a report is a few kilobytes; the login's scan.xml takes up to
 * SK_HTTP_BODY_MAX, so does this (413 above) */

bool sk_worker_recheck_mode(int ipc_fd)
{
	struct sk_ipc_recheck_mode m;
	ssize_t n;

	/* queued by main before this process had the socket: there now, or
	 * this is a login connection (main never writes first to one) */
	n = recv(ipc_fd, &m, sizeof(m), MSG_PEEK | MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(m) || m.h.magic != SK_IPC_MAGIC ||
	    m.h.type != SK_IPC_RECHECK_MODE || m.h.len != sizeof(m))
		return false;
	return recv(ipc_fd, &m, sizeof(m), MSG_DONTWAIT) == (ssize_t)sizeof(m);
}

/* reads one request into r: 0 done, else the HTTP status to refuse with */
static int read_request(int fd, struct sk_http_req *r, unsigned int limit_ms)
{
	int64_t end = sk_worker_mono_ms() + limit_ms;
	uint8_t buf[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - sk_worker_mono_ms();
		enum sk_http_state st;
		size_t used = 0;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 408;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return 400;
		st = sk_http_feed(r, buf, (size_t)n, &used);
		if (st == SK_HTTP_ERROR)
			return r->status ? r->status : 400;
		if (st == SK_HTTP_DONE)
			return 0;
	}
}

static const char *status_text(unsigned int s)
{
	switch (s) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	default: return "Error";
	}
}

static void write_all(int fd, const char *p, size_t len)
{
	int64_t end = sk_worker_mono_ms() + 5000;

	while (len) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return;
		if (sk_worker_mono_ms() >= end || poll(&pf, 1, 1000) < 0)
			return;
	}
}

static void answer(int fd, unsigned int status, const char *text, const char *extra)
{
	char out[2048], body[1400];
	int bl, n;

	bl = snprintf(body, sizeof(body), "%s%s%s\n", text, extra[0] ? "\n" : "", extra);
	if (bl < 0)
		return;
	if ((size_t)bl >= sizeof(body))
		bl = (int)sizeof(body) - 1;
	n = snprintf(out, sizeof(out),
		     "HTTP/1.1 %u %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: %d\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n%.*s",
		     status, status_text(status), bl, bl, body);
	if (n > 0)
		write_all(fd, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
}

/* main's answer to RECHECK, checked like every message; 0 or -1 */
static int recv_reply(int ipc, struct sk_ipc_recheck_reply *rep, unsigned int limit_ms)
{
	struct pollfd p = { .fd = ipc, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, (int)limit_ms) != 1)
		return -1;
	n = recv(ipc, rep, sizeof(*rep), 0);
	if (n != (ssize_t)sizeof(*rep) || rep->h.magic != SK_IPC_MAGIC ||
	    rep->h.type != SK_IPC_RECHECK_REPLY || rep->h.len != sizeof(*rep) ||
	    rep->status < 200 || rep->status > 599)
		return -1;
	rep->text[sizeof(rep->text) - 1] = 0;
	return 0;
}

int sk_worker_recheck(const struct sk_worker_cfg *cfg, int ipc_fd, int client_fd)
{
	struct sk_http_req *r = sk_http_new();
	struct sk_ipc_recheck *m = calloc(1, sizeof(*m));
	struct sk_ipc_recheck_reply rep;
	char err[160] = "", perr[200] = "";
	int rc = 1, st;

	if (!r || !m)
		goto out;
	if (!cfg->no_sandbox && sk_sandbox_enter(err, sizeof(err))) {
		fprintf(stderr, "sekishod worker (re-check): sandbox: %s\n", err);
		goto out;
	}
	st = read_request(client_fd, r, cfg->header_timeout_ms ? cfg->header_timeout_ms :
			  RECHECK_READ_MS);
	if (!st && r->method != HTTP_POST)
		st = 405;
	if (!st && (sk_http_path_ok(r->url, r->url_len) || strcmp(r->url, "/recheck")))
		st = 404;
	if (st) {
		m->bad = SK_RECHECK_HTTP;
		m->http_status = (uint32_t)st;
	} else if (sk_hostscan_parse((const char *)r->body, r->body_len, &m->report, err,
				     sizeof(err))) {
		memset(&m->report, 0, sizeof(m->report));
		m->bad = SK_RECHECK_MALFORMED;
		/* our parser's own words (a line number and a fixed reason),
		 * told back to the client that sent the report */
		snprintf(perr, sizeof(perr), "(%s)", err);
	}
	m->h.magic = SK_IPC_MAGIC;
	m->h.type = SK_IPC_RECHECK;
	m->h.len = sizeof(*m);
	if (send(ipc_fd, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m) ||
	    recv_reply(ipc_fd, &rep, cfg->ipc_timeout_ms ? cfg->ipc_timeout_ms : 60000)) {
		answer(client_fd, 503, "ゲートウェイが応答しません。/ The gateway did not answer.", "");
		goto out;
	}
	answer(client_fd, rep.status, rep.text, m->bad == SK_RECHECK_MALFORMED ? perr : "");
	rc = 0;
out:
	/* our FIN, then the client's: main applies a passed re-check when this
	 * worker is gone, and the allowlist it switches to may not let this
	 * connection through any more, so the connection ends first (bounded:
	 * 2 s, 64 KiB read and dropped) */
	sk_worker_linger_close(client_fd, 64u << 10);
	sk_http_free(r);
	free(m);
	close(client_fd);
	close(ipc_fd);
	return rc;
}
