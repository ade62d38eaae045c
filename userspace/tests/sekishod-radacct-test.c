// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekishod's RADIUS part (radacct.c, issue 15): the
 * Framed-IP-Address as a session's address (in the group's pool and free,
 * else the refusal that says which), and, against the FreeRADIUS of
 * tests/lib/freeradius.sh (the stage `directory` exports SK_TEST_RADIUS_*),
 * accounting of a session: Start, Interim-Update and Stop with the
 * session's counters and the terminate cause, read back from the server's
 * detail file; nothing for a session without a RADIUS directory or with
 * accounting=no; a session taken back after a restart goes on (its Stop
 * under the same Acct-Session-Id); a session row deleted while no slot
 * held it (the sweep at the start and later: detached too long, expired,
 * killed) still gets its Stop with the row's counters (bytes and packets,
 * schema 13); the Accept's
 * Session-Timeout bounds a new session's expiry.  TAP output.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "radacct.h"
#include "tap.h"

static struct tap t;

static const uint8_t *taken;

static bool busy(void *arg, int family, const uint8_t *addr)
{
	(void)arg;
	return family == AF_INET && taken && !memcmp(addr, taken, 4);
}

static void framed(void)
{
	struct skd_session s;
	struct in_addr other;
	char a[16];

	memset(&s, 0, sizeof(s));
	snprintf(s.framed_ip, sizeof(s.framed_ip), "10.77.0.40");
	tap_ok(&t, !skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) && s.has4 && s.plen4 == 24 &&
	       inet_ntop(AF_INET, &s.addr4, a, sizeof(a)) && !strcmp(a, "10.77.0.40"),
	       "framed IP in the pool and free: the session's address, the pool's prefix");
	tap_ok(&t, !skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) && !strcmp(a, "10.77.0.40"),
	       "an address already assigned is kept (reconnect)");
	memset(&s, 0, sizeof(s));
	snprintf(s.framed_ip, sizeof(s.framed_ip), "10.20.30.40");
	tap_ok(&t, skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) &&
	       !strcmp(skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL), "framed-ip-not-in-pool") &&
	       !s.has4, "framed IP outside the pool: refused (framed-ip-not-in-pool)");
	snprintf(s.framed_ip, sizeof(s.framed_ip), "10.77.0.1");
	tap_ok(&t, !strcmp(skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) ?: "", "framed-ip-not-in-pool"),
	       "the pool's gateway address: refused");
	snprintf(s.framed_ip, sizeof(s.framed_ip), "10.77.0.255");
	tap_ok(&t, !strcmp(skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) ?: "", "framed-ip-not-in-pool"),
	       "the pool's broadcast address: refused");
	snprintf(s.framed_ip, sizeof(s.framed_ip), "10.77.0.41");
	tap_ok(&t, !strcmp(skd_framed_ip(NULL, &s, "", busy, NULL) ?: "", "framed-ip-not-in-pool"),
	       "a group without an IPv4 pool: refused");
	inet_pton(AF_INET, "10.77.0.41", &other);
	taken = (const uint8_t *)&other;
	tap_ok(&t, !strcmp(skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) ?: "", "framed-ip-in-use") &&
	       !s.has4, "framed IP another session or lease holds: refused (framed-ip-in-use)");
	taken = NULL;
	snprintf(s.framed_ip, sizeof(s.framed_ip), "10.77.0.x");
	tap_ok(&t, !strcmp(skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) ?: "", "framed-ip-invalid"),
	       "not an address: refused");
	s.framed_ip[0] = '\0';
	tap_ok(&t, !skd_framed_ip(NULL, &s, "10.77.0.0/24", busy, NULL) && !s.has4,
	       "no framed IP: nothing assigned here (the pool's turn)");
}

/* the detail file's records, read until it has at least n "Acct-Status-Type" lines */
static char *detail_wait(const char *path, int n)
{
	static char buf[65536];

	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(path, "r");
		size_t len = 0;
		int got = 0;

		buf[0] = '\0';
		if (f) {
			len = fread(buf, 1, sizeof(buf) - 1, f);
			buf[len] = '\0';
			fclose(f);
			for (char *p = buf; (p = strstr(p, "Acct-Status-Type")); p++)
				got++;
		}
		if (got >= n)
			return buf;
		usleep(50 * 1000);
	}
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void accounting(void)
{
	const char *detail = getenv("SK_TEST_RADIUS_DETAIL");
	char path[] = "/tmp/sk-radacct.XXXXXX", db[64], err[256], srv[64], *d0;
	struct skd *d = calloc(1, sizeof(*d));
	struct skd_session *s = calloc(1, sizeof(*s));
	int before;

	if (!d || !s || !mkdtemp(path))
		return;
	snprintf(db, sizeof(db), "%s/s.db", path);
	tap_ok(&t, !sk_store_open(db, &d->st, err, sizeof(err)), "store (%s)", err);
	snprintf(srv, sizeof(srv), "127.0.0.1:%s", getenv("SK_TEST_RADIUS_PORT"));
	sk_directory_add(d->st, "rad", err, sizeof(err));
	sk_directory_set(d->st, "rad", "type", "radius", err, sizeof(err));
	sk_directory_set(d->st, "rad", "server", srv, err, sizeof(err));
	sk_directory_set(d->st, "rad", "secret", getenv("SK_TEST_RADIUS_SECRET"), err, sizeof(err));
	sk_directory_set(d->st, "rad", "timeout", "1", err, sizeof(err));

	d0 = detail_wait(detail, 0);
	before = count(d0, "Acct-Status-Type");
	s->used = true;
	s->id = 4242;
	s->started = 1700000000;
	s->tunnel_started = skd_now() - 5;
	snprintf(s->user, sizeof(s->user), "alice");
	snprintf(s->radius_dir, sizeof(s->radius_dir), "rad");
	snprintf(s->remote, sizeof(s->remote), "192.0.2.9:51000");
	s->has4 = true;
	inet_pton(AF_INET, "10.77.0.40", &s->addr4);

	skd_acct(d, s, SK_RADIUS_ACCT_START, NULL);
	tap_ok(&t, !s->acct_started, "accounting=no (the default): no Start");
	tap_ok(&t, !sk_directory_set(d->st, "rad", "accounting", "yes", err, sizeof(err)) &&
	       !sk_directory_set(d->st, "rad", "interim-interval", "60", err, sizeof(err)),
	       "accounting=yes, interim-interval=60 (%s)", err);
	tap_ok(&t, sk_radius_setting_check("interim-interval", "59", err, sizeof(err)) &&
	       strstr(err, "60 to 86400"), "interim-interval=59 refused: %s", err);
	tap_ok(&t, sk_radius_setting_check("accounting", "on", err, sizeof(err)) &&
	       strstr(err, "yes or no"), "accounting=on refused: %s", err);
	{
		struct sk_radius_cfg c;

		tap_ok(&t, !sk_radius_cfg_load(d->st, "rad", &c, err, sizeof(err)) && c.accounting &&
		       c.interim == 60 && !c.framed_ip, "the directory's settings load (%s)", err);
		sk_radius_cfg_wipe(&c);
	}
	skd_acct(d, s, SK_RADIUS_ACCT_STOP, "logout");
	tap_ok(&t, !s->acct_started, "no Stop before a Start");
	skd_acct(d, s, SK_RADIUS_ACCT_START, NULL);
	tap_ok(&t, s->acct_started, "Start sent");
	d0 = detail_wait(detail, before + 1);
	tap_ok(&t, count(d0, "Acct-Status-Type = Start") >= 1 && strstr(d0, "User-Name = \"alice\"") &&
	       strstr(d0, "Acct-Session-Id = \"6553f100-1092\"") &&
	       strstr(d0, "Calling-Station-Id = \"192.0.2.9\"") &&
	       strstr(d0, "Framed-IP-Address = 10.77.0.40"),
	       "the server got the Start: user, session id, the client's address without the port, "
	       "the tunnel address");
	skd_acct(d, s, SK_RADIUS_ACCT_START, NULL);
	skd_acct_timer(d, s, skd_now() + 30);
	tap_ok(&t, count(detail_wait(detail, before + 2), "Acct-Status-Type") == before + 1,
	       "one Start only; no Interim-Update before the interval");
	s->rx_bytes = 5000000000ull;	/* above 4 GiB: Gigawords */
	s->tx_bytes = 123456;
	s->rx_pkts = 3500000;
	s->tx_pkts = 1000;
	skd_acct_timer(d, s, skd_now() + 61);
	d0 = detail_wait(detail, before + 2);
	tap_ok(&t, count(d0, "Acct-Status-Type = Interim-Update") >= 1 &&
	       strstr(d0, "Acct-Input-Gigawords = 1") && strstr(d0, "Acct-Input-Octets = 705032704") &&
	       strstr(d0, "Acct-Output-Octets = 123456") && strstr(d0, "Acct-Input-Packets = 3500000"),
	       "Interim-Update after the interval, with the counters (Gigawords above 4 GiB)");
	skd_acct(d, s, SK_RADIUS_ACCT_STOP, "idle-timeout");
	d0 = detail_wait(detail, before + 3);
	tap_ok(&t, count(d0, "Acct-Status-Type = Stop") >= 1 &&
	       strstr(d0, "Acct-Terminate-Cause = Idle-Timeout") && strstr(d0, "Acct-Session-Time = ") &&
	       strstr(d0, "Acct-Output-Packets = 1000") && !s->acct_started,
	       "Stop with the counters, the session time and the cause (idle-timeout -> Idle-Timeout)");
	skd_acct(d, s, SK_RADIUS_ACCT_STOP, "logout");
	usleep(300 * 1000);
	tap_ok(&t, count(detail_wait(detail, 0), "Acct-Status-Type") == before + 3, "one Stop only");
	s->radius_dir[0] = '\0';
	skd_acct(d, s, SK_RADIUS_ACCT_START, NULL);
	tap_ok(&t, !s->acct_started, "a session without a RADIUS directory: nothing");

	/* a restart: the session taken back from the store has no login, its
	 * user's record names the directory (session_adopt) */
	{
		struct sk_user u;
		struct sk_group g;

		sk_group_defaults(&g);
		snprintf(g.name, sizeof(g.name), "radstaff");
		sk_group_add(d->st, &g, err, sizeof(err));
		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "alice");
		snprintf(u.group, sizeof(u.group), "radstaff");
		u.enabled = true;
		tap_ok(&t, !sk_user_add(d->st, &u, err, sizeof(err)) &&
		       !sk_user_directory_set(d->st, "alice", "rad"), "alice, a user of rad (%s)", err);
		snprintf(u.name, sizeof(u.name), "loc");
		sk_user_add(d->st, &u, NULL, 0);
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->id = 4243;
	s->started = 1700000000;
	s->tunnel_started = 1700000000;
	snprintf(s->user, sizeof(s->user), "alice");
	snprintf(s->remote, sizeof(s->remote), "192.0.2.9:51000");
	skd_acct_resume(d, s);
	tap_ok(&t, !strcmp(s->radius_dir, "rad") && s->acct_started,
	       "taken back after a restart: alice's RADIUS directory again, accounting started");
	s->rx_bytes = 777;
	skd_acct(d, s, SK_RADIUS_ACCT_STOP, "admin-kill");
	d0 = detail_wait(detail, before + 4);
	tap_ok(&t, count(d0, "Acct-Status-Type = Stop") >= 2 &&
	       strstr(d0, "Acct-Session-Id = \"6553f100-1093\"") &&
	       strstr(d0, "Acct-Input-Octets = 777"),
	       "... its Stop reaches the server under the same Acct-Session-Id, with the counters");
	memset(s, 0, sizeof(*s));
	s->tunnel_started = 1700000000;
	snprintf(s->user, sizeof(s->user), "loc");
	skd_acct_resume(d, s);
	tap_ok(&t, !s->radius_dir[0] && !s->acct_started, "a local user taken back: no accounting");

	/* rows no slot holds, deleted by the sweep (a restart, or a client
	 * that did not come back within session.grace): their Stop */
	{
		int64_t now = skd_now();
		struct sk_session r;
		int64_t ids[4];
		const char *users[4] = { "alice", "alice", "alice", "loc" };

		d->sessions = calloc(SKD_MAX_SESSIONS, sizeof(*d->sessions));
		for (int i = 0; i < 4 && d->sessions; i++) {
			memset(&r, 0, sizeof(r));
			memset(r.cookie_hash, 0x40 + i, sizeof(r.cookie_hash));
			snprintf(r.user, sizeof(r.user), "%s", users[i]);
			snprintf(r.group, sizeof(r.group), "radstaff");
			snprintf(r.remote, sizeof(r.remote), "192.0.2.%d:4000", 20 + i);
			/* 1: detached 400 s ago (grace 300), its tunnel was up;
			 * 2: expired, the tunnel up; 3: detached, never a tunnel;
			 * 4: a local user's */
			r.started = now - 1000;
			r.last_seen = i == 1 ? now - 5 : now - 400;
			r.expires = i == 1 ? now - 10 : 0;
			if (i != 2)
				snprintf(r.addr4, sizeof(r.addr4), "10.77.0.%d", 60 + i);
			r.rx_bytes = 4321000 + (uint64_t)i;
			r.tx_bytes = 8765000 + (uint64_t)i;
			r.rx_pkts = 3000 + (uint64_t)i;
			r.tx_pkts = 6000 + (uint64_t)i;
			sk_session_add(d->st, &r);
			ids[i] = r.id;
		}
		/* the statistics refresh writes the counters (sk_session_update) */
		tap_ok(&t, !sk_session_get(d->st, ids[0], &r) && r.rx_pkts == 3000 && r.tx_pkts == 6000 &&
		       (r.rx_pkts = 4000, !sk_session_update(d->st, &r)) &&
		       !sk_session_get(d->st, ids[0], &r) && r.rx_pkts == 4000,
		       "a session row keeps its packet counters (schema 13): added, updated, read back");
		tap_ok(&t, d->sessions && ids[0] > 0 && ids[3] > 0, "four session rows, no slot");
		before = count(detail_wait(detail, 0), "Acct-Status-Type");
		tap_ok(&t, skd_sessions_sweep(d, now, true) == 4, "the sweep at the start deletes them");
		d0 = detail_wait(detail, before + 2);
		{
			char id0[64], id1[64];

			snprintf(id0, sizeof(id0), "Acct-Session-Id = \"%llx-%llx\"",
				 (unsigned long long)(now - 1000), (unsigned long long)ids[0]);
			snprintf(id1, sizeof(id1), "Acct-Session-Id = \"%llx-%llx\"",
				 (unsigned long long)(now - 1000), (unsigned long long)ids[1]);
			tap_ok(&t, strstr(d0, id0) && strstr(d0, "Acct-Input-Octets = 4321000") &&
			       strstr(d0, "Acct-Output-Octets = 8765000") &&
			       strstr(d0, "Acct-Terminate-Cause = Lost-Carrier") &&
			       strstr(d0, "Acct-Session-Time = 600") &&
			       strstr(d0, "Framed-IP-Address = 10.77.0.60") &&
			       strstr(d0, "Acct-Input-Packets = 4000") &&
			       strstr(d0, "Acct-Output-Packets = 6000"),
			       "a row detached past the grace: its Stop under its Acct-Session-Id, the "
			       "row's counters (bytes and packets), Lost-Carrier, the time up to when it "
			       "was last seen");
			tap_ok(&t, strstr(d0, id1) && strstr(d0, "Acct-Input-Octets = 4321001") &&
			       strstr(d0, "Acct-Terminate-Cause = Session-Timeout"),
			       "an expired row: its Stop, Session-Timeout");
		}
		usleep(300 * 1000);
		d0 = detail_wait(detail, 0);
		tap_ok(&t, count(d0, "Acct-Status-Type") == before + 2 &&
		       !strstr(d0, "Acct-Input-Octets = 4321002") && !strstr(d0, "Acct-Input-Octets = 4321003"),
		       "exactly those two Stops: none for a row without a tunnel (no Start was sent) nor "
		       "for a local user");
		free(d->sessions);
		d->sessions = NULL;
	}

	/* the Accept's Session-Timeout and the group's session_timeout */
	tap_ok(&t, skd_radius_expires(0, 1000, 600) == 1600 &&
	       skd_radius_expires(5000, 1000, 600) == 1600 &&
	       skd_radius_expires(1200, 1000, 600) == 1200 &&
	       skd_radius_expires(5000, 1000, 0) == 5000 && skd_radius_expires(0, 1000, 0) == 0,
	       "Session-Timeout bounds the expiry: the earlier of the two, none = the group's");
	sk_store_close(d->st);
	free(d);
	free(s);
	snprintf(db, sizeof(db), "rm -rf %s", path);
	if (system(db))
		printf("# could not remove %s\n", path);
}

int main(void)
{
	tap_begin();
	framed();
	if (getenv("SK_TEST_RADIUS_PORT") && getenv("SK_TEST_RADIUS_SECRET") &&
	    getenv("SK_TEST_RADIUS_DETAIL"))
		accounting();
	else
		tap_skip(&t, "accounting against FreeRADIUS",
			 "no server (tests/lib/freeradius.sh: tests/run directory)");
	return tap_end(&t);
}
