// SPDX-License-Identifier: GPL-2.0
/*
 * The PostgreSQL backend (libpq): connection, bounded waits, transactions,
 * migrations and its statement layer (struct sk_db_ops, store_db.h): SQL
 * written with ?N placeholders is sent with $N parameters
 * (PQsendQueryParams), results come back as text (bytea in hex).  The
 * object families, written once for both backends, live in store_users.c,
 * store_groups.c, store_devices.c, store_sessions.c, store_posture.c,
 * store_directory.c.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "pq_dl.h"
#include "store_db.h"

static const struct sk_store_ops sk_pg_ops;

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

/* Maps the SQLSTATE of a failed result to -errno and remembers the message. */
static int pq_err(struct sk_store *st, const PGresult *r)
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

static int64_t pq_i64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* a bytea column into out[n] (zeros when it is not n bytes) */
static void pq_blob(const PGresult *r, int row, int col, uint8_t *out, size_t n)
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

/* ---- the statement layer (store_db.h) ---- */

struct pq_stmt {
	struct db_stmt h;
	char *sql;		/* ?N renumbered to $N */
	struct pq_params p;
	char *own[PQ_MAX_PARAMS];	/* copies of the text and blob values */
	PGresult *r;		/* after the first step */
	int row;		/* the current row of r */
};

static struct pq_stmt *pq_of(struct db_stmt *s)
{
	return (struct pq_stmt *)s;
}

/* "?N" -> "$N" (a bare "?" takes the next number), outside quotes */
static char *pq_renumber(const char *sql)
{
	size_t len = strlen(sql);
	char *out = malloc(len * 4 + 1), *o = out, q = 0;
	int next = 1;

	if (!out)
		return NULL;
	for (; *sql; sql++) {
		if (q) {
			if (*sql == q)
				q = 0;
		} else if (*sql == '\'' || *sql == '"') {
			q = *sql;
		} else if (*sql == '?') {
			*o++ = '$';
			if (sql[1] < '0' || sql[1] > '9')
				o += sprintf(o, "%d", next++);
			continue;
		}
		*o++ = *sql;
	}
	*o = '\0';
	return out;
}

static int db_pq_prepare(struct sk_store *st, const char *sql, struct db_stmt **out)
{
	struct pq_stmt *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->sql = pq_renumber(sql))) {
		free(s);
		return -ENOMEM;
	}
	s->h.st = st;
	*out = &s->h;
	return 0;
}

/* Parameter i (from 1) to v: n bytes copied (binary), or text when n < 0. */
static int pq_param(struct db_stmt *h, int i, const void *v, int n)
{
	struct pq_stmt *s = pq_of(h);
	size_t len = !v ? 0 : n < 0 ? strlen(v) + 1 : (size_t)n;

	if (i < 1 || i > PQ_MAX_PARAMS)
		return -E2BIG;
	if (s->own[i - 1]) {
		explicit_bzero(s->own[i - 1], s->p.len[i - 1] > 0 ? (size_t)s->p.len[i - 1]
								 : strlen(s->own[i - 1]));
		free(s->own[i - 1]);
		s->own[i - 1] = NULL;
	}
	s->p.v[i - 1] = NULL;
	s->p.len[i - 1] = 0;
	s->p.fmt[i - 1] = 0;
	if (v) {
		if (!(s->own[i - 1] = malloc(len ? len : 1)))
			return -ENOMEM;
		memcpy(s->own[i - 1], v, len);
		s->p.v[i - 1] = s->own[i - 1];
		if (n >= 0) {
			s->p.len[i - 1] = n;
			s->p.fmt[i - 1] = 1;
		}
	}
	if (i > s->p.n)
		s->p.n = i;
	return 0;
}

static int db_pq_bind_i64(struct db_stmt *s, int i, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	return pq_param(s, i, num, -1);
}

static int db_pq_bind_text(struct db_stmt *s, int i, const char *v)
{
	return pq_param(s, i, v, -1);
}

static int db_pq_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
	return pq_param(s, i, v, (int)n);
}

static int db_pq_bind_null(struct db_stmt *s, int i)
{
	return pq_param(s, i, NULL, -1);
}

static int db_pq_step(struct db_stmt *h)
{
	struct pq_stmt *s = pq_of(h);
	int rc;

	if (!s->r) {
		if ((rc = pq_run(h->st, &s->r, s->sql, &s->p)))
			return rc;
		s->row = -1;
	}
	if (s->row < PQntuples(s->r))
		s->row++;
	return s->row < PQntuples(s->r) ? 1 : 0;
}

/* A write: inside a transaction between a savepoint and its release, so
 * that a refused statement (a unique key: -EEXIST) leaves the transaction
 * usable as SQLite does; outside one, in a transaction of its own, retried
 * on a serialization failure or a deadlock. */
static int db_pq_write(struct db_stmt *h, int64_t *id)
{
	struct pq_stmt *s = pq_of(h);
	struct sk_store *st = h->st;
	int rc, n = 0, try;

	for (try = 0; try < PQ_RETRIES; try++) {
		bool own = st->tx_depth == 0;

		if (own) {
			if ((rc = sk_store_tx_begin(st)))
				return rc;
		} else if ((rc = pq_simple(st, "SAVEPOINT sk_stmt"))) {
			return rc;
		}
		PQclear(s->r);
		s->r = NULL;
		rc = pq_run(st, &s->r, s->sql, &s->p);
		if (!rc) {
			n = atoi(PQcmdTuples(s->r));
			if (id && PQntuples(s->r) > 0)
				*id = pq_i64(s->r, 0, 0);
			else if (id)
				rc = -EIO;
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

static int64_t db_pq_i64(struct db_stmt *s, int col)
{
	return pq_i64(pq_of(s)->r, pq_of(s)->row, col);
}

static const char *db_pq_text(struct db_stmt *s, int col)
{
	return PQgetvalue(pq_of(s)->r, pq_of(s)->row, col);
}

static size_t db_pq_bytes(struct db_stmt *s, int col)
{
	return (size_t)PQgetlength(pq_of(s)->r, pq_of(s)->row, col);
}

static void db_pq_blob(struct db_stmt *s, int col, uint8_t *out, size_t n)
{
	pq_blob(pq_of(s)->r, pq_of(s)->row, col, out, n);
}

static bool db_pq_null(struct db_stmt *s, int col)
{
	return PQgetisnull(pq_of(s)->r, pq_of(s)->row, col);
}

static void db_pq_finalize(struct db_stmt *h)
{
	struct pq_stmt *s = pq_of(h);
	int i;

	for (i = 0; i < PQ_MAX_PARAMS; i++)
		pq_param(h, i + 1, NULL, -1);
	PQclear(s->r);
	free(s->sql);
	free(s);
}

static void db_pq_durable(struct sk_store *st, bool on)
{
	(void)st, (void)on;	/* every commit waits for the server's WAL flush */
}

static const struct sk_db_ops pq_db_ops = {
	.dialect = SK_DIALECT_PG,
	.prepare = db_pq_prepare,
	.bind_i64 = db_pq_bind_i64,
	.bind_text = db_pq_bind_text,
	.bind_blob = db_pq_bind_blob,
	.bind_null = db_pq_bind_null,
	.step = db_pq_step,
	.write = db_pq_write,
	.col_i64 = db_pq_i64,
	.col_text = db_pq_text,
	.col_bytes = db_pq_bytes,
	.col_blob = db_pq_blob,
	.col_null = db_pq_null,
	.finalize = db_pq_finalize,
	.durable = db_pq_durable,
};

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

static int migrate_step(struct sk_store *st, bool create, int64_t *v, char *err, size_t errlen)
{
	char *sql;
	int rc;

	/* the version is read under the write lock: two gateways opening an
	 * old store at once never apply a script twice */
	rc = db_int_query(st, v, "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN -1"
			  " ELSE 0 END", NULL);
	if (!rc && *v == 0)
		rc = db_int_query(st, v, "SELECT version FROM schema_version", NULL);
	else if (!rc && !create)	/* no schema_version: init has not made it */
		return sk_err(err, errlen, SK_STORE_MISSING_FMT, st->file, st->file, st->file,
			      st->file), -ENOENT;
	else if (!rc)
		*v = 0;	/* an empty database */
	if (rc == -ENOENT)	/* -ENOENT means "no store" to callers */
		return sk_err(err, errlen, "the table schema_version has no row"), -EPROTO;
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
		rc = db_migration_code(st, *v + 1);
	if (!rc) {
		rc = db_exec(st, "UPDATE schema_version SET version = ?1", "i", *v + 1);
		rc = rc < 0 ? rc : 0;
	}
	if (rc)
		sk_err(err, errlen, "migration to schema version %lld failed: %s", (long long)*v + 1,
		       rc == -EIO || rc == -EEXIST || rc == -EINVAL ? st->errmsg : strerror(-rc));
	return rc;
}

static int migrate(struct sk_store *st, bool create, char *err, size_t errlen)
{
	int64_t v;
	int rc;

	be(st)->wait_ms = PQ_MIGRATION_WAIT_MS;
	for (;;) {
		if ((rc = sk_store_tx_begin(st))) {
			sk_err(err, errlen, "cannot lock the store for migration: %s", st->errmsg);
			break;
		}
		rc = migrate_step(st, create, &v, err, errlen);
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

const char *sk_pg_dir(void)
{
	const char *dir = getenv("SEKISHO_STATE_DIR");

	return dir && dir[0] == '/' ? dir : PQ_STATE_DIR;
}

int sk_pg_open(const char *uri, bool create, struct sk_store **out, char *err, size_t errlen)
{
	char masked[512], e[256];
	struct sk_store *st;
	struct pq_be *b;
	int rc;

	*out = NULL;
	rc = sk_pq_load(err, errlen);	/* a PostgreSQL store: libpq now (pq_dl.h) */
	if (rc)
		return rc;
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
	snprintf(st->dir, sizeof(st->dir), "%s", sk_pg_dir());
	b->c = pq_connect(uri, e, sizeof(e));
	if (!b->c) {
		sk_err(err, errlen, "%s: the database is unavailable: %s", masked, e);
		pq_close(st);
		return -EIO;
	}
	rc = migrate(st, create, err, errlen);
	if (rc) {
		pq_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

static const struct sk_store_ops sk_pg_ops = {
	.name = "postgresql",
	.db = &pq_db_ops,
	.close = pq_close,
	.begin = pq_begin,
	.commit = pq_commit,
	.rollback = pq_rollback,
	.schema_version = db_schema_version,
	DB_OPS_FAMILIES,
};
