// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite sekisho_frag: the per-peer table of datagrams whose first
 * fragment was allowed (kmod/frag.c).  Also built on the host by
 * tests/unit as frag-test.
 */
#include "../frag.h"
#include "sk_test.h"

#define TTL	3000UL

SK_TEST(frag_unknown_datagram_refused)
{
	struct sekisho_frags f = {};

	SK_EXPECT(!sekisho_frags_allowed(&f, 42, 1000));
	SK_EXPECT(!sekisho_frags_allowed(&f, 0, 1000));
	sekisho_frags_allow(&f, 42, 1000, TTL);
	SK_EXPECT(sekisho_frags_allowed(&f, 42, 1000));
	SK_EXPECT(!sekisho_frags_allowed(&f, 43, 1000));
}

SK_TEST(frag_expires)
{
	struct sekisho_frags f = {};

	sekisho_frags_allow(&f, 7, 1000, TTL);
	SK_EXPECT(sekisho_frags_allowed(&f, 7, 1000 + TTL - 1));
	SK_EXPECT(!sekisho_frags_allowed(&f, 7, 1000 + TTL));
	/* a first fragment sent again renews its datagram */
	sekisho_frags_allow(&f, 7, 2000, TTL);
	SK_EXPECT(sekisho_frags_allowed(&f, 7, 2000 + TTL - 1));
}

SK_TEST(frag_expiry_survives_jiffies_wrap)
{
	struct sekisho_frags f = {};
	unsigned long now = ~0UL - 10;

	sekisho_frags_allow(&f, 9, now, TTL);
	SK_EXPECT(sekisho_frags_allowed(&f, 9, now + 20));	/* wrapped */
	SK_EXPECT(!sekisho_frags_allowed(&f, 9, now + TTL));
}

SK_TEST(frag_key_zero_is_a_key)
{
	struct sekisho_frags f = {};

	sekisho_frags_allow(&f, 0, 1000, TTL);
	SK_EXPECT(sekisho_frags_allowed(&f, 0, 1000));
}

SK_TEST(frag_full_table_reuses_the_oldest)
{
	struct sekisho_frags f = {};
	u64 k;

	for (k = 1; k <= SEKISHO_FRAG_SLOTS; k++)
		sekisho_frags_allow(&f, k, 1000 + k, TTL);
	for (k = 1; k <= SEKISHO_FRAG_SLOTS; k++)
		SK_EXPECT(sekisho_frags_allowed(&f, k, 1100));
	sekisho_frags_allow(&f, 100, 1100, TTL);
	SK_EXPECT(sekisho_frags_allowed(&f, 100, 1100));
	SK_EXPECT(!sekisho_frags_allowed(&f, 1, 1100));	/* expired first */
	for (k = 2; k <= SEKISHO_FRAG_SLOTS; k++)
		SK_EXPECT(sekisho_frags_allowed(&f, k, 1100));
	/* an expired slot is reused before a live one */
	SK_EXPECT(!sekisho_frags_allowed(&f, 2, 1002 + TTL));
	sekisho_frags_allow(&f, 200, 1002 + TTL, TTL);
	SK_EXPECT(sekisho_frags_allowed(&f, 200, 1002 + TTL));
	SK_EXPECT(sekisho_frags_allowed(&f, 100, 1002 + TTL));
}

SK_TEST(frag_many_datagrams_model)
{
	struct sekisho_frags f = {};
	struct sk_rng r;
	unsigned long now = 5000;
	unsigned int i;

	sk_rng_seed(&r, 11);
	/* the datagram allowed last is always remembered */
	for (i = 0; i < 1000; i++) {
		u64 k = sk_rand64(&r);
		unsigned int j;

		sekisho_frags_allow(&f, k, now, TTL);
		SK_ASSERT(sekisho_frags_allowed(&f, k, now));
		/* no slot stays unused once there were enough datagrams */
		for (j = 0; i + 1 >= SEKISHO_FRAG_SLOTS && j < SEKISHO_FRAG_SLOTS; j++)
			SK_ASSERT(f.slot[j].key);
		now += 1;
	}
}

SK_SUITE(sekisho_frag,
	 SK_CASE(frag_unknown_datagram_refused),
	 SK_CASE(frag_expires),
	 SK_CASE(frag_expiry_survives_jiffies_wrap),
	 SK_CASE(frag_key_zero_is_a_key),
	 SK_CASE(frag_full_table_reuses_the_oldest),
	 SK_CASE(frag_many_datagrams_model));
