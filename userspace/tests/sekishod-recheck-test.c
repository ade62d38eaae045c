// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of main's side of the in-tunnel posture re-check (issue 12
 * (b), sekishod/recheck.c; Documentation/decisions/posture.md, "Leaving
 * quarantine"): which connection may post (skd_recheck_admit: the source
 * address names a live session; one in flight and one per
 * SKD_RECHECK_EVERY s per session), and what a worker's RECHECK message
 * does (skd_on_recheck through skd_worker_recv, as from a real worker's
 * socket): a passing report from the quarantined session's address lifts
 * the quarantine (session, store row, audit "at":"recheck"); a still
 * failing report, a malformed one, an HTTP refusal of the worker, a
 * session that is not quarantined and a refusal decided at accept change
 * nothing and are answered with a status and a ja/en text.  Also the
 * reconnect's posture record (posture_connect in session.c, through a
 * CONNECT): a still failing check named in "factor" and counted by check
 * in the metrics, as the re-check's and the login's records.  A real
 * temporary SQLite store with the posture policy; no kernel (the peer's
 * policy call fails and is only logged).  TAP output.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "hostscan.h"
#include "skposture.h"
#include "tap.h"

static struct tap t;
static struct skd d;
static int wend = -1;
static int64_t now;
static int n_aux;
static unsigned int serial;	/* of the last session(), its cookie's */
/* whose posture records audits() and metrics_have() look at: the
 * re-check's, or a reconnect's (posture_connect in session.c) */
static const char *at = "\"at\":\"recheck\"";

static void ymd(int64_t when, char out[11])
{
	time_t tt = (time_t)when;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* a Linux agent's report; av_age: days of the definitions */
static struct sk_hostscan report(int av_age)
{
	struct sk_hostscan r;
	char text[2048], defs[11], upd[11], err[128] = "";

	ymd(now - (int64_t)av_age * 86400, defs);
	ymd(now - 3 * 86400, upd);
	snprintf(text, sizeof(text),
		 "endpoint.os.version=\"Linux\";\n"
		 "endpoint.posture.format=\"1\";\n"
		 "endpoint.posture.agent=\"linux-1.0\";\n"
		 "endpoint.posture.os.family=\"linux\";\n"
		 "endpoint.posture.os.id=\"debian\";\n"
		 "endpoint.posture.os.version=\"12\";\n"
		 "endpoint.posture.av[\"clamav\"].vendor=\"clamav\";\n"
		 "endpoint.posture.av[\"clamav\"].product=\"clamd\";\n"
		 "endpoint.posture.av[\"clamav\"].installed=\"true\";\n"
		 "endpoint.posture.av[\"clamav\"].running=\"true\";\n"
		 "endpoint.posture.av[\"clamav\"].realtime=\"true\";\n"
		 "endpoint.posture.av[\"clamav\"].definitions=\"%s\";\n"
		 "endpoint.posture.firewall=\"true\";\n"
		 "endpoint.posture.update.last=\"%s\";\n", defs, upd);
	memset(&r, 0, sizeof(r));
	if (sk_hostscan_parse(text, strlen(text), &r, err, sizeof(err)))
		printf("# report: %s\n", err);
	return r;
}

static struct sockaddr_storage addr4(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(40000);
	inet_pton(AF_INET, a, &s4->sin_addr);
	return ss;
}

/* session 0: alice of group eng at 10.77.0.5, quarantined in remed */
static struct skd_session *session(void)
{
	struct skd_session *s = &d.sessions[0];
	struct sk_session row;
	char cookie[32];

	if (s->id)
		sk_session_del(d.st, s->id);	/* its address is unique */
	skd_session_clear(s);
	s->used = true;
	s->peer_live = true;
	snprintf(s->user, sizeof(s->user), "alice");
	snprintf(s->group, sizeof(s->group), "eng");
	s->has4 = true;
	inet_pton(AF_INET, "10.77.0.5", &s->addr4);
	s->plen4 = 24;
	snprintf(s->quarantine, sizeof(s->quarantine), "remed");
	snprintf(s->quarantine_why, sizeof(s->quarantine_why), "av: av-definitions-old");
	memset(&row, 0, sizeof(row));
	/* unique per row; the session's own for a CONNECT (reconnect()) */
	snprintf(cookie, sizeof(cookie), "cookie-%u", ++serial);
	skd_cookie_hash(cookie, row.cookie_hash);
	memcpy(s->cookie_hash, row.cookie_hash, sizeof(s->cookie_hash));
	snprintf(row.user, sizeof(row.user), "alice");
	snprintf(row.group, sizeof(row.group), "eng");
	snprintf(row.addr4, sizeof(row.addr4), "10.77.0.5");
	snprintf(row.quarantine, sizeof(row.quarantine), "remed");
	snprintf(row.quarantine_why, sizeof(row.quarantine_why), "av: av-definitions-old");
	row.started = row.last_seen = now;
	if (sk_session_add(d.st, &row))
		printf("# sk_session_add failed\n");
	s->id = row.id;
	return s;
}

/* worker 0, a re-check worker of the connection from a, admitted or not */
static struct skd_worker *worker(const char *a, int why, int64_t sid)
{
	struct skd_worker *w = &d.workers[0];
	int sv[2];

	if (wend >= 0)
		close(wend);
	if (w->fd >= 0 && w->used)
		close(w->fd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return NULL;
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->fd = sv[0];
	wend = sv[1];
	w->peer = addr4(a);
	snprintf(w->remote, sizeof(w->remote), "%s:40000", a);
	w->recheck_sid = sid;
	w->recheck_why = why;
	d.n_recheck = 1;
	return w;
}

/* the worker sends m; main's answer: its status (0 none), text in out */
static unsigned int post(struct skd_worker *w, const struct sk_ipc_recheck *m, char *out, size_t len)
{
	struct sk_ipc_recheck_reply r;

	out[0] = 0;
	if (send(wend, m, sizeof(*m), 0) != (ssize_t)sizeof(*m))
		return 0;
	skd_worker_recv(&d, w);
	if (recv(wend, &r, sizeof(r), MSG_DONTWAIT) != (ssize_t)sizeof(r) ||
	    r.h.type != SK_IPC_RECHECK_REPLY)
		return 0;
	r.text[sizeof(r.text) - 1] = 0;
	snprintf(out, len, "%s", r.text);
	return r.status;
}

/* a reconnect of the last session() (its cookie "cookie-<serial>") through
 * the login worker w: the status of main's answer (0 none) */
static unsigned int reconnect(struct skd_worker *w)
{
	struct sk_ipc_connect m;
	union {
		struct sk_ipc_connect_reply r;
		char b[SK_IPC_MAX];
	} *u = malloc(sizeof(*u));
	unsigned int st = 0;

	memset(&m, 0, sizeof(m));
	skd_ipc_header(&m, SK_IPC_CONNECT, sizeof(m));
	snprintf(m.cookie, sizeof(m.cookie), "cookie-%u", serial);
	snprintf(m.hostname, sizeof(m.hostname), "laptop");
	if (!u || send(wend, &m, sizeof(m), 0) != (ssize_t)sizeof(m)) {
		free(u);
		return 0;
	}
	skd_worker_recv(&d, w);
	if (recv(wend, u, sizeof(*u), MSG_DONTWAIT) >= (ssize_t)sizeof(u->r) &&
	    u->r.h.type == SK_IPC_CONNECT_REPLY)
		st = u->r.status;
	free(u);
	return st;
}

static struct sk_ipc_recheck *msg(int av_age, uint32_t bad, uint32_t http)
{
	static struct sk_ipc_recheck m;

	memset(&m, 0, sizeof(m));
	skd_ipc_header(&m, SK_IPC_RECHECK, sizeof(m));
	m.bad = bad;
	m.http_status = http;
	if (!bad)
		m.report = report(av_age);
	return &m;
}

static int audit_fn(const struct sk_audit *a, void *arg)
{
	const char *want = arg;

	if (strstr(a->detail, at) && strstr(a->detail, want))
		n_aux++;
	return 0;
}

/* posture audit records of the re-check (or of at) whose detail has want */
static int audits(const char *want)
{
	struct sk_audit_filter f = { .type = "posture" };

	n_aux = 0;
	sk_audit_list(d.st, &f, audit_fn, (void *)want);
	return n_aux;
}

/* the re-check's (at's) posture records counted as main's metrics count them
 * (ska_auditlog_count, as ska_auditlog_poll feeds it): has the exposition
 * the line want? */
static int count_fn(const struct sk_audit *a, void *arg)
{
	(void)arg;
	if (strstr(a->detail, at))
		ska_auditlog_count(&d.auditlog, a);
	return 0;
}

static bool metrics_have(const char *want)
{
	struct sk_audit_filter f = { .type = "posture" };
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	bool ok;

	d.auditlog.n_counts = 0;
	memset(d.auditlog.counts, 0, sizeof(d.auditlog.counts));	/* an earlier call's */
	sk_audit_list(d.st, &f, count_fn, NULL);
	m = open_memstream(&buf, &len);
	if (!m)
		return false;
	skd_metrics_write(m, &d, NULL);
	fclose(m);
	ok = buf && strstr(buf, want);
	/* what it had instead: the posture lines */
	for (char *l = buf, *e; !ok && l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		if (!strncmp(l, "sekisho_posture_results_total", 29))
			printf("# %.*s\n", e ? (int)(e - l) : (int)strlen(l), l);
	}
	free(buf);
	return ok;
}

static bool row_quarantine(const struct skd_session *s, const char *want)
{
	struct sk_session row;

	return !sk_session_get(d.st, s->id, &row) && !strcmp(row.quarantine, want);
}

/* a session() that is not quarantined (in memory and in its row) and keeps
 * its login's report, whose definitions are 10 days old: what a CONNECT's
 * posture_connect evaluates again */
static struct skd_session *reconnecting(void)
{
	struct skd_session *s = session();
	struct sk_session row;

	s->posture = malloc(sizeof(*s->posture));
	if (s->posture)
		*s->posture = report(10).posture;
	s->quarantine[0] = s->quarantine_why[0] = 0;
	if (!sk_session_get(d.st, s->id, &row)) {
		row.quarantine[0] = row.quarantine_why[0] = 0;
		sk_session_update(d.st, &row);
	}
	return s;
}

int main(void)
{
	char dir[] = "/tmp/sekishod-recheck-test.XXXXXX", path[128], err[512], text[1100];
	struct sockaddr_storage a;
	struct skd_session *s;
	struct skd_worker *w;
	struct sk_group g;
	unsigned int st;
	int64_t sid;

	tap_begin();
	setlogmask(LOG_MASK(LOG_DEBUG) << 1);
	now = (int64_t)time(NULL);
	if (!mkdtemp(dir) || skd_init(&d)) {
		printf("Bail out! setup\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sk_store_open(path, &d.st, err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	d.tmpl.fd = -1;
	d.conf.posture_recheck_port = 8444;
	sk_policy_add(d.st, "internal", "the group's");
	sk_policy_add(d.st, "remed", "remediation");
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "eng");
	snprintf(g.policy, sizeof(g.policy), "internal");
	if (sk_group_add(d.st, &g, err, sizeof(err)) ||
	    sk_posture_set(d.st, SK_PO_SCOPE_GROUP, "eng", "posture", "on", err, sizeof(err)) ||
	    sk_posture_set(d.st, SK_PO_SCOPE_GROUP, "eng", "av.outcome", "quarantine", err, sizeof(err)) ||
	    sk_posture_set(d.st, SK_PO_SCOPE_GROUP, "eng", "quarantine.allowlist", "remed", err,
			   sizeof(err))) {
		printf("Bail out! %s\n", err);
		return 1;
	}

	/* ---- who may post ---- */
	s = session();
	skd_recheck_url(&d, s, text, sizeof(text));
	tap_ok(&t, !strcmp(text, "http://10.77.0.1:8444/recheck"),
	       "the URL names the pool's gateway address and the port (%s)", text);
	a = addr4("10.77.0.6");
	tap_ok(&t, skd_recheck_admit(&d, &a, now, &sid) == 1 && sid == -1 && !s->recheck_busy,
	       "a source address that is no session's: refused (no-session), the session untouched");
	a = addr4("10.77.0.5");
	s->peer_live = false;
	tap_ok(&t, skd_recheck_admit(&d, &a, now, &sid) == 1,
	       "the address of a session without a live tunnel: refused (no-session)");
	s->peer_live = true;
	tap_ok(&t, skd_recheck_admit(&d, &a, now, &sid) == 0 && sid == s->id && s->recheck_busy,
	       "the session's own address: admitted, marked running");
	tap_ok(&t, skd_recheck_admit(&d, &a, now + 20, &sid) == 3,
	       "a second one while the first runs: refused (busy)");
	s->recheck_busy = false;
	tap_ok(&t, skd_recheck_admit(&d, &a, now + SKD_RECHECK_EVERY - 1, &sid) == 2,
	       "%d s after the last: refused (too-soon)", SKD_RECHECK_EVERY - 1);
	tap_ok(&t, skd_recheck_admit(&d, &a, now + SKD_RECHECK_EVERY, &sid) == 0,
	       "%d s after the last: admitted", SKD_RECHECK_EVERY);
	s->recheck_busy = false;
	{
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;

		memset(&a, 0, sizeof(a));
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "::ffff:10.77.0.5", &s6->sin6_addr);
		s->recheck_at = 0;
		tap_ok(&t, skd_recheck_admit(&d, &a, now, &sid) == 0 && sid == s->id,
		       "the dual-stack listener's v4-mapped source names the same session");
		s->recheck_busy = false;
	}

	/* ---- what a worker's RECHECK does ---- */
	w = worker("10.77.0.6", 1, -1);
	st = post(w, msg(0, 0, 0), text, sizeof(text));
	tap_ok(&t, st == 403 && strstr(text, "No VPN session") && strstr(text, "セッション") &&
	       s->quarantine[0] && row_quarantine(s, "remed"),
	       "from another address, a passing report: 403, ja/en, the quarantine stays (%u)", st);
	tap_ok(&t, audits("\"why\":\"no-session\"") == 1, "audited: refused, no-session");
	w = worker("10.77.0.5", 2, s->id);
	st = post(w, msg(0, 0, 0), text, sizeof(text));
	tap_ok(&t, st == 429 && strstr(text, "10 seconds") && s->quarantine[0],
	       "too frequent, a passing report: 429, nothing lifted (%u)", st);
	w = worker("10.77.0.5", 3, s->id);
	st = post(w, msg(0, 0, 0), text, sizeof(text));
	tap_ok(&t, st == 429 && strstr(text, "running") && s->quarantine[0],
	       "one already running: 429, nothing lifted (%u)", st);
	w = worker("10.77.0.5", 0, s->id);
	st = post(w, msg(0, SK_RECHECK_HTTP, 413), text, sizeof(text));
	tap_ok(&t, st == 413 && strstr(text, "too large") && s->quarantine[0],
	       "an oversized body (the worker's 413): 413, the quarantine stays (%u)", st);
	w = worker("10.77.0.5", 0, s->id);
	st = post(w, msg(0, SK_RECHECK_MALFORMED, 0), text, sizeof(text));
	tap_ok(&t, st == 400 && strstr(text, "could not be read") && s->quarantine[0] &&
	       audits("\"why\":\"malformed\"") == 1,
	       "a malformed report: 400, audited, the quarantine stays (%u)", st);
	w = worker("10.77.0.5", 0, s->id);
	st = post(w, msg(10, 0, 0), text, sizeof(text));
	tap_ok(&t, st == 403 && strstr(text, "definitions are too old") && strstr(text, "quarantine stays") &&
	       s->quarantine[0] && row_quarantine(s, "remed") && audits("\"kept\":\"remed\"") == 1,
	       "definitions still 10 days old: 403 with the av message, kept, audited (%u: %.60s)",
	       st, text);
	tap_ok(&t, audits("\"factor\":\"av\"") == 1,
	       "its record names the failing check as the login's do (\"factor\":\"av\")");
	tap_ok(&t, metrics_have("\nsekisho_posture_results_total{check=\"av\",result=\"quarantine\"} 1\n"),
	       "the metrics count it by check: check=\"av\", result=\"quarantine\"");
	/* a compromised worker: strings without their NUL, counts too high */
	w = worker("10.77.0.5", 0, s->id);
	{
		struct sk_ipc_recheck *m = msg(0, 0, 0);

		memset(m->report.posture.av[0].name, 'x', sizeof(m->report.posture.av[0].name));
		m->report.posture.n_av = 200;
		st = post(w, m, text, sizeof(text));
	}
	tap_ok(&t, st != 0, "a report with unterminated strings and n_av 200 is sanitized, answered (%u)", st);
	session();
	s = &d.sessions[0];
	/* a pass is applied when its worker is gone: not if the session lost
	 * its tunnel meanwhile */
	w = worker("10.77.0.5", 0, s->id);
	st = post(w, msg(0, 0, 0), text, sizeof(text));
	s->peer_live = false;
	skd_worker_gone(&d, w);
	tap_ok(&t, st == 200 && s->quarantine[0] && row_quarantine(s, "remed"),
	       "a pass whose session lost its tunnel before the worker ended: nothing applied (%u)", st);
	s->peer_live = true;
	s->recheck_busy = false;
	w = worker("10.77.0.5", 0, s->id);
	st = post(w, msg(0, 0, 0), text, sizeof(text));
	tap_ok(&t, st == 200 && strstr(text, "no reconnect needed") && s->quarantine[0],
	       "fresh definitions from the session's address: 200; nothing applied while the worker runs (%u)",
	       st);
	skd_worker_gone(&d, w);
	tap_ok(&t, !s->quarantine[0] && !s->quarantine_why[0] && row_quarantine(s, ""),
	       "its worker gone: the quarantine lifted in memory and in the store row");
	tap_ok(&t, s->policy == (uint32_t)skd_policy_for(&d, "eng", NULL) && s->policy != 0,
	       "the session's policy is now the group's (%u)", s->policy);
	tap_ok(&t, s->posture && s->posture->av[0].defs_day == (int32_t)(now / 86400),
	       "the passed report is the session's now (a reconnect evaluates it)");
	tap_ok(&t, audits("\"lifted\":\"remed\"") == 1, "audited: posture ok at recheck, lifted remed");
	w = worker("10.77.0.5", 0, s->id);
	st = post(w, msg(0, 0, 0), text, sizeof(text));
	tap_ok(&t, st == 409 && strstr(text, "not quarantined") && audits("not-quarantined") == 1,
	       "a session no longer quarantined: 409, nothing to do (%u)", st);
	/* the worker's end and the session's flag */
	s->recheck_busy = true;
	w = worker("10.77.0.5", 0, s->id);
	skd_worker_gone(&d, w);
	tap_ok(&t, !s->recheck_busy && d.n_recheck == 0, "its worker gone: the session may post again");

	/* a stuck worker: main's own deadline */
	{
		pid_t c = fork();
		int wst = 0;

		if (c == 0) {
			pause();
			_exit(0);
		}
		w = worker("10.77.0.5", 0, s->id);
		w->pid = c;
		w->started = now;
		skd_recheck_timers(&d, now + SKD_RECHECK_DEADLINE);
		tap_ok(&t, waitpid(c, &wst, WNOHANG) == 0, "a re-check worker %d s old lives on",
		       SKD_RECHECK_DEADLINE);
		skd_recheck_timers(&d, now + SKD_RECHECK_DEADLINE + 1);
		tap_ok(&t, waitpid(c, &wst, 0) == c && WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL,
		       "... %d s old: killed by main", SKD_RECHECK_DEADLINE + 1);
		skd_worker_gone(&d, w);
		w->used = false;
	}

	/* the protocol: only a re-check worker sends RECHECK, and only that */
	{
		struct skd_worker *lw = worker("192.0.2.1", 0, 0);
		char buf[64];

		st = post(lw, msg(0, 0, 0), text, sizeof(text));
		tap_ok(&t, st == 0 && lw->fd < 0, "RECHECK from a login worker kills it");
		w = worker("10.77.0.5", 0, s->id);
		memset(buf, 0, sizeof(buf));
		skd_ipc_header(buf, SK_IPC_HELLO, sizeof(struct sk_ipc_hello));
		{
			struct sk_ipc_hello h;

			memset(&h, 0, sizeof(h));
			skd_ipc_header(&h, SK_IPC_HELLO, sizeof(h));
			if (send(wend, &h, sizeof(h), 0) == (ssize_t)sizeof(h))
				skd_worker_recv(&d, w);
		}
		tap_ok(&t, w->fd < 0, "anything but RECHECK from a re-check worker kills it");
	}
	/* ---- a reconnect (posture_connect, session.c): the login's report
	 * evaluated again at CONNECT; definitions still too old, so the
	 * quarantine stays and its record names the check as the login's and
	 * the re-check's do ---- */
	s = reconnecting();
	tap_ok(&t, row_quarantine(s, ""), "a session not quarantined, its login's report kept");
	w = worker("10.77.0.5", 0, 0);	/* a login worker, the tunnel's */
	d.n_preauth = 1;
	at = "\"at\":\"connect\"";
	st = reconnect(w);
	tap_ok(&t, st == 200 && !strcmp(s->quarantine, "remed") && row_quarantine(s, "remed") &&
	       audits("\"quarantine\":\"remed\"") == 1,
	       "a reconnect, the report's definitions 10 days old: connected, quarantined (memory, row), audited at connect (%u)",
	       st);
	tap_ok(&t, audits("\"factor\":\"av\"") == 1,
	       "its record names the failing check as the login's do (\"factor\":\"av\")");
	tap_ok(&t, metrics_have("\nsekisho_posture_results_total{check=\"av\",result=\"quarantine\"} 1\n"),
	       "the metrics count it by check: check=\"av\", result=\"quarantine\"");
	s->w = NULL;
	w->s = NULL;
	/* ---- a reconnect refused: the same report, av.outcome refuse ---- */
	tap_ok(&t, !sk_posture_set(d.st, SK_PO_SCOPE_GROUP, "eng", "av.outcome", "refuse", err,
				   sizeof(err)), "av.outcome refuse (%s)", err);
	s = reconnecting();
	w = worker("10.77.0.5", 0, 0);
	d.n_preauth = 1;
	st = reconnect(w);
	tap_ok(&t, st == 401 && !s->used,
	       "a reconnect, definitions 10 days old, av.outcome refuse: refused (401), the session ended (%u)",
	       st);
	tap_ok(&t, audits("\"factor\":\"av\",\"quarantine\":\"\",\"why\":\"av: ") == 1,
	       "its record names the check in \"factor\" and, with its reason, in \"why\"");
	tap_ok(&t, metrics_have("\nsekisho_posture_results_total{check=\"av\",result=\"refuse\"} 1\n"),
	       "the metrics count it by check: check=\"av\", result=\"refuse\"");
	w->s = NULL;

	free(d.sessions[0].posture);
	d.sessions[0].posture = NULL;
	sk_store_close(d.st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
