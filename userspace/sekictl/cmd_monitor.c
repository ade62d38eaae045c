// SPDX-License-Identifier: GPL-2.0
/*
 * sekictl monitor [--json] [--count N] [--timeout SEC] [--ready-file F]:
 * subscribe to the "events" multicast group and print each notification,
 * one line each (JSON lines with --json), line-buffered.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "knl.h"
#include "sekictl.h"
#include "skjson.h"

void sk_help_monitor(FILE *f)
{
	fprintf(f,
"sekictl monitor [--json] [--count N] [--timeout SEC] [--ready-file F]\n");
}

/* "2", "0.5", "1.25": seconds with up to 3 decimals, as milliseconds */
static int parse_seconds(const char *s, int64_t *ms)
{
	uint64_t whole = 0, frac = 0;
	const char *dot = strchr(s, '.');
	char buf[24], e2[SK_ERRLEN];
	size_t wl = dot ? (size_t)(dot - s) : strlen(s);
	int digits = 0;

	if (wl == 0 || wl >= sizeof(buf))
		return -1;
	memcpy(buf, s, wl);
	buf[wl] = '\0';
	if (strspn(buf, "0123456789") != wl ||
	    sk_parse_u64(buf, 1000000000ULL, &whole, e2, sizeof(e2)))
		return -1;
	if (dot) {
		const char *p;

		for (p = dot + 1; *p; p++, digits++) {
			if (*p < '0' || *p > '9' || digits >= 3)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (!digits)
			return -1;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	*ms = (int64_t)(whole * 1000 + frac);
	return 0;
}

int sk_monitor_args_parse(int argc, char **argv, struct sk_monitor_args *a,
			  char *err, size_t errlen)
{
	char e2[SK_ERRLEN];
	const char *v;
	int i, r;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = -1;
	for (i = 0; i < argc; i++) {
		v = NULL;
		if (sk_flag(argv[i], "json")) {
			a->json = true;
		} else if ((r = sk_opt(argc, argv, &i, "count", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (sk_parse_u64(v, UINT32_MAX, &a->count, e2, sizeof(e2)) ||
			    !a->count) {
				snprintf(err, errlen, "--count: '%s' is not a number 1..4294967295", v);
				return -1;
			}
		} else if ((r = sk_opt(argc, argv, &i, "timeout", &v, err, errlen))) {
			if (r < 0)
				return -1;
			if (parse_seconds(v, &a->timeout_ms)) {
				snprintf(err, errlen,
					 "--timeout: '%s' is not a number of seconds (e.g. 5 or 0.5)", v);
				return -1;
			}
		} else if ((r = sk_opt(argc, argv, &i, "ready-file", &v, err, errlen))) {
			if (r < 0)
				return -1;
			a->ready_file = v;
		} else {
			return sk_bad_arg(argv[i], err, errlen);
		}
	}
	return 0;
}

/* Names of devices seen at start, for events about devices already gone. */
struct name_cache {
	struct if_nameindex *list;
};

static const char *ifname_of(struct name_cache *nc, uint32_t ifindex,
			     char buf[IF_NAMESIZE])
{
	struct if_nameindex *p;

	if (if_indextoname(ifindex, buf))
		return buf;
	for (p = nc->list; p && p->if_index; p++)
		if (p->if_index == ifindex)
			return p->if_name;
	return NULL;
}

struct mon {
	const struct sk_monitor_args *args;
	struct name_cache names;
	FILE *out;
	uint64_t seen;
};

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case SEKISHO_CMD_PEER_DEL_NTF: return "peer-del";
	case SEKISHO_CMD_PEER_IDLE_NTF: return "peer-idle";
	case SEKISHO_CMD_KEY_EXHAUST_NTF: return "key-exhaust";
	case SEKISHO_CMD_POLICY_DENY_NTF: return "policy-deny";
	}
	return NULL;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mon *mon = data;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *b;
	uint32_t ifindex = 0, peer = 0, u32;
	bool has_peer = false, has_keyconf = false;
	struct knl_peer p;
	struct knl_deny deny;
	bool has_deny = false;
	uint16_t epoch = 0;
	uint64_t tx_seq = 0;
	bool has_tx_seq = false;
	char nb[IF_NAMESIZE], rb[32], ab[SK_ADDRSTRLEN], ab2[SK_ADDRSTRLEN];
	const char *ifname, *ev = event_name(g->cmd);
	FILE *f = mon->out;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return 0;
	memset(&p, 0, sizeof(p));
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case SEKISHO_A_IFINDEX:
			knl_attr_u32(a, &ifindex);
			break;
		case SEKISHO_A_PEER:
			if (knl_decode_peer(a, &p) == 0) {
				peer = p.id;
				has_peer = true;
			}
			break;
		case SEKISHO_A_KEYCONF:
			has_keyconf = true;
			mnl_attr_for_each_nested(b, a) {
				switch (mnl_attr_get_type(b)) {
				case SEKISHO_A_KEYCONF_PEER_ID:
					if (!knl_attr_u32(b, &u32)) {
						peer = u32;
						has_peer = true;
					}
					break;
				case SEKISHO_A_KEYCONF_EPOCH:
					knl_attr_u16(b, &epoch);
					break;
				case SEKISHO_A_KEYCONF_TX_SEQ:
					if (!knl_attr_u64(b, &tx_seq))
						has_tx_seq = true;
					break;
				}
			}
			break;
		case SEKISHO_A_DENY:
			if (knl_decode_deny(a, &deny) == 0)
				has_deny = true;
			break;
		}
	}
	ifname = ifname_of(&mon->names, ifindex, nb);

	if (mon->args->json) {
		struct sk_json j;

		sk_json_init(&j, f);
		sk_json_obj_begin(&j, NULL);
		if (ev) {
			sk_json_str(&j, "event", ev);
		} else {
			sk_json_str(&j, "event", "unknown");
			sk_json_u64(&j, "cmd", g->cmd);
		}
		sk_json_u64(&j, "ifindex", ifindex);
		if (ifname)
			sk_json_str(&j, "ifname", ifname);
		if (has_peer)
			sk_json_u64(&j, "peer", peer);
		if (p.has_reason)
			sk_json_str(&j, "reason", knl_reason_name(p.reason, rb, sizeof(rb)));
		if (p.has_last_rx)
			sk_json_u64(&j, "last_rx_msecs", p.last_rx_ms);
		if (has_keyconf) {
			sk_json_u64(&j, "epoch", epoch);
			if (has_tx_seq)
				sk_json_u64(&j, "tx_seq", tx_seq);
		}
		if (has_deny) {
			const char *pn = deny.has_proto ? sk_proto_name(deny.proto) : NULL;

			sk_json_str(&j, "family", deny.family == AF_INET6 ? "ipv6" : "ipv4");
			if (deny.has_saddr)
				sk_json_str(&j, "saddr", sk_format_addr(&deny.saddr, ab, sizeof(ab)));
			if (deny.has_daddr)
				sk_json_str(&j, "daddr", sk_format_addr(&deny.daddr, ab, sizeof(ab)));
			if (pn && deny.proto)
				sk_json_str(&j, "proto", pn);
			else if (deny.has_proto)
				sk_json_u64(&j, "proto", deny.proto);
			if (deny.has_dport)
				sk_json_u64(&j, "dport", deny.dport);
			if (deny.has_suppressed)
				sk_json_u64(&j, "suppressed", deny.suppressed);
		}
		sk_json_obj_end(&j);
		fputc('\n', f);
	} else {
		if (ev)
			fprintf(f, "%s", ev);
		else
			fprintf(f, "unknown-event-%u", g->cmd);
		fprintf(f, " %s", ifname ? ifname : "?");
		if (!ifname || !ev)
			fprintf(f, " (ifindex %u)", ifindex);
		if (has_peer)
			fprintf(f, " peer %u", peer);
		if (p.has_reason)
			fprintf(f, " reason %s", knl_reason_name(p.reason, rb, sizeof(rb)));
		if (p.has_last_rx)
			fprintf(f, " last-rx %llu ms", (unsigned long long)p.last_rx_ms);
		if (has_keyconf) {
			fprintf(f, " epoch %u", epoch);
			if (has_tx_seq)
				fprintf(f, " tx-seq %llu", (unsigned long long)tx_seq);
		}
		if (has_deny) {
			const char *pn = deny.has_proto ? sk_proto_name(deny.proto) : NULL;

			if (pn && deny.proto)
				fprintf(f, " %s", pn);
			else if (deny.has_proto)
				fprintf(f, " proto %u", deny.proto);
			fprintf(f, " %s -> %s",
				deny.has_saddr ? sk_format_addr(&deny.saddr, ab, sizeof(ab)) : "?",
				deny.has_daddr ? sk_format_addr(&deny.daddr, ab2, sizeof(ab2)) : "?");
			if (deny.has_dport)
				fprintf(f, " port %u", deny.dport);
			if (deny.has_suppressed)
				fprintf(f, " suppressed %u", deny.suppressed);
		}
		fputc('\n', f);
	}
	fflush(f);
	mon->seen++;
	if (mon->args->count && mon->seen >= mon->args->count)
		return 1;	/* done */
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sk_cmd_monitor(struct sk_ctx *ctx, int argc, char **argv)
{
	struct sk_monitor_args a;
	struct mon mon = { 0 };
	char err[SK_ERRLEN];
	struct knl nl;
	int64_t deadline = 0;
	int ret = SK_EXIT_OK;

	if (sk_monitor_args_parse(argc, argv, &a, err, sizeof(err)))
		return sk_usage(ctx, "%s", err);
	setvbuf(ctx->out, NULL, _IOLBF, 0);
	if (sk_knl_open(ctx, &nl))
		return SK_EXIT_FAIL;
	if (sk_knl(ctx, &nl, knl_join_events(&nl))) {
		knl_close(&nl);
		return SK_EXIT_FAIL;
	}
	mon.args = &a;
	mon.out = ctx->out;
	mon.names.list = if_nameindex();
	if (a.ready_file) {
		int fd = open(a.ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0) {
			ret = sk_fail(ctx, "--ready-file %s: %s", a.ready_file,
				      strerror(errno));
			goto out;
		}
		close(fd);
	}
	if (a.timeout_ms >= 0)
		deadline = now_ms() + a.timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = knl_fd(&nl), .events = POLLIN };
		int timeout = -1, r;

		if (a.timeout_ms >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				break;
			timeout = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		r = poll(&pfd, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = sk_fail(ctx, "poll: %s", strerror(errno));
			break;
		}
		if (r == 0)
			continue;
		r = knl_recv_events(&nl, event_cb, &mon);
		if (r == 1)
			break;		/* --count reached */
		if (r == -ENOBUFS) {
			fprintf(stderr, "sekictl: monitor: warning: events lost (receive buffer overrun)\n");
			continue;
		}
		if (r < 0) {
			ret = sk_fail(ctx, "receive: %s", strerror(-r));
			break;
		}
	}
out:
	if (mon.names.list)
		if_freenameindex(mon.names.list);
	knl_close(&nl);
	return ret;
}
