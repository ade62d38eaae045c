/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compiled ordered allowlist: the first matching rule wins, the implicit
 * last rule denies.  Design, cost and memory bound:
 * Documentation/decisions/allowlist.md.
 *
 * A policy is compiled once (process context, may sleep) into an immutable
 * struct sekisho_acl; lookups never sleep and take no lock, so they may run
 * in softirq under RCU while a new policy is compiled and swapped in.
 */
#ifndef _SEKISHO_ALLOWLIST_H
#define _SEKISHO_ALLOWLIST_H

#include "pure.h"

/*
 * Upper bound on the compiled form: entries of all per-prefix rule lists.
 * An entry is 12 bytes, so lists take at most 12 MiB; the interval tables
 * add at most 40 bytes per rule.  Beyond this compile fails with -E2BIG.
 */
#define SEKISHO_ACL_MAX_ENTRIES	BIT(20)

struct sekisho_rule {
	u8 action;		/* enum sekisho_action */
	u8 family;		/* AF_INET or AF_INET6 */
	u8 prefixlen;		/* 0..32 or 0..128 */
	u8 proto;		/* 0 any, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 */
	u16 port_min, port_max;	/* host order; only for tcp/udp; 0-65535 = any */
	union {
		__be32 v4;
		struct in6_addr v6;
	} addr;			/* network prefix (host bits must be zero) */
};

/* opaque compiled form, immutable once built */
struct sekisho_acl;

/*
 * 0, or -EINVAL with *why set to a human message for extack, e.g.
 * "port range needs proto tcp or udp", "host bits set in prefix",
 * "prefix length > 32".  why may be NULL.
 */
int sekisho_rule_validate(const struct sekisho_rule *r, const char **why);

/*
 * Compile n rules (n may be 0: deny all; n <= SEKISHO_MAX_RULES).
 * Returns the compiled form or ERR_PTR(-EINVAL / -ENOMEM / -E2BIG) with *why
 * set (why may be NULL).  On -EINVAL, *bad (if bad is not NULL) is the index
 * of the first invalid rule.  gfp must allow kvmalloc (GFP_KERNEL).
 */
struct sekisho_acl *sekisho_acl_compile_bad(const struct sekisho_rule *rules,
					    u32 n, gfp_t gfp, const char **why,
					    u32 *bad);
struct sekisho_acl *sekisho_acl_compile(const struct sekisho_rule *rules,
					u32 n, gfp_t gfp, const char **why);
/* NULL and ERR_PTR are ignored */
void sekisho_acl_free(struct sekisho_acl *acl);
u32 sekisho_acl_nrules(const struct sekisho_acl *acl);
/* bytes of the compiled form (for sysfs / debugging) */
size_t sekisho_acl_size(const struct sekisho_acl *acl);

/*
 * Decide a packet.  daddr is a __be32 * (AF_INET) or struct in6_addr *
 * (AF_INET6); proto is the transport protocol (after IPv6 extension headers).
 * dport < 0 means "no port information" (non-first fragment, or a protocol
 * without ports): then rules with a port range match on family/prefix/proto
 * only.  *idx (if idx is not NULL) is the matching rule index, or -1 for the
 * implicit default deny.  Never sleeps; safe in softirq.  A NULL acl denies.
 */
bool sekisho_acl_allows(const struct sekisho_acl *acl, u8 family,
			const void *daddr, u8 proto, int dport, int *idx);

#endif /* _SEKISHO_ALLOWLIST_H */
