// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl store copy FROM TO: a whole store from one backend or place to
 * another (Documentation/admin/store.md, "Moving a store").
 *
 * The tables and their columns are not listed here: they are read from
 * the schema description (sk_schema[] in store_schema.c: CREATE TABLE,
 * ALTER TABLE ... ADD COLUMN, DROP TABLE), so that a table added by a
 * later version is copied without a change here; a statement this file
 * cannot follow, a column type it does not know, or a table in a database
 * that the description does not have, stops the copy with its name.
 *
 * The source is read in one read transaction (one snapshot: it may be in
 * use by sekishod); the target is written in one transaction, which also
 * verifies it (rows and a digest per table, computed by the same code
 * from the values read on each side) and is rolled back on a mismatch.
 * Every value travels as a parameter (sqlite3_bind_*, PQexecPrepared):
 * the only SQL text made here is identifiers from the schema description.
 * Connection strings are shown masked (sk_store_mask), values never.
 */
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pq_dl.h"
#include "skcopy.h"
#include "store-impl.h"

#define CP_TABLES	64
#define CP_COLS		48
#define CP_SQL		4096
#define PQ_WRITE_LOCK	"5366520170"	/* store_pg.c's advisory write lock */

enum ctype { C_INT = 1, C_TEXT, C_BLOB };
enum cid { ID_NONE, ID_ROW, ID_SERIAL };

struct col {
	char name[SK_NAME_MAX + 1];
	enum ctype type;
	enum cid id;
};

struct table {
	char name[SK_NAME_MAX + 1];
	int ncol;
	struct col cols[CP_COLS];
};

struct schema {
	int n;
	struct table t[CP_TABLES];
};

/* ---- the tables, from the schema description ---- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	return p;
}

static bool word(const char **p, const char *end, const char *w)
{
	size_t n = strlen(w);

	*p = skip_ws(*p, end);
	if ((size_t)(end - *p) < n || strncasecmp(*p, w, n))
		return false;
	/* a whole word: CHECK is not check_on */
	if (*p + n < end && (isalnum((unsigned char)w[n - 1]) || w[n - 1] == '_') &&
	    (isalnum((unsigned char)(*p)[n]) || (*p)[n] == '_'))
		return false;
	*p += n;
	return true;
}

/* an identifier, maybe "quoted" */
static bool ident(const char **p, const char *end, char *out, size_t len)
{
	const char *s;
	size_t n;

	*p = skip_ws(*p, end);
	if (*p < end && **p == '"') {
		s = ++*p;
		while (*p < end && **p != '"')
			++*p;
		n = (size_t)(*p - s);
		if (*p < end)
			++*p;
	} else {
		s = *p;
		while (*p < end && (**p == '_' || (**p >= 'a' && **p <= 'z') ||
				    (**p >= 'A' && **p <= 'Z') || (**p >= '0' && **p <= '9')))
			++*p;
		n = (size_t)(*p - s);
	}
	if (!n || n >= len)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static struct table *find_table(struct schema *sc, const char *name)
{
	int i;

	for (i = 0; i < sc->n; i++)
		if (!strcmp(sc->t[i].name, name))
			return &sc->t[i];
	return NULL;
}

/* one column definition "name {TYPE} ..." of table t */
static int add_col(struct table *t, const char *p, const char *end, char *err, size_t errlen)
{
	static const char *const constraints[] = { "PRIMARY", "UNIQUE", "CHECK", "FOREIGN",
						   "CONSTRAINT" };
	static const struct { const char *w; enum ctype type; enum cid id; } types[] = {
		{ "{INT}", C_INT, ID_NONE }, { "{ID}", C_INT, ID_ROW },
		{ "{SERIAL}", C_INT, ID_SERIAL }, { "{BLOB}", C_BLOB, ID_NONE },
		{ "TEXT", C_TEXT, ID_NONE },
	};
	struct col *c;
	size_t i;
	const char *q;

	for (i = 0; i < sizeof(constraints) / sizeof(constraints[0]); i++) {
		q = p;
		if (word(&q, end, constraints[i]))
			return 0;
	}
	if (t->ncol >= CP_COLS)
		return sk_err(err, errlen, "table %s: too many columns for store copy", t->name),
		       -EINVAL;
	c = &t->cols[t->ncol];
	if (!ident(&p, end, c->name, sizeof(c->name)))
		return sk_err(err, errlen, "table %s: a column definition store copy cannot read",
			      t->name), -EINVAL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		q = p;
		if (word(&q, end, types[i].w)) {
			c->type = types[i].type;
			c->id = types[i].id;
			t->ncol++;
			return 0;
		}
	}
	return sk_err(err, errlen, "table %s, column %s: a column type store copy does not know",
		      t->name, c->name), -EINVAL;
}

static int parse_stmt(struct schema *sc, const char *p, const char *end, char *err, size_t errlen)
{
	char name[SK_NAME_MAX + 1], colname[SK_NAME_MAX + 1];
	struct table *t;
	const char *s = p, *q;
	int depth, rc, i;

	p = skip_ws(p, end);
	if (p == end)
		return 0;
	if (!strncmp(p, "sqlite:", 7) || !strncmp(p, "pg:", 3)) {
		q = strchr(p, ':') + 1;
		if (word(&q, end, "CREATE TABLE") || word(&q, end, "ALTER TABLE") ||
		    (q = strchr(p, ':') + 1, word(&q, end, "DROP TABLE")))
			return sk_err(err, errlen, "the schema has a table statement for one backend "
				      "only, which store copy does not follow: %.*s",
				      (int)(end - s > 80 ? 80 : end - s), s), -EINVAL;
		return 0;
	}
	q = p;
	if (word(&q, end, "CREATE TABLE")) {
		if (sc->n >= CP_TABLES || !ident(&q, end, name, sizeof(name)) ||
		    !word(&q, end, "("))
			return sk_err(err, errlen, "a CREATE TABLE store copy cannot read: %.*s",
				      (int)(end - s > 80 ? 80 : end - s), s), -EINVAL;
		if (find_table(sc, name))
			return sk_err(err, errlen, "table %s is created twice in the schema", name),
			       -EINVAL;
		t = &sc->t[sc->n++];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", name);
		for (depth = 0, p = q; q < end; q++) {
			if (*q == '(')
				depth++;
			else if ((*q == ',' && !depth) || (*q == ')' && !depth--)) {
				if ((rc = add_col(t, p, q, err, errlen)))
					return rc;
				p = q + 1;
				if (*q == ')')
					break;
			}
		}
		return 0;
	}
	q = p;
	if (word(&q, end, "DROP TABLE")) {
		if (!ident(&q, end, name, sizeof(name)) || !(t = find_table(sc, name)))
			return sk_err(err, errlen, "a DROP TABLE store copy cannot follow: %.*s",
				      (int)(end - s > 80 ? 80 : end - s), s), -EINVAL;
		i = (int)(t - sc->t);
		memmove(t, t + 1, (size_t)(sc->n - i - 1) * sizeof(*t));
		sc->n--;
		return 0;
	}
	q = p;
	if (word(&q, end, "ALTER TABLE")) {
		if (!ident(&q, end, name, sizeof(name)) || !(t = find_table(sc, name)))
			return sk_err(err, errlen, "an ALTER TABLE of a table store copy does not "
				      "know: %.*s", (int)(end - s > 80 ? 80 : end - s), s), -EINVAL;
		if (!word(&q, end, "ADD COLUMN"))
			return sk_err(err, errlen, "table %s: a change store copy does not follow "
				      "(only ADD COLUMN): %.*s", name,
				      (int)(end - s > 80 ? 80 : end - s), s), -EINVAL;
		q = skip_ws(q, end);
		if (!ident(&(const char *){ q }, end, colname, sizeof(colname)))
			return sk_err(err, errlen, "table %s: an ADD COLUMN store copy cannot read",
				      name), -EINVAL;
		return add_col(t, q, end, err, errlen);
	}
	return 0;	/* indexes and data: nothing to copy by themselves */
}

static int schema_load(struct schema *sc, char *err, size_t errlen)
{
	const char *p, *e;
	int v, rc;

	sc->n = 0;
	for (v = 0; v < sk_schema_latest; v++)
		for (p = sk_schema[v]; *p; p = *e ? e + 1 : e) {
			e = p + strcspn(p, ";");
			if ((rc = parse_stmt(sc, p, e, err, errlen)))
				return rc;
		}
	/* the version is not copied: both sides have this program's */
	for (v = 0; v < sc->n; v++)
		if (!strcmp(sc->t[v].name, "schema_version")) {
			memmove(&sc->t[v], &sc->t[v + 1], (size_t)(sc->n - v - 1) * sizeof(sc->t[0]));
			sc->n--;
			break;
		}
	return 0;
}

/* ---- SHA-256 (FIPS 180-4): the digests; the store layer has no crypto ---- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
};

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(struct sha256 *s, const uint8_t *b)
{
	uint32_t w[64], a, bb, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = s->h[0]; bb = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
		h = g; g = f; f = e; e = d + t1; d = c; c = bb; bb = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += bb; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n--) {
		s->buf[s->len++ % 64] = *p++;
		if (s->len % 64 == 0)
			sha_block(s, s->buf);
	}
}

static void sha_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, l[8];
	int i;

	sha_update(s, &pad, 1);
	while (s->len % 64 != 56)
		sha_update(s, &zero, 1);
	for (i = 0; i < 8; i++)
		l[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, l, 8);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* ---- values, rows, digests ---- */

struct val {
	int null;
	int64_t i;
	const void *p;		/* text or blob bytes */
	size_t n;
};

/* A table's digest: the sum (mod 2^256) of the SHA-256 of each row's
 * values in column order, each tagged with its kind and length; so the
 * order the rows come in does not matter (PostgreSQL and SQLite sort text
 * differently) and a repeated row counts twice. */
struct tsum {
	int64_t rows;
	uint8_t sum[32];
};

static void row_digest(const struct table *t, const struct val *v, struct tsum *ts)
{
	struct sha256 s;
	uint8_t h[32], hdr[9];
	unsigned int carry = 0;
	int c, i;

	sha_init(&s);
	for (c = 0; c < t->ncol; c++) {
		uint64_t x = v[c].null ? 0 : t->cols[c].type == C_INT ? (uint64_t)v[c].i : v[c].n;

		hdr[0] = v[c].null ? 'N' : t->cols[c].type == C_INT ? 'I' :
			 t->cols[c].type == C_TEXT ? 'T' : 'B';
		for (i = 0; i < 8; i++)
			hdr[1 + i] = (uint8_t)(x >> (56 - 8 * i));
		sha_update(&s, hdr, sizeof(hdr));
		if (!v[c].null && t->cols[c].type != C_INT)
			sha_update(&s, v[c].p, v[c].n);
	}
	sha_final(&s, h);
	for (i = 31; i >= 0; i--) {
		carry += (unsigned int)ts->sum[i] + h[i];
		ts->sum[i] = (uint8_t)carry;
		carry >>= 8;
	}
	ts->rows++;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* ---- one database, either backend, past the store's handle ---- */

struct db {
	bool pg;
	sqlite3 *sq;
	PGconn *c;
	char shown[512];	/* sk_store_mask */
	char *err;
	size_t errlen;
};

static int db_fail(struct db *d, const char *what)
{
	const char *m = d->pg ? PQerrorMessage(d->c) : sqlite3_errmsg(d->sq);

	sk_err(d->err, d->errlen, "%s: %s: %.*s", d->shown, what, (int)strcspn(m, "\n"), m);
	return -EIO;
}

static int pg_fail(struct db *d, PGresult *r, const char *what)
{
	const char *m = PQresultErrorMessage(r);

	sk_err(d->err, d->errlen, "%s: %s: %.*s", d->shown, what, (int)strcspn(m, "\n"), m);
	PQclear(r);
	return -EIO;
}

static int db_exec(struct db *d, const char *sql);

/* Opens store without creating or migrating anything.  -ENOENT: an SQLite
 * file that does not exist. */
static int db_open(struct db *d, const char *store, char *err, size_t errlen)
{
	struct stat sb;

	memset(d, 0, sizeof(*d));
	d->err = err;
	d->errlen = errlen;
	sk_store_mask(store, d->shown, sizeof(d->shown));
	d->pg = sk_store_is_url(store);
	if (d->pg) {
		const char *const kw[] = { "connect_timeout", "fallback_application_name",
					   "dbname", NULL };
		const char *const val[] = { "10", "sekictl-store-copy", store, NULL };
		int rc = sk_pq_load(err, errlen);

		if (rc)
			return rc;
		d->c = PQconnectdbParams(kw, val, 1);
		if (!d->c)
			return sk_err(err, errlen, "out of memory"), -ENOMEM;
		if (PQstatus(d->c) != CONNECTION_OK)
			return db_fail(d, "the database is unavailable");
		/* the write lock is waited for, as sekictl waits, but not for ever */
		return db_exec(d, "SET lock_timeout = '30s'");
	}
	if (lstat(store, &sb))
		return sk_err(err, errlen, "%s: %s", d->shown, strerror(errno)), -ENOENT;
	if (!S_ISREG(sb.st_mode))
		return sk_err(err, errlen, "%s: not a regular file", d->shown), -EINVAL;
	if (sqlite3_open_v2(store, &d->sq, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK)
		return db_fail(d, "cannot open");
	sqlite3_busy_timeout(d->sq, 5000);
	if (sqlite3_exec(d->sq, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(d, "PRAGMA foreign_keys");
	return 0;
}

static void db_close(struct db *d)
{
	if (d->pg && d->c)
		PQfinish(d->c);
	if (!d->pg && d->sq)
		sqlite3_close(d->sq);
	d->c = NULL;
	d->sq = NULL;
}

static int db_exec(struct db *d, const char *sql)
{
	if (d->pg) {
		PGresult *r = PQexec(d->c, sql);

		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
			return pg_fail(d, r, sql);
		PQclear(r);
		return 0;
	}
	return sqlite3_exec(d->sq, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_fail(d, sql);
}

/* The first column of the first row of sql with up to one text parameter,
 * as an integer: 0 with *out, 1 when there is no row or it is NULL. */
static int db_int(struct db *d, int64_t *out, const char *sql, const char *param)
{
	int rc = 1;

	if (d->pg) {
		PGresult *r = PQexecParams(d->c, sql, param ? 1 : 0, NULL, &param, NULL, NULL, 0);

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			return pg_fail(d, r, "reading");
		if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
			*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			rc = 0;
		}
		PQclear(r);
	} else {
		sqlite3_stmt *s;

		if (sqlite3_prepare_v2(d->sq, sql, -1, &s, NULL) != SQLITE_OK)
			return db_fail(d, "reading");
		if (param)
			sqlite3_bind_text(s, 1, param, -1, SQLITE_STATIC);
		switch (sqlite3_step(s)) {
		case SQLITE_ROW:
			if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
				*out = sqlite3_column_int64(s, 0);
				rc = 0;
			}
			break;
		case SQLITE_DONE:
			break;
		default:
			rc = db_fail(d, "reading");
		}
		sqlite3_finalize(s);
	}
	return rc;
}

/* The schema version: 0 when the database has no sekisho tables yet */
static int db_version(struct db *d, int64_t *v)
{
	int64_t n = 0;
	int rc;

	rc = db_int(d, &n, d->pg ? "SELECT count(*) FROM pg_tables WHERE schemaname ="
			" current_schema() AND tablename = 'schema_version'"
			: "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			" AND name = 'schema_version'", NULL);
	if (rc < 0)
		return rc;
	*v = 0;
	if (!n)
		return 0;
	rc = db_int(d, v, "SELECT version FROM schema_version", NULL);
	return rc < 0 ? rc : 0;
}

/* A table in d that the schema description does not have: -EPROTO */
static int db_check_tables(struct db *d, const struct schema *sc)
{
	const char *sql = d->pg ? "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
		" ORDER BY 1" : "SELECT name FROM sqlite_master WHERE type = 'table'"
		" AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1";
	char unknown[SK_NAME_MAX + 1] = "";
	int i, j;

	if (d->pg) {
		PGresult *r = PQexec(d->c, sql);

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			return pg_fail(d, r, "listing the tables");
		for (i = 0; i < PQntuples(r) && !*unknown; i++) {
			const char *n = PQgetvalue(r, i, 0);

			for (j = 0; j < sc->n && strcmp(sc->t[j].name, n); j++)
				;
			if (j == sc->n && strcmp(n, "schema_version"))
				snprintf(unknown, sizeof(unknown), "%s", n);
		}
		PQclear(r);
	} else {
		sqlite3_stmt *s;

		if (sqlite3_prepare_v2(d->sq, sql, -1, &s, NULL) != SQLITE_OK)
			return db_fail(d, "listing the tables");
		while (!*unknown && sqlite3_step(s) == SQLITE_ROW) {
			const char *n = (const char *)sqlite3_column_text(s, 0);

			for (j = 0; j < sc->n && strcmp(sc->t[j].name, n); j++)
				;
			if (j == sc->n && strcmp(n, "schema_version"))
				snprintf(unknown, sizeof(unknown), "%s", n);
		}
		sqlite3_finalize(s);
	}
	if (*unknown)
		return sk_err(d->err, d->errlen, "%s has a table \"%s\" that this sekisho's schema "
			      "does not describe; not copying it (nothing was written)\n"
			      "  %s にはこの sekisho のスキーマにない表 \"%s\" があります。"
			      "コピーしません（何も書き込んでいません）",
			      d->shown, unknown, d->shown, unknown), -EPROTO;
	return 0;
}

/* "SELECT "a", "b" FROM "t"" or "INSERT INTO "t" ("a", ...) VALUES (?|$n, ...)" */
static void table_sql(const struct table *t, bool insert, bool pg, char *sql, size_t len)
{
	size_t n = 0;
	int c;

	n += (size_t)snprintf(sql + n, len - n, insert ? "INSERT INTO \"%s\" (" : "SELECT ",
			      t->name);
	for (c = 0; c < t->ncol && n < len; c++)
		n += (size_t)snprintf(sql + n, len - n, "%s\"%s\"", c ? ", " : "", t->cols[c].name);
	if (n >= len)
		return;
	if (!insert) {
		snprintf(sql + n, len - n, " FROM \"%s\"", t->name);
		return;
	}
	n += (size_t)snprintf(sql + n, len - n, ") VALUES (");
	for (c = 0; c < t->ncol && n < len; c++)
		n += pg ? (size_t)snprintf(sql + n, len - n, "%s$%d", c ? ", " : "", c + 1)
			: (size_t)snprintf(sql + n, len - n, "%s?", c ? ", " : "");
	if (n < len)
		snprintf(sql + n, len - n, ")");
}

typedef int (*row_fn)(const struct table *t, const struct val *v, void *arg);

/* Calls fn for every row of t in d, each value decoded by the type the
 * schema gives its column (the same values whatever the backend). */
static int db_rows(struct db *d, const struct table *t, row_fn fn, void *arg)
{
	struct val v[CP_COLS];
	char sql[CP_SQL];
	int c, rc = 0;

	table_sql(t, false, d->pg, sql, sizeof(sql));
	if (d->pg) {
		PGresult *r;

		if (!PQsendQueryParams(d->c, sql, 0, NULL, NULL, NULL, NULL, 1) ||
		    !PQsetSingleRowMode(d->c))
			return db_fail(d, t->name);
		while ((r = PQgetResult(d->c))) {
			if (PQresultStatus(r) == PGRES_SINGLE_TUPLE && !rc) {
				for (c = 0; c < t->ncol; c++) {
					const uint8_t *b = (const uint8_t *)PQgetvalue(r, 0, c);
					int i;

					memset(&v[c], 0, sizeof(v[c]));
					v[c].null = PQgetisnull(r, 0, c);
					if (v[c].null)
						continue;
					v[c].p = b;
					v[c].n = (size_t)PQgetlength(r, 0, c);
					if (t->cols[c].type == C_INT) {
						if (v[c].n != 8) {
							rc = (sk_err(d->err, d->errlen, "%s: %s.%s is "
								    "not a bigint", d->shown, t->name,
								    t->cols[c].name), -EPROTO);
							break;
						}
						for (i = 0; i < 8; i++)
							v[c].i = (int64_t)((uint64_t)v[c].i << 8 | b[i]);
					}
				}
				if (!rc)
					rc = fn(t, v, arg);
			} else if (PQresultStatus(r) != PGRES_TUPLES_OK &&
				   PQresultStatus(r) != PGRES_SINGLE_TUPLE && !rc) {
				rc = -EIO;
				sk_err(d->err, d->errlen, "%s: reading %s: %.*s", d->shown, t->name,
				       (int)strcspn(PQresultErrorMessage(r), "\n"),
				       PQresultErrorMessage(r));
			}
			PQclear(r);
		}
		return rc;
	}
	{
		sqlite3_stmt *s;
		int step;

		if (sqlite3_prepare_v2(d->sq, sql, -1, &s, NULL) != SQLITE_OK)
			return db_fail(d, t->name);
		while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
			for (c = 0; c < t->ncol; c++) {
				memset(&v[c], 0, sizeof(v[c]));
				v[c].null = sqlite3_column_type(s, c) == SQLITE_NULL;
				if (v[c].null)
					continue;
				if (t->cols[c].type == C_INT) {
					v[c].i = sqlite3_column_int64(s, c);
				} else {
					v[c].p = t->cols[c].type == C_TEXT
						 ? (const void *)sqlite3_column_text(s, c)
						 : sqlite3_column_blob(s, c);
					v[c].n = (size_t)sqlite3_column_bytes(s, c);
					if (!v[c].p)
						v[c].p = "";
				}
			}
			rc = fn(t, v, arg);
		}
		if (!rc && step != SQLITE_DONE)
			rc = db_fail(d, t->name);
		sqlite3_finalize(s);
		return rc;
	}
}

static int sum_row(const struct table *t, const struct val *v, void *arg)
{
	row_digest(t, v, arg);
	return 0;
}

/* ---- writing the target ---- */

struct writer {
	struct db *d;
	sqlite3_stmt *s;	/* SQLite: the prepared INSERT */
	char stmt[1];		/* PostgreSQL: the unnamed prepared statement */
	struct tsum src;	/* what was read from the source */
};

static int put_row(const struct table *t, const struct val *v, void *arg)
{
	struct writer *w = arg;
	struct db *d = w->d;
	int c, i;

	row_digest(t, v, &w->src);
	if (d->pg) {
		const char *vals[CP_COLS];
		int lens[CP_COLS], fmts[CP_COLS];
		uint8_t ints[CP_COLS][8];
		PGresult *r;

		for (c = 0; c < t->ncol; c++) {
			fmts[c] = 1;
			vals[c] = v[c].null ? NULL : v[c].p ? v[c].p : "";
			lens[c] = (int)v[c].n;
			if (!v[c].null && t->cols[c].type == C_INT) {
				for (i = 0; i < 8; i++)
					ints[c][i] = (uint8_t)((uint64_t)v[c].i >> (56 - 8 * i));
				vals[c] = (const char *)ints[c];
				lens[c] = 8;
			}
		}
		r = PQexecPrepared(d->c, w->stmt, t->ncol, vals, lens, fmts, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			return pg_fail(d, r, t->name);
		PQclear(r);
		return 0;
	}
	sqlite3_reset(w->s);
	for (c = 0; c < t->ncol; c++) {
		if (v[c].null)
			sqlite3_bind_null(w->s, c + 1);
		else if (t->cols[c].type == C_INT)
			sqlite3_bind_int64(w->s, c + 1, v[c].i);
		else if (t->cols[c].type == C_TEXT)
			sqlite3_bind_text(w->s, c + 1, v[c].p, (int)v[c].n, SQLITE_TRANSIENT);
		else
			sqlite3_bind_blob(w->s, c + 1, v[c].p, (int)v[c].n, SQLITE_TRANSIENT);
	}
	if (sqlite3_step(w->s) != SQLITE_DONE)
		return db_fail(d, t->name);
	return 0;
}

static int copy_table(struct db *src, struct db *dst, const struct table *t, struct tsum *ts)
{
	struct writer w = { .d = dst };
	char sql[CP_SQL];
	int rc;

	table_sql(t, true, dst->pg, sql, sizeof(sql));
	if (dst->pg) {
		Oid types[CP_COLS];
		PGresult *r;
		int c;

		for (c = 0; c < t->ncol; c++)
			types[c] = t->cols[c].type == C_INT ? 20 : t->cols[c].type == C_TEXT ? 25 : 17;
		r = PQprepare(dst->c, w.stmt, sql, t->ncol, types);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			return pg_fail(dst, r, t->name);
		PQclear(r);
	} else if (sqlite3_prepare_v2(dst->sq, sql, -1, &w.s, NULL) != SQLITE_OK) {
		return db_fail(dst, t->name);
	}
	rc = db_rows(src, t, put_row, &w);
	if (w.s)
		sqlite3_finalize(w.s);
	*ts = w.src;
	return rc;
}

/* The next id of a table with an id column goes on where the source's
 * did: PostgreSQL's identity sequence is set past the copied ids (and,
 * for a {SERIAL} id, past every id the source ever handed out, as SQLite's
 * AUTOINCREMENT remembers it); SQLite's sqlite_sequence likewise. */
static int fix_ids(struct db *src, struct db *dst, const struct table *t)
{
	int64_t hw = 0, max = 0;
	char sql[256];
	int c, rc;

	for (c = 0; c < t->ncol && t->cols[c].id == ID_NONE; c++)
		;
	if (c == t->ncol)
		return 0;
	if (t->cols[c].id == ID_SERIAL) {
		rc = db_int(src, &hw, src->pg
			    ? "SELECT last_value FROM pg_sequences WHERE format('%I.%I', schemaname,"
			      " sequencename) = pg_get_serial_sequence(quote_ident($1), 'id')"
			    : "SELECT seq FROM sqlite_sequence WHERE name = ?", t->name);
		if (rc < 0)
			return rc;
	}
	snprintf(sql, sizeof(sql), "SELECT max(\"%s\") FROM \"%s\"", t->cols[c].name, t->name);
	if ((rc = db_int(dst, &max, sql, NULL)) < 0)
		return rc;
	if (max > hw)
		hw = max;
	if (dst->pg) {
		char v[24];
		const char *p[3] = { t->name, t->cols[c].name, v };
		PGresult *r;

		snprintf(v, sizeof(v), "%lld", (long long)(hw > 0 ? hw : 1));
		r = PQexecParams(dst->c, hw > 0
				 ? "SELECT setval(pg_get_serial_sequence(quote_ident($1), $2), $3::bigint, true)"
				 : "SELECT setval(pg_get_serial_sequence(quote_ident($1), $2), $3::bigint, false)",
				 3, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			return pg_fail(dst, r, t->name);
		PQclear(r);
		return 0;
	}
	if (t->cols[c].id != ID_SERIAL || hw <= 0)
		return 0;
	{
		sqlite3_stmt *s;

		if (sqlite3_prepare_v2(dst->sq, "DELETE FROM sqlite_sequence WHERE name = ?1;", -1, &s,
				       NULL) != SQLITE_OK)
			return db_fail(dst, "sqlite_sequence");
		sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE ||
		    sqlite3_prepare_v2(dst->sq, "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)",
				       -1, &s, NULL) != SQLITE_OK)
			return db_fail(dst, "sqlite_sequence");
		sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, hw);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? 0 : db_fail(dst, "sqlite_sequence");
	}
}

static void report_table(const struct table *t, const struct tsum *ts,
			 void (*report)(const struct sk_copy_table *, void *), void *arg)
{
	struct sk_copy_table ct;

	memset(&ct, 0, sizeof(ct));
	snprintf(ct.name, sizeof(ct.name), "%s", t->name);
	ct.rows = ts->rows;
	hex(ts->sum, sizeof(ts->sum), ct.digest);
	if (report)
		report(&ct, arg);
}

static int open_checked(struct db *d, const char *store, const struct schema *sc, int64_t *v,
			char *err, size_t errlen)
{
	int rc = db_open(d, store, err, errlen);

	if (!rc)
		rc = db_version(d, v);
	if (!rc && *v)
		rc = db_check_tables(d, sc);
	return rc;
}

int sk_store_digest(const char *store, void (*report)(const struct sk_copy_table *t, void *arg),
		    void *arg, char *err, size_t errlen)
{
	static struct schema sc;
	struct db d;
	int64_t v;
	int rc, i;

	if ((rc = schema_load(&sc, err, errlen)))
		return rc;
	rc = open_checked(&d, store, &sc, &v, err, errlen);
	if (!rc && v != sk_schema_latest)
		rc = (sk_err(err, errlen, "%s: schema version %lld, this sekisho's is %d",
			    d.shown, (long long)v, sk_schema_latest), -EPROTO);
	if (!rc)
		rc = db_exec(&d, d.pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
	for (i = 0; !rc && i < sc.n; i++) {
		struct tsum ts = { 0 };

		rc = db_rows(&d, &sc.t[i], sum_row, &ts);
		if (!rc)
			report_table(&sc.t[i], &ts, report, arg);
	}
	db_close(&d);
	return rc;
}

int sk_store_copy(const char *from, const char *to, unsigned int flags,
		  void (*report)(const struct sk_copy_table *t, void *arg), void *arg,
		  char *err, size_t errlen)
{
	static struct schema sc;
	static struct tsum sums[CP_TABLES];
	struct db src, dst;
	struct sk_store *st;
	int64_t sv = 0, tv = 0, n;
	char sql[CP_SQL], nonempty[SK_NAME_MAX + 1] = "";
	bool in_tx = false;
	int rc, i;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	if ((rc = schema_load(&sc, err, errlen)))
		return rc;
	if (!strcmp(from, to))
		return sk_err(err, errlen, "the source and the target are the same store"), -EINVAL;
	/* the source: this program's schema version, nothing unknown in it */
	rc = open_checked(&src, from, &sc, &sv, err, errlen);
	if (rc)
		goto out;
	if (sv != sk_schema_latest) {
		rc = (sk_err(err, errlen, "%s: the source's schema version is %lld, this sekisho's is "
			    "%d: %s; nothing was copied\n"
			    "  コピー元のスキーマ版 %lld はこの sekisho の版 (%d) と異なります。%s",
			    src.shown, (long long)sv, sk_schema_latest,
			    !sv ? "not a sekisho store" : sv < sk_schema_latest
			    ? "upgrade it first (open it once with this sekisho, e.g. "
			      "sekictl --store FROM settings list)"
			    : "it is newer: copy it with the sekisho that wrote it",
			    (long long)sv, sk_schema_latest,
			    !sv ? "sekisho のストアではありません" : sv < sk_schema_latest
			    ? "先に更新してください（この sekisho で一度開く）"
			    : "新しい版です。書いた sekisho でコピーしてください"), -EPROTO);
		goto out;
	}
	/* the target: created at this version when new; never migrated here */
	rc = db_open(&dst, to, err, errlen);
	if (rc == -ENOENT) {
		rc = 0;
	} else if (!rc) {
		rc = db_version(&dst, &tv);
		if (!rc && tv && tv != sk_schema_latest)
			rc = (sk_err(err, errlen, "%s: the target's schema version is %lld, this "
				    "sekisho's is %d: %s; nothing was written\n"
				    "  コピー先のスキーマ版 %lld はこの sekisho の版 (%d) と異なります。"
				    "何も書き込んでいません",
				    dst.shown, (long long)tv, sk_schema_latest, tv > sk_schema_latest
				    ? "it is newer (refusing to write an older schema into it)"
				    : "upgrade it first or give a new one",
				    (long long)tv, sk_schema_latest), -EPROTO);
	}
	if (rc)
		goto out;
	if (!tv) {
		db_close(&dst);
		if ((rc = sk_store_open(to, &st, err, errlen)))
			goto out;
		sk_store_close(st);
		if ((rc = db_open(&dst, to, err, errlen)))
			goto out;
	}
	if ((rc = db_check_tables(&dst, &sc)))
		goto out;

	/* one snapshot of the source; one transaction (the write lock) on the target */
	rc = db_exec(&src, src.pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
	if (!rc && !src.pg)	/* SQLite takes its snapshot at the first read */
		rc = db_int(&src, &n, "SELECT version FROM schema_version", NULL) < 0 ? -EIO : 0;
	if (!rc)
		rc = db_exec(&dst, dst.pg ? "BEGIN ISOLATION LEVEL READ COMMITTED;"
			     " SELECT pg_advisory_xact_lock(" PQ_WRITE_LOCK ")" : "BEGIN IMMEDIATE");
	if (rc)
		goto out;
	in_tx = true;
	for (i = 0; i < sc.n && !*nonempty; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", sc.t[i].name);
		if ((rc = db_int(&dst, &n, sql, NULL)) < 0)
			goto out;
		if (n)
			snprintf(nonempty, sizeof(nonempty), "%s", sc.t[i].name);
	}
	if (*nonempty && !(flags & SK_COPY_FORCE)) {
		rc = (sk_err(err, errlen, "%s is not empty (table %s has rows): refusing to overwrite "
			    "it without --force; nothing was written\n"
			    "  コピー先 %s は空ではありません（表 %s に行があります）。--force なしでは"
			    "上書きしません。何も書き込んでいません",
			    dst.shown, nonempty, dst.shown, nonempty), -ENOTEMPTY);
		goto out;
	}
	/* --force: the target's content goes, in this transaction */
	for (i = sc.n - 1; *nonempty && i >= 0; i--) {
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", sc.t[i].name);
		if ((rc = db_exec(&dst, sql)))
			goto out;
	}
	for (i = 0; i < sc.n; i++) {
		memset(&sums[i], 0, sizeof(sums[i]));
		if ((rc = copy_table(&src, &dst, &sc.t[i], &sums[i])) ||
		    (rc = fix_ids(&src, &dst, &sc.t[i])))
			goto out;
	}
	/* verification: the target as written, read back by the same code */
	for (i = 0; i < sc.n; i++) {
		struct tsum ts = { 0 };

		if ((rc = db_rows(&dst, &sc.t[i], sum_row, &ts)))
			goto out;
		if (ts.rows != sums[i].rows || memcmp(ts.sum, sums[i].sum, sizeof(ts.sum))) {
			rc = (sk_err(err, errlen, "verification failed: table %s has %lld rows in the "
				    "source and %lld in the target%s; rolled back, the target is as it "
				    "was\n  検証に失敗しました（表 %s）。ロールバックしました。"
				    "コピー先は元のままです",
				    sc.t[i].name, (long long)sums[i].rows, (long long)ts.rows,
				    ts.rows == sums[i].rows ? ", and their digests differ" : "",
				    sc.t[i].name), -EIO);
			goto out;
		}
	}
	if ((rc = db_exec(&dst, "COMMIT")))
		goto out;
	in_tx = false;
	for (i = 0; i < sc.n; i++)
		report_table(&sc.t[i], &sums[i], report, arg);
out:
	if (in_tx)
		db_exec(&dst, "ROLLBACK");
	db_close(&src);
	db_close(&dst);
	return rc;
}
