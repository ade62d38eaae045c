/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekishod's per-connection worker: everything that touches client bytes
 * (TLS, HTTP, XML, CSTP framing, the DTLS handshake).  The main process
 * forks and execs one worker (sekishod-worker, main.c) per accepted TCP
 * connection, which calls sk_worker_run; the worker drops every privilege
 * before it parses a byte.
 * See Documentation/admin/sekishod-security.md.
 *
 * The parsers (sk_http_*, sk_xml_*, sk_cstp_*) are declared here too so the
 * unit tests and the libFuzzer targets call them directly.
 */
#ifndef SEKISHOD_WORKER_H
#define SEKISHOD_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "ipc.h"

struct sk_worker_cfg {
	SSL_CTX *tls_ctx;		/* server cert/key; client cert requested, not required */
	const char *dtls_ciphers;	/* OpenSSL list; NULL = the three AEAD PSK suites */
	/* a DTLS context to take a reference of (unit tests); NULL = the
	 * worker makes its own with sk_dtls_ctx_new(dtls_ciphers) */
	SSL_CTX *dtls_ctx;
	/* limits in milliseconds; 0 = the default in brackets */
	unsigned int tls_timeout_ms;	/* TLS handshake [10000] */
	unsigned int header_timeout_ms;	/* request line + headers [10000] */
	unsigned int body_timeout_ms;	/* request body [30000] */
	unsigned int idle_timeout_ms;	/* no request at all, before the tunnel [60000] */
	unsigned int ipc_timeout_ms;	/* waiting for the main process [60000] */
	unsigned int auth_timeout_ms;	/* waiting for a login round's answer [300000]:
					 * it may queue for a hashing thread */
	unsigned int dtls_timeout_ms;	/* one DTLS handshake [15000] */
	unsigned int dpd;		/* CSTP DPD seconds if main gives none [30] */
	bool no_sandbox;		/* only for debugging: skip sk_sandbox_enter */
};

/* The worker's TLS server context from the PEM texts main gave it; the
 * private key stays in the key holder, reached over key_fd (tls.c). */
SSL_CTX *sk_worker_tls_ctx(const char *cert_pem, size_t cert_len, const char *ca_pem,
			   size_t ca_len, int key_fd, char *err, size_t errlen);
/* A key object with the public half of cert's key whose private
 * operations go to the key holder over fd (keyclient.c). */
EVP_PKEY *sk_keyclient_pkey(X509 *cert, int fd);

/*
 * Runs one client connection to its end; returns the process exit status
 * (0 normal end, 1 refused/error).  Takes ownership of both descriptors.
 */
int sk_worker_run(const struct sk_worker_cfg *cfg, int ipc_fd, int client_fd);
/* shutdown(SHUT_WR), then read and drop what the client still sends (at
 * most 2 s and max bytes) so that its RST cannot destroy our last answer */
void sk_worker_linger_close(int fd, size_t max);
/*
 * (issue 12 (b), recheck.c) A worker whose IPC socket already holds
 * SK_IPC_RECHECK_MODE (main queues it before the worker starts) serves
 * one in-tunnel posture re-check instead of a login connection:
 * sk_worker_recheck_mode takes the message, sk_worker_recheck runs it
 * (plain HTTP, one POST /recheck, the host scan parser) and returns the
 * exit status.  Takes ownership of both descriptors.
 */
bool sk_worker_recheck_mode(int ipc_fd);
int sk_worker_recheck(const struct sk_worker_cfg *cfg, int ipc_fd, int client_fd);
/* loads what sk_worker_run needs before its sandbox (a spare does it early) */
void sk_worker_preload(void);

/*
 * Milliseconds on CLOCK_MONOTONIC: every deadline in the worker (login,
 * DTLS handshake, re-check) is measured with it, so that a wall clock
 * step (NTP, an administrator's date) neither ends nor stretches one.
 */
static inline int64_t sk_worker_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- HTTP (http.c) ---- */

#define SK_HTTP_LINE_MAX	8192	/* request line */
#define SK_HTTP_HDR_MAX		8192	/* one header, name + value */
#define SK_HTTP_HDRS_MAX	64	/* number of headers */
#define SK_HTTP_HDRBUF		32768	/* all headers together */
#define SK_HTTP_BODY_MAX	65536

enum sk_http_state {
	SK_HTTP_MORE = 0,	/* need more bytes */
	SK_HTTP_DONE,		/* one complete request */
	SK_HTTP_ERROR,		/* refuse with req->status and close */
};

struct sk_http_hdr {
	uint32_t name_off, name_len, value_off, value_len;
};

struct sk_http_req {
	/* result */
	int method;			/* enum http_method */
	unsigned short http_major, http_minor;
	bool keep_alive;
	bool headers_done;		/* the body timer runs */
	bool started;			/* first byte seen: the header timer runs */
	int status;			/* SK_HTTP_ERROR: 400, 408, 413, 414, 431, 505 */
	const char *why;		/* SK_HTTP_ERROR: English reason for the log */
	char url[SK_HTTP_LINE_MAX + 1];
	size_t url_len;
	int n_hdrs;
	struct sk_http_hdr hdrs[SK_HTTP_HDRS_MAX];
	char hdrbuf[SK_HTTP_HDRBUF];
	size_t hdrbuf_len;
	uint8_t body[SK_HTTP_BODY_MAX + 1];	/* NUL-terminated for the XML parser */
	size_t body_len;
	/* parser state (opaque) */
	struct http_parser *parser;
	bool in_value, complete;
	size_t line_len;
	int scan;			/* http.c's own check of the request's framing */
	unsigned int scan_pos, lead;
	uint64_t chunk;			/* bytes left in the chunk being scanned */
};

struct sk_http_req *sk_http_new(void);
void sk_http_free(struct sk_http_req *r);	/* wipes */
void sk_http_reset(struct sk_http_req *r);	/* for the next request */
/*
 * Feeds bytes; *used tells how many were consumed (the rest belongs to the
 * next request or, after CONNECT, to CSTP).
 */
enum sk_http_state sk_http_feed(struct sk_http_req *r, const uint8_t *data, size_t len,
				size_t *used);
/* First header with this name (case-insensitive), NUL-terminated copy; NULL if absent. */
const char *sk_http_header(const struct sk_http_req *r, const char *name, int nth);
/* Cookie value (only [A-Za-z0-9_=-], <= outlen-1), 0 if found and valid. */
int sk_http_cookie(const struct sk_http_req *r, const char *name, char *out, size_t outlen);
/*
 * Strict path check: returns 0 if url is "/" followed by segments of
 * [A-Za-z0-9_.-] and '/' with no "%", "..", "//", "\\", "?", NUL.
 */
int sk_http_path_ok(const char *url, size_t len);

/* ---- XML (xml.c) ---- */

#define SK_XML_FIELDS		16
#define SK_XML_TEXT_MAX		1024
#define SK_XML_DEPTH_MAX	16
#define SK_XML_ELEMS_MAX	256

struct sk_xml_auth {
	bool is_init;			/* type="init" (else "auth-reply") */
	char group[64];			/* <group-select> */
	/* <device-id> text: libopenconnect's reported OS ("linux-64", "win",
	 * "mac-intel"); "" when absent or longer than 31 bytes (not an error) */
	char device_id[32];
	int n_fields;
	char names[SK_XML_FIELDS][32];
	char values[SK_XML_FIELDS][SK_XML_TEXT_MAX + 1];
};

/* Parses a client config-auth document.  0 on success, -1 with err set. */
int sk_xml_parse_auth(const char *doc, size_t len, struct sk_xml_auth *out,
		      char *err, size_t errlen);
/* Appends text escaped for XML (text and attributes).  Returns 0 or -1 if out is full. */
int sk_xml_escape(char *out, size_t outlen, size_t *pos, const char *s);
/*
 * Renders the auth-request (form) document.  group: echoed in <opaque>;
 * action: the path of the next POST.  Returns the length or -1.
 */
int sk_xml_render_form(const struct sk_form *f, const char *group, const char *action,
		       char *out, size_t outlen);
/*
 * (added) The form plus the <host-scan> element (§3.1) with ticket and
 * token, base URI /+CSCOE+/sdesktop/ and wait URI /+CSCOE+/sdesktop/wait.html.
 */
int sk_xml_render_hostscan(const struct sk_form *f, const char *group, const char *ticket,
			   const char *token, char *out, size_t outlen);
/* Renders the success document (§2.8) with <session-token>. */
int sk_xml_render_success(const struct sk_form *f, const char *group, const char *cookie,
			  char *out, size_t outlen);

/* ---- CSTP (cstp.c) ---- */

#define SK_CSTP_HDR_LEN		8
#define SK_CSTP_PAYLOAD_MAX	(16384 - SK_CSTP_HDR_LEN)

enum sk_cstp_type {
	SK_CSTP_DATA = 0x00,
	SK_CSTP_DPD_REQ = 0x03,
	SK_CSTP_DPD_RESP = 0x04,
	SK_CSTP_DISCONNECT = 0x05,
	SK_CSTP_KEEPALIVE = 0x07,
	SK_CSTP_COMPRESSED = 0x08,
	SK_CSTP_TERMINATE = 0x09,
};

struct sk_cstp_rx {
	uint8_t buf[2 * (SK_CSTP_HDR_LEN + SK_CSTP_PAYLOAD_MAX)];
	size_t len;
};

/* Builds one frame into out; returns its length or -1. */
int sk_cstp_build(uint8_t type, const void *payload, size_t len, uint8_t *out, size_t outlen);
/* Appends stream bytes; returns how many fit (the caller pops frames and feeds the rest). */
size_t sk_cstp_feed(struct sk_cstp_rx *rx, const uint8_t *data, size_t len);
/*
 * Takes the next whole frame: 1 with *type and payload copied to out
 * (*plen), 0 if more bytes are needed, -1 on a malformed stream (bad magic,
 * byte 7 not 0, length above SK_CSTP_PAYLOAD_MAX).
 */
int sk_cstp_pop(struct sk_cstp_rx *rx, uint8_t *type, uint8_t *out, size_t outlen, size_t *plen);

/* ---- DTLS (dtls.c) ---- */

SSL_CTX *sk_dtls_ctx_new(const char *ciphers);	/* NULL = all three AEAD PSK suites */
/*
 * Called once per handshake with the derived keys (cipher, epoch 1, tx 1,
 * rx = the client's Finished) just before the server's final flight
 * (ChangeCipherSpec + Finished) goes out.  A non-zero return aborts the
 * handshake without sending it.  The keys are wiped after the call.
 */
typedef int (*sk_dtls_keys_cb)(void *arg, struct sk_ipc_dtls_keys *keys);
/*
 * One DTLS-PSK server handshake on the connected UDP socket fd, the first
 * read returning dgram.  PSK from tls (the CSTP session).  keys_cb gets the
 * keys before the last flight (see above).  Returns 0 when the handshake
 * completed, else -1 with reason.
 */
int sk_dtls_handshake(SSL_CTX *dctx, SSL *tls, int fd, const uint8_t *dgram, size_t dlen,
		      unsigned int timeout_ms, sk_dtls_keys_cb keys_cb, void *cb_arg,
		      char *reason, size_t rlen);
/*
 * The same handshake one step at a time, so that the worker keeps carrying
 * CSTP while it runs (a ClientHello from anywhere must not stall the
 * tunnel): begin keeps a copy of dgram (at most SK_DTLS_HELLO_MAX bytes);
 * step runs what can run now and returns 1 (done), -1 (failed: see
 * sk_dtls_reason) or 0 (call again when fd has *events or after *wait_ms).
 */
#define SK_DTLS_HELLO_MAX 2048
struct sk_dtls;
struct sk_dtls *sk_dtls_begin(SSL_CTX *dctx, SSL *tls, int fd, const uint8_t *dgram, size_t dlen,
			      unsigned int timeout_ms, sk_dtls_keys_cb keys_cb, void *cb_arg);
/* the same with the PSK given (a DTLS worker: main keeps the PSK of the
 * TLS connection the kernel carries, ipc.h DTLS_RESUME) */
struct sk_dtls *sk_dtls_begin_psk(SSL_CTX *dctx, const uint8_t psk[32], int fd,
				  const uint8_t *dgram, size_t dlen, unsigned int timeout_ms,
				  sk_dtls_keys_cb keys_cb, void *cb_arg);
/* the DTLS PSK of PSK-NEGOTIATE: tls's exporter value (§6.7); 0 or -1 */
int sk_dtls_psk(SSL *tls, uint8_t psk[32]);
int sk_dtls_step(struct sk_dtls *h, int *wait_ms, int *events);
int sk_dtls_fd(const struct sk_dtls *h);
const char *sk_dtls_reason(const struct sk_dtls *h);
void sk_dtls_free(struct sk_dtls *h);	/* does not close the socket */

/* ---- sandbox (sandbox.c) ---- */

/* Drops capabilities, sets no_new_privs, loads the seccomp allowlist. */
int sk_sandbox_enter(char *err, size_t errlen);

#endif
