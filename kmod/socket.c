// SPDX-License-Identifier: GPL-2.0
/*
 * Transport sockets.  sekishod creates a UDP socket (usually one connected
 * socket per client, or one shared socket), runs the DTLS handshake on it,
 * and hands its descriptor to PEER_NEW.  The module then:
 *
 *  - takes a reference on the struct sock, not on the file: when userspace
 *    closes its last descriptor the socket is released as usual, and the
 *    UDP encap_destroy hook removes every peer that used it (reason
 *    SOCKET_CLOSED);
 *  - turns it into a UDP tunnel socket (setup_udp_tunnel_sock()) so that
 *    records arrive in sekisho_udp_recv() before the socket's queue, and
 *    whatever the kernel does not handle goes on to userspace unchanged;
 *  - sends records from it with udp_tunnel_xmit_skb() / udp_tunnel6_...
 *    (its local address and port, its netns, bound device and mark).
 *
 * When the last peer stops using the socket it is restored to a plain UDP
 * socket, still owned by userspace.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/dst_cache.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "compat.h"
#include "socket.h"
#include "peer.h"

/*
 * Any non-zero value marks an encapsulation socket; the UDP core only
 * compares it with the ESP-in-UDP types in setsockopt(), which we never
 * go through.  WireGuard uses the same value.
 */
#define SEKISHO_UDP_ENCAP_TYPE	1

static void sekisho_udp_destroy(struct sock *sk);

static void sekisho_sock_free_rcu(struct rcu_head *rcu)
{
	struct sekisho_sock *ss = container_of(rcu, struct sekisho_sock, rcu);

	sock_put(ss->sk);
	netdev_put(ss->sdev->dev, &ss->dev_tracker);
	kfree(ss);
}

void sekisho_sock_put(struct sekisho_sock *ss)
{
	/*
	 * Receivers reach ss through sk_user_data under RCU without a
	 * reference, and use ss->sdev: free both a grace period later.
	 */
	if (refcount_dec_and_test(&ss->refcnt))
		call_rcu(&ss->rcu, sekisho_sock_free_rcu);
}

/* Undo setup_udp_tunnel_sock().  Under sdev->lock; may sleep. */
static void sekisho_sock_detach(struct sekisho_sock *ss)
{
	struct sock *sk = ss->sk;

	lock_sock(sk);
	WRITE_ONCE(udp_sk(sk)->encap_type, 0);
	WRITE_ONCE(udp_sk(sk)->encap_rcv, NULL);
	WRITE_ONCE(udp_sk(sk)->encap_destroy, NULL);
	rcu_assign_sk_user_data(sk, NULL);
	sekisho_sk_set_mc_loop(sk);
	inet_dec_convert_csum(sk);
	release_sock(sk);
	/* the attachment's reference */
	sekisho_sock_put(ss);
}

void sekisho_sock_unuse(struct sekisho_sock *ss)
{
	lockdep_assert_held(&ss->sdev->lock);
	if (--ss->npeers == 0)
		sekisho_sock_detach(ss);
}

static int sekisho_sock_check(struct sock *sk, const char **why)
{
	if (sk->sk_type != SOCK_DGRAM || sk->sk_protocol != IPPROTO_UDP) {
		*why = "the socket is not a UDP socket";
		return -EPROTONOSUPPORT;
	}
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6) {
		*why = "the socket is neither IPv4 nor IPv6";
		return -EAFNOSUPPORT;
	}
	return 0;
}

struct sekisho_sock *sekisho_sock_attach(struct sekisho_dev *sdev, int fd,
					 const struct nlattr *attr,
					 struct netlink_ext_ack *extack)
{
	struct sekisho_sock *ss, *new;
	const char *why = NULL;
	struct socket *sock;
	struct sock *sk;
	int err;

	lockdep_assert_held(&sdev->lock);

	sock = sockfd_lookup(fd, &err);
	if (!sock) {
		sekisho_set_err(extack, attr, err == -ENOTSOCK ?
				"the descriptor is not a socket" :
				"no open file with this descriptor");
		return ERR_PTR(err);
	}
	sk = sock->sk;
	err = sekisho_sock_check(sk, &why);
	if (err)
		goto err_put;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new) {
		err = -ENOMEM;
		why = "out of memory";
		goto err_put;
	}

	lock_sock(sk);
	if (!inet_sk(sk)->inet_sport) {
		err = -EINVAL;
		why = "the socket is not bound to a local port";
		goto err_unlock;
	}
	if (READ_ONCE(udp_sk(sk)->encap_rcv) == sekisho_udp_recv) {
		/*
		 * Ours already.  It cannot be detached meanwhile: that takes
		 * the socket lock, which we hold.
		 */
		rcu_read_lock();
		ss = rcu_dereference_sk_user_data(sk);
		rcu_read_unlock();
		if (!ss || ss->sdev != sdev) {
			err = -EBUSY;
			why = "the socket carries the peers of another sekisho device";
			goto err_unlock;
		}
		ss->npeers++;
		refcount_inc(&ss->refcnt);
		release_sock(sk);
		kfree(new);
		sockfd_put(sock);
		return ss;
	}
	if (sk->sk_user_data || READ_ONCE(udp_sk(sk)->encap_type) ||
	    READ_ONCE(udp_sk(sk)->encap_rcv)) {
		err = -EBUSY;
		why = "the socket is already used by another kernel protocol";
		goto err_unlock;
	}

	new->sk = sk;
	new->sdev = sdev;
	new->npeers = 1;
	/* one for the attachment, one for the caller's peer */
	refcount_set(&new->refcnt, 2);
	INIT_LIST_HEAD(&new->peers);
	sock_hold(sk);
	netdev_hold(sdev->dev, &new->dev_tracker, GFP_KERNEL);
	{
		struct udp_tunnel_sock_cfg cfg = {
			.sk_user_data = new,
			.encap_type = SEKISHO_UDP_ENCAP_TYPE,
			.encap_rcv = sekisho_udp_recv,
			.encap_destroy = sekisho_udp_destroy,
		};

		setup_udp_tunnel_sock(sock_net(sk), sock, &cfg);
	}
	release_sock(sk);
	sockfd_put(sock);
	return new;

err_unlock:
	release_sock(sk);
	kfree(new);
err_put:
	sekisho_set_err(extack, attr, why);
	sockfd_put(sock);
	return ERR_PTR(err);
}

/*
 * The socket is being released (its last file reference closed): remove
 * the peers that use it.  Process context, no socket lock held.
 */
static void sekisho_udp_destroy(struct sock *sk)
{
	struct sekisho_peer *peer, *tmp;
	struct sekisho_sock *ss;
	struct sekisho_dev *sdev;

	rcu_read_lock();
	ss = rcu_dereference_sk_user_data(sk);
	if (ss && !refcount_inc_not_zero(&ss->refcnt))
		ss = NULL;
	rcu_read_unlock();
	if (!ss)
		return;

	sdev = ss->sdev;
	mutex_lock(&sdev->lock);
	list_for_each_entry_safe(peer, tmp, &ss->peers, sock_node)
		sekisho_peer_del(peer, SEKISHO_DEL_REASON_SOCKET_CLOSED);
	mutex_unlock(&sdev->lock);
	sekisho_sock_put(ss);
}

bool sekisho_sock_family_ok(struct sekisho_sock *ss, u8 family)
{
	struct sock *sk = ss->sk;

	if (sk->sk_family == AF_INET)
		return family == AF_INET;
	if (family == AF_INET6)
		return true;
	/* IPv4 through a dual-stack IPv6 socket */
	return family == AF_INET && !ipv6_only_sock(sk);
}

bool sekisho_sock_connected_remote(struct sekisho_sock *ss,
				   struct sekisho_ep_key *k)
{
	struct sock *sk = ss->sk;
	bool ok = false;

	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED)
		goto out;
	if (sk->sk_family == AF_INET) {
		sekisho_ep_key_init(k, ss, AF_INET, &inet_sk(sk)->inet_daddr,
				    inet_sk(sk)->inet_dport);
		ok = true;
	}
#if IS_ENABLED(CONFIG_IPV6)
	else if (ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		sekisho_ep_key_init(k, ss, AF_INET,
				    &sk->sk_v6_daddr.s6_addr32[3],
				    inet_sk(sk)->inet_dport);
		ok = true;
	} else {
		sekisho_ep_key_init(k, ss, AF_INET6, &sk->sk_v6_daddr,
				    inet_sk(sk)->inet_dport);
		ok = true;
	}
#endif
out:
	release_sock(sk);
	return ok;
}

/* true if the socket has a specific local address for family */
static bool sekisho_sock_local_fixed(struct sock *sk, u8 family,
				     union sekisho_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (sk->sk_family == AF_INET) {
		addr->v4 = READ_ONCE(inet_sk(sk)->inet_saddr);
		return addr->v4 != 0;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (family == AF_INET6) {
		addr->v6 = inet6_sk(sk)->saddr;
		if (ipv6_addr_any(&addr->v6))
			addr->v6 = sk->sk_v6_rcv_saddr;
		return !ipv6_addr_any(&addr->v6);
	}
	if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr)) {
		addr->v4 = sk->sk_v6_rcv_saddr.s6_addr32[3];
		return addr->v4 != 0;
	}
#endif
	return false;
}

void sekisho_sock_local(struct sekisho_peer *peer,
			const struct sekisho_sock *ss, u8 family,
			union sekisho_addr *addr, __be16 *port)
{
	struct sock *sk = ss->sk;
	unsigned int seq;
	bool learned;

	*port = READ_ONCE(inet_sk(sk)->inet_sport);
	if (sekisho_sock_local_fixed(sk, family, addr))
		return;
	do {
		seq = read_seqbegin(&peer->local_lock);
		learned = peer->local_family == family;
		if (learned)
			*addr = peer->local;
	} while (read_seqretry(&peer->local_lock, seq));
}

/*
 * A record arrived for the peer at local address daddr.  With a socket
 * bound to the wildcard address, replies must leave from that address
 * (the client's DTLS socket is connected to it), so remember it.
 */
void sekisho_peer_learn_local(struct sekisho_peer *peer, u8 family,
			      const void *daddr)
{
	union sekisho_addr cur, fixed;
	struct sekisho_endpoint *ep;
	unsigned int seq, len;
	bool same, pinned;

	/* the socket of the peer's endpoint now (PEER_SET may replace it) */
	rcu_read_lock();
	ep = rcu_dereference(peer->ep);
	pinned = !ep || sekisho_sock_local_fixed(ep->key.ss->sk, family, &fixed);
	rcu_read_unlock();
	if (pinned)
		return;
	len = family == AF_INET ? sizeof(__be32) : sizeof(struct in6_addr);
	do {
		seq = read_seqbegin(&peer->local_lock);
		cur = peer->local;
		same = peer->local_family == family;
	} while (read_seqretry(&peer->local_lock, seq));
	if (same && !memcmp(&cur, daddr, len))
		return;

	write_seqlock_bh(&peer->local_lock);
	memset(&peer->local, 0, sizeof(peer->local));
	memcpy(&peer->local, daddr, len);
	peer->local_family = family;
	write_sequnlock_bh(&peer->local_lock);
	dst_cache_reset(&peer->dst_cache);
}

static int sekisho_send4(struct sekisho_peer *peer,
			 const struct sekisho_sock *ss,
			 struct sk_buff *skb, const union sekisho_addr *raddr,
			 __be16 dport, bool xnet)
{
	struct sock *sk = ss->sk;
	struct flowi4 fl = {
		.daddr = raddr->v4,
		.fl4_dport = dport,
		.flowi4_proto = IPPROTO_UDP,
		.flowi4_oif = READ_ONCE(sk->sk_bound_dev_if),
		.flowi4_mark = READ_ONCE(sk->sk_mark),
	};
	union sekisho_addr local;
	struct rtable *rt;

	sekisho_sock_local(peer, ss, AF_INET, &local, &fl.fl4_sport);
	fl.saddr = local.v4;
	rt = dst_cache_get_ip4(&peer->dst_cache, &fl.saddr);
	if (!rt) {
		security_sk_classify_flow(sk, flowi4_to_flowi_common(&fl));
		rt = ip_route_output_flow(sock_net(sk), &fl, sk);
		if (IS_ERR(rt)) {
			kfree_skb(skb);
			return PTR_ERR(rt);
		}
		dst_cache_set_ip4(&peer->dst_cache, &rt->dst, fl.saddr);
	}
	udp_tunnel_xmit_skb(rt, sk, skb, fl.saddr, fl.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, fl.fl4_sport,
			    fl.fl4_dport, xnet, false);
	return 0;
}

#if IS_ENABLED(CONFIG_IPV6)
static int sekisho_send6(struct sekisho_peer *peer,
			 const struct sekisho_sock *ss,
			 struct sk_buff *skb, const union sekisho_addr *raddr,
			 __be16 dport)
{
	struct sock *sk = ss->sk;
	struct flowi6 fl = {
		.daddr = raddr->v6,
		.fl6_dport = dport,
		.flowi6_proto = IPPROTO_UDP,
		.flowi6_oif = READ_ONCE(sk->sk_bound_dev_if),
		.flowi6_mark = READ_ONCE(sk->sk_mark),
	};
	union sekisho_addr local;
	struct dst_entry *dst;

	sekisho_sock_local(peer, ss, AF_INET6, &local, &fl.fl6_sport);
	fl.saddr = local.v6;
	dst = dst_cache_get_ip6(&peer->dst_cache, &fl.saddr);
	if (!dst) {
		security_sk_classify_flow(sk, flowi6_to_flowi_common(&fl));
		dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, &fl,
						      NULL);
		if (IS_ERR(dst)) {
			kfree_skb(skb);
			return PTR_ERR(dst);
		}
		dst_cache_set_ip6(&peer->dst_cache, dst, &fl.saddr);
	}
	udp_tunnel6_xmit_skb(dst, sk, skb, skb->dev, &fl.saddr, &fl.daddr, 0,
			     ip6_dst_hoplimit(dst), 0, fl.fl6_sport,
			     fl.fl6_dport, false);
	return 0;
}
#endif

/*
 * The socket is the endpoint's: PEER_SET may give the peer a new one, and
 * the endpoint (with the socket it was made for) is replaced under RCU;
 * the old socket is freed a grace period after its last reference.
 */
int sekisho_sock_send(struct sekisho_peer *peer, struct sk_buff *skb)
{
	struct net_device *dev = peer->sdev->dev;
	const struct sekisho_sock *ss;
	struct sekisho_endpoint *ep;
	union sekisho_addr raddr;
	__be16 dport;
	bool xnet;
	int ret;

	rcu_read_lock();
	ep = rcu_dereference(peer->ep);
	if (!ep) {
		/* the peer was removed meanwhile */
		rcu_read_unlock();
		kfree_skb(skb);
		return -ENOENT;
	}
	ss = ep->key.ss;
	raddr = ep->key.addr;
	dport = ep->key.port;

	xnet = !net_eq(sock_net(ss->sk), dev_net(dev));
	/* from here on this is a UDP datagram of the socket's namespace */
	skb_scrub_packet(skb, xnet);
	skb_clear_hash(skb);
	skb->dev = dev;		/* the tunnel helpers count it in dev->tstats */
	skb->ignore_df = 1;
	skb->ip_summed = CHECKSUM_NONE;

	if (ep->key.family == AF_INET) {
		ret = sekisho_send4(peer, ss, skb, &raddr, dport, xnet);
	} else {
#if IS_ENABLED(CONFIG_IPV6)
		ret = sekisho_send6(peer, ss, skb, &raddr, dport);
#else
		kfree_skb(skb);
		ret = -EAFNOSUPPORT;
#endif
	}
	rcu_read_unlock();
	return ret;
}
