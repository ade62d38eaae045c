// SPDX-License-Identifier: GPL-2.0
/*
 * Compiled ordered allowlist (first match wins, default deny).
 *
 * Destination prefixes either nest or are disjoint, so the distinct prefixes
 * of a policy form a tree, and the rules that can match an address are
 * exactly those of the prefixes on its path from the root.  Compilation
 * walks that tree in pre-order (prefixes sorted by first address, then by
 * length) and gives every prefix the ordered list of candidate rules:
 * its parent's list merged with its own rules, cut after the first rule
 * that matches every packet (proto any) and without rules shadowed by an
 * earlier full-port-range rule of the same protocol.  The same walk cuts
 * the address space into elementary intervals, each pointing at the list of
 * the deepest prefix that covers it.  A lookup is then a binary search over
 * interval starts plus a scan of a short list.
 *
 * Documentation/decisions/allowlist.md has the reasoning and the bounds.
 */
#include "allowlist.h"

/* An address as a 128-bit number; IPv4 uses lo only. */
struct sekisho_u128 {
	u64 hi, lo;
};

/* One candidate rule of a list, with what the scan needs inline. */
struct sekisho_acl_ent {
	u32 idx;
	u16 port_min, port_max;
	u8 proto;
	u8 action;
	u16 pad;
};

struct sekisho_acl_span {
	u32 off, len;
};

struct sekisho_acl {
	u32 nrules;
	u32 nents;
	u32 n4, n6;		/* intervals per family, >= 1 each */
	size_t size;		/* bytes of this allocation */
	const struct sekisho_u128 *start6;
	const u32 *start4;
	const struct sekisho_acl_span *span4, *span6;
	const struct sekisho_acl_ent *ents;
};

/* ---------- 128-bit helpers ---------- */

static inline int acl_u128_cmp(const struct sekisho_u128 *a,
			       const struct sekisho_u128 *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

static inline bool acl_u128_eq(const struct sekisho_u128 *a,
			       const struct sekisho_u128 *b)
{
	return a->hi == b->hi && a->lo == b->lo;
}

static inline struct sekisho_u128 acl_u128_inc(struct sekisho_u128 a)
{
	if (++a.lo == 0)
		a.hi++;
	return a;
}

static inline struct sekisho_u128 acl_u128_dec(struct sekisho_u128 a)
{
	if (a.lo-- == 0)
		a.hi--;
	return a;
}

/* host-bit mask of a prefix of plen bits in an address of the given width */
static struct sekisho_u128 acl_host_mask(unsigned int bits, unsigned int plen)
{
	struct sekisho_u128 m = { 0, 0 };
	unsigned int hb = bits - plen;	/* host bits, 0..128 */

	if (hb >= 128) {
		m.hi = ~0ULL;
		m.lo = ~0ULL;
	} else if (hb >= 64) {
		m.hi = hb == 64 ? 0 : ~0ULL >> (128 - hb);
		m.lo = ~0ULL;
	} else if (hb) {
		m.lo = ~0ULL >> (64 - hb);
	}
	return m;
}

static struct sekisho_u128 acl_rule_addr(const struct sekisho_rule *r)
{
	struct sekisho_u128 a;

	if (r->family == AF_INET) {
		a.hi = 0;
		a.lo = be32_to_cpu(r->addr.v4);
	} else {
		a.hi = get_unaligned_be64(&r->addr.v6.s6_addr[0]);
		a.lo = get_unaligned_be64(&r->addr.v6.s6_addr[8]);
	}
	return a;
}

/* ---------- validation ---------- */

static inline bool acl_ports_full(const struct sekisho_rule *r)
{
	return r->port_min == 0 && r->port_max == 0xffff;
}

int sekisho_rule_validate(const struct sekisho_rule *r, const char **why)
{
	const char *msg = NULL;
	unsigned int bits = 0;
	struct sekisho_u128 a, m;

	if (r->action != SEKISHO_ACTION_DENY &&
	    r->action != SEKISHO_ACTION_ALLOW)
		msg = "unknown rule action";
	else if (r->family == AF_INET)
		bits = 32;
	else if (r->family == AF_INET6)
		bits = 128;
	else
		msg = "rule family must be AF_INET or AF_INET6";

	if (!msg && r->prefixlen > bits)
		msg = bits == 32 ? "prefix length > 32" : "prefix length > 128";
	if (!msg) {
		switch (r->proto) {
		case 0:
		case IPPROTO_TCP:
		case IPPROTO_UDP:
			break;
		case IPPROTO_ICMP:
			if (r->family != AF_INET)
				msg = "proto icmp needs family AF_INET (use icmpv6)";
			break;
		case IPPROTO_ICMPV6:
			if (r->family != AF_INET6)
				msg = "proto icmpv6 needs family AF_INET6";
			break;
		default:
			msg = "proto must be 0 (any), icmp, tcp, udp or icmpv6";
		}
	}
	if (!msg && r->port_min > r->port_max)
		msg = "port_min > port_max";
	if (!msg && !acl_ports_full(r) && r->proto != IPPROTO_TCP &&
	    r->proto != IPPROTO_UDP)
		msg = "port range needs proto tcp or udp";
	if (!msg) {
		a = acl_rule_addr(r);
		m = acl_host_mask(bits, r->prefixlen);
		if ((a.hi & m.hi) || (a.lo & m.lo))
			msg = "host bits set in prefix";
	}
	if (!msg)
		return 0;
	if (why)
		*why = msg;
	return -EINVAL;
}

/* ---------- compilation ---------- */

/* A rule seen as (prefix, index); sorted into pre-order of the prefix tree. */
struct sekisho_acl_ref {
	struct sekisho_u128 lo, hi;
	u32 idx;
	u8 family;
	u8 plen;
};

struct sekisho_acl_iv {
	struct sekisho_u128 start;
	struct sekisho_acl_span span;
};

struct sekisho_acl_node {
	struct sekisho_u128 hi;
	struct sekisho_acl_span span;
};

/* deepest possible nesting: prefix lengths 0..128 */
#define SEKISHO_ACL_DEPTH	129

struct sekisho_acl_build {
	const struct sekisho_rule *rules;
	gfp_t gfp;
	struct sekisho_acl_ent *ents;
	u32 nents, cap;
	struct sekisho_acl_iv *iv;
	u32 niv;
	u32 first;		/* first interval of the current family */
	struct sekisho_acl_node *stack;
	/* sweep state of the current family */
	struct sekisho_u128 cur;
	bool done;
};

static int acl_ref_cmp(const void *pa, const void *pb)
{
	const struct sekisho_acl_ref *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = acl_u128_cmp(&a->lo, &b->lo);
	if (c)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (a->idx != b->idx)
		return a->idx < b->idx ? -1 : 1;
	return 0;
}

static int acl_build_reserve(struct sekisho_acl_build *b, u32 more)
{
	struct sekisho_acl_ent *n;
	u64 need = (u64)b->nents + more;
	u32 cap;

	if (need <= b->cap)
		return 0;
	/* a list longer than the bound cannot be kept anyway */
	if (need > (u64)SEKISHO_ACL_MAX_ENTRIES + SEKISHO_MAX_RULES)
		return -E2BIG;
	cap = max_t(u32, b->cap * 2, 256);
	cap = max_t(u32, cap, (u32)need);
	n = kvmalloc_array(cap, sizeof(*n), b->gfp);
	if (!n)
		return -ENOMEM;
	if (b->nents)
		memcpy(n, b->ents, b->nents * sizeof(*n));
	kvfree(b->ents);
	b->ents = n;
	b->cap = cap;
	return 0;
}

static void acl_make_ent(struct sekisho_acl_ent *e, const struct sekisho_rule *r,
			 u32 idx)
{
	e->idx = idx;
	e->port_min = r->port_min;
	e->port_max = r->port_max;
	e->proto = r->proto;
	e->action = r->action;
	e->pad = 0;
}

/* bit in the shadow mask for a full-port-range rule of this protocol */
static inline unsigned int acl_proto_bit(u8 proto)
{
	switch (proto) {
	case IPPROTO_ICMP:
		return 1;
	case IPPROTO_TCP:
		return 2;
	case IPPROTO_UDP:
		return 4;
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

/*
 * Append e to the list under construction unless an earlier entry already
 * decides every packet it could match (a full-port-range rule of the same
 * protocol).  Returns false if e was left out.  *final becomes true when e
 * matches every packet (proto any): nothing after it can ever win.
 */
static bool acl_list_add(struct sekisho_acl_build *b, u32 *len,
			 unsigned int *shadow, bool *final,
			 const struct sekisho_acl_ent *e)
{
	bool full = e->port_min == 0 && e->port_max == 0xffff;
	unsigned int bit = acl_proto_bit(e->proto);

	if (bit && (*shadow & bit))
		return false;
	b->ents[b->nents + *len] = *e;
	(*len)++;
	if (e->proto == 0)
		*final = true;
	else if (full)
		*shadow |= bit;
	return true;
}

/*
 * The list of a prefix: parent list p merged (by rule index) with the
 * prefix's own rules refs[0..k), which are sorted by index.
 */
static int acl_build_list(struct sekisho_acl_build *b, struct sekisho_acl_span p,
			  const struct sekisho_acl_ref *refs, u32 k,
			  struct sekisho_acl_span *out)
{
	struct sekisho_acl_ent e;
	unsigned int shadow = 0;
	u32 i = 0, j = 0, len = 0;
	bool own = false;
	bool final = false;
	int err;

	err = acl_build_reserve(b, p.len + k);
	if (err)
		return err;
	while (!final && (i < p.len || j < k)) {
		if (j >= k ||
		    (i < p.len && b->ents[p.off + i].idx < refs[j].idx)) {
			e = b->ents[p.off + i++];
			acl_list_add(b, &len, &shadow, &final, &e);
		} else {
			acl_make_ent(&e, &b->rules[refs[j].idx], refs[j].idx);
			j++;
			if (acl_list_add(b, &len, &shadow, &final, &e))
				own = true;
		}
	}
	if (!own) {
		/*
		 * None of its own rules can ever win: the merged list is the
		 * parent's, entry for entry.  Share it.
		 */
		*out = p;
		return 0;
	}
	if ((u64)b->nents + len > SEKISHO_ACL_MAX_ENTRIES)
		return -E2BIG;
	out->off = b->nents;
	out->len = len;
	b->nents += len;
	return 0;
}

static void acl_sweep_emit(struct sekisho_acl_build *b,
			   const struct sekisho_u128 *end,
			   const struct sekisho_u128 *maxv,
			   struct sekisho_acl_span span)
{
	struct sekisho_acl_iv *prev = b->niv > b->first ?
				      &b->iv[b->niv - 1] : NULL;

	if (b->done || acl_u128_cmp(&b->cur, end) > 0)
		return;
	if (!span.len)
		span.off = 0;
	if (prev && prev->span.off == span.off && prev->span.len == span.len) {
		/* same list as the interval before: extend it */
	} else {
		b->iv[b->niv].start = b->cur;
		b->iv[b->niv].span = span;
		b->niv++;
	}
	if (acl_u128_eq(end, maxv))
		b->done = true;
	else
		b->cur = acl_u128_inc(*end);
}

/*
 * Compile the refs of one family (sorted, refs[0..n)) into intervals
 * appended to b->iv.  *first receives the index of the family's first
 * interval; the family always gets at least one.
 */
static int acl_build_family(struct sekisho_acl_build *b,
			    const struct sekisho_acl_ref *refs, u32 n,
			    unsigned int bits, u32 *first)
{
	static const struct sekisho_acl_span empty = { 0, 0 };
	struct sekisho_u128 maxv = acl_host_mask(bits, 0);
	struct sekisho_acl_span parent;
	u32 depth = 0, i = 0, k;
	int err;

	*first = b->niv;
	b->first = b->niv;
	b->cur.hi = 0;
	b->cur.lo = 0;
	b->done = false;

	while (i < n) {
		const struct sekisho_acl_ref *r = &refs[i];

		/* a group: every rule of one prefix */
		for (k = 1; i + k < n && refs[i + k].plen == r->plen &&
		     acl_u128_eq(&refs[i + k].lo, &r->lo); k++)
			;
		while (depth && acl_u128_cmp(&b->stack[depth - 1].hi, &r->lo) < 0) {
			acl_sweep_emit(b, &b->stack[depth - 1].hi, &maxv,
				       b->stack[depth - 1].span);
			depth--;
		}
		parent = depth ? b->stack[depth - 1].span : empty;
		if (r->lo.hi || r->lo.lo) {
			struct sekisho_u128 before = acl_u128_dec(r->lo);

			acl_sweep_emit(b, &before, &maxv, parent);
		}
		/* prefix lengths strictly grow along the stack */
		if (depth >= SEKISHO_ACL_DEPTH)
			return -EINVAL;
		err = acl_build_list(b, parent, r, k, &b->stack[depth].span);
		if (err)
			return err;
		b->stack[depth].hi = r->hi;
		depth++;
		i += k;
	}
	while (depth) {
		acl_sweep_emit(b, &b->stack[depth - 1].hi, &maxv,
			       b->stack[depth - 1].span);
		depth--;
	}
	acl_sweep_emit(b, &maxv, &maxv, empty);
	return 0;
}

static size_t acl_layout(u32 n4, u32 n6, u32 nents, size_t *o6, size_t *os4,
			 size_t *os6, size_t *o4, size_t *oe)
{
	size_t sz = ALIGN(sizeof(struct sekisho_acl), 16);

	*o6 = sz;
	sz += (size_t)n6 * sizeof(struct sekisho_u128);
	*os4 = sz;
	sz += (size_t)n4 * sizeof(struct sekisho_acl_span);
	*os6 = sz;
	sz += (size_t)n6 * sizeof(struct sekisho_acl_span);
	*o4 = sz;
	sz += (size_t)n4 * sizeof(u32);
	*oe = sz;
	sz += (size_t)nents * sizeof(struct sekisho_acl_ent);
	return sz;
}

struct sekisho_acl *sekisho_acl_compile_bad(const struct sekisho_rule *rules,
					    u32 n, gfp_t gfp, const char **why,
					    u32 *bad)
{
	struct sekisho_acl_build b = { .rules = rules, .gfp = gfp };
	struct sekisho_acl_ref *refs = NULL;
	struct sekisho_acl *acl = NULL;
	size_t o6, os4, os6, o4, oe, size;
	u32 i, n4 = 0, first4 = 0, first6 = 0, niv4, niv6;
	const char *msg = NULL;
	struct sekisho_acl_span *sp;
	struct sekisho_u128 *s6;
	u32 *s4;
	char *base;
	int err;

	if (n > SEKISHO_MAX_RULES) {
		msg = "too many rules";
		err = -E2BIG;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		err = sekisho_rule_validate(&rules[i], &msg);
		if (err) {
			if (bad)
				*bad = i;
			goto fail;
		}
	}

	err = -ENOMEM;
	if (n) {
		refs = kvmalloc_array(n, sizeof(*refs), gfp);
		if (!refs)
			goto fail_nomem;
	}
	/* at most two intervals per prefix, plus one per family */
	b.iv = kvmalloc_array((size_t)2 * n + 2, sizeof(*b.iv), gfp);
	b.stack = kvmalloc_array(SEKISHO_ACL_DEPTH, sizeof(*b.stack), gfp);
	if (!b.iv || !b.stack)
		goto fail_nomem;

	for (i = 0; i < n; i++) {
		const struct sekisho_rule *r = &rules[i];
		unsigned int bits = r->family == AF_INET ? 32 : 128;
		struct sekisho_u128 m = acl_host_mask(bits, r->prefixlen);

		refs[i].lo = acl_rule_addr(r);
		refs[i].hi.hi = refs[i].lo.hi | m.hi;
		refs[i].hi.lo = refs[i].lo.lo | m.lo;
		refs[i].idx = i;
		refs[i].family = r->family;
		refs[i].plen = r->prefixlen;
		if (r->family == AF_INET)
			n4++;
	}
	/* AF_INET (2) sorts before AF_INET6 (10) */
	if (n)
		sort(refs, n, sizeof(*refs), acl_ref_cmp, NULL);

	err = acl_build_family(&b, refs, n4, 32, &first4);
	if (err)
		goto fail_err;
	niv4 = b.niv - first4;
	/* refs is NULL for an empty policy: no pointer arithmetic on it */
	err = acl_build_family(&b, refs ? refs + n4 : NULL, n - n4, 128,
			       &first6);
	if (err)
		goto fail_err;
	niv6 = b.niv - first6;

	size = acl_layout(niv4, niv6, b.nents, &o6, &os4, &os6, &o4, &oe);
	acl = kvmalloc(size, gfp);
	if (!acl)
		goto fail_nomem;
	base = (char *)acl;
	memset(acl, 0, sizeof(*acl));
	acl->nrules = n;
	acl->nents = b.nents;
	acl->n4 = niv4;
	acl->n6 = niv6;
	acl->size = size;

	s4 = (u32 *)(base + o4);
	sp = (struct sekisho_acl_span *)(base + os4);
	for (i = 0; i < niv4; i++) {
		s4[i] = (u32)b.iv[first4 + i].start.lo;
		sp[i] = b.iv[first4 + i].span;
	}
	acl->start4 = s4;
	acl->span4 = sp;

	s6 = (struct sekisho_u128 *)(base + o6);
	sp = (struct sekisho_acl_span *)(base + os6);
	for (i = 0; i < niv6; i++) {
		s6[i] = b.iv[first6 + i].start;
		sp[i] = b.iv[first6 + i].span;
	}
	acl->start6 = s6;
	acl->span6 = sp;

	if (b.nents)
		memcpy(base + oe, b.ents, (size_t)b.nents * sizeof(*b.ents));
	acl->ents = (const struct sekisho_acl_ent *)(base + oe);

	kvfree(b.ents);
	kvfree(b.stack);
	kvfree(b.iv);
	kvfree(refs);
	return acl;

fail_err:
	if (err == -E2BIG) {
		msg = "policy too complex: too many overlapping rules";
		goto fail_free;
	}
	if (err != -ENOMEM) {
		msg = "internal error compiling policy";
		goto fail_free;
	}
fail_nomem:
	err = -ENOMEM;
	msg = "out of memory compiling policy";
fail_free:
	kvfree(b.ents);
	kvfree(b.stack);
	kvfree(b.iv);
	kvfree(refs);
fail:
	if (why)
		*why = msg;
	return ERR_PTR(err);
}

struct sekisho_acl *sekisho_acl_compile(const struct sekisho_rule *rules,
					u32 n, gfp_t gfp, const char **why)
{
	return sekisho_acl_compile_bad(rules, n, gfp, why, NULL);
}

void sekisho_acl_free(struct sekisho_acl *acl)
{
	if (!IS_ERR_OR_NULL(acl))
		kvfree(acl);
}

u32 sekisho_acl_nrules(const struct sekisho_acl *acl)
{
	return IS_ERR_OR_NULL(acl) ? 0 : acl->nrules;
}

size_t sekisho_acl_size(const struct sekisho_acl *acl)
{
	return IS_ERR_OR_NULL(acl) ? 0 : acl->size;
}

/* ---------- lookup ---------- */

/* index of the last start <= key; start[0] == 0 */
static inline u32 acl_find4(const u32 *start, u32 n, u32 key)
{
	const u32 *p = start;

	while (n > 1) {
		u32 half = n / 2;

		if (p[half] <= key)
			p += half;
		n -= half;
	}
	return (u32)(p - start);
}

static inline u32 acl_find6(const struct sekisho_u128 *start, u32 n,
			    const struct sekisho_u128 *key)
{
	const struct sekisho_u128 *p = start;

	while (n > 1) {
		u32 half = n / 2;

		if (acl_u128_cmp(&p[half], key) <= 0)
			p += half;
		n -= half;
	}
	return (u32)(p - start);
}

bool sekisho_acl_allows(const struct sekisho_acl *acl, u8 family,
			const void *daddr, u8 proto, int dport, int *idx)
{
	const struct sekisho_acl_ent *e, *end;
	struct sekisho_acl_span sp;

	if (idx)
		*idx = -1;
	if (unlikely(!acl))
		return false;
	if (family == AF_INET) {
		u32 key = get_unaligned_be32(daddr);

		sp = acl->span4[acl_find4(acl->start4, acl->n4, key)];
	} else if (family == AF_INET6) {
		const u8 *a = daddr;
		struct sekisho_u128 key = {
			get_unaligned_be64(a), get_unaligned_be64(a + 8)
		};

		sp = acl->span6[acl_find6(acl->start6, acl->n6, &key)];
	} else {
		return false;
	}

	for (e = acl->ents + sp.off, end = e + sp.len; e < end; e++) {
		if (e->proto && e->proto != proto)
			continue;
		if (dport >= 0 && (dport < e->port_min || dport > e->port_max))
			continue;
		if (idx)
			*idx = (int)e->idx;
		return e->action == SEKISHO_ACTION_ALLOW;
	}
	return false;
}
