// SPDX-License-Identifier: GPL-2.0
/*
 * sekisho: the datagrams whose first fragment was allowed (frag.h).
 * Pure code: also built on the host by tests/unit as frag-test.
 */
#include "frag.h"

/* jiffies comparison that survives the wrap, as time_after() does */
static bool frag_live(const struct sekisho_frag_slot *s, unsigned long now)
{
	return s->key && (long)(s->expires - now) > 0;
}

void sekisho_frags_allow(struct sekisho_frags *f, u64 key, unsigned long now,
			 unsigned long ttl)
{
	struct sekisho_frag_slot *use = NULL;
	unsigned int i;

	if (!key)
		key = 1;
	/*
	 * the same datagram (a first fragment sent again), else a free or
	 * expired slot, else the slot that expires first
	 */
	for (i = 0; i < SEKISHO_FRAG_SLOTS; i++)
		if (f->slot[i].key == key) {
			use = &f->slot[i];
			goto set;
		}
	for (i = 0; i < SEKISHO_FRAG_SLOTS; i++) {
		struct sekisho_frag_slot *s = &f->slot[i];

		if (!frag_live(s, now)) {
			use = s;
			break;
		}
		if (!use || (long)(s->expires - use->expires) < 0)
			use = s;
	}
set:
	use->key = key;
	use->expires = now + ttl;
}

bool sekisho_frags_allowed(const struct sekisho_frags *f, u64 key,
			   unsigned long now)
{
	unsigned int i;

	if (!key)
		key = 1;
	for (i = 0; i < SEKISHO_FRAG_SLOTS; i++)
		if (f->slot[i].key == key && frag_live(&f->slot[i], now))
			return true;
	return false;
}
