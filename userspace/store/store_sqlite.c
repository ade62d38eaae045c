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
		{ "directories", "SELECT id FROM directories WHERE name = ?1" },
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
		rc = sq_int(st, &v, "SELECT count(*) FROM sqlite_master"
			    " WHERE type = 'table' AND name = 'schema_version'", NULL);
		if (!rc && v)	/* else a new, empty file: version 0 */
			rc = sq_int(st, &v, "SELECT version FROM schema_version", NULL);
		if (rc) {
			sk_store_tx_end(st, rc);
			sk_err(err, errlen, "cannot read the schema version: %s", st->errmsg);
			return rc;
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
	.posture_set = sq_posture_set,
	.posture_list = sq_posture_list,
	.posture_last_set = sq_posture_last_set,
	.posture_last_get = sq_posture_last_get,
	.directory_add = sq_directory_add,
	.directory_del = sq_directory_del,
	.directory_list = sq_directory_list,
	.directory_set = sq_directory_set,
	.directory_settings = sq_directory_settings,
	.group_directory_set = sq_group_directory_set,
	.group_directory_get = sq_group_directory_get,
	.user_directory_get = sq_user_directory_get,
	.user_directory_set = sq_user_directory_set,
	.audit_add = sq_audit_add,
	.audit_list = sq_audit_list,
};
