// SPDX-License-Identifier: GPL-2.0
/*
 * Longest-prefix lookup over all peers' routed prefixes.
 *
 * Routes are few compared with packets and change only with PEER_NEW/SET/
 * DEL of a peer that has routes, so the table is an immutable snapshot:
 * one open-addressing hash of (family, prefix length, masked address) and,
 * per family, the distinct prefix lengths in descending order.  A lookup
 * probes one hash bucket per distinct prefix length, longest first, so it
 * costs O(distinct prefix lengths) (usually one to three) whatever the
 * number of routes, and takes no lock.  Rebuilding costs O(all routes), on
 * the configuration path only.
 *
 * Each slot holds a reference on its peer, so a snapshot never points at
 * freed memory even when a removal cannot allocate the next snapshot.
 */
#include <linux/inetdevice.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "main.h"
#include "route.h"

struct sekisho_rt_slot {
	struct sekisho_peer *peer;	/* NULL: empty slot */
	union sekisho_addr addr;
	u8 family;
	u8 plen;
};

struct sekisho_rtable {
	struct rcu_work free_work;
	u32 mask;			/* number of slots - 1 */
	u32 seed;
	u8 nplens[2];			/* [0] IPv4, [1] IPv6 */
	u8 plens[2][129];		/* distinct prefix lengths, longest first */
	struct sekisho_rt_slot slots[];
};

int sekisho_route_check(const struct sekisho_route *r, const char **why)
{
	struct in6_addr m6;

	if (r->family == AF_INET) {
		if (r->plen > 32) {
			*why = "IPv4 prefix length > 32";
			return -EINVAL;
		}
		if (r->addr.v4 & ~inet_make_mask(r->plen)) {
			*why = "host bits set beyond the prefix length";
			return -EINVAL;
		}
		return 0;
	}
	if (r->family != AF_INET6) {
		*why = "a route address has 4 (IPv4) or 16 (IPv6) bytes";
		return -EINVAL;
	}
	if (r->plen > 128) {
		*why = "IPv6 prefix length > 128";
		return -EINVAL;
	}
	ipv6_addr_prefix(&m6, &r->addr.v6, r->plen);
	if (!ipv6_addr_equal(&m6, &r->addr.v6)) {
		*why = "host bits set beyond the prefix length";
		return -EINVAL;
	}
	return 0;
}

static void sekisho_route_mask(union sekisho_addr *out, u8 family,
			       const void *addr, u8 plen)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET)
		out->v4 = *(const __be32 *)addr & inet_make_mask(plen);
	else
		ipv6_addr_prefix(&out->v6, addr, plen);
}

bool sekisho_route_match(const struct sekisho_route *r, u8 family,
			 const void *addr)
{
	if (r->family != family)
		return false;
	if (family == AF_INET)
		return !((*(const __be32 *)addr ^ r->addr.v4) &
			 inet_make_mask(r->plen));
	return ipv6_prefix_equal(addr, &r->addr.v6, r->plen);
}

static u32 sekisho_rt_hash(const struct sekisho_rtable *t, u8 family, u8 plen,
			   const union sekisho_addr *masked)
{
	return jhash2((const u32 *)masked, sizeof(*masked) / sizeof(u32),
		      t->seed ^ ((u32)family << 8 | plen)) & t->mask;
}

static bool sekisho_rt_slot_eq(const struct sekisho_rt_slot *s, u8 family,
			       u8 plen, const union sekisho_addr *masked)
{
	return s->family == family && s->plen == plen &&
	       !memcmp(&s->addr, masked, sizeof(*masked));
}

/* returns the peer already holding the prefix, or NULL after adding it */
static struct sekisho_peer *sekisho_rt_add(struct sekisho_rtable *t,
					   struct sekisho_peer *peer,
					   const struct sekisho_route *r)
{
	union sekisho_addr masked;
	struct sekisho_rt_slot *s;
	u32 h;

	sekisho_route_mask(&masked, r->family, &r->addr, r->plen);
	h = sekisho_rt_hash(t, r->family, r->plen, &masked);
	for (;;) {
		s = &t->slots[h];
		if (!s->peer)
			break;
		if (sekisho_rt_slot_eq(s, r->family, r->plen, &masked))
			return s->peer;
		h = (h + 1) & t->mask;
	}
	refcount_inc(&peer->refcnt);
	s->peer = peer;
	s->addr = masked;
	s->family = r->family;
	s->plen = r->plen;
	return NULL;
}

static void sekisho_rtable_destroy(struct sekisho_rtable *t)
{
	u32 i;

	for (i = 0; i <= t->mask; i++)
		if (t->slots[i].peer)
			sekisho_peer_put(t->slots[i].peer);
	kvfree(t);
}

void sekisho_rtable_free(struct sekisho_rtable *t)
{
	if (t)
		sekisho_rtable_destroy(t);
}

static const struct sekisho_peer_cfg *
sekisho_rt_cfg(struct sekisho_dev *sdev, struct sekisho_peer *peer)
{
	return rcu_dereference_protected(peer->cfg,
					 lockdep_is_held(&sdev->lock));
}

static int sekisho_rt_add_all(struct sekisho_rtable *t,
			      struct sekisho_peer *peer,
			      const struct sekisho_peer_cfg *cfg,
			      bool (*seen)[129], u32 *clash)
{
	struct sekisho_peer *other;
	const struct sekisho_route *r;
	u32 i;

	for (i = 0; i < cfg->nroutes; i++) {
		r = &cfg->routes[i];
		other = sekisho_rt_add(t, peer, r);
		if (other) {
			if (clash)
				*clash = other->id;
			return -EEXIST;
		}
		seen[r->family == AF_INET6][r->plen] = true;
	}
	return 0;
}

struct sekisho_rtable *sekisho_rtable_build(struct sekisho_dev *sdev,
					    struct sekisho_peer *opeer,
					    const struct sekisho_peer_cfg *ocfg,
					    u32 *clash)
{
	bool seen[2][129] = {};
	struct sekisho_rtable *t;
	struct sekisho_peer *peer;
	u64 n = 0, slots;
	int f, plen, ret;

	lockdep_assert_held(&sdev->lock);
	list_for_each_entry(peer, &sdev->routed_peers, route_node)
		if (peer != opeer)
			n += sekisho_rt_cfg(sdev, peer)->nroutes;
	if (opeer && ocfg)
		n += ocfg->nroutes;
	if (!n)
		return NULL;

	/* load factor at most 1/2: probes stay short and always end */
	slots = roundup_pow_of_two(max_t(u64, 2 * n, 16));
	t = kvzalloc(struct_size(t, slots, slots), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->mask = slots - 1;
	t->seed = get_random_u32();

	list_for_each_entry(peer, &sdev->routed_peers, route_node) {
		if (peer == opeer)
			continue;
		ret = sekisho_rt_add_all(t, peer, sekisho_rt_cfg(sdev, peer),
					 seen, clash);
		if (ret)
			goto err;
	}
	if (opeer && ocfg) {
		ret = sekisho_rt_add_all(t, opeer, ocfg, seen, clash);
		if (ret)
			goto err;
	}

	for (f = 0; f < 2; f++)
		for (plen = 128; plen >= 0; plen--)
			if (seen[f][plen])
				t->plens[f][t->nplens[f]++] = plen;
	return t;

err:
	sekisho_rtable_destroy(t);
	return ERR_PTR(ret);
}

static void sekisho_rtable_free_work(struct work_struct *work)
{
	struct sekisho_rtable *t = container_of(to_rcu_work(work),
						struct sekisho_rtable,
						free_work);

	sekisho_rtable_destroy(t);
}

void sekisho_rtable_publish(struct sekisho_dev *sdev, struct sekisho_rtable *t)
{
	struct sekisho_rtable *old;

	old = rcu_replace_pointer(sdev->routes, t, lockdep_is_held(&sdev->lock));
	if (old) {
		INIT_RCU_WORK(&old->free_work, sekisho_rtable_free_work);
		queue_rcu_work(sekisho_wq, &old->free_work);
	}
}

struct sekisho_peer *sekisho_rtable_lookup(const struct sekisho_rtable *t,
					   u8 family, const void *addr)
{
	const struct sekisho_rt_slot *s;
	union sekisho_addr masked;
	int f = family == AF_INET6;
	u32 i, h;
	u8 plen;

	if (!t)
		return NULL;
	for (i = 0; i < t->nplens[f]; i++) {
		plen = t->plens[f][i];
		sekisho_route_mask(&masked, family, addr, plen);
		h = sekisho_rt_hash(t, family, plen, &masked);
		for (;;) {
			s = &t->slots[h];
			if (!s->peer)
				break;
			if (sekisho_rt_slot_eq(s, family, plen, &masked))
				return s->peer;
			h = (h + 1) & t->mask;
		}
	}
	return NULL;
}
