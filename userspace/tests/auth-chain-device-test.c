// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the login's device step (userspace/auth/chain.c,
 * device_refusal; Documentation/admin/login-flow.md) against a real
 * temporary SQLite store and a real SMTP sink (aiosmtpd) for the
 * administrator's notice of a failed auto-registration.  TAP output.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth-chain.h"
#include "hostscan.h"
#include "posture.h"
#include "skauth.h"
#include "skchain.h"
#include "skstore.h"
#include "smtpsink.h"
#include "tap.h"

#define PY "/usr/bin/python3"	/* the Debian python3 that has aiosmtpd */
#define ADMIN "admin@example.test"

static struct tap t;
static char dir[256], maildir[300];
static struct sk_store *st;
static struct sk_mail_cfg mail;
static char mail_url[64];
static int64_t clk;
static int srcn;
static unsigned int noscan;	/* pw_login without a report: this client kind was not asked */
static const struct sk_pw_params fast = { 1, 64, 1 };

static struct smtpsink sink;

static bool start_smtp(void)
{
	if (!smtpsink_start(&sink, dir, 7919))
		return false;
	snprintf(maildir, sizeof(maildir), "%s", sink.maildir);
	snprintf(mail_url, sizeof(mail_url), "%s", sink.url);
	mail.url = mail_url;
	mail.from = "sekisho@example.test";
	mail.timeout_ms = 10000;
	return true;
}

/* Mails to ADMIN whose decoded text contains `needle`; all mails removed. */
static int admin_mails(const char *needle)
{
	char cmd[1024], out[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 PY " -c 'import mailbox,sys\n"
		 "mb=mailbox.Maildir(sys.argv[1],create=False)\n"
		 "n=0\n"
		 "for k,m in list(mb.items()):\n"
		 "  if sys.argv[2] in (m[\"To\"] or \"\"):\n"
		 "    for part in m.walk():\n"
		 "      if part.get_content_maintype()==\"text\":\n"
		 "        b=part.get_payload(decode=True).decode(\"utf-8\",\"replace\")\n"
		 "        if sys.argv[3] in b: n+=1\n"
		 "  mb.remove(k)\n"
		 "print(n)' %s %s '%s' 2>/dev/null", maildir, ADMIN, needle);
	p = popen(cmd, "r");
	if (p) {
		if (!fgets(out, sizeof(out), p))
			out[0] = '\0';
		pclose(p);
	}
	return atoi(out);
}

static void set(const char *key, const char *val)
{
	char err[256];

	if (sk_setting_set(st, key, val, err, sizeof(err)))
		printf("# setting %s: %s\n", key, err);
}

static void mkuser(const char *name)
{
	struct sk_user u;
	char err[256], pw[96];

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.group, sizeof(u.group), "g");
	u.enabled = true;
	snprintf(pw, sizeof(pw), "Pw-%s-1", name);
	sk_pw_hash(pw, &fast, u.pw_hash, sizeof(u.pw_hash));
	if (sk_user_add(st, &u, err, sizeof(err)))
		printf("# user %s: %s\n", name, err);
}

static void mkdevice(const char *name, const char *user, bool check, enum sk_device_method m,
		     const char *ident)
{
	struct sk_device d;
	char err[256];

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.user, sizeof(d.user), "%s", user);
	snprintf(d.ident, sizeof(d.ident), "%s", ident);
	d.type = SK_DEV_WINDOWS;
	d.enabled = true;
	d.check = check;
	d.method = m;
	if (sk_device_add(st, &d, err, sizeof(err)))
		printf("# device %s: %s\n", name, err);
}

static void device_enable(const char *name, bool on)
{
	struct sk_device d;
	char err[256];

	if (!sk_device_get(st, name, &d)) {
		d.enabled = on;
		if (sk_device_update(st, &d, err, sizeof(err)))
			printf("# device %s: %s\n", name, err);
	}
}

/* A password login of user with the report r (NULL = none) and the
 * password given (NULL = the user's right one). */
static enum sk_step pw_login(const char *user, const char *given, const struct sk_hostscan *r,
			     struct sk_form *f, struct sk_login_result *res)
{
	struct sk_chain_cfg cfg = { .st = st, .mail = &mail, .gateway_name = "vpn.test" };
	const char *names[2] = { "username", "password" };
	const char *values[2];
	char src[64], pw[96];
	struct sk_login *l;
	enum sk_step s;

	snprintf(src, sizeof(src), "198.51.100.%d:%d", 1 + srcn % 250, 40000 + srcn);
	srcn++;
	if (given)
		snprintf(pw, sizeof(pw), "%s", given);
	else
		snprintf(pw, sizeof(pw), "Pw-%s-1", user);
	values[0] = user;
	values[1] = pw;
	memset(res, 0, sizeof(*res));
	l = sk_login_new(&cfg, src, NULL, NULL, NULL);
	if (!l)
		return SK_STEP_FATAL;
	sk_login_set_device(l, r);
	if (!r && noscan)
		sk_login_set_noscan(l, noscan);
	s = sk_login_step(l, clk, "g", 0, NULL, NULL, f);
	if (s == SK_STEP_FORM)
		s = sk_login_step(l, clk, "g", 2, names, values, f);
	if (s == SK_STEP_SUCCESS)
		sk_login_result(l, res);
	sk_login_free(l);
	return s;
}

static enum sk_step dev_login(const char *user, const struct sk_hostscan *r, struct sk_form *f,
			      struct sk_login_result *res)
{
	return pw_login(user, NULL, r, f, res);
}

static struct sk_hostscan report(const char *id, const char *mac)
{
	struct sk_hostscan r;

	memset(&r, 0, sizeof(r));
	snprintf(r.os_version, sizeof(r.os_version), "Linux");
	snprintf(r.device_id, sizeof(r.device_id), "%s", id ? id : "");
	if (mac) {
		snprintf(r.macs[0], sizeof(r.macs[0]), "%s", mac);
		r.n_macs = 1;
	}
	return r;
}

struct audit_count {
	const char *result, *detail;
	int n;
};

static int count_fn(const struct sk_audit *a, void *arg)
{
	struct audit_count *c = arg;

	if ((!c->result || !strcmp(a->result, c->result)) &&
	    (!c->detail || strstr(a->detail, c->detail)))
		c->n++;
	return 0;
}

static int audits(const char *type, const char *device, const char *result, const char *detail)
{
	struct sk_audit_filter flt = { .type = type, .device = device };
	struct audit_count c = { result, detail, 0 };

	sk_audit_list(st, &flt, count_fn, &c);
	return c.n;
}

static int profile_state(int64_t id)
{
	struct sk_profile p;
	uint8_t h[32];

	memset(h, 0, sizeof(h));
	h[0] = (uint8_t)id;
	if (sk_profile_find(st, h, &p))
		return -1;
	return p.state;
}

static void device_step(void)
{
	struct sk_form f;
	struct sk_login_result res;
	struct sk_hostscan r;
	struct sk_device d;
	struct sk_profile p;
	enum sk_step s;

	/* no devices: no restriction, no report needed */
	s = dev_login("u0", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && res.device[0] == 0,
	       "user without devices: success, no device (%s)", f.error);
	/* a device with check off is no restriction either */
	s = dev_login("u3", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && res.device[0] == 0,
	       "user with a check-off device: success without a report (%s)", f.error);

	/* device.hostscan off: devices are not checked (nothing to check
	 * them against), and no device is bound */
	set("device.hostscan", "off");
	s = dev_login("u1", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && res.device[0] == 0,
	       "device.hostscan off: a checked device is not checked (%s)", f.error);
	set("device.hostscan", "on");

	/* checked device, no report at all */
	s = dev_login("u1", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && !strcmp(f.error, sk_msg("device-check", NULL)),
	       "checked device, no host scan: device-check (%s)", f.error);
	tap_ok(&t, audits("factor", NULL, "fail", "\"device-check\"") == 1 &&
		   audits("login", NULL, "fail", "\"device-check\"") == 1, "the refusal is audited (factor and login, reason device-check)");

	/* auto-registration off: an unknown serial is refused, no mail */
	r = report("SN-1", NULL);
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "not registered for u1") &&
		   strstr(f.error, "このデバイスは登録されていません"),
	       "auto_register off: device-unknown naming the user (%s)", f.error);
	tap_ok(&t, !sk_device_get(st, "pc1", &d) && d.ident[0] == 0, "pc1 still has no ident");
	tap_ok(&t, admin_mails("") == 0, "no admin mail while auto_register is off");

	/* auto-registration on: the first login registers and ends */
	set("device.auto_register", "on");
	set("notify.admin_email", ADMIN);
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "u1");
	snprintf(p.device, sizeof(p.device), "pc1");
	p.token_hash[0] = 1;
	p.expires = clk + 3600;
	p.state = SK_PROFILE_WAIT_REGISTER;
	p.created = clk;
	tap_ok(&t, !sk_profile_add(st, &p), "profile of u1/pc1 waiting for registration");
	r = report(" SN-1 ", NULL);
	snprintf(r.device_id, sizeof(r.device_id), "SN-1");
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "このデバイス（pc1）を登録しました") &&
		   strstr(f.error, "This device (pc1) is now registered. Please connect again.") &&
		   !strstr(f.error, "{}"),
	       "first login registers and ends: %s", f.error);
	tap_ok(&t, !sk_device_get(st, "pc1", &d) && !strcmp(d.ident, "SN-1"),
	       "pc1 ident is SN-1 ('%s')", d.ident);
	tap_ok(&t, profile_state(1) == SK_PROFILE_READY, "the profile moved to ready (%d)", profile_state(1));
	tap_ok(&t, audits("device-register", "pc1", "ok", NULL) == 1, "audit device-register for pc1");

	/* connect again: the serial matches (case and blanks do not matter) */
	r = report("sn-1", NULL);
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !strcmp(res.device, "pc1"),
	       "second login: success on pc1 ('%s' %s)", res.device, f.error);

	/* another serial: unknown, the administrator is told */
	r = report("SN-2", NULL);
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "not registered for u1"),
	       "other serial: device-unknown (%s)", f.error);
	tap_ok(&t, admin_mails("SN-2") == 1, "admin mail names the reported id SN-2");
	tap_ok(&t, !sk_device_get(st, "pc1", &d) && !strcmp(d.ident, "SN-1"), "pc1 keeps SN-1");

	/* a user with a free serial device, but no id reported (stock script) */
	r = report(NULL, NULL);
	s = dev_login("u4", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "not registered for u4"),
	       "no device id in the report: device-unknown (%s)", f.error);
	tap_ok(&t, admin_mails("u4") == 1, "admin mail for the failed auto-registration of u4");
	tap_ok(&t, !sk_device_get(st, "pc4", &d) && d.ident[0] == 0, "pc4 not registered");

	/* MAC method: matches a reported MAC; never auto-registered */
	r = report(NULL, "52:54:00:12:34:56");
	s = dev_login("u2", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !strcmp(res.device, "mac2"),
	       "MAC device matches (%s %s)", res.device, f.error);
	r = report("SN-9", "52:54:00:12:34:57");
	s = dev_login("u2", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "not registered for u2"),
	       "other MAC: device-unknown (%s)", f.error);
	tap_ok(&t, !sk_device_get(st, "mac2", &d) && !strcmp(d.ident, "52:54:00:12:34:56"),
	       "a MAC device is never auto-registered (ident %s)", d.ident);
	tap_ok(&t, admin_mails("SN-9") == 1, "admin mail when no free serial device exists");

	/* disabled device: refused even though it matches */
	device_enable("pc1", false);
	r = report("SN-1", NULL);
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && !strcmp(f.error, sk_msg("device-disabled", NULL)),
	       "disabled device: device-disabled (%s)", f.error);
	tap_ok(&t, audits("login", NULL, "fail", "\"device-disabled\"") == 1 &&
		   audits("factor", "pc1", "fail", "\"device-disabled\"") == 1, "factor (device pc1) and login audit with reason device-disabled");
	device_enable("pc1", true);

	/* notify.admin_email empty: refusal still given, no mail */
	set("notify.admin_email", "");
	r = report("SN-3", NULL);
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "not registered"), "refused without an admin address");
	tap_ok(&t, admin_mails("") == 0, "no mail without notify.admin_email");

	/* a name with "{}" or "%s" in it is not a template */
	tap_ok(&t, strstr(sk_msg("device-unknown", "en"), "{}") != NULL, "message table has the {} slot");
}

/* ------------------------------------------------------------ posture */

static void ymd(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/*
 * A Linux agent's report (tests/posture/reports/debian12.txt) with today's
 * dates: av_age days old definitions, clamd running or not, the firewall
 * on or off, Debian version ver.  The gateway's own parser reads it.
 */
static struct sk_hostscan po_report(const char *id, const char *ver, bool running, int av_age,
				    bool firewall)
{
	struct sk_hostscan r;
	char text[2048], defs[11], upd[11], err[128] = "";

	ymd(clk - (int64_t)av_age * 86400, defs);
	ymd(clk - 3 * 86400, upd);
	snprintf(text, sizeof(text),
		 "endpoint.os.version=\"Linux\";\n"
		 "endpoint.device.id=\"%s\";\n"
		 "endpoint.posture.format=\"1\";\n"
		 "endpoint.posture.agent=\"linux-1.0\";\n"
		 "endpoint.posture.os.family=\"linux\";\n"
		 "endpoint.posture.os.id=\"debian\";\n"
		 "endpoint.posture.os.version=\"%s\";\n"
		 "endpoint.posture.av[\"clamav\"].vendor=\"clamav\";\n"
		 "endpoint.posture.av[\"clamav\"].product=\"clamd\";\n"
		 "endpoint.posture.av[\"clamav\"].installed=\"true\";\n"
		 "endpoint.posture.av[\"clamav\"].running=\"%s\";\n"
		 "endpoint.posture.av[\"clamav\"].realtime=\"%s\";\n"
		 "endpoint.posture.av[\"clamav\"].definitions=\"%s\";\n"
		 "endpoint.posture.firewall=\"%s\";\n"
		 "endpoint.posture.update.last=\"%s\";\n",
		 id, ver, running ? "true" : "false", running ? "true" : "false", defs,
		 firewall ? "true" : "false", upd);
	memset(&r, 0, sizeof(r));
	if (sk_hostscan_parse(text, strlen(text), &r, err, sizeof(err)))
		printf("# report: %s\n", err);
	return r;
}

static void po_set(enum sk_posture_scope scope, const char *name, const char *key, const char *val)
{
	char err[256];

	if (sk_posture_set(st, scope, name, key, val, err, sizeof(err)))
		printf("# posture %s %s=%s: %s\n", name, key, val ? val : "", err);
}

static void posture_step(void)
{
	struct sk_form f;
	struct sk_login_result res;
	struct sk_hostscan r;
	struct sk_posture_last last;
	enum sk_step s;
	int n0;

	/* posture off (the default): a stale report is not looked at */
	r = po_report("PO-0", "12", false, 30, false);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS, "posture off: a failing report is not checked (%s)", f.error);
	tap_ok(&t, audits("posture", NULL, NULL, NULL) == 0, "posture off: no posture audit");

	po_set(SK_PO_SCOPE_GROUP, "g", "posture", "on");
	r = po_report("PO-0", "12", true, 1, true);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !res.quarantine[0],
	       "posture on, compliant Debian 12 report: success (%s)", f.error);
	tap_ok(&t, audits("posture", NULL, "pass", "\"factor\":\"av\"") == 1 &&
		   audits("posture", NULL, "pass", "\"factor\":\"os\"") == 1 &&
		   audits("posture", NULL, "pass", "\"factor\":\"firewall\"") == 1 &&
		   audits("posture", NULL, "pass", "\"factor\":\"updates\"") == 1 &&
		   audits("posture", NULL, "pass", "\"factor\":\"report\"") == 1,
	       "every check that ran is audited (report, os, av, firewall, updates: pass)");

	r = po_report("PO-0", "12", false, 1, true);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "Your antivirus (clamav/clamd) is not running") &&
		   strstr(f.error, "ウイルス対策ソフト（clamav/clamd）が動作していません"),
	       "clamd stopped: refused with its own ja/en message (%s)", f.error);
	tap_ok(&t, audits("posture", NULL, "fail", "\"reason\":\"av-not-running\"") == 1 &&
		   audits("login", NULL, "fail", "\"posture-av-not-running\"") == 1,
	       "audited: the av check failed, the login with reason posture-av-not-running");

	r = po_report("PO-0", "12", true, 8, true);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "Your virus definitions are too old") &&
		   strstr(f.error, "at most 7 days"),
	       "definitions 8 days old (limit 7): refused (%s)", f.error);
	r = po_report("PO-0", "12", true, 7, true);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS, "definitions exactly 7 days old: success (%s)", f.error);

	r = po_report("PO-0", "11", true, 1, true);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "(debian 11) is too old (debian 12 or later"),
	       "Debian 11 below the minimum 12: refused (%s)", f.error);

	r = po_report("PO-0", "12", true, 1, false);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "Your firewall is off. Turn the firewall on."),
	       "firewall off: refused (%s)", f.error);

	s = dev_login("u0", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "--csd-wrapper"),
	       "no host scan report at all: report-missing (%s)", f.error);

	/* no factor skipped: the posture step comes after every factor; a
	 * wrong password gets the password's answer, never posture's */
	n0 = audits("posture", NULL, NULL, NULL);
	r = po_report("PO-0", "12", false, 1, true);
	s = pw_login("u0", "wrong-password", &r, &f, &res);
	tap_ok(&t, s != SK_STEP_SUCCESS && !strstr(f.error, "antivirus"),
	       "wrong password with a failing report: the password's refusal (%s)", f.error);
	r = po_report("PO-0", "12", true, 1, true);
	s = pw_login("u0", "wrong-password", &r, &f, &res);
	tap_ok(&t, s != SK_STEP_SUCCESS, "wrong password with a compliant report: no success");
	tap_ok(&t, audits("posture", NULL, NULL, NULL) == n0,
	       "no posture evaluated before the factors passed");

	/* quarantine: without the remediation policy in the store it refuses */
	po_set(SK_PO_SCOPE_GROUP, "g", "av.outcome", "quarantine");
	po_set(SK_PO_SCOPE_GROUP, "g", "quarantine.allowlist", "remed");
	r = po_report("PO-0", "12", true, 20, true);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "too old"),
	       "quarantine with no policy 'remed' in the store: refused (%s)", f.error);
	tap_ok(&t, audits("posture", NULL, "fail", "quarantine-policy-missing") == 1,
	       "audited: quarantine-policy-missing");
	tap_ok(&t, !sk_policy_add(st, "remed", "remediation"), "policy remed added");
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !strcmp(res.quarantine, "remed") &&
		   !strcmp(res.quarantine_check, "av") &&
		   !strcmp(res.quarantine_reason, "av-definitions-old") &&
		   strstr(res.quarantine_msg, "Update the definitions"),
	       "old definitions, av.outcome quarantine: success, quarantined in 'remed' (%s: %s)",
	       res.quarantine_reason, res.quarantine_msg);
	/* a refusing check wins over a quarantining one */
	r = po_report("PO-0", "12", true, 20, false);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "firewall"),
	       "quarantine + firewall off (refuse): refused with the firewall's message (%s)", f.error);
	r = po_report("PO-0", "12", true, 1, true);
	s = dev_login("u0", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !res.quarantine[0],
	       "a passing report at the next login: not quarantined (%s)", res.quarantine);

	po_set(SK_PO_SCOPE_GROUP, "g", "av.outcome", NULL);

	/* a device's keys override its group's; the device keeps the report */
	po_set(SK_PO_SCOPE_DEVICE, "pc1", "av", "off");
	r = po_report("SN-1", "12", false, 30, true);
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !strcmp(res.device, "pc1"),
	       "device pc1 with av=off: its stopped antivirus is not checked (%s)", f.error);
	memset(&last, 0, sizeof(last));
	tap_ok(&t, !sk_posture_last_get(st, "pc1", &last) && !strcmp(last.outcome, "ok") &&
		   strstr(last.report, "\"running\":\"false\"") && strstr(last.verdicts, "\"device\""),
	       "device pc1 keeps its last report and verdicts (outcome %s)", last.outcome);
	po_set(SK_PO_SCOPE_DEVICE, "pc1", "av", NULL);
	s = dev_login("u1", &r, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "not running"),
	       "device key removed: the group's av check refuses (%s)", f.error);
	tap_ok(&t, !sk_posture_last_get(st, "pc1", &last) && !strcmp(last.outcome, "refuse"),
	       "the refused report is kept too (outcome %s)", last.outcome);
	po_set(SK_PO_SCOPE_GROUP, "g", "posture", "off");
}

/*
 * A client that cannot run a CSD wrapper (Windows openconnect, Cisco
 * Secure Client) and so was not asked for the scan (sekishod, settings
 * device.hostscan_skip): the login goes on with no report, and the
 * device check and the group's posture policy decide.
 */
static void noscan_step(void)
{
	struct sk_form f;
	struct sk_login_result res;
	const struct sk_posture *kept;
	struct sk_chain_cfg cfg = { .st = st, .mail = &mail, .gateway_name = "vpn.test" };
	struct sk_login *l;
	enum sk_step s;

	set("device.hostscan", "on");
	noscan = SK_PO_CLIENT_WINDOWS;
	/* posture off: nothing admits a login without a report */
	s = dev_login("u0", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL &&
		   strstr(f.error, "Your VPN client (openconnect / OpenConnect-GUI on Windows) cannot run "
				   "the device check this gateway requires") &&
		   strstr(f.error, "お使いの接続ソフト（openconnect / OpenConnect-GUI on Windows）"),
	       "not asked (Windows), posture off: refused, hostscan-unsupported (%s)", f.error);
	tap_ok(&t, audits("login", NULL, "fail", "\"hostscan-unsupported\"") == 1,
	       "audited: login fail, reason hostscan-unsupported");
	/* a checked device needs a report: refused naming the client */
	noscan = SK_PO_CLIENT_CISCO;
	s = dev_login("u1", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL && strstr(f.error, "(Cisco Secure Client) cannot run"),
	       "not asked (Cisco), checked device: refused naming the client (%s)", f.error);
	tap_ok(&t, audits("factor", NULL, "fail", "\"hostscan-unsupported\"") == 1,
	       "audited: the device factor failed, hostscan-unsupported");

	/* posture on: the report check fails with report-unsupported, and
	 * its outcome (report.outcome) decides */
	noscan = SK_PO_CLIENT_WINDOWS;
	po_set(SK_PO_SCOPE_GROUP, "g", "posture", "on");
	s = dev_login("u0", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_FATAL &&
		   strstr(f.error, "Your VPN client (openconnect / OpenConnect-GUI on Windows) cannot run "
				   "the gateway's device check") &&
		   strstr(f.error, "端末チェックを実行できません"),
	       "not asked, posture on: refused by the report check, its ja/en message (%s)", f.error);
	tap_ok(&t, audits("posture", NULL, "fail", "\"reason\":\"report-unsupported\"") == 1 &&
		   audits("login", NULL, "fail", "\"posture-report-unsupported\"") == 1,
	       "audited: posture report fail (report-unsupported), login posture-report-unsupported");
	po_set(SK_PO_SCOPE_GROUP, "g", "report.outcome", "quarantine");
	po_set(SK_PO_SCOPE_GROUP, "g", "quarantine.allowlist", "remed");
	s = dev_login("u0", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !strcmp(res.quarantine, "remed") &&
		   !strcmp(res.quarantine_check, "report") &&
		   !strcmp(res.quarantine_reason, "report-unsupported") &&
		   strstr(res.quarantine_msg, "cannot run the gateway's device check"),
	       "not asked, report.outcome quarantine: success in 'remed' (%s: %s)",
	       res.quarantine_reason, res.quarantine_msg);
	/* what the session keeps for its reconnects says the same */
	l = sk_login_new(&cfg, "198.51.100.250:1", NULL, NULL, NULL);
	sk_login_set_noscan(l, SK_PO_CLIENT_CISCO);
	kept = sk_login_posture(l);
	tap_ok(&t, kept && kept->format == 0 && kept->noscan == SK_PO_CLIENT_CISCO,
	       "the login's kept report: format 0, not asked (cisco)");
	sk_login_free(l);
	/* report=off admits a client without a report unchecked (posture.md) */
	po_set(SK_PO_SCOPE_GROUP, "g", "report", "off");
	s = dev_login("u0", NULL, &f, &res);
	tap_ok(&t, s == SK_STEP_SUCCESS && !res.quarantine[0],
	       "not asked, report=off: admitted unchecked (%s)", f.error);
	po_set(SK_PO_SCOPE_GROUP, "g", "report", NULL);
	po_set(SK_PO_SCOPE_GROUP, "g", "report.outcome", NULL);
	po_set(SK_PO_SCOPE_GROUP, "g", "posture", "off");
	noscan = 0;
}

int main(void)
{
	char err[256] = "", path[400];
	struct sk_group g;

	tap_begin();
	snprintf(dir, sizeof(dir), "/tmp/chain-dev-test.XXXXXX");
	if (!mkdtemp(dir)) {
		tap_ok(&t, false, "mkdtemp");
		return tap_end(&t);
	}
	clk = (int64_t)time(NULL);
	snprintf(path, sizeof(path), "%s/store.db", dir);
	tap_ok(&t, !sk_store_open(path, &st, err, sizeof(err)), "store opened (%s)", err);
	tap_ok(&t, start_smtp(), "aiosmtpd started (%s)", mail_url);
	if (!st || !mail.url)
		goto out;
	set("lockout.source_threshold", "0");
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "g");
	g.max_devices = 4;
	if (sk_group_add(st, &g, err, sizeof(err)))
		printf("# group: %s\n", err);
	mkuser("u0");
	mkuser("u1");
	mkuser("u2");
	mkuser("u3");
	mkuser("u4");
	mkdevice("pc1", "u1", true, SK_DEVM_SERIAL, "");
	mkdevice("mac2", "u2", true, SK_DEVM_MAC, "52:54:00:12:34:56");
	mkdevice("pc3", "u3", false, SK_DEVM_SERIAL, "");
	mkdevice("pc4", "u4", true, SK_DEVM_SERIAL, "");
	device_step();
	posture_step();
	noscan_step();
out:
	smtpsink_stop(&sink);
	if (st)
		sk_store_close(st);
	sh("rm -rf %s", dir);
	return tap_end(&t);
}
