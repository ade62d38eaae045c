/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to userspace/store/: the backend operations table, the store
 * handle and helpers shared by the store's own files.  Callers use
 * skstore.h only.
 *
 * Layering: store.c validates every argument (so each backend sees clean
 * values), then calls st->ops->...  The object families are written once
 * over the statement layer (store_db.h); a backend (SQLite, PostgreSQL)
 * provides its struct sk_db_ops, transactions and an open function, and
 * sk_store_open() picks it by the path's form.
 */
#ifndef SK_STORE_IMPL_H
#define SK_STORE_IMPL_H

#include <stdarg.h>
#include "skstore.h"
#include "sktext.h"	/* sk_err */

struct sk_db_ops;

struct sk_store_ops {
	const char *name;
	/* the backend's statement layer (store_db.h), which the object
	 * families (store_users.c, ...) are written over */
	const struct sk_db_ops *db;
	void (*close)(struct sk_store *st);
	/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; only called at depth 0 */
	int (*begin)(struct sk_store *st);
	int (*commit)(struct sk_store *st);
	void (*rollback)(struct sk_store *st);
	int (*schema_version)(struct sk_store *st);

	int (*user_add)(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen);
	int (*user_get)(struct sk_store *st, const char *name, struct sk_user *u);
	int (*user_update)(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen);
	int (*user_del)(struct sk_store *st, const char *name);
	int (*user_list)(struct sk_store *st, int (*fn)(const struct sk_user *, void *), void *arg);
	int (*user_success)(struct sk_store *st, const char *name);
	int (*user_set_password)(struct sk_store *st, const char *name, const char *hash, bool must_change);
	int (*user_totp_use)(struct sk_store *st, const char *name, int64_t step);
	/* user NULL = no account; key NULL = no source (an sk_source_key) */
	int (*login_fail)(struct sk_store *st, const char *user, const char *key,
			  const struct sk_fail_policy *p, int64_t now, struct sk_fail_result *r);
	int (*source_get)(struct sk_store *st, const char *key, struct sk_source *s);
	int (*source_list)(struct sk_store *st, int (*fn)(const struct sk_source *, void *), void *arg);
	int (*source_del)(struct sk_store *st, const char *key);

	int (*group_add)(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen);
	int (*group_get)(struct sk_store *st, const char *name, struct sk_group *g);
	int (*group_update)(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen);
	int (*group_del)(struct sk_store *st, const char *name);
	int (*group_list)(struct sk_store *st, int (*fn)(const struct sk_group *, void *), void *arg);

	int (*policy_add)(struct sk_store *st, const char *name, const char *description);
	int (*policy_get)(struct sk_store *st, const char *name, struct sk_policy *p);
	int (*policy_del)(struct sk_store *st, const char *name);
	int (*policy_list)(struct sk_store *st, int (*fn)(const struct sk_policy *, void *), void *arg);
	int (*policy_rules)(struct sk_store *st, const char *name, struct sk_rule *rules, int *n);
	int (*rule_add)(struct sk_store *st, const char *policy, int pos, const struct sk_rule *r);
	int (*rule_del)(struct sk_store *st, const char *policy, int pos);
	int (*rule_move)(struct sk_store *st, const char *policy, int from, int to);

	int (*device_add)(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen);
	int (*device_get)(struct sk_store *st, const char *name, struct sk_device *d);
	int (*device_update)(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen);
	int (*device_del)(struct sk_store *st, const char *name);
	int (*device_list)(struct sk_store *st, const char *user,
			   int (*fn)(const struct sk_device *, void *), void *arg);
	int (*device_assign)(struct sk_store *st, const char *user, const char *device,
			     char *err, size_t errlen);
	int (*device_unassign)(struct sk_store *st, const char *user, const char *device);

	int (*cert_add)(struct sk_store *st, const struct sk_cert *c);
	int (*cert_get)(struct sk_store *st, const char *serial, struct sk_cert *c);
	int (*cert_revoke)(struct sk_store *st, const char *serial, int64_t when);
	int (*cert_list)(struct sk_store *st, const char *user,
			 int (*fn)(const struct sk_cert *, void *), void *arg);
	int (*cert_revoke_for)(struct sk_store *st, const char *user, const char *device,
			       const char *keep_serial, int64_t keep_profile, int64_t when);

	int (*profile_add)(struct sk_store *st, struct sk_profile *p);
	int (*profile_find)(struct sk_store *st, const uint8_t token_hash[32], struct sk_profile *p);
	int (*profile_update)(struct sk_store *st, const struct sk_profile *p);
	int (*profile_list)(struct sk_store *st, int (*fn)(const struct sk_profile *, void *), void *arg);

	/* raw stored value; -ENOENT when the key was never set */
	int (*setting_get)(struct sk_store *st, const char *key, char *val, size_t len);
	int (*setting_set)(struct sk_store *st, const char *key, const char *val);

	int (*session_add)(struct sk_store *st, struct sk_session *s);
	int (*session_get)(struct sk_store *st, int64_t id, struct sk_session *s);
	int (*session_find)(struct sk_store *st, const uint8_t cookie_hash[32], struct sk_session *s);
	int (*session_update)(struct sk_store *st, const struct sk_session *s);
	int (*session_del)(struct sk_store *st, int64_t id);
	int (*session_list)(struct sk_store *st, int (*fn)(const struct sk_session *, void *), void *arg);
	int (*lease_get)(struct sk_store *st, const char *user, int family, char *addr, size_t len);
	int (*lease_set)(struct sk_store *st, const char *user, int family, const char *addr);
	int (*lease_taken)(struct sk_store *st, int family, const char *addr, const char *other_than);
	int (*session_claim_addr)(struct sk_store *st, int64_t id, int family, const char *addr);
	int (*session_count)(struct sk_store *st, const char *user, int64_t *n);
	int (*gateway_beat)(struct sk_store *st, const char *name, int64_t started, int64_t now);
	int (*gateway_reap)(struct sk_store *st, const char *self, int64_t before, int64_t now,
			    int (*fn)(const char *gateway, int64_t seen, int n, void *arg), void *arg);

	/* scope: enum sk_posture_scope; val NULL = remove; -ENOENT no such name */
	int (*posture_set)(struct sk_store *st, int scope, const char *name, const char *key,
			   const char *val);
	int (*posture_list)(struct sk_store *st, int scope, const char *name,
			    int (*fn)(const char *key, const char *val, void *arg), void *arg);
	int (*posture_last_set)(struct sk_store *st, const char *device,
				const struct sk_posture_last *l);
	int (*posture_last_get)(struct sk_store *st, const char *device, struct sk_posture_last *l);

	int (*directory_add)(struct sk_store *st, const char *name, int64_t now);
	int (*directory_del)(struct sk_store *st, const char *name);
	int (*directory_list)(struct sk_store *st, int (*fn)(const char *name, void *arg), void *arg);
	/* val NULL = remove */
	int (*directory_set)(struct sk_store *st, const char *name, const char *key, const char *val);
	int (*directory_settings)(struct sk_store *st, const char *name,
				  int (*fn)(const char *key, const char *val, void *arg), void *arg);
	int (*group_directory_set)(struct sk_store *st, const char *group, const char *dir);
	int (*group_directory_get)(struct sk_store *st, const char *group, char *dir, size_t len);
	int (*user_directory_get)(struct sk_store *st, const char *name, char *dir, size_t len);
	int (*user_directory_set)(struct sk_store *st, const char *name, const char *dir);

	int (*audit_add)(struct sk_store *st, const struct sk_audit *a);
	int (*audit_list)(struct sk_store *st, const struct sk_audit_filter *f,
			  int (*fn)(const struct sk_audit *, void *), void *arg);
	/* deletes the records with time < before: the count (>= 0) or -errno */
	int (*audit_prune)(struct sk_store *st, int64_t before, int64_t *deleted);
};

struct sk_store {
	const struct sk_store_ops *ops;
	void *be;		/* the backend's handle (sqlite3 *) */
	int tx_depth;		/* > 0 inside sk_store_tx / an internal transaction */
	int tx_error;		/* first failure inside a nested level: outer rolls back */
	char errmsg[256];	/* last backend error text, for -EIO diagnostics */
	char dir[512];		/* the state directory (sk_store_dir) */
	char file[512];		/* the store's path as opened, for messages */
	char gateway[SK_NAME_MAX + 1];	/* sk_store_gateway */
};

/* Transaction helpers used by store.c and the backends: begin joins an open
 * transaction (depth counter); end commits (rc == 0) or rolls back at depth
 * 0.  A failure at an inner level poisons the outer transaction so that a
 * half-done multi-row change is never committed. */
int sk_store_tx_begin(struct sk_store *st);
int sk_store_tx_end(struct sk_store *st, int rc);

/* The SQLite backend (store_sqlite.c).  create false: never creates
 * (sk_store_open_existing): -ENOENT with SK_STORE_MISSING_FMT when the
 * file or its schema_version table does not exist. */
int sk_sqlite_open(const char *path, bool create, struct sk_store **st, char *err, size_t errlen);
/* the absolute directory of an SQLite store's file (sk_store_dir_of) */
int sk_sqlite_dir(const char *path, char *dir, size_t len);
/* The PostgreSQL backend (store_pg.c): uri is a postgresql:// or
 * postgres:// URI (sk_store_is_url).  create as above (the table looked
 * for the way the migration looks: to_regclass('schema_version')). */
int sk_pg_open(const char *uri, bool create, struct sk_store **st, char *err, size_t errlen);
/* a PostgreSQL store's state directory: $SEKISHO_STATE_DIR if absolute,
 * else /var/lib/sekisho (sk_store_dir_of) */
const char *sk_pg_dir(void);
/* The message of sk_store_open_existing's -ENOENT; its four %s are the
 * store as sk_store_mask shows it. */
#define SK_STORE_MISSING_FMT \
	"the store %s does not exist: nothing was created or changed. " \
	"Check the path (--store, $SEKISHO_STORE, store = in sekishod.conf), or create " \
	"a new store with: sekictl init --store %s\n" \
	"  ストア %s は存在しません。何も作成・変更していません。パス（--store、" \
	"$SEKISHO_STORE、sekishod.conf の store =）を確認するか、新しいストアを " \
	"sekictl init --store %s で作成してください"

/* The schema, described once (store_schema.c): sk_schema[i] brings
 * version i to i + 1; sk_schema_script() gives it in one backend's SQL
 * (malloc'd, NULL on a bad version or no memory). */
enum sk_dialect { SK_DIALECT_SQLITE, SK_DIALECT_PG };
extern const char *const sk_schema[];
extern const int sk_schema_latest;
char *sk_schema_script(enum sk_dialect d, int from);
/* the message for a store whose schema is newer than this program's */
#define SK_SCHEMA_NEWER_FMT \
	"the store's schema version %lld is newer than this sekisho understands (%d); " \
	"refusing to open it (upgrade this sekisho first)\n" \
	"  ストアのスキーマ版 %lld はこの sekisho が扱える版 (%d) より新しいため、開きません" \
	"（先にこの sekisho を更新してください）"

/* Settings (settings.c). */
struct sk_setting_def {
	const char *key;
	const char *def;		/* default value text */
	/* SK_SET_SECRET: free text that is never shown, audited or taken on a
	 * command line (sk_setting_secret) */
	enum { SK_SET_TEXT, SK_SET_INT, SK_SET_BOOL, SK_SET_EMAIL, SK_SET_URL, SK_SET_NAME,
	       SK_SET_PATH, SK_SET_SECRET } kind;
	long min, max;			/* SK_SET_INT range */
	const char *help;
};
const struct sk_setting_def *sk_setting_find(const char *key);
const struct sk_setting_def *sk_setting_defs(int *n);
int sk_setting_validate(const struct sk_setting_def *d, const char *val, char *err, size_t errlen);
/* A path setting's value against the state directory dir: 0 or -EPERM */
int sk_setting_path_ok(const struct sk_setting_def *d, const char *dir, const char *val,
		       char *err, size_t errlen);
/* A new user identifier (RFC 4122 version 4 UUID from getrandom): 0 or -EIO */
int sk_uid_new(char out[SK_UID_LEN + 1]);

/* Validation (validate.c): 0 or -EINVAL with err filled. */
int sk_valid_name(const char *field, const char *s, char *err, size_t errlen);
int sk_valid_email(const char *field, const char *s, char *err, size_t errlen);
int sk_valid_user(struct sk_store *st, struct sk_user *u, char *err, size_t errlen);
int sk_valid_group(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen);
int sk_valid_device(struct sk_device *d, char *err, size_t errlen);
int sk_norm_mac(const char *in, char *out, size_t outlen);

#endif
