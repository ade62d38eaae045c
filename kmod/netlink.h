/* SPDX-License-Identifier: GPL-2.0 */
/* The "sekisho" generic netlink family. */
#ifndef _SEKISHO_NETLINK_H
#define _SEKISHO_NETLINK_H

#include <net/genetlink.h>

#include "stats.h"

extern struct genl_family sekisho_genl_family;

int sekisho_nl_init(void);
void sekisho_nl_exit(void);

/* nest attr with the counters of s (uapi enum sekisho_a_stats) */
int sekisho_nl_put_stats(struct sk_buff *msg, int attr,
			 struct sekisho_pcpu_stats __percpu *s);

#endif /* _SEKISHO_NETLINK_H */
