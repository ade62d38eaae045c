/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Routed prefixes behind peers, for the transmit lookup: longest prefix
 * wins.  The table is an immutable snapshot rebuilt under the device lock
 * whenever a peer's routes change and swapped in under RCU.
 */
#ifndef _SEKISHO_ROUTE_H
#define _SEKISHO_ROUTE_H

#include "peer.h"

struct sekisho_rtable;

/* 0, or -EINVAL with *why: family/length/prefix checks, host bits */
int sekisho_route_check(const struct sekisho_route *r, const char **why);
bool sekisho_route_match(const struct sekisho_route *r, u8 family,
			 const void *addr);

/*
 * Build the table from every peer on sdev->routed_peers, using ocfg instead
 * of the current configuration for peer opeer (NULL: none; ocfg NULL: leave
 * opeer out).  Returns NULL when there are no routes at all, an ERR_PTR on
 * failure: -ENOMEM, or -EEXIST when two peers route the same prefix, with
 * *clash set to the other peer's id.  Under sdev->lock.
 */
struct sekisho_rtable *sekisho_rtable_build(struct sekisho_dev *sdev,
					    struct sekisho_peer *opeer,
					    const struct sekisho_peer_cfg *ocfg,
					    u32 *clash);
/* swap in (NULL allowed) and free the old one after a grace period */
void sekisho_rtable_publish(struct sekisho_dev *sdev, struct sekisho_rtable *t);
void sekisho_rtable_free(struct sekisho_rtable *t);

/* under rcu_read_lock; the peer is not referenced */
struct sekisho_peer *sekisho_rtable_lookup(const struct sekisho_rtable *t,
					   u8 family, const void *addr);

#endif /* _SEKISHO_ROUTE_H */
