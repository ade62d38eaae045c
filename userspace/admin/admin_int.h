/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal helpers shared by the admin command files (not an interface:
 * callers outside userspace/admin/ use skadmin.h only).
 *
 * Every object is shown through one field list (struct ska_obj): the text
 * form of `show`, the --json form, the "before -> after" lines of `set` and
 * the audit record's before/after all come from it, so they cannot drift
 * apart.
 */
#ifndef SKA_ADMIN_INT_H
#define SKA_ADMIN_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "skadmin.h"
#include "skjson.h"

#define SKA_ERR 512

/* One running command. */
struct ska {
	struct sk_store *st;
	const struct sk_admin_caller *who;
	struct sk_admin_io *io;
	struct sk_admin_effects *fx;
	char what[48];			/* "user add": prefix of every message */
	int64_t now;
};

__attribute__((format(printf, 2, 3)))
int ska_fail(struct ska *a, const char *fmt, ...);	/* returns 1 */
/* What a command did (one line on out) or why it refused (on err, like
 * ska_fail; returns 1): en, or ja under a Japanese locale (io->ja); both
 * formats take the same arguments in the same order. */
__attribute__((format(printf, 2, 4), format(printf, 3, 4)))
void ska_said(struct ska *a, const char *en, const char *ja, ...);
__attribute__((format(printf, 2, 4), format(printf, 3, 4)))
int ska_fail2(struct ska *a, const char *en, const char *ja, ...);
/* a noun in the caller's language ("user" -> "ユーザー") */
const char *ska_noun(struct ska *a, const char *noun);
__attribute__((format(printf, 2, 3)))
int ska_usage(struct ska *a, const char *fmt, ...);	/* returns 2 */
/* splits a "KEY=VALUE" argument (key[32]); 0, or 2 after a usage message */
int ska_kv(struct ska *a, const char *arg, char key[32], const char **val);
/* Message for a store error code; returns 1.  err may be "" */
int ska_store_fail(struct ska *a, int rc, const char *obj, const char *err);

/* ---- field lists ---- */
enum ska_kt { KT_STR, KT_NUM, KT_BOOL, KT_TIME, KT_LIST };
#define SKA_OBJ_MAX 48
struct ska_kv {
	const char *key;
	enum ska_kt t;
	char *val;		/* text form; KT_LIST: comma separated; KT_TIME: "" = not set */
};
struct ska_obj {
	int n;
	struct ska_kv kv[SKA_OBJ_MAX];
};
__attribute__((format(printf, 4, 5)))
void ska_obj_add(struct ska_obj *o, const char *key, enum ska_kt t, const char *fmt, ...);
void ska_obj_time(struct ska_obj *o, const char *key, int64_t t);
void ska_obj_free(struct ska_obj *o);
const char *ska_obj_get(const struct ska_obj *o, const char *key);
void ska_obj_print(FILE *f, const struct ska_obj *o);
/* `NOUN show`: the object as text, or as one JSON object with --json; frees it */
void ska_obj_show(struct ska *a, struct ska_obj *o);
/* as a JSON object (key NULL inside arrays); only the listed keys if keys != NULL */
void ska_obj_json(struct sk_json *j, const char *key, const struct ska_obj *o,
		  const char *const *keys, int nkeys);

void ska_user_obj(const struct sk_user *u, struct ska_obj *o);
void ska_group_obj(const struct sk_group *g, struct ska_obj *o);
void ska_device_obj(const struct sk_device *d, struct ska_obj *o);

/*
 * Prints "NOUN NAME: key old -> new" for each of keys that changed and
 * writes the audit record with only those keys in before/after.
 * Returns the number of changed keys.
 */
int ska_report_changes(struct ska *a, const char *noun, const char *name,
		       const struct ska_obj *before, const struct ska_obj *after,
		       const char *const *keys, int nkeys,
		       const char *user, const char *device);

/*
 * One audit record type "admin": detail {"command":..,"before":..,"after":..}.
 * before/after are JSON texts or NULL (JSON null).  Too long a detail keeps
 * the command and says "truncated": true.
 */
int ska_audit(struct ska *a, const char *before, const char *after,
	      const char *user, const char *device);
/* JSON text of an object (malloc'd), all keys or the listed ones */
char *ska_obj_json_text(const struct ska_obj *o, const char *const *keys, int nkeys);

/* ---- parsing ---- */
/* "YYYY-MM-DD" (local time; end_of_day picks 23:59:59), ISO 8601
 * "YYYY-MM-DDTHH:MM[:SS][Z|±HH[:]MM]", or "" / "none" = 0 */
int ska_parse_time(const char *s, bool end_of_day, int64_t *t);
void ska_fmt_time(int64_t t, char *buf, size_t len);	/* "" for 0 */
int ska_parse_int(const char *s, long min, long max, long *v);
int ska_parse_bool(const char *s, bool *v);
const char *ska_lang_name(enum sk_lang l);
int ska_lang_from(const char *s);	/* -1 unknown */
const char *ska_devtype_name(enum sk_device_type t);
int ska_devtype_from(const char *s);
const char *ska_devmethod_name(enum sk_device_method m);
int ska_devmethod_from(const char *s);
/* --name VALUE / --name=VALUE; 1 matched, 0 not, -1 missing value (usage printed) */
int ska_opt(struct ska *a, int argc, char **argv, int *i, const char *name, const char **val);
/* argv[1...] is at most "--NAME VALUE" (list --user U): 0, or the usage error's code. */
int ska_only_opt(struct ska *a, int argc, char **argv, const char *name, const char **val);
bool ska_is_help(const char *s);

/*
 * The list verbs.  Their callbacks get a struct ska_list (or a struct of
 * their own with the same j and n): j is the open JSON array with --json,
 * NULL for text; n counts the objects printed (text prints a header
 * before the first).  ska_list_begin() opens the array on *j when --json
 * and sets *lj; ska_list_end() closes it, or prints "no WHAT" when text
 * listed nothing, and returns 0, or the store's failure rc as a message
 * about WHAT.
 */
struct ska_list { struct ska *a; struct sk_json *j; int n; };
void ska_list_begin(struct ska *a, struct sk_json *j, struct sk_json **lj);
int ska_list_end(struct ska *a, struct sk_json *lj, int n, int rc, const char *what);

/* Runs fn in one store transaction. */
int ska_tx(struct ska *a, int (*fn)(struct sk_store *st, void *arg), void *arg);
/* the rules of a policy, in order, in a malloc'd array (device.c) */
int ska_policy_rules(struct sk_store *st, const char *name, struct sk_rule **rules, int *n);
/* one audit record as the JSON object of `audit export` (no newline) */
void ska_audit_json(FILE *f, const struct sk_audit *r);
/* `sekictl audit prune` (retention.c) */
int ska_audit_prune_cmd(struct ska *a, int argc, char **argv);

/* ---- checks beyond one object (checks.c) ---- */
/* the URL scheme and host of smtp.url (smtp/smtps) and profile.base_url
 * (https): 0, or 2 after a usage message */
int ska_check_setting(struct ska *a, const char *key, const char *val);
/* in the transaction: -EINVAL with err set when g's pool4 or pool6
 * overlaps another group's, or d's MAC address is another device's */
int ska_check_pools(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen);
int ska_check_mac(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen);
/* a warning (exit status unchanged) when valid_until is set and past */
void ska_warn_past(struct ska *a, const char *user, int64_t valid_until);
/* --type of audit list/export: 0 for a known type, else 2 after a usage message */
int ska_check_audit_type(struct ska *a, const char *type);
/* the audit record "admin", result "refused" (status 1) or "refused-usage"
 * (2), of a command that changed nothing: its name and status only */
void ska_audit_refused(struct ska *a, int status);

/* ---- nouns ---- */
int ska_user(struct ska *a, int argc, char **argv);
int ska_group(struct ska *a, int argc, char **argv);
int ska_policy(struct ska *a, int argc, char **argv);
int ska_device(struct ska *a, int argc, char **argv);
int ska_ca(struct ska *a, int argc, char **argv);
int ska_cert(struct ska *a, int argc, char **argv);
int ska_profile(struct ska *a, int argc, char **argv);
int ska_settings(struct ska *a, int argc, char **argv);
int ska_session(struct ska *a, int argc, char **argv);
int ska_source(struct ska *a, int argc, char **argv);
int ska_directory(struct ska *a, int argc, char **argv);
int ska_radius(struct ska *a, int argc, char **argv);
int ska_audit_cmd(struct ska *a, int argc, char **argv);
int ska_posture(struct ska *a, int argc, char **argv);
/* device show: the device's last posture report and verdicts (store
 * sk_posture_last_*), or "no report yet"; into j (key "posture") when
 * j != NULL, else as text lines */
void ska_posture_last_show(struct ska *a, const char *device, struct sk_json *j);
/* The path of the session's CSTP stream (stream.c): "ktls (TLS 1.3,
 * aes-128-gcm)" or "relay (REASON)", from sekishod's last "stream" audit
 * record of the session; false when there is none (no CONNECT yet). */
bool ska_session_stream(struct ska *a, const struct sk_session *s, char *out, size_t len);

/* CSV (csv.c) */
int ska_user_import(struct ska *a, const char *path, bool ignore_extra);
int ska_user_export(struct ska *a);
int ska_device_import(struct ska *a, const char *path, bool ignore_extra);
void ska_csv_field(FILE *f, const char *s, bool last);

/* user set totp=new helper: stores a new secret, prints the URI */
int ska_totp_uri(struct ska *a, const char *user, const char *secret);

/* CA (ca.c): issues a certificate for user/device and returns a PKCS#12
 * (malloc'd) protected with password; records it in the store.  The
 * certificate carries the user's uid (SAN URI urn:uuid:UID).  It supersedes
 * the user's earlier certificates for the device, which are revoked, and
 * their profile links, which expire, except the link keep_profile (the one
 * being made, 0 = none). */
int ska_cert_issue_p12(struct ska *a, const struct sk_user *u, const char *device,
		       int days, const char *password, uint8_t **p12, size_t *len,
		       char *serial, size_t seriallen, int64_t keep_profile);
/* After certificates were revoked in the store (sk_cert_revoke_for, user or
 * device deletion): rewrites the CRL if there is a CA (0 when there is
 * none), and removes the packages of expired links.  0, or 1 after a
 * message (the store already refuses the certificates at login). */
int ska_revoked(struct ska *a);
/* certificates of user (NULL = any) for device (NULL = any) not revoked yet */
int ska_valid_certs(struct ska *a, const char *user, const char *device);
/* profile.c: removes the package files of every expired link */
void ska_profile_purge(struct ska *a);
int ska_ca_dir(struct sk_store *st, char *dir, size_t len);
/* A POSIX.1-1988 ustar header of one regular file (backup.c; the profile
 * package and the backup archive) */
void ska_tar_header(char h[512], const char *name, uint64_t size, int mode, int64_t mtime);

#endif
