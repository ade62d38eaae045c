// SPDX-License-Identifier: GPL-2.0
/*
 * skadmin: the policy (store allowlists) and device nouns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"

/* ---------------------------------------------------------------- policies */

#define RULES_MAX 4096

struct pol_tx {
	struct ska *a;
	const char *name, *desc;
	struct sk_rule rule;
	char text[256];
	int pos, to;
	char err[SKA_ERR];
};

static int json_kv_text(char **out, const char *k1, const char *v1, const char *k2, long v2,
			const char *k3, const char *v3)
{
	size_t len;
	FILE *f = open_memstream(out, &len);

	if (!f)
		return -ENOMEM;
	fputc('{', f);
	sk_json_escape(f, k1);
	fputc(':', f);
	sk_json_escape(f, v1);
	if (k2) {
		fputc(',', f);
		sk_json_escape(f, k2);
		fprintf(f, ":%ld", v2);
	}
	if (k3) {
		fputc(',', f);
		sk_json_escape(f, k3);
		fputc(':', f);
		sk_json_escape(f, v3);
	}
	fputc('}', f);
	fclose(f);
	return 0;
}

static int policy_add_apply(struct sk_store *st, void *arg)
{
	struct pol_tx *t = arg;
	char *aj = NULL;
	int rc;

	rc = sk_policy_add(st, t->name, t->desc ? t->desc : "");
	if (rc)
		return rc;
	json_kv_text(&aj, "name", t->name, NULL, 0, "description", t->desc ? t->desc : "");
	rc = ska_audit(t->a, NULL, aj, NULL, NULL);
	free(aj);
	return rc;
}

static int policy_del_apply(struct sk_store *st, void *arg)
{
	struct pol_tx *t = arg;
	char *bj = NULL;
	int rc;

	rc = sk_policy_del(st, t->name);
	if (rc)
		return rc;
	json_kv_text(&bj, "name", t->name, NULL, 0, NULL, NULL);
	rc = ska_audit(t->a, bj, NULL, NULL, NULL);
	free(bj);
	return rc;
}

static int rule_add_apply(struct sk_store *st, void *arg)
{
	struct pol_tx *t = arg;
	char *aj = NULL;
	int rc;

	rc = sk_rule_add(st, t->name, t->pos, &t->rule);
	if (rc)
		return rc;
	json_kv_text(&aj, "policy", t->name, "position", t->pos, "rule", t->text);
	rc = ska_audit(t->a, NULL, aj, NULL, NULL);
	free(aj);
	return rc;
}

static int rule_del_apply(struct sk_store *st, void *arg)
{
	struct pol_tx *t = arg;
	char *bj = NULL;
	int rc;

	rc = sk_rule_del(st, t->name, t->pos);
	if (rc)
		return rc;
	json_kv_text(&bj, "policy", t->name, "position", t->pos, "rule", t->text);
	rc = ska_audit(t->a, bj, NULL, NULL, NULL);
	free(bj);
	return rc;
}

static int rule_move_apply(struct sk_store *st, void *arg)
{
	struct pol_tx *t = arg;
	char *bj = NULL, *aj = NULL;
	int rc;

	rc = sk_rule_move(st, t->name, t->pos, t->to);
	if (rc)
		return rc;
	json_kv_text(&bj, "policy", t->name, "position", t->pos, "rule", t->text);
	json_kv_text(&aj, "policy", t->name, "position", t->to, "rule", t->text);
	rc = ska_audit(t->a, bj, aj, NULL, NULL);
	free(bj);
	free(aj);
	return rc;
}

static int policy_each(const struct sk_policy *p, void *arg)
{
	struct ska_list *l = arg;

	if (l->j) {
		sk_json_obj_begin(l->j, NULL);
		sk_json_str(l->j, "name", p->name);
		sk_json_u64(l->j, "id", (uint64_t)p->id);
		sk_json_str(l->j, "description", p->description);
		sk_json_u64(l->j, "rules", (uint64_t)p->n_rules);
		sk_json_obj_end(l->j);
	} else {
		if (!l->n)
			fprintf(l->a->io->out, "%-20s %-6s %-6s %s\n", "NAME", "ID", "RULES",
				"DESCRIPTION");
		fprintf(l->a->io->out, "%-20s %-6lld %-6d %s\n", p->name, (long long)p->id,
			p->n_rules, p->description);
	}
	l->n++;
	return 0;
}

int ska_policy_rules(struct sk_store *st, const char *name, struct sk_rule **rules, int *n)
{
	int cap = 64, rc;

	for (;;) {
		*rules = calloc(cap, sizeof(**rules));
		if (!*rules)
			return -ENOMEM;
		*n = cap;
		rc = sk_policy_rules(st, name, *rules, n);
		if (rc || *n <= cap)
			return rc;
		free(*rules);
		if (cap >= RULES_MAX * 16)
			return -E2BIG;
		cap = *n;
	}
}

static int policy_show(struct ska *a, const char *name)
{
	struct sk_policy p;
	struct sk_rule *rules = NULL;
	char text[256];
	struct sk_json j;
	int n = 0, i, rc;

	rc = sk_policy_get(a->st, name, &p);
	if (!rc)
		rc = ska_policy_rules(a->st, name, &rules, &n);
	if (rc) {
		free(rules);
		return ska_store_fail(a, rc, name, rc == -ENOENT ? "no such policy" : "");
	}
	if (a->io->json) {
		sk_json_init(&j, a->io->out);
		sk_json_obj_begin(&j, NULL);
		sk_json_str(&j, "name", p.name);
		sk_json_u64(&j, "id", (uint64_t)p.id);
		sk_json_str(&j, "description", p.description);
		sk_json_arr_begin(&j, "rules");
		for (i = 0; i < n; i++) {
			sk_rule_format(&rules[i], text, sizeof(text));
			sk_json_str(&j, NULL, text);
		}
		sk_json_arr_end(&j);
		sk_json_obj_end(&j);
		fputc('\n', a->io->out);
	} else {
		fprintf(a->io->out, "policy %s (id %lld)%s%s\n", p.name, (long long)p.id,
			p.description[0] ? ": " : "", p.description);
		if (!n)
			fprintf(a->io->out, "  no rules: everything is denied\n");
		for (i = 0; i < n; i++) {
			sk_rule_format(&rules[i], text, sizeof(text));
			fprintf(a->io->out, "  %3d  %s\n", i + 1, text);
		}
	}
	free(rules);
	return 0;
}

/* text of rule number pos (1-based), "" if out of range */
static void rule_text(struct ska *a, const char *name, int pos, char *buf, size_t len)
{
	struct sk_rule *rules = NULL;
	int n = 0;

	*buf = '\0';
	if (!ska_policy_rules(a->st, name, &rules, &n) && pos >= 1 && pos <= n)
		sk_rule_format(&rules[pos - 1], buf, len);
	free(rules);
}

static int policy_rule(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	struct pol_tx t = { .a = a };
	long n;
	int i, rc;

	snprintf(a->what, sizeof(a->what), "policy rule %s", verb);
	if (!strcmp(verb, "add")) {
		size_t off = 0;
		const char *v;
		int m;

		if (argc < 3)
			return ska_usage(a, "expected: policy rule add NAME [--at N] RULE...");
		t.name = argv[1];
		for (i = 2; i < argc; i++) {
			if ((m = ska_opt(a, argc, argv, &i, "at", &v)) < 0)
				return 2;
			if (m) {
				if (ska_parse_int(v, 1, 1000000, &n))
					return ska_usage(a, "--at: expected a rule number, got '%s'", v);
				t.pos = (int)n;
				continue;
			}
			off += snprintf(t.text + off, sizeof(t.text) - off, "%s%s", off ? " " : "",
					argv[i]);
			if (off >= sizeof(t.text))
				return ska_usage(a, "rule text too long");
		}
		if (sk_rule_parse(t.text, &t.rule, t.err, sizeof(t.err)))
			return ska_usage(a, "'%s': %s", t.text, t.err);
		sk_rule_format(&t.rule, t.text, sizeof(t.text));
		rc = ska_tx(a, rule_add_apply, &t);
		if (rc)
			return ska_store_fail(a, rc, t.name, rc == -ENOENT ? "no such policy" : "");
		if (t.pos)
			ska_said(a, "policy %s: rule %d added: %s", "ポリシー %s: 規則 %d を追加しました: %s",
				 t.name, t.pos, t.text);
		else
			ska_said(a, "policy %s: rule added at the end: %s",
				 "ポリシー %s: 末尾に規則を追加しました: %s", t.name, t.text);
		a->fx->policies_changed = true;
		return 0;
	}
	if (!strcmp(verb, "del")) {
		if (argc != 3 || ska_parse_int(argv[2], 1, 1000000, &n))
			return ska_usage(a, "expected: policy rule del NAME N");
		t.name = argv[1];
		t.pos = (int)n;
		rule_text(a, t.name, t.pos, t.text, sizeof(t.text));
		rc = ska_tx(a, rule_del_apply, &t);
		if (rc)
			return ska_store_fail(a, rc, t.name, rc == -ENOENT ?
					      "no such policy or rule number" : "");
		ska_said(a, "policy %s: rule %d deleted: %s", "ポリシー %s: 規則 %d を削除しました: %s",
			 t.name, t.pos, t.text);
		a->fx->policies_changed = true;
		return 0;
	}
	if (!strcmp(verb, "move")) {
		long to;

		if (argc != 4 || ska_parse_int(argv[2], 1, 1000000, &n) ||
		    ska_parse_int(argv[3], 1, 1000000, &to))
			return ska_usage(a, "expected: policy rule move NAME FROM TO");
		t.name = argv[1];
		t.pos = (int)n;
		t.to = (int)to;
		rule_text(a, t.name, t.pos, t.text, sizeof(t.text));
		rc = ska_tx(a, rule_move_apply, &t);
		if (rc)
			return ska_store_fail(a, rc, t.name, rc == -ENOENT || rc == -EINVAL ?
					      "no such policy or rule number" : "");
		fprintf(a->io->out, "policy %s: rule %d -> %d: %s\n", t.name, t.pos, t.to, t.text);
		a->fx->policies_changed = true;
		return 0;
	}
	return ska_usage(a, "unknown verb '%s' (add, del, move)", verb);
}

int ska_policy(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct pol_tx t = { .a = a };
	struct sk_json j;
	int i, m, rc;

	snprintf(a->what, sizeof(a->what), "policy %s", verb);
	if (!strcmp(verb, "rule"))
		return policy_rule(a, argc - 1, argv + 1);
	if (!strcmp(verb, "list")) {
		struct ska_list l = { a, NULL, 0 };

		if (argc > 1)
			return ska_usage(a, "unexpected argument '%s'", argv[1]);
		ska_list_begin(a, &j, &l.j);
		rc = sk_policy_list(a->st, policy_each, &l);
		return ska_list_end(a, l.j, l.n, rc, "policies");
	}
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "show"))
		return ska_usage(a, "unknown verb '%s' (add, del, list, show, rule)", verb);
	if (argc < 2 || argv[1][0] == '-')
		return ska_usage(a, "expected: policy %s NAME", verb);
	t.name = argv[1];
	if (!strcmp(verb, "show")) {
		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		return policy_show(a, t.name);
	}
	if (!strcmp(verb, "add")) {
		for (i = 2; i < argc; i++) {
			m = ska_opt(a, argc, argv, &i, "description", &t.desc);
			if (m < 0)
				return 2;
			if (!m)
				return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
		if (t.desc && strlen(t.desc) >= SK_TEXT_MAX)
			return ska_usage(a, "--description: longer than %d characters", SK_TEXT_MAX - 1);
		rc = ska_tx(a, policy_add_apply, &t);
		if (rc)
			return ska_store_fail(a, rc, t.name, "");
		ska_said(a, "policy %s: added (no rules yet: everything is denied)",
			 "ポリシー %s を追加しました（規則がまだないため、すべて拒否します）", t.name);
		a->fx->policies_changed = true;
		return 0;
	}
	if (argc > 2)
		return ska_usage(a, "unexpected argument '%s'", argv[2]);
	rc = ska_tx(a, policy_del_apply, &t);
	if (rc == -EBUSY)
		return ska_fail(a, "%s: a group or a device still uses this policy", t.name);
	if (rc)
		return ska_store_fail(a, rc, t.name, rc == -ENOENT ? "no such policy" : "");
	ska_said(a, "policy %s: deleted", "ポリシー %s を削除しました", t.name);
	a->fx->policies_changed = true;
	return 0;
}

/* ----------------------------------------------------------------- devices */

void ska_device_obj(const struct sk_device *d, struct ska_obj *o)
{
	ska_obj_add(o, "name", KT_STR, "%s", d->name);
	ska_obj_add(o, "type", KT_STR, "%s", ska_devtype_name(d->type));
	ska_obj_add(o, "method", KT_STR, "%s", ska_devmethod_name(d->method));
	ska_obj_add(o, "id", KT_STR, "%s", d->ident);
	ska_obj_add(o, "enabled", KT_BOOL, "%s", d->enabled ? "yes" : "no");
	ska_obj_add(o, "check", KT_BOOL, "%s", d->check ? "yes" : "no");
	ska_obj_add(o, "policy", KT_STR, "%s", d->policy);
	ska_obj_add(o, "user", KT_STR, "%s", d->user);
}

static const char *const device_keys[] = { "type", "method", "id", "enabled", "check",
					    "policy", "user" };
#define N_DEVICE_KEYS ((int)(sizeof(device_keys) / sizeof(device_keys[0])))

static int device_set_key(struct ska *a, struct sk_device *d, const char *key, const char *val)
{
	int v;

	if (!strcmp(key, "type")) {
		if ((v = ska_devtype_from(val)) < 0)
			return ska_usage(a, "type: expected windows, mac, ios or android, got '%s'", val);
		d->type = v;
	} else if (!strcmp(key, "method")) {
		if ((v = ska_devmethod_from(val)) < 0)
			return ska_usage(a, "method: expected serial or mac, got '%s'", val);
		d->method = v;
	} else if (!strcmp(key, "id")) {
		if (strlen(val) > SK_NAME_MAX)
			return ska_usage(a, "id: longer than %d characters", SK_NAME_MAX);
		snprintf(d->ident, sizeof(d->ident), "%s", val);
	} else if (!strcmp(key, "policy")) {
		if (strlen(val) > SK_NAME_MAX)
			return ska_usage(a, "policy: name too long");
		snprintf(d->policy, sizeof(d->policy), "%s", val);
	} else if (!strcmp(key, "enabled")) {
		if (ska_parse_bool(val, &d->enabled))
			return ska_usage(a, "enabled: expected yes or no, got '%s'", val);
	} else if (!strcmp(key, "check")) {
		if (ska_parse_bool(val, &d->check))
			return ska_usage(a, "check: expected yes or no, got '%s'", val);
	} else {
		return ska_usage(a, "unknown key '%s' (type, method, id, policy, enabled, check)", key);
	}
	return 0;
}

struct dev_tx {
	struct ska *a;
	struct sk_device d, before;
	const char *user;
	int argc;	/* device set: KEY=VALUE arguments, applied in the transaction */
	char **argv;
	char err[SKA_ERR];
};

/* applies KEY=VALUE arguments to d; 2 after a usage message */
static int device_kv_args(struct ska *a, struct sk_device *d, int argc, char **argv)
{
	int i, rc;

	for (i = 0; i < argc; i++) {
		const char *val;
		char key[32];

		if ((rc = ska_kv(a, argv[i], key, &val)) || (rc = device_set_key(a, d, key, val)))
			return rc;
	}
	return 0;
}

static char *device_json(const struct sk_device *d)
{
	struct ska_obj o = { 0 };
	char *s;

	ska_device_obj(d, &o);
	s = ska_obj_json_text(&o, NULL, 0);
	ska_obj_free(&o);
	return s;
}

static int device_add_apply(struct sk_store *st, void *arg)
{
	struct dev_tx *t = arg;
	char *aj;
	int rc;

	rc = ska_check_mac(st, &t->d, t->err, sizeof(t->err));
	if (!rc)
		rc = sk_device_add(st, &t->d, t->err, sizeof(t->err));
	if (rc)
		return rc;
	aj = device_json(&t->d);
	rc = ska_audit(t->a, NULL, aj, NULL, t->d.name);
	free(aj);
	return rc;
}

static int device_del_apply(struct sk_store *st, void *arg)
{
	struct dev_tx *t = arg;
	char *bj;
	int rc;

	rc = sk_device_del(st, t->d.name);
	if (rc)
		return rc;
	bj = device_json(&t->d);
	rc = ska_audit(t->a, bj, NULL, NULL, t->d.name);
	free(bj);
	return rc;
}

static int device_update_apply(struct sk_store *st, void *arg)
{
	struct dev_tx *t = arg;
	struct ska_obj b = { 0 }, c = { 0 };
	int rc;

	/* from the record as it is now, not as it was when the command was checked */
	rc = sk_device_get(st, t->d.name, &t->before);
	if (rc)
		return rc;
	t->d = t->before;
	rc = device_kv_args(t->a, &t->d, t->argc, t->argv);
	if (rc)
		return rc;
	rc = ska_check_mac(st, &t->d, t->err, sizeof(t->err));
	if (rc)
		return rc;
	rc = sk_device_update(st, &t->d, t->err, sizeof(t->err));
	if (rc)
		return rc;
	ska_device_obj(&t->before, &b);
	ska_device_obj(&t->d, &c);
	ska_report_changes(t->a, "device", t->d.name, &b, &c, device_keys, N_DEVICE_KEYS,
			   t->d.user[0] ? t->d.user : NULL, t->d.name);
	ska_obj_free(&b);
	ska_obj_free(&c);
	return 0;
}

static int device_assign_apply(struct sk_store *st, void *arg)
{
	struct dev_tx *t = arg;
	bool assign = t->a->what[7] == 'a';	/* "device assign" / "device unassign" */
	struct ska_obj b = { 0 }, c = { 0 };
	static const char *const k[] = { "user" };
	int rc;

	rc = assign ? sk_device_assign(st, t->user, t->d.name, t->err, sizeof(t->err)) :
		      sk_device_unassign(st, t->user, t->d.name);
	if (rc)
		return rc;
	rc = sk_device_get(st, t->d.name, &t->d);
	if (rc)
		return rc;
	ska_device_obj(&t->before, &b);
	ska_device_obj(&t->d, &c);
	ska_report_changes(t->a, "device", t->d.name, &b, &c, k, 1, t->user, t->d.name);
	ska_obj_free(&b);
	ska_obj_free(&c);
	return 0;
}

static int device_each(const struct sk_device *d, void *arg)
{
	struct ska_list *l = arg;
	struct ska_obj o = { 0 };

	if (l->j) {
		ska_device_obj(d, &o);
		ska_obj_json(l->j, NULL, &o, NULL, 0);
		ska_obj_free(&o);
	} else {
		if (!l->n)
			fprintf(l->a->io->out, "%-20s %-8s %-7s %-20s %-9s %-6s %-16s %s\n", "NAME",
				"TYPE", "METHOD", "ID", "STATE", "CHECK", "USER", "POLICY");
		fprintf(l->a->io->out, "%-20s %-8s %-7s %-20s %-9s %-6s %-16s %s\n", d->name,
			ska_devtype_name(d->type), ska_devmethod_name(d->method), d->ident,
			d->enabled ? "enabled" : "disabled", d->check ? "on" : "off",
			d->user[0] ? d->user : "-", d->policy[0] ? d->policy : "(group's)");
	}
	l->n++;
	return 0;
}

/* options of device add: 1 matched, 0 not, 2 usage error printed */
static int device_add_opt(struct ska *a, struct sk_device *d, int argc, char **argv, int *i)
{
	static const char *const opts[][2] = { { "type", "type" }, { "method", "method" },
					       { "id", "id" }, { "policy", "policy" } };
	const char *v;
	size_t k;
	int m, rc;

	if (!strcmp(argv[*i], "--disabled")) {
		d->enabled = false;
		return 1;
	}
	if (!strcmp(argv[*i], "--no-check")) {
		d->check = false;
		return 1;
	}
	for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		m = ska_opt(a, argc, argv, i, opts[k][0], &v);
		if (m < 0)
			return 2;
		if (m) {
			rc = device_set_key(a, d, opts[k][1], v);
			return rc ? rc : 1;
		}
	}
	return 0;
}

int ska_device(struct ska *a, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "list";
	struct dev_tx t = { .a = a };
	struct sk_json j;
	int i, rc;

	snprintf(a->what, sizeof(a->what), "device %s", verb);
	if (!strcmp(verb, "list")) {
		struct ska_list l = { a, NULL, 0 };
		const char *user = NULL;

		if ((rc = ska_only_opt(a, argc, argv, "user", &user)))
			return rc;
		ska_list_begin(a, &j, &l.j);
		rc = sk_device_list(a->st, user, device_each, &l);
		return ska_list_end(a, l.j, l.n, rc, "devices");
	}
	if (!strcmp(verb, "import")) {
		bool extra = argc == 3 && !strcmp(argv[1], "--ignore-extra-columns");

		if (argc != 2 + extra)
			return ska_usage(a, "expected: device import [--ignore-extra-columns] FILE.csv "
					 "(or - for stdin)");
		return ska_device_import(a, argv[1 + extra], extra);
	}
	if (!strcmp(verb, "assign") || !strcmp(verb, "unassign")) {
		struct sk_user u;
		int ncert;

		if (argc != 3)
			return ska_usage(a, "expected: device %s USER DEVICE", verb);
		t.user = argv[1];
		rc = sk_user_get(a->st, t.user, &u);
		if (rc)
			return ska_store_fail(a, rc, t.user, rc == -ENOENT ? "no such user" : "");
		memset(u.pw_hash, 0, sizeof(u.pw_hash));
		memset(u.totp_secret, 0, sizeof(u.totp_secret));
		rc = sk_device_get(a->st, argv[2], &t.d);
		if (rc)
			return ska_store_fail(a, rc, argv[2], rc == -ENOENT ? "no such device" : "");
		t.before = t.d;
		ncert = strcmp(verb, "unassign") ? 0 : ska_valid_certs(a, t.user, t.d.name);
		rc = ska_tx(a, device_assign_apply, &t);
		if (rc == -ENOSPC) {
			struct sk_group g;
			int max = sk_group_get(a->st, u.group, &g) ? 0 : g.max_devices;

			return ska_fail(a, "%s: user %s already has the %d device(s) group %s allows "
					"(max-devices); unassign one or raise the limit", argv[2], t.user,
					max, u.group);
		}
		if (rc == -EBUSY)
			return ska_fail(a, "%s: assigned to another user (%s); unassign it first",
					argv[2], t.before.user);
		if (rc)
			return ska_store_fail(a, rc, argv[2], t.err);
		a->fx->users_changed = true;
		if (ncert)
			fprintf(a->io->out, "device %s: %d certificate%s of user %s revoked, profile "
				"links expired\n", t.d.name, ncert, ncert == 1 ? "" : "s", t.user);
		return strcmp(verb, "unassign") ? 0 : ska_revoked(a);
	}
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "show") && strcmp(verb, "set"))
		return ska_usage(a, "unknown verb '%s' (add, del, list, show, set, assign, unassign, "
				 "import)", verb);
	if (argc < 2 || argv[1][0] == '-')
		return ska_usage(a, "expected: device %s NAME", verb);
	if (strlen(argv[1]) > SK_NAME_MAX)
		return ska_usage(a, "name longer than %d characters", SK_NAME_MAX);
	if (!strcmp(verb, "add")) {
		snprintf(t.d.name, sizeof(t.d.name), "%s", argv[1]);
		t.d.enabled = true;
		t.d.check = true;
		for (i = 2; i < argc; i++) {
			rc = device_add_opt(a, &t.d, argc, argv, &i);
			if (rc == 2)
				return 2;
			if (!rc)
				return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
		/* a serial device may be added without --id: it waits for
		 * auto-registration (settings device.auto_register) */
		if (!t.d.type || !t.d.method || (!t.d.ident[0] && t.d.method == SK_DEVM_MAC))
			return ska_usage(a, "--type and --method are required, --id too for method mac");
		rc = ska_tx(a, device_add_apply, &t);
		if (rc)
			return ska_store_fail(a, rc, argv[1], t.err);
		fprintf(a->io->out, "device %s: added (%s, %s %s)\n", t.d.name,
			ska_devtype_name(t.d.type), ska_devmethod_name(t.d.method), t.d.ident);
		if (t.d.check) {
			char on[8] = "";

			if (sk_setting_get(a->st, "device.hostscan", on, sizeof(on)) || strcmp(on, "on"))
				fprintf(a->io->out, "device %s: note: settings device.hostscan is off, "
					"so the device check does not run until it is on\n", t.d.name);
		}
		if (t.d.policy[0])
			a->fx->policies_changed = true;
		return 0;
	}
	rc = sk_device_get(a->st, argv[1], &t.d);
	if (rc)
		return ska_store_fail(a, rc, argv[1], rc == -ENOENT ? "no such device" : "");
	t.before = t.d;
	if (!strcmp(verb, "show")) {
		struct ska_obj o = { 0 };

		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		ska_device_obj(&t.d, &o);
		if (a->io->json) {
			/* the object, then "posture" inside it */
			char *txt = ska_obj_json_text(&o, NULL, 0);
			size_t l = txt ? strlen(txt) : 0;

			if (l < 2) {
				free(txt);
				ska_obj_free(&o);
				return ska_fail(a, "out of memory");
			}
			fwrite(txt, 1, l - 1, a->io->out);
			sk_json_init(&j, a->io->out);
			j.depth = 1;
			j.first[1] = l == 2;
			ska_posture_last_show(a, t.d.name, &j);
			fputs("}\n", a->io->out);
			free(txt);
			ska_obj_free(&o);
			return 0;
		}
		ska_obj_show(a, &o);
		ska_posture_last_show(a, t.d.name, NULL);
		return 0;
	}
	if (!strcmp(verb, "del")) {
		if (argc > 2)
			return ska_usage(a, "unexpected argument '%s'", argv[2]);
		if (t.d.user[0])
			return ska_fail(a, "%s: assigned to user %s; 'sekictl device unassign %s %s' "
					"first", argv[1], t.d.user, t.d.user, argv[1]);
		int ncert = ska_valid_certs(a, NULL, argv[1]);

		rc = ska_tx(a, device_del_apply, &t);
		if (rc == -EBUSY)
			return ska_fail(a, "%s: still assigned; unassign it first", argv[1]);
		if (rc)
			return ska_store_fail(a, rc, argv[1], t.err);
		ska_said(a, "device %s: deleted", "端末 %s を削除しました", argv[1]);
		if (ncert)
			fprintf(a->io->out, "device %s: %d certificate%s revoked, profile links "
				"expired\n", argv[1], ncert, ncert == 1 ? "" : "s");
		a->fx->users_changed = true;
		return ska_revoked(a);
	}
	if (argc < 3)
		return ska_usage(a, "expected: device set NAME KEY=VALUE...");
	t.argc = argc - 2;
	t.argv = argv + 2;
	if ((rc = device_kv_args(a, &t.d, t.argc, t.argv)))
		return rc;
	rc = ska_tx(a, device_update_apply, &t);
	if (rc > 0)
		return rc;	/* the device changed under us so that an argument no longer fits */
	if (rc)
		return ska_store_fail(a, rc, argv[1], t.err);
	a->fx->users_changed = true;
	if (strcmp(t.d.policy, t.before.policy))
		a->fx->policies_changed = true;
	return 0;
}
