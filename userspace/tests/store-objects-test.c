// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userspace/store/: round trip of every object type, every
 * validation refusal, foreign-key refusals, rule text.  TAP output; each
 * run uses a fresh store in a temporary directory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skstore.h"
#include "store-impl.h"
#include "tap.h"
#include "store-test.h"

static struct tap t;
static char err[256];
static char dir[] = "/tmp/sk-store-test.XXXXXX";
static char path[512];

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static struct sk_group *grp(const char *name)
{
	static struct sk_group g;

	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "%s", name);
	return &g;
}

static void user_init(struct sk_user *u, const char *name, const char *group)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->group, sizeof(u->group), "%s", group);
	snprintf(u->email, sizeof(u->email), "%s@example.com", name);
	u->enabled = true;
}

/* one counting callback per list function (no function pointer casts) */
#define COUNTER(name, type) \
	static int name(type x, void *arg) \
	{ \
		(void)x; \
		(*(int *)arg)++; \
		return 0; \
	}
COUNTER(cnt_user, const struct sk_user *)
COUNTER(cnt_group, const struct sk_group *)
COUNTER(cnt_device, const struct sk_device *)
COUNTER(cnt_cert, const struct sk_cert *)
COUNTER(cnt_session, const struct sk_session *)
COUNTER(cnt_audit, const struct sk_audit *)

static int cnt_setting(const char *k, const char *v, void *arg)
{
	(void)k;
	(void)v;
	(*(int *)arg)++;
	return 0;
}

static void open_close(struct sk_store **st)
{
	struct stat sb;

	tap_ok(&t, sk_store_open(path, st, err, sizeof(err)) == 0, "open a new store (%s)", err);
	if (test_pg())
		tap_skip(&t, "store file is mode 0600", "a PostgreSQL store has no file");
	else
		tap_ok(&t, stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
		       "store file is mode 0600");
	tap_ok(&t, sk_store_schema_version(*st) >= 2, "schema at the latest version (%d)",
	       sk_store_schema_version(*st));
}

static void groups(struct sk_store *st)
{
	struct sk_group *g = grp("staff"), back;

	g->factors[0] = SK_FACTOR_PASSWORD;
	g->factors[1] = SK_FACTOR_TOTP;
	snprintf(g->label, sizeof(g->label), "Staff");
	snprintf(g->pool4, sizeof(g->pool4), "10.77.0.0/24");
	snprintf(g->pool6, sizeof(g->pool6), "fd00:77::/64");
	snprintf(g->dns[0], sizeof(g->dns[0]), "10.0.0.53");
	snprintf(g->dns[1], sizeof(g->dns[1]), "2001:db8::53");
	snprintf(g->domain, sizeof(g->domain), "corp.example");
	g->n_split_inc = 2;
	snprintf(g->split_inc[0], SK_ADDR_MAX, "10.0.0.0/8");
	snprintf(g->split_inc[1], SK_ADDR_MAX, "2001:db8::/32");
	g->n_split_exc = 1;
	snprintf(g->split_exc[0], SK_ADDR_MAX, "10.9.0.0/16");
	g->n_split_dns = 1;
	snprintf(g->split_dns[0], sizeof(g->split_dns[0]), "corp.example");
	g->proxy_mode = SK_PROXY_SERVER;
	snprintf(g->proxy_server, sizeof(g->proxy_server), "proxy.corp.example:3128");
	snprintf(g->proxy_exclude, sizeof(g->proxy_exclude), "*.local;10.*");
	snprintf(g->banner, sizeof(g->banner), "Welcome\nようこそ");
	g->idle_timeout = 1800;
	g->max_devices = 2;
	snprintf(g->access_hours, sizeof(g->access_hours), "08:00-20:00,mon-fri");
	g->mtu = 1400;
	g->lang = SK_LANG_JA;
	tap_ok(&t, sk_group_add(st, g, err, sizeof(err)) == 0, "group add (%s)", err);
	tap_ok(&t, sk_group_get(st, "staff", &back) == 0 && back.factors[0] == SK_FACTOR_PASSWORD &&
	       back.factors[1] == SK_FACTOR_TOTP && back.factors[2] == SK_FACTOR_NONE &&
	       !strcmp(back.pool6, "fd00:77::/64") && back.n_split_inc == 2 &&
	       !strcmp(back.split_inc[1], "2001:db8::/32") && back.n_split_exc == 1 &&
	       back.n_split_dns == 1 && back.proxy_mode == SK_PROXY_SERVER &&
	       !strcmp(back.banner, "Welcome\nようこそ") && back.mtu == 1400 &&
	       back.lang == SK_LANG_JA && !strcmp(back.access_hours, "08:00-20:00,mon-fri") &&
	       !strcmp(back.dns[1], "2001:db8::53"), "group round trip keeps every field");
	tap_ok(&t, sk_group_add(st, g, err, sizeof(err)) == -EEXIST && has(err, "already exists"),
	       "group add twice: -EEXIST (%s)", err);
	back.n_split_inc = 1;
	back.factors[1] = SK_FACTOR_NONE;
	tap_ok(&t, sk_group_update(st, &back, err, sizeof(err)) == 0, "group update (%s)", err);
	tap_ok(&t, sk_group_get(st, "staff", &back) == 0 && back.n_split_inc == 1 &&
	       back.factors[1] == SK_FACTOR_NONE, "group update replaced the lists");
	tap_ok(&t, sk_group_add(st, grp("guests"), err, sizeof(err)) == 0, "second group");
	{
		int n = 0;

		sk_group_list(st, cnt_group, &n);
		tap_ok(&t, n == 2, "group list: 2 groups (%d)", n);
	}
	tap_ok(&t, sk_group_get(st, "nope", &back) == -ENOENT, "group get unknown: -ENOENT");
}

static void group_validation(struct sk_store *st)
{
	struct sk_group *g;
	int rc;

#define BAD(setup, field, why) do { \
		g = grp("bad"); \
		setup; \
		rc = sk_group_add(st, g, err, sizeof(err)); \
		tap_ok(&t, rc == -EINVAL && has(err, field), "group refused: %s (%s)", why, err); \
	} while (0)
	BAD(snprintf(g->name, sizeof(g->name), "bad name"), "name", "space in name");
	BAD(memset(g->name, 'a', sizeof(g->name)), "name", "name of 65 chars");
	BAD(g->factors[0] = SK_FACTOR_NONE, "factors", "no factor");
	BAD((g->factors[1] = SK_FACTOR_PASSWORD), "twice", "duplicate factor");
	BAD(g->factors[1] = (enum sk_factor)9, "factors", "unknown factor");
	BAD(snprintf(g->pool4, sizeof(g->pool4), "10.77.0.1/24"), "pool4", "host bits");
	BAD(snprintf(g->pool4, sizeof(g->pool4), "10.77.0.0"), "pool4", "pool without length");
	BAD(snprintf(g->pool4, sizeof(g->pool4), "fd00::/64"), "pool4", "v6 in pool4");
	BAD(snprintf(g->pool6, sizeof(g->pool6), "fd00::zz/64"), "pool6", "bad v6");
	BAD(snprintf(g->pool4, sizeof(g->pool4), "10.0.0.0/33"), "pool4", "length 33");
	BAD(snprintf(g->dns[0], sizeof(g->dns[0]), "dns.example"), "dns1", "dns not an address");
	BAD(snprintf(g->wins, sizeof(g->wins), "::1"), "wins", "wins v6");
	BAD(snprintf(g->domain, sizeof(g->domain), "a..b"), "domain", "bad domain");
	BAD((g->n_split_inc = 1, snprintf(g->split_inc[0], SK_ADDR_MAX, "nope")), "split_inc",
	    "bad split route");
	BAD((g->n_split_exc = 2, snprintf(g->split_exc[0], SK_ADDR_MAX, "10.0.0.0/8"),
	     snprintf(g->split_exc[1], SK_ADDR_MAX, "10.0.0.0/8")), "twice", "duplicate split route");
	BAD(g->n_split_dns = SK_LIST_MAX + 1, "split_dns", "too many split DNS");
	BAD((g->n_split_dns = 1, snprintf(g->split_dns[0], SK_NAME_MAX, "bad domain")), "split_dns",
	    "bad split DNS");
	BAD(g->proxy_mode = SK_PROXY_PAC, "proxy_pac", "pac mode without URL");
	BAD((g->proxy_mode = SK_PROXY_SERVER, snprintf(g->proxy_server, SK_URL_MAX, "proxy")),
	    "proxy_server", "server mode without port");
	BAD(snprintf(g->proxy_server, SK_URL_MAX, "p:80"), "proxy", "proxy server in client mode");
	BAD((g->proxy_mode = SK_PROXY_PAC, snprintf(g->proxy_pac, SK_URL_MAX, "http://x/p.pac"),
	     snprintf(g->proxy_server, SK_URL_MAX, "p:80")), "proxy_server", "server with pac");
	BAD(g->proxy_mode = (enum sk_proxy_mode)7, "proxy_mode", "unknown proxy mode");
	BAD(g->max_devices = 0, "max_devices", "max_devices 0");
	BAD(g->max_devices = 101, "max_devices", "max_devices 101");
	BAD(g->idle_timeout = -1, "idle_timeout", "negative timeout");
	BAD(snprintf(g->access_hours, sizeof(g->access_hours), "8-20"), "access_hours",
	    "bad access hours");
	BAD(g->mtu = 100, "mtu", "mtu 100");
	BAD(snprintf(g->policy, sizeof(g->policy), "nopolicy"), "policy", "unknown policy");
	BAD(snprintf(g->banner, sizeof(g->banner), "a\033[31mred"), "banner", "escape in banner");
	BAD(snprintf(g->label, sizeof(g->label), "a\tb"), "label", "tab in label");
	/* issue 11 item 8: text is valid UTF-8 without C0/DEL/C1 controls */
	BAD(snprintf(g->banner, sizeof(g->banner), "Welcome\xff\xfe"), "banner: not valid UTF-8",
	    "invalid UTF-8 in banner");
	BAD(snprintf(g->banner, sizeof(g->banner), "a\xc2\x9b" "31mred"), "banner: control character",
	    "C1 CSI in banner");
	BAD(snprintf(g->banner, sizeof(g->banner), "a\x7f"), "banner: control character", "DEL in banner");
	BAD(snprintf(g->banner, sizeof(g->banner), "a\rb"), "banner: control character",
	    "bare CR in banner");
	BAD(snprintf(g->label, sizeof(g->label), "\xe5\x96"), "label: not valid UTF-8",
	    "truncated UTF-8 in label");
	BAD(snprintf(g->label, sizeof(g->label), "a\xc0\x8a"), "label: not valid UTF-8",
	    "overlong newline in label");
	BAD(snprintf(g->proxy_exclude, sizeof(g->proxy_exclude), "*.local\n10.*"), "proxy_exclude",
	    "newline in proxy_exclude");
	g = grp("banner-ok");
	snprintf(g->banner, sizeof(g->banner), "ようこそ\r\nWelcome\n\tInfo");
	snprintf(g->label, sizeof(g->label), "営業部");
	rc = sk_group_add(st, g, err, sizeof(err));
	tap_ok(&t, rc == 0, "group with a multi-line UTF-8 banner and a Japanese label (%s)",
	       rc ? err : "ok");
}

static int audit_last_cb(const struct sk_audit *a, void *arg)
{
	*(struct sk_audit *)arg = *a;
	return 0;
}

/* issue 11 item 8: every entry point refuses text that is not valid UTF-8
 * or holds control characters; the audit trail escapes what it records */
static void text_validation(struct sk_store *st)
{
	struct sk_user u;
	struct sk_audit a = { 0 }, got = { 0 };
	struct sk_cert c = { 0 };
	struct sk_session s = { 0 };
	struct sk_audit_filter f = { .type = "client-text" };
	char val[64];
	int rc;

	user_init(&u, "eve\nforged", "staff");
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == -EINVAL && has(err, "control character") &&
	       !strchr(err, '\n') && sk_user_get(st, "eve", &u) == -ENOENT,
	       "user name with a newline refused, the message shows no newline (%s)", err);
	user_init(&u, "eve", "staff");
	snprintf(u.email, sizeof(u.email), "eve@ex\xff" "ample.jp");
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == -EINVAL && has(err, "email: not valid UTF-8"),
	       "e-mail with invalid UTF-8 refused (%s)", err);
	user_init(&u, "eve", "staff");
	snprintf(u.cert_id, sizeof(u.cert_id), "eve\xc2\x85");
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == -EINVAL && has(err, "cert_id"),
	       "cert_id with a C1 control refused (%s)", err);
	tap_ok(&t, sk_policy_add(st, "pdesc", "a\x1b[2Jb") == -EINVAL &&
	       sk_policy_add(st, "pdesc", "bad \xfe") == -EINVAL &&
	       sk_policy_add(st, "pdesc", "本社 LAN") == 0,
	       "policy description: escape and invalid UTF-8 refused, Japanese kept");
	rc = sk_setting_set(st, "gateway.name", "vpn\x7f.example.jp", err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && has(err, "gateway.name: control character U+007F"),
	       "setting with DEL refused (%s)", err);
	rc = sk_setting_set(st, "smtp.user", "mail\xc3", err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && has(err, "not valid UTF-8"), "setting with broken UTF-8 refused (%s)",
	       err);
	rc = sk_setting_set(st, "smtp.password", "Zq\nZq", err, sizeof(err));
	tap_ok(&t, rc == -EINVAL && !strstr(err, "Zq") && !sk_setting_get(st, "smtp.password", val,
	       sizeof(val)) && !val[0], "secret setting with a newline refused, value not echoed (%s)",
	       err);
	/* device.hostscan_skip: a list of the known client kinds, each once */
	tap_ok(&t, !sk_setting_get(st, "device.hostscan_skip", val, sizeof(val)) &&
		   !strcmp(val, "windows,cisco"), "device.hostscan_skip defaults to windows,cisco (%s)", val);
	for (const char *const *v = (const char *const[]){ "cisco", "windows", "cisco,windows", "", NULL };
	     *v; v++)
		tap_ok(&t, !sk_setting_set(st, "device.hostscan_skip", *v, err, sizeof(err)),
		       "device.hostscan_skip '%s' accepted (%s)", *v, err);
	for (const char *const *v = (const char *const[]){ "linux", "windows,", ",cisco", "windows,windows",
							  "Windows", "windows cisco", "all", NULL }; *v; v++) {
		rc = sk_setting_set(st, "device.hostscan_skip", *v, err, sizeof(err));
		tap_ok(&t, rc == -EINVAL && has(err, "windows and cisco") && has(err, "カンマ区切り"),
		       "device.hostscan_skip '%s' refused, en/ja (%s)", *v, err);
	}
	tap_ok(&t, !sk_setting_get(st, "device.hostscan_skip", val, sizeof(val)) && !val[0],
	       "the last accepted value stays (\"\")");
	snprintf(c.serial, sizeof(c.serial), "0A");
	snprintf(c.subject, sizeof(c.subject), "CN=x\nCN=y");
	tap_ok(&t, sk_cert_add(st, &c) == -EINVAL, "certificate subject with a newline refused");
	snprintf(s.user, sizeof(s.user), "bob");
	snprintf(s.remote, sizeof(s.remote), "192.0.2.1:1\n");
	tap_ok(&t, sk_session_add(st, &s) == -EINVAL, "session remote address with a newline refused");
	{
		struct sk_fail_policy fp = { .src_threshold = 3, .src_window = 60 };
		struct sk_fail_result fr;

		tap_ok(&t, sk_login_fail(st, NULL, "192.0.2.1\xff", &fp, 1000, &fr) == -EINVAL,
		       "source address with invalid UTF-8 refused");
	}
	/* a login record with the name a client typed: kept, escaped */
	a.time = 1000;
	snprintf(a.type, sizeof(a.type), "client-text");
	snprintf(a.actor, sizeof(a.actor), "eve\n2026-01-01 admin forged");
	snprintf(a.user, sizeof(a.user), "eve\xff\xc2\x9b");
	snprintf(a.source, sizeof(a.source), "192.0.2.1:443");
	snprintf(a.result, sizeof(a.result), "fail");
	snprintf(a.detail, sizeof(a.detail), "{\"reason\":\"\xfe\"}");
	tap_ok(&t, sk_audit_add(st, &a) == 0 && sk_audit_list(st, &f, audit_last_cb, &got) == 0,
	       "audit record with client text is written");
	tap_ok(&t, !strcmp(got.actor, "eve\\x0a2026-01-01 admin forged") &&
	       !strcmp(got.user, "eve\\xff\\xc2\\x9b") && got.detail[0] != '{' &&
	       has(got.detail, "\\xfe"), "audit: the client's text escaped (actor %s, user %s, detail %s)",
	       got.actor, got.user, got.detail);
}

static void users(struct sk_store *st)
{
	struct sk_user u, back;
	int n = 0;

	user_init(&u, "alice", "staff");
	snprintf(u.pw_hash, sizeof(u.pw_hash), "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	snprintf(u.totp_secret, sizeof(u.totp_secret), "JBSWY3DPEHPK3PXP");
	u.valid_from = 1000;
	u.valid_until = 2000;
	u.lang = SK_LANG_EN;
	u.must_change_pw = true;
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == 0, "user add (%s)", err);
	tap_ok(&t, sk_user_get(st, "alice", &back) == 0 && !strcmp(back.group, "staff") &&
	       !strcmp(back.email, "alice@example.com") && back.must_change_pw && back.enabled &&
	       back.valid_until == 2000 && !strcmp(back.totp_secret, "JBSWY3DPEHPK3PXP") &&
	       back.lang == SK_LANG_EN && back.created > 0 && back.id > 0,
	       "user round trip");
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == -EEXIST, "user add twice: -EEXIST");
	back.enabled = false;
	snprintf(back.email, sizeof(back.email), "a@corp.example");
	tap_ok(&t, sk_user_update(st, &back, err, sizeof(err)) == 0 &&
	       sk_user_get(st, "alice", &back) == 0 && !back.enabled &&
	       !strcmp(back.email, "a@corp.example"), "user update");
	user_init(&u, "bob", "guests");
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == 0, "second user");
	user_init(&u, "carol", "nogroup");
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == -ENOENT && has(err, "group"),
	       "user in a missing group refused (%s)", err);
	user_init(&u, "carol", "");
	tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == -EINVAL && has(err, "default.group"),
	       "user without group and no default.group refused (%s)", err);
	tap_ok(&t, sk_setting_set(st, "default.group", "guests", err, sizeof(err)) == 0 &&
	       sk_user_add(st, &u, err, sizeof(err)) == 0 && sk_user_get(st, "carol", &back) == 0 &&
	       !strcmp(back.group, "guests"), "user without group gets default.group");
	sk_user_list(st, cnt_user, &n);
	tap_ok(&t, n == 3, "user list: 3 (%d)", n);

#define UBAD(setup, field, why) do { \
		user_init(&u, "dave", "staff"); \
		setup; \
		tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == -EINVAL && has(err, field), \
		       "user refused: %s (%s)", why, err); \
	} while (0)
	UBAD(snprintf(u.name, sizeof(u.name), "da/ve"), "name", "slash in name");
	UBAD(u.name[0] = 0, "name", "empty name");
	UBAD(snprintf(u.email, sizeof(u.email), "dave"), "email", "email without @");
	UBAD(snprintf(u.email, sizeof(u.email), "dave@localhost"), "email", "email domain w/o dot");
	UBAD(snprintf(u.email, sizeof(u.email), "da ve@x.example"), "email", "space in email");
	UBAD(snprintf(u.email, sizeof(u.email), "a@b@c.example"), "email", "two @");
	UBAD(snprintf(u.pw_hash, sizeof(u.pw_hash), "plaintext"), "pw_hash", "plain password");
	UBAD(snprintf(u.totp_secret, sizeof(u.totp_secret), "abc1"), "totp_secret", "bad base32");
	UBAD((u.valid_from = 5, u.valid_until = 4), "valid_until", "validity reversed");
	UBAD(u.lang = (enum sk_lang)5, "lang", "unknown lang");
	/* display names (氏名): one line of UTF-8, at most 64 characters */
	UBAD(snprintf(u.display_name, sizeof(u.display_name), "山田\n太郎"), "display-name",
	     "newline in display name");
	UBAD(snprintf(u.display_name, sizeof(u.display_name), "\x1b[2J" "山田"), "display-name",
	     "escape sequence in display name");
	UBAD(snprintf(u.display_name, sizeof(u.display_name), "山\xe5"), "display-name",
	     "broken UTF-8 in display name");
	UBAD(snprintf(u.display_name, sizeof(u.display_name), "\xc2\x9b" "31m"), "display-name",
	     "C1 control in display name");
	UBAD(snprintf(u.display_name, sizeof(u.display_name), " 山田"), "display-name",
	     "leading space in display name");
	UBAD(for (int i = 0; i < 65; i++) memcpy(u.display_name + 3 * i, "山", 4), "display-name",
	     "65 characters in display name");
	UBAD(memset(u.display_name, 'x', sizeof(u.display_name)), "display-name",
	     "unterminated display name");
	{
		char dn[sizeof(u.display_name)];

		for (int i = 0; i < 64; i++)
			memcpy(dn + 3 * i, "山", 4);
		user_init(&u, "dave", "staff");
		snprintf(u.display_name, sizeof(u.display_name), "山田 太郎");
		tap_ok(&t, sk_user_add(st, &u, err, sizeof(err)) == 0 &&
		       sk_user_get(st, "dave", &back) == 0 && !strcmp(back.display_name, "山田 太郎"),
		       "display name round trip (%s)", err);
		snprintf(back.display_name, sizeof(back.display_name), "%s", dn);
		tap_ok(&t, sk_user_update(st, &back, err, sizeof(err)) == 0 &&
		       sk_user_get(st, "dave", &back) == 0 && !strcmp(back.display_name, dn),
		       "display name of 64 characters (192 bytes) stored whole (%s)", err);
		back.display_name[0] = '\0';
		tap_ok(&t, sk_user_update(st, &back, err, sizeof(err)) == 0 &&
		       sk_user_get(st, "dave", &back) == 0 && !back.display_name[0],
		       "display name cleared (%s)", err);
		snprintf(back.display_name, sizeof(back.display_name), "山田\t太郎");
		tap_ok(&t, sk_user_update(st, &back, err, sizeof(err)) == -EINVAL &&
		       has(err, "display-name") && sk_user_get(st, "dave", &back) == 0 &&
		       !back.display_name[0], "update with a tab in the display name refused (%s)", err);
		tap_ok(&t, sk_user_del(st, "dave") == 0, "dave deleted");
	}

	/* fail counting and lockout */
	{
		int i, rc = 0;

		for (i = 0; i < 3; i++)
			rc |= sk_user_fail(st, "bob", 3, 60, 5000, &back);
		tap_ok(&t, rc == 0 && back.fail_count == 3 && back.locked &&
		       back.locked_until == 5060, "third failure locks for 60 s (%d, %d, %lld)",
		       back.fail_count, back.locked, (long long)back.locked_until);
		sk_user_fail(st, "bob", 3, 60, 5030, &back);
		tap_ok(&t, back.locked_until == 5060, "further failures during the lock keep its end");
		tap_ok(&t, sk_user_success(st, "bob") == 0 && sk_user_get(st, "bob", &back) == 0 &&
		       back.fail_count == 0, "success resets fail_count");
		tap_ok(&t, sk_user_fail(st, "nobody", 3, 0, 1, NULL) == -ENOENT,
		       "fail of unknown user: -ENOENT");
		tap_ok(&t, sk_user_totp_use(st, "alice", 100) == 0 &&
		       sk_user_totp_use(st, "alice", 100) == -EALREADY &&
		       sk_user_totp_use(st, "alice", 99) == -EALREADY &&
		       sk_user_totp_use(st, "alice", 101) == 0 &&
		       sk_user_totp_use(st, "nobody", 1) == -ENOENT, "TOTP step replay refused");
		tap_ok(&t, sk_user_set_password(st, "bob", "$argon2id$v=19$x", true) == 0 &&
		       sk_user_get(st, "bob", &back) == 0 && back.must_change_pw &&
		       !strcmp(back.pw_hash, "$argon2id$v=19$x") &&
		       sk_user_set_password(st, "bob", "secret", false) == -EINVAL,
		       "set password stores only argon2 hashes");
	}
}

static void policies(struct sk_store *st)
{
	struct sk_rule r, rules[8];
	struct sk_policy p;
	char buf[128], line[8][128];
	int n, i;
	static const char *const texts[] = {
		"allow tcp 10.0.0.0/8 port 22", "deny udp 2001:db8::/32 port 53-54",
		"allow any4", "allow icmpv6 any6", "deny 192.0.2.1",
	};
	static const char *const canon[] = {
		"allow tcp 10.0.0.0/8 port 22", "deny udp 2001:db8::/32 port 53-54",
		"allow any any4", "allow icmpv6 any6", "deny any 192.0.2.1",
	};

	for (i = 0; i < 5; i++) {
		tap_ok(&t, sk_rule_parse(texts[i], &r, err, sizeof(err)) == 0 &&
		       sk_rule_format(&r, buf, sizeof(buf)) == 0 && !strcmp(buf, canon[i]),
		       "rule '%s' -> '%s'", texts[i], buf);
	}
	tap_ok(&t, sk_rule_parse("allow tcp 10.0.0.0/8 22", &r, err, sizeof(err)) == 0 &&
	       r.has_ports && r.port_min == 22 && r.port_max == 22 && r.proto == 6,
	       "sekictl form (no 'port') accepted");
	tap_ok(&t, sk_rule_parse("allow udp 10.0.0.0/8", &r, err, sizeof(err)) == 0 &&
	       !r.has_ports, "no ports = any port");
	tap_ok(&t, sk_rule_parse("allow icmp 10.0.0.0/8 port 1", &r, err, sizeof(err)) == -EINVAL,
	       "ports with icmp refused (%s)", err);
	tap_ok(&t, sk_rule_parse("allow tcp 10.0.0.1/8", &r, err, sizeof(err)) == -EINVAL &&
	       has(err, "host bits"), "host bits refused (%s)", err);
	tap_ok(&t, sk_rule_parse("permit tcp any4", &r, err, sizeof(err)) == -EINVAL,
	       "unknown action refused (%s)", err);
	tap_ok(&t, sk_rule_parse("allow tcp any4 port", &r, err, sizeof(err)) == -EINVAL,
	       "'port' without number refused (%s)", err);
	tap_ok(&t, sk_rule_parse("allow tcp any4 port 9-1", &r, err, sizeof(err)) == -EINVAL,
	       "reversed range refused (%s)", err);
	tap_ok(&t, sk_rule_parse("allow tcp", &r, err, sizeof(err)) == -EINVAL,
	       "missing prefix refused (%s)", err);

	tap_ok(&t, sk_policy_add(st, "office", "office network") == 0 &&
	       sk_policy_add(st, "office", "") == -EEXIST && sk_policy_add(st, "b d", "") == -EINVAL,
	       "policy add, duplicate, bad name");
	for (i = 0; i < 3; i++) {
		sk_rule_parse(texts[i], &r, err, sizeof(err));
		sk_rule_add(st, "office", 0, &r);
	}
	sk_rule_parse(texts[4], &r, err, sizeof(err));
	tap_ok(&t, sk_rule_add(st, "office", 1, &r) == 0, "insert rule at 1");
	tap_ok(&t, sk_rule_add(st, "office", 9, &r) == -EINVAL && sk_rule_add(st, "no", 0, &r) == -ENOENT,
	       "insert past the end / into unknown policy refused");
	n = 8;
	sk_policy_rules(st, "office", rules, &n);
	for (i = 0; i < n && i < 8; i++)
		sk_rule_format(&rules[i], line[i], sizeof(line[i]));
	for (i = 0; i < n && i < 8; i++)
		printf("# %d: %s\n", i + 1, line[i]);
	tap_ok(&t, n == 4 && !strcmp(line[0], canon[4]) && !strcmp(line[1], canon[0]) &&
	       !strcmp(line[3], canon[2]), "rules in order after insert (%d)", n);
	tap_ok(&t, sk_rule_move(st, "office", 1, 4) == 0, "move 1 -> 4");
	n = 8;
	sk_policy_rules(st, "office", rules, &n);
	for (i = 0; i < n && i < 8; i++)
		sk_rule_format(&rules[i], line[i], sizeof(line[i]));
	tap_ok(&t, !strcmp(line[0], canon[0]) && !strcmp(line[3], canon[4]) &&
	       !strcmp(line[2], canon[2]), "order after move 1 -> 4");
	tap_ok(&t, sk_rule_move(st, "office", 4, 2) == 0, "move 4 -> 2");
	n = 8;
	sk_policy_rules(st, "office", rules, &n);
	for (i = 0; i < n && i < 8; i++)
		sk_rule_format(&rules[i], line[i], sizeof(line[i]));
	tap_ok(&t, !strcmp(line[1], canon[4]) && !strcmp(line[2], canon[1]),
	       "order after move 4 -> 2");
	tap_ok(&t, sk_rule_del(st, "office", 2) == 0 && sk_rule_del(st, "office", 9) == -ENOENT,
	       "delete rule 2; delete past the end: -ENOENT");
	n = 1;
	sk_policy_rules(st, "office", rules, &n);
	tap_ok(&t, n == 3, "capacity 1 still reports 3 rules (%d)", n);
	n = 8;
	sk_policy_rules(st, "office", rules, &n);
	for (i = 0; i < n && i < 8; i++)
		sk_rule_format(&rules[i], line[i], sizeof(line[i]));
	tap_ok(&t, n == 3 && !strcmp(line[1], canon[1]), "positions closed after delete");
	tap_ok(&t, sk_policy_get(st, "office", &p) == 0 && p.n_rules == 3 &&
	       !strcmp(p.description, "office network") && p.id > 0, "policy get");

	/* a group using the policy blocks its deletion */
	{
		struct sk_group g;

		sk_group_get(st, "staff", &g);
		snprintf(g.policy, sizeof(g.policy), "office");
		tap_ok(&t, sk_group_update(st, &g, err, sizeof(err)) == 0 &&
		       sk_group_get(st, "staff", &g) == 0 && !strcmp(g.policy, "office"),
		       "group uses policy office");
		tap_ok(&t, sk_policy_del(st, "office") == -EBUSY, "delete used policy: -EBUSY");
		g.policy[0] = 0;
		sk_group_update(st, &g, err, sizeof(err));
	}
}

static void devices(struct sk_store *st)
{
	struct sk_device d, back;
	int n = 0;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "pc-01");
	d.type = SK_DEV_WINDOWS;
	d.method = SK_DEVM_MAC;
	d.enabled = true;
	d.check = true;
	snprintf(d.ident, sizeof(d.ident), "AA-BB-CC-DD-EE-0F");
	snprintf(d.policy, sizeof(d.policy), "office");
	tap_ok(&t, sk_device_add(st, &d, err, sizeof(err)) == 0, "device add (%s)", err);
	tap_ok(&t, sk_device_get(st, "pc-01", &back) == 0 &&
	       !strcmp(back.ident, "aa:bb:cc:dd:ee:0f") && back.check && !strcmp(back.policy, "office")
	       && !back.user[0], "device round trip, MAC normalised (%s)", back.ident);
	tap_ok(&t, sk_policy_del(st, "office") == -EBUSY, "policy used by a device: -EBUSY");
	tap_ok(&t, sk_device_add(st, &d, err, sizeof(err)) == -EEXIST, "device add twice: -EEXIST");

#define DBAD(setup, field, why) do { \
		struct sk_device x = d; \
		snprintf(x.name, sizeof(x.name), "dx"); \
		setup; \
		tap_ok(&t, sk_device_add(st, &x, err, sizeof(err)) == -EINVAL && has(err, field), \
		       "device refused: %s (%s)", why, err); \
	} while (0)
	DBAD(snprintf(x.name, sizeof(x.name), "p c"), "name", "space in name");
	DBAD(x.type = SK_DEV_IOS, "method", "MAC method for iOS");
	DBAD(x.type = (enum sk_device_type)9, "type", "unknown type");
	DBAD(x.method = (enum sk_device_method)9, "method", "unknown method");
	DBAD(snprintf(x.ident, sizeof(x.ident), "aa:bb:cc:dd:ee"), "ident", "short MAC");
	DBAD(snprintf(x.ident, sizeof(x.ident), "aa:bb:cc:dd:ee:gg"), "ident", "MAC non-hex");
	DBAD((x.method = SK_DEVM_SERIAL, snprintf(x.ident, sizeof(x.ident), "A B")), "ident",
	     "space in serial");
	DBAD(x.ident[0] = 0, "ident", "empty ident");
	{
		struct sk_device x = d;

		snprintf(x.name, sizeof(x.name), "dx");
		snprintf(x.policy, sizeof(x.policy), "nopolicy");
		tap_ok(&t, sk_device_add(st, &x, err, sizeof(err)) == -ENOENT && has(err, "policy"),
		       "device with unknown policy refused (%s)", err);
	}

	/* assignment: staff has max_devices 2 */
	d.policy[0] = 0;
	d.method = SK_DEVM_SERIAL;
	snprintf(d.name, sizeof(d.name), "pc-02");
	sk_device_add(st, &d, err, sizeof(err));
	snprintf(d.name, sizeof(d.name), "pc-03");
	sk_device_add(st, &d, err, sizeof(err));
	tap_ok(&t, sk_device_assign(st, "alice", "pc-01", err, sizeof(err)) == 0 &&
	       sk_device_assign(st, "alice", "pc-02", err, sizeof(err)) == 0 &&
	       sk_device_assign(st, "alice", "pc-02", err, sizeof(err)) == 0,
	       "assign two devices (again is a no-op)");
	tap_ok(&t, sk_device_assign(st, "alice", "pc-03", err, sizeof(err)) == -ENOSPC &&
	       has(err, "max_devices"), "third device: -ENOSPC (%s)", err);
	tap_ok(&t, sk_device_assign(st, "bob", "pc-01", err, sizeof(err)) == -EBUSY,
	       "device of another user: -EBUSY (%s)", err);
	tap_ok(&t, sk_device_assign(st, "nobody", "pc-03", err, sizeof(err)) == -ENOENT &&
	       sk_device_assign(st, "alice", "nodev", err, sizeof(err)) == -ENOENT,
	       "assign unknown user/device: -ENOENT");
	sk_device_list(st, "alice", cnt_device, &n);
	tap_ok(&t, n == 2, "alice has 2 devices (%d)", n);
	tap_ok(&t, sk_device_del(st, "pc-01") == -EBUSY, "delete assigned device: -EBUSY");
	tap_ok(&t, sk_device_unassign(st, "bob", "pc-01") == -ENOENT &&
	       sk_device_unassign(st, "alice", "pc-01") == 0 && sk_device_del(st, "pc-01") == 0,
	       "unassign by the wrong user refused; unassign then delete");
	sk_device_get(st, "pc-03", &back);
	snprintf(back.user, sizeof(back.user), "bob");
	back.enabled = false;
	tap_ok(&t, sk_device_update(st, &back, err, sizeof(err)) == 0 &&
	       sk_device_get(st, "pc-03", &back) == 0 && !strcmp(back.user, "bob") && !back.enabled,
	       "device update assigns and disables (%s)", err);
	n = 0;
	sk_device_list(st, NULL, cnt_device, &n);
	tap_ok(&t, n == 2, "all devices: 2 (%d)", n);
}

static int kv_cat(const char *key, const char *val, void *arg)
{
	char *out = arg;
	size_t o = strlen(out);

	snprintf(out + o, 512 - o, "%s=%s;", key, val);
	return 0;
}

/* device posture (schema 6): policy keys per group and device, the last report */
static void posture(struct sk_store *st)
{
	struct sk_posture_last l, back;
	char list[512] = "";

	tap_ok(&t, sk_posture_set(st, SK_PO_SCOPE_GROUP, "staff", "av.max_age_days", "3", err,
				  sizeof(err)) == 0 &&
	       sk_posture_set(st, SK_PO_SCOPE_GROUP, "staff", "posture", "on", err, sizeof(err)) == 0 &&
	       sk_posture_set(st, SK_PO_SCOPE_GROUP, "staff", "av.max_age_days", "5", err,
			      sizeof(err)) == 0, "posture keys of a group set, one changed (%s)", err);
	sk_posture_list(st, SK_PO_SCOPE_GROUP, "staff", kv_cat, list);
	tap_ok(&t, !strcmp(list, "av.max_age_days=5;posture=on;"), "posture keys listed: %s", list);
	tap_ok(&t, sk_posture_set(st, SK_PO_SCOPE_GROUP, "staff", "av.max_age_days", "400", err,
				  sizeof(err)) == -EINVAL && has(err, "0..365"),
	       "a bad value is refused (%s)", err);
	tap_ok(&t, sk_posture_set(st, SK_PO_SCOPE_GROUP, "staff", "no.such", "1", err,
				  sizeof(err)) == -EINVAL && has(err, "unknown key"),
	       "an unknown key is refused (%s)", err);
	tap_ok(&t, sk_posture_set(st, SK_PO_SCOPE_GROUP, "nogroup", "posture", "on", err,
				  sizeof(err)) == -ENOENT, "an unknown group: -ENOENT (%s)", err);
	tap_ok(&t, sk_posture_set(st, SK_PO_SCOPE_DEVICE, "pc-03", "firewall", "off", err,
				  sizeof(err)) == 0, "a device override (%s)", err);
	tap_ok(&t, sk_posture_set(st, SK_PO_SCOPE_GROUP, "staff", "posture", NULL, err,
				  sizeof(err)) == 0, "a key removed");
	list[0] = 0;
	sk_posture_list(st, SK_PO_SCOPE_GROUP, "staff", kv_cat, list);
	tap_ok(&t, !strcmp(list, "av.max_age_days=5;"), "... and gone: %s", list);
	memset(&l, 0, sizeof(l));
	l.time = 1762300000;
	snprintf(l.outcome, sizeof(l.outcome), "refuse");
	snprintf(l.report, sizeof(l.report), "{\"format\":1,\"os_name\":\"ウイルスバスター\"}");
	snprintf(l.verdicts, sizeof(l.verdicts), "{\"outcome\":\"refuse\"}");
	tap_ok(&t, sk_posture_last_set(st, "pc-03", &l) == 0 && sk_posture_last_set(st, "pc-03", &l) == 0 &&
	       sk_posture_last_get(st, "pc-03", &back) == 0 && back.time == l.time &&
	       !strcmp(back.report, l.report) && !strcmp(back.outcome, "refuse"),
	       "a device's last report stored, replaced and read back");
	tap_ok(&t, sk_posture_last_get(st, "pc-02", &back) == -ENOENT &&
	       sk_posture_last_set(st, "nodev", &l) == -ENOENT, "no report kept / no device: -ENOENT");
}

static void fk(struct sk_store *st)
{
	struct sk_device d;
	struct sk_user u;

	tap_ok(&t, sk_group_del(st, "staff") == -EBUSY, "delete group with users: -EBUSY");
	tap_ok(&t, sk_user_del(st, "alice") == 0 && sk_user_get(st, "alice", &u) == -ENOENT,
	       "delete user");
	tap_ok(&t, sk_device_get(st, "pc-02", &d) == 0 && !d.user[0],
	       "the deleted user's devices are unassigned");
	tap_ok(&t, sk_group_del(st, "staff") == 0 && sk_group_del(st, "staff") == -ENOENT,
	       "delete empty group; again: -ENOENT");
	tap_ok(&t, sk_policy_del(st, "office") == 0, "unused policy deleted");
}

static void certs_profiles(struct sk_store *st)
{
	struct sk_cert c, back;
	struct sk_profile p, pb;
	int n = 0;

	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "0A1B2C");
	snprintf(c.user, sizeof(c.user), "bob");
	snprintf(c.device, sizeof(c.device), "pc-03");
	snprintf(c.subject, sizeof(c.subject), "CN=bob");
	c.not_before = 10;
	c.not_after = 20;
	tap_ok(&t, sk_cert_add(st, &c) == 0 && sk_cert_add(st, &c) == -EEXIST, "cert add, twice");
	snprintf(c.serial, sizeof(c.serial), "XYZ");
	tap_ok(&t, sk_cert_add(st, &c) == -EINVAL, "non-hex serial refused");
	tap_ok(&t, sk_cert_get(st, "0a1b2c", &back) == 0 && !strcmp(back.subject, "CN=bob") &&
	       back.not_after == 20 && back.revoked_at == 0, "cert get (serial case-insensitive)");
	tap_ok(&t, sk_cert_revoke(st, "0A1B2C", 15) == 0 && sk_cert_revoke(st, "0A1B2C", 16) == -EALREADY
	       && sk_cert_get(st, "0A1B2C", &back) == 0 && back.revoked_at == 15 &&
	       sk_cert_revoke(st, "FF", 1) == -ENOENT, "revoke keeps the first time");
	sk_cert_list(st, "bob", cnt_cert, &n);
	tap_ok(&t, n == 1, "cert list for bob");

	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "bob");
	memset(p.token_hash, 0xab, 32);
	p.expires = 99;
	p.max_downloads = 1;
	p.state = SK_PROFILE_MAIL_PENDING;
	p.created = 5;
	tap_ok(&t, sk_profile_add(st, &p) == 0 && p.id > 0, "profile add");
	tap_ok(&t, sk_profile_find(st, p.token_hash, &pb) == 0 && pb.id == p.id &&
	       pb.expires == 99 && pb.state == SK_PROFILE_MAIL_PENDING, "profile find by token hash");
	pb.downloads = 1;
	pb.state = SK_PROFILE_WAIT_REGISTER;
	tap_ok(&t, sk_profile_update(st, &pb) == 0 && sk_profile_find(st, p.token_hash, &pb) == 0 &&
	       pb.downloads == 1 && pb.state == SK_PROFILE_WAIT_REGISTER, "profile update");
	pb.state = (enum sk_profile_state)0;
	tap_ok(&t, sk_profile_update(st, &pb) == -EINVAL, "profile bad state refused");
	memset(p.token_hash, 0xcd, 32);
	tap_ok(&t, sk_profile_find(st, p.token_hash, &pb) == -ENOENT, "unknown token: -ENOENT");
}

static void settings(struct sk_store *st)
{
	char v[SK_TEXT_MAX];

	tap_ok(&t, sk_setting_get(st, "otp.ttl", v, sizeof(v)) == 0 && !strcmp(v, "300") &&
	       sk_setting_int(st, "otp.ttl", 1) == 300, "default otp.ttl 300");
	{
		char want[SK_TEXT_MAX];

		snprintf(want, sizeof(want), "%s/ca", dir);
		tap_ok(&t, sk_setting_get(st, "ca.dir", v, sizeof(v)) == 0 && !strcmp(v, want) &&
		       !strcmp(sk_store_dir(st), dir), "default ca.dir: ca below the state directory (%s)", v);
	}
	tap_ok(&t, sk_setting_set(st, "otp.ttl", "600", err, sizeof(err)) == 0 &&
	       sk_setting_int(st, "otp.ttl", 1) == 600, "set otp.ttl 600");
	tap_ok(&t, sk_setting_set(st, "otp.ttl", "abc", err, sizeof(err)) == -EINVAL &&
	       has(err, "otp.ttl"), "non-number refused (%s)", err);
	tap_ok(&t, sk_setting_set(st, "otp.ttl", "5", err, sizeof(err)) == -EINVAL,
	       "out of range refused (%s)", err);
	tap_ok(&t, sk_setting_set(st, "no.such", "1", err, sizeof(err)) == -EINVAL &&
	       has(err, "unknown") && sk_setting_get(st, "no.such", v, sizeof(v)) == -EINVAL,
	       "unknown key refused (%s)", err);
	tap_ok(&t, sk_setting_set(st, "device.auto_register", "yes", err, sizeof(err)) == -EINVAL &&
	       sk_setting_set(st, "device.auto_register", "on", err, sizeof(err)) == 0,
	       "booleans are on/off");
	tap_ok(&t, sk_setting_set(st, "smtp.from", "x", err, sizeof(err)) == -EINVAL &&
	       sk_setting_set(st, "smtp.url", "ftp://x", err, sizeof(err)) == -EINVAL &&
	       sk_setting_set(st, "cert.bind", "dn", err, sizeof(err)) == -EINVAL &&
	       sk_setting_set(st, "smtp.url", "smtps://mail.example:465", err, sizeof(err)) == 0,
	       "email, URL and cert.bind checked");
	tap_ok(&t, sk_setting_int(st, "gateway.name", 7) == 7, "sk_setting_int default on non-number");
	{
		int n = 0, nd = 0;

		sk_setting_defs(&nd);
		sk_setting_list(st, cnt_setting, &n);
		tap_ok(&t, n == nd && nd >= 26, "setting list has every known key (%d of %d)", n, nd);
	}
	/* the password cost settings are bounded (auth-password-test checks
	 * that new hashes follow them) */
	tap_ok(&t, sk_setting_set(st, "password.memory_kib", "7167", err, sizeof(err)) == -EINVAL,
	       "password.memory_kib below the OWASP minimum refused (%s)", err);
	tap_ok(&t, sk_setting_set(st, "password.parallelism", "17", err, sizeof(err)) == -EINVAL,
	       "password.parallelism above 16 refused (%s)", err);
}

static void sessions(struct sk_store *st)
{
	struct sk_session s, b;
	struct sk_audit a;
	struct sk_audit_filter f = { 0 };
	char addr[SK_ADDR_MAX];
	int n = 0;

	memset(&s, 0, sizeof(s));
	memset(s.cookie_hash, 1, 32);
	snprintf(s.user, sizeof(s.user), "bob");
	snprintf(s.group, sizeof(s.group), "guests");
	snprintf(s.addr4, sizeof(s.addr4), "10.77.0.10");
	snprintf(s.remote, sizeof(s.remote), "[2001:db8::1]:4433");
	s.started = 100;
	s.rx_bytes = 1ULL << 40;
	s.pid = 1234;
	tap_ok(&t, sk_session_add(st, &s) == 0 && s.id > 0 && s.id <= 0xffffffffLL, "session add");
	tap_ok(&t, sk_session_add(st, &s) == -EEXIST, "same cookie twice: -EEXIST");
	tap_ok(&t, sk_session_find(st, s.cookie_hash, &b) == 0 && b.id == s.id &&
	       b.rx_bytes == 1ULL << 40 && !strcmp(b.remote, "[2001:db8::1]:4433") && b.pid == 1234,
	       "session find by cookie hash");
	/* posture (issue 12): the quarantine, imposed and lifted, is kept */
	tap_ok(&t, !b.quarantine[0] && !b.quarantine_why[0], "session: not quarantined when added so");
	snprintf(b.quarantine, sizeof(b.quarantine), "remed");
	snprintf(b.quarantine_why, sizeof(b.quarantine_why), "av: av-definitions-old");
	tap_ok(&t, sk_session_update(st, &b) == 0 && sk_session_get(st, s.id, &b) == 0 &&
	       !strcmp(b.quarantine, "remed") && !strcmp(b.quarantine_why, "av: av-definitions-old"),
	       "session update: quarantine policy and why kept");
	snprintf(b.quarantine, sizeof(b.quarantine), "bad name");
	tap_ok(&t, sk_session_update(st, &b) == -EINVAL, "session quarantine: not a policy name: -EINVAL");
	snprintf(b.quarantine, sizeof(b.quarantine), "remed");
	snprintf(b.quarantine_why, sizeof(b.quarantine_why), "av\n");
	tap_ok(&t, sk_session_update(st, &b) == -EINVAL, "session quarantine why with a newline: -EINVAL");
	b.quarantine[0] = b.quarantine_why[0] = 0;
	tap_ok(&t, sk_session_update(st, &b) == 0 && sk_session_get(st, s.id, &b) == 0 &&
	       !b.quarantine[0] && !b.quarantine_why[0], "session update: quarantine lifted");
	b.killed = true;
	b.pid = 0;
	tap_ok(&t, sk_session_update(st, &b) == 0 && sk_session_get(st, s.id, &b) == 0 && b.killed,
	       "session update (kill)");
	sk_session_list(st, cnt_session, &n);
	tap_ok(&t, n == 1, "session list");
	tap_ok(&t, sk_session_del(st, s.id) == 0 && sk_session_get(st, s.id, &b) == -ENOENT,
	       "session delete");

	tap_ok(&t, sk_lease_get(st, "bob", AF_INET, addr, sizeof(addr)) == -ENOENT &&
	       sk_lease_set(st, "bob", AF_INET, "10.77.0.10") == 0 &&
	       sk_lease_get(st, "bob", AF_INET, addr, sizeof(addr)) == 0 &&
	       !strcmp(addr, "10.77.0.10"), "lease set and get");
	tap_ok(&t, sk_lease_taken(st, AF_INET, "10.77.0.10", "carol") &&
	       !sk_lease_taken(st, AF_INET, "10.77.0.10", "bob") &&
	       !sk_lease_taken(st, AF_INET, "10.77.0.11", "carol"), "lease taken by another user");
	tap_ok(&t, sk_lease_set(st, "carol", AF_INET, "10.77.0.10") == -EEXIST,
	       "another user's address: -EEXIST");
	tap_ok(&t, sk_lease_set(st, "bob", AF_INET, "10.77.0.12") == 0 &&
	       sk_lease_get(st, "bob", AF_INET, addr, sizeof(addr)) == 0 &&
	       !strcmp(addr, "10.77.0.12"), "lease moved");

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 5; i++) {
		a.time = 1000 + i;
		snprintf(a.type, sizeof(a.type), "%s", i % 2 ? "login" : "admin");
		snprintf(a.user, sizeof(a.user), "%s", i < 3 ? "bob" : "carol");
		snprintf(a.detail, sizeof(a.detail), "{\"i\":%d}", i);
		sk_audit_add(st, &a);
	}
	a.type[0] = 0;
	tap_ok(&t, sk_audit_add(st, &a) == -EINVAL, "audit without type refused");
	n = 0;
	f.user = "bob";
	sk_audit_list(st, &f, cnt_audit, &n);
	tap_ok(&t, n == 3, "audit filter by user (%d)", n);
	n = 0;
	f.user = NULL;
	f.type = "login";
	sk_audit_list(st, &f, cnt_audit, &n);
	tap_ok(&t, n == 2, "audit filter by type (%d)", n);
	n = 0;
	f.type = NULL;
	f.since = 1001;
	f.until = 1003;
	sk_audit_list(st, &f, cnt_audit, &n);
	tap_ok(&t, n == 3, "audit filter by time (%d)", n);
	n = 0;
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	sk_audit_list(st, &f, cnt_audit, &n);
	tap_ok(&t, n == 2, "audit limit (%d)", n);
}

static int inner(struct sk_store *st, void *arg)
{
	(void)arg;
	return sk_policy_add(st, "inner", "") ? -1 : -EPERM;
}

static int outer(struct sk_store *st, void *arg)
{
	int *rc = arg;

	if (sk_policy_add(st, "outer", ""))
		return -1;
	*rc = sk_store_tx(st, inner, NULL);
	return 0;	/* ignores the inner failure: the store must not commit */
}

static void transactions(struct sk_store *st)
{
	struct sk_policy p;
	int inner_rc = 0, rc;

	rc = sk_store_tx(st, outer, &inner_rc);
	tap_ok(&t, inner_rc == -EPERM && rc == -EPERM && sk_policy_get(st, "outer", &p) == -ENOENT &&
	       sk_policy_get(st, "inner", &p) == -ENOENT,
	       "a failed nested transaction rolls the outer one back (%d)", rc);
}

int main(void)
{
	struct sk_store *st;

	tap_begin();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (!test_store(dir, "sekisho.db", path, sizeof(path)))
		return 1;
	open_close(&st);
	groups(st);
	group_validation(st);
	users(st);
	policies(st);
	devices(st);
	posture(st);
	text_validation(st);
	fk(st);
	certs_profiles(st);
	settings(st);
	sessions(st);
	transactions(st);
	sk_store_close(st);
	{
		struct sk_user u;

		tap_ok(&t, sk_store_open(path, &st, err, sizeof(err)) == 0 &&
		       sk_user_get(st, "bob", &u) == 0 && u.fail_count == 0, "reopen keeps the data");
		sk_store_close(st);
	}
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return tap_end(&t);
}
