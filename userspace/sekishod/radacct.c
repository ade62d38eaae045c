// SPDX-License-Identifier: GPL-2.0
/*
 * RADIUS for sekishod's sessions (issue 15): the Framed-IP-Address a
 * RADIUS directory's Accept gave, and accounting (RFC 2866) of the
 * sessions of that directory's users.
 *
 * Accounting: Start when the tunnel first comes up, Interim-Update every
 * interim-interval seconds of the directory, Stop when the session ends,
 * with the kernel's byte and packet counters (the totals over every
 * kernel peer the session had), the session time and the cause.  A
 * request waits for the servers (at most servers x tries x timeout
 * seconds), so each one runs on a short-lived thread of its own with a
 * copy of the directory's settings and of the record: the event loop only
 * reads the store and copies.  At most SKD_ACCT_THREADS requests are in
 * flight; above that a record is dropped and logged (a dead accounting
 * server must not pile up threads).  A failed request is logged, never
 * retried: accounting never holds a session up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"
#include "radacct.h"
#include "skldap.h"
#include "skradius.h"

#define SKD_ACCT_THREADS 16

static atomic_int inflight;

struct acct_job {
	struct sk_radius_cfg c;		/* holds the shared secret: wiped */
	struct sk_radius_acct a;
};

static const char *status_name(enum sk_radius_acct_status s)
{
	return s == SK_RADIUS_ACCT_START ? "Start" : s == SK_RADIUS_ACCT_STOP ? "Stop" :
	       "Interim-Update";
}

static void *acct_run(void *arg)
{
	struct acct_job *j = arg;
	char server[SK_RADIUS_HOST_MAX + 8] = "", err[512] = "";
	int rc;

	rc = sk_radius_account(&j->c, &j->a, server, sizeof(server), err, sizeof(err));
	if (rc)
		syslog(LOG_WARNING, "RADIUS accounting %s of %s (session %s) to directory %s: %s",
		       status_name(j->a.status), j->a.user, j->a.session_id, j->c.name, err);
	else
		syslog(LOG_INFO, "RADIUS accounting %s of %s (session %s) answered by %s",
		       status_name(j->a.status), j->a.user, j->a.session_id, server);
	sk_radius_cfg_wipe(&j->c);
	free(j);
	atomic_fetch_sub(&inflight, 1);
	return NULL;
}

/* Acct-Terminate-Cause of a session end reason (skd_session_end): the
 * first entry whose text starts the reason ("killed-by-admin", "account-
 * disabled", "locked" ...); none: NAS-Request */
static const struct { const char *reason; enum sk_radius_term cause; } causes[] = {
	{ "logout", SK_RADIUS_TERM_USER_REQUEST },
	{ "idle-timeout", SK_RADIUS_TERM_IDLE_TIMEOUT },
	{ "session-timeout", SK_RADIUS_TERM_SESSION_TIMEOUT },
	{ "detached-timeout", SK_RADIUS_TERM_LOST_CARRIER },
	{ "killed", SK_RADIUS_TERM_ADMIN_RESET },
	{ "account", SK_RADIUS_TERM_ADMIN_RESET },
	{ "user-disabled", SK_RADIUS_TERM_ADMIN_RESET },
	{ "locked", SK_RADIUS_TERM_ADMIN_RESET },
	{ "directory", SK_RADIUS_TERM_ADMIN_RESET },
};

static enum sk_radius_term cause_of(const char *reason)
{
	for (size_t i = 0; reason && i < sizeof(causes) / sizeof(causes[0]); i++)
		if (!strncmp(reason, causes[i].reason, strlen(causes[i].reason)))
			return causes[i].cause;
	return SK_RADIUS_TERM_NAS_REQUEST;
}

int skd_thread_detached(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	int rc;

	/* the thread takes no signal (the main thread reads a signalfd) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* skd_acct with the end of the session time: now, or when a session row
 * that no slot held was last seen (skd_acct_row_end) */
static void acct_send(struct skd *d, struct skd_session *s, enum sk_radius_acct_status status,
		      const char *reason, int64_t now)
{
	struct acct_job *j;
	char err[256];
	const char *colon;
	int rc;

	if (!s->radius_dir[0] || (status == SK_RADIUS_ACCT_START) == s->acct_started)
		return;		/* not a RADIUS user; Start once, the others after it */
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	if (sk_radius_cfg_load(d->st, s->radius_dir, &j->c, err, sizeof(err)) || !j->c.accounting) {
		sk_radius_cfg_wipe(&j->c);
		free(j);
		return;
	}
	s->acct_started = status != SK_RADIUS_ACCT_STOP;
	s->acct_last = now;
	j->a.status = status;
	snprintf(j->a.user, sizeof(j->a.user), "%s", s->user);
	/* unique over restarts: the login time and the store's session id */
	snprintf(j->a.session_id, sizeof(j->a.session_id), "%llx-%llx",
		 (unsigned long long)s->started, (unsigned long long)s->id);
	/* the client's address without the port ("addr:port", "[v6]:port") */
	colon = strrchr(s->remote, ':');
	snprintf(j->a.calling, sizeof(j->a.calling), "%.*s",
		 (int)(colon ? (size_t)(colon - s->remote) : strlen(s->remote)), s->remote);
	if (j->a.calling[0] == '[') {
		size_t n = strlen(j->a.calling);

		memmove(j->a.calling, j->a.calling + 1, n);
		if (n > 1 && j->a.calling[n - 2] == ']')
			j->a.calling[n - 2] = '\0';
	}
	if (s->has4)
		inet_ntop(AF_INET, &s->addr4, j->a.framed_ip, sizeof(j->a.framed_ip));
	/* the kernel counts rx from the client: Acct-Input */
	j->a.in_octets = s->rx_bytes;
	j->a.out_octets = s->tx_bytes;
	j->a.in_packets = s->rx_pkts;
	j->a.out_packets = s->tx_pkts;
	j->a.session_time = s->tunnel_started && now > s->tunnel_started ?
			    (uint32_t)(now - s->tunnel_started) : 0;
	if (status == SK_RADIUS_ACCT_STOP)
		j->a.cause = cause_of(reason);
	if (atomic_fetch_add(&inflight, 1) >= SKD_ACCT_THREADS) {
		atomic_fetch_sub(&inflight, 1);
		syslog(LOG_WARNING, "RADIUS accounting %s of %s dropped: %d requests already wait "
		       "for directory %s's servers", status_name(status), s->user,
		       SKD_ACCT_THREADS, s->radius_dir);
		sk_radius_cfg_wipe(&j->c);
		free(j);
		return;
	}
	rc = skd_thread_detached(acct_run, j);
	if (rc) {
		atomic_fetch_sub(&inflight, 1);
		syslog(LOG_WARNING, "RADIUS accounting %s of %s: no thread: %s", status_name(status),
		       s->user, strerror(rc));
		sk_radius_cfg_wipe(&j->c);
		free(j);
	}
}

void skd_acct(struct skd *d, struct skd_session *s, enum sk_radius_acct_status status,
	      const char *reason)
{
	acct_send(d, s, status, reason, skd_now());
}

int64_t skd_radius_expires(int64_t expires, int64_t now, uint32_t session_timeout)
{
	if (session_timeout > 0 && (!expires || now + (int64_t)session_timeout < expires))
		return now + (int64_t)session_timeout;
	return expires;
}

void skd_acct_resume(struct skd *d, struct skd_session *s)
{
	char dir[SK_NAME_MAX + 1];

	if (sk_user_directory_get(d->st, s->user, dir, sizeof(dir)) || !dir[0] ||
	    sk_ldap_dir_type(d->st, dir) != SK_LDAP_RADIUS)
		return;
	snprintf(s->radius_dir, sizeof(s->radius_dir), "%s", dir);
	s->acct_started = s->tunnel_started != 0;
	s->acct_last = skd_now();
}

void skd_acct_row_end(struct skd *d, const struct sk_session *row, const char *reason, int64_t now)
{
	struct skd_session *s;

	if (!row->addr4[0] && !row->addr6[0])
		return;		/* no tunnel: no Start was sent */
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->id = row->id;
	snprintf(s->user, sizeof(s->user), "%s", row->user);
	snprintf(s->remote, sizeof(s->remote), "%s", row->remote);
	s->started = row->started;
	s->tunnel_started = row->started;
	s->rx_bytes = row->rx_bytes;
	s->tx_bytes = row->tx_bytes;
	s->rx_pkts = row->rx_pkts;
	s->tx_pkts = row->tx_pkts;
	if (row->addr4[0] && inet_pton(AF_INET, row->addr4, &s->addr4) == 1)
		s->has4 = true;
	skd_acct_resume(d, s);
	/* the session time ends when the gateway last saw the tunnel */
	if (s->acct_started)
		acct_send(d, s, SK_RADIUS_ACCT_STOP, reason,
			  row->last_seen > row->started && row->last_seen < now ? row->last_seen : now);
	free(s);
}

void skd_acct_timer(struct skd *d, struct skd_session *s, int64_t now)
{
	struct sk_radius_cfg *c;
	char err[256];
	int interim = 0;

	if (!s->radius_dir[0] || !s->acct_started)
		return;
	/* the interval is read at most once a minute per session */
	if (now - s->acct_last < 60)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	if (!sk_radius_cfg_load(d->st, s->radius_dir, c, err, sizeof(err)) && c->accounting)
		interim = c->interim;
	sk_radius_cfg_wipe(c);
	free(c);
	if (interim > 0 && now - s->acct_last >= interim)
		skd_acct(d, s, SK_RADIUS_ACCT_INTERIM, NULL);
}

const char *skd_framed_ip(struct skd *d, struct skd_session *s, const char *pool,
			  skd_busy_fn busy, void *arg)
{
	struct skd_pool p;
	struct in_addr a;

	(void)d;
	if (!s->framed_ip[0] || s->has4)
		return NULL;
	if (inet_pton(AF_INET, s->framed_ip, &a) != 1)
		return "framed-ip-invalid";
	if (!pool || !pool[0] || skd_pool_parse(pool, &p) || p.family != AF_INET ||
	    !skd_pool_usable(&p, (const uint8_t *)&a))
		return "framed-ip-not-in-pool";
	if (busy(arg, AF_INET, (const uint8_t *)&a))
		return "framed-ip-in-use";
	s->addr4 = a;
	s->plen4 = p.plen;
	s->has4 = true;
	return NULL;
}
