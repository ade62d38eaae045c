/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive anti-replay window of DTLS 1.2 (RFC 6347 section 4.1.2.6), one per
 * (key, epoch).  anyconnect-protocol.md section 6.8.
 *
 * There is no locking inside.  Either hold one lock around
 * check -> decrypt -> update, or use the lock-free two-step protocol:
 *
 *	if (!sekisho_replay_check(r, seq))	   // before decrypting
 *		drop, count replay;
 *	decrypt and verify the tag;
 *	lock; ok = sekisho_replay_update(r, seq); unlock;
 *	if (!ok)				   // a concurrent record won
 *		drop, count replay;
 *
 * check() only reads, so a racy read can only let a record through to the
 * (authoritative) update(), which runs under the caller's lock.
 */
#ifndef _SEKISHO_REPLAY_H
#define _SEKISHO_REPLAY_H

#include "pure.h"

#define SEKISHO_REPLAY_WORDS (SEKISHO_REPLAY_WINDOW / BITS_PER_LONG)

/*
 * With right edge R, the window holds the W = SEKISHO_REPLAY_WINDOW numbers
 * R - W + 1 .. R.  A sequence number s is "too old" if s + W <= R.
 *
 * map is a ring: the bit of sequence number s is s % W.  Moving the right
 * edge clears the bits of the numbers that enter the window instead of
 * shifting the whole 1024-bit map (in-order traffic touches one bit).
 */
struct sekisho_replay {
	u64 right;		/* highest authenticated sequence number */
	bool any;		/* false until the first record (or init with seen) */
	unsigned long map[SEKISHO_REPLAY_WORDS];	/* bit (s % W) for s in window */
};

/* Nothing seen yet. */
void sekisho_replay_init(struct sekisho_replay *r);
/* Every record with sequence number <= seq counts as seen; right edge = seq. */
void sekisho_replay_init_seen(struct sekisho_replay *r, u64 seq);
/*
 * True if seq may be accepted: not above SEKISHO_SEQ_LIMIT, not left of the
 * window, not seen.  No state change.  Call BEFORE decrypting.
 */
bool sekisho_replay_check(const struct sekisho_replay *r, u64 seq);
/*
 * Call only AFTER the tag verified: re-checks and marks seq as seen, moving
 * the right edge if seq is above it.  Returns false if seq is no longer
 * acceptable (it became a duplicate, or fell out of the window, meanwhile):
 * the caller drops the record and counts a replay.
 */
bool sekisho_replay_update(struct sekisho_replay *r, u64 seq);

#endif /* _SEKISHO_REPLAY_H */
