/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skstore: the one store of a sekisho gateway (users, groups, policies,
 * devices, certificates, profiles, settings, sessions, leases, audit).
 *
 * Callers see only this header.  A backend is a table of operations
 * (struct sk_store_ops, store_sqlite.c today); a PostgreSQL backend adds
 * another table without touching any caller.  Every function that changes
 * more than one row does so in one transaction.  Functions return 0 on
 * success or a negative errno-style code:
 *   -ENOENT  no such object          -EEXIST   already exists
 *   -EINVAL  invalid value (errbuf says which and why)
 *   -EBUSY   still in use (e.g. an assigned device, a group with users)
 *   -ENOSPC  a limit was reached (e.g. devices per user)
 *   -EIO     the database failed (errbuf has the SQLite message)
 * Where a function takes char *err, size_t errlen it writes a one-line
 * English reason there on failure.
 *
 * Times are Unix seconds (int64_t); 0 means "not set" unless said otherwise.
 * Strings in structs are NUL-terminated, bounded by the SK_*_MAX sizes.
 */
#ifndef SKSTORE_H
#define SKSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skparse.h"

#define SK_NAME_MAX	64	/* user, group, policy, device names */
#define SK_EMAIL_MAX	254
#define SK_TEXT_MAX	1024	/* banner, free text */
#define SK_HASH_MAX	128	/* argon2id encoded hash string */
#define SK_ADDR_MAX	64	/* textual address or prefix */
#define SK_LIST_MAX	32	/* entries in DNS/split/etc lists */
#define SK_URL_MAX	512
#define SK_FACTORS_MAX	4
#define SK_UID_LEN	36	/* a user's identifier: RFC 4122 UUID text */
#define SK_DISPLAY_NAME_MAX 64	/* a user's display name (氏名), in characters */

struct sk_store;

enum sk_factor {
	SK_FACTOR_NONE = 0,
	SK_FACTOR_CERT,		/* "cert": TLS client certificate */
	SK_FACTOR_PASSWORD,	/* "password" */
	SK_FACTOR_EMAIL_OTP,	/* "email-otp" */
	SK_FACTOR_TOTP,		/* "totp" */
};

enum sk_proxy_mode {
	SK_PROXY_CLIENT = 0,	/* "client": the client's own setting */
	SK_PROXY_PAC,		/* "pac": proxy_pac URL */
	SK_PROXY_SERVER,	/* "server": proxy_server host:port + exclusions */
	SK_PROXY_NONE,		/* "none": direct */
};

enum sk_lang { SK_LANG_AUTO = 0, SK_LANG_JA, SK_LANG_EN };

enum sk_device_type { SK_DEV_WINDOWS = 1, SK_DEV_MAC, SK_DEV_IOS, SK_DEV_ANDROID };
enum sk_device_method { SK_DEVM_SERIAL = 1, SK_DEVM_MAC };

/* name <-> enum helpers (return 0/NULL on unknown names) */
enum sk_factor sk_factor_from_name(const char *s);
const char *sk_factor_name(enum sk_factor f);
int sk_proxy_mode_from_name(const char *s);		/* -1 unknown */
const char *sk_proxy_mode_name(enum sk_proxy_mode m);

struct sk_user {
	int64_t id;
	char name[SK_NAME_MAX + 1];
	char email[SK_EMAIL_MAX + 1];
	/* the person's name as shown to administrators (氏名, "山田 太郎"):
	 * one line of UTF-8 without control characters, at most
	 * SK_DISPLAY_NAME_MAX characters; "" = none.  Never used to log in. */
	char display_name[SK_DISPLAY_NAME_MAX * 4 + 1];
	char group[SK_NAME_MAX + 1];
	char pw_hash[SK_HASH_MAX + 1];	/* "" = no password set */
	bool must_change_pw;		/* first login forces a new password */
	bool enabled;
	bool locked;			/* by lockout or by an administrator */
	int64_t locked_until;		/* 0 = until unlocked by an admin */
	int fail_count;			/* consecutive failures */
	int lock_count;			/* locks since the last successful login: each one
					 * lasts twice the one before (lockout.duration,
					 * capped by lockout.max_duration).  Read only:
					 * sk_user_update ignores it */
	int64_t valid_from, valid_until;	/* 0 = unbounded */
	char totp_secret[SK_NAME_MAX + 1];	/* base32, "" = none */
	int64_t totp_last_step;		/* last accepted RFC 6238 step */
	char cert_id[SK_NAME_MAX + 1];	/* value the cert binding field must have; "" = user name */
	enum sk_lang lang;
	int64_t created, changed;
	/* Set by the store when the user is added (a random UUID v4 from
	 * getrandom), never changed and never given to another user: the
	 * built-in CA writes it into the certificate (SAN URI urn:uuid:...) so
	 * that a certificate is bound to this record, not to a name that a
	 * later user may get.  Read only: sk_user_update ignores it. */
	char uid[SK_UID_LEN + 1];
	/* the record existed before the store had uids (schema version 3):
	 * certificates of the built-in CA without a uid may still be this
	 * user's (see auth/chain.c cert_owner) */
	bool legacy_certs;
};

#define SK_GROUP_MAX_SESSIONS_DEFAULT 3	/* max_sessions of a new group */

struct sk_group {
	int64_t id;
	char name[SK_NAME_MAX + 1];
	char label[SK_NAME_MAX + 1];	/* shown in the client's group list */
	enum sk_factor factors[SK_FACTORS_MAX];	/* ordered; NONE ends the list */
	char pool4[SK_ADDR_MAX];	/* "10.77.0.0/24", "" = none */
	char pool6[SK_ADDR_MAX];	/* "fd00:77::/64", "" = none */
	char dns[2][SK_ADDR_MAX];	/* primary, secondary */
	char wins[SK_ADDR_MAX];
	char domain[SK_NAME_MAX * 4];
	int n_split_inc, n_split_exc, n_split_dns;
	char split_inc[SK_LIST_MAX][SK_ADDR_MAX];	/* v4 or v6 prefixes */
	char split_exc[SK_LIST_MAX][SK_ADDR_MAX];
	char split_dns[SK_LIST_MAX][SK_NAME_MAX * 4];
	enum sk_proxy_mode proxy_mode;
	char proxy_pac[SK_URL_MAX];
	char proxy_server[SK_URL_MAX];		/* host:port */
	char proxy_exclude[SK_TEXT_MAX];	/* "*.local;10.*" */
	char banner[SK_TEXT_MAX];
	int idle_timeout;		/* seconds, 0 = none */
	int session_timeout;		/* seconds, 0 = none */
	int max_sessions;		/* per user, 0 = unlimited */
	int max_devices;		/* per user (default 2) */
	char access_hours[SK_NAME_MAX];	/* "" = always, else "HH:MM-HH:MM[,days]" */
	char policy[SK_NAME_MAX + 1];	/* allowlist policy name, "" = deny all */
	enum sk_lang lang;
	int mtu;			/* 0 = automatic */
	/* the factors may be "cert" alone: an administrator accepted that a
	 * compromised worker can pass it for any certificate it has seen
	 * (Documentation/admin/sekishod-security.md) */
	bool cert_only_ok;
};

/* true if the group's factors are "cert" alone (no secret is asked) */
bool sk_group_cert_only(const struct sk_group *g);

/* An allowlist rule is lib/skparse.h's struct sk_rule (one type for the
 * store, the CLI and the kernel client). */

struct sk_policy {
	int64_t id;			/* also the kernel policy id */
	char name[SK_NAME_MAX + 1];
	char description[SK_TEXT_MAX];
	int n_rules;
};

struct sk_device {
	int64_t id;
	char name[SK_NAME_MAX + 1];	/* [A-Za-z0-9._-]+ */
	enum sk_device_type type;
	bool enabled;
	bool check;			/* device check on/off */
	enum sk_device_method method;
	char ident[SK_NAME_MAX + 1];	/* serial ID or MAC "12:34:56:78:90:ab" */
	char policy[SK_NAME_MAX + 1];	/* override, "" = the group's */
	char user[SK_NAME_MAX + 1];	/* assigned user, "" = none */
};

struct sk_cert {
	int64_t id;
	char serial[SK_NAME_MAX + 1];	/* hex */
	char user[SK_NAME_MAX + 1];
	char device[SK_NAME_MAX + 1];
	char subject[SK_TEXT_MAX];
	int64_t not_before, not_after, revoked_at;	/* revoked_at 0 = valid */
	char user_uid[SK_UID_LEN + 1];	/* the user's uid at issue; "" = issued before uids */
};

enum sk_profile_state {
	SK_PROFILE_MAIL_PENDING = 1,	/* mail to send */
	SK_PROFILE_WAIT_DOWNLOAD,	/* waiting for download */
	SK_PROFILE_WAIT_REGISTER,	/* downloaded, waiting for device registration */
	SK_PROFILE_READY,
	SK_PROFILE_EXPIRED,
};

struct sk_profile {
	int64_t id;
	char user[SK_NAME_MAX + 1];
	char device[SK_NAME_MAX + 1];
	uint8_t token_hash[32];		/* SHA-256 of the link token */
	int64_t expires;
	int max_downloads;		/* 0 = unlimited */
	int downloads;
	enum sk_profile_state state;
	int64_t created;
};

struct sk_session {
	int64_t id;			/* also the kernel peer id (u32 range) */
	uint8_t cookie_hash[32];	/* SHA-256 of the cookie; the cookie is never stored */
	char user[SK_NAME_MAX + 1];
	char group[SK_NAME_MAX + 1];
	char device[SK_NAME_MAX + 1];
	char addr4[SK_ADDR_MAX], addr6[SK_ADDR_MAX];	/* assigned */
	char remote[SK_ADDR_MAX * 2];	/* client address:port */
	int64_t started, last_seen, expires;
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_pkts, tx_pkts;	/* packets, as the bytes (schema 13) */
	int pid;			/* worker pid while connected, 0 = detached */
	bool killed;			/* killed by an administrator: cookie invalid */
	char gateway[SK_NAME_MAX + 1];	/* the gateway serving it ("" = the handle's) */
	/* posture (issue 12): the remediation allowlist of a quarantined
	 * tunnel ("" = not quarantined) and why ("av: av-definitions-old") */
	char quarantine[SK_NAME_MAX + 1];
	char quarantine_why[64];
};

struct sk_audit {
	int64_t id;
	int64_t time;
	char type[SK_NAME_MAX + 1];	/* "login", "factor", "session-start", "session-end", "admin", ... */
	char actor[SK_NAME_MAX * 2];	/* user name, or "uid=0(root)" for admins */
	char user[SK_NAME_MAX + 1];
	char device[SK_NAME_MAX + 1];
	char source[SK_ADDR_MAX * 2];	/* client address */
	char result[SK_NAME_MAX + 1];	/* "ok", "fail", reason keyword */
	char detail[SK_TEXT_MAX * 2];	/* JSON object text (before/after, factor, bytes, ...) */
	char gateway[SK_NAME_MAX + 1];	/* who wrote it ("" = the handle's sk_store_gateway) */
};

struct sk_audit_filter {
	int64_t since, until;		/* 0 = unbounded */
	const char *user, *device, *type;	/* NULL = any */
	int limit;			/* 0 = no limit */
	int64_t after_id;		/* only ids above it; 0 = any */
};

/* ---- open, close ---- */

/* Opens (creating and migrating) the store: a path is an SQLite file, a
 * postgresql:// or postgres:// URI a PostgreSQL database
 * (Documentation/admin/store.md).  Messages never show a password. */
int sk_store_open(const char *path, struct sk_store **st, char *err, size_t errlen);
/* Opens a store that exists, never creating one (every command but
 * sekictl init, and sekishod): as sk_store_open (an older schema is
 * migrated), but -ENOENT when there is no store, with a message (en/ja)
 * naming sekictl init, and nothing created or changed: an SQLite file
 * that does not exist, or one without the table schema_version (empty, a
 * half-made init, another program's database); a PostgreSQL database
 * without schema_version in the schema it would be created in.  The
 * check is made where the migration reads the version, under the write
 * lock, so there is no gap between "it exists" and "it is open". */
int sk_store_open_existing(const char *path, struct sk_store **st, char *err, size_t errlen);
/* The state directory (sk_store_dir) the store named by path has or
 * would have, without opening or creating anything: 0 or -ENAMETOOLONG,
 * -errno (getcwd). */
int sk_store_dir_of(const char *path, char *dir, size_t len);
/* true when store names a PostgreSQL database (postgresql:// or postgres://) */
bool sk_store_is_url(const char *store);
/* The store string fit for a message: any password replaced by "***" (a
 * path as it is).  Print this, never the store string itself. */
void sk_store_mask(const char *store, char *out, size_t len);
void sk_store_close(struct sk_store *st);
/* The state directory: the directory of the store file (absolute).  Every
 * path setting (kind SK_SET_PATH, today ca.dir) must lie below it, and the
 * path settings' defaults are relative to it. */
const char *sk_store_dir(struct sk_store *st);
/* The name of the gateway (or the host running sekictl) that this handle
 * writes into every audit record and session row: the host name from the
 * open on (a name of A-Z a-z 0-9 . _ -, else "unnamed"), or the one set
 * (sekishod: its gateway = setting).  -EINVAL for a name that is not one. */
int sk_store_set_gateway(struct sk_store *st, const char *name);
const char *sk_store_gateway(const struct sk_store *st);
/* Checks every path setting as stored (a store written with sqlite3
 * directly skips sk_setting_set): 0, or -EPERM with a message naming the
 * setting and the fix.  sekishod refuses to start on -EPERM. */
int sk_store_check_paths(struct sk_store *st, char *err, size_t errlen);
/* Runs fn inside one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK if fn
 * returns non-zero).  Nested calls join the outer transaction. */
int sk_store_tx(struct sk_store *st, int (*fn)(struct sk_store *st, void *arg), void *arg);
int sk_store_schema_version(struct sk_store *st);

/* ---- users ---- */
/* A display name as sk_user_add/update take it: 0, or -EINVAL with the
 * reason in err ("display-name: ..."); "" is valid (none). */
int sk_valid_display_name(const char *s, char *err, size_t errlen);
int sk_user_add(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen);
int sk_user_get(struct sk_store *st, const char *name, struct sk_user *u);
int sk_user_update(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen);
int sk_user_del(struct sk_store *st, const char *name);
/* Calls fn for every user in name order; stops early if fn returns non-zero. */
int sk_user_list(struct sk_store *st, int (*fn)(const struct sk_user *u, void *arg), void *arg);
/* Records a failed login of an existing user without a source (see
 * sk_login_fail): lock_seconds 0 = a lock until an administrator unlocks,
 * else the first lock's length, doubled at each further lock up to
 * lock_seconds (no growth here).  Writes the updated user back to *u. */
int sk_user_fail(struct sk_store *st, const char *name, int threshold, int lock_seconds,
		 int64_t now, struct sk_user *u);
int sk_user_success(struct sk_store *st, const char *name);	/* fail_count = lock_count = 0 */
int sk_user_set_password(struct sk_store *st, const char *name, const char *hash, bool must_change);
/* Stores step as last used TOTP step; -EALREADY if step <= the stored one. */
int sk_user_totp_use(struct sk_store *st, const char *name, int64_t step);

/* ---- login failures: accounts and source addresses ----
 *
 * A source is scored per address: an IPv4 address, or the /64 of an IPv6
 * one (an IPv4-mapped IPv6 address counts as IPv4), across connections,
 * front ends and, with a shared store, gateways.  One row per source
 * prefix: failures in the current window, when the window began, the last
 * failure, the end of a block and how often it was blocked.  The table is
 * bounded: a row whose block has passed and whose last failure is older
 * than the window is deleted at the next failure of any source; at
 * SK_SOURCES_MAX rows the unblocked row with the oldest failure makes
 * room, never a blocked one (when every row is blocked, a new source is
 * not scored until one expires).
 */
#define SK_SOURCES_MAX	10000

struct sk_source {
	char prefix[SK_ADDR_MAX];	/* "192.0.2.7" or "2001:db8:1:2::/64" */
	int failures;			/* failures in the window that began at window_start */
	int64_t window_start, last_fail;
	int64_t blocked_until;		/* blocked while > now; 0 = never blocked */
	int blocks;			/* times blocked */
};

/* The source key of a client address: "192.0.2.7", "192.0.2.7:443",
 * "[2001:db8::1]:443", "2001:db8::1", "2001:db8::/64", "::ffff:192.0.2.7"
 * -> "192.0.2.7" or "2001:db8::/64".  0 or -EINVAL. */
int sk_source_key(const char *addr, char *out, size_t len);
/* true when addr (any form above) lies in setting source.never_block */
bool sk_source_never_block(struct sk_store *st, const char *addr);
/* A comma-separated list of address ranges ("192.0.2.0/24, 2001:db8::/32"):
 * 0 or -EINVAL with the entry at fault in err */
int sk_cidr_list_check(const char *list, char *err, size_t errlen);

struct sk_fail_policy {
	int lock_threshold;		/* failures that lock an account, 0 = never */
	int lock_seconds;		/* first lock, 0 = until an administrator unlocks */
	int lock_max_seconds;		/* cap of the doubling */
	int src_threshold;		/* failures in src_window that block a source, 0 = never */
	int src_window, src_block_seconds;
	bool src_exempt;		/* counted but never blocked (source.never_block) */
};

struct sk_fail_result {
	bool user_found;
	bool user_locked_now;		/* this failure locked the account */
	struct sk_user u;		/* the user after the failure (user_found) */
	bool src_scored;		/* the source has a row (the table may be full of blocks) */
	bool src_blocked_now;		/* this failure blocked the source */
	struct sk_source src;
};

/*
 * One failed answer of a login, in one transaction: the account of user
 * (NULL = none; a name that does not exist costs the same lookup), then
 * the source of addr (NULL = none).  A failure during a lock neither
 * counts nor extends it (an anonymous client cannot keep a user out for
 * longer than one lock without its source being blocked first); a lock
 * that has passed starts a new count.  0 or -errno; *r filled.
 */
int sk_login_fail(struct sk_store *st, const char *user, const char *addr,
		  const struct sk_fail_policy *p, int64_t now, struct sk_fail_result *r);
/* The row of addr's source: 0, -ENOENT, -EINVAL */
int sk_source_get(struct sk_store *st, const char *addr, struct sk_source *s);
/* Every row, most recent failure first */
int sk_source_list(struct sk_store *st, int (*fn)(const struct sk_source *s, void *arg), void *arg);
/* Forgets addr's source (its block and its count): 0, -ENOENT, -EINVAL */
int sk_source_del(struct sk_store *st, const char *addr);

/* ---- groups ---- */
void sk_group_defaults(struct sk_group *g);	/* factors = {password}, max_devices = 2, ... */
int sk_group_add(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen);
int sk_group_get(struct sk_store *st, const char *name, struct sk_group *g);
int sk_group_update(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen);
int sk_group_del(struct sk_store *st, const char *name);	/* -EBUSY if users remain */
int sk_group_list(struct sk_store *st, int (*fn)(const struct sk_group *g, void *arg), void *arg);

/* ---- policies (allowlists) ---- */
int sk_policy_add(struct sk_store *st, const char *name, const char *description);
int sk_policy_get(struct sk_store *st, const char *name, struct sk_policy *p);
int sk_policy_del(struct sk_store *st, const char *name);	/* -EBUSY if a group/device uses it */
int sk_policy_list(struct sk_store *st, int (*fn)(const struct sk_policy *p, void *arg), void *arg);
/* Rules in order.  *n in: capacity of rules[], out: number of rules (may be
 * larger than the capacity, then only capacity were copied). */
int sk_policy_rules(struct sk_store *st, const char *name, struct sk_rule *rules, int *n);
/* pos: 1-based position to insert at, 0 = append */
int sk_rule_add(struct sk_store *st, const char *policy, int pos, const struct sk_rule *r);
int sk_rule_del(struct sk_store *st, const char *policy, int pos);
int sk_rule_move(struct sk_store *st, const char *policy, int from, int to);
/* Text form of a rule, the same as sekictl accepts:
 *   "allow|deny [tcp|udp|icmp|icmpv6|any] PREFIX [port N[-M]]" */
int sk_rule_parse(const char *text, struct sk_rule *r, char *err, size_t errlen);
int sk_rule_format(const struct sk_rule *r, char *buf, size_t len);
/* A rule the store and the kernel take: family, host bits, protocol, ports. */
bool sk_rule_ok(const struct sk_rule *r);

/* ---- devices ---- */
int sk_device_add(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen);
int sk_device_get(struct sk_store *st, const char *name, struct sk_device *d);
int sk_device_update(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen);
int sk_device_del(struct sk_store *st, const char *name);	/* -EBUSY if assigned */
int sk_device_list(struct sk_store *st, const char *user /* NULL = all */,
		   int (*fn)(const struct sk_device *d, void *arg), void *arg);
/* -ENOSPC beyond the group's max_devices for that user */
int sk_device_assign(struct sk_store *st, const char *user, const char *device, char *err, size_t errlen);
int sk_device_unassign(struct sk_store *st, const char *user, const char *device);

/* ---- certificates issued by the built-in CA ---- */
int sk_cert_add(struct sk_store *st, const struct sk_cert *c);
int sk_cert_get(struct sk_store *st, const char *serial, struct sk_cert *c);
int sk_cert_revoke(struct sk_store *st, const char *serial, int64_t when);
int sk_cert_list(struct sk_store *st, const char *user, int (*fn)(const struct sk_cert *c, void *arg), void *arg);
/*
 * Ends what was issued for a user and/or a device: revokes (at `when`)
 * every valid certificate of user (NULL = any user) for device (NULL = any
 * device) except keep_serial (NULL = none), and expires every profile link
 * of the same user/device that is not expired yet, except the link
 * keep_profile (0 = none).  At least one of user and device is required.
 * Returns the number of certificates revoked, or -errno.  sk_user_del,
 * sk_device_del and sk_device_unassign do the same in their transaction.
 */
int sk_cert_revoke_for(struct sk_store *st, const char *user, const char *device,
		       const char *keep_serial, int64_t keep_profile, int64_t when);

/* ---- profile links ---- */
int sk_profile_add(struct sk_store *st, struct sk_profile *p);	/* sets p->id */
int sk_profile_find(struct sk_store *st, const uint8_t token_hash[32], struct sk_profile *p);
int sk_profile_update(struct sk_store *st, const struct sk_profile *p);
int sk_profile_list(struct sk_store *st, int (*fn)(const struct sk_profile *p, void *arg), void *arg);

/* ---- settings (key = value text) ---- */
/* Known keys and defaults are in store/settings.c; unknown keys -EINVAL. */
int sk_setting_get(struct sk_store *st, const char *key, char *val, size_t len);
int sk_setting_set(struct sk_store *st, const char *key, const char *val, char *err, size_t errlen);
int sk_setting_int(struct sk_store *st, const char *key, int def);
int sk_setting_list(struct sk_store *st, int (*fn)(const char *key, const char *val, void *arg), void *arg);
/* true for a secret setting (smtp.password): its value is stored (the
 * daemon needs it) but never shown, never written to the audit trail and
 * read from stdin or a file instead of the command line. */
bool sk_setting_secret(const char *key);

/* ---- directories (issue 15, Documentation/admin/directory.md) ----
 * A directory is a name and KEY=VALUE settings (keys [a-z][a-z0-9-]*, at
 * most 31 characters; values one line of text, at most SK_TEXT_MAX - 1
 * bytes).  The store checks only that; what the keys mean and which
 * values are valid is auth/ldap.c's (sk_ldap_cfg_load), which the admin
 * commands run before they store a value.  The key "bind-password" is a
 * secret: never listed by the admin commands, never audited.
 *   -EEXIST  a directory of that name exists   -ENOENT no such directory/group
 *   -EBUSY   delete: a group uses it, or user records were made for it */
int sk_directory_add(struct sk_store *st, const char *name, char *err, size_t errlen);
int sk_directory_del(struct sk_store *st, const char *name);
int sk_directory_list(struct sk_store *st, int (*fn)(const char *name, void *arg), void *arg);
/* val NULL or "" = remove the key */
int sk_directory_set(struct sk_store *st, const char *name, const char *key, const char *val,
		     char *err, size_t errlen);
int sk_directory_settings(struct sk_store *st, const char *name,
			  int (*fn)(const char *key, const char *val, void *arg), void *arg);
/* The directory whose users log in to group (dir NULL = none, local users) */
int sk_group_directory_set(struct sk_store *st, const char *group, const char *dir);
/* dir "" = none; 0, -ENOENT (no such group) */
int sk_group_directory_get(struct sk_store *st, const char *group, char *dir, size_t len);
/* The directory a user record was made for ("" = a local account): 0,
 * -ENOENT (no such user).  _set: dir NULL = local. */
int sk_user_directory_get(struct sk_store *st, const char *name, char *dir, size_t len);
int sk_user_directory_set(struct sk_store *st, const char *name, const char *dir);

/* ---- device posture (issue 12, Documentation/admin/posture.md) ----
 * Policy keys per group, and per device overriding its group's; each
 * KEY=VALUE is checked with sk_posture_policy_set (lib/posture.h) before
 * it is stored.  val NULL or "" removes the key (the group's or the
 * default value applies again).  -ENOENT: no such group or device. */
enum sk_posture_scope { SK_PO_SCOPE_GROUP = 0, SK_PO_SCOPE_DEVICE };
int sk_posture_set(struct sk_store *st, enum sk_posture_scope scope, const char *name,
		   const char *key, const char *val, char *err, size_t errlen);
int sk_posture_list(struct sk_store *st, enum sk_posture_scope scope, const char *name,
		    int (*fn)(const char *key, const char *val, void *arg), void *arg);
/* A device's last posture report and verdicts (JSON texts made by
 * auth/posture_eval.c), kept for `sekictl device show`. */
#define SK_PO_REPORT_JSON	6144
#define SK_PO_VERDICT_JSON	1536
struct sk_posture_last {
	int64_t time;
	char outcome[16];		/* "ok", "refuse", "quarantine" */
	char report[SK_PO_REPORT_JSON];
	char verdicts[SK_PO_VERDICT_JSON];
};
int sk_posture_last_set(struct sk_store *st, const char *device, const struct sk_posture_last *l);
/* 0, -ENOENT (no report kept) */
int sk_posture_last_get(struct sk_store *st, const char *device, struct sk_posture_last *l);

/* ---- sessions and address leases ---- */
int sk_session_add(struct sk_store *st, struct sk_session *s);	/* sets s->id */
int sk_session_get(struct sk_store *st, int64_t id, struct sk_session *s);
int sk_session_find(struct sk_store *st, const uint8_t cookie_hash[32], struct sk_session *s);
int sk_session_update(struct sk_store *st, const struct sk_session *s);
int sk_session_del(struct sk_store *st, int64_t id);
int sk_session_list(struct sk_store *st, int (*fn)(const struct sk_session *s, void *arg), void *arg);
/* Address lease: the same user gets the same address on reconnect. */
int sk_lease_get(struct sk_store *st, const char *user, int family, char *addr, size_t len);
int sk_lease_set(struct sk_store *st, const char *user, int family, const char *addr);
bool sk_lease_taken(struct sk_store *st, int family, const char *addr, const char *by_other_than_user);
/* Session id takes addr (AF_INET or AF_INET6, any valid spelling: stored
 * in its canonical form) as its address of that family.  The database
 * refuses an address that another session holds, on this gateway or on
 * another sharing the store (unique indexes sessions_addr4/6): -EEXIST.
 * -ENOENT: no such session; -EINVAL: not an address of that family. */
int sk_session_claim_addr(struct sk_store *st, int64_t id, int family, const char *addr);
/* The sessions of user that are not killed, on every gateway (a group's
 * max_sessions): 0 and *n, or -errno. */
int sk_session_count(struct sk_store *st, const char *user, int *n);

/* ---- gateways that die (several gateways on one store; schema 12,
 * Documentation/decisions/gateway-heartbeat.md) ----
 * sk_gateway_beat: this handle's gateway (sk_store_gateway) is alive at
 * now; started is its start time.  sekishod writes it every 10 s.
 * sk_gateway_reap: every other gateway whose last beat is older than
 * before loses its sessions to this handle's gateway, as detached ones
 * (pid 0; last_seen now for those it still served, else kept): one
 * statement per gateway, which checks the beat again, so that a gateway
 * that beat meanwhile keeps its rows and two gateways reaping at once
 * take each row once.  fn(gateway, its last beat, rows taken, arg) for
 * each gateway that lost rows.  0 or -errno.  A gateway name that never
 * beat (a gateway of schema 11) is left alone. */
int sk_gateway_beat(struct sk_store *st, int64_t started, int64_t now);
int sk_gateway_reap(struct sk_store *st, int64_t before, int64_t now,
		    int (*fn)(const char *gateway, int64_t seen, int n, void *arg), void *arg);

/* ---- live changes (PostgreSQL LISTEN/NOTIFY; store_listen.c) ----
 *
 * A PostgreSQL store announces every change a running gateway must apply
 * (schema 10's triggers, whoever writes: sekictl against any gateway,
 * sekictl --store, psql).  A gateway listens on a connection of its own
 * that never blocks it:
 *   sk_listen_new(uri, &l)   -EOPNOTSUPP for an SQLite store (one gateway)
 *   sk_listen_fd(l)          one descriptor for the whole life of l (poll
 *                            it for input; level-triggered)
 *   sk_listen_step(l, &n)    when the descriptor is readable and about once
 *                            a second: connects, reconnects (1-5 s apart),
 *                            reads; fills n; 1 while listening
 * A notification is a hint, never trusted: read the store before acting.
 * SK_NOTE_RESYNC: (re)connected, notifications may have been lost: read
 * everything again. */
#define SK_NOTE_KILL_MAX	64
#define SK_NOTE_PAYLOAD_MAX	64
enum {
	SK_NOTE_USERS = 1 << 0,		/* users, groups or devices: re-check sessions */
	SK_NOTE_POLICIES = 1 << 1,	/* policies or their rules: program the kernel */
	SK_NOTE_SETTINGS = 1 << 2,
	SK_NOTE_CRL = 1 << 3,		/* a certificate was revoked */
	SK_NOTE_KILL_SCAN = 1 << 4,	/* more kills than kill[] holds: check every session */
	SK_NOTE_RESYNC = 1 << 5,	/* listening (again): read everything */
	SK_NOTE_RECONNECTED = 1 << 6,	/* ... after a lost connection */
	SK_NOTE_LOST = 1 << 7,		/* the connection was lost (sk_listen_error) */
};
struct sk_notes {
	unsigned kinds;
	int n_kill;
	int64_t kill[SK_NOTE_KILL_MAX];	/* sessions killed or moved to another gateway */
	int dropped;			/* notifications that were not ours */
};
struct sk_listen;
int sk_listen_new(const char *uri, struct sk_listen **l);
int sk_listen_fd(const struct sk_listen *l);
int sk_listen_step(struct sk_listen *l, struct sk_notes *n);
bool sk_listen_up(const struct sk_listen *l);
const char *sk_listen_error(const struct sk_listen *l);	/* why it is not listening */
void sk_listen_free(struct sk_listen *l);

/* ---- audit ---- */
/* the shortest audit.retention_days (but 0: keep forever) */
#define SK_AUDIT_RETENTION_MIN	30
int sk_audit_add(struct sk_store *st, const struct sk_audit *a);
int sk_audit_list(struct sk_store *st, const struct sk_audit_filter *f,
		  int (*fn)(const struct sk_audit *a, void *arg), void *arg);
/* Deletes the audit records older than before (time < before; before > 0,
 * else -EINVAL), durably; the count in *deleted (may be NULL).  Inside
 * sk_store_tx it joins the caller's transaction (admin/ exports the
 * records and audits the pruning in the same one: ska_audit_prune). */
int sk_audit_prune(struct sk_store *st, int64_t before, int64_t *deleted);

#endif
