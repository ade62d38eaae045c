// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod and the kernel: the sekisho device over rtnetlink, and peers,
 * keys, policies and events over the "sekisho" genetlink family, through
 * the kernel client library (userspace/knl).  See kernel.h.
 */
#include "kernel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <net/if.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sekisho.h>
#include <openssl/crypto.h>

#include "daemon.h"

/*
 * The outcome of a genetlink request: what the kernel said goes to the log
 * under sekishod's name (knl never prints), except an errno the caller
 * expects and handles (quiet).
 */
static int kreq(struct skd_kernel *k, const char *what, int ret, int quiet)
{
	if (ret && ret != -quiet)
		skd_log("kernel: %s: %s", what, k->req.last.err == ret ? knl_error(&k->req) : strerror(-ret));
	return ret;
}

int skd_kernel_addr_add(struct skd_kernel *k, int family, const void *addr, int prefixlen)
{
	return knl_addr_add(k->ifindex, family, addr, prefixlen);
}

int skd_kernel_open(struct skd_kernel *k, const char *dev, int mtu, char *err, size_t errlen)
{
	int ret;

	memset(k, 0, sizeof(*k));
	snprintf(k->ifname, sizeof(k->ifname), "%s", dev);
	ret = knl_link_create(dev, mtu);
	if (ret && ret != -EEXIST) {
		snprintf(err, errlen, "creating device %s (type %s): %s%s", dev, SEKISHO_LINK_KIND,
			 strerror(-ret), ret == -EOPNOTSUPP ? " (is the sekisho module loaded?)" : "");
		return -1;
	}
	k->ifindex = if_nametoindex(dev);
	if (!k->ifindex) {
		snprintf(err, errlen, "device %s: %s", dev, strerror(errno));
		return -1;
	}
	ret = knl_link_up(k->ifindex, mtu);
	if (ret) {
		snprintf(err, errlen, "bringing %s up: %s", dev, strerror(-ret));
		return -1;
	}
	if (knl_open(&k->req)) {
		snprintf(err, errlen, "%s", knl_error(&k->req));
		skd_kernel_close(k);
		return -1;
	}
	k->req_open = true;
	/* a separate socket for events, so that multicast messages never mix
	 * with the replies knl_do waits for */
	if (!knl_open(&k->ev)) {
		k->ev_open = true;
		if (knl_join_events(&k->ev)) {
			knl_close(&k->ev);
			k->ev_open = false;
		}
	}
	if (!k->ev_open) {
		snprintf(err, errlen, "cannot subscribe to the %s events: %s", SEKISHO_FAMILY_NAME,
			 knl_error(&k->ev));
		skd_kernel_close(k);
		return -1;
	}
	/* the device must really be ours, not an older link of another kind */
	{
		struct knl_vec devs = { .size = sizeof(struct knl_dev) };

		ret = knl_get_devs(&k->req, k->ifindex, &devs);
		knl_vec_free(&devs);
		if (ret) {
			snprintf(err, errlen, "%s is not a %s device (%s)", dev, SEKISHO_LINK_KIND,
				 knl_error(&k->req));
			skd_kernel_close(k);
			return -1;
		}
	}
	return 0;
}

void skd_kernel_close(struct skd_kernel *k)
{
	if (k->req_open)
		knl_close(&k->req);
	if (k->ev_open)
		knl_close(&k->ev);
	k->req_open = k->ev_open = false;
}

static int policy_send(struct skd_kernel *k, uint8_t cmd, uint32_t id,
		       const struct sk_rule *rules, size_t n)
{
	struct knl_msg m;
	int ret;

	if (knl_msg_new(&m, &k->req, cmd, 0, knl_policy_msg_size(rules, n)))
		return -ENOMEM;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	if (knl_encode_policy(&m, id, rules, n) < 0) {
		knl_msg_free(&m, false);
		return -E2BIG;
	}
	ret = knl_do(&k->req, &m, NULL, NULL);
	knl_msg_free(&m, false);
	/* POLICY_SET of an id the kernel does not have yet: the caller creates it */
	return kreq(k, cmd == SEKISHO_CMD_POLICY_SET ? "POLICY_SET" : "POLICY_NEW", ret,
		    cmd == SEKISHO_CMD_POLICY_SET ? ENOENT : 0);
}

int skd_kernel_policy_put(struct skd_kernel *k, uint32_t id, const struct sk_rule *rules, size_t n)
{
	int ret = policy_send(k, SEKISHO_CMD_POLICY_SET, id, rules, n);

	if (ret == -ENOENT)
		ret = policy_send(k, SEKISHO_CMD_POLICY_NEW, id, rules, n);
	return ret;
}

int skd_kernel_policy_del(struct skd_kernel *k, uint32_t id)
{
	struct knl_msg m;
	struct nlattr *n;
	int ret;

	if (knl_msg_new(&m, &k->req, SEKISHO_CMD_POLICY_DEL, 0, 128))
		return -ENOMEM;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	n = knl_nest_start(&m, SEKISHO_A_POLICY);
	knl_put_u32(&m, SEKISHO_A_POLICY_ID, id);
	knl_nest_end(&m, n);
	ret = knl_do(&k->req, &m, NULL, NULL);
	knl_msg_free(&m, false);
	return kreq(k, "POLICY_DEL", ret, 0);
}

int skd_kernel_peer_new(struct skd_kernel *k, const struct skd_kpeer *p)
{
	struct knl_msg m;
	struct nlattr *n;
	int ret;

	if (p->fd < 0 && p->stream_fd < 0)
		return -EINVAL;
	if (knl_msg_new(&m, &k->req, SEKISHO_CMD_PEER_NEW, 0, 512))
		return -ENOMEM;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	n = knl_nest_start(&m, SEKISHO_A_PEER);
	knl_put_u32(&m, SEKISHO_A_PEER_ID, p->id);
	/* no REMOTE_*: the UDP socket is connected to the client */
	if (p->fd >= 0)
		knl_put_u32(&m, SEKISHO_A_PEER_SOCKET, (uint32_t)p->fd);
	/* the worker's relay of CSTP DATA: one IP packet per message */
	if (p->stream_fd >= 0)
		knl_put_u32(&m, SEKISHO_A_PEER_STREAM, (uint32_t)p->stream_fd);
	/* or the client's TCP socket with kernel TLS (the kind only then: a
	 * module before issue 16 knows no kind) */
	if (p->stream_fd >= 0 && p->stream_ktls)
		knl_put_u32(&m, SEKISHO_A_PEER_STREAM_KIND, SEKISHO_STREAM_KIND_KTLS);
	if (p->has4)
		knl_put_bin(&m, SEKISHO_A_PEER_VPN_IPV4, p->vpn4, 4);
	if (p->has6)
		knl_put_bin(&m, SEKISHO_A_PEER_VPN_IPV6, p->vpn6, 16);
	knl_put_u32(&m, SEKISHO_A_PEER_POLICY_ID, p->policy);
	knl_put_u32(&m, SEKISHO_A_PEER_IDLE_TIMEOUT, p->idle);
	knl_nest_end(&m, n);
	ret = knl_do(&k->req, &m, NULL, NULL);
	knl_msg_free(&m, false);
	return kreq(k, "PEER_NEW", ret, 0);
}

/* PEER_DEL, or PEER_SET of one u32 attribute (attr > 0) */
static int peer_simple(struct skd_kernel *k, uint8_t cmd, uint32_t id, uint16_t attr,
		       uint32_t value)
{
	struct knl_msg m;
	struct nlattr *n;
	int ret;

	if (knl_msg_new(&m, &k->req, cmd, 0, 128))
		return -ENOMEM;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	n = knl_nest_start(&m, SEKISHO_A_PEER);
	knl_put_u32(&m, SEKISHO_A_PEER_ID, id);
	if (attr)
		knl_put_u32(&m, attr, value);
	knl_nest_end(&m, n);
	ret = knl_do(&k->req, &m, NULL, NULL);
	knl_msg_free(&m, false);
	/* a peer that is already gone is fine to delete */
	return kreq(k, cmd == SEKISHO_CMD_PEER_DEL ? "PEER_DEL" : "PEER_SET", ret,
		    cmd == SEKISHO_CMD_PEER_DEL ? ENOENT : 0);
}

int skd_kernel_peer_del(struct skd_kernel *k, uint32_t id)
{
	int ret = peer_simple(k, SEKISHO_CMD_PEER_DEL, id, 0, 0);

	return ret == -ENOENT ? 0 : ret;
}

int skd_kernel_peer_policy(struct skd_kernel *k, uint32_t id, uint32_t policy)
{
	return peer_simple(k, SEKISHO_CMD_PEER_SET, id, SEKISHO_A_PEER_POLICY_ID, policy);
}

int skd_kernel_peer_socket(struct skd_kernel *k, uint32_t id, int fd)
{
	/* no REMOTE_*: the socket is connected to the client */
	return fd < 0 ? -EBADF : peer_simple(k, SEKISHO_CMD_PEER_SET, id, SEKISHO_A_PEER_SOCKET,
					     (uint32_t)fd);
}

static void put_dir(struct knl_msg *m, uint16_t type, const uint8_t *key, size_t key_len,
		    const uint8_t *iv, size_t iv_len, uint64_t seq)
{
	struct nlattr *n = knl_nest_start(m, type);

	knl_put_bin(m, SEKISHO_A_KEYDIR_KEY, key, key_len);
	knl_put_bin(m, SEKISHO_A_KEYDIR_IV, iv, iv_len);
	knl_put_u64(m, SEKISHO_A_KEYDIR_SEQ, seq);
	knl_nest_end(m, n);
}

int skd_kernel_key_new(struct skd_kernel *k, uint32_t id, uint16_t epoch, uint32_t cipher,
		       const uint8_t *enc_key, const uint8_t *enc_iv, uint64_t tx_seq,
		       const uint8_t *dec_key, const uint8_t *dec_iv, uint64_t rx_seq,
		       size_t key_len, size_t iv_len)
{
	struct knl_msg m;
	struct nlattr *kc;
	int ret;

	if (knl_msg_new(&m, &k->req, SEKISHO_CMD_KEY_NEW, 0, 512))
		return -ENOMEM;
	knl_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	kc = knl_nest_start(&m, SEKISHO_A_KEYCONF);
	knl_put_u32(&m, SEKISHO_A_KEYCONF_PEER_ID, id);
	knl_put_u16(&m, SEKISHO_A_KEYCONF_EPOCH, epoch);
	knl_put_u32(&m, SEKISHO_A_KEYCONF_CIPHER, cipher);
	put_dir(&m, SEKISHO_A_KEYCONF_ENCRYPT_DIR, enc_key, key_len, enc_iv, iv_len, tx_seq);
	put_dir(&m, SEKISHO_A_KEYCONF_DECRYPT_DIR, dec_key, key_len, dec_iv, iv_len, rx_seq);
	knl_nest_end(&m, kc);
	ret = knl_do(&k->req, &m, NULL, NULL);
	knl_msg_free(&m, true);	/* the request held the keys */
	return kreq(k, "KEY_NEW", ret, 0);
}

int skd_kernel_peer_stats(struct skd_kernel *k, uint32_t id, struct skd_kstats *s)
{
	struct knl_vec peers = { .size = sizeof(struct knl_peer) };
	int ret;

	memset(s, 0, sizeof(*s));
	ret = kreq(k, "PEER_GET", knl_get_peers(&k->req, k->ifindex, &id, &peers), ENOENT);
	if (!ret && peers.n == 1) {
		const struct knl_peer *p = peers.items;

		if (p->stats.has[SEKISHO_A_STATS_RX_BYTES])
			s->rx_bytes = p->stats.v[SEKISHO_A_STATS_RX_BYTES];
		if (p->stats.has[SEKISHO_A_STATS_TX_BYTES])
			s->tx_bytes = p->stats.v[SEKISHO_A_STATS_TX_BYTES];
		if (p->stats.has[SEKISHO_A_STATS_RX_PACKETS])
			s->rx_packets = p->stats.v[SEKISHO_A_STATS_RX_PACKETS];
		if (p->stats.has[SEKISHO_A_STATS_TX_PACKETS])
			s->tx_packets = p->stats.v[SEKISHO_A_STATS_TX_PACKETS];
		s->has_last_rx = p->has_last_rx;
		s->last_rx_ms = p->last_rx_ms;
		for (unsigned int i = 0; i < p->nkeys && i < 2; i++) {
			if (p->keys[i].slot != SEKISHO_KEY_SLOT_PRIMARY || !p->keys[i].has_rx_seq)
				continue;
			s->has_key_rx = true;
			s->key_epoch = p->keys[i].epoch;
			s->key_rx_seq = p->keys[i].rx_seq;
		}
	} else if (!ret) {
		ret = -ENOENT;
	}
	knl_vec_free(&peers);
	return ret;
}

int skd_kernel_peer_flush(struct skd_kernel *k)
{
	struct knl_vec peers = { .size = sizeof(struct knl_peer) };
	int ret, n = 0;

	ret = kreq(k, "PEER_GET (dump)", knl_get_peers(&k->req, k->ifindex, NULL, &peers), 0);
	for (size_t i = 0; !ret && i < peers.n; i++)
		if (!skd_kernel_peer_del(k, ((const struct knl_peer *)peers.items)[i].id))
			n++;
	knl_vec_free(&peers);
	return ret ? ret : n;
}

int skd_kernel_event_fd(const struct skd_kernel *k)
{
	return k->ev_open ? knl_fd(&k->ev) : -1;
}

struct ev_ctx {
	struct skd_kernel *k;
	void (*cb)(void *arg, enum skd_kevent kind, uint32_t peer, uint32_t reason);
	void *arg;
};

static int ev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ev_ctx *e = data;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t ifindex = 0;
	struct knl_peer p;
	bool have_peer = false;

	if (g->cmd != SEKISHO_CMD_PEER_DEL_NTF && g->cmd != SEKISHO_CMD_PEER_IDLE_NTF)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) == SEKISHO_A_IFINDEX)
			knl_attr_u32(a, &ifindex);
		else if (mnl_attr_get_type(a) == SEKISHO_A_PEER && !knl_decode_peer(a, &p))
			have_peer = true;
	}
	if (ifindex != e->k->ifindex || !have_peer)
		return 0;
	if (g->cmd == SEKISHO_CMD_PEER_DEL_NTF)
		e->cb(e->arg, SKD_KEV_PEER_DEL, p.id, p.has_reason ? p.reason : 0);
	else
		e->cb(e->arg, SKD_KEV_PEER_IDLE, p.id, 0);
	return 0;
}

int skd_kernel_events(struct skd_kernel *k,
		      void (*cb)(void *arg, enum skd_kevent kind, uint32_t peer, uint32_t reason),
		      void *arg)
{
	struct ev_ctx e = { k, cb, arg };

	if (!k->ev_open)
		return 0;
	return knl_recv_events(&k->ev, ev_cb, &e);
}
