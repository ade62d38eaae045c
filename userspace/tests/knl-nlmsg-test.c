// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekictl's netlink encoding and decoding, without a kernel:
 * policies small and large (the 64 KiB attribute limit forces big ones to
 * be split into several POLICY nests of one message), merging of split
 * POLICY_GET dump messages, and peer/device decoding including malformed
 * attributes.  TAP output.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "knl.h"
#include "tap.h"

static struct tap t;
static struct knl fake_nl = { .family = 0x1d };

static void make_rules(struct sk_rule *r, size_t n)
{
	size_t i;
	char err[SK_ERRLEN], buf[80];

	for (i = 0; i < n; i++) {
		switch (i % 4) {
		case 0:
			snprintf(buf, sizeof(buf), "allow tcp 10.%zu.%zu.0/24 %zu-%zu",
				 (i >> 8) & 255, i & 255, i % 60000, i % 60000 + 10);
			break;
		case 1:
			snprintf(buf, sizeof(buf), "deny udp fd00:%zx::/32 53", i);
			break;
		case 2:
			snprintf(buf, sizeof(buf), "allow icmp 192.0.2.%zu", i % 256);
			break;
		default:
			snprintf(buf, sizeof(buf), "allow any any6");
		}
		if (sk_parse_rule(buf, &r[i], err, sizeof(err)))
			printf("# bad generated rule %s: %s\n", buf, err);
	}
}

/* Walk the message like the kernel would; count POLICY nests. */
static bool walk(const struct nlmsghdr *nlh, int *npol, struct knl_vec *out)
{
	const uint8_t *p = (const uint8_t *)mnl_nlmsg_get_payload_offset(nlh,
						sizeof(struct genlmsghdr));
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	bool ok = true;

	*npol = 0;
	while (p < end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (p + sizeof(*a) > end || a->nla_len < sizeof(*a) ||
		    p + a->nla_len > end)
			return false;
		if (mnl_attr_get_type(a) == SEKISHO_A_POLICY) {
			(*npol)++;
			if (knl_decode_policy(a, out))
				ok = false;
		}
		p += MNL_ALIGN(a->nla_len);
	}
	return ok && p == end;
}

static void policy_roundtrip(size_t n, bool expect_split)
{
	struct sk_rule *r = calloc(n ? n : 1, sizeof(*r));
	struct knl_vec pols = { .size = sizeof(struct knl_policy) };
	struct knl_msg m;
	struct knl_policy *p;
	int npol = 0, enc;
	bool walked, same = false;

	make_rules(r, n);
	if (knl_msg_new(&m, &fake_nl, SEKISHO_CMD_POLICY_SET, 0,
		       knl_policy_msg_size(r, n) + 256)) {
		tap_ok(&t, false, "%zu rules: allocate", n);
		return;
	}
	knl_put_u32(&m, SEKISHO_A_IFINDEX, 5);
	enc = knl_encode_policy(&m, 42, r, n);
	tap_ok(&t, enc == (expect_split ? 1 : 0) && !m.overflow, "%zu rules: encoded in %u bytes", n,
	       m.nlh->nlmsg_len);
	walked = walk(m.nlh, &npol, &pols);
	tap_ok(&t, walked && (expect_split ? npol > 1 : npol == 1),
	       "%zu rules: %d POLICY nest%s, every attribute well-formed", n, npol,
	       npol == 1 ? "" : "s");
	p = pols.items;
	if (pols.n == 1 && p->id == 42 && p->nrules == n)
		same = !n || !memcmp(p->rules, r, n * sizeof(*r));
	tap_ok(&t, same && !knl_policies_incomplete(&pols),
	       "%zu rules: decode back to the same rules, in order", n);
	knl_policies_free(&pols);
	knl_vec_free(&pols);
	knl_msg_free(&m, false);
	free(r);
}

/* Two dump messages splitting one policy (FIRST_RULE), then another one. */
static void dump_merge(void)
{
	struct sk_rule r[3];
	struct knl_vec pols = { .size = sizeof(struct knl_policy) };
	struct knl_msg m1, m2, m3;
	struct nlattr *pol, *rules;
	struct knl_policy *p;
	int npol;
	size_t i;
	char err[SK_ERRLEN];

	sk_parse_rule("allow tcp 10.0.0.5 22", &r[0], err, sizeof(err));
	sk_parse_rule("deny any any4", &r[1], err, sizeof(err));
	sk_parse_rule("allow udp fd00::/8 1000-2000", &r[2], err, sizeof(err));
	knl_msg_new(&m2, &fake_nl, SEKISHO_CMD_POLICY_GET, 0, 4096);
	knl_msg_new(&m3, &fake_nl, SEKISHO_CMD_POLICY_GET, 0, 4096);

	/* message 1: policy 5, rules 0-1 of 3 */
	knl_msg_new(&m1, &fake_nl, SEKISHO_CMD_POLICY_GET, 0, 4096);
	pol = knl_nest_start(&m1, SEKISHO_A_POLICY);
	knl_put_u32(&m1, SEKISHO_A_POLICY_ID, 5);
	knl_put_u32(&m1, SEKISHO_A_POLICY_NUM_RULES, 3);
	knl_put_u32(&m1, SEKISHO_A_POLICY_FIRST_RULE, 0);
	knl_put_u32(&m1, SEKISHO_A_POLICY_REFS, 2);
	rules = knl_nest_start(&m1, SEKISHO_A_POLICY_RULES);
	for (i = 0; i < 2; i++) {
		struct nlattr *rn = knl_nest_start(&m1, SEKISHO_A_POLICY_RULE);

		knl_put_u8(&m1, SEKISHO_A_RULE_ACTION, (uint8_t)r[i].action);
		knl_put_u8(&m1, SEKISHO_A_RULE_FAMILY, (uint8_t)r[i].dst.addr.family);
		if (r[i].dst.len) {
			knl_put_bin(&m1, SEKISHO_A_RULE_ADDR, r[i].dst.addr.a, 4);
			knl_put_u8(&m1, SEKISHO_A_RULE_PREFIXLEN, r[i].dst.len);
		}
		knl_put_u8(&m1, SEKISHO_A_RULE_PROTO, r[i].proto);
		if (r[i].has_ports) {
			knl_put_u16(&m1, SEKISHO_A_RULE_PORT_MIN, r[i].port_min);
			knl_put_u16(&m1, SEKISHO_A_RULE_PORT_MAX, r[i].port_max);
		}
		knl_nest_end(&m1, rn);
	}
	knl_nest_end(&m1, rules);
	knl_nest_end(&m1, pol);

	pol = knl_nest_start(&m2, SEKISHO_A_POLICY);
	knl_put_u32(&m2, SEKISHO_A_POLICY_ID, 5);
	knl_put_u32(&m2, SEKISHO_A_POLICY_NUM_RULES, 3);
	knl_put_u32(&m2, SEKISHO_A_POLICY_FIRST_RULE, 2);
	rules = knl_nest_start(&m2, SEKISHO_A_POLICY_RULES);
	{
		struct nlattr *rn = knl_nest_start(&m2, SEKISHO_A_POLICY_RULE);

		knl_put_u8(&m2, SEKISHO_A_RULE_ACTION, SEKISHO_ACTION_ALLOW);
		knl_put_u8(&m2, SEKISHO_A_RULE_FAMILY, AF_INET6);
		knl_put_bin(&m2, SEKISHO_A_RULE_ADDR, r[2].dst.addr.a, 16);
		knl_put_u8(&m2, SEKISHO_A_RULE_PREFIXLEN, 8);
		knl_put_u8(&m2, SEKISHO_A_RULE_PROTO, 17);
		knl_put_u16(&m2, SEKISHO_A_RULE_PORT_MIN, 1000);
		knl_put_u16(&m2, SEKISHO_A_RULE_PORT_MAX, 2000);
		knl_nest_end(&m2, rn);
	}
	knl_nest_end(&m2, rules);
	knl_nest_end(&m2, pol);

	/* message 3: policy 6, empty, full port range written explicitly */
	pol = knl_nest_start(&m3, SEKISHO_A_POLICY);
	knl_put_u32(&m3, SEKISHO_A_POLICY_ID, 6);
	knl_put_u32(&m3, SEKISHO_A_POLICY_NUM_RULES, 1);
	knl_put_u32(&m3, SEKISHO_A_POLICY_FIRST_RULE, 0);
	rules = knl_nest_start(&m3, SEKISHO_A_POLICY_RULES);
	{
		struct nlattr *rn = knl_nest_start(&m3, SEKISHO_A_POLICY_RULE);

		knl_put_u8(&m3, SEKISHO_A_RULE_ACTION, SEKISHO_ACTION_ALLOW);
		knl_put_u8(&m3, SEKISHO_A_RULE_FAMILY, AF_INET);
		knl_put_u8(&m3, SEKISHO_A_RULE_PROTO, 6);
		knl_put_u16(&m3, SEKISHO_A_RULE_PORT_MIN, 0);
		knl_put_u16(&m3, SEKISHO_A_RULE_PORT_MAX, 65535);
		knl_nest_end(&m3, rn);
	}
	knl_nest_end(&m3, rules);
	knl_nest_end(&m3, pol);

	walk(m1.nlh, &npol, &pols);
	tap_ok(&t, knl_policies_incomplete(&pols),
	       "dump: first part alone is incomplete (2 of 3 rules)");
	walk(m2.nlh, &npol, &pols);
	walk(m3.nlh, &npol, &pols);
	p = pols.items;
	tap_ok(&t, pols.n == 2 && p[0].id == 5 && p[0].nrules == 3 &&
	       p[0].refs == 2 && p[1].id == 6 && p[1].nrules == 1 &&
	       !knl_policies_incomplete(&pols),
	       "dump: FIRST_RULE continuation merged into one policy");
	tap_ok(&t, pols.n == 2 && !memcmp(&p[0].rules[0], &r[0], sizeof(r[0])) &&
	       !memcmp(&p[0].rules[2], &r[2], sizeof(r[2])),
	       "dump: merged rules equal the originals");
	tap_ok(&t, pols.n == 2 && !p[1].rules[0].has_ports,
	       "dump: port range 0-65535 reads as no ports");
	knl_policies_free(&pols);
	knl_vec_free(&pols);
	knl_msg_free(&m1, false);
	knl_msg_free(&m2, false);
	knl_msg_free(&m3, false);
}

static void peer_decode(void)
{
	struct knl_msg m;
	struct nlattr *pn, *n, *r;
	struct knl_peer p;
	uint8_t v4[4] = { 192, 0, 2, 1 }, vpn[4] = { 10, 99, 0, 2 };
	uint8_t rt[4] = { 10, 1, 0, 0 };
	const struct nlattr *a;
	int ret = -2;

	knl_msg_new(&m, &fake_nl, SEKISHO_CMD_PEER_GET, 0, 4096);
	pn = knl_nest_start(&m, SEKISHO_A_PEER);
	knl_put_u32(&m, SEKISHO_A_PEER_ID, 7);
	knl_put_bin(&m, SEKISHO_A_PEER_REMOTE_IPV4, v4, 4);
	knl_put_u16(&m, SEKISHO_A_PEER_REMOTE_PORT, htons(443));
	knl_put_u16(&m, SEKISHO_A_PEER_LOCAL_PORT, htons(4443));
	knl_put_bin(&m, SEKISHO_A_PEER_VPN_IPV4, vpn, 4);
	n = knl_nest_start(&m, SEKISHO_A_PEER_ROUTES);
	r = knl_nest_start(&m, SEKISHO_A_PEER_ROUTE);
	knl_put_bin(&m, SEKISHO_A_ROUTE_ADDR, rt, 4);
	knl_put_u8(&m, SEKISHO_A_ROUTE_PREFIXLEN, 16);
	knl_nest_end(&m, r);
	knl_nest_end(&m, n);
	knl_put_u32(&m, SEKISHO_A_PEER_POLICY_ID, 3);
	knl_put_u64(&m, SEKISHO_A_PEER_LAST_RX_MSECS, 1234);
	n = knl_nest_start(&m, SEKISHO_A_PEER_KEYS);
	r = knl_nest_start(&m, SEKISHO_A_PEER_KEYINFO);
	knl_put_u32(&m, SEKISHO_A_KEYINFO_SLOT, SEKISHO_KEY_SLOT_PRIMARY);
	knl_put_u16(&m, SEKISHO_A_KEYINFO_EPOCH, 1);
	knl_put_u32(&m, SEKISHO_A_KEYINFO_CIPHER, SEKISHO_CIPHER_AES256_GCM);
	knl_put_u64(&m, SEKISHO_A_KEYINFO_TX_SEQ, 5);
	knl_put_u64(&m, SEKISHO_A_KEYINFO_RX_SEQ, 9);
	knl_nest_end(&m, r);
	knl_nest_end(&m, n);
	n = knl_nest_start(&m, SEKISHO_A_PEER_STATS);
	knl_put_u64(&m, SEKISHO_A_STATS_DROP_REPLAY, 3);
	knl_put_u64(&m, 200, 1);		/* a counter from a newer kernel */
	knl_nest_end(&m, n);
	knl_nest_end(&m, pn);

	memset(&p, 0, sizeof(p));
	mnl_attr_for_each(a, m.nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SEKISHO_A_PEER)
			ret = knl_decode_peer(a, &p);
	tap_ok(&t, ret == 0 && p.id == 7 && p.has_remote && p.remote.port == 443 &&
	       p.remote.addr.a[3] == 1 && p.has_local_port && p.local.port == 4443 &&
	       p.has_vpn4 && p.vpn4.a[3] == 2 && !p.has_vpn6 && p.nroutes == 1 &&
	       p.routes[0].len == 16 && p.policy == 3 && p.last_rx_ms == 1234 &&
	       p.nkeys == 1 && p.keys[0].epoch == 1 && p.keys[0].tx_seq == 5 &&
	       p.keys[0].rx_seq == 9 && p.stats.has[SEKISHO_A_STATS_DROP_REPLAY] &&
	       p.stats.v[SEKISHO_A_STATS_DROP_REPLAY] == 3,
	       "peer: every attribute decoded, unknown counter ignored");
	knl_msg_free(&m, false);

	/* a u32 attribute of the wrong size must be refused, not read past */
	knl_msg_new(&m, &fake_nl, SEKISHO_CMD_PEER_GET, 0, 256);
	pn = knl_nest_start(&m, SEKISHO_A_PEER);
	knl_put_u16(&m, SEKISHO_A_PEER_ID, 7);
	knl_nest_end(&m, pn);
	memset(&p, 0, sizeof(p));
	mnl_attr_for_each(a, m.nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SEKISHO_A_PEER)
			ret = knl_decode_peer(a, &p);
	tap_ok(&t, ret == -1, "peer: short PEER_ID refused");
	knl_msg_free(&m, false);

	knl_msg_new(&m, &fake_nl, SEKISHO_CMD_PEER_GET, 0, 256);
	pn = knl_nest_start(&m, SEKISHO_A_PEER);
	knl_put_bin(&m, SEKISHO_A_PEER_VPN_IPV6, v4, 4);
	knl_nest_end(&m, pn);
	ret = -2;
	mnl_attr_for_each(a, m.nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SEKISHO_A_PEER)
			ret = knl_decode_peer(a, &p);
	tap_ok(&t, ret == -1, "peer: 4-byte VPN_IPV6 refused");
	knl_msg_free(&m, false);
}

static void overflow(void)
{
	struct knl_msg m;
	char big[600];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	knl_msg_new(&m, &fake_nl, SEKISHO_CMD_DEV_GET, 0, 512);
	knl_put_str(&m, SEKISHO_A_IFNAME, big);
	tap_ok(&t, m.overflow && m.nlh->nlmsg_len < 512,
	       "message: an attribute beyond the buffer sets overflow, writes nothing");
	knl_msg_free(&m, false);
}

int main(void)
{
	tap_begin();
	policy_roundtrip(0, false);
	policy_roundtrip(3, false);
	policy_roundtrip(900, false);
	policy_roundtrip(10000, true);
	policy_roundtrip(SEKISHO_MAX_RULES, true);
	dump_merge();
	peer_decode();
	overflow();
	return tap_end(&t);
}
