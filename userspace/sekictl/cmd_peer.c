// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl peer add|set|del|list|show: SEKISHO_CMD_PEER_{NEW,SET,DEL,GET}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "knl.h"
#include "sekictl.h"
#include "skjson.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

void sk_help_peer(FILE *f)
{
	fprintf(f,
"sekictl peer add DEV ID --socket PID:FD|FD [--remote ADDR:PORT] [--vpn-ip ADDR]...\n"
"                 [--route PREFIX]... [--policy ID] [--idle SEC]\n"
"sekictl peer set DEV ID [--remote ADDR:PORT] [--vpn-ip ADDR]... [--route PREFIX]...\n"
"                 [--no-routes] [--policy ID] [--idle SEC]\n"
"sekictl peer del DEV ID\n"
"sekictl peer list|show DEV [ID] [--json]\n");
}

static int parse_id(const char *s, const char *what, uint32_t *id,
		    char *err, size_t errlen)
{
	char e2[SK_ERRLEN];

	if (sk_parse_u32(s, id, e2, sizeof(e2)) || *id == 0) {
		snprintf(err, errlen, "%s: '%s' is not a number 1..4294967295",
			 what, s);
		return -1;
	}
	return 0;
}

static int parse_socket(const char *s, struct sk_peer_args *a,
			char *err, size_t errlen)
{
	const char *colon = strchr(s, ':');
	char pid[16], e2[SK_ERRLEN];
	uint32_t v;

	a->sock_pid = 0;
	if (colon) {
		if ((size_t)(colon - s) >= sizeof(pid))
			goto bad;
		memcpy(pid, s, colon - s);
		pid[colon - s] = '\0';
		if (sk_parse_u32(pid, &v, e2, sizeof(e2)) || v == 0 || v > INT32_MAX)
			goto bad;
		a->sock_pid = (int)v;
		s = colon + 1;
	}
	if (sk_parse_u32(s, &v, e2, sizeof(e2)) || v > INT32_MAX)
		goto bad;
	a->sock_fd = (int)v;
	return 0;
bad:
	snprintf(err, errlen, "--socket: expected PID:FD or FD, got '%s'", s);
	return -1;
}

int sk_peer_args_parse(int argc, char **argv, bool is_set,
		       struct sk_peer_args *a, char *err, size_t errlen)
{
	char e2[SK_ERRLEN];
	const char *v;
	int i, r;
	bool changes = false;

	memset(a, 0, sizeof(*a));
	if (argc < 2) {
		snprintf(err, errlen, "expected DEV ID");
		return -1;
	}
	a->dev = argv[0];
	if (parse_id(argv[1], "peer ID", &a->id, err, errlen))
		return -1;
	for (i = 2; i < argc; i++) {
		v = NULL;
		if (!is_set && (r = sk_opt(argc, argv, &i, "socket", &v, err, errlen))) {
			if (r < 0 || parse_socket(v, a, err, errlen))
				return -1;
			a->socket = v;
		} else if ((r = sk_opt(argc, argv, &i, "remote", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (sk_parse_endpoint(v, &a->remote, e2, sizeof(e2))) {
				snprintf(err, errlen, "--remote: %s", e2);
				return -1;
			}
			a->has_remote = true;
		} else if ((r = sk_opt(argc, argv, &i, "vpn-ip", &v, err, errlen))) {
			struct sk_addr ad;

			if (r < 0)
				return -1;
			if (sk_parse_addr(v, &ad, e2, sizeof(e2))) {
				snprintf(err, errlen, "--vpn-ip: %s", e2);
				return -1;
			}
			if (ad.family == AF_INET ? a->has_vpn4 : a->has_vpn6) {
				snprintf(err, errlen,
					 "--vpn-ip: two IPv%c addresses (at most one IPv4 and one IPv6)",
					 ad.family == AF_INET ? '4' : '6');
				return -1;
			}
			if (ad.family == AF_INET) {
				a->vpn4 = ad;
				a->has_vpn4 = true;
			} else {
				a->vpn6 = ad;
				a->has_vpn6 = true;
			}
		} else if ((r = sk_opt(argc, argv, &i, "route", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (a->nroutes == SEKISHO_MAX_ROUTES) {
				snprintf(err, errlen, "--route: more than %d routes",
					 SEKISHO_MAX_ROUTES);
				return -1;
			}
			if (sk_parse_prefix(v, &a->routes[a->nroutes], e2, sizeof(e2))) {
				snprintf(err, errlen, "--route: %s", e2);
				return -1;
			}
			a->nroutes++;
		} else if (is_set && sk_flag(argv[i], "no-routes")) {
			a->no_routes = true;
		} else if ((r = sk_opt(argc, argv, &i, "policy", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (sk_parse_u32(v, &a->policy, e2, sizeof(e2))) {
				snprintf(err, errlen, "--policy: %s", e2);
				return -1;
			}
			a->has_policy = true;
		} else if ((r = sk_opt(argc, argv, &i, "idle", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (sk_parse_u32(v, &a->idle, e2, sizeof(e2))) {
				snprintf(err, errlen, "--idle: %s (seconds)", e2);
				return -1;
			}
			a->has_idle = true;
		} else {
			return sk_bad_arg(argv[i], err, errlen);
		}
	}
	if (a->no_routes && a->nroutes) {
		snprintf(err, errlen, "--no-routes and --route exclude each other");
		return -1;
	}
	if (!is_set && !a->socket) {
		snprintf(err, errlen, "--socket PID:FD|FD is required");
		return -1;
	}
	changes = a->has_remote || a->has_vpn4 || a->has_vpn6 || a->nroutes ||
		  a->no_routes || a->has_policy || a->has_idle;
	if (is_set && !changes) {
		snprintf(err, errlen, "nothing to change (give --remote, --vpn-ip, --route, --no-routes, --policy or --idle)");
		return -1;
	}
	return 0;
}

/* Get our own copy of the transport socket; -1 after printing why. */
static int get_socket(const struct sk_ctx *ctx, const struct sk_peer_args *a)
{
	int fd = a->sock_fd, pidfd, type = 0, proto = 0;
	socklen_t l = sizeof(type);

	if (a->sock_pid) {
		pidfd = (int)syscall(SYS_pidfd_open, a->sock_pid, 0);
		if (pidfd < 0) {
			sk_fail(ctx, "--socket %s: pidfd_open(%d): %s", a->socket,
				a->sock_pid, strerror(errno));
			return -1;
		}
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, a->sock_fd, 0);
		if (fd < 0) {
			int e = errno;

			close(pidfd);
			sk_fail(ctx, "--socket %s: pidfd_getfd: %s%s", a->socket,
				strerror(e), e == EPERM ?
				" (needs ptrace access to the process, e.g. root)" : "");
			return -1;
		}
		close(pidfd);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l)) {
		sk_fail(ctx, "--socket %s: fd %d: %s", a->socket, a->sock_fd,
			errno == ENOTSOCK ? "not a socket" : strerror(errno));
		goto bad;
	}
	l = sizeof(proto);
	if (type != SOCK_DGRAM ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) ||
	    proto != IPPROTO_UDP) {
		sk_fail(ctx, "--socket %s: fd %d is not a UDP socket", a->socket,
			a->sock_fd);
		goto bad;
	}
	return fd;
bad:
	if (a->sock_pid)
		close(fd);
	return -1;
}

static void put_peer_attrs(struct knl_msg *m, const struct sk_peer_args *a)
{
	unsigned int i;

	if (a->has_remote) {
		knl_put_bin(m, a->remote.addr.family == AF_INET6 ?
			   SEKISHO_A_PEER_REMOTE_IPV6 : SEKISHO_A_PEER_REMOTE_IPV4,
			   a->remote.addr.a, sk_addr_len(a->remote.addr.family));
		knl_put_u16(m, SEKISHO_A_PEER_REMOTE_PORT, htons(a->remote.port));
	}
	if (a->has_vpn4)
		knl_put_bin(m, SEKISHO_A_PEER_VPN_IPV4, a->vpn4.a, 4);
	if (a->has_vpn6)
		knl_put_bin(m, SEKISHO_A_PEER_VPN_IPV6, a->vpn6.a, 16);
	if (a->nroutes || a->no_routes) {
		struct nlattr *rs = knl_nest_start(m, SEKISHO_A_PEER_ROUTES);

		for (i = 0; i < a->nroutes; i++) {
			struct nlattr *r = knl_nest_start(m, SEKISHO_A_PEER_ROUTE);

			knl_put_bin(m, SEKISHO_A_ROUTE_ADDR, a->routes[i].addr.a,
				   sk_addr_len(a->routes[i].addr.family));
			knl_put_u8(m, SEKISHO_A_ROUTE_PREFIXLEN, a->routes[i].len);
			knl_nest_end(m, r);
		}
		knl_nest_end(m, rs);
	}
	if (a->has_policy)
		knl_put_u32(m, SEKISHO_A_PEER_POLICY_ID, a->policy);
	if (a->has_idle)
		knl_put_u32(m, SEKISHO_A_PEER_IDLE_TIMEOUT, a->idle);
}

static int peer_add_set(struct sk_ctx *ctx, int argc, char **argv, bool is_set)
{
	struct sk_peer_args a;
	char err[SK_ERRLEN];
	struct knl_msg m;
	struct knl nl;
	struct nlattr *p;
	unsigned int ifindex;
	int fd = -1, ret;

	if (sk_peer_args_parse(argc, argv, is_set, &a, err, sizeof(err)))
		return sk_usage(ctx, "%s", err);
	ifindex = sk_ifindex(ctx, a.dev);
	if (!ifindex)
		return SK_EXIT_FAIL;
	if (!is_set) {
		fd = get_socket(ctx, &a);
		if (fd < 0)
			return SK_EXIT_FAIL;
	}
	if (sk_knl_open(ctx, &nl)) {
		ret = SK_EXIT_FAIL;
		goto out_fd;
	}
	if (sk_knl(ctx, &nl, knl_msg_new(&m, &nl, is_set ? SEKISHO_CMD_PEER_SET : SEKISHO_CMD_PEER_NEW,
		       0, 8192))) {
		ret = SK_EXIT_FAIL;
		goto out_nl;
	}
	knl_put_u32(&m, SEKISHO_A_IFINDEX, ifindex);
	p = knl_nest_start(&m, SEKISHO_A_PEER);
	knl_put_u32(&m, SEKISHO_A_PEER_ID, a.id);
	if (!is_set)
		knl_put_u32(&m, SEKISHO_A_PEER_SOCKET, (uint32_t)fd);
	put_peer_attrs(&m, &a);
	knl_nest_end(&m, p);
	ret = sk_knl(ctx, &nl, knl_do(&nl, &m, NULL, NULL));
	if (!ret)
		fprintf(ctx->out, is_set ? "peer %u on %s updated\n"
					 : "peer %u added to %s\n", a.id, a.dev);
	knl_msg_free(&m, false);
out_nl:
	knl_close(&nl);
out_fd:
	/* our copy only: the owner's fd keeps the socket (and the peer) alive */
	if (fd >= 0 && a.sock_pid)
		close(fd);
	return ret;
}

static int peer_del(struct sk_ctx *ctx, int argc, char **argv)
{
	char err[SK_ERRLEN];
	uint32_t id;
	int ret;

	if (argc < 2)
		return sk_usage(ctx, "expected DEV ID");
	if (argc > 2)
		return sk_usage(ctx, "unexpected argument '%s'", argv[2]);
	if (parse_id(argv[1], "peer ID", &id, err, sizeof(err)))
		return sk_usage(ctx, "%s", err);
	ret = sk_knl_del(ctx, argv[0], SEKISHO_CMD_PEER_DEL, SEKISHO_A_PEER,
			 SEKISHO_A_PEER_ID, id, 0, 0);
	if (!ret)
		fprintf(ctx->out, "peer %u removed from %s\n", id, argv[0]);
	return ret;
}

static int peer_list(struct sk_ctx *ctx, int argc, char **argv)
{
	struct knl_vec peers = { .size = sizeof(struct knl_peer) };
	struct sk_list_req r;
	struct knl nl;
	int ret;

	if ((ret = sk_list_open(ctx, argc, argv, "peer ID", &r, &nl)))
		return ret;
	ret = sk_knl(ctx, &nl, knl_get_peers(&nl, r.ifindex, r.ids ? &r.id : NULL, &peers));
	knl_close(&nl);
	if (!ret)
		sk_print_list(ctx->out, SK_OBJ_PEER, &peers, r.json, r.ids, NULL);
	knl_vec_free(&peers);
	return ret;
}

static const struct sk_verb peer_verbs[] = {
	{ "add", "peer add", .run_set = peer_add_set, .set = false },
	{ "set", "peer set", .run_set = peer_add_set, .set = true },
	{ "del", "peer del", .run = peer_del },
	{ "list", "peer list", .run = peer_list },
	{ "show", "peer show", .run = peer_list },
};

int sk_cmd_peer(struct sk_ctx *ctx, int argc, char **argv)
{
	return SK_RUN_VERB(ctx, peer_verbs, argc, argv);
}
