/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-cpu counters of a device and of each peer.  Hot paths only add to the
 * local CPU's copy; readers (netlink, sysfs, ndo_get_stats64) sum all CPUs.
 */
#ifndef _SEKISHO_STATS_H
#define _SEKISHO_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <linux/sekisho.h>

/*
 * The first SEKISHO_STAT_UAPI_NR counters map one to one, in order, onto
 * SEKISHO_A_STATS_RX_PACKETS .. SEKISHO_A_STATS_TO_USERSPACE.
 */
enum sekisho_stat {
	SEKISHO_STAT_RX_PACKETS,
	SEKISHO_STAT_RX_BYTES,
	SEKISHO_STAT_TX_PACKETS,
	SEKISHO_STAT_TX_BYTES,
	SEKISHO_STAT_DROP_NO_PEER,
	SEKISHO_STAT_DROP_AUTH,
	SEKISHO_STAT_DROP_REPLAY,
	SEKISHO_STAT_DROP_SPOOF,
	SEKISHO_STAT_DROP_POLICY,
	SEKISHO_STAT_DROP_MALFORMED,
	SEKISHO_STAT_DROP_TOO_BIG,
	SEKISHO_STAT_DROP_NO_KEY,
	SEKISHO_STAT_DPD_ANSWERED,
	SEKISHO_STAT_KEEPALIVES,
	SEKISHO_STAT_TO_USERSPACE,
	SEKISHO_STAT_UAPI_NR,
	/* not in the uapi: only in the netdev's rx/tx_errors */
	SEKISHO_STAT_RX_ERRORS = SEKISHO_STAT_UAPI_NR,	/* no memory, crypto error */
	SEKISHO_STAT_TX_ERRORS,				/* no memory, no route */
	SEKISHO_STAT_NR
};

static_assert(SEKISHO_STAT_UAPI_NR ==
	      SEKISHO_A_STATS_TO_USERSPACE - SEKISHO_A_STATS_RX_PACKETS + 1);

struct sekisho_pcpu_stats {
	u64_stats_t c[SEKISHO_STAT_NR];
	struct u64_stats_sync syncp;
};

struct sekisho_stats {
	u64 c[SEKISHO_STAT_NR];
};

struct sekisho_pcpu_stats __percpu *sekisho_stats_alloc(gfp_t gfp);
void sekisho_stats_free(struct sekisho_pcpu_stats __percpu *s);
void sekisho_stats_read(struct sekisho_pcpu_stats __percpu *s,
			struct sekisho_stats *sum);

/*
 * Add to one or two counters of the local CPU.  Callers run with bottom
 * halves disabled (softirq, ndo_start_xmit, crypto completions), the only
 * contexts that count, so a writer never interrupts another on its CPU.
 */
static inline void sekisho_stats_add2(struct sekisho_pcpu_stats __percpu *s,
				      enum sekisho_stat a, u64 va,
				      enum sekisho_stat b, u64 vb)
{
	struct sekisho_pcpu_stats *p = get_cpu_ptr(s);

	u64_stats_update_begin(&p->syncp);
	u64_stats_add(&p->c[a], va);
	if (vb)
		u64_stats_add(&p->c[b], vb);
	u64_stats_update_end(&p->syncp);
	put_cpu_ptr(s);
}

static inline void sekisho_stats_inc(struct sekisho_pcpu_stats __percpu *s,
				     enum sekisho_stat a)
{
	sekisho_stats_add2(s, a, 1, a, 0);
}

#endif /* _SEKISHO_STATS_H */
