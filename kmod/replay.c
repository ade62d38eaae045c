// SPDX-License-Identifier: GPL-2.0
/*
 * DTLS 1.2 receive anti-replay window (RFC 6347 section 4.1.2.6).
 *
 * The window is a ring of SEKISHO_REPLAY_WINDOW bits: sequence number s
 * lives in bit s % W.  Only numbers in (right - W, right] are represented,
 * and every bit in the ring belongs to exactly one of them, so moving the
 * right edge from R to s just clears the bits of R + 1 .. s (at most W).
 * This keeps in-order traffic at one bit operation per record, where a
 * shifted bitmap would move all 1024 bits.
 */
#include "replay.h"

#define W	((u64)SEKISHO_REPLAY_WINDOW)

static inline unsigned int sekisho_replay_bit(u64 seq)
{
	return (unsigned int)(seq & (W - 1));
}

void sekisho_replay_init(struct sekisho_replay *r)
{
	r->right = 0;
	r->any = false;
	bitmap_zero(r->map, SEKISHO_REPLAY_WINDOW);
}

void sekisho_replay_init_seen(struct sekisho_replay *r, u64 seq)
{
	/* all of right - W + 1 .. right are seen, and so is everything older */
	r->right = seq;
	r->any = true;
	bitmap_fill(r->map, SEKISHO_REPLAY_WINDOW);
}

bool sekisho_replay_check(const struct sekisho_replay *r, u64 seq)
{
	if (unlikely(seq > SEKISHO_SEQ_LIMIT))
		return false;
	if (!r->any || seq > r->right)
		return true;
	if (seq + W <= r->right)
		return false;	/* left of the window */
	return !test_bit(sekisho_replay_bit(seq), r->map);
}

/* Clear the bits of right + 1 .. seq, which are about to enter the window. */
static void sekisho_replay_advance(struct sekisho_replay *r, u64 seq)
{
	u64 d = seq - r->right;
	unsigned int start, first;

	if (d >= W) {
		bitmap_zero(r->map, SEKISHO_REPLAY_WINDOW);
	} else {
		start = sekisho_replay_bit(r->right + 1);
		first = min_t(unsigned int, (unsigned int)d,
			      SEKISHO_REPLAY_WINDOW - start);
		bitmap_clear(r->map, start, first);
		if (first < d)
			bitmap_clear(r->map, 0, (unsigned int)d - first);
	}
	r->right = seq;
}

bool sekisho_replay_update(struct sekisho_replay *r, u64 seq)
{
	BUILD_BUG_ON((SEKISHO_REPLAY_WINDOW & (SEKISHO_REPLAY_WINDOW - 1)) != 0);
	BUILD_BUG_ON(SEKISHO_REPLAY_WINDOW % BITS_PER_LONG != 0);

	if (!sekisho_replay_check(r, seq))
		return false;
	if (!r->any) {
		bitmap_zero(r->map, SEKISHO_REPLAY_WINDOW);
		r->right = seq;
		r->any = true;
	} else if (seq > r->right) {
		sekisho_replay_advance(r, seq);
	}
	__set_bit(sekisho_replay_bit(seq), r->map);
	return true;
}
