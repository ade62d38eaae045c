// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod-worker: one client connection.  sekishod's main process forks
 * and execs this for every connection, so it starts with no memory of
 * main's (no store, no other user's data, no SMTP password, no TLS private
 * key).  Its descriptors are fixed (ipc.h, SK_WFD_*); it takes no arguments
 * and no environment.  Usually it starts as a spare, before its client
 * comes (SK_WFD_CLIENT closed): it gets ready, then waits for main to hand
 * it the client's socket.  See Documentation/architecture.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * A spare: main's first message on the IPC socket carries the client's
 * socket, which becomes SK_WFD_CLIENT.  0 when there is a client (then or
 * from the start), -1 when main closed the socket first (not needed).
 */
static int wait_for_client(bool spare)
{
	int fd = -1, type = 0;
	socklen_t tl = sizeof(type);
	char c;

	if (!spare)
		return 0;
	if (sk_recv_fd(SK_WFD_IPC, &c, 1, &fd, 0) != 1 || fd < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_STREAM ||
	    dup2(fd, SK_WFD_CLIENT) != SK_WFD_CLIENT) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(void)
{
	struct sk_worker_cfg cfg = { 0 };
	struct sk_wcfg c;
	char err[256] = "", *buf, *ciphers;
	/* a spare starts without fd 3: hold the number (a library opening a
	 * file must not get it) until the client's socket takes its place */
	bool spare = fcntl(SK_WFD_CLIENT, F_GETFD) < 0;

	if (spare && dup2(SK_WFD_IPC, SK_WFD_CLIENT) != SK_WFD_CLIENT)
		return 1;
	/* another worker (the same user) must not read this one's memory */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* everything the worker needs is built in: no openssl.cnf to read and
	 * parse for every connection */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	buf = read_config(&c, err, sizeof(err));
	close(SK_WFD_CONFIG);
	if (buf)
		cfg.tls_ctx = sk_worker_tls_ctx(buf + sizeof(c), c.cert_len,
						buf + sizeof(c) + c.cert_len, c.ca_len,
						SK_WFD_KEY, err, sizeof(err));
	if (!cfg.tls_ctx) {
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
	if (wait_for_client(spare)) {
		/* not needed after all (main ends or drops its spares) */
		SSL_CTX_free(cfg.dtls_ctx);
		SSL_CTX_free(cfg.tls_ctx);
		free(ciphers);
		return 0;
	}
	return sk_worker_run(&cfg, SK_WFD_IPC, SK_WFD_CLIENT);
}
