/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels sekisho builds against (Debian's 6.1 and
 * 6.12).  The SEKISHO_COMPAT_* macros come from header probes in Kbuild, so
 * backports are handled by what the headers say, not by version numbers.
 */
#ifndef _SEKISHO_COMPAT_H
#define _SEKISHO_COMPAT_H

#include <linux/crypto.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <net/genetlink.h>
#include <net/inet_sock.h>

/*
 * Crypto completion callbacks: 6.3+ pass the request's data pointer, older
 * kernels the crypto_async_request (whose ->data it is).  The one callback
 * of the module is sekisho_crypto_done() in crypto.c.
 */

/*
 * pre_doit/post_doit of a genetlink family: 6.2+ pass the split op, older
 * kernels the struct genl_ops.
 */
#ifdef SEKISHO_COMPAT_SPLIT_OPS
#define sekisho_genl_doit_ops genl_split_ops
#else
#define sekisho_genl_doit_ops genl_ops
#endif

/* Lockless transmit: a feature bit before 6.12, a private flag since. */
static inline void sekisho_set_lltx(struct net_device *dev)
{
#ifdef SEKISHO_COMPAT_LLTX_FLAG
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/*
 * An extack message that is not a string literal (NL_SET_ERR_MSG*() want
 * literals) but a static string chosen at run time: what the pure parts
 * return as "why".
 */
static inline void sekisho_set_err(struct netlink_ext_ack *extack,
				   const struct nlattr *attr, const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	extack->bad_attr = attr;
}

/* Attributes of a dump request, parsed by the genetlink core. */
static inline struct nlattr **sekisho_dump_attrs(struct netlink_callback *cb)
{
#ifdef SEKISHO_COMPAT_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* Multicast loopback of a UDP socket (setup_udp_tunnel_sock() clears it). */
static inline void sekisho_sk_set_mc_loop(struct sock *sk)
{
#ifdef SEKISHO_COMPAT_INET_FLAGS
	inet_set_bit(MC_LOOP, sk);
#else
	inet_sk(sk)->mc_loop = 1;
#endif
}

#endif /* _SEKISHO_COMPAT_H */
