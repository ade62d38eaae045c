/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skldap: the password and group source of a directory (LDAP, Active
 * Directory), on OpenLDAP's libldap.  No store, no printing: the caller
 * fills a struct sk_ldap_cfg (from the store) and gets a struct
 * sk_ldap_result, or -errno and a one-line English message.
 *
 * sk_ldap_check blocks (network, at most about n_uris x timeout seconds):
 * sekishod runs it on its hashing threads, never on the event loop.  It
 * touches nothing but its arguments and its own LDAP handle, so several
 * threads may run it at once (libldap 2.5 is thread-safe).
 *
 * One check:
 *   1. the typed name is normalised ("user@domain" and "DOMAIN\user" give
 *      "user") and must pass the store's name rules (A-Z a-z 0-9 . _ -,
 *      at most SK_NAME_MAX); an empty password is refused before any
 *      connection (an unauthenticated simple bind "succeeds");
 *   2. the URIs in order: each gets its own handle, network timeout and
 *      operation timeout; TLS (ldaps:// or StartTLS) verifies the server
 *      against ca_file (or the system's CAs) and its name; plain LDAP only
 *      with allow_plain.  A server that does not answer, refuses the
 *      connection or fails TLS: the next URI;
 *   3. the service bind (bind_dn, or anonymous when empty);
 *   4. the search: base, subtree, the filter with "%s" replaced by the
 *      account name escaped per RFC 4515; exactly one entry;
 *   5. its groups: memberOf; with nested, AD's in-chain rule
 *      (LDAP_MATCHING_RULE_IN_CHAIN) for type AD, else memberOf of the
 *      groups, breadth first, bounded;
 *   6. with a password: a simple bind as the entry's DN.
 * Everything read from the directory is checked (UTF-8, no control
 * characters, bounded) before it is copied into the result; a value that
 * fails is left out (mail, display name: "") and counted in r->dropped.
 */
#ifndef SKLDAP_H
#define SKLDAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skstore.h"

struct sk_radius_cfg;

#define SK_LDAP_URIS_MAX	4
#define SK_LDAP_MAPS_MAX	32
#define SK_LDAP_GROUPS_MAX	128	/* group DNs kept per user (more: ignored, counted) */
#define SK_DN_MAX		512
#define SK_LDAP_FILTER_MAX	512
#define SK_LDAP_ATTR_MAX	64
#define SK_LDAP_SECRET_MAX	256

/* SK_LDAP_RADIUS: a directory of type radius (skradius.h); sk_ldap_cfg_load
 * fills c->radius and sk_ldap_check asks the RADIUS servers */
enum sk_ldap_type { SK_LDAP_AD = 1, SK_LDAP_OPENLDAP, SK_LDAP_RADIUS };
enum sk_ldap_tls { SK_LDAP_TLS_LDAPS = 1, SK_LDAP_TLS_STARTTLS, SK_LDAP_TLS_PLAIN };

const char *sk_ldap_type_name(enum sk_ldap_type t);	/* "ad", "openldap", "radius" */
int sk_ldap_type_from_name(const char *s);		/* 0 = unknown */
const char *sk_ldap_tls_name(enum sk_ldap_tls t);	/* "ldaps", "starttls", "plain" */
int sk_ldap_tls_from_name(const char *s);		/* 0 = unknown */

/* one mapping rule: members of the group dn may use the sekisho group */
struct sk_ldap_map {
	char dn[SK_DN_MAX];
	char group[SK_NAME_MAX + 1];
};

struct sk_ldap_cfg {
	char name[SK_NAME_MAX + 1];
	enum sk_ldap_type type;
	int n_uris;
	char uris[SK_LDAP_URIS_MAX][SK_URL_MAX];
	enum sk_ldap_tls tls;
	bool allow_plain;
	char ca_file[SK_URL_MAX];		/* "" = the system's CAs */
	char bind_dn[SK_DN_MAX];		/* "" = anonymous */
	char bind_pw[SK_LDAP_SECRET_MAX];	/* a secret: wiped by sk_ldap_cfg_wipe */
	char base[SK_DN_MAX];
	char filter[SK_LDAP_FILTER_MAX];	/* "" = the type's default */
	char attr_mail[SK_LDAP_ATTR_MAX];	/* "" = mail */
	char attr_name[SK_LDAP_ATTR_MAX];	/* "" = displayName */
	int timeout;				/* seconds per URI and per operation, 1..60 */
	bool nested;
	int n_maps;
	struct sk_ldap_map maps[SK_LDAP_MAPS_MAX];
	struct sk_radius_cfg *radius;		/* type radius: its settings (freed by the wipe) */
	int recheck;				/* sekishod: seconds between re-checks of a
						 * logged-in user, 0 = never (recheck-interval) */
};

void sk_ldap_cfg_defaults(struct sk_ldap_cfg *c, enum sk_ldap_type type);
void sk_ldap_cfg_wipe(struct sk_ldap_cfg *c);
/* The filter a check uses ("(sAMAccountName=%s)" for AD, "(uid=%s)" else) */
const char *sk_ldap_filter(const struct sk_ldap_cfg *c);
/* A configuration sk_ldap_check accepts: 0, or -EINVAL (or -EPERM for
 * plain LDAP without allow_plain) with what to change in err. */
int sk_ldap_cfg_check(const struct sk_ldap_cfg *c, char *err, size_t errlen);

/* AD account state, from userAccountControl, msDS-User-Account-Control-
 * Computed, pwdLastSet and the "data XXX" code of a refused bind */
#define SK_AD_UAC_DISABLED	0x2u
#define SK_AD_UAC_LOCKOUT	0x10u
#define SK_AD_UAC_PW_EXPIRED	0x800000u

/* expired: the account itself (accountExpires, bind code 701), not its
 * password (pw_expired) */
struct sk_ldap_state {
	bool disabled, locked, pw_expired, must_change, expired;
};

#define SK_LDAP_PROMPT_MAX	512	/* = SK_RADIUS_PROMPT_MAX */
#define SK_LDAP_STATE_MAX	253	/* = SK_RADIUS_STATE_MAX */

struct sk_ldap_result {
	char account[SK_NAME_MAX + 1];	/* the normalised name */
	char uri[SK_URL_MAX];		/* the server that answered */
	char dn[SK_DN_MAX];
	char mail[SK_EMAIL_MAX + 1];	/* "" = none or not valid */
	char display[SK_NAME_MAX * 4];
	int n_groups;			/* group DNs, as the directory wrote them */
	char groups[SK_LDAP_GROUPS_MAX][SK_DN_MAX];
	int n_mapped;			/* sekisho groups the mapping gives, in rule order */
	char mapped[SK_LDAP_MAPS_MAX][SK_NAME_MAX + 1];
	struct sk_ldap_state state;	/* AD only */
	bool pw_checked;		/* a password was given and the user bind succeeded */
	char framed_ip[16];		/* RADIUS: Framed-IP-Address of the Accept, "" = none */
	uint32_t session_timeout;	/* RADIUS: Session-Timeout of the Accept (s), 0 = none */
	int dropped;			/* values left out because they were not valid */
	/* RADIUS Access-Challenge (-EINPROGRESS): prompt, the server's Reply-Message
	 * (valid UTF-8, no control characters but newlines) and the State to
	 * send back with the answer (sk_ldap_answer); never shown to a client */
	char prompt[SK_LDAP_PROMPT_MAX];
	uint8_t ch_state[SK_LDAP_STATE_MAX];
	size_t ch_state_len;
};

/*
 * One check (see the top).  pw NULL: no user bind (sekictl directory
 * test without a password).  r is allocated by the caller (it is large).
 *   0          found (and with pw: the password is right)
 *   -EINVAL    the name is not valid after normalisation, the password is
 *              empty, or the configuration is not valid
 *   -EPERM     plain LDAP without allow_plain
 *   -ENOENT    no entry, or more than one, for the name
 *   -EACCES    wrong password (the user bind was refused)
 *   -EPROTO    TLS failed on every server (certificate, name, protocol)
 *   -EHOSTDOWN no server answered within the timeout
 *   -EKEYREJECTED the service bind was refused
 *   -EIO       any other LDAP error
 *   -EINPROGRESS (RADIUS) an Access-Challenge: r->prompt and r->ch_state;
 *              answer it with sk_ldap_answer
 * err gets one line for the administrator (never the password).
 */
int sk_ldap_check(const struct sk_ldap_cfg *c, const char *name, const char *pw,
		  struct sk_ldap_result *r, char *err, size_t errlen);
/* The answer to an Access-Challenge (a RADIUS directory only; -EINVAL for
 * LDAP): state/state_len as the challenge gave them.  Returns as
 * sk_ldap_check (another challenge: -EINPROGRESS again). */
int sk_ldap_answer(const struct sk_ldap_cfg *c, const char *name, const uint8_t *state,
		   size_t state_len, const char *answer, struct sk_ldap_result *r,
		   char *err, size_t errlen);

/*
 * Changes the password of name from old to new_pw in the directory (the
 * new-password form of a user whose directory password must change or
 * has expired).  Blocks like sk_ldap_check (sekishod: a hashing thread).
 *   AD: on the service connection, one modify of unicodePwd that deletes
 *       the old value and adds the new one (quoted, UTF-16LE).  That is a
 *       change, which needs the old password and which AD grants to
 *       everyone, not a reset; the user's own bind cannot be used because
 *       AD refuses it while the password must change (data 773).  AD
 *       takes unicodePwd over TLS only.
 *   OpenLDAP: a bind as the user with old, then the password-modify
 *       extended operation (RFC 3062) with both passwords.
 *   0          changed
 *   -EPERM     the directory's password policy refused new_pw (err: the
 *              directory's own words, for the administrator)
 *   -EACCES    the old password was refused
 *   -ENOTSUP   the directory does not let this connection change it
 *              (rights, anonymous service bind, plain LDAP)
 *   -ENOENT, -EINVAL, -EHOSTDOWN, -EPROTO, -EKEYREJECTED, -EIO as
 *              sk_ldap_check; a server that goes away after the change
 *              was sent is not asked again on the next URI (-EHOSTDOWN).
 */
int sk_ldap_passwd(const struct sk_ldap_cfg *c, const char *name, const char *old,
		   const char *new_pw, char *err, size_t errlen);

/* ---- the store's form (auth/ldap_store.c) ----
 * A directory's settings are KEY=VALUE (sk_directory_set): type, uri
 * (space-separated, in order), tls, allow-plain, ca-file, bind-dn,
 * bind-password (a secret), base, filter, mail-attr, name-attr, timeout,
 * nested, lockout-threshold (the directory's own; ours must stay below
 * it), map-01 .. map-32 ("GROUP DN", in rule order). */
struct sk_store;
const char *sk_ldap_key(int i);		/* the keys in order; NULL after the last */
/* a directory setting's decimal number in min..max, else -1 (LDAP and RADIUS) */
int sk_dir_num(const char *v, int min, int max);
/* one KEY=VALUE as sk_ldap_cfg_load would take it: 0 or -EINVAL with why */
int sk_ldap_setting_check(const char *key, const char *val, char *err, size_t errlen);
/* The directory name from the store, checked whole (sk_ldap_cfg_check);
 * *dir_lockout (may be NULL) gets lockout-threshold (0 = not set).
 * Wipe c with sk_ldap_cfg_wipe: it holds the service password. */
int sk_ldap_cfg_load(struct sk_store *st, const char *name, struct sk_ldap_cfg *c,
		     int *dir_lockout, char *err, size_t errlen);
/* The type a stored directory has (SK_LDAP_AD, _OPENLDAP, _RADIUS; 0 =
 * none set), or -ENOENT */
int sk_ldap_dir_type(struct sk_store *st, const char *name);

/* ---- pure helpers (unit-tested without a server) ---- */

/* RFC 4515 value escaping: '*', '(', ')', '\\' and NUL as \2a \28 \29 \5c
 * \00 (len bytes of in, which may hold NUL).  0, or -ENOSPC. */
int sk_ldap_escape(const char *in, size_t len, char *out, size_t outlen);
/* "user@domain", "DOMAIN\\user" or "user" -> "user", checked against the
 * name rules.  0, or -EINVAL with why in err. */
int sk_ldap_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);
/* A directory value fit to store and log: UTF-8 without control
 * characters, at most max bytes. */
bool sk_ldap_value_ok(const char *v, size_t len, size_t max);
/* An AD integer attribute (userAccountControl: decimal, maybe negative as
 * a signed 32-bit value).  0 and *out, or -EINVAL. */
int sk_ldap_parse_uac(const char *v, size_t len, uint32_t *out);
/* AD's accountExpires (a FILETIME: 100 ns since 1601; 0 and
 * 0x7FFFFFFFFFFFFFFF = never) is before now (Unix seconds): 1; not: 0;
 * not a number: -EINVAL */
int sk_ldap_ad_expired(const char *v, size_t len, int64_t now);
/* "\"pw\"" as UTF-16LE (AD's unicodePwd) from UTF-8 pw: the length in
 * bytes, or -EINVAL (not UTF-8, a control character) / -ENOSPC */
int sk_ldap_unicode_pwd(const char *pw, uint8_t *out, size_t outlen);
/* Folds userAccountControl / msDS-User-Account-Control-Computed flags into s */
void sk_ldap_uac_state(uint32_t uac, struct sk_ldap_state *s);
/* AD's refused-bind diagnostic ("... AcceptSecurityContext error, data
 * 773, v4563"): 525 no user, 52e wrong password, 530 hours, 531
 * workstation, 532 expired, 533 disabled, 701 account expired, 773 must
 * change, 775 locked.  Returns the code (hex value), or 0 when there is
 * none; sets the state a code tells (532, 533, 701, 773, 775).  AD (and
 * Samba) answer 532, 533, 701 and 773 only to the right password, 52e to
 * a wrong one; 775 to any once the account is locked. */
unsigned int sk_ldap_ad_bind_code(const char *diag, struct sk_ldap_state *s);
/* a filter with one parenthesised expression and exactly one %s */
bool sk_ldap_filter_ok(const char *f);
/* an attribute name (letters, digits, -), "" = the default */
bool sk_ldap_attr_ok(const char *a);
/* Two DNs naming the same entry (normalised by libldap, case-insensitive) */
bool sk_ldap_dn_equal(const char *a, const char *b);
/* Fills r->mapped from r->groups and c->maps (rule order, no duplicates) */
void sk_ldap_map_groups(const struct sk_ldap_cfg *c, struct sk_ldap_result *r);

#endif
