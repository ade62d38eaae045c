// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite sekisho_replay: the DTLS anti-replay window (kmod/replay.c)
 * against a naive model (the set of accepted numbers plus the right edge).
 * Also built on the host by tests/unit as replay-test.
 */
#include "../replay.h"
#include "sk_test.h"

#define W	SEKISHO_REPLAY_WINDOW
#define LIMIT	SEKISHO_SEQ_LIMIT

SK_TEST(replay_empty_accepts_anything_valid)
{
	struct sekisho_replay r;

	sekisho_replay_init(&r);
	SK_EXPECT(!r.any);
	SK_EXPECT(sekisho_replay_check(&r, 0));
	SK_EXPECT(sekisho_replay_check(&r, 1));
	SK_EXPECT(sekisho_replay_check(&r, 123456789));
	SK_EXPECT(sekisho_replay_check(&r, LIMIT));
	SK_EXPECT(!sekisho_replay_check(&r, LIMIT + 1));
	SK_EXPECT(!sekisho_replay_check(&r, ~0ULL));
	SK_EXPECT(sekisho_replay_update(&r, 5000));
	SK_EXPECT(r.any);
	SK_EXPECT_EQ(r.right, 5000);
	SK_EXPECT(!sekisho_replay_check(&r, 5000));
	SK_EXPECT(!sekisho_replay_update(&r, 5000));
	/* the first record may be anywhere; older ones in the window are fine */
	SK_EXPECT(sekisho_replay_check(&r, 4999));
	SK_EXPECT(sekisho_replay_check(&r, 5000 - W + 1));
	SK_EXPECT(!sekisho_replay_check(&r, 5000 - W));
}

SK_TEST(replay_in_order_and_duplicates)
{
	struct sekisho_replay r;
	u64 s;

	sekisho_replay_init(&r);
	for (s = 0; s < 5 * W; s++) {
		SK_ASSERT(sekisho_replay_check(&r, s));
		SK_ASSERT(sekisho_replay_update(&r, s));
		SK_ASSERT(!sekisho_replay_check(&r, s));
		SK_ASSERT(!sekisho_replay_update(&r, s));
		if (s)
			SK_ASSERT(!sekisho_replay_check(&r, s - 1));
	}
	SK_EXPECT_EQ(r.right, 5 * W - 1);
}

SK_TEST(replay_window_edges)
{
	struct sekisho_replay r;
	const u64 R = 2000;

	sekisho_replay_init(&r);
	SK_ASSERT(sekisho_replay_update(&r, R));
	/* s is too old iff s + W <= R */
	SK_EXPECT(sekisho_replay_check(&r, R - W + 1));
	SK_EXPECT(!sekisho_replay_check(&r, R - W));
	SK_EXPECT(!sekisho_replay_check(&r, 0));
	SK_EXPECT(sekisho_replay_update(&r, R - W + 1));
	SK_EXPECT(!sekisho_replay_update(&r, R - W + 1));
	SK_EXPECT(!sekisho_replay_update(&r, R - W));
	/* moving right by one pushes R - W + 1 out */
	SK_EXPECT(sekisho_replay_update(&r, R + 1));
	SK_EXPECT(!sekisho_replay_check(&r, R - W + 1));
	SK_EXPECT(sekisho_replay_check(&r, R - W + 2));
}

SK_TEST(replay_reorder_inside_window)
{
	struct sekisho_replay r;
	u64 base = 100000, s;

	sekisho_replay_init(&r);
	SK_ASSERT(sekisho_replay_update(&r, base + W - 1));
	/* every other number in the window, newest first, then the rest */
	for (s = base + W - 2; s >= base; s -= 2)
		SK_ASSERT(sekisho_replay_update(&r, s));
	for (s = base + W - 3; s > base; s -= 2)
		SK_ASSERT(sekisho_replay_update(&r, s));
	for (s = base; s < base + W; s++)
		SK_ASSERT(!sekisho_replay_check(&r, s));
	SK_EXPECT_EQ(r.right, base + W - 1);
}

SK_TEST(replay_far_jumps)
{
	struct sekisho_replay r;
	u64 s;

	sekisho_replay_init(&r);
	for (s = 10; s < 20; s++)
		SK_ASSERT(sekisho_replay_update(&r, s));
	/* jump by more than the window: nothing of the new window is seen */
	SK_ASSERT(sekisho_replay_update(&r, 19 + 5 * W));
	for (s = 19 + 4 * W + 1; s < 19 + 5 * W; s++)
		SK_ASSERT(sekisho_replay_check(&r, s));
	SK_EXPECT(!sekisho_replay_check(&r, 19 + 4 * W));
	SK_EXPECT(!sekisho_replay_check(&r, 15));
	/* exactly W: the old right edge falls out */
	SK_ASSERT(sekisho_replay_update(&r, 19 + 6 * W));
	SK_EXPECT(!sekisho_replay_check(&r, 19 + 5 * W));
	SK_EXPECT(sekisho_replay_check(&r, 19 + 5 * W + 1));
	/* W - 1: the old right edge stays, and stays seen */
	SK_ASSERT(sekisho_replay_update(&r, 19 + 7 * W - 1));
	SK_EXPECT(!sekisho_replay_check(&r, 19 + 6 * W));
	SK_EXPECT(sekisho_replay_check(&r, 19 + 6 * W + 1));
	/* a jump that wraps the ring: bits of the numbers passed over clear */
	SK_ASSERT(sekisho_replay_update(&r, 19 + 7 * W + W / 2));
	for (s = 19 + 7 * W; s < 19 + 7 * W + W / 2; s++)
		SK_ASSERT(sekisho_replay_check(&r, s));
	SK_EXPECT(!sekisho_replay_check(&r, 19 + 7 * W - 1));
	SK_EXPECT(sekisho_replay_check(&r, 19 + 7 * W - 2));
}

SK_TEST(replay_init_seen)
{
	struct sekisho_replay r;
	u64 s;

	sekisho_replay_init_seen(&r, 100);
	SK_EXPECT(r.any);
	SK_EXPECT_EQ(r.right, 100);
	for (s = 0; s <= 100; s++)
		SK_ASSERT(!sekisho_replay_check(&r, s));
	SK_EXPECT(sekisho_replay_check(&r, 101));
	/* numbers above the initial edge were never seen, even out of order */
	SK_ASSERT(sekisho_replay_update(&r, 150));
	for (s = 101; s < 150; s++)
		SK_ASSERT(sekisho_replay_check(&r, s));
	for (s = 0; s <= 100; s++)
		SK_ASSERT(!sekisho_replay_check(&r, s));
	SK_EXPECT(!sekisho_replay_check(&r, 150));

	/* seq 0 seen, as after the DTLS Finished (protocol 6.7) */
	sekisho_replay_init_seen(&r, 0);
	SK_EXPECT(!sekisho_replay_check(&r, 0));
	SK_EXPECT(sekisho_replay_check(&r, 1));
	SK_EXPECT(sekisho_replay_update(&r, 1));

	/* a high edge: the whole window below it is seen */
	sekisho_replay_init_seen(&r, 1000000);
	SK_EXPECT(!sekisho_replay_check(&r, 1000000 - W + 1));
	SK_EXPECT(!sekisho_replay_check(&r, 999999));
	SK_EXPECT(sekisho_replay_update(&r, 1000010));
	for (s = 1000001; s < 1000010; s++)
		SK_ASSERT(sekisho_replay_check(&r, s));
	SK_EXPECT(!sekisho_replay_check(&r, 1000000));
	SK_EXPECT(sekisho_replay_update(&r, 1000000 + W + 7));
	SK_EXPECT(sekisho_replay_check(&r, 1000008));
	SK_EXPECT(!sekisho_replay_check(&r, 1000007));
	SK_EXPECT(!sekisho_replay_check(&r, 1000010));
}

SK_TEST(replay_seq_limit)
{
	struct sekisho_replay r;

	sekisho_replay_init(&r);
	SK_EXPECT(!sekisho_replay_update(&r, LIMIT + 1));
	SK_EXPECT(!r.any);
	SK_EXPECT(sekisho_replay_update(&r, LIMIT));
	SK_EXPECT(!sekisho_replay_check(&r, LIMIT));
	SK_EXPECT(!sekisho_replay_check(&r, LIMIT + 1));
	SK_EXPECT(!sekisho_replay_check(&r, 1ULL << 48));
	SK_EXPECT(!sekisho_replay_check(&r, ~0ULL));
	SK_EXPECT(sekisho_replay_check(&r, LIMIT - W + 1));
	SK_EXPECT(!sekisho_replay_check(&r, LIMIT - W));
	SK_EXPECT(sekisho_replay_update(&r, LIMIT - 1));

	sekisho_replay_init_seen(&r, LIMIT - 1);
	SK_EXPECT(sekisho_replay_check(&r, LIMIT));
	SK_EXPECT(!sekisho_replay_check(&r, LIMIT + 1));
	SK_EXPECT(sekisho_replay_update(&r, LIMIT));
	SK_EXPECT(!sekisho_replay_update(&r, LIMIT));
}

/* Two CPUs decrypt the same record, or overtake each other, lock-free. */
SK_TEST(replay_check_then_concurrent_update)
{
	struct sekisho_replay r;

	sekisho_replay_init_seen(&r, 10);
	/* both pass the pre-decryption check ... */
	SK_ASSERT(sekisho_replay_check(&r, 11));
	SK_ASSERT(sekisho_replay_check(&r, 11));
	/* ... the first update wins, the second sees a duplicate */
	SK_EXPECT(sekisho_replay_update(&r, 11));
	SK_EXPECT(!sekisho_replay_update(&r, 11));

	/* check passes, then another record moves the window past it */
	SK_ASSERT(sekisho_replay_check(&r, 12));
	SK_ASSERT(sekisho_replay_update(&r, 12 + W));
	SK_EXPECT(!sekisho_replay_update(&r, 12));

	/* the very first record, twice */
	sekisho_replay_init(&r);
	SK_ASSERT(sekisho_replay_check(&r, 7));
	SK_ASSERT(sekisho_replay_check(&r, 7));
	SK_EXPECT(sekisho_replay_update(&r, 7));
	SK_EXPECT(!sekisho_replay_update(&r, 7));
}

/* ---- randomised comparison against a naive model ---- */

#define SPAN	BIT(17)	/* numbers the model tracks above its base */

struct replay_model {
	u64 base;		/* model numbers are base + 0 .. base + SPAN - 1 */
	u64 right;
	bool any;
	unsigned long *seen;	/* SPAN bits */
};

static bool model_check(const struct replay_model *m, u64 s)
{
	u64 off = s - m->base;

	if (s > LIMIT)
		return false;
	if (!m->any || s > m->right)
		return true;
	if (s + W <= m->right)
		return false;
	return !test_bit(off, m->seen);
}

static void model_update(struct replay_model *m, u64 s)
{
	if (!m->any || s > m->right)
		m->right = s;
	m->any = true;
	__set_bit(s - m->base, m->seen);
}

/* the next number to try: mostly in order, some reordering and replays */
static u64 next_seq(struct sk_rng *g, const struct replay_model *m)
{
	u64 r = m->any ? m->right : m->base;
	u64 lo = m->base, hi = m->base + SPAN - 1;
	u64 s;
	u32 k = sk_below(g, 100);

	if (k < 55)
		s = r + 1;
	else if (k < 75)
		s = r - sk_below(g, 64);		/* close reordering */
	else if (k < 88)
		s = r - sk_below(g, W + 64);		/* around the left edge */
	else if (k < 95)
		s = r + 1 + sk_below(g, 2 * W);	/* gap, maybe > W */
	else if (k < 98)
		s = r + sk_below(g, 8 * W);		/* far jump */
	else
		s = lo + sk_below(g, SPAN);		/* anywhere */
	if (s < lo || s > hi)
		s = lo + sk_below(g, SPAN);
	return s;
}

static bool replay_round(struct sk_test *test, struct sk_rng *g, u64 base,
			 unsigned long *seen, u32 ops)
{
	struct replay_model m = { .base = base, .seen = seen };
	struct sekisho_replay r;
	u32 i;

	bitmap_zero(seen, SPAN);
	if (sk_chance(g, 50)) {
		sekisho_replay_init(&r);
	} else {
		u64 init = base + sk_below(g, 3 * W);
		u64 s;

		sekisho_replay_init_seen(&r, init);
		for (s = base; s <= init; s++)
			__set_bit(s - base, seen);
		m.any = true;
		m.right = init;
	}

	for (i = 0; i < ops; i++) {
		u64 s = next_seq(g, &m);
		bool want = model_check(&m, s);
		bool got = sekisho_replay_check(&r, s);

		if (got != want) {
			SK_FAIL("op %u: check(%llu) = %d, model %d (right %llu, base %llu)",
				i, (unsigned long long)s, got, want,
				(unsigned long long)m.right,
				(unsigned long long)base);
			return false;
		}
		if (!got || sk_chance(g, 5))
			continue;	/* rejected, or the tag did not verify */
		if (sk_chance(g, 3)) {
			/* a concurrent duplicate passed check() too */
			if (!sekisho_replay_update(&r, s) ||
			    sekisho_replay_update(&r, s)) {
				SK_FAIL("op %u: concurrent duplicate %llu not caught",
					i, (unsigned long long)s);
				return false;
			}
		} else if (!sekisho_replay_update(&r, s)) {
			SK_FAIL("op %u: update(%llu) failed after check passed",
				i, (unsigned long long)s);
			return false;
		}
		model_update(&m, s);
		if (r.right != m.right || !r.any) {
			SK_FAIL("op %u: right %llu, model %llu", i,
				(unsigned long long)r.right,
				(unsigned long long)m.right);
			return false;
		}
	}
	return true;
}

SK_TEST(replay_random_vs_model)
{
	unsigned long *seen = SK_ALLOC(BITS_TO_LONGS(SPAN), sizeof(long));
	struct sk_rng g;
	u32 round;

	SK_ASSERT(seen);
	sk_rng_seed(&g, 0x5e415e0001ULL);
	for (round = 0; round < 16; round++) {
		u64 base;

		switch (round % 4) {
		case 0:
			base = 0;
			break;
		case 1:	/* the model's span crosses the 2^48 limit */
			base = LIMIT + 1 - SPAN / 2;
			break;
		default:
			base = sk_rand64(&g) & LIMIT;
			if (base > LIMIT + 1 - SPAN)
				base = LIMIT + 1 - SPAN;
		}
		if (!replay_round(test, &g, base, seen, 10000)) {
			SK_INFO("failed in round %u", round);
			return;
		}
	}
}

SK_SUITE(sekisho_replay,
	 SK_CASE(replay_empty_accepts_anything_valid),
	 SK_CASE(replay_in_order_and_duplicates),
	 SK_CASE(replay_window_edges),
	 SK_CASE(replay_reorder_inside_window),
	 SK_CASE(replay_far_jumps),
	 SK_CASE(replay_init_seen),
	 SK_CASE(replay_seq_limit),
	 SK_CASE(replay_check_then_concurrent_update),
	 SK_CASE(replay_random_vs_model));
