// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the posture report (lib/posture.c through the host scan
 * parser) and of the evaluator (auth/posture_eval.c): the recorded example
 * reports of tests/posture/reports/, every check, the boundaries (days,
 * builds), unknown products, missing fields, oversized and malformed
 * reports, the policy keys and the messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostscan.h"
#include "skposture.h"
#include "tap.h"

static char *slurp(const char *name, size_t *len)
{
	static const char *const dirs[] = { "tests/posture/reports", "../tests/posture/reports" };
	char path[256];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		FILE *f;
		char *buf;

		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		f = fopen(path, "r");
		if (!f)
			continue;
		buf = calloc(1, 65536);
		*len = buf ? fread(buf, 1, 65535, f) : 0;
		fclose(f);
		return buf;
	}
	return NULL;
}

/* the report of file name, with line "drop" removed and "add" appended */
static int load(const char *name, const char *drop, const char *add, struct sk_hostscan *r,
		char *err, size_t errlen)
{
	size_t len = 0;
	char *buf = slurp(name, &len), *p;
	int rc;

	if (!buf)
		return snprintf(err, errlen, "cannot read %s", name), -ENOENT;
	if (drop && (p = strstr(buf, drop))) {
		char *nl = strchr(p, '\n');

		memmove(p, nl + 1, strlen(nl + 1) + 1);
		len = strlen(buf);
	}
	if (add) {
		snprintf(buf + len, 65536 - len, "%s\n", add);
		len = strlen(buf);
	}
	rc = sk_hostscan_parse(buf, len, r, err, errlen);
	free(buf);
	return rc;
}

static int64_t at(const char *day)
{
	return (int64_t)sk_po_day(day, strlen(day)) * 86400 + 12 * 3600;
}

static struct sk_posture_policy pol(const char *kv1, const char *kv2)
{
	struct sk_posture_policy p;
	const char *kv[2] = { kv1, kv2 };

	sk_posture_policy_default(&p);
	p.enabled = true;
	for (int i = 0; i < 2; i++) {
		char key[64];
		const char *eq;

		if (!kv[i] || !(eq = strchr(kv[i], '=')))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		if (sk_posture_policy_set(&p, key, eq + 1, NULL, 0))
			fprintf(stderr, "# bad policy %s\n", kv[i]);
	}
	return p;
}

static const char *reason(const struct sk_posture_result *res, int c)
{
	return res->c[c].verdict == SK_PO_PASS ? "pass" :
	       res->c[c].verdict == SK_PO_SKIP ? "skip" : res->c[c].reason;
}

struct row {
	const char *file, *drop, *add, *kv1, *kv2, *day;
	int check;
	const char *want;		/* "pass", "skip" or the failure reason */
	int overall;
};

static const struct row rows[] = {
	/* the recorded reports against the shipped defaults */
	{ "windows11.txt", NULL, NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_OS, "pass", SK_PO_OK },
	{ "windows11.txt", NULL, NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_AV, "pass", SK_PO_OK },
	{ "windows11.txt", NULL, NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_DISK, "skip", SK_PO_OK },
	{ "windows11.txt", NULL, NULL, "disk=on", NULL, "2025-11-05", SK_PO_CHK_DISK, "pass", SK_PO_OK },
	{ "windows10.txt", NULL, NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_OS, "os-windows10",
	  SK_PO_OVERALL_REFUSE },
	{ "windows10.txt", NULL, NULL, "os.windows.min_build=19045", NULL, "2025-11-05", SK_PO_CHK_OS,
	  "pass", SK_PO_OK },
	{ "windows10.txt", NULL, NULL, "os.windows.min_build=19045", "disk=on", "2025-11-05",
	  SK_PO_CHK_DISK, "disk-unencrypted", SK_PO_OVERALL_REFUSE },
	{ "macos14.txt", NULL, NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_AV, "pass", SK_PO_OK },
	{ "macos14.txt", NULL, NULL, "os.macos.min_version=14.7.2", NULL, "2025-11-05", SK_PO_CHK_OS,
	  "os-old", SK_PO_OVERALL_REFUSE },
	{ "macos14.txt", NULL, NULL, "os.macos.min_version=14.7.1", NULL, "2025-11-05", SK_PO_CHK_OS,
	  "pass", SK_PO_OK },
	{ "debian12.txt", NULL, NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_OS, "pass", SK_PO_OK },
	{ "debian12.txt", NULL, NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_UPDATES, "pass", SK_PO_OK },
	{ "debian12.txt", NULL, NULL, "os.linux=debian:13", NULL, "2025-11-05", SK_PO_CHK_OS, "os-old",
	  SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", NULL, NULL, "os.linux=ubuntu:24.04", NULL, "2025-11-05", SK_PO_CHK_OS,
	  "os-distribution", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", NULL, NULL, "os.families=windows,macos", NULL, "2025-11-05", SK_PO_CHK_OS,
	  "os-family", SK_PO_OVERALL_REFUSE },
	/* Windows builds: at the minimum and one below */
	{ "windows11.txt", NULL, NULL, "os.windows.min_build=26100", NULL, "2025-11-05", SK_PO_CHK_OS,
	  "pass", SK_PO_OK },
	{ "windows11.txt", NULL, NULL, "os.windows.min_build=26101", NULL, "2025-11-05", SK_PO_CHK_OS,
	  "os-old", SK_PO_OVERALL_REFUSE },
	/* definitions exactly N days old pass, N + 1 do not */
	{ "debian12.txt", NULL, NULL, "av.max_age_days=3", NULL, "2025-11-07", SK_PO_CHK_AV, "pass",
	  SK_PO_OK },
	{ "debian12.txt", NULL, NULL, "av.max_age_days=3", NULL, "2025-11-08", SK_PO_CHK_AV,
	  "av-definitions-old", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", NULL, NULL, "av.max_age_days=0", NULL, "2026-11-08", SK_PO_CHK_AV, "pass",
	  SK_PO_OVERALL_REFUSE },
	/* definitions dated ahead of the gateway's clock by more than a day */
	{ "debian12.txt", NULL, NULL, NULL, NULL, "2025-11-02", SK_PO_CHK_AV,
	  "av-definitions-unknown", SK_PO_OVERALL_REFUSE },
	/* last update: 45 days pass, 46 do not */
	{ "debian12.txt", NULL, NULL, NULL, NULL, "2025-12-16", SK_PO_CHK_UPDATES, "pass", SK_PO_OK },
	{ "debian12.txt", NULL, NULL, "av.max_age_days=0", NULL, "2025-12-17", SK_PO_CHK_UPDATES,
	  "updates-old", SK_PO_OVERALL_REFUSE },
	/* antivirus states and identities */
	{ "debian12.txt", "endpoint.posture.av[\"clamav\"].running", "endpoint.posture.av[\"clamav\"].running=\"false\";",
	  NULL, NULL, "2025-11-05", SK_PO_CHK_AV, "av-not-running", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.av[\"clamav\"].running", NULL, NULL, NULL, "2025-11-05",
	  SK_PO_CHK_AV, "av-not-running", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.av[\"clamav\"].realtime", "endpoint.posture.av[\"clamav\"].realtime=\"false\";",
	  NULL, NULL, "2025-11-05", SK_PO_CHK_AV, "av-realtime-off", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.av[\"clamav\"].realtime", "endpoint.posture.av[\"clamav\"].realtime=\"false\";",
	  "av.realtime=off", NULL, "2025-11-05", SK_PO_CHK_AV, "pass", SK_PO_OK },
	{ "debian12.txt", "endpoint.posture.av[\"clamav\"].vendor", "endpoint.posture.av[\"clamav\"].vendor=\"acme\";",
	  NULL, NULL, "2025-11-05", SK_PO_CHK_AV, "av-none", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", NULL, NULL, "av.allowed=clamav/other", NULL, "2025-11-05", SK_PO_CHK_AV,
	  "av-none", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", NULL, NULL, "av.allowed=clamav/clamd", NULL, "2025-11-05", SK_PO_CHK_AV,
	  "pass", SK_PO_OK },
	{ "debian12.txt", "endpoint.posture.av[\"clamav\"].definitions", NULL, NULL, NULL, "2025-11-05",
	  SK_PO_CHK_AV, "av-definitions-unknown", SK_PO_OVERALL_REFUSE },
	/* localized display names do not matter: the identity does */
	{ "windows11.txt", "endpoint.posture.av[\"1\"].name", "endpoint.posture.av[\"1\"].name=\"Trend Micro Virus Buster Cloud\";",
	  NULL, NULL, "2025-11-05", SK_PO_CHK_AV, "pass", SK_PO_OK },
	/* firewall, disk, updates missing or off */
	{ "debian12.txt", "endpoint.posture.firewall", NULL, NULL, NULL, "2025-11-05",
	  SK_PO_CHK_FIREWALL, "firewall-unknown", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.firewall", "endpoint.posture.firewall=\"false\";", NULL,
	  NULL, "2025-11-05", SK_PO_CHK_FIREWALL, "firewall-off", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.firewall", "endpoint.posture.firewall=\"false\";",
	  "firewall=off", NULL, "2025-11-05", SK_PO_CHK_FIREWALL, "skip", SK_PO_OK },
	{ "debian12.txt", "endpoint.posture.disk[\"root\"].system", NULL, "disk=on", NULL, "2025-11-05",
	  SK_PO_CHK_DISK, "disk-unknown", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.update.last", NULL, NULL, NULL, "2025-11-05",
	  SK_PO_CHK_UPDATES, "updates-unknown", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.os.version", NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_OS,
	  "os-unknown", SK_PO_OVERALL_REFUSE },
	{ "windows11.txt", "endpoint.posture.os.build", NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_OS,
	  "os-unknown", SK_PO_OVERALL_REFUSE },
	/* the report block itself */
	{ "debian12.txt", "endpoint.posture.format", NULL, NULL, NULL, "2025-11-05", SK_PO_CHK_REPORT,
	  "report-missing", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.format", "endpoint.posture.format=\"2\";", NULL, NULL,
	  "2025-11-05", SK_PO_CHK_REPORT, "report-format", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.format", NULL, "report=off", NULL, "2025-11-05",
	  SK_PO_CHK_REPORT, "skip", SK_PO_OK },
	/* outcomes: quarantine needs a remediation allowlist */
	{ "debian12.txt", "endpoint.posture.firewall", NULL, "firewall.outcome=quarantine", NULL,
	  "2025-11-05", SK_PO_CHK_FIREWALL, "firewall-unknown", SK_PO_OVERALL_REFUSE },
	{ "debian12.txt", "endpoint.posture.firewall", NULL, "firewall.outcome=quarantine",
	  "quarantine.allowlist=remedy", "2025-11-05", SK_PO_CHK_FIREWALL, "firewall-unknown",
	  SK_PO_OVERALL_QUARANTINE },
	{ "debian12.txt", NULL, NULL, "posture=off", NULL, "2030-01-01", SK_PO_CHK_AV, "skip", SK_PO_OK },
};

int main(void)
{
	struct tap t = { 0 };
	struct sk_hostscan *r = calloc(1, sizeof(*r));
	struct sk_posture_policy p;
	struct sk_posture_result res;
	char err[256], msg[600], val[1100];
	int rc;

	tap_begin();

	/* ---- the recorded reports parse, and keep what they say ---- */
	rc = load("windows11.txt", NULL, NULL, r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r->posture.format == 1 && r->posture.family == SK_PO_FAM_WINDOWS &&
		   r->posture.os_build == 26100 && r->posture.n_av == 2 && r->posture.n_disk == 2,
	       "windows11.txt parses: family, build, 2 products, 2 volumes (%s)", err);
	tap_ok(&t, !strcmp(r->posture.av[1].name, "ウイルスバスター クラウド") &&
		   !strcmp(r->posture.av[1].vendor, "trendmicro"),
	       "a Japanese display name is kept next to the identity");
	tap_ok(&t, !strcmp(r->device_id, "5CG1234XYZ") && r->n_macs == 1,
	       "the device identity lines still work beside the posture block");
	for (const char *const *f = (const char *const[]){ "windows10.txt", "macos14.txt", "debian12.txt", NULL };
	     *f; f++) {
		rc = load(*f, NULL, NULL, r, err, sizeof(err));
		tap_ok(&t, rc == 0 && r->posture.format == 1, "%s parses (%s)", *f, err);
	}

	/* ---- the evaluator against the table ---- */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];

		rc = load(w->file, w->drop, w->add, r, err, sizeof(err));
		p = pol(w->kv1, w->kv2);
		if (rc) {
			tap_ok(&t, false, "row %zu: %s does not parse: %s", i, w->file, err);
			continue;
		}
		sk_posture_eval(&r->posture, &p, at(w->day), &res);
		tap_ok(&t, !strcmp(reason(&res, w->check), w->want) &&
			   (w->overall < 0 || res.overall == w->overall ||
			    /* rows that only look at one check with an expired date elsewhere */
			    !strcmp(w->want, "pass")),
		       "row %zu: %s%s%s %s %s on %s: %s is %s (want %s), outcome %s", i, w->file,
		       w->drop ? " -line" : "", w->add ? " +line" : "", w->kv1 ? w->kv1 : "defaults",
		       w->kv2 ? w->kv2 : "", w->day, sk_po_check_name((unsigned int)w->check),
		       reason(&res, w->check), w->want, sk_po_overall_name(res.overall));
	}

	/* ---- no report at all ---- */
	p = pol(NULL, NULL);
	sk_posture_eval(NULL, &p, at("2025-11-05"), &res);
	tap_ok(&t, res.overall == SK_PO_OVERALL_REFUSE && res.shown == SK_PO_CHK_REPORT,
	       "no report: refused by the report check");
	sk_posture_set_device(&res, &p, false, "device-unknown");
	tap_ok(&t, res.c[SK_PO_CHK_DEVICE].verdict == SK_PO_FAIL && res.shown == SK_PO_CHK_REPORT,
	       "the device verdict is recorded; the first failed check is shown");

	/* ---- a client not asked for the scan (settings device.hostscan_skip) ---- */
	{
		struct sk_posture ns;

		memset(&ns, 0, sizeof(ns));
		ns.noscan = SK_PO_CLIENT_WINDOWS;
		p = pol(NULL, NULL);
		sk_posture_eval(&ns, &p, at("2025-11-05"), &res);
		sk_posture_message(&res, res.shown, "en", msg, sizeof(msg));
		tap_ok(&t, res.overall == SK_PO_OVERALL_REFUSE && res.shown == SK_PO_CHK_REPORT &&
			   !strcmp(res.c[SK_PO_CHK_REPORT].reason, "report-unsupported") &&
			   strstr(msg, "(openconnect / OpenConnect-GUI on Windows) cannot run"),
		       "not asked (windows): report-unsupported, the client named (%s)", msg);
		ns.noscan = SK_PO_CLIENT_CISCO;
		p = pol("report.outcome=quarantine", "quarantine.allowlist=remedy");
		sk_posture_eval(&ns, &p, at("2025-11-05"), &res);
		sk_posture_message(&res, res.shown, "ja", msg, sizeof(msg));
		tap_ok(&t, res.overall == SK_PO_OVERALL_QUARANTINE &&
			   strstr(msg, "お使いの接続ソフト（Cisco Secure Client）"),
		       "not asked (cisco), report.outcome quarantine: quarantined (%s)", msg);
		p = pol("report=off", NULL);
		sk_posture_eval(&ns, &p, at("2025-11-05"), &res);
		tap_ok(&t, res.overall == SK_PO_OK && res.c[SK_PO_CHK_REPORT].verdict == SK_PO_SKIP,
		       "not asked, report=off: let through unchecked");
		tap_ok(&t, !sk_posture_report_json(&ns, val, sizeof(val)) &&
			   strstr(val, "\"noscan\":\"cisco\""), "its report JSON says noscan cisco (%s)", val);
		ns.noscan = SK_PO_CLIENT_N;
		p = pol(NULL, NULL);
		sk_posture_eval(&ns, &p, at("2025-11-05"), &res);
		tap_ok(&t, !strcmp(res.c[SK_PO_CHK_REPORT].reason, "report-missing"),
		       "an out-of-range kind is no report at all (report-missing)");
		/* a worker's report never carries it: the parser leaves it 0
		 * and sanitize clears it */
		rc = load("debian12.txt", NULL, NULL, r, err, sizeof(err));
		r->posture.noscan = SK_PO_CLIENT_WINDOWS;
		sk_hostscan_terminate(r);
		tap_ok(&t, rc == 0 && r->posture.noscan == 0, "sanitize clears noscan (format 1)");
		r->posture.format = 0;
		r->posture.noscan = SK_PO_CLIENT_WINDOWS;
		sk_hostscan_terminate(r);
		tap_ok(&t, r->posture.noscan == 0, "sanitize clears noscan (format 0)");
	}

	/* ---- messages ---- */
	load("debian12.txt", NULL, NULL, r, err, sizeof(err));
	p = pol("av.max_age_days=3", NULL);
	sk_posture_eval(&r->posture, &p, at("2025-11-10"), &res);
	sk_posture_message(&res, res.shown, "en", msg, sizeof(msg));
	tap_ok(&t, res.shown == SK_PO_CHK_AV && strstr(msg, "2025-11-04") && strstr(msg, "3 days") &&
		   strstr(msg, "Update the definitions"), "en message names the date and the limit: %s", msg);
	sk_posture_message(&res, res.shown, "ja", msg, sizeof(msg));
	tap_ok(&t, strstr(msg, "定義ファイル") && strstr(msg, "3 日"), "ja message: %s", msg);
	sk_posture_message(&res, res.shown, NULL, msg, sizeof(msg));
	tap_ok(&t, strstr(msg, " / ") && strlen(msg) < 512, "both languages fit the form (%zu bytes)",
	       strlen(msg));
	/* Ubuntu's YY.MM: the month keeps its two digits in the message and
	 * in the policy's text (22.04, not 22.4) */
	load("debian12.txt", "endpoint.posture.os.id=",
	     "endpoint.posture.os.id=\"ubuntu\";", r, err, sizeof(err));
	r->posture.os_version.n = 2;
	r->posture.os_version.v[0] = 20;
	r->posture.os_version.v[1] = 4;
	p = pol(NULL, NULL);
	sk_posture_eval(&r->posture, &p, at("2025-11-05"), &res);
	sk_posture_message(&res, SK_PO_CHK_OS, "en", msg, sizeof(msg));
	tap_ok(&t, !strcmp(reason(&res, SK_PO_CHK_OS), "os-old") && strstr(msg, "(ubuntu 20.04)") &&
		   strstr(msg, "ubuntu 22.04 or later"), "Ubuntu versions as YY.MM: %s", msg);
	tap_ok(&t, !sk_posture_policy_get(&p, "os.linux", val, sizeof(val)) &&
		   strstr(val, "ubuntu:22.04") && strstr(val, "debian:12"), "os.linux shown as %s", val);
	load("windows10.txt", NULL, NULL, r, err, sizeof(err));
	p = pol(NULL, NULL);
	sk_posture_eval(&r->posture, &p, at("2025-11-05"), &res);
	sk_posture_message(&res, res.shown, "en", msg, sizeof(msg));
	tap_ok(&t, strstr(msg, "Windows 10 is out of support") != NULL, "Windows 10: %s", msg);
	tap_ok(&t, sk_posture_result_json(&res, val, sizeof(val)) == 0 &&
		   strstr(val, "\"os\":{\"verdict\":\"fail\",\"reason\":\"os-windows10\""),
	       "verdicts as JSON: %.120s", val);
	{
		char js[6144];

		tap_ok(&t, sk_posture_report_json(&r->posture, js, sizeof(js)) == 0 &&
			   strstr(js, "\"os_build\":19045"), "report as JSON");
	}

	/* ---- malformed and oversized reports ---- */
	static const char *const bad[] = {
		"endpoint.posture.format=\"1\";\nendpoint.posture.update.last=\"2025-02-29\";\n",
		"endpoint.posture.format=\"1\";\nendpoint.posture.update.last=\"2025-13-01\";\n",
		"endpoint.posture.format=\"1\";\nendpoint.posture.update.last=\"1999-12-31\";\n",
		"endpoint.posture.firewall=\"yes\";\n",
		"endpoint.posture.os.family=\"beos\";\n",
		"endpoint.posture.os.build=\"22000a\";\n",
		"endpoint.posture.os.build=\"1234567890\";\n",
		"endpoint.posture.os.version=\"14..1\";\n",
		"endpoint.posture.os.version=\"1.2.3.4.5\";\n",
		"endpoint.posture.av[\"0\"].vendor=\"Trend Micro\";\n",
		"endpoint.posture.av[\"0\"].vendor=\"\";\n",
		"endpoint.posture.av[\"a b\"].vendor=\"x\";\n",
		"endpoint.posture.av[\"0\"].name=\"\xff\xfe\";\n",
		"endpoint.posture.av[\"0\"].name=\"\xe2\x80\";\n",
		"endpoint.posture.agent=\"linux\x1b[31m\";\n",
		"endpoint.posture.format=\"x\";\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = sk_hostscan_parse(bad[i], strlen(bad[i]), r, err, sizeof(err));
		tap_ok(&t, rc == -EINVAL && r->posture.format == 0, "malformed %zu refused: %s", i, err);
	}
	{
		char *big = calloc(1, 65536);
		size_t o = 0;

		o += (size_t)sprintf(big, "endpoint.posture.format=\"1\";\n");
		for (int i = 0; i < 9; i++)
			o += (size_t)sprintf(big + o, "endpoint.posture.av[\"%d\"].vendor=\"x\";\n", i);
		rc = sk_hostscan_parse(big, o, r, err, sizeof(err));
		tap_ok(&t, rc == -EINVAL && strstr(err, "too many"), "a ninth product is refused: %s", err);
		o = (size_t)sprintf(big, "endpoint.posture.os.name=\"");
		memset(big + o, 'a', 200);
		o += 200;
		o += (size_t)sprintf(big + o, "\";\n");
		rc = sk_hostscan_parse(big, o, r, err, sizeof(err));
		tap_ok(&t, rc == -EINVAL, "an oversized display text is refused: %s", err);
		o = 0;
		for (int i = 0; i < 1100; i++)
			o += (size_t)sprintf(big + o, "endpoint.posture.x=\"1\";\n");
		rc = sk_hostscan_parse(big, o, r, err, sizeof(err));
		tap_ok(&t, rc == -EINVAL && strstr(err, "lines"), "an oversized report is refused: %s", err);
		free(big);
	}
	{
		static const char unk[] = "endpoint.posture.format=\"1\";\n"
					  "endpoint.posture.future.field=\"anything at all\";\n"
					  "endpoint.posture.av[\"0\"].colour=\"blue\";\n";

		rc = sk_hostscan_parse(unk, strlen(unk), r, err, sizeof(err));
	}
	tap_ok(&t, rc == 0 && r->posture.format == 1, "unknown fields are ignored (%s)", err);

	/* a worker's struct with garbage is cleaned */
	memset(&r->posture, 0x41, sizeof(r->posture));
	r->posture.format = 1;
	sk_hostscan_terminate(r);
	tap_ok(&t, r->posture.n_av == 0 && r->posture.family == 0 && !r->posture.agent[0],
	       "sanitize: out-of-range counts, enums and tokens are cleared");

	/* ---- policy keys ---- */
	sk_posture_policy_default(&p);
	tap_ok(&t, !p.enabled && p.windows_min_build == 22000 && p.n_av == 7 && p.av_max_age == 7 &&
		   p.updates_max_age == 45 && !p.on[SK_PO_CHK_DISK], "shipped defaults");
	tap_ok(&t, sk_posture_policy_set(&p, "nonsense", "1", err, sizeof(err)) == -EINVAL &&
		   strstr(err, "unknown key"), "unknown key refused: %s", err);
	tap_ok(&t, sk_posture_policy_set(&p, "av.max_age_days", "366", err, sizeof(err)) == -EINVAL,
	       "out of range refused: %s", err);
	tap_ok(&t, sk_posture_policy_set(&p, "device.outcome", "quarantine", err, sizeof(err)) == -EINVAL,
	       "device.outcome=quarantine refused: %s", err);
	tap_ok(&t, sk_posture_policy_set(&p, "os.linux", "debian", err, sizeof(err)) == -EINVAL,
	       "os.linux without a version refused: %s", err);
	tap_ok(&t, sk_posture_policy_set(&p, "av.allowed", "Trend Micro", err, sizeof(err)) == -EINVAL,
	       "av.allowed display name refused: %s", err);
	for (int i = 0; i < sk_posture_policy_nkeys(); i++) {
		const char *k = sk_posture_policy_key(i, NULL);
		struct sk_posture_policy q;

		sk_posture_policy_get(&p, k, val, sizeof(val));
		sk_posture_policy_default(&q);
		if (sk_posture_policy_set(&q, k, val, err, sizeof(err)) ||
		    memcmp(&q, &p, sizeof(q) - sizeof(q.quarantine)) != 0) {
			tap_ok(&t, false, "key %s round trip (%s)", k, err);
			goto done_rt;
		}
	}
	tap_ok(&t, true, "every key's text reads back to the same policy");
done_rt:
	/* ---- the Linux agent on this host: its output parses ---- */
	{
		static const char *const agents[] = { "packaging/agents/linux.sh",
						      "../packaging/agents/linux.sh" };
		const char *a = NULL;
		char cmd[128], *out = calloc(1, 65536);
		size_t n = 0;
		FILE *f;

		for (size_t i = 0; i < 2; i++)
			if (!access(agents[i], R_OK))
				a = agents[i];
		snprintf(cmd, sizeof(cmd), "sh %s", a ? a : "/nonexistent");
		if (a && out && (f = popen(cmd, "r"))) {
			n = fread(out, 1, 65535, f);
			rc = pclose(f);
			tap_ok(&t, rc == 0 && sk_hostscan_parse(out, n, r, err, sizeof(err)) == 0 &&
				   r->posture.format == 1 && r->posture.family == SK_PO_FAM_LINUX &&
				   !strcmp(r->posture.agent, "linux-1.0"),
			       "the Linux agent's report on this host parses (%s; os %s, %d products)",
			       err, r->posture.os_id, r->posture.n_av);
		} else {
			tap_skip(&t, "the Linux agent's report parses", "packaging/agents/linux.sh not found");
		}
		free(out);
	}
	free(r);
	return tap_end(&t);
}
