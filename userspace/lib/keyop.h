/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The key holder's protocol (Documentation/architecture.md, "Process
 * model").  The TLS server's private key lives only in sekishod-keyholder;
 * a worker gets one SOCK_SEQPACKET socket to it and asks for the one
 * signature its TLS handshake needs.  The key holder never decrypts and
 * never signs raw data: it signs a digest (PKCS#1 v1.5, ECDSA) or an
 * RSA-PSS encoded block whose structure it checks first, so the socket is
 * no RSA decryption oracle.  It answers at most SK_KEYOP_PER_CONN requests
 * per socket, then closes it.
 */
#ifndef SK_KEYOP_H
#define SK_KEYOP_H

#include <stdint.h>

#define SK_KEYOP_MAX		1024	/* RSA keys up to 8192 bits */
#define SK_KEYOP_PER_CONN	2	/* one TLS handshake needs one */

enum sk_keyop {
	SK_KEYOP_RSA_PKCS1 = 1,	/* md_nid + digest: RSA_sign() */
	SK_KEYOP_RSA_PSS = 2,	/* a PSS-encoded block of RSA_size() bytes */
	SK_KEYOP_ECDSA = 3,	/* digest: ECDSA signature, DER */
};

struct sk_keyop_req {
	uint32_t op;		/* enum sk_keyop */
	uint32_t md_nid;	/* SK_KEYOP_RSA_PKCS1: the digest's NID */
	uint32_t len;		/* bytes of data */
	uint8_t data[SK_KEYOP_MAX];
};

struct sk_keyop_res {
	int32_t status;		/* 0 or -errno */
	uint32_t len;		/* bytes of sig */
	uint8_t sig[SK_KEYOP_MAX];
};

/* main -> key holder at start, on the control socket: "ok" or the reason */
#define SK_KEYHOLDER_READY_MAX	256

#endif /* SK_KEYOP_H */
