// SPDX-License-Identifier: GPL-2.0
/*
 * The sekisho device over rtnetlink: create it, set its MTU and bring it
 * up, add the pool addresses.  One short-lived NETLINK_ROUTE socket per
 * request: these run at start-up and when a pool is added, not per packet.
 */
#include <errno.h>
#include <time.h>

#include <netinet/in.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "knl.h"

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

int knl_link_create(const char *ifname, int mtu)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *li;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, SEKISHO_LINK_KIND);
	mnl_attr_nest_end(nlh, li);
	return rtnl_do(nlh);
}

int knl_link_up(unsigned int ifindex, int mtu)
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

int knl_addr_add(unsigned int ifindex, int family, const void *addr,
		 int prefixlen)
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
	ifa->ifa_index = ifindex;
	/* IFA_LOCAL with a prefix length makes the kernel add the connected
	 * route of the pool to the device: no separate RTM_NEWROUTE needed */
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	ret = rtnl_do(nlh);
	return ret == -EEXIST ? 0 : ret;
}
