// SPDX-License-Identifier: GPL-2.0
/*
 * The DTLS port (anyconnect-protocol.md §6.3, §6.7).  The listening socket
 * sees first ClientHellos; the App-ID in their session_id field names the
 * session.  For each one the main process gets a UDP socket bound to the
 * same port from the binder process (binder.c: binding port 443 needs
 * CAP_NET_BIND_SERVICE, which the main process does not keep), connects it
 * to the client, and hands it with the datagram to
 * the session's worker, which runs the DTLS-PSK handshake and sends back the
 * record keys.  The kernel peer then takes the socket; records it does not
 * handle itself (a new ClientHello of a DTLS reconnect, alerts) still
 * arrive on it here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/sekisho.h>

#include "binder.h"
#include "daemon.h"
#include "sktext.h"

#define DGRAM_MAX	2048	/* a ClientHello of openconnect is ~200 bytes */

int skd_clienthello_appid(const uint8_t *dg, size_t len, uint8_t app_id[32])
{
	static const uint8_t zero[32];

	/* handshake record, DTLS, epoch 0, ClientHello, session_id of 32 */
	if (len < 92 || dg[0] != 22 || dg[1] != 0xfe || dg[3] || dg[4] || dg[13] != 1 ||
	    dg[59] != 32)
		return -1;
	/* all-zero client random: the broken GnuTLS clients ocserv drops too */
	if (!memcmp(dg + 27, zero, 32))
		return -1;
	memcpy(app_id, dg + 60, 32);
	return 0;
}

void skd_session_udp_close(struct skd *d, struct skd_session *s)
{
	if (s->udp_fd < 0)
		return;
	if (s->udp_polled)
		skd_poll_del(d, s->udp_fd);
	close(s->udp_fd);
	s->udp_fd = -1;
	s->udp_polled = false;
}

static void dtls_start(struct skd *d, struct skd_session *s, int fd, const uint8_t *dg,
		       size_t len)
{
	uint8_t buf[sizeof(struct sk_ipc_dtls_start) + DGRAM_MAX];
	struct sk_ipc_dtls_start *m = (void *)buf;

	(void)d;
	memset(m, 0, sizeof(*m));
	m->dgram_len = (uint32_t)len;
	memcpy(buf + sizeof(*m), dg, len);
	skd_ipc_header(m, SK_IPC_DTLS_START, sizeof(*m) + len);
	if (skd_ipc_send(s->w, buf, sizeof(*m) + len, fd)) {
		syslog(LOG_WARNING, "session %lld: DTLS_START to worker failed", (long long)s->id);
		return;
	}
	s->in_handshake = true;
	s->dtls_start_at = skd_now();
	s->dtls_starts++;
}

void skd_udp_listener(struct skd *d, int idx)
{
	uint8_t dg[DGRAM_MAX], app_id[32];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct skd_session *s;
	int fd, one = 1;
	bool spawn;
	ssize_t n;

	n = recvfrom(d->udp_fd[idx], dg, sizeof(dg), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n <= 0 || skd_clienthello_appid(dg, (size_t)n, app_id))
		return;
	s = skd_session_by_appid(d, app_id);
	if (!s)
		return;		/* unknown: nothing is made for it */
	/* no worker: a DTLS worker for this handshake if the kernel carries
	 * the session (dtlsw.c, bounded there), else DTLS waits for CSTP */
	spawn = !s->w;
	if (spawn && !skd_dtlsw_allowed(d, s, skd_now()))
		return;
	/* a DTLS worker has its handshake: one at a time (its client's
	 * retransmissions reach its connected socket, not this one) */
	if (s->w && s->w->dtls_only)
		return;
	/* retransmissions of the same ClientHello while the socket is made */
	if (s->in_handshake && skd_now() - s->dtls_start_at < 2 &&
	    !memcmp(&s->dtls_remote, &from, sizeof(from)))
		return;
	if (d->binder_on) {
		fd = skd_binder_get(d->binder_fd, (uint32_t)idx);
		if (fd < 0) {
			if (skd_binder_fatal(fd))
				skd_binder_lost(d, strerror(-fd));
			else
				syslog(LOG_WARNING, "session %lld: DTLS socket from the binder: %s",
				       (long long)s->id, strerror(-fd));
			return;		/* no DTLS for this tunnel */
		}
	} else {
		/* not started as root: nothing to separate, bind here */
		fd = socket(from.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (from.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&d->udp_addr[idx], d->udp_len[idx])) {
			syslog(LOG_WARNING, "session %lld: DTLS socket: %m", (long long)s->id);
			close(fd);
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&from, fl)) {
		syslog(LOG_WARNING, "session %lld: DTLS socket: %m", (long long)s->id);
		close(fd);
		return;
	}
	memset(&s->dtls_remote, 0, sizeof(s->dtls_remote));
	memcpy(&s->dtls_remote, &from, fl);
	if (spawn)
		skd_dtlsw_start(d, s, fd, dg, (size_t)n);
	else
		dtls_start(d, s, fd, dg, (size_t)n);
	close(fd);	/* the worker has it now, and gives it back with the keys */
}

void skd_binder_lost(struct skd *d, const char *why)
{
	if (d->binder_fd >= 0) {
		close(d->binder_fd);
		d->binder_fd = -1;
	}
	/* a binder that timed out may still run; SIGCHLD reaps it */
	if (d->binder_pid > 0)
		kill(d->binder_pid, SIGKILL);
	if (d->binder_lost)
		return;
	d->binder_lost = true;
	/* not restarted: a binder that dies was killed or broke, and a loop
	 * of restarts would hide that; a daemon restart brings DTLS back */
	syslog(LOG_ERR, "DTLS binder process lost (%s): new DTLS channels are refused "
	       "(existing ones go on; new tunnels get CSTP only); restart sekishod", why);
}

/* Something the kernel passed up on a session's connected socket. */
void skd_udp_session(struct skd *d, struct skd_session *s)
{
	uint8_t dg[DGRAM_MAX];
	ssize_t n = recv(s->udp_fd, dg, sizeof(dg), MSG_DONTWAIT);

	if (n <= 0)
		return;
	/* a new ClientHello in epoch 0: the client re-handshakes from the same
	 * port (DTLS reconnect after a CSTP rekey); alerts and retransmitted
	 * Finished records are dropped, the kernel keeps the keys it has */
	if (n < 14 || dg[0] != 22 || dg[3] || dg[4] || dg[13] != 1 || s->in_handshake)
		return;
	if (s->w && !s->w->dtls_only) {
		skd_poll_del(d, s->udp_fd);
		s->udp_polled = false;
		dtls_start(d, s, s->udp_fd, dg, (size_t)n);
		if (!s->in_handshake && !skd_poll_add(d, s->udp_fd, &s->ev))
			s->udp_polled = true;
	} else if (!s->w && skd_dtlsw_allowed(d, s, skd_now())) {
		/* the same from a session without a worker: a DTLS worker
		 * (dtlsw.c) gets a copy of the socket; the kernel keeps its
		 * own until the new keys replace it */
		skd_poll_del(d, s->udp_fd);
		s->udp_polled = false;
		skd_dtlsw_start(d, s, s->udp_fd, dg, (size_t)n);
		if (!s->in_handshake && !skd_poll_add(d, s->udp_fd, &s->ev))
			s->udp_polled = true;
	}
}

static bool keys_ok(const struct sk_ipc_dtls_keys *m)
{
	switch (m->cipher) {
	case SEKISHO_CIPHER_AES128_GCM:
		return m->key_len == 16 && m->iv_len == 4;
	case SEKISHO_CIPHER_AES256_GCM:
		return m->key_len == 32 && m->iv_len == 4;
	case SEKISHO_CIPHER_CHACHA20_POLY1305:
		return m->key_len == 32 && m->iv_len == 12;
	}
	return false;
}

/* Tells the worker whether the kernel has the keys; it holds its final
 * DTLS flight until then (ipc.h, DTLS_READY). */
static void dtls_ready(struct skd_worker *w, int status, bool done)
{
	struct sk_ipc_dtls_ready r = { 0 };

	skd_ipc_header(&r, SK_IPC_DTLS_READY, sizeof(r));
	r.status = status;
	r.done = done;
	skd_ipc_send(w, &r, sizeof(r), -1);
}

/*
 * The descriptor of a DTLS_KEYS is the socket main handed out with a
 * DTLS_START: a UDP socket of IPv4 or IPv6, connected to the client.  A
 * worker only ever gets such sockets from main, so anything else (its TCP
 * socket, a unix socket, a pipe, an unconnected socket) is a lie, and it
 * never reaches the kernel (which would refuse most of it too).
 */
static bool dtls_socket_ok(int fd)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int type = 0, proto = 0, dom = 0;
	socklen_t l1 = sizeof(type), l2 = sizeof(proto), l3 = sizeof(dom);

	return !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) && type == SOCK_DGRAM &&
	       !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l2) && proto == IPPROTO_UDP &&
	       !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l3) &&
	       (dom == AF_INET || dom == AF_INET6) &&
	       !getpeername(fd, (struct sockaddr *)&peer, &pl);
}

void skd_on_dtls_keys(struct skd *d, struct skd_worker *w, struct sk_ipc_dtls_keys *m, int fd)
{
	struct skd_session *s = w->s;
	bool joined;
	int ret;

	if (!keys_ok(m) || m->epoch == 0 || m->tx_seq > SEKISHO_SEQ_LIMIT ||
	    m->rx_seq > SEKISHO_SEQ_LIMIT) {
		close(fd);
		skd_worker_fault(d, w, "malformed DTLS_KEYS");
		return;
	}
	if (!dtls_socket_ok(fd)) {
		close(fd);
		skd_worker_fault(d, w, "DTLS_KEYS without a connected UDP socket");
		return;
	}
	/* keys answer a DTLS_START: none before a tunnel, none more than
	 * main sent (a tunnel that main ended or superseded is not the
	 * worker's fault: its session is gone, the keys are refused) */
	if (!w->tunnel || (s && s->dtls_starts <= 0)) {
		close(fd);
		skd_worker_fault(d, w, "DTLS_KEYS without DTLS_START");
		return;
	}
	if (s)
		s->dtls_starts--;
	if (!s || !d->have_kernel) {
		close(fd);
		dtls_ready(w, -ENODEV, false);
		return;
	}
	s->in_handshake = false;
	/*
	 * A new handshake replaces the kernel state of the old one (§6.7).
	 * The peer keeps its CSTP stream, and the kernel sends over DTLS
	 * while the client uses it, else over the stream.  A live peer with
	 * a stream gets the socket added (or its old one replaced) with
	 * PEER_SET: the stream is not touched, so a kTLS stream does not lose
	 * the frame the kernel is half way through (decisions/ktls-stream.md).
	 * Replacing the peer would: with kernel TLS there is no DTLS then.
	 */
	joined = false;
	ret = -ENOENT;
	if (s->peer_live && s->stream_fd >= 0) {
		ret = skd_kernel_peer_socket(&d->k, (uint32_t)s->id, fd);
		joined = !ret;
	}
	if (joined) {
		/* the kernel let go of the old socket: closing it ends nothing */
		skd_session_udp_close(d, s);
		s->udp_fd = fd;
	} else if (s->peer_live && s->stream_ktls) {
		syslog(LOG_ERR, "session %lld: DTLS socket to the kernel TLS peer: %s; CSTP goes on",
		       (long long)s->id, strerror(-ret));
		close(fd);
		fd = -1;
	} else {
		skd_session_peer_del(d, s);
		skd_session_udp_close(d, s);
		s->udp_fd = fd;
		ret = skd_session_peer_new(d, s, fd);
	}
	if (!ret) {
		ret = skd_kernel_key_new(&d->k, (uint32_t)s->id, m->epoch, m->cipher, m->enc_key, m->enc_iv,
					 m->tx_seq, m->dec_key, m->dec_iv, m->rx_seq,
					 m->key_len, m->iv_len);
	}
	sk_wipe(m->enc_key, sizeof(m->enc_key));
	sk_wipe(m->dec_key, sizeof(m->dec_key));
	sk_wipe(m->enc_iv, sizeof(m->enc_iv));
	sk_wipe(m->dec_iv, sizeof(m->dec_iv));
	if (ret && (joined || fd < 0)) {
		/* the peer and its stream stay as they are (joined: with the
		 * socket but no key, so it answers over the stream; closing
		 * the socket would end the peer); the client's handshake
		 * fails without the final flight and it stays on CSTP */
		if (joined)
			syslog(LOG_ERR, "session %lld: kernel key: %s", (long long)s->id,
			       strerror(-ret));
		dtls_ready(w, ret, false);
		if (s->udp_fd >= 0 && !s->udp_polled && !skd_poll_add(d, s->udp_fd, &s->ev))
			s->udp_polled = true;
		return;
	}
	if (ret) {
		/* the client keeps the tunnel over CSTP; it retries DTLS later */
		syslog(LOG_ERR, "session %lld: kernel peer/key: %s", (long long)s->id, strerror(-ret));
		skd_session_peer_del(d, s);
		skd_session_udp_close(d, s);
		dtls_ready(w, ret, false);
		/* the CSTP data path goes on without DTLS */
		if (s->stream_fd >= 0 && (ret = skd_session_peer_new(d, s, -1)))
			syslog(LOG_ERR, "session %lld: kernel peer (CSTP only): %s", (long long)s->id,
			       strerror(-ret));
		return;
	}
	/* the kernel holds the socket as long as this fd lives: keep it, and
	 * read what the kernel passes up */
	if (!skd_poll_add(d, fd, &s->ev))
		s->udp_polled = true;
	/*
	 * The worker stays for now (done is not set).  Letting it go here,
	 * once the kernel has both paths, lost DTLS for good when the client
	 * had already given up this handshake (openconnect times out after
	 * 12 s under load and retries every 60 s: its retries found no
	 * worker).  On kernel TLS it goes once the kernel has a DTLS record
	 * of the client's under this key (skd_ktls_timer; ktls-handoff.md,
	 * "The worker exits").
	 */
	s->dtls_epoch = m->epoch;
	s->dtls_rx0 = m->rx_seq;
	if (w->dtls_only) {
		/* a DTLS worker: its one handshake is done, it sends its last
		 * flight and exits; nothing of the session is left with it */
		w->s = NULL;
		s->w = NULL;
		s->dtls_confirm = false;
		dtls_ready(w, 0, true);
		skd_log("session %lld: DTLS keys from DTLS worker %d: the kernel carries TLS and "
			"DTLS, the worker leaves", (long long)s->id, (int)w->pid);
		return;
	}
	s->dtls_confirm = s->stream_ktls;
	dtls_ready(w, 0, false);
}

void skd_on_dtls_fail(struct skd *d, struct skd_worker *w, const struct sk_ipc_dtls_fail *m)
{
	struct skd_session *s = w->s;

	if (!memchr(m->reason, 0, sizeof(m->reason)) || !w->tunnel) {
		skd_worker_fault(d, w, "malformed DTLS_FAIL");
		return;
	}
	if (!s)
		return;
	{
		char why[sizeof(m->reason) * 4];

		/* the worker's words: escaped (it is hostile by now) */
		sk_text_escape(m->reason, why, sizeof(why));
		skd_log("session %lld: DTLS handshake failed in worker %d: %s", (long long)s->id,
			(int)w->pid, why);
	}
	/* after DTLS_KEYS that the kernel refused the worker says FAIL too */
	if (s->dtls_starts > 0)
		s->dtls_starts--;
	s->in_handshake = false;
	if (s->udp_fd >= 0 && !s->udp_polled && !skd_poll_add(d, s->udp_fd, &s->ev))
		s->udp_polled = true;
}
