// SPDX-License-Identifier: GPL-2.0
/* Devices and their assignment, certificates, profile links. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "store_db.h"

#define DEVICE_COLS \
	"SELECT d.id, d.name, d.type, d.enabled, d.check_on, d.method, d.ident," \
	" coalesce(p.name, ''), coalesce(u.name, '')" \
	" FROM devices d LEFT JOIN policies p ON p.id = d.policy_id" \
	" LEFT JOIN users u ON u.id = d.user_id "

static void device_row(struct db_stmt *s, void *obj)
{
	struct sk_device *d = obj;

	memset(d, 0, sizeof(*d));
	d->id = db_i64(s, 0);
	db_text(s, 1, d->name, sizeof(d->name));
	d->type = (enum sk_device_type)db_int(s, 2);
	d->enabled = db_int(s, 3);
	d->check = db_int(s, 4);
	d->method = (enum sk_device_method)db_int(s, 5);
	db_text(s, 6, d->ident, sizeof(d->ident));
	db_text(s, 7, d->policy, sizeof(d->policy));
	db_text(s, 8, d->user, sizeof(d->user));
}

int db_device_get(struct sk_store *st, const char *name, struct sk_device *d)
{
	return db_get(st, device_row, d, DEVICE_COLS "WHERE d.name = ?1", "t", name);
}

/* May user (uid) take one more device (other than device id self)? */
static int room_for(struct sk_store *st, const char *user, int64_t uid, int64_t self, char *err,
		    size_t errlen)
{
	int64_t n, max;
	int rc;

	rc = db_int_query(st, &max, "SELECT g.max_devices FROM users u JOIN groups g ON g.id = u.group_id"
		    " WHERE u.id = ?1", "i", uid);
	if (!rc)
		rc = db_int_query(st, &n, "SELECT count(*) FROM devices WHERE user_id = ?1 AND id != ?2",
			    "ii", uid, self);
	if (rc)
		return rc;
	if (n >= max) {
		sk_err(err, errlen, "user '%s' already has %lld device(s), the group's max_devices",
		       user, (long long)n);
		return -ENOSPC;
	}
	return 0;
}

/* Resolves the policy and user names of d; uid 0 = no user. */
static int device_refs(struct sk_store *st, const struct sk_device *d, int64_t *uid, char *err,
		       size_t errlen)
{
	int64_t pid;
	int rc;

	*uid = 0;
	if (d->policy[0] && (rc = db_id_by_name(st, "policies", d->policy, &pid))) {
		if (rc == -ENOENT)
			sk_err(err, errlen, "policy: no policy named '%s'", d->policy);
		return rc;
	}
	if (d->user[0] && (rc = db_id_by_name(st, "users", d->user, uid))) {
		if (rc == -ENOENT)
			sk_err(err, errlen, "user: no user named '%s'", d->user);
		return rc;
	}
	return 0;
}

static int device_add_tx(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen)
{
	int64_t uid;
	int rc;

	if ((rc = device_refs(st, d, &uid, err, errlen)))
		return rc;
	if (uid && (rc = room_for(st, d->user, uid, 0, err, errlen)))
		return rc;
	rc = db_exec(st, "INSERT INTO devices (name, type, enabled, check_on, method, ident,"
		     " policy_id, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		     " (SELECT id FROM policies WHERE name = ?7), (SELECT id FROM users WHERE name = ?8))",
		     "tddddtnn", d->name, (int)d->type, (int)d->enabled, (int)d->check, (int)d->method,
		     d->ident, d->policy, d->user);
	if (rc == -EEXIST)
		sk_err(err, errlen, "name: a device named '%s' already exists", d->name);
	return rc < 0 ? rc : 0;
}

int db_device_add(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	rc = sk_store_tx_end(st, device_add_tx(st, d, err, errlen));
	if (rc == -EIO)
		sk_err(err, errlen, "device %s: %s", d->name, st->errmsg);
	return rc;
}

static int device_update_tx(struct sk_store *st, const struct sk_device *d, char *err,
			    size_t errlen)
{
	struct sk_device cur;
	int64_t uid;
	int rc;

	if ((rc = db_device_get(st, d->name, &cur))) {
		if (rc == -ENOENT)
			sk_err(err, errlen, "name: no device named '%s'", d->name);
		return rc;
	}
	if ((rc = device_refs(st, d, &uid, err, errlen)))
		return rc;
	if (uid && strcmp(cur.user, d->user) && (rc = room_for(st, d->user, uid, cur.id, err, errlen)))
		return rc;
	rc = db_exec(st, "UPDATE devices SET type = ?2, enabled = ?3, check_on = ?4, method = ?5,"
		     " ident = ?6, policy_id = (SELECT id FROM policies WHERE name = ?7),"
		     " user_id = (SELECT id FROM users WHERE name = ?8) WHERE name = ?1",
		     "tddddtnn", d->name, (int)d->type, (int)d->enabled, (int)d->check, (int)d->method,
		     d->ident, d->policy, d->user);
	return rc < 0 ? rc : 0;
}

int db_device_update(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	rc = sk_store_tx_end(st, device_update_tx(st, d, err, errlen));
	if (rc == -EIO)
		sk_err(err, errlen, "device %s: %s", d->name, st->errmsg);
	return rc;
}

static int device_del_tx(struct sk_store *st, const char *name)
{
	struct sk_device d;
	int rc;

	if ((rc = db_device_get(st, name, &d)))
		return rc;
	if (d.user[0])
		return -EBUSY;
	/* certificates and links of the device, whoever had it */
	rc = db_revoke_for_tx(st, NULL, name, NULL, 0, time(NULL));
	if (rc >= 0)
		rc = db_exec(st, "DELETE FROM devices WHERE id = ?1", "i", d.id);
	return rc < 0 ? rc : 0;
}

int db_device_del(struct sk_store *st, const char *name)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	return sk_store_tx_end(st, device_del_tx(st, name));
}

DB_LIST_ROW(device_list_row, struct sk_device, device_row)

int db_device_list(struct sk_store *st, const char *user,
		   int (*fn)(const struct sk_device *, void *), void *arg)
{
	if (user)
		return db_list(st, sizeof(struct sk_device), device_list_row, &fn, arg,
			       DEVICE_COLS "WHERE u.name = ?1 ORDER BY d.name", "t", user);
	return db_list(st, sizeof(struct sk_device), device_list_row, &fn, arg,
		       DEVICE_COLS "ORDER BY d.name", NULL);
}

static int assign_tx(struct sk_store *st, const char *user, const char *device, char *err,
		     size_t errlen)
{
	struct sk_device d;
	int64_t uid;
	int rc;

	if ((rc = db_device_get(st, device, &d))) {
		if (rc == -ENOENT)
			sk_err(err, errlen, "device: no device named '%s'", device);
		return rc;
	}
	if ((rc = db_id_by_name(st, "users", user, &uid))) {
		if (rc == -ENOENT)
			sk_err(err, errlen, "user: no user named '%s'", user);
		return rc;
	}
	if (!strcmp(d.user, user))
		return 0;
	if (d.user[0]) {
		sk_err(err, errlen, "device: '%s' is already assigned to '%s'", device, d.user);
		return -EBUSY;
	}
	if ((rc = room_for(st, user, uid, d.id, err, errlen)))
		return rc;
	rc = db_exec(st, "UPDATE devices SET user_id = ?2 WHERE id = ?1", "ii", d.id, uid);
	return rc < 0 ? rc : 0;
}

int db_device_assign(struct sk_store *st, const char *user, const char *device, char *err,
		     size_t errlen)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	rc = sk_store_tx_end(st, assign_tx(st, user, device, err, errlen));
	if (rc == -EIO)
		sk_err(err, errlen, "device %s: %s", device, st->errmsg);
	return rc;
}

static int unassign_tx(struct sk_store *st, const char *user, const char *device)
{
	int rc = db_exec(st, "UPDATE devices SET user_id = NULL WHERE name = ?2"
			 " AND user_id = (SELECT id FROM users WHERE name = ?1)", "tt", user, device);

	if (rc == 0)
		return -ENOENT;
	/* the user's certificate for this device goes with the device */
	if (rc > 0)
		rc = db_revoke_for_tx(st, user, device, NULL, 0, time(NULL));
	return rc < 0 ? rc : 0;
}

int db_device_unassign(struct sk_store *st, const char *user, const char *device)
{
	int rc;

	db_durable(st, true);
	if ((rc = sk_store_tx_begin(st)) == 0)
		rc = sk_store_tx_end(st, unassign_tx(st, user, device));
	db_durable(st, false);
	return rc;
}

/* ---- certificates ---- */

#define CERT_COLS \
	"SELECT id, serial, \"user\", device, subject, not_before, not_after, revoked_at, user_uid" \
	" FROM certs "

/* Serials compare without case: SQLite's column is COLLATE NOCASE (and its
 * unique index with it), PostgreSQL's unique index is on lower(serial). */
static const char *const cert_by_serial[] = {
	[SK_DIALECT_SQLITE] = CERT_COLS "WHERE serial = ?1",
	[SK_DIALECT_PG] = CERT_COLS "WHERE lower(serial) = lower(?1)",
};
static const char *const cert_revoke_sql[] = {
	[SK_DIALECT_SQLITE] = "UPDATE certs SET revoked_at = ?2 WHERE serial = ?1 AND revoked_at = 0",
	[SK_DIALECT_PG] = "UPDATE certs SET revoked_at = ?2 WHERE lower(serial) = lower(?1)"
			  " AND revoked_at = 0",
};
static const char *const revoke_for_sql[] = {
	[SK_DIALECT_SQLITE] = "UPDATE certs SET revoked_at = ?4 WHERE (?1 IS NULL OR \"user\" = ?1)"
			      " AND (?2 IS NULL OR device = ?2) AND revoked_at = 0 AND serial <> ?3",
	[SK_DIALECT_PG] = "UPDATE certs SET revoked_at = ?4 WHERE (?1::text IS NULL OR \"user\" = ?1)"
			  " AND (?2::text IS NULL OR device = ?2) AND revoked_at = 0"
			  " AND lower(serial) <> lower(?3)",
};

static void cert_row(struct db_stmt *s, void *obj)
{
	struct sk_cert *c = obj;

	memset(c, 0, sizeof(*c));
	c->id = db_i64(s, 0);
	db_text(s, 1, c->serial, sizeof(c->serial));
	db_text(s, 2, c->user, sizeof(c->user));
	db_text(s, 3, c->device, sizeof(c->device));
	db_text(s, 4, c->subject, sizeof(c->subject));
	c->not_before = db_i64(s, 5);
	c->not_after = db_i64(s, 6);
	c->revoked_at = db_i64(s, 7);
	db_text(s, 8, c->user_uid, sizeof(c->user_uid));
}

int db_cert_add(struct sk_store *st, const struct sk_cert *c)
{
	int rc = db_exec(st, "INSERT INTO certs (serial, \"user\", device, subject, not_before,"
			 " not_after, revoked_at, user_uid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			 "ttttiiit", c->serial, c->user, c->device, c->subject, c->not_before,
			 c->not_after, c->revoked_at, c->user_uid);

	return rc < 0 ? rc : 0;
}

int db_cert_get(struct sk_store *st, const char *serial, struct sk_cert *c)
{
	return db_get(st, cert_row, c, db_sql(st, cert_by_serial), "t", serial);
}

int db_cert_revoke(struct sk_store *st, const char *serial, int64_t when)
{
	struct sk_cert c;
	int rc;

	db_durable(st, true);
	rc = db_exec(st, db_sql(st, cert_revoke_sql), "ti", serial, when);
	db_durable(st, false);
	if (rc)
		return rc < 0 ? rc : 0;
	/* the first revocation time stays: -EALREADY if it was revoked */
	rc = db_cert_get(st, serial, &c);
	return rc ? rc : -EALREADY;
}

/* user or device may be NULL (any); ?3 keep_serial ('' = none), ?4 keep_profile */
int db_revoke_for_tx(struct sk_store *st, const char *user, const char *device,
		     const char *keep_serial, int64_t keep_profile, int64_t when)
{
	int n, rc;

	/* 'n' binds "" as NULL: any user, any device */
	n = db_exec(st, db_sql(st, revoke_for_sql),
		    "nnti", user ? user : "", device ? device : "", keep_serial ? keep_serial : "",
		    when);
	if (n < 0)
		return n;
	rc = db_exec(st, "UPDATE profiles SET state = ?3 WHERE (CAST(?1 AS TEXT) IS NULL OR \"user\" = ?1)"
		     " AND (CAST(?2 AS TEXT) IS NULL OR device = ?2) AND state <> ?3 AND id <> ?4",
		     "nndi", user ? user : "", device ? device : "", (int)SK_PROFILE_EXPIRED,
		     keep_profile);
	return rc < 0 ? rc : n;
}

int db_cert_revoke_for(struct sk_store *st, const char *user, const char *device,
		       const char *keep_serial, int64_t keep_profile, int64_t when)
{
	int rc, end;

	db_durable(st, true);
	if ((rc = sk_store_tx_begin(st)) == 0) {
		rc = db_revoke_for_tx(st, user, device, keep_serial, keep_profile, when);
		end = sk_store_tx_end(st, rc < 0 ? rc : 0);
		rc = end ? end : rc;
	}
	db_durable(st, false);
	return rc;
}

DB_LIST_ROW(cert_list_row, struct sk_cert, cert_row)

int db_cert_list(struct sk_store *st, const char *user, int (*fn)(const struct sk_cert *, void *),
		 void *arg)
{
	if (user)
		return db_list(st, sizeof(struct sk_cert), cert_list_row, &fn, arg,
			       CERT_COLS "WHERE \"user\" = ?1 ORDER BY id", "t", user);
	return db_list(st, sizeof(struct sk_cert), cert_list_row, &fn, arg,
		       CERT_COLS "ORDER BY id", NULL);
}

/* ---- profile links ---- */

#define PROFILE_COLS \
	"SELECT id, \"user\", device, token_hash, expires, max_downloads, downloads, state, created" \
	" FROM profiles "

static void profile_row(struct db_stmt *s, void *obj)
{
	struct sk_profile *p = obj;

	memset(p, 0, sizeof(*p));
	p->id = db_i64(s, 0);
	db_text(s, 1, p->user, sizeof(p->user));
	db_text(s, 2, p->device, sizeof(p->device));
	db_blob(s, 3, p->token_hash, 32);
	p->expires = db_i64(s, 4);
	p->max_downloads = db_int(s, 5);
	p->downloads = db_int(s, 6);
	p->state = (enum sk_profile_state)db_int(s, 7);
	p->created = db_i64(s, 8);
}

int db_profile_add(struct sk_store *st, struct sk_profile *p)
{
	int rc = db_exec_id(st, &p->id, "INSERT INTO profiles (\"user\", device, token_hash, expires,"
			 " max_downloads, downloads, state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
			 " ?7, ?8) RETURNING id",
			 "ttbidddi", p->user, p->device, p->token_hash, p->expires, p->max_downloads,
			 p->downloads, (int)p->state, p->created);

	return rc < 0 ? rc : 0;
}

int db_profile_find(struct sk_store *st, const uint8_t token_hash[32], struct sk_profile *p)
{
	return db_get(st, profile_row, p, PROFILE_COLS "WHERE token_hash = ?1", "b", token_hash);
}

int db_profile_update(struct sk_store *st, const struct sk_profile *p)
{
	int rc = db_exec(st, "UPDATE profiles SET \"user\" = ?2, device = ?3, expires = ?4,"
			 " max_downloads = ?5, downloads = ?6, state = ?7 WHERE id = ?1", "ittiddd",
			 p->id, p->user, p->device, p->expires, p->max_downloads, p->downloads,
			 (int)p->state);

	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}

DB_LIST_ROW(profile_list_row, struct sk_profile, profile_row)

int db_profile_list(struct sk_store *st, int (*fn)(const struct sk_profile *, void *), void *arg)
{
	return db_list(st, sizeof(struct sk_profile), profile_list_row, &fn, arg,
		       PROFILE_COLS "ORDER BY id", NULL);
}
