// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userspace/store/ under stress: migrations from an older
 * file, refusal of a newer one, a writer SIGKILLed in the middle of a big
 * transaction, and two processes counting failures on the same user.
 * TAP output; a temporary directory per run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "skstore.h"
#include "store-impl.h"
#include "tap.h"
#include "store-test.h"

static struct tap t;
static char err[256];
static char dir[] = "/tmp/sk-store-safety.XXXXXX";

/* a new store called name: a file in dir, or a new PostgreSQL database */
static void mkpath(char *buf, size_t len, const char *name)
{
	if (!test_store(dir, name, buf, len))
		buf[0] = '\0';
}

/* integrity_check: SQLite only (PostgreSQL keeps its own files) */
static bool integrity_ok(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	bool ok = false;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK) {
		ok = sqlite3_step(s) == SQLITE_ROW &&
		     !strcmp((const char *)sqlite3_column_text(s, 0), "ok");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return ok;
}

/* migration script i in this store's dialect (kept until exit) */
static const char *script(int i)
{
	static char *s[16];

	if (i < 0 || i >= 16)
		return "";
	if (!s[i])
		s[i] = sk_schema_script(test_pg() ? SK_DIALECT_PG : SK_DIALECT_SQLITE, i);
	return s[i] ? s[i] : "";
}

static void migrations(void)
{
	char path[256];
	struct sk_store *st;
	struct sk_user u;
	int rc;

	/* a version-1 file, made by hand with the first script only */
	mkpath(path, sizeof(path), "v1.db");
	tap_ok(&t, sk_schema_latest >= 2, "at least two migrations (%d)",
	       sk_schema_latest);
	tap_ok(&t, raw(path, script(0)) == 0 &&
	       raw(path, "UPDATE schema_version SET version = 1;"
		   "INSERT INTO groups (name) VALUES ('g1');"
		   "INSERT INTO users (name, group_id, created, changed) VALUES ('old', 1, 1, 1);") == 0,
	       "hand-made version 1 file");
	tap_ok(&t, raw_index(path, "audit_type") == 0,
	       "version 1 has no audit_type index");
	rc = sk_store_open(path, &st, err, sizeof(err));
	tap_ok(&t, rc == 0, "open migrates it (%s)", rc ? err : "ok");
	if (rc)
		return;
	tap_ok(&t, sk_store_schema_version(st) == sk_schema_latest,
	       "now at version %d", sk_store_schema_version(st));
	tap_ok(&t, sk_user_get(st, "old", &u) == 0 && !strcmp(u.group, "g1"),
	       "data of version 1 kept");
	/* migration 3 (issue 11 item 4): every user gets a uid */
	{
		struct sk_user n = { 0 }, n2;
		char uid[SK_UID_LEN + 1];
		int64_t id;

		tap_ok(&t, strlen(u.uid) == 36 && u.uid[14] == '4' && u.legacy_certs,
		       "migration 3: the old user has a uid (%s) and may hold certificates "
		       "without one", u.uid);
		snprintf(n.name, sizeof(n.name), "new");
		snprintf(n.group, sizeof(n.group), "g1");
		n.enabled = true;
		snprintf(n.uid, sizeof(n.uid), "%s", u.uid);	/* ignored: the store picks */
		n.legacy_certs = true;				/* ignored too */
		tap_ok(&t, sk_user_add(st, &n, err, sizeof(err)) == 0 && !sk_user_get(st, "new", &n2) &&
		       strlen(n2.uid) == 36 && strcmp(n2.uid, u.uid) && !n2.legacy_certs,
		       "a new user gets a new uid of its own and no legacy certificates");
		/* the rowid is reused after a delete; the uid is not */
		id = n2.id;
		snprintf(uid, sizeof(uid), "%s", n2.uid);
		/* (PostgreSQL's identity never hands an id out twice) */
		tap_ok(&t, sk_user_del(st, "new") == 0 && sk_user_add(st, &n, err, sizeof(err)) == 0 &&
		       !sk_user_get(st, "new", &n2) && (test_pg() || n2.id == id) && strcmp(n2.uid, uid),
		       "deleted and created again: %s rowid %lld, another uid",
		       test_pg() ? "an" : "same", (long long)n2.id);
	}
	sk_store_close(st);
	tap_ok(&t, raw_index(path, "audit_type") == 1,
	       "migration 2 applied");
	tap_ok(&t, raw_index(path, "users_uid") == 1 &&
	       raw_int(path, "SELECT count(DISTINCT uid) FROM users WHERE length(uid) = 36") == 2,
	       "migration 3 applied: users_uid unique index, one uid per user");

	/* migration 4 (issue 11 items 5 and 6): a version-3 file whose
	 * groups were made before the certificate-only refusal and the
	 * max-sessions default */
	mkpath(path, sizeof(path), "v3.db");
	{
		struct sk_group g;

		tap_ok(&t, raw(path, script(0)) == 0 && raw(path, script(1)) == 0 &&
		       raw(path, script(2)) == 0 &&
		       raw(path, "UPDATE schema_version SET version = 3;"
			   "INSERT INTO groups (name) VALUES ('certonly'), ('certpw'), ('pw');"
			   "INSERT INTO group_factors VALUES (1, 1, 'cert'), (2, 1, 'cert'),"
			   " (2, 2, 'password'), (3, 1, 'password');") == 0,
		       "hand-made version 3 file: groups cert, cert+password, password");
		rc = sk_store_open(path, &st, err, sizeof(err));
		tap_ok(&t, rc == 0, "open migrates it (%s)", rc ? err : "ok");
		if (rc)
			return;
		tap_ok(&t, !sk_group_get(st, "certonly", &g) && g.cert_only_ok && sk_group_cert_only(&g),
		       "migration 4: the certificate-only group keeps working (cert-only-ok set)");
		tap_ok(&t, !sk_group_get(st, "certonly", &g) && g.max_sessions == 0,
		       "migration 4: an existing group keeps its max-sessions (0 = unlimited)");
		tap_ok(&t, !sk_group_get(st, "certpw", &g) && !g.cert_only_ok && !sk_group_cert_only(&g),
		       "migration 4: cert+password gets no override");
		tap_ok(&t, !sk_group_get(st, "pw", &g) && !g.cert_only_ok, "migration 4: password gets none");
		/* the override goes when it is cleared, and then the group is refused */
		sk_group_get(st, "certonly", &g);
		g.cert_only_ok = false;
		rc = sk_group_update(st, &g, err, sizeof(err));
		tap_ok(&t, rc != 0 && strstr(err, "cert-only-ok=yes") && strstr(err, "password"),
		       "a certificate-only group without the override is refused, naming the fix (%s)",
		       err);
		sk_group_defaults(&g);
		snprintf(g.name, sizeof(g.name), "fresh");
		tap_ok(&t, g.max_sessions == SK_GROUP_MAX_SESSIONS_DEFAULT && g.max_sessions == 3 &&
		       !sk_group_add(st, &g, err, sizeof(err)) && !sk_group_get(st, "fresh", &g) &&
		       g.max_sessions == 3, "a new group gets max-sessions 3");
		g.factors[0] = SK_FACTOR_CERT;
		g.factors[1] = SK_FACTOR_NONE;
		rc = sk_group_update(st, &g, err, sizeof(err));
		tap_ok(&t, rc != 0, "a new group with factors cert alone is refused");
		g.cert_only_ok = true;
		tap_ok(&t, sk_group_update(st, &g, err, sizeof(err)) == 0 && !sk_group_get(st, "fresh", &g) &&
		       g.cert_only_ok, "with cert-only-ok it is taken");
		sk_store_close(st);
	}

	/* a file from a newer sekisho */
	tap_ok(&t, raw(path, "UPDATE schema_version SET version = 999") == 0, "pretend version 999");
	rc = sk_store_open(path, &st, err, sizeof(err));
	tap_ok(&t, rc != 0 && strstr(err, "newer") && st == NULL,
	       "newer schema refused (%s)", err);
	tap_ok(&t, raw_int(path, "SELECT version FROM schema_version") == 999,
	       "refused file left untouched");

	/* a failing migration leaves the old version (one transaction) */
	mkpath(path, sizeof(path), "broken.db");
	raw(path, script(0));
	raw(path, "UPDATE schema_version SET version = 1; CREATE TABLE audit_type (x INTEGER);");
	rc = sk_store_open(path, &st, err, sizeof(err));
	tap_ok(&t, rc != 0 && strstr(err, "migration to schema version 2"),
	       "a failing migration is reported (%s)", err);
	tap_ok(&t, raw_int(path, "SELECT version FROM schema_version") == 1,
	       "and the file stays at version 1");
}

/* ---- what was issued dies with the user or the device (issue 11 item 4) ---- */

static void lifecycle(void)
{
	char path[256];
	struct sk_store *st;
	struct sk_user u = { 0 };
	struct sk_group g;
	struct sk_device d = { 0 };
	struct sk_cert c = { 0 };
	struct sk_profile p = { 0 };
	int64_t pid;

	mkpath(path, sizeof(path), "life.db");
	if (sk_store_open(path, &st, err, sizeof(err))) {
		tap_ok(&t, 0, "open life.db (%s)", err);
		return;
	}
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	sk_group_add(st, &g, err, sizeof(err));
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.group, sizeof(u.group), "staff");
	u.enabled = true;
	sk_user_add(st, &u, err, sizeof(err));
	sk_user_get(st, "alice", &u);
	snprintf(d.name, sizeof(d.name), "pc1");
	d.type = SK_DEV_WINDOWS;
	d.method = SK_DEVM_MAC;
	d.enabled = true;
	snprintf(d.ident, sizeof(d.ident), "12:34:56:78:90:ab");
	sk_device_add(st, &d, err, sizeof(err));
	sk_device_assign(st, "alice", "pc1", err, sizeof(err));
	snprintf(c.serial, sizeof(c.serial), "4A01");
	snprintf(c.user, sizeof(c.user), "alice");
	snprintf(c.user_uid, sizeof(c.user_uid), "%s", u.uid);
	snprintf(c.device, sizeof(c.device), "pc1");
	c.not_before = 1000;
	c.not_after = 2000000000;
	snprintf(p.user, sizeof(p.user), "alice");
	snprintf(p.device, sizeof(p.device), "pc1");
	p.token_hash[0] = 1;
	p.expires = 2000000000;
	p.max_downloads = 1;
	p.state = SK_PROFILE_WAIT_DOWNLOAD;
	tap_ok(&t, sk_cert_add(st, &c) == 0 && sk_profile_add(st, &p) == 0, "a certificate and a link");
	pid = p.id;
	tap_ok(&t, sk_user_del(st, "alice") == 0 && !sk_cert_get(st, "4A01", &c) && c.revoked_at &&
	       !sk_profile_find(st, p.token_hash, &p) && p.state == SK_PROFILE_EXPIRED,
	       "user del revokes the certificate and expires the link in its transaction");
	/* the device of a user: unassign and delete end its certificate */
	sk_user_add(st, &u, err, sizeof(err));
	sk_device_assign(st, "alice", "pc1", err, sizeof(err));
	snprintf(c.serial, sizeof(c.serial), "4A02");
	c.revoked_at = 0;
	tap_ok(&t, sk_cert_add(st, &c) == 0 && sk_device_unassign(st, "alice", "pc1") == 0 &&
	       !sk_cert_get(st, "4A02", &c) && c.revoked_at, "device unassign revokes its certificate");
	snprintf(c.serial, sizeof(c.serial), "4A03");
	c.revoked_at = 0;
	tap_ok(&t, sk_cert_add(st, &c) == 0 && sk_device_del(st, "pc1") == 0 &&
	       !sk_cert_get(st, "4A03", &c) && c.revoked_at, "device del revokes its certificates");
	/* supersede: all but the one kept */
	snprintf(c.serial, sizeof(c.serial), "4A04");
	c.revoked_at = 0;
	sk_cert_add(st, &c);
	snprintf(c.serial, sizeof(c.serial), "4A05");
	sk_cert_add(st, &c);
	tap_ok(&t, sk_cert_revoke_for(st, "alice", "pc1", "4a05", pid, 3000) == 1 &&
	       !sk_cert_get(st, "4A04", &c) && c.revoked_at == 3000 &&
	       !sk_cert_get(st, "4A05", &c) && !c.revoked_at,
	       "sk_cert_revoke_for keeps the one named (case-insensitive serial)");
	tap_ok(&t, sk_cert_revoke_for(st, NULL, NULL, NULL, 0, 3000) == -EINVAL,
	       "sk_cert_revoke_for needs a user or a device");
	sk_store_close(st);
}

/* ---- sk_store_open_existing: every command but sekictl init ---- */

/* the number of tables in store (its current schema for PostgreSQL), -1 on failure */
static int64_t tables(const char *store)
{
	return raw_int(store, sk_store_is_url(store)
		       ? "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
		       : "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
}

static void existing(void)
{
	char path[256], sub[300], e[1024], d[512], cwd[256];
	struct sk_store *st = (struct sk_store *)&st;
	struct stat sb;
	int rc;

	/* nothing there: a file that does not exist, a database without
	 * sekisho's tables (test_store makes it empty) */
	mkpath(path, sizeof(path), "exist.db");
	rc = sk_store_open_existing(path, &st, e, sizeof(e));
	tap_ok(&t, rc == -ENOENT && !st, "a store that does not exist: -ENOENT (%d)", rc);
	tap_ok(&t, strstr(e, "does not exist: nothing was created") &&
	       strstr(e, "sekictl init --store") && strstr(e, "存在しません"),
	       "and the message names sekictl init, in English and Japanese");
	if (test_pg())
		tap_ok(&t, tables(path) == 0, "and the database has no table afterwards");
	else
		tap_ok(&t, stat(path, &sb) && errno == ENOENT, "and no file was made");
	tap_ok(&t, sk_store_open_existing("", &st, e, sizeof(e)) == -EINVAL,
	       "an empty store path: -EINVAL");

	/* another program's tables only: not a store either, left as it was */
	tap_ok(&t, raw(path, "CREATE TABLE other (x INTEGER)") == 0 &&
	       sk_store_open_existing(path, &st, e, sizeof(e)) == -ENOENT && tables(path) == 1,
	       "tables of another program but no schema_version: -ENOENT, nothing added");
	if (!test_pg()) {
		unsigned char h[20] = { 0 };
		FILE *f = fopen(path, "rb");
		bool got = f && fread(h, 1, sizeof(h), f) == sizeof(h);

		if (f)
			fclose(f);
		/* bytes 18, 19 of the header: 1 rollback journal, 2 WAL */
		tap_ok(&t, got && h[18] == 1 && h[19] == 1,
		       "and the file is not turned to WAL (header %d %d)", h[18], h[19]);
		/* an empty file (a half-made init): -ENOENT, still empty */
		mkpath(path, sizeof(path), "empty.db");
		close(open(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
		rc = sk_store_open_existing(path, &st, e, sizeof(e));
		tap_ok(&t, rc == -ENOENT && !stat(path, &sb) && sb.st_size == 0,
		       "an empty file: -ENOENT, and it stays empty (%d, %lld bytes)", rc,
		       (long long)sb.st_size);
		tap_ok(&t, sk_store_open(path, &st, e, sizeof(e)) == 0,
		       "sk_store_open (init) makes the store in it");
		sk_store_close(st);
		tap_ok(&t, sk_store_open_existing(path, &st, e, sizeof(e)) == 0,
		       "then sk_store_open_existing opens it");
		sk_store_close(st);
		/* a path through a file */
		snprintf(sub, sizeof(sub), "%s/x.db", path);
		tap_ok(&t, sk_store_open_existing(sub, &st, e, sizeof(e)) == -ENOENT,
		       "a path below a file: -ENOENT");
		/* the state directory without opening */
		tap_ok(&t, getcwd(cwd, sizeof(cwd)) && !sk_store_dir_of("a/./b/../s.db", d, sizeof(d)) &&
		       !strncmp(d, cwd, strlen(cwd)) && !strcmp(d + strlen(cwd), strcmp(cwd, "/") ? "/a" : "a") &&
		       stat("a", &sb), "sk_store_dir_of: the absolute directory of a file, nothing made (%s)", d);
	} else {
		tap_ok(&t, !sk_store_dir_of(path, d, sizeof(d)) && !strcmp(d, dir) && tables(path) == 1,
		       "sk_store_dir_of: $SEKISHO_STATE_DIR for PostgreSQL, nothing made (%s)", d);
	}

	/* created by sk_store_open (init): now it opens, at the latest version */
	mkpath(path, sizeof(path), "exist2.db");
	if (sk_store_open(path, &st, e, sizeof(e))) {
		tap_ok(&t, 0, "open exist2.db (%s)", e);
		return;
	}
	sk_store_close(st);
	rc = sk_store_open_existing(path, &st, e, sizeof(e));
	tap_ok(&t, rc == 0 && sk_store_schema_version(st) == sk_schema_latest,
	       "a store init made: sk_store_open_existing opens it (%s)", rc ? e : "ok");
	if (!rc)
		sk_store_close(st);

	/* an older store exists: it is migrated as by sk_store_open */
	mkpath(path, sizeof(path), "exist-v1.db");
	tap_ok(&t, raw(path, script(0)) == 0 && raw(path, "UPDATE schema_version SET version = 1") == 0,
	       "hand-made version 1 store");
	rc = sk_store_open_existing(path, &st, e, sizeof(e));
	tap_ok(&t, rc == 0 && sk_store_schema_version(st) == sk_schema_latest,
	       "a version 1 store: opened and migrated (%s)", rc ? e : "ok");
	if (!rc)
		sk_store_close(st);
}

/* ---- paths in the store stay below the state directory (issue 11 item 7) ---- */

static void paths(void)
{
	char sdir[200], path[256], v[600], link[256];
	struct sk_store *st;

	snprintf(sdir, sizeof(sdir), "%s/state", dir);
	mkdir(sdir, 0700);
	if (!test_store(sdir, "sekisho.db", path, sizeof(path)) ||
	    sk_store_open(path, &st, err, sizeof(err))) {
		tap_ok(&t, 0, "open state/sekisho.db (%s)", err);
		return;
	}
	tap_ok(&t, !strcmp(sk_store_dir(st), sdir), "the state directory is the store's (%s)",
	       sk_store_dir(st));
	tap_ok(&t, sk_setting_set(st, "ca.dir", "/dev", err, sizeof(err)) == -EPERM &&
	       strstr(err, "not below the state directory") && strstr(err, "状態ディレクトリ"),
	       "ca.dir /dev refused, in English and Japanese");
	tap_ok(&t, sk_setting_set(st, "ca.dir", sdir, err, sizeof(err)) == -EPERM,
	       "ca.dir = the state directory itself refused");
	snprintf(v, sizeof(v), "%s/../x", sdir);
	tap_ok(&t, sk_setting_set(st, "ca.dir", v, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "plain absolute path"), "ca.dir with /../ refused");
	snprintf(v, sizeof(v), "%sx/ca", sdir);	/* a sibling whose name starts the same */
	tap_ok(&t, sk_setting_set(st, "ca.dir", v, err, sizeof(err)) == -EPERM,
	       "a sibling directory with the same prefix refused");
	snprintf(link, sizeof(link), "%s/etc", sdir);
	tap_ok(&t, symlink("/etc", link) == 0, "a symbolic link state/etc -> /etc");
	tap_ok(&t, sk_setting_set(st, "ca.dir", link, err, sizeof(err)) == -EPERM,
	       "ca.dir through a symbolic link out of the state directory refused");
	snprintf(v, sizeof(v), "%s/etc/sekisho-ca", sdir);
	tap_ok(&t, sk_setting_set(st, "ca.dir", v, err, sizeof(err)) == -EPERM,
	       "ca.dir below such a link refused too");
	snprintf(v, sizeof(v), "%s/ca", sdir);
	tap_ok(&t, sk_setting_set(st, "ca.dir", v, err, sizeof(err)) == 0 &&
	       sk_store_check_paths(st, err, sizeof(err)) == 0, "ca.dir below it accepted");
	sk_store_close(st);
	/* written past sekictl: sekishod refuses to start on it */
	tap_ok(&t, raw(path, "UPDATE settings SET value = '/dev' WHERE key = 'ca.dir'") == 0,
	       "ca.dir = /dev written with sqlite3");
	if (sk_store_open(path, &st, err, sizeof(err)))
		return;
	{
		char big[1024];

		snprintf(v, sizeof(v), "settings set ca.dir %s/ca", sdir);
		tap_ok(&t, sk_store_check_paths(st, big, sizeof(big)) == -EPERM &&
		       strstr(big, "ca.dir is /dev,") && strstr(big, v),
		       "sk_store_check_paths refuses it and names the fix: %s", big);
	}
	sk_store_close(st);
}

/* ---- crash in the middle of a big transaction ---- */

struct bulk {
	int fd;		/* pipe to the parent */
	int commit;	/* 0: hang before commit, 1: commit then hang */
};

static int add_rules(struct sk_store *st, void *arg)
{
	struct bulk *b = arg;
	struct sk_rule r;
	char text[64];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "allow tcp 10.%d.%d.0/24 port %d", i / 256, i % 256,
			 1 + i);
		if (sk_rule_parse(text, &r, NULL, 0) || sk_rule_add(st, "big", 0, &r))
			return -1;
		if (i == 500 && !b->commit) {
			if (write(b->fd, "h", 1) != 1)
				return -1;
			pause();	/* the parent kills us here */
		}
	}
	return 0;
}

static void crash(int commit)
{
	char path[256];
	struct sk_store *st;
	struct bulk b = { .commit = commit };
	struct sk_policy p;
	int pfd[2], status, rc;
	char c;
	pid_t pid;

	mkpath(path, sizeof(path), commit ? "crash-commit.db" : "crash.db");
	if (sk_store_open(path, &st, err, sizeof(err)) || sk_policy_add(st, "big", "")) {
		tap_ok(&t, false, "crash setup (%s)", err);
		return;
	}
	sk_store_close(st);
	if (pipe(pfd))
		return;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		b.fd = pfd[1];
		if (sk_store_open(path, &st, err, sizeof(err)))
			_exit(2);
		if (sk_store_tx(st, add_rules, &b))
			_exit(3);
		if (write(b.fd, "c", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	c = 0;
	if (read(pfd[0], &c, 1) != 1)
		c = '?';
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pfd[0]);
	tap_ok(&t, c == (commit ? 'c' : 'h') && WIFSIGNALED(status),
	       "writer SIGKILLed %s (said '%c')", commit ? "after commit" : "half way", c);
	if (test_pg())
		tap_skip(&t, "integrity_check after the kill", "SQLite's PRAGMA; PostgreSQL keeps its own files");
	else
		tap_ok(&t, integrity_ok(path), "integrity_check ok after the kill");
	if (sk_store_open(path, &st, err, sizeof(err))) {
		tap_ok(&t, false, "reopen after kill (%s)", err);
		return;
	}
	memset(&p, 0, sizeof(p));
	rc = sk_policy_get(st, "big", &p);
	tap_ok(&t, rc == 0 && p.n_rules == (commit ? 1000 : 0),
	       "%s of the rows are there (%d)", commit ? "all" : "none", p.n_rules);
	/* the store is still writable: the dead writer's lock is gone */
	tap_ok(&t, sk_policy_add(st, "after", "") == 0, "writable after the kill");
	sk_store_close(st);
}

/* ---- two processes failing the same user ---- */

static int worker(const char *path, int n, bool via_update)
{
	struct sk_store *st;
	struct sk_user u;
	int i;

	if (sk_store_open(path, &st, err, sizeof(err)))
		return 2;
	for (i = 0; i < n; i++) {
		if (via_update) {
			/* read-modify-write made atomic by a transaction */
			int rc;

			rc = sk_store_tx_begin(st);
			if (!rc)
				rc = sk_user_get(st, "racer", &u);
			if (!rc) {
				u.fail_count++;
				rc = sk_user_update(st, &u, err, sizeof(err));
			}
			if (sk_store_tx_end(st, rc))
				return 3;
		} else if (sk_user_fail(st, "racer", 0, 0, 1, &u)) {
			return 3;
		}
	}
	sk_store_close(st);
	return 0;
}

static void race(bool via_update)
{
	char path[256];
	struct sk_store *st;
	struct sk_group g;
	struct sk_user u;
	pid_t pid[2];
	int i, status, ok = 0;

	mkpath(path, sizeof(path), via_update ? "race-update.db" : "race.db");
	sk_store_open(path, &st, err, sizeof(err));
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "g");
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "racer");
	snprintf(u.group, sizeof(u.group), "g");
	if (sk_group_add(st, &g, err, sizeof(err)) || sk_user_add(st, &u, err, sizeof(err))) {
		tap_ok(&t, false, "race setup (%s)", err);
		return;
	}
	sk_store_close(st);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(worker(path, 200, via_update));
	}
	for (i = 0; i < 2; i++)
		if (waitpid(pid[i], &status, 0) == pid[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			ok++;
	tap_ok(&t, ok == 2, "both %s workers finished", via_update ? "update" : "fail");
	sk_store_open(path, &st, err, sizeof(err));
	sk_user_get(st, "racer", &u);
	tap_ok(&t, u.fail_count == 400, "no lost update with %s: fail_count %d",
	       via_update ? "get+update in sk_store_tx" : "sk_user_fail", u.fail_count);
	sk_store_close(st);
}

/* ---- a database that is gone or does not answer (PostgreSQL) ---- */

static void unavailable(void)
{
	char path[512], sql[256], m[256];
	struct sk_store *st;
	struct sk_user u;
	int64_t pid;
	time_t t0;
	int rc;

	/* a message never shows the password */
	sk_store_mask("postgresql://gw:s3cr%40t@db.example/sekisho?sslmode=verify-full&password=s3cr",
		      m, sizeof(m));
	tap_ok(&t, !strstr(m, "s3cr") && strstr(m, "gw:***@db.example/sekisho") &&
	       strstr(m, "password=***"), "the password is masked: %s", m);
	if (!test_pg()) {
		tap_skip(&t, "a dead database: -EIO and a clear message, no hang",
			 "PostgreSQL only (SK_TEST_STORE)");
		return;
	}
	rc = sk_store_open("postgresql://gw:s3cret@/sekisho?host=/nonexistent&connect_timeout=2", &st,
			   err, sizeof(err));
	tap_ok(&t, rc == -EIO && !strstr(err, "s3cret") && strstr(err, "unavailable"),
	       "no server: -EIO, password masked (%s)", err);
	mkpath(path, sizeof(path), "gone.db");
	if (sk_store_open(path, &st, err, sizeof(err))) {
		tap_ok(&t, false, "open gone.db (%s)", err);
		return;
	}
	/* our server process is killed (an administrator, a failover) */
	raw(path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		  " WHERE datname = current_database() AND pid <> pg_backend_pid()");
	rc = sk_user_get(st, "nobody", &u);
	tap_ok(&t, rc == -EIO || rc == -ENOENT, "a call on the lost connection: %d", rc);
	tap_ok(&t, sk_user_get(st, "nobody", &u) == -ENOENT && sk_policy_add(st, "back", "") == 0,
	       "the next call connects again by itself");
	if (geteuid() != 0) {
		tap_skip(&t, "a server that stops answering", "needs root to SIGSTOP it");
		sk_store_close(st);
		return;
	}
	snprintf(sql, sizeof(sql), "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
		 " AND pid <> pg_backend_pid() LIMIT 1");
	pid = raw_int(path, sql);
	tap_ok(&t, pid > 0 && kill((pid_t)pid, SIGSTOP) == 0, "the server's process %lld stopped",
	       (long long)pid);
	t0 = time(NULL);
	rc = sk_policy_add(st, "hang", "");
	tap_ok(&t, rc == -EIO && time(NULL) - t0 < 20,
	       "a write to a server that does not answer: -EIO after %lld s, no hang",
	       (long long)(time(NULL) - t0));
	if (pid > 0)
		kill((pid_t)pid, SIGCONT);
	tap_ok(&t, sk_policy_add(st, "after-hang", "") == 0, "and the store works again after it");
	sk_store_close(st);
}

int main(void)
{
	char cmd[128];

	tap_begin();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	migrations();
	existing();
	lifecycle();
	paths();
	crash(0);
	crash(1);
	race(false);
	race(true);
	unavailable();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_end(&t);
}
