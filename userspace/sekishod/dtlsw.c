// SPDX-License-Identifier: GPL-2.0
/*
 * DTLS workers (issue 16): a later DTLS handshake of a session whose own
 * worker has left.  Once the kernel carries a session's TLS connection
 * (kernel TLS) and its DTLS, no process remains for it; main keeps the
 * DTLS PSK the worker exported with its KTLS.  When a ClientHello of the
 * session comes later (openconnect starts a new handshake after its DTLS
 * DPD declared the peer dead, after a network change, a NAT rebinding),
 * main starts a worker for that one handshake: from the template like a
 * connection's worker (same sandbox), with the UDP socket connected to
 * the client as its only socket besides its IPC one (no TCP connection,
 * no key holder socket), and sends it the PSK and the datagram
 * (ipc.h, DTLS_RESUME).  Its DTLS_KEYS are checked and programmed as a
 * connection worker's (udp.c); with DTLS_READY done it exits.
 *
 * Bounds, checked before anything is made: the ClientHello's App-ID must
 * be a live session's (compared in constant time, skd_session_by_appid),
 * which has the PSK of a TLS connection the kernel carries and no worker
 * (so at most one DTLS worker per session at a time); one start per
 * session every SKD_DTLS_EVERY seconds; SKD_DTLS_WORKERS at once.  A DTLS
 * worker parsed the client's datagrams: main takes only DTLS_KEYS and
 * DTLS_FAIL from it (loop.c) and kills one that lives longer than
 * SKD_DTLS_LIFE seconds (ktls.c, skd_ktls_timer).
 * Why: Documentation/decisions/ktls-handoff.md, "Later DTLS handshakes".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"

void skd_dtlsw_forget(struct skd_session *s)
{
	sk_wipe(s->dtls_psk, sizeof(s->dtls_psk));
	s->has_psk = false;
}

void skd_dtlsw_ended(struct skd *d, struct skd_session *s)
{
	s->in_handshake = false;
	/* the session's own socket, if the worker had a copy: the kernel
	 * passes up what it does not handle again (a ClientHello from the
	 * same port) */
	if (s->udp_fd >= 0 && !s->udp_polled && !skd_poll_add(d, s->udp_fd, &s->ev))
		s->udp_polled = true;
}

bool skd_dtlsw_allowed(struct skd *d, struct skd_session *s, int64_t now)
{
	/* the kernel carries the session and main has the PSK; otherwise a
	 * ClientHello waits for a worker as before (a reconnect brings one) */
	if (s->w || !s->has_psk || !s->stream_ktls || !s->peer_live || !d->have_kernel)
		return false;
	if (s->dtls_spawned && now - s->dtls_spawned < SKD_DTLS_EVERY) {
		d->dtlsw_rate++;
		return false;
	}
	if (d->n_dtlsw >= SKD_DTLS_WORKERS) {
		d->dtlsw_cap++;
		return false;
	}
	return true;
}

static struct skd_worker *free_slot(struct skd *d)
{
	for (int i = 0; i < SKD_MAX_WORKERS; i++)
		if (!d->workers[i].used)
			return &d->workers[i];
	return NULL;
}

static int resume(struct skd_worker *w, const struct skd_session *s, const uint8_t *dg,
		  size_t len)
{
	size_t ml = sizeof(struct sk_ipc_dtls_resume) + len;
	struct sk_ipc_dtls_resume *m = calloc(1, ml);
	int ret;

	if (!m)
		return -ENOMEM;
	memcpy(m->psk, s->dtls_psk, sizeof(m->psk));
	m->base_mtu = s->dtls_base_mtu;
	m->mtu = s->dtls_mtu;
	m->dgram_len = (uint32_t)len;
	memcpy(m + 1, dg, len);
	skd_ipc_header(m, SK_IPC_DTLS_RESUME, ml);
	ret = skd_ipc_send(w, m, ml, -1);
	sk_wipe(m, sizeof(*m));
	free(m);
	return ret;
}

bool skd_dtlsw_start(struct skd *d, struct skd_session *s, int fd, const uint8_t *dg, size_t len)
{
	struct skd_worker *w = free_slot(d);
	int64_t now = skd_now();
	pid_t pid;
	int ipc;

	if (!w || len == 0 || len > SK_IPC_DGRAM_MAX)
		return false;
	s->dtls_spawned = now;
	ipc = skd_dtls_worker_start(d, fd, &pid);
	if (ipc < 0) {
		syslog(LOG_WARNING, "session %lld: no DTLS worker could be started",
		       (long long)s->id);
		return false;
	}
	skd_worker_slot(d, w, pid, ipc, &s->dtls_remote, now);
	w->tunnel = true;	/* not a login: never counted as pre-auth */
	w->ktls_done = true;	/* no KTLS from it */
	w->dtls_only = true;
	d->n_dtlsw++;
	d->dtlsw_started++;
	w->s = s;
	s->w = w;
	s->dtls_starts = 1;
	s->in_handshake = true;
	s->dtls_start_at = now;
	s->dtls_confirm = false;
	if (skd_poll_add(d, w->fd, &w->ev) || resume(w, s, dg, len)) {
		w->s = NULL;
		s->w = NULL;
		s->dtls_starts = 0;
		s->in_handshake = false;
		skd_worker_kill(d, w, NULL);
		return false;
	}
	skd_log("session %lld: a DTLS handshake from %s without a worker: DTLS worker %d",
		(long long)s->id, w->remote, (int)pid);
	return true;
}
