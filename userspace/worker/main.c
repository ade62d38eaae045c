// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod-worker: one client connection.  sekishod's main process forks
 * and execs this, so it starts with no memory of main's (no store, no
 * other user's data, no SMTP password, no TLS private key).  Its descriptors are fixed (ipc.h, SK_WFD_*); it takes no arguments
 * and no environment.  Usually it starts as a template (SK_WFD_CLIENT
 * closed): it gets ready once, then forks a worker for each connection
 * main hands it, for one generation.  See Documentation/architecture.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "ipc.h"
#include "skfd.h"
#include "worker.h"

/* The configuration memfd: struct sk_wcfg, then the two PEM texts. */
static char *read_config(struct sk_wcfg *c, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t size, off = 0;

	if (fstat(SK_WFD_CONFIG, &st) || st.st_size < (off_t)sizeof(*c) ||
	    st.st_size > (off_t)(sizeof(*c) + 2 * SK_WCFG_PEM_MAX)) {
		snprintf(err, errlen, "configuration descriptor missing or of a wrong size");
		return NULL;
	}
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (off < size) {
		ssize_t n = pread(SK_WFD_CONFIG, buf + off, size - off, (off_t)off);

		if (n <= 0) {
			snprintf(err, errlen, "reading the configuration: %s",
				 n ? strerror(errno) : "short");
			free(buf);
			return NULL;
		}
		off += (size_t)n;
	}
	buf[size] = 0;
	memcpy(c, buf, sizeof(*c));
	if (c->magic != SK_WCFG_MAGIC || c->size != size || c->cert_len > SK_WCFG_PEM_MAX ||
	    c->ca_len > SK_WCFG_PEM_MAX || sizeof(*c) + c->cert_len + c->ca_len != size ||
	    !memchr(c->dtls_ciphers, 0, sizeof(c->dtls_ciphers))) {
		snprintf(err, errlen, "malformed configuration (main and worker of different builds?)");
		free(buf);
		return NULL;
	}
	return buf;
}

/* one of the descriptors main hands the template, of the type expected */
static bool fd_is(int fd, int type)
{
	int t = 0;
	socklen_t tl = sizeof(t);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &tl) == 0 && t == type;
}

/* In the grandchild: the descriptors become SK_WFD_CLIENT, _IPC, _KEY (the
 * template's own IPC socket and key socket are replaced), then one
 * connection.  n 2: a DTLS worker, whose SK_WFD_KEY is closed (the
 * template's key socket is not passed on). */
__attribute__((noreturn))
static void become_worker(const struct sk_worker_cfg *cfg, const int fds[3], int n)
{
	for (int i = 0; i < n; i++)
		if (dup2(fds[i], SK_WFD_CLIENT + i) != SK_WFD_CLIENT + i)
			_exit(1);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	if (n < 3 && close(SK_WFD_KEY))
		_exit(1);
	/* OpenSSL 3 reseeds its generators in a process of another pid;
	 * this makes it explicit, before any handshake */
	if (RAND_poll() != 1)
		_exit(1);
	_exit(sk_worker_run(cfg, SK_WFD_IPC, SK_WFD_CLIENT));
}

/*
 * A worker for one connection, as a grandchild: the child forks it and
 * exits at once, so the grandchild is reparented to main (a child
 * subreaper), which reaps it and sees how it ended, as for a worker it
 * forked itself.  Returns its pid, or -1.
 */
static pid_t fork_worker(const struct sk_worker_cfg *cfg, const int fds[3], int n)
{
	int p[2];
	pid_t c, g = -1;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	c = fork();
	if (c == 0) {
		close(p[0]);
		g = fork();
		if (g == 0) {
			close(p[1]);
			become_worker(cfg, fds, n);
		}
		_exit(write(p[1], &g, sizeof(g)) == (ssize_t)sizeof(g) && g > 0 ? 0 : 1);
	}
	close(p[1]);
	if (c > 0) {
		if (read(p[0], &g, sizeof(g)) != (ssize_t)sizeof(g))
			g = -1;
		waitpid(c, NULL, 0);	/* g is main's now */
	}
	close(p[0]);
	return c > 0 ? g : -1;
}

/*
 * The worker template: exec'd with no client, it has made its TLS
 * contexts and waits.  For each connection main sends "w" with three
 * descriptors (client socket, the worker's IPC socket, its key holder
 * socket), or "d" with two for a DTLS worker (its UDP socket, its IPC
 * socket: ipc.h, DTLS_RESUME); the template forks a worker with them and
 * answers the pid.
 * It never reads a byte from a client.  It ends when main closes the
 * socket (a new generation, or main ends).  See
 * Documentation/decisions/key-holder.md, "Worker templates".
 */
static int template_loop(const struct sk_worker_cfg *cfg)
{
	if (send(SK_WFD_IPC, "r", 1, MSG_NOSIGNAL) != 1)
		return 1;
	for (;;) {
		int fds[3], n = 0;
		int32_t pid = -1;
		char c;
		ssize_t len = sk_recv_fds(SK_WFD_IPC, &c, 1, fds, 3, &n, 0);

		if (len <= 0)
			return len == 0 ? 0 : 1;
		if (len == 1 && c == 'w' && n == 3 && fd_is(fds[0], SOCK_STREAM) &&
		    fd_is(fds[1], SOCK_SEQPACKET) && fd_is(fds[2], SOCK_SEQPACKET))
			pid = fork_worker(cfg, fds, 3);
		else if (len == 1 && c == 'd' && n == 2 && fd_is(fds[0], SOCK_DGRAM) &&
			 fd_is(fds[1], SOCK_SEQPACKET))
			pid = fork_worker(cfg, fds, 2);
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (send(SK_WFD_IPC, &pid, sizeof(pid), MSG_NOSIGNAL) != (ssize_t)sizeof(pid))
			return 1;
	}
}

int main(void)
{
	struct sk_worker_cfg cfg = { 0 };
	struct sk_wcfg c;
	char err[256] = "", *buf, *ciphers;
	/* a template starts without fd 3: hold the number (a library opening
	 * a file must not get it) until a worker's client socket takes it */
	bool tmpl = fcntl(SK_WFD_CLIENT, F_GETFD) < 0;
	/* a DTLS worker exec'd for its UDP socket: no TLS context, and no key
	 * holder socket to make one with */
	bool dtls = !tmpl && fd_is(SK_WFD_CLIENT, SOCK_DGRAM);
	int rc;

	if (tmpl && dup2(SK_WFD_IPC, SK_WFD_CLIENT) != SK_WFD_CLIENT)
		return 1;
	/* another worker (the same user) must not read this one's memory */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* everything the worker needs is built in: no openssl.cnf to read and
	 * parse for every connection */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	buf = read_config(&c, err, sizeof(err));
	close(SK_WFD_CONFIG);
	if (buf && !dtls)
		cfg.tls_ctx = sk_worker_tls_ctx(buf + sizeof(c), c.cert_len,
						buf + sizeof(c) + c.cert_len, c.ca_len,
						SK_WFD_KEY, err, sizeof(err));
	if (!buf || (!cfg.tls_ctx && !dtls)) {
		fprintf(stderr, "sekishod-worker: %s\n", err);
		free(buf);
		return 1;
	}
	ciphers = c.dtls_ciphers[0] ? strdup(c.dtls_ciphers) : NULL;
	cfg.dtls_ciphers = ciphers;
	cfg.dtls_ctx = sk_dtls_ctx_new(cfg.dtls_ciphers);
	cfg.no_sandbox = c.no_sandbox != 0;
	free(buf);
	sk_worker_preload();
	/* _exit, as the template's workers do: no atexit handler runs in the
	 * sandbox (under ASan, LeakSanitizer's exit check clones a tracer
	 * that the sandbox stops, and the worker never ended) */
	if (!tmpl)
		_exit(sk_worker_run(&cfg, SK_WFD_IPC, SK_WFD_CLIENT));
	rc = template_loop(&cfg);
	SSL_CTX_free(cfg.dtls_ctx);
	SSL_CTX_free(cfg.tls_ctx);
	free(ciphers);
	return rc;
}
