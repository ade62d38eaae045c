// SPDX-License-Identifier: GPL-2.0
/* SQLite backend: sessions, address leases, the audit log. */
#include <errno.h>
#include <string.h>

#include "store_sqlite.h"

#define SESSION_COLS \
	"SELECT id, cookie_hash, user, grp, device, addr4, addr6, remote, started, last_seen," \
	" expires, rx_bytes, tx_bytes, pid, killed FROM sessions "

static void session_row(sqlite3_stmt *s, void *obj)
{
	struct sk_session *x = obj;

	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(s, 0);
	sq_blob32(s, 1, x->cookie_hash);
	sq_text(s, 2, x->user, sizeof(x->user));
	sq_text(s, 3, x->group, sizeof(x->group));
	sq_text(s, 4, x->device, sizeof(x->device));
	sq_text(s, 5, x->addr4, sizeof(x->addr4));
	sq_text(s, 6, x->addr6, sizeof(x->addr6));
	sq_text(s, 7, x->remote, sizeof(x->remote));
	x->started = sqlite3_column_int64(s, 8);
	x->last_seen = sqlite3_column_int64(s, 9);
	x->expires = sqlite3_column_int64(s, 10);
	x->rx_bytes = (uint64_t)sqlite3_column_int64(s, 11);
	x->tx_bytes = (uint64_t)sqlite3_column_int64(s, 12);
	x->pid = sqlite3_column_int(s, 13);
	x->killed = sqlite3_column_int(s, 14);
}

int sq_session_add(struct sk_store *st, struct sk_session *x)
{
	int64_t id;
	int rc;

	/* ids are kernel peer ids (u32): AUTOINCREMENT never reuses one, and
	 * the store refuses to go past the u32 range rather than wrap */
	rc = sq_exec(st, "INSERT INTO sessions (cookie_hash, user, grp, device, addr4, addr6, remote,"
		     " started, last_seen, expires, rx_bytes, tx_bytes, pid, killed)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
		     "bttttttiiiiidd", x->cookie_hash, x->user, x->group, x->device, x->addr4,
		     x->addr6, x->remote, x->started, x->last_seen, x->expires,
		     (int64_t)x->rx_bytes, (int64_t)x->tx_bytes, x->pid, (int)x->killed);
	if (rc < 0)
		return rc;
	id = sqlite3_last_insert_rowid(sq_db(st));
	if (id > 0xffffffffLL) {
		sq_exec(st, "DELETE FROM sessions WHERE id = ?1", "i", id);
		return -ENOSPC;
	}
	x->id = id;
	return 0;
}

int sq_session_get(struct sk_store *st, int64_t id, struct sk_session *x)
{
	return sq_get(st, session_row, x, SESSION_COLS "WHERE id = ?1", "i", id);
}

int sq_session_find(struct sk_store *st, const uint8_t cookie_hash[32], struct sk_session *x)
{
	return sq_get(st, session_row, x, SESSION_COLS "WHERE cookie_hash = ?1", "b",
		      cookie_hash);
}

int sq_session_update(struct sk_store *st, const struct sk_session *x)
{
	int rc;

	/* a kill must survive a power loss: the cookie stays invalid */
	if (x->killed)
		sq_durable(st, true);
	rc = sq_exec(st, "UPDATE sessions SET user = ?2, grp = ?3, device = ?4, addr4 = ?5,"
		     " addr6 = ?6, remote = ?7, started = ?8, last_seen = ?9, expires = ?10,"
		     " rx_bytes = ?11, tx_bytes = ?12, pid = ?13, killed = ?14 WHERE id = ?1",
		     "ittttttiiiiidd", x->id, x->user, x->group, x->device, x->addr4, x->addr6,
		     x->remote, x->started, x->last_seen, x->expires, (int64_t)x->rx_bytes,
		     (int64_t)x->tx_bytes, x->pid, (int)x->killed);
	if (x->killed)
		sq_durable(st, false);
	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

int sq_session_del(struct sk_store *st, int64_t id)
{
	int rc = sq_exec(st, "DELETE FROM sessions WHERE id = ?1", "i", id);

	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

SQ_LIST_ROW(session_list_row, struct sk_session, session_row)

int sq_session_list(struct sk_store *st, int (*fn)(const struct sk_session *, void *), void *arg)
{
	return sq_list(st, sizeof(struct sk_session), session_list_row, &fn, arg,
		       SESSION_COLS "ORDER BY id", NULL);
}

/* ---- leases ---- */

int sq_lease_get(struct sk_store *st, const char *user, int family, char *addr, size_t len)
{
	return sq_str(st, addr, len, "SELECT addr FROM leases WHERE user = ?1 AND family = ?2",
		      "td", user, family);
}

int sq_lease_set(struct sk_store *st, const char *user, int family, const char *addr)
{
	/* UNIQUE (family, addr): -EEXIST when another user holds addr */
	int rc = sq_exec(st, "INSERT INTO leases (user, family, addr) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (user, family) DO UPDATE SET addr = excluded.addr",
			 "tdt", user, family, addr);

	return rc < 0 ? rc : 0;
}

int sq_lease_taken(struct sk_store *st, int family, const char *addr, const char *other_than)
{
	int64_t n;
	int rc = sq_int(st, &n, "SELECT count(*) FROM leases WHERE family = ?1 AND addr = ?2"
			" AND user != ?3", "dtt", family, addr, other_than);

	return rc ? rc : n > 0;
}

/* ---- audit ---- */

int sq_audit_add(struct sk_store *st, const struct sk_audit *a)
{
	int rc = sq_exec(st, "INSERT INTO audit (time, type, actor, user, device, source, result,"
			 " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", "ittttttt", a->time,
			 a->type, a->actor, a->user, a->device, a->source, a->result, a->detail);

	return rc < 0 ? rc : 0;
}

static void audit_row(sqlite3_stmt *s, void *obj)
{
	struct sk_audit *a = obj;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->time = sqlite3_column_int64(s, 1);
	sq_text(s, 2, a->type, sizeof(a->type));
	sq_text(s, 3, a->actor, sizeof(a->actor));
	sq_text(s, 4, a->user, sizeof(a->user));
	sq_text(s, 5, a->device, sizeof(a->device));
	sq_text(s, 6, a->source, sizeof(a->source));
	sq_text(s, 7, a->result, sizeof(a->result));
	sq_text(s, 8, a->detail, sizeof(a->detail));
}

SQ_LIST_ROW(audit_list_row, struct sk_audit, audit_row)

/* The newest f->limit matching entries (all with limit 0), oldest first. */
int sq_audit_list(struct sk_store *st, const struct sk_audit_filter *f,
		  int (*fn)(const struct sk_audit *, void *), void *arg)
{
	return sq_list(st, sizeof(struct sk_audit), audit_list_row, &fn, arg,
		       "SELECT * FROM (SELECT id, time, type, actor, user, device, source, result,"
		       " detail FROM audit WHERE (?1 = 0 OR time >= ?1) AND (?2 = 0 OR time <= ?2)"
		       " AND (?3 IS NULL OR user = ?3) AND (?4 IS NULL OR device = ?4)"
		       " AND (?5 IS NULL OR type = ?5) ORDER BY time DESC, id DESC LIMIT ?6)"
		       " ORDER BY time, id",
		       "iinnnd", f->since, f->until, f->user, f->device, f->type,
		       f->limit > 0 ? f->limit : -1);
}
