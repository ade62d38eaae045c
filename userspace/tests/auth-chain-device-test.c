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

#include "hostscan.h"
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
static const struct sk_pw_params fast = { 1, 64, 1 };

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

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

/* A password login of user with the report r (NULL = none). */
static enum sk_step dev_login(const char *user, const struct sk_hostscan *r, struct sk_form *f,
			      struct sk_login_result *res)
{
	struct sk_chain_cfg cfg = { .st = st, .mail = &mail, .gateway_name = "vpn.test" };
	const char *names[2] = { "username", "password" };
	const char *values[2];
	char src[64], pw[96];
	struct sk_login *l;
	enum sk_step s;

	snprintf(src, sizeof(src), "198.51.100.%d:%d", 1 + srcn % 250, 40000 + srcn);
	srcn++;
	snprintf(pw, sizeof(pw), "Pw-%s-1", user);
	values[0] = user;
	values[1] = pw;
	memset(res, 0, sizeof(*res));
	l = sk_login_new(&cfg, src, NULL, NULL, NULL);
	if (!l)
		return SK_STEP_FATAL;
	sk_login_set_device(l, r);
	s = sk_login_step(l, clk, "g", 0, NULL, NULL, f);
	if (s == SK_STEP_FORM)
		s = sk_login_step(l, clk, "g", 2, names, values, f);
	if (s == SK_STEP_SUCCESS)
		sk_login_result(l, res);
	sk_login_free(l);
	return s;
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
out:
	smtpsink_stop(&sink);
	if (st)
		sk_store_close(st);
	sh("rm -rf %s", dir);
	return tap_end(&t);
}
