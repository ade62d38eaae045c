/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to userspace/store/: the statement layer.  Each object family
 * (store_users.c, store_groups.c, store_devices.c, store_sessions.c,
 * store_posture.c, store_directory.c) is written once over it, with the
 * helpers of store_db.c; a backend (store_sqlite.c, store_pg.c) provides a
 * struct sk_db_ops and keeps only what is its own: open or connect,
 * locking, timeouts, transactions, the schema.
 *
 * SQL is written once, with numbered placeholders ?1, ?2, ... (the same
 * number may appear twice); the PostgreSQL side renumbers them to $1, $2.
 * Where the two dialects really differ, the statement keeps one string per
 * dialect next to it (db_sql()).  A new row id comes from RETURNING id,
 * which both engines understand.
 *
 * Errors: every backend maps its own codes to the -errno callers rely on:
 * a unique key -EEXIST, a foreign key -EBUSY, a check or NOT NULL -EINVAL,
 * a serialization failure or deadlock -EAGAIN (PostgreSQL), anything else
 * (busy or lock timeout, a lost connection) -EIO with st->errmsg set.
 *
 * The format letters of db_prep() and the helpers below say how each
 * vararg is bound:
 *   t  const char *        text
 *   n  const char *        text, or NULL when "" (nullable references)
 *   i  int64_t
 *   d  int
 *   b  const uint8_t *     32-byte blob (hashes)
 *   a  const uint8_t *     16-byte blob (addresses)
 */
#ifndef SK_STORE_DB_H
#define SK_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "store-impl.h"

/* One prepared statement; a backend's own statement begins with it. */
struct db_stmt {
	struct sk_store *st;
};

struct sk_db_ops {
	enum sk_dialect dialect;
	/* sql with ?N placeholders: 0 and *s, or -errno */
	int (*prepare)(struct sk_store *st, const char *sql, struct db_stmt **s);
	/* parameter i counts from 1 */
	int (*bind_i64)(struct db_stmt *s, int i, int64_t v);
	int (*bind_text)(struct db_stmt *s, int i, const char *v);
	int (*bind_blob)(struct db_stmt *s, int i, const void *v, size_t n);
	int (*bind_null)(struct db_stmt *s, int i);
	/* the next row: 1 a row, 0 done, or -errno */
	int (*step)(struct db_stmt *s);
	/* runs a write to its end: the rows changed (>= 0) or -errno; with
	 * id, the first row's first column (RETURNING id) into *id */
	int (*write)(struct db_stmt *s, int64_t *id);
	/* the current row's columns; text is "" for NULL and stays valid
	 * until the next step */
	int64_t (*col_i64)(struct db_stmt *s, int col);
	const char *(*col_text)(struct db_stmt *s, int col);
	size_t (*col_bytes)(struct db_stmt *s, int col);
	/* exactly n bytes into out, or zeros when the value is not n bytes */
	void (*col_blob)(struct db_stmt *s, int col, uint8_t *out, size_t n);
	bool (*col_null)(struct db_stmt *s, int col);
	void (*finalize)(struct db_stmt *s);
	/* SQLite: synchronous=FULL for the next commits outside a transaction
	 * (see db_durable); PostgreSQL: nothing (every commit is durable) */
	void (*durable)(struct sk_store *st, bool on);
};

static inline const struct sk_db_ops *db_ops(const struct sk_store *st)
{
	return st->ops->db;
}

static inline enum sk_dialect db_dialect(const struct sk_store *st)
{
	return db_ops(st)->dialect;
}

/* One statement in two dialects: { [SK_DIALECT_SQLITE] = ..., [SK_DIALECT_PG] = ... } */
#define db_sql(st, per_dialect) ((per_dialect)[db_dialect(st)])

/* ---- statements ---- */

/* Prepares sql and binds the arguments; 0 and *s, or -errno. */
int db_prep(struct sk_store *st, struct db_stmt **s, const char *sql, const char *fmt, ...);

static inline int db_step(struct db_stmt *s)
{
	return db_ops(s->st)->step(s);
}

static inline void db_finalize(struct db_stmt *s)
{
	if (s)
		db_ops(s->st)->finalize(s);
}

static inline int64_t db_i64(struct db_stmt *s, int col)
{
	return db_ops(s->st)->col_i64(s, col);
}

static inline int db_int(struct db_stmt *s, int col)
{
	return (int)db_ops(s->st)->col_i64(s, col);
}

static inline const char *db_cstr(struct db_stmt *s, int col)
{
	return db_ops(s->st)->col_text(s, col);
}

static inline size_t db_bytes(struct db_stmt *s, int col)
{
	return db_ops(s->st)->col_bytes(s, col);
}

static inline bool db_null(struct db_stmt *s, int col)
{
	return db_ops(s->st)->col_null(s, col);
}

/* Copies column col as text into buf (truncating, always terminated). */
void db_text(struct db_stmt *s, int col, char *buf, size_t len);

static inline void db_blob(struct db_stmt *s, int col, uint8_t *out, size_t n)
{
	db_ops(s->st)->col_blob(s, col, out, n);
}

/* Security-relevant changes (revocations, kills, locks, passwords) must
 * survive a power loss: between db_durable(st, true) and (st, false) the
 * SQLite backend commits with synchronous=FULL when no transaction is open. */
static inline void db_durable(struct sk_store *st, bool on)
{
	db_ops(st)->durable(st, on);
}

/* ---- the helpers of the families ---- */

/* Runs a statement returning no rows; returns the rows changed (>= 0) or
 * -errno.  PostgreSQL: outside a transaction it runs in one of its own
 * (the write lock), inside one between a savepoint and its release. */
int db_exec(struct sk_store *st, const char *sql, const char *fmt, ...);
/* The same for an INSERT ... RETURNING id: the id in *id */
int db_exec_id(struct sk_store *st, int64_t *id, const char *sql, const char *fmt, ...);
/* One-column integer or text queries: 0, -ENOENT with no row, -ENOSPC when
 * the text does not fit len, or -errno. */
int db_int_query(struct sk_store *st, int64_t *out, const char *sql, const char *fmt, ...);
int db_str(struct sk_store *st, char *buf, size_t len, const char *sql, const char *fmt, ...);
/*
 * The list functions: runs the SELECT sql (bound as by db_prep) and calls
 * row(st, s, obj, fn, arg) for each row, which decodes it into obj (size
 * bytes on the heap, shared by all rows: a group is 10 KiB, wiped at the
 * end) and hands it to the caller's callback; fn points to that callback
 * (a typed function pointer, which row knows).  Stops at the first
 * non-zero return of row() and returns it; 0 after the last row, or -errno.
 */
typedef int (*db_row_fn)(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn,
			 void *arg);
int db_list(struct sk_store *st, size_t size, db_row_fn row, const void *fn, void *arg,
	    const char *sql, const char *fmt, ...);
/* Runs a query for one object: 0 after decode(s, obj) on the first row,
 * -ENOENT with no row, or -errno. */
typedef void (*db_decode_fn)(struct db_stmt *s, void *obj);
int db_get(struct sk_store *st, db_decode_fn decode, void *obj, const char *sql,
	   const char *fmt, ...);
/* Defines name(), a db_row_fn that decodes a row into a T with decode(s, obj). */
#define DB_LIST_ROW(name, T, decode)							\
static int name(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn, void *arg)	\
{											\
	int (*const *cb)(const T *, void *) = fn;					\
											\
	(void)st;									\
	decode(s, obj);									\
	return (*cb)(obj, arg);								\
}

/* Looks an id up by name in table ("users", "groups", "policies", "devices",
 * "directories"). */
int db_id_by_name(struct sk_store *st, const char *table, const char *name, int64_t *id);

/* Shared by the backends: the schema version (0 when unreadable) and the
 * part of migration `to` that SQL cannot do, in its transaction. */
int db_schema_version(struct sk_store *st);
int db_migration_code(struct sk_store *st, int64_t to);

/* ---- the families, each written once ---- */

#define DB_DECL(ret, name, ...) ret db_##name(struct sk_store *st, __VA_ARGS__)
/* store_users.c */
DB_DECL(int, user_add, const struct sk_user *u, char *err, size_t errlen);
DB_DECL(int, user_get, const char *name, struct sk_user *u);
DB_DECL(int, user_update, const struct sk_user *u, char *err, size_t errlen);
DB_DECL(int, user_del, const char *name);
DB_DECL(int, user_list, int (*fn)(const struct sk_user *, void *), void *arg);
DB_DECL(int, user_success, const char *name);
DB_DECL(int, user_set_password, const char *name, const char *hash, bool must_change);
DB_DECL(int, user_totp_use, const char *name, int64_t step);
DB_DECL(int, login_fail, const char *user, const char *key, const struct sk_fail_policy *p,
	int64_t now, struct sk_fail_result *r);
DB_DECL(int, source_get, const char *key, struct sk_source *s);
DB_DECL(int, source_list, int (*fn)(const struct sk_source *, void *), void *arg);
DB_DECL(int, source_del, const char *key);
DB_DECL(int, setting_get, const char *key, char *val, size_t len);
DB_DECL(int, setting_set, const char *key, const char *val);

/* store_groups.c */
DB_DECL(int, group_add, const struct sk_group *g, char *err, size_t errlen);
DB_DECL(int, group_get, const char *name, struct sk_group *g);
DB_DECL(int, group_update, const struct sk_group *g, char *err, size_t errlen);
DB_DECL(int, group_del, const char *name);
DB_DECL(int, group_list, int (*fn)(const struct sk_group *, void *), void *arg);
DB_DECL(int, policy_add, const char *name, const char *description);
DB_DECL(int, policy_get, const char *name, struct sk_policy *p);
DB_DECL(int, policy_del, const char *name);
DB_DECL(int, policy_list, int (*fn)(const struct sk_policy *, void *), void *arg);
DB_DECL(int, policy_rules, const char *name, struct sk_rule *rules, int *n);
DB_DECL(int, rule_add, const char *policy, int pos, const struct sk_rule *r);
DB_DECL(int, rule_del, const char *policy, int pos);
DB_DECL(int, rule_move, const char *policy, int from, int to);
/* store_devices.c */
DB_DECL(int, device_add, const struct sk_device *d, char *err, size_t errlen);
DB_DECL(int, device_get, const char *name, struct sk_device *d);
DB_DECL(int, device_update, const struct sk_device *d, char *err, size_t errlen);
DB_DECL(int, device_del, const char *name);
DB_DECL(int, device_list, const char *user, int (*fn)(const struct sk_device *, void *),
	void *arg);
DB_DECL(int, device_assign, const char *user, const char *device, char *err, size_t errlen);
DB_DECL(int, device_unassign, const char *user, const char *device);
DB_DECL(int, cert_add, const struct sk_cert *c);
DB_DECL(int, cert_get, const char *serial, struct sk_cert *c);
DB_DECL(int, cert_revoke, const char *serial, int64_t when);
DB_DECL(int, cert_list, const char *user, int (*fn)(const struct sk_cert *, void *), void *arg);
DB_DECL(int, cert_revoke_for, const char *user, const char *device, const char *keep_serial,
	int64_t keep_profile, int64_t when);
/* the same inside the caller's transaction (user_del, device_del, unassign) */
DB_DECL(int, revoke_for_tx, const char *user, const char *device, const char *keep_serial,
	int64_t keep_profile, int64_t when);
DB_DECL(int, profile_add, struct sk_profile *p);
DB_DECL(int, profile_find, const uint8_t token_hash[32], struct sk_profile *p);
DB_DECL(int, profile_update, const struct sk_profile *p);
DB_DECL(int, profile_list, int (*fn)(const struct sk_profile *, void *), void *arg);
/* store_sessions.c */
DB_DECL(int, session_add, struct sk_session *s);
DB_DECL(int, session_get, int64_t id, struct sk_session *s);
DB_DECL(int, session_find, const uint8_t cookie_hash[32], struct sk_session *s);
DB_DECL(int, session_update, const struct sk_session *s);
DB_DECL(int, session_del, int64_t id);
DB_DECL(int, session_list, int (*fn)(const struct sk_session *, void *), void *arg);
DB_DECL(int, lease_get, const char *user, int family, char *addr, size_t len);
DB_DECL(int, lease_set, const char *user, int family, const char *addr);
DB_DECL(int, lease_taken, int family, const char *addr, const char *other_than);
DB_DECL(int, session_claim_addr, int64_t id, int family, const char *addr);
DB_DECL(int, session_count, const char *user, int64_t *n);
DB_DECL(int, gateway_beat, const char *name, int64_t started, int64_t now);
DB_DECL(int, gateway_reap, const char *self, int64_t before, int64_t now,
	int (*fn)(const char *gateway, int64_t seen, int n, void *arg), void *arg);
DB_DECL(int, audit_add, const struct sk_audit *a);
DB_DECL(int, audit_list, const struct sk_audit_filter *f,
	int (*fn)(const struct sk_audit *, void *), void *arg);
DB_DECL(int, audit_prune, int64_t before, int64_t *deleted);
/* store_posture.c, store_directory.c */
int db_posture_set(struct sk_store *st, int scope, const char *name, const char *key,
		   const char *val);
int db_posture_list(struct sk_store *st, int scope, const char *name,
		    int (*fn)(const char *key, const char *val, void *arg), void *arg);
int db_posture_last_set(struct sk_store *st, const char *device, const struct sk_posture_last *l);
int db_posture_last_get(struct sk_store *st, const char *device, struct sk_posture_last *l);
int db_directory_add(struct sk_store *st, const char *name, int64_t now);
int db_directory_del(struct sk_store *st, const char *name);
int db_directory_list(struct sk_store *st, int (*fn)(const char *name, void *arg), void *arg);
int db_directory_set(struct sk_store *st, const char *name, const char *key, const char *val);
int db_directory_settings(struct sk_store *st, const char *name,
			  int (*fn)(const char *key, const char *val, void *arg), void *arg);
int db_group_directory_set(struct sk_store *st, const char *group, const char *dir);
int db_group_directory_get(struct sk_store *st, const char *group, char *dir, size_t len);
int db_user_directory_get(struct sk_store *st, const char *name, char *dir, size_t len);
int db_user_directory_set(struct sk_store *st, const char *name, const char *dir);

#define DB_OPS_USERS						\
	.user_add = db_user_add,				\
	.user_get = db_user_get,				\
	.user_update = db_user_update,				\
	.user_del = db_user_del,				\
	.user_list = db_user_list,				\
	.user_success = db_user_success,			\
	.user_set_password = db_user_set_password,		\
	.user_totp_use = db_user_totp_use,			\
	.login_fail = db_login_fail,				\
	.source_get = db_source_get,				\
	.source_list = db_source_list,				\
	.source_del = db_source_del,				\
	.setting_get = db_setting_get,				\
	.setting_set = db_setting_set

#define DB_OPS_GROUPS						\
	.group_add = db_group_add,				\
	.group_get = db_group_get,				\
	.group_update = db_group_update,			\
	.group_del = db_group_del,				\
	.group_list = db_group_list,				\
	.policy_add = db_policy_add,				\
	.policy_get = db_policy_get,				\
	.policy_del = db_policy_del,				\
	.policy_list = db_policy_list,				\
	.policy_rules = db_policy_rules,			\
	.rule_add = db_rule_add,				\
	.rule_del = db_rule_del,				\
	.rule_move = db_rule_move

#define DB_OPS_DEVICES						\
	.device_add = db_device_add,				\
	.device_get = db_device_get,				\
	.device_update = db_device_update,			\
	.device_del = db_device_del,				\
	.device_list = db_device_list,				\
	.device_assign = db_device_assign,			\
	.device_unassign = db_device_unassign,			\
	.cert_add = db_cert_add,				\
	.cert_get = db_cert_get,				\
	.cert_revoke = db_cert_revoke,				\
	.cert_list = db_cert_list,				\
	.cert_revoke_for = db_cert_revoke_for,			\
	.profile_add = db_profile_add,				\
	.profile_find = db_profile_find,			\
	.profile_update = db_profile_update,			\
	.profile_list = db_profile_list

#define DB_OPS_SESSIONS						\
	.session_add = db_session_add,				\
	.session_get = db_session_get,				\
	.session_find = db_session_find,			\
	.session_update = db_session_update,			\
	.session_del = db_session_del,				\
	.session_list = db_session_list,			\
	.lease_get = db_lease_get,				\
	.lease_set = db_lease_set,				\
	.lease_taken = db_lease_taken,				\
	.session_claim_addr = db_session_claim_addr,		\
	.session_count = db_session_count,			\
	.gateway_beat = db_gateway_beat,			\
	.gateway_reap = db_gateway_reap,			\
	.audit_add = db_audit_add,				\
	.audit_list = db_audit_list,				\
	.audit_prune = db_audit_prune

#define DB_OPS_POSTURE						\
	.posture_set = db_posture_set,				\
	.posture_list = db_posture_list,			\
	.posture_last_set = db_posture_last_set,		\
	.posture_last_get = db_posture_last_get

#define DB_OPS_DIRECTORY					\
	.directory_add = db_directory_add,			\
	.directory_del = db_directory_del,			\
	.directory_list = db_directory_list,			\
	.directory_set = db_directory_set,			\
	.directory_settings = db_directory_settings,		\
	.group_directory_set = db_group_directory_set,		\
	.group_directory_get = db_group_directory_get,		\
	.user_directory_get = db_user_directory_get,		\
	.user_directory_set = db_user_directory_set

#define DB_OPS_FAMILIES							\
	DB_OPS_USERS, DB_OPS_GROUPS, DB_OPS_DEVICES, DB_OPS_SESSIONS,	\
	DB_OPS_POSTURE, DB_OPS_DIRECTORY

#endif
