// SPDX-License-Identifier: GPL-2.0
/*
 * What an allowlist lets through, as the kernel decides it (the first
 * matching rule, else deny), for the checks that warn about a rule an
 * administrator forgot: sekictl diagnose (the DNS servers a group pushes,
 * the posture re-check listener) and sekishod -t (the listener).  One
 * copy here, in the admin layer both of them use (skdiag.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "skdiag.h"
#include "skparse.h"
#include "skposture.h"

static bool prefix_has(const struct sk_prefix *p, const struct sk_addr *a)
{
	int bits = p->len, i;

	if (p->addr.family != a->family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (p->addr.a[i] != a->a[i])
			return false;
	return !bits || !((p->addr.a[i] ^ a->a[i]) & (0xff << (8 - bits)));
}

bool ska_rules_allow(const struct sk_rule *r, int n, const struct sk_addr *a, uint8_t proto,
		     uint16_t port)
{
	for (int i = 0; i < n; i++) {
		if (r[i].dst.addr.family != a->family || !prefix_has(&r[i].dst, a))
			continue;
		if (r[i].proto && r[i].proto != proto)
			continue;
		if (r[i].has_ports && (port < r[i].port_min || port > r[i].port_max))
			continue;
		return r[i].action == SK_ACTION_ALLOW;
	}
	return false;
}

struct rc_arg {
	struct sk_store *st;
	uint16_t port;
	void (*fn)(void *arg, bool ok, const char *en, const char *ja);
	void *arg;
};

/* one group: quarantining into a policy that lets the re-check through? */
static int recheck_group(const struct sk_group *g, void *arg)
{
	struct rc_arg *a = arg;
	struct sk_posture_policy p;
	struct sk_prefix pool;
	struct sk_rule *rules = NULL;
	struct sk_addr gw = { .family = AF_INET };
	char err[256], en[512], ja[512];
	const uint8_t *b = gw.a;
	uint32_t v;
	bool quar = false, ok;
	int n = 0;

	if (sk_posture_policy_load(a->st, g->name, NULL, &p, err, sizeof(err)) || !p.enabled ||
	    !p.quarantine[0] || !g->pool4[0] || sk_parse_prefix(g->pool4, &pool, err, sizeof(err)))
		return 0;
	for (int i = 0; i < SK_PO_CHK_N; i++)
		quar |= p.on[i] && p.outcome[i] == SK_PO_QUARANTINE;
	if (!quar)
		return 0;
	memcpy(&v, pool.addr.a, 4);
	v = htonl(ntohl(v) + 1);	/* the pool's first host: the gateway */
	memcpy(gw.a, &v, 4);
	ok = !ska_policy_rules(a->st, p.quarantine, &rules, &n) &&
	     ska_rules_allow(rules, n, &gw, 6, a->port);
	free(rules);
	if (ok) {
		snprintf(en, sizeof(en), "group %s: remediation policy %s lets the posture re-check "
			 "through (tcp %u.%u.%u.%u port %u)", g->name, p.quarantine, b[0], b[1], b[2],
			 b[3], a->port);
		snprintf(ja, sizeof(ja), "グループ %s: 修復用ポリシー %s は端末の再確認を通します"
			 "（tcp %u.%u.%u.%u ポート %u）", g->name, p.quarantine, b[0], b[1], b[2],
			 b[3], a->port);
	} else {
		snprintf(en, sizeof(en), "group %s: remediation policy %s does not let the posture "
			 "re-check through: a quarantined user cannot reach it; add sekictl policy "
			 "rule add %s allow tcp %u.%u.%u.%u/32 port %u", g->name, p.quarantine,
			 p.quarantine, b[0], b[1], b[2], b[3], a->port);
		snprintf(ja, sizeof(ja), "グループ %s: 修復用ポリシー %s は端末の再確認を通しません。"
			 "隔離された利用者が届きません。sekictl policy rule add %s allow tcp "
			 "%u.%u.%u.%u/32 port %u を追加してください", g->name, p.quarantine,
			 p.quarantine, b[0], b[1], b[2], b[3], a->port);
	}
	a->fn(a->arg, ok, en, ja);
	return 0;
}

void ska_recheck_rules(struct sk_store *st, uint16_t port,
		       void (*fn)(void *arg, bool ok, const char *en, const char *ja), void *arg)
{
	struct rc_arg a = { .st = st, .port = port, .fn = fn, .arg = arg };

	if (port)
		sk_group_list(st, recheck_group, &a);
}
