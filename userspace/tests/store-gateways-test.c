// SPDX-License-Identifier: GPL-2.0
/*
 * Several gateways, one store (issue 13): what is single-use or counted
 * stays so when two store handles, as two gateways hold them, share one
 * store.  Each check runs once with two handles in turn, then with
 * processes racing, each with its own handle: a TOTP step accepted once,
 * login failures that add up to a lockout, an address held by one session
 * only (the database's unique index: for another user's session and for
 * the same user's second one).  Every audit record and session row names
 * the gateway of the handle that wrote it.  On SQLite files, or on a
 * real PostgreSQL with SK_TEST_STORE (tests/lib/pg.sh).  TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "skstore.h"
#include "tap.h"
#include "store-test.h"

#define RACERS	4
#define STEPS	40

static struct tap t;
static char err[256];
static char dir[] = "/tmp/sk-store-gw.XXXXXX";
static char path[512];

/* the handle of gateway name on the store */
static struct sk_store *gw(const char *name)
{
	struct sk_store *st = NULL;

	if (sk_store_open(path, &st, err, sizeof(err))) {
		fprintf(stderr, "# open: %s\n", err);
		exit(2);
	}
	if (sk_store_set_gateway(st, name))
		exit(2);
	return st;
}

static int64_t session(struct sk_store *st, const char *user, uint8_t tag)
{
	struct sk_session s;

	memset(&s, 0, sizeof(s));
	memset(s.cookie_hash, tag, sizeof(s.cookie_hash));
	snprintf(s.user, sizeof(s.user), "%s", user);
	snprintf(s.group, sizeof(s.group), "g");
	s.started = s.last_seen = 1000;
	return sk_session_add(st, &s) ? -1 : s.id;
}

/* Runs fn(i) in RACERS processes at once (a pipe as the start line);
 * the sum of their exit statuses, or -1 when one failed to run. */
static int race(int (*fn)(int i))
{
	int go[2], sum = 0;
	pid_t pid[RACERS];
	char c;

	if (pipe(go))
		return -1;
	for (int i = 0; i < RACERS; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(255);
			_exit(fn(i));
		}
	}
	close(go[0]);
	close(go[1]);	/* EOF: all start */
	for (int i = 0; i < RACERS; i++) {
		int status;

		if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) == 255)
			return -1;
		sum += WEXITSTATUS(status);
	}
	return sum;
}

/* ---- TOTP: a step is accepted once, on whichever gateway ---- */

static int totp_racer(int i)
{
	char name[16];
	struct sk_store *st;
	int won = 0;

	snprintf(name, sizeof(name), "gw%d", i);
	st = gw(name);
	/* every racer offers every step: each must be taken once in all */
	for (int step = 1; step <= STEPS; step++) {
		int rc = sk_user_totp_use(st, "alice", 1100 + step);

		if (rc == 0)
			won++;
		else if (rc != -EALREADY)
			fprintf(stderr, "# racer %d step %d: %d\n", i, step, rc);
	}
	sk_store_close(st);
	return won;
}

static void totp(struct sk_store *a, struct sk_store *b)
{
	int won;

	tap_ok(&t, sk_user_totp_use(a, "alice", 1000) == 0, "TOTP: step 1000 accepted on A");
	tap_ok(&t, sk_user_totp_use(b, "alice", 1000) == -EALREADY,
	       "TOTP: the same step refused on B (-EALREADY)");
	tap_ok(&t, sk_user_totp_use(b, "alice", 999) == -EALREADY,
	       "TOTP: an older step refused on B");
	tap_ok(&t, sk_user_totp_use(b, "alice", 1001) == 0 &&
	       sk_user_totp_use(a, "alice", 1001) == -EALREADY,
	       "TOTP: the next step on B, then refused on A");
	won = race(totp_racer);
	tap_ok(&t, won == STEPS, "TOTP: %d gateways racing with the same %d steps: %d accepted",
	       RACERS, STEPS, won);
}

/* ---- lockout: failures on A and B add up ---- */

static const struct sk_fail_policy fp = {
	.lock_threshold = 10, .lock_seconds = 600, .lock_max_seconds = 600,
	.src_threshold = 0,
};

static int fail_racer(int i)
{
	char name[16];
	struct sk_store *st;
	struct sk_fail_result r;
	int bad = 0;

	snprintf(name, sizeof(name), "gw%d", i);
	st = gw(name);
	for (int n = 0; n < 5; n++) {
		memset(&r, 0, sizeof(r));
		if (sk_login_fail(st, "bob", NULL, &fp, 2000, &r))
			bad = 1;
	}
	sk_store_close(st);
	return bad;
}

static void lockout(struct sk_store *a, struct sk_store *b)
{
	struct sk_fail_result r;
	struct sk_user u;
	int rc = 0;

	for (int i = 0; i < 9; i++) {
		memset(&r, 0, sizeof(r));
		rc |= sk_login_fail(i % 2 ? b : a, "carol", NULL, &fp, 1000 + i, &r);
	}
	tap_ok(&t, rc == 0 && !r.user_locked_now && !sk_user_get(a, "carol", &u) &&
	       u.fail_count == 9 && !u.locked, "lockout: 9 failures on A and B in turn: 9 counted, not locked");
	memset(&r, 0, sizeof(r));
	rc = sk_login_fail(b, "carol", NULL, &fp, 1009, &r);
	tap_ok(&t, rc == 0 && r.user_locked_now && !sk_user_get(a, "carol", &u) && u.locked,
	       "lockout: the 10th on B locks the account, seen on A");
	rc = race(fail_racer);
	tap_ok(&t, rc == 0 && !sk_user_get(b, "bob", &u) && u.locked && u.fail_count == 10,
	       "lockout: %d gateways x 5 failures at once: locked at %d (threshold 10)", RACERS,
	       u.fail_count);
}

/* ---- addresses: one session each, whatever gateway or user ---- */

static int addr_racer(int i)
{
	char name[16], text[INET_ADDRSTRLEN];
	struct sk_store *st;
	int64_t id;
	int got = 0;

	snprintf(name, sizeof(name), "gw%d", i);
	st = gw(name);
	/* each racer's sessions take the lowest free address, as
	 * skd_pool_pick does: try each in turn until the store agrees */
	for (int n = 0; n < 10; n++) {
		id = session(st, "dave", (uint8_t)(0x40 + i * 16 + n));
		for (int a = 2; id > 0 && a < 250; a++) {
			snprintf(text, sizeof(text), "10.77.1.%d", a);
			if (sk_session_claim_addr(st, id, AF_INET, text) == 0) {
				got++;
				break;
			}
		}
	}
	sk_store_close(st);
	return got;
}

static void addresses(struct sk_store *a, struct sk_store *b)
{
	int64_t s1 = session(a, "alice", 1), s2 = session(b, "bob", 2), s3 = session(b, "alice", 3);
	struct sk_session x;
	int got;

	tap_ok(&t, s1 > 0 && s2 > 0 && s3 > 0, "addresses: three sessions (A: alice, B: bob, alice)");
	tap_ok(&t, sk_session_claim_addr(a, s1, AF_INET, "10.77.0.10") == 0,
	       "addresses: alice's session on A takes 10.77.0.10");
	tap_ok(&t, sk_session_claim_addr(b, s2, AF_INET, "10.77.0.10") == -EEXIST,
	       "addresses: bob's session on B is refused 10.77.0.10 (-EEXIST)");
	tap_ok(&t, sk_session_claim_addr(b, s3, AF_INET, "10.77.0.10") == -EEXIST,
	       "addresses: alice's second session on B is refused it too");
	tap_ok(&t, sk_session_claim_addr(b, s3, AF_INET6, "fd77:0:0::10") == 0 &&
	       sk_session_claim_addr(a, s2, AF_INET6, "fd77::10") == -EEXIST,
	       "addresses: IPv6 in another spelling is the same address");
	tap_ok(&t, sk_session_claim_addr(a, s1, AF_INET, "fd77::1") == -EINVAL &&
	       sk_session_claim_addr(a, s1, AF_INET, "10.77.0.10; --") == -EINVAL &&
	       sk_session_claim_addr(a, 999999, AF_INET, "10.77.0.99") == -ENOENT,
	       "addresses: not an address of the family -EINVAL, no session -ENOENT");
	memset(&x, 0, sizeof(x));
	tap_ok(&t, !sk_session_get(b, s2, &x) && sk_session_claim_addr(b, s2, AF_INET, "10.77.0.11") == 0,
	       "addresses: bob takes the next one");
	/* a whole-row update cannot take it either */
	if (!sk_session_get(b, s3, &x))
		snprintf(x.addr4, sizeof(x.addr4), "10.77.0.11");
	tap_ok(&t, sk_session_update(b, &x) == -EEXIST, "addresses: nor by a session update (-EEXIST)");
	tap_ok(&t, sk_session_del(a, s1) == 0 && sk_session_claim_addr(b, s3, AF_INET, "10.77.0.10") == 0,
	       "addresses: free again when the session that held it ends");
	got = race(addr_racer);
	tap_ok(&t, got == RACERS * 10 &&
	       raw_int(path, "SELECT count(*) FROM sessions WHERE addr4 LIKE '10.77.1.%'") == RACERS * 10 &&
	       raw_int(path, "SELECT count(DISTINCT addr4) FROM sessions WHERE addr4 LIKE '10.77.1.%'") ==
	       RACERS * 10, "addresses: %d gateways x 10 sessions racing for the lowest free: %d, all different",
	       RACERS, got);
}

/* ---- the gateway's name on what it writes ---- */

struct seen { int a, b, other; };

static int audit_each(const struct sk_audit *r, void *arg)
{
	struct seen *s = arg;

	if (!strcmp(r->type, "gwtest"))
		!strcmp(r->gateway, "gw-a") ? s->a++ : !strcmp(r->gateway, "gw-b") ? s->b++ : s->other++;
	return 0;
}

static void names(struct sk_store *a, struct sk_store *b)
{
	struct sk_audit r;
	struct sk_audit_filter f = { .type = "gwtest" };
	struct seen seen = { 0 };
	struct sk_session x;
	struct sk_store *c;
	char host[256] = "";
	int64_t id;

	memset(&r, 0, sizeof(r));
	snprintf(r.type, sizeof(r.type), "gwtest");
	r.time = 5000;
	tap_ok(&t, !sk_audit_add(a, &r) && !sk_audit_add(b, &r) && !sk_audit_add(b, &r) &&
	       !sk_audit_list(a, &f, audit_each, &seen) && seen.a == 1 && seen.b == 2 && !seen.other,
	       "audit: each record names its gateway (gw-a 1, gw-b 2, other %d)", seen.other);
	id = session(b, "erin", 9);
	tap_ok(&t, id > 0 && !sk_session_get(a, id, &x) && !strcmp(x.gateway, "gw-b"),
	       "session: the row names the gateway that made it (%s)", x.gateway);
	x.pid = 77;
	snprintf(x.gateway, sizeof(x.gateway), "gw-a");
	tap_ok(&t, !sk_session_update(a, &x) && !sk_session_get(b, id, &x) && !strcmp(x.gateway, "gw-a"),
	       "session: and the one that took it over");
	tap_ok(&t, sk_store_set_gateway(a, "") == -EINVAL && sk_store_set_gateway(a, "gw a") == -EINVAL &&
	       sk_store_set_gateway(a, "gw\n-a") == -EINVAL && !strcmp(sk_store_gateway(a), "gw-a"),
	       "gateway name: empty, space, newline refused, the name kept");
	if (sk_store_open(path, &c, err, sizeof(err))) {
		tap_ok(&t, false, "open a third handle (%s)", err);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	tap_ok(&t, !strcmp(sk_store_gateway(c), host) || !strcmp(sk_store_gateway(c), "unnamed"),
	       "a new handle is named after its host (%s)", sk_store_gateway(c));
	sk_store_close(c);
}

/* ---- gateways that die: heartbeats (schema 12) ---- */

struct reaped {
	int calls, rows, self;
	char gw[SK_NAME_MAX + 1];
	int64_t seen;
};

static int reaped_each(const char *gateway, int64_t seen, int n, void *arg)
{
	struct reaped *r = arg;

	r->calls++;
	r->rows += n;
	r->self += !strcmp(gateway, "gw-a");
	snprintf(r->gw, sizeof(r->gw), "%s", gateway);
	r->seen = seen;
	return 0;
}

static void heartbeat(struct sk_store *a, struct sk_store *b)
{
	struct sk_store *c = gw("gw-c");
	struct reaped r = { 0 }, r2 = { 0 };
	struct sk_session x, y;
	int64_t id1, id2, id3;
	int n = -1;

	/* gw-c serves one session (pid 55) and holds a detached one, then
	 * goes silent after its beat at 1000 */
	tap_ok(&t, !sk_gateway_beat(c, 900, 1000) && !sk_gateway_beat(a, 900, 1100) &&
	       !sk_gateway_beat(b, 900, 1100), "heartbeat: three gateways beat");
	id1 = session(c, "carol", 0xc1);
	id2 = session(c, "carol", 0xc2);
	if (id1 > 0 && !sk_session_get(c, id1, &x)) {
		x.pid = 55;
		x.last_seen = 1000;
		sk_session_update(c, &x);
	}
	if (id2 > 0 && !sk_session_get(c, id2, &x)) {
		x.last_seen = 990;
		sk_session_update(c, &x);
	}
	tap_ok(&t, !sk_session_count(a, "carol", &n) && n == 2,
	       "heartbeat: a user's sessions are counted on every gateway (%d)", n);
	tap_ok(&t, !sk_gateway_reap(a, 1050, 1100, reaped_each, &r) && r.calls == 1 && r.rows == 2 &&
	       !strcmp(r.gw, "gw-c") && r.seen == 1000,
	       "heartbeat: gw-c silent since 1000 (limit 1050): A takes its 2 sessions (%d calls, %d rows, %s)",
	       r.calls, r.rows, r.gw);
	tap_ok(&t, !sk_session_get(b, id1, &x) && !strcmp(x.gateway, "gw-a") && x.pid == 0 &&
	       x.last_seen == 1100 && !sk_session_get(b, id2, &y) && !strcmp(y.gateway, "gw-a") &&
	       y.last_seen == 990,
	       "heartbeat: ... as detached ones: the served one from now (%lld), the detached one "
	       "keeps its time (%lld)", (long long)x.last_seen, (long long)y.last_seen);
	tap_ok(&t, !sk_gateway_reap(b, 1050, 1100, reaped_each, &r2) && r2.calls == 0,
	       "heartbeat: B reaping too takes nothing more (%d)", r2.calls);
	/* a gateway that beats is alive: its rows stay */
	sk_gateway_beat(c, 900, 1200);
	sk_gateway_beat(b, 900, 1200);
	id3 = session(c, "dave", 0xc3);
	memset(&r, 0, sizeof(r));
	tap_ok(&t, id3 > 0 && !sk_gateway_reap(a, 1150, 1250, reaped_each, &r) && r.calls == 0 &&
	       !sk_session_get(a, id3, &x) && !strcmp(x.gateway, "gw-c"),
	       "heartbeat: gw-c beat at 1200 (limit 1150): its new session stays its own");
	/* a name that never beat (a gateway of an older schema) is left;
	 * the reaper's own rows are never its prey */
	if (!sk_session_get(c, id3, &x)) {
		snprintf(x.gateway, sizeof(x.gateway), "gw-old");
		sk_session_update(c, &x);
	}
	memset(&r, 0, sizeof(r));
	tap_ok(&t, !sk_gateway_reap(a, 1 << 30, 1300, reaped_each, &r) && r.self == 0 &&
	       !sk_session_get(a, id3, &x) && !strcmp(x.gateway, "gw-old"),
	       "heartbeat: a gateway that never beat keeps its rows, and A never reaps its own "
	       "(%d calls)", r.calls);
	tap_ok(&t, !sk_session_del(a, id1) && !sk_session_del(a, id2) && !sk_session_del(a, id3) &&
	       !sk_session_count(b, "carol", &n) && n == 0,
	       "heartbeat: deleted rows are counted no more (%d)", n);
	sk_store_close(c);
}

/* ---- live: what one gateway changes, the others hear (PostgreSQL) ---- */

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* what l hears within ms (all of it: kinds, kills, dropped); *at = when
 * the first of want came (ms after the call), -1 if it did not */
static void hear(struct sk_listen *l, int ms, unsigned want, struct sk_notes *all, int *at)
{
	int64_t t0 = ms_now();
	struct pollfd p = { .fd = sk_listen_fd(l), .events = POLLIN };

	memset(all, 0, sizeof(*all));
	*at = -1;
	do {
		struct sk_notes n;

		sk_listen_step(l, &n);
		all->kinds |= n.kinds;
		all->dropped += n.dropped;
		for (int i = 0; i < n.n_kill && all->n_kill < SK_NOTE_KILL_MAX; i++)
			all->kill[all->n_kill++] = n.kill[i];
		if (*at < 0 && ((all->kinds & want) || (want == SK_NOTE_KILL_SCAN && all->n_kill)))
			*at = (int)(ms_now() - t0);
		poll(&p, 1, 50);
	} while (ms_now() - t0 < ms && *at < 0);
}

static int failing_tx(struct sk_store *st, void *arg)
{
	(void)arg;
	return sk_policy_add(st, "live-rolled-back", "") ? -EIO : -ECANCELED;
}

static void live(struct sk_store *a, struct sk_store *b)
{
	struct sk_listen *l = NULL;
	struct sk_notes n;
	struct sk_session x;
	struct sk_user u;
	int at;
	int64_t id;
	char q[300];

	tap_ok(&t, sk_listen_new("/var/lib/sekisho/store.db", &l) == -EOPNOTSUPP && !l,
	       "live: an SQLite store has no listener (one gateway)");
	if (!test_pg())
		return;
	if (sk_listen_new(path, &l)) {
		tap_ok(&t, false, "live: listener");
		return;
	}
	hear(l, 5000, SK_NOTE_RESYNC, &n, &at);
	tap_ok(&t, at >= 0 && !(n.kinds & SK_NOTE_RECONNECTED) && sk_listen_up(l),
	       "live: listening within 5 s (%d ms), first read everything", at);

	sk_policy_add(a, "live-p", "");
	hear(l, 2000, SK_NOTE_POLICIES, &n, &at);
	tap_ok(&t, at >= 0 && !(n.kinds & SK_NOTE_USERS), "live: a policy added on A is heard (%d ms)", at);

	if (!sk_user_get(b, "dave", &u)) {
		u.enabled = false;
		sk_user_update(b, &u, err, sizeof(err));
	}
	hear(l, 2000, SK_NOTE_USERS, &n, &at);
	tap_ok(&t, at >= 0, "live: a user disabled on B is heard (%d ms)", at);

	/* the writes of every login are not announced */
	sk_user_totp_use(a, "erin", 5000);
	{
		struct sk_fail_result r;

		sk_login_fail(b, "erin", NULL, &fp, 3000, &r);
	}
	id = session(a, "erin", 0x5a);
	if (id > 0 && !sk_session_get(b, id, &x)) {
		x.rx_bytes = 1234;
		x.pid = 42;
		sk_session_update(b, &x);
	}
	hear(l, 700, ~0u, &n, &at);
	tap_ok(&t, n.kinds == 0 && n.n_kill == 0 && !n.dropped,
	       "live: a TOTP step, a failure, a new session and its counters are not announced "
	       "(kinds %#x)", n.kinds);

	/* nothing from a transaction that was rolled back */
	tap_ok(&t, sk_store_tx(a, failing_tx, NULL) == -ECANCELED, "live: a transaction rolled back");
	hear(l, 700, ~0u, &n, &at);
	tap_ok(&t, n.kinds == 0, "live: ... is not announced (kinds %#x)", n.kinds);

	if (id > 0 && !sk_session_get(b, id, &x)) {
		x.killed = true;
		sk_session_update(b, &x);
	}
	hear(l, 2000, SK_NOTE_KILL_SCAN, &n, &at);
	tap_ok(&t, at >= 0 && n.n_kill == 1 && n.kill[0] == id, "live: a kill on B names session "
	       "%lld (%d ms)", (long long)id, at);

	/* a session taken over by another gateway: "moved ID" (the first
	 * ends its side) */
	id = session(a, "erin", 0x5b);
	hear(l, 300, ~0u, &n, &at);
	if (id > 0 && !sk_session_get(b, id, &x)) {
		x.pid = 43;
		snprintf(x.gateway, sizeof(x.gateway), "gw-b");
		sk_session_update(b, &x);
	}
	hear(l, 2000, SK_NOTE_KILL_SCAN, &n, &at);
	tap_ok(&t, at >= 0 && n.n_kill == 1 && n.kill[0] == id, "live: session %lld taken over by B "
	       "is announced (%d ms)", (long long)id, at);

	/* a notification is a hint: only ours, bounded, well-formed */
	snprintf(q, sizeof(q), "SELECT pg_notify('sekisho', 'kill 0'), pg_notify('sekisho', 'bogus'),"
		 " pg_notify('sekisho', 'kill 99999999999'), pg_notify('sekisho', 'kill 12x'),"
		 " pg_notify('sekisho', 'users' || repeat(' ', 100)), pg_notify('other', 'users')");
	raw(path, q);
	hear(l, 700, ~0u, &n, &at);
	tap_ok(&t, n.kinds == 0 && n.n_kill == 0 && n.dropped == 5,
	       "live: foreign or malformed notifications are dropped (%d of 5; kinds %#x)",
	       n.dropped, n.kinds);

	/* the connection lost: it comes back by itself, and says "read all" */
	raw(path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE application_name = 'sekisho-listen'");
	hear(l, 6000, SK_NOTE_RECONNECTED, &n, &at);
	tap_ok(&t, at >= 0 && (n.kinds & SK_NOTE_LOST) && (n.kinds & SK_NOTE_RESYNC) && sk_listen_up(l),
	       "live: after the server ended the connection, listening again (%d ms), "
	       "read everything", at);
	sk_policy_add(b, "live-q", "");
	hear(l, 2000, SK_NOTE_POLICIES, &n, &at);
	tap_ok(&t, at >= 0, "live: and it hears again (%d ms)", at);
	sk_listen_free(l);
}

int main(void)
{
	struct sk_store *a, *b;
	struct sk_group g;
	struct sk_user u;
	char cmd[128];

	tap_begin();
	if (!mkdtemp(dir) || !test_store(dir, "gw.db", path, sizeof(path))) {
		perror("store");
		return 1;
	}
	a = gw("gw-a");
	b = gw("gw-b");
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "g");
	if (sk_group_add(a, &g, err, sizeof(err))) {
		tap_ok(&t, false, "setup: group (%s)", err);
		return tap_end(&t);
	}
	for (const char *const *n = (const char *const[]){ "alice", "bob", "carol", "dave", "erin", NULL };
	     *n; n++) {
		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "%s", *n);
		snprintf(u.group, sizeof(u.group), "g");
		u.enabled = true;
		if (sk_user_add(b, &u, err, sizeof(err)))
			tap_ok(&t, false, "setup: user %s (%s)", *n, err);
	}
	totp(a, b);
	lockout(a, b);
	addresses(a, b);
	names(a, b);
	heartbeat(a, b);
	live(a, b);
	sk_store_close(a);
	sk_store_close(b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_end(&t);
}
