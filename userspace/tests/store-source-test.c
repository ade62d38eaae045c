// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the login failure tables (issue 11 items 1 and 2): the
 * source key (an IPv4 address, an IPv6 /64, whatever the port), one row
 * per source across connections, the window, the block, the bounds of the
 * table (expiry, the cap that evicts only unblocked rows), the ranges that
 * are never blocked, and account locks that grow and never stretch during
 * a lock.  TAP output; a temporary directory per run.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skstore.h"
#include "tap.h"
#include "store-test.h"

static struct tap t;
static char err[256];
static char dir[] = "/tmp/sk-store-source.XXXXXX";
static char path[512];

static bool key_is(const char *in, const char *want)
{
	char out[SK_ADDR_MAX] = "";
	int rc = sk_source_key(in, out, sizeof(out));

	if (!want)
		return rc == -EINVAL;
	if (rc || strcmp(out, want))
		printf("# key of '%s': %d '%s', want '%s'\n", in, rc, out, want);
	return !rc && !strcmp(out, want);
}

static void keys(void)
{
	tap_ok(&t, key_is("192.0.2.7:443", "192.0.2.7") && key_is("192.0.2.7:50123", "192.0.2.7") &&
	       key_is("192.0.2.7", "192.0.2.7"), "IPv4: the address, whatever the port");
	tap_ok(&t, key_is("[2001:db8:1:2:aaaa::1]:443", "2001:db8:1:2::/64") &&
	       key_is("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64") &&
	       key_is("2001:db8:1:2::/64", "2001:db8:1:2::/64"), "IPv6: the /64");
	tap_ok(&t, key_is("::ffff:192.0.2.7", "192.0.2.7") && key_is("[::ffff:192.0.2.7]:80", "192.0.2.7"),
	       "an IPv4-mapped IPv6 address counts as IPv4");
	tap_ok(&t, key_is("", NULL) && key_is("banana", NULL) && key_is("192.0.2.7:x", NULL) &&
	       key_is("192.0.2.7/64", NULL) && key_is("2001:db8::/48", NULL) &&
	       key_is("192.0.2.7\n", NULL) && key_is("[2001:db8::1]x", NULL),
	       "anything else is refused");
}

static struct sk_fail_policy pol(int src_threshold)
{
	struct sk_fail_policy p = {
		.lock_threshold = 3, .lock_seconds = 60, .lock_max_seconds = 200,
		.src_threshold = src_threshold, .src_window = 600, .src_block_seconds = 900,
	};

	return p;
}

static void sources(struct sk_store *st)
{
	struct sk_fail_policy p = pol(5);
	struct sk_fail_result r;
	struct sk_source s;
	char src[64];
	int blocked_now = 0, rc = 0;

	/* a spray: every failure from a new connection (a new port) */
	for (int i = 0; i < 5; i++) {
		snprintf(src, sizeof(src), "198.51.100.7:%d", 40000 + i);
		rc |= sk_login_fail(st, NULL, src, &p, 1000 + i, &r);
		blocked_now += r.src_blocked_now;
	}
	tap_ok(&t, !rc && blocked_now == 1 && r.src_blocked_now && r.src.blocked_until == 1004 + 900 &&
	       r.src.blocks == 1, "5 failures over 5 connections of one address block it once, "
	       "for lockout.source_block");
	tap_ok(&t, raw_int(path, "SELECT count(*) FROM sources") == 1 &&
	       !sk_source_get(st, "198.51.100.7:1", &s) && s.blocked_until == 1904 &&
	       !strcmp(s.prefix, "198.51.100.7"), "one row for the address, found from any port");
	/* IPv6: the /64 */
	for (int i = 0; i < 5; i++) {
		snprintf(src, sizeof(src), "[2001:db8:7:7::%x]:443", i + 1);
		rc |= sk_login_fail(st, NULL, src, &p, 1000, &r);
	}
	tap_ok(&t, !rc && r.src_blocked_now && !strcmp(r.src.prefix, "2001:db8:7:7::/64") &&
	       !sk_source_get(st, "2001:db8:7:8::1", &s) == 0,
	       "five addresses of one IPv6 /64 are one source; the next /64 is another");
	/* the window */
	p = pol(3);
	rc = sk_login_fail(st, NULL, "203.0.113.1:1", &p, 1000, &r);
	rc |= sk_login_fail(st, NULL, "203.0.113.1:2", &p, 1300, &r);
	rc |= sk_login_fail(st, NULL, "203.0.113.1:3", &p, 1700, &r);
	tap_ok(&t, !rc && !r.src_blocked_now && r.src.failures == 1 && r.src.window_start == 1700,
	       "failures older than the window do not count");
	/* forget */
	tap_ok(&t, sk_source_del(st, "198.51.100.7") == 0 && sk_source_get(st, "198.51.100.7", &s) == -ENOENT &&
	       sk_source_del(st, "198.51.100.7") == -ENOENT && sk_source_del(st, "x") == -EINVAL,
	       "a source is forgotten (unblocked) by address");
	/* never blocked ranges */
	tap_ok(&t, sk_setting_set(st, "source.never_block", "192.0.2.1/24", err, sizeof(err)) == -EINVAL &&
	       strstr(err, "source.never_block"), "never_block with host bits refused (%s)", err);
	tap_ok(&t, sk_setting_set(st, "source.never_block", "192.0.2.0/24,banana", err, sizeof(err)) ==
	       -EINVAL && strstr(err, "banana"), "never_block with a non-range refused (%s)", err);
	tap_ok(&t, sk_setting_set(st, "source.never_block", "192.0.2.0/24, 2001:db8:100::/48", err,
				  sizeof(err)) == 0, "never_block takes IPv4 and IPv6 ranges (%s)", err);
	tap_ok(&t, sk_source_never_block(st, "192.0.2.200:5") &&
	       sk_source_never_block(st, "[2001:db8:100:5::1]:5") &&
	       sk_source_never_block(st, "::ffff:192.0.2.9") &&
	       !sk_source_never_block(st, "192.0.3.1:5") && !sk_source_never_block(st, "2001:db8:101::1"),
	       "never_block matches the addresses inside its ranges only");
	p = pol(2);
	p.src_exempt = true;
	rc = 0;
	for (int i = 0; i < 4; i++)
		rc |= sk_login_fail(st, NULL, "192.0.2.200:9", &p, 2000, &r);
	tap_ok(&t, !rc && r.src_scored && r.src.failures == 4 && !r.src.blocked_until,
	       "an exempt source is counted, never blocked");
	tap_ok(&t, sk_setting_set(st, "source.never_block", "", err, sizeof(err)) == 0, "never_block cleared");
	/* expiry: no block and no failure in the window */
	raw(path, "DELETE FROM sources");
	p = pol(5);
	rc = sk_login_fail(st, NULL, "203.0.113.9", &p, 5000, &r);
	rc |= sk_login_fail(st, NULL, "203.0.113.10", &p, 5000 + 601, &r);
	tap_ok(&t, !rc && raw_int(path, "SELECT count(*) FROM sources") == 1,
	       "a row idle for the window is deleted at the next failure of any source");
}

static void cap(struct sk_store *st)
{
	struct sk_fail_policy p = pol(5);
	struct sk_fail_result r;
	char sql[512];
	int rc;

	/* full: 10 blocked rows that failed long ago, the rest unblocked */
	raw(path, "DELETE FROM sources");
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
		 " INSERT INTO sources (prefix, failures, window_start, last_fail, blocked_until, blocks)"
		 " SELECT '10.' || (i / 65536) || '.' || (i / 256 %% 256) || '.' || (i %% 256), 1,"
		 " 9000 + i, 9000 + i, CASE WHEN i <= 10 THEN 99999 ELSE 0 END,"
		 " CASE WHEN i <= 10 THEN 1 ELSE 0 END FROM n", SK_SOURCES_MAX);
	raw(path, sql);
	rc = sk_login_fail(st, NULL, "203.0.113.50:1", &p, 9500, &r);
	tap_ok(&t, !rc && r.src_scored && raw_int(path, "SELECT count(*) FROM sources") == SK_SOURCES_MAX &&
	       raw_int(path, "SELECT count(*) FROM sources WHERE blocked_until > 9500") == 10 &&
	       raw_int(path, "SELECT count(*) FROM sources WHERE prefix = '10.0.0.11'") == 0,
	       "at the cap the unblocked source that failed longest ago makes room, no block is dropped");
	raw(path, "UPDATE sources SET blocked_until = 99999");
	rc = sk_login_fail(st, NULL, "203.0.113.51:1", &p, 9500, &r);
	tap_ok(&t, !rc && !r.src_scored && raw_int(path, "SELECT count(*) FROM sources") == SK_SOURCES_MAX &&
	       raw_int(path, "SELECT count(*) FROM sources WHERE blocked_until = 99999") == SK_SOURCES_MAX,
	       "a table full of blocks takes no new source and keeps every block");
	raw(path, "DELETE FROM sources");
}

static void locks(struct sk_store *st)
{
	struct sk_fail_policy p = pol(0);
	struct sk_fail_result r;
	struct sk_user u;
	int rc = 0;

	for (int i = 0; i < 3; i++)
		rc |= sk_login_fail(st, "carol", "192.0.2.50:1", &p, 1000, &r);
	tap_ok(&t, !rc && r.user_found && r.user_locked_now && r.u.locked && r.u.locked_until == 1060 &&
	       r.u.lock_count == 1, "the 3rd failure locks for lockout.duration (60 s)");
	rc = sk_login_fail(st, "carol", "192.0.2.50:1", &p, 1030, &r);
	tap_ok(&t, !rc && !r.user_locked_now && r.u.locked_until == 1060 && r.u.fail_count == 3,
	       "a failure during the lock neither counts nor extends it");
	for (int i = 0; i < 3; i++)
		rc |= sk_login_fail(st, "carol", "192.0.2.50:1", &p, 2000, &r);
	tap_ok(&t, !rc && r.user_locked_now && r.u.locked_until == 2120 && r.u.lock_count == 2,
	       "after the lock has passed, the next lock lasts twice as long");
	for (int i = 0; i < 3; i++)
		rc |= sk_login_fail(st, "carol", "192.0.2.50:1", &p, 3000, &r);
	tap_ok(&t, !rc && r.u.locked_until == 3200, "... up to lockout.max_duration (200 s)");
	tap_ok(&t, sk_user_success(st, "carol") == 0 && !sk_user_get(st, "carol", &u) &&
	       u.lock_count == 0 && u.fail_count == 0, "a successful login resets the growth");
	p.lock_seconds = 0;
	for (int i = 0; i < 3; i++)
		rc |= sk_login_fail(st, "carol", NULL, &p, 9000, &r);
	tap_ok(&t, !rc && r.u.locked && r.u.locked_until == 0, "lockout.duration permanent: until unlocked");
	rc = sk_login_fail(st, "nobody", "192.0.2.51:1", &p, 9000, &r);
	tap_ok(&t, !rc && !r.user_found && r.src_scored && r.src.failures == 1,
	       "an unknown name: no account, the source counted");
	tap_ok(&t, sk_setting_set(st, "lockout.duration", "0", err, sizeof(err)) == -EINVAL &&
	       sk_setting_set(st, "lockout.duration", "forever", err, sizeof(err)) == -EINVAL &&
	       sk_setting_set(st, "lockout.duration", "permanent", err, sizeof(err)) == 0 &&
	       sk_setting_set(st, "lockout.duration", "900", err, sizeof(err)) == 0,
	       "lockout.duration: seconds or permanent");
}

static void migration(void)
{
	struct sk_store *st;
	char val[64] = "";

	/* schema 10's and 12's notifications (PostgreSQL only): the
	 * functions, and with them their triggers (first: a trigger on
	 * sessions.gateway holds the column) */
	if (test_pg())
		raw(path, "DROP FUNCTION sekisho_notify() CASCADE;"
		    "DROP FUNCTION sekisho_notify_kill() CASCADE;"
		    "DROP FUNCTION sekisho_notify_moved() CASCADE;");
	/* back to schema 4 as an older sekisho left it (the tables of the
	 * later versions go too) */
	raw(path, "UPDATE schema_version SET version = 4;"
	    "ALTER TABLE users DROP COLUMN display_name;"
	    "DROP TABLE IF EXISTS group_directory;"
	    "DROP TABLE IF EXISTS directory_settings;"
	    "DROP TABLE IF EXISTS directories;"
	    "ALTER TABLE users DROP COLUMN directory;"
	    "DROP INDEX sessions_addr4; DROP INDEX sessions_addr6;"
	    "ALTER TABLE audit DROP COLUMN gateway; ALTER TABLE sessions DROP COLUMN gateway;"
	    "ALTER TABLE sessions DROP COLUMN quarantine;"
	    "ALTER TABLE sessions DROP COLUMN quarantine_why;"
	    "DROP TABLE IF EXISTS gateways;"
	    "ALTER TABLE sessions DROP COLUMN rx_packets;"
	    "ALTER TABLE sessions DROP COLUMN tx_packets;"
	    "DROP TABLE IF EXISTS device_posture_last;"
	    "DROP TABLE IF EXISTS device_posture;"
	    "DROP TABLE IF EXISTS group_posture;"
	    "DROP TABLE sources;"
	    "CREATE TABLE source_failures (source TEXT NOT NULL, time INTEGER NOT NULL);"
	    "ALTER TABLE users DROP COLUMN lock_count;"
	    "DELETE FROM settings WHERE key LIKE 'lockout.%';"
	    "INSERT INTO settings VALUES ('lockout.seconds', '0');");
	tap_ok(&t, sk_store_open(path, &st, err, sizeof(err)) == 0 &&
	       sk_store_schema_version(st) >= 5, "a schema 4 store migrates (%s)", err);
	tap_ok(&t, !sk_setting_get(st, "lockout.duration", val, sizeof(val)) &&
	       !strcmp(val, "permanent") &&
	       raw_int(path, "SELECT count(*) FROM settings WHERE key = 'lockout.seconds'") == 0,
	       "lockout.seconds 0 becomes lockout.duration permanent (%s)", val);
	sk_store_close(st);
}

int main(void)
{
	struct sk_store *st;
	struct sk_group g;
	struct sk_user u;

	tap_begin();
	if (!mkdtemp(dir))
		return 1;
	if (!test_store(dir, "store.db", path, sizeof(path)))
		return 1;
	keys();
	tap_ok(&t, sk_store_open(path, &st, err, sizeof(err)) == 0, "open (%s)", err);
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "carol");
	snprintf(u.group, sizeof(u.group), "staff");
	snprintf(u.email, sizeof(u.email), "carol@example.com");
	u.enabled = true;
	tap_ok(&t, sk_group_add(st, &g, err, sizeof(err)) == 0 && sk_user_add(st, &u, err, sizeof(err)) == 0,
	       "a group and a user (%s)", err);
	sources(st);
	cap(st);
	locks(st);
	sk_store_close(st);
	migration();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path))
		return 1;
	return tap_end(&t);
}
