// SPDX-License-Identifier: GPL-2.0
/* Sessions, address leases, the audit log. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "store_db.h"

#define SESSION_COLS \
	"SELECT id, cookie_hash, \"user\", grp, device, addr4, addr6, remote, started, last_seen," \
	" expires, rx_bytes, tx_bytes, pid, killed, gateway, quarantine, quarantine_why," \
	" rx_packets, tx_packets FROM sessions "

static void session_row(struct db_stmt *s, void *obj)
{
	struct sk_session *x = obj;

	memset(x, 0, sizeof(*x));
	x->id = db_i64(s, 0);
	db_blob(s, 1, x->cookie_hash, 32);
	db_text(s, 2, x->user, sizeof(x->user));
	db_text(s, 3, x->group, sizeof(x->group));
	db_text(s, 4, x->device, sizeof(x->device));
	db_text(s, 5, x->addr4, sizeof(x->addr4));
	db_text(s, 6, x->addr6, sizeof(x->addr6));
	db_text(s, 7, x->remote, sizeof(x->remote));
	x->started = db_i64(s, 8);
	x->last_seen = db_i64(s, 9);
	x->expires = db_i64(s, 10);
	x->rx_bytes = (uint64_t)db_i64(s, 11);
	x->tx_bytes = (uint64_t)db_i64(s, 12);
	x->pid = db_int(s, 13);
	x->killed = db_int(s, 14);
	db_text(s, 15, x->gateway, sizeof(x->gateway));
	db_text(s, 16, x->quarantine, sizeof(x->quarantine));
	db_text(s, 17, x->quarantine_why, sizeof(x->quarantine_why));
	x->rx_pkts = (uint64_t)db_i64(s, 18);
	x->tx_pkts = (uint64_t)db_i64(s, 19);
}

int db_session_add(struct sk_store *st, struct sk_session *x)
{
	int64_t id;
	int rc;

	/* ids are kernel peer ids (u32): AUTOINCREMENT never reuses one, and
	 * the store refuses to go past the u32 range rather than wrap */
	rc = db_exec_id(st, &id, "INSERT INTO sessions (cookie_hash, \"user\", grp, device, addr4,"
		     " addr6, remote, started, last_seen, expires, rx_bytes, tx_bytes, pid, killed,"
		     " gateway, quarantine, quarantine_why, rx_packets, tx_packets) VALUES (?1, ?2, ?3,"
		     " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
		     " RETURNING id",
		     "bttttttiiiiiddtttii", x->cookie_hash, x->user, x->group, x->device, x->addr4,
		     x->addr6, x->remote, x->started, x->last_seen, x->expires,
		     (int64_t)x->rx_bytes, (int64_t)x->tx_bytes, x->pid, (int)x->killed, x->gateway,
		     x->quarantine, x->quarantine_why, (int64_t)x->rx_pkts, (int64_t)x->tx_pkts);
	if (rc < 0)
		return rc;
	if (id > 0xffffffffLL) {
		db_exec(st, "DELETE FROM sessions WHERE id = ?1", "i", id);
		return -ENOSPC;
	}
	x->id = id;
	return 0;
}

int db_session_get(struct sk_store *st, int64_t id, struct sk_session *x)
{
	return db_get(st, session_row, x, SESSION_COLS "WHERE id = ?1", "i", id);
}

int db_session_find(struct sk_store *st, const uint8_t cookie_hash[32], struct sk_session *x)
{
	return db_get(st, session_row, x, SESSION_COLS "WHERE cookie_hash = ?1", "b",
		      cookie_hash);
}

int db_session_update(struct sk_store *st, const struct sk_session *x)
{
	int rc;

	/* a kill must survive a power loss: the cookie stays invalid
	 * (PostgreSQL: committed before this returns, synchronous_commit) */
	if (x->killed)
		db_durable(st, true);
	rc = db_exec(st, "UPDATE sessions SET \"user\" = ?2, grp = ?3, device = ?4, addr4 = ?5,"
		     " addr6 = ?6, remote = ?7, started = ?8, last_seen = ?9, expires = ?10,"
		     " rx_bytes = ?11, tx_bytes = ?12, pid = ?13, killed = ?14,"
		     " gateway = CASE WHEN ?15 = '' THEN gateway ELSE ?15 END,"
		     " quarantine = ?16, quarantine_why = ?17, rx_packets = ?18, tx_packets = ?19"
		     " WHERE id = ?1",
		     "ittttttiiiiiddtttii", x->id, x->user, x->group, x->device, x->addr4, x->addr6,
		     x->remote, x->started, x->last_seen, x->expires, (int64_t)x->rx_bytes,
		     (int64_t)x->tx_bytes, x->pid, (int)x->killed, x->gateway, x->quarantine,
		     x->quarantine_why, (int64_t)x->rx_pkts, (int64_t)x->tx_pkts);
	if (x->killed)
		db_durable(st, false);
	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

int db_session_del(struct sk_store *st, int64_t id)
{
	int rc = db_exec(st, "DELETE FROM sessions WHERE id = ?1", "i", id);

	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

DB_LIST_ROW(session_list_row, struct sk_session, session_row)

int db_session_list(struct sk_store *st, int (*fn)(const struct sk_session *, void *), void *arg)
{
	return db_list(st, sizeof(struct sk_session), session_list_row, &fn, arg,
		       SESSION_COLS "ORDER BY id", NULL);
}

/* ---- leases ---- */

int db_lease_get(struct sk_store *st, const char *user, int family, char *addr, size_t len)
{
	return db_str(st, addr, len, "SELECT addr FROM leases WHERE \"user\" = ?1 AND family = ?2",
		      "td", user, family);
}

int db_lease_set(struct sk_store *st, const char *user, int family, const char *addr)
{
	/* UNIQUE (family, addr): -EEXIST when another user holds addr */
	int rc = db_exec(st, "INSERT INTO leases (\"user\", family, addr) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (\"user\", family) DO UPDATE SET addr = excluded.addr",
			 "tdt", user, family, addr);

	return rc < 0 ? rc : 0;
}

int db_lease_taken(struct sk_store *st, int family, const char *addr, const char *other_than)
{
	int64_t n;
	int rc = db_int_query(st, &n, "SELECT count(*) FROM leases WHERE family = ?1 AND addr = ?2"
			" AND \"user\" != ?3", "dtt", family, addr, other_than);

	return rc ? rc : n > 0;
}

int db_session_claim_addr(struct sk_store *st, int64_t id, int family, const char *addr)
{
	/* one statement: the unique index on the column decides (-EEXIST),
	 * never a check and then a write that another gateway can pass
	 * between */
	int rc = db_exec(st, family == AF_INET6 ? "UPDATE sessions SET addr6 = ?2 WHERE id = ?1" :
			 "UPDATE sessions SET addr4 = ?2 WHERE id = ?1", "it", id, addr);

	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

int db_session_count(struct sk_store *st, const char *user, int64_t *n)
{
	return db_int_query(st, n, "SELECT count(*) FROM sessions WHERE \"user\" = ?1 AND killed = 0",
			    "t", user);
}

/* ---- gateways: heartbeats ---- */

int db_gateway_beat(struct sk_store *st, const char *name, int64_t started, int64_t now)
{
	int rc = db_exec(st, "INSERT INTO gateways (name, started, seen) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (name) DO UPDATE SET started = excluded.started,"
			 " seen = excluded.seen", "tii", name, started, now);

	return rc < 0 ? rc : 0;
}

#define REAP_MAX	32	/* silent gateways handled per call (the rest: next call) */

struct silent {
	int n;
	struct {
		char name[SK_NAME_MAX + 1];
		int64_t seen;
	} g[REAP_MAX];
};

struct silent_row {
	char name[SK_NAME_MAX + 1];
	int64_t seen;
};

static void silent_decode(struct db_stmt *s, void *obj)
{
	struct silent_row *r = obj;

	db_text(s, 0, r->name, sizeof(r->name));
	r->seen = db_i64(s, 1);
}

DB_LIST_ROW(silent_list_row, struct silent_row, silent_decode)

static int silent_add(const struct silent_row *r, void *arg)
{
	struct silent *sl = arg;

	if (sl->n >= REAP_MAX)
		return 1;
	snprintf(sl->g[sl->n].name, sizeof(sl->g[sl->n].name), "%s", r->name);
	sl->g[sl->n].seen = r->seen;
	sl->n++;
	return 0;
}

int db_gateway_reap(struct sk_store *st, const char *self, int64_t before, int64_t now,
		    int (*fn)(const char *gateway, int64_t seen, int n, void *arg), void *arg)
{
	int (*add)(const struct silent_row *, void *) = silent_add;
	struct silent sl = { 0 };
	int rc;

	/* only gateways with sessions: a gateway that stopped for good and
	 * has none left stays in the table, silent, costing nothing */
	rc = db_list(st, sizeof(struct silent_row), silent_list_row, &add, &sl,
		     "SELECT name, seen FROM gateways WHERE name != ?1 AND seen < ?2"
		     " AND EXISTS (SELECT 1 FROM sessions WHERE gateway = gateways.name)"
		     " ORDER BY name", "ti", self, before);
	if (rc < 0)
		return rc;
	for (int i = 0; i < sl.n; i++) {
		/* the beat is read again in the statement: a gateway that beat
		 * since the SELECT keeps its rows */
		rc = db_exec(st, "UPDATE sessions SET gateway = ?1,"
			     " last_seen = CASE WHEN pid != 0 THEN ?4 ELSE last_seen END, pid = 0"
			     " WHERE gateway = ?2 AND (SELECT seen FROM gateways WHERE name = ?2) < ?3",
			     "ttii", self, sl.g[i].name, before, now);
		if (rc < 0)
			return rc;
		if (rc > 0 && fn && fn(sl.g[i].name, sl.g[i].seen, rc, arg))
			break;
	}
	return 0;
}

/* ---- audit ---- */

int db_audit_add(struct sk_store *st, const struct sk_audit *a)
{
	int rc = db_exec(st, "INSERT INTO audit (time, type, actor, \"user\", device, source, result,"
			 " detail, gateway) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", "itttttttt",
			 a->time, a->type, a->actor, a->user, a->device, a->source, a->result,
			 a->detail, a->gateway);

	return rc < 0 ? rc : 0;
}

static void audit_row(struct db_stmt *s, void *obj)
{
	struct sk_audit *a = obj;

	memset(a, 0, sizeof(*a));
	a->id = db_i64(s, 0);
	a->time = db_i64(s, 1);
	db_text(s, 2, a->type, sizeof(a->type));
	db_text(s, 3, a->actor, sizeof(a->actor));
	db_text(s, 4, a->user, sizeof(a->user));
	db_text(s, 5, a->device, sizeof(a->device));
	db_text(s, 6, a->source, sizeof(a->source));
	db_text(s, 7, a->result, sizeof(a->result));
	db_text(s, 8, a->detail, sizeof(a->detail));
	db_text(s, 9, a->gateway, sizeof(a->gateway));
}

DB_LIST_ROW(audit_list_row, struct sk_audit, audit_row)

#define AUDIT_NEWEST \
	"SELECT * FROM (SELECT id, time, type, actor, \"user\", device, source, result," \
	" detail, gateway FROM audit WHERE (?1 = 0 OR time >= ?1) AND (?2 = 0 OR time <= ?2)" \
	" AND (CAST(?3 AS TEXT) IS NULL OR \"user\" = ?3)" \
	" AND (CAST(?4 AS TEXT) IS NULL OR device = ?4)" \
	" AND (CAST(?5 AS TEXT) IS NULL OR type = ?5) AND (?7 = 0 OR id > ?7)" \
	" ORDER BY time DESC, id DESC "

/* no limit: SQLite takes LIMIT -1, PostgreSQL LIMIT NULL */
static const char *const audit_list_sql[] = {
	[SK_DIALECT_SQLITE] = AUDIT_NEWEST "LIMIT ?6) a ORDER BY time, id",
	[SK_DIALECT_PG] = AUDIT_NEWEST "LIMIT NULLIF(CAST(?6 AS BIGINT), -1)) a ORDER BY time, id",
};

/* The records older than before, on the index audit_time. */
int db_audit_prune(struct sk_store *st, int64_t before, int64_t *deleted)
{
	int rc;

	db_durable(st, true);
	rc = db_exec(st, "DELETE FROM audit WHERE time < ?1", "i", before);
	db_durable(st, false);
	if (rc < 0)
		return rc;
	*deleted = rc;
	return 0;
}

/* The newest f->limit matching entries (all with limit 0), oldest first. */
int db_audit_list(struct sk_store *st, const struct sk_audit_filter *f,
		  int (*fn)(const struct sk_audit *, void *), void *arg)
{
	return db_list(st, sizeof(struct sk_audit), audit_list_row, &fn, arg,
		       db_sql(st, audit_list_sql), "iinnndi", f->since, f->until, f->user, f->device, f->type,
		       f->limit > 0 ? f->limit : -1, f->after_id);
}
