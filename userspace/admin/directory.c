// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl directory: LDAP / Active Directory directories (store:
 * sk_directory_*; the client: auth/ldap.c; Documentation/admin/directory.md).
 *   directory list | show NAME
 *   directory add NAME KEY=VALUE... [--bind-password-stdin | --bind-password-file F]
 *   directory set NAME KEY=VALUE... [the same]        (KEY= removes the key)
 *   directory del NAME
 *   directory map NAME GROUP DN       directory unmap NAME GROUP
 *   directory use NAME|none GROUP     (the directory that checks GROUP's passwords)
 *   directory test NAME USER [--password-stdin]
 *   radius test [--directory NAME] USER     (password and challenge answers on stdin)
 * The service password (bind-password) and a RADIUS directory's shared
 * secret (secret) are secrets: only from standard input or a file, never
 * listed, "(changed)" in the audit trail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "skauth.h"
#include "skldap.h"
#include "skradius.h"
#include "sktext.h"

#define SECRET_KEY "bind-password"
#define RADIUS_SECRET_KEY "secret"

struct dir_show { struct ska_obj *o; bool has_pw; };

/* ska_obj keeps the key pointer: a static copy of a stored key */
static const char *static_key(const char *key)
{
	static const char *const maps[SK_LDAP_MAPS_MAX] = {
		"map-01", "map-02", "map-03", "map-04", "map-05", "map-06", "map-07", "map-08",
		"map-09", "map-10", "map-11", "map-12", "map-13", "map-14", "map-15", "map-16",
		"map-17", "map-18", "map-19", "map-20", "map-21", "map-22", "map-23", "map-24",
		"map-25", "map-26", "map-27", "map-28", "map-29", "map-30", "map-31", "map-32",
	};
	const char *k;

	for (int i = 0; (k = sk_ldap_key(i)); i++)
		if (!strcmp(k, key))
			return k;
	for (int i = 0; (k = sk_radius_key(i)); i++)
		if (!strcmp(k, key))
			return k;
	for (int i = 0; i < SK_LDAP_MAPS_MAX; i++)
		if (!strcmp(maps[i], key))
			return maps[i];
	return NULL;
}

static int show_fn(const char *key, const char *val, void *arg)
{
	struct dir_show *s = arg;
	const char *k = static_key(key);

	if (!strcmp(key, SECRET_KEY) || !strcmp(key, RADIUS_SECRET_KEY))
		s->has_pw = true;
	else if (k)
		ska_obj_add(s->o, k, KT_STR, "%s", val);
	return 0;
}

struct group_using { struct ska *a; const char *dir; char list[1024]; };

static int using_fn(const struct sk_group *g, void *arg)
{
	struct group_using *u = arg;
	char d[SK_NAME_MAX + 1];
	size_t used = strlen(u->list);

	if (!sk_group_directory_get(u->a->st, g->name, d, sizeof(d)) && !strcmp(d, u->dir))
		snprintf(u->list + used, sizeof(u->list) - used, "%s%s", used ? "," : "", g->name);
	return 0;
}

/* the directory as a field list (never the service password) */
static int dir_obj(struct ska *a, const char *name, struct ska_obj *o)
{
	struct dir_show s = { .o = o };
	struct group_using u = { .a = a, .dir = name };
	int rc;

	ska_obj_add(o, "name", KT_STR, "%s", name);
	rc = sk_directory_settings(a->st, name, show_fn, &s);
	if (rc)
		return rc;
	ska_obj_add(o, sk_ldap_dir_type(a->st, name) == SK_LDAP_RADIUS ? RADIUS_SECRET_KEY :
		    SECRET_KEY, KT_STR, "%s", s.has_pw ? "(set)" : "(not set)");
	(void)sk_group_list(a->st, using_fn, &u);
	ska_obj_add(o, "groups", KT_LIST, "%s", u.list);
	return 0;
}

static int list_fn(const char *name, void *arg)
{
	struct ska_list *l = arg;
	struct ska_obj o = { 0 };

	if (dir_obj(l->a, name, &o)) {
		ska_obj_free(&o);
		return 0;
	}
	if (l->j) {
		ska_obj_json(l->j, NULL, &o, NULL, 0);
	} else {
		const char *t = ska_obj_get(&o, "type"), *u = ska_obj_get(&o, "uri");

		if (!u)
			u = ska_obj_get(&o, "server");	/* a RADIUS directory */

		if (!l->n)
			fprintf(l->a->io->out, "%-16s %-9s %-40s %s\n", "NAME", "TYPE", "URI", "GROUPS");
		fprintf(l->a->io->out, "%-16s %-9s %-40s %s\n", name, t ? t : "-", u ? u : "-",
			ska_obj_get(&o, "groups") && *ska_obj_get(&o, "groups") ?
			ska_obj_get(&o, "groups") : "-");
	}
	l->n++;
	ska_obj_free(&o);
	return 0;
}

/* one line of standard input or of a file, for a secret */
static int read_line(struct ska *a, const char *what, const char *file, char *buf, size_t len)
{
	FILE *f = a->io->in;
	size_t n;
	bool ok;

	if (file) {
		if (a->io->remote)
			return ska_usage(a, "%s: the file is read by sekictl, not by the daemon: "
					 "give it on standard input instead", what);
		f = fopen(file, "re");
		if (!f)
			return ska_fail(a, "%s: %s", file, strerror(errno));
	}
	ok = f && fgets(buf, (int)len, f);
	if (file)
		fclose(f);
	if (!ok)
		return ska_usage(a, "%s: expected it as the first line of %s", what,
				 file ? file : "standard input");
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n == len - 1)
		return sk_wipe(buf, len), ska_usage(a, "%s: longer than %zu bytes", what, len - 2);
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

struct kvset {
	struct ska *a;
	const char *name;
	bool add;
	int n;
	char key[16][32];
	const char *val[16];
	char *secret;			/* the service password / shared secret, or NULL */
	const char *secret_key;		/* bind-password, or secret for RADIUS */
	char servers[SK_TEXT_MAX];	/* RADIUS: server= given several times, joined */
	char *before, *after;
	char err[SKA_ERR];
};

static int kvset_apply(struct sk_store *st, void *arg)
{
	struct kvset *k = arg;
	int rc = 0;

	if (k->add)
		rc = sk_directory_add(st, k->name, k->err, sizeof(k->err));
	for (int i = 0; !rc && i < k->n; i++)
		rc = sk_directory_set(st, k->name, k->key[i], k->val[i], k->err, sizeof(k->err));
	if (!rc && k->secret)
		rc = sk_directory_set(st, k->name, k->secret_key, k->secret, k->err, sizeof(k->err));
	if (rc)
		return rc;
	return ska_audit(k->a, k->before, k->after, NULL, NULL);
}

/* the changes as JSON for the audit trail: the secret only as "(changed)" */
static char *kv_json(const struct kvset *k, bool after)
{
	struct ska_obj o = { 0 };
	char *s;

	ska_obj_add(&o, "directory", KT_STR, "%s", k->name);
	for (int i = 0; after && i < k->n; i++)
		ska_obj_add(&o, k->key[i], KT_STR, "%s", k->val[i] ? k->val[i] : "");
	if (after && k->secret)
		ska_obj_add(&o, k->secret_key, KT_STR, "(changed)");
	s = ska_obj_json_text(&o, NULL, 0);
	ska_obj_free(&o);
	return s;
}

struct old_val { const char *key; char val[SK_TEXT_MAX]; bool found; };

static int old_fn(const char *key, const char *val, void *arg)
{
	struct old_val *o = arg;

	if (!strcmp(key, o->key)) {
		snprintf(o->val, sizeof(o->val), "%s", val);
		o->found = true;
	}
	return 0;
}

/* our lockout below the directory's own: refuse a lockout-threshold our
 * lockout.threshold does not stay under */
static int lockout_ok(struct ska *a, const char *val)
{
	int dir = atoi(val), ours = sk_setting_int(a->st, "lockout.threshold", 10);

	if (dir > 0 && (ours <= 0 || ours >= dir))
		return ska_fail(a, "lockout-threshold %d: sekisho's lockout.threshold (%d%s) must be "
				"below it, or an attacker could lock accounts in the directory through "
				"the gateway: set lockout.threshold to %d or less first\n"
				"  ディレクトリのロックアウト閾値 %d より sekisho の lockout.threshold (%d) を"
				"小さくしてください（先に lockout.threshold を %d 以下に設定）",
				dir, ours, ours <= 0 ? ", never" : "", dir - 1, dir, ours, dir - 1);
	return 0;
}

/* a RADIUS directory: type=radius among the arguments of add, or the
 * stored type of set */
static bool is_radius(struct ska *a, const char *name, bool add, int argc, char **argv)
{
	if (!add)
		return sk_ldap_dir_type(a->st, name) == SK_LDAP_RADIUS;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "type=radius"))
			return true;
	return false;
}

static int setting_check(bool radius, const char *key, const char *val, char *err, size_t errlen)
{
	return radius ? sk_radius_setting_check(key, val, err, errlen) :
	       sk_ldap_setting_check(key, val, err, errlen);
}

static int cmd_kvset(struct ska *a, int argc, char **argv, bool add)
{
	struct kvset k = { .a = a, .add = add };
	char secret[SK_LDAP_SECRET_MAX + 2];
	const char *pwfile = NULL, *opt_stdin, *opt_file;
	bool pwstdin = false, radius;
	int rc, i, srv = -1;

	if (argc < 2)
		return ska_usage(a, "expected: directory %s NAME KEY=VALUE... "
				 "[--bind-password-stdin | --bind-password-file PATH] "
				 "(RADIUS: [--secret-stdin | --secret-file PATH])", argv[0]);
	k.name = argv[1];
	radius = is_radius(a, k.name, add, argc, argv);
	k.secret_key = radius ? RADIUS_SECRET_KEY : SECRET_KEY;
	opt_stdin = radius ? "--secret-stdin" : "--bind-password-stdin";
	opt_file = radius ? "--secret-file" : "--bind-password-file";	/* ska_opt: without -- */
	for (i = 2; i < argc; i++) {
		const char *v;
		int o;

		if (!strcmp(argv[i], opt_stdin)) {
			pwstdin = true;
			continue;
		}
		if ((o = ska_opt(a, argc, argv, &i, opt_file + 2, &pwfile)) != 0) {
			if (o < 0)
				return 2;
			continue;
		}
		if (!strncmp(argv[i], "--", 2))
			return ska_usage(a, "%s: not an option of a%s directory (its secret: %s or %s)",
					 argv[i], radius ? " RADIUS" : "n LDAP", opt_stdin, opt_file);
		if (k.n >= 16)
			return ska_usage(a, "at most 16 KEY=VALUE in one command");
		if (ska_kv(a, argv[i], k.key[k.n], &v))
			return 2;
		if (!strcmp(k.key[k.n], k.secret_key))
			return ska_usage(a, "%s is a secret and is not taken on the command line (ps "
					 "shows it to every user): give %s or %s PATH\n"
					 "  %s は秘密のため、コマンドラインでは受け付けません。"
					 "%s か %s PATH を指定してください", k.secret_key, opt_stdin,
					 opt_file, k.secret_key, opt_stdin, opt_file);
		if (*v && setting_check(radius, k.key[k.n], v, k.err, sizeof(k.err)))
			return ska_usage(a, "%s", k.err);
		if (!radius && !strcmp(k.key[k.n], "lockout-threshold") && *v && lockout_ok(a, v))
			return 1;
		if (radius && !strcmp(k.key[k.n], "server") && *v) {
			/* server=A server=B: the servers in that order */
			size_t used = strlen(k.servers);

			snprintf(k.servers + used, sizeof(k.servers) - used, "%s%s", used ? " " : "", v);
			if (setting_check(true, "server", k.servers, k.err, sizeof(k.err)))
				return ska_usage(a, "%s", k.err);
			if (srv >= 0)
				continue;
			srv = k.n;
			v = k.servers;
		}
		k.val[k.n++] = *v ? v : NULL;
	}
	if (pwstdin && pwfile)
		return ska_usage(a, "give %s or %s, not both", opt_stdin, opt_file);
	if (pwstdin || pwfile) {
		if ((rc = read_line(a, k.secret_key, pwfile, secret, sizeof(secret))))
			return rc;
		if (!*secret || setting_check(radius, k.secret_key, secret, k.err, sizeof(k.err))) {
			sk_wipe(secret, sizeof(secret));
			return ska_usage(a, "%s: %s", k.secret_key, *secret ? k.err : "empty");
		}
		k.secret = secret;
	}
	if (!add && !k.n && !k.secret)
		return ska_usage(a, "nothing to set: give KEY=VALUE or %s", opt_stdin);
	k.before = add ? NULL : kv_json(&k, false);
	k.after = kv_json(&k, true);
	/* the old values, for the message */
	struct old_val old[16];

	for (i = 0; i < k.n; i++) {
		old[i] = (struct old_val){ .key = k.key[i] };
		if (!add)
			(void)sk_directory_settings(a->st, k.name, old_fn, &old[i]);
	}
	if (!add) {
		struct ska_obj o = { 0 };

		rc = dir_obj(a, k.name, &o);
		ska_obj_free(&o);
		if (rc) {
			free(k.before);
			free(k.after);
			if (k.secret)
				sk_wipe(secret, sizeof(secret));
			return ska_store_fail(a, rc, k.name, rc == -ENOENT ?
					      "no such directory (sekictl directory list)" : "");
		}
	}
	rc = ska_tx(a, kvset_apply, &k);
	free(k.before);
	free(k.after);
	if (k.secret)
		sk_wipe(secret, sizeof(secret));
	if (rc)
		return ska_store_fail(a, rc, k.name, k.err);
	if (add)
		fprintf(a->io->out, "directory %s: added\n", k.name);
	for (i = 0; i < k.n; i++)
		fprintf(a->io->out, "directory %s: %s %s -> %s\n", k.name, k.key[i],
			old[i].found ? old[i].val : "(none)", k.val[i] ? k.val[i] : "(none)");
	if (k.secret)
		fprintf(a->io->out, "directory %s: %s changed\n", k.name, k.secret_key);
	/* usable as a whole? say what is missing, without refusing the step */
	struct sk_ldap_cfg *c = calloc(1, sizeof(*c));

	if (c) {
		if (sk_ldap_cfg_load(a->st, k.name, c, NULL, k.err, sizeof(k.err)))
			fprintf(a->io->out, "directory %s: not usable yet: %s\n", k.name, k.err);
		sk_ldap_cfg_wipe(c);
		free(c);
	}
	return 0;
}

struct simple_tx { struct ska *a; const char *name, *group; char *before, *after; int op; };

static int simple_apply(struct sk_store *st, void *arg)
{
	struct simple_tx *s = arg;
	int rc = s->op == 0 ? sk_directory_del(st, s->name) :
		 sk_group_directory_set(st, s->group, s->name);

	return rc ? rc : ska_audit(s->a, s->before, s->after, NULL, NULL);
}

static int cmd_map(struct ska *a, int argc, char **argv, bool add)
{
	struct kvset k = { .a = a };
	char dn[SK_TEXT_MAX], val[SK_TEXT_MAX];
	int rc, i, found = 0;

	if ((add && argc < 4) || (!add && argc != 3))
		return ska_usage(a, add ? "expected: directory map NAME GROUP DN (the DN may be "
				 "several arguments; RADIUS: KIND=VALUE, KIND class, filter-id or "
				 "fortinet-group)" : "expected: directory unmap NAME GROUP");
	k.name = argv[1];
	if (add) {
		struct sk_group g;

		dn[0] = '\0';
		for (i = 3; i < argc; i++)
			snprintf(dn + strlen(dn), sizeof(dn) - strlen(dn), "%s%s", i > 3 ? " " : "",
				 argv[i]);
		snprintf(val, sizeof(val), "%s %s", argv[2], dn);
		if (setting_check(sk_ldap_dir_type(a->st, k.name) == SK_LDAP_RADIUS, "map-01", val,
				  k.err, sizeof(k.err)))
			return ska_usage(a, "%s", k.err);
		if (sk_group_get(a->st, argv[2], &g))
			return ska_fail(a, "no group '%s' (sekictl group list)", argv[2]);
	}
	/* the map keys as they are */
	for (i = 1; i <= SK_LDAP_MAPS_MAX; i++) {
		struct old_val o = { .key = NULL };
		char key[8];

		snprintf(key, sizeof(key), "map-%02d", i);
		o.key = key;
		rc = sk_directory_settings(a->st, k.name, old_fn, &o);
		if (rc)
			return ska_store_fail(a, rc, k.name, rc == -ENOENT ?
					      "no such directory (sekictl directory list)" : "");
		if (add && !o.found) {
			snprintf(k.key[0], sizeof(k.key[0]), "%s", key);
			k.val[0] = val;
			k.n = 1;
			break;
		}
		if (!add && o.found && !strncmp(o.val, argv[2], strlen(argv[2])) &&
		    o.val[strlen(argv[2])] == ' ' && k.n < 16) {
			snprintf(k.key[k.n], sizeof(k.key[0]), "%s", key);
			k.val[k.n++] = NULL;
			found++;
		}
	}
	if (add && !k.n)
		return ska_fail(a, "directory %s: already %d map rules", k.name, SK_LDAP_MAPS_MAX);
	if (!add && !found)
		return ska_fail(a, "directory %s: no rule maps to group %s", k.name, argv[2]);
	k.before = kv_json(&k, false);
	k.after = kv_json(&k, true);
	rc = ska_tx(a, kvset_apply, &k);
	free(k.before);
	free(k.after);
	if (rc)
		return ska_store_fail(a, rc, k.name, k.err);
	if (add)
		fprintf(a->io->out, "directory %s: %s: %s %s may use group %s\n", k.name, k.key[0],
			strchr(dn, '=') && sk_radius_kind_from_name(dn, (size_t)(strchr(dn, '=') - dn)) ?
			"users whose answer carries" : "members of", dn, argv[2]);
	else
		fprintf(a->io->out, "directory %s: %d rule%s to group %s removed\n", k.name, found,
			found == 1 ? "" : "s", argv[2]);
	return 0;
}

static bool state_refused(const struct sk_ldap_result *r)
{
	return r->state.disabled || r->state.locked || r->state.expired;
}

static void state_line(struct ska *a, const struct sk_ldap_result *r)
{
	fprintf(a->io->out, "account state: %s%s%s%s%s%s\n",
		r->state.disabled ? "disabled " : "", r->state.locked ? "locked " : "",
		r->state.expired ? "expired " : "",
		r->state.pw_expired ? "password-expired " : "",
		r->state.must_change ? "must-change-password " : "",
		state_refused(r) || r->state.pw_expired || r->state.must_change ? "" : "ok");
}

/* ---------------------------------------------------------------- RADIUS */

struct one_radius { struct ska *a; char name[SK_NAME_MAX + 1]; int n; };

static int one_radius_fn(const char *name, void *arg)
{
	struct one_radius *o = arg;

	if (sk_ldap_dir_type(o->a->st, name) == SK_LDAP_RADIUS && !o->n++)
		snprintf(o->name, sizeof(o->name), "%s", name);
	return 0;
}

static void radius_answer(struct ska *a, const struct sk_radius_result *r)
{
	fprintf(a->io->out, "server: %s\nanswer: %s\n", r->server,
		r->outcome == SK_RADIUS_ACCEPT ? "Access-Accept" :
		r->outcome == SK_RADIUS_REJECT ? "Access-Reject" : "Access-Challenge");
	if (r->prompt[0]) {
		char shown[SK_RADIUS_PROMPT_MAX * 4];

		/* a Reply-Message may hold line feeds: one line here */
		sk_text_escape(r->prompt, shown, sizeof(shown));
		fprintf(a->io->out, "message: %s\n", shown);
	}
	for (int i = 0; i < r->n_values; i++)
		fprintf(a->io->out, "attribute: %s=%s\n", sk_radius_kind_name(r->values[i].kind),
			r->values[i].value);
	if (r->dropped)
		fprintf(a->io->out, "attributes left out (not valid text, too long or too many): %d\n",
			r->dropped);
	if (r->bad_answers)
		fprintf(a->io->out, "answers dropped (authenticator checks): %d\n", r->bad_answers);
}

/*
 * What sekisho would decide for USER of a RADIUS directory: the password on
 * the first line of standard input; an Access-Challenge is answered with
 * the next line (again for each challenge), or ends the test saying so.
 */
static int radius_test(struct ska *a, const char *dir, const char *user)
{
	struct sk_radius_cfg *c = calloc(1, sizeof(*c));
	struct sk_radius_result *r = calloc(1, sizeof(*r));
	char err[SKA_ERR], pw[SK_RADIUS_PW_MAX + 2], acc[SK_NAME_MAX + 1];
	int rc, rounds = 0;

	if (!c || !r) {
		free(c);
		free(r);
		return ska_fail(a, "out of memory");
	}
	if (a->io->remote) {
		rc = ska_usage(a, "radius test contacts the RADIUS servers and so is not run by the "
			       "daemon: run it with --store (sekictl --store STORE radius test ...)");
		goto out;
	}
	if ((rc = sk_radius_cfg_load(a->st, dir, c, err, sizeof(err)))) {
		rc = ska_fail(a, "directory %s: %s", dir, err);
		goto out;
	}
	if (sk_ldap_normalize(user, acc, sizeof(acc), err, sizeof(err))) {
		rc = ska_fail(a, "%s: %s (a login with this name is refused)", dir, err);
		goto out;
	}
	if ((rc = read_line(a, "password", NULL, pw, sizeof(pw))))
		goto out;
	fprintf(a->io->out, "directory: %s (radius)\naccount: %s\n", dir, acc);
	rc = sk_radius_start(c, acc, pw, r, err, sizeof(err));
	while (!rc && r->outcome == SK_RADIUS_CHALLENGE && rounds++ < 8) {
		radius_answer(a, r);
		if (!a->io->in || !fgets(pw, sizeof(pw), a->io->in) || !pw[0] || pw[0] == '\n') {
			fprintf(a->io->out, "decision: a challenge: the login form would ask the user "
				"for it (give the answer as the next line of standard input)\n");
			rc = 1;
			goto out;
		}
		pw[strcspn(pw, "\r\n")] = '\0';
		rc = sk_radius_cont(c, acc, r->state, r->state_len, pw, r, err, sizeof(err));
	}
	if (rc) {
		rc = ska_fail(a, "directory %s: %s", dir, err);
		goto out;
	}
	radius_answer(a, r);
	fprintf(a->io->out, "sekisho groups: ");
	for (int i = 0; i < r->n_mapped; i++)
		fprintf(a->io->out, "%s%s", i ? ", " : "", r->mapped[i]);
	fprintf(a->io->out, "%s\n", r->n_mapped ? "" : r->outcome == SK_RADIUS_ACCEPT ?
		"(none: a login would be refused)" : "(none)");
	if (r->outcome == SK_RADIUS_ACCEPT)
		fprintf(a->io->out, "framed IP: %s\n", r->has_framed_ip ? r->framed_ip :
			"(none: the group's pool)");
	fprintf(a->io->out, "decision: %s\n", r->outcome == SK_RADIUS_REJECT ?
		"refused (wrong password or unknown user)" : r->outcome == SK_RADIUS_CHALLENGE ?
		"refused (more than 8 challenges)" : !r->n_mapped ? "refused (no mapped group)" :
		"would log in");
	rc = r->outcome == SK_RADIUS_ACCEPT && r->n_mapped ? 0 : 1;
out:
	sk_wipe(pw, sizeof(pw));
	sk_radius_cfg_wipe(c);
	free(c);
	sk_wipe(r, sizeof(*r));
	free(r);
	return rc;
}

int ska_radius(struct ska *a, int argc, char **argv)
{
	struct one_radius o = { .a = a };
	const char *dir = NULL;
	int i = 1, rc;

	snprintf(a->what, sizeof(a->what), "radius %s", argc > 0 ? argv[0] : "");
	if (argc < 1 || strcmp(argv[0], "test"))
		return ska_usage(a, "expected: radius test [--directory NAME] USER "
				 "(the password on standard input)");
	if (i < argc && (rc = ska_opt(a, argc, argv, &i, "directory", &dir)) != 0) {
		if (rc < 0)
			return 2;
		i++;
	}
	if (i != argc - 1)
		return ska_usage(a, "expected: radius test [--directory NAME] USER "
				 "(the password on standard input)");
	if (!dir) {
		(void)sk_directory_list(a->st, one_radius_fn, &o);
		if (o.n != 1)
			return ska_usage(a, o.n ? "%d RADIUS directories: name one with --directory NAME" :
					 "no RADIUS directory (sekictl directory add NAME type=radius "
					 "server=HOST --secret-stdin)%.0d", o.n);
		dir = o.name;
	} else if (sk_ldap_dir_type(a->st, dir) != SK_LDAP_RADIUS) {
		return ska_fail(a, "%s is not a RADIUS directory (sekictl directory list)", dir);
	}
	return radius_test(a, dir, argv[i]);
}

static int cmd_test(struct ska *a, int argc, char **argv)
{
	struct sk_ldap_cfg *c;
	struct sk_ldap_result *r;
	char err[SKA_ERR], pw[1026];
	bool with_pw = false;
	int rc, i;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--password-stdin")))
		return ska_usage(a, "expected: directory test NAME USER [--password-stdin]");
	if (sk_ldap_dir_type(a->st, argv[1]) == SK_LDAP_RADIUS) {
		if (argc != 4)
			return ska_usage(a, "a RADIUS directory checks a password: directory test "
					 "NAME USER --password-stdin");
		return radius_test(a, argv[1], argv[2]);
	}
	if (a->io->remote)
		return ska_usage(a, "directory test contacts the directory and so is not run by the "
				 "daemon: run it with --store (sekictl --store STORE directory test ...)");
	if (argc == 4) {
		if ((rc = read_line(a, "password", NULL, pw, sizeof(pw))))
			return rc;
		with_pw = true;
	}
	c = calloc(1, sizeof(*c));
	r = calloc(1, sizeof(*r));
	if (!c || !r) {
		free(c);
		free(r);
		return ska_fail(a, "out of memory");
	}
	rc = sk_ldap_cfg_load(a->st, argv[1], c, NULL, err, sizeof(err));
	if (rc) {
		rc = ska_fail(a, "directory %s: %s", argv[1], err);
		goto out;
	}
	rc = sk_ldap_check(c, argv[2], with_pw ? pw : NULL, r, err, sizeof(err));
	if (r->dn[0] || !rc) {
		fprintf(a->io->out, "server: %s\naccount: %s\ndn: %s\nmail: %s\ndisplay name: %s\n",
			r->uri, r->account, r->dn, r->mail[0] ? r->mail : "(none)",
			r->display[0] ? r->display : "(none)");
		for (i = 0; i < r->n_groups; i++)
			fprintf(a->io->out, "directory group: %s\n", r->groups[i]);
		fprintf(a->io->out, "sekisho groups: ");
		for (i = 0; i < r->n_mapped; i++)
			fprintf(a->io->out, "%s%s", i ? ", " : "", r->mapped[i]);
		fprintf(a->io->out, "%s\n", r->n_mapped ? "" : "(none: a login would be refused)");
		state_line(a, r);
		if (r->dropped)
			fprintf(a->io->out, "values left out (not valid text or too long): %d\n",
				r->dropped);
	}
	if (rc) {
		rc = ska_fail(a, "directory %s: %s", argv[1], err);
		goto out;
	}
	fprintf(a->io->out, "password: %s\n", with_pw ? "accepted" : "not checked (--password-stdin)");
	fprintf(a->io->out, "decision: %s\n", !r->n_mapped ? "refused (no mapped group)" :
		state_refused(r) ? "refused (account state)" :
		r->state.pw_expired || r->state.must_change ?
		"the new-password form, then the password is changed in the directory" :
		with_pw ? "would log in" : "would log in with the right password");
	rc = 0;
out:
	sk_wipe(pw, sizeof(pw));
	sk_ldap_cfg_wipe(c);
	free(c);
	sk_wipe(r, sizeof(*r));
	free(r);
	return rc;
}

int ska_directory(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct sk_json j;
	int rc;

	snprintf(a->what, sizeof(a->what), "directory %s", verb);
	if (!strcmp(verb, "list")) {
		struct ska_list l = { a, NULL, 0 };

		if (argc > 1)
			return ska_usage(a, "unexpected argument '%s'", argv[1]);
		ska_list_begin(a, &j, &l.j);
		rc = sk_directory_list(a->st, list_fn, &l);
		return ska_list_end(a, l.j, l.n, rc, "directories");
	}
	if (!strcmp(verb, "show")) {
		struct ska_obj o = { 0 };

		if (argc != 2)
			return ska_usage(a, "expected: directory show NAME");
		rc = dir_obj(a, argv[1], &o);
		if (rc) {
			ska_obj_free(&o);
			return ska_store_fail(a, rc, argv[1], rc == -ENOENT ?
					      "no such directory (sekictl directory list)" : "");
		}
		ska_obj_show(a, &o);
		return 0;
	}
	if (!strcmp(verb, "add") || !strcmp(verb, "set"))
		return cmd_kvset(a, argc, argv, !strcmp(verb, "add"));
	if (!strcmp(verb, "map") || !strcmp(verb, "unmap"))
		return cmd_map(a, argc, argv, !strcmp(verb, "map"));
	if (!strcmp(verb, "del") || !strcmp(verb, "use")) {
		struct simple_tx s = { .a = a, .op = verb[0] == 'u' };
		struct ska_obj o = { 0 };

		if ((!s.op && argc != 2) || (s.op && argc != 3))
			return ska_usage(a, s.op ? "expected: directory use NAME|none GROUP" :
					 "expected: directory del NAME");
		s.name = s.op && !strcmp(argv[1], "none") ? NULL : argv[1];
		s.group = s.op ? argv[2] : NULL;
		ska_obj_add(&o, s.op ? "group" : "directory", KT_STR, "%s", s.op ? s.group : s.name);
		if (s.op)
			ska_obj_add(&o, "directory", KT_STR, "%s", s.name ? s.name : "");
		s.after = s.op ? ska_obj_json_text(&o, NULL, 0) : NULL;
		s.before = s.op ? NULL : ska_obj_json_text(&o, NULL, 0);
		ska_obj_free(&o);
		rc = ska_tx(a, simple_apply, &s);
		free(s.before);
		free(s.after);
		if (rc == -EBUSY)
			return ska_fail(a, "directory %s is still used: by a group (sekictl directory "
					"use none GROUP) or by user records made for it (delete those "
					"users first)", s.name);
		if (rc)
			return ska_store_fail(a, rc, s.op ? s.group : s.name, rc == -ENOENT ?
					      "no such directory or group" : "");
		if (s.op)
			fprintf(a->io->out, "group %s: passwords checked by %s\n", s.group,
				s.name ? s.name : "sekisho (local accounts; directory.default when set)");
		else
			fprintf(a->io->out, "directory %s: deleted\n", s.name);
		return 0;
	}
	if (!strcmp(verb, "test"))
		return cmd_test(a, argc, argv);
	return ska_usage(a, "unknown verb '%s' (list, show, add, set, del, map, unmap, use, test)",
			 verb);
}
