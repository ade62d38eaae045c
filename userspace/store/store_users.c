// SPDX-License-Identifier: GPL-2.0
/* Users, per-source failure counts, settings. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_db.h"

#define USER_COLS \
	"SELECT u.id, u.name, u.email, g.name, u.pw_hash, u.must_change_pw, u.enabled," \
	" u.locked, u.locked_until, u.fail_count, u.valid_from, u.valid_until," \
	 " u.totp_secret, u.totp_last_step, u.cert_id, u.lang, u.created, u.changed," \
	" u.uid, u.legacy_certs, u.lock_count, u.display_name" \
	" FROM users u JOIN groups g ON g.id = u.group_id "

static void user_row(struct db_stmt *s, void *obj)
{
	struct sk_user *u = obj;

	memset(u, 0, sizeof(*u));
	u->id = db_i64(s, 0);
	db_text(s, 1, u->name, sizeof(u->name));
	db_text(s, 2, u->email, sizeof(u->email));
	db_text(s, 3, u->group, sizeof(u->group));
	db_text(s, 4, u->pw_hash, sizeof(u->pw_hash));
	u->must_change_pw = db_int(s, 5);
	u->enabled = db_int(s, 6);
	u->locked = db_int(s, 7);
	u->locked_until = db_i64(s, 8);
	u->fail_count = db_int(s, 9);
	u->valid_from = db_i64(s, 10);
	u->valid_until = db_i64(s, 11);
	db_text(s, 12, u->totp_secret, sizeof(u->totp_secret));
	u->totp_last_step = db_i64(s, 13);
	db_text(s, 14, u->cert_id, sizeof(u->cert_id));
	u->lang = (enum sk_lang)db_int(s, 15);
	u->created = db_i64(s, 16);
	u->changed = db_i64(s, 17);
	db_text(s, 18, u->uid, sizeof(u->uid));
	u->legacy_certs = db_int(s, 19);
	u->lock_count = db_int(s, 20);
	db_text(s, 21, u->display_name, sizeof(u->display_name));
}

static int group_id(struct sk_store *st, const char *group, int64_t *gid, char *err, size_t errlen)
{
	int rc = db_id_by_name(st, "groups", group, gid);

	if (rc == -ENOENT)
		sk_err(err, errlen, "group: no group named '%s'", group);
	else if (rc)
		sk_err(err, errlen, "group: %s", st->errmsg);
	return rc;
}

int db_user_add(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen)
{
	int64_t gid, now = time(NULL);
	int rc;

	if ((rc = group_id(st, u->group, &gid, err, errlen)))
		return rc;
	rc = db_exec(st,
		     "INSERT INTO users (name, email, group_id, pw_hash, must_change_pw, enabled,"
		     " locked, locked_until, fail_count, valid_from, valid_until, totp_secret,"
		     " totp_last_step, cert_id, lang, created, changed, uid, display_name)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16,"
		     " ?17, ?18)",
		     "ttitdddidiititditt", u->name, u->email, gid, u->pw_hash, (int)u->must_change_pw,
		     (int)u->enabled, (int)u->locked, u->locked_until, u->fail_count, u->valid_from,
		     u->valid_until, u->totp_secret, u->totp_last_step, u->cert_id, (int)u->lang, now,
		     u->uid, u->display_name);
	if (rc == -EEXIST)
		sk_err(err, errlen, "name: a user named '%s' already exists", u->name);
	else if (rc < 0)
		sk_err(err, errlen, "user %s: %s", u->name, st->errmsg);
	return rc < 0 ? rc : 0;
}

int db_user_get(struct sk_store *st, const char *name, struct sk_user *u)
{
	return db_get(st, user_row, u, USER_COLS "WHERE u.name = ?1", "t", name);
}

int db_user_update(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen)
{
	int64_t gid;
	int rc;

	if ((rc = group_id(st, u->group, &gid, err, errlen)))
		return rc;
	db_durable(st, true);	/* may unlock, disable or change credentials */
	rc = db_exec(st,
		     "UPDATE users SET email = ?2, group_id = ?3, pw_hash = ?4, must_change_pw = ?5,"
		     " enabled = ?6, locked = ?7, locked_until = ?8, fail_count = ?9,"
		     " valid_from = ?10, valid_until = ?11, totp_secret = ?12, totp_last_step = ?13,"
		     " cert_id = ?14, lang = ?15, changed = ?16, display_name = ?17 WHERE name = ?1",
		     "ttitdddidiititdit", u->name, u->email, gid, u->pw_hash, (int)u->must_change_pw,
		     (int)u->enabled, (int)u->locked, u->locked_until, u->fail_count, u->valid_from,
		     u->valid_until, u->totp_secret, u->totp_last_step, u->cert_id, (int)u->lang,
		     (int64_t)time(NULL), u->display_name);
	db_durable(st, false);
	if (rc == 0) {
		sk_err(err, errlen, "name: no user named '%s'", u->name);
		return -ENOENT;
	}
	if (rc < 0)
		sk_err(err, errlen, "user %s: %s", u->name, st->errmsg);
	return rc < 0 ? rc : 0;
}

static int user_del_tx(struct sk_store *st, const char *name)
{
	int rc;

	/* what was issued to the user dies with it: a certificate or a
	 * profile link must never serve a later user of the same name */
	rc = db_revoke_for_tx(st, name, NULL, NULL, 0, time(NULL));
	/* leases are keyed by name: drop them with the user so that a new
	 * user of the same name does not inherit the old one's address */
	if (rc >= 0)
		rc = db_exec(st, "DELETE FROM leases WHERE \"user\" = ?1", "t", name);
	if (rc >= 0)
		rc = db_exec(st, "DELETE FROM users WHERE name = ?1", "t", name);
	if (rc == 0)
		return -ENOENT;
	return rc < 0 ? rc : 0;
}

int db_user_del(struct sk_store *st, const char *name)
{
	int rc;

	db_durable(st, true);
	if ((rc = sk_store_tx_begin(st)) == 0)
		rc = sk_store_tx_end(st, user_del_tx(st, name));
	db_durable(st, false);
	return rc;
}

DB_LIST_ROW(user_list_row, struct sk_user, user_row)

int db_user_list(struct sk_store *st, int (*fn)(const struct sk_user *, void *), void *arg)
{
	return db_list(st, sizeof(struct sk_user), user_list_row, &fn, arg,
		       USER_COLS "ORDER BY u.name", NULL);
}

int db_user_success(struct sk_store *st, const char *name)
{
	int rc = db_exec(st, "UPDATE users SET fail_count = 0, lock_count = 0 WHERE name = ?1", "t",
			 name);

	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

int db_user_set_password(struct sk_store *st, const char *name, const char *hash, bool must_change)
{
	int rc;

	db_durable(st, true);
	rc = db_exec(st, "UPDATE users SET pw_hash = ?2, must_change_pw = ?3, changed = ?4"
		     " WHERE name = ?1", "ttdi", name, hash, (int)must_change, (int64_t)time(NULL));
	db_durable(st, false);
	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

int db_user_totp_use(struct sk_store *st, const char *name, int64_t step)
{
	int64_t id;
	int rc;

	/* compare-and-set in one statement: a code is accepted once only,
	 * even when two logins race with the same code */
	rc = db_exec(st, "UPDATE users SET totp_last_step = ?2 WHERE name = ?1 AND totp_last_step < ?2",
		     "ti", name, step);
	if (rc > 0)
		return 0;
	if (rc < 0)
		return rc;
	rc = db_id_by_name(st, "users", name, &id);
	return rc ? rc : -EALREADY;
}

/* ---- login failures ---- */

/* The account part of a failure (inside the transaction). */
static int user_fail_tx(struct sk_store *st, const char *name, const struct sk_fail_policy *p,
			int64_t now, struct sk_fail_result *r)
{
	struct sk_user *u = &r->u;
	int64_t len;
	int rc;

	rc = db_get(st, user_row, u, USER_COLS "WHERE u.name = ?1", "t", name);
	if (rc)
		return rc == -ENOENT ? 0 : rc;	/* the same lookup for an unknown name */
	r->user_found = true;
	if (u->locked && (!u->locked_until || u->locked_until > now))
		return 0;	/* during a lock: neither counted nor extended */
	if (u->locked) {	/* the lock has passed: a new count */
		u->locked = false;
		u->locked_until = 0;
		u->fail_count = 0;
	}
	u->fail_count++;
	if (p->lock_threshold > 0 && u->fail_count >= p->lock_threshold) {
		u->locked = true;
		u->lock_count++;
		if (p->lock_seconds > 0) {
			len = p->lock_seconds;
			for (int i = 1; i < u->lock_count && len < p->lock_max_seconds; i++)
				len *= 2;
			if (len > p->lock_max_seconds && p->lock_max_seconds >= p->lock_seconds)
				len = p->lock_max_seconds;
			u->locked_until = now + len;
		} else {
			u->locked_until = 0;
		}
		r->user_locked_now = true;
	}
	rc = db_exec(st, "UPDATE users SET fail_count = ?2, locked = ?3, locked_until = ?4,"
		     " lock_count = ?5, changed = ?6 WHERE id = ?1", "ididdi", u->id, u->fail_count,
		     (int)u->locked, u->locked_until, u->lock_count, now);
	return rc < 0 ? rc : 0;
}

static void source_row(struct db_stmt *s, void *obj)
{
	struct sk_source *src = obj;

	memset(src, 0, sizeof(*src));
	db_text(s, 0, src->prefix, sizeof(src->prefix));
	src->failures = db_int(s, 1);
	src->window_start = db_i64(s, 2);
	src->last_fail = db_i64(s, 3);
	src->blocked_until = db_i64(s, 4);
	src->blocks = db_int(s, 5);
}

#define SOURCE_COLS "SELECT prefix, failures, window_start, last_fail, blocked_until, blocks" \
	" FROM sources "

/* The source part of a failure (inside the transaction). */
static int source_fail_tx(struct sk_store *st, const char *key, const struct sk_fail_policy *p,
			  int64_t now, struct sk_fail_result *r)
{
	struct sk_source *s = &r->src;
	int window = p->src_window > 0 ? p->src_window : 600;
	int64_t n;
	int rc;

	/* rows nobody needs any more: no block, no failure within the window */
	rc = db_exec(st, "DELETE FROM sources WHERE blocked_until <= ?1 AND last_fail <= ?2", "ii",
		     now, now - window);
	if (rc < 0)
		return rc;
	rc = db_get(st, source_row, s, SOURCE_COLS "WHERE prefix = ?1", "t", key);
	if (rc == -ENOENT) {
		rc = db_int_query(st, &n, "SELECT count(*) FROM sources", NULL);
		if (!rc && n >= SK_SOURCES_MAX)
			/* full: the unblocked source that failed longest ago
			 * makes room; another source's block is never dropped */
			rc = db_exec(st, "DELETE FROM sources WHERE prefix IN (SELECT prefix FROM"
				     " sources WHERE blocked_until <= ?1 ORDER BY last_fail LIMIT ?2)",
				     "ii", now, n - SK_SOURCES_MAX + 1);
		if (rc < 0)
			return rc;
		rc = db_int_query(st, &n, "SELECT count(*) FROM sources", NULL);
		if (rc)
			return rc;
		if (n >= SK_SOURCES_MAX)
			return 0;	/* every row is a block: not scored */
		memset(s, 0, sizeof(*s));
		snprintf(s->prefix, sizeof(s->prefix), "%s", key);
		s->window_start = now;
		rc = db_exec(st, "INSERT INTO sources (prefix, failures, window_start, last_fail)"
			     " VALUES (?1, 0, ?2, ?2)", "ti", key, now);
		if (rc < 0)
			return rc;
	} else if (rc) {
		return rc;
	}
	r->src_scored = true;
	if (now - s->window_start >= window) {
		s->window_start = now;
		s->failures = 0;
	}
	if (s->failures < 0x7fffffff)
		s->failures++;
	s->last_fail = now;
	if (!p->src_exempt && p->src_threshold > 0 && s->failures >= p->src_threshold &&
	    s->blocked_until <= now) {
		s->blocked_until = now + (p->src_block_seconds > 0 ? p->src_block_seconds : 900);
		s->blocks++;
		s->failures = 0;	/* the next block needs a full count again */
		s->window_start = now;
		r->src_blocked_now = true;
	}
	rc = db_exec(st, "UPDATE sources SET failures = ?2, window_start = ?3, last_fail = ?4,"
		     " blocked_until = ?5, blocks = ?6 WHERE prefix = ?1", "tdiiid", key,
		     s->failures, s->window_start, s->last_fail, s->blocked_until, s->blocks);
	return rc < 0 ? rc : 0;
}

int db_login_fail(struct sk_store *st, const char *user, const char *key,
		  const struct sk_fail_policy *p, int64_t now, struct sk_fail_result *r)
{
	int rc;

	/* One transaction (BEGIN IMMEDIATE: two processes counting for the
	 * same user or source never lose one), durable: a lock must survive
	 * a power loss.  Known and unknown names take the same path: one
	 * lookup, and the source row written in both cases. */
	db_durable(st, true);
	if ((rc = sk_store_tx_begin(st)))
		goto out;
	if (user)
		rc = user_fail_tx(st, user, p, now, r);
	if (!rc && key)
		rc = source_fail_tx(st, key, p, now, r);
	rc = sk_store_tx_end(st, rc);
out:
	db_durable(st, false);
	return rc;
}

int db_source_get(struct sk_store *st, const char *key, struct sk_source *s)
{
	return db_get(st, source_row, s, SOURCE_COLS "WHERE prefix = ?1", "t", key);
}

DB_LIST_ROW(source_list_row, struct sk_source, source_row)

int db_source_list(struct sk_store *st, int (*fn)(const struct sk_source *, void *), void *arg)
{
	return db_list(st, sizeof(struct sk_source), source_list_row, &fn, arg,
		       SOURCE_COLS "ORDER BY last_fail DESC, prefix", NULL);
}

int db_source_del(struct sk_store *st, const char *key)
{
	int rc;

	db_durable(st, true);
	rc = db_exec(st, "DELETE FROM sources WHERE prefix = ?1", "t", key);
	db_durable(st, false);
	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

int db_setting_get(struct sk_store *st, const char *key, char *val, size_t len)
{
	return db_str(st, val, len, "SELECT value FROM settings WHERE key = ?1", "t", key);
}

int db_setting_set(struct sk_store *st, const char *key, const char *val)
{
	int rc = db_exec(st, "INSERT INTO settings (key, value) VALUES (?1, ?2)"
			 " ON CONFLICT (key) DO UPDATE SET value = excluded.value", "tt", key, val);

	return rc < 0 ? rc : 0;
}
