// SPDX-License-Identifier: GPL-2.0
/* Groups (with their factor and list child tables),
 * policies and their ordered rules. */
#include <errno.h>
#include <string.h>

#include "store_db.h"

#define SK_RULES_MAX	65536	/* SEKISHO_MAX_RULES: what one kernel policy holds */

#define GROUP_COLS \
	"SELECT g.id, g.name, g.label, g.pool4, g.pool6, g.dns1, g.dns2, g.wins, g.domain," \
	" g.proxy_mode, g.proxy_pac, g.proxy_server, g.proxy_exclude, g.banner," \
	" g.idle_timeout, g.session_timeout, g.max_sessions, g.max_devices, g.access_hours," \
	" coalesce(p.name, ''), g.lang, g.mtu, g.cert_only_ok" \
	" FROM groups g LEFT JOIN policies p ON p.id = g.policy_id "

static void group_row(struct db_stmt *s, void *obj)
{
	struct sk_group *g = obj;

	memset(g, 0, sizeof(*g));
	g->id = db_i64(s, 0);
	db_text(s, 1, g->name, sizeof(g->name));
	db_text(s, 2, g->label, sizeof(g->label));
	db_text(s, 3, g->pool4, sizeof(g->pool4));
	db_text(s, 4, g->pool6, sizeof(g->pool6));
	db_text(s, 5, g->dns[0], sizeof(g->dns[0]));
	db_text(s, 6, g->dns[1], sizeof(g->dns[1]));
	db_text(s, 7, g->wins, sizeof(g->wins));
	db_text(s, 8, g->domain, sizeof(g->domain));
	g->proxy_mode = (enum sk_proxy_mode)db_int(s, 9);
	db_text(s, 10, g->proxy_pac, sizeof(g->proxy_pac));
	db_text(s, 11, g->proxy_server, sizeof(g->proxy_server));
	db_text(s, 12, g->proxy_exclude, sizeof(g->proxy_exclude));
	db_text(s, 13, g->banner, sizeof(g->banner));
	g->idle_timeout = db_int(s, 14);
	g->session_timeout = db_int(s, 15);
	g->max_sessions = db_int(s, 16);
	g->max_devices = db_int(s, 17);
	db_text(s, 18, g->access_hours, sizeof(g->access_hours));
	db_text(s, 19, g->policy, sizeof(g->policy));
	g->lang = (enum sk_lang)db_int(s, 20);
	g->mtu = db_int(s, 21);
	g->cert_only_ok = db_int(s, 22) != 0;
}

/* factors and lists of one group, read after its row */
static int group_children(struct sk_store *st, struct sk_group *g)
{
	struct db_stmt *s;
	int rc, n = 0;
	char kind[16];

	rc = db_prep(st, &s, "SELECT factor FROM group_factors WHERE group_id = ?1 ORDER BY position",
		     "i", g->id);
	if (rc)
		return rc;
	while ((rc = db_step(s)) == 1 && n < SK_FACTORS_MAX)
		g->factors[n++] = sk_factor_from_name(db_cstr(s, 0));
	db_finalize(s);
	if (rc < 0)
		return rc;
	rc = db_prep(st, &s, "SELECT kind, value FROM group_lists WHERE group_id = ?1"
		     " ORDER BY kind, position", "i", g->id);
	if (rc)
		return rc;
	while ((rc = db_step(s)) == 1) {
		db_text(s, 0, kind, sizeof(kind));
		if (!strcmp(kind, "split_inc") && g->n_split_inc < SK_LIST_MAX)
			db_text(s, 1, g->split_inc[g->n_split_inc++], SK_ADDR_MAX);
		else if (!strcmp(kind, "split_exc") && g->n_split_exc < SK_LIST_MAX)
			db_text(s, 1, g->split_exc[g->n_split_exc++], SK_ADDR_MAX);
		else if (!strcmp(kind, "split_dns") && g->n_split_dns < SK_LIST_MAX)
			db_text(s, 1, g->split_dns[g->n_split_dns++], sizeof(g->split_dns[0]));
	}
	db_finalize(s);
	return rc < 0 ? rc : 0;
}

static int put_children(struct sk_store *st, int64_t gid, const struct sk_group *g)
{
	static const char ins[] =
		"INSERT INTO group_lists (group_id, kind, position, value) VALUES (?1, ?2, ?3, ?4)";
	int i, rc;

	rc = db_exec(st, "DELETE FROM group_factors WHERE group_id = ?1", "i", gid);
	if (rc >= 0)
		rc = db_exec(st, "DELETE FROM group_lists WHERE group_id = ?1", "i", gid);
	for (i = 0; rc >= 0 && i < SK_FACTORS_MAX && g->factors[i] != SK_FACTOR_NONE; i++)
		rc = db_exec(st, "INSERT INTO group_factors (group_id, position, factor)"
			     " VALUES (?1, ?2, ?3)", "idt", gid, i + 1, sk_factor_name(g->factors[i]));
	for (i = 0; rc >= 0 && i < g->n_split_inc; i++)
		rc = db_exec(st, ins, "itdt", gid, "split_inc", i + 1, g->split_inc[i]);
	for (i = 0; rc >= 0 && i < g->n_split_exc; i++)
		rc = db_exec(st, ins, "itdt", gid, "split_exc", i + 1, g->split_exc[i]);
	for (i = 0; rc >= 0 && i < g->n_split_dns; i++)
		rc = db_exec(st, ins, "itdt", gid, "split_dns", i + 1, g->split_dns[i]);
	return rc < 0 ? rc : 0;
}

/* the 22 values of a group row, bound as ?1..?22 in the order of GROUP_SET */
#define GROUP_ARGS(g) \
	"ttttttttdttttddddtnddd", (g)->name, (g)->label, (g)->pool4, (g)->pool6, (g)->dns[0], \
	(g)->dns[1], (g)->wins, (g)->domain, (int)(g)->proxy_mode, (g)->proxy_pac, \
	(g)->proxy_server, (g)->proxy_exclude, (g)->banner, (g)->idle_timeout, \
	(g)->session_timeout, (g)->max_sessions, (g)->max_devices, (g)->access_hours, \
	(g)->policy, (int)(g)->lang, (g)->mtu, (g)->cert_only_ok ? 1 : 0

static int group_write(struct sk_store *st, const struct sk_group *g, bool add)
{
	int64_t gid;
	int rc;

	if (add)
		rc = db_exec(st,
			     "INSERT INTO groups (name, label, pool4, pool6, dns1, dns2, wins, domain,"
			     " proxy_mode, proxy_pac, proxy_server, proxy_exclude, banner,"
			     " idle_timeout, session_timeout, max_sessions, max_devices, access_hours,"
			     " policy_id, lang, mtu, cert_only_ok) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
			     " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
			     " (SELECT id FROM policies WHERE name = ?19), ?20, ?21, ?22)",
			     GROUP_ARGS(g));
	else
		rc = db_exec(st,
			     "UPDATE groups SET label = ?2, pool4 = ?3, pool6 = ?4, dns1 = ?5,"
			     " dns2 = ?6, wins = ?7, domain = ?8, proxy_mode = ?9, proxy_pac = ?10,"
			     " proxy_server = ?11, proxy_exclude = ?12, banner = ?13,"
			     " idle_timeout = ?14, session_timeout = ?15, max_sessions = ?16,"
			     " max_devices = ?17, access_hours = ?18,"
			     " policy_id = (SELECT id FROM policies WHERE name = ?19), lang = ?20,"
			     " mtu = ?21, cert_only_ok = ?22 WHERE name = ?1",
			     GROUP_ARGS(g));
	if (rc == 0)
		return -ENOENT;
	if (rc < 0)
		return rc;
	if ((rc = db_id_by_name(st, "groups", g->name, &gid)))
		return rc;
	return put_children(st, gid, g);
}

static int group_change(struct sk_store *st, const struct sk_group *g, bool add, char *err,
			size_t errlen)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	rc = sk_store_tx_end(st, group_write(st, g, add));
	if (rc == -EEXIST)
		sk_err(err, errlen, "name: a group named '%s' already exists", g->name);
	else if (rc == -ENOENT)
		sk_err(err, errlen, "name: no group named '%s'", g->name);
	else if (rc)
		sk_err(err, errlen, "group %s: %s", g->name, st->errmsg);
	return rc;
}

int db_group_add(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen)
{
	return group_change(st, g, true, err, errlen);
}

int db_group_update(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen)
{
	return group_change(st, g, false, err, errlen);
}

int db_group_get(struct sk_store *st, const char *name, struct sk_group *g)
{
	int rc = db_get(st, group_row, g, GROUP_COLS "WHERE g.name = ?1", "t", name);

	return rc ? rc : group_children(st, g);
}

static int group_del_tx(struct sk_store *st, const char *name)
{
	int64_t gid, n;
	int rc;

	if ((rc = db_id_by_name(st, "groups", name, &gid)))
		return rc;
	if ((rc = db_int_query(st, &n, "SELECT count(*) FROM users WHERE group_id = ?1", "i", gid)))
		return rc;
	if (n)
		return -EBUSY;
	rc = db_exec(st, "DELETE FROM groups WHERE id = ?1", "i", gid);
	return rc < 0 ? rc : 0;
}

int db_group_del(struct sk_store *st, const char *name)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	return sk_store_tx_end(st, group_del_tx(st, name));
}

static int group_list_row(struct sk_store *st, struct db_stmt *s, void *obj, const void *fn,
			  void *arg)
{
	int (*const *cb)(const struct sk_group *, void *) = fn;
	int rc;

	group_row(s, obj);
	rc = group_children(st, obj);
	return rc ? rc : (*cb)(obj, arg);
}

int db_group_list(struct sk_store *st, int (*fn)(const struct sk_group *, void *), void *arg)
{
	return db_list(st, sizeof(struct sk_group), group_list_row, &fn, arg,
		       GROUP_COLS "ORDER BY g.name", NULL);
}

/* ---- policies ---- */

int db_policy_add(struct sk_store *st, const char *name, const char *description)
{
	int rc = db_exec(st, "INSERT INTO policies (name, description) VALUES (?1, ?2)", "tt", name,
			 description);

	return rc < 0 ? rc : 0;
}

#define POLICY_COLS \
	"SELECT id, name, description, (SELECT count(*) FROM rules r WHERE r.policy_id = p.id)" \
	" FROM policies p "

static void policy_row(struct db_stmt *s, void *obj)
{
	struct sk_policy *p = obj;

	memset(p, 0, sizeof(*p));
	p->id = db_i64(s, 0);
	db_text(s, 1, p->name, sizeof(p->name));
	db_text(s, 2, p->description, sizeof(p->description));
	p->n_rules = db_int(s, 3);
}

int db_policy_get(struct sk_store *st, const char *name, struct sk_policy *p)
{
	return db_get(st, policy_row, p, POLICY_COLS "WHERE name = ?1", "t", name);
}

static int policy_del_tx(struct sk_store *st, const char *name)
{
	int64_t pid, n;
	int rc;

	if ((rc = db_id_by_name(st, "policies", name, &pid)))
		return rc;
	rc = db_int_query(st, &n, "SELECT (SELECT count(*) FROM groups WHERE policy_id = ?1) +"
		    " (SELECT count(*) FROM devices WHERE policy_id = ?1)", "i", pid);
	if (rc)
		return rc;
	if (n)
		return -EBUSY;
	rc = db_exec(st, "DELETE FROM policies WHERE id = ?1", "i", pid);
	return rc < 0 ? rc : 0;
}

int db_policy_del(struct sk_store *st, const char *name)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	return sk_store_tx_end(st, policy_del_tx(st, name));
}

DB_LIST_ROW(policy_list_row, struct sk_policy, policy_row)

int db_policy_list(struct sk_store *st, int (*fn)(const struct sk_policy *, void *), void *arg)
{
	return db_list(st, sizeof(struct sk_policy), policy_list_row, &fn, arg,
		       POLICY_COLS "ORDER BY name", NULL);
}

int db_policy_rules(struct sk_store *st, const char *name, struct sk_rule *rules, int *n)
{
	struct db_stmt *s;
	int64_t pid;
	int rc, i = 0, cap = *n;

	if ((rc = db_id_by_name(st, "policies", name, &pid)))
		return rc;
	rc = db_prep(st, &s, "SELECT allow, family, addr, prefixlen, proto, port_min, port_max"
		     " FROM rules WHERE policy_id = ?1 ORDER BY position", "i", pid);
	if (rc)
		return rc;
	while ((rc = db_step(s)) == 1) {
		if (i < cap) {
			struct sk_rule *r = &rules[i];

			memset(r, 0, sizeof(*r));
			r->action = db_int(s, 0) ? SK_ACTION_ALLOW : SK_ACTION_DENY;
			r->dst.addr.family = db_int(s, 1);
			db_blob(s, 2, r->dst.addr.a, 16);
			r->dst.len = (uint8_t)db_int(s, 3);
			r->proto = (uint8_t)db_int(s, 4);
			/* the table keeps "any port" as 0-65535 */
			r->port_min = (uint16_t)db_int(s, 5);
			r->port_max = (uint16_t)db_int(s, 6);
			r->has_ports = !(r->port_min == 0 && r->port_max == 65535);
			if (!r->has_ports)
				r->port_min = r->port_max = 0;
		}
		i++;
	}
	db_finalize(s);
	if (rc < 0)
		return rc;
	*n = i;
	return 0;
}

/* Positions are 1..n without holes.  Shifting a range goes through
 * negative values because the primary key (policy_id, position) is checked
 * row by row during an UPDATE. */
static int shift(struct sk_store *st, int64_t pid, int lo, int hi, int by)
{
	int rc = db_exec(st, "UPDATE rules SET position = -(position + ?4) WHERE policy_id = ?1"
			 " AND position BETWEEN ?2 AND ?3", "iddd", pid, lo, hi, by);

	if (rc >= 0)
		rc = db_exec(st, "UPDATE rules SET position = -position WHERE policy_id = ?1"
			     " AND position < 0", "i", pid);
	return rc < 0 ? rc : 0;
}

static int rule_count(struct sk_store *st, const char *policy, int64_t *pid, int64_t *n)
{
	int rc = db_id_by_name(st, "policies", policy, pid);

	return rc ? rc : db_int_query(st, n, "SELECT count(*) FROM rules WHERE policy_id = ?1", "i", *pid);
}

static int rule_add_tx(struct sk_store *st, const char *policy, int pos, const struct sk_rule *r)
{
	int64_t pid, n;
	int rc;

	if ((rc = rule_count(st, policy, &pid, &n)))
		return rc;
	if (n >= SK_RULES_MAX)
		return -ENOSPC;
	if (pos == 0)
		pos = (int)n + 1;
	if (pos > n + 1)
		return -EINVAL;
	if (pos <= n && (rc = shift(st, pid, pos, (int)n, 1)))
		return rc;
	rc = db_exec(st, "INSERT INTO rules (policy_id, position, allow, family, addr, prefixlen,"
		     " proto, port_min, port_max) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		     "idddadddd", pid, pos, (int)(r->action == SK_ACTION_ALLOW),
		     r->dst.addr.family, r->dst.addr.a, (int)r->dst.len, (int)r->proto,
		     r->has_ports ? (int)r->port_min : 0, r->has_ports ? (int)r->port_max : 65535);
	return rc < 0 ? rc : 0;
}

int db_rule_add(struct sk_store *st, const char *policy, int pos, const struct sk_rule *r)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	return sk_store_tx_end(st, rule_add_tx(st, policy, pos, r));
}

static int rule_del_tx(struct sk_store *st, const char *policy, int pos)
{
	int64_t pid, n;
	int rc;

	if ((rc = rule_count(st, policy, &pid, &n)))
		return rc;
	if (pos > n)
		return -ENOENT;
	rc = db_exec(st, "DELETE FROM rules WHERE policy_id = ?1 AND position = ?2", "id", pid, pos);
	if (rc < 0)
		return rc;
	return pos < n ? shift(st, pid, pos + 1, (int)n, -1) : 0;
}

int db_rule_del(struct sk_store *st, const char *policy, int pos)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	return sk_store_tx_end(st, rule_del_tx(st, policy, pos));
}

static int rule_move_tx(struct sk_store *st, const char *policy, int from, int to)
{
	int64_t pid, n;
	int rc;

	if ((rc = rule_count(st, policy, &pid, &n)))
		return rc;
	if (from > n || to > n)
		return -ENOENT;
	if (from == to)
		return 0;
	/* park the moving rule at 0 (never a real position) */
	rc = db_exec(st, "UPDATE rules SET position = 0 WHERE policy_id = ?1 AND position = ?2",
		     "id", pid, from);
	if (rc < 0)
		return rc;
	rc = from < to ? shift(st, pid, from + 1, to, -1) : shift(st, pid, to, from - 1, 1);
	if (rc)
		return rc;
	rc = db_exec(st, "UPDATE rules SET position = ?2 WHERE policy_id = ?1 AND position = 0",
		     "id", pid, to);
	return rc < 0 ? rc : 0;
}

int db_rule_move(struct sk_store *st, const char *policy, int from, int to)
{
	int rc;

	if ((rc = sk_store_tx_begin(st)))
		return rc;
	return sk_store_tx_end(st, rule_move_tx(st, policy, from, to));
}
