/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekishod's view of the kernel: the sekisho device (rtnetlink), its
 * addresses, and the genetlink family (policies, peers, keys, events).
 *
 * A thin layer over the kernel client library (userspace/knl): the rest
 * of sekishod calls these, and kernel.c logs what the kernel refused.
 */
#ifndef SEKISHOD_KERNEL_H
#define SEKISHOD_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knl.h"


struct skd_kernel {
	struct knl req;			/* requests (PEER_*, KEY_NEW, POLICY_*) */
	struct knl ev;			/* the "events" multicast group */
	bool req_open, ev_open;
	unsigned int ifindex;
	char ifname[16];
};

/* Creates the device (kind "sekisho") if missing, sets its MTU, brings it
 * up and opens the genetlink sockets.  -1 with a reason in err. */
int skd_kernel_open(struct skd_kernel *k, const char *dev, int mtu, char *err, size_t errlen);
void skd_kernel_close(struct skd_kernel *k);
/* Adds addr/prefixlen to the device (the kernel then routes the prefix to
 * it); an existing address is fine.  0 or -errno. */
int skd_kernel_addr_add(struct skd_kernel *k, int family, const void *addr, int prefixlen);

/* POLICY_SET, or POLICY_NEW when the kernel has no such id. */
int skd_kernel_policy_put(struct skd_kernel *k, uint32_t id, const struct sk_rule *rules, size_t n);
int skd_kernel_policy_del(struct skd_kernel *k, uint32_t id);

struct skd_kpeer {
	uint32_t id;
	int fd;				/* connected UDP socket (DTLS), -1 = none */
	int stream_fd;			/* AF_UNIX SOCK_SEQPACKET (CSTP relay), -1 = none */
	bool stream_ktls;		/* stream_fd is the client's TCP socket with kernel TLS */
	bool has4, has6;
	uint8_t vpn4[4], vpn6[16];
	uint32_t policy;		/* 0 = deny everything */
	uint32_t idle;			/* seconds, 0 = never */
};
/* At least one of fd and stream_fd must be >= 0; the kernel takes its own
 * reference to each socket. */
int skd_kernel_peer_new(struct skd_kernel *k, const struct skd_kpeer *p);
int skd_kernel_peer_del(struct skd_kernel *k, uint32_t id);
/* deletes every peer of the device (those a previous run left): how many,
 * or -errno */
int skd_kernel_peer_flush(struct skd_kernel *k);
int skd_kernel_peer_policy(struct skd_kernel *k, uint32_t id, uint32_t policy);
/* PEER_SET with SOCKET: the live peer gets the connected UDP socket fd (or
 * it replaces the one it had, whose keys go with it) and keeps its CSTP
 * stream untouched; KEY_NEW follows */
int skd_kernel_peer_socket(struct skd_kernel *k, uint32_t id, int fd);
/* cipher: uapi enum sekisho_cipher.  The caller wipes its copies. */
int skd_kernel_key_new(struct skd_kernel *k, uint32_t id, uint16_t epoch, uint32_t cipher,
		       const uint8_t *enc_key, const uint8_t *enc_iv, uint64_t tx_seq,
		       const uint8_t *dec_key, const uint8_t *dec_iv, uint64_t rx_seq,
		       size_t key_len, size_t iv_len);
struct skd_kstats {
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_packets, tx_packets;
	uint64_t last_rx_ms;
	bool has_last_rx;
	/* the primary DTLS key: its epoch and the highest sequence number
	 * received under it (has_key_rx: there is one) */
	bool has_key_rx;
	uint16_t key_epoch;
	uint64_t key_rx_seq;
};
int skd_kernel_peer_stats(struct skd_kernel *k, uint32_t id, struct skd_kstats *s);

enum skd_kevent { SKD_KEV_PEER_DEL = 1, SKD_KEV_PEER_IDLE };
int skd_kernel_event_fd(const struct skd_kernel *k);		/* -1 without events */
/* Reads what is queued; cb(kind, peer id, del reason) per event of our device. */
int skd_kernel_events(struct skd_kernel *k,
		      void (*cb)(void *arg, enum skd_kevent kind, uint32_t peer, uint32_t reason),
		      void *arg);

#endif
