// SPDX-License-Identifier: GPL-2.0
/*
 * sekisho_kunit: KUnit suites of the pure datapath parts of sekisho
 * (replay window, allowlist matcher, DTLS record layout).  The suites
 * register themselves from their own files through .kunit_test_suites.
 */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the sekisho SSL-VPN datapath (replay, allowlist, record)");
MODULE_AUTHOR("sekisho authors");
