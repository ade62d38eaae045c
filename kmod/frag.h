/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fragments and the allowlist (Documentation/decisions/allowlist.md).
 *
 * Only the first fragment of a datagram carries the transport header, so
 * only it can be judged by a port rule.  The others follow its verdict:
 * each peer remembers, for SEKISHO_FRAG_TTL, the datagrams whose first
 * fragment the allowlist let through (a keyed hash of family, addresses,
 * protocol and identification), and a later fragment passes only if its
 * datagram is remembered.  A fragment that arrives before its first one is
 * dropped; the sender's transport retransmits.  The module does not
 * reassemble: a gateway that only forwards would have to fragment again.
 *
 * The table is per peer and small: only that peer's own datagrams compete
 * for its slots (the oldest is reused), so no client can evict another's.
 * No locking inside: the caller holds the peer's lock around each call.
 */
#ifndef _SEKISHO_FRAG_H
#define _SEKISHO_FRAG_H

#include "pure.h"

#define SEKISHO_FRAG_SLOTS	8
/* the IPv4 reassembly timeout of Linux (ipfrag_time), in seconds */
#define SEKISHO_FRAG_TTL_SECS	30

struct sekisho_frag_slot {
	u64 key;			/* 0: free */
	unsigned long expires;		/* jiffies */
};

struct sekisho_frags {
	struct sekisho_frag_slot slot[SEKISHO_FRAG_SLOTS];
};

/*
 * The first fragment of datagram key was allowed at now: its other
 * fragments pass until now + ttl.  key 0 is taken as 1.
 */
void sekisho_frags_allow(struct sekisho_frags *f, u64 key, unsigned long now,
			 unsigned long ttl);
/* Whether a later fragment of datagram key may pass at now. */
bool sekisho_frags_allowed(const struct sekisho_frags *f, u64 key,
			   unsigned long now);

#endif /* _SEKISHO_FRAG_H */
