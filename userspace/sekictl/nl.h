/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink plumbing of sekictl on top of libmnl: family and
 * multicast group resolution, bounded message building, requests with
 * NLM_F_ACK and extended-ACK error messages, and dumps that survive
 * NLM_F_DUMP_INTR.
 */
#ifndef SEKICTL_NL_H
#define SEKICTL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#define SK_NL_SOCKBUF	(8 << 20)	/* SO_{SND,RCV}BUFFORCE for big policies */
#define SK_NL_RECV_MAX	(16 << 20)	/* largest datagram we accept */
#define SK_NL_DUMP_TRIES 3		/* attempts when a dump is interrupted */

struct sk_nl {
	struct mnl_socket *sock;
	uint16_t family;		/* generic netlink id of "sekisho" */
	uint32_t mcgrp_events;		/* id of the "events" group, 0 if none */
	uint32_t portid;
	uint32_t seq;
	uint8_t *rbuf;			/* receive buffer, grows to SK_NL_RECV_MAX */
	size_t rbuf_len;
	const char *what;		/* "peer add": prefix of error messages */
	int quiet_errno;		/* an error the caller explains itself */
};

/* A request under construction; overflow is sticky and fails the send. */
struct sk_msg {
	struct nlmsghdr *nlh;
	size_t cap;
	bool overflow;
};

/* Return 0 to go on, a negative errno to fail the request. */
typedef int (*sk_nl_cb)(const struct nlmsghdr *nlh, void *data);

/* Open and resolve the family; prints the reason and returns -1 on failure. */
int sk_nl_open(struct sk_nl *nl, const char *what);
void sk_nl_close(struct sk_nl *nl);
/* Join the "events" multicast group. */
int sk_nl_join_events(struct sk_nl *nl);

int sk_msg_new(struct sk_msg *m, const struct sk_nl *nl, uint8_t cmd,
	       uint16_t flags, size_t cap);
/* wipe: overwrite the buffer before freeing it (key material). */
void sk_msg_free(struct sk_msg *m, bool wipe);
void sk_put_u8(struct sk_msg *m, uint16_t type, uint8_t v);
void sk_put_u16(struct sk_msg *m, uint16_t type, uint16_t v);
void sk_put_u32(struct sk_msg *m, uint16_t type, uint32_t v);
void sk_put_u64(struct sk_msg *m, uint16_t type, uint64_t v);
void sk_put_str(struct sk_msg *m, uint16_t type, const char *s);
void sk_put_bin(struct sk_msg *m, uint16_t type, const void *p, size_t len);
struct nlattr *sk_nest_start(struct sk_msg *m, uint16_t type);
/* Ends a nest; a nest longer than 65535 bytes sets overflow. */
void sk_nest_end(struct sk_msg *m, struct nlattr *nest);

/*
 * Send a request (NLM_F_ACK is added) and read until its ACK; cb sees
 * each reply message of our family.  Returns 0 or a negative errno; the
 * kernel's error and extack message are already printed.
 */
int sk_nl_do(struct sk_nl *nl, struct sk_msg *m, sk_nl_cb cb, void *data);
/*
 * Dump (NLM_F_DUMP is added).  When the kernel flags the dump as
 * interrupted (or incomplete() says so), reset() drops what cb collected
 * and the dump is repeated, up to SK_NL_DUMP_TRIES times; then a warning
 * is printed and the last result kept.
 */
int sk_nl_dump(struct sk_nl *nl, struct sk_msg *m, sk_nl_cb cb,
	       void (*reset)(void *data), bool (*incomplete)(void *data),
	       void *data);
/* Read one batch of multicast messages (monitor); -errno on error. */
int sk_nl_recv_events(struct sk_nl *nl, sk_nl_cb cb, void *data);
int sk_nl_fd(const struct sk_nl *nl);

/* Attribute readers that check the payload length; 0 or -1. */
int sk_attr_u8(const struct nlattr *a, uint8_t *v);
int sk_attr_u16(const struct nlattr *a, uint16_t *v);
int sk_attr_u32(const struct nlattr *a, uint32_t *v);
int sk_attr_u64(const struct nlattr *a, uint64_t *v);

#endif /* SEKICTL_NL_H */
