/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The store under test, for the tests of the store and of the layers above
 * it: SQLite files in the test's directory (the default), or, when the
 * environment has SK_TEST_STORE=postgresql://..., a new database on that
 * server for every store the test opens (tests/lib/pg.sh starts one; its
 * role may create databases).  With PostgreSQL, SEKISHO_STATE_DIR is the
 * test's directory, so that path settings behave as beside a file.
 *
 * raw()/raw_int() reach the store past sekisho (as sqlite3 or psql would):
 * to make an old schema by hand, or to write what sekictl refuses.
 */
#ifndef SK_STORE_TEST_H
#define SK_STORE_TEST_H

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skstore.h"

static inline bool test_pg(void)
{
	return sk_store_is_url(getenv("SK_TEST_STORE"));
}

/* the dialect of the stores of this run */
static inline int test_dialect(void)
{
	return test_pg() ? 1 : 0;	/* SK_DIALECT_PG : SK_DIALECT_SQLITE */
}

/* SK_TEST_STORE with its database replaced by db */
static inline void test_pg_uri(const char *db, char *out, size_t len)
{
	const char *base = getenv("SK_TEST_STORE");
	const char *auth = strstr(base, "://") + 3;
	const char *path = auth + strcspn(auth, "/?");
	const char *query = path + strcspn(path, "?");

	snprintf(out, len, "%.*s/%s%s", (int)(path - base), base, db, query);
}

/*
 * The store string of a new store called name in dir: dir/name, or (PG)
 * a new database skt_<pid>_<name> (letters and digits of name; dropped
 * first if a run of the same pid left it).  Fills out; false on failure.
 */
static inline bool test_store(const char *dir, const char *name, char *out, size_t len)
{
	char db[64], sql[160];
	PGconn *c;
	PGresult *r;
	size_t i, n;
	bool ok = true;

	if (!test_pg()) {
		snprintf(out, len, "%s/%s", dir, name);
		return true;
	}
	setenv("SEKISHO_STATE_DIR", dir, 1);
	n = (size_t)snprintf(db, sizeof(db), "skt_%d_", (int)getpid());
	for (i = 0; name[i] && n < sizeof(db) - 1; i++)
		if (isalnum((unsigned char)name[i]))
			db[n++] = (char)tolower((unsigned char)name[i]);
	db[n] = '\0';
	/* an identifier of the test's own making, letters, digits and '_':
	 * CREATE DATABASE takes no parameters */
	c = PQconnectdb(getenv("SK_TEST_STORE"));
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "# SK_TEST_STORE: %s", PQerrorMessage(c));
		PQfinish(c);
		return false;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
	PQclear(PQexec(c, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "# %s: %s", sql, PQresultErrorMessage(r));
		ok = false;
	}
	PQclear(r);
	PQfinish(c);
	test_pg_uri(db, out, len);
	return ok;
}

/* Runs sql (several statements) on store, past sekisho: 0 or -1. */
static inline int raw(const char *store, const char *sql)
{
	if (sk_store_is_url(store)) {
		PGconn *c = PQconnectdb(store);
		PGresult *r = PQexec(c, sql);
		int rc = PQresultStatus(r) == PGRES_COMMAND_OK ||
			 PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;

		if (rc)
			fprintf(stderr, "# raw: %s", PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
		return rc;
	} else {
		sqlite3 *db;
		int rc = sqlite3_open(store, &db);

		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			fprintf(stderr, "# raw: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return rc == SQLITE_OK ? 0 : -1;
	}
}

/* The integer in the first column of the first row of sql, or -1. */
static inline int64_t raw_int(const char *store, const char *sql)
{
	int64_t v = -1;

	if (sk_store_is_url(store)) {
		PGconn *c = PQconnectdb(store);
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *s;

		if (sqlite3_open(store, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW)
				v = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		sqlite3_close(db);
	}
	return v;
}

/* 1 when the index name exists in store, 0 when not, -1 on failure */
static inline int64_t raw_index(const char *store, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql), sk_store_is_url(store)
		 ? "SELECT count(*) FROM pg_indexes WHERE indexname = '%s'"
		 : "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'", name);
	return raw_int(store, sql);
}

#endif
