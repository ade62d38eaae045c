/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Notifications on the "events" multicast group, sent in the device's
 * network namespace.  Only local facts and facts about authenticated
 * records are reported.
 */
#ifndef _SEKISHO_EVENTS_H
#define _SEKISHO_EVENTS_H

#include <linux/types.h>

struct sekisho_peer;

/* process context */
void sekisho_ev_peer_del(struct sekisho_peer *peer, u32 reason);
void sekisho_ev_peer_idle(struct sekisho_peer *peer, u64 idle_msecs);
/* any context (GFP_ATOMIC) */
void sekisho_ev_key_exhaust(struct sekisho_peer *peer, u16 epoch, u64 seq);
void sekisho_ev_policy_deny(struct sekisho_peer *peer, u8 family,
			    const void *saddr, const void *daddr, u8 proto,
			    int dport, u32 suppressed);

#endif /* _SEKISHO_EVENTS_H */
