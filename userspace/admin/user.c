// SPDX-License-Identifier: GPL-2.0
/*
 * skadmin: the user and group nouns.
 *
 * A user's "otp" is not a column of its own: a user has a TOTP secret or
 * not, and the group's factor list says whether a one-time code is asked.
 * So "otp" reads "totp" when a secret is enrolled, else "email"; setting
 * otp=totp enrols a new secret (like totp=new), otp=email or otp=none
 * removes it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "skauth.h"

/* ------------------------------------------------------------ field lists */

void ska_user_obj(const struct sk_user *u, struct ska_obj *o)
{
	ska_obj_add(o, "name", KT_STR, "%s", u->name);
	ska_obj_add(o, "display-name", KT_STR, "%s", u->display_name);
	ska_obj_add(o, "email", KT_STR, "%s", u->email);
	ska_obj_add(o, "group", KT_STR, "%s", u->group);
	ska_obj_add(o, "enabled", KT_BOOL, "%s", u->enabled ? "yes" : "no");
	ska_obj_add(o, "locked", KT_BOOL, "%s", u->locked ? "yes" : "no");
	ska_obj_time(o, "locked-until", u->locked_until);
	ska_obj_add(o, "fail-count", KT_NUM, "%d", u->fail_count);
	/* locks since the last good login: the next lock lasts 2^n times
	 * lockout.duration (up to lockout.max_duration) */
	ska_obj_add(o, "lock-count", KT_NUM, "%d", u->lock_count);
	ska_obj_add(o, "password", KT_STR, "%s", u->pw_hash[0] ? "set" : "not set");
	ska_obj_add(o, "must-change-password", KT_BOOL, "%s", u->must_change_pw ? "yes" : "no");
	ska_obj_time(o, "valid-from", u->valid_from);
	ska_obj_time(o, "valid-until", u->valid_until);
	ska_obj_add(o, "otp", KT_STR, "%s", u->totp_secret[0] ? "totp" : "email");
	ska_obj_add(o, "totp", KT_STR, "%s", u->totp_secret[0] ? "enrolled" : "none");
	ska_obj_add(o, "lang", KT_STR, "%s", ska_lang_name(u->lang));
	ska_obj_add(o, "cert-id", KT_STR, "%s", u->cert_id);
	ska_obj_add(o, "uid", KT_STR, "%s", u->uid);	/* in its certificates (read only) */
	ska_obj_time(o, "created", u->created);
	ska_obj_time(o, "changed", u->changed);
}

static void join_list(char *buf, size_t len, const void *items, size_t stride, int n)
{
	size_t off = 0;
	int i;

	*buf = '\0';
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				(const char *)items + i * stride);
}

void ska_group_obj(const struct sk_group *g, struct ska_obj *o)
{
	char buf[SK_LIST_MAX * SK_NAME_MAX * 4 + SK_LIST_MAX];
	size_t off = 0;
	int i;

	ska_obj_add(o, "name", KT_STR, "%s", g->name);
	ska_obj_add(o, "label", KT_STR, "%s", g->label);
	buf[0] = '\0';
	for (i = 0; i < SK_FACTORS_MAX && g->factors[i] != SK_FACTOR_NONE; i++) {
		const char *n = sk_factor_name(g->factors[i]);

		off += snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "", n ? n : "?");
	}
	ska_obj_add(o, "factors", KT_LIST, "%s", buf);
	ska_obj_add(o, "pool4", KT_STR, "%s", g->pool4);
	ska_obj_add(o, "pool6", KT_STR, "%s", g->pool6);
	ska_obj_add(o, "dns", KT_LIST, "%s%s%s", g->dns[0], g->dns[0][0] && g->dns[1][0] ? "," : "",
		    g->dns[1]);
	ska_obj_add(o, "wins", KT_STR, "%s", g->wins);
	ska_obj_add(o, "domain", KT_STR, "%s", g->domain);
	join_list(buf, sizeof(buf), g->split_inc, sizeof(g->split_inc[0]), g->n_split_inc);
	ska_obj_add(o, "split-include", KT_LIST, "%s", buf);
	join_list(buf, sizeof(buf), g->split_exc, sizeof(g->split_exc[0]), g->n_split_exc);
	ska_obj_add(o, "split-exclude", KT_LIST, "%s", buf);
	join_list(buf, sizeof(buf), g->split_dns, sizeof(g->split_dns[0]), g->n_split_dns);
	ska_obj_add(o, "split-dns", KT_LIST, "%s", buf);
	ska_obj_add(o, "proxy", KT_STR, "%s", sk_proxy_mode_name(g->proxy_mode) ?
		    sk_proxy_mode_name(g->proxy_mode) : "?");
	ska_obj_add(o, "proxy-pac", KT_STR, "%s", g->proxy_pac);
	ska_obj_add(o, "proxy-server", KT_STR, "%s", g->proxy_server);
	ska_obj_add(o, "proxy-exclude", KT_STR, "%s", g->proxy_exclude);
	ska_obj_add(o, "idle-timeout", KT_NUM, "%d", g->idle_timeout);
	ska_obj_add(o, "session-timeout", KT_NUM, "%d", g->session_timeout);
	ska_obj_add(o, "max-sessions", KT_NUM, "%d", g->max_sessions);
	ska_obj_add(o, "max-devices", KT_NUM, "%d", g->max_devices);
	ska_obj_add(o, "access-hours", KT_STR, "%s", g->access_hours);
	ska_obj_add(o, "policy", KT_STR, "%s", g->policy);
	ska_obj_add(o, "lang", KT_STR, "%s", ska_lang_name(g->lang));
	ska_obj_add(o, "banner", KT_STR, "%s", g->banner);
	ska_obj_add(o, "mtu", KT_NUM, "%d", g->mtu);
	ska_obj_add(o, "cert-only-ok", KT_BOOL, "%s", g->cert_only_ok ? "yes" : "no");
}

/* ------------------------------------------------------------------ users */

static const char *const user_keys[] = {
	"display-name", "email", "group", "valid-from", "valid-until", "otp", "totp", "lang",
	"enabled", "cert-id", "locked", "locked-until", "fail-count", "lock-count", "password",
	"must-change-password",
};
#define N_USER_KEYS ((int)(sizeof(user_keys) / sizeof(user_keys[0])))

/* Ends every live session of user (store: killed; daemon: fx->kill). */
static int kill_sessions_of(struct ska *a, const char *user);

struct sess_kill { struct ska *a; const char *user; int64_t ids[SKA_KILL_MAX]; int n; };

static int collect_sessions(const struct sk_session *s, void *arg)
{
	struct sess_kill *k = arg;

	if (!strcmp(s->user, k->user) && !s->killed && k->n < SKA_KILL_MAX)
		k->ids[k->n++] = s->id;
	return 0;
}

static int kill_sessions_of(struct ska *a, const char *user)
{
	struct sess_kill k = { .a = a, .user = user };
	int i, rc;

	rc = sk_session_list(a->st, collect_sessions, &k);
	for (i = 0; !rc && i < k.n; i++) {
		struct sk_session s;

		if (sk_session_get(a->st, k.ids[i], &s))
			continue;
		s.killed = true;
		rc = sk_session_update(a->st, &s);
		if (!rc && a->fx->n_kill < SKA_KILL_MAX)
			a->fx->kill[a->fx->n_kill++] = s.id;
		if (!rc)
			ska_said(a, "session %lld (user %s): killed",
				 "セッション %lld（ユーザー %s）を切断しました", (long long)s.id, user);
	}
	return rc;
}

int ska_totp_uri(struct ska *a, const char *user, const char *secret)
{
	char issuer[SK_NAME_MAX * 2] = "sekisho";
	const unsigned char *p;
	FILE *f = a->io->out;

	if (sk_setting_get(a->st, "gateway.name", issuer, sizeof(issuer)) || !issuer[0])
		snprintf(issuer, sizeof(issuer), "sekisho");
	/* otpauth://totp/ISSUER:USER?secret=..&issuer=.. with percent-encoding */
	fputs("otpauth://totp/", f);
	for (p = (const unsigned char *)issuer; *p; p++)
		fprintf(f, isalnum(*p) || strchr("-._~", *p) ? "%c" : "%%%02X", *p);
	fputs(":", f);
	for (p = (const unsigned char *)user; *p; p++)
		fprintf(f, isalnum(*p) || strchr("-._~", *p) ? "%c" : "%%%02X", *p);
	fprintf(f, "?secret=%s&issuer=", secret);
	for (p = (const unsigned char *)issuer; *p; p++)
		fprintf(f, isalnum(*p) || strchr("-._~", *p) ? "%c" : "%%%02X", *p);
	fputs("&algorithm=SHA1&digits=6&period=30\n", f);
	fprintf(a->io->err, "sekictl: %s: the URI above is shown once; give it to the user "
		"(QR code or text) now\n", a->what);
	return 0;
}

/* Applies one key=value to u; returns 0, or 2 after a usage message. */
static int user_set_key(struct ska *a, struct sk_user *u, const char *key, const char *val,
			bool *new_totp)
{
	int v;

	if (!strcmp(key, "email")) {
		if (strlen(val) > SK_EMAIL_MAX)
			return ska_usage(a, "email: longer than %d characters", SK_EMAIL_MAX);
		snprintf(u->email, sizeof(u->email), "%s", val);
	} else if (!strcmp(key, "display-name")) {
		char why[SKA_ERR];

		if (sk_valid_display_name(val, why, sizeof(why)))
			return ska_usage(a, "%s", why);
		snprintf(u->display_name, sizeof(u->display_name), "%s", val);
	} else if (!strcmp(key, "group")) {
		if (strlen(val) > SK_NAME_MAX)
			return ska_usage(a, "group: name too long");
		snprintf(u->group, sizeof(u->group), "%s", val);
	} else if (!strcmp(key, "valid-from") || !strcmp(key, "valid-until")) {
		bool until = key[6] == 'u';

		if (ska_parse_time(val, until, until ? &u->valid_until : &u->valid_from))
			return ska_usage(a, "%s: expected YYYY-MM-DD, ISO 8601 or none, got '%s'",
					 key, val);
	} else if (!strcmp(key, "otp") || !strcmp(key, "totp")) {
		if (!strcmp(val, "totp") || !strcmp(val, "new")) {
			*new_totp = true;
		} else if (!strcmp(val, "email") || !strcmp(val, "none")) {
			sk_wipe(u->totp_secret, sizeof(u->totp_secret));
			u->totp_secret[0] = '\0';
			u->totp_last_step = 0;
			*new_totp = false;
		} else {
			return ska_usage(a, "%s: expected %s, got '%s'", key,
					 key[0] == 'o' ? "email, totp or none" : "new or none", val);
		}
	} else if (!strcmp(key, "lang")) {
		if ((v = ska_lang_from(val)) < 0)
			return ska_usage(a, "lang: expected ja, en or auto, got '%s'", val);
		u->lang = v;
	} else if (!strcmp(key, "enabled")) {
		if (ska_parse_bool(val, &u->enabled))
			return ska_usage(a, "enabled: expected yes or no, got '%s'", val);
	} else if (!strcmp(key, "cert-id")) {
		if (strlen(val) > SK_NAME_MAX)
			return ska_usage(a, "cert-id: longer than %d characters", SK_NAME_MAX);
		snprintf(u->cert_id, sizeof(u->cert_id), "%s", val);
	} else {
		return ska_usage(a, "unknown key '%s' (display-name, email, group, valid-from, "
				 "valid-until, otp, lang, enabled, cert-id, totp)", key);
	}
	return 0;
}

/*
 * A change to an existing user is computed from the record read inside the
 * write transaction (edit != NULL re-reads it there), not from the copy read
 * to validate the command: otherwise two sekictl processes could each write
 * back a whole record holding the other's old values (a "set email" undoing
 * a concurrent "lock"), and the audit trail's "before" would be stale.
 */
struct user_tx {
	struct ska *a;
	struct sk_user u, before;
	bool kill;
	bool reset_locks;	/* unlock: the growing lock starts again */
	int (*edit)(struct user_tx *t);
	int argc;		/* user set: the KEY=VALUE arguments */
	char **argv;
	bool new_totp;		/* ... and the secret made for totp=new */
	char totp_secret[sizeof(((struct sk_user *)0)->totp_secret)];
	char err[SKA_ERR];
};

static int user_add_apply(struct sk_store *st, void *arg)
{
	struct user_tx *t = arg;
	struct ska_obj o = { 0 };
	char *aj;
	int rc;

	rc = sk_user_add(st, &t->u, t->err, sizeof(t->err));
	if (rc)
		return rc;
	ska_user_obj(&t->u, &o);
	aj = ska_obj_json_text(&o, NULL, 0);
	rc = ska_audit(t->a, NULL, aj, t->u.name, NULL);
	free(aj);
	ska_obj_free(&o);
	return rc;
}

static int user_update_apply(struct sk_store *st, void *arg)
{
	struct user_tx *t = arg;
	struct ska_obj b = { 0 }, c = { 0 };
	int rc;

	if (t->edit) {
		rc = sk_user_get(st, t->u.name, &t->before);
		if (rc)
			return rc;
		t->u = t->before;
		rc = t->edit(t);
		if (rc)
			return rc;
	}
	rc = sk_user_update(st, &t->u, t->err, sizeof(t->err));
	if (!rc && t->reset_locks)
		rc = sk_user_success(st, t->u.name);	/* fail_count = lock_count = 0 */
	if (rc)
		return rc;
	if (t->kill)
		rc = kill_sessions_of(t->a, t->u.name);
	if (rc)
		return rc;
	ska_user_obj(&t->before, &b);
	ska_user_obj(&t->u, &c);
	ska_report_changes(t->a, "user", t->u.name, &b, &c, user_keys, N_USER_KEYS,
			   t->u.name, NULL);
	ska_obj_free(&b);
	ska_obj_free(&c);
	return 0;
}

static int user_del_apply(struct sk_store *st, void *arg)
{
	struct user_tx *t = arg;
	struct ska_obj o = { 0 };
	char *bj;
	int rc;

	rc = kill_sessions_of(t->a, t->u.name);
	if (!rc)
		rc = sk_user_del(st, t->u.name);
	if (rc)
		return rc;
	ska_user_obj(&t->u, &o);
	bj = ska_obj_json_text(&o, NULL, 0);
	rc = ska_audit(t->a, bj, NULL, t->u.name, NULL);
	free(bj);
	ska_obj_free(&o);
	return rc;
}

struct pw_tx { struct ska *a; const char *name; char hash[SK_PW_HASH_MAX]; bool must; };

static int user_pw_apply(struct sk_store *st, void *arg)
{
	struct pw_tx *t = arg;
	char after[96];
	int rc;

	rc = sk_user_set_password(st, t->name, t->hash, t->must);
	if (rc)
		return rc;
	/* never the hash itself in the audit trail */
	snprintf(after, sizeof(after), "{\"password\":\"set\",\"must-change-password\":%s}",
		 t->must ? "true" : "false");
	return ska_audit(t->a, NULL, after, t->name, NULL);
}

struct user_list { struct ska *a; struct sk_json *j; const char *group; int n; };

static int user_each(const struct sk_user *u, void *arg)
{
	struct user_list *l = arg;
	struct ska_obj o = { 0 };
	char until[40];

	if (l->group && strcmp(l->group, u->group))
		return 0;
	if (l->j) {
		ska_user_obj(u, &o);
		ska_obj_json(l->j, NULL, &o, NULL, 0);
		ska_obj_free(&o);
	} else {
		if (!l->n)
			fprintf(l->a->io->out, "%-20s %-16s %-9s %-10s %-25s %-32s %s\n", "NAME",
				"GROUP", "STATE", "OTP", "VALID-UNTIL", "EMAIL", "DISPLAY-NAME");
		ska_fmt_time(u->valid_until, until, sizeof(until));
		/* the display name last: its characters may be of double width */
		fprintf(l->a->io->out, "%-20s %-16s %-9s %-10s %-25s %-32s %s\n", u->name, u->group,
			u->locked ? "locked" : u->enabled ? "enabled" : "disabled",
			u->totp_secret[0] ? "totp" : "email", until[0] ? until : "-", u->email,
			u->display_name[0] ? u->display_name : "-");
	}
	l->n++;
	return 0;
}

/* reads one line (the new password) from in, without its newline */
static int read_secret_line(FILE *in, char *buf, size_t len)
{
	size_t n;

	if (!in || !fgets(buf, (int)len, in))
		return -ENODATA;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n == len - 1)
		return -E2BIG;
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

static int user_new_totp(struct ska *a, struct sk_user *u)
{
	if (sk_totp_new_secret(u->totp_secret, sizeof(u->totp_secret)))
		return ska_fail(a, "cannot create a TOTP secret");
	u->totp_last_step = 0;
	return 0;
}

static int user_lock_edit(struct user_tx *t)
{
	t->u.locked = true;
	t->u.locked_until = 0;
	t->kill = true;
	t->u.changed = t->a->now;
	return 0;
}

static int user_unlock_edit(struct user_tx *t)
{
	t->u.locked = false;
	t->u.locked_until = 0;
	t->u.fail_count = 0;
	/* an administrator who unlocks starts the lock's growth again */
	t->u.lock_count = 0;
	t->reset_locks = true;
	t->u.changed = t->a->now;
	return 0;
}

/* applies the KEY=VALUE arguments; 2 after a usage message */
static int user_set_edit(struct user_tx *t)
{
	bool new_totp = false;
	int i, rc;

	for (i = 0; i < t->argc; i++) {
		const char *val;
		char key[32];

		if ((rc = ska_kv(t->a, t->argv[i], key, &val)) ||
		    (rc = user_set_key(t->a, &t->u, key, val, &new_totp)))
			return rc;
	}
	t->new_totp = new_totp;
	if (new_totp && !t->totp_secret[0]) {
		/* the check before the transaction makes the secret ... */
		if ((rc = user_new_totp(t->a, &t->u)))
			return rc;
		memcpy(t->totp_secret, t->u.totp_secret, sizeof(t->totp_secret));
	} else if (new_totp) {
		/* ... and the transaction stores the same one */
		memcpy(t->u.totp_secret, t->totp_secret, sizeof(t->u.totp_secret));
		t->u.totp_last_step = 0;
	}
	/* a disabled user's sessions end now */
	t->kill = !t->u.enabled && t->before.enabled;
	t->u.changed = t->a->now;
	return 0;
}

int ska_user(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct user_tx t = { .a = a };
	struct sk_json j;
	int i, rc, m;

	snprintf(a->what, sizeof(a->what), "user %s", verb);
	if (!strcmp(verb, "list")) {
		struct user_list l = { a, NULL, NULL, 0 };
		if ((rc = ska_only_opt(a, argc, argv, "group", &l.group)))
			return rc;
		ska_list_begin(a, &j, &l.j);
		rc = sk_user_list(a->st, user_each, &l);
		return ska_list_end(a, l.j, l.n, rc, "users");
	}
	if (!strcmp(verb, "export")) {
		if (argc > 1)
			return ska_usage(a, "unexpected argument '%s'", argv[1]);
		return ska_user_export(a);
	}
	if (!strcmp(verb, "import")) {
		bool extra = argc == 3 && !strcmp(argv[1], "--ignore-extra-columns");

		if (argc != 2 + extra)
			return ska_usage(a, "expected: user import [--ignore-extra-columns] FILE.csv "
					 "(or - for stdin)");
		return ska_user_import(a, argv[1 + extra], extra);
	}
	if (!strcmp(verb, "add")) {
		const char *v;
		bool new_totp = false;

		if (argc < 2 || argv[1][0] == '-')
			return ska_usage(a, "expected: user add NAME --email E --group G "
					 "[--display-name N] [...]");
		if (strlen(argv[1]) > SK_NAME_MAX)
			return ska_usage(a, "name longer than %d characters", SK_NAME_MAX);
		snprintf(t.u.name, sizeof(t.u.name), "%s", argv[1]);
		t.u.enabled = true;
		for (i = 2; i < argc; i++) {
			static const char *const opts[] = { "email", "group", "valid-from",
				"valid-until", "otp", "lang", "cert-id", "display-name" };
			size_t k;

			for (k = 0, m = 0; k < sizeof(opts) / sizeof(opts[0]) && !m; k++) {
				m = ska_opt(a, argc, argv, &i, opts[k], &v);
				if (m < 0)
					return 2;
				if (m && (rc = user_set_key(a, &t.u, opts[k], v, &new_totp)))
					return rc;
			}
			if (!m)
				return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
		if (!t.u.email[0] || !t.u.group[0])
			return ska_usage(a, "--email and --group are required");
		if (new_totp && (rc = user_new_totp(a, &t.u)))
			return rc;
		t.u.created = t.u.changed = a->now;
		rc = ska_tx(a, user_add_apply, &t);
		if (rc) {
			sk_wipe(&t.u, sizeof(t.u));
			return ska_store_fail(a, rc, t.u.name[0] ? argv[1] : argv[1], t.err);
		}
		ska_said(a, "user %s: added (group %s, email %s%s%s)",
			 "ユーザー %s を追加しました（グループ %s、メール %s%s%s）", t.u.name, t.u.group,
			 t.u.email, t.u.display_name[0] ? a->io->ja ? "、氏名 " : ", display name " : "",
			 t.u.display_name);
		ska_warn_past(a, t.u.name, t.u.valid_until);
		if (new_totp)
			ska_totp_uri(a, t.u.name, t.u.totp_secret);
		if (!t.u.pw_hash[0])
			ska_said(a, "user %s: no password yet; set one with 'sekictl user passwd %s'",
				 "ユーザー %s にはまだパスワードがありません。'sekictl user passwd %s' で"
				 "設定してください", t.u.name, t.u.name);
		sk_wipe(&t.u, sizeof(t.u));
		a->fx->users_changed = true;
		return 0;
	}

	/* the verbs below take NAME */
	if (strcmp(verb, "del") && strcmp(verb, "show") && strcmp(verb, "passwd") &&
	    strcmp(verb, "lock") && strcmp(verb, "unlock") && strcmp(verb, "set"))
		return ska_usage(a, "unknown verb '%s' (add, del, list, show, passwd, lock, "
				 "unlock, set, import, export)", verb);
	if (argc < 2)
		return ska_usage(a, "expected: user %s NAME", verb);
	rc = sk_user_get(a->st, argv[1], &t.u);
	if (rc)
		return ska_store_fail(a, rc, argv[1], rc != -ENOENT ? "" : a->io->ja ?
				      "そのユーザーは存在しません" : "no such user");
	t.before = t.u;

	if (!strcmp(verb, "show")) {
		struct ska_obj o = { 0 };

		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		ska_user_obj(&t.u, &o);
		ska_obj_show(a, &o);
		rc = 0;
	} else if (!strcmp(verb, "del")) {
		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		int ncert = ska_valid_certs(a, argv[1], NULL);

		rc = ska_tx(a, user_del_apply, &t);
		if (rc == -EBUSY)
			rc = ska_fail(a, "%s: still has devices or certificates; unassign them first",
				      argv[1]);
		else if (rc)
			rc = ska_store_fail(a, rc, argv[1], t.err);
		else
			ska_said(a, "user %s: deleted", "ユーザー %s を削除しました", argv[1]);
		/* the store revoked the certificates and expired the links
		 * with the user; the CRL and the packages follow */
		if (!rc && ncert)
			fprintf(a->io->out, "user %s: %d certificate%s revoked, profile links "
				"expired\n", argv[1], ncert, ncert == 1 ? "" : "s");
		if (!rc)
			rc = ska_revoked(a);
		a->fx->users_changed = !rc || a->fx->users_changed;
	} else if (!strcmp(verb, "passwd")) {
		struct pw_tx p = { .a = a, .name = argv[1], .must = true };
		struct sk_pw_params cost;
		char pw[256];
		const char *why = NULL;

		for (i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--no-change-required"))
				p.must = false;
			else
				return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
		rc = read_secret_line(a->io->in, pw, sizeof(pw));
		if (rc) {
			sk_wipe(pw, sizeof(pw));
			return ska_usage(a, "%s", rc == -E2BIG ? "password longer than 254 bytes" :
					 "expected the new password on standard input");
		}
		if (sk_pw_policy(argv[1], pw, &why)) {
			sk_wipe(pw, sizeof(pw));
			return ska_fail(a, "%s: password refused (%s): %s", argv[1], why ? why : "policy",
					sk_msg(why && !strcmp(why, "too-short") ? "pw-too-short" :
					       why && !strcmp(why, "same-as-user") ? "pw-same-as-user" :
					       "pw-too-simple", NULL));
		}
		sk_pw_params_load(a->st, &cost);
		rc = sk_pw_hash(pw, &cost, p.hash, sizeof(p.hash));
		sk_wipe(pw, sizeof(pw));
		if (rc)
			return ska_fail(a, "%s: cannot hash the password (%s)", argv[1], strerror(-rc));
		rc = ska_tx(a, user_pw_apply, &p);
		sk_wipe(p.hash, sizeof(p.hash));
		if (rc)
			return ska_store_fail(a, rc, argv[1], "");
		ska_said(a, "user %s: password set%s", "ユーザー %s のパスワードを設定しました%s", argv[1],
			 !p.must ? "" : a->io->ja ? "（次回ログイン時に変更が必要です）" :
			 " (must be changed at the next login)");
		a->fx->users_changed = true;
		rc = 0;
	} else if (!strcmp(verb, "lock") || !strcmp(verb, "unlock")) {
		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		t.edit = verb[0] == 'l' ? user_lock_edit : user_unlock_edit;
		rc = ska_tx(a, user_update_apply, &t);
		if (rc)
			rc = ska_store_fail(a, rc, argv[1], t.err);
		else
			a->fx->users_changed = true;
	} else {	/* set */
		bool had_totp;

		if (argc < 3)
			return ska_usage(a, "expected: user set NAME KEY=VALUE...");
		/* check the arguments on the copy read above, before any write */
		t.argc = argc - 2;
		t.argv = argv + 2;
		if ((rc = user_set_edit(&t))) {
			sk_wipe(t.totp_secret, sizeof(t.totp_secret));
			return rc;
		}
		t.edit = user_set_edit;
		rc = ska_tx(a, user_update_apply, &t);
		had_totp = t.before.totp_secret[0];
		sk_wipe(t.totp_secret, sizeof(t.totp_secret));
		if (rc > 0) {
			;	/* a usage message was printed */
		} else if (rc) {
			rc = ska_store_fail(a, rc, argv[1], t.err);
		} else {
			if (t.new_totp) {
				if (had_totp)
					fprintf(a->io->out, "user %s: totp enrolled -> enrolled (new secret)\n",
						t.u.name);
				ska_totp_uri(a, t.u.name, t.u.totp_secret);
			}
			if (t.u.valid_until != t.before.valid_until)
				ska_warn_past(a, t.u.name, t.u.valid_until);
			a->fx->users_changed = true;
		}
	}
	sk_wipe(&t.u, sizeof(t.u));
	sk_wipe(&t.before, sizeof(t.before));
	return rc;
}

/* ----------------------------------------------------------------- groups */

static const char *const group_keys[] = {
	"label", "factors", "pool4", "pool6", "dns", "wins", "domain", "split-include",
	"split-exclude", "split-dns", "proxy", "proxy-pac", "proxy-server", "proxy-exclude",
	"idle-timeout", "session-timeout", "max-sessions", "max-devices", "access-hours",
	"policy", "lang", "banner", "mtu", "cert-only-ok",
};
#define N_GROUP_KEYS ((int)(sizeof(group_keys) / sizeof(group_keys[0])))

/* splits "a,b,c" into items[max][width]; -1 if too many or too long */
static int split_list(const char *val, char *items, size_t width, int max, int *n)
{
	const char *p = val;

	*n = 0;
	while (*p) {
		size_t l = strcspn(p, ",");

		if (l) {
			if (*n >= max || l >= width)
				return -1;
			memcpy(items + *n * width, p, l);
			items[*n * width + l] = '\0';
			(*n)++;
		}
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

#define COPY_STR(field) do { \
	if (strlen(val) >= sizeof(g->field)) \
		return ska_usage(a, "%s: longer than %zu characters", key, sizeof(g->field) - 1); \
	snprintf(g->field, sizeof(g->field), "%s", val); \
} while (0)

static int group_set_key(struct ska *a, struct sk_group *g, const char *key, const char *val)
{
	long n;
	int v, i;

	if (!strcmp(key, "label")) {
		COPY_STR(label);
	} else if (!strcmp(key, "factors")) {
		char items[SK_FACTORS_MAX + 1][32];

		if (split_list(val, &items[0][0], sizeof(items[0]), SK_FACTORS_MAX, &v))
			return ska_usage(a, "factors: at most %d of cert, password, email-otp, totp",
					 SK_FACTORS_MAX);
		memset(g->factors, 0, sizeof(g->factors));
		for (i = 0; i < v; i++) {
			g->factors[i] = sk_factor_from_name(items[i]);
			if (g->factors[i] == SK_FACTOR_NONE)
				return ska_usage(a, "factors: unknown factor '%s' (cert, password, "
						 "email-otp, totp)", items[i]);
		}
	} else if (!strcmp(key, "pool4")) {
		COPY_STR(pool4);
	} else if (!strcmp(key, "pool6")) {
		COPY_STR(pool6);
	} else if (!strcmp(key, "dns")) {
		char items[3][SK_ADDR_MAX];

		if (split_list(val, &items[0][0], SK_ADDR_MAX, 2, &v))
			return ska_usage(a, "dns: at most two servers (primary,secondary)");
		memset(g->dns, 0, sizeof(g->dns));
		for (i = 0; i < v; i++)
			memcpy(g->dns[i], items[i], SK_ADDR_MAX);
	} else if (!strcmp(key, "wins")) {
		COPY_STR(wins);
	} else if (!strcmp(key, "domain")) {
		COPY_STR(domain);
	} else if (!strcmp(key, "split-include")) {
		if (split_list(val, &g->split_inc[0][0], SK_ADDR_MAX, SK_LIST_MAX, &g->n_split_inc))
			return ska_usage(a, "%s: at most %d prefixes", key, SK_LIST_MAX);
	} else if (!strcmp(key, "split-exclude")) {
		if (split_list(val, &g->split_exc[0][0], SK_ADDR_MAX, SK_LIST_MAX, &g->n_split_exc))
			return ska_usage(a, "%s: at most %d prefixes", key, SK_LIST_MAX);
	} else if (!strcmp(key, "split-dns")) {
		if (split_list(val, &g->split_dns[0][0], sizeof(g->split_dns[0]), SK_LIST_MAX,
			       &g->n_split_dns))
			return ska_usage(a, "%s: at most %d domains", key, SK_LIST_MAX);
	} else if (!strcmp(key, "proxy")) {
		if ((v = sk_proxy_mode_from_name(val)) < 0)
			return ska_usage(a, "proxy: expected client, pac, server or none, got '%s'", val);
		g->proxy_mode = v;
	} else if (!strcmp(key, "proxy-pac")) {
		COPY_STR(proxy_pac);
	} else if (!strcmp(key, "proxy-server")) {
		COPY_STR(proxy_server);
	} else if (!strcmp(key, "proxy-exclude")) {
		COPY_STR(proxy_exclude);
	} else if (!strcmp(key, "banner")) {
		COPY_STR(banner);
	} else if (!strcmp(key, "access-hours")) {
		COPY_STR(access_hours);
	} else if (!strcmp(key, "policy")) {
		COPY_STR(policy);
	} else if (!strcmp(key, "lang")) {
		if ((v = ska_lang_from(val)) < 0)
			return ska_usage(a, "lang: expected ja, en or auto, got '%s'", val);
		g->lang = v;
	} else if (!strcmp(key, "idle-timeout") || !strcmp(key, "session-timeout")) {
		if (ska_parse_int(val, 0, 366L * 86400, &n))
			return ska_usage(a, "%s: expected seconds (0 = none), got '%s'", key, val);
		*(key[0] == 'i' ? &g->idle_timeout : &g->session_timeout) = (int)n;
	} else if (!strcmp(key, "max-sessions")) {
		if (ska_parse_int(val, 0, 1000, &n))
			return ska_usage(a, "%s: expected 0 (unlimited) to 1000, got '%s'", key, val);
		g->max_sessions = (int)n;
	} else if (!strcmp(key, "max-devices")) {
		if (ska_parse_int(val, 1, 100, &n))
			return ska_usage(a, "%s: expected 1 to 100, got '%s'", key, val);
		g->max_devices = (int)n;
	} else if (!strcmp(key, "cert-only-ok")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return ska_usage(a, "%s: expected yes or no, got '%s'", key, val);
		g->cert_only_ok = !strcmp(val, "yes");
	} else if (!strcmp(key, "mtu")) {
		if (ska_parse_int(val, 0, 9000, &n) || (n && n < 576))
			return ska_usage(a, "mtu: expected 0 (automatic) or 576 to 9000, got '%s'", val);
		g->mtu = (int)n;
	} else {
		return ska_usage(a, "unknown key '%s'; keys: label factors pool4 pool6 dns wins "
				 "domain split-include split-exclude split-dns proxy proxy-pac "
				 "proxy-server proxy-exclude idle-timeout session-timeout "
				 "max-sessions max-devices access-hours policy lang banner mtu "
				 "cert-only-ok", key);
	}
	return 0;
}

static int group_kv_args(struct ska *a, struct sk_group *g, int argc, char **argv,
			 bool *policy_changed)
{
	int i, rc;

	for (i = 0; i < argc; i++) {
		const char *val;
		char key[32];

		if ((rc = ska_kv(a, argv[i], key, &val)) || (rc = group_set_key(a, g, key, val)))
			return rc;
		if (!strcmp(key, "policy"))
			*policy_changed = true;
	}
	return 0;
}

struct group_tx {
	struct ska *a;
	struct sk_group g, before;
	int argc;	/* group set: KEY=VALUE arguments, applied in the transaction */
	char **argv;
	char err[SKA_ERR];
};

static int group_add_apply(struct sk_store *st, void *arg)
{
	struct group_tx *t = arg;
	struct ska_obj o = { 0 };
	char *aj;
	int rc;

	rc = ska_check_pools(st, &t->g, t->err, sizeof(t->err));
	if (!rc)
		rc = sk_group_add(st, &t->g, t->err, sizeof(t->err));
	if (rc)
		return rc;
	ska_group_obj(&t->g, &o);
	aj = ska_obj_json_text(&o, NULL, 0);
	rc = ska_audit(t->a, NULL, aj, NULL, NULL);
	free(aj);
	ska_obj_free(&o);
	return rc;
}

static int group_update_apply(struct sk_store *st, void *arg)
{
	struct group_tx *t = arg;
	struct ska_obj b = { 0 }, c = { 0 };
	bool policy;
	int rc;

	/* from the record as it is now (see struct user_tx) */
	rc = sk_group_get(st, t->g.name, &t->before);
	if (rc)
		return rc;
	t->g = t->before;
	rc = group_kv_args(t->a, &t->g, t->argc, t->argv, &policy);
	if (rc)
		return rc;
	rc = ska_check_pools(st, &t->g, t->err, sizeof(t->err));
	if (rc)
		return rc;
	rc = sk_group_update(st, &t->g, t->err, sizeof(t->err));
	if (rc)
		return rc;
	ska_group_obj(&t->before, &b);
	ska_group_obj(&t->g, &c);
	ska_report_changes(t->a, "group", t->g.name, &b, &c, group_keys, N_GROUP_KEYS, NULL, NULL);
	ska_obj_free(&b);
	ska_obj_free(&c);
	return 0;
}

static int group_del_apply(struct sk_store *st, void *arg)
{
	struct group_tx *t = arg;
	struct ska_obj o = { 0 };
	char *bj;
	int rc;

	rc = sk_group_del(st, t->g.name);
	if (rc)
		return rc;
	ska_group_obj(&t->g, &o);
	bj = ska_obj_json_text(&o, NULL, 0);
	rc = ska_audit(t->a, bj, NULL, NULL, NULL);
	free(bj);
	ska_obj_free(&o);
	return rc;
}

static int group_each(const struct sk_group *g, void *arg)
{
	struct ska_list *l = arg;
	struct ska_obj o = { 0 };

	ska_group_obj(g, &o);
	if (l->j) {
		ska_obj_json(l->j, NULL, &o, NULL, 0);
	} else {
		if (!l->n)
			fprintf(l->a->io->out, "%-16s %-28s %-20s %-16s %s\n", "NAME", "FACTORS",
				"POOL4", "POLICY", "MAX-DEVICES");
		fprintf(l->a->io->out, "%-16s %-28s %-20s %-16s %d\n", g->name,
			ska_obj_get(&o, "factors"), g->pool4[0] ? g->pool4 : "-",
			g->policy[0] ? g->policy : "(deny all)", g->max_devices);
	}
	ska_obj_free(&o);
	l->n++;
	return 0;
}

int ska_group(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct group_tx t = { .a = a };
	bool policy_changed = false;
	struct sk_json j;
	int rc;

	snprintf(a->what, sizeof(a->what), "group %s", verb);
	if (!strcmp(verb, "list")) {
		struct ska_list l = { a, NULL, 0 };

		if (argc > 1)
			return ska_usage(a, "unexpected argument '%s'", argv[1]);
		ska_list_begin(a, &j, &l.j);
		rc = sk_group_list(a->st, group_each, &l);
		return ska_list_end(a, l.j, l.n, rc, "groups");
	}
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "show") && strcmp(verb, "set"))
		return ska_usage(a, "unknown verb '%s' (add, del, list, show, set)", verb);
	if (argc < 2 || argv[1][0] == '-' || strchr(argv[1], '='))
		return ska_usage(a, "expected: group %s NAME", verb);
	if (strlen(argv[1]) > SK_NAME_MAX)
		return ska_usage(a, "name longer than %d characters", SK_NAME_MAX);
	if (!strcmp(verb, "add")) {
		sk_group_defaults(&t.g);
		snprintf(t.g.name, sizeof(t.g.name), "%s", argv[1]);
		if ((rc = group_kv_args(a, &t.g, argc - 2, argv + 2, &policy_changed)))
			return rc;
		rc = ska_tx(a, group_add_apply, &t);
		if (rc)
			return ska_store_fail(a, rc, argv[1], t.err);
		ska_said(a, "group %s: added", "グループ %s を追加しました", t.g.name);
		a->fx->users_changed = true;
		return 0;
	}
	rc = sk_group_get(a->st, argv[1], &t.g);
	if (rc)
		return ska_store_fail(a, rc, argv[1], rc != -ENOENT ? "" : a->io->ja ?
				      "そのグループは存在しません" : "no such group");
	t.before = t.g;
	if (!strcmp(verb, "show")) {
		struct ska_obj o = { 0 };

		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		ska_group_obj(&t.g, &o);
		ska_obj_show(a, &o);
		return 0;
	}
	if (!strcmp(verb, "del")) {
		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		rc = ska_tx(a, group_del_apply, &t);
		if (rc == -EBUSY)
			return ska_fail(a, "%s: the group still has users; move or delete them first",
					argv[1]);
		if (rc)
			return ska_store_fail(a, rc, argv[1], t.err);
		ska_said(a, "group %s: deleted", "グループ %s を削除しました", argv[1]);
		a->fx->users_changed = true;
		return 0;
	}
	if (argc < 3)
		return ska_usage(a, "expected: group set NAME KEY=VALUE...");
	t.argc = argc - 2;
	t.argv = argv + 2;
	if ((rc = group_kv_args(a, &t.g, t.argc, t.argv, &policy_changed)))
		return rc;
	rc = ska_tx(a, group_update_apply, &t);
	if (rc > 0)
		return rc;	/* the group changed under us so that an argument no longer fits */
	if (rc)
		return ska_store_fail(a, rc, argv[1], t.err);
	a->fx->users_changed = true;
	if (policy_changed)
		a->fx->policies_changed = true;
	return 0;
}
