/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the SQLite backend (store_sqlite*.c): statement helpers.
 * Every value reaches SQL through sqlite3_bind_*: the format letters say
 * how each vararg is bound:
 *   t  const char *        text
 *   n  const char *        text, or NULL when "" (nullable references)
 *   i  int64_t
 *   d  int
 *   b  const uint8_t *     32-byte blob (hashes)
 *   a  const uint8_t *     16-byte blob (addresses)
 */
#ifndef SK_STORE_SQLITE_H
#define SK_STORE_SQLITE_H

#include <sqlite3.h>

#include "store-impl.h"

static inline sqlite3 *sq_db(struct sk_store *st)
{
	return st->be;
}

/* Maps an SQLite result code to -errno and remembers the message. */
int sq_err(struct sk_store *st, int rc);
/* Prepares sql and binds the arguments; 0 or -errno. */
int sq_prep(struct sk_store *st, sqlite3_stmt **s, const char *sql, const char *fmt, ...);
/* Runs a statement returning no rows; returns changes() (>= 0) or -errno. */
int sq_exec(struct sk_store *st, const char *sql, const char *fmt, ...);
/* Runs a one-column integer query: 0 and *out, -ENOENT with no row. */
int sq_int(struct sk_store *st, int64_t *out, const char *sql, const char *fmt, ...);
/* Runs a one-column text query: 0 and the text in buf, -ENOENT with no
 * row, -ENOSPC when it does not fit len. */
int sq_str(struct sk_store *st, char *buf, size_t len, const char *sql, const char *fmt, ...);
/* Steps once: 1 row, 0 done, -errno. */
int sq_step(struct sk_store *st, sqlite3_stmt *s);
/* Copies column col as text into buf (truncating, always terminated). */
void sq_text(sqlite3_stmt *s, int col, char *buf, size_t len);
void sq_blob32(sqlite3_stmt *s, int col, uint8_t out[32]);
/*
 * The list functions: runs the SELECT sql (bound as by sq_prep) and calls
 * row(st, s, obj, fn, arg) for each row, which decodes it into obj (size
 * bytes on the heap, shared by all rows: a group is 10 KiB) and hands it
 * to the caller's callback; fn points to that callback (a typed function
 * pointer, which row knows).  Stops at the first non-zero return of row()
 * and returns it; 0 after the last row, or -errno.
 */
typedef int (*sq_row_fn)(struct sk_store *st, sqlite3_stmt *s, void *obj, const void *fn,
			 void *arg);
int sq_list(struct sk_store *st, size_t size, sq_row_fn row, const void *fn, void *arg,
	    const char *sql, const char *fmt, ...);
/* Runs a query for one object: 0 after decode(s, obj) on the first row,
 * -ENOENT with no row, or -errno. */
typedef void (*sq_decode_fn)(sqlite3_stmt *s, void *obj);
int sq_get(struct sk_store *st, sq_decode_fn decode, void *obj, const char *sql,
	   const char *fmt, ...);
/* Defines name(), a sq_row_fn that decodes a row into a T with decode(s, obj). */
#define SQ_LIST_ROW(name, T, decode)							\
static int name(struct sk_store *st, sqlite3_stmt *s, void *obj, const void *fn, void *arg)	\
{											\
	int (*const *cb)(const T *, void *) = fn;					\
											\
	(void)st;									\
	decode(s, obj);									\
	return (*cb)(obj, arg);								\
}

/* Looks an id up by name in table ("users", "groups", "policies", "devices"). */
int sq_id_by_name(struct sk_store *st, const char *table, const char *name, int64_t *id);

extern const struct sk_store_ops sk_sqlite_ops;

/* per noun, in store_sqlite_*.c */
#define SQ_DECL(ret, name, ...) ret sq_##name(struct sk_store *st, __VA_ARGS__)
SQ_DECL(int, user_add, const struct sk_user *u, char *err, size_t errlen);
SQ_DECL(int, user_get, const char *name, struct sk_user *u);
SQ_DECL(int, user_update, const struct sk_user *u, char *err, size_t errlen);
SQ_DECL(int, user_del, const char *name);
SQ_DECL(int, user_list, int (*fn)(const struct sk_user *, void *), void *arg);
SQ_DECL(int, user_success, const char *name);
SQ_DECL(int, user_set_password, const char *name, const char *hash, bool must_change);
SQ_DECL(int, user_totp_use, const char *name, int64_t step);
SQ_DECL(int, login_fail, const char *user, const char *key, const struct sk_fail_policy *p,
	int64_t now, struct sk_fail_result *r);
SQ_DECL(int, source_get, const char *key, struct sk_source *s);
SQ_DECL(int, source_list, int (*fn)(const struct sk_source *, void *), void *arg);
SQ_DECL(int, source_del, const char *key);
SQ_DECL(int, setting_get, const char *key, char *val, size_t len);
SQ_DECL(int, setting_set, const char *key, const char *val);

SQ_DECL(int, group_add, const struct sk_group *g, char *err, size_t errlen);
SQ_DECL(int, group_get, const char *name, struct sk_group *g);
SQ_DECL(int, group_update, const struct sk_group *g, char *err, size_t errlen);
SQ_DECL(int, group_del, const char *name);
SQ_DECL(int, group_list, int (*fn)(const struct sk_group *, void *), void *arg);
SQ_DECL(int, policy_add, const char *name, const char *description);
SQ_DECL(int, policy_get, const char *name, struct sk_policy *p);
SQ_DECL(int, policy_del, const char *name);
SQ_DECL(int, policy_list, int (*fn)(const struct sk_policy *, void *), void *arg);
SQ_DECL(int, policy_rules, const char *name, struct sk_rule *rules, int *n);
SQ_DECL(int, rule_add, const char *policy, int pos, const struct sk_rule *r);
SQ_DECL(int, rule_del, const char *policy, int pos);
SQ_DECL(int, rule_move, const char *policy, int from, int to);

SQ_DECL(int, device_add, const struct sk_device *d, char *err, size_t errlen);
SQ_DECL(int, device_get, const char *name, struct sk_device *d);
SQ_DECL(int, device_update, const struct sk_device *d, char *err, size_t errlen);
SQ_DECL(int, device_del, const char *name);
SQ_DECL(int, device_list, const char *user, int (*fn)(const struct sk_device *, void *),
	void *arg);
SQ_DECL(int, device_assign, const char *user, const char *device, char *err, size_t errlen);
SQ_DECL(int, device_unassign, const char *user, const char *device);
SQ_DECL(int, cert_add, const struct sk_cert *c);
SQ_DECL(int, cert_get, const char *serial, struct sk_cert *c);
SQ_DECL(int, cert_revoke, const char *serial, int64_t when);
SQ_DECL(int, cert_list, const char *user, int (*fn)(const struct sk_cert *, void *), void *arg);
SQ_DECL(int, cert_revoke_for, const char *user, const char *device, const char *keep_serial,
	int64_t keep_profile, int64_t when);
/* the same inside the caller's transaction (user_del, device_del, unassign) */
int sq_revoke_for_tx(struct sk_store *st, const char *user, const char *device,
		     const char *keep_serial, int64_t keep_profile, int64_t when);
SQ_DECL(int, profile_add, struct sk_profile *p);
SQ_DECL(int, profile_find, const uint8_t token_hash[32], struct sk_profile *p);
SQ_DECL(int, profile_update, const struct sk_profile *p);
SQ_DECL(int, profile_list, int (*fn)(const struct sk_profile *, void *), void *arg);

SQ_DECL(int, session_add, struct sk_session *s);
SQ_DECL(int, session_get, int64_t id, struct sk_session *s);
SQ_DECL(int, session_find, const uint8_t cookie_hash[32], struct sk_session *s);
SQ_DECL(int, session_update, const struct sk_session *s);
SQ_DECL(int, session_del, int64_t id);
SQ_DECL(int, session_list, int (*fn)(const struct sk_session *, void *), void *arg);
SQ_DECL(int, lease_get, const char *user, int family, char *addr, size_t len);
SQ_DECL(int, lease_set, const char *user, int family, const char *addr);
SQ_DECL(int, lease_taken, int family, const char *addr, const char *other_than);
SQ_DECL(int, audit_add, const struct sk_audit *a);
SQ_DECL(int, audit_list, const struct sk_audit_filter *f,
	int (*fn)(const struct sk_audit *, void *), void *arg);

/* Runs a statement with synchronous=FULL when no transaction is open:
 * security-relevant changes (revocations, kills, locks, passwords) must
 * survive a power loss, the rest may lose the last moments (NORMAL). */
void sq_durable(struct sk_store *st, bool on);

int sq_posture_set(struct sk_store *st, int scope, const char *name, const char *key,
		   const char *val);
int sq_posture_list(struct sk_store *st, int scope, const char *name,
		    int (*fn)(const char *key, const char *val, void *arg), void *arg);
int sq_posture_last_set(struct sk_store *st, const char *device, const struct sk_posture_last *l);
int sq_posture_last_get(struct sk_store *st, const char *device, struct sk_posture_last *l);
int sq_directory_add(struct sk_store *st, const char *name, int64_t now);
int sq_directory_del(struct sk_store *st, const char *name);
int sq_directory_list(struct sk_store *st, int (*fn)(const char *name, void *arg), void *arg);
int sq_directory_set(struct sk_store *st, const char *name, const char *key, const char *val);
int sq_directory_settings(struct sk_store *st, const char *name,
			  int (*fn)(const char *key, const char *val, void *arg), void *arg);
int sq_group_directory_set(struct sk_store *st, const char *group, const char *dir);
int sq_group_directory_get(struct sk_store *st, const char *group, char *dir, size_t len);
int sq_user_directory_get(struct sk_store *st, const char *name, char *dir, size_t len);
int sq_user_directory_set(struct sk_store *st, const char *name, const char *dir);

#endif
