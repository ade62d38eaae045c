/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knl: the kernel client of sekisho's userspace.  Generic netlink for the
 * "sekisho" family (requests with NLM_F_ACK and extended ACKs, dumps that
 * survive NLM_F_DUMP_INTR, the "events" multicast group), the decoded
 * kernel objects, and the rtnetlink work on the sekisho device, all on
 * libmnl.
 *
 * Nothing here prints or exits.  A failing call returns a negative errno and
 * leaves what the kernel said (its extack message, the offending attribute
 * or the missing one) in the handle: knl_error() turns that into one line
 * that the program prints or logs under its own name.  Every name in this
 * library starts with knl_ (KNL_ for constants).
 *
 * Layer: uses lib/ (skparse.h) and the uapi header, nothing else of ours.
 */
#ifndef SK_KNL_H
#define SK_KNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/sekisho.h>

#include "skparse.h"

#define KNL_SOCKBUF	(8 << 20)	/* SO_{SND,RCV}BUFFORCE for big policies */
#define KNL_RECV_MAX	(16 << 20)	/* largest datagram we accept */
#define KNL_DUMP_TRIES	3		/* attempts when a dump is interrupted */
#define KNL_ERRLEN	320		/* room for strerror + extack + offsets */

/* What the kernel (or the socket) said about the last request. */
struct knl_err {
	int err;			/* negative errno, 0 = none */
	char msg[KNL_ERRLEN];		/* one line, without a program prefix */
	bool has_miss, has_offs;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE */
	uint32_t offs;			/* NLMSGERR_ATTR_OFFS: offending attribute */
};

struct knl {
	struct mnl_socket *sock;
	uint16_t family;		/* generic netlink id of "sekisho" */
	uint32_t mcgrp_events;		/* id of the "events" group, 0 if none */
	uint32_t portid;
	uint32_t seq;
	uint8_t *rbuf;			/* receive buffer, grows to KNL_RECV_MAX */
	size_t rbuf_len;
	struct knl_err last;		/* the last failure */
	char warning[KNL_ERRLEN];	/* a warning of the last success, or "" */
};

/* A request under construction; overflow is sticky and fails the send. */
struct knl_msg {
	struct nlmsghdr *nlh;
	size_t cap;
	bool overflow;
};

/* Return 0 to go on, a negative errno to fail the request. */
typedef int (*knl_cb)(const struct nlmsghdr *nlh, void *data);

/* Open and resolve the family; -errno with the reason in knl_error(). */
int knl_open(struct knl *nl);
void knl_close(struct knl *nl);
/* Join the "events" multicast group. */
int knl_join_events(struct knl *nl);
/* The last failure as one line: "Invalid argument: <extack> (...)". */
const char *knl_error(const struct knl *nl);

int knl_msg_new(struct knl_msg *m, struct knl *nl, uint8_t cmd,
		uint16_t flags, size_t cap);
/* wipe: overwrite the buffer before freeing it (key material). */
void knl_msg_free(struct knl_msg *m, bool wipe);
void knl_put_u8(struct knl_msg *m, uint16_t type, uint8_t v);
void knl_put_u16(struct knl_msg *m, uint16_t type, uint16_t v);
void knl_put_u32(struct knl_msg *m, uint16_t type, uint32_t v);
void knl_put_u64(struct knl_msg *m, uint16_t type, uint64_t v);
void knl_put_str(struct knl_msg *m, uint16_t type, const char *s);
void knl_put_bin(struct knl_msg *m, uint16_t type, const void *p, size_t len);
struct nlattr *knl_nest_start(struct knl_msg *m, uint16_t type);
/* Ends a nest; a nest longer than 65535 bytes sets overflow. */
void knl_nest_end(struct knl_msg *m, struct nlattr *nest);

/*
 * Send a request (NLM_F_ACK is added) and read until its ACK; cb sees
 * each reply message of our family.  Returns 0 or a negative errno; what
 * the kernel said is in knl_error() (a cb's own error is returned as is).
 */
int knl_do(struct knl *nl, struct knl_msg *m, knl_cb cb, void *data);
/*
 * Dump (NLM_F_DUMP is added).  When the kernel flags the dump as
 * interrupted (or incomplete() says so), reset() drops what cb collected
 * and the dump is repeated, up to KNL_DUMP_TRIES times; then nl->warning
 * says so and the last result is kept.
 */
int knl_dump(struct knl *nl, struct knl_msg *m, knl_cb cb,
	     void (*reset)(void *data), bool (*incomplete)(void *data),
	     void *data);
/* Read one batch of multicast messages (monitor); -errno on error. */
int knl_recv_events(struct knl *nl, knl_cb cb, void *data);
int knl_fd(const struct knl *nl);

/* Attribute readers that check the payload length; 0 or -1. */
int knl_attr_u8(const struct nlattr *a, uint8_t *v);
int knl_attr_u16(const struct nlattr *a, uint16_t *v);
int knl_attr_u32(const struct nlattr *a, uint32_t *v);
int knl_attr_u64(const struct nlattr *a, uint64_t *v);

/* ---- decoded kernel objects (obj.c) ---- */

#define KNL_NSTATS (SEKISHO_A_STATS_MAX + 1)

struct knl_stats {
	bool has[KNL_NSTATS];
	uint64_t v[KNL_NSTATS];
};

struct knl_dev {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	bool has_peers, has_policies;
	uint32_t num_peers, num_policies;
	struct knl_stats stats;
};

struct knl_keyinfo {
	uint32_t slot;
	uint16_t epoch;
	uint32_t cipher;
	bool has_tx_seq, has_rx_seq;
	uint64_t tx_seq, rx_seq;
};

struct knl_peer {
	uint32_t id;
	bool has_remote, has_local_addr, has_local_port;
	struct sk_endpoint remote;
	struct sk_endpoint local;
	bool has_vpn4, has_vpn6;
	struct sk_addr vpn4, vpn6;
	bool has_routes;
	unsigned int nroutes;
	struct sk_prefix routes[SEKISHO_MAX_ROUTES];
	bool has_policy, has_idle, has_last_rx, has_reason;
	uint32_t policy;
	uint32_t idle;
	uint64_t last_rx_ms;
	uint32_t reason;
	unsigned int nkeys;
	struct knl_keyinfo keys[2];
	struct knl_stats stats;
};

struct knl_policy {
	uint32_t id;
	bool has_num_rules, has_refs;
	uint32_t num_rules;
	uint32_t refs;
	size_t nrules, cap;
	struct sk_rule *rules;
};

/* A growable array of one of the object types above. */
struct knl_vec {
	void *items;
	size_t n, cap, size;
};

void *knl_vec_push(struct knl_vec *v);	/* zeroed new item or NULL */
void knl_vec_free(struct knl_vec *v);

int knl_decode_dev(const struct nlattr *nest, struct knl_dev *d);
int knl_decode_peer(const struct nlattr *nest, struct knl_peer *p);
struct knl_deny {
	int family;
	bool has_saddr, has_daddr, has_proto, has_dport, has_suppressed;
	struct sk_addr saddr, daddr;
	uint8_t proto;
	uint16_t dport;
	uint32_t suppressed;
};
int knl_decode_deny(const struct nlattr *nest, struct knl_deny *d);
/* Adds the rules of one POLICY nest to the list, merging split messages. */
int knl_decode_policy(const struct nlattr *nest, struct knl_vec *policies);
void knl_policies_free(struct knl_vec *policies);
/* true if some policy has fewer rules than NUM_RULES announced */
bool knl_policies_incomplete(const struct knl_vec *policies);

/*
 * Encode rules into a POLICY_NEW/SET request: returns 0 for the plain form,
 * 1 when split over several POLICY nests (see docs), -1 on overflow.
 */
int knl_encode_policy(struct knl_msg *m, uint32_t id, const struct sk_rule *rules,
		     size_t n);
size_t knl_policy_msg_size(const struct sk_rule *rules, size_t n);

extern const char *const knl_stat_names[KNL_NSTATS];
const char *knl_reason_name(uint32_t reason, char *buf, size_t len);
const char *knl_slot_name(uint32_t slot);


/* ---- dumps (get.c) ---- */

/* DEV_GET of one device (ifindex != 0) or a dump of all of them. */
int knl_get_devs(struct knl *nl, uint32_t ifindex, struct knl_vec *devs);
/* PEER_GET of one peer (id != NULL) or a dump of the device's peers. */
int knl_get_peers(struct knl *nl, uint32_t ifindex, const uint32_t *id,
		  struct knl_vec *peers);

/* ---- the device over rtnetlink (link.c); 0 or -errno ---- */

/* Creates a device of kind "sekisho" (-EEXIST if the name is taken). */
int knl_link_create(const char *ifname, int mtu);
/* Sets the MTU and brings the device up. */
int knl_link_up(unsigned int ifindex, int mtu);
/* Adds addr/prefixlen (the kernel then routes the prefix to the device);
 * an existing address is fine. */
int knl_addr_add(unsigned int ifindex, int family, const void *addr,
		 int prefixlen);

#endif /* SK_KNL_H */
