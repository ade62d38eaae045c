/* SPDX-License-Identifier: GPL-2.0 */
/* The "sekisho" generic netlink family. */
#ifndef _SEKISHO_NETLINK_H
#define _SEKISHO_NETLINK_H

#include <net/genetlink.h>

#include "stats.h"

extern struct genl_family sekisho_genl_family;

int sekisho_nl_init(void);
void sekisho_nl_exit(void);

/*
 * An extack message with the bad attribute: formatted on kernels that have
 * formatted extack messages (6.2+), the fixed fallback text on older ones.
 */
__printf(4, 5)
void sekisho_nl_err_fmt(struct netlink_ext_ack *extack,
			const struct nlattr *attr, const char *fallback,
			const char *fmt, ...);

/* nest attr with the counters of s (uapi enum sekisho_a_stats) */
int sekisho_nl_put_stats(struct sk_buff *msg, int attr,
			 struct sekisho_pcpu_stats __percpu *s);

#endif /* _SEKISHO_NETLINK_H */
