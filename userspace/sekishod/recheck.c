// SPDX-License-Identifier: GPL-2.0
/*
 * Leaving quarantine live (issue 12 (b); Documentation/decisions/posture.md,
 * "Leaving quarantine"): the posture agent posts a new host scan report
 * from inside its quarantined tunnel to http://GATEWAY:PORT/recheck, the
 * first address of the session's pool on the sekisho device.
 *
 * Who posts is the tunnel itself: the listener is bound to the sekisho
 * device (SO_BINDTODEVICE), so only packets that came out of a tunnel
 * reach it; the module lets a peer send only from its own address
 * (anti-spoofing, datapath.md), and the SYN-ACK to that address is routed
 * back into that peer's tunnel, so an established connection's source
 * address names the session.  Main never reads the connection: a worker
 * in its re-check mode (worker/recheck.c, the sandbox and the parsers of
 * the login's scan.xml) reads the POST and sends the parsed report; main
 * sanitizes it again, evaluates it for the session's group and device at
 * now and, when it passes, replaces the remediation allowlist of the live
 * kernel peer by the group's.  A report that still fails changes nothing
 * (the quarantine never widens into a refusal here: the user is in the
 * middle of fixing the machine, and the next login or reconnect applies
 * the policy in full).  Bounds: SKD_RECHECK_MAX workers at once, one
 * re-check in flight and one per SKD_RECHECK_EVERY seconds per session,
 * the worker's size and time limits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "skposture.h"

/* why a re-check is refused before its report is read (w->recheck_why) */
enum { RC_GO = 0, RC_NO_SESSION, RC_TOO_SOON, RC_BUSY };

int skd_recheck_open(struct skd *d, char *err, size_t errlen)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&a6;
	socklen_t salen = sizeof(a6);
	int one = 1, zero = 0, fd;

	d->recheck_fd = -1;
	if (!d->conf.posture_recheck_port)
		return 0;
	a6.sin6_port = a4.sin_port = htons((uint16_t)d->conf.posture_recheck_port);
	a6.sin6_addr = in6addr_any;
	/* any address of the device (every pool's gateway, IPv4 and IPv6),
	 * and only packets that came in on it: out of a tunnel */
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT) {
		/* a kernel without IPv6: the IPv4 addresses only */
		sa = (struct sockaddr *)&a4;
		salen = sizeof(a4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0 ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, d->conf.device,
		       (socklen_t)strlen(d->conf.device)) ||
	    bind(fd, sa, salen) || listen(fd, SKD_RECHECK_MAX)) {
		snprintf(err, errlen, "posture_recheck_port %d on device %s: %s",
			 d->conf.posture_recheck_port, d->conf.device, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	d->recheck_fd = fd;
	skd_log("posture re-check: listening on port %d of device %s (tunnels only)",
		d->conf.posture_recheck_port, d->conf.device);
	return 0;
}

void skd_recheck_close(struct skd *d)
{
	if (d->recheck_fd >= 0)
		close(d->recheck_fd);
	d->recheck_fd = -1;
}

struct skd_session *skd_session_by_addr(struct skd *d, const struct sockaddr_storage *a)
{
	struct in6_addr v6;
	struct in_addr v4;
	bool is4;

	if (a->ss_family == AF_INET) {
		v4 = ((const struct sockaddr_in *)a)->sin_addr;
		is4 = true;
	} else if (a->ss_family == AF_INET6) {
		v6 = ((const struct sockaddr_in6 *)a)->sin6_addr;
		is4 = IN6_IS_ADDR_V4MAPPED(&v6);
		if (is4)
			memcpy(&v4, &v6.s6_addr[12], 4);
	} else {
		return NULL;
	}
	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		struct skd_session *s = &d->sessions[i];

		if (!s->used || !s->peer_live)
			continue;
		if (is4 ? s->has4 && s->addr4.s_addr == v4.s_addr :
		    s->has6 && !memcmp(&s->addr6, &v6, sizeof(v6)))
			return s;
	}
	return NULL;
}

void skd_recheck_url(const struct skd *d, const struct skd_session *s, char *out, size_t len)
{
	struct in_addr gw;
	uint32_t mask;
	char a[INET_ADDRSTRLEN];

	out[0] = 0;
	if (!d->conf.posture_recheck_port || !s->has4 || s->plen4 < 1 || s->plen4 > 30)
		return;
	/* the gateway's address on the device: the pool's first host */
	mask = s->plen4 ? ~0u << (32 - s->plen4) : 0;
	gw.s_addr = htonl((ntohl(s->addr4.s_addr) & mask) + 1);
	if (inet_ntop(AF_INET, &gw, a, sizeof(a)))
		snprintf(out, len, "http://%s:%d/recheck", a, d->conf.posture_recheck_port);
}

/* a connection refused before any worker: the answer, then closed (main
 * reads nothing; the client may see a reset if it was still sending) */
static void refuse_now(int fd, const char *text)
{
	char out[512];
	int n = snprintf(out, sizeof(out),
			 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n", strlen(text) + 1, text);

	if (n > 0 && (size_t)n < sizeof(out))
		(void)!send(fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

int skd_recheck_admit(struct skd *d, const struct sockaddr_storage *ss, int64_t now, int64_t *sid)
{
	struct skd_session *s = skd_session_by_addr(d, ss);

	*sid = s ? s->id : -1;
	if (!s)
		return RC_NO_SESSION;
	if (s->recheck_busy)
		return RC_BUSY;
	if (s->recheck_at && now - s->recheck_at < SKD_RECHECK_EVERY)
		return RC_TOO_SOON;
	s->recheck_busy = true;
	s->recheck_at = now;
	return RC_GO;
}

void skd_recheck_accept(struct skd *d)
{
	for (int k = 0; k < SKD_RECHECK_MAX; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct skd_worker *w = NULL;
		struct skd_session *s;
		int64_t now = skd_now(), sid = -1;
		int fd, ipc, why = RC_GO;
		struct stat st = { 0 };
		pid_t pid;

		fd = accept4(d->recheck_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (int i = 0; i < SKD_MAX_WORKERS && d->n_recheck < SKD_RECHECK_MAX; i++)
			if (!d->workers[i].used) {
				w = &d->workers[i];
				break;
			}
		if (!w) {
			refuse_now(fd, "再確認が混み合っています。少し待ってからもう一度実行してください。/ "
				   "Too many re-checks at once: try again in a moment.");
			continue;
		}
		why = skd_recheck_admit(d, &ss, now, &sid);
		if (fstat(fd, &st))
			st.st_ino = 0;
		ipc = skd_worker_start(d, fd, &pid, sid);
		close(fd);
		if (ipc < 0) {
			if (!why && (s = skd_session_by_id(d, sid)))
				s->recheck_busy = false;
			continue;
		}
		skd_worker_slot(d, w, pid, ipc, &ss, now);
		w->client_dev = st.st_dev;
		w->client_ino = st.st_ino;
		w->recheck_sid = sid;
		w->recheck_why = why;
		d->n_recheck++;
		if (skd_poll_add(d, w->fd, &w->ev))
			skd_worker_kill(d, w, NULL);
	}
}

void skd_recheck_timers(struct skd *d, int64_t now)
{
	if (!d->n_recheck)
		return;
	for (int i = 0; i < SKD_MAX_WORKERS; i++) {
		struct skd_worker *w = &d->workers[i];

		if (w->used && w->recheck_sid && w->pid > 0 && !w->gone &&
		    now - w->started > SKD_RECHECK_DEADLINE) {
			syslog(LOG_WARNING, "posture re-check worker %d (%s) still running after "
			       "%d s: killed", (int)w->pid, w->remote, SKD_RECHECK_DEADLINE);
			skd_worker_kill(d, w, NULL);
		}
	}
}

/* a passed report waiting for its worker's end (skd_recheck_gone) */
struct skd_recheck_pass {
	struct sk_posture report;
	char verdicts[SK_PO_VERDICT_JSON];
};

static void apply_pass(struct skd *d, struct skd_worker *w, struct skd_session *s);

void skd_recheck_gone(struct skd *d, struct skd_worker *w)
{
	struct skd_session *s;

	d->n_recheck--;
	s = w->recheck_why || w->recheck_sid <= 0 ? NULL : skd_session_by_id(d, w->recheck_sid);
	if (s) {
		s->recheck_busy = false;
		if (w->recheck_pass)
			apply_pass(d, w, s);
	}
	free(w->recheck_pass);
	w->recheck_pass = NULL;
}

static void reply(struct skd_worker *w, unsigned int status, const char *text)
{
	struct sk_ipc_recheck_reply r;

	memset(&r, 0, sizeof(r));
	skd_ipc_header(&r, SK_IPC_RECHECK_REPLY, sizeof(r));
	r.status = status;
	snprintf(r.text, sizeof(r.text), "%s", text);
	skd_ipc_send(w, &r, sizeof(r), -1);
}

static void audit(struct skd *d, const struct skd_session *s, const struct skd_worker *w,
		  const char *result, const char *extra)
{
	char detail[SK_PO_VERDICT_JSON + 256];

	snprintf(detail, sizeof(detail), "{\"at\":\"recheck\",\"session\":%lld%s%s}",
		 (long long)(s ? s->id : 0), extra[0] ? "," : "", extra);
	skd_audit(d, "posture", s ? s->user : "", s ? s->device : "", w->remote, result, detail);
}

/* the passed report becomes the session's: a reconnect evaluates it */
static int keep_report(struct skd_session *s, const struct sk_posture *p)
{
	struct sk_posture *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = *p;
	free(s->posture);
	s->posture = c;
	return 0;
}

/* the quarantine is lifted: the group's allowlist on the live peer, the row */
static void lift(struct skd *d, struct skd_session *s, int64_t now)
{
	struct sk_session row;
	uint32_t pol;

	s->quarantine[0] = 0;
	s->quarantine_why[0] = 0;
	pol = skd_session_policy(d, s);
	s->policy = pol;
	if (d->have_kernel && s->peer_live && skd_kernel_peer_policy(&d->k, (uint32_t)s->id, pol))
		syslog(LOG_ERR, "session %lld: the group's policy %u could not be set on the "
		       "kernel peer", (long long)s->id, pol);
	if (!sk_session_get(d->st, s->id, &row)) {
		row.quarantine[0] = 0;
		row.quarantine_why[0] = 0;
		row.last_seen = now;
		sk_session_update(d->st, &row);
	}
}

static void apply_pass(struct skd *d, struct skd_worker *w, struct skd_session *s)
{
	char extra[SK_PO_VERDICT_JSON + 128];

	/* the session may have ended, moved to another address or been
	 * lifted meanwhile (a reconnect): nothing to do then */
	if (skd_session_by_addr(d, &w->peer) != s || !s->quarantine[0])
		return;
	if (keep_report(s, &w->recheck_pass->report)) {
		syslog(LOG_ERR, "session %lld: out of memory, the quarantine stays", (long long)s->id);
		return;
	}
	snprintf(extra, sizeof(extra), "\"lifted\":\"%s\",\"result\":%s", s->quarantine,
		 w->recheck_pass->verdicts);
	lift(d, s, skd_now());
	audit(d, s, w, "ok", extra);
	skd_log("session %lld of %s: quarantine lifted by an in-tunnel re-check",
		(long long)s->id, s->user);
}

static const char *const refusals[] = {
	[RC_NO_SESSION] = "このアドレスの VPN セッションはこのゲートウェイにありません。再確認は VPN "
		"接続の中から送ってください。/ No VPN session of this gateway has this address: "
		"send the re-check from inside your VPN connection.",
	[RC_TOO_SOON] = "再確認は 10 秒に 1 回までです。少し待ってからもう一度実行してください。/ "
		"One re-check per 10 seconds: wait a moment and run it again.",
	[RC_BUSY] = "このセッションの再確認を実行中です。その結果を待ってください。/ "
		"A re-check of this session is running: wait for its answer.",
};
static const char *const refusal_keys[] = {
	[RC_NO_SESSION] = "no-session", [RC_TOO_SOON] = "too-soon", [RC_BUSY] = "busy",
};

void skd_on_recheck(struct skd *d, struct skd_worker *w, const struct sk_ipc_recheck *m)
{
	struct sk_ipc_recheck *r;
	struct sk_posture_result res;
	struct skd_session *s = NULL;
	char quar[SK_PO_NAME], err[256] = "", msg[900], text[1024];
	char v[SK_PO_VERDICT_JSON], extra[SK_PO_VERDICT_JSON + 160];
	const char *chk;
	int64_t now = skd_now();
	int rc, why = w->recheck_why;

	if (why == RC_NO_SESSION || why == RC_TOO_SOON || why == RC_BUSY) {
		s = w->recheck_sid > 0 ? skd_session_by_id(d, w->recheck_sid) : NULL;
		snprintf(extra, sizeof(extra), "\"why\":\"%s\"", refusal_keys[why]);
		audit(d, s, w, "refused", extra);
		reply(w, why == RC_NO_SESSION ? 403 : 429, refusals[why]);
		return;
	}
	s = skd_session_by_id(d, w->recheck_sid);
	/* the session ended, or its address went to another, meanwhile */
	if (!s || skd_session_by_addr(d, &w->peer) != s) {
		audit(d, NULL, w, "refused", "\"why\":\"session-gone\"");
		reply(w, 410, "VPN セッションが終了しました。もう一度接続してください。/ "
		      "Your VPN session has ended: connect again.");
		return;
	}
	if (m->bad) {
		bool big = m->bad == SK_RECHECK_HTTP && m->http_status == 413;

		snprintf(extra, sizeof(extra), "\"why\":\"%s\",\"http\":%u",
			 m->bad == SK_RECHECK_HTTP ? "http" : "malformed",
			 m->bad == SK_RECHECK_HTTP ? m->http_status : 0);
		audit(d, s, w, "refused", extra);
		reply(w, m->bad == SK_RECHECK_HTTP && m->http_status >= 400 && m->http_status < 500 ?
		      m->http_status : 400, big ?
		      "報告が大きすぎます。隔離は続きます。/ The report is too large. The quarantine stays." :
		      "報告を読めませんでした。sekisho-hostscan.sh --recheck で送ってください。"
		      "隔離は続きます。/ The report could not be read: send it with "
		      "sekisho-hostscan.sh --recheck. The quarantine stays.");
		return;
	}
	if (!s->quarantine[0]) {
		audit(d, s, w, "refused", "\"why\":\"not-quarantined\"");
		reply(w, 409, "このセッションは隔離されていません。何もする必要はありません。/ "
		      "This session is not quarantined: nothing to do.");
		return;
	}
	/* a worker's struct: every string and count made valid again */
	r = malloc(sizeof(*r));
	if (!r) {
		reply(w, 503, "ゲートウェイの内部エラーです。/ Internal error of the gateway.");
		return;
	}
	memcpy(r, m, sizeof(*r));
	sk_hostscan_terminate(&r->report);
	sk_posture_sanitize(&r->report.posture);
	rc = sk_posture_decide(d->st, s->group, s->device, &r->report.posture, now, &res, quar,
			       err, sizeof(err));
	if (rc < 0) {
		audit(d, s, w, "fail", "\"reason\":\"policy\"");
		reply(w, 503, "ゲートウェイの内部エラーです。/ Internal error of the gateway.");
		free(r);
		return;
	}
	if (sk_posture_result_json(&res, v, sizeof(v)))
		snprintf(v, sizeof(v), "{}");
	if (res.overall == SK_PO_OK) {
		/*
		 * Applied when this worker is gone, after the client has the
		 * answer and closed: the group's allowlist need not let the
		 * listener through, and a FIN or ACK of this connection that
		 * met it would be dropped (and retransmitted) by the kernel.
		 */
		free(w->recheck_pass);
		w->recheck_pass = malloc(sizeof(*w->recheck_pass));
		if (!w->recheck_pass) {
			reply(w, 503, "ゲートウェイの内部エラーです。/ Internal error of the gateway.");
			free(r);
			return;
		}
		w->recheck_pass->report = r->report.posture;
		snprintf(w->recheck_pass->verdicts, sizeof(w->recheck_pass->verdicts), "%s", v);
		reply(w, 200, "端末の確認に合格しました。通常の接続先が使えます (再接続は不要です)。/ "
		      "Your device passed the check: your VPN connection now has its normal "
		      "access (no reconnect needed).");
		free(r);
		return;
	}
	/* still failing: the quarantine stays as it is, the login's report
	 * with it; the user is told which check and what to do.  The record
	 * names the failing check in "factor", as the login's records do, so
	 * that the metrics count it by check (sekisho_posture_results_total) */
	msg[0] = 0;
	chk = res.shown >= 0 ? sk_po_check_name((unsigned int)res.shown) : "";
	if (res.shown >= 0)
		sk_posture_message(&res, res.shown, NULL, msg, sizeof(msg));
	snprintf(extra, sizeof(extra),
		 "%s%s%s\"kept\":\"%s\",\"why\":\"%s: %s\",\"result\":%s",
		 chk[0] ? "\"factor\":\"" : "", chk, chk[0] ? "\"," : "", s->quarantine, chk,
		 res.shown >= 0 ? res.c[res.shown].reason : "", v);
	audit(d, s, w, sk_po_overall_name(res.overall), extra);
	snprintf(text, sizeof(text), "%s\n隔離は続きます。直してからもう一度実行してください。/ "
		 "The quarantine stays: fix this, then run the re-check again.", msg);
	reply(w, 403, text);
	free(r);
}
