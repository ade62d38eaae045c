// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: an answer from a RADIUS server (auth/radius.c,
 * sk_radius_parse_answer) to a fixed Access-Request or Accounting-Request.
 * The first byte chooses: odd = the bytes as they came (the header and
 * authenticator checks); even = the rest is a code and attributes, and the
 * target signs them as the server would (id, length, Message-Authenticator
 * where the attributes hold one, Response Authenticator), so that the
 * attribute parsing is reached.
 * Invariants: the result is 0 or -EBADMSG; every text kept is terminated
 * valid text (Reply-Message may be multi-line) of its bound; the counts
 * and the State length stay within their arrays; an Access answer without
 * a valid Message-Authenticator is never accepted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "skradius.h"
#include "sktext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-secret";

static void text(const char *s, size_t cap, bool multiline)
{
	if (!memchr(s, 0, cap) || sk_text_check(s, cap - 1, multiline))
		__builtin_trap();
}

/* the server's signature over ans (len bytes, header filled) */
static void sign(const uint8_t *req, uint8_t *ans, size_t len, bool acct)
{
	unsigned int ol;
	uint8_t d[16];
	EVP_MD_CTX *x;

	memcpy(ans + 4, acct ? (const uint8_t[16]){ 0 } : req + 4, 16);
	for (size_t o = 20; o + 2 <= len && ans[o + 1] >= 2 && o + ans[o + 1] <= len; o += ans[o + 1])
		if (ans[o] == 80 && ans[o + 1] == 18) {
			memset(ans + o + 2, 0, 16);
			HMAC(EVP_md5(), secret, sizeof(secret) - 1, ans, len, ans + o + 2, &ol);
			break;
		}
	memcpy(ans + 4, req + 4, 16);
	x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, ans, len);
	EVP_DigestUpdate(x, secret, sizeof(secret) - 1);
	EVP_DigestFinal_ex(x, d, NULL);
	EVP_MD_CTX_free(x);
	memcpy(ans + 4, d, 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sk_radius_cfg c;
	static struct sk_radius_result r;
	static uint8_t req[4096], acct[64], ans[4200];
	static size_t reqlen;
	const uint8_t *q;
	size_t n, ql;
	char err[256];
	bool raw, use_acct;
	int rc;

	if (!reqlen) {
		uint8_t auth[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

		sk_radius_cfg_defaults(&c);
		memcpy(c.secret, secret, sizeof(secret));
		sk_radius_parse_map("staff class=vpn-staff", &c.maps[c.n_maps++], NULL, 0);
		sk_radius_parse_map("admins fortinet-group=admins", &c.maps[c.n_maps++], NULL, 0);
		if (sk_radius_build_access(&c, 7, auth, "alice", "pw", NULL, 0, req, &reqlen))
			__builtin_trap();
		acct[0] = 4;	/* an Accounting-Request header: only its id and code are read */
		acct[1] = 9;
		acct[3] = 20;
	}
	if (size < 2 || size > 4096)
		return 0;
	raw = data[0] & 1;
	use_acct = (data[0] & 6) == 6;
	q = use_acct ? acct : req;
	ql = use_acct ? 20 : reqlen;
	if (raw) {
		n = size - 1;
		memcpy(ans, data + 1, n);
	} else {
		n = 20 + size - 2;
		ans[0] = data[1];
		ans[1] = q[1];
		ans[2] = (uint8_t)(n >> 8);
		ans[3] = (uint8_t)n;
		memcpy(ans + 20, data + 2, size - 2);
		sign(q, ans, n, use_acct);
	}
	memset(&r, 0xa5, sizeof(r));	/* no field may be read unset */
	err[0] = '\0';
	rc = sk_radius_parse_answer(&c, q, ql, ans, n, &r, err, sizeof(err));
	if (rc != 0 && rc != -EBADMSG)
		__builtin_trap();
	if (rc) {
		text(err, sizeof(err), false);
		return 0;
	}
	if (use_acct)
		return 0;
	/* accepted: it had exactly one valid Message-Authenticator */
	{
		size_t len = (size_t)ans[2] << 8 | ans[3];
		int n_ma = 0;

		for (size_t o = 20; o < len; o += ans[o + 1])
			n_ma += ans[o] == 80;
		if (n_ma != 1)
			__builtin_trap();
	}
	if (r.outcome < SK_RADIUS_ACCEPT || r.outcome > SK_RADIUS_CHALLENGE ||
	    r.n_values < 0 || r.n_values > SK_RADIUS_VALUES_MAX || r.n_mapped < 0 ||
	    r.n_mapped > SK_RADIUS_MAPS_MAX || r.state_len > SK_RADIUS_STATE_MAX || r.dropped < 0)
		__builtin_trap();
	text(r.prompt, sizeof(r.prompt), true);
	for (int i = 0; i < r.n_values; i++) {
		if (r.values[i].kind < SK_RADIUS_CLASS || r.values[i].kind > SK_RADIUS_FORTINET_GROUP)
			__builtin_trap();
		text(r.values[i].value, sizeof(r.values[i].value), false);
	}
	for (int i = 0; i < r.n_mapped; i++)
		text(r.mapped[i], sizeof(r.mapped[i]), false);
	if (r.has_framed_ip)
		text(r.framed_ip, sizeof(r.framed_ip), false);
	return 0;
}
