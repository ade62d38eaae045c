// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing of sekictl; see nl.h.
 */
#include "knl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sekisho.h>

static void sockbuf(int fd, int force, int plain)
{
	int sz = KNL_SOCKBUF;

	/* FORCE needs CAP_NET_ADMIN; the plain option is capped by rmem_max */
	if (setsockopt(fd, SOL_SOCKET, force, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, plain, &sz, sizeof(sz));
}

int knl_fd(const struct knl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

/* Grow the buffer to the size of the next datagram and read it. */
static ssize_t nl_recv(struct knl *nl, int flags)
{
	int fd = knl_fd(nl);
	ssize_t len;

	for (;;) {
		len = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | flags);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return -errno;
		break;
	}
	if ((size_t)len > nl->rbuf_len) {
		uint8_t *nb;
		size_t want = (size_t)len;

		if (want > KNL_RECV_MAX)
			return -EMSGSIZE;
		nb = realloc(nl->rbuf, want);
		if (!nb)
			return -ENOMEM;
		nl->rbuf = nb;
		nl->rbuf_len = want;
	}
	for (;;) {
		len = recv(fd, nl->rbuf, nl->rbuf_len, flags);
		if (len < 0 && errno == EINTR)
			continue;
		return len < 0 ? -errno : len;
	}
}

__attribute__((format(printf, 3, 4)))
static int set_err(struct knl *nl, int err, const char *fmt, ...)
{
	va_list ap;

	memset(&nl->last, 0, sizeof(nl->last));
	nl->last.err = err;
	va_start(ap, fmt);
	vsnprintf(nl->last.msg, sizeof(nl->last.msg), fmt, ap);
	va_end(ap);
	return err;
}

const char *knl_error(const struct knl *nl)
{
	return nl->last.msg[0] ? nl->last.msg : "no error";
}

/*
 * Record "strerror: extack" of an NLMSG_ERROR or NLMSG_DONE message as the
 * last failure; with err == 0 only a warning the kernel attached is kept
 * (nl->warning).
 */
static void record_ack(struct knl *nl, const struct nlmsghdr *nlh, int err)
{
	const char *msg = NULL;
	bool have_miss = false;
	uint32_t miss = 0, offs = 0;
	bool have_offs = false;
	size_t hlen, n;
	const uint8_t *p, *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	struct knl_err *e = &nl->last;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);

			hlen = sizeof(*me);
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
				hlen += me->msg.nlmsg_len - sizeof(me->msg);
		} else {
			hlen = sizeof(int);
		}
		p = (const uint8_t *)mnl_nlmsg_get_payload(nlh) + hlen;
		while (p + sizeof(struct nlattr) <= end) {
			const struct nlattr *a = (const struct nlattr *)p;
			size_t plen;

			if (a->nla_len < sizeof(*a) || p + a->nla_len > end)
				break;
			plen = a->nla_len - sizeof(*a);
			switch (mnl_attr_get_type(a)) {
			case NLMSGERR_ATTR_MSG:
				if (plen && memchr(mnl_attr_get_payload(a), 0, plen))
					msg = mnl_attr_get_str(a);
				break;
			case NLMSGERR_ATTR_OFFS:
				if (plen == 4) {
					offs = mnl_attr_get_u32(a);
					have_offs = true;
				}
				break;
			case NLMSGERR_ATTR_MISS_TYPE:
				if (plen == 4) {
					miss = mnl_attr_get_u32(a);
					have_miss = true;
				}
				break;
			}
			p += MNL_ALIGN(a->nla_len);
		}
	}
	if (err == 0) {
		if (msg)
			snprintf(nl->warning, sizeof(nl->warning), "warning: %s", msg);
		return;
	}
	set_err(nl, err, "%s", strerror(-err));
	e->has_miss = have_miss;
	e->miss_type = miss;
	e->has_offs = have_offs;
	e->offs = offs;
	n = strlen(e->msg);
	if (msg)
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", msg);
	else if (have_miss)
		snprintf(e->msg + n, sizeof(e->msg) - n, ": missing attribute %u", miss);
	n = strlen(e->msg);
	if (have_offs && !msg)
		snprintf(e->msg + n, sizeof(e->msg) - n, " (at offset %u of the request)", offs);
}

/*
 * Read replies to sequence number seq until the ACK or DONE.  Returns 0 or
 * a negative errno (recorded in nl->last unless it came from cb).
 */
static int nl_run(struct knl *nl, uint32_t seq, knl_cb cb, void *data,
		  bool *intr)
{
	int cb_err = 0;

	for (;;) {
		ssize_t len = nl_recv(nl, 0);
		const struct nlmsghdr *nlh;
		int left;

		if (len < 0)
			return set_err(nl, (int)len, "netlink receive: %s",
				       strerror((int)-len));
		left = (int)len;
		for (nlh = (const struct nlmsghdr *)nl->rbuf;
		     mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid)
				continue;	/* a late answer to something else */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR && intr)
				*intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_OVERRUN:
				return set_err(nl, -EIO, "netlink overrun");
			case NLMSG_ERROR: {
				const struct nlmsgerr *e;

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return set_err(nl, -EBADMSG, "short netlink error message");
				e = mnl_nlmsg_get_payload(nlh);
				record_ack(nl, nlh, e->error);
				return e->error ? e->error : cb_err;
			}
			case NLMSG_DONE: {
				int e = 0;

				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
					memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
				record_ack(nl, nlh, e);
				return e ? e : cb_err;
			}
			default:
				if (nlh->nlmsg_type != nl->family && nl->family)
					continue;
				if (cb && !cb_err) {
					cb_err = cb(nlh, data);
					/* a reply the callback cannot decode */
					if (cb_err < 0)
						set_err(nl, cb_err, "%s", cb_err == -EBADMSG ?
							"malformed reply from the kernel" :
							strerror(-cb_err));
				}
			}
		}
	}
}

static int nl_send(struct knl *nl, struct knl_msg *m)
{
	memset(&nl->last, 0, sizeof(nl->last));
	nl->warning[0] = 0;
	if (m->overflow)
		return set_err(nl, -EMSGSIZE, "request too large for one netlink message");
	m->nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, m->nlh, m->nlh->nlmsg_len) < 0) {
		int e = errno;

		return set_err(nl, -e, "netlink send: %s", strerror(e));
	}
	return 0;
}

int knl_do(struct knl *nl, struct knl_msg *m, knl_cb cb, void *data)
{
	int ret;

	m->nlh->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send(nl, m);
	if (ret)
		return ret;
	return nl_run(nl, m->nlh->nlmsg_seq, cb, data, NULL);
}

int knl_dump(struct knl *nl, struct knl_msg *m, knl_cb cb,
	       void (*reset)(void *data), bool (*incomplete)(void *data),
	       void *data)
{
	int tries, ret = 0;

	m->nlh->nlmsg_flags |= NLM_F_DUMP | NLM_F_ACK;
	for (tries = 1; tries <= KNL_DUMP_TRIES; tries++) {
		bool intr = false;

		if (tries > 1 && reset)
			reset(data);
		ret = nl_send(nl, m);
		if (ret)
			return ret;
		ret = nl_run(nl, m->nlh->nlmsg_seq, cb, data, &intr);
		if (ret)
			return ret;
		if (!intr && !(incomplete && incomplete(data)))
			return 0;
	}
	snprintf(nl->warning, sizeof(nl->warning),
		 "warning: state changed during the listing %d times; output may be inconsistent",
		 KNL_DUMP_TRIES);
	return 0;
}

int knl_recv_events(struct knl *nl, knl_cb cb, void *data)
{
	ssize_t len = nl_recv(nl, MSG_DONTWAIT);
	const struct nlmsghdr *nlh;
	int left, ret;

	if (len == -EAGAIN)
		return 0;
	if (len < 0)
		return set_err(nl, (int)len, "netlink receive: %s", strerror((int)-len));
	left = (int)len;
	for (nlh = (const struct nlmsghdr *)nl->rbuf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type != nl->family)
			continue;
		ret = cb(nlh, data);
		if (ret)
			return ret;
	}
	return 0;
}

struct family_info {
	uint16_t id;
	uint32_t grp;
};

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *a, *g, *ga;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_get_payload_len(a) == 2)
				fi->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a) {
				const char *name = NULL;
				uint32_t id = 0;

				mnl_attr_for_each_nested(ga, g) {
					if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME &&
					    mnl_attr_validate(ga, MNL_TYPE_NUL_STRING) == 0)
						name = mnl_attr_get_str(ga);
					else if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
						knl_attr_u32(ga, &id);
				}
				if (name && !strcmp(name, SEKISHO_MCGRP_EVENTS))
					fi->grp = id;
			}
			break;
		}
	}
	return 0;
}

int knl_open(struct knl *nl)
{
	struct family_info fi = { 0 };
	struct knl_msg m;
	int one = 1, ret;
	int fd;

	memset(nl, 0, sizeof(*nl));
	nl->seq = (uint32_t)time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		knl_close(nl);
		return set_err(nl, ret, "generic netlink socket: %s", strerror(-ret));
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	fd = knl_fd(nl);
	/* extack messages, and ACKs without an echo of big requests */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	sockbuf(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	sockbuf(fd, SO_RCVBUFFORCE, SO_RCVBUF);

	/* CTRL_CMD_GETFAMILY goes to the controller, not to our family */
	ret = knl_msg_new(&m, nl, CTRL_CMD_GETFAMILY, 0, 256);
	if (ret) {
		knl_close(nl);
		return ret;
	}
	m.nlh->nlmsg_type = GENL_ID_CTRL;
	knl_put_str(&m, CTRL_ATTR_FAMILY_NAME, SEKISHO_FAMILY_NAME);
	nl->family = 0;
	ret = knl_do(nl, &m, family_cb, &fi);
	knl_msg_free(&m, false);
	if (ret == -ENOENT || (!ret && !fi.id)) {
		knl_close(nl);
		return set_err(nl, -ENOENT,
			       "generic netlink family \"%s\" not found (is the sekisho module loaded? try: modprobe sekisho)",
			       SEKISHO_FAMILY_NAME);
	}
	if (ret) {
		knl_close(nl);
		return set_err(nl, ret, "resolving family \"%s\": %s",
			       SEKISHO_FAMILY_NAME, strerror(-ret));
	}
	nl->family = fi.id;
	nl->mcgrp_events = fi.grp;
	return 0;
}

int knl_join_events(struct knl *nl)
{
	int grp = (int)nl->mcgrp_events;

	if (!grp)
		return set_err(nl, -ENOENT, "the module has no \"%s\" multicast group",
			       SEKISHO_MCGRP_EVENTS);
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp))) {
		int e = errno;

		return set_err(nl, -e, "joining \"%s\": %s", SEKISHO_MCGRP_EVENTS,
			       strerror(e));
	}
	return 0;
}

void knl_close(struct knl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rbuf);
	nl->sock = NULL;
	nl->rbuf = NULL;
	nl->rbuf_len = 0;
}

int knl_msg_new(struct knl_msg *m, struct knl *nl, uint8_t cmd,
		uint16_t flags, size_t cap)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*g)))
		cap = 256;
	m->nlh = calloc(1, cap);
	if (!m->nlh)
		return set_err(nl, -ENOMEM, "out of memory");
	m->cap = cap;
	mnl_nlmsg_put_header(m->nlh);
	m->nlh->nlmsg_type = nl->family;
	m->nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(m->nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = SEKISHO_FAMILY_VERSION;
	return 0;
}

void knl_msg_free(struct knl_msg *m, bool wipe)
{
	if (m->nlh && wipe)
		explicit_bzero(m->nlh, m->cap);
	free(m->nlh);
	m->nlh = NULL;
}

void knl_put_bin(struct knl_msg *m, uint16_t type, const void *p, size_t len)
{
	if (!m->overflow && !mnl_attr_put_check(m->nlh, m->cap, type, len, p))
		m->overflow = true;
}

void knl_put_u8(struct knl_msg *m, uint16_t type, uint8_t v)
{
	knl_put_bin(m, type, &v, sizeof(v));
}

void knl_put_u16(struct knl_msg *m, uint16_t type, uint16_t v)
{
	knl_put_bin(m, type, &v, sizeof(v));
}

void knl_put_u32(struct knl_msg *m, uint16_t type, uint32_t v)
{
	knl_put_bin(m, type, &v, sizeof(v));
}

void knl_put_u64(struct knl_msg *m, uint16_t type, uint64_t v)
{
	knl_put_bin(m, type, &v, sizeof(v));
}

void knl_put_str(struct knl_msg *m, uint16_t type, const char *s)
{
	knl_put_bin(m, type, s, strlen(s) + 1);
}

struct nlattr *knl_nest_start(struct knl_msg *m, uint16_t type)
{
	struct nlattr *n;

	if (m->overflow)
		return NULL;
	n = mnl_attr_nest_start_check(m->nlh, m->cap, type);
	if (!n)
		m->overflow = true;
	return n;
}

void knl_nest_end(struct knl_msg *m, struct nlattr *nest)
{
	size_t len;

	if (!nest || m->overflow)
		return;
	len = (size_t)((uint8_t *)mnl_nlmsg_get_payload_tail(m->nlh) -
		       (uint8_t *)nest);
	if (len > UINT16_MAX) {
		m->overflow = true;
		return;
	}
	mnl_attr_nest_end(m->nlh, nest);
}

int knl_attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (mnl_attr_get_payload_len(a) != 1)
		return -1;
	*v = mnl_attr_get_u8(a);
	return 0;
}

int knl_attr_u16(const struct nlattr *a, uint16_t *v)
{
	if (mnl_attr_get_payload_len(a) != 2)
		return -1;
	*v = mnl_attr_get_u16(a);
	return 0;
}

int knl_attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_get_payload_len(a) != 4)
		return -1;
	*v = mnl_attr_get_u32(a);
	return 0;
}

int knl_attr_u64(const struct nlattr *a, uint64_t *v)
{
	if (mnl_attr_get_payload_len(a) != 8)
		return -1;
	*v = mnl_attr_get_u64(a);
	return 0;
}
