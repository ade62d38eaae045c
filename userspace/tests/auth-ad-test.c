// SPDX-License-Identifier: GPL-2.0
/*
 * Active Directory semantics against a real Samba AD DC (tests/lib/samba.sh
 * starts one; SK_TEST_AD_* in the environment: the stage `directory` of
 * tests/run runs this inside the DC's network namespace), else skipped.
 *
 * auth/ldap.c with type ad: sAMAccountName, DOMAIN\user and user@realm as
 * one account; nested groups through the in-chain rule
 * (1.2.840.113556.1.4.1941); userAccountControl disabled (data 533),
 * accountExpires (data 701 and read without a password), pwdLastSet 0
 * (data 773), AD's own lockout (data 775); the CA of Samba's certificate
 * verified; the password change (unicodePwd delete old / add new) with
 * the directory's policy refusals.
 *
 * The login chain (auth/chain.c) with that directory: the three name
 * forms make one record; the nested group maps; disabled and expired
 * accounts are refused with their own messages; a wrong password; our
 * lockout below AD's keeps AD's own lockout from tripping; a password
 * that must change is changed through the new-password form and the
 * login goes on.  TAP output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth-chain.h"
#include "skauth.h"
#include "skchain.h"
#include "skldap.h"
#include "skstore.h"
#include "tap.h"

static struct tap t;
static char dir[256];
static struct sk_store *st;
static int64_t clk;
static int srcn;
static char pw[64];		/* the users' password (SK_TEST_AD_PW) */


static const char *env(const char *k)
{
	const char *v = getenv(k);

	return v ? v : "";
}

static void base_cfg(struct sk_ldap_cfg *c)
{
	sk_ldap_cfg_defaults(c, SK_LDAP_AD);
	snprintf(c->name, sizeof(c->name), "ad");
	c->n_uris = 1;
	snprintf(c->uris[0], sizeof(c->uris[0]), "%s", env("SK_TEST_AD_URI"));
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", env("SK_TEST_AD_CA"));
	snprintf(c->bind_dn, sizeof(c->bind_dn), "%s", env("SK_TEST_AD_BIND_DN"));
	snprintf(c->bind_pw, sizeof(c->bind_pw), "%s", env("SK_TEST_AD_BIND_PW"));
	snprintf(c->base, sizeof(c->base), "%s", env("SK_TEST_AD_BASE"));
	c->nested = true;
	c->timeout = 5;
	c->n_maps = 2;
	snprintf(c->maps[0].group, sizeof(c->maps[0].group), "gstaff");
	snprintf(c->maps[0].dn, sizeof(c->maps[0].dn), "CN=vpn-staff,CN=Users,%s",
		 env("SK_TEST_AD_BASE"));
	snprintf(c->maps[1].group, sizeof(c->maps[1].group), "gadmins");
	snprintf(c->maps[1].dn, sizeof(c->maps[1].dn), "CN=vpn-admins,CN=Users,%s",
		 env("SK_TEST_AD_BASE"));
}

static bool mapped(const struct sk_ldap_result *r, const char *g)
{
	for (int i = 0; i < r->n_mapped; i++)
		if (!strcmp(r->mapped[i], g))
			return true;
	return false;
}

/* ---- auth/ldap.c against the DC ---- */

static void ldap_tests(void)
{
	struct sk_ldap_cfg *c = calloc(1, sizeof(*c));
	struct sk_ldap_result *r = calloc(1, sizeof(*r));
	char err[512], dn[SK_DN_MAX], name[64];
	static const char *const forms[] = { "alice", "SEKISHO\\alice", "alice@sekisho.test" };
	int rc;

	base_cfg(c);
	snprintf(dn, sizeof(dn), "CN=alice,CN=Users,%s", env("SK_TEST_AD_BASE"));
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		rc = sk_ldap_check(c, forms[i], pw, r, err, sizeof(err));
		tap_ok(&t, rc == 0 && r->pw_checked && !strcmp(r->account, "alice") &&
		       sk_ldap_dn_equal(r->dn, dn) && mapped(r, "gstaff") && !mapped(r, "gadmins"),
		       "AD: %s binds as alice by sAMAccountName, maps to gstaff (rc %d %s)", forms[i],
		       rc, err);
	}
	tap_ok(&t, !strcmp(r->mail, "alice@sekisho.test") && !strcmp(r->display, "Alice Test") &&
	       !r->state.disabled && !r->state.expired && !r->state.must_change && !r->state.locked,
	       "AD: alice's mail and display name read, no account state (%s, %s)", r->mail,
	       r->display);
	snprintf(name, sizeof(name), "%s\\alice", env("SK_TEST_AD_DOMAIN"));
	rc = sk_ldap_check(c, "alice", "Wrong-Pass-9", r, err, sizeof(err));
	tap_ok(&t, rc == -EACCES && !r->pw_checked, "AD: a wrong password: -EACCES (data 52e; %s)",
	       err);

	/* nested groups: carol is in sub-team, which is in vpn-admins */
	rc = sk_ldap_check(c, "carol", pw, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && mapped(r, "gadmins") && !mapped(r, "gstaff"),
	       "AD: carol maps to gadmins through the in-chain rule (%d groups; %s)", r->n_groups,
	       err);
	c->nested = false;
	rc = sk_ldap_check(c, "carol", pw, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && !mapped(r, "gadmins"),
	       "AD: nested=no: carol's memberOf alone does not reach vpn-admins");
	c->nested = true;

	/* the account states AD reports */
	rc = sk_ldap_check(c, "dave", pw, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && r->state.disabled,
	       "AD: dave (disabled), right password: data 533, disabled (rc %d %s)", rc, err);
	rc = sk_ldap_check(c, "dave", "Wrong-Pass-9", r, err, sizeof(err));
	tap_ok(&t, rc == -EACCES && !r->pw_checked,
	       "AD: dave, wrong password: -EACCES (AD says 52e, not 533)");
	rc = sk_ldap_check(c, "erin", pw, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && r->state.expired && !r->state.disabled,
	       "AD: erin (accountExpires 2000), right password: data 701, expired (rc %d %s)", rc,
	       err);
	rc = sk_ldap_check(c, "erin", NULL, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->state.expired,
	       "AD: erin without a password (the re-check): accountExpires read as expired");
	rc = sk_ldap_check(c, "chg1", pw, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && r->state.must_change,
	       "AD: chg1 (pwdLastSet 0), right password: data 773, must change (rc %d %s)", rc, err);

	/* the CA: Samba's own, from private/tls/ca.pem; another is refused */
	sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	   "-keyout other.key -out other-ca.pem -subj /CN=other -days 2 >/dev/null 2>&1", dir);
	snprintf(c->ca_file, sizeof(c->ca_file), "%s/other-ca.pem", dir);
	rc = sk_ldap_check(c, "alice", pw, r, err, sizeof(err));
	tap_ok(&t, rc == -EPROTO && strstr(err, "certificate"),
	       "AD: LDAPS with a CA that did not sign Samba's certificate: -EPROTO (%s)", err);
	base_cfg(c);

	/* the password change (unicodePwd delete old / add new) */
	rc = sk_ldap_passwd(c, "chg1", pw, "short", err, sizeof(err));
	tap_ok(&t, rc == -EPERM && strstr(err, "policy"),
	       "AD change: a too short password: the directory's policy (-EPERM: %s)", err);
	rc = sk_ldap_passwd(c, "chg1", pw, "onlylowercase", err, sizeof(err));
	tap_ok(&t, rc == -EPERM, "AD change: a password of one character class: policy (%s)", err);
	rc = sk_ldap_passwd(c, "chg1", "Wrong-Old-9", "Brand-New-Pass-7", err, sizeof(err));
	tap_ok(&t, rc == -EACCES, "AD change: a wrong old password: -EACCES (%s)", err);
	rc = sk_ldap_passwd(c, "chg1", pw, "Brand-New-Pass-7", err, sizeof(err));
	tap_ok(&t, rc == 0, "AD change: chg1's password changed (%s)", err);
	rc = sk_ldap_check(c, "chg1", "Brand-New-Pass-7", r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && !r->state.must_change,
	       "AD change: the new password binds, nothing to change any more (rc %d %s)", rc, err);
	rc = sk_ldap_check(c, "chg1", pw, r, err, sizeof(err));
	tap_ok(&t, rc == -EACCES, "AD change: the old one is refused");
	rc = sk_ldap_passwd(c, "chg1", "Brand-New-Pass-7", pw, err, sizeof(err));
	tap_ok(&t, rc == -EPERM, "AD change: back to a password of its history: policy (%s)", err);
	c->bind_dn[0] = c->bind_pw[0] = '\0';
	rc = sk_ldap_passwd(c, "chg1", "Brand-New-Pass-7", "Another-Pass-8", err, sizeof(err));
	tap_ok(&t, rc < 0 && rc != -EPERM, "AD change: an anonymous service connection cannot "
	       "(rc %d: %s)", rc, err);
	base_cfg(c);

	/* AD's own lockout (threshold 5): locked answers 775 to any password */
	for (int i = 0; i < 5; i++)
		(void)sk_ldap_check(c, "lock1", "Wrong-Pass-9", r, err, sizeof(err));
	rc = sk_ldap_check(c, "lock1", pw, r, err, sizeof(err));
	tap_ok(&t, rc == -EACCES && r->state.locked && !r->pw_checked,
	       "AD: 5 wrong binds lock lock1 in AD; then the right one: -EACCES, locked (%s)", err);
	sk_ldap_cfg_wipe(c);
	free(c);
	free(r);
}

/* ---- the login chain with an AD directory ---- */

static struct sk_login *login(void)
{
	struct sk_chain_cfg cfg = { .st = st, .gateway_name = "vpn.test" };
	char src[64];

	snprintf(src, sizeof(src), "192.0.2.%d:%d", 1 + srcn % 250, 40000 + srcn);
	srcn++;
	return sk_login_new(&cfg, src, NULL, NULL, NULL);
}

#define step(l, group, ...) chain_step(l, clk, group, __VA_ARGS__)

static bool is_err(const struct sk_form *f, const char *key)
{
	return !strcmp(f->error, sk_msg(key, NULL));
}

static enum sk_step dir_login(const char *group, const char *user, const char *p,
			      struct sk_form *f)
{
	struct sk_login *l = login();
	enum sk_step s = step(l, group, f, NULL);

	if (s == SK_STEP_FORM)
		s = step(l, group, f, "username", user, "password", p, NULL);
	sk_login_free(l);
	return s;
}

static void dset(const char *key, const char *val)
{
	char err[256];

	if (sk_directory_set(st, "ad", key, val, err, sizeof(err)))
		printf("# directory ad %s: %s\n", key, err);
}

static void set(const char *key, const char *val)
{
	char err[256];

	if (sk_setting_set(st, key, val, err, sizeof(err)))
		printf("# setting %s: %s\n", key, err);
}

static void mkgroup(const char *name, bool totp)
{
	struct sk_group g;
	char err[256];

	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "%s", name);
	memset(g.factors, 0, sizeof(g.factors));
	g.factors[0] = SK_FACTOR_PASSWORD;
	g.factors[1] = totp ? SK_FACTOR_TOTP : SK_FACTOR_NONE;
	if (sk_group_add(st, &g, err, sizeof(err)) || sk_group_directory_set(st, name, "ad"))
		printf("# group %s: %s\n", name, err);
}

#define audited(type, detail) chain_audited(st, type, detail)

static void chain_tests(void)
{
	char err[256], map[600], path[400];
	struct sk_ldap_cfg *c = calloc(1, sizeof(*c));
	struct sk_ldap_result *r = calloc(1, sizeof(*r));
	struct sk_login *l;
	struct sk_form f;
	struct sk_user u;
	enum sk_step s;
	int rc;

	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sk_store_open(path, &st, err, sizeof(err))) {
		tap_ok(&t, false, "store opened (%s)", err);
		goto out;
	}
	set("lockout.source_threshold", "0");
	tap_ok(&t, sk_directory_add(st, "ad", err, sizeof(err)) == 0, "directory ad (%s)", err);
	dset("type", "ad");
	dset("uri", env("SK_TEST_AD_URI"));
	dset("tls", "ldaps");
	dset("ca-file", env("SK_TEST_AD_CA"));
	dset("bind-dn", env("SK_TEST_AD_BIND_DN"));
	dset("bind-password", env("SK_TEST_AD_BIND_PW"));
	dset("base", env("SK_TEST_AD_BASE"));
	dset("nested", "yes");
	snprintf(map, sizeof(map), "gstaff CN=vpn-staff,CN=Users,%s", env("SK_TEST_AD_BASE"));
	dset("map-01", map);
	snprintf(map, sizeof(map), "gadmins CN=vpn-admins,CN=Users,%s", env("SK_TEST_AD_BASE"));
	dset("map-02", map);
	mkgroup("gstaff", false);
	mkgroup("gadmins", false);

	/* the three forms of a name: one account, one record */
	s = dir_login("gstaff", "alice", pw, &f);
	tap_ok(&t, s == SK_STEP_SUCCESS, "chain AD: alice logs in to gstaff (%s)", f.error);
	s = dir_login("gstaff", "SEKISHO\\alice", pw, &f);
	tap_ok(&t, s == SK_STEP_SUCCESS, "chain AD: SEKISHO\\alice logs in (%s)", f.error);
	s = dir_login("gstaff", "alice@sekisho.test", pw, &f);
	tap_ok(&t, s == SK_STEP_SUCCESS, "chain AD: alice@sekisho.test logs in (%s)", f.error);
	tap_ok(&t, !sk_user_get(st, "alice", &u) && !strcmp(u.email, "alice@sekisho.test") &&
	       sk_user_get(st, "SEKISHO\\alice", &u) && sk_user_get(st, "alice@sekisho.test", &u),
	       "chain AD: one record, alice, with AD's mail");
	/* nested group */
	s = dir_login("gadmins", "carol", pw, &f);
	tap_ok(&t, s == SK_STEP_SUCCESS, "chain AD: carol (nested) logs in to gadmins (%s)", f.error);
	s = dir_login("gstaff", "carol", pw, &f);
	tap_ok(&t, s == SK_STEP_FATAL && is_err(&f, "group-unknown"),
	       "chain AD: carol may not use gstaff (%s)", f.error);
	/* the states, each with its own message */
	s = dir_login("gstaff", "dave", pw, &f);
	tap_ok(&t, s == SK_STEP_FATAL && is_err(&f, "dir-disabled"),
	       "chain AD: dave (disabled): dir-disabled (%s)", f.error);
	s = dir_login("gstaff", "erin", pw, &f);
	tap_ok(&t, s == SK_STEP_FATAL && is_err(&f, "dir-expired"),
	       "chain AD: erin (expired): dir-expired (%s)", f.error);
	s = dir_login("gstaff", "alice", "Wrong-Pass-9", &f);
	tap_ok(&t, s == SK_STEP_FORM && is_err(&f, "pw-wrong") &&
	       audited("factor", "directory-pw-wrong"), "chain AD: a wrong password: pw-wrong");
	s = dir_login("gstaff", "dave", "Wrong-Pass-9", &f);
	tap_ok(&t, s == SK_STEP_FORM && is_err(&f, "pw-wrong"),
	       "chain AD: dave with a wrong password: pw-wrong, not told disabled");

	/* our lockout below AD's (5): 10 wrong logins send AD 3 binds, so
	 * AD never locks the account through us */
	set("lockout.threshold", "5");
	dset("lockout-threshold", "5");
	s = dir_login("gstaff", "alice", pw, &f);
	tap_ok(&t, s == SK_STEP_FATAL && is_err(&f, "dir-unavailable") && audited("factor", "must be below"),
	       "chain AD: lockout.threshold not below AD's: refused, audited");
	set("lockout.threshold", "3");
	set("login.max_tries", "20");
	for (int i = 0; i < 10; i++)
		(void)dir_login("gstaff", "alice", "Wrong-Pass-9", &f);
	tap_ok(&t, !sk_user_get(st, "alice", &u) && u.locked && audited("factor", "locked-no-bind"),
	       "chain AD: 10 wrong passwords lock alice here after 3, the rest sent no bind");
	base_cfg(c);
	rc = sk_ldap_check(c, "alice", pw, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->pw_checked && !r->state.locked,
	       "chain AD: ... and AD has not locked alice (rc %d %s)", rc, err);
	set("lockout.threshold", "10");
	dset("lockout-threshold", NULL);

	/* the password must change: the new-password form changes it in AD */
	l = login();
	step(l, "gstaff", &f, NULL);
	s = step(l, "gstaff", &f, "username", "SEKISHO\\chg2", "password", pw, NULL);
	tap_ok(&t, s == SK_STEP_FORM && !strcmp(f.auth_id, "new-password") && f.n_inputs == 1 &&
	       !strcmp(f.inputs[0].name, "new_password") && audited("factor", "directory-pw-must-change"),
	       "chain AD: chg2 (must change): the new-password form (%s)", f.error);
	s = step(l, "gstaff", &f, "password", "short", NULL);
	tap_ok(&t, s == SK_STEP_FORM && !strcmp(f.auth_id, "new-password") &&
	       is_err(&f, "dir-pw-policy") &&
	       audited("factor", "\"factor\":\"pw-change\",\"reason\":\"directory: "),
	       "chain AD: a password AD's policy refuses: the form again with dir-pw-policy (%s)",
	       f.error);
	tap_ok(&t, audited("factor", "check_password_restrictions"),
	       "chain AD: ... AD's reason in the audit");
	s = step(l, "gstaff", &f, "password", pw, NULL);
	tap_ok(&t, s == SK_STEP_FORM && is_err(&f, "pw-reused"),
	       "chain AD: the old password again: pw-reused, nothing sent");
	/* openconnect posts new_password as <password> */
	s = step(l, "gstaff", &f, "password", "Changed-Pass-5", NULL);
	tap_ok(&t, s == SK_STEP_SUCCESS &&
	       audited("factor", "\"factor\":\"pw-change\",\"reason\":\"directory\"}"),
	       "chain AD: a good new password: changed in AD, the login goes on to success (%s)",
	       f.error);
	sk_login_free(l);
	s = dir_login("gstaff", "chg2", "Changed-Pass-5", &f);
	tap_ok(&t, s == SK_STEP_SUCCESS, "chain AD: chg2 logs in with the new password, no form (%s)",
	       f.error);
	s = dir_login("gstaff", "chg2", pw, &f);
	tap_ok(&t, s == SK_STEP_FORM && is_err(&f, "pw-wrong"), "chain AD: the old one: pw-wrong (%s)",
	       f.error);

	/* password + TOTP: the change comes after every factor, so the
	 * password alone never changes it; a client that posts a new
	 * password instead of the code gets no change and no success */
	{
		char code[7], map2[600];
		struct sk_user v;

		mkgroup("gmfa", true);
		snprintf(map2, sizeof(map2), "gmfa CN=vpn-staff,CN=Users,%s", env("SK_TEST_AD_BASE"));
		dset("map-03", map2);
		/* chg4's record as an earlier login made it, with TOTP enrolled */
		memset(&v, 0, sizeof(v));
		snprintf(v.name, sizeof(v.name), "chg4");
		snprintf(v.group, sizeof(v.group), "gmfa");
		v.enabled = true;
		sk_totp_new_secret(v.totp_secret, sizeof(v.totp_secret));
		tap_ok(&t, !sk_user_add(st, &v, err, sizeof(err)) &&
		       !sk_user_directory_set(st, "chg4", "ad"), "chg4's record with TOTP (%s)", err);
		l = login();
		step(l, "gmfa", &f, NULL);
		s = step(l, "gmfa", &f, "username", "chg4", "password", pw, NULL);
		tap_ok(&t, s == SK_STEP_FORM && !strcmp(f.auth_id, "otp"),
		       "chain AD, password+TOTP: chg4's right password -> the TOTP form first (%s)",
		       f.auth_id);
		s = step(l, "gmfa", &f, "password", "Skipped-Pass-4", NULL);
		tap_ok(&t, s != SK_STEP_SUCCESS && strcmp(f.auth_id, "new-password"),
		       "chain AD, password+TOTP: a new password instead of the code: no change form");
		clk += 31;
		sk_totp_generate(v.totp_secret, clk, code);
		s = step(l, "gmfa", &f, "secondary_password", code, NULL);
		tap_ok(&t, s == SK_STEP_FORM && !strcmp(f.auth_id, "new-password"),
		       "chain AD, password+TOTP: the right code -> the new-password form (%s)", f.error);
		s = step(l, "gmfa", &f, "password", "Mfa-Changed-4", NULL);
		tap_ok(&t, s == SK_STEP_SUCCESS, "chain AD, password+TOTP: changed, success (%s)",
		       f.error);
		sk_login_free(l);
		rc = sk_ldap_check(c, "chg4", pw, r, err, sizeof(err));
		tap_ok(&t, rc == -EACCES, "chain AD: chg4's old password no longer binds");
	}

	/* defer_hash (sekishod): the change runs in sk_login_hash */
	{
		struct sk_chain_cfg cfg = { .st = st, .gateway_name = "vpn.test", .defer_hash = true };

		l = sk_login_new(&cfg, "198.51.100.9:4000", NULL, NULL, NULL);
		step(l, "gstaff", &f, NULL);
		s = step(l, "gstaff", &f, "username", "chg3", "password", pw, NULL);
		if (s == SK_STEP_HASH) {
			sk_login_hash(l);
			s = step(l, "gstaff", &f, "username", "chg3", "password", pw, NULL);
		}
		tap_ok(&t, s == SK_STEP_FORM && !strcmp(f.auth_id, "new-password"),
		       "chain AD, defer_hash: chg3's new-password form (%s)", f.error);
		s = step(l, "gstaff", &f, "password", "Deferred-Pass-6", NULL);
		tap_ok(&t, s == SK_STEP_HASH, "chain AD, defer_hash: the change waits for the thread");
		tap_ok(&t, sk_login_hash(l) == 0, "chain AD, defer_hash: sk_login_hash changes it");
		s = step(l, "gstaff", &f, "password", "Deferred-Pass-6", NULL);
		tap_ok(&t, s == SK_STEP_SUCCESS, "chain AD, defer_hash: then success (%s)", f.error);
		sk_login_free(l);
		rc = sk_ldap_check(c, "chg3", "Deferred-Pass-6", r, err, sizeof(err));
		tap_ok(&t, rc == 0 && !r->state.must_change, "chain AD: chg3's new password is AD's");
	}
out:
	sk_ldap_cfg_wipe(c);
	free(c);
	free(r);
	if (st)
		sk_store_close(st);
}

int main(void)
{
	tap_begin();
	if (!getenv("SK_TEST_AD_URI") || !getenv("SK_TEST_AD_PW")) {
		tap_skip(&t, "Active Directory checks", "no Samba AD DC (tests/lib/samba.sh: "
			 "tests/run directory)");
		return tap_end(&t);
	}
	setenv("TZ", "UTC", 1);
	snprintf(pw, sizeof(pw), "%s", env("SK_TEST_AD_PW"));
	snprintf(dir, sizeof(dir), "/tmp/ad-test.XXXXXX");
	if (!mkdtemp(dir)) {
		tap_ok(&t, false, "mkdtemp");
		return tap_end(&t);
	}
	clk = (int64_t)time(NULL);
	ldap_tests();
	chain_tests();
	sh("rm -rf %s", dir);
	return tap_end(&t);
}
