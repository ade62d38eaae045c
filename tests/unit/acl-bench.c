// SPDX-License-Identifier: GPL-2.0
/*
 * acl-bench: nanoseconds per sekisho_acl_allows() lookup for policies of
 * 1, 100, 1,000 and 10,000 random rules, with packets to 4096 random
 * destinations (many flows: the tables do not stay in L1) and to 8 (a few
 * flows, as in one iperf3 run), plus the plain linear first-match scan for
 * comparison.  Prints numbers; not a test.
 *
 *   acl-bench [lookups [rules...]]	default 2,000,000 lookups per run;
 *					sizes 1 100 1000 10000
 */
#include "../../kmod/allowlist.h"
#include <stdio.h>
#include <time.h>

long kshim_fail_alloc_after = -1;
unsigned long kshim_live_allocs;

/* results go here so that the compiler keeps the loops */
static volatile int sink;

static unsigned long long rng = 0x5e415e0be7c40ULL;

static unsigned int rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned int)((rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * A policy shaped like a site's: mostly host and subnet rules in 10/8 and
 * 2001:db8::/32 with a port or a protocol, some overlapping, a few wide
 * rules, and nothing that allows everything.
 */
static void make_policy(struct sekisho_rule *r, unsigned int n)
{
	static const u8 plens4[] = { 32, 32, 32, 30, 28, 24, 24, 22, 16 };
	static const u8 plens6[] = { 128, 128, 64, 64, 56, 48 };
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].action = rnd() % 4 ? SEKISHO_ACTION_ALLOW :
					  SEKISHO_ACTION_DENY;
		r[i].port_min = 0;
		r[i].port_max = 0xffff;
		if (rnd() % 5) {
			u32 plen = plens4[rnd() % sizeof(plens4)];
			u32 a = 0x0a000000 | (rnd() & 0x00ffffff);

			r[i].family = AF_INET;
			r[i].prefixlen = (u8)plen;
			a &= plen ? ~0U << (32 - plen) : 0;
			r[i].addr.v4 = cpu_to_be32(a);
		} else {
			u32 plen = plens6[rnd() % sizeof(plens6)];
			u8 *a = r[i].addr.v6.s6_addr;

			r[i].family = AF_INET6;
			r[i].prefixlen = (u8)plen;
			a[0] = 0x20;
			a[1] = 0x01;
			a[2] = 0x0d;
			a[3] = 0xb8;
			for (j = 4; j < 16; j++)
				a[j] = (u8)rnd();
			for (j = 0; j < 16; j++) {
				if (plen >= 8 * (j + 1))
					continue;
				if (plen <= 8 * j)
					a[j] = 0;
				else
					a[j] &= (u8)(0xff << (8 - (plen - 8 * j)));
			}
		}
		switch (rnd() % 6) {
		case 0:
			r[i].proto = r[i].family == AF_INET ? IPPROTO_ICMP :
							      IPPROTO_ICMPV6;
			break;
		case 1:
		case 2:
		case 3:
			r[i].proto = IPPROTO_TCP;
			r[i].port_min = r[i].port_max = (u16)(rnd() % 2 ?
				443 : 1 + rnd() % 10000);
			break;
		case 4:
			r[i].proto = IPPROTO_UDP;
			r[i].port_min = (u16)(rnd() % 2000);
			r[i].port_max = (u16)(r[i].port_min + rnd() % 100);
			break;
		default:
			r[i].proto = 0;
			if (r[i].prefixlen < 24 && r[i].family == AF_INET)
				r[i].prefixlen = 24;
			r[i].addr.v4 &= cpu_to_be32(0xffffff00);
			break;
		}
	}
}

struct pkt {
	u8 family, proto;
	int dport;
	u8 addr[16];
};

static void make_packets(struct pkt *p, unsigned int n,
			 const struct sekisho_rule *r, unsigned int nr)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		const struct sekisho_rule *t = &r[rnd() % nr];

		p[i].family = t->family;
		if (t->family == AF_INET) {
			u32 a = be32_to_cpu(t->addr.v4);

			if (t->prefixlen < 32)
				a |= rnd() & (~0U >> t->prefixlen);
			if (rnd() % 4 == 0)
				a = 0x0a000000 | (rnd() & 0xffffff);
			put_unaligned_be32(a, p[i].addr);
		} else {
			memcpy(p[i].addr, t->addr.v6.s6_addr, 16);
			for (j = t->prefixlen / 8 + 1; j < 16; j++)
				p[i].addr[j] = (u8)rnd();
		}
		p[i].proto = rnd() % 3 ? IPPROTO_TCP : IPPROTO_UDP;
		p[i].dport = rnd() % 2 ? 443 : (int)(rnd() % 10000);
	}
}

static int linear(const struct sekisho_rule *r, unsigned int n,
		  const struct pkt *p)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int plen = r[i].prefixlen, full = plen / 8, rem = plen % 8;
		const u8 *net = r[i].family == AF_INET ?
			(const u8 *)&r[i].addr.v4 : r[i].addr.v6.s6_addr;

		if (r[i].family != p->family || memcmp(net, p->addr, full))
			continue;
		if (rem && ((net[full] ^ p->addr[full]) & (u8)(0xff << (8 - rem))))
			continue;
		if (r[i].proto && r[i].proto != p->proto)
			continue;
		if (p->dport >= 0 && (p->dport < r[i].port_min ||
				      p->dport > r[i].port_max))
			continue;
		return (int)i;
	}
	return -1;
}

#define NPKTS	4096	/* destinations of the "many flows" column */
#define NHOT	8	/* destinations of the "few flows" column */

int main(int argc, char **argv)
{
	static const unsigned int def_sizes[] = { 1, 100, 1000, 10000 };
	unsigned long lookups = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000000;
	unsigned int nsizes = argc > 2 ? (unsigned int)argc - 2 : 4;
	static struct pkt pk[NPKTS];
	unsigned int s;

	printf("%-8s %10s %10s %10s %12s %12s %10s\n", "rules", "ns-4096fl",
	       "ns-8fl", "allowed%", "compile-ms", "bytes", "linear-ns");
	for (s = 0; s < nsizes; s++) {
		unsigned int n = argc > 2 ? (unsigned int)strtoul(argv[2 + s], NULL, 0) :
					    def_sizes[s];
		struct sekisho_rule *r = calloc(n, sizeof(*r));
		struct sekisho_acl *acl;
		const char *why = NULL;
		unsigned long i, allowed = 0, lin_n;
		double t0, t1, lin, hot, cold;
		int rep;

		if (!n || !r) {
			free(r);
			continue;
		}
		make_policy(r, n);
		make_packets(pk, NPKTS, r, n);
		t0 = now_ns();
		acl = sekisho_acl_compile(r, n, GFP_KERNEL, &why);
		t1 = now_ns();
		if (IS_ERR(acl)) {
			fprintf(stderr, "compile %u: %s\n", n, why);
			return 1;
		}
		/* the best of 5 runs: the host is shared */
		cold = hot = 1e18;
		for (rep = 0; rep < 5; rep++) {
			double t;

			allowed = 0;
			t = now_ns();
			for (i = 0; i < lookups; i++) {
				const struct pkt *p = &pk[i & (NPKTS - 1)];

				allowed += sekisho_acl_allows(acl, p->family,
							      p->addr, p->proto,
							      p->dport, NULL);
			}
			t = (now_ns() - t) / lookups;
			cold = t < cold ? t : cold;
			/* a few flows, as in one iperf3 run: caches stay warm */
			t = now_ns();
			for (i = 0; i < lookups; i++) {
				const struct pkt *p = &pk[i & (NHOT - 1)];

				sink += sekisho_acl_allows(acl, p->family,
							   p->addr, p->proto,
							   p->dport, NULL);
			}
			t = (now_ns() - t) / lookups;
			hot = t < hot ? t : hot;
		}
		/* the linear scan, on fewer lookups when it is slow */
		lin_n = lookups / (n > 100 ? n / 10 : 1);
		if (lin_n < NPKTS)
			lin_n = NPKTS;
		lin = now_ns();
		for (i = 0; i < lin_n; i++)
			sink += linear(r, n, &pk[i & (NPKTS - 1)]);
		lin = (now_ns() - lin) / lin_n;
		printf("%-8u %10.1f %10.1f %10.1f %12.2f %12zu %10.1f\n", n,
		       cold, hot, 100.0 * allowed / lookups,
		       (t1 - t0) / 1e6, sekisho_acl_size(acl), lin);
		sekisho_acl_free(acl);
		free(r);
	}
	return 0;
}
