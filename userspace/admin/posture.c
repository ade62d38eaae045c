// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl posture (issue 12, Documentation/admin/posture.md): the posture
 * policy keys of a group or a device, and the helpdesk's offline check.
 *   posture show GROUP | --device NAME        every key, its value, where it comes from
 *   posture set GROUP | --device NAME KEY=VALUE...
 *   posture unset GROUP | --device NAME KEY...
 *   posture test REPORT-FILE|- --group G [--device D] [--at DATE]
 *        evaluates a host scan report (the gateway's parser, at most
 *        SKA_PO_REPORT_MAX bytes) with the policy: exit 0 allow, 1 refuse
 *        or quarantine, 2 usage or a report that does not parse.
 * Every value is checked (lib/posture.c) before the transaction; a refusal
 * names the key and what is allowed, in Japanese when io->ja.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "hostscan.h"
#include "skposture.h"
#include "sktext.h"

/* the gateway's bound of a host scan POST body (worker: SK_HTTP_BODY_MAX) */
#define SKA_PO_REPORT_MAX 65536
#define SKA_PO_KEYS 64

/* the keys stored for one group or device */
struct po_kvs {
	int n;
	char key[SKA_PO_KEYS][SK_PO_KEY_MAX];
	char val[SKA_PO_KEYS][SK_PO_VAL_MAX];
};

static int kvs_add(const char *key, const char *val, void *arg)
{
	struct po_kvs *k = arg;

	if (k->n < SKA_PO_KEYS) {
		snprintf(k->key[k->n], SK_PO_KEY_MAX, "%s", key);
		snprintf(k->val[k->n], SK_PO_VAL_MAX, "%s", val);
		k->n++;
	}
	return 0;
}

static const char *kvs_get(const struct po_kvs *k, const char *key)
{
	for (int i = 0; k && i < k->n; i++)
		if (!strcmp(k->key[i], key))
			return k->val[i];
	return NULL;
}

static bool key_known(const char *key)
{
	for (int i = 0; i < sk_posture_policy_nkeys(); i++)
		if (!strcmp(sk_posture_policy_key(i, NULL), key))
			return true;
	return false;
}

/* what a key allows, in Japanese (the English text is lib/posture.c's) */
static const char *allowed_ja(const char *key)
{
	size_t l = strlen(key);

	if (l > 8 && !strcmp(key + l - 8, ".outcome"))
		return !strcmp(key, "device.outcome") ? "refuse のみ指定できます（未登録の端末は隔離しません）" :
		       "refuse または quarantine を指定してください";
	if (!strcmp(key, "os.families"))
		return "windows, macos, linux, ios, android をカンマ区切りで指定してください";
	if (!strcmp(key, "os.windows.min_build"))
		return "0〜999999 の整数（ビルド番号）を指定してください";
	if (l > 12 && !strcmp(key + l - 12, ".min_version"))
		return "14 や 14.5 のようなバージョンを指定してください";
	if (!strcmp(key, "os.linux"))
		return "ID:バージョン（例 debian:12）をカンマ区切りで指定してください（16 件まで）";
	if (!strcmp(key, "av.allowed"))
		return "VENDOR または VENDOR/PRODUCT（a-z 0-9 . _ - の識別子）をカンマ区切りで"
		       "指定してください（16 件まで）";
	if (!strcmp(key, "av.max_age_days"))
		return "0〜365 の整数（日数。0 は日付を確認しない）を指定してください";
	if (!strcmp(key, "updates.max_age_days"))
		return "1〜365 の整数（日数）を指定してください";
	if (!strcmp(key, "quarantine.allowlist"))
		return "ストアのポリシー名（64 バイト未満）、または空を指定してください";
	return "on または off を指定してください";
}

/* A refused KEY=VALUE: which key, the value, what is allowed.  Returns 2. */
static int refuse_kv(struct ska *a, const char *key, const char *val, const char *why)
{
	char shown[160];

	if (!key_known(key)) {
		if (a->io->ja)
			return ska_usage(a, "不明なキー '%s' です（キーの一覧: sekictl posture show "
					 "GROUP）", key);
		return ska_usage(a, "unknown key '%s' (sekictl posture show GROUP lists the keys)", key);
	}
	sk_text_escape(val, shown, sizeof(shown));
	if (a->io->ja)
		return ska_usage(a, "%s: 値 '%s' は使えません。%s", key, shown, allowed_ja(key));
	return ska_usage(a, "%s: '%s' refused: %s", key, shown, why);
}

/* the scope an argument list names: "GROUP" or "--device NAME"; returns
 * the index of the first argument after it, or -1 after a usage message */
struct po_scope {
	enum sk_posture_scope scope;
	const char *name;
	char group[SK_NAME_MAX + 1];	/* the group whose keys apply below the device's */
};

static int scope_args(struct ska *a, int argc, char **argv, struct po_scope *s)
{
	const char *verb = argv[0];

	if (argc >= 3 && !strcmp(argv[1], "--device")) {
		s->scope = SK_PO_SCOPE_DEVICE;
		s->name = argv[2];
		return 3;
	}
	if (argc >= 2 && !strncmp(argv[1], "--device=", 9)) {
		s->scope = SK_PO_SCOPE_DEVICE;
		s->name = argv[1] + 9;
		return 2;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		s->scope = SK_PO_SCOPE_GROUP;
		s->name = argv[1];
		return 2;
	}
	ska_usage(a, "expected: posture %s GROUP|--device NAME%s", verb,
		  !strcmp(verb, "set") ? " KEY=VALUE..." : !strcmp(verb, "unset") ? " KEY..." : "");
	return -1;
}

/* the scope exists (and a device's group, from its user); 0 or the exit status */
static int scope_check(struct ska *a, struct po_scope *s)
{
	int rc;

	if (strlen(s->name) > SK_NAME_MAX)
		return ska_usage(a, "name longer than %d characters", SK_NAME_MAX);
	if (s->scope == SK_PO_SCOPE_GROUP) {
		struct sk_group g;

		rc = sk_group_get(a->st, s->name, &g);
		if (rc)
			return ska_store_fail(a, rc, s->name, rc == -ENOENT ? "no such group" : "");
		snprintf(s->group, sizeof(s->group), "%s", s->name);
	} else {
		struct sk_device d;
		struct sk_user u;

		rc = sk_device_get(a->st, s->name, &d);
		if (rc)
			return ska_store_fail(a, rc, s->name, rc == -ENOENT ? "no such device" : "");
		if (d.user[0] && !sk_user_get(a->st, d.user, &u)) {
			snprintf(s->group, sizeof(s->group), "%s", u.group);
			memset(u.pw_hash, 0, sizeof(u.pw_hash));
			memset(u.totp_secret, 0, sizeof(u.totp_secret));
		}
	}
	return 0;
}

static const char *scope_noun(const struct po_scope *s)
{
	return s->scope == SK_PO_SCOPE_GROUP ? "group" : "device";
}

/* ------------------------------------------------------------------ show */

/*
 * What a policy does about Windows 10 (issue 12: out of support since 14
 * October 2025; the shipped default refuses it with its own message), as
 * a word for JSON and a sentence for the text listing.
 */
static const char *windows10_note(const struct sk_posture_policy *p, bool ja, const char **text)
{
	static char buf[320];

	if (!p->enabled || !p->on[SK_PO_CHK_OS]) {
		bool refuse = p->windows_min_build >= 22000;

		snprintf(buf, sizeof(buf), ja ? "Windows 10 は今は確認しません（posture または os が "
			 "off）。on にすると os.windows.min_build=%u により%s" :
			 "Windows 10 is not checked now (posture or os is off); once on, "
			 "os.windows.min_build=%u %s", (unsigned int)p->windows_min_build,
			 ja ? (refuse ? "専用のメッセージ（os-windows10）で拒否します" : "許可します") :
			 (refuse ? "refuses it with its own message (os-windows10)" : "admits it"));
		*text = buf;
		return "not-checked";
	}
	if (!(p->families & (1u << SK_PO_FAM_WINDOWS))) {
		*text = ja ? "Windows は許可していません（os.families）" :
			"Windows is not allowed at all (os.families)";
		return "family-not-allowed";
	}
	if (p->windows_min_build >= 22000) {
		*text = ja ? "Windows 10（ビルド 22000 未満、2025 年 10 月 14 日にサポート終了）は専用の"
			"メッセージ（os-windows10）で拒否します。Windows 10 22H2 を許可するには "
			"os.windows.min_build=19045" :
			"Windows 10 (builds below 22000, out of support since 14 October 2025) is refused "
			"with its own message (os-windows10); os.windows.min_build=19045 admits Windows "
			"10 22H2";
		return "refused";
	}
	snprintf(buf, sizeof(buf), ja ? "Windows 10 をビルド %u 以上で許可しています"
		 "（2025 年 10 月 14 日にサポート終了）" :
		 "Windows 10 from build %u is admitted, although it is out of support since 14 "
		 "October 2025", (unsigned int)p->windows_min_build);
	*text = buf;
	return "admitted";
}

static int posture_show(struct ska *a, struct po_scope *s)
{
	struct po_kvs *gk = calloc(1, sizeof(*gk)), *dk = calloc(1, sizeof(*dk));
	struct sk_posture_policy p, def;
	char val[SK_PO_VAL_MAX], dval[SK_PO_VAL_MAX], err[256];
	struct sk_json j;
	int rc = 0, i;

	if (!gk || !dk) {
		rc = ska_fail(a, "out of memory");
		goto out;
	}
	if (s->group[0])
		rc = sk_posture_list(a->st, SK_PO_SCOPE_GROUP, s->group, kvs_add, gk);
	if (!rc && s->scope == SK_PO_SCOPE_DEVICE)
		rc = sk_posture_list(a->st, SK_PO_SCOPE_DEVICE, s->name, kvs_add, dk);
	if (rc && rc != -ENOENT) {
		rc = ska_store_fail(a, rc, s->name, "");
		goto out;
	}
	rc = sk_posture_policy_load(a->st, s->group, s->scope == SK_PO_SCOPE_DEVICE ? s->name : NULL,
				    &p, err, sizeof(err));
	if (rc == -EINVAL)	/* a stored value this version does not read: shown, and named */
		fprintf(a->io->err, "sekictl: %s: warning: %s\n", a->what, err);
	else if (rc) {
		rc = ska_store_fail(a, rc, s->name, err);
		goto out;
	}
	rc = 0;
	sk_posture_policy_default(&def);
	if (a->io->json) {
		sk_json_init(&j, a->io->out);
		sk_json_obj_begin(&j, NULL);
		sk_json_str(&j, "scope", scope_noun(s));
		sk_json_str(&j, "name", s->name);
		sk_json_str(&j, "group", s->group);
		sk_json_arr_begin(&j, "keys");
	} else {
		fprintf(a->io->out, "posture of %s %s", scope_noun(s), s->name);
		if (s->scope == SK_PO_SCOPE_DEVICE)
			fprintf(a->io->out, s->group[0] ? " (over group %s)" : " (no user: no group)%s",
				s->group);
		fprintf(a->io->out, "\n%-24s %-10s %s\n", "KEY", "FROM", "VALUE");
	}
	for (i = 0; i < sk_posture_policy_nkeys(); i++) {
		const char *key = sk_posture_policy_key(i, NULL);
		const char *from = kvs_get(dk, key) ? "device" : kvs_get(gk, key) ? "group" : "default";

		sk_posture_policy_get(&p, key, val, sizeof(val));
		sk_posture_policy_get(&def, key, dval, sizeof(dval));
		if (a->io->json) {
			sk_json_obj_begin(&j, NULL);
			sk_json_str(&j, "key", key);
			sk_json_str(&j, "value", val);
			sk_json_str(&j, "from", from);
			sk_json_bool(&j, "default", !strcmp(val, dval));
			sk_json_str(&j, "default_value", dval);
			sk_json_obj_end(&j);
		} else {
			fprintf(a->io->out, "%-24s %-10s %s%s\n", key, from, *val ? val : "\"\"",
				strcmp(from, "default") && !strcmp(val, dval) ? "  (= default)" : "");
		}
	}
	{
		const char *text, *word = windows10_note(&p, a->io->ja, &text);

		if (a->io->json) {
			sk_json_arr_end(&j);
			sk_json_str(&j, "windows10", word);
			sk_json_obj_end(&j);
			fputc('\n', a->io->out);
		} else {
			fprintf(a->io->out, "%s: %s\n", a->io->ja ? "注" : "note", text);
		}
	}
out:
	free(gk);
	free(dk);
	return rc;
}

/* ------------------------------------------------------------- set/unset */

struct po_tx {
	struct ska *a;
	struct po_scope *s;
	int n;
	char key[SKA_PO_KEYS][SK_PO_KEY_MAX];
	const char *val[SKA_PO_KEYS];	/* NULL: unset */
	struct po_kvs before;
	char err[SKA_ERR];
};

static void json_kvs(FILE *f, const struct po_tx *t, bool after)
{
	fputc('{', f);
	sk_json_escape(f, scope_noun(t->s));
	fputc(':', f);
	sk_json_escape(f, t->s->name);
	for (int i = 0; i < t->n; i++) {
		const char *v = after ? t->val[i] : kvs_get(&t->before, t->key[i]);

		fputc(',', f);
		sk_json_escape(f, t->key[i]);
		fputc(':', f);
		if (v)
			sk_json_escape(f, v);
		else
			fputs("null", f);
	}
	fputc('}', f);
}

static int posture_set_apply(struct sk_store *st, void *arg)
{
	struct po_tx *t = arg;
	char *bj = NULL, *aj = NULL;
	size_t bl, al;
	FILE *f;
	int rc, i, changed = 0;

	/* before: what this transaction replaces, read inside it */
	t->before.n = 0;
	rc = sk_posture_list(st, t->s->scope, t->s->name, kvs_add, &t->before);
	if (rc)
		return rc;
	for (i = 0; i < t->n; i++) {
		const char *b = kvs_get(&t->before, t->key[i]);

		if ((!b && !t->val[i]) || (b && t->val[i] && !strcmp(b, t->val[i])))
			continue;
		rc = sk_posture_set(st, t->s->scope, t->s->name, t->key[i], t->val[i], t->err,
				    sizeof(t->err));
		if (rc)
			return rc;
		/* keep only the changed keys for the audit record and the output */
		if (changed != i) {
			memcpy(t->key[changed], t->key[i], SK_PO_KEY_MAX);
			t->val[changed] = t->val[i];
		}
		changed++;
	}
	t->n = changed;
	if (!changed)
		return 0;
	f = open_memstream(&bj, &bl);
	if (f) {
		json_kvs(f, t, false);
		fclose(f);
	}
	f = open_memstream(&aj, &al);
	if (f) {
		json_kvs(f, t, true);
		fclose(f);
	}
	rc = ska_audit(t->a, bj, aj, NULL, t->s->scope == SK_PO_SCOPE_DEVICE ? t->s->name : NULL);
	free(bj);
	free(aj);
	return rc;
}

static int posture_set(struct ska *a, struct po_scope *s, bool unset, int argc, char **argv)
{
	struct po_tx *t = calloc(1, sizeof(*t));
	struct sk_posture_policy p;
	char why[256];
	int i, rc;

	if (!t)
		return ska_fail(a, "out of memory");
	t->a = a;
	t->s = s;
	if (!argc) {
		rc = ska_usage(a, "expected: posture %s GROUP|--device NAME %s", unset ? "unset" : "set",
			       unset ? "KEY..." : "KEY=VALUE...");
		goto out;
	}
	if (argc > SKA_PO_KEYS) {
		rc = ska_usage(a, "more than %d keys at once", SKA_PO_KEYS);
		goto out;
	}
	/* every argument checked before anything is stored */
	sk_posture_policy_default(&p);
	for (i = 0; i < argc; i++) {
		const char *val = NULL;

		if (unset) {
			if (strchr(argv[i], '=')) {
				rc = ska_usage(a, a->io->ja ? "unset にはキーだけを指定します（'%s'）" :
					       "unset takes keys without values, got '%s'", argv[i]);
				goto out;
			}
			if (strlen(argv[i]) >= SK_PO_KEY_MAX || !key_known(argv[i])) {
				rc = refuse_kv(a, argv[i], "", "");
				goto out;
			}
			snprintf(t->key[i], SK_PO_KEY_MAX, "%s", argv[i]);
		} else {
			char key[32];

			if ((rc = ska_kv(a, argv[i], key, &val)))
				goto out;
			if (!key_known(key) || sk_posture_policy_set(&p, key, val, why, sizeof(why))) {
				rc = refuse_kv(a, key, val, why);
				goto out;
			}
			if (!*val) {
				/* "" would remove the key in the store: say so */
				rc = a->io->ja ? ska_usage(a, "%s: 空の値は指定できません（既定値に戻すには "
							   "posture unset）", key) :
					ska_usage(a, "%s: an empty value is refused (posture unset returns "
						  "to the default)", key);
				goto out;
			}
			if (!strcmp(key, "quarantine.allowlist")) {
				struct sk_policy sp;

				rc = sk_policy_get(a->st, val, &sp);
				if (rc) {
					rc = a->io->ja ?
						ska_fail(a, "quarantine.allowlist: ポリシー '%s' がありません"
							 "（sekictl policy add で作成してください）", val) :
						ska_fail(a, "quarantine.allowlist: no such policy '%s' "
							 "(sekictl policy add)", val);
					goto out;
				}
			}
			snprintf(t->key[i], SK_PO_KEY_MAX, "%s", key);
		}
		t->val[i] = val;
	}
	t->n = argc;
	rc = ska_tx(a, posture_set_apply, t);
	if (rc == -EINVAL) {
		rc = ska_usage(a, "%s", t->err);
		goto out;
	}
	if (rc) {
		rc = ska_store_fail(a, rc, s->name, t->err);
		goto out;
	}
	if (!t->n)
		fprintf(a->io->out, "posture %s %s: no change\n", scope_noun(s), s->name);
	for (i = 0; i < t->n; i++) {
		const char *b = kvs_get(&t->before, t->key[i]);

		fprintf(a->io->out, "changed: posture %s %s: %s %s -> %s\n", scope_noun(s), s->name,
			t->key[i], b ? (*b ? b : "\"\"") : "(not set)",
			t->val[i] ? (*t->val[i] ? t->val[i] : "\"\"") : "(not set)");
	}
	if (t->n)
		a->fx->settings_changed = true;
	rc = 0;
out:
	free(t);
	return rc;
}

/* ------------------------------------------------------------------ test */

/* reads the report (at most SKA_PO_REPORT_MAX bytes); 0 or the exit status */
static int read_report(struct ska *a, const char *path, char **buf, size_t *len)
{
	FILE *f;
	size_t n;
	int e;

	if (!strcmp(path, "-")) {
		f = a->io->in;
		if (!f)
			return ska_usage(a, "-: no report on standard input");
	} else {
		if (a->io->remote)
			return ska_usage(a, "%s: the report file is read by sekictl, not by the daemon",
					 path);
		f = fopen(path, "re");
		if (!f)
			return ska_usage(a, "%s: %s", path, strerror(errno));
	}
	*buf = malloc(SKA_PO_REPORT_MAX + 1);
	if (!*buf) {
		if (f != a->io->in)
			fclose(f);
		return ska_fail(a, "out of memory");
	}
	n = fread(*buf, 1, SKA_PO_REPORT_MAX + 1, f);
	e = ferror(f) ? errno : 0;
	if (f != a->io->in)
		fclose(f);
	if (e)
		return ska_usage(a, "%s: %s", path, strerror(e));
	if (n > SKA_PO_REPORT_MAX)
		return ska_usage(a, a->io->ja ? "%s: %d バイトを超えています（ゲートウェイの上限）" :
				 "%s: larger than %d bytes (the gateway's limit)", path,
				 SKA_PO_REPORT_MAX);
	*len = n;
	return 0;
}

static void report_summary(FILE *f, const struct sk_posture *r)
{
	char ver[48], name[SK_PO_TEXT * 4];

	if (!r->format) {
		fprintf(f, "report: no posture block (endpoint.posture.*)\n");
		return;
	}
	if (r->format != SK_PO_FORMAT) {
		fprintf(f, "report: posture format %d (this gateway reads %d)\n", (int)r->format,
			SK_PO_FORMAT);
		return;
	}
	sk_po_ver_fmt(&r->os_version, ver, sizeof(ver));
	sk_text_escape(r->os_name, name, sizeof(name));
	fprintf(f, "report: format %d, agent %s, os %s%s%s %s", (int)r->format,
		*r->agent ? r->agent : "-", *sk_po_family_name(r->family) ?
		sk_po_family_name(r->family) : "unknown", *r->os_id ? " " : "", r->os_id,
		*ver ? ver : "-");
	if (r->os_build)
		fprintf(f, " build %u", (unsigned int)r->os_build);
	if (*name)
		fprintf(f, " (%s)", name);
	fputc('\n', f);
}

static int posture_test(struct ska *a, int argc, char **argv)
{
	const char *path, *group = NULL, *device = NULL, *at = NULL, *v;
	struct sk_posture_policy p;
	struct sk_posture_result res;
	struct sk_hostscan *hs = NULL;
	struct po_scope s = { 0 };
	char *buf = NULL, err[256], msg[1024], *rj = NULL, *pj = NULL;
	size_t len = 0;
	int64_t now = a->now;
	int i, m, rc, c;

	if (argc < 2 || (argv[1][0] == '-' && argv[1][1]))
		return ska_usage(a, "expected: posture test REPORT-FILE|- --group G [--device D] "
				 "[--at DATE]");
	path = argv[1];
	for (i = 2; i < argc; i++) {
		if ((m = ska_opt(a, argc, argv, &i, "group", &v)) > 0)
			group = v;
		else if (!m && (m = ska_opt(a, argc, argv, &i, "device", &v)) > 0)
			device = v;
		else if (!m && (m = ska_opt(a, argc, argv, &i, "at", &v)) > 0)
			at = v;
		if (m < 0)
			return 2;
		if (!m)
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
	}
	if (!group)
		return ska_usage(a, "--group is required (the policy to evaluate with)");
	if (at) {
		int32_t day = strlen(at) == 10 ? sk_po_day(at, 10) : -1;

		if (day > 0)
			now = (int64_t)day * 86400 + 43200;	/* noon UTC of that day */
		else if (ska_parse_time(at, false, &now) || !now)
			return ska_usage(a, "--at: expected YYYY-MM-DD or ISO 8601, got '%s'", at);
	}
	s.scope = SK_PO_SCOPE_GROUP;
	s.name = group;
	if ((rc = scope_check(a, &s)))
		return rc;
	if (device) {
		struct sk_device d;

		rc = sk_device_get(a->st, device, &d);
		if (rc)
			return ska_store_fail(a, rc, device, rc == -ENOENT ? "no such device" : "");
	}
	rc = sk_posture_policy_load(a->st, group, device, &p, err, sizeof(err));
	if (rc)
		return rc == -EINVAL ? ska_fail(a, "%s: the stored policy does not validate: %s",
						group, err) : ska_store_fail(a, rc, group, err);
	if ((rc = read_report(a, path, &buf, &len)))
		goto out;
	hs = calloc(1, sizeof(*hs));
	if (!hs) {
		rc = ska_fail(a, "out of memory");
		goto out;
	}
	if (sk_hostscan_parse(buf, len, hs, err, sizeof(err))) {
		char shown[sizeof(err) * 4];

		sk_text_escape(err, shown, sizeof(shown));
		rc = ska_usage(a, a->io->ja ? "%s: レポートを読めません: %s" :
			       "%s: not a valid report: %s", path, shown);
		goto out;
	}
	sk_posture_sanitize(&hs->posture);
	sk_posture_eval(&hs->posture, &p, now, &res);
	rc = res.overall == SK_PO_OK ? 0 : 1;
	if (a->io->json) {
		size_t rl = SK_PO_VERDICT_JSON * 2, pl = SK_PO_REPORT_JSON * 2;
		struct sk_json j;
		char t[40];

		rj = malloc(rl);
		pj = malloc(pl);
		if (!rj || !pj || sk_posture_result_json(&res, rj, rl) ||
		    sk_posture_report_json(&hs->posture, pj, pl)) {
			rc = ska_fail(a, "out of memory");
			goto out;
		}
		ska_fmt_time(now, t, sizeof(t));
		sk_json_init(&j, a->io->out);
		sk_json_obj_begin(&j, NULL);
		sk_json_str(&j, "group", group);
		sk_json_str(&j, "device", device ? device : "");
		sk_json_str(&j, "time", t);
		sk_json_bool(&j, "posture", p.enabled);
		sk_json_str(&j, "outcome", sk_po_overall_name(res.overall));
		fputs(",\"result\":", a->io->out);
		fputs(rj, a->io->out);
		fputs(",\"report\":", a->io->out);
		fputs(pj, a->io->out);
		sk_json_arr_begin(&j, "messages");
		for (c = 0; c < SK_PO_CHK_N; c++) {
			if (res.c[c].verdict != SK_PO_FAIL)
				continue;
			sk_json_obj_begin(&j, NULL);
			sk_json_str(&j, "check", sk_po_check_name(c));
			sk_json_str(&j, "reason", res.c[c].reason);
			sk_json_str(&j, "ja", sk_posture_message(&res, c, "ja", msg, sizeof(msg)));
			sk_json_str(&j, "en", sk_posture_message(&res, c, "en", msg, sizeof(msg)));
			sk_json_bool(&j, "shown", res.shown == c);
			sk_json_obj_end(&j);
		}
		sk_json_arr_end(&j);
		sk_json_obj_end(&j);
		fputc('\n', a->io->out);
		goto out;
	}
	report_summary(a->io->out, &hs->posture);
	if (!p.enabled)
		fprintf(a->io->out, "posture is off for group %s%s%s: the login checks only the "
			"registered device\n", group, device ? " / device " : "", device ? device : "");
	fprintf(a->io->out, "%-9s %-8s %-11s %s\n", "CHECK", "VERDICT", "OUTCOME", "REASON");
	for (c = 0; c < SK_PO_CHK_N; c++) {
		const struct sk_po_result_check *k = &res.c[c];

		fprintf(a->io->out, "%-9s %-8s %-11s %s\n", sk_po_check_name(c),
			sk_po_verdict_name(k->verdict), k->verdict != SK_PO_FAIL ? "-" :
			k->outcome == SK_PO_QUARANTINE ? "quarantine" : "refuse",
			k->verdict == SK_PO_FAIL ? k->reason : c == SK_PO_CHK_DEVICE &&
			k->verdict == SK_PO_SKIP && p.enabled ? "(decided at login: serial/MAC)" : "");
		if (k->verdict == SK_PO_FAIL) {
			fprintf(a->io->out, "    ja: %s\n", sk_posture_message(&res, c, "ja", msg,
									  sizeof(msg)));
			fprintf(a->io->out, "    en: %s\n", sk_posture_message(&res, c, "en", msg,
									  sizeof(msg)));
		}
	}
	fprintf(a->io->out, "outcome: %s", sk_po_overall_name(res.overall));
	if (res.shown >= 0)
		fprintf(a->io->out, " (the user sees the message of %s)", sk_po_check_name(res.shown));
	fputc('\n', a->io->out);
out:
	free(buf);
	free(hs);
	free(rj);
	free(pj);
	return rc;
}

/* ------------------------------------------------------ device show part */

void ska_posture_last_show(struct ska *a, const char *device, struct sk_json *j)
{
	struct sk_posture_last *l = calloc(1, sizeof(*l));
	char t[40];
	int rc;

	if (!l)
		return;
	rc = sk_posture_last_get(a->st, device, l);
	if (rc) {
		if (j)
			sk_json_null(j, "posture");
		else
			fprintf(a->io->out, "%-22s %s\n", "posture", rc == -ENOENT ? "no report yet" :
				strerror(-rc));
		free(l);
		return;
	}
	ska_fmt_time(l->time, t, sizeof(t));
	l->outcome[sizeof(l->outcome) - 1] = 0;
	l->report[sizeof(l->report) - 1] = 0;
	l->verdicts[sizeof(l->verdicts) - 1] = 0;
	if (j) {
		sk_json_obj_begin(j, "posture");
		sk_json_str(j, "time", t);
		sk_json_str(j, "outcome", l->outcome);
		/* JSON texts made by auth/posture_eval.c: embedded when they look
		 * like objects and are valid text, else as strings (as audit does) */
		fputs(",\"verdicts\":", j->f);
		if (l->verdicts[0] == '{' && sk_text_ok(l->verdicts, sizeof(l->verdicts) - 1, false))
			fputs(l->verdicts, j->f);
		else
			sk_json_escape(j->f, l->verdicts);
		fputs(",\"report\":", j->f);
		if (l->report[0] == '{' && sk_text_ok(l->report, sizeof(l->report) - 1, false))
			fputs(l->report, j->f);
		else
			sk_json_escape(j->f, l->report);
		sk_json_obj_end(j);
	} else {
		char *esc = malloc(sizeof(l->report) * 4);

		fprintf(a->io->out, "%-22s %s (outcome %s)\n", "posture", t, l->outcome);
		if (esc) {
			sk_text_escape(l->verdicts, esc, sizeof(l->report) * 4);
			fprintf(a->io->out, "%-22s %s\n", "posture-verdicts", esc);
			sk_text_escape(l->report, esc, sizeof(l->report) * 4);
			fprintf(a->io->out, "%-22s %s\n", "posture-report", esc);
		}
		free(esc);
	}
	free(l);
}

/* ------------------------------------------------------------------ noun */

int ska_posture(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	struct po_scope s = { 0 };
	int i, rc;

	snprintf(a->what, sizeof(a->what), "posture %s", verb);
	if (!strcmp(verb, "test"))
		return posture_test(a, argc, argv);
	if (strcmp(verb, "show") && strcmp(verb, "set") && strcmp(verb, "unset"))
		return ska_usage(a, "unknown verb '%s' (show, set, unset, test)", verb);
	if ((i = scope_args(a, argc, argv, &s)) < 0)
		return 2;
	if ((rc = scope_check(a, &s)))
		return rc;
	if (!strcmp(verb, "show")) {
		if (i < argc)
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
		return posture_show(a, &s);
	}
	return posture_set(a, &s, !strcmp(verb, "unset"), argc - i, argv + i);
}
