/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Environment switch for the pure datapath parts of sekisho (replay.c,
 * allowlist.c, record.c).  These files use no skb, no locks and no printk,
 * so the same source builds inside the module and, through the shims in
 * tests/unit/kshim.h, as ordinary userspace C for the host unit tests.
 */
#ifndef _SEKISHO_PURE_H
#define _SEKISHO_PURE_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sort.h>
#include <linux/string.h>
/* 6.12 moved asm/unaligned.h to linux/unaligned.h. */
#if __has_include("linux/unaligned.h")
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif
#else
#include "../tests/unit/kshim.h"
#endif

#include "../include/uapi/linux/sekisho.h"

#endif /* _SEKISHO_PURE_H */
