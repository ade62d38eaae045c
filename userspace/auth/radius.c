// SPDX-License-Identifier: GPL-2.0
/*
 * skradius: the RADIUS client (skradius.h).  PAP Access-Requests and
 * Accounting-Requests over UDP, Message-Authenticator on every request,
 * required and checked on every Access answer; a small codec on OpenSSL's
 * MD5 and HMAC-MD5 (Documentation/decisions/radius.md).
 */
#include <errno.h>
#include <stddef.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "skauth.h"
#include "skradius.h"
#include "sktext.h"

enum {
	CODE_ACCESS_REQUEST = 1, CODE_ACCESS_ACCEPT = 2, CODE_ACCESS_REJECT = 3,
	CODE_ACCT_REQUEST = 4, CODE_ACCT_RESPONSE = 5, CODE_ACCESS_CHALLENGE = 11,
};
enum {
	A_USER_NAME = 1, A_USER_PASSWORD = 2, A_SERVICE_TYPE = 6, A_FRAMED_IP = 8,
	A_FILTER_ID = 11, A_REPLY_MESSAGE = 18, A_STATE = 24, A_CLASS = 25, A_VSA = 26,
	A_SESSION_TIMEOUT = 27, A_CALLING_STATION = 31, A_NAS_ID = 32, A_ACCT_STATUS = 40,
	A_ACCT_DELAY = 41, A_ACCT_IN_OCTETS = 42, A_ACCT_OUT_OCTETS = 43, A_ACCT_SESSION_ID = 44,
	A_ACCT_SESSION_TIME = 46, A_ACCT_IN_PACKETS = 47, A_ACCT_OUT_PACKETS = 48,
	A_ACCT_TERM_CAUSE = 49, A_ACCT_IN_GIGA = 52, A_ACCT_OUT_GIGA = 53, A_NAS_PORT_TYPE = 61,
	A_MSG_AUTH = 80,
};
#define HDR 20
#define PKT_MAX 4096
#define NAS_PORT_VIRTUAL 5
#define SERVICE_FRAMED 2

static const char *const kind_names[] = { NULL, "class", "filter-id", "fortinet-group" };

const char *sk_radius_kind_name(enum sk_radius_kind k)
{
	return k >= SK_RADIUS_CLASS && k <= SK_RADIUS_FORTINET_GROUP ? kind_names[k] : "?";
}

int sk_radius_kind_from_name(const char *s, size_t len)
{
	for (int k = SK_RADIUS_CLASS; k <= SK_RADIUS_FORTINET_GROUP; k++)
		if (strlen(kind_names[k]) == len && !strncmp(s, kind_names[k], len))
			return k;
	return 0;
}

void sk_radius_cfg_defaults(struct sk_radius_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout = 3;
	c->tries = 2;
}

void sk_radius_cfg_wipe(struct sk_radius_cfg *c)
{
	if (c)
		sk_wipe(c, sizeof(*c));
}

int sk_radius_cfg_check(const struct sk_radius_cfg *c, char *err, size_t errlen)
{
	if (c->n_servers < 1)
		return sk_err(err, errlen, "no server: set server=HOST[:PORT]");
	if (!c->secret[0])
		return sk_err(err, errlen, "no shared secret: give it with --secret-stdin");
	if (c->timeout < 1 || c->timeout > 30 || c->tries < 1 || c->tries > 5)
		return sk_err(err, errlen, "timeout 1..30 and retries 0..4");
	return 0;
}

/* ---------------------------------------------------------------- parsing */

int sk_radius_parse_server(const char *in, struct sk_radius_server *s)
{
	const char *host = in, *colon, *end;
	size_t hl;
	long port = 1812;

	memset(s, 0, sizeof(*s));
	if (!in || !*in)
		return -EINVAL;
	if (*in == '[') {
		end = strchr(in, ']');
		if (!end)
			return -EINVAL;
		host = in + 1;
		hl = (size_t)(end - host);
		colon = end[1] == ':' ? end + 1 : end[1] ? NULL : end + 1;
		if (!colon)
			return -EINVAL;
	} else {
		colon = strchr(in, ':');
		if (colon && strchr(colon + 1, ':'))
			return -EINVAL;	/* a bare IPv6 address: write [addr]:port */
		hl = colon ? (size_t)(colon - in) : strlen(in);
	}
	if (!hl || hl >= SK_RADIUS_HOST_MAX)
		return -EINVAL;
	for (size_t i = 0; i < hl; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		      (host[i] >= '0' && host[i] <= '9') || strchr(".-:_", host[i])))
			return -EINVAL;
	if (colon && *colon == ':') {
		char *e;

		if (!colon[1] || strlen(colon + 1) > 5)
			return -EINVAL;
		port = strtol(colon + 1, &e, 10);
		if (*e || port < 1 || port > 65534)
			return -EINVAL;
	}
	memcpy(s->host, host, hl);
	s->port = (uint16_t)port;
	s->acct_port = (uint16_t)(port + 1);
	return 0;
}

int sk_radius_parse_map(const char *in, struct sk_radius_map *m, char *err, size_t errlen)
{
	const char *sp = strchr(in, ' '), *eq;
	size_t gl;
	int k;

	if (!sp || sp == in)
		return sk_err(err, errlen, "a map rule is \"GROUP KIND=VALUE\" (KIND: class, "
			      "filter-id or fortinet-group)");
	gl = (size_t)(sp - in);
	if (gl > SK_NAME_MAX)
		return sk_err(err, errlen, "map: the group name is too long");
	for (size_t i = 0; i < gl; i++)
		if (!((in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z') ||
		      (in[i] >= '0' && in[i] <= '9') || strchr("._-", in[i])))
			return sk_err(err, errlen, "map: '%.*s' is not a group name", (int)gl, in);
	while (*sp == ' ')
		sp++;
	eq = strchr(sp, '=');
	if (!eq || !(k = sk_radius_kind_from_name(sp, (size_t)(eq - sp))))
		return sk_err(err, errlen, "map: '%.40s' is not KIND=VALUE (KIND: class, filter-id "
			      "or fortinet-group)", sp);
	if (!eq[1] || strlen(eq + 1) > SK_RADIUS_VALUE_MAX || !sk_text_ok(eq + 1, SK_RADIUS_VALUE_MAX, false))
		return sk_err(err, errlen, "map: the value is empty, longer than %d bytes or not "
			      "one line of text", SK_RADIUS_VALUE_MAX);
	if (m) {
		m->kind = k;
		snprintf(m->group, sizeof(m->group), "%.*s", (int)gl, in);
		snprintf(m->value, sizeof(m->value), "%s", eq + 1);
	}
	return 0;
}

void sk_radius_map_groups(const struct sk_radius_cfg *c, struct sk_radius_result *r)
{
	r->n_mapped = 0;
	for (int i = 0; i < c->n_maps; i++) {
		bool hit = false, dup = false;

		for (int j = 0; j < r->n_values && !hit; j++)
			hit = r->values[j].kind == c->maps[i].kind &&
			      !strcmp(r->values[j].value, c->maps[i].value);
		for (int j = 0; j < r->n_mapped && !dup; j++)
			dup = !strcmp(r->mapped[j], c->maps[i].group);
		if (hit && !dup && r->n_mapped < SK_RADIUS_MAPS_MAX)
			snprintf(r->mapped[r->n_mapped++], sizeof(r->mapped[0]), "%s", c->maps[i].group);
	}
}

/* ---------------------------------------------------------------- codec */

static int md5(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t out[16])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	int ok = x && EVP_DigestInit_ex(x, EVP_md5(), NULL) && EVP_DigestUpdate(x, a, al) &&
		 (!bl || EVP_DigestUpdate(x, b, bl)) && EVP_DigestFinal_ex(x, out, NULL);

	EVP_MD_CTX_free(x);
	return ok ? 0 : -EIO;
}

static int hmac_md5(const char *key, const uint8_t *d, size_t len, uint8_t out[16])
{
	unsigned int ol = 0;

	if (!HMAC(EVP_md5(), key, (int)strlen(key), d, len, out, &ol) || ol != 16)
		return -EIO;
	return 0;
}

struct pkt { uint8_t *b; size_t len; bool full; };

static void put(struct pkt *p, uint8_t type, const void *v, size_t vl)
{
	if (vl > 253 || p->len + 2 + vl > PKT_MAX) {
		p->full = true;
		return;
	}
	p->b[p->len] = type;
	p->b[p->len + 1] = (uint8_t)(vl + 2);
	memcpy(p->b + p->len + 2, v, vl);
	p->len += 2 + vl;
}

static void put32(struct pkt *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(p, type, b, 4);
}

static void put_str(struct pkt *p, uint8_t type, const char *s)
{
	if (s && *s)
		put(p, type, s, strlen(s));
}

/* RFC 2865 5.2: the password padded to 16 bytes, XORed with MD5 chains */
static int put_password(struct pkt *p, const char *secret, const uint8_t auth[16], const char *pw)
{
	uint8_t c[SK_RADIUS_PW_MAX], b[16];
	size_t n = strlen(pw), padded = (n + 15) / 16 * 16;
	int rc = 0;

	if (!n || n > SK_RADIUS_PW_MAX)
		return -EINVAL;
	memset(c, 0, sizeof(c));
	memcpy(c, pw, n);
	for (size_t i = 0; i < padded && !rc; i += 16) {
		rc = md5((const uint8_t *)secret, strlen(secret), i ? c + i - 16 : auth, 16, b);
		for (size_t j = 0; j < 16; j++)
			c[i + j] ^= b[j];
	}
	if (!rc)
		put(p, A_USER_PASSWORD, c, padded);
	sk_wipe(c, sizeof(c));
	sk_wipe(b, sizeof(b));
	return rc;
}

static void finish_len(struct pkt *p)
{
	p->b[2] = (uint8_t)(p->len >> 8);
	p->b[3] = (uint8_t)p->len;
}

/* Message-Authenticator is the first attribute: its value at offset 22 */
#define MA_OFF (HDR + 2)

static void common_attrs(const struct sk_radius_cfg *c, struct pkt *p)
{
	static const uint8_t zero[16];

	put(p, A_MSG_AUTH, zero, 16);
	put_str(p, A_NAS_ID, c->nas_id[0] ? c->nas_id : "sekisho");
	put32(p, A_NAS_PORT_TYPE, NAS_PORT_VIRTUAL);
}

int sk_radius_build_access(const struct sk_radius_cfg *c, uint8_t id, const uint8_t auth[16],
			   const char *user, const char *pw, const uint8_t *state,
			   size_t state_len, uint8_t *buf, size_t *len)
{
	struct pkt p = { .b = buf, .len = HDR };

	if (!user || !*user || strlen(user) > 253 || state_len > SK_RADIUS_STATE_MAX)
		return -EINVAL;
	buf[0] = CODE_ACCESS_REQUEST;
	buf[1] = id;
	memcpy(buf + 4, auth, 16);
	common_attrs(c, &p);
	put_str(&p, A_USER_NAME, user);
	if (put_password(&p, c->secret, auth, pw))
		return -EINVAL;
	put32(&p, A_SERVICE_TYPE, SERVICE_FRAMED);
	if (state && state_len)
		put(&p, A_STATE, state, state_len);
	if (p.full)
		return -EINVAL;
	finish_len(&p);
	/* RFC 3579 3.2: HMAC-MD5 of the packet with the field zeroed */
	if (hmac_md5(c->secret, buf, p.len, buf + MA_OFF))
		return -EIO;
	*len = p.len;
	return 0;
}

/* one attribute's value as text: UTF-8, no control characters (multi-line
 * for a Reply-Message), no NUL, at most max bytes */
static bool text_value(const uint8_t *v, size_t vl, size_t max, bool multiline, char *out)
{
	if (!vl || vl > max || memchr(v, 0, vl))
		return false;
	memcpy(out, v, vl);
	out[vl] = '\0';
	if (!sk_text_ok(out, max, multiline)) {
		out[0] = '\0';
		return false;
	}
	return true;
}

static void add_value(struct sk_radius_result *r, enum sk_radius_kind k, const uint8_t *v, size_t vl)
{
	if (r->n_values >= SK_RADIUS_VALUES_MAX ||
	    !text_value(v, vl, SK_RADIUS_VALUE_MAX, false, r->values[r->n_values].value)) {
		r->dropped++;
		return;
	}
	r->values[r->n_values++].kind = k;
}

static void add_prompt(struct sk_radius_result *r, const uint8_t *v, size_t vl)
{
	char t[256];
	size_t have = strlen(r->prompt);

	if (!text_value(v, vl, 253, true, t) || have + (have ? 1 : 0) + vl >= sizeof(r->prompt)) {
		r->dropped++;
		return;
	}
	snprintf(r->prompt + have, sizeof(r->prompt) - have, "%s%s", have ? " " : "", t);
}

static void vsa(struct sk_radius_result *r, const uint8_t *v, size_t vl)
{
	uint32_t vendor;

	if (vl < 4 + 2) {
		r->dropped++;
		return;
	}
	vendor = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	if (vendor != SK_RADIUS_VENDOR_FORTINET)
		return;		/* another vendor's: not ours to read */
	for (size_t o = 4; o < vl;) {
		size_t sl = v[o + 1 < vl ? o + 1 : o];

		if (o + 2 > vl || sl < 2 || o + sl > vl) {
			r->dropped++;
			return;
		}
		if (v[o] == SK_RADIUS_FORTINET_GROUP_NAME)
			add_value(r, SK_RADIUS_FORTINET_GROUP, v + o + 2, sl - 2);
		o += sl;
	}
}

int sk_radius_parse_answer(const struct sk_radius_cfg *c, const uint8_t *req, size_t reqlen,
			   const uint8_t *ans, size_t anslen, struct sk_radius_result *r,
			   char *err, size_t errlen)
{
	uint8_t copy[PKT_MAX], d[16], mac[16];
	size_t len, ma = 0;
	int n_ma = 0, n_state = 0;
	bool access = req[0] == CODE_ACCESS_REQUEST;

	if (reqlen < HDR || anslen < HDR)
		return sk_err(err, errlen, "a packet shorter than a RADIUS header"), -EBADMSG;
	len = (size_t)ans[2] << 8 | ans[3];
	if (len < HDR || len > anslen || len > PKT_MAX)
		return sk_err(err, errlen, "a length field of %zu in %zu bytes", len, anslen), -EBADMSG;
	if (ans[1] != req[1])
		return sk_err(err, errlen, "an answer to another request (id %u)", ans[1]), -EBADMSG;
	if (access ? ans[0] != CODE_ACCESS_ACCEPT && ans[0] != CODE_ACCESS_REJECT &&
		     ans[0] != CODE_ACCESS_CHALLENGE : ans[0] != CODE_ACCT_RESPONSE)
		return sk_err(err, errlen, "an answer of code %u", ans[0]), -EBADMSG;
	/* the attributes are well-formed, and where Message-Authenticator is */
	for (size_t o = HDR; o < len;) {
		if (o + 2 > len || ans[o + 1] < 2 || o + ans[o + 1] > len)
			return sk_err(err, errlen, "an attribute runs past the packet"), -EBADMSG;
		if (ans[o] == A_MSG_AUTH) {
			n_ma++;
			ma = o + 2;
			if (ans[o + 1] != 18)
				return sk_err(err, errlen, "a Message-Authenticator of the wrong length"),
				       -EBADMSG;
		}
		o += ans[o + 1];
	}
	/* RFC 2865 3: Response Authenticator = MD5(Code ID Length RequestAuth
	 * Attributes Secret) */
	memcpy(copy, ans, len);
	memcpy(copy + 4, req + 4, 16);
	if (md5(copy, len, (const uint8_t *)c->secret, strlen(c->secret), d))
		return sk_err(err, errlen, "MD5 failed"), -EBADMSG;
	if (CRYPTO_memcmp(d, ans + 4, 16))
		return sk_err(err, errlen, "the Response Authenticator is wrong (a wrong shared "
			      "secret, or not the server's answer)"), -EBADMSG;
	if (n_ma > 1)
		return sk_err(err, errlen, "more than one Message-Authenticator"), -EBADMSG;
	if (!n_ma && access)
		return sk_err(err, errlen, "no Message-Authenticator in the answer (required against "
			      "BlastRADIUS forgeries: configure the server to send it)"), -EBADMSG;
	if (n_ma) {
		/* RFC 3579 3.2: over the answer with the Request Authenticator
		 * (accounting, as FreeRADIUS signs it: zeroes) and the field zeroed */
		if (access)
			memcpy(copy + 4, req + 4, 16);
		else
			memset(copy + 4, 0, 16);
		memset(copy + ma, 0, 16);
		if (hmac_md5(c->secret, copy, len, mac))
			return sk_err(err, errlen, "HMAC failed"), -EBADMSG;
		if (CRYPTO_memcmp(mac, ans + ma, 16))
			return sk_err(err, errlen, "the Message-Authenticator is wrong"), -EBADMSG;
	}
	if (!access)
		return 0;
	/* a valid answer: its attributes, each checked */
	memset(r, 0, offsetof(struct sk_radius_result, server));
	r->n_values = r->n_mapped = r->dropped = 0;
	r->prompt[0] = '\0';
	r->state_len = 0;
	r->has_framed_ip = false;
	r->framed_ip[0] = '\0';
	r->session_timeout = 0;
	r->outcome = ans[0] == CODE_ACCESS_ACCEPT ? SK_RADIUS_ACCEPT :
		     ans[0] == CODE_ACCESS_REJECT ? SK_RADIUS_REJECT : SK_RADIUS_CHALLENGE;
	for (size_t o = HDR; o < len; o += ans[o + 1]) {
		const uint8_t *v = ans + o + 2;
		size_t vl = ans[o + 1] - 2u;

		switch (ans[o]) {
		case A_REPLY_MESSAGE:
			add_prompt(r, v, vl);
			break;
		case A_STATE:
			if (++n_state > 1 || !vl) {
				r->dropped++;
				r->state_len = 0;
			} else {
				memcpy(r->state, v, vl);
				r->state_len = vl;
			}
			break;
		case A_CLASS:
			add_value(r, SK_RADIUS_CLASS, v, vl);
			break;
		case A_FILTER_ID:
			add_value(r, SK_RADIUS_FILTER_ID, v, vl);
			break;
		case A_VSA:
			vsa(r, v, vl);
			break;
		case A_FRAMED_IP:
			/* 255.255.255.255 / .254 are "the user / the NAS chooses",
			 * 0.0.0.0 and multicast are no address for a client */
			if (vl != 4 || (v[0] == 255 && v[1] == 255 && v[2] == 255) ||
			    !(v[0] | v[1] | v[2] | v[3]) || (v[0] >= 224) || r->has_framed_ip) {
				r->dropped++;
				r->has_framed_ip = false;
				break;
			}
			r->has_framed_ip = true;
			snprintf(r->framed_ip, sizeof(r->framed_ip), "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
			break;
		case A_SESSION_TIMEOUT:
			if (vl != 4) {
				r->dropped++;
				break;
			}
			r->session_timeout = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
					     (uint32_t)v[2] << 8 | v[3];
			break;
		default:
			break;
		}
	}
	if (n_state > 1)
		r->state_len = 0;
	if (r->outcome == SK_RADIUS_CHALLENGE && r->state_len == 0 && n_state)
		return sk_err(err, errlen, "an Access-Challenge with a State that is not valid"),
		       -EBADMSG;
	sk_radius_map_groups(c, r);
	return 0;
}

/* ---------------------------------------------------------------- transport */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_server(const struct sk_radius_server *s, uint16_t port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *ai, *a;
	char ps[8];
	int fd = -1, rc;

	snprintf(ps, sizeof(ps), "%u", port);
	rc = getaddrinfo(s->host, ps, &hints, &ai);
	if (rc) {
		sk_err(err, errlen, "%s: %s", s->host, gai_strerror(rc));
		return -EHOSTDOWN;
	}
	for (a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		/* connected: the kernel drops datagrams from any other address */
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		sk_err(err, errlen, "%s:%u: %s", s->host, port, strerror(errno));
	return fd < 0 ? -EIO : fd;
}

struct exch {
	const struct sk_radius_cfg *c;
	bool acct;
	/* builds the request for a server: 0 */
	int (*build)(struct exch *x, uint8_t *buf, size_t *len);
	const char *user, *pw;
	const uint8_t *state;
	size_t state_len;
	const struct sk_radius_acct *a;
	struct sk_radius_result *r;
	char *server;
	size_t serverlen;
};

static int build_access(struct exch *x, uint8_t *buf, size_t *len)
{
	uint8_t id, auth[16];

	if (RAND_bytes(&id, 1) != 1 || RAND_bytes(auth, 16) != 1)
		return -EIO;
	return sk_radius_build_access(x->c, id, auth, x->user, x->pw, x->state, x->state_len,
				      buf, len);
}

static void put_counter(struct pkt *p, uint8_t lo, uint8_t hi, uint64_t v)
{
	put32(p, lo, (uint32_t)v);
	if (v >> 32)
		put32(p, hi, (uint32_t)(v >> 32));
}

static int build_acct(struct exch *x, uint8_t *buf, size_t *len)
{
	const struct sk_radius_acct *a = x->a;
	struct pkt p = { .b = buf, .len = HDR };
	uint8_t id, d[16];
	struct in_addr ip;

	if (RAND_bytes(&id, 1) != 1)
		return -EIO;
	buf[0] = CODE_ACCT_REQUEST;
	buf[1] = id;
	memset(buf + 4, 0, 16);
	common_attrs(x->c, &p);
	put32(&p, A_ACCT_STATUS, (uint32_t)a->status);
	put_str(&p, A_USER_NAME, a->user);
	put_str(&p, A_ACCT_SESSION_ID, a->session_id);
	put_str(&p, A_CALLING_STATION, a->calling);
	if (a->framed_ip[0] && inet_pton(AF_INET, a->framed_ip, &ip) == 1)
		put(&p, A_FRAMED_IP, &ip, 4);
	put32(&p, A_ACCT_DELAY, 0);
	if (a->status != SK_RADIUS_ACCT_START) {
		put_counter(&p, A_ACCT_IN_OCTETS, A_ACCT_IN_GIGA, a->in_octets);
		put_counter(&p, A_ACCT_OUT_OCTETS, A_ACCT_OUT_GIGA, a->out_octets);
		put32(&p, A_ACCT_IN_PACKETS, a->in_packets > UINT32_MAX ? UINT32_MAX :
		      (uint32_t)a->in_packets);
		put32(&p, A_ACCT_OUT_PACKETS, a->out_packets > UINT32_MAX ? UINT32_MAX :
		      (uint32_t)a->out_packets);
		put32(&p, A_ACCT_SESSION_TIME, a->session_time);
	}
	if (a->status == SK_RADIUS_ACCT_STOP && a->cause)
		put32(&p, A_ACCT_TERM_CAUSE, (uint32_t)a->cause);
	if (p.full)
		return -EINVAL;
	finish_len(&p);
	/* Message-Authenticator with the authenticator zeroed, then the
	 * Request Authenticator = MD5(packet with zeroes, secret) (RFC 2866 3) */
	if (hmac_md5(x->c->secret, buf, p.len, buf + MA_OFF) ||
	    md5(buf, p.len, (const uint8_t *)x->c->secret, strlen(x->c->secret), d))
		return -EIO;
	memcpy(buf + 4, d, 16);
	*len = p.len;
	return 0;
}

/* one request to the servers in order, each tried c->tries times for
 * c->timeout seconds; answers that fail a check are dropped */
static int exchange(struct exch *x, char *err, size_t errlen)
{
	const struct sk_radius_cfg *c = x->c;
	uint8_t req[PKT_MAX], ans[PKT_MAX + 1];
	char why[256] = "", last[256] = "";
	int bad = 0, sockerr = 0, rc;

	if (sk_radius_cfg_check(c, err, errlen))
		return -EINVAL;
	for (int s = 0; s < c->n_servers; s++) {
		const struct sk_radius_server *sv = &c->servers[s];
		uint16_t port = x->acct ? sv->acct_port : sv->port;
		size_t reqlen;
		int fd = open_server(sv, port, why, sizeof(why));

		if (fd < 0) {
			sockerr++;
			snprintf(last, sizeof(last), "%s", why);
			continue;
		}
		rc = x->build(x, req, &reqlen);
		if (rc) {
			close(fd);
			sk_wipe(req, sizeof(req));
			return sk_err(err, errlen, "the request does not fit a RADIUS packet (name or "
				      "password too long)"), rc;
		}
		for (int t = 0; t < c->tries; t++) {
			int64_t deadline = now_ms() + (int64_t)c->timeout * 1000;

			if (send(fd, req, reqlen, 0) < 0) {
				snprintf(last, sizeof(last), "%s:%u: %s", sv->host, port, strerror(errno));
				sockerr++;
				break;
			}
			for (;;) {
				struct pollfd pf = { .fd = fd, .events = POLLIN };
				int64_t left = deadline - now_ms();
				ssize_t n;

				if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
					break;
				n = recv(fd, ans, sizeof(ans), 0);
				if (n < 0) {
					/* ICMP port unreachable: nobody listens */
					snprintf(last, sizeof(last), "%s:%u: %s", sv->host, port,
						 strerror(errno));
					if (errno == ECONNREFUSED) {
						sockerr++;
						t = c->tries;
					}
					break;
				}
				if (sk_radius_parse_answer(c, req, reqlen, ans, (size_t)n, x->r, why,
							   sizeof(why))) {
					bad++;
					if (x->r)
						x->r->bad_answers++;
					snprintf(last, sizeof(last), "%s:%u: answer dropped: %s", sv->host,
						 port, why);
					continue;
				}
				close(fd);
				sk_wipe(req, sizeof(req));
				if (x->server)
					snprintf(x->server, x->serverlen, "%s:%u", sv->host, port);
				return 0;
			}
		}
		close(fd);
		sk_wipe(req, sizeof(req));
	}
	if (bad)
		return sk_err(err, errlen, "no valid answer from %d server%s (%d answer%s dropped; "
			      "last: %s)", c->n_servers, c->n_servers == 1 ? "" : "s", bad,
			      bad == 1 ? "" : "s", last), -EPROTO;
	if (sockerr == c->n_servers)
		return sk_err(err, errlen, "no server reachable (last: %s)", last), -EIO;
	return sk_err(err, errlen, "no answer from %d server%s within %d x %d s each (a wrong "
		      "shared secret makes a server stay silent)%s%s", c->n_servers,
		      c->n_servers == 1 ? "" : "s", c->tries, c->timeout, last[0] ? "; last: " : "",
		      last), -EHOSTDOWN;
}

static int do_access(const struct sk_radius_cfg *c, const char *user, const char *pw,
		  const uint8_t *state, size_t state_len, struct sk_radius_result *r,
		  char *err, size_t errlen)
{
	struct exch x = { .c = c, .build = build_access, .user = user, .pw = pw, .state = state,
			  .state_len = state_len, .r = r, .server = r->server,
			  .serverlen = sizeof(r->server) };

	memset(r, 0, sizeof(*r));
	if (!user || !*user || strlen(user) > SK_NAME_MAX || !sk_text_ok(user, SK_NAME_MAX, false))
		return sk_err(err, errlen, "the user name is not valid");
	if (!pw || !*pw || strlen(pw) > SK_RADIUS_PW_MAX)
		return sk_err(err, errlen, "the password is empty or longer than %d bytes",
			      SK_RADIUS_PW_MAX);
	return exchange(&x, err, errlen);
}

int sk_radius_start(const struct sk_radius_cfg *c, const char *user, const char *pw,
		    struct sk_radius_result *r, char *err, size_t errlen)
{
	return do_access(c, user, pw, NULL, 0, r, err, errlen);
}

int sk_radius_cont(const struct sk_radius_cfg *c, const char *user, const uint8_t *state,
		   size_t state_len, const char *answer, struct sk_radius_result *r,
		   char *err, size_t errlen)
{
	uint8_t st[SK_RADIUS_STATE_MAX];

	if (state_len > sizeof(st))
		return sk_err(err, errlen, "the State is too long");
	/* r may be the previous result holding the state */
	memcpy(st, state, state_len);
	return do_access(c, user, answer, st, state_len, r, err, errlen);
}

int sk_radius_account(const struct sk_radius_cfg *c, const struct sk_radius_acct *a,
		      char *server, size_t serverlen, char *err, size_t errlen)
{
	struct exch x = { .c = c, .acct = true, .build = build_acct, .a = a, .server = server,
			  .serverlen = serverlen };

	if (a->status < SK_RADIUS_ACCT_START || a->status > SK_RADIUS_ACCT_INTERIM ||
	    !sk_text_ok(a->user, SK_NAME_MAX, false) || !a->user[0] ||
	    !sk_text_ok(a->session_id, sizeof(a->session_id) - 1, false) || !a->session_id[0] ||
	    !sk_text_ok(a->calling, sizeof(a->calling) - 1, false))
		return sk_err(err, errlen, "the accounting record is not valid");
	return exchange(&x, err, errlen);
}
