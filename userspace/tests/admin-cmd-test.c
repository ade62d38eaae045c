// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of skadmin: every noun through sk_admin_exec on a temporary
 * store (output, store effects, audit records), CSV imports that must
 * change nothing when a row is bad, the control socket (a real socket in a
 * temporary directory; a forked child with uid 65534 is refused), the CA
 * (issue -> revoke -> the serial is in crl.pem per `openssl crl -text`) and
 * the profile download (limit and expiry).  TAP output.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "skadmin.h"
#include "tap.h"
#include "store-test.h"

static struct tap t;
static char dir[64];

#include "admin-run.h"

/* the records of changes: a refused command has a record of its own
 * (result "refused"/"refused-usage", admin-checks-test) and changed nothing */
static int count_audit_cb(const struct sk_audit *a, void *arg)
{
	if (strncmp(a->result, "refused", 7))
		(*(int *)arg)++;
	return 0;
}

static int n_audit(void)
{
	struct sk_audit_filter f = { .type = "admin" };
	int n = 0;

	sk_audit_list(st, &f, count_audit_cb, &n);
	return n;
}

struct last_audit { struct sk_audit a; };

static int last_audit_cb(const struct sk_audit *a, void *arg)
{
	struct last_audit *l = arg;

	if (a->id > l->a.id)
		l->a = *a;
	return 0;
}

static struct sk_audit last_audit(void)
{
	struct sk_audit_filter f = { .type = "admin" };
	struct last_audit l = { 0 };

	sk_audit_list(st, &f, last_audit_cb, &l);
	return l.a;
}

/* how many admin records hold needle in their detail */
static int count_needle_cb(const struct sk_audit *a, void *arg)
{
	struct { const char *needle; int n; } *c = arg;

	c->n += strstr(a->detail, c->needle) != NULL;
	return 0;
}

static int count_records(const char *needle)
{
	struct sk_audit_filter f = { .type = "admin" };
	struct { const char *needle; int n; } c = { needle, 0 };

	sk_audit_list(st, &f, count_needle_cb, &c);
	return c.n;
}

static void users_groups(void)
{
	struct sk_user u;
	struct sk_group g;
	struct sk_audit a;
	int n0;
	char cmd[256];

	tap_ok(&t, run("group add staff pool4=10.77.0.0/24 dns=10.0.0.53,10.0.0.54") == 0 &&
	       has(out, "group staff: added"), "group add with settings");
	tap_ok(&t, !sk_group_get(st, "staff", &g) && !strcmp(g.pool4, "10.77.0.0/24") &&
	       !strcmp(g.dns[1], "10.0.0.54"), "group add: stored pool and DNS");
	tap_ok(&t, run("group add contractors") == 0, "second group");
	n0 = n_audit();
	tap_ok(&t, run("user add alice --email alice@example.jp --group staff --valid-until 2030-03-31 --lang ja") == 0 &&
	       has(out, "user alice: added"), "user add");
	tap_ok(&t, !sk_user_get(st, "alice", &u) && u.enabled && u.lang == SK_LANG_JA &&
	       u.valid_until > 0 && !strcmp(u.group, "staff"), "user add: stored");
	a = last_audit();
	tap_ok(&t, n_audit() == n0 + 1 && !strcmp(a.actor, "uid=0(root)") &&
	       has(a.detail, "\"command\":\"user add\"") && has(a.detail, "\"before\":null") &&
	       has(a.detail, "\"after\":{\"name\":\"alice\""), "user add: one audit record with after");
	tap_ok(&t, run("user add alice --email x@example.jp --group staff") == 1 &&
	       has(err, "alice"), "user add: duplicate refused");
	tap_ok(&t, run("user add bob --email bob@example.jp --group nosuch") == 1,
	       "user add: unknown group refused");
	tap_ok(&t, run("user add bob --email bob@example.jp") == 2 &&
	       has(err, "--group are required"), "user add: --group required");
	tap_ok(&t, run("user set alice group=contractors") == 0 &&
	       has(out, "user alice: group staff -> contractors"), "user set prints the change");
	a = last_audit();
	tap_ok(&t, has(a.detail, "\"before\":{\"group\":\"staff\"}") &&
	       has(a.detail, "\"after\":{\"group\":\"contractors\"}"), "user set: audit before/after");
	tap_ok(&t, run("user set alice totp=new") == 0 && has(out, "otpauth://totp/") &&
	       has(out, "secret=") && !sk_user_get(st, "alice", &u) && u.totp_secret[0] &&
	       strstr(out, u.totp_secret), "user set totp=new prints the URI with the stored secret");
	tap_ok(&t, run("user set alice valid-until=2031-01-02T03:04:05Z") == 0 &&
	       !sk_user_get(st, "alice", &u) && u.valid_until == 1925089445,
	       "user set valid-until ISO 8601 with Z");
	tap_ok(&t, run("user set alice valid-until=2031-02-30") == 2, "impossible date refused");
	tap_ok(&t, run("user set alice colour=blue") == 2 && has(err, "unknown key 'colour'"),
	       "user set unknown key");
	tap_ok(&t, run_in("Str0ng-pass\n", "user passwd alice") == 0 &&
	       !sk_user_get(st, "alice", &u) && u.pw_hash[0] && u.must_change_pw,
	       "user passwd from stdin sets must_change");
	tap_ok(&t, !strstr(last_audit().detail, "argon2"), "user passwd: no hash in the audit trail");
	tap_ok(&t, run_in("Str0ng-pass2\n", "user passwd alice --no-change-required") == 0 &&
	       !sk_user_get(st, "alice", &u) && !u.must_change_pw, "user passwd --no-change-required");
	tap_ok(&t, run_in("short\n", "user passwd alice") == 1 && has(err, "too-short"),
	       "user passwd: policy refusal");
	tap_ok(&t, run("user lock alice") == 0 && has(out, "locked no -> yes") &&
	       !sk_user_get(st, "alice", &u) && u.locked && fx.users_changed, "user lock");
	tap_ok(&t, run("user unlock alice") == 0 && !sk_user_get(st, "alice", &u) && !u.locked,
	       "user unlock");
	/* two temporary locks (lock_count 2: the next would last 4x), then the
	 * administrator unlocks: the count starts again and show says so */
	for (int i = 0; i < 6; i++)	/* the second three after the first lock ended */
		sk_user_fail(st, "alice", 3, 3600, i < 3 ? 1000 + i : 100000 + i, &u);
	tap_ok(&t, !sk_user_get(st, "alice", &u) && u.lock_count == 2 && run("user show alice") == 0 &&
	       has(out, "lock-count") && has(out, "2"), "user show: lock-count (%d)", u.lock_count);
	tap_ok(&t, run("user unlock alice") == 0 && has(out, "lock-count 2 -> 0") &&
	       !sk_user_get(st, "alice", &u) && !u.locked && u.lock_count == 0 && u.fail_count == 0,
	       "user unlock: lock-count and fail-count back to 0");
	tap_ok(&t, run("user list --json") == 0 && has(out, "[{\"name\":\"alice\""),
	       "user list --json");
	tap_ok(&t, run("user show alice") == 0 && has(out, "contractors"), "user show");
	/* display names (氏名): set, shown, listed, audited, refused when not one line */
	tap_ok(&t, run("user set alice display-name=山田|太郎") == 0 &&
	       has(out, "user alice: display-name (none) -> 山田 太郎") &&
	       !sk_user_get(st, "alice", &u) && !strcmp(u.display_name, "山田 太郎"),
	       "user set display-name prints the change");
	a = last_audit();
	tap_ok(&t, has(a.detail, "\"after\":{\"display-name\":\"山田 太郎\"}"),
	       "user set display-name: audited with before/after (%s)", a.detail);
	tap_ok(&t, run("user show alice") == 0 && has(out, "display-name") && has(out, "山田 太郎"),
	       "user show: display-name");
	tap_ok(&t, run("user list") == 0 && has(out, "DISPLAY-NAME") && has(out, "山田 太郎"),
	       "user list: display-name column");
	tap_ok(&t, run("user list --json") == 0 && has(out, "\"display-name\":\"山田 太郎\""),
	       "user list --json: display-name");
	n0 = n_audit();
	tap_ok(&t, run("user set alice display-name=山田\x1b[2J") == 2 && has(err, "display-name") &&
	       has(err, "control character") && !strchr(err, 0x1b) && !sk_user_get(st, "alice", &u) &&
	       !strcmp(u.display_name, "山田 太郎") && n_audit() == n0,
	       "user set display-name with an escape sequence refused, not echoed, nothing changed");
	tap_ok(&t, run("user set alice display-name=山\xff") == 2 && has(err, "UTF-8") &&
	       !strchr(err, 0xff), "user set display-name: broken UTF-8 refused, not echoed");
	{
		char cmd[400] = "user set alice display-name=";

		for (int i = 0; i < 65; i++)
			strcat(cmd, "山");
		tap_ok(&t, run(cmd) == 2 && has(err, "65 characters, at most 64"),
		       "user set display-name: 65 characters refused");
	}
	tap_ok(&t, run("user add dora --email dora@example.jp --group staff --display-name 佐藤|花子") == 0 &&
	       has(out, "display name 佐藤 花子") && !sk_user_get(st, "dora", &u) &&
	       !strcmp(u.display_name, "佐藤 花子") && has(last_audit().detail, "\"display-name\":\"佐藤 花子\""),
	       "user add --display-name: stored, printed, audited");
	tap_ok(&t, run("user del dora") == 0, "dora deleted");
	tap_ok(&t, run("group set staff factors=password,email-otp split-include=10.1.0.0/16,10.2.0.0/16 proxy=pac proxy-pac=http://p/x.pac max-devices=1 mtu=1400 banner=Hello|world") == 0 &&
	       has(out, "group staff: factors password -> password,email-otp") &&
	       !sk_group_get(st, "staff", &g) && g.factors[1] == SK_FACTOR_EMAIL_OTP &&
	       g.n_split_inc == 2 && g.proxy_mode == SK_PROXY_PAC && g.max_devices == 1 &&
	       g.mtu == 1400 && !strcmp(g.banner, "Hello world"), "group set many keys");
	tap_ok(&t, run("group set staff factors=password,sms") == 2 && has(err, "sms"),
	       "group set: unknown factor");
	tap_ok(&t, run("group show staff --json") == 0 &&
	       has(out, "\"split-include\":[\"10.1.0.0/16\",\"10.2.0.0/16\"]"), "group show --json lists");
	tap_ok(&t, run("group del contractors") == 1 && has(err, "still has users"),
	       "group del with users refused");
	snprintf(cmd, sizeof(cmd), "user add tmp --email t@example.jp --group staff");
	tap_ok(&t, run(cmd) == 0 && run("user del tmp") == 0 && sk_user_get(st, "tmp", &u) == -ENOENT,
	       "user del");
}

static void policies_devices(void)
{
	struct sk_rule r[8];
	struct sk_device d;
	int n = 8;

	tap_ok(&t, run("policy add office --description office|LAN") == 0, "policy add");
	tap_ok(&t, run("policy rule add office allow tcp 10.9.0.0/24 port 22") == 0 &&
	       run("policy rule add office --at 1 deny any 10.9.0.1") == 0 &&
	       fx.policies_changed, "policy rule add (append, --at)");
	tap_ok(&t, run("policy show office") == 0 && has(out, "1  deny") && has(out, "2  allow tcp"),
	       "policy show numbers rules");
	tap_ok(&t, run("policy rule move office 1 2") == 0 &&
	       !sk_policy_rules(st, "office", r, &n) && n == 2 && r[0].action == SK_ACTION_ALLOW && r[1].action == SK_ACTION_DENY,
	       "policy rule move");
	tap_ok(&t, run("policy rule del office 2") == 0 && (n = 8, !sk_policy_rules(st, "office", r, &n)) &&
	       n == 1, "policy rule del");
	tap_ok(&t, run("policy rule add office allow tcp 10.0.0.0/8 port 99999") == 2,
	       "policy rule add: bad rule is a usage error");
	tap_ok(&t, run("group set staff policy=office") == 0 && fx.policies_changed &&
	       run("policy del office") == 1 && has(err, "uses this policy"), "policy del in use refused");
	tap_ok(&t, run("policy list --json") == 0 && has(out, "\"name\":\"office\""), "policy list --json");

	tap_ok(&t, run("device add pc1 --type windows --method mac --id 12:34:56:78:90:AB") == 0 &&
	       !sk_device_get(st, "pc1", &d) && d.enabled && d.check && d.type == SK_DEV_WINDOWS,
	       "device add");
	tap_ok(&t, run("device add ph1 --type ios --method serial --id ABC123 --no-check --disabled") == 0 &&
	       !sk_device_get(st, "ph1", &d) && !d.enabled && !d.check, "device add --no-check --disabled");
	tap_ok(&t, run("device add mc2 --type mac --method mac") == 2, "device add: --id required for method mac");
	tap_ok(&t, run("device add ph2 --type ios --method serial") == 0 &&
	       !sk_device_get(st, "ph2", &d) && !d.ident[0] && d.check,
	       "device add: a serial device without --id waits for auto-registration");
	tap_ok(&t, run("device del ph2") == 0, "device del of the unregistered serial device");
	tap_ok(&t, run("user add carol --email carol@example.jp --group staff") == 0 &&
	       run("device assign carol pc1") == 0 && has(out, "device pc1: user (none) -> carol"),
	       "device assign");
	tap_ok(&t, run("device assign carol ph1") == 1 && has(err, "max-devices"),
	       "device assign beyond max_devices refused");
	tap_ok(&t, run("device del pc1") == 1 && has(err, "assigned to user carol"),
	       "device del of an assigned device refused");
	tap_ok(&t, run("device list --user carol --json") == 0 && has(out, "\"name\":\"pc1\"") &&
	       !strstr(out, "ph1"), "device list --user");
	tap_ok(&t, run("device set ph1 enabled=yes policy=office") == 0 &&
	       has(out, "device ph1: enabled no -> yes"), "device set");
	tap_ok(&t, run("device unassign carol pc1") == 0 && !sk_device_get(st, "pc1", &d) && !d.user[0],
	       "device unassign");
}

static void csv(void)
{
	char path[128];
	FILE *f;
	struct sk_user u;
	int n0 = n_audit();

	snprintf(path, sizeof(path), "%s/u.csv", dir);
	f = fopen(path, "w");
	fputs("\xef\xbb\xbfname,email,group,valid_until,otp,lang\r\n"
	      "dan,dan@example.jp,staff,2030-01-31,email,ja\r\n"
	      "\"erin\",erin@example.jp,nosuch,,,\r\n"
	      "fay,fay@example.jp,staff,2030-13-01,,\r\n"
	      "carol,c2@example.jp,staff,,,\r\n"
	      "gus,\"gus@example.jp\",staff,,sms,\r\n", f);
	fclose(f);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "user import %s", path);
		tap_ok(&t, run(cmd) == 1 && has(err, "line 3:") && has(err, "line 4:") &&
		       has(err, "line 5: user carol already exists") && has(err, "line 6:") &&
		       !strstr(err, "line 2:") && has(err, "nothing was imported"),
		       "CSV import names every bad line");
		tap_ok(&t, sk_user_get(st, "dan", &u) == -ENOENT && n_audit() == n0,
		       "CSV import with bad rows changes nothing");
		f = fopen(path, "w");
		fputs("name,email,group,lang\n"
		      "dan,dan@example.jp,staff,ja\n"
		      "\"o'hara, jr\",oh@example.jp,staff,\n", f);
		fclose(f);
		tap_ok(&t, run(cmd) == 1 && has(err, "line 3:"), "CSV: quoted comma reaches validation");
		f = fopen(path, "w");
		fputs("name,email,group,lang\n"
		      "dan,dan@example.jp,staff,ja\n"
		      "\"ed\",\"ed@example.jp\",staff,\"en\"\n", f);
		fclose(f);
		tap_ok(&t, run(cmd) == 0 && has(out, "2 user(s) added") && !sk_user_get(st, "ed", &u) &&
		       u.lang == SK_LANG_EN && n_audit() == n0 + 3,
		       "CSV import of good rows: a record per user and one for the import");
		tap_ok(&t, has(last_audit().detail, "\"imported\":2") &&
		       count_records("\"command\":\"user import\",\"before\":null,\"after\":{\"name\":\"ed\"") == 1 &&
		       count_records("\"after\":{\"name\":\"dan\"") >= 1,
		       "CSV import: the names it imported are audited (%s)", last_audit().detail);
		/* columns sekisho does not know: refused, or skipped when asked */
		f = fopen(path, "w");
		fputs("name,email,group,employee_no,部署\n"
		      "jo,jo@example.jp,staff,4711,総務課\n", f);
		fclose(f);
		tap_ok(&t, run(cmd) == 1 && has(err, "unknown column 'employee_no'") &&
		       has(err, "--ignore-extra-columns") && sk_user_get(st, "jo", &u) == -ENOENT,
		       "CSV: an unknown column refused, the option named");
		snprintf(cmd, sizeof(cmd), "user import --ignore-extra-columns %s", path);
		tap_ok(&t, run(cmd) == 0 && has(out, "1 user(s) added") &&
		       has(out, "column(s) ignored: employee_no, 部署") && !sk_user_get(st, "jo", &u),
		       "CSV --ignore-extra-columns: imported, the skipped columns named");
		tap_ok(&t, has(last_audit().detail, "\"ignored_columns\":\"employee_no, 部署\"") &&
		       count_records("\"after\":{\"name\":\"jo\"") == 1,
		       "CSV --ignore-extra-columns: audited with the name and the skipped columns (%s)",
		       last_audit().detail);
		snprintf(cmd, sizeof(cmd), "user import %s", path);
		/* the display_name column: checked like sekictl user set, stored */
		f = fopen(path, "w");
		fputs("name,email,group,display_name\n"
		      "hana,hana@example.jp,staff,\"鈴木, 花\"\n"
		      "ivo,ivo@example.jp,staff,\"bad\x1b[0m\"\n", f);
		fclose(f);
		tap_ok(&t, run(cmd) == 1 && has(err, "line 3: display-name: control character") &&
		       sk_user_get(st, "hana", &u) == -ENOENT, "CSV: display_name checked, nothing added");
		f = fopen(path, "w");
		fputs("name,email,group,display_name\n"
		      "hana,hana@example.jp,staff,\"鈴木, 花\"\n", f);
		fclose(f);
		tap_ok(&t, run(cmd) == 0 && !sk_user_get(st, "hana", &u) &&
		       !strcmp(u.display_name, "鈴木, 花"), "CSV: display_name imported");
		f = fopen(path, "w");
		fputs("name,email,group\n\"unterminated,x@example.jp,staff\n", f);
		fclose(f);
		tap_ok(&t, run(cmd) == 1 && has(err, "line 2: unterminated"), "CSV: broken quote");
		f = fopen(path, "w");
		fputs("name,email\ndan,dan@example.jp\n", f);
		fclose(f);
		tap_ok(&t, run(cmd) == 1 && has(err, "lacks the column 'group'"), "CSV: header checked");
		f = fopen(path, "w");
		fputs("name,type,method,id,user\n"
		      "lap1,mac,mac,aa:bb:cc:dd:ee:01,dan\n"
		      "lap2,toaster,mac,aa:bb:cc:dd:ee:02,\n", f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "device import %s", path);
		tap_ok(&t, run(cmd) == 1 && has(err, "line 3: type") &&
		       run("device show lap1") == 1, "device CSV: bad row, nothing added");
	}
	tap_ok(&t, run("user export") == 0 && has(out, "name,email,group,valid_from") &&
	       has(out, "dan,dan@example.jp,staff") && has(out, ",enabled,display_name\r\n") &&
	       has(out, ",yes,\"鈴木, 花\"\r\n"), "user export (display_name quoted)");
}

static int sh(const char *cmd, char *buf, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	return pclose(p);
}

static void ca_cert(void)
{
	char cmd[512], buf[8192], serial[80] = "";
	char *s;
	struct stat sb;

	snprintf(cmd, sizeof(cmd), "settings set ca.dir %s/ca", dir);
	tap_ok(&t, run(cmd) == 0 && fx.settings_changed, "settings set ca.dir");
	tap_ok(&t, run("ca init --cn Test|CA --days 30") == 0 && has(out, "ca: created"),
	       "ca init");
	snprintf(cmd, sizeof(cmd), "%s/ca/ca.key", dir);
	tap_ok(&t, !stat(cmd, &sb) && (sb.st_mode & 0777) == 0600, "ca.key is 0600");
	tap_ok(&t, run("ca init") == 1 && has(err, "--force"), "ca init refuses to overwrite");
	tap_ok(&t, run("ca show --json") == 0 && has(out, "CN=Test CA"), "ca show");
	snprintf(cmd, sizeof(cmd), "cert issue carol pc1 --out %s/c.p12", dir);
	/* issue 11 item 4: a certificate only for a device of the user's */
	tap_ok(&t, run_in("p12-pass\n", cmd) == 1 && has(err, "not assigned to user carol") &&
	       has(err, "割り当てられていません") && has(err, "device assign carol pc1"),
	       "cert issue for a device not assigned to the user refused (en/ja)");
	run("device assign carol pc1");
	tap_ok(&t, run_in("p12-pass\n", cmd) == 0 && has(out, "issued to user carol"), "cert issue");
	snprintf(cmd, sizeof(cmd), "openssl pkcs12 -in %s/c.p12 -passin pass:p12-pass -nokeys -info 2>&1",
		 dir);
	tap_ok(&t, sh(cmd, buf, sizeof(buf)) == 0 && has(buf, "AES-256-CBC") &&
	       has(buf, "CN = carol, UID = carol"), "PKCS#12 with AES-256 and the subject");
	snprintf(cmd, sizeof(cmd), "openssl pkcs12 -in %s/c.p12 -passin pass:p12-pass -nokeys 2>/dev/null"
		 " | openssl x509 -noout -ext subjectAltName,extendedKeyUsage", dir);
	{
		struct sk_user u;
		char want[80];

		snprintf(want, sizeof(want), "URI:urn:uuid:%s",
			 sk_user_get(st, "carol", &u) ? "?" : u.uid);
		tap_ok(&t, sh(cmd, buf, sizeof(buf)) == 0 && has(buf, "email:carol@example.jp") &&
		       has(buf, "Client Authentication") && strlen(u.uid) == 36 && has(buf, want),
		       "SAN email, the user's uid (%s) and clientAuth", want);
	}
	tap_ok(&t, run("cert list --user carol --json") == 0 && (s = strstr(out, "\"serial\":\"")),
	       "cert list");
	if (s)
		sscanf(s + 10, "%64[0-9A-F]", serial);
	snprintf(cmd, sizeof(cmd), "cert revoke %s", serial);
	tap_ok(&t, serial[0] && run(cmd) == 0 && fx.crl_changed && has(out, "revoked"), "cert revoke");
	snprintf(cmd, sizeof(cmd), "openssl crl -in %s/ca/crl.pem -noout -text", dir);
	tap_ok(&t, sh(cmd, buf, sizeof(buf)) == 0 && serial[0] && has(buf, serial),
	       "crl.pem lists the revoked serial");
	snprintf(cmd, sizeof(cmd), "openssl verify -crl_check -CAfile %s/ca/ca.pem -CRLfile %s/ca/crl.pem "
		 "<(openssl pkcs12 -in %s/c.p12 -passin pass:p12-pass -nokeys -clcerts 2>/dev/null) 2>&1",
		 dir, dir, dir);
	{
		char bcmd[700];

		snprintf(bcmd, sizeof(bcmd), "bash -c '%s'", cmd);
		tap_ok(&t, sh(bcmd, buf, sizeof(buf)) != 0 && has(buf, "revoked"),
		       "openssl verify refuses the revoked certificate");
	}
	/* one valid certificate per user and device: a new one supersedes */
	{
		char s2[80] = "", s3[80] = "";
		struct sk_cert c;

		snprintf(cmd, sizeof(cmd), "cert issue carol pc1 --out %s/c2.p12", dir);
		tap_ok(&t, run_in("p12-pass\n", cmd) == 0 && (s = strstr(out, "cert ")) &&
		       sscanf(s + 5, "%64[0-9A-F]", s2) == 1, "cert issue: a second certificate");
		tap_ok(&t, run_in("p12-pass\n", cmd) == 0 && (s = strstr(out, "cert ")) &&
		       sscanf(s + 5, "%64[0-9A-F]", s3) == 1 && has(err, "1 earlier certificate") &&
		       fx.crl_changed, "cert issue: a third one says it superseded the second");
		tap_ok(&t, !sk_cert_get(st, s2, &c) && c.revoked_at && !sk_cert_get(st, s3, &c) &&
		       !c.revoked_at, "the second is revoked, the third valid");
		snprintf(cmd, sizeof(cmd), "openssl crl -in %s/ca/crl.pem -noout -text", dir);
		tap_ok(&t, sh(cmd, buf, sizeof(buf)) == 0 && has(buf, s2) && !has(buf, s3),
		       "crl.pem lists the superseded certificate");
		fx.users_changed = false;
		tap_ok(&t, run("device unassign carol pc1") == 0 && has(out, "1 certificate of user carol revoked") &&
		       fx.users_changed && fx.crl_changed && !sk_cert_get(st, s3, &c) && c.revoked_at,
		       "device unassign revokes the user's certificate for the device");
	}
}

static void profiles(void)
{
	char token[128] = "", msg[512], fn[128], cmd[256], *s;
	uint8_t *body = NULL;
	size_t len = 0;
	time_t now = time(NULL);
	int rc;

	tap_ok(&t, run("profile send carol pc1") == 1 && has(err, "not assigned"),
	       "profile send: device must be assigned");
	run("device assign carol pc1");
	tap_ok(&t, run("profile send carol pc1") == 1 && has(err, "profile.base_url"),
	       "profile send: base_url required");
	run("settings set profile.base_url https://vpn.example.jp/");
	tap_ok(&t, run("profile send carol pc1 --no-mail --days 2 --downloads 2") == 0 &&
	       (s = strstr(out, "https://vpn.example.jp/profile/")), "profile send --no-mail prints the link");
	if (s)
		sscanf(s + strlen("https://vpn.example.jp/profile/"), "%100[A-Za-z0-9_-]", token);
	tap_ok(&t, strlen(token) == 43, "token: 256 bits in base64url");
	tap_ok(&t, run("profile list") == 0 && has(out, "waiting for download"), "profile list status");
	tap_ok(&t, sk_admin_profile_fetch(st, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now, &body, &len,
					  fn, sizeof(fn), msg, sizeof(msg)) == 404, "fetch: unknown token 404");
	tap_ok(&t, sk_admin_profile_fetch(st, token, now + 3 * 86400, &body, &len, fn, sizeof(fn), msg,
					  sizeof(msg)) == 410 && has(msg, "expired"), "fetch: after expiry 410");
	/* expiry marked it expired: send again for the limit test */
	tap_ok(&t, run("profile list") == 0 && has(out, "link expired"), "profile list: link expired");
	tap_ok(&t, run("profile resend carol pc1 --no-mail --downloads 2") == 0 &&
	       (s = strstr(out, "/profile/")), "profile resend");
	if (s)
		sscanf(s + 9, "%100[A-Za-z0-9_-]", token);
	rc = sk_admin_profile_fetch(st, token, now, &body, &len, fn, sizeof(fn), msg, sizeof(msg));
	if (rc != 200)
		printf("# fetch: %d %s\n", rc, msg);
	tap_ok(&t, rc == 200 && len > 2048 && len % 512 == 0 && !strcmp(fn, "sekisho-carol-pc1.tar"), "fetch 1: 200 with a tar");
	if (body) {
		FILE *f;

		snprintf(cmd, sizeof(cmd), "%s/p.tar", dir);
		f = fopen(cmd, "w");
		fwrite(body, 1, len, f);
		fclose(f);
		free(body);
		body = NULL;
		snprintf(cmd, sizeof(cmd), "tar -tf %s/p.tar | tr '\\n' ' '", dir);
		tap_ok(&t, sh(cmd, msg, sizeof(msg)) == 0 && has(msg, "client.p12 settings.txt README-ja.txt README-en.txt"),
		       "tar lists the four files (GNU tar reads our ustar)");
		/* the wrapper (found when packaging/ is next to the program's
		 * directory or installed) comes with its posture agent */
		tap_ok(&t, !has(msg, "sekisho-hostscan.sh") ||
			   has(msg, "sekisho-hostscan.sh agents/linux.sh"),
		       "the host scan wrapper comes with agents/linux.sh%s",
		       has(msg, "sekisho-hostscan.sh") ? "" : " (no wrapper found here)");
		tap_ok(&t, !has(msg, "sekisho-hostscan.sh") ||
			   has(msg, "sekisho-hostscan.bat sekisho-hostscan.ps1 agents/windows.ps1"),
		       "and the Windows wrapper (.bat, .ps1) with agents/windows.ps1%s",
		       has(msg, "sekisho-hostscan.sh") ? "" : " (no wrapper found here)");
		snprintf(cmd, sizeof(cmd), "cd %s && tar -xOf p.tar settings.txt", dir);
		tap_ok(&t, sh(cmd, msg, sizeof(msg)) == 0 && has(msg, "server = https://vpn.example.jp/"),
		       "settings.txt names the server");
	}
	tap_ok(&t, run("profile list --json") == 0 && has(out, "waiting-registration"),
	       "after download: waiting for device registration");
	tap_ok(&t, sk_admin_profile_fetch(st, token, now, &body, &len, fn, sizeof(fn), msg, sizeof(msg)) == 200,
	       "fetch 2 of 2: 200");
	free(body);
	body = NULL;
	tap_ok(&t, sk_admin_profile_fetch(st, token, now, &body, &len, fn, sizeof(fn), msg, sizeof(msg)) == 410 &&
	       !body, "fetch 3 of 2: 410");
}

static void settings_sessions_audit(void)
{
	struct sk_session s = { 0 };

	tap_ok(&t, run("settings show --json") == 0 && has(out, "\"ca.dir\""), "settings show --json");
	tap_ok(&t, run("settings set no.such.key 1") == 1, "settings set: unknown key");
	{
		char val[64];
		int n0 = n_audit();

		tap_ok(&t, run("settings set smtp.password Cmdline-secret") == 2 &&
		       has(err, "--file PATH") && !strstr(err, "Cmdline-secret") && n_audit() == n0 &&
		       !sk_setting_get(st, "smtp.password", val, sizeof(val)) && !val[0],
		       "settings set of a secret on the command line: refused, nothing stored");
		tap_ok(&t, run_in("Stdin-secret\n", "settings set smtp.password -") == 0 &&
		       !sk_setting_get(st, "smtp.password", val, sizeof(val)) &&
		       !strcmp(val, "Stdin-secret") && !strstr(last_audit().detail, "Stdin-secret"),
		       "settings set smtp.password -: stored, not audited");
		tap_ok(&t, run("settings show smtp.password") == 0 && !strcmp(out, "(set)\n") &&
		       run("settings show --json") == 0 && has(out, "\"smtp.password\":\"(set)\"") &&
		       !strstr(out, "Stdin-secret"), "settings show: a secret is masked");
		tap_ok(&t, run_in("", "settings set smtp.password -") == 2 &&
		       has(err, "first line of standard input"), "settings set KEY -: no line is refused");
		tap_ok(&t, run_in("x.example.jp\n", "settings set gateway.name -") == 0 &&
		       has(out, "-> x.example.jp"),
		       "settings set KEY - works for any setting");
	}
	snprintf(s.user, sizeof(s.user), "carol");
	snprintf(s.group, sizeof(s.group), "staff");
	s.started = s.last_seen = time(NULL);
	tap_ok(&t, !sk_session_add(st, &s) && s.id > 0, "store: a session");
	tap_ok(&t, run("session list --json") == 0 && has(out, "\"user\":\"carol\""), "session list");
	{
		/* posture (issue 12): the session's row says quarantined, as
		 * sekishod writes it at the login and at every CONNECT */
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "session show %lld", (long long)s.id);
		tap_ok(&t, run(cmd) == 0 && has(out, "quarantined") && !has(out, "quarantine-policy"),
		       "session show: not quarantined");
		snprintf(s.quarantine, sizeof(s.quarantine), "remed");
		snprintf(s.quarantine_why, sizeof(s.quarantine_why), "av: av-definitions-old");
		tap_ok(&t, !sk_session_update(st, &s), "store: the session quarantined (remed)");
		tap_ok(&t, run(cmd) == 0 && has(out, "remed") && has(out, "av: av-definitions-old"),
		       "session show: quarantined, the policy and why");
		s.pid = 4242;
		sk_session_update(st, &s);
		tap_ok(&t, run("session list") == 0 && has(out, "quarantined"),
		       "session list: STATE quarantined");
		tap_ok(&t, run("session list --json") == 0 && has(out, "\"quarantine-policy\":\"remed\""),
		       "session list --json: quarantine-policy");
		/* a later CONNECT that passed lifts it */
		s.quarantine[0] = s.quarantine_why[0] = 0;
		tap_ok(&t, !sk_session_update(st, &s) && run("session list") == 0 &&
		       !has(out, "quarantined"), "session list: a passing CONNECT after it lifts the state");
		s.pid = 0;
		sk_session_update(st, &s);
	}
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "session kill %lld", (long long)s.id);
		tap_ok(&t, run(cmd) == 0 && fx.n_kill == 1 && fx.kill[0] == s.id &&
		       !sk_session_get(st, s.id, &s) && s.killed, "session kill: store and effects");
	}
	tap_ok(&t, run("session show 999999") == 1, "session show unknown");
	tap_ok(&t, run("audit list --type admin --limit 2 --json") == 0 && has(out, "[{\"id\""),
	       "audit list --json");
	tap_ok(&t, run("audit export --user carol") == 0 && has(out, "\"detail\":{\"command\""),
	       "audit export: JSON lines with the detail object");
	tap_ok(&t, run("audit list --since yesterday") == 2, "audit: bad date");
	tap_ok(&t, run("frobnicate") == 2, "unknown noun");
}

static void control_socket(void)
{
	char path[96];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls, pipefd[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/control.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ls = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4)) {
		tap_ok(&t, false, "control socket: bind");
		return;
	}
	chmod(path, 0777);
	chmod(dir, 0755);
	/* 1: root client, a command with stdin */
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "user", "passwd", "dan", "--no-change-required", NULL };
		FILE *in = fmemopen("An0ther-pass\n", 13, "r");
		int fd = open("/dev/null", 1);

		dup2(fd, 1);
		_exit(sk_admin_client(path, 4, argv, in));
	}
	{
		int fd = accept(ls, NULL, NULL), status = -1, rc;
		struct sk_admin_effects e = { 0 };
		struct sk_user u;

		rc = sk_admin_serve(st, fd, 4242, &e);
		close(fd);
		waitpid(pid, &status, 0);
		tap_ok(&t, rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		       e.users_changed && !sk_user_get(st, "dan", &u) && u.pw_hash[0] && !u.must_change_pw,
		       "control socket: root runs user passwd with stdin");
	}
	/* 1b: cert issue --out FILE: the client writes the PKCS#12 it receives */
	pid = fork();
	if (pid == 0) {
		char p12[128];
		char *argv[] = { "cert", "issue", "carol", "pc1", "--out", p12, NULL };
		FILE *in = fmemopen("sock-pass\n", 10, "r");
		int nul = open("/dev/null", O_WRONLY);

		dup2(nul, 2);
		snprintf(p12, sizeof(p12), "%s/sock.p12", dir);
		_exit(sk_admin_client(path, 6, argv, in));
	}
	{
		int fd = accept(ls, NULL, NULL), status = -1, rc;
		struct sk_admin_effects e = { 0 };
		char cmd[256], buf[1024];

		rc = sk_admin_serve(st, fd, 4242, &e);
		close(fd);
		waitpid(pid, &status, 0);
		snprintf(cmd, sizeof(cmd), "openssl pkcs12 -in %s/sock.p12 -passin pass:sock-pass -nokeys "
			 "2>/dev/null | openssl x509 -noout -subject", dir);
		tap_ok(&t, rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		       sh(cmd, buf, sizeof(buf)) == 0 && has(buf, "CN = carol"),
		       "control socket: cert issue --out FILE written by the client");
	}
	/* 1c: a secret setting from the client's stdin, 1d: from a file the
	 * client reads (the daemon gets `-` and the first line) */
	for (int k = 0; k < 2; k++) {
		char pwfile[128], val[64], cmd[256], buf[1024] = "";
		char *argv1[] = { "settings", "set", "smtp.password", "-", NULL };
		char *argv2[] = { "settings", "set", "smtp.password", "--file", pwfile, NULL };
		const char *want = k ? "F1le-secret" : "S0ck-secret";
		int pfd[2];

		snprintf(pwfile, sizeof(pwfile), "%s/smtp.pw", dir);
		snprintf(cmd, sizeof(cmd), "printf 'F1le-secret\nline two\n' > %s", pwfile);
		if (k && sh(cmd, buf, sizeof(buf)))
			tap_ok(&t, false, "control socket: write %s", pwfile);
		if (pipe(pfd))
			return;
		pid = fork();
		if (pid == 0) {
			FILE *in = fmemopen("S0ck-secret\nline two\n", 22, "r");

			close(pfd[0]);
			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
			_exit(k ? sk_admin_client(path, 5, argv2, NULL)
				: sk_admin_client(path, 4, argv1, in));
		}
		close(pfd[1]);
		{
			int fd = accept(ls, NULL, NULL), status = -1, rc;
			struct sk_admin_effects e = { 0 };
			struct sk_audit au;
			ssize_t n;

			rc = sk_admin_serve(st, fd, 4242, &e);
			close(fd);
			n = read(pfd[0], buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			close(pfd[0]);
			waitpid(pid, &status, 0);
			au = last_audit();
			tap_ok(&t, rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
			       has(buf, "setting smtp.password: changed") &&
			       !sk_setting_get(st, "smtp.password", val, sizeof(val)) &&
			       !strcmp(val, want) && !strstr(au.detail, "secret\"") &&
			       has(au.detail, "\"after\":{\"smtp.password\":\"(changed)\"}"),
			       "control socket: settings set smtp.password %s reaches the daemon, "
			       "audited as changed", k ? "--file PATH" : "-");
		}
	}
	/* 2: uid 65534 is refused */
	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "user", "del", "dan", NULL };
		char buf[512];
		ssize_t n;
		int rc;

		close(pipefd[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(99);
		dup2(pipefd[1], 2);
		rc = sk_admin_client(path, 3, argv, NULL);
		(void)buf;
		(void)n;
		_exit(rc < 0 ? 98 : rc);
	}
	close(pipefd[1]);
	{
		int fd = accept(ls, NULL, NULL), status = -1, rc;
		struct sk_admin_effects e = { 0 };
		struct sk_user u;
		char buf[512] = "";
		ssize_t n;

		rc = sk_admin_serve(st, fd, 4242, &e);
		close(fd);
		n = read(pipefd[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(pipefd[0]);
		waitpid(pid, &status, 0);
		tap_ok(&t, rc == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
		       has(buf, "permission denied: root or group sekisho-admin required") &&
		       !sk_user_get(st, "dan", &u), "control socket: uid 65534 refused, nothing changed");
	}
	/* 3: uid 65534 whose gid is the admin group is let in */
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "user", "list", "--json", NULL };
		int fd = open("/dev/null", 1);

		if (setgroups(0, NULL) || setgid(4242) || setuid(65534))
			_exit(99);
		dup2(fd, 1);
		_exit(sk_admin_client(path, 3, argv, NULL));
	}
	{
		int fd = accept(ls, NULL, NULL), status = -1, rc;
		struct sk_admin_effects e = { 0 };

		rc = sk_admin_serve(st, fd, 4242, &e);
		close(fd);
		waitpid(pid, &status, 0);
		tap_ok(&t, rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "control socket: a member of the admin group may run commands");
	}
	close(ls);
	{
		char *argv[] = { "user", "list", NULL };

		unlink(path);
		tap_ok(&t, sk_admin_client(path, 2, argv, NULL) == -ENOENT,
		       "client: -ENOENT when the daemon is not running");
	}
}


/* a recorded report of tests/posture/reports/ (cwd: userspace/ or the top) */
static char *report(const char *name)
{
	static const char *const dirs[] = { "../tests/posture/reports", "tests/posture/reports" };
	char path[256];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		FILE *f;
		char *buf;
		size_t n;

		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		f = fopen(path, "r");
		if (!f)
			continue;
		buf = calloc(1, 65536);
		n = buf ? fread(buf, 1, 65535, f) : 0;
		fclose(f);
		if (buf)
			buf[n] = 0;
		return buf;
	}
	return NULL;
}

static int po_keys_cb(const char *key, const char *val, void *arg)
{
	(void)key;
	(void)val;
	(*(int *)arg)++;
	return 0;
}

static int po_nkeys(enum sk_posture_scope scope, const char *name)
{
	int n = 0;

	sk_posture_list(st, scope, name, po_keys_cb, &n);
	return n;
}

static void posture(void)
{
	static const char *const reports[] = { "debian12.txt", "macos14.txt", "windows10.txt",
					       "windows11.txt" };
	struct sk_audit a;
	char *big;
	int n0, nk;

	/* ---- set / show / unset, group and device ---- */
	tap_ok(&t, run("group add pgood") == 0 && run("group add pbad") == 0, "posture: groups");
	tap_ok(&t, run("posture show pgood") == 0 && has(out, "posture                  default    off") &&
	       has(out, "av.max_age_days          default    7"), "posture show: defaults, marked");
	/* what the shipped default does about Windows 10 (issue 12) */
	tap_ok(&t, has(out, "note: Windows 10 is not checked now") &&
	       has(out, "os.windows.min_build=22000 refuses it with its own message (os-windows10)"),
	       "posture show: the default says it will refuse Windows 10");
	tap_ok(&t, run("posture set pbad posture=on") == 0 && run("posture show pbad") == 0 &&
	       has(out, "Windows 10 (builds below 22000, out of support since 14 October 2025) is refused") &&
	       run("posture show pbad --json") == 0 && has(out, "\"windows10\":\"refused\""),
	       "posture show: posture on, Windows 10 refused (text, JSON)");
	tap_ok(&t, run("posture unset pbad posture") == 0, "posture unset pbad posture");
	n0 = n_audit();
	tap_ok(&t, run("posture set pgood posture=on os.windows.min_build=19045 av.max_age_days=30") == 0 &&
	       has(out, "changed: posture group pgood: posture (not set) -> on") &&
	       has(out, "changed: posture group pgood: av.max_age_days (not set) -> 30"),
	       "posture set: prints the changes");
	a = last_audit();
	tap_ok(&t, n_audit() == n0 + 1 && !strcmp(a.type, "admin") &&
	       has(a.detail, "\"command\":\"posture set\"") &&
	       has(a.detail, "\"before\":{\"group\":\"pgood\",\"posture\":null,") &&
	       has(a.detail, "\"after\":{\"group\":\"pgood\",\"posture\":\"on\","),
	       "posture set: one audit record with before/after");
	tap_ok(&t, run("posture show pgood") == 0 && has(out, "posture                  group      on") &&
	       has(out, "os.windows.min_build     group      19045") &&
	       has(out, "note: Windows 10 from build 19045 is admitted"), "posture show: set keys");
	tap_ok(&t, run("posture show pgood --json") == 0 &&
	       has(out, "{\"key\":\"av.max_age_days\",\"value\":\"30\",\"from\":\"group\",\"default\":false,\"default_value\":\"7\"}"),
	       "posture show --json");
	tap_ok(&t, run("posture set pgood av.max_age_days=30") == 0 && has(out, "no change"),
	       "posture set: same value, no change");
	nk = po_nkeys(SK_PO_SCOPE_GROUP, "pgood");
	n0 = n_audit();
	/* refusals: the store and the trail unchanged */
	tap_ok(&t, run("posture set pgood av.max_age_days=400") == 2 &&
	       has(err, "av.max_age_days: '400' refused") && has(err, "0..365"),
	       "posture set: value out of range refused, names key and range");
	tap_ok(&t, run("posture set pgood posture=off av.outcome=maybe") == 2 &&
	       has(err, "av.outcome") && has(err, "refuse or quarantine"),
	       "posture set: bad outcome refused (the good key before it not stored)");
	tap_ok(&t, run("posture set pgood no.such.key=1") == 2 && has(err, "unknown key 'no.such.key'"),
	       "posture set: unknown key refused");
	tap_ok(&t, run("posture set pgood device.outcome=quarantine") == 2 && has(err, "must be refuse"),
	       "posture set: device.outcome cannot quarantine");
	tap_ok(&t, run("posture set pgood os.families=windows,beos") == 2 && has(err, "'beos'"),
	       "posture set: bad family refused");
	tap_ok(&t, run("posture set pgood os.families=") == 2 && has(err, "posture unset"),
	       "posture set: empty value refused");
	tap_ok(&t, run("posture set pgood quarantine.allowlist=nosuchpolicy") == 1 &&
	       has(err, "no such policy"), "posture set: quarantine allowlist must exist");
	tap_ok(&t, run("posture set nosuchgroup posture=on") == 1 && has(err, "no such group"),
	       "posture set: unknown group");
	{
		struct sk_admin_io io = { 0 };
		char *argv[] = { "posture", "set", "pgood", "av.max_age_days=400", NULL };
		char *obuf = NULL, *ebuf = NULL;
		size_t ol, el;

		io.ja = true;
		io.out = open_memstream(&obuf, &ol);
		io.err = open_memstream(&ebuf, &el);
		tap_ok(&t, sk_admin_exec(st, &root, &io, 4, argv, &fx) == 2, "posture set (ja): refused");
		fclose(io.out);
		fclose(io.err);
		tap_ok(&t, has(ebuf, "av.max_age_days: 値 '400' は使えません") && has(ebuf, "0〜365"),
		       "posture set (ja): the refusal in Japanese");
		free(obuf);
		free(ebuf);
	}
	tap_ok(&t, po_nkeys(SK_PO_SCOPE_GROUP, "pgood") == nk && n_audit() == n0 &&
	       run("posture show pgood") == 0 && has(out, "posture                  group      on") &&
	       has(out, "av.max_age_days          group      30"),
	       "posture: store and audit unchanged after the refusals");
	/* device override */
	tap_ok(&t, run("device add ppc --type windows --method serial --id PPC-1") == 0,
	       "posture: a device");
	tap_ok(&t, run("posture set --device ppc av.realtime=off") == 0 &&
	       has(out, "changed: posture device ppc: av.realtime (not set) -> off"),
	       "posture set --device");
	a = last_audit();
	tap_ok(&t, !strcmp(a.device, "ppc") && has(a.detail, "\"after\":{\"device\":\"ppc\",\"av.realtime\":\"off\"}"),
	       "posture set --device: audited with the device");
	tap_ok(&t, run("posture show --device ppc") == 0 && has(out, "av.realtime              device     off"),
	       "posture show --device");
	tap_ok(&t, run("posture unset --device ppc av.realtime") == 0 &&
	       has(out, "changed: posture device ppc: av.realtime off -> (not set)") &&
	       po_nkeys(SK_PO_SCOPE_DEVICE, "ppc") == 0, "posture unset --device");
	a = last_audit();
	tap_ok(&t, has(a.detail, "\"command\":\"posture unset\",\"before\":{\"device\":\"ppc\",\"av.realtime\":\"off\"},\"after\":{\"device\":\"ppc\",\"av.realtime\":null}"),
	       "posture unset: audited before/after");
	tap_ok(&t, run("posture unset pgood av.max_age_days") == 0 &&
	       has(out, "av.max_age_days 30 -> (not set)") && run("posture show pgood") == 0 &&
	       has(out, "av.max_age_days          default    7"), "posture unset: back to the default");
	tap_ok(&t, run("posture unset pgood av.max_age_days=3") == 2, "posture unset: KEY=VALUE refused");
	tap_ok(&t, run("posture set --device nosuch posture=on") == 1 && has(err, "no such device"),
	       "posture set --device: unknown device");

	/* ---- device show: no report yet, then the stored one ---- */
	tap_ok(&t, run("device show ppc") == 0 && has(out, "posture                no report yet"),
	       "device show: no posture report yet");
	{
		struct sk_posture_last l = { .time = 1762300800 };

		snprintf(l.outcome, sizeof(l.outcome), "refuse");
		snprintf(l.report, sizeof(l.report), "{\"format\":1,\"agent\":\"windows-1.0\"}");
		snprintf(l.verdicts, sizeof(l.verdicts), "{\"outcome\":\"refuse\",\"checks\":{\"av\":{\"verdict\":\"fail\"}}}");
		tap_ok(&t, !sk_posture_last_set(st, "ppc", &l), "store: a last posture report");
	}
	tap_ok(&t, run("device show ppc") == 0 && has(out, "(outcome refuse)") &&
	       has(out, "posture-verdicts       {\"outcome\":\"refuse\"") &&
	       has(out, "\"agent\":\"windows-1.0\""), "device show: the last report and verdicts");
	tap_ok(&t, run("device show ppc --json") == 0 &&
	       has(out, ",\"posture\":{\"time\":") && has(out, "\"verdicts\":{\"outcome\":\"refuse\""),
	       "device show --json: posture embedded");

	/* ---- posture test on every recorded report ---- */
	tap_ok(&t, run("posture set pbad posture=on os.families=android") == 0, "posture: a failing policy");
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		char *r = report(reports[i]);

		if (!r) {
			tap_ok(&t, false, "posture test: read %s", reports[i]);
			continue;
		}
		tap_ok(&t, run_in(r, "posture test - --group pgood --at 2025-11-05") == 0 &&
		       has(out, "report    pass") && has(out, "os        pass") &&
		       has(out, "av        pass") && has(out, "firewall  pass") &&
		       has(out, "outcome: ok"), "posture test %s: passes the good policy", reports[i]);
		tap_ok(&t, run_in(r, "posture test - --group pbad --at 2025-11-05") == 1 &&
		       has(out, "os        fail     refuse      os-family") &&
		       has(out, "    ja: ") && has(out, "    en: ") &&
		       has(out, "outcome: refuse (the user sees the message of os)"),
		       "posture test %s: refused by the failing policy, with the messages", reports[i]);
		tap_ok(&t, run_in(r, "posture test - --group pbad --at 2025-11-05 --json") == 1 &&
		       has(out, "\"outcome\":\"refuse\"") && has(out, "\"check\":\"os\",\"reason\":\"os-family\""),
		       "posture test %s --json", reports[i]);
		free(r);
	}
	{
		char *r = report("windows10.txt");

		tap_ok(&t, r && run("group add pdef") == 0 && run("posture set pdef posture=on") == 0 &&
		       run_in(r, "posture test - --group pdef --at 2025-11-05") == 1 &&
		       has(out, "os        fail     refuse      os-windows10") &&
		       has(out, "Upgrade to Windows 11"), "posture test: Windows 10 refused by the defaults");
		tap_ok(&t, r && run_in(r, "posture test - --group pgood --at 2026-06-01") == 1 &&
		       has(out, "av-definitions-old"), "posture test --at: definitions old half a year later");
		tap_ok(&t, r && run("policy add remedy") == 0 &&
		       run("posture set pbad os.outcome=quarantine quarantine.allowlist=remedy") == 0 &&
		       run_in(r, "posture test - --group pbad --at 2025-11-05") == 1 &&
		       has(out, "os        fail     quarantine") && has(out, "outcome: quarantine"),
		       "posture test: quarantine outcome exits 1");
		free(r);
	}
	/* ---- hostile report files ---- */
	big = malloc(70000);
	if (big) {
		memset(big, 'a', 69999);
		big[69999] = 0;
	}
	tap_ok(&t, big && run_in(big, "posture test - --group pgood") == 2 &&
	       has(err, "larger than 65536 bytes"), "posture test: oversized report refused (2)");
	free(big);
	tap_ok(&t, run_in("endpoint.posture.format=\"1;\n", "posture test - --group pgood") == 2 &&
	       has(err, "not a valid report"), "posture test: malformed report refused (2)");
	tap_ok(&t, run_in("endpoint.posture.format=\"1\";\nendpoint.posture.firewall=\"maybe\";\n",
			  "posture test - --group pgood") == 2 && has(err, "not a valid report"),
	       "posture test: invalid value refused (2)");
	tap_ok(&t, run_in("x", "posture test - --group nosuch") == 1 && has(err, "no such group"),
	       "posture test: unknown group");
	tap_ok(&t, run_in("x", "posture test -") == 2 && has(err, "--group is required"),
	       "posture test: --group required");
	tap_ok(&t, run_in("x", "posture test - --group pgood --at yesterday") == 2, "posture test: bad --at");
	tap_ok(&t, run_in("", "posture test - --group pgood") == 1 &&
	       has(out, "report    fail     refuse      report-missing"),
	       "posture test: an empty report has no posture block");
}

int main(void)
{
	char path[512], e[256];

	tap_begin();
	snprintf(dir, sizeof(dir), "/tmp/sk-admin-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("TZ", "UTC", 1);
	if (!test_store(dir, "store.db", path, sizeof(path)) ||
	    sk_store_open(path, &st, e, sizeof(e))) {
		printf("Bail out! store: %s\n", e);
		return 1;
	}
	users_groups();
	policies_devices();
	csv();
	ca_cert();
	profiles();
	settings_sessions_audit();
	posture();
	if (geteuid() == 0)
		control_socket();
	else
		printf("# skipping the control socket tests: they need root to setuid\n");
	sk_store_close(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
