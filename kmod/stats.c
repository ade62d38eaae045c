// SPDX-License-Identifier: GPL-2.0
/* Per-cpu counters: allocation and summing. */
#include <linux/string.h>

#include "stats.h"

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
