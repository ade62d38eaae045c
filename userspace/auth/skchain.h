/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skchain: the authentication chain of one login, as a state machine that
 * knows nothing of HTTP or XML.  sekishod's main process keeps one
 * struct sk_login per login in progress (found by the webvpncontext cookie
 * the worker reports) and feeds it what the client posted; it answers with
 * the next form to show, success, or a fatal refusal.
 *
 * Order of checks for a login (group chosen by the client's group-select,
 * else the only/first group the user may use):
 *   1. source not blocked (an IPv4 address or IPv6 /64: settings
 *      lockout.source_threshold failures within lockout.source_window
 *      seconds block it for lockout.source_block seconds, except the
 *      ranges of source.never_block): refused before any hash is run;
 *   2. the group's factors, in the group's order.  "cert" is checked from
 *      the TLS client certificate given to sk_login_new (no form);
 *      "password" asks username+password (form id "main"); "email-otp" sends
 *      a code and asks it (form id "otp", input "secondary_password");
 *      "totp" asks the code (form id "otp", input "secondary_password", so
 *      openconnect --token-mode=totp fills it);
 *   3. account checks once the user is known: exists, enabled, not locked,
 *      valid_from/valid_until, group access hours, the user belongs to the
 *      group (a certificate of another user, or a typed user name different
 *      from the certificate's, is refused);
 *   4. forced password change (must_change_pw): form id "new-password" with
 *      inputs "new_password" and "verify_password"... (openconnect sends
 *      new_password as <password>, so the form uses names "password" for the
 *      new one: see sk_login_step);
 *   5. device check (added): when the user has a device with check on,
 *      the host scan report given by sk_login_set_device must match one
 *      (serial ID or MAC); with settings device.auto_register on, a first
 *      login from a new serial registers it into the user's free checked
 *      device and ends FATAL ("device-registered": connect again).  See
 *      Documentation/admin/login-flow.md;
 *   5b. posture (issue 12): with the group's (or the matched device's)
 *      posture policy on, the report in the host scan is evaluated
 *      (auth/posture_eval.c); each check's verdict is audited ("posture"),
 *      a failed check with outcome refuse ends FATAL with that check's own
 *      message, one with outcome quarantine succeeds with
 *      sk_login_result's quarantine set (the remediation allowlist);
 *   6. success: the caller creates the session.
 * A factor can only be passed by its own check; success is reachable only
 * when every configured factor has passed in this login (a bitmask checked
 * at the end, not just the position in the list).
 * Failures: wrong password / code counts toward the account lockout
 * (settings lockout.threshold, default 10; lockout.duration, default 900 s,
 * doubled at each further lock up to lockout.max_duration, or "permanent"
 * = until an administrator unlocks) and toward the source score; after
 * settings login.max_tries (default 3) wrong answers in one login the login
 * ends fatally.  A wrong answer gets the same reply whether the name
 * exists, is locked or not: "locked" is told only after a right answer.  Every failure writes an audit record "factor" (factor,
 * result, reason) and every login end one "login" record.
 */
#ifndef SKCHAIN_H
#define SKCHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "hostscan.h"
#include "ipc.h"
#include "posture.h"
#include "skauth.h"
#include "skstore.h"

/* struct sk_form (what the worker renders) is part of the IPC protocol:
 * lib/ipc.h.  Its names and texts hold what the store holds. */
_Static_assert(SK_IPC_NAME_MAX == SK_NAME_MAX && SK_IPC_TEXT_MAX == SK_TEXT_MAX,
	       "the form's sizes follow the store's");

enum sk_step {
	SK_STEP_FORM = 1,		/* show form (maybe with error) and wait */
	SK_STEP_SUCCESS,		/* authenticated: see sk_login_result */
	SK_STEP_FATAL,			/* refused for good: form has the error, no inputs */
	SK_STEP_HASH,			/* cfg.defer_hash: run sk_login_hash, then step again */
};

struct sk_chain_cfg {
	struct sk_store *st;
	const struct sk_mail_cfg *mail;	/* NULL: e-mail OTP impossible (refused with "internal") */
	struct sk_certv *certv;		/* NULL: "cert" factor always fails with cert-missing */
	const char *gateway_name;
	enum sk_cert_bind cert_bind;
	/* true: sk_login_step never runs argon2id itself (64 MiB, a second
	 * or more per password): see SK_STEP_HASH and sk_login_hash */
	bool defer_hash;
	/* NULL: a notice to the administrator (an account locked, a source
	 * blocked, a device not registered) is mailed from the step itself.
	 * Else the chain hands it to notice(), which sends it later with a
	 * copy of mail (sekishod: on a thread), so that the time of an answer
	 * does not tell that it locked an account. */
	void (*notice)(void *arg, const struct sk_mail_cfg *mail, const char *to,
		       const char *subject, const char *body);
	void *notice_arg;
	/* the rest comes from settings in the store at each step:
	 * otp.ttl (300 s), otp.resend_min (30 s), otp.max_per_hour (5),
	 * lockout.threshold (10), lockout.duration (900), lockout.max_duration
	 * (86400), lockout.source_threshold (50), lockout.source_window (600),
	 * lockout.source_block (900), source.never_block, login.max_tries (3),
	 * totp.window (1) */
};

struct sk_login;

/*
 * Starts a login.  source: "addr:port" of the client.  lang: "ja", "en" or
 * NULL (from Accept-Language / the group's setting).  cert: the verified-by-
 * nobody-yet TLS client certificate (NULL if none; the chain checks it) and
 * the chain the client sent.  The certificate is copied (X509_up_ref).
 */
struct sk_login *sk_login_new(const struct sk_chain_cfg *cfg, const char *source,
			      const char *lang, X509 *cert, STACK_OF(X509) *chain);
void sk_login_free(struct sk_login *l);	/* wipes secrets */

/*
 * One round.  group: the client's <group-select> (NULL if none).  names/
 * values: the <auth> children the client posted (n may be 0 for the init
 * request).  Values are wiped by the caller after the call.  Fills *form.
 */
enum sk_step sk_login_step(struct sk_login *l, int64_t now, const char *group,
			   int n, const char *const *names, const char *const *values,
			   struct sk_form *form);

/*
 * (added) The host scan report of this login's client (copied), or NULL
 * for none.  Call before the step that can reach success; without a
 * report, a user with a checked device is refused ("device-check").
 */
void sk_login_set_device(struct sk_login *l, const struct sk_hostscan *r);
/*
 * Instead of a report: the gateway did not ask this client for the host
 * scan, because it cannot run a CSD wrapper (client: enum sk_po_client,
 * settings device.hostscan_skip).  The login goes on with no report: a
 * user with a checked device is refused ("hostscan-unsupported", naming
 * the client), the posture step's report check fails with
 * "report-unsupported" (its outcome decides: refuse or quarantine), and
 * with posture off the login is refused ("hostscan-unsupported").
 */
void sk_login_set_noscan(struct sk_login *l, unsigned int client);

/*
 * Deferred password hashing (cfg.defer_hash).  Where a round needs a
 * password verified (or, for a first-login change, the new password checked
 * against the old hash and hashed), sk_login_step returns SK_STEP_HASH and
 * leaves the form untouched.  The caller then runs sk_login_hash(l), which is pure CPU work
 * on l's own copy of the stored hash and the posted password (no store, no
 * mail, no shared state: it may run on another thread as long as nothing
 * else calls into l meanwhile), and calls sk_login_step again with the same
 * arguments; that call goes on from the result.  sekishod does this so that
 * one login's argon2id never stalls the event loop of every other client.
 * For a group whose passwords a directory checks (sekictl directory use,
 * setting directory.default), sk_login_hash is the directory check
 * instead (auth/ldap.c: connect, service bind, search, user bind on the
 * login's own copies of the settings, the name and the password): network
 * waits bounded by the directory's timeouts, still nothing shared.
 */
int sk_login_hash(struct sk_login *l);

/* After SK_STEP_SUCCESS: who logged in. */
struct sk_login_result {
	char user[SK_NAME_MAX + 1];
	char group[SK_NAME_MAX + 1];
	char lang[4];
	char device[SK_NAME_MAX + 1];	/* (added) matched checked device, "" = none */
	/* (issue 12) a quarantined login: the remediation allowlist (a store
	 * policy) that replaces the group's, the failed check and its reason
	 * ("av", "av-definitions-old"), and its message in the login's
	 * language; quarantine "" = not quarantined */
	char quarantine[SK_PO_NAME];
	char quarantine_check[16];
	char quarantine_reason[24];
	char quarantine_msg[512];
	/* (issue 15) a RADIUS directory checked the password: its name (for
	 * accounting) and, when its framed-ip=yes, the Accept's
	 * Framed-IP-Address (dotted quad) the session must get; "" = none */
	char radius_dir[SK_NAME_MAX + 1];
	char framed_ip[16];
	/* the Accept's Session-Timeout (seconds, 0 = none): the session ends
	 * then at the latest, whatever the group's session_timeout (it is how
	 * a RADIUS server bounds a session it cannot be asked about again
	 * without the password: decisions/radius.md) */
	uint32_t session_timeout;
};
int sk_login_result(const struct sk_login *l, struct sk_login_result *r);
/* (issue 12) the posture report of this login's host scan (or, for a
 * client not asked for one, format 0 with its noscan kind), NULL = none;
 * sekishod keeps a copy for the session, re-evaluated at each CONNECT */
const struct sk_posture *sk_login_posture(const struct sk_login *l);

#endif
