// SPDX-License-Identifier: GPL-2.0
/*
 * The statement layer's helpers, written once over struct sk_db_ops
 * (store_db.h): binding by format letters, one-shot writes, one-row and
 * list queries, and the few things both backends' migrations share.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_db.h"

static int vbind(struct db_stmt *s, const char *fmt, va_list ap)
{
	const struct sk_db_ops *o = db_ops(s->st);
	int i, rc = 0;

	for (i = 0; fmt && fmt[i] && !rc; i++) {
		switch (fmt[i]) {
		case 't':
			rc = o->bind_text(s, i + 1, va_arg(ap, const char *));
			break;
		case 'n': {
			const char *t = va_arg(ap, const char *);

			rc = t && *t ? o->bind_text(s, i + 1, t) : o->bind_null(s, i + 1);
			break;
		}
		case 'i':
			rc = o->bind_i64(s, i + 1, va_arg(ap, int64_t));
			break;
		case 'd':
			rc = o->bind_i64(s, i + 1, va_arg(ap, int));
			break;
		case 'b':
			rc = o->bind_blob(s, i + 1, va_arg(ap, const uint8_t *), 32);
			break;
		case 'a':
			rc = o->bind_blob(s, i + 1, va_arg(ap, const uint8_t *), 16);
			break;
		default:
			rc = -EINVAL;
		}
	}
	return rc;
}

static int vprep(struct sk_store *st, struct db_stmt **s, const char *sql, const char *fmt,
		 va_list ap)
{
	int rc = db_ops(st)->prepare(st, sql, s);

	if (rc) {
		*s = NULL;
		return rc;
	}
	if ((rc = vbind(*s, fmt, ap))) {
		db_finalize(*s);
		*s = NULL;
	}
	return rc;
}

int db_prep(struct sk_store *st, struct db_stmt **s, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vprep(st, s, sql, fmt, ap);
	va_end(ap);
	return rc;
}

void db_text(struct db_stmt *s, int col, char *buf, size_t len)
{
	snprintf(buf, len, "%s", db_cstr(s, col));
}

static int vexec(struct sk_store *st, int64_t *id, const char *sql, const char *fmt, va_list ap)
{
	struct db_stmt *s;
	int rc = vprep(st, &s, sql, fmt, ap);

	if (rc)
		return rc;
	rc = db_ops(st)->write(s, id);
	db_finalize(s);
	return rc;
}

int db_exec(struct sk_store *st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vexec(st, NULL, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int db_exec_id(struct sk_store *st, int64_t *id, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vexec(st, id, sql, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Runs sql: for each row, row(st, s, obj, fn, arg); stops at its first
 * non-zero return and returns it; 0 after the last row, or -errno.
 * obj: size bytes on the heap (none for 0), wiped before it is freed
 * (hashes and secrets of the rows).
 */
static int vlist(struct sk_store *st, size_t size, db_row_fn row, const void *fn, void *arg,
		 const char *sql, const char *fmt, va_list ap)
{
	struct db_stmt *s;
	void *obj = NULL;
	int rc = vprep(st, &s, sql, fmt, ap);

	if (rc)
		return rc;
	if (size && !(obj = calloc(1, size))) {
		db_finalize(s);
		return -ENOMEM;
	}
	while ((rc = db_step(s)) == 1)
		if ((rc = row(st, s, obj, fn, arg)))
			break;
	if (obj)
		explicit_bzero(obj, size);
	free(obj);
	db_finalize(s);
	return rc;
}

int db_list(struct sk_store *st, size_t size, db_row_fn row, const void *fn, void *arg,
	    const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlist(st, size, row, fn, arg, sql, fmt, ap);
	va_end(ap);
	return rc;
}

/* The first row decoded into arg by *fn (a db_decode_fn); 1 stops there. */
static int first_row(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn, void *arg)
{
	const db_decode_fn *decode = fn;

	(void)st, (void)obj;
	(*decode)(s, arg);
	return 1;
}

int db_get(struct sk_store *st, db_decode_fn decode, void *obj, const char *sql,
	   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlist(st, 0, first_row, &decode, obj, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

static void int_decode(struct db_stmt *s, void *obj)
{
	*(int64_t *)obj = db_i64(s, 0);
}

int db_int_query(struct sk_store *st, int64_t *out, const char *sql, const char *fmt, ...)
{
	db_decode_fn decode = int_decode;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlist(st, 0, first_row, &decode, out, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

struct text_out { char *buf; size_t len; };

static int text_row(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn, void *arg)
{
	struct text_out *t = arg;

	(void)st, (void)obj, (void)fn;
	if (db_bytes(s, 0) >= t->len)
		return -ENOSPC;
	db_text(s, 0, t->buf, t->len);
	return 1;
}

int db_str(struct sk_store *st, char *buf, size_t len, const char *sql, const char *fmt, ...)
{
	struct text_out t = { buf, len };
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlist(st, 0, text_row, NULL, &t, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

int db_id_by_name(struct sk_store *st, const char *table, const char *name, int64_t *id)
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
			return db_int_query(st, id, q[i][1], "t", name);
	return -EINVAL;
}

int db_schema_version(struct sk_store *st)
{
	int64_t v = 0;

	if (db_int_query(st, &v, "SELECT version FROM schema_version", NULL))
		return 0;
	return (int)v;
}

struct id_fill { int64_t *ids; size_t n, cap; };

static int id_fill_row(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn,
		       void *arg)
{
	struct id_fill *f = arg;

	(void)st, (void)obj, (void)fn;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		int64_t *n = realloc(f->ids, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->ids = n;
		f->cap = cap;
	}
	f->ids[f->n++] = db_i64(s, 0);
	return 0;
}

int db_migration_code(struct sk_store *st, int64_t to)
{
	struct id_fill f = { 0 };
	char uid[SK_UID_LEN + 1];
	size_t i;
	int rc;

	if (to != 3)	/* a random uid for every existing user, then the index */
		return 0;
	rc = db_list(st, 0, id_fill_row, NULL, &f, "SELECT id FROM users WHERE uid = '' ORDER BY id",
		     NULL);
	for (i = 0; !rc && i < f.n; i++) {
		rc = sk_uid_new(uid);
		if (!rc)
			rc = db_exec(st, "UPDATE users SET uid = ?2 WHERE id = ?1", "it", f.ids[i], uid);
		rc = rc < 0 ? rc : 0;
	}
	free(f.ids);
	if (!rc)
		rc = db_exec(st, "CREATE UNIQUE INDEX users_uid ON users(uid)", NULL);
	return rc < 0 ? rc : 0;
}
