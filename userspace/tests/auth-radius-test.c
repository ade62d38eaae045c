// SPDX-License-Identifier: GPL-2.0
/*
 * auth/radius.c: the pure parts (servers, map rules, settings), the codec
 * (PAP hiding, Message-Authenticator, Response Authenticator, hostile
 * attributes), a hostile server written here (a UDP responder thread: an
 * answer without Message-Authenticator, one with a wrong one, a silent
 * server) always; the checks against a real FreeRADIUS when
 * tests/lib/freeradius.sh started one (SK_TEST_RADIUS_PORT and the rest in
 * the environment: the `directory` stage of tests/run), else those are
 * skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "skchain.h"
#include "skldap.h"
#include "skradius.h"
#include "skstore.h"
#include "tap.h"

static struct tap t;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cfg_init(struct sk_radius_cfg *c, const char *secret, const char *servers)
{
	char err[256];

	sk_radius_cfg_defaults(c);
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	if (servers && sk_radius_setting_check("server", servers, err, sizeof(err)) == 0) {
		char buf[512], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", servers);
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			sk_radius_parse_server(tok, &c->servers[c->n_servers++]);
	}
}

/* ---------------------------------------------------------------- pure */

static void pure_tests(void)
{
	struct sk_radius_server s;
	struct sk_radius_map m;
	char err[256];
	static const char *const bad_servers[] = {
		"", ":1812", "host:", "host:0", "host:65535", "host:99999", "host:12a", "a b",
		"::1", "[::1", "[::1]x", "host;rm", "h\n",
	};
	static const char *const bad_maps[] = {
		"staff", "staff class", "staff color=x", "st*ff class=x", "staff class=",
		"staff class=a\tb", " class=x",
	};

	tap_ok(&t, !sk_radius_parse_server("radius.example", &s) && s.port == 1812 &&
	       s.acct_port == 1813 && !strcmp(s.host, "radius.example"), "server: default ports");
	tap_ok(&t, !sk_radius_parse_server("10.0.0.1:11812", &s) && s.port == 11812 &&
	       s.acct_port == 11813, "server: HOST:PORT");
	tap_ok(&t, !sk_radius_parse_server("[::1]:1645", &s) && s.port == 1645 &&
	       !strcmp(s.host, "::1"), "server: [IPv6]:PORT");
	for (size_t i = 0; i < sizeof(bad_servers) / sizeof(bad_servers[0]); i++)
		tap_ok(&t, sk_radius_parse_server(bad_servers[i], &s) == -EINVAL,
		       "server: '%s' refused", bad_servers[i][0] == 'h' && bad_servers[i][1] == '\n' ?
		       "h\\n" : bad_servers[i]);
	tap_ok(&t, !sk_radius_parse_map("staff class=vpn-staff", &m, err, sizeof(err)) &&
	       m.kind == SK_RADIUS_CLASS && !strcmp(m.group, "staff") && !strcmp(m.value, "vpn-staff"),
	       "map: GROUP class=VALUE");
	tap_ok(&t, !sk_radius_parse_map("adm filter-id=a b=c", &m, err, sizeof(err)) &&
	       m.kind == SK_RADIUS_FILTER_ID && !strcmp(m.value, "a b=c"), "map: filter-id, value with = and space");
	tap_ok(&t, !sk_radius_parse_map("adm fortinet-group=forti-admins", &m, err, sizeof(err)) &&
	       m.kind == SK_RADIUS_FORTINET_GROUP, "map: fortinet-group");
	for (size_t i = 0; i < sizeof(bad_maps) / sizeof(bad_maps[0]); i++)
		tap_ok(&t, sk_radius_parse_map(bad_maps[i], &m, err, sizeof(err)) == -EINVAL,
		       "map: '%s' refused (%s)", bad_maps[i][0] ? "..." : "", err);
	tap_ok(&t, !sk_radius_setting_check("timeout", "1", err, sizeof(err)) &&
	       sk_radius_setting_check("timeout", "0", err, sizeof(err)) &&
	       sk_radius_setting_check("timeout", "31", err, sizeof(err)) &&
	       sk_radius_setting_check("retries", "5", err, sizeof(err)) &&
	       !sk_radius_setting_check("retries", "0", err, sizeof(err)),
	       "settings: timeout 1..30, retries 0..4");
	tap_ok(&t, sk_radius_setting_check("server", "a b c d e", err, sizeof(err)) == -EINVAL,
	       "settings: at most 4 servers (%s)", err);
	tap_ok(&t, sk_radius_setting_check("uri", "x", err, sizeof(err)) == -EINVAL &&
	       strstr(err, "unknown key"), "settings: an LDAP key is refused for radius (%s)", err);
	tap_ok(&t, sk_radius_setting_check("type", "ad", err, sizeof(err)) == -EINVAL,
	       "settings: type stays radius");
	{
		struct sk_radius_cfg c;
		struct sk_radius_result r;

		cfg_init(&c, "s", "h");
		sk_radius_parse_map("staff class=vpn-staff", &c.maps[c.n_maps++], err, sizeof(err));
		sk_radius_parse_map("admins filter-id=admins", &c.maps[c.n_maps++], err, sizeof(err));
		sk_radius_parse_map("staff fortinet-group=x", &c.maps[c.n_maps++], err, sizeof(err));
		memset(&r, 0, sizeof(r));
		r.values[r.n_values++] = (struct sk_radius_value){ SK_RADIUS_FILTER_ID, "admins" };
		r.values[r.n_values++] = (struct sk_radius_value){ SK_RADIUS_FORTINET_GROUP, "x" };
		r.values[r.n_values++] = (struct sk_radius_value){ SK_RADIUS_CLASS, "admins" };
		sk_radius_map_groups(&c, &r);
		tap_ok(&t, r.n_mapped == 2 && !strcmp(r.mapped[0], "admins") &&
		       !strcmp(r.mapped[1], "staff"),
		       "map: rule order, kind must match (Class admins maps nothing), no duplicates");
	}
}

/* ---------------------------------------------------------------- codec */

static void md5v(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t out[16])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, a, al);
	if (bl)
		EVP_DigestUpdate(x, b, bl);
	EVP_DigestFinal_ex(x, out, NULL);
	EVP_MD_CTX_free(x);
}

/* an answer as a server makes it: attrs (type, len, value...) after the
 * header; ma_at >= 0: a Message-Authenticator at that attribute offset is
 * filled in (ma_ok false: a wrong one); ra_ok false: a wrong Response
 * Authenticator */
static size_t answer(const char *secret, const uint8_t *req, uint8_t code, const uint8_t *attrs,
		     size_t al, long ma_at, bool ma_ok, bool ra_ok, uint8_t *out)
{
	size_t len = 20 + al;
	unsigned int ol;
	uint8_t d[16];

	out[0] = code;
	out[1] = req[1];
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, req + 4, 16);
	memcpy(out + 20, attrs, al);
	if (ma_at >= 0) {
		memset(out + 20 + ma_at + 2, 0, 16);
		HMAC(EVP_md5(), secret, (int)strlen(secret), out, len, out + 20 + ma_at + 2, &ol);
		if (!ma_ok)
			out[20 + ma_at + 2] ^= 1;
	}
	md5v(out, len, (const uint8_t *)secret, strlen(secret), d);
	memcpy(out + 4, d, 16);
	if (!ra_ok)
		out[4] ^= 0x80;
	return len;
}

/* attribute list builder */
struct al { uint8_t b[4096]; size_t n; };

static long al_put(struct al *a, uint8_t type, const void *v, size_t vl)
{
	long at = (long)a->n;

	a->b[a->n] = type;
	a->b[a->n + 1] = (uint8_t)(vl + 2);
	memcpy(a->b + a->n + 2, v, vl);
	a->n += vl + 2;
	return at;
}

static long al_ma(struct al *a)
{
	static const uint8_t z[16];

	return al_put(a, 80, z, 16);
}

static void codec_tests(void)
{
	struct sk_radius_cfg c;
	struct sk_radius_result r;
	uint8_t req[4096], ans[4096], auth[16], mac[16], d[16];
	size_t rl, n;
	unsigned int ol;
	char err[256];
	struct al a;

	cfg_init(&c, "s3cret", "127.0.0.1");
	for (int i = 0; i < 16; i++)
		auth[i] = (uint8_t)(i * 7);
	tap_ok(&t, !sk_radius_build_access(&c, 42, auth, "alice", "pw-of-alice-17chr", NULL, 0, req, &rl),
	       "build: an Access-Request");
	tap_ok(&t, req[0] == 1 && req[1] == 42 && (size_t)(req[2] << 8 | req[3]) == rl &&
	       req[20] == 80 && req[21] == 18, "build: Message-Authenticator is the first attribute");
	{
		uint8_t copy[4096];

		memcpy(copy, req, rl);
		memset(copy + 22, 0, 16);
		HMAC(EVP_md5(), "s3cret", 6, copy, rl, mac, &ol);
		tap_ok(&t, !memcmp(mac, req + 22, 16), "build: Message-Authenticator = HMAC-MD5 of the request");
	}
	/* find User-Password and undo the hiding (RFC 2865 5.2) */
	{
		size_t o = 20;
		bool ok = false;

		while (o < rl && req[o] != 2)
			o += req[o + 1];
		if (o < rl && req[o + 1] == 2 + 32) {
			uint8_t p[32];

			md5v((const uint8_t *)"s3cret", 6, auth, 16, d);
			for (int i = 0; i < 16; i++)
				p[i] = req[o + 2 + i] ^ d[i];
			md5v((const uint8_t *)"s3cret", 6, req + o + 2, 16, d);
			for (int i = 0; i < 16; i++)
				p[16 + i] = req[o + 2 + 16 + i] ^ d[i];
			ok = !memcmp(p, "pw-of-alice-17chr", 17) && !p[17] && !p[31];
		}
		tap_ok(&t, ok, "build: User-Password hidden per RFC 2865 5.2 (two blocks, zero padded)");
	}
	{
		char big[130];

		memset(big, 'p', 129);
		big[129] = '\0';
		tap_ok(&t, sk_radius_build_access(&c, 1, auth, "alice", big, NULL, 0, req + 0, &n) == -EINVAL,
		       "build: a password over 128 bytes refused");
		tap_ok(&t, sk_radius_build_access(&c, 1, auth, "alice", "", NULL, 0, req, &n) == -EINVAL,
		       "build: an empty password refused");
	}
	sk_radius_build_access(&c, 42, auth, "alice", "pw", NULL, 0, req, &rl);

	/* a good Accept with attributes */
	memset(&a, 0, sizeof(a));
	{
		long ma = al_ma(&a);
		uint8_t ip[4] = { 10, 1, 2, 3 }, vsa[] = { 0, 0, 0x30, 0x44, 1, 8, 'f', 'g', 'r', 'o', 'u', 'p' };

		al_put(&a, 25, "vpn-staff", 9);
		al_put(&a, 11, "admins", 6);
		al_put(&a, 26, vsa, sizeof(vsa));
		al_put(&a, 8, ip, 4);
		al_put(&a, 18, "hello", 5);
		al_put(&a, 18, "world", 5);
		n = answer("s3cret", req, 2, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, !sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) &&
		       r.outcome == SK_RADIUS_ACCEPT, "answer: a valid Accept (%s)", err);
		tap_ok(&t, r.n_values == 3 && r.values[0].kind == SK_RADIUS_CLASS &&
		       !strcmp(r.values[0].value, "vpn-staff") && r.values[1].kind == SK_RADIUS_FILTER_ID &&
		       r.values[2].kind == SK_RADIUS_FORTINET_GROUP && !strcmp(r.values[2].value, "fgroup"),
		       "answer: Class, Filter-Id, Fortinet-Group-Name read");
		tap_ok(&t, r.has_framed_ip && !strcmp(r.framed_ip, "10.1.2.3"), "answer: Framed-IP-Address");
		tap_ok(&t, !strcmp(r.prompt, "hello world"), "answer: Reply-Messages joined");
		/* the same answer, each check broken once */
		n = answer("s3cret", req, 2, a.b, a.n, -1, true, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG &&
		       strstr(err, "Message-Authenticator is wrong"), "answer: the field left zero: refused (%s)", err);
		n = answer("s3cret", req, 2, a.b, a.n, ma, false, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG &&
		       strstr(err, "Message-Authenticator is wrong"), "answer: a wrong Message-Authenticator refused");
		n = answer("s3cret", req, 2, a.b, a.n, ma, true, false, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG &&
		       strstr(err, "Response Authenticator"), "answer: a wrong Response Authenticator refused");
		n = answer("other", req, 2, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG,
		       "answer: signed with another secret: refused");
		n = answer("s3cret", req, 2, a.b, a.n, ma, true, true, ans);
		ans[1] ^= 1;
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG,
		       "answer: another id refused");
		n = answer("s3cret", req, 2, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n - 1, &r, err, sizeof(err)) == -EBADMSG,
		       "answer: shorter than its length field refused");
		n = answer("s3cret", req, 4, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG,
		       "answer: a code that is no Access answer refused");
	}
	/* no Message-Authenticator at all (the BlastRADIUS case) */
	memset(&a, 0, sizeof(a));
	al_put(&a, 25, "vpn-staff", 9);
	n = answer("s3cret", req, 2, a.b, a.n, -1, true, true, ans);
	tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG &&
	       strstr(err, "no Message-Authenticator"), "answer: an Accept without Message-Authenticator refused");
	/* two of them */
	memset(&a, 0, sizeof(a));
	{
		long ma = al_ma(&a);

		al_ma(&a);
		n = answer("s3cret", req, 2, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG,
		       "answer: two Message-Authenticators refused");
	}
	/* an attribute that runs past the end */
	memset(&a, 0, sizeof(a));
	{
		long ma = al_ma(&a);

		al_put(&a, 25, "abc", 3);
		a.b[a.n - 4] = 40;	/* Class length 40 in 5 bytes */
		n = answer("s3cret", req, 2, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG,
		       "answer: an attribute past the packet refused (%s)", err);
		a.b[a.n - 4] = 1;
		n = answer("s3cret", req, 2, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) == -EBADMSG,
		       "answer: an attribute of length 1 refused");
	}
	/* hostile values: dropped and counted, the answer stays valid */
	memset(&a, 0, sizeof(a));
	{
		long ma = al_ma(&a);
		uint8_t bcast[4] = { 255, 255, 255, 255 }, zero[4] = { 0 };
		uint8_t badvsa[] = { 0, 0, 0x30, 0x44, 1, 30, 'x' };

		al_put(&a, 25, "a\x1b[2Jb", 6);		/* an escape sequence */
		al_put(&a, 11, "a\0b", 3);		/* a NUL */
		al_put(&a, 25, "\xff\xfe", 2);		/* not UTF-8 */
		al_put(&a, 8, bcast, 4);
		al_put(&a, 8, zero, 4);
		al_put(&a, 26, badvsa, sizeof(badvsa));	/* a sub-attribute past its VSA */
		al_put(&a, 24, "st", 2);
		n = answer("s3cret", req, 11, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, !sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) &&
		       r.outcome == SK_RADIUS_CHALLENGE && r.n_values == 0 && !r.has_framed_ip &&
		       r.dropped == 6 && r.state_len == 2 && !memcmp(r.state, "st", 2),
		       "answer: control characters, NUL, bad UTF-8, 255.255.255.255, 0.0.0.0, a broken "
		       "VSA dropped (dropped %d), State kept", r.dropped);
	}
	memset(&a, 0, sizeof(a));
	{
		long ma = al_ma(&a);
		char big[250];

		memset(big, 'm', sizeof(big));
		for (int i = 0; i < 3; i++)
			al_put(&a, 18, big, sizeof(big));
		for (int i = 0; i < 20; i++)
			al_put(&a, 25, "c", 1);
		n = answer("s3cret", req, 11, a.b, a.n, ma, true, true, ans);
		tap_ok(&t, !sk_radius_parse_answer(&c, req, rl, ans, n, &r, err, sizeof(err)) &&
		       strlen(r.prompt) < SK_RADIUS_PROMPT_MAX && r.n_values == SK_RADIUS_VALUES_MAX &&
		       r.dropped == 1 + 20 - SK_RADIUS_VALUES_MAX,
		       "answer: Reply-Messages and values bounded (prompt %zu bytes, %d values, dropped %d)",
		       strlen(r.prompt), r.n_values, r.dropped);
	}
}

/* ---------------------------------------------------------------- hostile server */

enum mode { M_NO_MA, M_BAD_MA, M_SILENT, M_GARBAGE_THEN_GOOD };
struct responder { int fd; enum mode mode; const char *secret; int answered; };

static void *responder_main(void *arg)
{
	struct responder *s = arg;
	uint8_t req[4096], ans[4096];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(s->fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl)) > 0) {
		struct al a = { .n = 0 };
		long ma = -1;
		size_t len;

		if (req[0] == 0xff)
			break;	/* the test's stop */
		if (s->mode == M_SILENT)
			continue;
		if (s->mode != M_NO_MA)
			ma = al_ma(&a);
		al_put(&a, 25, "vpn-staff", 9);
		if (s->mode == M_GARBAGE_THEN_GOOD) {
			/* first a forgery without Message-Authenticator */
			struct al f = { .n = 0 };

			al_put(&f, 25, "vpn-admins", 10);
			len = answer(s->secret, req, 2, f.b, f.n, -1, true, true, ans);
			sendto(s->fd, ans, len, 0, (struct sockaddr *)&from, fl);
		}
		len = answer(s->secret, req, 2, a.b, a.n, ma, s->mode != M_BAD_MA, true, ans);
		sendto(s->fd, ans, len, 0, (struct sockaddr *)&from, fl);
		s->answered++;
	}
	return NULL;
}

static void hostile_tests(void)
{
	static const char *const what[] = {
		"an Accept without Message-Authenticator", "an Accept with a wrong Message-Authenticator",
		"a silent server", "a forgery, then the real answer",
	};
	for (int m = M_NO_MA; m <= M_GARBAGE_THEN_GOOD; m++) {
		struct responder s = { .mode = m, .secret = "hostile" };
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof(sa);
		struct sk_radius_cfg c;
		struct sk_radius_result r;
		char srv[64], err[512];
		pthread_t th;
		double t0;
		int rc;

		s.fd = socket(AF_INET, SOCK_DGRAM, 0);
		bind(s.fd, (struct sockaddr *)&sa, sizeof(sa));
		getsockname(s.fd, (struct sockaddr *)&sa, &sl);
		snprintf(srv, sizeof(srv), "127.0.0.1:%u", ntohs(sa.sin_port));
		cfg_init(&c, "hostile", srv);
		c.timeout = 1;
		c.tries = 1;
		pthread_create(&th, NULL, responder_main, &s);
		t0 = now_s();
		rc = sk_radius_start(&c, "alice", "pw", &r, err, sizeof(err));
		t0 = now_s() - t0;
		if (m == M_GARBAGE_THEN_GOOD)
			tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_ACCEPT && r.n_values == 1 &&
			       !strcmp(r.values[0].value, "vpn-staff") && r.bad_answers == 1,
			       "hostile server: %s: the forgery dropped, the real answer taken", what[m]);
		else
			tap_ok(&t, rc == (m == M_SILENT ? -EHOSTDOWN : -EPROTO) && t0 < 2.5,
			       "hostile server: %s: refused in %.1f s (%s)", what[m], t0, err);
		{
			uint8_t stop = 0xff;
			int fd = socket(AF_INET, SOCK_DGRAM, 0);

			sendto(fd, &stop, 1, 0, (struct sockaddr *)&sa, sizeof(sa));
			close(fd);
		}
		pthread_join(th, NULL);
		close(s.fd);
	}
}

/* ---------------------------------------------------------------- FreeRADIUS */

static void server_tests(void)
{
	const char *port = getenv("SK_TEST_RADIUS_PORT"), *secret = getenv("SK_TEST_RADIUS_SECRET");
	const char *dead = getenv("SK_TEST_RADIUS_DEAD_PORT"), *detail = getenv("SK_TEST_RADIUS_DETAIL");
	struct sk_radius_cfg c;
	struct sk_radius_result r;
	char srv[128], err[512];
	double t0;
	int rc;

	snprintf(srv, sizeof(srv), "127.0.0.1:%s", port);
	cfg_init(&c, secret, srv);
	c.timeout = 2;
	sk_radius_parse_map("staff class=vpn-staff", &c.maps[c.n_maps++], err, sizeof(err));
	sk_radius_parse_map("admins filter-id=admins", &c.maps[c.n_maps++], err, sizeof(err));
	sk_radius_parse_map("forti fortinet-group=forti-admins", &c.maps[c.n_maps++], err, sizeof(err));

	rc = sk_radius_start(&c, "alice", "alice-pw-1", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_ACCEPT, "freeradius: PAP accept (%s)", rc ? err : r.server);
	tap_ok(&t, r.n_mapped == 1 && !strcmp(r.mapped[0], "staff") && r.has_framed_ip &&
	       !strcmp(r.framed_ip, "10.20.30.40"), "freeradius: Class -> group staff, Framed-IP 10.20.30.40");
	rc = sk_radius_start(&c, "carol", "carol-pw-1", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_ACCEPT && r.n_mapped == 2 &&
	       !strcmp(r.mapped[0], "admins") && !strcmp(r.mapped[1], "forti"),
	       "freeradius: Filter-Id and Fortinet-Group-Name -> admins, forti (%d)", r.n_mapped);
	rc = sk_radius_start(&c, "bob", "bob-pw-1", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_ACCEPT && r.n_mapped == 0,
	       "freeradius: accepted without attributes: no mapped group");
	rc = sk_radius_start(&c, "alice", "wrong", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_REJECT, "freeradius: wrong password -> reject");
	rc = sk_radius_start(&c, "nobody", "x", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_REJECT, "freeradius: unknown user -> reject");

	/* challenge, twice */
	rc = sk_radius_start(&c, "otp", "otp-pw-1", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_CHALLENGE && r.state_len &&
	       !strcmp(r.prompt, "Enter the code from your token"),
	       "freeradius: challenge with State and prompt '%s'", r.prompt);
	rc = sk_radius_cont(&c, "otp", r.state, r.state_len, "123456", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_CHALLENGE && !strcmp(r.prompt, "Enter the second code"),
	       "freeradius: a second challenge '%s'", r.prompt);
	rc = sk_radius_cont(&c, "otp", r.state, r.state_len, "654321", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_ACCEPT && r.n_mapped == 1,
	       "freeradius: both answers right -> accept, Class -> staff");
	rc = sk_radius_start(&c, "otp", "otp-pw-1", &r, err, sizeof(err));
	rc = sk_radius_cont(&c, "otp", r.state, r.state_len, "000000", &r, err, sizeof(err));
	tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_REJECT, "freeradius: a wrong answer -> reject");

	/* through the directory step of the login chain (sk_ldap_check) */
	{
		struct sk_ldap_cfg *lc = calloc(1, sizeof(*lc));
		struct sk_ldap_result *lr = calloc(1, sizeof(*lr));

		sk_ldap_cfg_defaults(lc, SK_LDAP_RADIUS);
		lc->radius = calloc(1, sizeof(*lc->radius));
		*lc->radius = c;
		rc = sk_ldap_check(lc, "alice@corp.example", "alice-pw-1", lr, err, sizeof(err));
		tap_ok(&t, rc == 0 && lr->pw_checked && !strcmp(lr->account, "alice") &&
		       lr->n_mapped == 1 && !strcmp(lr->mapped[0], "staff") &&
		       !strcmp(lr->groups[0], "class=vpn-staff") && !strcmp(lr->framed_ip, "10.20.30.40"),
		       "chain step: alice@corp.example accepted as alice, group staff, framed IP");
		rc = sk_ldap_check(lc, "alice", "nope", lr, err, sizeof(err));
		tap_ok(&t, rc == -EACCES && !lr->pw_checked && !lr->n_mapped,
		       "chain step: reject -> -EACCES, no group");
		rc = sk_ldap_check(lc, "otp", "otp-pw-1", lr, err, sizeof(err));
		tap_ok(&t, rc == -EINPROGRESS && lr->ch_state_len == 6 &&
		       !memcmp(lr->ch_state, "step-1", 6) && !lr->pw_checked &&
		       !strcmp(lr->prompt, "Enter the code from your token"),
		       "chain step: a challenge -> -EINPROGRESS with its State and prompt (%s)", err);
		{
			uint8_t stt[SK_LDAP_STATE_MAX];
			size_t sl = lr->ch_state_len;

			memcpy(stt, lr->ch_state, sl);
			rc = sk_ldap_answer(lc, "otp", stt, sl, "123456", lr, err, sizeof(err));
			tap_ok(&t, rc == -EINPROGRESS && !strcmp(lr->prompt, "Enter the second code"),
			       "chain step: the answer -> a second challenge '%s'", lr->prompt);
			/* r's own State as the argument (the chain may pass it) */
			rc = sk_ldap_answer(lc, "otp", lr->ch_state, lr->ch_state_len, "654321", lr, err,
					    sizeof(err));
			tap_ok(&t, rc == 0 && lr->pw_checked && lr->n_mapped == 1 &&
			       !strcmp(lr->mapped[0], "staff") && !lr->ch_state_len,
			       "chain step: the second answer -> accept, group staff (%s)", err);
			rc = sk_ldap_answer(lc, "otp", stt, sl, "000000", lr, err, sizeof(err));
			tap_ok(&t, rc == -EACCES && !lr->pw_checked, "chain step: a wrong answer -> -EACCES");
			rc = sk_ldap_answer(lc, "otp", stt, 0, "123456", lr, err, sizeof(err));
			tap_ok(&t, rc == -EINVAL, "chain step: an answer without State refused (%s)", err);
		}
		sk_ldap_cfg_wipe(lc);	/* frees lc->radius */
		free(lc);
		free(lr);
	}

	/* wrong shared secret: FreeRADIUS stays silent; bounded */
	{
		struct sk_radius_cfg w = c;

		snprintf(w.secret, sizeof(w.secret), "not-the-secret");
		w.timeout = 1;
		w.tries = 2;
		t0 = now_s();
		rc = sk_radius_start(&w, "alice", "alice-pw-1", &r, err, sizeof(err));
		t0 = now_s() - t0;
		tap_ok(&t, rc == -EHOSTDOWN && t0 >= 1.9 && t0 < 3.5 && strstr(err, "shared secret"),
		       "freeradius: wrong secret -> no answer, error after %.1f s (2 tries x 1 s): %s", t0, err);
	}
	/* failover: the first server does not listen, then a silent one */
	{
		struct sk_radius_cfg f = c;
		char list[256];

		snprintf(list, sizeof(list), "127.0.0.1:%s 127.0.0.1:%s", dead, port);
		cfg_init(&f, secret, list);
		f.timeout = 1;
		t0 = now_s();
		rc = sk_radius_start(&f, "alice", "alice-pw-1", &r, err, sizeof(err));
		t0 = now_s() - t0;
		snprintf(list, sizeof(list), "127.0.0.1:%s", port);
		tap_ok(&t, rc == 0 && r.outcome == SK_RADIUS_ACCEPT && !strcmp(r.server, list) && t0 < 2.5,
		       "freeradius: first server down -> the second answers (%s, %.1f s)", r.server, t0);
		cfg_init(&f, secret, NULL);
		snprintf(list, sizeof(list), "127.0.0.1:%s", dead);
		cfg_init(&f, secret, list);
		f.timeout = 1;
		rc = sk_radius_start(&f, "alice", "alice-pw-1", &r, err, sizeof(err));
		tap_ok(&t, rc == -EIO && strstr(err, "refused"), "freeradius: every server down -> an error at once (%s)", err);
	}
	/* accounting */
	{
		struct sk_radius_acct a = {
			.status = SK_RADIUS_ACCT_START, .user = "alice", .session_id = "sk-test-0001",
			.calling = "192.0.2.7", .framed_ip = "10.20.30.40",
		};
		char got[128], buf[65536];
		FILE *f;
		size_t n = 0;

		rc = sk_radius_account(&c, &a, got, sizeof(got), err, sizeof(err));
		tap_ok(&t, rc == 0, "accounting: Start answered (%s)", rc ? err : got);
		a.status = SK_RADIUS_ACCT_INTERIM;
		a.in_octets = 1000;
		a.out_octets = 2000;
		a.in_packets = 10;
		a.out_packets = 20;
		a.session_time = 30;
		rc = sk_radius_account(&c, &a, got, sizeof(got), err, sizeof(err));
		tap_ok(&t, rc == 0, "accounting: Interim-Update answered (%s)", rc ? err : got);
		a.status = SK_RADIUS_ACCT_STOP;
		a.in_octets = 5ull * 4294967296ull + 123;	/* > 4 GiB: Gigawords */
		a.out_octets = 4567;
		a.in_packets = 4000000;
		a.out_packets = 3000;
		a.session_time = 3600;
		a.cause = SK_RADIUS_TERM_IDLE_TIMEOUT;
		rc = sk_radius_account(&c, &a, got, sizeof(got), err, sizeof(err));
		tap_ok(&t, rc == 0, "accounting: Stop answered (%s)", rc ? err : got);
		f = detail ? fopen(detail, "r") : NULL;
		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		tap_ok(&t, strstr(buf, "Acct-Status-Type = Start") && strstr(buf, "Acct-Status-Type = Interim-Update") &&
		       strstr(buf, "Acct-Status-Type = Stop") && strstr(buf, "Acct-Session-Id = \"sk-test-0001\""),
		       "accounting: the detail file has Start, Interim-Update, Stop for the session");
		tap_ok(&t, strstr(buf, "Acct-Input-Octets = 123") && strstr(buf, "Acct-Input-Gigawords = 5") &&
		       strstr(buf, "Acct-Output-Octets = 4567") && strstr(buf, "Acct-Input-Packets = 4000000") &&
		       strstr(buf, "Acct-Output-Packets = 3000") && strstr(buf, "Acct-Session-Time = 3600") &&
		       strstr(buf, "Acct-Terminate-Cause = Idle-Timeout") &&
		       strstr(buf, "Framed-IP-Address = 10.20.30.40") &&
		       strstr(buf, "Calling-Station-Id = \"192.0.2.7\""),
		       "accounting: the server received bytes, packets, session time, terminate cause");
		a.status = SK_RADIUS_ACCT_STOP;
		snprintf(a.user, sizeof(a.user), "a\nb");
		tap_ok(&t, sk_radius_account(&c, &a, got, sizeof(got), err, sizeof(err)) == -EINVAL,
		       "accounting: a user name with a control character refused");
	}
}

/* ---------------------------------------------------------------- the login chain */

static struct sk_store *st;

static enum sk_step chain_login(const char *group, const char *user, const char *pw,
				struct sk_form *f)
{
	struct sk_chain_cfg cfg = { .st = st, .gateway_name = "vpn.test" };
	const char *names[2] = { "username", "password" }, *values[2] = { user, pw };
	static int src;
	char source[64];
	struct sk_login *l;
	enum sk_step s;

	snprintf(source, sizeof(source), "192.0.2.%d:40000", 1 + src++ % 250);
	l = sk_login_new(&cfg, source, NULL, NULL, NULL);
	s = sk_login_step(l, (int64_t)time(NULL), group, 0, NULL, NULL, f);
	if (s == SK_STEP_FORM)
		s = sk_login_step(l, (int64_t)time(NULL), group, 2, names, values, f);
	sk_login_free(l);
	return s;
}

static bool err_is(const struct sk_form *f, const char *key)
{
	return !strcmp(f->error, sk_msg(key, NULL));
}

/* No byte of the State in the form the worker gets: it stays in main */
static bool form_has(const struct sk_form *f, const char *needle)
{
	return memmem(f, sizeof(*f), needle, strlen(needle)) != NULL;
}

static bool challenge_form(const struct sk_form *f, const char *prompt)
{
	return !strcmp(f->auth_id, "challenge") && !strcmp(f->message, prompt) && f->n_inputs == 1 &&
	       f->inputs[0].type == SK_IN_PASSWORD && !strcmp(f->inputs[0].name, "answer") &&
	       !f->inputs[0].value[0] && !form_has(f, "step-1") && !form_has(f, "step-2") &&
	       !form_has(f, "otp-pw-1");
}

/* One step; with defer the SK_STEP_HASH round trip sekishod makes */
static enum sk_step chain_step(struct sk_login *l, bool defer, int n, const char *name,
			       const char *const *values, struct sk_form *f, int *hashes)
{
	const char *names[2] = { "username", "password" };
	const char *one[1] = { name };
	enum sk_step s;

	s = sk_login_step(l, (int64_t)time(NULL), "staff", n, name ? one : names, values, f);
	if (defer && s == SK_STEP_HASH) {
		(*hashes)++;
		sk_login_hash(l);
		s = sk_login_step(l, (int64_t)time(NULL), "staff", n, name ? one : names, values, f);
	}
	return s;
}

/* An Access-Challenge as form rounds (issue 15): the Reply-Message is the
 * form's message, one password input "answer", the State kept in the
 * login; two challenges answered; a wrong answer back to the password
 * form; a server that never stops asking is cut off */
static void challenge_tests(void)
{
	for (int defer = 0; defer < 2; defer++) {
		struct sk_chain_cfg cfg = { .st = st, .gateway_name = "vpn.test", .defer_hash = defer };
		const char *pw[2] = { "otp", "otp-pw-1" }, *a1[1] = { "123456" }, *a2[1] = { "654321" };
		const char *bad[1] = { "000000" }, *lp[2] = { "loop", "x" };
		struct sk_login_result res;
		struct sk_form f;
		struct sk_login *l;
		enum sk_step s;
		int hashes = 0, i;
		char dir[SK_NAME_MAX + 1];
		const char *m = defer ? "chain (deferred)" : "chain";

		l = sk_login_new(&cfg, "192.0.2.200:1000", NULL, NULL, NULL);
		chain_step(l, defer, 0, NULL, NULL, &f, &hashes);
		s = chain_step(l, defer, 2, NULL, pw, &f, &hashes);
		tap_ok(&t, s == SK_STEP_FORM && challenge_form(&f, "Enter the code from your token") &&
		       !f.error[0], "%s: the password -> the challenge's form (its Reply-Message, one "
		       "password input 'answer', no State in it)", m);
		s = chain_step(l, defer, 0, "answer", NULL, &f, &hashes);
		tap_ok(&t, s == SK_STEP_FORM && challenge_form(&f, "Enter the code from your token"),
		       "%s: an empty post shows the challenge again", m);
		s = chain_step(l, defer, 2, NULL, pw, &f, &hashes);
		tap_ok(&t, s == SK_STEP_FORM && challenge_form(&f, "Enter the code from your token"),
		       "%s: the password posted again is not read by the challenge state", m);
		/* as openconnect posts it: the input "answer" as <password> */
		s = chain_step(l, defer, 1, "password", a1, &f, &hashes);
		tap_ok(&t, s == SK_STEP_FORM && challenge_form(&f, "Enter the second code"),
		       "%s: the first answer (posted as <password>, as openconnect does) -> a second "
		       "challenge", m);
		s = chain_step(l, defer, 1, "answer", a2, &f, &hashes);
		tap_ok(&t, s == SK_STEP_SUCCESS && !sk_login_result(l, &res) && !strcmp(res.user, "otp") &&
		       !strcmp(res.group, "staff") && !sk_user_directory_get(st, "otp", dir, sizeof(dir)) &&
		       !strcmp(dir, "rad"), "%s: the second answer -> logged in as otp, group staff, "
		       "record made for rad (%s)", m, f.error);
		if (defer)
			tap_ok(&t, hashes == 3, "%s: each request ran in sk_login_hash (%d)", m, hashes);
		sk_login_free(l);

		l = sk_login_new(&cfg, "192.0.2.201:1000", NULL, NULL, NULL);
		chain_step(l, defer, 0, NULL, NULL, &f, &hashes);
		chain_step(l, defer, 2, NULL, pw, &f, &hashes);
		s = chain_step(l, defer, 1, "answer", bad, &f, &hashes);
		tap_ok(&t, s == SK_STEP_FORM && !strcmp(f.auth_id, "main") &&
		       err_is(&f, "dir-challenge-wrong") && f.n_inputs == 2,
		       "%s: a wrong answer (Access-Reject) -> the password form with dir-challenge-wrong", m);
		s = chain_step(l, defer, 2, NULL, pw, &f, &hashes);
		tap_ok(&t, s == SK_STEP_FORM && challenge_form(&f, "Enter the code from your token"),
		       "%s: ... and the password starts a new challenge", m);
		chain_step(l, defer, 1, "answer", a1, &f, &hashes);
		s = chain_step(l, defer, 1, "answer", a2, &f, &hashes);
		tap_ok(&t, s == SK_STEP_SUCCESS, "%s: ... answered: logged in (%s)", m, f.error);
		sk_login_free(l);

		l = sk_login_new(&cfg, "192.0.2.202:1000", NULL, NULL, NULL);
		chain_step(l, defer, 0, NULL, NULL, &f, &hashes);
		s = chain_step(l, defer, 2, NULL, lp, &f, &hashes);
		for (i = 0; i < 20 && s == SK_STEP_FORM && !strcmp(f.auth_id, "challenge"); i++)
			s = chain_step(l, defer, 1, "answer", a1, &f, &hashes);
		tap_ok(&t, s == SK_STEP_FATAL && err_is(&f, "dir-challenge-too-many") && i == 8,
		       "%s: a server that keeps challenging is cut off after 8 challenges (%d answers)", m, i);
		sk_login_free(l);
	}
}

/* A group with password (RADIUS, answered through two challenges) and
 * TOTP: the challenges' Accept passes the password factor only; the TOTP
 * form comes next and success needs the right code (no factor skipped) */
static void challenge_totp_tests(void)
{
	struct sk_chain_cfg cfg = { .st = st, .gateway_name = "vpn.test" };
	const char *pw[2] = { "otp", "otp-pw-1" }, *a1[1] = { "123456" }, *a2[1] = { "654321" };
	const char *names[1] = { "secondary_password" }, *code[1];
	char err[256], right[7], wrong[7];
	struct sk_login *l;
	struct sk_group g;
	struct sk_user u;
	struct sk_form f;
	enum sk_step s;

	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "mfa");
	g.factors[0] = SK_FACTOR_PASSWORD;
	g.factors[1] = SK_FACTOR_TOTP;
	sk_group_add(st, &g, err, sizeof(err));
	sk_group_directory_set(st, "mfa", "rad");
	sk_directory_set(st, "rad", "map-03", "mfa class=vpn-staff", err, sizeof(err));
	/* otp's record exists (challenge_tests); it gets a TOTP secret */
	if (sk_user_get(st, "otp", &u))
		printf("# no record for otp\n");
	sk_totp_new_secret(u.totp_secret, sizeof(u.totp_secret));
	sk_user_update(st, &u, err, sizeof(err));
	sk_totp_generate(u.totp_secret, (int64_t)time(NULL), right);
	memcpy(wrong, right, sizeof(wrong));
	wrong[5] = wrong[5] == '9' ? '0' : (char)(wrong[5] + 1);	/* another code */

	l = sk_login_new(&cfg, "192.0.2.220:1000", NULL, NULL, NULL);
	sk_login_step(l, (int64_t)time(NULL), "mfa", 0, NULL, NULL, &f);
	sk_login_step(l, (int64_t)time(NULL), "mfa", 2, (const char *const[]){ "username", "password" },
		      pw, &f);
	sk_login_step(l, (int64_t)time(NULL), "mfa", 1, (const char *const[]){ "answer" }, a1, &f);
	s = sk_login_step(l, (int64_t)time(NULL), "mfa", 1, (const char *const[]){ "answer" }, a2, &f);
	tap_ok(&t, s == SK_STEP_FORM && !strcmp(f.auth_id, "otp") && f.n_inputs == 1 &&
	       !strcmp(f.inputs[0].name, "secondary_password"),
	       "challenge + totp: the challenges answered -> the TOTP form, not success (%s)", f.error);
	code[0] = wrong;
	s = sk_login_step(l, (int64_t)time(NULL), "mfa", 1, names, code, &f);
	tap_ok(&t, s == SK_STEP_FORM && err_is(&f, "totp-wrong"), "challenge + totp: a wrong code refused");
	code[0] = right;
	s = sk_login_step(l, (int64_t)time(NULL), "mfa", 1, names, code, &f);
	tap_ok(&t, s == SK_STEP_SUCCESS, "challenge + totp: the right code -> logged in (%s)", f.error);
	sk_login_free(l);
}

/* The login's result names the RADIUS directory (for accounting) and,
 * only with the directory's framed-ip=yes, the Accept's Framed-IP-Address */
static void framed_tests(void)
{
	struct sk_chain_cfg cfg = { .st = st, .gateway_name = "vpn.test" };
	const char *names[2] = { "username", "password" }, *values[2] = { "alice", "alice-pw-1" };
	struct sk_login_result res;
	struct sk_form f;
	char err[256];

	for (int on = 0; on < 2; on++) {
		struct sk_login *l = sk_login_new(&cfg, "192.0.2.210:1000", NULL, NULL, NULL);
		enum sk_step s;

		sk_directory_set(st, "rad", "framed-ip", on ? "yes" : "no", err, sizeof(err));
		sk_login_step(l, (int64_t)time(NULL), "staff", 0, NULL, NULL, &f);
		s = sk_login_step(l, (int64_t)time(NULL), "staff", 2, names, values, &f);
		tap_ok(&t, s == SK_STEP_SUCCESS && !sk_login_result(l, &res) &&
		       !strcmp(res.radius_dir, "rad") &&
		       !strcmp(res.framed_ip, on ? "10.20.30.40" : "") && res.session_timeout == 600,
		       "chain: framed-ip=%s -> the result names rad, framed IP '%s', the Accept's "
		       "Session-Timeout %u", on ? "yes" : "no", res.framed_ip, res.session_timeout);
		sk_login_free(l);
	}
	sk_directory_set(st, "rad", "framed-ip", NULL, err, sizeof(err));
}

/* A group whose passwords a RADIUS directory checks, through the chain's
 * directory step (sk_ldap_cfg_load / sk_ldap_check), chain.c unchanged */
static void chain_tests(void)
{
	char path[] = "/tmp/sk-radius-chain.XXXXXX", db[64], err[256], srv[64], dir[SK_NAME_MAX + 1];
	struct sk_group g;
	struct sk_form f;
	struct sk_user u;
	enum sk_step s;
	double t0;

	if (!mkdtemp(path))
		return;
	snprintf(db, sizeof(db), "%s/s.db", path);
	tap_ok(&t, !sk_store_open(db, &st, err, sizeof(err)), "chain: store (%s)", err);
	if (!st)
		return;
	for (int i = 0; i < 2; i++) {
		sk_group_defaults(&g);
		snprintf(g.name, sizeof(g.name), "%s", i ? "admins" : "staff");
		sk_group_add(st, &g, err, sizeof(err));
	}
	snprintf(srv, sizeof(srv), "127.0.0.1:%s", getenv("SK_TEST_RADIUS_PORT"));
	sk_directory_add(st, "rad", err, sizeof(err));
	sk_directory_set(st, "rad", "type", "radius", err, sizeof(err));
	sk_directory_set(st, "rad", "server", srv, err, sizeof(err));
	sk_directory_set(st, "rad", "secret", getenv("SK_TEST_RADIUS_SECRET"), err, sizeof(err));
	sk_directory_set(st, "rad", "timeout", "1", err, sizeof(err));
	sk_directory_set(st, "rad", "retries", "0", err, sizeof(err));
	sk_directory_set(st, "rad", "map-01", "staff class=vpn-staff", err, sizeof(err));
	sk_directory_set(st, "rad", "map-02", "admins filter-id=admins", err, sizeof(err));
	sk_group_directory_set(st, "staff", "rad");
	sk_group_directory_set(st, "admins", "rad");

	s = chain_login("staff", "alice", "alice-pw-1", &f);
	tap_ok(&t, s == SK_STEP_SUCCESS && !sk_user_get(st, "alice", &u) && !strcmp(u.group, "staff") &&
	       !sk_user_directory_get(st, "alice", dir, sizeof(dir)) && !strcmp(dir, "rad"),
	       "chain: alice logs in through RADIUS (Class -> staff), her record made for rad (%s)", f.error);
	s = chain_login("admins", "alice", "alice-pw-1", &f);
	tap_ok(&t, s == SK_STEP_FATAL && err_is(&f, "group-unknown"),
	       "chain: alice may not choose admins (RADIUS maps her to staff only)");
	s = chain_login("admins", "carol", "carol-pw-1", &f);
	tap_ok(&t, s == SK_STEP_SUCCESS, "chain: carol (Filter-Id admins) logs in to admins (%s)", f.error);
	s = chain_login("staff", "alice", "wrong", &f);
	tap_ok(&t, s == SK_STEP_FORM && err_is(&f, "pw-wrong"), "chain: Access-Reject -> pw-wrong");
	s = chain_login("staff", "bob", "bob-pw-1", &f);
	tap_ok(&t, s == SK_STEP_FATAL && err_is(&f, "dir-no-group"), "chain: accepted, no mapped group -> dir-no-group");
	challenge_tests();
	challenge_totp_tests();
	framed_tests();
	sk_directory_set(st, "rad", "secret", "wrong-secret", err, sizeof(err));
	t0 = now_s();
	s = chain_login("staff", "alice", "alice-pw-1", &f);
	t0 = now_s() - t0;
	tap_ok(&t, s == SK_STEP_FATAL && err_is(&f, "dir-unavailable") && t0 < 2.5,
	       "chain: wrong shared secret -> dir-unavailable after %.1f s", t0);
	sk_store_close(st);
	st = NULL;
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
		if (system(cmd))
			printf("# could not remove %s\n", path);
	}
}

int main(void)
{
	tap_begin();
	pure_tests();
	codec_tests();
	hostile_tests();
	if (getenv("SK_TEST_RADIUS_PORT") && getenv("SK_TEST_RADIUS_SECRET") &&
	    getenv("SK_TEST_RADIUS_DEAD_PORT"))
	{
		server_tests();
		chain_tests();
	} else
		tap_skip(&t, "checks against FreeRADIUS", "no server (tests/lib/freeradius.sh: tests/run directory)");
	return tap_end(&t);
}
