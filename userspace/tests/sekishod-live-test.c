// SPDX-License-Identifier: GPL-2.0
/*
 * Live across gateways (issue 13; decisions/live-gateways.md): main's real
 * event loop (skd_loop) runs in a thread on a PostgreSQL store with three
 * sessions in memory; another store handle plays gateway B (or psql) and
 * changes the store.  What B changes ends this gateway's sessions within
 * 2 s, through the store's notifications and skd_live_run: a user disabled
 * on B, a kill on B.  A notification alone decides nothing: a forged
 * "kill ID" for a session the store does not say killed leaves it.  On
 * SQLite there is no listener and nothing changes.  Needs SK_TEST_STORE
 * (tests/lib/pg.sh) for the PostgreSQL part.  TAP output.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"
#include "store-test.h"

static struct tap t;
static struct skd d;
static char dir[] = "/tmp/sekishod-live-test.XXXXXX";
static char path[sizeof(((struct skd_conf *)0)->store)];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *loop_thread(void *arg)
{
	(void)arg;
	skd_loop(&d);
	return NULL;
}

/* a session of user in the store and in the loop's memory */
static int64_t session(const char *user, int slot)
{
	struct skd_session *s = &d.sessions[slot];
	struct sk_session row;

	memset(&row, 0, sizeof(row));
	memset(row.cookie_hash, 0x40 + slot, sizeof(row.cookie_hash));
	snprintf(row.user, sizeof(row.user), "%s", user);
	snprintf(row.group, sizeof(row.group), "staff");
	row.started = row.last_seen = skd_now();
	row.pid = 4242;
	if (sk_session_add(d.st, &row))
		return -1;
	skd_session_clear(s);
	s->used = true;
	s->id = row.id;
	memcpy(s->cookie_hash, row.cookie_hash, 32);
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->group, sizeof(s->group), "staff");
	return row.id;
}

static int moved_each(const struct sk_audit *a, void *arg)
{
	int *n = arg;

	*n += !strcmp(a->result, "moved") && strstr(a->detail, "\"to\":\"gw-b\"") != NULL;
	return 0;
}

/* seconds until the loop audited the release of a session of user to
 * gw-b (session-moved), or -1 */
static double moved_within(struct sk_store *b, const char *user, double limit, double t0)
{
	struct sk_audit_filter f = { .type = "session-moved", .user = user };

	while (now_s() - t0 < limit) {
		int n = 0;

		if (!sk_audit_list(b, &f, moved_each, &n) && n > 0)
			return now_s() - t0;
		usleep(20000);
	}
	return -1;
}

/* seconds until B no longer finds session id (the loop ended it), or -1 */
static double gone_within(struct sk_store *b, int64_t id, double limit, double t0)
{
	struct sk_session x;

	while (now_s() - t0 < limit) {
		if (sk_session_get(b, id, &x) == -ENOENT)
			return now_s() - t0;
		usleep(20000);
	}
	return -1;
}

static bool setup(void)
{
	char err[512];
	struct sk_group g;
	struct sk_user u;

	if (!mkdtemp(dir) || skd_init(&d) || !test_store(dir, "live.db", path, sizeof(path)))
		return false;
	if (sk_store_open(path, &d.st, err, sizeof(err)))
		return false;
	sk_store_set_gateway(d.st, "gw-a");
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	if (sk_group_add(d.st, &g, err, sizeof(err)))
		return false;
	for (const char *const *n = (const char *const[]){ "alice", "bob", "carol", "dave", NULL }; *n; n++) {
		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "%s", *n);
		snprintf(u.group, sizeof(u.group), "staff");
		u.enabled = true;
		if (sk_user_add(d.st, &u, err, sizeof(err)))
			return false;
	}
	snprintf(d.conf.store, sizeof(d.conf.store), "%s", path);
	d.tmpl.fd = -1;
	d.tmpl.failed = true;		/* no worker executables here */
	return true;
}

int main(void)
{
	struct sk_store *b = NULL;
	struct sk_user u;
	struct sk_session x;
	int64_t ida, idb, idc, idd;
	char err[512], sql[128];
	double t0, secs;
	pthread_t th;

	tap_begin();
	setlogmask(LOG_MASK(LOG_DEBUG) << 1);
	signal(SIGPIPE, SIG_IGN);
	if (!setup()) {
		printf("Bail out! setup\n");
		return 1;
	}
	ida = session("alice", 0);
	idb = session("bob", 1);
	idc = session("carol", 2);
	idd = session("dave", 3);
	if (ida < 0 || idb < 0 || idc < 0 || idd < 0 || pthread_create(&th, NULL, loop_thread, NULL)) {
		printf("Bail out! sessions or thread\n");
		return 1;
	}
	for (int i = 0; i < 200 && !(d.listen && sk_listen_up(d.listen)); i++)
		usleep(25000);
	if (!test_pg()) {
		tap_ok(&t, !d.listen, "SQLite: no listener (one gateway)");
		d.stop = true;
		pthread_join(th, NULL);
		return tap_end(&t);
	}
	tap_ok(&t, d.listen && sk_listen_up(d.listen), "the loop listens on the store's channel");
	if (sk_store_open(path, &b, err, sizeof(err)) || sk_store_set_gateway(b, "gw-b")) {
		printf("Bail out! B: %s\n", err);
		return 1;
	}

	/* a forged notification: the store does not say killed */
	snprintf(sql, sizeof(sql), "SELECT pg_notify('sekisho', 'kill %lld')", (long long)idc);
	raw(path, sql);
	secs = gone_within(b, idc, 1.0, now_s());
	tap_ok(&t, secs < 0 && !sk_session_get(b, idc, &x),
	       "a forged 'kill %lld' alone ends nothing (the store decides)", (long long)idc);

	/* B disables alice */
	t0 = now_s();
	if (!sk_user_get(b, "alice", &u)) {
		u.enabled = false;
		sk_user_update(b, &u, err, sizeof(err));
	}
	secs = gone_within(b, ida, 5.0, t0);
	tap_ok(&t, secs >= 0 && secs <= 2.0, "alice disabled on B: her session here ended in %.3f s",
	       secs);

	/* B kills bob's session */
	t0 = now_s();
	if (!sk_session_get(b, idb, &x)) {
		x.killed = true;
		sk_session_update(b, &x);
	}
	secs = gone_within(b, idb, 5.0, t0);
	tap_ok(&t, secs >= 0 && secs <= 2.0, "bob's session killed on B: ended here in %.3f s", secs);
	tap_ok(&t, !sk_session_get(b, idc, &x), "carol's session goes on");

	/* B takes dave's session over (its client came to B with the
	 * cookie): this gateway ends its side, the row stays B's */
	snprintf(sql, sizeof(sql), "SELECT pg_notify('sekisho', 'moved %lld')", (long long)idd);
	raw(path, sql);
	secs = moved_within(b, "dave", 1.0, now_s());
	tap_ok(&t, secs < 0 && d.sessions[3].used,
	       "a forged 'moved %lld' alone ends nothing (the row is still ours)", (long long)idd);
	t0 = now_s();
	if (!sk_session_get(b, idd, &x)) {
		x.pid = 77;
		snprintf(x.gateway, sizeof(x.gateway), "gw-b");
		sk_session_update(b, &x);
	}
	secs = moved_within(b, "dave", 5.0, t0);
	tap_ok(&t, secs >= 0 && secs <= 2.0, "dave's session taken over by B: ended here in %.3f s "
	       "(audited session-moved)", secs);
	tap_ok(&t, !sk_session_get(b, idd, &x) && !strcmp(x.gateway, "gw-b") && x.pid == 77 && !x.killed,
	       "... and its row is B's, untouched (%s, pid %d)", x.gateway, x.pid);

	/* the listener's connection cut: back by itself, and it reads all */
	raw(path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE application_name = 'sekisho-listen'");
	t0 = now_s();
	usleep(200000);
	for (int i = 0; i < 400 && !sk_listen_up(d.listen); i++)
		usleep(25000);
	tap_ok(&t, sk_listen_up(d.listen), "listening again %.1f s after the server ended it",
	       now_s() - t0);
	t0 = now_s();
	if (!sk_user_get(b, "carol", &u)) {
		u.enabled = false;
		sk_user_update(b, &u, err, sizeof(err));
	}
	secs = gone_within(b, idc, 5.0, t0);
	tap_ok(&t, secs >= 0 && secs <= 2.0, "and it hears: carol disabled on B, ended in %.3f s", secs);

	d.stop = true;
	pthread_join(th, NULL);
	sk_store_close(b);
	return tap_end(&t);
}
