// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekishod/spawn.c with the real executables of this build
 * (sekishod-worker, sekishod-keyholder next to this test's build dir): the
 * key holder starts from the key file's descriptor and says ok; a worker
 * exec'd with the four descriptors completes a TLS 1.3 handshake whose
 * signature the key holder makes, and says hello over its IPC socket; a
 * key that does not match the certificate is refused at start with a
 * reason; after the key holder is killed, skd_keyholder_lost starts a new
 * one and new workers handshake again.  Spare workers (exec'd before their
 * client) wait silently, serve the connection they are handed, are
 * forgotten when they die, leave when main closes their socket and are
 * ended with the key holder they talk to.  Runs as any user (no privilege
 * drop when not root).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <stddef.h>
#include <time.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "daemon.h"
#include "ipc.h"
#include "keyop.h"
#include "skfd.h"
#include "tap.h"
#include "testcert.h"

static struct tap t;
static char dir[] = "/tmp/sk-spawn-test-XXXXXX";

static void write_pem(const char *name, EVP_PKEY *k, X509 *x)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (k)
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	if (x)
		PEM_write_X509(f, x);
	fclose(f);
}

/*
 * One connection through a worker: TLS handshake and its HELLO.  via_start:
 * through skd_worker_start (forked by the template if one is ready), else a
 * worker exec'd with the client socket from the start.  *wpid: the
 * worker's pid.  The server random of the handshake goes to last_random.
 */
static unsigned char last_random[32];
static X509 *last_peer;		/* the certificate the server presented */

static bool one_worker_via(struct skd *d, bool via_start, pid_t *wpid, char *got, size_t gotlen)
{
	int cl[2], ipc[2] = { -1, -1 }, key = -1;
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *s = NULL;
	struct sk_ipc_hello hello;
	bool ok = false;
	pid_t pid = -1;
	ssize_t n;

	snprintf(got, gotlen, "no worker");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, cl))
		goto out;
	if (via_start) {
		ipc[0] = skd_worker_start(d, cl[1], &pid, 0);
		close(cl[1]);
		if (ipc[0] < 0) {
			close(cl[0]);
			goto out;
		}
	} else {
		key = skd_keyholder_socket(d);
		if (key < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ipc)) {
			close(cl[0]);
			close(cl[1]);
			goto out;
		}
		pid = fork();
		if (pid == 0) {
			close(cl[0]);
			close(ipc[0]);
			skd_worker_exec(d, cl[1], ipc[1], key);
		}
		close(cl[1]);
		close(ipc[1]);
		close(key);
	}
	SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
	s = SSL_new(c);
	SSL_set_fd(s, cl[0]);
	if (SSL_connect(s) != 1) {
		snprintf(got, gotlen, "handshake failed: %s",
			 ERR_reason_error_string(ERR_get_error()));
	} else {
		SSL_get_server_random(s, last_random, sizeof(last_random));
		X509_free(last_peer);
		last_peer = SSL_get1_peer_certificate(s);
		n = recv(ipc[0], &hello, sizeof(hello), 0);
		ok = n >= (ssize_t)sizeof(hello.h) && hello.h.type == SK_IPC_HELLO;
		snprintf(got, gotlen, "%s %s, hello %s", SSL_get_version(s), SSL_get_cipher(s),
			 ok ? "received" : "missing");
	}
	SSL_free(s);
	close(cl[0]);
	close(ipc[0]);
	/* the worker is our child (a template's, through the subreaper) */
	if (pid > 0) {
		kill(pid, SIGKILL);
		ok &= waitpid(pid, NULL, 0) == pid;
	}
out:
	if (wpid)
		*wpid = pid;
	SSL_CTX_free(c);
	return ok;
}

static bool one_worker(struct skd *d, char *got, size_t gotlen)
{
	return one_worker_via(d, false, NULL, got, gotlen);
}

/* wait until the template said "r" (skd_worker_start reads it) */
static void template_settle(void)
{
	usleep(400 * 1000);
}

/* skd_template_*: a template forks workers for one generation, retires */
static void test_template(struct skd *d)
{
	unsigned char r1[32];
	char got[256];
	pid_t tp, w = -1, w2 = -1;
	int status = -1, fd;
	bool ok;

	d->conf.worker_generation = 3;
	skd_template_start(d);
	tp = d->tmpl.pid;
	tap_ok(&t, d->tmpl.fd >= 0 && tp > 0, "template: exec'd (pid %d)", (int)tp);
	if (tp <= 0)
		return;
	/* before it is ready, a connection gets a worker exec'd for it */
	ok = one_worker_via(d, true, &w, got, sizeof(got));
	tap_ok(&t, ok && d->tmpl.uses == 0 && w != tp,
	       "template: not ready yet: the worker is exec'd for the connection (%s)", got);
	template_settle();
	ok = one_worker_via(d, true, &w, got, sizeof(got));
	tap_ok(&t, ok && d->tmpl.ready && d->tmpl.uses == 1 && w != tp,
	       "template: a connection is served by a worker it forked, reaped by us (%s, pid %d)", got, (int)w);
	memcpy(r1, last_random, sizeof(r1));
	ok = one_worker_via(d, true, &w2, got, sizeof(got));
	tap_ok(&t, ok && w2 != w && d->tmpl.uses == 2, "template: a second worker (%s)", got);
	tap_ok(&t, memcmp(r1, last_random, sizeof(r1)) != 0,
	       "template: two of its workers make different server randoms (reseeded after fork)");

	/* the third use ends the generation: main closes, the template exits */
	ok = one_worker_via(d, true, &w, got, sizeof(got));
	tap_ok(&t, ok && d->tmpl.fd < 0 && d->tmpl.uses == 0,
	       "template: retired after worker_generation (3) workers (%s)", got);
	tap_ok(&t, waitpid(tp, &status, 0) == tp && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	       skd_template_reaped(d, tp, status) && d->tmpl.pid == 0,
	       "template: the retired one exits with 0 and is forgotten when reaped");
	skd_template_start(d);
	tap_ok(&t, d->tmpl.pid > 0 && d->tmpl.pid != tp, "template: the next generation is a new exec (pid %d)",
	       (int)d->tmpl.pid);
	tp = d->tmpl.pid;
	template_settle();
	tap_ok(&t, one_worker_via(d, true, &w, got, sizeof(got)) && d->tmpl.uses == 1,
	       "template: the new one serves (%s)", got);

	/* it checks what main hands it: one descriptor instead of three */
	fd = d->tmpl.fd;
	{
		int one = 0, p[2];
		int32_t pid = 0;
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (pipe(p) == 0) {
			one = p[0];
			sk_send_fd(fd, "w", 1, one, 0);
			close(p[0]);
			close(p[1]);
		}
		ok = poll(&pf, 1, 2000) == 1 && recv(fd, &pid, sizeof(pid), 0) == sizeof(pid) &&
		     pid == -1 && kill(tp, 0) == 0;
		tap_ok(&t, ok, "template: a request without the three sockets gets no worker (%d)",
		       (int)pid);
	}

	/* a key holder crash ends the generation: its workers' key sockets
	 * would go to the dead one */
	{
		pid_t kh = d->keyholder_pid;

		kill(kh, SIGKILL);
		waitpid(kh, NULL, 0);
		skd_keyholder_lost(d, "killed by the test");
		tap_ok(&t, d->tmpl.fd < 0 && waitpid(tp, &status, 0) == tp &&
		       skd_template_reaped(d, tp, status),
		       "template: retired when the key holder is restarted");
	}
	skd_template_start(d);
	template_settle();
	tap_ok(&t, one_worker_via(d, true, &w, got, sizeof(got)) && d->tmpl.uses == 1,
	       "template: a new one handshakes with the new key holder (%s)", got);
	tp = d->tmpl.pid;
	skd_template_retire(d, NULL);
	waitpid(tp, &status, 0);
	skd_template_reaped(d, tp, status);
	d->conf.worker_generation = 0;
	skd_template_start(d);
	tap_ok(&t, d->tmpl.pid == 0 && d->tmpl.fd < 0 &&
	       one_worker_via(d, true, &w, got, sizeof(got)),
	       "template: worker_generation 0: none, every worker exec'd (%s)", got);
}

/*
 * SIGHUP's certificate reload (skd_cert_reload): a new pair replaces the
 * files; a certificate without its key keeps the old pair and key holder
 * and says why; a matching pair gives a new key holder (the old one
 * exits), ends the generation, and every new connection, exec'd or from
 * the next template, presents the new certificate; a connection open
 * across both reloads keeps its worker and its socket.
 */
static void test_reload(struct skd *d, EVP_PKEY *k, X509 *x)
{
	EVP_PKEY *k2 = EVP_EC_gen("P-256");
	X509 *x2 = test_self_signed(k2);
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *s = NULL;
	int cl[2] = { -1, -1 }, ipc[2] = { -1, -1 }, key, status = -1;
	pid_t held = -1, kh = d->keyholder_pid, tp;
	char err[512] = "", got[256], b;
	bool ok;

	/* a connection that stays open across the reloads (an exec'd worker) */
	key = skd_keyholder_socket(d);
	if (key >= 0 && !socketpair(AF_UNIX, SOCK_STREAM, 0, cl) &&
	    !socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ipc)) {
		held = fork();
		if (held == 0) {
			close(cl[0]);
			close(ipc[0]);
			skd_worker_exec(d, cl[1], ipc[1], key);
		}
		close(cl[1]);
		close(ipc[1]);
		s = SSL_new(c);
		SSL_set_fd(s, cl[0]);
	}
	if (key >= 0)
		close(key);
	tap_ok(&t, s && SSL_connect(s) == 1, "reload: a connection is open before the reload (pid %d)",
	       (int)held);

	/* the new certificate, but the old key: refused, nothing changes */
	write_pem("server.pem", NULL, x2);
	ok = skd_cert_reload(d, err, sizeof(err)) == -1 && strstr(err, "does not match");
	tap_ok(&t, ok && d->keyholder_pid == kh && kill(kh, 0) == 0,
	       "reload: a certificate without its key is refused, the key holder stays (%s)", err);
	tap_ok(&t, one_worker(d, got, sizeof(got)) && last_peer && !X509_cmp(last_peer, x),
	       "reload: after the refusal connections still get the old certificate (%s)", got);

	/* the matching key: a new key holder, the old one exits */
	write_pem("server.key", k2, NULL);
	err[0] = 0;
	ok = skd_cert_reload(d, err, sizeof(err)) == 0;
	tap_ok(&t, ok && d->keyholder_pid > 0 && d->keyholder_pid != kh,
	       "reload: the matching pair is taken, a new key holder (%d -> %d) %s", (int)kh,
	       (int)d->keyholder_pid, err);
	tap_ok(&t, waitpid(kh, &status, 0) == kh, "reload: the old key holder exits");
	tap_ok(&t, one_worker(d, got, sizeof(got)) && last_peer && !X509_cmp(last_peer, x2),
	       "reload: an exec'd worker presents the new certificate, signed by the new key (%s)", got);

	/* the template: the generation ended, the next one has the new chain */
	d->conf.worker_generation = 3;
	skd_template_start(d);
	tp = d->tmpl.pid;
	template_settle();
	ok = one_worker_via(d, true, NULL, got, sizeof(got)) && d->tmpl.uses == 1 && last_peer &&
	     !X509_cmp(last_peer, x2);
	tap_ok(&t, ok, "reload: a template's worker presents the new certificate (%s)", got);
	write_pem("server.pem", NULL, x);
	write_pem("server.key", k, NULL);
	tap_ok(&t, skd_cert_reload(d, err, sizeof(err)) == 0 && d->tmpl.fd < 0 &&
	       waitpid(tp, &status, 0) == tp && skd_template_reaped(d, tp, status),
	       "reload: a reload retires the template of the old chain");
	skd_template_start(d);
	template_settle();
	tap_ok(&t, one_worker_via(d, true, NULL, got, sizeof(got)) && last_peer && !X509_cmp(last_peer, x),
	       "reload: and the next template presents the certificate of this reload (%s)", got);
	tp = d->tmpl.pid;
	skd_template_retire(d, NULL);
	waitpid(tp, &status, 0);
	skd_template_reaped(d, tp, status);
	d->conf.worker_generation = 0;

	/* the connection opened before: its worker and socket are still there */
	tap_ok(&t, held > 0 && kill(held, 0) == 0 && recv(cl[0], &b, 1, MSG_DONTWAIT | MSG_PEEK) < 0 &&
	       errno == EAGAIN, "reload: the connection opened before both reloads is still up");
	if (held > 0) {
		kill(held, SIGKILL);
		waitpid(held, NULL, 0);
	}
	SSL_free(s);
	if (cl[0] >= 0)
		close(cl[0]);
	if (ipc[0] >= 0)
		close(ipc[0]);
	SSL_CTX_free(c);
	X509_free(x2);
	EVP_PKEY_free(k2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The old way, for comparison: a forked child with a context (and the key)
 * made by the parent before the fork. */
static bool forked_worker(SSL_CTX *sctx)
{
	int cl[2];
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *s;
	bool ok;
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM, 0, cl);
	pid = fork();
	if (pid == 0) {
		SSL *w = SSL_new(sctx);

		close(cl[0]);
		SSL_set_fd(w, cl[1]);
		_exit(SSL_accept(w) == 1 ? 0 : 1);
	}
	close(cl[1]);
	s = SSL_new(c);
	SSL_set_fd(s, cl[0]);
	ok = SSL_connect(s) == 1;
	SSL_free(s);
	SSL_CTX_free(c);
	close(cl[0]);
	waitpid(pid, NULL, 0);
	return ok;
}

/* `sekishod-spawn-test bench N`: what exec and the remote key cost per
 * connection (numbers only, no verdict; Documentation/testing.md). */
static void bench(struct skd *d, EVP_PKEY *k, X509 *x, int n)
{
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	char got[256];
	double t0, a, b, c, l, sp;
	int key;

	SSL_CTX_use_certificate(sctx, x);
	SSL_CTX_use_PrivateKey(sctx, k);
	SSL_CTX_set_num_tickets(sctx, 0);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		one_worker(d, got, sizeof(got));
	a = (now_ms() - t0) / n;
	/* forked by a template (made once, outside the timed part) */
	d->conf.worker_generation = n + 1;
	skd_template_start(d);
	template_settle();
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		one_worker_via(d, true, NULL, got, sizeof(got));
	sp = (now_ms() - t0) / n;
	skd_template_retire(d, NULL);
	d->conf.worker_generation = 0;
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		forked_worker(sctx);
	b = (now_ms() - t0) / n;
	/* one RSA-PSS signature: through the key holder, and in process */
	{
		struct sk_keyop_req req = { .op = SK_KEYOP_RSA_PSS, .len = (uint32_t)EVP_PKEY_get_size(k) };
		struct sk_keyop_res res;
		uint8_t mh[32] = { 1 };
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
		size_t sl;

		RSA_padding_add_PKCS1_PSS_mgf1((RSA *)EVP_PKEY_get0_RSA(k), req.data, mh, EVP_sha256(),
					       EVP_sha256(), -1);
		t0 = now_ms();
		for (int i = 0; i < n; i++) {
			key = skd_keyholder_socket(d);
			send(key, &req, offsetof(struct sk_keyop_req, data) + req.len, 0);
			recv(key, &res, sizeof(res), 0);
			close(key);
		}
		c = (now_ms() - t0) / n;
		EVP_PKEY_sign_init(pc);
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING);
		t0 = now_ms();
		for (int i = 0; i < n; i++) {
			sl = sizeof(res.sig);
			EVP_PKEY_sign(pc, res.sig, &sl, req.data, req.len);
		}
		l = (now_ms() - t0) / n;
		EVP_PKEY_CTX_free(pc);
	}
	printf("# bench: %d connections, RSA-2048, TLS 1.3\n", n);
	printf("# exec'd worker + key holder: %.2f ms per connection (handshake included)\n", a);
	printf("# forked worker, key in it:   %.2f ms per connection\n", b);
	printf("# exec + remote key cost:     %.2f ms per connection\n", a - b);
	printf("# forked by the template:     %.2f ms per connection\n", sp);
	printf("# RSA-PSS signature via the key holder: %.3f ms, in process: %.3f ms (+%.3f ms)\n",
	       c, l, c - l);
	SSL_CTX_free(sctx);
}

int main(int argc, char **argv)
{
	EVP_PKEY *k = EVP_RSA_gen(2048), *other = EVP_EC_gen("P-256");
	X509 *x = test_self_signed(k);
	char self[PATH_MAX], exe[PATH_MAX + 8], err[512] = "", got[256];
	struct skd d;
	pid_t old;

	tap_begin();
	if (!mkdtemp(dir))
		return 1;
	write_pem("server.key", k, NULL);
	write_pem("server.pem", NULL, x);
	write_pem("other.key", other, NULL);
	/* the executables: build/sekishod-worker for build/tests/unit/THIS */
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(exe, sizeof(exe), "%s/../..", dirname(self));

	memset(&d, 0, sizeof(d));
	skd_conf_defaults(&d.conf);
	d.worker_exe = d.keyholder_exe = d.wcfg_fd = d.key_fd = d.cert_fd = d.keyholder_fd = -1;
	d.exe_dir = exe;
	d.uid = getuid();
	d.gid = getgid();
	snprintf(d.conf.server_cert, sizeof(d.conf.server_cert), "%s/server.pem", dir);
	snprintf(d.conf.server_key, sizeof(d.conf.server_key), "%s/other.key", dir);
	d.conf.client_ca[0] = 0;
	tap_ok(&t, skd_spawn_init(&d, err, sizeof(err)) == 0, "spawn init: executables, key file, worker configuration (%s)", err);
	tap_ok(&t, skd_keyholder_start(&d, err, sizeof(err)) == -1 &&
	       strstr(err, "does not match"), "a key of another certificate is refused at start (%s)", err);
	skd_spawn_close(&d);

	snprintf(d.conf.server_key, sizeof(d.conf.server_key), "%s/server.key", dir);
	err[0] = 0;
	tap_ok(&t, skd_spawn_init(&d, err, sizeof(err)) == 0 &&
	       skd_keyholder_start(&d, err, sizeof(err)) == 0 && d.keyholder_pid > 0,
	       "the key holder starts and says ok (%s)", err);
	tap_ok(&t, one_worker(&d, got, sizeof(got)),
	       "an exec'd worker completes a TLS handshake signed by the key holder (%s)", got);
	tap_ok(&t, one_worker(&d, got, sizeof(got)), "and a second one (%s)", got);
	test_template(&d);
	test_reload(&d, k, x);
	if (argc == 3 && !strcmp(argv[1], "bench"))
		bench(&d, k, x, atoi(argv[2]));
	old = d.keyholder_pid;
	if (old > 0) {	/* never kill(0): that is our process group */
		kill(old, SIGKILL);
		waitpid(old, NULL, 0);
	}
	skd_keyholder_lost(&d, "killed by the test");
	tap_ok(&t, d.keyholder_pid > 0 && d.keyholder_pid != old, "a new key holder after a crash (%d -> %d)",
	       (int)old, (int)d.keyholder_pid);
	tap_ok(&t, one_worker(&d, got, sizeof(got)), "workers handshake with the new one (%s)", got);
	skd_spawn_close(&d);
	tap_ok(&t, d.keyholder_pid == 0 && d.keyholder_fd == -1, "spawn close ends the key holder");
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	X509_free(last_peer);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	return tap_end(&t);
}
