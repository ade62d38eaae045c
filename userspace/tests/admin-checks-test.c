// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the admin checks of issue 14 ("Administrator fixes",
 * admin/checks.c): URL schemes of smtp.url and profile.base_url, two
 * groups with overlapping pools, one MAC address on two devices (also in
 * a CSV import), a valid-until in the past (a warning), an unknown
 * `audit list --type`, the audit record of a refused command (without
 * the words of the command line), and a serial ID's non-ASCII character
 * quoted whole.  Each check says what failed, in English and Japanese.
 * TAP output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "store-test.h"

static struct tap t;
#include "admin-run.h"

static int last_cb(const struct sk_audit *a, void *arg)
{
	*(struct sk_audit *)arg = *a;
	return 0;
}

static struct sk_audit last_audit(void)
{
	struct sk_audit a = { 0 };
	struct sk_audit_filter f = { .limit = 1 };

	sk_audit_list(st, &f, last_cb, &a);
	return a;
}

static void urls(void)
{
	char v[256];

	tap_ok(&t, run("settings set smtp.url https://mail.example.jp") == 2 &&
	       has(err, "smtp.url") && has(err, "smtp:// / smtps://") && has(err, "で始まる URL"),
	       "smtp.url with https:// refused, in English and Japanese");
	tap_ok(&t, run("settings set smtp.url smtp://") == 2 && has(err, "no host name") &&
	       has(err, "ホスト名"), "smtp.url without a host refused");
	tap_ok(&t, run("settings set profile.base_url http://vpn.example.jp") == 2 &&
	       has(err, "https://"), "profile.base_url over plain http refused");
	tap_ok(&t, run("settings set profile.base_url smtp://vpn.example.jp") == 2,
	       "profile.base_url with smtp:// refused");
	tap_ok(&t, !sk_setting_get(st, "smtp.url", v, sizeof(v)) && !v[0] &&
	       !sk_setting_get(st, "profile.base_url", v, sizeof(v)) && !v[0],
	       "nothing stored by the refusals");
	tap_ok(&t, run("settings set smtp.url smtps://mail.example.jp:465") == 0 &&
	       run("settings set smtp.url smtp://mail.example.jp:587") == 0 &&
	       run("settings set profile.base_url https://vpn.example.jp/p") == 0,
	       "smtps://, smtp://, https:// with a host are taken");
	tap_ok(&t, run("settings set smtp.url ") == 0 || run("settings set smtp.url |") != 0,
	       "(clearing is not affected)");
}

static void pools(void)
{
	struct sk_group g;

	tap_ok(&t, run("group add a pool4=10.8.0.0/16 pool6=fd00:8::/64") == 0, "group a");
	tap_ok(&t, run("group add b pool4=10.8.4.0/24") == 1 && has(err, "pool4 10.8.4.0/24 overlaps") &&
	       has(err, "group a") && has(err, "重なっています"),
	       "a group whose pool4 lies in another's is refused: %s", err);
	tap_ok(&t, sk_group_get(st, "b", &g) == -ENOENT, "and not added");
	tap_ok(&t, run("group add b pool4=10.0.0.0/8") == 1, "one that contains another's is refused");
	tap_ok(&t, run("group add b pool4=10.9.0.0/24 pool6=fd00:8::/64") == 1 &&
	       has(err, "pool6"), "an equal pool6 is refused");
	tap_ok(&t, run("group add b pool4=10.9.0.0/24 pool6=fd00:9::/64") == 0, "separate pools are taken");
	tap_ok(&t, run("group set b pool4=10.8.255.0/24") == 1 && !sk_group_get(st, "b", &g) &&
	       !strcmp(g.pool4, "10.9.0.0/24"), "group set into another's pool refused, unchanged");
	tap_ok(&t, run("group set a pool4=10.8.0.0/16 label=x") == 0, "a group overlaps itself: no");
}

static void macs(void)
{
	struct sk_device d;
	char csv[512];
	FILE *f;

	tap_ok(&t, run("device add pc1 --type windows --method mac --id 12:34:56:78:90:AB") == 0,
	       "device pc1 with a MAC");
	tap_ok(&t, run("device add pc2 --type windows --method mac --id 12-34-56-78-90-ab") == 1 &&
	       has(err, "already device pc1") && has(err, "登録されています"),
	       "the same MAC in another form on a second device is refused: %s", err);
	tap_ok(&t, sk_device_get(st, "pc2", &d) == -ENOENT, "and not added");
	tap_ok(&t, run("device add pc2 --type windows --method mac --id 12:34:56:78:90:ac") == 0 &&
	       run("device set pc2 id=12:34:56:78:90:ab") == 1 && !sk_device_get(st, "pc2", &d) &&
	       !strcmp(d.ident, "12:34:56:78:90:ac"), "device set to a taken MAC refused, unchanged");
	tap_ok(&t, run("device set pc1 id=12:34:56:78:90:AB") == 0, "a device keeps its own MAC");

	snprintf(csv, sizeof(csv), "/tmp/sk-checks-%d.csv", (int)getpid());
	f = fopen(csv, "w");
	fputs("name,type,method,id\npc3,windows,mac,aa:bb:cc:dd:ee:01\npc4,windows,mac,AA:BB:CC:DD:EE:01\n", f);
	fclose(f);
	{
		char line[600];

		snprintf(line, sizeof(line), "device import %s", csv);
		tap_ok(&t, run(line) != 0 && has(err, "already device pc3") &&
		       sk_device_get(st, "pc3", &d) == -ENOENT,
		       "a CSV with one MAC twice: refused, nothing imported");
	}
	unlink(csv);
}

static void valid_until(void)
{
	tap_ok(&t, run("group add staff") == 0, "group staff");
	tap_ok(&t, run("user add old --email o@example.jp --group staff --valid-until 2001-03-31") == 0 &&
	       has(err, "warning: valid-until 2001-03-31") && has(err, "警告"),
	       "user add with a past valid-until: added, with a warning");
	tap_ok(&t, run("user add new --email n@example.jp --group staff --valid-until 2099-03-31") == 0 &&
	       !strstr(err, "warning"), "a future valid-until: no warning");
	tap_ok(&t, run("user set new valid-until=2002-01-01") == 0 && has(err, "in the past"),
	       "user set to a past date warns");
	tap_ok(&t, run("user set new email=x@example.jp") == 0 && !strstr(err, "warning"),
	       "another change of that user does not warn again");
}

static void audit_types(void)
{
	tap_ok(&t, run("audit list --type logn") == 2 && has(err, "unknown audit type 'logn'") &&
	       has(err, "login") && has(err, "種類"), "audit list --type logn: an error listing the types");
	tap_ok(&t, run("audit export --type bogus") == 2, "audit export too");
	tap_ok(&t, run("audit list --type login") == 0 && run("audit list --type session-end") == 0,
	       "known types are taken");
}

static void refused(void)
{
	struct sk_audit a;

	tap_ok(&t, run("user add nomail --group staff") == 2, "a refused user add");
	a = last_audit();
	tap_ok(&t, !strcmp(a.type, "admin") && !strcmp(a.result, "refused-usage") &&
	       !strcmp(a.actor, "uid=0(root)") && has(a.detail, "\"command\":\"user add\"") &&
	       has(a.detail, "\"status\":2"), "is audited: who, the command, refused-usage: %s", a.detail);
	tap_ok(&t, run("user del nosuch") == 1, "a refused user del");
	a = last_audit();
	tap_ok(&t, !strcmp(a.result, "refused") && has(a.detail, "user del"), "is audited as refused");
	tap_ok(&t, run("settings set smtp.password Hunter2secret") == 2, "a secret on the command line");
	a = last_audit();
	tap_ok(&t, !strcmp(a.result, "refused-usage") && !strstr(a.detail, "Hunter2") &&
	       !strstr(a.user, "Hunter2"), "is audited without the secret: %s", a.detail);
	tap_ok(&t, run("user show staff-nobody") == 1 && !strcmp(last_audit().result, "refused"),
	       "a failed read is audited too");
}

static void serial_utf8(void)
{
	tap_ok(&t, run("device add ph9 --type ios --method serial --id AB山CD") == 1 &&
	       has(err, "'山'"), "a serial ID's non-ASCII character is quoted whole: %s", err);
	tap_ok(&t, run("user add a山田 --email y@example.jp --group staff") != 0 &&
	       has(err, "'山'"), "a login name's non-ASCII character is quoted whole: %s", err);
}

int main(void)
{
	char dir[64], path[512], e[256];

	tap_begin();
	snprintf(dir, sizeof(dir), "/tmp/sk-checks-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("TZ", "UTC", 1);
	if (!test_store(dir, "store.db", path, sizeof(path)) || sk_store_open(path, &st, e, sizeof(e))) {
		printf("Bail out! store: %s\n", e);
		return 1;
	}
	urls();
	pools();
	macs();
	valid_until();
	audit_types();
	refused();
	serial_utf8();
	sk_store_close(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
