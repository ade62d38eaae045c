// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of main's checks on what a worker sends (loop.c
 * skd_worker_recv, udp.c, session.c), for what the IPC fuzz target
 * (userspace/fuzz/ipc-fuzz.c) found: a DTLS_KEYS must carry the connected
 * UDP socket of a DTLS_START, and keys, DTLS_FAIL and CSTP_END come only
 * from a worker with a tunnel.  A KTLS (issue 16) must bring back the very
 * TCP connection main accepted for the worker (ktls.c), once, after a
 * CONNECT.  Anything else kills the worker (its socket is closed).  The
 * session and the worker are set up by hand; no kernel (main answers
 * DTLS_READY and KTLS_READY -ENODEV to acceptable messages).  TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/sekisho.h>

#include "daemon.h"
#include "skfd.h"
#include "tap.h"

static struct tap t;
static struct skd d;
static int wend = -1;

/* worker 0, with (tunnel) or without a session that was sent starts DTLS_STARTs */
static struct skd_worker *worker(bool tunnel, int starts)
{
	struct skd_worker *w = &d.workers[0];
	struct skd_session *s = &d.sessions[0];
	int sv[2];

	if (wend >= 0)
		close(wend);
	if (w->fd >= 0)
		close(w->fd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return NULL;
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->fd = sv[0];
	wend = sv[1];
	snprintf(w->remote, sizeof(w->remote), "192.0.2.1:40000");
	skd_session_clear(s);
	if (tunnel) {
		s->used = true;
		s->id = 1;
		snprintf(s->user, sizeof(s->user), "alice");
		s->dtls_starts = starts;
		s->in_handshake = starts > 0;
		s->w = w;
		w->s = s;
		w->tunnel = true;
	} else {
		d.n_preauth = 1;
	}
	return w;
}

static int udp_connected(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_socket(void)
{
	return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static int unix_socket(void)
{
	return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int udp_unconnected(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int a_pipe(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	close(p[1]);
	return p[0];
}

/* sends msg (with fd if >= 0) as the worker, lets main take it; true if
 * the worker is still alive afterwards */
static bool feed(struct skd_worker *w, const void *msg, size_t len, int fd)
{
	if (sk_send_fd(wend, msg, len, fd, 0) != (ssize_t)len)
		return false;
	if (fd >= 0)
		close(fd);
	skd_worker_recv(&d, w);
	return w->fd >= 0;
}

/* the type of main's answer to the worker, 0 if none; *status of DTLS_READY */
static int answer(int *status)
{
	union {
		struct sk_ipc_dtls_ready r;
		uint8_t b[SK_IPC_MAX];
	} u;
	ssize_t n = recv(wend, &u, sizeof(u), MSG_DONTWAIT);

	if (n < (ssize_t)sizeof(struct sk_ipc_hdr))
		return 0;
	if (status)
		*status = u.r.status;
	return u.r.h.type;
}

/* a TCP connection over the loopback: *srv the accepted end, *cli the other */
static int tcp_pair(int *srv, int *cli)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*srv = *cli = -1;
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4) ||
	    getsockname(ls, (struct sockaddr *)&a, &l))
		goto out;
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	*srv = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
out:
	if (ls >= 0)
		close(ls);
	return *srv >= 0 ? 0 : -1;
}

/* w as main's on_accept leaves it for the accepted socket fd */
static void accepted(struct skd_worker *w, int fd)
{
	socklen_t l = sizeof(w->peer);
	struct stat st;

	if (!fstat(fd, &st)) {
		w->client_dev = st.st_dev;
		w->client_ino = st.st_ino;
	}
	getpeername(fd, (struct sockaddr *)&w->peer, &l);
}

static void ktls_msg(struct sk_ipc_ktls *m)
{
	memset(m, 0, sizeof(*m));
	skd_ipc_header(m, SK_IPC_KTLS, sizeof(*m));
	m->keys.version = 0x0304;
	m->keys.cipher = SK_KTLS_AES128_GCM;
}

static void keys(struct sk_ipc_dtls_keys *k)
{
	memset(k, 0, sizeof(*k));
	skd_ipc_header(k, SK_IPC_DTLS_KEYS, sizeof(*k));
	k->cipher = SEKISHO_CIPHER_AES128_GCM;
	k->epoch = 1;
	k->tx_seq = 1;
	k->key_len = 16;
	k->iv_len = 4;
}

int main(void)
{
	static const struct { const char *what; int (*fd)(void); } bad[] = {
		{ "its TCP socket", tcp_socket },
		{ "a unix socket", unix_socket },
		{ "an unconnected UDP socket", udp_unconnected },
		{ "a pipe", a_pipe },
	};
	char dir[] = "/tmp/sekishod-ipc-test.XXXXXX", path[128], err[256];
	struct sk_ipc_dtls_keys k;
	struct sk_ipc_dtls_fail f;
	struct sk_ipc_cstp_end e;
	struct skd_worker *w;
	int status = 0;

	tap_begin();
	setlogmask(LOG_MASK(LOG_DEBUG) << 1);	/* the faults are logged: not here */
	if (!mkdtemp(dir) || skd_init(&d)) {
		printf("Bail out! setup\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sk_store_open(path, &d.st, err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	keys(&k);

	w = worker(true, 1);
	tap_ok(&t, w && feed(w, &k, sizeof(k), udp_connected()) && answer(&status) == SK_IPC_DTLS_READY &&
	       status == -ENODEV, "DTLS_KEYS with the connected UDP socket of a DTLS_START is taken");
	tap_ok(&t, d.sessions[0].dtls_starts == 0, "it answers that DTLS_START");
	tap_ok(&t, !feed(w, &k, sizeof(k), udp_connected()),
	       "a second DTLS_KEYS for the same DTLS_START kills the worker");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = worker(true, 1);
		tap_ok(&t, w && !feed(w, &k, sizeof(k), bad[i].fd()) && answer(NULL) == 0,
		       "DTLS_KEYS with %s kills the worker, no DTLS_READY", bad[i].what);
	}
	w = worker(true, 0);
	tap_ok(&t, w && !feed(w, &k, sizeof(k), udp_connected()),
	       "DTLS_KEYS without a DTLS_START kills the worker");
	w = worker(false, 0);
	tap_ok(&t, w && !feed(w, &k, sizeof(k), udp_connected()),
	       "DTLS_KEYS before a tunnel kills the worker");

	memset(&f, 0, sizeof(f));
	skd_ipc_header(&f, SK_IPC_DTLS_FAIL, sizeof(f));
	w = worker(false, 0);
	tap_ok(&t, w && !feed(w, &f, sizeof(f), -1), "DTLS_FAIL before a tunnel kills the worker");
	w = worker(true, 1);
	tap_ok(&t, w && feed(w, &f, sizeof(f), -1) && d.sessions[0].dtls_starts == 0 &&
	       !d.sessions[0].in_handshake, "DTLS_FAIL in a tunnel answers its DTLS_START");

	memset(&e, 0, sizeof(e));
	skd_ipc_header(&e, SK_IPC_CSTP_END, sizeof(e));
	e.reason = SK_END_EOF;
	w = worker(false, 0);
	tap_ok(&t, w && !feed(w, &e, sizeof(e), -1), "CSTP_END before a tunnel kills the worker");
	w = worker(true, 0);
	tap_ok(&t, w && feed(w, &e, sizeof(e), -1) && w->ended && !w->s && d.sessions[0].used &&
	       d.sessions[0].detached_at, "CSTP_END (EOF) of a tunnel detaches its session");

	/* ---- KTLS: the client's own connection, once ---- */
	{
		struct sk_ipc_ktls m;
		struct sk_ipc_ktls_skip sk;
		int srv, cli, srv2, cli2;

		ktls_msg(&m);
		w = worker(true, 0);
		tap_ok(&t, w && !tcp_pair(&srv, &cli), "KTLS: a TCP connection to hand over");
		accepted(w, srv);
		tap_ok(&t, feed(w, &m, sizeof(m), dup(srv)) && answer(&status) == SK_IPC_KTLS_READY &&
		       status == -ENODEV && d.ktls_relayed[1] == 1,
		       "KTLS with the accepted connection is taken (no kernel: -ENODEV, counted)");
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(srv)) && answer(NULL) == 0,
		       "a second KTLS kills the worker");

		/* the same client address, another connection: only the
		 * socket's identity tells them apart */
		tcp_pair(&srv2, &cli2);
		w = worker(true, 0);
		accepted(w, srv);
		getpeername(srv2, (struct sockaddr *)&w->peer, &(socklen_t){ sizeof(w->peer) });
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(srv2)) && answer(NULL) == 0,
		       "KTLS with another TCP connection from the client's address kills the worker");
		w = worker(true, 0);
		accepted(w, srv);
		tap_ok(&t, !feed(w, &m, sizeof(m), udp_connected()) && answer(NULL) == 0,
		       "KTLS with a UDP socket kills the worker");
		w = worker(true, 0);
		accepted(w, srv);
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(wend)) && answer(NULL) == 0,
		       "KTLS with its own IPC socket kills the worker");
		w = worker(false, 0);
		accepted(w, srv);
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(srv)) && answer(NULL) == 0,
		       "KTLS before a tunnel kills the worker");
		w = worker(true, 0);
		accepted(w, srv);
		m.keys.version = 0x0302;
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(srv)) && answer(NULL) == 0,
		       "KTLS with TLS 1.1 keys kills the worker");
		ktls_msg(&m);
		w = worker(true, 0);
		accepted(w, srv);
		tap_ok(&t, !feed(w, &m, sizeof(m), -1) && answer(NULL) == 0,
		       "KTLS without a socket kills the worker");

		/* (issue 16) the DTLS PSK comes exactly when DTLS was offered */
		ktls_msg(&m);
		w = worker(true, 0);
		accepted(w, srv);
		w->dtls_offered = true;
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(srv)) && answer(NULL) == 0,
		       "KTLS without the DTLS PSK though DTLS was offered kills the worker");
		w = worker(true, 0);
		accepted(w, srv);
		m.has_psk = 1;
		memset(m.dtls_psk, 0x42, sizeof(m.dtls_psk));
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(srv)) && answer(NULL) == 0,
		       "KTLS with a DTLS PSK though DTLS was not offered kills the worker");
		w = worker(true, 0);
		accepted(w, srv);
		m.has_psk = 0;
		tap_ok(&t, !feed(w, &m, sizeof(m), dup(srv)) && answer(NULL) == 0,
		       "KTLS with PSK bytes but has_psk 0 kills the worker");
		w = worker(true, 0);
		accepted(w, srv);
		w->dtls_offered = true;
		m.has_psk = 1;
		tap_ok(&t, feed(w, &m, sizeof(m), dup(srv)) && answer(&status) == SK_IPC_KTLS_READY &&
		       status == -ENODEV && !d.sessions[0].has_psk,
		       "KTLS with the PSK, DTLS offered: taken; not handed over (no kernel): the PSK is not kept");
		ktls_msg(&m);

		memset(&sk, 0, sizeof(sk));
		skd_ipc_header(&sk, SK_IPC_KTLS_SKIP, sizeof(sk));
		snprintf(sk.reason, sizeof(sk.reason), "cipher");
		w = worker(true, 0);
		tap_ok(&t, feed(w, &sk, sizeof(sk), -1) && d.ktls_relayed[2] == 1,
		       "KTLS_SKIP (cipher) is counted");
		w = worker(true, 0);
		snprintf(sk.reason, sizeof(sk.reason), "bad\nline");
		tap_ok(&t, !feed(w, &sk, sizeof(sk), -1), "KTLS_SKIP with a control character kills the worker");
		w = worker(true, 0);
		memset(sk.reason, 'a', sizeof(sk.reason));
		tap_ok(&t, !feed(w, &sk, sizeof(sk), -1), "KTLS_SKIP without a NUL kills the worker");
		close(srv);
		close(cli);
		close(srv2);
		close(cli2);
	}

	skd_session_clear(&d.sessions[0]);
	sk_store_close(d.st);
	d.st = NULL;
	snprintf(err, sizeof(err), "rm -rf '%s'", dir);
	if (system(err))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
