// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod-worker: one client connection.  sekishod's main process forks
 * and execs this for every accepted connection, so it starts with no
 * memory of main's (no store, no other user's data, no SMTP password, no
 * TLS private key).  Its descriptors are fixed (ipc.h, SK_WFD_*); it takes
 * no arguments and no environment.  See Documentation/architecture.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "ipc.h"
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

int main(void)
{
	struct sk_worker_cfg cfg = { 0 };
	struct sk_wcfg c;
	char err[256] = "", *buf;

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
	cfg.dtls_ciphers = c.dtls_ciphers[0] ? strdup(c.dtls_ciphers) : NULL;
	cfg.no_sandbox = c.no_sandbox != 0;
	free(buf);
	return sk_worker_run(&cfg, SK_WFD_IPC, SK_WFD_CLIENT);
}
