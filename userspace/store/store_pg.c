// SPDX-License-Identifier: GPL-2.0
/*
 * The PostgreSQL backend (libpq): connection, bounded waits, transactions,
 * migrations and the statement helpers.  The nouns live in store_pg_*.c.
 *
 * Transactions (Documentation/decisions/store-backends.md): every
 * transaction is READ COMMITTED and starts by taking one transaction-level
 * advisory lock (PQ_WRITE_LOCK), the same for every sekisho process on the
 * database; a write outside sk_store_tx runs in a transaction of its own
 * that takes it too.  So writers queue exactly as they do behind SQLite's
 * BEGIN IMMEDIATE, each statement sees every earlier commit, and the race
 * tests' guarantees (one count per failure, one use per code, one lease
 * per address, no lost update of a read-modify-write) carry over.  Readers
 * never wait.  A serialization failure or deadlock (40001, 40P01) of a
 * write of our own transaction is retried up to PQ_RETRIES times; the lock
 * wait is bounded by lock_timeout.
 *
 * Bounded waits: connect_timeout (unless the URI sets it), statement_timeout,
 * lock_timeout and idle_in_transaction_session_timeout on every connection,
 * and on this side a poll() bound on every reply (a server that stopped
 * answering costs -EIO after PQ_WAIT_MS, never a hang).  A connection that
 * failed is opened again at the next call outside a transaction.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_pg.h"

#define PQ_CONNECT_TIMEOUT	"5"		/* seconds, unless the URI says */
#define PQ_STATEMENT_TIMEOUT	"10s"
#define PQ_LOCK_TIMEOUT		"5s"		/* as SQLite's busy_timeout */
#define PQ_IDLE_TX_TIMEOUT	"60s"		/* a stopped process frees the write lock */
#define PQ_MIGRATION_TIMEOUT	"600s"		/* a migration may rewrite big tables */
#define PQ_WAIT_MS		12000		/* statement_timeout + 2 s */
#define PQ_MIGRATION_WAIT_MS	605000
#define PQ_WRITE_LOCK		"5366520170"	/* advisory lock key: "SEKI" + 0x0a */
#define PQ_RETRIES		3
#define PQ_MAX_PARAMS		32
#define PQ_STATE_DIR		"/var/lib/sekisho"

struct pq_be {
	PGconn *c;
	char *uri;		/* kept to connect again; wiped on close */
	int wait_ms;		/* the bound on one reply */
};

static struct pq_be *be(struct sk_store *st)
{
	return st->be;
}

/* ---- connection ---- */

static PGconn *pq_connect(const char *uri, char *err, size_t errlen)
{
	/* keywords before dbname are defaults the URI may override; the
	 * timeouts after it are ours */
	const char *const kw[] = { "connect_timeout", "fallback_application_name", "dbname", NULL };
	const char *const val[] = { PQ_CONNECT_TIMEOUT, "sekisho", uri, NULL };
	const char *const set[] = { PQ_STATEMENT_TIMEOUT, PQ_LOCK_TIMEOUT, PQ_IDLE_TX_TIMEOUT };
	PGresult *r;
	PGconn *c;

	c = PQconnectdbParams(kw, val, 1);
	if (!c) {
		sk_err(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		sk_err(err, errlen, "%.*s", (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	r = PQexecParams(c, "SELECT set_config('statement_timeout', $1, false),"
			 " set_config('lock_timeout', $2, false),"
			 " set_config('idle_in_transaction_session_timeout', $3, false)",
			 3, NULL, set, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		sk_err(err, errlen, "setting the timeouts: %.*s",
		       (int)strcspn(PQresultErrorMessage(r), "\n"), PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

/* A connection to talk on: the one we have, or a new one when it broke
 * (never inside a transaction: that one is gone with the connection). */
static int pq_ready(struct sk_store *st)
{
	struct pq_be *b = be(st);
	char e[256];

	if (b->c && PQstatus(b->c) == CONNECTION_OK)
		return 0;
	if (st->tx_depth > 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "the connection to the database was lost");
		return -EIO;
	}
	if (b->c)
		PQfinish(b->c);
	b->c = pq_connect(b->uri, e, sizeof(e));
	if (!b->c) {
		snprintf(st->errmsg, sizeof(st->errmsg), "the database is unavailable: %.200s", e);
		return -EIO;
	}
	return 0;
}

/* Drops a connection that stopped answering: the next call connects again. */
static void pq_drop(struct sk_store *st)
{
	PQfinish(be(st)->c);
	be(st)->c = NULL;
}

/* ---- errors ---- */

static int sqlstate_errno(const char *s)
{
	if (!s)
		return -EIO;
	if (!strcmp(s, "23505"))		/* unique_violation */
		return -EEXIST;
	if (!strcmp(s, "23503"))		/* foreign_key_violation */
		return -EBUSY;
	if (!strcmp(s, "23514") || !strcmp(s, "23502") || !strcmp(s, "22P02") ||
	    !strcmp(s, "22003"))		/* check, not null, bad text, out of range */
		return -EINVAL;
	if (!strcmp(s, "40001") || !strcmp(s, "40P01"))
		return -EAGAIN;			/* serialization failure, deadlock */
	return -EIO;
}

int pq_err(struct sk_store *st, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(be(st)->c);

	if (!m || !*m)
		m = "the database failed";
	snprintf(st->errmsg, sizeof(st->errmsg), "%.*s", (int)strcspn(m, "\n"), m);
	return r ? sqlstate_errno(PQresultErrorField(r, PG_DIAG_SQLSTATE)) : -EIO;
}

/* ---- one statement ---- */

struct pq_params {
	int n;
	const char *v[PQ_MAX_PARAMS];
	int len[PQ_MAX_PARAMS], fmt[PQ_MAX_PARAMS];
	char num[PQ_MAX_PARAMS][24];
};

static int pq_bind(struct pq_params *p, const char *fmt, va_list ap)
{
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; fmt && fmt[i]; i++) {
		if (i >= PQ_MAX_PARAMS)
			return -E2BIG;
		switch (fmt[i]) {
		case 't':
			p->v[i] = va_arg(ap, const char *);
			break;
		case 'n':
			p->v[i] = va_arg(ap, const char *);
			if (p->v[i] && !*p->v[i])
				p->v[i] = NULL;
			break;
		case 'i':
			snprintf(p->num[i], sizeof(p->num[i]), "%lld", (long long)va_arg(ap, int64_t));
			p->v[i] = p->num[i];
			break;
		case 'd':
			snprintf(p->num[i], sizeof(p->num[i]), "%d", va_arg(ap, int));
			p->v[i] = p->num[i];
			break;
		case 'b':
		case 'a':
			p->v[i] = (const char *)va_arg(ap, const uint8_t *);
			p->len[i] = fmt[i] == 'b' ? 32 : 16;
			p->fmt[i] = 1;
			break;
		default:
			return -EINVAL;
		}
	}
	p->n = i;
	return 0;
}

/* Waits for the reply of what was sent, within the bound; the last result
 * (or NULL and -EIO). */
static int pq_wait(struct sk_store *st, PGresult **out)
{
	struct pq_be *b = be(st);
	PGconn *c = b->c;
	struct timespec t0, t1;
	PGresult *r, *last = NULL;
	long left;

	*out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		while (PQisBusy(c)) {
			struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };

			clock_gettime(CLOCK_MONOTONIC, &t1);
			left = b->wait_ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
					     (t1.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0 || pfd.fd < 0 || (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)) {
				PQclear(last);
				snprintf(st->errmsg, sizeof(st->errmsg),
					 "the database did not answer within %d s", b->wait_ms / 1000);
				pq_drop(st);
				return -EIO;
			}
			if (!PQconsumeInput(c)) {
				PQclear(last);
				pq_err(st, NULL);
				pq_drop(st);
				return -EIO;
			}
		}
		r = PQgetResult(c);
		if (!r)
			break;
		PQclear(last);
		last = r;
	}
	if (!last) {
		pq_err(st, NULL);
		return -EIO;
	}
	*out = last;
	return 0;
}

/* Sends one statement with its parameters and waits for its result:
 * 0 and *res (PGRES_COMMAND_OK or PGRES_TUPLES_OK), or -errno. */
static int pq_run(struct sk_store *st, PGresult **res, const char *sql, const struct pq_params *p)
{
	PGresult *r;
	int rc;

	*res = NULL;
	if ((rc = pq_ready(st)))
		return rc;
	if (!(p ? PQsendQueryParams(be(st)->c, sql, p->n, NULL, p->v, p->len, p->fmt, 0)
		: PQsendQuery(be(st)->c, sql))) {
		pq_err(st, NULL);
		if (PQstatus(be(st)->c) != CONNECTION_OK)
			pq_drop(st);
		return -EIO;
	}
	if ((rc = pq_wait(st, &r)))
		return rc;
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pq_err(st, r);
		PQclear(r);
		if (PQstatus(be(st)->c) != CONNECTION_OK)
			pq_drop(st);
		return rc;
	}
	*res = r;
	return 0;
}

/* A statement without parameters and without a result we need (constant
 * text of our own: transaction control, migration scripts). */
static int pq_simple(struct sk_store *st, const char *sql)
{
	PGresult *r;
	int rc = pq_run(st, &r, sql, NULL);

	PQclear(r);
	return rc;
}

static int vquery(struct sk_store *st, PGresult **res, const char *sql, const char *fmt,
		  va_list ap)
{
	struct pq_params *p = malloc(sizeof(*p));
	int rc;

	*res = NULL;
	if (!p)
		return -ENOMEM;
	rc = pq_bind(p, fmt, ap);
	if (!rc)
		rc = pq_run(st, res, sql, p);
	free(p);
	return rc;
}

int pq_query(struct sk_store *st, PGresult **res, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vquery(st, res, sql, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- transactions ---- */

static int pq_begin(struct sk_store *st)
{
	int rc = pq_simple(st, "BEGIN ISOLATION LEVEL READ COMMITTED;"
			   " SELECT pg_advisory_xact_lock(" PQ_WRITE_LOCK ")");

	if (rc && be(st)->c && PQtransactionStatus(be(st)->c) != PQTRANS_IDLE)
		pq_simple(st, "ROLLBACK");
	if (rc == -EIO && strstr(st->errmsg, "lock timeout"))
		snprintf(st->errmsg, sizeof(st->errmsg),
			 "another sekisho process held the store's write lock for longer than %s",
			 PQ_LOCK_TIMEOUT);
	return rc;
}

static int pq_commit(struct sk_store *st)
{
	return pq_simple(st, "COMMIT");
}

static void pq_rollback(struct sk_store *st)
{
	if (be(st)->c && PQstatus(be(st)->c) == CONNECTION_OK &&
	    PQtransactionStatus(be(st)->c) != PQTRANS_IDLE)
		pq_simple(st, "ROLLBACK");
}

/* ---- the helpers of the nouns ---- */

/* A write: inside a transaction between a savepoint and its release, so
 * that a refused statement (a unique key: -EEXIST) leaves the transaction
 * usable as SQLite does; outside one, in a transaction of its own, retried
 * on a serialization failure or a deadlock. */
static int vexec(struct sk_store *st, int64_t *id, const char *sql, const char *fmt, va_list ap)
{
	PGresult *r;
	va_list aq;
	int rc, n = 0, try;

	for (try = 0; try < PQ_RETRIES; try++) {
		bool own = st->tx_depth == 0;

		if (own) {
			if ((rc = sk_store_tx_begin(st)))
				return rc;
		} else if ((rc = pq_simple(st, "SAVEPOINT sk_stmt"))) {
			return rc;
		}
		va_copy(aq, ap);
		rc = vquery(st, &r, sql, fmt, aq);
		va_end(aq);
		if (!rc) {
			n = atoi(PQcmdTuples(r));
			if (id && PQntuples(r) > 0)
				*id = pq_i64(r, 0, 0);
			else if (id)
				rc = -EIO;
			PQclear(r);
		}
		if (own) {
			rc = sk_store_tx_end(st, rc);
			if (rc != -EAGAIN)
				break;
			continue;
		}
		if (!rc)
			rc = pq_simple(st, "RELEASE SAVEPOINT sk_stmt");
		else if (be(st)->c && PQtransactionStatus(be(st)->c) == PQTRANS_INERROR)
			pq_simple(st, "ROLLBACK TO SAVEPOINT sk_stmt");
		break;
	}
	return rc ? rc : n;
}

int pq_exec(struct sk_store *st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vexec(st, NULL, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int pq_exec_id(struct sk_store *st, int64_t *id, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vexec(st, id, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int64_t pq_i64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void pq_text(const PGresult *r, int row, int col, char *buf, size_t len)
{
	snprintf(buf, len, "%s", PQgetvalue(r, row, col));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void pq_blob(const PGresult *r, int row, int col, uint8_t *out, size_t n)
{
	const char *v = PQgetvalue(r, row, col);	/* bytea hex output: \x0a1b... */
	size_t i;

	memset(out, 0, n);
	if (strncmp(v, "\\x", 2) || strlen(v + 2) != 2 * n)
		return;
	for (i = 0; i < n; i++) {
		int hi = hexval(v[2 + 2 * i]), lo = hexval(v[3 + 2 * i]);

		if (hi < 0 || lo < 0) {
			memset(out, 0, n);
			return;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

static int vlist(struct sk_store *st, size_t size, pq_row_fn row, const void *fn, void *arg,
		 const char *sql, const char *fmt, va_list ap)
{
	PGresult *r;
	void *obj = NULL;
	int rc, i, n;

	if ((rc = vquery(st, &r, sql, fmt, ap)))
		return rc;
	if (size && !(obj = calloc(1, size))) {
		PQclear(r);
		return -ENOMEM;
	}
	n = PQntuples(r);
	for (i = 0; i < n && !rc; i++)
		rc = row(st, r, i, obj, fn, arg);
	if (obj)
		explicit_bzero(obj, size);	/* hashes and secrets of the rows */
	free(obj);
	PQclear(r);
	return rc;
}

int pq_list(struct sk_store *st, size_t size, pq_row_fn row, const void *fn, void *arg,
	    const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlist(st, size, row, fn, arg, sql, fmt, ap);
	va_end(ap);
	return rc;
}

static int first_row(struct sk_store *st, const PGresult *r, int row, void *obj, const void *fn,
		     void *arg)
{
	const pq_decode_fn *decode = fn;

	(void)st, (void)obj;
	(*decode)(r, row, arg);
	return 1;
}

int pq_get(struct sk_store *st, pq_decode_fn decode, void *obj, const char *sql,
	   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlist(st, 0, first_row, &decode, obj, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

static void int_decode(const PGresult *r, int row, void *obj)
{
	*(int64_t *)obj = pq_i64(r, row, 0);
}

int pq_int(struct sk_store *st, int64_t *out, const char *sql, const char *fmt, ...)
{
	pq_decode_fn decode = int_decode;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlist(st, 0, first_row, &decode, out, sql, fmt, ap);
	va_end(ap);
	return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

int pq_str(struct sk_store *st, char *buf, size_t len, const char *sql, const char *fmt, ...)
{
	PGresult *r;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vquery(st, &r, sql, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	if (PQntuples(r) < 1)
		rc = -ENOENT;
	else if ((size_t)PQgetlength(r, 0, 0) >= len)
		rc = -ENOSPC;
	else
		pq_text(r, 0, 0, buf, len);
	PQclear(r);
	return rc;
}

int pq_id_by_name(struct sk_store *st, const char *table, const char *name, int64_t *id)
{
	/* table is one of our own constants, never caller input */
	static const char *const q[][2] = {
		{ "users", "SELECT id FROM users WHERE name = $1" },
		{ "groups", "SELECT id FROM groups WHERE name = $1" },
		{ "policies", "SELECT id FROM policies WHERE name = $1" },
		{ "devices", "SELECT id FROM devices WHERE name = $1" },
		{ "directories", "SELECT id FROM directories WHERE name = $1" },
	};
	size_t i;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (!strcmp(q[i][0], table))
			return pq_int(st, id, q[i][1], "t", name);
	return -EINVAL;
}

static int pq_schema_version(struct sk_store *st)
{
	int64_t v = 0;

	if (pq_int(st, &v, "SELECT version FROM schema_version", NULL))
		return 0;
	return (int)v;
}

static void pq_close(struct sk_store *st)
{
	struct pq_be *b = be(st);

	if (b) {
		if (b->c)
			PQfinish(b->c);
		if (b->uri) {
			explicit_bzero(b->uri, strlen(b->uri));
			free(b->uri);
		}
		free(b);
	}
	free(st);
}

/* ---- migrations ---- */

/* The part of migration `to` that SQL cannot do, in its transaction (as
 * store_sqlite.c's migration_code). */
static int migration_code(struct sk_store *st, int64_t to)
{
	char uid[SK_UID_LEN + 1];
	PGresult *r;
	int i, rc;

	if (to != 3)
		return 0;
	if ((rc = pq_query(st, &r, "SELECT id FROM users WHERE uid = '' ORDER BY id", NULL)))
		return rc;
	for (i = 0; !rc && i < PQntuples(r); i++) {
		rc = sk_uid_new(uid);
		if (!rc)
			rc = pq_exec(st, "UPDATE users SET uid = $2 WHERE id = $1", "it",
				     pq_i64(r, i, 0), uid);
		rc = rc < 0 ? rc : 0;
	}
	PQclear(r);
	if (!rc)
		rc = pq_exec(st, "CREATE UNIQUE INDEX users_uid ON users(uid)", NULL);
	return rc < 0 ? rc : 0;
}

static int migrate_step(struct sk_store *st, int64_t *v, char *err, size_t errlen)
{
	char *sql;
	int rc;

	/* the version is read under the write lock: two gateways opening an
	 * old store at once never apply a script twice */
	rc = pq_int(st, v, "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN -1 ELSE 0 END",
		    NULL);
	if (!rc && *v == 0)
		rc = pq_int(st, v, "SELECT version FROM schema_version", NULL);
	else if (!rc)
		*v = 0;	/* an empty database */
	if (rc)
		return sk_err(err, errlen, "cannot read the schema version: %s", st->errmsg), rc;
	if (*v > sk_schema_latest)
		return sk_err(err, errlen, SK_SCHEMA_NEWER_FMT, (long long)*v, sk_schema_latest,
			      (long long)*v, sk_schema_latest), -EPROTO;
	if (*v == sk_schema_latest)
		return 0;
	if (!(sql = sk_schema_script(SK_DIALECT_PG, (int)*v)))
		return sk_err(err, errlen, "migration to schema version %lld: out of memory",
			      (long long)*v + 1), -ENOMEM;
	rc = pq_simple(st, "SET LOCAL statement_timeout = '" PQ_MIGRATION_TIMEOUT "'");
	if (!rc)
		rc = pq_simple(st, sql);
	free(sql);
	if (!rc)
		rc = migration_code(st, *v + 1);
	if (!rc) {
		rc = pq_exec(st, "UPDATE schema_version SET version = $1", "i", *v + 1);
		rc = rc < 0 ? rc : 0;
	}
	if (rc)
		sk_err(err, errlen, "migration to schema version %lld failed: %s", (long long)*v + 1,
		       rc == -EIO || rc == -EEXIST || rc == -EINVAL ? st->errmsg : strerror(-rc));
	return rc;
}

static int migrate(struct sk_store *st, char *err, size_t errlen)
{
	int64_t v;
	int rc;

	be(st)->wait_ms = PQ_MIGRATION_WAIT_MS;
	for (;;) {
		if ((rc = sk_store_tx_begin(st))) {
			sk_err(err, errlen, "cannot lock the store for migration: %s", st->errmsg);
			break;
		}
		rc = migrate_step(st, &v, err, errlen);
		if (!rc && v == sk_schema_latest) {
			rc = sk_store_tx_end(st, 0);
			if (rc)
				sk_err(err, errlen, "%s", st->errmsg);
			break;
		}
		if (rc) {
			sk_store_tx_end(st, rc);
			break;
		}
		if ((rc = sk_store_tx_end(st, 0))) {
			sk_err(err, errlen, "migration to schema version %lld failed: %s",
			       (long long)v + 1, st->errmsg);
			break;
		}
	}
	be(st)->wait_ms = PQ_WAIT_MS;
	return rc;
}

/* ---- open ---- */

int sk_pg_open(const char *uri, struct sk_store **out, char *err, size_t errlen)
{
	char masked[512], e[256];
	const char *dir = getenv("SEKISHO_STATE_DIR");
	struct sk_store *st;
	struct pq_be *b;
	int rc;

	*out = NULL;
	sk_store_mask(uri, masked, sizeof(masked));
	st = calloc(1, sizeof(*st));
	b = calloc(1, sizeof(*b));
	if (!st || !b || !(b->uri = strdup(uri))) {
		free(st);
		free(b);
		return sk_err(err, errlen, "out of memory"), -ENOMEM;
	}
	st->ops = &sk_pg_ops;
	st->be = b;
	b->wait_ms = PQ_WAIT_MS;
	snprintf(st->file, sizeof(st->file), "%s", masked);
	/* no file, so no directory of its own: the package's state directory
	 * (SEKISHO_STATE_DIR, absolute, for tests and other layouts) */
	snprintf(st->dir, sizeof(st->dir), "%s", dir && dir[0] == '/' ? dir : PQ_STATE_DIR);
	b->c = pq_connect(uri, e, sizeof(e));
	if (!b->c) {
		sk_err(err, errlen, "%s: the database is unavailable: %s", masked, e);
		pq_close(st);
		return -EIO;
	}
	rc = migrate(st, err, errlen);
	if (rc) {
		pq_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

const struct sk_store_ops sk_pg_ops = {
	.name = "postgresql",
	.close = pq_close,
	.begin = pq_begin,
	.commit = pq_commit,
	.rollback = pq_rollback,
	.schema_version = pq_schema_version,
	.user_add = pq_user_add,
	.user_get = pq_user_get,
	.user_update = pq_user_update,
	.user_del = pq_user_del,
	.user_list = pq_user_list,
	.user_success = pq_user_success,
	.user_set_password = pq_user_set_password,
	.user_totp_use = pq_user_totp_use,
	.login_fail = pq_login_fail,
	.source_get = pq_source_get,
	.source_list = pq_source_list,
	.source_del = pq_source_del,
	.group_add = pq_group_add,
	.group_get = pq_group_get,
	.group_update = pq_group_update,
	.group_del = pq_group_del,
	.group_list = pq_group_list,
	.policy_add = pq_policy_add,
	.policy_get = pq_policy_get,
	.policy_del = pq_policy_del,
	.policy_list = pq_policy_list,
	.policy_rules = pq_policy_rules,
	.rule_add = pq_rule_add,
	.rule_del = pq_rule_del,
	.rule_move = pq_rule_move,
	.device_add = pq_device_add,
	.device_get = pq_device_get,
	.device_update = pq_device_update,
	.device_del = pq_device_del,
	.device_list = pq_device_list,
	.device_assign = pq_device_assign,
	.device_unassign = pq_device_unassign,
	.cert_add = pq_cert_add,
	.cert_get = pq_cert_get,
	.cert_revoke = pq_cert_revoke,
	.cert_list = pq_cert_list,
	.cert_revoke_for = pq_cert_revoke_for,
	.profile_add = pq_profile_add,
	.profile_find = pq_profile_find,
	.profile_update = pq_profile_update,
	.profile_list = pq_profile_list,
	.setting_get = pq_setting_get,
	.setting_set = pq_setting_set,
	.session_add = pq_session_add,
	.session_get = pq_session_get,
	.session_find = pq_session_find,
	.session_update = pq_session_update,
	.session_del = pq_session_del,
	.session_list = pq_session_list,
	.lease_get = pq_lease_get,
	.lease_set = pq_lease_set,
	.lease_taken = pq_lease_taken,
	.posture_set = pq_posture_set,
	.posture_list = pq_posture_list,
	.posture_last_set = pq_posture_last_set,
	.posture_last_get = pq_posture_last_get,
	.directory_add = pq_directory_add,
	.directory_del = pq_directory_del,
	.directory_list = pq_directory_list,
	.directory_set = pq_directory_set,
	.directory_settings = pq_directory_settings,
	.group_directory_set = pq_group_directory_set,
	.group_directory_get = pq_group_directory_get,
	.user_directory_get = pq_user_directory_get,
	.user_directory_set = pq_user_directory_set,
	.audit_add = pq_audit_add,
	.audit_list = pq_audit_list,
};
