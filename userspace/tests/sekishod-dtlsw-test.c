// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekishod/dtlsw.c (issue 16): a later DTLS handshake of a
 * session whose worker has left.  Main's DTLS listener (udp.c) on the
 * loopback, the real sekishod-worker of this build (exec'd, then forked by
 * the worker template; in its sandbox) and a real OpenSSL DTLS client that puts the session's App-ID
 * in its ClientHello, as openconnect does.  A ClientHello of the session
 * starts one DTLS worker, which completes the PSK handshake with the PSK
 * main kept and sends DTLS_KEYS; one with an unknown App-ID starts
 * nothing; a flood of ClientHellos for one session starts one worker, the
 * rate limit and the global cap hold; a DTLS worker that sends anything
 * but DTLS_KEYS or DTLS_FAIL is killed and the session stays; the PSK is
 * wiped when the session's TLS connection or the session ends.  No
 * kernel: the session is set up by hand as if the kernel carried it
 * (stream_ktls, peer_live) with no stream socket, so main answers the keys
 * without a kernel call (DTLS_READY -ENOENT).  TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <linux/sekisho.h>

#include "daemon.h"
#include "skfd.h"
#include "tap.h"
#include "testcert.h"

static struct tap t;
static struct skd d;
static char dir[] = "/tmp/sekishod-dtlsw-test.XXXXXX";	/* short: paths fit the conf */
static uint8_t the_psk[32];

static unsigned int psk_cb(SSL *s, const char *hint, char *id, unsigned int idmax,
			   unsigned char *psk, unsigned int pmax)
{
	(void)s, (void)hint;
	if (idmax < 4 || pmax < 32)
		return 0;
	strcpy(id, "psk");
	memcpy(psk, the_psk, 32);
	return 32;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* a DTLS client from a new port whose ClientHello carries app_id (as
 * openconnect's: a session of that id to "resume"), sent to the listener */
static SSL *client(SSL_CTX *dc, const uint8_t app_id[32], int *fd)
{
	struct sockaddr_in *to = (struct sockaddr_in *)&d.udp_addr[0];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	SSL_SESSION *ss = SSL_SESSION_new();
	SSL *c = SSL_new(dc);
	BIO *b;

	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bind(*fd, (struct sockaddr *)&a, sizeof(a));
	connect(*fd, (struct sockaddr *)to, sizeof(*to));
	SSL_SESSION_set1_id(ss, app_id, 32);
	SSL_SESSION_set_protocol_version(ss, DTLS1_2_VERSION);
	SSL_SESSION_set_cipher(ss, SSL_CIPHER_find(c, (const unsigned char *)"\x00\xa9"));
	SSL_set_session(c, ss);
	SSL_SESSION_free(ss);
	b = BIO_new_dgram(*fd, BIO_NOCLOSE);
	BIO_ctrl(b, BIO_CTRL_DGRAM_SET_CONNECTED, 0, to);
	SSL_set_bio(c, b, b);
	SSL_connect(c);	/* the ClientHello goes */
	return c;
}

static void drop(SSL *c, int fd)
{
	SSL_set_quiet_shutdown(c, 1);
	SSL_free(c);
	close(fd);
}

/* main's loop: the listener's datagrams */
static void listen_once(void)
{
	struct pollfd p = { .fd = d.udp_fd[0], .events = POLLIN };

	while (poll(&p, 1, 200) == 1)
		skd_udp_listener(&d, 0);
}

static int workers_used(void)
{
	int n = 0;

	for (int i = 0; i < SKD_MAX_WORKERS; i++)
		n += d.workers[i].used;
	return n;
}

/* SIGCHLD as main's loop handles it (loop.c reap) */
static void reap(int ms)
{
	double end = now_ms() + ms;
	int st;

	for (;;) {
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid > 0) {
			for (int i = 0; i < SKD_MAX_WORKERS; i++) {
				struct skd_worker *w = &d.workers[i];

				if (!w->used || w->pid != pid)
					continue;
				skd_worker_gone(&d, w);
				if (w->fd >= 0) {
					skd_poll_del(&d, w->fd);
					close(w->fd);
				}
				memset(w, 0, sizeof(*w));
				w->fd = -1;
			}
			continue;
		}
		if (!workers_used() || now_ms() >= end)
			return;
		usleep(10000);
	}
}

static void kill_all(void)
{
	for (int i = 0; i < SKD_MAX_WORKERS; i++)
		if (d.workers[i].used && d.workers[i].pid > 0)
			kill(d.workers[i].pid, SIGKILL);
	reap(3000);
}

/* the pid of the worker that handed the session over, in its store row */
#define HANDED_PID 4242

/* the session's store row: its pid, or -1 */
static int row_pid(const struct skd_session *s)
{
	struct sk_session row;

	return sk_session_get(d.st, s->id, &row) ? -1 : row.pid;
}

/* the session as the kernel would carry it with its worker gone */
static struct skd_session *carried(void)
{
	struct skd_session *s = &d.sessions[0];
	struct sk_session row = { .pid = HANDED_PID };

	skd_session_clear(s);
	s->used = true;
	/* its row as the CONNECT of the worker that handed it over wrote it */
	RAND_bytes(row.cookie_hash, sizeof(row.cookie_hash));
	snprintf(row.user, sizeof(row.user), "alice");
	row.started = row.last_seen = skd_now();
	row.expires = row.started + 3600;
	s->id = sk_session_add(d.st, &row) ? 7 : row.id;
	snprintf(s->user, sizeof(s->user), "alice");
	RAND_bytes(s->app_id, 32);
	s->has_app_id = true;
	memcpy(s->dtls_psk, the_psk, 32);
	s->has_psk = true;
	s->stream_ktls = true;
	s->peer_live = true;
	s->ktls_at = skd_now();
	s->dtls_base_mtu = 1500;
	s->dtls_mtu = 1400;
	return s;
}

/* the first message the DTLS worker w sends main, peeked, then handled
 * by main (skd_worker_recv); its type, or 0 */
static int worker_says(struct skd_worker *w, int ms)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	struct sk_ipc_hdr h = { 0 };

	if (w->fd < 0 || poll(&p, 1, ms) != 1 ||
	    recv(w->fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT) < (ssize_t)sizeof(h)) {
		return 0;
	}
	skd_worker_recv(&d, w);
	return h.type;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void handshake(SSL_CTX *dc)
{
	struct skd_session *s = carried();
	struct skd_worker *w;
	int fd, first = 0, r = -1;
	double end;
	SSL *c;

	d.dtlsw_started = 0;
	c = client(dc, s->app_id, &fd);
	listen_once();
	w = s->w;
	tap_ok(&t, w && w->dtls_only && d.n_dtlsw == 1 && d.dtlsw_started == 1 && s->in_handshake,
	       "a ClientHello of a session without a worker starts one DTLS worker (pid %d)",
	       w ? (int)w->pid : 0);
	/* decisions/ktls-handoff.md: the row's pid stays the handing-over
	 * worker's (0 would say detached); the DTLS worker is in the journal */
	tap_ok(&t, row_pid(s) == HANDED_PID,
	       "its store row keeps the pid of the worker that handed it over (%d)", row_pid(s));
	/* the client handshakes with it; main takes what it says */
	end = now_ms() + 10000;
	while (w && now_ms() < end && !first) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		r = SSL_connect(c);
		if (r == 1 || SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
			break;
		poll(&p, 1, 10);
		first = worker_says(w, 0);
	}
	tap_ok(&t, first == SK_IPC_DTLS_KEYS,
	       "it completes the PSK handshake with the PSK main kept: main gets DTLS_KEYS (%d)",
	       first);
	tap_ok(&t, s->dtls_starts == 0 && !s->in_handshake,
	       "main took the keys (no kernel here: refused, DTLS_READY -ENOENT)");
	/* the refused keys: the worker says DTLS_FAIL and exits */
	first = w && w->used ? worker_says(w, 3000) : 0;
	reap(3000);
	tap_ok(&t, first == SK_IPC_DTLS_FAIL && workers_used() == 0 && d.n_dtlsw == 0 && !s->w &&
	       s->used && !s->detached_at,
	       "the DTLS worker says DTLS_FAIL and exits; the session stays, without a worker");
	tap_ok(&t, row_pid(s) == HANDED_PID,
	       "... its row still says pid %d, not 0 (session list: connected, not detached)",
	       row_pid(s));
	drop(c, fd);
}

static void unknown(SSL_CTX *dc)
{
	uint8_t other[32];
	int fd;
	SSL *c;

	carried();
	RAND_bytes(other, sizeof(other));
	d.dtlsw_started = 0;
	c = client(dc, other, &fd);
	listen_once();
	tap_ok(&t, workers_used() == 0 && d.dtlsw_started == 0 && !d.sessions[0].w,
	       "a ClientHello with an unknown App-ID starts nothing");
	drop(c, fd);
}

static void flood(SSL_CTX *dc)
{
	struct skd_session *s = carried();
	int fds[20];
	SSL *cs[20];

	d.dtlsw_started = d.dtlsw_rate = 0;
	for (int i = 0; i < 20; i++)
		cs[i] = client(dc, s->app_id, &fds[i]);
	listen_once();
	tap_ok(&t, workers_used() == 1 && d.dtlsw_started == 1,
	       "20 ClientHellos of one session from 20 ports: one DTLS worker (%d)", workers_used());
	/* past the rate limit, its worker still there: none more either */
	s->dtls_spawned -= SKD_DTLS_EVERY;
	for (int i = 1; i < 6; i++)
		drop(cs[i], fds[i]);
	for (int i = 1; i < 6; i++)
		cs[i] = client(dc, s->app_id, &fds[i]);
	listen_once();
	tap_ok(&t, workers_used() == 1 && d.dtlsw_started == 1,
	       "5 more after %d s, its DTLS worker still running: none more (%d running, %llu started)",
	       SKD_DTLS_EVERY, workers_used(), (unsigned long long)d.dtlsw_started);
	s->dtls_spawned += SKD_DTLS_EVERY;	/* its start: a moment ago */
	kill_all();
	tap_ok(&t, !s->w && !s->in_handshake && s->has_psk && !s->detached_at,
	       "its end leaves the session as it was (not detached)");
	/* at once again: the per-session rate */
	for (int i = 0; i < 20; i++)
		drop(cs[i], fds[i]);
	for (int i = 0; i < 20; i++)
		cs[i] = client(dc, s->app_id, &fds[i]);
	listen_once();
	tap_ok(&t, workers_used() == 0 && d.dtlsw_started == 1 && d.dtlsw_rate == 20,
	       "20 more within %d s of the first: none (rate limit, %llu refused)", SKD_DTLS_EVERY,
	       (unsigned long long)d.dtlsw_rate);
	kill_all();
	for (int i = 0; i < 20; i++)
		drop(cs[i], fds[i]);

	/* the global cap */
	s = carried();
	d.n_dtlsw = SKD_DTLS_WORKERS;
	d.dtlsw_cap = 0;
	cs[0] = client(dc, s->app_id, &fds[0]);
	listen_once();
	tap_ok(&t, workers_used() == 0 && d.dtlsw_cap == 1,
	       "with %d DTLS workers running: none more", SKD_DTLS_WORKERS);
	kill_all();
	d.n_dtlsw = 0;
	drop(cs[0], fds[0]);
}

/* a DTLS worker that says anything else: killed, the session stays */
static void hostile(SSL_CTX *dc)
{
	struct skd_session *s = carried();
	struct sk_ipc_cstp_end e = { 0 };
	struct skd_worker *w;
	int fd, sv[2];
	SSL *c;

	c = client(dc, s->app_id, &fd);
	listen_once();
	w = s->w;
	s->peer_live = false;	/* no kernel call if the session ended */
	/* its IPC socket taken over by the test: the worker "says" CSTP_END */
	if (!w || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		tap_ok(&t, false, "a DTLS worker for the hostile test");
		drop(c, fd);
		return;
	}
	kill(w->pid, SIGKILL);
	skd_poll_del(&d, w->fd);
	close(w->fd);
	w->fd = sv[0];
	e.reason = SK_END_BYE;
	skd_ipc_header(&e, SK_IPC_CSTP_END, sizeof(e));
	send(sv[1], &e, sizeof(e), 0);
	skd_worker_recv(&d, w);
	tap_ok(&t, w->fd < 0 && s->used && !s->w && !s->detached_at && s->has_psk,
	       "a DTLS worker's CSTP_END (BYE) kills it; the session stays, not detached");
	close(sv[1]);
	reap(3000);
	drop(c, fd);
}

static void wiped(SSL_CTX *dc)
{
	struct skd_session *s = carried();
	int sp[2], fd;
	SSL *c;

	/* the kernel ends the TLS stream: the PSK of that connection goes */
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	s->stream_fd = sp[0];
	d.have_kernel = false;	/* no PEER_DEL for the peer the kernel ended */
	s->peer_live = false;
	skd_ktls_peer_gone(&d, s, SEKISHO_DEL_REASON_STREAM_CLOSED);
	d.have_kernel = true;
	tap_ok(&t, s->used && s->detached_at && !s->has_psk && all_zero(s->dtls_psk, 32),
	       "the kTLS stream ended: the session waits for a reconnect, its PSK is wiped");
	s->peer_live = true;
	s->stream_ktls = true;
	c = client(dc, s->app_id, &fd);
	listen_once();
	tap_ok(&t, workers_used() == 0, "... and a ClientHello then starts nothing");
	drop(c, fd);
	close(sp[1]);

	s = carried();
	s->peer_live = false;
	skd_session_end(&d, s, "killed");
	tap_ok(&t, !s->used && !s->has_psk && all_zero(s->dtls_psk, 32),
	       "the session ends: its PSK is wiped");
}

int main(int argc, char **argv)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = test_self_signed(k);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	char self[PATH_MAX], exe[PATH_MAX + 8], path[200], err[512] = "";
	SSL_CTX *dc;
	FILE *f;
	int one = 1;

	signal(SIGPIPE, SIG_IGN);
	tap_begin();
	setlogmask(LOG_MASK(LOG_DEBUG) << 1);	/* the faults are logged: not here */
	if (!mkdtemp(dir) || skd_init(&d)) {
		printf("Bail out! setup\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/server.key", dir);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	snprintf(d.conf.server_key, sizeof(d.conf.server_key), "%s", path);
	snprintf(path, sizeof(path), "%s/server.pem", dir);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(d.conf.server_cert, sizeof(d.conf.server_cert), "%s", path);
	d.conf.client_ca[0] = 0;
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(exe, sizeof(exe), "%s/../..", dirname(self));
	d.exe_dir = exe;
	(void)argc;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (skd_spawn_init(&d, err, sizeof(err)) || sk_store_open(path, &d.st, err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	d.ep = epoll_create1(EPOLL_CLOEXEC);
	d.udp_fd[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(d.udp_fd[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(d.udp_fd[0], (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(d.udp_fd[0], (struct sockaddr *)&a, &al)) {
		printf("Bail out! listener\n");
		return 1;
	}
	memcpy(&d.udp_addr[0], &a, sizeof(a));
	d.udp_len[0] = sizeof(a);
	d.n_udp = 1;
	d.have_kernel = true;	/* the session is set up as if; no call reaches it */
	RAND_bytes(the_psk, sizeof(the_psk));
	dc = SSL_CTX_new(DTLS_client_method());
	SSL_CTX_set_cipher_list(dc, "PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256");
	SSL_CTX_set_psk_client_callback(dc, psk_cb);

	handshake(dc);		/* exec'd: no template yet */
	unknown(dc);
	flood(dc);
	hostile(dc);
	wiped(dc);
	/* forked by the worker template ("d": two sockets, no key holder's) */
	if (skd_keyholder_start(&d, err, sizeof(err))) {
		tap_ok(&t, false, "key holder for the template: %s", err);
	} else {
		d.conf.worker_generation = 8;
		skd_template_start(&d);
		for (int i = 0; i < 100 && !d.tmpl.ready; i++) {
			char c;

			usleep(50000);
			if (d.tmpl.fd >= 0 && recv(d.tmpl.fd, &c, 1, MSG_DONTWAIT) == 1)
				d.tmpl.ready = c == 'r';
		}
		tap_ok(&t, d.tmpl.ready, "the worker template is ready");
		handshake(dc);
		tap_ok(&t, d.tmpl.uses == 1, "... that DTLS worker was the template's (uses %d)",
		       d.tmpl.uses);
	}

	kill_all();
	SSL_CTX_free(dc);
	d.have_kernel = false;
	skd_session_clear(&d.sessions[0]);
	skd_spawn_close(&d);
	sk_store_close(d.st);
	d.st = NULL;
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path))
		printf("# could not remove %s\n", dir);
	X509_free(x);
	EVP_PKEY_free(k);
	return tap_end(&t);
}
