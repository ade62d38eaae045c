/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the PostgreSQL backend (store_pg*.c): statement helpers in
 * the shape of store_sqlite.h, so that each noun reads like its SQLite
 * twin.  Every value reaches SQL as a parameter of PQsendQueryParams ($1,
 * $2, ...); the format letters say how each vararg is sent:
 *   t  const char *        text
 *   n  const char *        text, or NULL when "" (nullable references)
 *   i  int64_t
 *   d  int
 *   b  const uint8_t *     32 bytes, binary (hashes)
 *   a  const uint8_t *     16 bytes, binary (addresses)
 * Results come back as text; pq_i64, pq_text and pq_blob decode them.
 */
#ifndef SK_STORE_PG_H
#define SK_STORE_PG_H

#include <libpq-fe.h>

#include "store-impl.h"

/* Maps the SQLSTATE of a failed result to -errno and remembers the message. */
int pq_err(struct sk_store *st, const PGresult *r);
/* Runs a statement returning no rows; returns the rows changed (>= 0) or
 * -errno.  Outside a transaction it runs in one of its own (the write
 * lock, see pq_begin), retried on a serialization failure or deadlock. */
int pq_exec(struct sk_store *st, const char *sql, const char *fmt, ...);
/* The same for an INSERT ... RETURNING id: the id in *id */
int pq_exec_id(struct sk_store *st, int64_t *id, const char *sql, const char *fmt, ...);
/* One-column integer or text queries: 0, -ENOENT with no row, -ENOSPC when
 * the text does not fit len, or -errno. */
int pq_int(struct sk_store *st, int64_t *out, const char *sql, const char *fmt, ...);
int pq_str(struct sk_store *st, char *buf, size_t len, const char *sql, const char *fmt, ...);
/* Runs a query and hands back the whole result (PQclear it): 0 or -errno */
int pq_query(struct sk_store *st, PGresult **res, const char *sql, const char *fmt, ...);

int64_t pq_i64(const PGresult *r, int row, int col);
void pq_text(const PGresult *r, int row, int col, char *buf, size_t len);
/* a bytea column into out[n] (zeros when it is not n bytes) */
void pq_blob(const PGresult *r, int row, int col, uint8_t *out, size_t n);

/* As sq_list/sq_get: row(st, r, i, obj, fn, arg) for each row of the result. */
typedef int (*pq_row_fn)(struct sk_store *st, const PGresult *r, int row, void *obj,
			 const void *fn, void *arg);
int pq_list(struct sk_store *st, size_t size, pq_row_fn row, const void *fn, void *arg,
	    const char *sql, const char *fmt, ...);
typedef void (*pq_decode_fn)(const PGresult *r, int row, void *obj);
int pq_get(struct sk_store *st, pq_decode_fn decode, void *obj, const char *sql,
	   const char *fmt, ...);
#define PQ_LIST_ROW(name, T, decode)							\
static int name(struct sk_store *st, const PGresult *r, int row, void *obj, const void *fn,	\
		void *arg)								\
{											\
	int (*const *cb)(const T *, void *) = fn;					\
											\
	(void)st;									\
	decode(r, row, obj);								\
	return (*cb)(obj, arg);								\
}

/* Looks an id up by name in table ("users", "groups", "policies", "devices"). */
int pq_id_by_name(struct sk_store *st, const char *table, const char *name, int64_t *id);

extern const struct sk_store_ops sk_pg_ops;

/* per noun, in store_pg_*.c */
#define PQ_DECL(ret, name, ...) ret pq_##name(struct sk_store *st, __VA_ARGS__)
PQ_DECL(int, user_add, const struct sk_user *u, char *err, size_t errlen);
PQ_DECL(int, user_get, const char *name, struct sk_user *u);
PQ_DECL(int, user_update, const struct sk_user *u, char *err, size_t errlen);
PQ_DECL(int, user_del, const char *name);
PQ_DECL(int, user_list, int (*fn)(const struct sk_user *, void *), void *arg);
PQ_DECL(int, user_success, const char *name);
PQ_DECL(int, user_set_password, const char *name, const char *hash, bool must_change);
PQ_DECL(int, user_totp_use, const char *name, int64_t step);
PQ_DECL(int, login_fail, const char *user, const char *key, const struct sk_fail_policy *p,
	int64_t now, struct sk_fail_result *r);
PQ_DECL(int, source_get, const char *key, struct sk_source *s);
PQ_DECL(int, source_list, int (*fn)(const struct sk_source *, void *), void *arg);
PQ_DECL(int, source_del, const char *key);
PQ_DECL(int, setting_get, const char *key, char *val, size_t len);
PQ_DECL(int, setting_set, const char *key, const char *val);

PQ_DECL(int, group_add, const struct sk_group *g, char *err, size_t errlen);
PQ_DECL(int, group_get, const char *name, struct sk_group *g);
PQ_DECL(int, group_update, const struct sk_group *g, char *err, size_t errlen);
PQ_DECL(int, group_del, const char *name);
PQ_DECL(int, group_list, int (*fn)(const struct sk_group *, void *), void *arg);
PQ_DECL(int, policy_add, const char *name, const char *description);
PQ_DECL(int, policy_get, const char *name, struct sk_policy *p);
PQ_DECL(int, policy_del, const char *name);
PQ_DECL(int, policy_list, int (*fn)(const struct sk_policy *, void *), void *arg);
PQ_DECL(int, policy_rules, const char *name, struct sk_rule *rules, int *n);
PQ_DECL(int, rule_add, const char *policy, int pos, const struct sk_rule *r);
PQ_DECL(int, rule_del, const char *policy, int pos);
PQ_DECL(int, rule_move, const char *policy, int from, int to);

PQ_DECL(int, device_add, const struct sk_device *d, char *err, size_t errlen);
PQ_DECL(int, device_get, const char *name, struct sk_device *d);
PQ_DECL(int, device_update, const struct sk_device *d, char *err, size_t errlen);
PQ_DECL(int, device_del, const char *name);
PQ_DECL(int, device_list, const char *user, int (*fn)(const struct sk_device *, void *),
	void *arg);
PQ_DECL(int, device_assign, const char *user, const char *device, char *err, size_t errlen);
PQ_DECL(int, device_unassign, const char *user, const char *device);
PQ_DECL(int, cert_add, const struct sk_cert *c);
PQ_DECL(int, cert_get, const char *serial, struct sk_cert *c);
PQ_DECL(int, cert_revoke, const char *serial, int64_t when);
PQ_DECL(int, cert_list, const char *user, int (*fn)(const struct sk_cert *, void *), void *arg);
PQ_DECL(int, cert_revoke_for, const char *user, const char *device, const char *keep_serial,
	int64_t keep_profile, int64_t when);
int pq_revoke_for_tx(struct sk_store *st, const char *user, const char *device,
		     const char *keep_serial, int64_t keep_profile, int64_t when);
PQ_DECL(int, profile_add, struct sk_profile *p);
PQ_DECL(int, profile_find, const uint8_t token_hash[32], struct sk_profile *p);
PQ_DECL(int, profile_update, const struct sk_profile *p);
PQ_DECL(int, profile_list, int (*fn)(const struct sk_profile *, void *), void *arg);

PQ_DECL(int, session_add, struct sk_session *s);
PQ_DECL(int, session_get, int64_t id, struct sk_session *s);
PQ_DECL(int, session_find, const uint8_t cookie_hash[32], struct sk_session *s);
PQ_DECL(int, session_update, const struct sk_session *s);
PQ_DECL(int, session_del, int64_t id);
PQ_DECL(int, session_list, int (*fn)(const struct sk_session *, void *), void *arg);
PQ_DECL(int, lease_get, const char *user, int family, char *addr, size_t len);
PQ_DECL(int, lease_set, const char *user, int family, const char *addr);
PQ_DECL(int, lease_taken, int family, const char *addr, const char *other_than);
PQ_DECL(int, audit_add, const struct sk_audit *a);
PQ_DECL(int, audit_list, const struct sk_audit_filter *f,
	int (*fn)(const struct sk_audit *, void *), void *arg);

int pq_posture_set(struct sk_store *st, int scope, const char *name, const char *key,
		   const char *val);
int pq_posture_list(struct sk_store *st, int scope, const char *name,
		    int (*fn)(const char *key, const char *val, void *arg), void *arg);
int pq_posture_last_set(struct sk_store *st, const char *device, const struct sk_posture_last *l);
int pq_posture_last_get(struct sk_store *st, const char *device, struct sk_posture_last *l);
int pq_directory_add(struct sk_store *st, const char *name, int64_t now);
int pq_directory_del(struct sk_store *st, const char *name);
int pq_directory_list(struct sk_store *st, int (*fn)(const char *name, void *arg), void *arg);
int pq_directory_set(struct sk_store *st, const char *name, const char *key, const char *val);
int pq_directory_settings(struct sk_store *st, const char *name,
			  int (*fn)(const char *key, const char *val, void *arg), void *arg);
int pq_group_directory_set(struct sk_store *st, const char *group, const char *dir);
int pq_group_directory_get(struct sk_store *st, const char *group, char *dir, size_t len);
int pq_user_directory_get(struct sk_store *st, const char *name, char *dir, size_t len);
int pq_user_directory_set(struct sk_store *st, const char *name, const char *dir);

#endif
