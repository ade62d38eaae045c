/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sekishod-keyholder: the only process that holds the TLS server's
 * private key.  Workers ask it for their handshake's signature
 * (lib/keyop.h); it checks what it signs and how often.
 */
#ifndef SK_KEYHOLDER_H
#define SK_KEYHOLDER_H

#include <stddef.h>

#include <openssl/evp.h>

#include "keyop.h"

/* the most worker sockets held at once (sekishod's SKD_MAX_WORKERS) */
#define SK_KEYHOLDER_CONNS	4096

/*
 * Answers one request with key: fills res and returns 0, or a negative
 * errno (res->status too) for a request it refuses: an unknown operation,
 * a digest of the wrong length or kind, a block that is not PSS-encoded.
 */
int sk_keyholder_sign(EVP_PKEY *key, const struct sk_keyop_req *req, size_t len,
		      struct sk_keyop_res *res);

/* Serves workers until the control socket ctl closes: it brings one worker
 * socket per message (SCM_RIGHTS).  Returns the exit status. */
int sk_keyholder_serve(int ctl, EVP_PKEY *key);

/* no capabilities, no new privileges, a seccomp allowlist */
int sk_keyholder_sandbox(char *err, size_t errlen);

#endif
