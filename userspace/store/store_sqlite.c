// SPDX-License-Identifier: GPL-2.0
/*
 * The SQLite backend: open, pragmas, migrations, transactions and the
 * statement helpers.  The nouns live in store_sqlite_*.c.
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL.  In WAL mode that
 * never corrupts the file (an application crash loses nothing committed; a
 * power loss may lose the last commits).  Security-relevant writes that
 * must not be undone by a power loss (certificate revocation, session kill,
 * password change, account lock, user deletion) switch to synchronous=FULL
 * for their commit: see sq_durable().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_sqlite.h"

/*
 * Migrations: sk_sqlite_migrations[i] brings schema version i to i + 1,
 * applied in one transaction each.  Never edit a released script: append a
 * new one.  Group lists (split routes, split DNS, factors) are child tables
 * with a position column, not JSON, so that they keep their order and stay
 * queryable.
 */
const char *const sk_sqlite_migrations[] = {
	/* 0 -> 1: the base schema */
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES (0);"
	"CREATE TABLE policies ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" description TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE rules ("
	" policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,"
	" position INTEGER NOT NULL,"
	" allow INTEGER NOT NULL, family INTEGER NOT NULL, addr BLOB NOT NULL,"
	" prefixlen INTEGER NOT NULL, proto INTEGER NOT NULL,"
	" port_min INTEGER NOT NULL, port_max INTEGER NOT NULL,"
	" PRIMARY KEY (policy_id, position)) WITHOUT ROWID;"
	"CREATE TABLE groups ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" label TEXT NOT NULL DEFAULT '',"
	" pool4 TEXT NOT NULL DEFAULT '', pool6 TEXT NOT NULL DEFAULT '',"
	" dns1 TEXT NOT NULL DEFAULT '', dns2 TEXT NOT NULL DEFAULT '',"
	" wins TEXT NOT NULL DEFAULT '', domain TEXT NOT NULL DEFAULT '',"
	" proxy_mode INTEGER NOT NULL DEFAULT 0,"
	" proxy_pac TEXT NOT NULL DEFAULT '', proxy_server TEXT NOT NULL DEFAULT '',"
	" proxy_exclude TEXT NOT NULL DEFAULT '',"
	" banner TEXT NOT NULL DEFAULT '',"
	" idle_timeout INTEGER NOT NULL DEFAULT 0, session_timeout INTEGER NOT NULL DEFAULT 0,"
	" max_sessions INTEGER NOT NULL DEFAULT 0, max_devices INTEGER NOT NULL DEFAULT 2,"
	" access_hours TEXT NOT NULL DEFAULT '',"
	" policy_id INTEGER REFERENCES policies(id) ON DELETE RESTRICT,"
	" lang INTEGER NOT NULL DEFAULT 0, mtu INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE group_factors ("
	" group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	" position INTEGER NOT NULL, factor TEXT NOT NULL,"
	" PRIMARY KEY (group_id, position), UNIQUE (group_id, factor));"
	"CREATE TABLE group_lists ("
	" group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL CHECK (kind IN ('split_inc', 'split_exc', 'split_dns')),"
	" position INTEGER NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (group_id, kind, position));"
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" email TEXT NOT NULL DEFAULT '',"
	" group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE RESTRICT,"
	" pw_hash TEXT NOT NULL DEFAULT '',"
	" must_change_pw INTEGER NOT NULL DEFAULT 0,"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" locked INTEGER NOT NULL DEFAULT 0, locked_until INTEGER NOT NULL DEFAULT 0,"
	" fail_count INTEGER NOT NULL DEFAULT 0,"
	" valid_from INTEGER NOT NULL DEFAULT 0, valid_until INTEGER NOT NULL DEFAULT 0,"
	" totp_secret TEXT NOT NULL DEFAULT '', totp_last_step INTEGER NOT NULL DEFAULT 0,"
	" cert_id TEXT NOT NULL DEFAULT '', lang INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL, changed INTEGER NOT NULL);"
	"CREATE INDEX users_group ON users(group_id);"
	"CREATE TABLE devices ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" type INTEGER NOT NULL, enabled INTEGER NOT NULL, check_on INTEGER NOT NULL,"
	" method INTEGER NOT NULL, ident TEXT NOT NULL,"
	" policy_id INTEGER REFERENCES policies(id) ON DELETE RESTRICT,"
	" user_id INTEGER REFERENCES users(id) ON DELETE SET NULL);"
	"CREATE INDEX devices_user ON devices(user_id);"
	"CREATE TABLE certs ("
	" id INTEGER PRIMARY KEY,"
	" serial TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" user TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
	" revoked_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX certs_user ON certs(user);"
	"CREATE TABLE profiles ("
	" id INTEGER PRIMARY KEY,"
	" user TEXT NOT NULL, device TEXT NOT NULL DEFAULT '',"
	" token_hash BLOB NOT NULL UNIQUE,"
	" expires INTEGER NOT NULL, max_downloads INTEGER NOT NULL, downloads INTEGER NOT NULL,"
	" state INTEGER NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" cookie_hash BLOB NOT NULL UNIQUE,"
	" user TEXT NOT NULL, grp TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',"
	" addr4 TEXT NOT NULL DEFAULT '', addr6 TEXT NOT NULL DEFAULT '',"
	" remote TEXT NOT NULL DEFAULT '',"
	" started INTEGER NOT NULL, last_seen INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" rx_bytes INTEGER NOT NULL DEFAULT 0, tx_bytes INTEGER NOT NULL DEFAULT 0,"
	" pid INTEGER NOT NULL DEFAULT 0, killed INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE leases ("
	" user TEXT NOT NULL, family INTEGER NOT NULL, addr TEXT NOT NULL,"
	" PRIMARY KEY (user, family), UNIQUE (family, addr));"
	"CREATE TABLE source_failures (source TEXT NOT NULL, time INTEGER NOT NULL);"
	"CREATE INDEX source_failures_st ON source_failures(source, time);"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL DEFAULT '',"
	" user TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',"
	" source TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '',"
	" detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX audit_time ON audit(time);"
	"CREATE INDEX audit_user ON audit(user, time);",

	/* 1 -> 2: audit searches by type ("all logins this week") */
	"CREATE INDEX audit_type ON audit(type, time);",

	/* 2 -> 3: a user identifier that is never given to another user (the
	 * rowid is reused after a delete, a name may be given again); the
	 * users of this file get theirs from migration_code() below, from
	 * getrandom, which SQL has no access to.  legacy_certs marks the
	 * records that may hold certificates issued without one. */
	"ALTER TABLE users ADD COLUMN uid TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN legacy_certs INTEGER NOT NULL DEFAULT 0;"
	"UPDATE users SET legacy_certs = 1;"
	"ALTER TABLE certs ADD COLUMN user_uid TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX certs_device ON certs(device);"
	"CREATE INDEX profiles_user ON profiles(user, device);",

	/* 3 -> 4: a group whose only factor is a certificate is refused
	 * unless an administrator sets cert_only_ok (a compromised worker can
	 * report any certificate it has seen: issue 11 item 5); the groups
	 * that were like that before the upgrade keep working, with the
	 * override set for them (sekishod names them at every start) */
	"ALTER TABLE groups ADD COLUMN cert_only_ok INTEGER NOT NULL DEFAULT 0;"
	"UPDATE groups SET cert_only_ok = 1 WHERE id IN (SELECT group_id FROM group_factors"
	" GROUP BY group_id HAVING count(*) = 1 AND max(factor) = 'cert');",

	/* 4 -> 5: login failures scored per source prefix (an IPv4 address
	 * or an IPv6 /64), one bounded row each, instead of one row per
	 * failure keyed by address:port (issue 11 item 1); locks that grow
	 * (lock_count), and lockout.seconds becomes lockout.duration, its 0
	 * "permanent" (item 2) */
	"DROP TABLE source_failures;"
	"CREATE TABLE sources ("
	" prefix TEXT PRIMARY KEY,"
	" failures INTEGER NOT NULL DEFAULT 0,"
	" window_start INTEGER NOT NULL, last_fail INTEGER NOT NULL,"
	" blocked_until INTEGER NOT NULL DEFAULT 0,"
	" blocks INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX sources_last ON sources(last_fail);"
	"ALTER TABLE users ADD COLUMN lock_count INTEGER NOT NULL DEFAULT 0;"
	"INSERT INTO settings (key, value) SELECT 'lockout.duration',"
	" CASE value WHEN '0' THEN 'permanent' ELSE value END"
	" FROM settings WHERE key = 'lockout.seconds';"
	"DELETE FROM settings WHERE key = 'lockout.seconds';",
};

const int sk_sqlite_schema_latest =
	(int)(sizeof(sk_sqlite_migrations) / sizeof(sk_sqlite_migrations[0]));

/* ---- helpers ---- */

int sq_err(struct sk_store *st, int rc)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(sq_db(st)));
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -EBUSY;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int vbind(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	int i, rc = SQLITE_OK;

	for (i = 0; fmt && fmt[i] && rc == SQLITE_OK; i++) {
		switch (fmt[i]) {
		case 't':
			rc = sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
			break;
		case 'n': {
			const char *t = va_arg(ap, const char *);

			rc = t && *t ? sqlite3_bind_text(s, i + 1, t, -1, SQLITE_TRANSIENT)
				     : sqlite3_bind_null(s, i + 1);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
			break;
		case 'd':
			rc = sqlite3_bind_int(s, i + 1, va_arg(ap, int));
			break;
		case 'b':
			rc = sqlite3_bind_blob(s, i + 1, va_arg(ap, const uint8_t *), 32,
					       SQLITE_TRANSIENT);
			break;
		case 'a':
			rc = sqlite3_bind_blob(s, i + 1, va_arg(ap, const uint8_t *), 16,
					       SQLITE_TRANSIENT);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

static int vprep(struct sk_store *st, sqlite3_stmt **s, const char *sql, const char *fmt,
		 va_list ap)
{
	int rc = sqlite3_prepare_v2(sq_db(st), sql, -1, s, NULL);

	if (rc != SQLITE_OK) {
		*s = NULL;
		return sq_err(st, rc);
	}
	rc = vbind(*s, fmt, ap);
	if (rc != SQLITE_OK) {
		rc = sq_err(st, rc);
		sqlite3_finalize(*s);
		*s = NULL;
		return rc;
	}
	return 0;
}

int sq_prep(struct sk_store *st, sqlite3_stmt **s, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vprep(st, s, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int sq_step(struct sk_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sq_err(st, sqlite3_extended_errcode(sq_db(st)));
}

/*
 * Runs sql: for each row, row(st, s, obj, fn, arg) (without row the rows
 * are stepped over); stops at its first non-zero return and returns it; 0
 * after the last row, or -errno.  obj: size bytes on the heap (none for 0).
 */
static int vrun(struct sk_store *st, size_t size, sq_row_fn row, const void *fn, void *arg,
		const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *s;
	void *obj = NULL;
	int rc = vprep(st, &s, sql, fmt, ap);

	if (rc)
		return rc;
	if (size && !(obj = sqlite3_malloc64(size))) {
		sqlite3_finalize(s);
		return -ENOMEM;
	}
	while ((rc = sq_step(st, s)) == 1)
		if (row && (rc = row(st, s, obj, fn, arg)))
			break;
	sqlite3_free(obj);
	sqlite3_finalize(s);
	return rc;
}

int sq_list(struct sk_store *st, size_t size, sq_row_fn row, const void *fn, void *arg,
	    const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(st, size, row, fn, arg, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int sq_exec(struct sk_store *st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(st, 0, NULL, NULL, NULL, sql, fmt, ap);
	va_end(ap);
	return rc ? rc : sqlite3_changes(sq_db(st));
}

/* The first row's column 0 into *arg; 1 stops at that row. */
static int int_row(struct sk_store *st, sqlite3_stmt *s, void *obj, const void *fn, void *arg)
{
	(void)st, (void)obj, (void)fn;
	*(int64_t *)arg = sqlite3_column_int64(s, 0);
	return 1;
}

int sq_int(struct sk_store *st, int64_t *out, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(st, 0, int_row, NULL, out, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

/* The first row decoded into arg by *fn (an sq_decode_fn); 1 stops there. */
static int get_row(struct sk_store *st, sqlite3_stmt *s, void *obj, const void *fn, void *arg)
{
	const sq_decode_fn *decode = fn;

	(void)st, (void)obj;
	(*decode)(s, arg);
	return 1;
}

int sq_get(struct sk_store *st, sq_decode_fn decode, void *obj, const char *sql,
	   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(st, 0, get_row, &decode, obj, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

struct text_out { char *buf; size_t len; };

static int text_row(struct sk_store *st, sqlite3_stmt *s, void *obj, const void *fn, void *arg)
{
	struct text_out *t = arg;

	(void)st, (void)obj, (void)fn;
	if ((size_t)sqlite3_column_bytes(s, 0) >= t->len)
		return -ENOSPC;
	sq_text(s, 0, t->buf, t->len);
	return 1;
}

int sq_str(struct sk_store *st, char *buf, size_t len, const char *sql, const char *fmt, ...)
{
	struct text_out t = { buf, len };
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(st, 0, text_row, NULL, &t, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

void sq_text(sqlite3_stmt *s, int col, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

void sq_blob32(sqlite3_stmt *s, int col, uint8_t out[32])
{
	const void *b = sqlite3_column_blob(s, col);

	memset(out, 0, 32);
	if (b && sqlite3_column_bytes(s, col) == 32)
		memcpy(out, b, 32);
}

int sq_id_by_name(struct sk_store *st, const char *table, const char *name, int64_t *id)
{
	/* table is one of our own constants, never caller input */
	static const char *const q[][2] = {
		{ "users", "SELECT id FROM users WHERE name = ?1" },
		{ "groups", "SELECT id FROM groups WHERE name = ?1" },
		{ "policies", "SELECT id FROM policies WHERE name = ?1" },
		{ "devices", "SELECT id FROM devices WHERE name = ?1" },
	};
	size_t i;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (!strcmp(q[i][0], table))
			return sq_int(st, id, q[i][1], "t", name);
	return -EINVAL;
}

void sq_durable(struct sk_store *st, bool on)
{
	if (st->tx_depth == 0)
		sqlite3_exec(sq_db(st), on ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			     NULL, NULL, NULL);
}

/* ---- transactions ---- */

static int sq_begin(struct sk_store *st)
{
	int rc = sqlite3_exec(sq_db(st), "BEGIN IMMEDIATE", NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_err(st, rc);
}

static int sq_commit(struct sk_store *st)
{
	int rc = sqlite3_exec(sq_db(st), "COMMIT", NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_err(st, rc);
}

static void sq_rollback(struct sk_store *st)
{
	if (!sqlite3_get_autocommit(sq_db(st)))
		sqlite3_exec(sq_db(st), "ROLLBACK", NULL, NULL, NULL);
}

static int sq_schema_version(struct sk_store *st)
{
	int64_t v = 0;

	if (sq_int(st, &v, "SELECT version FROM schema_version", NULL))
		return 0;
	return (int)v;
}

static void sq_close(struct sk_store *st)
{
	sqlite3_close_v2(sq_db(st));
	free(st);
}

/* ---- open and migrate ---- */

struct uid_fill { int64_t *ids; size_t n, cap; };

static int uid_fill_row(struct sk_store *st, sqlite3_stmt *s, void *obj, const void *fn, void *arg)
{
	struct uid_fill *f = arg;

	(void)st, (void)obj, (void)fn;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		int64_t *n = realloc(f->ids, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->ids = n;
		f->cap = cap;
	}
	f->ids[f->n++] = sqlite3_column_int64(s, 0);
	return 0;
}

/* The part of migration script `to` that SQL cannot do, in its transaction. */
static int migration_code(struct sk_store *st, int64_t to)
{
	struct uid_fill f = { 0 };
	char uid[SK_UID_LEN + 1];
	size_t i;
	int rc;

	if (to != 3)
		return 0;
	rc = sq_list(st, 0, uid_fill_row, NULL, &f, "SELECT id FROM users WHERE uid = ''", NULL);
	for (i = 0; !rc && i < f.n; i++) {
		rc = sk_uid_new(uid);
		if (!rc)
			rc = sq_exec(st, "UPDATE users SET uid = ?2 WHERE id = ?1", "it", f.ids[i], uid);
		rc = rc < 0 ? rc : 0;
	}
	free(f.ids);
	if (!rc)
		rc = sq_exec(st, "CREATE UNIQUE INDEX users_uid ON users(uid)", NULL);
	return rc < 0 ? rc : 0;
}

static int migrate(struct sk_store *st, char *err, size_t errlen)
{
	int64_t v;
	int rc;

	for (;;) {
		/* Read the version inside the write lock so that two processes
		 * opening an old file never apply the same script twice. */
		if ((rc = sk_store_tx_begin(st))) {
			sk_err(err, errlen, "cannot lock the store for migration: %s", st->errmsg);
			return rc;
		}
		v = 0;
		rc = sq_int(st, &v, "SELECT count(*) FROM sqlite_master"
			    " WHERE type = 'table' AND name = 'schema_version'", NULL);
		if (!rc && v)	/* else a new, empty file: version 0 */
			rc = sq_int(st, &v, "SELECT version FROM schema_version", NULL);
		if (rc) {
			sk_store_tx_end(st, rc);
			sk_err(err, errlen, "cannot read the schema version: %s", st->errmsg);
			return rc;
		}
		if (v > sk_sqlite_schema_latest) {
			sk_store_tx_end(st, -EPROTO);
			sk_err(err, errlen,
			       "the store's schema version %lld is newer than this sekisho "
			       "understands (%d); refusing to open it", (long long)v,
			       sk_sqlite_schema_latest);
			return -EPROTO;
		}
		if (v == sk_sqlite_schema_latest)
			return sk_store_tx_end(st, 0);
		rc = sqlite3_exec(sq_db(st), sk_sqlite_migrations[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK && (rc = migration_code(st, v + 1))) {
			sk_store_tx_end(st, rc);
			sk_err(err, errlen, "migration to schema version %lld failed: %s",
			       (long long)v + 1, rc == -EIO ? st->errmsg : strerror(-rc));
			return rc;
		}
		if (rc != SQLITE_OK) {
			rc = sq_err(st, rc);
			sk_store_tx_end(st, rc);
			sk_err(err, errlen, "migration to schema version %lld failed: %s",
			       (long long)v + 1, st->errmsg);
			return rc;
		}
		rc = sq_exec(st, "UPDATE schema_version SET version = ?1", "i", v + 1);
		rc = sk_store_tx_end(st, rc < 0 ? rc : 0);
		if (rc) {
			sk_err(err, errlen, "migration to schema version %lld failed: %s",
			       (long long)v + 1, st->errmsg);
			return rc;
		}
	}
}

/* Lexically: "//" -> "/", "/./" -> "/", "a/b/../" -> "a/", no trailing '/' */
static void sq_plain_path(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		if (in[0] == '.' && (in[1] == '/' || !in[1])) {
			in++;
			continue;
		}
		if (in[0] == '.' && in[1] == '.' && (in[2] == '/' || !in[2])) {
			while (out > p && *--out != '/')
				;
			in += 2;
			continue;
		}
		*out++ = '/';
		while (*in && *in != '/')
			*out++ = *in++;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/* The absolute directory of path, as written (no symbolic link resolved):
 * "/var/lib/sekisho/sekisho.db" -> "/var/lib/sekisho". */
static int state_dir(const char *path, char *dir, size_t len)
{
	char cwd[512];
	const char *slash = strrchr(path, '/');
	int n;

	if (path[0] == '/') {
		n = snprintf(dir, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (slash)
			n = snprintf(dir, len, "%s%s%.*s", cwd, strcmp(cwd, "/") ? "/" : "",
				     (int)(slash - path), path);
		else
			n = snprintf(dir, len, "%s", cwd);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	sq_plain_path(dir);
	return 0;
}

int sk_sqlite_open(const char *path, struct sk_store **out, char *err, size_t errlen)
{
	static const char pragmas[] =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA foreign_keys=ON;"
		"PRAGMA synchronous=NORMAL;"
		"PRAGMA secure_delete=ON;";
	struct sk_store *st;
	sqlite3 *db = NULL;
	int fd, rc;

	/* Create the file ourselves so that it is 0600 from the first byte;
	 * SQLite gives the -wal and -shm files the same mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		sk_err(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	close(fd);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
			     SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sk_err(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return -EIO;
	}
	sqlite3_extended_result_codes(db, 1);
	/* another process (sekictl vs sekishod) may hold the write lock */
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sk_err(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return -EIO;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		sqlite3_close_v2(db);
		sk_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->ops = &sk_sqlite_ops;
	st->be = db;
	snprintf(st->file, sizeof(st->file), "%s", path);
	rc = state_dir(path, st->dir, sizeof(st->dir));
	if (rc) {
		sk_err(err, errlen, "%s: cannot tell its directory: %s", path, strerror(-rc));
		sq_close(st);
		return rc;
	}
	rc = migrate(st, err, errlen);
	if (rc) {
		sq_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

const struct sk_store_ops sk_sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.schema_version = sq_schema_version,
	.user_add = sq_user_add,
	.user_get = sq_user_get,
	.user_update = sq_user_update,
	.user_del = sq_user_del,
	.user_list = sq_user_list,
	.user_success = sq_user_success,
	.user_set_password = sq_user_set_password,
	.user_totp_use = sq_user_totp_use,
	.login_fail = sq_login_fail,
	.source_get = sq_source_get,
	.source_list = sq_source_list,
	.source_del = sq_source_del,
	.group_add = sq_group_add,
	.group_get = sq_group_get,
	.group_update = sq_group_update,
	.group_del = sq_group_del,
	.group_list = sq_group_list,
	.policy_add = sq_policy_add,
	.policy_get = sq_policy_get,
	.policy_del = sq_policy_del,
	.policy_list = sq_policy_list,
	.policy_rules = sq_policy_rules,
	.rule_add = sq_rule_add,
	.rule_del = sq_rule_del,
	.rule_move = sq_rule_move,
	.device_add = sq_device_add,
	.device_get = sq_device_get,
	.device_update = sq_device_update,
	.device_del = sq_device_del,
	.device_list = sq_device_list,
	.device_assign = sq_device_assign,
	.device_unassign = sq_device_unassign,
	.cert_add = sq_cert_add,
	.cert_get = sq_cert_get,
	.cert_revoke = sq_cert_revoke,
	.cert_list = sq_cert_list,
	.cert_revoke_for = sq_cert_revoke_for,
	.profile_add = sq_profile_add,
	.profile_find = sq_profile_find,
	.profile_update = sq_profile_update,
	.profile_list = sq_profile_list,
	.setting_get = sq_setting_get,
	.setting_set = sq_setting_set,
	.session_add = sq_session_add,
	.session_get = sq_session_get,
	.session_find = sq_session_find,
	.session_update = sq_session_update,
	.session_del = sq_session_del,
	.session_list = sq_session_list,
	.lease_get = sq_lease_get,
	.lease_set = sq_lease_set,
	.lease_taken = sq_lease_taken,
	.audit_add = sq_audit_add,
	.audit_list = sq_audit_list,
};
