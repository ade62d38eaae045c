// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod and the kernel: the sekisho device over rtnetlink, and peers,
 * keys, policies and events over the "sekisho" genetlink family, through
 * sekictl's libmnl plumbing (nl.c, obj.c).  See kernel.h.
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

#include "sekictl.h"

/* one rtnetlink request with ACK; 0 or -errno */
static int rtnl_do(struct nlmsghdr *nlh)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *s;
	uint32_t portid, seq = (uint32_t)time(NULL);
	int ret;

	s = mnl_socket_open(NETLINK_ROUTE);
	if (!s)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(s);
		return ret;
	}
	portid = mnl_socket_get_portid(s);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		mnl_socket_close(s);
		return ret;
	}
	ret = (int)mnl_socket_recvfrom(s, buf, sizeof(buf));
	if (ret > 0)
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, NULL, NULL);
	ret = ret < 0 ? -errno : 0;
	mnl_socket_close(s);
	return ret;
}

static int link_create(const char *dev, int mtu)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *li;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, SEKISHO_LINK_KIND);
	mnl_attr_nest_end(nlh, li);
	return rtnl_do(nlh);
}

static int link_set(unsigned int ifindex, int mtu)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	return rtnl_do(nlh);
}

int skd_kernel_addr_add(struct skd_kernel *k, int family, const void *addr, int prefixlen)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t alen = family == AF_INET6 ? 16 : 4;
	int ret;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = k->ifindex;
	/* IFA_LOCAL with a prefix length makes the kernel add the connected
	 * route of the pool to the device: no separate RTM_NEWROUTE needed */
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	ret = rtnl_do(nlh);
	return ret == -EEXIST ? 0 : ret;
}

int skd_kernel_open(struct skd_kernel *k, const char *dev, int mtu, char *err, size_t errlen)
{
	int ret;

	memset(k, 0, sizeof(*k));
	snprintf(k->ifname, sizeof(k->ifname), "%s", dev);
	ret = link_create(dev, mtu);
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
	ret = link_set(k->ifindex, mtu);
	if (ret) {
		snprintf(err, errlen, "bringing %s up: %s", dev, strerror(-ret));
		return -1;
	}
	if (sk_nl_open(&k->req, "sekishod")) {
		snprintf(err, errlen, "generic netlink family %s unavailable", SEKISHO_FAMILY_NAME);
		return -1;
	}
	k->req_open = true;
	/* a separate socket for events, so that multicast messages never mix
	 * with the replies sk_nl_do waits for */
	if (!sk_nl_open(&k->ev, "sekishod events")) {
		k->ev_open = true;
		if (sk_nl_join_events(&k->ev)) {
			sk_nl_close(&k->ev);
			k->ev_open = false;
		}
	}
	if (!k->ev_open) {
		snprintf(err, errlen, "cannot subscribe to the %s events", SEKISHO_FAMILY_NAME);
		skd_kernel_close(k);
		return -1;
	}
	/* the device must really be ours, not an older link of another kind */
	{
		struct sk_ctx ctx = { .what = "sekishod", .out = stderr };
		struct sk_vec devs = { .size = sizeof(struct sk_dev) };

		ret = sk_get_devs(&ctx, &k->req, dev, &devs);
		sk_vec_free(&devs);
		if (ret) {
			snprintf(err, errlen, "%s is not a %s device", dev, SEKISHO_LINK_KIND);
			skd_kernel_close(k);
			return -1;
		}
	}
	return 0;
}

void skd_kernel_close(struct skd_kernel *k)
{
	if (k->req_open)
		sk_nl_close(&k->req);
	if (k->ev_open)
		sk_nl_close(&k->ev);
	k->req_open = k->ev_open = false;
}

static void to_rule(const struct skd_krule *in, struct sk_rule *out)
{
	memset(out, 0, sizeof(*out));
	out->action = in->allow ? SK_ACTION_ALLOW : SK_ACTION_DENY;
	out->proto = in->proto;
	out->dst.addr.family = in->family;
	memcpy(out->dst.addr.a, in->addr, in->family == AF_INET6 ? 16 : 4);
	out->dst.len = in->prefixlen;
	if ((in->proto == 6 || in->proto == 17) &&
	    !(in->port_min == 0 && (in->port_max == 65535 || in->port_max == 0))) {
		out->has_ports = true;
		out->port_min = in->port_min;
		out->port_max = in->port_max;
	}
}

static int policy_send(struct skd_kernel *k, uint8_t cmd, uint32_t id,
		       const struct sk_rule *rules, size_t n)
{
	struct sk_msg m;
	int ret;

	if (sk_msg_new(&m, &k->req, cmd, 0, sk_policy_msg_size(rules, n)))
		return -ENOMEM;
	sk_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	if (sk_encode_policy(&m, id, rules, n) < 0) {
		sk_msg_free(&m, false);
		return -E2BIG;
	}
	ret = sk_nl_do(&k->req, &m, NULL, NULL);
	sk_msg_free(&m, false);
	return ret;
}

int skd_kernel_policy_put(struct skd_kernel *k, uint32_t id, const struct skd_krule *r, size_t n)
{
	struct sk_rule *rules = calloc(n ? n : 1, sizeof(*rules));
	int ret;

	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		to_rule(&r[i], &rules[i]);
	k->req.quiet_errno = ENOENT;	/* not there yet: create it */
	ret = policy_send(k, SEKISHO_CMD_POLICY_SET, id, rules, n);
	k->req.quiet_errno = 0;
	if (ret == -ENOENT)
		ret = policy_send(k, SEKISHO_CMD_POLICY_NEW, id, rules, n);
	free(rules);
	return ret;
}

int skd_kernel_policy_del(struct skd_kernel *k, uint32_t id)
{
	struct sk_msg m;
	struct nlattr *n;
	int ret;

	if (sk_msg_new(&m, &k->req, SEKISHO_CMD_POLICY_DEL, 0, 128))
		return -ENOMEM;
	sk_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	n = sk_nest_start(&m, SEKISHO_A_POLICY);
	sk_put_u32(&m, SEKISHO_A_POLICY_ID, id);
	sk_nest_end(&m, n);
	ret = sk_nl_do(&k->req, &m, NULL, NULL);
	sk_msg_free(&m, false);
	return ret;
}

int skd_kernel_peer_new(struct skd_kernel *k, const struct skd_kpeer *p)
{
	struct sk_msg m;
	struct nlattr *n;
	int ret;

	if (p->fd < 0 && p->stream_fd < 0)
		return -EINVAL;
	if (sk_msg_new(&m, &k->req, SEKISHO_CMD_PEER_NEW, 0, 512))
		return -ENOMEM;
	sk_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	n = sk_nest_start(&m, SEKISHO_A_PEER);
	sk_put_u32(&m, SEKISHO_A_PEER_ID, p->id);
	/* no REMOTE_*: the UDP socket is connected to the client */
	if (p->fd >= 0)
		sk_put_u32(&m, SEKISHO_A_PEER_SOCKET, (uint32_t)p->fd);
	/* the worker's relay of CSTP DATA: one IP packet per message */
	if (p->stream_fd >= 0)
		sk_put_u32(&m, SEKISHO_A_PEER_STREAM, (uint32_t)p->stream_fd);
	if (p->has4)
		sk_put_bin(&m, SEKISHO_A_PEER_VPN_IPV4, p->vpn4, 4);
	if (p->has6)
		sk_put_bin(&m, SEKISHO_A_PEER_VPN_IPV6, p->vpn6, 16);
	sk_put_u32(&m, SEKISHO_A_PEER_POLICY_ID, p->policy);
	sk_put_u32(&m, SEKISHO_A_PEER_IDLE_TIMEOUT, p->idle);
	sk_nest_end(&m, n);
	ret = sk_nl_do(&k->req, &m, NULL, NULL);
	sk_msg_free(&m, false);
	return ret;
}

static int peer_simple(struct skd_kernel *k, uint8_t cmd, uint32_t id, bool set_policy,
		       uint32_t policy)
{
	struct sk_msg m;
	struct nlattr *n;
	int ret;

	if (sk_msg_new(&m, &k->req, cmd, 0, 128))
		return -ENOMEM;
	sk_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	n = sk_nest_start(&m, SEKISHO_A_PEER);
	sk_put_u32(&m, SEKISHO_A_PEER_ID, id);
	if (set_policy)
		sk_put_u32(&m, SEKISHO_A_PEER_POLICY_ID, policy);
	sk_nest_end(&m, n);
	if (cmd == SEKISHO_CMD_PEER_DEL)
		k->req.quiet_errno = ENOENT;	/* already gone is fine */
	ret = sk_nl_do(&k->req, &m, NULL, NULL);
	k->req.quiet_errno = 0;
	sk_msg_free(&m, false);
	return ret;
}

int skd_kernel_peer_del(struct skd_kernel *k, uint32_t id)
{
	int ret = peer_simple(k, SEKISHO_CMD_PEER_DEL, id, false, 0);

	return ret == -ENOENT ? 0 : ret;
}

int skd_kernel_peer_policy(struct skd_kernel *k, uint32_t id, uint32_t policy)
{
	return peer_simple(k, SEKISHO_CMD_PEER_SET, id, true, policy);
}

static void put_dir(struct sk_msg *m, uint16_t type, const uint8_t *key, size_t key_len,
		    const uint8_t *iv, size_t iv_len, uint64_t seq)
{
	struct nlattr *n = sk_nest_start(m, type);

	sk_put_bin(m, SEKISHO_A_KEYDIR_KEY, key, key_len);
	sk_put_bin(m, SEKISHO_A_KEYDIR_IV, iv, iv_len);
	sk_put_u64(m, SEKISHO_A_KEYDIR_SEQ, seq);
	sk_nest_end(m, n);
}

int skd_kernel_key_new(struct skd_kernel *k, uint32_t id, uint16_t epoch, uint32_t cipher,
		       const uint8_t *enc_key, const uint8_t *enc_iv, uint64_t tx_seq,
		       const uint8_t *dec_key, const uint8_t *dec_iv, uint64_t rx_seq,
		       size_t key_len, size_t iv_len)
{
	struct sk_msg m;
	struct nlattr *kc;
	int ret;

	if (sk_msg_new(&m, &k->req, SEKISHO_CMD_KEY_NEW, 0, 512))
		return -ENOMEM;
	sk_put_u32(&m, SEKISHO_A_IFINDEX, k->ifindex);
	kc = sk_nest_start(&m, SEKISHO_A_KEYCONF);
	sk_put_u32(&m, SEKISHO_A_KEYCONF_PEER_ID, id);
	sk_put_u16(&m, SEKISHO_A_KEYCONF_EPOCH, epoch);
	sk_put_u32(&m, SEKISHO_A_KEYCONF_CIPHER, cipher);
	put_dir(&m, SEKISHO_A_KEYCONF_ENCRYPT_DIR, enc_key, key_len, enc_iv, iv_len, tx_seq);
	put_dir(&m, SEKISHO_A_KEYCONF_DECRYPT_DIR, dec_key, key_len, dec_iv, iv_len, rx_seq);
	sk_nest_end(&m, kc);
	ret = sk_nl_do(&k->req, &m, NULL, NULL);
	sk_msg_free(&m, true);	/* the request held the keys */
	return ret;
}

int skd_kernel_peer_stats(struct skd_kernel *k, uint32_t id, struct skd_kstats *s)
{
	struct sk_ctx ctx = { .what = "sekishod", .out = stderr };
	struct sk_vec peers = { .size = sizeof(struct sk_peer) };
	int ret;

	memset(s, 0, sizeof(*s));
	k->req.quiet_errno = ENOENT;
	ret = sk_get_peers(&ctx, &k->req, k->ifindex, &id, &peers);
	k->req.quiet_errno = 0;
	if (!ret && peers.n == 1) {
		const struct sk_peer *p = peers.items;

		if (p->stats.has[SEKISHO_A_STATS_RX_BYTES])
			s->rx_bytes = p->stats.v[SEKISHO_A_STATS_RX_BYTES];
		if (p->stats.has[SEKISHO_A_STATS_TX_BYTES])
			s->tx_bytes = p->stats.v[SEKISHO_A_STATS_TX_BYTES];
		s->has_last_rx = p->has_last_rx;
		s->last_rx_ms = p->last_rx_ms;
	} else if (!ret) {
		ret = -ENOENT;
	}
	sk_vec_free(&peers);
	return ret;
}

int skd_kernel_event_fd(const struct skd_kernel *k)
{
	return k->ev_open ? sk_nl_fd(&k->ev) : -1;
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
	struct sk_peer p;
	bool have_peer = false;

	if (g->cmd != SEKISHO_CMD_PEER_DEL_NTF && g->cmd != SEKISHO_CMD_PEER_IDLE_NTF)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) == SEKISHO_A_IFINDEX)
			sk_attr_u32(a, &ifindex);
		else if (mnl_attr_get_type(a) == SEKISHO_A_PEER && !sk_decode_peer(a, &p))
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
	return sk_nl_recv_events(&k->ev, ev_cb, &e);
}
