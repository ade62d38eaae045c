// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of the module's objects from netlink attributes, and encoding
 * of policies.  Decoders check every payload length: a malformed attribute
 * makes the decoder return -1 instead of reading past it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "knl.h"

_Static_assert((int)SK_CIPHER_AES128_GCM == (int)SEKISHO_CIPHER_AES128_GCM &&
	       (int)SK_CIPHER_AES256_GCM == (int)SEKISHO_CIPHER_AES256_GCM &&
	       (int)SK_CIPHER_CHACHA20_POLY1305 == (int)SEKISHO_CIPHER_CHACHA20_POLY1305,
	       "enum sk_cipher must match enum sekisho_cipher");
_Static_assert((int)SK_ACTION_ALLOW == (int)SEKISHO_ACTION_ALLOW &&
	       (int)SK_ACTION_DENY == (int)SEKISHO_ACTION_DENY,
	       "enum sk_action must match enum sekisho_action");

/* JSON keys and text labels of the counters, by attribute number. */
const char *const knl_stat_names[KNL_NSTATS] = {
	[SEKISHO_A_STATS_RX_PACKETS] = "rx_packets",
	[SEKISHO_A_STATS_RX_BYTES] = "rx_bytes",
	[SEKISHO_A_STATS_TX_PACKETS] = "tx_packets",
	[SEKISHO_A_STATS_TX_BYTES] = "tx_bytes",
	[SEKISHO_A_STATS_DROP_NO_PEER] = "drop_no_peer",
	[SEKISHO_A_STATS_DROP_AUTH] = "drop_auth",
	[SEKISHO_A_STATS_DROP_REPLAY] = "drop_replay",
	[SEKISHO_A_STATS_DROP_SPOOF] = "drop_spoof",
	[SEKISHO_A_STATS_DROP_POLICY] = "drop_policy",
	[SEKISHO_A_STATS_DROP_MALFORMED] = "drop_malformed",
	[SEKISHO_A_STATS_DROP_TOO_BIG] = "drop_too_big",
	[SEKISHO_A_STATS_DROP_NO_KEY] = "drop_no_key",
	[SEKISHO_A_STATS_DPD_ANSWERED] = "dpd_answered",
	[SEKISHO_A_STATS_KEEPALIVES] = "keepalives",
	[SEKISHO_A_STATS_TO_USERSPACE] = "to_userspace",
};

const char *knl_reason_name(uint32_t reason, char *buf, size_t len)
{
	switch (reason) {
	case SEKISHO_DEL_REASON_USERSPACE: return "userspace";
	case SEKISHO_DEL_REASON_SOCKET_CLOSED: return "socket-closed";
	case SEKISHO_DEL_REASON_DEVICE_GONE: return "device-gone";
	case SEKISHO_DEL_REASON_IDLE: return "idle";
	case SEKISHO_DEL_REASON_STREAM_CLOSED: return "stream-closed";
	case SEKISHO_DEL_REASON_STREAM_MALFORMED: return "stream-malformed";
	case SEKISHO_DEL_REASON_TLS_RECORD: return "tls-record";
	case SEKISHO_DEL_REASON_TLS_BAD_RECORD: return "tls-bad-record";
	case SEKISHO_DEL_REASON_CLIENT_DISCONNECT: return "client-disconnect";
	}
	snprintf(buf, len, "unknown-%u", reason);
	return buf;
}

const char *knl_slot_name(uint32_t slot)
{
	switch (slot) {
	case SEKISHO_KEY_SLOT_PRIMARY: return "primary";
	case SEKISHO_KEY_SLOT_SECONDARY: return "secondary";
	}
	return "unknown";
}

void *knl_vec_push(struct knl_vec *v)
{
	uint8_t *p;

	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 8;
		void *ni = realloc(v->items, ncap * v->size);

		if (!ni)
			return NULL;
		v->items = ni;
		v->cap = ncap;
	}
	p = (uint8_t *)v->items + v->n++ * v->size;
	memset(p, 0, v->size);
	return p;
}

void knl_vec_free(struct knl_vec *v)
{
	free(v->items);
	v->items = NULL;
	v->n = v->cap = 0;
}

static int decode_stats(const struct nlattr *nest, struct knl_stats *s)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint16_t t = mnl_attr_get_type(a);

		if (t == SEKISHO_A_STATS_PAD || t >= KNL_NSTATS)
			continue;	/* newer kernels may add counters */
		if (knl_attr_u64(a, &s->v[t]))
			return -1;
		s->has[t] = true;
	}
	return 0;
}

static int decode_addr(const struct nlattr *a, int family, struct sk_addr *out)
{
	size_t len = mnl_attr_get_payload_len(a);

	if (len != sk_addr_len(family))
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->a, mnl_attr_get_payload(a), len);
	return 0;
}

int knl_decode_dev(const struct nlattr *nest, struct knl_dev *d)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_DEV_IFINDEX:
			if (knl_attr_u32(a, &d->ifindex))
				return -1;
			break;
		case SEKISHO_A_DEV_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				return -1;
			snprintf(d->ifname, sizeof(d->ifname), "%s",
				 mnl_attr_get_str(a));
			break;
		case SEKISHO_A_DEV_NUM_PEERS:
			if (knl_attr_u32(a, &d->num_peers))
				return -1;
			d->has_peers = true;
			break;
		case SEKISHO_A_DEV_NUM_POLICIES:
			if (knl_attr_u32(a, &d->num_policies))
				return -1;
			d->has_policies = true;
			break;
		case SEKISHO_A_DEV_STATS:
			if (decode_stats(a, &d->stats))
				return -1;
			break;
		}
	}
	return 0;
}

static int decode_route(const struct nlattr *nest, struct sk_prefix *p)
{
	const struct nlattr *a;
	bool has_addr = false;

	memset(p, 0, sizeof(*p));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_ROUTE_ADDR: {
			size_t len = mnl_attr_get_payload_len(a);

			if (decode_addr(a, len == 16 ? AF_INET6 : AF_INET, &p->addr))
				return -1;
			has_addr = true;
			break;
		}
		case SEKISHO_A_ROUTE_PREFIXLEN:
			if (knl_attr_u8(a, &p->len))
				return -1;
			break;
		}
	}
	return has_addr ? 0 : -1;
}

static int decode_keyinfo(const struct nlattr *nest, struct knl_keyinfo *k)
{
	const struct nlattr *a;

	memset(k, 0, sizeof(*k));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_KEYINFO_SLOT:
			if (knl_attr_u32(a, &k->slot))
				return -1;
			break;
		case SEKISHO_A_KEYINFO_EPOCH:
			if (knl_attr_u16(a, &k->epoch))
				return -1;
			break;
		case SEKISHO_A_KEYINFO_CIPHER:
			if (knl_attr_u32(a, &k->cipher))
				return -1;
			break;
		case SEKISHO_A_KEYINFO_TX_SEQ:
			if (knl_attr_u64(a, &k->tx_seq))
				return -1;
			k->has_tx_seq = true;
			break;
		case SEKISHO_A_KEYINFO_RX_SEQ:
			if (knl_attr_u64(a, &k->rx_seq))
				return -1;
			k->has_rx_seq = true;
			break;
		}
	}
	return 0;
}

static int peer_add_route(struct knl_peer *p, const struct nlattr *a)
{
	if (p->nroutes >= SEKISHO_MAX_ROUTES)
		return 0;	/* more than the contract allows: ignore */
	if (decode_route(a, &p->routes[p->nroutes]))
		return -1;
	p->nroutes++;
	p->has_routes = true;
	return 0;
}

static int peer_add_key(struct knl_peer *p, const struct nlattr *a)
{
	if (p->nkeys >= 2)
		return 0;
	if (decode_keyinfo(a, &p->keys[p->nkeys]))
		return -1;
	p->nkeys++;
	return 0;
}

int knl_decode_peer(const struct nlattr *nest, struct knl_peer *p)
{
	const struct nlattr *a, *b;
	uint16_t port;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_PEER_ID:
			if (knl_attr_u32(a, &p->id))
				return -1;
			break;
		case SEKISHO_A_PEER_REMOTE_IPV4:
		case SEKISHO_A_PEER_REMOTE_IPV6:
			if (decode_addr(a, mnl_attr_get_type(a) == SEKISHO_A_PEER_REMOTE_IPV6 ?
					AF_INET6 : AF_INET, &p->remote.addr))
				return -1;
			p->has_remote = true;
			break;
		case SEKISHO_A_PEER_REMOTE_PORT:
			if (knl_attr_u16(a, &port))
				return -1;
			p->remote.port = ntohs(port);
			break;
		case SEKISHO_A_PEER_LOCAL_IPV4:
		case SEKISHO_A_PEER_LOCAL_IPV6:
			if (decode_addr(a, mnl_attr_get_type(a) == SEKISHO_A_PEER_LOCAL_IPV6 ?
					AF_INET6 : AF_INET, &p->local.addr))
				return -1;
			p->has_local_addr = true;
			break;
		case SEKISHO_A_PEER_LOCAL_PORT:
			if (knl_attr_u16(a, &port))
				return -1;
			p->local.port = ntohs(port);
			p->has_local_port = true;
			break;
		case SEKISHO_A_PEER_VPN_IPV4:
			if (decode_addr(a, AF_INET, &p->vpn4))
				return -1;
			p->has_vpn4 = true;
			break;
		case SEKISHO_A_PEER_VPN_IPV6:
			if (decode_addr(a, AF_INET6, &p->vpn6))
				return -1;
			p->has_vpn6 = true;
			break;
		case SEKISHO_A_PEER_ROUTES:
			p->has_routes = true;
			mnl_attr_for_each_nested(b, a)
				if (peer_add_route(p, b))
					return -1;
			break;
		case SEKISHO_A_PEER_ROUTE:	/* tolerate the flat form */
			if (peer_add_route(p, a))
				return -1;
			break;
		case SEKISHO_A_PEER_POLICY_ID:
			if (knl_attr_u32(a, &p->policy))
				return -1;
			p->has_policy = true;
			break;
		case SEKISHO_A_PEER_IDLE_TIMEOUT:
			if (knl_attr_u32(a, &p->idle))
				return -1;
			p->has_idle = true;
			break;
		case SEKISHO_A_PEER_LAST_RX_MSECS:
			if (knl_attr_u64(a, &p->last_rx_ms))
				return -1;
			p->has_last_rx = true;
			break;
		case SEKISHO_A_PEER_STATS:
			if (decode_stats(a, &p->stats))
				return -1;
			break;
		case SEKISHO_A_PEER_KEYS:
			mnl_attr_for_each_nested(b, a)
				if (peer_add_key(p, b))
					return -1;
			break;
		case SEKISHO_A_PEER_KEYINFO:
			if (peer_add_key(p, a))
				return -1;
			break;
		case SEKISHO_A_PEER_DEL_REASON:
			if (knl_attr_u32(a, &p->reason))
				return -1;
			p->has_reason = true;
			break;
		}
	}
	return 0;
}

int knl_decode_deny(const struct nlattr *nest, struct knl_deny *d)
{
	const struct nlattr *a;
	uint8_t fam = 0;

	memset(d, 0, sizeof(*d));
	/* the family first: it decides how long the addresses are */
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == SEKISHO_A_DENY_FAMILY &&
		    knl_attr_u8(a, &fam))
			return -1;
	d->family = fam == AF_INET6 ? AF_INET6 : AF_INET;
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_DENY_SADDR:
			if (decode_addr(a, d->family, &d->saddr))
				return -1;
			d->has_saddr = true;
			break;
		case SEKISHO_A_DENY_DADDR:
			if (decode_addr(a, d->family, &d->daddr))
				return -1;
			d->has_daddr = true;
			break;
		case SEKISHO_A_DENY_PROTO:
			if (knl_attr_u8(a, &d->proto))
				return -1;
			d->has_proto = true;
			break;
		case SEKISHO_A_DENY_DPORT:
			if (knl_attr_u16(a, &d->dport))
				return -1;
			d->has_dport = true;
			break;
		case SEKISHO_A_DENY_SUPPRESSED:
			if (knl_attr_u32(a, &d->suppressed))
				return -1;
			d->has_suppressed = true;
			break;
		}
	}
	return 0;
}

static int decode_rule(const struct nlattr *nest, struct sk_rule *r)
{
	const struct nlattr *a;
	uint8_t fam = 0, u8;
	const struct nlattr *addr = NULL;
	bool has_min = false, has_max = false;

	memset(r, 0, sizeof(*r));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_RULE_ACTION:
			if (knl_attr_u8(a, &u8))
				return -1;
			r->action = u8 == SEKISHO_ACTION_ALLOW ? SK_ACTION_ALLOW
							       : SK_ACTION_DENY;
			break;
		case SEKISHO_A_RULE_FAMILY:
			if (knl_attr_u8(a, &fam))
				return -1;
			break;
		case SEKISHO_A_RULE_ADDR:
			addr = a;
			break;
		case SEKISHO_A_RULE_PREFIXLEN:
			if (knl_attr_u8(a, &r->dst.len))
				return -1;
			break;
		case SEKISHO_A_RULE_PROTO:
			if (knl_attr_u8(a, &r->proto))
				return -1;
			break;
		case SEKISHO_A_RULE_PORT_MIN:
			if (knl_attr_u16(a, &r->port_min))
				return -1;
			has_min = true;
			break;
		case SEKISHO_A_RULE_PORT_MAX:
			if (knl_attr_u16(a, &r->port_max))
				return -1;
			has_max = true;
			break;
		}
	}
	r->dst.addr.family = fam == AF_INET6 ? AF_INET6 : AF_INET;
	if (addr && decode_addr(addr, r->dst.addr.family, &r->dst.addr))
		return -1;
	if (!addr)
		r->dst.len = 0;
	if (has_min && !has_max)
		r->port_max = 65535;
	/* the full range is what "no ports" means */
	r->has_ports = (has_min || has_max) &&
		       !(r->port_min == 0 && r->port_max == 65535);
	return 0;
}

static int policy_add_rule(struct knl_policy *p, const struct nlattr *a)
{
	if (p->nrules == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct sk_rule *nr;

		if (ncap > SEKISHO_MAX_RULES + 16)
			return -1;
		nr = realloc(p->rules, ncap * sizeof(*nr));
		if (!nr)
			return -1;
		p->rules = nr;
		p->cap = ncap;
	}
	if (decode_rule(a, &p->rules[p->nrules]))
		return -1;
	p->nrules++;
	return 0;
}

int knl_decode_policy(const struct nlattr *nest, struct knl_vec *policies)
{
	const struct nlattr *a, *b;
	uint32_t id = 0, num = 0, first = 0, refs = 0;
	bool has_num = false, has_first = false, has_refs = false;
	struct knl_policy *p = NULL;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_POLICY_ID:
			if (knl_attr_u32(a, &id))
				return -1;
			break;
		case SEKISHO_A_POLICY_NUM_RULES:
			if (knl_attr_u32(a, &num))
				return -1;
			has_num = true;
			break;
		case SEKISHO_A_POLICY_FIRST_RULE:
			if (knl_attr_u32(a, &first))
				return -1;
			has_first = true;
			break;
		case SEKISHO_A_POLICY_REFS:
			if (knl_attr_u32(a, &refs))
				return -1;
			has_refs = true;
			break;
		}
	}
	/* a continuation of the previous message's policy? */
	if (policies->n && has_first && first > 0) {
		struct knl_policy *last = (struct knl_policy *)policies->items +
					 policies->n - 1;

		if (last->id == id && last->nrules == first)
			p = last;
	}
	if (!p) {
		p = knl_vec_push(policies);
		if (!p)
			return -1;
		p->id = id;
	}
	if (has_num) {
		p->num_rules = num;
		p->has_num_rules = true;
	}
	if (has_refs) {
		p->refs = refs;
		p->has_refs = true;
	}
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_POLICY_RULES:
			mnl_attr_for_each_nested(b, a)
				if (policy_add_rule(p, b))
					return -1;
			break;
		case SEKISHO_A_POLICY_RULE:
			if (policy_add_rule(p, a))
				return -1;
			break;
		}
	}
	return 0;
}

void knl_policies_free(struct knl_vec *policies)
{
	size_t i;

	for (i = 0; i < policies->n; i++)
		free(((struct knl_policy *)policies->items)[i].rules);
	policies->n = 0;
}

bool knl_policies_incomplete(const struct knl_vec *policies)
{
	size_t i;

	for (i = 0; i < policies->n; i++) {
		const struct knl_policy *p = (const struct knl_policy *)policies->items + i;

		if (p->has_num_rules && p->nrules != p->num_rules)
			return true;
	}
	return false;
}

/* ---- encoding ---- */

#define ATTR(len) (MNL_ATTR_HDRLEN + MNL_ALIGN(len))
#define NEST_MAX 65535

static size_t rule_size(const struct sk_rule *r)
{
	size_t s = MNL_ATTR_HDRLEN + 3 * ATTR(1);	/* action, family, proto */

	if (r->dst.len)
		s += ATTR(sk_addr_len(r->dst.addr.family)) + ATTR(1);
	if (r->has_ports)
		s += 2 * ATTR(2);
	return s;
}

static void encode_rule(struct knl_msg *m, const struct sk_rule *r)
{
	struct nlattr *n = knl_nest_start(m, SEKISHO_A_POLICY_RULE);

	knl_put_u8(m, SEKISHO_A_RULE_ACTION, (uint8_t)r->action);
	knl_put_u8(m, SEKISHO_A_RULE_FAMILY, (uint8_t)r->dst.addr.family);
	if (r->dst.len) {
		knl_put_bin(m, SEKISHO_A_RULE_ADDR, r->dst.addr.a,
			   sk_addr_len(r->dst.addr.family));
		knl_put_u8(m, SEKISHO_A_RULE_PREFIXLEN, r->dst.len);
	}
	knl_put_u8(m, SEKISHO_A_RULE_PROTO, r->proto);
	if (r->has_ports) {
		knl_put_u16(m, SEKISHO_A_RULE_PORT_MIN, r->port_min);
		knl_put_u16(m, SEKISHO_A_RULE_PORT_MAX, r->port_max);
	}
	knl_nest_end(m, n);
}

/* POLICY nest header: nest + ID + RULES nest; split form adds two u32 */
#define POLICY_HDR	(MNL_ATTR_HDRLEN + ATTR(4) + MNL_ATTR_HDRLEN)
#define POLICY_HDR_SPLIT (POLICY_HDR + 2 * ATTR(4))

size_t knl_policy_msg_size(const struct sk_rule *rules, size_t n)
{
	size_t i, s = 1024;

	for (i = 0; i < n; i++)
		s += rule_size(&rules[i]);
	/* one split header per ~700 rules at worst, generously */
	return s + (n / 512 + 1) * POLICY_HDR_SPLIT;
}

int knl_encode_policy(struct knl_msg *m, uint32_t id, const struct sk_rule *rules,
		     size_t n)
{
	size_t i, total = POLICY_HDR;
	struct nlattr *pol, *rl;

	for (i = 0; i < n; i++)
		total += rule_size(&rules[i]);
	if (total <= NEST_MAX) {
		/* the plain form of the contract */
		pol = knl_nest_start(m, SEKISHO_A_POLICY);
		knl_put_u32(m, SEKISHO_A_POLICY_ID, id);
		rl = knl_nest_start(m, SEKISHO_A_POLICY_RULES);
		for (i = 0; i < n; i++)
			encode_rule(m, &rules[i]);
		knl_nest_end(m, rl);
		knl_nest_end(m, pol);
		return m->overflow ? -1 : 0;
	}
	/*
	 * A netlink attribute cannot be longer than 64 KiB, so a big policy
	 * is sent as several top-level POLICY nests in the same message,
	 * each carrying the ID, the total NUM_RULES and the index of its
	 * first rule (FIRST_RULE) - the same split the module uses in
	 * POLICY_GET dumps.  One message keeps the replacement atomic.
	 */
	i = 0;
	while (i < n) {
		size_t used = POLICY_HDR_SPLIT;

		pol = knl_nest_start(m, SEKISHO_A_POLICY);
		knl_put_u32(m, SEKISHO_A_POLICY_ID, id);
		knl_put_u32(m, SEKISHO_A_POLICY_FIRST_RULE, (uint32_t)i);
		knl_put_u32(m, SEKISHO_A_POLICY_NUM_RULES, (uint32_t)n);
		rl = knl_nest_start(m, SEKISHO_A_POLICY_RULES);
		while (i < n && used + rule_size(&rules[i]) <= NEST_MAX) {
			used += rule_size(&rules[i]);
			encode_rule(m, &rules[i]);
			i++;
		}
		knl_nest_end(m, rl);
		knl_nest_end(m, pol);
		if (m->overflow)
			return -1;
	}
	return 1;
}
