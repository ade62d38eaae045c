/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skauth: the pieces of the authentication chain that do not depend on the
 * protocol: password hashes, one-time codes, TOTP, client certificates,
 * constant-time comparison and wiping.  Pure functions (no store access,
 * no global mutable state); sekishod's main process calls them.
 */
#ifndef SKAUTH_H
#define SKAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* ---- process setup (added by the auth helper) ---- */
/* curl_global_init + oath_init: call ONCE from main() before any thread or
 * worker exists (libcurl's global init is not thread-safe).  0 or -EIO. */
int sk_auth_global_init(void);
void sk_auth_global_cleanup(void);

/* ---- secrets ---- */
bool sk_ct_equal(const void *a, const void *b, size_t len);	/* constant time */
/* constant time over strings of possibly different length (length leaks only via max) */
bool sk_ct_streq(const char *a, const char *b);
void sk_wipe(void *p, size_t len);				/* OPENSSL_cleanse */
int sk_random(void *buf, size_t len);				/* RAND_bytes; 0 ok, -EIO */

/* ---- passwords: argon2id (libargon2), encoded "$argon2id$v=19$m=...,t=...,p=...$salt$hash" ---- */
#define SK_PW_HASH_MAX 128
struct sk_pw_params { uint32_t t_cost, m_cost_kib, parallelism; };
/* default: t=5, m=7168 KiB, p=1 (OWASP minimum; decisions/password-cost.md) */
extern const struct sk_pw_params sk_pw_default;
struct sk_store;
/* What new hashes get: settings password.memory_kib, password.time_cost
 * and password.parallelism
 * (sk_pw_default when unset or out of range).  Stored hashes carry their
 * own parameters, so a change applies to passwords set from then on. */
void sk_pw_params_load(struct sk_store *st, struct sk_pw_params *p);
int sk_pw_hash(const char *password, const struct sk_pw_params *p, char *out, size_t outlen);
/* 0 = match, -EACCES = mismatch, -EINVAL = malformed hash */
int sk_pw_verify(const char *encoded, const char *password);
/* Unmaps the calling thread's argon2 working area, which sk_pw_hash and
 * sk_pw_verify keep mapped (and wiped) between hashes; for threads that
 * end before the process does. */
void sk_pw_release(void);
/* password policy: at least 8 characters, at least two of lower/upper/digit/symbol,
 * not equal to the user name.  0 ok, else -EINVAL with reason keys in *why
 * ("too-short", "too-simple", "same-as-user"). */
int sk_pw_policy(const char *user, const char *password, const char **why);

/* ---- e-mail one-time codes ---- */
/* 6 random decimal digits, uniform (rejection sampling), NUL-terminated */
int sk_otp_generate(char out[7]);

struct sk_mail_cfg {
	const char *url;	/* "smtp://10.0.0.1:25" or "smtps://..." (libcurl) */
	const char *from;	/* "sekisho@example.jp" */
	const char *user, *password;	/* SMTP AUTH, may be NULL */
	const char *ca_file;	/* for smtps/STARTTLS, may be NULL */
	bool starttls;		/* CURLUSESSL_ALL */
	long timeout_ms;	/* default 10000 if 0 */
};
/*
 * Sends the one-time code mail to `to`, bilingual (Japanese first, then
 * English, UTF-8, Content-Transfer-Encoding base64 for the body, subject
 * RFC 2047 encoded): the gateway name, the code, its validity in minutes,
 * and what to do if the user did not ask for it.  0 ok, -EIO with a reason
 * in err (libcurl's message).
 */
int sk_mail_send_otp(const struct sk_mail_cfg *cfg, const char *gateway_name,
		     const char *to, const char *user, const char *code, int valid_minutes,
		     char *err, size_t errlen);
/* The relay of cfg reachable and speaking SMTP: connects (TLS for
 * smtps://, STARTTLS when cfg->starttls), reads the greeting, EHLO, QUIT;
 * no AUTH, no mail (sekictl diagnose).  0, or -EIO with the reason in err. */
int sk_mail_probe(const struct sk_mail_cfg *cfg, char *err, size_t errlen);
/* Generic mail (profile links, admin notifications): subject and body UTF-8 text. */
int sk_mail_send(const struct sk_mail_cfg *cfg, const char *to, const char *subject,
		 const char *body, char *err, size_t errlen);

/* ---- TOTP (RFC 6238, liboath): 30 s steps, 6 digits, SHA-1 ---- */
/* secret: base32 (as users' authenticator apps take it). window: steps either
 * side accepted (1 = ±30 s).  last_step: the step last accepted for this user
 * (replay guard): a code whose step <= last_step is refused with -EALREADY.
 * 0 ok and *step_out = the matched step; -EACCES wrong code; -EINVAL bad secret. */
int sk_totp_verify(const char *secret_b32, const char *code, int64_t now, int window,
		   int64_t last_step, int64_t *step_out);
int sk_totp_generate(const char *secret_b32, int64_t now, char out[7]);	/* for tests */
int sk_totp_new_secret(char *b32, size_t len);	/* 20 random bytes, base32 */

/* ---- client certificates ---- */
enum sk_cert_bind { SK_BIND_CN = 0, SK_BIND_UID, SK_BIND_SAN_EMAIL };
int sk_cert_bind_from_name(const char *s);	/* "cn","uid","san-email"; -1 unknown */

struct sk_certv;	/* a verifier: CA store + CRLs (+ OCSP settings) */
/* ca_file: PEM CA bundle; crl_file: PEM CRL(s), may be NULL (then no CRL
 * check); ocsp_url: NULL = none, "aia" = from the certificate's AIA, else URL. */
int sk_certv_new(const char *ca_file, const char *crl_file, const char *ocsp_url,
		 struct sk_certv **v, char *err, size_t errlen);
int sk_certv_reload_crl(struct sk_certv *v, const char *crl_file, char *err, size_t errlen);
void sk_certv_free(struct sk_certv *v);
/*
 * Verifies cert (with the chain the client sent, may be NULL) at time now:
 * chain to the CA, validity, CRL (and OCSP if configured), extended key
 * usage clientAuth if present.  On success copies the bound identity (the
 * field chosen by bind) into id.  Returns 0, or -EACCES with a reason key in
 * *why: "no-cert", "untrusted", "expired", "not-yet-valid", "revoked",
 * "bad-usage", "no-identity", "ocsp-failed".
 */
int sk_certv_check(struct sk_certv *v, X509 *cert, STACK_OF(X509) *chain, int64_t now,
		   enum sk_cert_bind bind, char *id, size_t idlen, const char **why);
/* (added) OpenSSL's / the OCSP check's words for the last refusal of
 * sk_certv_check, e.g. "certificate revoked (depth 0)", for the audit log
 * (the reason key alone does not tell a stale CRL from an unknown CA). */
const char *sk_certv_last_error(const struct sk_certv *v);
/*
 * What the store knows a certificate by: its serial number as upper-case
 * hex (as the built-in CA records it) and the user identifier the built-in
 * CA puts in the subjectAltName (URI urn:uuid:UID, lower case), "" when
 * there is none.  0, or -EINVAL when the serial is unreadable or the
 * certificate names two different identifiers.
 */
int sk_cert_facts(X509 *cert, char *serial, size_t seriallen, char *uid, size_t uidlen);

/* ---- messages to users (Japanese and English) ---- */
/*
 * Text for a refusal or prompt, by key, e.g. "pw-wrong", "locked",
 * "otp-wrong", "otp-expired", "otp-used", "totp-wrong", "totp-replay",
 * "cert-missing", "cert-revoked", "cert-other-user", "account-expired",
 * "account-not-yet-valid", "outside-hours", "too-many-sessions",
 * "pw-change-required", "pw-too-short", "pw-too-simple", "pw-same-as-user",
 * "pw-mismatch", "group-unknown", "internal".  Each says which check failed
 * and what to do.  lang: "ja" or "en"; unknown keys give a generic text.
 * The result is "日本語 / English" when lang is NULL (both).
 */
const char *sk_msg(const char *key, const char *lang);

#endif
