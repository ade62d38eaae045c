// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite sekisho_allowlist: the compiled allowlist (kmod/allowlist.c)
 * against a naive reference, a linear first-match scan over the rules,
 * comparing both the decision and the index of the deciding rule.  Also
 * built on the host by tests/unit as allowlist-test.
 */
#include "../allowlist.h"
#include "sk_test.h"

#define PMAX	0xffff

/* ---- reference: linear first match, written independently ---- */

static const u8 *rule_bytes(const struct sekisho_rule *r)
{
	return r->family == AF_INET ? (const u8 *)&r->addr.v4 :
				      r->addr.v6.s6_addr;
}

static bool ref_prefix_match(const u8 *net, const u8 *addr, unsigned int plen)
{
	unsigned int full = plen / 8, rem = plen % 8;
	u8 m;

	if (memcmp(net, addr, full))
		return false;
	if (!rem)
		return true;
	m = (u8)(0xff << (8 - rem));
	return (net[full] & m) == (addr[full] & m);
}

static int ref_first_match(const struct sekisho_rule *rules, u32 n,
			   u8 family, const u8 *addr, u8 proto, int dport)
{
	u32 i;

	for (i = 0; i < n; i++) {
		const struct sekisho_rule *r = &rules[i];
		bool all_ports = r->port_min == 0 && r->port_max == 0xffff;

		if (r->family != family)
			continue;
		if (!ref_prefix_match(rule_bytes(r), addr, r->prefixlen))
			continue;
		if (r->proto && r->proto != proto)
			continue;
		if (!all_ports && dport >= 0 &&
		    (dport < r->port_min || dport > r->port_max))
			continue;
		return (int)i;
	}
	return -1;
}

/* ---- rule construction helpers ---- */

static void parse_v6(u8 *out, const u16 *w)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		put_unaligned_be16(w[i], out + 2 * i);
}

static struct sekisho_rule rule4(u8 action, u32 addr, u8 plen, u8 proto,
				 u16 pmin, u16 pmax)
{
	struct sekisho_rule r;

	memset(&r, 0, sizeof(r));
	r.action = action;
	r.family = AF_INET;
	r.prefixlen = plen;
	r.proto = proto;
	r.port_min = pmin;
	r.port_max = pmax;
	r.addr.v4 = cpu_to_be32(addr);
	return r;
}

static struct sekisho_rule rule6(u8 action, const u16 *w, u8 plen, u8 proto,
				 u16 pmin, u16 pmax)
{
	struct sekisho_rule r;

	memset(&r, 0, sizeof(r));
	r.action = action;
	r.family = AF_INET6;
	r.prefixlen = plen;
	r.proto = proto;
	r.port_min = pmin;
	r.port_max = pmax;
	parse_v6(r.addr.v6.s6_addr, w);
	return r;
}

#define ALLOW	SEKISHO_ACTION_ALLOW
#define DENY	SEKISHO_ACTION_DENY
#define TCP	IPPROTO_TCP
#define UDP	IPPROTO_UDP
#define ICMP	IPPROTO_ICMP
#define ICMP6	IPPROTO_ICMPV6

struct pkt4 {
	u32 addr;
	u8 proto;
	int dport;
	int want;	/* rule index or -1 */
};

struct pkt6 {
	u16 w[8];
	u8 proto;
	int dport;
	int want;
};

/* compare against the expectation and against the reference */
static void check_one(struct sk_test *test, const struct sekisho_acl *acl,
		      const struct sekisho_rule *rules, u32 n, u8 family,
		      const u8 *addr, u8 proto, int dport, int want,
		      const char *what, unsigned int k)
{
	int ref = ref_first_match(rules, n, family, addr, proto, dport);
	bool want_allow = want >= 0 && rules[want].action == ALLOW;
	int idx = -2;
	bool got = sekisho_acl_allows(acl, family, addr, proto, dport, &idx);

	SK_EXPECT_MSG(ref == want, "%s %u: reference says %d, table %d",
		      what, k, ref, want);
	SK_EXPECT_MSG(idx == want && got == want_allow,
		      "%s %u: got %d (idx %d), want %d (idx %d)", what, k,
		      got, idx, want_allow, want);
}

SK_TEST(acl_empty_policy_denies)
{
	static const u8 a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct sekisho_acl *acl;
	const char *why = NULL;
	__be32 a4 = cpu_to_be32(0x0a000001);
	int idx = 5;

	acl = sekisho_acl_compile(NULL, 0, GFP_KERNEL, &why);
	SK_ASSERT(!IS_ERR(acl));
	SK_EXPECT_EQ(sekisho_acl_nrules(acl), 0);
	SK_EXPECT(!sekisho_acl_allows(acl, AF_INET, &a4, TCP, 80, &idx));
	SK_EXPECT_EQ(idx, -1);
	idx = 5;
	SK_EXPECT(!sekisho_acl_allows(acl, AF_INET6, a6, UDP, -1, &idx));
	SK_EXPECT_EQ(idx, -1);
	SK_EXPECT(!sekisho_acl_allows(acl, 99, a6, UDP, -1, NULL));
	sekisho_acl_free(acl);

	/* NULL policy: deny; free tolerates NULL and error pointers */
	SK_EXPECT(!sekisho_acl_allows(NULL, AF_INET, &a4, TCP, 80, &idx));
	SK_EXPECT_EQ(idx, -1);
	SK_EXPECT_EQ(sekisho_acl_nrules(NULL), 0);
	sekisho_acl_free(NULL);
	sekisho_acl_free(ERR_PTR(-EINVAL));
}

SK_TEST(acl_table_v4)
{
	const struct sekisho_rule rules[] = {
		rule4(ALLOW, 0x0a000000, 8, TCP, 443, 443),		/* 0 */
		rule4(DENY, 0x0a010000, 16, 0, 0, PMAX),		/* 1 */
		rule4(ALLOW, 0x0a010200, 24, UDP, 53, 53),		/* 2 */
		rule4(ALLOW, 0x0a000000, 8, ICMP, 0, PMAX),		/* 3 */
		rule4(ALLOW, 0x00000000, 0, TCP, 80, 80),		/* 4 */
		rule4(DENY, 0xc0a80000, 16, TCP, 0, PMAX),		/* 5 */
		rule4(ALLOW, 0xc0a80100, 24, TCP, 22, 22),		/* 6: shadowed */
		rule4(ALLOW, 0xc0a80000, 16, 0, 0, PMAX),		/* 7 */
		rule4(ALLOW, 0xac100000, 12, UDP, 1000, 2000),		/* 8 */
	};
	static const struct pkt4 pk[] = {
		{ 0x0a010203, TCP, 443, 0 },
		{ 0x0a010203, UDP, 53, 1 },	/* deny before the allow */
		{ 0x0a020001, UDP, 53, -1 },
		{ 0x0a020001, ICMP, -1, 3 },
		{ 0x0a020001, TCP, 80, 4 },
		{ 0xac100001, TCP, 80, 4 },
		{ 0xac100001, TCP, 81, -1 },
		{ 0xc0a80105, TCP, 22, 5 },
		{ 0xc0a80105, UDP, 22, 7 },
		{ 0xc0a80105, ICMP, -1, 7 },
		{ 0xc0a8ffff, 47, -1, 7 },
		{ 0x0b000000, TCP, 443, -1 },
		{ 0x09ffffff, TCP, 443, -1 },
		{ 0x0affffff, TCP, 443, 0 },
		{ 0xac1f0001, UDP, 999, -1 },
		{ 0xac1f0001, UDP, 1000, 8 },
		{ 0xac1f0001, UDP, 2000, 8 },
		{ 0xac1f0001, UDP, 2001, -1 },
		{ 0xac200001, UDP, 1500, -1 },
		/* no port information: port ranges match on proto only */
		{ 0x0a090909, TCP, -1, 0 },
		{ 0xac100001, TCP, -1, 4 },
		{ 0xac100001, UDP, -1, 8 },
		{ 0x0a010203, UDP, -1, 1 },
		{ 0x0b000001, UDP, -1, -1 },
	};
	const char *why = NULL;
	struct sekisho_acl *acl;
	unsigned int i;

	acl = sekisho_acl_compile(rules, ARRAY_SIZE(rules), GFP_KERNEL, &why);
	SK_ASSERT_MSG(!IS_ERR(acl), "compile: %s", why);
	SK_EXPECT_EQ(sekisho_acl_nrules(acl), ARRAY_SIZE(rules));
	for (i = 0; i < ARRAY_SIZE(pk); i++) {
		u8 a[5];

		/* daddr need not be aligned */
		put_unaligned_be32(pk[i].addr, a + 1);
		check_one(test, acl, rules, ARRAY_SIZE(rules), AF_INET, a + 1,
			  pk[i].proto, pk[i].dport, pk[i].want, "v4 packet", i);
	}
	sekisho_acl_free(acl);
}

SK_TEST(acl_table_v6)
{
	static const u16 db8[8] = { 0x2001, 0x0db8 };
	static const u16 db8_1[8] = { 0x2001, 0x0db8, 0, 1 };
	static const u16 db8_1_5[8] = { 0x2001, 0x0db8, 0, 1, 0, 0, 0, 5 };
	static const u16 zero[8];
	const struct sekisho_rule rules[] = {
		rule6(ALLOW, db8, 32, TCP, 443, 443),			/* 0 */
		rule6(DENY, db8_1, 64, 0, 0, PMAX),			/* 1 */
		rule6(ALLOW, db8_1_5, 128, UDP, 1000, 2000),		/* 2 */
		rule6(ALLOW, zero, 0, ICMP6, 0, PMAX),		/* 3 */
		rule6(DENY, db8, 32, 0, 0, PMAX),			/* 4 */
		rule6(ALLOW, zero, 0, 0, 0, PMAX),			/* 5 */
		rule4(ALLOW, 0, 0, 0, 0, PMAX),			/* 6 */
	};
	static const struct pkt6 pk[] = {
		{ { 0x2001, 0x0db8, 0, 0, 0, 0, 0, 1 }, TCP, 443, 0 },
		{ { 0x2001, 0x0db8, 0, 1, 0, 0, 0, 5 }, UDP, 1500, 1 },
		{ { 0x2001, 0x0db8, 0, 1, 0, 0, 0, 5 }, ICMP6, -1, 1 },
		{ { 0x2001, 0x0db8, 0, 1, 0xffff, 0xffff, 0xffff, 0xffff }, TCP, 443, 0 },
		{ { 0x2001, 0x0db8, 0, 0, 0xffff, 0xffff, 0xffff, 0xffff }, UDP, 1, 4 },
		{ { 0x2001, 0x0db8, 0, 2, 0, 0, 0, 1 }, ICMP6, -1, 3 },
		{ { 0x2001, 0x0db8, 0, 2, 0, 0, 0, 1 }, UDP, 5, 4 },
		{ { 0x2001, 0x0db9, 0, 0, 0, 0, 0, 1 }, UDP, 5, 5 },
		{ { 0x2001, 0x0db7, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff },
		  TCP, 443, 5 },
		{ { 0 }, 47, -1, 5 },
		{ { 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff },
		  ICMP6, -1, 3 },
	};
	const char *why = NULL;
	struct sekisho_acl *acl;
	unsigned int i;
	u8 a[17];

	acl = sekisho_acl_compile(rules, ARRAY_SIZE(rules), GFP_KERNEL, &why);
	SK_ASSERT_MSG(!IS_ERR(acl), "compile: %s", why);
	for (i = 0; i < ARRAY_SIZE(pk); i++) {
		parse_v6(a + 1, pk[i].w);
		check_one(test, acl, rules, ARRAY_SIZE(rules), AF_INET6, a + 1,
			  pk[i].proto, pk[i].dport, pk[i].want, "v6 packet", i);
	}
	/* the IPv4 catch-all does not leak into IPv6 and vice versa */
	put_unaligned_be32(0x0a000001, a);
	check_one(test, acl, rules, ARRAY_SIZE(rules), AF_INET, a, TCP, 1, 6,
		  "v4 packet", 0);
	sekisho_acl_free(acl);
}

SK_TEST(acl_address_space_edges)
{
	static const u16 zero[8];
	static const u16 ones[8] = {
		0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff
	};
	static const u16 top[8] = { 0x8000 };
	static const u16 half[8] = { 0x2001, 0xdb8, 0, 0, 0x8000 };
	const struct sekisho_rule rules[] = {
		rule4(ALLOW, 0, 32, 0, 0, PMAX),
		rule4(ALLOW, 0xffffffff, 32, 0, 0, PMAX),
		rule4(DENY, 0, 1, 0, 0, PMAX),
		rule4(ALLOW, 0xffffff00, 24, UDP, 7, 7),
		rule6(ALLOW, zero, 128, 0, 0, PMAX),
		rule6(ALLOW, ones, 128, 0, 0, PMAX),
		rule6(DENY, top, 1, TCP, 0, PMAX),
		rule6(ALLOW, half, 65, 0, 0, PMAX),
	};
	static const u32 a4[] = {
		0, 1, 0x7fffffff, 0x80000000, 0xfffffeff, 0xffffff00,
		0xfffffffe, 0xffffffff,
	};
	static const u16 a6[][8] = {
		{ 0 },
		{ 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0x7fff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff },
		{ 0x8000 },
		{ 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xfffe },
		{ 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff },
		{ 0x2001, 0xdb8, 0, 0, 0x7fff, 0xffff, 0xffff, 0xffff },
		{ 0x2001, 0xdb8, 0, 0, 0x8000 },
		{ 0x2001, 0xdb8, 0, 0, 0xffff, 0xffff, 0xffff, 0xffff },
		{ 0x2001, 0xdb8, 0, 1 },
	};
	static const u8 protos[] = { TCP, UDP, ICMP, ICMP6, 47 };
	const char *why = NULL;
	struct sekisho_acl *acl;
	unsigned int i, j;
	u8 a[16];

	acl = sekisho_acl_compile(rules, ARRAY_SIZE(rules), GFP_KERNEL, &why);
	SK_ASSERT_MSG(!IS_ERR(acl), "compile: %s", why);
	for (i = 0; i < ARRAY_SIZE(a4); i++) {
		for (j = 0; j < ARRAY_SIZE(protos); j++) {
			put_unaligned_be32(a4[i], a);
			check_one(test, acl, rules, ARRAY_SIZE(rules), AF_INET,
				  a, protos[j], 7,
				  ref_first_match(rules, ARRAY_SIZE(rules),
						  AF_INET, a, protos[j], 7),
				  "v4 edge", i);
		}
	}
	for (i = 0; i < ARRAY_SIZE(a6); i++) {
		for (j = 0; j < ARRAY_SIZE(protos); j++) {
			parse_v6(a, a6[i]);
			check_one(test, acl, rules, ARRAY_SIZE(rules), AF_INET6,
				  a, protos[j], 7,
				  ref_first_match(rules, ARRAY_SIZE(rules),
						  AF_INET6, a, protos[j], 7),
				  "v6 edge", i);
		}
	}
	/* spot checks, so the reference is not the only judge */
	put_unaligned_be32(0, a);
	SK_EXPECT(sekisho_acl_allows(acl, AF_INET, a, TCP, 1, NULL));
	put_unaligned_be32(1, a);
	SK_EXPECT(!sekisho_acl_allows(acl, AF_INET, a, TCP, 1, NULL));
	put_unaligned_be32(0x80000000, a);
	SK_EXPECT(!sekisho_acl_allows(acl, AF_INET, a, TCP, 1, NULL));
	put_unaligned_be32(0xffffffff, a);
	SK_EXPECT(sekisho_acl_allows(acl, AF_INET, a, TCP, 1, NULL));
	sekisho_acl_free(acl);
}

struct vcase {
	struct sekisho_rule r;
	const char *why;	/* NULL: valid */
};

SK_TEST(acl_validation_errors)
{
	static const u16 db8[8] = { 0x2001, 0xdb8 };
	static const u16 db8_host[8] = { 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1 };
	static const u16 db8_hi_host[8] = { 0x2001, 0xdb8, 1 };
	static const u16 ones[8] = {
		0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff
	};
	struct vcase vc[] = {
		{ rule4(ALLOW, 0x0a000000, 8, TCP, 443, 443), NULL },
		{ rule4(DENY, 0, 0, 0, 0, PMAX), NULL },
		{ rule4(ALLOW, 0xffffffff, 32, UDP, 0, 0), NULL },
		{ rule4(ALLOW, 0x0a000000, 8, ICMP, 0, PMAX), NULL },
		{ rule6(ALLOW, ones, 128, ICMP6, 0, PMAX), NULL },
		{ rule6(ALLOW, db8, 32, UDP, 53, 53), NULL },
		{ rule4(2, 0x0a000000, 8, TCP, 0, PMAX), "unknown rule action" },
		{ rule4(0xff, 0x0a000000, 8, TCP, 0, PMAX), "unknown rule action" },
		{ rule4(ALLOW, 0x0a000000, 33, 0, 0, PMAX), "prefix length > 32" },
		{ rule6(ALLOW, db8, 129, 0, 0, PMAX), "prefix length > 128" },
		{ rule4(ALLOW, 0x0a000001, 8, 0, 0, PMAX), "host bits set in prefix" },
		{ rule4(ALLOW, 0x00000001, 0, 0, 0, PMAX), "host bits set in prefix" },
		{ rule6(ALLOW, db8_host, 64, 0, 0, PMAX), "host bits set in prefix" },
		{ rule6(ALLOW, db8_hi_host, 32, 0, 0, PMAX), "host bits set in prefix" },
		{ rule6(ALLOW, db8_host, 127, 0, 0, PMAX), "host bits set in prefix" },
		{ rule4(ALLOW, 0, 0, 0, 80, 80), "port range needs proto tcp or udp" },
		{ rule4(ALLOW, 0, 0, ICMP, 0, 100), "port range needs proto tcp or udp" },
		{ rule6(ALLOW, db8, 32, ICMP6, 1, 0xffff), "port range needs proto tcp or udp" },
		{ rule4(ALLOW, 0, 0, TCP, 100, 50), "port_min > port_max" },
		{ rule4(ALLOW, 0, 0, 47, 0, PMAX), "proto must be" },
		{ rule4(ALLOW, 0, 0, 255, 0, PMAX), "proto must be" },
		{ rule6(ALLOW, db8, 32, ICMP, 0, PMAX), "proto icmp needs family AF_INET" },
		{ rule4(ALLOW, 0, 0, ICMP6, 0, PMAX), "proto icmpv6 needs family AF_INET6" },
	};
	struct sekisho_rule bad_family = rule4(ALLOW, 0, 0, 0, 0, PMAX);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vc); i++) {
		const char *why = NULL;
		int err = sekisho_rule_validate(&vc[i].r, &why);

		if (!vc[i].why) {
			SK_EXPECT_MSG(err == 0, "case %u: %d (%s)", i, err,
				      why ? why : "-");
			continue;
		}
		SK_EXPECT_MSG(err == -EINVAL, "case %u: %d", i, err);
		SK_EXPECT_MSG(why && strstr(why, vc[i].why),
			      "case %u: message \"%s\", want \"%s\"", i,
			      why ? why : "(none)", vc[i].why);
	}
	for (i = 0; i < 256; i++) {
		const char *why = NULL;

		if (i == AF_INET || i == AF_INET6)
			continue;
		bad_family.family = (u8)i;
		SK_EXPECT_EQ(sekisho_rule_validate(&bad_family, &why), -EINVAL);
		SK_EXPECT(why && strstr(why, "family"));
	}
	/* why may be NULL */
	SK_EXPECT_EQ(sekisho_rule_validate(&vc[6].r, NULL), -EINVAL);
}

SK_TEST(acl_compile_reports_bad_rule)
{
	struct sekisho_rule rules[6];
	struct sekisho_acl *acl;
	const char *why = NULL;
	u32 bad = 99;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rules); i++)
		rules[i] = rule4(ALLOW, 0x0a000000 + (i << 8), 24, TCP, 1, 2);
	rules[3].prefixlen = 40;
	acl = sekisho_acl_compile_bad(rules, ARRAY_SIZE(rules), GFP_KERNEL,
				      &why, &bad);
	SK_ASSERT(IS_ERR(acl));
	SK_EXPECT_EQ(PTR_ERR(acl), -EINVAL);
	SK_EXPECT_EQ(bad, 3);
	SK_EXPECT(why && strstr(why, "prefix length > 32"));

	why = NULL;
	acl = sekisho_acl_compile(rules, ARRAY_SIZE(rules), GFP_KERNEL, &why);
	SK_EXPECT_EQ(PTR_ERR(acl), -EINVAL);
	SK_EXPECT(why);
}

SK_TEST(acl_too_many_rules)
{
	struct sekisho_rule r = rule4(ALLOW, 0, 0, 0, 0, PMAX);
	struct sekisho_acl *acl;
	const char *why = NULL;

	/* the count is refused before a single rule is read */
	acl = sekisho_acl_compile(&r, SEKISHO_MAX_RULES + 1, GFP_KERNEL, &why);
	SK_EXPECT_EQ(PTR_ERR(acl), -E2BIG);
	SK_EXPECT(why && strstr(why, "too many rules"));
}

/*
 * Port rules towards 0.0.0.0/0 cannot be cut off, so they appear in the
 * list of every more specific prefix: P of them and H host prefixes need
 * about P * H list entries.
 */
static struct sekisho_rule *wildcard_policy(struct sk_test *test, u32 p, u32 h)
{
	struct sekisho_rule *rules = SK_ALLOC(p + h, sizeof(*rules));
	u32 i;

	if (!rules)
		return NULL;
	for (i = 0; i < p; i++)
		rules[i] = rule4(i & 1 ? ALLOW : DENY, 0, 0, i & 2 ? UDP : TCP,
				 (u16)(1 + i), (u16)(1 + i));
	for (i = 0; i < h; i++)
		rules[p + i] = rule4(ALLOW, 0x0a000000 + i * 4, 30 + i % 3,
				     i % 4 ? UDP : 0, i % 4 ? 53 : 0,
				     i % 4 ? 53 : 0xffff);
	return rules;
}

SK_TEST(acl_complexity_bound)
{
	const u32 p = 1100, h = 1000;
	struct sekisho_rule *rules = wildcard_policy(test, p, h);
	struct sekisho_acl *acl;
	const char *why = NULL;

	SK_ASSERT(rules);
	/* about 1.1M entries: over SEKISHO_ACL_MAX_ENTRIES */
	acl = sekisho_acl_compile(rules, p + h, GFP_KERNEL, &why);
	SK_ASSERT_MSG(IS_ERR(acl), "compiled %u rules into %zu bytes", p + h,
		      sekisho_acl_size(acl));
	SK_EXPECT_EQ(PTR_ERR(acl), -E2BIG);
	SK_EXPECT(why && strstr(why, "policy too complex"));
}

/* ---- randomised comparison ---- */

struct acl_gen {
	struct sk_rng g;
	u8 anchor4[64][4];
	u8 anchor6[64][16];
	u32 nanchors;
	/*
	 * Prefix lengths: with probability pct_wide from the whole range
	 * (biased to the interesting ones), else from min4..32 / min6..128.
	 * Large policies need mostly long prefixes, or an early wide rule
	 * decides every packet and the deep rules are never exercised.
	 */
	u32 pct_wide, min4, min6;
};

static const u16 port_pool[] = {
	0, 1, 2, 21, 22, 23, 52, 53, 54, 79, 80, 81, 443, 444, 1023, 1024,
	8080, 65534, 65535,
};

static u16 rand_port(struct sk_rng *g)
{
	if (sk_chance(g, 80))
		return port_pool[sk_below(g, ARRAY_SIZE(port_pool))];
	return (u16)sk_rand32(g);
}

static void gen_anchors(struct acl_gen *G, u32 nanchors)
{
	unsigned int i, j;

	G->nanchors = nanchors;
	for (i = 0; i < nanchors; i++) {
		for (j = 0; j < 4; j++)
			G->anchor4[i][j] = (u8)sk_rand32(&G->g);
		for (j = 0; j < 16; j++)
			G->anchor6[i][j] = (u8)sk_rand32(&G->g);
		/* some anchors sit at the ends of the address space */
		if (sk_chance(&G->g, 15)) {
			memset(G->anchor4[i], i & 1 ? 0xff : 0, 4);
			memset(G->anchor6[i], i & 1 ? 0xff : 0, 16);
		}
	}
}

/* an address near one of the anchors, so that prefixes nest and overlap */
static void rand_addr(struct acl_gen *G, u8 family, u8 *out)
{
	unsigned int len = family == AF_INET ? 4 : 16;
	unsigned int i, flips;

	memcpy(out, family == AF_INET ? G->anchor4[sk_below(&G->g, G->nanchors)] :
					G->anchor6[sk_below(&G->g, G->nanchors)],
	       len);
	flips = sk_below(&G->g, 4);
	for (i = 0; i < flips; i++) {
		/* mostly low-order bits, sometimes anywhere */
		unsigned int bit = sk_chance(&G->g, 70) ?
			len * 8 - 1 - sk_below(&G->g, 24) :
			sk_below(&G->g, len * 8);

		out[bit / 8] ^= (u8)(0x80 >> (bit % 8));
	}
}

static u8 rand_plen(struct acl_gen *G, u8 family)
{
	static const u8 p4[] = { 0, 1, 8, 16, 23, 24, 25, 31, 32 };
	static const u8 p6[] = { 0, 1, 32, 48, 56, 63, 64, 65, 96, 127, 128 };
	struct sk_rng *g = &G->g;

	if (!sk_chance(g, G->pct_wide))
		return family == AF_INET ?
			(u8)(G->min4 + sk_below(g, 33 - G->min4)) :
			(u8)(G->min6 + sk_below(g, 129 - G->min6));
	if (family == AF_INET)
		return sk_chance(g, 50) ? p4[sk_below(g, ARRAY_SIZE(p4))] :
					  (u8)sk_below(g, 33);
	return sk_chance(g, 50) ? p6[sk_below(g, ARRAY_SIZE(p6))] :
				  (u8)sk_below(g, 129);
}

static void mask_prefix(u8 *a, unsigned int len, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			a[i] = 0;
		else
			a[i] &= (u8)(0xff << (8 - (plen - 8 * i)));
	}
}

static void rand_rule(struct acl_gen *G, struct sekisho_rule *r, u32 pct6,
		      u32 pct_any)
{
	u8 family = sk_chance(&G->g, pct6) ? AF_INET6 : AF_INET;
	u8 *a = family == AF_INET ? (u8 *)&r->addr.v4 : r->addr.v6.s6_addr;
	u32 k;

	memset(r, 0, sizeof(*r));
	r->family = family;
	r->action = sk_chance(&G->g, 50) ? ALLOW : DENY;
	r->prefixlen = rand_plen(G, family);
	rand_addr(G, family, a);
	mask_prefix(a, family == AF_INET ? 4 : 16, r->prefixlen);
	r->port_min = 0;
	r->port_max = 0xffff;
	k = sk_below(&G->g, 100);
	if (k < pct_any) {
		r->proto = 0;
	} else if (k < pct_any + (100 - pct_any) / 6) {
		r->proto = family == AF_INET ? ICMP : ICMP6;
	} else {
		r->proto = sk_chance(&G->g, 50) ? TCP : UDP;
		if (sk_chance(&G->g, 70)) {
			u16 x = rand_port(&G->g), y = rand_port(&G->g);

			r->port_min = min(x, y);
			r->port_max = max(x, y);
		}
	}
}

/* a destination that hits rule edges often */
static void rand_dst(struct acl_gen *G, const struct sekisho_rule *rules,
		     u32 n, u8 family, u8 *a)
{
	unsigned int len = family == AF_INET ? 4 : 16;
	const struct sekisho_rule *r = n ? &rules[sk_below(&G->g, n)] : NULL;
	unsigned int i, k = sk_below(&G->g, 100);

	if (!r || r->family != family || k < 30) {
		rand_addr(G, family, a);
		return;
	}
	memcpy(a, rule_bytes(r), len);
	if (k < 40)
		return;				/* first address */
	if (k < 45) {
		/* one before the first */
		for (i = len; i-- > 0;)
			if (a[i]--)
				break;
		return;
	}
	/* last address (k < 60), or random host bits */
	for (i = r->prefixlen; i < len * 8; i++)
		if (k < 60 || sk_chance(&G->g, 50))
			a[i / 8] |= (u8)(0x80 >> (i % 8));
	if (k < 52) {
		/* one past the last */
		for (i = len; i-- > 0;)
			if (++a[i])
				break;
	}
}

static bool acl_round(struct sk_test *test, struct acl_gen *G,
		      struct sekisho_rule *rules, u32 n, u32 pct6,
		      u32 pct_any, u32 npkts)
{
	static const u8 protos4[] = { TCP, UDP, ICMP, 47, 0 };
	static const u8 protos6[] = { TCP, UDP, ICMP6, 47, 0 };
	struct sekisho_acl *acl;
	const char *why = NULL;
	u32 i;

	for (i = 0; i < n; i++)
		rand_rule(G, &rules[i], pct6, pct_any);
	acl = sekisho_acl_compile(rules, n, GFP_KERNEL, &why);
	if (IS_ERR(acl)) {
		SK_FAIL("compile of %u random rules: %ld (%s)", n,
			PTR_ERR(acl), why ? why : "-");
		return false;
	}
	for (i = 0; i < npkts; i++) {
		u8 family = sk_chance(&G->g, pct6) ? AF_INET6 : AF_INET;
		u8 proto = family == AF_INET ?
			protos4[sk_below(&G->g, ARRAY_SIZE(protos4))] :
			protos6[sk_below(&G->g, ARRAY_SIZE(protos6))];
		int dport = -1, idx = -2, want;
		bool got, want_allow;
		u8 a[16];

		if ((proto == TCP || proto == UDP) && sk_chance(&G->g, 80))
			dport = rand_port(&G->g);
		rand_dst(G, rules, n, family, a);
		want = ref_first_match(rules, n, family, a, proto, dport);
		want_allow = want >= 0 && rules[want].action == ALLOW;
		got = sekisho_acl_allows(acl, family, a, proto, dport, &idx);
		if (idx != want || got != want_allow) {
			SK_FAIL("%u rules, pkt %u (af %u proto %u port %d): %d/%d, want %d/%d",
				n, i, family, proto, dport, got, idx,
				want_allow, want);
			sekisho_acl_free(acl);
			return false;
		}
	}
	sekisho_acl_free(acl);
	return true;
}

SK_TEST(acl_random_small_policies)
{
	struct sekisho_rule *rules = SK_ALLOC(64, sizeof(*rules));
	struct acl_gen G;
	u32 round;

	SK_ASSERT(rules);
	sk_rng_seed(&G.g, 0x5e415e0002ULL);
	G.pct_wide = 100;
	for (round = 0; round < 400; round++) {
		gen_anchors(&G, 1 + sk_below(&G.g, 4));
		if (!acl_round(test, &G, rules, 1 + sk_below(&G.g, 48),
			       sk_below(&G.g, 101), sk_below(&G.g, 40), 300)) {
			SK_INFO("failed in round %u", round);
			return;
		}
	}
}

SK_TEST(acl_random_large_policies)
{
	static const struct {
		u32 n, pct6, pct_any, anchors, pct_wide, min4, min6;
	} rounds[] = {
		{ 3000, 0, 5, 64, 1, 16, 48 },
		{ 3000, 100, 5, 64, 1, 16, 48 },
		{ 2500, 50, 10, 16, 2, 20, 56 },
		{ 2000, 30, 0, 4, 3, 24, 64 },
		{ 2000, 50, 30, 2, 10, 8, 32 },
	};
	struct sekisho_rule *rules = SK_ALLOC(3000, sizeof(*rules));
	struct acl_gen G;
	u32 i;

	SK_ASSERT(rules);
	sk_rng_seed(&G.g, 0x5e415e0004ULL);
	for (i = 0; i < ARRAY_SIZE(rounds); i++) {
		gen_anchors(&G, rounds[i].anchors);
		G.pct_wide = rounds[i].pct_wide;
		G.min4 = rounds[i].min4;
		G.min6 = rounds[i].min6;
		if (!acl_round(test, &G, rules, rounds[i].n, rounds[i].pct6,
			       rounds[i].pct_any, 1500)) {
			SK_INFO("failed in round %u", i);
			return;
		}
	}
}

/* many port rules to anywhere, under the bound: still exact */
SK_TEST(acl_wildcard_port_rules)
{
	const u32 p = 150, h = 2000;
	struct sekisho_rule *rules = wildcard_policy(test, p, h);
	struct sekisho_acl *acl;
	const char *why = NULL;
	struct sk_rng g;
	u32 i;

	SK_ASSERT(rules);
	acl = sekisho_acl_compile(rules, p + h, GFP_KERNEL, &why);
	SK_ASSERT_MSG(!IS_ERR(acl), "compile: %s", why ? why : "-");
	sk_rng_seed(&g, 0x5e415e0005ULL);
	for (i = 0; i < 2000; i++) {
		u8 proto = sk_chance(&g, 50) ? TCP : UDP;
		int dport = sk_chance(&g, 10) ? -1 : (int)sk_below(&g, 200);
		u32 host = 0x0a000000 + sk_below(&g, 4 * h + 16) - 8;
		int idx, want = -3;
		u8 a[4];
		bool got;

		put_unaligned_be32(host, a);
		want = ref_first_match(rules, p + h, AF_INET, a, proto, dport);
		got = sekisho_acl_allows(acl, AF_INET, a, proto, dport, &idx);
		if (idx != want ||
		    got != (want >= 0 && rules[want].action == ALLOW)) {
			SK_FAIL("packet %u: idx %d, want %d", i, idx, want);
			break;
		}
	}
	sekisho_acl_free(acl);
}

#ifndef __KERNEL__
/* every allocation failure is reported as -ENOMEM and leaks nothing */
SK_TEST(acl_allocation_failures)
{
	struct sekisho_rule *rules = SK_ALLOC(400, sizeof(*rules));
	struct sekisho_acl *acl;
	struct acl_gen G;
	long k;
	u32 i;

	SK_ASSERT(rules);
	sk_rng_seed(&G.g, 0x5e415e0006ULL);
	G.pct_wide = 100;
	gen_anchors(&G, 3);
	for (i = 0; i < 400; i++)
		rand_rule(&G, &rules[i], 40, 10);
	for (k = 0; k < 100; k++) {
		unsigned long live = kshim_live_allocs;
		const char *why = NULL;

		kshim_fail_alloc_after = k;
		acl = sekisho_acl_compile(rules, 400, GFP_KERNEL, &why);
		kshim_fail_alloc_after = -1;
		if (!IS_ERR(acl)) {
			sekisho_acl_free(acl);
			SK_EXPECT_EQ(kshim_live_allocs, live);
			SK_INFO("compile needs %ld allocations", k);
			return;
		}
		SK_EXPECT_EQ(PTR_ERR(acl), -ENOMEM);
		SK_EXPECT(why && strstr(why, "out of memory"));
		SK_EXPECT_EQ(kshim_live_allocs, live);
	}
	SK_FAIL("compile still failing after %ld allocations", k);
}

#define SK_USERSPACE_CASES SK_CASE(acl_allocation_failures),
#else
#define SK_USERSPACE_CASES
#endif

SK_SUITE(sekisho_allowlist,
	 SK_CASE(acl_empty_policy_denies),
	 SK_CASE(acl_table_v4),
	 SK_CASE(acl_table_v6),
	 SK_CASE(acl_address_space_edges),
	 SK_CASE(acl_validation_errors),
	 SK_CASE(acl_compile_reports_bad_rule),
	 SK_CASE(acl_too_many_rules),
	 SK_CASE(acl_complexity_bound),
	 SK_USERSPACE_CASES
	 SK_CASE(acl_random_small_policies),
	 SK_CASE(acl_random_large_policies),
	 SK_CASE(acl_wildcard_port_rules));
