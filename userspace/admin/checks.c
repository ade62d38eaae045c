// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of the admin commands that look beyond one object (issue 14,
 * "Administrator fixes"): the URL scheme of each URL setting, two groups
 * whose address pools overlap, one MAC address on two devices, a
 * valid-until in the past, the audit types `audit list --type` knows, and
 * the audit record of a refused command.  The store checks each object on
 * its own (store/validate.c); these need the other objects or the
 * command's intent, so they run here, inside the command's transaction.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "admin_int.h"
#include "skparse.h"
#include "sktext.h"

/* ------------------------------------------------------------ URL settings */

static const struct { const char *key, *schemes[3], *example; } url_keys[] = {
	{ "smtp.url", { "smtp://", "smtps://", NULL }, "smtp://mail.example.jp:587" },
	/* the links carry a download token: never over plain http */
	{ "profile.base_url", { "https://", NULL, NULL }, "https://vpn.example.jp" },
};

int ska_check_setting(struct ska *a, const char *key, const char *val)
{
	for (size_t i = 0; i < sizeof(url_keys) / sizeof(url_keys[0]); i++) {
		const char *rest = NULL;
		char shown[96], want[32] = "";

		if (strcmp(key, url_keys[i].key) || !*val)
			continue;
		for (int k = 0; k < 3 && url_keys[i].schemes[k]; k++) {
			size_t n = strlen(url_keys[i].schemes[k]);

			if (!strncasecmp(val, url_keys[i].schemes[k], n))
				rest = val + n;
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
				 k ? " / " : "", url_keys[i].schemes[k]);
		}
		sk_text_escape(val, shown, sizeof(shown));
		if (!rest)
			return ska_usage(a, "%s: '%s' does not start with %s; for example %s\n"
					 "  %s: '%s' は %s で始まる URL ではありません（例：%s）",
					 key, shown, want, url_keys[i].example, key, shown, want,
					 url_keys[i].example);
		if (!*rest || *rest == '/' || *rest == ':' || strpbrk(rest, " \"<>\\"))
			return ska_usage(a, "%s: '%s' has no host name after %.*s, or a blank or "
					 "one of \" < > \\; for example %s\n"
					 "  %s: '%s' にホスト名がないか、空白や \" < > \\ を含みます（例：%s）",
					 key, shown, (int)(rest - val), val, url_keys[i].example,
					 key, shown, url_keys[i].example);
	}
	return 0;
}

/* ------------------------------------------------------------------- pools */

struct pool_scan {
	const struct sk_group *g;
	char *err;
	size_t errlen;
	int rc;
};

static bool overlap(const char *a, const char *b, int family)
{
	struct sk_prefix p, q;
	char e[SK_ERRLEN];
	int len;

	if (!*a || !*b || sk_parse_prefix(a, &p, e, sizeof(e)) ||
	    sk_parse_prefix(b, &q, e, sizeof(e)) || p.addr.family != family ||
	    q.addr.family != family)
		return false;
	/* two prefixes overlap when the shorter one contains the other */
	len = p.len < q.len ? p.len : q.len;
	for (int i = 0; i < len / 8; i++)
		if (p.addr.a[i] != q.addr.a[i])
			return false;
	if (len % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - len % 8));

		if ((p.addr.a[len / 8] & m) != (q.addr.a[len / 8] & m))
			return false;
	}
	return true;
}

static int pool_each(const struct sk_group *o, void *arg)
{
	struct pool_scan *s = arg;
	const char *fam = NULL, *mine = NULL, *theirs = NULL;

	if (s->rc || !strcmp(o->name, s->g->name))
		return 0;
	if (overlap(s->g->pool4, o->pool4, AF_INET)) {
		fam = "pool4";
		mine = s->g->pool4;
		theirs = o->pool4;
	} else if (overlap(s->g->pool6, o->pool6, AF_INET6)) {
		fam = "pool6";
		mine = s->g->pool6;
		theirs = o->pool6;
	}
	if (!fam)
		return 0;
	s->rc = sk_err(s->err, s->errlen,
		       "%s %s overlaps %s %s of group %s: the two groups would hand out the same "
		       "addresses; give each group a range of its own / %s %s はグループ %s の %s %s "
		       "と重なっています。同じアドレスが二人に割り当てられるため、グループごとに別の範囲を"
		       "指定してください", fam, mine, fam, theirs, o->name, fam, mine, o->name, fam,
		       theirs);
	return 0;
}

int ska_check_pools(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen)
{
	struct pool_scan s = { g, err, errlen, 0 };
	int rc;

	if (!g->pool4[0] && !g->pool6[0])
		return 0;
	rc = sk_group_list(st, pool_each, &s);
	return rc ? rc : s.rc;
}

/* --------------------------------------------------------------------- MACs */

/* 12 lower-case hex digits of a MAC address in any usual form, or "" */
static void mac_key(const char *s, char out[13])
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ':' || *s == '-' || *s == '.')
			continue;
		if (!isxdigit((unsigned char)*s) || n == 12) {
			n = 0;
			break;
		}
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n == 12 ? 12 : 0] = '\0';
}

struct mac_scan {
	const struct sk_device *d;
	char key[13];
	char *err;
	size_t errlen;
	int rc;
};

static int mac_each(const struct sk_device *o, void *arg)
{
	struct mac_scan *s = arg;
	char k[13];

	if (s->rc || o->method != SK_DEVM_MAC || !strcmp(o->name, s->d->name))
		return 0;
	mac_key(o->ident, k);
	if (strcmp(k, s->key))
		return 0;
	s->rc = sk_err(s->err, s->errlen,
		       "MAC address %s is already device %s's: one machine is one device (remove "
		       "or change %s first) / MAC アドレス %s はすでに端末 %s に登録されています"
		       "（先に %s を削除するか変更してください）", o->ident, o->name, o->name,
		       o->ident, o->name, o->name);
	return 0;
}

int ska_check_mac(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen)
{
	struct mac_scan s = { d, "", err, errlen, 0 };
	int rc;

	if (d->method != SK_DEVM_MAC)
		return 0;
	mac_key(d->ident, s.key);
	if (!s.key[0])
		return 0;	/* not a MAC: the store says so */
	rc = sk_device_list(st, NULL, mac_each, &s);
	return rc ? rc : s.rc;
}

/* -------------------------------------------------------------- valid-until */

void ska_warn_past(struct ska *a, const char *user, int64_t valid_until)
{
	char t[40];

	if (!valid_until || valid_until >= a->now)
		return;
	ska_fmt_time(valid_until, t, sizeof(t));
	fprintf(a->io->err, "sekictl: %s: warning: valid-until %s of %s is in the past: %s cannot "
		"log in (a typo in the year?)\n"
		"sekictl: %s: 警告: %s の valid-until %s は過去の日時です。%s はログインできません"
		"（年の誤りではありませんか）\n", a->what, t, user, user, a->what, user, t, user);
}

/* -------------------------------------------------------------- audit types */

/* every type the audit trail holds (Documentation/admin/logging.md) */
static const char *const audit_types[] = {
	"login", "factor", "otp-sent", "notify", "session-start", "session-end", "connect",
	"admin", "profile-download", "worker-protocol", "hostscan", "posture",
	"device-register", "daemon", "audit-prune",
	"directory-recheck",
	/* several gateways (decisions/gateway-heartbeat.md) */
	"gateway", "session-moved",
};

int ska_check_audit_type(struct ska *a, const char *type)
{
	char list[512] = "", shown[96];

	for (size_t i = 0; i < sizeof(audit_types) / sizeof(audit_types[0]); i++) {
		if (!strcmp(type, audit_types[i]))
			return 0;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? " " : "",
			 audit_types[i]);
	}
	sk_text_escape(type, shown, sizeof(shown));
	return ska_usage(a, "--type: unknown audit type '%s'; types: %s\n"
			 "  --type: 監査ログの種類 '%s' はありません。種類: %s", shown, list, shown,
			 list);
}

/* ---------------------------------------------------------- refused commands */

void ska_audit_refused(struct ska *a, int status)
{
	struct sk_audit r = { .time = a->now };
	FILE *f;

	snprintf(r.type, sizeof(r.type), "admin");
	snprintf(r.actor, sizeof(r.actor), "%s", a->who->name);
	snprintf(r.result, sizeof(r.result), "%s", status == 2 ? "refused-usage" : "refused");
	/* the command's name only ("user add"), never its other words: a
	 * refused line may hold what must not be kept (a secret given on the
	 * command line is refused, and must not be recorded either) */
	f = fmemopen(r.detail, sizeof(r.detail) - 1, "w");
	if (!f)
		return;
	fputs("{\"command\":", f);
	sk_json_escape(f, a->what);
	fprintf(f, ",\"status\":%d}", status);
	fclose(f);
	(void)sk_audit_add(a->st, &r);
}
