/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel TLS for a connection OpenSSL set up: the traffic keys and the
 * record sequence numbers of the moment, and installing them on the TCP
 * socket (TCP_ULP "tls", TLS_TX, TLS_RX), so that sekisho.ko can carry
 * the CSTP stream (issue 16; Documentation/decisions/ktls-handoff.md).
 *
 * Debian 12's OpenSSL 3.0 offloads no TLS 1.3 receive and exposes no
 * record sequence numbers, so the keys are derived here (TLS 1.2: the key
 * block from the master secret; TLS 1.3: HKDF-Expand-Label of the traffic
 * secrets from the key log callback) and the records are counted with the
 * message callback from the handshake on.
 *
 * Used by the worker (export), sekishod's main (install) and the selftest
 * tool tests/tools/sk-ktls-gw.c (both).
 */
#ifndef SK_TLS_H
#define SK_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

enum sk_ktls_cipher {
	SK_KTLS_AES128_GCM = 1,
	SK_KTLS_AES256_GCM,
	SK_KTLS_CHACHA20_POLY1305,
};

/* One connection's kTLS parameters: what the worker sends main (ipc.h). */
struct sk_ktls_keys {
	uint16_t version;		/* 0x0303 (TLS 1.2), 0x0304 (TLS 1.3) */
	uint16_t cipher;		/* enum sk_ktls_cipher */
	uint32_t pad;
	uint64_t tx_seq, rx_seq;	/* next record sequence number each way */
	uint8_t tx_key[32], tx_iv[12];	/* server_write: the gateway encrypts */
	uint8_t rx_key[32], rx_iv[12];	/* client_write: the gateway decrypts */
};

/*
 * What the message and key log callbacks saw of one connection.  Per
 * direction (0 = read, 1 = write): the Finished message went by (done),
 * records are counted under the traffic keys (active), how many (seq).
 * post: a handshake message or an alert after the Finished (a TLS 1.3
 * session ticket or KeyUpdate, a TLS 1.2 renegotiation): the counts no
 * longer say which keys are in use, no hand-off.
 */
struct sk_ktls_track {
	bool done[2], active[2], post;
	uint64_t seq[2];
	uint8_t c_secret[64], s_secret[64];	/* TLS 1.3 traffic secrets */
	size_t c_len, s_len;
};

/* Sets the key log callback on a server context (before its SSL objects
 * are made).  0, or -1 when OpenSSL has no room for our ex_data index. */
int sk_ktls_ctx(SSL_CTX *ctx);
/* Starts tracking ssl into t (before the handshake).  0 or -1. */
int sk_ktls_track(SSL *ssl, struct sk_ktls_track *t);
/* Loads the KDFs (before a sandbox that allows no file opens). */
void sk_ktls_preload(void);

/*
 * The keys and sequence numbers of ssl now.  Returns NULL, or why not as
 * one keyword (cipher, version, post-handshake, handshake, pending,
 * secrets, kdf) for the counter of fall-backs.  The caller wipes *k.
 */
const char *sk_ktls_export(SSL *ssl, struct sk_ktls_track *t, struct sk_ktls_keys *k);

/* true when k is well-formed (version, cipher, padding): main checks what a
 * worker sent before it reaches the kernel */
bool sk_ktls_keys_ok(const struct sk_ktls_keys *k);

/*
 * Installs kTLS on the TCP socket fd.  0, or -errno with *why a keyword:
 * "no-tls-module" (TCP_ULP), "kernel-cipher" (TLS_TX refused: the socket
 * is as before, OpenSSL may go on), "kernel-rx" (TLS_RX refused after
 * TLS_TX: the connection is lost; *lost is set).
 */
int sk_ktls_install(int fd, const struct sk_ktls_keys *k, const char **why, bool *lost);

#endif
