// SPDX-License-Identifier: GPL-2.0
/*
 * The posture evaluator (skposture.h).  Pure: a report, a policy and a
 * time in, verdicts and messages out.  Every text a message names is our
 * own formatting of a validated field (an identity token, a number, a
 * date), never a display string from the report.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "skjson.h"
#include "skposture.h"

static void fail(struct sk_posture_result *res, const struct sk_posture_policy *p, int c,
		 const char *reason)
{
	struct sk_po_result_check *k = &res->c[c];

	k->verdict = SK_PO_FAIL;
	k->outcome = p->outcome[c];
	snprintf(k->reason, sizeof(k->reason), "%s", reason);
}

static void pass(struct sk_posture_result *res, int c)
{
	res->c[c].verdict = SK_PO_PASS;
	res->c[c].reason[0] = 0;
}

static void summarize(struct sk_posture_result *res, const struct sk_posture_policy *p)
{
	int refuse = -1, quar = -1;

	for (int c = 0; c < SK_PO_CHK_N; c++) {
		struct sk_po_result_check *k = &res->c[c];

		if (k->verdict != SK_PO_FAIL)
			continue;
		/* quarantine needs a remediation allowlist: without one it is a refusal */
		if (k->outcome == SK_PO_QUARANTINE && !p->quarantine[0])
			k->outcome = SK_PO_REFUSE;
		if (k->outcome == SK_PO_REFUSE && refuse < 0)
			refuse = c;
		if (k->outcome == SK_PO_QUARANTINE && quar < 0)
			quar = c;
	}
	res->overall = refuse >= 0 ? SK_PO_OVERALL_REFUSE : quar >= 0 ? SK_PO_OVERALL_QUARANTINE : SK_PO_OK;
	res->shown = (int8_t)(refuse >= 0 ? refuse : quar);
}

static void eval_os(const struct sk_posture *r, const struct sk_posture_policy *p,
		    struct sk_posture_result *res)
{
	struct sk_po_result_check *k = &res->c[SK_PO_CHK_OS];
	const struct sk_po_ver *min = NULL;

	if (!r->family)
		return fail(res, p, SK_PO_CHK_OS, "os-unknown");
	snprintf(k->have, sizeof(k->have), "%s", sk_po_family_name(r->family));
	if (!(p->families & (1u << r->family)))
		return fail(res, p, SK_PO_CHK_OS, "os-family");
	switch (r->family) {
	case SK_PO_FAM_WINDOWS:
		if (!r->os_build)
			return fail(res, p, SK_PO_CHK_OS, "os-unknown");
		snprintf(k->have, sizeof(k->have), "%u", (unsigned int)r->os_build);
		snprintf(k->need, sizeof(k->need), "%u", (unsigned int)p->windows_min_build);
		if (r->os_build < p->windows_min_build)
			/* builds below 22000 are Windows 10 */
			return fail(res, p, SK_PO_CHK_OS, r->os_build < 22000 && p->windows_min_build >= 22000 ?
				    "os-windows10" : "os-old");
		return pass(res, SK_PO_CHK_OS);
	case SK_PO_FAM_MACOS:
		min = &p->macos_min;
		break;
	case SK_PO_FAM_IOS:
		min = &p->ios_min;
		break;
	case SK_PO_FAM_ANDROID:
		min = &p->android_min;
		break;
	case SK_PO_FAM_LINUX:
		if (!r->os_id[0])
			return fail(res, p, SK_PO_CHK_OS, "os-unknown");
		snprintf(k->have, sizeof(k->have), "%s", r->os_id);
		for (int i = 0; i < p->n_linux && i < SK_PO_LIST_MAX; i++)
			if (!strcmp(p->linux_[i].id, r->os_id))
				min = &p->linux_[i].min;
		if (!min)
			return fail(res, p, SK_PO_CHK_OS, "os-distribution");
		break;
	default:
		return fail(res, p, SK_PO_CHK_OS, "os-unknown");
	}
	if (!r->os_version.n)
		return fail(res, p, SK_PO_CHK_OS, "os-unknown");
	{
		char hv[24], nv[24];

		sk_po_ver_fmt(&r->os_version, hv, sizeof(hv));
		sk_po_ver_fmt(min, nv, sizeof(nv));
		if (r->family == SK_PO_FAM_LINUX) {
			sk_po_linux_ver_fmt(r->os_id, &r->os_version, hv, sizeof(hv));
			sk_po_linux_ver_fmt(r->os_id, min, nv, sizeof(nv));
			snprintf(k->have, sizeof(k->have), "%s %s", r->os_id, hv);
			snprintf(k->need, sizeof(k->need), "%s %s", r->os_id, nv);
		} else {
			snprintf(k->have, sizeof(k->have), "%s", hv);
			snprintf(k->need, sizeof(k->need), "%s", nv);
		}
	}
	if (sk_po_ver_cmp(&r->os_version, min) < 0)
		return fail(res, p, SK_PO_CHK_OS, "os-old");
	pass(res, SK_PO_CHK_OS);
}

static bool av_allowed(const struct sk_posture_av *a, const struct sk_posture_policy *p)
{
	if (!a->vendor[0])
		return false;
	for (int i = 0; i < p->n_av && i < SK_PO_LIST_MAX; i++)
		if (!strcmp(p->av[i].vendor, a->vendor) &&
		    (!p->av[i].product[0] || !strcmp(p->av[i].product, a->product)))
			return true;
	return false;
}

/* how far an installed, allowed product gets: 0 not running, 1 realtime
 * off, 2 definitions unknown or old, 3 passes */
static int av_level(const struct sk_posture_av *a, const struct sk_posture_policy *p, int32_t today,
		    const char **reason)
{
	if (p->av_running && a->running != SK_TRI_YES) {
		*reason = "av-not-running";
		return 0;
	}
	if (p->av_realtime && a->realtime != SK_TRI_YES) {
		*reason = "av-realtime-off";
		return 1;
	}
	if (p->av_max_age > 0) {
		/* a date more than a day ahead is no date: clocks differ by hours */
		if (!a->defs_day || a->defs_day > today + 1) {
			*reason = "av-definitions-unknown";
			return 2;
		}
		if (today - a->defs_day > p->av_max_age) {
			*reason = "av-definitions-old";
			return 2;
		}
	}
	*reason = NULL;
	return 3;
}

static void eval_av(const struct sk_posture *r, const struct sk_posture_policy *p, int32_t today,
		    struct sk_posture_result *res)
{
	struct sk_po_result_check *k = &res->c[SK_PO_CHK_AV];
	const struct sk_posture_av *best = NULL;
	const char *best_reason = "av-none";
	int best_level = -1;

	for (int i = 0; i < r->n_av && i < SK_PO_AV_MAX; i++) {
		const struct sk_posture_av *a = &r->av[i];
		const char *why;
		int lv;

		if (a->installed != SK_TRI_YES || !av_allowed(a, p))
			continue;
		lv = av_level(a, p, today, &why);
		if (lv > best_level) {
			best_level = lv;
			best = a;
			best_reason = why;
		}
	}
	if (best)
		snprintf(k->have, sizeof(k->have), "%s%s%s", best->vendor, best->product[0] ? "/" : "",
			 best->product);
	if (best_level == 3)
		return pass(res, SK_PO_CHK_AV);
	if (best && !strcmp(best_reason, "av-definitions-old")) {
		char d[11];

		sk_po_day_fmt(best->defs_day, d);
		snprintf(k->have, sizeof(k->have), "%s", d);
		snprintf(k->need, sizeof(k->need), "%d", p->av_max_age);
	}
	fail(res, p, SK_PO_CHK_AV, best_reason);
}

static void eval_disk(const struct sk_posture *r, const struct sk_posture_policy *p,
		      struct sk_posture_result *res)
{
	int systems = 0;

	for (int i = 0; i < r->n_disk && i < SK_PO_DISK_MAX; i++) {
		const struct sk_posture_disk *d = &r->disk[i];

		if (d->system != SK_TRI_YES)
			continue;
		systems++;
		if (d->encrypted != SK_TRI_YES) {
			snprintf(res->c[SK_PO_CHK_DISK].have, sizeof(res->c[0].have), "%s", d->key);
			return fail(res, p, SK_PO_CHK_DISK,
				    d->encrypted == SK_TRI_NO ? "disk-unencrypted" : "disk-unknown");
		}
	}
	if (!systems)
		return fail(res, p, SK_PO_CHK_DISK, "disk-unknown");
	pass(res, SK_PO_CHK_DISK);
}

void sk_posture_eval(const struct sk_posture *r, const struct sk_posture_policy *p, int64_t now,
		     struct sk_posture_result *res)
{
	int32_t today = (int32_t)(now / 86400);

	memset(res, 0, sizeof(*res));
	res->shown = -1;
	if (!p->enabled)
		return;
	if (!r || r->format != SK_PO_FORMAT) {
		/* without a report nothing else can be checked; with "report"
		 * off such a client (no agent) is let through unchecked */
		struct sk_po_result_check *k = &res->c[SK_PO_CHK_REPORT];
		const char *why = "report-missing";

		if (r && r->format) {
			snprintf(k->have, sizeof(k->have), "%d", (int)r->format);
			why = "report-format";
		} else if (r && r->noscan > SK_PO_CLIENT_OTHER && r->noscan < SK_PO_CLIENT_N) {
			/* not asked for a scan: a client that cannot run one */
			snprintf(k->have, sizeof(k->have), "%s", sk_po_client_label(r->noscan));
			why = "report-unsupported";
		}
		if (p->on[SK_PO_CHK_REPORT])
			fail(res, p, SK_PO_CHK_REPORT, why);
		else
			k->have[0] = 0;
		summarize(res, p);
		return;
	}
	pass(res, SK_PO_CHK_REPORT);
	if (p->on[SK_PO_CHK_OS])
		eval_os(r, p, res);
	if (p->on[SK_PO_CHK_AV])
		eval_av(r, p, today, res);
	if (p->on[SK_PO_CHK_FIREWALL]) {
		if (r->firewall == SK_TRI_YES)
			pass(res, SK_PO_CHK_FIREWALL);
		else
			fail(res, p, SK_PO_CHK_FIREWALL,
			     r->firewall == SK_TRI_NO ? "firewall-off" : "firewall-unknown");
	}
	if (p->on[SK_PO_CHK_DISK])
		eval_disk(r, p, res);
	if (p->on[SK_PO_CHK_UPDATES]) {
		struct sk_po_result_check *k = &res->c[SK_PO_CHK_UPDATES];

		if (!r->update_day || r->update_day > today + 1) {
			fail(res, p, SK_PO_CHK_UPDATES, "updates-unknown");
		} else if (today - r->update_day > p->updates_max_age) {
			char d[11];

			sk_po_day_fmt(r->update_day, d);
			snprintf(k->have, sizeof(k->have), "%s", d);
			snprintf(k->need, sizeof(k->need), "%d", p->updates_max_age);
			fail(res, p, SK_PO_CHK_UPDATES, "updates-old");
		} else {
			pass(res, SK_PO_CHK_UPDATES);
		}
	}
	summarize(res, p);
}

void sk_posture_set_device(struct sk_posture_result *res, const struct sk_posture_policy *p,
			   bool passed, const char *reason)
{
	if (passed)
		pass(res, SK_PO_CHK_DEVICE);
	else
		fail(res, p, SK_PO_CHK_DEVICE, reason && *reason ? reason : "device-unknown");
	res->c[SK_PO_CHK_DEVICE].outcome = SK_PO_REFUSE;
	summarize(res, p);
}

/* ------------------------------------------------------------ messages */

/*
 * One message per reason.  "%1" is replaced by have, "%2" by need (our
 * own formatting of validated fields); the texts are no format strings.
 */
static const struct {
	const char *reason, *ja, *en;
} msgs[] = {
	{ "report-missing",
	  "端末の状態を確認できませんでした。ゲートウェイが配布するエージェント（--csd-wrapper）で接続してください。",
	  "Your device's security state could not be checked. Connect with the gateway's agent (--csd-wrapper)." },
	{ "report-unsupported",
	  "お使いの接続ソフト（%1）はゲートウェイの端末チェックを実行できません。Linux または macOS の openconnect（--csd-wrapper）で接続するか、管理者に連絡してください。",
	  "Your VPN client (%1) cannot run the gateway's device check. Connect with openconnect on Linux or macOS (--csd-wrapper), or ask your administrator." },
	{ "report-format",
	  "端末チェックの形式 %1 はこのゲートウェイでは使えません。管理者に連絡してください。",
	  "The device check format %1 is not understood by this gateway. Tell your administrator." },
	{ "os-unknown",
	  "OS の種類またはバージョンを確認できませんでした。最新のエージェントで接続し直してください。",
	  "The operating system or its version could not be read. Connect again with the current agent." },
	{ "os-family",
	  "この OS（%1）からは接続できません。許可された OS の端末を使ってください。",
	  "This operating system (%1) may not connect. Use a device with an allowed operating system." },
	{ "os-windows10",
	  "Windows 10 はサポートが終了しているため接続できません。Windows 11 にアップグレードしてください。",
	  "Windows 10 is out of support and may not connect. Upgrade to Windows 11." },
	{ "os-old",
	  "OS のバージョン（%1）が古すぎます（%2 以上が必要）。Windows Update などで OS を更新してください。",
	  "Your operating system version (%1) is too old (%2 or later is required). Update or upgrade the OS (Windows Update, Software Update)." },
	{ "os-distribution",
	  "この Linux ディストリビューション（%1）は許可されていません。管理者に連絡してください。",
	  "This Linux distribution (%1) is not allowed. Ask your administrator." },
	{ "av-none",
	  "許可されたウイルス対策ソフトが見つかりません。指定のウイルス対策ソフトをインストールしてください。",
	  "No allowed antivirus product was found. Install one of the allowed antivirus products." },
	{ "av-not-running",
	  "ウイルス対策ソフト（%1）が動作していません。ウイルス対策ソフトを起動してください。",
	  "Your antivirus (%1) is not running. Start it, then connect again." },
	{ "av-realtime-off",
	  "ウイルス対策ソフト（%1）のリアルタイム保護が無効です。リアルタイム保護を有効にしてください。",
	  "Real-time protection of your antivirus (%1) is off. Turn real-time protection on." },
	{ "av-definitions-old",
	  "ウイルス定義ファイル（パターンファイル）が古すぎます（%1、%2 日以内が必要）。定義ファイルを更新してください。",
	  "Your virus definitions are too old (%1; at most %2 days allowed). Update the definitions." },
	{ "av-definitions-unknown",
	  "ウイルス定義ファイルの日付を確認できません。定義ファイルを更新してから接続し直してください。",
	  "The date of your virus definitions could not be read. Update the definitions and connect again." },
	{ "firewall-off",
	  "ファイアウォールが無効です。ファイアウォールを有効にしてください。",
	  "Your firewall is off. Turn the firewall on." },
	{ "firewall-unknown",
	  "ファイアウォールの状態を確認できません。ファイアウォールを有効にしてください。",
	  "The firewall state could not be read. Turn the firewall on." },
	{ "disk-unencrypted",
	  "システムドライブ（%1）が暗号化されていません。BitLocker（Windows）、FileVault（macOS）または LUKS（Linux）で暗号化してください。",
	  "Your system drive (%1) is not encrypted. Encrypt it with BitLocker (Windows), FileVault (macOS) or LUKS (Linux)." },
	{ "disk-unknown",
	  "システムドライブの暗号化を確認できません。BitLocker・FileVault・LUKS で暗号化してください。",
	  "The encryption of your system drive could not be read. Encrypt it with BitLocker, FileVault or LUKS." },
	{ "updates-old",
	  "セキュリティ更新が適用されていません（最終 %1、%2 日以内が必要）。Windows Update などで更新してください。",
	  "Security updates are missing (last %1; at most %2 days allowed). Apply Windows Update (or your system's updates)." },
	{ "updates-unknown",
	  "セキュリティ更新の適用日を確認できません。Windows Update などで更新してから接続し直してください。",
	  "The date of your last security update could not be read. Apply the updates and connect again." },
	{ "device-unknown",
	  "この端末は登録されていません。管理者に連絡してください。",
	  "This device is not registered. Ask your administrator." },
	{ "device-disabled",
	  "この端末は無効にされています。管理者に連絡してください。",
	  "This device is disabled. Ask your administrator." },
	{ "device-check",
	  "端末チェックが実行されませんでした。--csd-wrapper を指定して接続してください。",
	  "The device check did not run; connect with the host scan wrapper (--csd-wrapper)." },
};

static size_t fill(char *out, size_t len, const char *tmpl, const struct sk_po_result_check *k)
{
	size_t o = 0;

	for (const char *t = tmpl; *t && o + 1 < len;) {
		const char *arg = NULL;

		if (t[0] == '%' && (t[1] == '1' || t[1] == '2'))
			arg = t[1] == '1' ? k->have : k->need;
		if (arg) {
			size_t al = strnlen(arg, sizeof(k->have) - 1);

			if (o + al + 1 >= len)
				break;
			memcpy(out + o, arg, al);
			o += al;
			t += 2;
		} else {
			out[o++] = *t++;
		}
	}
	out[o] = 0;
	return o;
}

const char *sk_posture_message(const struct sk_posture_result *res, int c, const char *lang,
			       char *out, size_t len)
{
	const struct sk_po_result_check *k;
	size_t i, o;

	if (!len)
		return out;
	out[0] = 0;
	if (c < 0 || c >= SK_PO_CHK_N)
		return out;
	k = &res->c[c];
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (!strcmp(msgs[i].reason, k->reason))
			break;
	if (i == sizeof(msgs) / sizeof(msgs[0]))
		return out;
	if (lang && !strcmp(lang, "en"))
		return fill(out, len, msgs[i].en, k), out;
	o = fill(out, len, msgs[i].ja, k);
	if (lang && !strcmp(lang, "ja"))
		return out;
	if (o + 4 < len) {
		memcpy(out + o, " / ", 4);
		fill(out + o + 3, len - o - 3, msgs[i].en, k);
	}
	return out;
}

const char *sk_po_verdict_name(unsigned int v)
{
	return v == SK_PO_PASS ? "pass" : v == SK_PO_FAIL ? "fail" : "skip";
}

const char *sk_po_overall_name(unsigned int o)
{
	return o == SK_PO_OVERALL_REFUSE ? "refuse" : o == SK_PO_OVERALL_QUARANTINE ? "quarantine" : "ok";
}

/* ------------------------------------------------------------ JSON */

static int json_to(char *out, size_t len, void (*fn)(struct sk_json *, const void *), const void *arg)
{
	struct sk_json j;
	FILE *f;
	long n;

	if (len < 2)
		return -ENOSPC;
	memset(out, 0, len);
	f = fmemopen(out, len - 1, "w");
	if (!f)
		return -ENOMEM;
	sk_json_init(&j, f);
	fn(&j, arg);
	fflush(f);
	n = ftell(f);
	fclose(f);
	if (n < 0 || (size_t)n >= len - 1) {
		out[0] = 0;
		return -ENOSPC;
	}
	out[n] = 0;
	return 0;
}

static void result_json(struct sk_json *j, const void *arg)
{
	const struct sk_posture_result *res = arg;

	sk_json_obj_begin(j, NULL);
	sk_json_str(j, "outcome", sk_po_overall_name(res->overall));
	sk_json_obj_begin(j, "checks");
	for (int c = 0; c < SK_PO_CHK_N; c++) {
		const struct sk_po_result_check *k = &res->c[c];

		sk_json_obj_begin(j, sk_po_check_name((unsigned int)c));
		sk_json_str(j, "verdict", sk_po_verdict_name(k->verdict));
		if (k->verdict == SK_PO_FAIL) {
			sk_json_str(j, "reason", k->reason);
			sk_json_str(j, "outcome", k->outcome == SK_PO_QUARANTINE ? "quarantine" : "refuse");
		}
		sk_json_obj_end(j);
	}
	sk_json_obj_end(j);
	sk_json_obj_end(j);
}

int sk_posture_result_json(const struct sk_posture_result *res, char *out, size_t len)
{
	return json_to(out, len, result_json, res);
}

static const char *tri_name(uint8_t t)
{
	return t == SK_TRI_YES ? "true" : t == SK_TRI_NO ? "false" : "unknown";
}

static void report_json(struct sk_json *j, const void *arg)
{
	const struct sk_posture *r = arg;
	char v[48], d[11];

	sk_json_obj_begin(j, NULL);
	sk_json_u64(j, "format", (uint64_t)(r->format > 0 ? r->format : 0));
	if (!r->format && r->noscan > SK_PO_CLIENT_OTHER && r->noscan < SK_PO_CLIENT_N)
		sk_json_str(j, "noscan", sk_po_client_name(r->noscan));
	if (r->format == SK_PO_FORMAT) {
		sk_json_str(j, "agent", r->agent);
		sk_json_str(j, "os_family", sk_po_family_name(r->family));
		sk_json_str(j, "os_id", r->os_id);
		sk_po_ver_fmt(&r->os_version, v, sizeof(v));
		sk_json_str(j, "os_version", v);
		sk_json_u64(j, "os_build", r->os_build);
		sk_json_str(j, "os_name", r->os_name);
		sk_json_str(j, "firewall", tri_name(r->firewall));
		sk_po_day_fmt(r->update_day, d);
		sk_json_str(j, "update_last", d);
		sk_json_arr_begin(j, "av");
		for (int i = 0; i < r->n_av && i < SK_PO_AV_MAX; i++) {
			const struct sk_posture_av *a = &r->av[i];

			sk_json_obj_begin(j, NULL);
			sk_json_str(j, "vendor", a->vendor);
			sk_json_str(j, "product", a->product);
			sk_json_str(j, "name", a->name);
			sk_json_str(j, "installed", tri_name(a->installed));
			sk_json_str(j, "running", tri_name(a->running));
			sk_json_str(j, "realtime", tri_name(a->realtime));
			sk_po_day_fmt(a->defs_day, d);
			sk_json_str(j, "definitions", d);
			sk_json_obj_end(j);
		}
		sk_json_arr_end(j);
		sk_json_arr_begin(j, "disks");
		for (int i = 0; i < r->n_disk && i < SK_PO_DISK_MAX; i++) {
			sk_json_obj_begin(j, NULL);
			sk_json_str(j, "volume", r->disk[i].key);
			sk_json_str(j, "system", tri_name(r->disk[i].system));
			sk_json_str(j, "encrypted", tri_name(r->disk[i].encrypted));
			sk_json_obj_end(j);
		}
		sk_json_arr_end(j);
	}
	sk_json_obj_end(j);
}

int sk_posture_report_json(const struct sk_posture *r, char *out, size_t len)
{
	return json_to(out, len, report_json, r);
}
