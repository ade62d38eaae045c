/* SPDX-License-Identifier: GPL-2.0 */
/* Module-wide state: parameters and the workqueues. */
#ifndef _SEKISHO_MAIN_H
#define _SEKISHO_MAIN_H

#include <linux/workqueue.h>

/*
 * for work that may sleep (freeing transforms, peers, policies) and for
 * each peer's receive work (rx.c)
 */
extern struct workqueue_struct *sekisho_wq;
/* per CPU: a CSTP stream's receive and transmit works (stream.c, ktls.c) */
extern struct workqueue_struct *sekisho_stream_wq;

/* module parameters (/sys/module/sekisho/parameters/) */
extern unsigned int sekisho_max_peers;
extern unsigned int sekisho_max_policies;
extern unsigned int sekisho_deny_interval_ms;
extern bool sekisho_rx_work_param;

/* a peer's records are decrypted in its work item (rx.c) */
bool sekisho_rx_in_work(void);

#endif /* _SEKISHO_MAIN_H */
