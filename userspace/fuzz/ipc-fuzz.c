// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what a compromised worker can send to sekishod's main
 * process (trust boundary 2 of Documentation/architecture.md).
 *
 * The target plays up to three workers against the REAL main: the sekishod,
 * admin, auth, store, knl and lib libraries built with the fuzz flags, a
 * real SQLite store in a temporary directory (seeded below: users alice and
 * bob, groups, a policy, cheap argon2id parameters), a real client CA for
 * the certificate factor (ipc/ca.pem).  Each worker is a real SOCK_SEQPACKET
 * socket pair: the target sends a message with sendmsg (with the
 * descriptors the input asks for: the UDP socket main handed out, a fresh
 * UDP socket, a TCP socket, a unix socket, a pipe, several) and calls
 * skd_worker_recv(), the function the event loop calls, which receives it,
 * checks it and runs the handler.  Main's answers are read back; the target
 * remembers the context and session cookies, the App-ID and the DTLS socket
 * so that the input can use them (login -> CONNECT -> DTLS_KEYS), in order
 * or out of order.
 *
 * Test hooks (nothing in the daemon changes for them):
 *   - The kernel: d->k.req is a real generic netlink socket whose family id
 *     belongs to no family, so every PEER_NEW/KEY_NEW/PEER_DEL is built in
 *     full by knl and refused by the kernel with ENOENT: the failure path
 *     the daemon has for a kernel that refuses (DTLS_READY with an error,
 *     CSTP only).  No event socket.
 *   - syslog: setlogmask() with a mask no priority matches, so the fuzzer
 *     does not flood the host's log.
 *   - Worker pids are 0: main never sends a signal to pid 0 (kill() is
 *     guarded by pid > 0), so a "killed" worker is only its closed socket.
 *   - DTLS: main is not started as root, so it binds the per-client UDP
 *     socket itself (udp.c), on 127.0.0.1 and an ephemeral port; a
 *     ClientHello is sent to that listener from a local UDP socket.
 *
 * Input: byte 0 = settings (bit 0: device.hostscan on; bit 1: a GONE of
 *   worker 2 makes it an in-tunnel posture re-check worker, recheck.c:
 *   its peer address the first session's, whose kernel peer is taken for
 *   live and quarantined, admitted by skd_recheck_admit as the listener
 *   would), then records
 *   op (1 byte): op & 3 = 0 SEND, 1 CLIENTHELLO, 2 TIMERS, 3 GONE; the
 *   worker is (op >> 2) % 3.
 *   SEND: opts (1 byte), length (2 bytes LE), that many message bytes.
 *     opts & 7: descriptors: 0 none, 1 the UDP socket of the last
 *       DTLS_START, 2 a fresh UDP socket, 3 a TCP socket, 4 a unix stream
 *       socket, 5 a pipe, 6 the DTLS socket and a unix socket, 7 the
 *       worker's own IPC socket
 *     opts & 8: write magic and length into the header (else as given)
 *     opts & 16: put the last context (AUTH) or session cookie (CONNECT)
 *       main gave into the message
 *     opts & 32: pad the message past SK_IPC_MAX (oversized)
 *   CLIENTHELLO: 1 byte; a DTLS ClientHello with the last App-ID (or, if
 *     the byte is odd, another one) reaches main's DTLS listener.
 *   TIMERS: 1 byte n; skd_timers(now + 10 n s).
 *   GONE: the worker exits (what reap() does), and a new one takes its slot.
 *
 * Invariants checked after every step (abort = a finding): a session's
 * DTLS socket (the one the kernel peer would get) is a UDP socket; the
 * count of pre-login workers matches the table; sessions and workers point
 * at each other.  The seed corpus is written by ipc-seeds.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "skfd.h"

#ifndef IPC_FUZZ_DIR
#error "IPC_FUZZ_DIR: the directory of ipc/ca.pem"
#endif

#define NW 3
#define NO_FAMILY 0xfff0	/* a generic netlink id no family has */

static struct skd d;
static char tmpdir[128];
static int wend[NW] = { -1, -1, -1 };	/* the worker's ends */
static char last_context[64];
static char last_cookie[96];
static uint8_t last_appid[32];
static int dtls_fd = -1;		/* the socket of the last DTLS_START */
static bool hostscan;
static bool got_start[NW];		/* worker i was sent a DTLS_START */
static bool debug;		/* IPC_FUZZ_DEBUG=1: print main's answers */

static void die(const char *what)
{
	fprintf(stderr, "ipc-fuzz: %s\n", what);
	abort();
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

static void cleanup(void)
{
	if (d.st)
		sk_store_close(d.st);
	d.st = NULL;
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void set(const char *k, const char *v)
{
	char err[256];

	if (sk_setting_set(d.st, k, v, err, sizeof(err)))
		fprintf(stderr, "ipc-fuzz: setting %s: %s\n", k, err);
}

static void seed_store(void)
{
	static const struct sk_pw_params cheap = { 1, 8, 1 };
	struct sk_group g;
	struct sk_user u;
	char err[256];

	set("password.time_cost", "1");
	set("profile.base_url", "https://vpn.fuzz.test");
	if (sk_policy_add(d.st, "office", "fuzz"))
		die("policy");

	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	snprintf(g.label, sizeof(g.label), "Staff");
	memset(g.factors, 0, sizeof(g.factors));
	g.factors[0] = SK_FACTOR_PASSWORD;
	snprintf(g.pool4, sizeof(g.pool4), "10.77.0.0/29");
	snprintf(g.pool6, sizeof(g.pool6), "fd00:77::/125");
	snprintf(g.policy, sizeof(g.policy), "office");
	g.proxy_mode = SK_PROXY_SERVER;
	snprintf(g.proxy_server, sizeof(g.proxy_server), "proxy.fuzz.test:8080");
	g.max_sessions = 2;
	if (sk_group_add(d.st, &g, err, sizeof(err)))
		die(err);

	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "certs");
	snprintf(g.label, sizeof(g.label), "Certificate");
	memset(g.factors, 0, sizeof(g.factors));
	g.factors[0] = SK_FACTOR_CERT;
	g.factors[1] = SK_FACTOR_PASSWORD;
	snprintf(g.pool4, sizeof(g.pool4), "10.78.0.0/30");
	g.session_timeout = 60;
	if (sk_group_add(d.st, &g, err, sizeof(err)))
		die(err);

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.group, sizeof(u.group), "staff");
	snprintf(u.email, sizeof(u.email), "alice@fuzz.test");
	u.enabled = true;
	if (sk_pw_hash("Pw-alice-1", &cheap, u.pw_hash, sizeof(u.pw_hash)) ||
	    sk_user_add(d.st, &u, err, sizeof(err)))
		die("user alice");
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "bob");
	snprintf(u.group, sizeof(u.group), "certs");
	snprintf(u.email, sizeof(u.email), "bob@fuzz.test");
	u.enabled = true;
	if (sk_pw_hash("Pw-bob-1", &cheap, u.pw_hash, sizeof(u.pw_hash)) ||
	    sk_user_add(d.st, &u, err, sizeof(err)))
		die("user bob");
}

/* the kernel hook: see the top of this file */
static void fake_kernel(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_GENERIC);

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("generic netlink socket");
	memset(&d.k, 0, sizeof(d.k));
	d.k.req.sock = nl;
	d.k.req.portid = mnl_socket_get_portid(nl);
	d.k.req.family = NO_FAMILY;
	d.k.req_open = true;
	d.k.ifindex = 1;
	snprintf(d.k.ifname, sizeof(d.k.ifname), "sekisho-fuzz");
	d.have_kernel = true;
}

static void dtls_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("udp socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &al))
		die("udp bind");
	d.udp_fd[0] = fd;
	memcpy(&d.udp_addr[0], &a, sizeof(a));
	d.udp_len[0] = sizeof(a);
	d.n_udp = 1;
	d.conf.dtls_port = ntohs(a.sin_port);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[256], err[256];
	const char *t = getenv("TMPDIR");

	(void)argc, (void)argv;
	debug = getenv("IPC_FUZZ_DEBUG") != NULL;
	setlogmask(LOG_MASK(LOG_DEBUG) << 1);	/* matches no priority: nothing logged */
	snprintf(tmpdir, sizeof(tmpdir), "%s/sk-ipc-fuzz.XXXXXX", t && t[0] ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		die("mkdtemp");
	atexit(cleanup);
	if (skd_init(&d))
		die("skd_init");
	snprintf(d.conf.store, sizeof(d.conf.store), "%s/store.db", tmpdir);
	if (sk_store_open(d.conf.store, &d.st, err, sizeof(err)))
		die(err);
	seed_store();
	snprintf(path, sizeof(path), "%s/ipc/ca.pem", IPC_FUZZ_DIR);
	if (sk_certv_new(path, NULL, NULL, &d.certv, err, sizeof(err)))
		die(err);
	snprintf(d.gateway_name, sizeof(d.gateway_name), "vpn.fuzz.test");
	/* as daemon.c's chain_setup, without a mail relay */
	d.chain.st = d.st;
	d.chain.certv = d.certv;
	d.chain.defer_hash = true;	/* no hashing threads: main hashes inline */
	d.chain.gateway_name = d.gateway_name;
	d.chain.cert_bind = SK_BIND_CN;
	d.ep = epoll_create1(EPOLL_CLOEXEC);
	if (d.ep < 0)
		die("epoll");
	fake_kernel();
	dtls_listener();
	return 0;
}

/* ---- the workers ---- */

static void worker_new(int i)
{
	struct skd_worker *w = &d.workers[i];
	struct sockaddr_in *a = (struct sockaddr_in *)&w->peer;
	int sv[2], sz = 4 * SK_IPC_MAX;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(w, 0, sizeof(*w));
	w->ev.kind = SKD_EV_WORKER;
	w->ev.idx = i;
	w->used = true;
	w->pid = 0;
	w->fd = sv[0];
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0xc0000201 + (uint32_t)(i == 2));	/* 192.0.2.1, .2 */
	a->sin_port = htons((uint16_t)(40000 + i));
	w->started = skd_now();
	skd_conf_addr_text(&w->peer, w->remote, sizeof(w->remote));
	d.n_preauth++;
	skd_poll_add(&d, w->fd, &w->ev);
	wend[i] = sv[1];
	got_start[i] = false;
}

/* worker i as the listener's accept makes a re-check worker (recheck.c):
 * the source is the first session's address (none: 192.0.2.9, which no
 * session has); the kernel peer is taken for live (a test hook) */
static void worker_recheck(int i)
{
	struct skd_worker *w = &d.workers[i];
	struct sockaddr_in *a = (struct sockaddr_in *)&w->peer;
	struct skd_session *s = NULL;
	int64_t sid;

	worker_new(i);
	d.n_preauth--;
	for (int k = 0; k < SKD_MAX_SESSIONS && !s; k++)
		if (d.sessions[k].used && d.sessions[k].has4)
			s = &d.sessions[k];
	a->sin_addr.s_addr = htonl(0xc0000209);
	if (s) {
		s->peer_live = true;
		a->sin_addr = s->addr4;
		/* and quarantined (staff has no posture policy: a report
		 * that parses passes, so the lift runs) */
		snprintf(s->quarantine, sizeof(s->quarantine), "office");
	}
	skd_conf_addr_text(&w->peer, w->remote, sizeof(w->remote));
	w->recheck_why = skd_recheck_admit(&d, &w->peer, skd_now(), &sid);
	w->recheck_sid = sid;
	d.n_recheck++;
}

/* worker i as dtlsw.c makes a DTLS worker (issue 16): bound to the first
 * session without a worker, which it has one handshake of */
static void worker_dtls(int i)
{
	struct skd_worker *w = &d.workers[i];

	worker_new(i);
	d.n_preauth--;
	w->tunnel = true;
	w->ktls_done = true;
	w->dtls_only = true;
	d.n_dtlsw++;
	for (int k = 0; k < SKD_MAX_SESSIONS; k++) {
		struct skd_session *s = &d.sessions[k];

		if (s->used && !s->w) {
			s->w = w;
			w->s = s;
			s->dtls_starts = 1;
			s->in_handshake = true;
			break;
		}
	}
}

/* what reap() in loop.c does when a worker's process ends */
static void worker_exit(int i)
{
	struct skd_worker *w = &d.workers[i];

	if (w->used) {
		skd_worker_gone(&d, w);
		if (w->fd >= 0) {
			skd_poll_del(&d, w->fd);
			close(w->fd);
		}
		memset(w, 0, sizeof(*w));
		w->fd = -1;
	}
	if (wend[i] >= 0)
		close(wend[i]);
	wend[i] = -1;
}

/* Reads every answer main sent to worker i; keeps what later input uses. */
static void drain(int i)
{
	static uint8_t buf[SK_IPC_MAX];
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				     .msg_controllen = sizeof(u.b) };
		const struct sk_ipc_hdr *h = (const void *)buf;
		int fds[4], nfd = 0;
		ssize_t n = recvmsg(wend[i], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfd < 4; k++)
					memcpy(&fds[nfd++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
		if (debug)
			fprintf(stderr, "  worker %d <- type %u len %zd fds %d%s\n", i,
				(size_t)n >= sizeof(*h) ? h->type : 0, n, nfd,
				(size_t)n >= sizeof(*h) + 4 ? "" : " (short)");
		if (debug && (size_t)n >= sizeof(*h) + 4)
			fprintf(stderr, "    status %u\n", *(const uint32_t *)(buf + sizeof(*h)));
		if ((size_t)n >= sizeof(*h) && h->magic == SK_IPC_MAGIC && h->len == (uint32_t)n) {
			if (h->type == SK_IPC_AUTH_REPLY && (size_t)n >= sizeof(struct sk_ipc_auth_reply)) {
				const struct sk_ipc_auth_reply *r = (const void *)buf;

				if (r->context[0])
					memcpy(last_context, r->context, sizeof(last_context));
				if (r->cookie[0])
					memcpy(last_cookie, r->cookie, sizeof(last_cookie));
			} else if (h->type == SK_IPC_CONNECT_REPLY &&
				   (size_t)n >= sizeof(struct sk_ipc_connect_reply)) {
				const struct sk_ipc_connect_reply *r = (const void *)buf;

				if (r->status == 200)
					memcpy(last_appid, r->app_id, 32);
			} else if (h->type == SK_IPC_DTLS_START && nfd == 1) {
				got_start[i] = true;
				if (dtls_fd >= 0)
					close(dtls_fd);
				dtls_fd = fds[0];
				nfd = 0;
			}
		}
		for (int k = 0; k < nfd; k++)
			close(fds[k]);
	}
}

static void drain_all(void)
{
	for (int i = 0; i < NW; i++)
		if (wend[i] >= 0)
			drain(i);
}

/* ---- invariants ---- */

static bool is_udp(int fd)
{
	int type = 0, proto = 0;
	socklen_t l1 = sizeof(type), l2 = sizeof(proto);

	return !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) && type == SOCK_DGRAM &&
	       !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l2) && proto == IPPROTO_UDP;
}

static void check(void)
{
	int preauth = 0;

	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		const struct skd_session *s = &d.sessions[i];

		if (!s->used)
			continue;
		/* the kernel peer gets only a UDP socket main handed out */
		if (s->udp_fd >= 0 && !is_udp(s->udp_fd))
			die("a session holds a DTLS socket that is not a UDP socket");
		if (s->w && s->w->s != s)
			die("session and worker disagree");
	}
	for (int i = 0; i < NW; i++) {
		const struct skd_worker *w = &d.workers[i];

		if (w->used && !w->gone && !w->tunnel && !w->recheck_sid)
			preauth++;
		if (w->used && w->s && (!w->s->used || w->s->w != w))
			die("worker and session disagree");
	}
	if (preauth != d.n_preauth)
		die("pre-login worker count is off");
}

/* ---- one message from a worker ---- */

static int make_fds(int kind, int i, int fds[2])
{
	int n = 0, p[2];

	switch (kind) {
	case 1:
		if (dtls_fd >= 0)
			fds[n++] = dup(dtls_fd);
		break;
	case 2:
		fds[n++] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		break;
	case 3:
		fds[n++] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	case 4:
		if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)) {
			fds[n++] = p[0];
			close(p[1]);
		}
		break;
	case 5:
		if (!pipe2(p, O_CLOEXEC)) {
			fds[n++] = p[0];
			close(p[1]);
		}
		break;
	case 6:
		if (dtls_fd >= 0)
			fds[n++] = dup(dtls_fd);
		fds[n++] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	case 7:
		fds[n++] = dup(wend[i]);
		break;
	}
	for (int k = 0; k < n; k++)
		if (fds[k] < 0)
			die("descriptor for the message");
	return n;
}

static void send_msg(int i, uint8_t opts, const uint8_t *data, size_t len)
{
	static uint8_t msg[SK_IPC_MAX + 64];
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct sk_ipc_hdr *h = (void *)msg;
	struct skd_worker *w = &d.workers[i];
	struct iovec iov = { msg, len };
	bool must_die;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[2], nfd;

	if (w->fd < 0)
		return;		/* killed: main no longer listens to it */
	memset(msg, 0, sizeof(msg));
	memcpy(msg, data, len);
	if (opts & 32)
		len = iov.iov_len = SK_IPC_MAX + 1 + len % 63;
	if ((opts & 8) && len >= sizeof(*h)) {
		h->magic = SK_IPC_MAGIC;
		h->len = (uint32_t)len;
	}
	if ((opts & 16) && len >= sizeof(*h)) {
		if (h->type == SK_IPC_AUTH && len >= offsetof(struct sk_ipc_auth, context) + 64)
			memcpy(msg + offsetof(struct sk_ipc_auth, context), last_context, 64);
		if (h->type == SK_IPC_CONNECT && len >= offsetof(struct sk_ipc_connect, cookie) + 96)
			memcpy(msg + offsetof(struct sk_ipc_connect, cookie), last_cookie, 96);
	}
	nfd = make_fds(opts & 7, i, fds);
	/* what main must refuse by killing the worker (checked below): a
	 * DTLS_KEYS that passes the framing checks but carries anything other
	 * than the connected UDP socket of a DTLS_START (kind 1), or comes
	 * from a worker main never sent a DTLS_START (and whose tunnel main
	 * did not take away itself) */
	must_die = h->type == SK_IPC_DTLS_KEYS && h->magic == SK_IPC_MAGIC && h->len == len &&
		   len == sizeof(struct sk_ipc_dtls_keys) && nfd == 1 &&
		   ((opts & 7) != 1 || (!got_start[i] && !(w->tunnel && !w->s)));
	/* (issue 16) a KTLS: no descriptor here is the client socket main
	 * accepted for the worker (ktls.c checks the inode) */
	must_die = must_die || (h->type == SK_IPC_KTLS && h->magic == SK_IPC_MAGIC &&
				h->len == len && len == sizeof(struct sk_ipc_ktls) && nfd == 1);
	/* (issue 16) a DTLS worker says DTLS_KEYS or DTLS_FAIL, nothing else */
	must_die = must_die || (w->dtls_only && len >= sizeof(*h) &&
				h->type != SK_IPC_DTLS_KEYS && h->type != SK_IPC_DTLS_FAIL);
	if (nfd) {
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, nfd * sizeof(int));
	}
	if (sendmsg(wend[i], &mh, MSG_DONTWAIT) < 0) {
		/* an empty message with no descriptor is not sent on
		 * SEQPACKET as an event main would see: nothing to do */
		for (int k = 0; k < nfd; k++)
			close(fds[k]);
		return;
	}
	for (int k = 0; k < nfd; k++)
		close(fds[k]);
	skd_worker_recv(&d, w);
	if (must_die && w->fd >= 0)
		die(w->dtls_only ? "a DTLS worker's message other than DTLS_KEYS or DTLS_FAIL was taken" :
		    h->type == SK_IPC_KTLS ? "KTLS with a socket main did not accept for it was taken" :
		    "DTLS_KEYS with a foreign descriptor or without DTLS_START was taken");
	if (debug)
		fprintf(stderr, "worker %d -> type %u len %zu fds %d: %s\n", i,
			len >= sizeof(*h) ? h->type : 0, len, nfd,
			d.workers[i].fd < 0 ? "killed" : "alive");
}

/* a first DTLS ClientHello (udp.c skd_clienthello_appid) from 127.0.0.1 */
static void client_hello(uint8_t b)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t dg[120];
	int fd;

	memset(dg, 0, sizeof(dg));
	dg[0] = 22;
	dg[1] = 0xfe;
	dg[2] = 0xfd;
	dg[13] = 1;
	memset(dg + 27, 0x5a, 32);
	dg[59] = 32;
	memcpy(dg + 60, last_appid, 32);
	if (b & 1)
		dg[60] ^= 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("client udp socket");
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (sendto(fd, dg, sizeof(dg), 0, (struct sockaddr *)&d.udp_addr[0], d.udp_len[0]) ==
	    (ssize_t)sizeof(dg))
		skd_udp_listener(&d, 0);
	close(fd);
}

static void reset(void)
{
	for (int i = 0; i < NW; i++)
		worker_exit(i);
	/* every login idles out, every detached session ends */
	skd_timers(&d, skd_now() + 100000);
	for (int i = 0; i < SKD_MAX_SESSIONS; i++)
		if (d.sessions[i].used)
			skd_session_end(&d, &d.sessions[i], "fuzz-reset");
	memset(d.hscans, 0, SKD_MAX_HOSTSCANS * sizeof(*d.hscans));
	if (dtls_fd >= 0)
		close(dtls_fd);
	dtls_fd = -1;
	memset(last_context, 0, sizeof(last_context));
	memset(last_cookie, 0, sizeof(last_cookie));
	memset(last_appid, 0, sizeof(last_appid));
	if (d.n_preauth)
		die("pre-login workers left after the reset");
	if (d.n_dtlsw)
		die("DTLS workers counted after the reset");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t p = 1;

	if (!size)
		return 0;
	if (hostscan != (data[0] & 1)) {
		hostscan = data[0] & 1;
		set("device.hostscan", hostscan ? "on" : "off");
	}
	for (int i = 0; i < NW; i++)
		worker_new(i);
	while (p < size) {
		uint8_t op = data[p++];
		int i = (op >> 2) % NW;

		switch (op & 3) {
		case 0: {
			uint8_t opts;
			size_t len;

			if (size - p < 3)
				goto out;
			opts = data[p];
			len = data[p + 1] | (size_t)data[p + 2] << 8;
			p += 3;
			if (len > size - p)
				len = size - p;
			send_msg(i, opts, data + p, len);
			p += len;
			break;
		}
		case 1:
			if (p < size)
				client_hello(data[p++]);
			break;
		case 2:
			if (p < size)
				skd_timers(&d, skd_now() + 10 * (int64_t)data[p++]);
			break;
		case 3:
			worker_exit(i);
			if (i == 2 && (data[0] & 2))
				worker_recheck(i);
			else if (i == 1 && (data[0] & 4))
				worker_dtls(i);
			else
				worker_new(i);
			break;
		}
		drain_all();
		check();
	}
out:
	reset();
	return 0;
}
