/* SPDX-License-Identifier: GPL-2.0 */
/* Module-wide state: parameters and the workqueue. */
#ifndef _SEKISHO_MAIN_H
#define _SEKISHO_MAIN_H

#include <linux/workqueue.h>

/* for work that may sleep: freeing transforms, peers, policies */
extern struct workqueue_struct *sekisho_wq;

/* module parameters (/sys/module/sekisho/parameters/) */
extern unsigned int sekisho_max_peers;
extern unsigned int sekisho_max_policies;
extern unsigned int sekisho_deny_interval_ms;

#endif /* _SEKISHO_MAIN_H */
