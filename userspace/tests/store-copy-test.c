// SPDX-License-Identifier: GPL-2.0
/*
 * store: a whole store copied (sk_store_copy, sekictl store copy).  A
 * SQLite store with every kind of object is copied to a second store
 * (with SK_TEST_STORE=postgresql://..., a PostgreSQL database: the
 * store-pg stage; else a second SQLite file) and back to a new SQLite
 * file; the last equals the first (digest of every table, objects read
 * through the API, ids that go on where they were).  Refusals: a target
 * that is not empty (left as it was) unless SK_COPY_FORCE, a source or a
 * target of another schema version, a table the schema does not describe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skcopy.h"
#include "skstore.h"
#include "store-impl.h"
#include "store-test.h"
#include "tap.h"

static struct tap t;

struct digests {
	int n;
	int64_t rows;
	struct sk_copy_table tab[64];
};

static void collect(const struct sk_copy_table *ct, void *arg)
{
	struct digests *d = arg;

	if (d->n < 64)
		d->tab[d->n++] = *ct;
	d->rows += ct->rows;
}

static bool same(const struct digests *a, const struct digests *b, char *why, size_t len)
{
	int i;

	if (a->n != b->n)
		return snprintf(why, len, "%d tables vs %d", a->n, b->n), false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->tab[i].name, b->tab[i].name) || a->tab[i].rows != b->tab[i].rows ||
		    strcmp(a->tab[i].digest, b->tab[i].digest))
			return snprintf(why, len, "table %s: %lld rows vs %lld", a->tab[i].name,
					(long long)a->tab[i].rows, (long long)b->tab[i].rows), false;
	return true;
}

static int digest(const char *store, struct digests *d)
{
	char err[512];
	int rc;

	memset(d, 0, sizeof(*d));
	rc = sk_store_digest(store, collect, d, err, sizeof(err));
	if (rc)
		fprintf(stderr, "# digest: %s\n", err);
	return rc;
}

/* every kind of object, through the store's API */
static bool fill(struct sk_store *st)
{
	char err[256];
	struct sk_group g;
	struct sk_user u;
	struct sk_device d;
	struct sk_cert c;
	struct sk_profile p;
	struct sk_session s;
	struct sk_audit a;
	struct sk_rule r;
	struct sk_posture_last l;
	struct sk_fail_policy fp = { .lock_threshold = 5, .lock_seconds = 60,
				     .lock_max_seconds = 600, .src_threshold = 3,
				     .src_window = 60, .src_block_seconds = 60 };
	struct sk_fail_result fr;
	int ok = 0, n = 0, i;

#define DO(x) do { n++; if ((x) == 0) ok++; else fprintf(stderr, "# fill: %s failed\n", #x); } while (0)
	DO(sk_policy_add(st, "office", "the office network, 「社内」"));
	DO(sk_rule_parse("allow tcp 10.1.0.0/16 port 443", &r, err, sizeof(err)));
	DO(sk_rule_add(st, "office", 0, &r));
	DO(sk_rule_parse("deny any 2001:db8::/32", &r, err, sizeof(err)));
	DO(sk_rule_add(st, "office", 0, &r));
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	snprintf(g.label, sizeof(g.label), "職員");
	snprintf(g.pool4, sizeof(g.pool4), "10.77.0.0/24");
	snprintf(g.pool6, sizeof(g.pool6), "fd00:77::/64");
	snprintf(g.policy, sizeof(g.policy), "office");
	g.factors[0] = SK_FACTOR_PASSWORD;
	g.factors[1] = SK_FACTOR_TOTP;
	g.n_split_inc = 2;
	snprintf(g.split_inc[0], sizeof(g.split_inc[0]), "10.1.0.0/16");
	snprintf(g.split_inc[1], sizeof(g.split_inc[1]), "2001:db8::/32");
	g.n_split_dns = 1;
	snprintf(g.split_dns[0], sizeof(g.split_dns[0]), "corp.example");
	DO(sk_group_add(st, &g, err, sizeof(err)));
	for (i = 0; i < 3; i++) {
		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "user%d", i);
		snprintf(u.email, sizeof(u.email), "user%d@example.com", i);
		snprintf(u.group, sizeof(u.group), "staff");
		snprintf(u.pw_hash, sizeof(u.pw_hash), "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA");
		snprintf(u.totp_secret, sizeof(u.totp_secret), "JBSWY3DPEHPK3PXP");
		u.enabled = true;
		DO(sk_user_add(st, &u, err, sizeof(err)));
	}
	DO(sk_user_totp_use(st, "user0", 55555555));
	DO(sk_user_del(st, "user2"));	/* a gap in the ids */
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "pc-01");
	d.type = SK_DEV_WINDOWS;
	d.enabled = d.check = true;
	d.method = SK_DEVM_SERIAL;
	snprintf(d.ident, sizeof(d.ident), "SN-0001");
	DO(sk_device_add(st, &d, err, sizeof(err)));
	DO(sk_device_assign(st, "user0", "pc-01", err, sizeof(err)));
	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "0A1B2C");
	snprintf(c.user, sizeof(c.user), "user0");
	snprintf(c.device, sizeof(c.device), "pc-01");
	snprintf(c.subject, sizeof(c.subject), "CN=user0");
	c.not_before = 1000;
	c.not_after = 2000000000;
	DO(sk_cert_add(st, &c));
	snprintf(c.serial, sizeof(c.serial), "0A1B2D");
	DO(sk_cert_add(st, &c));
	DO(sk_cert_revoke(st, "0A1B2D", 1500));	/* the CRL */
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "user0");
	snprintf(p.device, sizeof(p.device), "pc-01");
	memset(p.token_hash, 0xa5, sizeof(p.token_hash));
	p.expires = 2000000000;
	p.max_downloads = 3;
	p.state = SK_PROFILE_WAIT_DOWNLOAD;
	p.created = 1000;
	DO(sk_profile_add(st, &p));
	p.downloads = 2;
	DO(sk_profile_update(st, &p));
	DO(sk_setting_set(st, "gateway.name", "gw-a", err, sizeof(err)));
	DO(sk_setting_set(st, "smtp.password", "S3cret-smtp-PW", err, sizeof(err)));
	for (i = 0; i < 3; i++) {
		memset(&s, 0, sizeof(s));
		memset(s.cookie_hash, 0x10 + i, sizeof(s.cookie_hash));
		snprintf(s.user, sizeof(s.user), "user%d", i % 2);
		snprintf(s.group, sizeof(s.group), "staff");
		snprintf(s.addr4, sizeof(s.addr4), "10.77.0.%d", 10 + i);
		snprintf(s.remote, sizeof(s.remote), "192.0.2.%d:4433", i);
		s.started = s.last_seen = 1000;
		s.expires = 2000000000;
		s.rx_bytes = 1ULL << 40;
		DO(sk_session_add(st, &s));
	}
	DO(sk_session_del(st, s.id));	/* the last id: never handed out again */
	DO(sk_lease_set(st, "user0", 2, "10.77.0.10"));
	DO(sk_lease_set(st, "user1", 10, "fd00:77::11"));
	DO(sk_login_fail(st, "user1", "198.51.100.7", &fp, 1000, &fr));
	DO(sk_login_fail(st, NULL, "2001:db8:1:2::9", &fp, 1001, &fr));
	DO(sk_posture_set(st, SK_PO_SCOPE_GROUP, "staff", "av.max_age_days", "3", err, sizeof(err)));
	DO(sk_posture_set(st, SK_PO_SCOPE_DEVICE, "pc-01", "posture", "on", err, sizeof(err)));
	memset(&l, 0, sizeof(l));
	l.time = 1234;
	snprintf(l.outcome, sizeof(l.outcome), "ok");
	snprintf(l.report, sizeof(l.report), "{\"os\":\"windows\"}");
	snprintf(l.verdicts, sizeof(l.verdicts), "[]");
	DO(sk_posture_last_set(st, "pc-01", &l));
	DO(sk_directory_add(st, "corp", err, sizeof(err)));
	DO(sk_directory_set(st, "corp", "uri", "ldaps://dc1.corp.example", err, sizeof(err)));
	DO(sk_directory_set(st, "corp", "bind-password", "S3cret-bind-PW", err, sizeof(err)));
	DO(sk_group_directory_set(st, "staff", "corp"));
	memset(&a, 0, sizeof(a));
	a.time = 1000;
	snprintf(a.type, sizeof(a.type), "admin");
	snprintf(a.actor, sizeof(a.actor), "uid=0(root)");
	snprintf(a.result, sizeof(a.result), "ok");
	snprintf(a.detail, sizeof(a.detail), "{\"note\":\"日本語\"}");
	DO(sk_audit_add(st, &a));
	DO(sk_gateway_beat(st, 1000, 1010));	/* schema 12: gateways */
#undef DO
	tap_ok(&t, ok == n, "fill: %d of %d calls succeeded", ok, n);
	return ok == n;
}

static int count_tables(const struct digests *d, int64_t *empty)
{
	int i, n = 0;

	*empty = 0;
	for (i = 0; i < d->n; i++)
		if (d->tab[i].rows)
			n++;
		else
			(*empty)++;
	return n;
}

int main(void)
{
	char dir[] = "/tmp/sk-copytest.XXXXXX", a[1024], mid[1024], b[1024], c[1024], err[1024];
	char why[256], sql[128], val[64];
	struct digests da, dm, db, dx;
	struct sk_store *st = NULL;
	struct sk_user u;
	struct sk_group g;
	struct sk_cert cert;
	struct sk_session s;
	int64_t empty = 0;
	int rc;

	tap_begin();
	if (!mkdtemp(dir))
		return 1;
	/* the first store is always a file; the middle one is SK_TEST_STORE's kind */
	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	snprintf(c, sizeof(c), "%s/c.db", dir);
	if (!test_store(dir, "mid.db", mid, sizeof(mid)))
		return 1;
	tap_ok(&t, sk_store_open(a, &st, err, sizeof(err)) == 0, "open the first store (%s)", err);
	if (!st)
		return tap_end(&t);
	fill(st);
	sk_store_close(st);
	rc = digest(a, &da);
	tap_ok(&t, rc == 0 && da.n >= 20 && count_tables(&da, &empty) == da.n,
	       "every table of the schema has rows (%d tables, %lld empty)", da.n, (long long)empty);

	/* SQLite -> the middle store -> a new SQLite file */
	memset(&dm, 0, sizeof(dm));
	rc = sk_store_copy(a, mid, 0, collect, &dm, err, sizeof(err));
	tap_ok(&t, rc == 0, "copy to the %s store (%s)", test_pg() ? "PostgreSQL" : "SQLite", err);
	tap_ok(&t, same(&da, &dm, why, sizeof(why)), "the copy reports the source's digests (%s)", why);
	tap_ok(&t, digest(mid, &dx) == 0 && same(&da, &dx, why, sizeof(why)),
	       "the middle store has the same digests (%s)", why);
	rc = sk_store_copy(mid, b, 0, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == 0, "copy back to a new SQLite file (%s)", err);
	tap_ok(&t, digest(b, &db) == 0 && same(&da, &db, why, sizeof(why)),
	       "the final store equals the first: every table's rows and digest (%s)", why);

	/* objects read through the API, and the ids go on */
	tap_ok(&t, sk_store_open(b, &st, err, sizeof(err)) == 0, "open the final store (%s)", err);
	if (!st)
		return tap_end(&t);
	tap_ok(&t, sk_user_get(st, "user0", &u) == 0 && !strcmp(u.email, "user0@example.com") &&
	       u.totp_last_step == 55555555 && !strcmp(u.totp_secret, "JBSWY3DPEHPK3PXP") &&
	       u.uid[0], "user0 as it was (uid %s)", u.uid);
	tap_ok(&t, sk_user_get(st, "user2", &u) == -ENOENT, "the deleted user stays deleted");
	tap_ok(&t, sk_group_get(st, "staff", &g) == 0 && !strcmp(g.label, "職員") &&
	       g.n_split_inc == 2 && g.factors[1] == SK_FACTOR_TOTP && !strcmp(g.policy, "office"),
	       "group staff as it was");
	tap_ok(&t, sk_cert_get(st, "0a1b2d", &cert) == 0 && cert.revoked_at == 1500,
	       "the revocation is there");
	tap_ok(&t, sk_setting_get(st, "smtp.password", val, sizeof(val)) == 0 &&
	       !strcmp(val, "S3cret-smtp-PW"), "a secret setting as stored");
	memset(&s, 0, sizeof(s));
	memset(s.cookie_hash, 0x77, sizeof(s.cookie_hash));
	snprintf(s.user, sizeof(s.user), "user1");
	s.started = s.last_seen = 1000;
	s.expires = 2000000000;
	tap_ok(&t, sk_session_add(st, &s) == 0 && s.id == 4,
	       "a new session gets id 4: no id the source handed out comes again (%lld)",
	       (long long)s.id);
	sk_store_close(st);
	if (test_pg()) {
		tap_ok(&t, sk_store_open(mid, &st, err, sizeof(err)) == 0, "open the PostgreSQL store");
		if (!st)
			return tap_end(&t);
		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "user9");
		snprintf(u.group, sizeof(u.group), "staff");
		u.enabled = true;
		tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == 0 &&
		       sk_user_get(st, "user9", &u) == 0 && u.id > 2,
		       "PostgreSQL: a new user after the copy gets a new id (%s)", err);
		tap_ok(&t, sk_session_add(st, &s) == 0 && s.id == 4,
		       "PostgreSQL: a new session gets id 4 (%lld)", (long long)s.id);
		sk_store_close(st);
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
			 sk_schema_latest - 1);
		raw(mid, sql);
		rc = sk_store_copy(mid, c, 0, NULL, NULL, err, sizeof(err));
		tap_ok(&t, rc == -EPROTO && strstr(err, "upgrade") && access(c, F_OK) != 0,
		       "PostgreSQL: a source of an older schema is refused, no target made (%s)",
		       err);
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", sk_schema_latest);
		raw(mid, sql);
	}

	/* refusals */
	rc = sk_store_copy(a, b, 0, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == -ENOTEMPTY && strstr(err, "not empty") && strstr(err, "--force"),
	       "a target that is not empty is refused (%s)", err);
	tap_ok(&t, digest(b, &dx) == 0 && !same(&da, &dx, why, sizeof(why)) &&
	       dx.rows == db.rows + 1, "and left as it was (with its new session)");
	rc = sk_store_copy(a, mid, 0, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == -ENOTEMPTY, "the same with the middle store (%s)", err);
	rc = sk_store_copy(a, b, SK_COPY_FORCE, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == 0 && digest(b, &dx) == 0 && same(&da, &dx, why, sizeof(why)),
	       "--force replaces its content (%s %s)", err, why);
	rc = sk_store_copy(a, a, 0, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == -EINVAL, "a store onto itself is refused (%s)", err);

	/* another schema version: the source, then the target */
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
		 sk_schema_latest - 1);
	tap_ok(&t, raw(b, sql) == 0, "the copy made one version older by hand");
	rc = sk_store_copy(b, c, 0, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == -EPROTO && strstr(err, "schema version") && strstr(err, "upgrade"),
	       "a source of an older schema is refused (%s)", err);
	tap_ok(&t, access(c, F_OK) != 0, "and no target was made");
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
		 sk_schema_latest + 1);
	raw(b, sql);
	rc = sk_store_copy(b, c, 0, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == -EPROTO && strstr(err, "newer"), "a newer source is refused (%s)", err);
	rc = sk_store_copy(a, b, SK_COPY_FORCE, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == -EPROTO && strstr(err, "newer") &&
	       raw_int(b, "SELECT count(*) FROM users") == 2,
	       "a newer target is refused, even with --force, and left as it was (%s)", err);
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
		 sk_schema_latest);
	raw(b, sql);

	/* a table the schema does not describe: named, nothing written */
	tap_ok(&t, raw(b, "CREATE TABLE extra (x INTEGER)") == 0, "a table of someone else's");
	rc = sk_store_copy(b, c, 0, NULL, NULL, err, sizeof(err));
	tap_ok(&t, rc == -EPROTO && strstr(err, "\"extra\""),
	       "a source with a table the schema does not describe is refused by name (%s)", err);
	tap_ok(&t, access(c, F_OK) != 0, "and no target was made");
	return tap_end(&t);
}
