// SPDX-License-Identifier: GPL-2.0
/*
 * skadmin core: the noun table, messages, field lists, audit records,
 * time parsing; and the small nouns settings, session and audit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_int.h"
#include "skauth.h"
#include "sktext.h"

/* ---------------------------------------------------------------- messages */

static void vmsg(struct ska *a, const char *fmt, va_list ap)
{
	fprintf(a->io->err, "sekictl: %s: ", a->what);
	vfprintf(a->io->err, fmt, ap);
	fputc('\n', a->io->err);
}

int ska_fail(struct ska *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(a, fmt, ap);
	va_end(ap);
	return 1;
}

int ska_usage(struct ska *a, const char *fmt, ...)
{
	const char *ja = a->io->ja ? ska_usage_ja(fmt) : NULL;
	va_list ap;
	size_t n = strcspn(a->what, " ");

	va_start(ap, fmt);
	vmsg(a, ja ? ja : fmt, ap);
	va_end(ap);
	if (a->io->ja)
		fprintf(a->io->err, "使い方は 'sekictl %.*s help' を参照してください。\n", (int)n,
			a->what);
	else
		fprintf(a->io->err, "Try 'sekictl %.*s help'.\n", (int)n, a->what);
	return 2;
}

void ska_said(struct ska *a, const char *en, const char *ja, ...)
{
	va_list ap;

	va_start(ap, ja);
	vfprintf(a->io->out, a->io->ja ? ja : en, ap);
	va_end(ap);
	fputc('\n', a->io->out);
}

int ska_fail2(struct ska *a, const char *en, const char *ja, ...)
{
	va_list ap;

	va_start(ap, ja);
	vmsg(a, a->io->ja ? ja : en, ap);
	va_end(ap);
	return 1;
}

const char *ska_noun(struct ska *a, const char *noun)
{
	static const char *const ja[][2] = {
		{ "user", "ユーザー" }, { "group", "グループ" }, { "policy", "ポリシー" },
		{ "device", "端末" }, { "setting", "設定" }, { "session", "セッション" },
		{ "users", "ユーザー" }, { "groups", "グループ" }, { "policies", "ポリシー" },
		{ "devices", "端末" }, { "sessions", "セッション" }, { "certificates", "証明書" },
		{ "profiles", "プロファイル" }, { "sources", "接続元" },
		{ "directories", "ディレクトリ" },
	};

	for (size_t i = 0; a->io->ja && i < sizeof(ja) / sizeof(ja[0]); i++)
		if (!strcmp(noun, ja[i][0]))
			return ja[i][1];
	return noun;
}

int ska_store_fail(struct ska *a, int rc, const char *obj, const char *err)
{
	if (err && *err)
		return ska_fail(a, "%s: %s", obj, err);
	switch (rc) {
	case -ENOENT: return ska_fail2(a, "%s: does not exist", "%s: 存在しません", obj);
	case -EEXIST: return ska_fail2(a, "%s: already exists", "%s: すでに存在します", obj);
	case -EBUSY: return ska_fail2(a, "%s: still in use", "%s: 使用中です", obj);
	case -ENOSPC: return ska_fail2(a, "%s: limit reached", "%s: 上限に達しています", obj);
	case -EINVAL: return ska_fail2(a, "%s: invalid value", "%s: 値が正しくありません", obj);
	default: return ska_fail(a, "%s: %s", obj, strerror(rc < 0 ? -rc : rc));
	}
}

bool ska_is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

int ska_opt(struct ska *a, int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *s = argv[*i];
	size_t nl = strlen(name);

	if (strncmp(s, "--", 2) || strncmp(s + 2, name, nl))
		return 0;
	if (s[2 + nl] == '=') {
		*val = s + 3 + nl;
		return 1;
	}
	if (s[2 + nl])
		return 0;
	if (*i + 1 >= argc) {
		ska_usage(a, "--%s needs a value", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

int ska_only_opt(struct ska *a, int argc, char **argv, const char *name, const char **val)
{
	int i, m;

	for (i = 1; i < argc; i++) {
		if ((m = ska_opt(a, argc, argv, &i, name, val)) < 0)
			return 2;
		if (!m)
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
	}
	return 0;
}

/* ------------------------------------------------------------- field lists */

void ska_obj_add(struct ska_obj *o, const char *key, enum ska_kt t, const char *fmt, ...)
{
	va_list ap;
	char *v = NULL;

	if (o->n >= SKA_OBJ_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		v = NULL;
	va_end(ap);
	if (!v)
		return;
	o->kv[o->n].key = key;
	o->kv[o->n].t = t;
	o->kv[o->n].val = v;
	o->n++;
}

void ska_obj_time(struct ska_obj *o, const char *key, int64_t t)
{
	char buf[40];

	ska_fmt_time(t, buf, sizeof(buf));
	ska_obj_add(o, key, KT_TIME, "%s", buf);
}

void ska_obj_free(struct ska_obj *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		free(o->kv[i].val);
	o->n = 0;
}

const char *ska_obj_get(const struct ska_obj *o, const char *key)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->kv[i].key, key))
			return o->kv[i].val;
	return NULL;
}

void ska_obj_show(struct ska *a, struct ska_obj *o)
{
	struct sk_json j;

	if (a->io->json) {
		sk_json_init(&j, a->io->out);
		ska_obj_json(&j, NULL, o, NULL, 0);
		fputc('\n', a->io->out);
	} else {
		ska_obj_print(a->io->out, o);
	}
	ska_obj_free(o);
}

void ska_obj_print(FILE *f, const struct ska_obj *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		fprintf(f, "%-22s %s\n", o->kv[i].key,
			o->kv[i].t == KT_TIME && !*o->kv[i].val ? "-" : o->kv[i].val);
}

static void kv_json(struct sk_json *j, const struct ska_kv *kv)
{
	switch (kv->t) {
	case KT_NUM:
		/* a signed decimal: write it raw (the writer has u64 only) */
		if (!j->first[j->depth])
			fputc(',', j->f);
		j->first[j->depth] = false;
		sk_json_escape(j->f, kv->key);
		fprintf(j->f, ":%s", *kv->val ? kv->val : "0");
		break;
	case KT_BOOL:
		sk_json_bool(j, kv->key, !strcmp(kv->val, "yes"));
		break;
	case KT_TIME:
		if (*kv->val)
			sk_json_str(j, kv->key, kv->val);
		else
			sk_json_null(j, kv->key);
		break;
	case KT_LIST: {
		const char *p = kv->val;

		sk_json_arr_begin(j, kv->key);
		while (*p) {
			size_t n = strcspn(p, ",");
			char *item = strndup(p, n);

			if (item)
				sk_json_str(j, NULL, item);
			free(item);
			p += n;
			if (*p == ',')
				p++;
		}
		sk_json_arr_end(j);
		break;
	}
	default:
		sk_json_str(j, kv->key, kv->val);
	}
}

static bool key_listed(const char *key, const char *const *keys, int nkeys)
{
	int i;

	if (!keys)
		return true;
	for (i = 0; i < nkeys; i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

void ska_obj_json(struct sk_json *j, const char *key, const struct ska_obj *o,
		  const char *const *keys, int nkeys)
{
	int i;

	sk_json_obj_begin(j, key);
	for (i = 0; i < o->n; i++)
		if (key_listed(o->kv[i].key, keys, nkeys))
			kv_json(j, &o->kv[i]);
	sk_json_obj_end(j);
}

char *ska_obj_json_text(const struct ska_obj *o, const char *const *keys, int nkeys)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sk_json j;

	if (!f)
		return NULL;
	sk_json_init(&j, f);
	ska_obj_json(&j, NULL, o, keys, nkeys);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------------- audit */

int ska_audit(struct ska *a, const char *before, const char *after,
	      const char *user, const char *device)
{
	struct sk_audit r = { .time = a->now };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	snprintf(r.type, sizeof(r.type), "admin");
	snprintf(r.actor, sizeof(r.actor), "%s", a->who->name);
	snprintf(r.user, sizeof(r.user), "%s", user ? user : "");
	snprintf(r.device, sizeof(r.device), "%s", device ? device : "");
	snprintf(r.result, sizeof(r.result), "ok");
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs("{\"command\":", f);
	sk_json_escape(f, a->what);
	fprintf(f, ",\"before\":%s,\"after\":%s}", before ? before : "null",
		after ? after : "null");
	fclose(f);
	if (len >= sizeof(r.detail)) {
		/* a group with many routes: keep the record valid JSON */
		f = fmemopen(r.detail, sizeof(r.detail), "w");
		if (f) {
			fputs("{\"command\":", f);
			sk_json_escape(f, a->what);
			fputs(",\"before\":null,\"after\":null,\"truncated\":true}", f);
			fclose(f);
		}
	} else {
		memcpy(r.detail, buf, len + 1);
	}
	free(buf);
	rc = sk_audit_add(a->st, &r);
	if (rc)
		ska_fail(a, "cannot write the audit record: %s", strerror(-rc));
	return rc;
}

int ska_report_changes(struct ska *a, const char *noun, const char *name,
		       const struct ska_obj *before, const struct ska_obj *after,
		       const char *const *keys, int nkeys,
		       const char *user, const char *device)
{
	const char *changed[SKA_OBJ_MAX];
	char *bj, *aj;
	int i, n = 0;

	for (i = 0; i < nkeys && n < SKA_OBJ_MAX; i++) {
		const char *b = ska_obj_get(before, keys[i]);
		const char *c = ska_obj_get(after, keys[i]);

		if (!b || !c || !strcmp(b, c))
			continue;
		changed[n++] = keys[i];
		ska_said(a, "%s %s: %s %s -> %s", "%s %s: %s を %s から %s に変更しました",
			 ska_noun(a, noun), name, keys[i], *b ? b : a->io->ja ? "（なし）" : "(none)",
			 *c ? c : a->io->ja ? "（なし）" : "(none)");
	}
	if (!n) {
		ska_said(a, "%s %s: no change", "%s %s: 変更はありません", ska_noun(a, noun), name);
		return 0;
	}
	bj = ska_obj_json_text(before, changed, n);
	aj = ska_obj_json_text(after, changed, n);
	ska_audit(a, bj, aj, user, device);
	free(bj);
	free(aj);
	return n;
}

void ska_list_begin(struct ska *a, struct sk_json *j, struct sk_json **lj)
{
	if (!a->io->json)
		return;
	sk_json_init(j, a->io->out);
	sk_json_arr_begin(j, NULL);
	*lj = j;
}

int ska_list_end(struct ska *a, struct sk_json *lj, int n, int rc, const char *what)
{
	if (a->io->json) {
		sk_json_arr_end(lj);
		fputc('\n', a->io->out);
	} else if (!n) {
		ska_said(a, "no %s", "%sはありません", ska_noun(a, what));
	}
	return rc ? ska_store_fail(a, rc, what, "") : 0;
}

int ska_tx(struct ska *a, int (*fn)(struct sk_store *st, void *arg), void *arg)
{
	return sk_store_tx(a->st, fn, arg);
}

/* ------------------------------------------------------------------ parsing */

int ska_kv(struct ska *a, const char *arg, char key[32], const char **val)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || eq - arg >= 32)
		return ska_usage(a, "expected KEY=VALUE, got '%s'", arg);
	snprintf(key, 32, "%.*s", (int)(eq - arg), arg);
	*val = eq + 1;
	return 0;
}

void ska_fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char z[8];

	if (!t || !localtime_r(&tt, &tm)) {
		if (len)
			*buf = '\0';
		return;
	}
	strftime(z, sizeof(z), "%z", &tm);	/* +0900 */
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%.3s:%.2s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, z, z + 3);
}

static int digits(const char *s, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

int ska_parse_time(const char *s, bool end_of_day, int64_t *out)
{
	struct tm tm = { .tm_isdst = -1 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	bool has_tz = false;
	long off = 0;
	const char *p;
	time_t t;

	if (!*s || !strcmp(s, "none")) {
		*out = 0;
		return 0;
	}
	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -EINVAL;
	p = s + 10;
	if (!*p) {
		if (end_of_day) {
			h = 23;
			mi = 59;
			sec = 59;
		}
	} else {
		if ((*p != 'T' && *p != ' ') || digits(p + 1, 2, &h) || p[3] != ':' ||
		    digits(p + 4, 2, &mi))
			return -EINVAL;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -EINVAL;
			p += 3;
		}
		if (*p == 'Z') {
			has_tz = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;

			if (digits(p + 1, 2, &oh))
				return -EINVAL;
			p += 3;
			if (*p == ':')
				p++;
			if (digits(p, 2, &om))
				return -EINVAL;
			p += 2;
			off = sign * (oh * 3600L + om * 60L);
			has_tz = true;
		}
		if (*p)
			return -EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (has_tz) {
		t = timegm(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		*out = (int64_t)t - off;
	} else {
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		*out = t;
	}
	/* mktime normalises 2025-02-30 to March: refuse such dates */
	if (!has_tz && tm.tm_mday != d)
		return -EINVAL;
	return 0;
}

int ska_parse_int(const char *s, long min, long max, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (!*s || *end || errno || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int ska_parse_bool(const char *s, bool *v)
{
	if (!strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "1"))
		*v = true;
	else if (!strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "0"))
		*v = false;
	else
		return -EINVAL;
	return 0;
}

const char *ska_lang_name(enum sk_lang l)
{
	return l == SK_LANG_JA ? "ja" : l == SK_LANG_EN ? "en" : "auto";
}

int ska_lang_from(const char *s)
{
	if (!strcmp(s, "ja"))
		return SK_LANG_JA;
	if (!strcmp(s, "en"))
		return SK_LANG_EN;
	if (!strcmp(s, "auto") || !*s)
		return SK_LANG_AUTO;
	return -1;
}

static const char *const devtypes[] = { [SK_DEV_WINDOWS] = "windows", [SK_DEV_MAC] = "mac",
					 [SK_DEV_IOS] = "ios", [SK_DEV_ANDROID] = "android" };

const char *ska_devtype_name(enum sk_device_type t)
{
	return t >= SK_DEV_WINDOWS && t <= SK_DEV_ANDROID ? devtypes[t] : "?";
}

int ska_devtype_from(const char *s)
{
	int i;

	for (i = SK_DEV_WINDOWS; i <= SK_DEV_ANDROID; i++)
		if (!strcmp(s, devtypes[i]))
			return i;
	return -1;
}

const char *ska_devmethod_name(enum sk_device_method m)
{
	return m == SK_DEVM_SERIAL ? "serial" : m == SK_DEVM_MAC ? "mac" : "?";
}

int ska_devmethod_from(const char *s)
{
	if (!strcmp(s, "serial"))
		return SK_DEVM_SERIAL;
	if (!strcmp(s, "mac"))
		return SK_DEVM_MAC;
	return -1;
}

/* ---------------------------------------------------------------- settings */

struct set_list { struct ska *a; struct sk_json *j; };

static int setting_print(const char *key, const char *val, void *arg)
{
	struct set_list *l = arg;

	if (sk_setting_secret(key))
		val = *val ? "(set)" : "(not set)";
	if (l->j)
		sk_json_str(l->j, key, val);
	else
		fprintf(l->a->io->out, "%-28s %s\n", key, val);
	return 0;
}

struct set_tx { struct ska *a; const char *key, *val; char before[SK_TEXT_MAX]; char err[SKA_ERR]; };

static int setting_apply(struct sk_store *st, void *arg)
{
	struct set_tx *s = arg;
	char b[SK_TEXT_MAX * 2], c[SK_TEXT_MAX * 2];
	char *bq = NULL, *cq = NULL;
	size_t bl, cl;
	FILE *f;
	int rc;

	/* "before" is what this transaction replaces: read inside it, so a
	 * second sekictl changing the same key in between cannot make the
	 * audit trail skip its value (read outside, it was the value the
	 * other writer was replacing) */
	rc = sk_setting_get(st, s->key, s->before, sizeof(s->before));
	if (!rc)
		rc = sk_setting_set(st, s->key, s->val, s->err, sizeof(s->err));
	if (rc)
		return rc;
	/* {"KEY":"old"} / {"KEY":"new"}; a secret only as changed, nothing
	 * of its value (not even a hash: a short password is guessed from it) */
	if (sk_setting_secret(s->key)) {
		sk_wipe(s->before, sizeof(s->before));
		snprintf(s->before, sizeof(s->before), "(secret)");
	}
	f = open_memstream(&bq, &bl);
	if (f) {
		fputc('{', f);
		sk_json_escape(f, s->key);
		fputc(':', f);
		sk_json_escape(f, s->before);
		fputc('}', f);
		fclose(f);
	}
	f = open_memstream(&cq, &cl);
	if (f) {
		fputc('{', f);
		sk_json_escape(f, s->key);
		fputc(':', f);
		sk_json_escape(f, sk_setting_secret(s->key) ? "(changed)" : s->val);
		fputc('}', f);
		fclose(f);
	}
	snprintf(b, sizeof(b), "%s", bq ? bq : "null");
	snprintf(c, sizeof(c), "%s", cq ? cq : "null");
	free(bq);
	free(cq);
	return ska_audit(s->a, b, c, NULL, NULL);
}

/*
 * The value of `settings set KEY -` (one line of standard input) or
 * `settings set KEY --file PATH` (the file's first line), without its line
 * end.  Behind the control socket the client has already turned --file
 * into - (the daemon never opens a file the caller names).  0, or the
 * exit status after a message.
 */
static int setting_read(struct ska *a, const char *key, const char *file, char *buf, size_t len)
{
	FILE *f = a->io->in;
	size_t n;
	bool line;

	if (file) {
		if (a->io->remote)
			return ska_usage(a, "%s: --file is read by sekictl, not by the daemon", key);
		f = fopen(file, "re");
		if (!f)
			return ska_fail(a, "%s: %s", file, strerror(errno));
	}
	line = f && fgets(buf, (int)len, f);
	if (file)
		fclose(f);
	if (!line)
		return ska_usage(a, "%s: expected the value as the first line of %s", key,
				 file ? file : "standard input");
	n = strlen(buf);
	if (n && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	} else if (n == len - 1) {
		sk_wipe(buf, len);
		return ska_usage(a, "%s: value longer than %d bytes", key, SK_TEXT_MAX - 1);
	}
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

int ska_settings(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "show";

	snprintf(a->what, sizeof(a->what), "settings %s", verb);
	if (!strcmp(verb, "show") || !strcmp(verb, "list")) {
		struct sk_json j;
		struct set_list l = { a, NULL };
		int rc;

		if (argc > 2)
			return ska_usage(a, "expected: settings show [KEY]");
		if (argc == 2) {
			char val[SK_TEXT_MAX];

			rc = sk_setting_get(a->st, argv[1], val, sizeof(val));
			if (rc)
				return ska_store_fail(a, rc, argv[1], rc == -EINVAL ? "unknown setting" : "");
			if (sk_setting_secret(argv[1])) {
				snprintf(val, sizeof(val), "%s", *val ? "(set)" : "(not set)");
			}
			if (a->io->json) {
				sk_json_init(&j, a->io->out);
				sk_json_obj_begin(&j, NULL);
				sk_json_str(&j, argv[1], val);
				sk_json_obj_end(&j);
				fputc('\n', a->io->out);
			} else {
				fprintf(a->io->out, "%s\n", val);
			}
			return 0;
		}
		if (a->io->json) {
			sk_json_init(&j, a->io->out);
			sk_json_obj_begin(&j, NULL);
			l.j = &j;
		}
		rc = sk_setting_list(a->st, setting_print, &l);
		if (a->io->json) {
			sk_json_obj_end(&j);
			fputc('\n', a->io->out);
		}
		return rc ? ska_store_fail(a, rc, "settings", "") : 0;
	}
	if (!strcmp(verb, "set")) {
		struct set_tx s = { .a = a };
		char val[SK_TEXT_MAX + 1];
		const char *file = NULL;
		bool secret;
		int rc;

		if (argc == 4 && !strcmp(argv[2], "--file"))
			file = argv[3];
		else if (argc == 3 && !strncmp(argv[2], "--file=", 7))
			file = argv[2] + 7;
		else if (argc != 3 || !strcmp(argv[2], "--file"))
			return ska_usage(a, "expected: settings set KEY VALUE|-|--file PATH");
		s.key = argv[1];
		rc = sk_setting_get(a->st, s.key, s.before, sizeof(s.before));
		if (rc)	/* an unknown key fails here, before any transaction */
			return ska_store_fail(a, rc, s.key, rc == -EINVAL ? "unknown setting" : "");
		sk_wipe(s.before, sizeof(s.before));
		secret = sk_setting_secret(s.key);
		if (file || !strcmp(argv[2], "-")) {
			if ((rc = setting_read(a, s.key, file, val, sizeof(val))))
				return rc;
			s.val = val;
		} else if (secret) {
			/* by now it was on the command line: say how to do it
			 * without, and keep it out of the store and the trail */
			return ska_usage(a, "%s is a secret and is not taken on the command line "
					 "(ps shows it to every user).\n"
					 "  Give - to read it from standard input, or --file PATH to "
					 "read the first line of a file.\n"
					 "  %s は秘密の設定のため、コマンドラインでは受け付けません"
					 "（ps で誰にでも見えます）。\n"
					 "  標準入力から読むには -、ファイルの 1 行目から読むには "
					 "--file PATH を指定してください。", s.key, s.key);
		} else {
			s.val = argv[2];
		}
		if ((rc = ska_check_setting(a, s.key, s.val))) {
			if (secret)
				sk_wipe(val, sizeof(val));
			return rc;
		}
		rc = ska_tx(a, setting_apply, &s);
		if (secret) {
			sk_wipe(val, sizeof(val));
			sk_wipe(s.before, sizeof(s.before));
		}
		if (rc)
			return ska_store_fail(a, rc, s.key, s.err);
		if (secret)
			ska_said(a, "setting %s: changed", "設定 %s: 変更しました", s.key);
		else
			ska_said(a, "setting %s: %s -> %s", "設定 %s: %s から %s に変更しました", s.key,
				 *s.before ? s.before : a->io->ja ? "（なし）" : "(none)",
				 *s.val ? s.val : a->io->ja ? "（なし）" : "(none)");
		a->fx->settings_changed = true;
		return 0;
	}
	return ska_usage(a, "unknown verb '%s' (show, set)", verb);
}

/* ----------------------------------------------------------------- session */

static void session_obj(struct ska *a, const struct sk_session *s, struct ska_obj *o)
{
	char stream[64];
	/* posture (issue 12): the session's row, as sekishod wrote it at its
	 * login and last CONNECT (the store checked both when written) */
	bool quar = s->quarantine[0] != 0;

	ska_obj_add(o, "id", KT_NUM, "%lld", (long long)s->id);
	ska_obj_add(o, "user", KT_STR, "%s", s->user);
	ska_obj_add(o, "group", KT_STR, "%s", s->group);
	ska_obj_add(o, "device", KT_STR, "%s", s->device);
	ska_obj_add(o, "addr4", KT_STR, "%s", s->addr4);
	ska_obj_add(o, "addr6", KT_STR, "%s", s->addr6);
	ska_obj_add(o, "remote", KT_STR, "%s", s->remote);
	ska_obj_time(o, "started", s->started);
	ska_obj_time(o, "last-seen", s->last_seen);
	ska_obj_time(o, "expires", s->expires);
	ska_obj_add(o, "rx-bytes", KT_NUM, "%llu", (unsigned long long)s->rx_bytes);
	ska_obj_add(o, "tx-bytes", KT_NUM, "%llu", (unsigned long long)s->tx_bytes);
	ska_obj_add(o, "pid", KT_NUM, "%d", s->pid);
	ska_obj_add(o, "connected", KT_BOOL, "%s", s->pid ? "yes" : "no");
	ska_obj_add(o, "killed", KT_BOOL, "%s", s->killed ? "yes" : "no");
	ska_obj_add(o, "gateway", KT_STR, "%s", s->gateway);
	/* issue 16: kernel TLS or the worker's relay, and why */
	if (ska_session_stream(a, s, stream, sizeof(stream)))
		ska_obj_add(o, "stream", KT_STR, "%s", stream);
	/* posture (issue 12): the tunnel runs on a remediation allowlist */
	ska_obj_add(o, "quarantined", KT_BOOL, "%s", quar ? "yes" : "no");
	if (quar) {
		ska_obj_add(o, "quarantine-policy", KT_STR, "%s", s->quarantine);
		ska_obj_add(o, "quarantine-why", KT_STR, "%s", s->quarantine_why);
	}
}

static int session_each(const struct sk_session *s, void *arg)
{
	struct ska_list *l = arg;
	struct ska_obj o = { 0 };

	session_obj(l->a, s, &o);
	if (l->j) {
		ska_obj_json(l->j, NULL, &o, NULL, 0);
	} else {
		char st[40];

		ska_fmt_time(s->started, st, sizeof(st));
		if (!l->n)
			fprintf(l->a->io->out, "%-8s %-16s %-16s %-16s %-25s %-12s %s\n", "ID", "USER",
				"DEVICE", "ADDRESS", "STARTED", "GATEWAY", "STATE");
		fprintf(l->a->io->out, "%-8lld %-16s %-16s %-16s %-25s %-12s %s\n", (long long)s->id,
			s->user, *s->device ? s->device : "-", *s->addr4 ? s->addr4 : s->addr6,
			st, *s->gateway ? s->gateway : "-", s->killed ? "killed" : !s->pid ? "detached" :
			ska_obj_get(&o, "quarantine-why") ? "quarantined" : "connected");
	}
	l->n++;
	ska_obj_free(&o);
	return 0;
}

struct kill_tx { struct ska *a; struct sk_session s; };

static int session_kill_apply(struct sk_store *st, void *arg)
{
	struct kill_tx *k = arg;
	char after[64];
	int rc;

	k->s.killed = true;
	rc = sk_session_update(st, &k->s);
	if (rc)
		return rc;
	snprintf(after, sizeof(after), "{\"session\":%lld,\"killed\":true}", (long long)k->s.id);
	return ska_audit(k->a, NULL, after, k->s.user, k->s.device);
}

int ska_session(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct sk_json j;
	long id;
	int rc;

	snprintf(a->what, sizeof(a->what), "session %s", verb);
	if (!strcmp(verb, "list")) {
		struct ska_list l = { a, NULL, 0 };

		if (argc > 1)
			return ska_usage(a, "unexpected argument '%s'", argv[1]);
		ska_list_begin(a, &j, &l.j);
		rc = sk_session_list(a->st, session_each, &l);
		return ska_list_end(a, l.j, l.n, rc, "sessions");
	}
	if (!strcmp(verb, "show") || !strcmp(verb, "kill")) {
		struct kill_tx k = { .a = a };
		struct ska_obj o = { 0 };

		if (argc != 2 || ska_parse_int(argv[1], 1, 0xffffffffL, &id))
			return ska_usage(a, "expected: session %s ID (a number from 'session list')", verb);
		rc = sk_session_get(a->st, id, &k.s);
		if (rc)
			return ska_store_fail(a, rc, argv[1], rc == -ENOENT ? "no such session" : "");
		if (!strcmp(verb, "show")) {
			session_obj(a, &k.s, &o);
			ska_obj_show(a, &o);
			return 0;
		}
		if (k.s.killed) {
			ska_said(a, "session %ld: already killed", "セッション %ld: すでに切断されています",
				 id);
			return 0;
		}
		rc = ska_tx(a, session_kill_apply, &k);
		if (rc)
			return ska_store_fail(a, rc, argv[1], "");
		if (a->fx->n_kill < SKA_KILL_MAX)
			a->fx->kill[a->fx->n_kill++] = id;
		/* another gateway serves it: the store's notification tells it */
		if (k.s.pid && k.s.gateway[0] && strcmp(k.s.gateway, sk_store_gateway(a->st)))
			ska_said(a, "session %ld (user %s): killed; its gateway %s ends the tunnel",
				 "セッション %ld（ユーザー %s）を切断しました。接続先のゲートウェイ %s "
				 "がトンネルを終了します", id, k.s.user, k.s.gateway);
		else
			ska_said(a, "session %ld (user %s): killed",
				 "セッション %ld（ユーザー %s）を切断しました", id, k.s.user);
		return 0;
	}
	return ska_usage(a, "unknown verb '%s' (list, show, kill)", verb);
}

/* ------------------------------------------------------------------- audit */

void ska_audit_json(FILE *f, const struct sk_audit *r)
{
	struct sk_json j;
	char t[40];

	ska_fmt_time(r->time, t, sizeof(t));
	sk_json_init(&j, f);
	sk_json_obj_begin(&j, NULL);
	sk_json_u64(&j, "id", (uint64_t)r->id);
	sk_json_str(&j, "time", t);
	sk_json_str(&j, "type", r->type);
	sk_json_str(&j, "actor", r->actor);
	sk_json_str(&j, "user", r->user);
	sk_json_str(&j, "device", r->device);
	sk_json_str(&j, "source", r->source);
	sk_json_str(&j, "result", r->result);
	sk_json_str(&j, "gateway", r->gateway);
	/* detail is JSON already: embed it as is when it looks like an
	 * object (and is valid text: a record of an older version may hold
	 * broken UTF-8; it is then shown as an escaped string) */
	fputs(",\"detail\":", f);
	if (r->detail[0] == '{' && sk_text_ok(r->detail, sizeof(r->detail) - 1, false))
		fputs(r->detail, f);
	else
		sk_json_escape(f, r->detail);
	sk_json_obj_end(&j);
}

struct aud_list { struct ska *a; bool lines, json; int n; };

static int audit_each(const struct sk_audit *r, void *arg)
{
	struct aud_list *l = arg;
	FILE *f = l->a->io->out;
	char t[40];

	ska_fmt_time(r->time, t, sizeof(t));
	if (l->lines || l->json) {
		if (l->json && !l->lines && l->n)
			fputc(',', f);
		ska_audit_json(f, r);
		if (l->lines)
			fputc('\n', f);
	} else {
		/* one line per record even for a record an older version stored
		 * with a newline or an escape sequence in it */
		char ty[sizeof(r->type) * 4], ac[sizeof(r->actor) * 4], us[sizeof(r->user) * 4],
		     de[sizeof(r->device) * 4], re[sizeof(r->result) * 4], dt[sizeof(r->detail) * 4];

		sk_text_escape(r->type, ty, sizeof(ty));
		sk_text_escape(r->actor, ac, sizeof(ac));
		sk_text_escape(r->user, us, sizeof(us));
		sk_text_escape(r->device, de, sizeof(de));
		sk_text_escape(r->result, re, sizeof(re));
		sk_text_escape(r->detail, dt, sizeof(dt));
		fprintf(f, "%s %-14s %-18s %-12s %-12s %-6s %s\n", t, ty, ac, *us ? us : "-",
			*de ? de : "-", re, dt);
	}
	l->n++;
	return 0;
}

int ska_audit_cmd(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct sk_audit_filter flt = { 0 };
	struct aud_list l = { a, false, a->io->json, 0 };
	int i, rc;

	snprintf(a->what, sizeof(a->what), "audit %s", verb);
	if (!strcmp(verb, "prune"))
		return ska_audit_prune_cmd(a, argc, argv);
	if (strcmp(verb, "list") && strcmp(verb, "export"))
		return ska_usage(a, "unknown verb '%s' (list, export, prune)", verb);
	for (i = 1; i < argc; i++) {
		const char *v;
		long n;
		int m;

		if ((m = ska_opt(a, argc, argv, &i, "since", &v))) {
			if (m < 0)
				return 2;
			if (ska_parse_time(v, false, &flt.since))
				return ska_usage(a, "--since: expected YYYY-MM-DD or ISO 8601, got '%s'", v);
		} else if ((m = ska_opt(a, argc, argv, &i, "until", &v))) {
			if (m < 0)
				return 2;
			if (ska_parse_time(v, true, &flt.until))
				return ska_usage(a, "--until: expected YYYY-MM-DD or ISO 8601, got '%s'", v);
		} else if ((m = ska_opt(a, argc, argv, &i, "user", &v))) {
			if (m < 0)
				return 2;
			flt.user = v;
		} else if ((m = ska_opt(a, argc, argv, &i, "device", &v))) {
			if (m < 0)
				return 2;
			flt.device = v;
		} else if ((m = ska_opt(a, argc, argv, &i, "type", &v))) {
			if (m < 0)
				return 2;
			if (ska_check_audit_type(a, v))
				return 2;
			flt.type = v;
		} else if ((m = ska_opt(a, argc, argv, &i, "limit", &v))) {
			if (m < 0)
				return 2;
			if (ska_parse_int(v, 1, 1000000, &n))
				return ska_usage(a, "--limit: expected 1..1000000, got '%s'", v);
			flt.limit = (int)n;
		} else {
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!strcmp(verb, "export"))
		l.lines = true;
	else if (l.json)
		fputc('[', a->io->out);
	rc = sk_audit_list(a->st, &flt, audit_each, &l);
	if (!l.lines && l.json)
		fputs("]\n", a->io->out);
	return rc ? ska_store_fail(a, rc, "audit", "") : 0;
}

/* ------------------------------------------------------------------- table */

static const struct {
	const char *noun;
	int (*run)(struct ska *a, int argc, char **argv);
	const char *summary, *help;
} nouns[] = {
	{ "user", ska_user, "VPN users",
"  sekictl user add NAME --email E --group G [--valid-from D] [--valid-until D]\n"
"                  [--otp email|totp|none] [--lang ja|en] [--cert-id X]\n"
"                  [--display-name \"NAME\"]   (氏名: UTF-8, at most 64 characters)\n"
"  sekictl user del|show|lock|unlock NAME        sekictl user list [--group G]\n"
"  sekictl user passwd NAME [--no-change-required]   (new password on stdin)\n"
"  sekictl user set NAME KEY=VALUE...   display-name email group valid-from\n"
"                                       valid-until otp lang enabled cert-id\n"
"                                       totp=new|none\n"
"  sekictl user import [--ignore-extra-columns] FILE.csv | export\n"
"                                       (Documentation/admin/csv.md)\n" },
	{ "group", ska_group, "user groups: factors, addresses, DNS, routes, proxy",
"  sekictl group add NAME [KEY=VALUE...]   group del|show NAME   group list\n"
"  sekictl group set NAME KEY=VALUE...  factors pool4 pool6 dns wins domain\n"
"      split-include split-exclude split-dns proxy proxy-pac proxy-server\n"
"      proxy-exclude idle-timeout session-timeout max-sessions max-devices\n"
"      access-hours policy lang banner label mtu   (a list: a,b,c; '' clears)\n"
"      cert-only-ok=yes|no   allow factors=cert alone (see sekishod-security.md)\n"
"      a new group has max-sessions=3 (0 = unlimited)\n" },
	{ "policy", ska_policy, "allowlist policies of the store (kernel: kpolicy)",
"  sekictl policy add NAME [--description TEXT]   policy del|show NAME   policy list\n"
"  sekictl policy rule add NAME [--at N] allow|deny [PROTO] PREFIX [port N[-M]]\n"
"  sekictl policy rule del NAME N     sekictl policy rule move NAME FROM TO\n" },
	{ "device", ska_device, "registered devices and their assignment",
"  sekictl device add NAME --type windows|mac|ios|android --method serial|mac [--id X]\n"
"                    [--policy P] [--disabled] [--no-check]\n"
"                    (--id: required for mac; a serial device without one waits\n"
"                    for auto-registration, settings device.auto_register)\n"
"  sekictl device del|show NAME      sekictl device list [--user U]\n"
"  sekictl device set NAME KEY=VALUE...   type method id policy enabled check\n"
"  sekictl device assign|unassign USER DEVICE\n"
"  sekictl device import [--ignore-extra-columns] FILE.csv\n" },
	{ "ca", ska_ca, "the built-in certificate authority",
"  sekictl ca init [--cn NAME] [--days N] [--force]     sekictl ca show\n" },
	{ "cert", ska_cert, "client certificates issued by the CA",
"  sekictl cert issue USER DEVICE [--days N] --out FILE.p12   (password on stdin)\n"
"  sekictl cert revoke SERIAL        sekictl cert list [--user U]\n" },
	{ "profile", ska_profile, "profile download links mailed to users",
"  sekictl profile send|resend USER DEVICE [--days 1..30] [--downloads 1..5|unlimited]\n"
"  sekictl profile list [--all]   (--all: also the links a resend replaced)\n" },
	{ "settings", ska_settings, "gateway settings",
"  sekictl settings show [KEY]       sekictl settings set KEY VALUE\n"
"  sekictl settings set KEY -         (one line of standard input; required for\n"
"  sekictl settings set KEY --file PATH   secrets such as smtp.password)\n" },
	{ "session", ska_session, "VPN sessions",
"  sekictl session list     sekictl session show ID     sekictl session kill ID\n" },
	{ "source", ska_source, "login failures per source address, and blocks",
"  sekictl source list                sekictl source unblock ADDRESS\n"
"      (a source is an IPv4 address or an IPv6 /64; settings lockout.source_*,\n"
"      source.never_block)\n" },
	{ "directory", ska_directory, "LDAP / Active Directory and RADIUS directories",
"  sekictl directory list | show NAME | del NAME\n"
"  sekictl directory add|set NAME KEY=VALUE... [--bind-password-stdin|--bind-password-file F]\n"
"      (type uri tls allow-plain ca-file bind-dn base filter mail-attr name-attr\n"
"       timeout nested lockout-threshold recheck-interval; KEY= removes a key)\n"
"  sekictl directory add|set NAME type=radius server=HOST[:PORT]... [timeout=S]\n"
"      [retries=N] [nas-identifier=ID] [framed-ip=yes|no] [accounting=yes|no]\n"
"      [interim-interval=S] [--secret-stdin|--secret-file F]\n"
"  sekictl directory map NAME GROUP DN    sekictl directory unmap NAME GROUP\n"
"      (RADIUS: directory map NAME GROUP class=V | filter-id=V | fortinet-group=V)\n"
"  sekictl directory use NAME|none GROUP  sekictl directory test NAME USER [--password-stdin]\n" },
	{ "radius", ska_radius, "what a RADIUS directory would decide for a user",
"  sekictl radius test [--directory NAME] USER   (the password, then each challenge\n"
"      answer, one per line of standard input)\n" },
	{ "posture", ska_posture, "device posture policy of groups and devices; report test",
"  sekictl posture show GROUP | --device NAME    (every key, its value, where it is set)\n"
"  sekictl posture set GROUP | --device NAME KEY=VALUE...\n"
"  sekictl posture unset GROUP | --device NAME KEY...   (back to the group's or default)\n"
"  sekictl posture test REPORT-FILE|- --group G [--device D] [--at DATE] [--json]\n"
"      evaluates a host scan report: exit 0 allowed, 1 refused or quarantined,\n"
"      2 usage error or a report that does not parse (Documentation/admin/posture.md)\n" },
	{ "audit", ska_audit_cmd, "the audit trail",
"  sekictl audit list|export [--since D] [--until D] [--user U] [--device D]\n"
"                            [--type T] [--limit N]    (export: JSON lines)\n"
"  sekictl audit prune [--before D]   delete the records older than\n"
"      audit.retention_days (or D), first exported to audit.export_dir when set\n" },
};
#define NNOUNS (sizeof(nouns) / sizeof(nouns[0]))

bool sk_admin_is_noun(const char *noun)
{
	size_t i;

	for (i = 0; i < NNOUNS; i++)
		if (!strcmp(noun, nouns[i].noun))
			return true;
	return false;
}

void sk_admin_help(FILE *f)
{
	size_t i;

	fprintf(f, "store commands (through sekishod's control socket, or --store PATH):\n");
	for (i = 0; i < NNOUNS; i++)
		fprintf(f, "  %-8s %s\n", nouns[i].noun, nouns[i].summary);
	fputc('\n', f);
	for (i = 0; i < NNOUNS; i++)
		fputs(nouns[i].help, f);
	fprintf(f, "  every listing takes --json\n");
}

int sk_admin_exec(struct sk_store *st, const struct sk_admin_caller *who,
		  struct sk_admin_io *io, int argc, char **argv,
		  struct sk_admin_effects *fx)
{
	struct ska a = { .st = st, .who = who, .io = io, .fx = fx, .now = time(NULL) };
	size_t i;
	int rc;

	if (argc < 1)
		return 2;
	/* every word an administrator gives is text before any command sees
	 * it: valid UTF-8, no control characters (lib/sktext.h); only a
	 * group's banner=... may span lines.  The store checks each field
	 * again; this gives one clear usage error for all of them. */
	for (i = 0; i < (size_t)argc; i++) {
		const char *why = sk_text_check(argv[i], SKA_REQ_MAX, !strncmp(argv[i], "banner=", 7));

		if (why) {
			char shown[96];

			sk_text_escape(argv[i], shown, sizeof(shown));
			fprintf(io->err, "sekictl: %s: argument %zu \"%s\": %s; names and values are "
				"UTF-8 text without control characters (only banner= may span lines)\n",
				i ? argv[0] : "command", i + 1, shown, why);
			return 2;
		}
	}
	for (i = 0; i < NNOUNS; i++) {
		if (strcmp(argv[0], nouns[i].noun))
			continue;
		if (argc > 1 && ska_is_help(argv[1])) {
			fputs(nouns[i].help, io->out);
			return 0;
		}
		snprintf(a.what, sizeof(a.what), "%s", argv[0]);
		rc = nouns[i].run(&a, argc - 1, argv + 1);
		if (rc)	/* refused: nothing changed, but who tried what is kept */
			ska_audit_refused(&a, rc);
		fflush(io->out);
		fflush(io->err);
		return rc;
	}
	fprintf(io->err, "sekictl: unknown command '%s'\n", argv[0]);
	return 2;
}
