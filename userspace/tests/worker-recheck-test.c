// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the worker's re-check mode (worker/recheck.c, issue 12
 * (b)): a worker whose IPC socket holds SK_IPC_RECHECK_MODE before it
 * starts (as main queues it) reads one plain HTTP POST /recheck, in its
 * seccomp sandbox, parses the host scan report with the login's parser
 * and sends SK_IPC_RECHECK; main's RECHECK_REPLY becomes the HTTP answer.
 * A GET, another path, an oversized body, a malformed report and a
 * client that sends nothing are each reported to main as such (no report)
 * and answered with main's text; without the queued mode the same POST
 * is not taken for a re-check.  Each case is a forked worker
 * (sk_worker_run) over socketpairs.  TAP output.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostscan.h"
#include "ipc.h"
#include "tap.h"
#include "worker.h"

static struct tap t;
static struct sk_worker_cfg cfg;

static const char report[] =
	"endpoint.os.version=\"Linux\";\n"
	"endpoint.posture.format=\"1\";\n"
	"endpoint.posture.os.family=\"linux\";\n"
	"endpoint.posture.os.id=\"debian\";\n"
	"endpoint.posture.os.version=\"12\";\n"
	"endpoint.posture.av[\"clamav\"].vendor=\"clamav\";\n"
	"endpoint.posture.av[\"clamav\"].product=\"clamd\";\n"
	"endpoint.posture.av[\"clamav\"].definitions=\"2026-12-06\";\n";

struct run {
	struct sk_ipc_recheck m;	/* what main got */
	bool got;			/* a RECHECK came */
	char http[2048];		/* what the client got */
	int status;			/* the worker's wait status */
};

/* One worker: mode queued (or not), the request sent (len bytes; NULL =
 * nothing), main answers status/text to a RECHECK. */
static void run(bool mode, const char *req, size_t len, unsigned int status, const char *text,
		struct run *r)
{
	int cl[2], ipc[2];
	pid_t p;
	size_t got = 0;

	memset(r, 0, sizeof(*r));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, cl) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ipc))
		return;
	if (mode) {
		struct sk_ipc_recheck_mode m = { .h = { SK_IPC_MAGIC, SK_IPC_RECHECK_MODE, 0, sizeof(m) },
						 .session_id = 7 };

		if (send(ipc[0], &m, sizeof(m), 0) != (ssize_t)sizeof(m))
			return;
	}
	fflush(stdout);
	p = fork();
	if (p == 0) {
		close(cl[0]);
		close(ipc[0]);
		_exit(sk_worker_run(&cfg, ipc[1], cl[1]));
	}
	close(cl[1]);
	close(ipc[1]);
	/* a big body may not fit the socket at once: the worker may stop
	 * reading it (413) before the end */
	for (size_t off = 0; req && off < len;) {
		ssize_t n = send(cl[0], req + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	{
		struct pollfd pf = { .fd = ipc[0], .events = POLLIN };

		if (poll(&pf, 1, 5000) == 1 &&
		    recv(ipc[0], &r->m, sizeof(r->m), 0) == (ssize_t)sizeof(r->m) &&
		    r->m.h.type == SK_IPC_RECHECK) {
			struct sk_ipc_recheck_reply rep;

			r->got = true;
			memset(&rep, 0, sizeof(rep));
			rep.h = (struct sk_ipc_hdr){ SK_IPC_MAGIC, SK_IPC_RECHECK_REPLY, 0, sizeof(rep) };
			rep.status = status;
			snprintf(rep.text, sizeof(rep.text), "%s", text);
			if (send(ipc[0], &rep, sizeof(rep), 0) != (ssize_t)sizeof(rep))
				r->got = false;
		}
	}
	for (;;) {
		struct pollfd pf = { .fd = cl[0], .events = POLLIN };
		ssize_t n;

		if (got + 1 >= sizeof(r->http) || poll(&pf, 1, 5000) != 1)
			break;
		n = recv(cl[0], r->http + got, sizeof(r->http) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->http[got] = 0;
	close(cl[0]);
	close(ipc[0]);
	waitpid(p, &r->status, 0);
}

static void post(const char *method, const char *path, const char *body, size_t blen, struct run *r,
		 bool mode)
{
	char *req = malloc(blen + 512);
	int n;

	if (!req)
		return;
	n = snprintf(req, 512, "%s %s HTTP/1.1\r\nHost: 10.77.0.1:8444\r\n"
		     "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", method, path, blen);
	memcpy(req + n, body, blen);
	run(mode, req, (size_t)n + blen, 403, "main's text / 本文", r);
	free(req);
}

int main(void)
{
	struct run r;
	char *big;

	tap_begin();
	cfg.header_timeout_ms = 500;	/* the client that sends nothing */
	cfg.ipc_timeout_ms = 5000;

	post("POST", "/recheck", report, strlen(report), &r, true);
	tap_ok(&t, r.got && r.m.bad == SK_RECHECK_OK && r.m.report.posture.format == 1 &&
	       r.m.report.posture.n_av == 1 && !strcmp(r.m.report.posture.av[0].vendor, "clamav"),
	       "POST /recheck: the report parsed in the sandbox, sent to main (bad %u)", r.m.bad);
	tap_ok(&t, !strncmp(r.http, "HTTP/1.1 403 Forbidden\r\n", 24) && strstr(r.http, "main's text / 本文") &&
	       strstr(r.http, "charset=utf-8") && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
	       "main's status and text are the answer; the worker exits 0 (status %#x)", r.status);

	post("GET", "/recheck", "", 0, &r, true);
	tap_ok(&t, r.got && r.m.bad == SK_RECHECK_HTTP && r.m.http_status == 405 &&
	       r.m.report.posture.format == 0, "GET: told to main as HTTP 405, no report (%u)", r.m.http_status);
	post("POST", "/sdesktop/scan.xml", report, strlen(report), &r, true);
	tap_ok(&t, r.got && r.m.bad == SK_RECHECK_HTTP && r.m.http_status == 404,
	       "another path: HTTP 404, no report (%u)", r.m.http_status);
	big = malloc(SK_HTTP_BODY_MAX + 100);
	if (big) {
		memset(big, 'a', SK_HTTP_BODY_MAX + 100);
		post("POST", "/recheck", big, SK_HTTP_BODY_MAX + 100, &r, true);
		free(big);
	}
	tap_ok(&t, r.got && r.m.bad == SK_RECHECK_HTTP && r.m.http_status == 413,
	       "a body over %d bytes: HTTP 413, no report (%u)", SK_HTTP_BODY_MAX, r.m.http_status);
	post("POST", "/recheck", "endpoint.posture.format=\"1;\n", 28, &r, true);
	tap_ok(&t, r.got && r.m.bad == SK_RECHECK_MALFORMED && r.m.report.posture.format == 0 &&
	       strstr(r.http, "line 1: missing closing quote"), "a malformed report: MALFORMED to main, the parser's line to the client (%.80s)",
	       strchr(r.http, '(') ? strchr(r.http, '(') : r.http);
	run(true, NULL, 0, 403, "x", &r);
	tap_ok(&t, r.got && r.m.bad == SK_RECHECK_HTTP && r.m.http_status == 408,
	       "a client that sends nothing: HTTP 408 after the limit (%u)", r.m.http_status);
	post("POST", "/recheck", report, strlen(report), &r, false);
	tap_ok(&t, !r.got && !strstr(r.http, "HTTP/1.1"),
	       "without the queued mode the same POST is no re-check (a login worker; no RECHECK)");
	return tap_end(&t);
}
