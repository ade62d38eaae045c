// SPDX-License-Identifier: GPL-2.0
/* Per-cpu counters: allocation and summing. */
#include <linux/string.h>

#include "stats.h"

static const char * const sekisho_stat_names[SEKISHO_STAT_NR] = {
	[SEKISHO_STAT_RX_PACKETS] = "rx_packets",
	[SEKISHO_STAT_RX_BYTES] = "rx_bytes",
	[SEKISHO_STAT_TX_PACKETS] = "tx_packets",
	[SEKISHO_STAT_TX_BYTES] = "tx_bytes",
	[SEKISHO_STAT_DROP_NO_PEER] = "drop_no_peer",
	[SEKISHO_STAT_DROP_AUTH] = "drop_auth",
	[SEKISHO_STAT_DROP_REPLAY] = "drop_replay",
	[SEKISHO_STAT_DROP_SPOOF] = "drop_spoof",
	[SEKISHO_STAT_DROP_POLICY] = "drop_policy",
	[SEKISHO_STAT_DROP_MALFORMED] = "drop_malformed",
	[SEKISHO_STAT_DROP_TOO_BIG] = "drop_too_big",
	[SEKISHO_STAT_DROP_NO_KEY] = "drop_no_key",
	[SEKISHO_STAT_DPD_ANSWERED] = "dpd_answered",
	[SEKISHO_STAT_KEEPALIVES] = "keepalives",
	[SEKISHO_STAT_TO_USERSPACE] = "to_userspace",
	[SEKISHO_STAT_RX_ERRORS] = "rx_errors",
	[SEKISHO_STAT_TX_ERRORS] = "tx_errors",
};

const char *sekisho_stat_name(enum sekisho_stat i)
{
	return i < SEKISHO_STAT_NR ? sekisho_stat_names[i] : "?";
}

struct sekisho_pcpu_stats __percpu *sekisho_stats_alloc(gfp_t gfp)
{
	struct sekisho_pcpu_stats __percpu *s;
	int cpu;

	s = alloc_percpu_gfp(struct sekisho_pcpu_stats, gfp | __GFP_ZERO);
	if (!s)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(s, cpu)->syncp);
	return s;
}

void sekisho_stats_free(struct sekisho_pcpu_stats __percpu *s)
{
	free_percpu(s);
}

void sekisho_stats_read(struct sekisho_pcpu_stats __percpu *s,
			struct sekisho_stats *sum)
{
	u64 v[SEKISHO_STAT_NR];
	unsigned int start, i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	if (!s)
		return;
	for_each_possible_cpu(cpu) {
		const struct sekisho_pcpu_stats *p = per_cpu_ptr(s, cpu);

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			for (i = 0; i < SEKISHO_STAT_NR; i++)
				v[i] = u64_stats_read(&p->c[i]);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		for (i = 0; i < SEKISHO_STAT_NR; i++)
			sum->c[i] += v[i];
	}
}
