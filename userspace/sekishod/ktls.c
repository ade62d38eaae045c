// SPDX-License-Identifier: GPL-2.0
/*
 * The CSTP stream handed to kernel TLS (issue 16).  After the CONNECT
 * reply the worker sends the client's TCP socket with the keys and record
 * sequence numbers of the moment (ipc.h: KTLS); main checks that the
 * socket is the one it accepted for that worker, installs kernel TLS on
 * it (lib/sktls.h) and makes it the kernel peer's stream, kind ktls, in
 * place of the worker's relay.  Anything that stands in the way leaves
 * the relay as it was, counted by reason and audited ("stream"), so that
 * `sekictl session show` says which path a tunnel takes.  Why each step
 * is as it is: Documentation/decisions/ktls-handoff.md.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/sekisho.h>

#include "daemon.h"

/* the fall-back reasons counted; the worker's keywords (sk_ktls_export),
 * main's own, then "other" for anything a worker made up */
static const char *const reasons[SKD_KTLS_REASONS] = {
	"off", "no-kernel", "cipher", "version", "post-handshake", "handshake", "pending",
	"secrets", "kdf", "no-tls-module", "kernel-cipher", "kernel-rx", "peer", "dtls", "other",
};
#define OTHER 14

const char *skd_ktls_reason(int i)
{
	return i >= 0 && i < SKD_KTLS_REASONS ? reasons[i] : NULL;
}

bool skd_ktls_enabled(struct skd *d)
{
	char v[8];

	return sk_setting_get(d->st, "session.ktls", v, sizeof(v)) || strcmp(v, "off");
}

/* session.ktls_dtls: kernel TLS for tunnels offered DTLS too (default on) */
static bool ktls_dtls(struct skd *d)
{
	char v[8];

	return !sk_setting_get(d->st, "session.ktls_dtls", v, sizeof(v)) && !strcmp(v, "on");
}

static const char *cipher_name(uint16_t c)
{
	return c == SK_KTLS_AES128_GCM ? "aes-128-gcm" :
	       c == SK_KTLS_AES256_GCM ? "aes-256-gcm" : "chacha20-poly1305";
}

/* counted, logged and audited: the audit record is what session show reads */
static void outcome(struct skd *d, struct skd_worker *w, const struct skd_session *s, const char *why,
		    const struct sk_ktls_keys *k)
{
	char detail[160];
	int i;

	if (!why) {
		d->ktls_handed++;
		snprintf(detail, sizeof(detail),
			 "{\"session\":%lld,\"stream\":\"ktls\",\"tls\":\"%s\",\"cipher\":\"%s\"}",
			 s ? (long long)s->id : 0LL, k->version == 0x0304 ? "1.3" : "1.2",
			 cipher_name(k->cipher));
		skd_log("session %lld: CSTP on kernel TLS (TLS %s, %s)", s ? (long long)s->id : 0LL,
			k->version == 0x0304 ? "1.3" : "1.2", cipher_name(k->cipher));
	} else {
		for (i = 0; i < OTHER && strcmp(reasons[i], why); i++)
			;
		d->ktls_relayed[i]++;
		snprintf(detail, sizeof(detail), "{\"session\":%lld,\"stream\":\"relay\",\"reason\":\"%s\"}",
			 s ? (long long)s->id : 0LL, reasons[i]);
		skd_log("session %lld: CSTP relayed by the worker (kernel TLS: %s)",
			s ? (long long)s->id : 0LL, reasons[i]);
	}
	skd_audit(d, "stream", s ? s->user : "", s ? s->device : "", w->remote,
		  why ? "relay" : "ktls", detail);
}

uint32_t skd_ktls_offer(struct skd *d, struct skd_worker *w, const struct skd_session *s, int relay)
{
	if (relay < 0)
		return 0;	/* no kernel stream at all (DTLS only) */
	if (!skd_ktls_enabled(d)) {
		outcome(d, w, s, "off", NULL);
		return 0;
	}
	/*
	 * A client offered DTLS gets kernel TLS too: when its DTLS handshake
	 * completes, PEER_SET adds the UDP socket to the live peer beside the
	 * stream (udp.c), which goes on untouched.  (Replacing the peer, as
	 * before, made the new peer read from the middle of a frame the old
	 * one had half read: 4 of 50 sessions lost in an e2e scale run.)
	 * session.ktls_dtls off keeps the relay for them.
	 */
	if (w->dtls_offered && !ktls_dtls(d)) {
		outcome(d, w, s, "dtls", NULL);
		return 0;
	}
	w->ktls_done = false;
	/* DTLS offered: the KTLS brings the DTLS PSK (dtlsw.c) */
	return SK_CONNECT_KTLS | (w->dtls_offered ? SK_CONNECT_DTLS : 0);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/*
 * The worker is hostile by now (it parsed the client's input): the socket
 * it sends must be the very connection main accepted for it, not another
 * descriptor it holds (main's IPC end, a DTLS socket, the key holder's),
 * still a plain TCP connection to the same client with no upper layer
 * protocol yet.  NULL when it is, else what is wrong.
 */
static const char *client_socket_check(const struct skd_worker *w, int fd)
{
	struct sockaddr_storage peer;
	socklen_t l = sizeof(peer);
	char ulp[16] = "";
	socklen_t ul = sizeof(ulp);
	int type = 0, proto = 0;
	socklen_t l1 = sizeof(type), l2 = sizeof(proto);
	struct stat st;

	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return "KTLS with a descriptor that is not a socket";
	if (!w->client_ino || st.st_dev != w->client_dev || st.st_ino != w->client_ino)
		return "KTLS with a socket that is not its client's connection";
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l2) || proto != IPPROTO_TCP)
		return "KTLS with a socket that is not TCP";
	if (getpeername(fd, (struct sockaddr *)&peer, &l) || !same_addr(&peer, &w->peer))
		return "KTLS with a socket connected elsewhere";
	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &ul) || ulp[0])
		return "KTLS with a socket that has an upper layer protocol already";
	return NULL;
}

static void ready(struct skd *d, struct skd_worker *w, int status, bool lost, bool done)
{
	struct sk_ipc_ktls_ready r;

	memset(&r, 0, sizeof(r));
	skd_ipc_header(&r, SK_IPC_KTLS_READY, sizeof(r));
	r.status = status;
	r.lost = lost;
	r.done = done;
	if (skd_ipc_send(w, &r, sizeof(r), -1))
		skd_worker_kill(d, w, NULL);
}

void skd_on_ktls(struct skd *d, struct skd_worker *w, struct sk_ipc_ktls *m, int fd)
{
	struct skd_session *s = w->s;
	struct sk_ktls_keys k = m->keys;
	const char *why = NULL, *bad;
	bool lost = false, done;
	static const uint8_t zero32[32];
	uint8_t psk[32];
	int ret = -ENODEV;

	memcpy(psk, m->dtls_psk, sizeof(psk));
	sk_wipe(&m->keys, sizeof(m->keys));
	sk_wipe(m->dtls_psk, sizeof(m->dtls_psk));
	if (!w->tunnel || w->ktls_done)
		bad = "KTLS without a CONNECT that offered it";
	else if (!sk_ktls_keys_ok(&k) || m->has_psk != (uint32_t)w->dtls_offered ||
		 (!m->has_psk && !sk_ct_equal(psk, zero32, sizeof(psk))))
		bad = "malformed KTLS";	/* a PSK exactly when DTLS was offered */
	else
		bad = client_socket_check(w, fd);
	if (bad) {
		sk_wipe(&k, sizeof(k));
		sk_wipe(psk, sizeof(psk));
		close(fd);
		skd_worker_fault(d, w, bad);
		return;
	}
	w->ktls_done = true;
	if (!s || s->w != w || !d->have_kernel || s->stream_fd < 0)
		why = "no-kernel";	/* ended or superseded meanwhile */
	else if (!skd_ktls_enabled(d))
		why = "off";		/* turned off since the CONNECT */
	else
		ret = sk_ktls_install(fd, &k, &why, &lost);
	if (!why) {
		int relay = s->stream_fd;

		/* the relay's peer makes way for one with the TCP socket */
		s->stream_fd = fd;
		s->stream_ktls = true;
		s->ktls_at = skd_now();
		ret = skd_session_peer_new(d, s, -1);
		if (ret) {
			why = "peer";
			lost = true;
			s->stream_fd = relay;
			s->stream_ktls = false;
			s->ktls_at = 0;
			if (skd_session_peer_new(d, s, -1))
				syslog(LOG_ERR, "session %lld: kernel peer with the relay: lost",
				       (long long)s->id);
			syslog(LOG_ERR, "session %lld: kernel peer with the kernel TLS stream: %s",
			       (long long)s->id, strerror(-ret));
		} else {
			close(relay);
		}
	}
	/* no DTLS to come: the kernel carries all of the session, the worker
	 * exits (issue 16's end state for TLS-only tunnels); the session is
	 * not detached by its going.  With DTLS offered it stays for the
	 * handshake (ktls-handoff.md: the plan for that case) */
	done = !why && !w->dtls_offered;
	/* the kernel carries the TLS connection: main keeps its DTLS PSK for
	 * the handshakes after the worker left (dtlsw.c) */
	if (!why && w->dtls_offered) {
		memcpy(s->dtls_psk, psk, sizeof(psk));
		s->has_psk = true;
	}
	sk_wipe(psk, sizeof(psk));
	ready(d, w, why ? (ret ? ret : -EPERM) : 0, lost, done);
	outcome(d, w, s, why, &k);
	sk_wipe(&k, sizeof(k));
	if (why)
		close(fd);
	if (done) {
		w->s = NULL;
		s->w = NULL;
		skd_log("session %lld: carried by the kernel, worker %d leaves", (long long)s->id,
			(int)w->pid);
	}
}

void skd_on_ktls_skip(struct skd *d, struct skd_worker *w, const struct sk_ipc_ktls_skip *m)
{
	size_t n = strnlen(m->reason, sizeof(m->reason));

	if (!w->tunnel || w->ktls_done || n == 0 || n == sizeof(m->reason) ||
	    strspn(m->reason, "abcdefghijklmnopqrstuvwxyz-") != n) {
		skd_worker_fault(d, w, "malformed KTLS_SKIP");
		return;
	}
	w->ktls_done = true;
	outcome(d, w, w->s, m->reason, NULL);
}

void skd_ktls_bye(struct skd_session *s, const char *text)
{
	uint8_t f[8 + 1 + 127];
	size_t tl = text ? strnlen(text, 127) : 0;

	if (!s->stream_ktls || s->stream_fd < 0)
		return;
	/* §5 header, DISCONNECT (§7.5): a code, then the text */
	memcpy(f, "STF\x01", 4);
	f[4] = (uint8_t)((1 + tl) >> 8);
	f[5] = (uint8_t)(1 + tl);
	f[6] = 0x05;
	f[7] = 0;
	f[8] = 0xb0;
	if (tl)
		memcpy(f + 9, text, tl);
	/* one send, one TLS record; a full socket loses the goodbye only */
	(void)send(s->stream_fd, f, 9 + tl, MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool skd_ktls_peer_gone(struct skd *d, struct skd_session *s, uint32_t reason)
{
	if (!s->stream_ktls)
		return false;
	switch (reason) {
	case SEKISHO_DEL_REASON_CLIENT_DISCONNECT:
		skd_session_end(d, s, "logout");
		return true;
	case SEKISHO_DEL_REASON_STREAM_CLOSED:
	case SEKISHO_DEL_REASON_STREAM_MALFORMED:
	case SEKISHO_DEL_REASON_TLS_RECORD:
	case SEKISHO_DEL_REASON_TLS_BAD_RECORD:
		break;
	default:
		return false;
	}
	/* the TCP connection is over: its worker has nothing left to do,
	 * the session waits for a reconnect with the cookie */
	skd_log("session %lld: kernel TLS stream ended (%s)", (long long)s->id,
		reason == SEKISHO_DEL_REASON_STREAM_CLOSED ? "stream-closed" :
		reason == SEKISHO_DEL_REASON_STREAM_MALFORMED ? "stream-malformed" :
		reason == SEKISHO_DEL_REASON_TLS_RECORD ? "tls-record" : "tls-bad-record");
	close(s->stream_fd);
	s->stream_fd = -1;
	s->stream_ktls = false;
	s->ktls_at = 0;
	skd_dtlsw_forget(s);	/* the PSK of that connection */
	if (s->w && s->w->dtls_only) {
		/* a DTLS worker: gone with the connection whose PSK it had;
		 * the session is detached below */
		struct skd_worker *w = s->w;

		w->s = NULL;
		s->w = NULL;
		skd_worker_kill(d, w, NULL);
	}
	if (s->w) {
		skd_worker_kill(d, s->w, NULL);	/* detaches s */
	} else if (!s->detached_at) {
		/* its worker left at the hand-off: detached from now on */
		struct sk_session row;

		s->detached_at = skd_now();
		if (!sk_session_get(d->st, s->id, &row) &&
		    (!row.gateway[0] || !strcmp(row.gateway, sk_store_gateway(d->st)))) {
			row.pid = 0;
			sk_session_update(d->st, &row);
		}
	}
	return true;
}

/* the worker of a session the kernel carries goes: unlinked first, so
 * that its going does not detach the session; on kernel TLS it exits
 * without a word to the client */
static void worker_leaves(struct skd *d, struct skd_session *s)
{
	struct skd_worker *w = s->w;

	w->s = NULL;
	s->w = NULL;
	s->dtls_confirm = false;
	skd_worker_kill(d, w, "");
}

/*
 * The kernel has a DTLS record of the client's under the key of the last
 * handshake (a sequence number above the one KEY_NEW gave it): the client
 * completed that handshake and uses it, so no retry of it will come, and
 * the kernel carries both paths.  Then the worker leaves (issue 16).
 * Before that it stays: a client that gave the handshake up (openconnect:
 * after 12 s) tries again from a new port, and that needs the worker.
 */
static bool dtls_confirmed(struct skd *d, const struct skd_session *s)
{
	struct skd_kstats ks;

	if (!s->dtls_confirm || !s->peer_live || s->in_handshake || s->dtls_starts > 0 ||
	    skd_kernel_peer_stats(&d->k, (uint32_t)s->id, &ks))
		return false;
	return ks.has_key_rx && ks.key_epoch == s->dtls_epoch && ks.key_rx_seq > s->dtls_rx0;
}

void skd_ktls_timer(struct skd *d, struct skd_session *s, int64_t now, int dtls_wait)
{
	struct skd_worker *w = s->w;
	/* from the hand-off or the client's last DTLS attempt: a client
	 * whose handshakes fail under load retries (openconnect every 60 s)
	 * and keeps its worker; a ClientHello that never arrives (UDP
	 * blocked) does not */
	int64_t since = s->dtls_start_at > s->ktls_at ? s->dtls_start_at : s->ktls_at;

	if (!w || !s->stream_ktls || !s->ktls_at)
		return;
	/* a DTLS worker ends with its handshake: one still there is stuck
	 * (or hostile) */
	if (w->dtls_only) {
		if (now - w->started >= SKD_DTLS_LIFE) {
			skd_log("session %lld: DTLS worker %d still there after %d s: killed",
				(long long)s->id, (int)w->pid, SKD_DTLS_LIFE);
			w->s = NULL;
			s->w = NULL;
			skd_dtlsw_ended(d, s);
			skd_worker_kill(d, w, NULL);
		}
		return;
	}
	if (dtls_confirmed(d, s)) {
		skd_log("session %lld: TLS and DTLS in the kernel (a DTLS record of the client's "
			"under the new key): worker %d leaves", (long long)s->id, (int)w->pid);
		worker_leaves(d, s);
		return;
	}
	/* a worker still on a kTLS session: its DTLS has not come (or its
	 * client has sent nothing under the last handshake's key) */
	if (s->in_handshake || dtls_wait <= 0 || now - since < dtls_wait)
		return;
	skd_log("session %lld: no DTLS attempt within session.dtls_wait (%d s): worker %d leaves, "
		"the kernel carries the CSTP", (long long)s->id, dtls_wait, (int)w->pid);
	worker_leaves(d, s);
}
