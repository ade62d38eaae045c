// SPDX-License-Identifier: GPL-2.0
/*
 * The SQLite backend: open, pragmas, migrations, transactions and its
 * statement layer (struct sk_db_ops, store_db.h).  The object families,
 * written once for both backends, live in store_users.c, store_groups.c,
 * store_devices.c, store_sessions.c, store_posture.c, store_directory.c.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_db.h"

static const struct sk_store_ops sk_sqlite_ops;

static sqlite3 *sq_db(struct sk_store *st)
{
	return st->be;
}

/* ---- helpers ---- */

/* Maps an SQLite result code to -errno and remembers the message. */
static int sq_err(struct sk_store *st, int rc)
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

static int sq_step(struct sk_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sq_err(st, sqlite3_extended_errcode(sq_db(st)));
}

/* Runs a statement with synchronous=FULL when no transaction is open:
 * security-relevant changes (revocations, kills, locks, passwords) must
 * survive a power loss, the rest may lose the last moments (NORMAL). */
static void sq_durable(struct sk_store *st, bool on)
{
	if (st->tx_depth == 0)
		sqlite3_exec(sq_db(st), on ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			     NULL, NULL, NULL);
}

/* ---- the statement layer (store_db.h) ---- */

struct sq_stmt {
	struct db_stmt h;
	sqlite3_stmt *s;
};

static sqlite3_stmt *sq_of(struct db_stmt *s)
{
	return ((struct sq_stmt *)s)->s;
}

static int sq_rc(struct db_stmt *s, int rc)
{
	return rc == SQLITE_OK ? 0 : sq_err(s->st, rc);
}

static int db_sq_prepare(struct sk_store *st, const char *sql, struct db_stmt **out)
{
	struct sq_stmt *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(sq_db(st), sql, -1, &s->s, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return sq_err(st, rc);
	}
	s->h.st = st;
	*out = &s->h;
	return 0;
}

static int db_sq_bind_i64(struct db_stmt *s, int i, int64_t v)
{
	return sq_rc(s, sqlite3_bind_int64(sq_of(s), i, v));
}

static int db_sq_bind_text(struct db_stmt *s, int i, const char *v)
{
	return sq_rc(s, sqlite3_bind_text(sq_of(s), i, v, -1, SQLITE_TRANSIENT));
}

static int db_sq_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
	return sq_rc(s, sqlite3_bind_blob(sq_of(s), i, v, (int)n, SQLITE_TRANSIENT));
}

static int db_sq_bind_null(struct db_stmt *s, int i)
{
	return sq_rc(s, sqlite3_bind_null(sq_of(s), i));
}

static int db_sq_step(struct db_stmt *s)
{
	return sq_step(s->st, sq_of(s));
}

static int db_sq_write(struct db_stmt *s, int64_t *id)
{
	bool got = false;
	int rc;

	while ((rc = sq_step(s->st, sq_of(s))) == 1)
		if (id && !got) {
			*id = sqlite3_column_int64(sq_of(s), 0);
			got = true;
		}
	if (rc)
		return rc;
	if (id && !got) {
		snprintf(s->st->errmsg, sizeof(s->st->errmsg), "no row id came back");
		return -EIO;
	}
	return sqlite3_changes(sq_db(s->st));
}

static int64_t db_sq_i64(struct db_stmt *s, int col)
{
	return sqlite3_column_int64(sq_of(s), col);
}

static const char *db_sq_text(struct db_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(sq_of(s), col);

	return t ? (const char *)t : "";
}

static size_t db_sq_bytes(struct db_stmt *s, int col)
{
	return (size_t)sqlite3_column_bytes(sq_of(s), col);
}

static void db_sq_blob(struct db_stmt *s, int col, uint8_t *out, size_t n)
{
	const void *b = sqlite3_column_blob(sq_of(s), col);

	memset(out, 0, n);
	if (b && (size_t)sqlite3_column_bytes(sq_of(s), col) == n)
		memcpy(out, b, n);
}

static bool db_sq_null(struct db_stmt *s, int col)
{
	return sqlite3_column_type(sq_of(s), col) == SQLITE_NULL;
}

static void db_sq_finalize(struct db_stmt *s)
{
	sqlite3_finalize(sq_of(s));
	free(s);
}

static const struct sk_db_ops sq_db_ops = {
	.dialect = SK_DIALECT_SQLITE,
	.prepare = db_sq_prepare,
	.bind_i64 = db_sq_bind_i64,
	.bind_text = db_sq_bind_text,
	.bind_blob = db_sq_bind_blob,
	.bind_null = db_sq_bind_null,
	.step = db_sq_step,
	.write = db_sq_write,
	.col_i64 = db_sq_i64,
	.col_text = db_sq_text,
	.col_bytes = db_sq_bytes,
	.col_blob = db_sq_blob,
	.col_null = db_sq_null,
	.finalize = db_sq_finalize,
	.durable = sq_durable,
};

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

static void sq_close(struct sk_store *st)
{
	sqlite3_close_v2(sq_db(st));
	free(st);
}

/* ---- open and migrate ---- */

/* The store's own message for -ENOENT (sk_store_open_existing) */
static int sq_missing(const char *path, char *err, size_t errlen)
{
	char shown[512];

	sk_store_mask(path, shown, sizeof(shown));
	sk_err(err, errlen, SK_STORE_MISSING_FMT, shown, shown, shown, shown);
	return -ENOENT;
}

static int migrate(struct sk_store *st, bool create, char *err, size_t errlen)
{
	char *sql;
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
		rc = db_int_query(st, &v, "SELECT count(*) FROM sqlite_master"
				  " WHERE type = 'table' AND name = 'schema_version'", NULL);
		if (!rc && v)	/* else a new, empty file: version 0 */
			rc = db_int_query(st, &v, "SELECT version FROM schema_version", NULL);
		if (rc == -ENOENT) {	/* -ENOENT means "no store" to callers */
			sk_store_tx_end(st, -EPROTO);
			sk_err(err, errlen, "the table schema_version has no row");
			return -EPROTO;
		}
		if (rc) {
			sk_store_tx_end(st, rc);
			sk_err(err, errlen, "cannot read the schema version: %s", st->errmsg);
			return rc;
		}
		if (!v && !create) {	/* no schema_version: init has not made it */
			sk_store_tx_end(st, -ENOENT);
			return sq_missing(st->file, err, errlen);
		}
		if (v > sk_schema_latest) {
			sk_store_tx_end(st, -EPROTO);
			sk_err(err, errlen, SK_SCHEMA_NEWER_FMT, (long long)v, sk_schema_latest,
			       (long long)v, sk_schema_latest);
			return -EPROTO;
		}
		if (v == sk_schema_latest)
			return sk_store_tx_end(st, 0);
		if (!(sql = sk_schema_script(SK_DIALECT_SQLITE, (int)v))) {
			sk_store_tx_end(st, -ENOMEM);
			sk_err(err, errlen, "migration to schema version %lld: out of memory",
			       (long long)v + 1);
			return -ENOMEM;
		}
		rc = sqlite3_exec(sq_db(st), sql, NULL, NULL, NULL);
		free(sql);
		if (rc == SQLITE_OK && (rc = db_migration_code(st, v + 1))) {
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
		rc = db_exec(st, "UPDATE schema_version SET version = ?1", "i", v + 1);
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
int sk_sqlite_dir(const char *path, char *dir, size_t len)
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

int sk_sqlite_open(const char *path, bool create, struct sk_store **out, char *err,
		   size_t errlen)
{
	static const char pragmas[] =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA foreign_keys=ON;"
		"PRAGMA synchronous=NORMAL;"
		"PRAGMA secure_delete=ON;";
	struct sk_store *st;
	sqlite3 *db = NULL;
	int64_t n = 0;
	int fd, rc;

	/* Create the file ourselves so that it is 0600 from the first byte;
	 * SQLite gives the -wal and -shm files the same mode.  Without
	 * create, a file that is not there is -ENOENT, and SQLite may not
	 * make one either (no SQLITE_OPEN_CREATE). */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		rc = -errno;
		if (!create && (rc == -ENOENT || rc == -ENOTDIR))
			return sq_missing(path, err, errlen);
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
	st = calloc(1, sizeof(*st));
	if (!st) {
		sqlite3_close_v2(db);
		sk_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->ops = &sk_sqlite_ops;
	st->be = db;
	snprintf(st->file, sizeof(st->file), "%s", path);
	/* Without create, a file without schema_version (empty, a half-made
	 * init, another program's database) is no store: said before
	 * journal_mode=WAL, which would write to it.  migrate asks again,
	 * under the write lock. */
	rc = create ? 0 : db_int_query(st, &n, "SELECT count(*) FROM sqlite_master"
				       " WHERE type = 'table' AND name = 'schema_version'", NULL);
	if (!rc && !create && !n) {
		sq_close(st);
		return sq_missing(path, err, errlen);
	}
	if (rc || (rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL)) != SQLITE_OK) {
		sk_err(err, errlen, "%s: %s", path, rc < 0 ? st->errmsg : sqlite3_errmsg(db));
		sq_close(st);
		return -EIO;
	}
	rc = sk_sqlite_dir(path, st->dir, sizeof(st->dir));
	if (rc) {
		sk_err(err, errlen, "%s: cannot tell its directory: %s", path, strerror(-rc));
		sq_close(st);
		return rc;
	}
	rc = migrate(st, create, err, errlen);
	if (rc) {
		sq_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

static const struct sk_store_ops sk_sqlite_ops = {
	.name = "sqlite",
	.db = &sq_db_ops,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.schema_version = db_schema_version,
	DB_OPS_FAMILIES,
};
