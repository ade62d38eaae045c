// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userspace/lib/skparse.c: numbers, addresses, prefixes,
 * endpoints, ports, rules, hex and key files.  TAP output.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skparse.h"
#include "tap.h"

static struct tap t;
static char err[SK_ERRLEN];

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void numbers(void)
{
	uint64_t v;
	uint32_t u;
	uint16_t s;

	tap_ok(&t, !sk_parse_u64("42", 100, &v, err, sizeof(err)) && v == 42,
	       "u64: decimal");
	tap_ok(&t, !sk_parse_u64("0x1F", 100, &v, err, sizeof(err)) && v == 31,
	       "u64: hexadecimal");
	tap_ok(&t, sk_parse_u64("101", 100, &v, err, sizeof(err)) &&
	       has(err, "too large"), "u64: above max refused (%s)", err);
	tap_ok(&t, sk_parse_u64("18446744073709551616", UINT64_MAX, &v, err,
				sizeof(err)), "u64: overflow refused");
	tap_ok(&t, sk_parse_u64("12a", 1000, &v, err, sizeof(err)) &&
	       sk_parse_u64("", 1000, &v, err, sizeof(err)) &&
	       sk_parse_u64("-1", 1000, &v, err, sizeof(err)) &&
	       sk_parse_u64("0x", 1000, &v, err, sizeof(err)) &&
	       sk_parse_u64(" 1", 1000, &v, err, sizeof(err)),
	       "u64: junk, empty, sign, bare 0x, space refused");
	tap_ok(&t, !sk_parse_u32("4294967295", &u, err, sizeof(err)) &&
	       u == UINT32_MAX && sk_parse_u32("4294967296", &u, err, sizeof(err)),
	       "u32: limits");
	tap_ok(&t, !sk_parse_u16("65535", &s, err, sizeof(err)) &&
	       sk_parse_u16("65536", &s, err, sizeof(err)), "u16: limits");
}

static void addresses(void)
{
	struct sk_addr a;
	struct sk_prefix p;
	struct sk_endpoint e;
	char b[SK_ADDRSTRLEN];

	tap_ok(&t, !sk_parse_addr("10.0.0.5", &a, err, sizeof(err)) &&
	       a.family == AF_INET && a.a[3] == 5, "addr: IPv4");
	tap_ok(&t, !sk_parse_addr("2001:db8::1", &a, err, sizeof(err)) &&
	       a.family == AF_INET6 && a.a[15] == 1, "addr: IPv6");
	tap_ok(&t, sk_parse_addr("10.0.0", &a, err, sizeof(err)) &&
	       sk_parse_addr("10.0.0.256", &a, err, sizeof(err)) &&
	       sk_parse_addr("2001:db8:::1", &a, err, sizeof(err)) &&
	       sk_parse_addr("host.example", &a, err, sizeof(err)),
	       "addr: malformed refused");

	tap_ok(&t, !sk_parse_prefix("10.0.0.0/8", &p, err, sizeof(err)) &&
	       p.len == 8 && p.addr.family == AF_INET, "prefix: 10.0.0.0/8");
	tap_ok(&t, !sk_parse_prefix("10.0.0.5", &p, err, sizeof(err)) && p.len == 32,
	       "prefix: bare IPv4 is /32");
	tap_ok(&t, !sk_parse_prefix("fd00::1", &p, err, sizeof(err)) && p.len == 128,
	       "prefix: bare IPv6 is /128");
	tap_ok(&t, !sk_parse_prefix("::/0", &p, err, sizeof(err)) && p.len == 0 &&
	       p.addr.family == AF_INET6, "prefix: ::/0");
	tap_ok(&t, !sk_parse_prefix("any4", &p, err, sizeof(err)) && p.len == 0 &&
	       p.addr.family == AF_INET, "prefix: any4");
	tap_ok(&t, !sk_parse_prefix("any6", &p, err, sizeof(err)) && p.len == 0 &&
	       p.addr.family == AF_INET6, "prefix: any6");
	tap_ok(&t, sk_parse_prefix("10.0.0.1/8", &p, err, sizeof(err)) &&
	       has(err, "host bits") && has(err, "10.0.0.0/8"),
	       "prefix: host bits refused with a hint (%s)", err);
	tap_ok(&t, sk_parse_prefix("fd00::1/64", &p, err, sizeof(err)) &&
	       has(err, "fd00::/64"), "prefix: IPv6 host bits (%s)", err);
	tap_ok(&t, sk_parse_prefix("10.0.0.0/33", &p, err, sizeof(err)) &&
	       sk_parse_prefix("10.0.0.0/", &p, err, sizeof(err)) &&
	       sk_parse_prefix("10.0.0.0/0x8", &p, err, sizeof(err)) &&
	       sk_parse_prefix("::/129", &p, err, sizeof(err)) &&
	       sk_parse_prefix("/8", &p, err, sizeof(err)),
	       "prefix: bad lengths refused");
	sk_parse_prefix("10.1.0.0/16", &p, err, sizeof(err));
	tap_ok(&t, !strcmp(sk_format_prefix(&p, false, b, sizeof(b)), "10.1.0.0/16"),
	       "prefix: formatted back");

	tap_ok(&t, !sk_parse_endpoint("192.0.2.1:443", &e, err, sizeof(err)) &&
	       e.port == 443 && e.addr.family == AF_INET, "endpoint: IPv4");
	tap_ok(&t, !sk_parse_endpoint("[2001:db8::1]:4443", &e, err, sizeof(err)) &&
	       e.port == 4443 && e.addr.family == AF_INET6, "endpoint: [IPv6]");
	tap_ok(&t, !strcmp(sk_format_endpoint(&e, b, sizeof(b)), "[2001:db8::1]:4443"),
	       "endpoint: formatted back with brackets");
	tap_ok(&t, sk_parse_endpoint("2001:db8::1:443", &e, err, sizeof(err)) &&
	       has(err, "[ADDR]:PORT"), "endpoint: bare IPv6 refused (%s)", err);
	tap_ok(&t, sk_parse_endpoint("192.0.2.1", &e, err, sizeof(err)) &&
	       sk_parse_endpoint("192.0.2.1:70000", &e, err, sizeof(err)) &&
	       sk_parse_endpoint("[192.0.2.1]:5", &e, err, sizeof(err)) &&
	       sk_parse_endpoint("[::1]5", &e, err, sizeof(err)) &&
	       sk_parse_endpoint(":5", &e, err, sizeof(err)),
	       "endpoint: missing port, big port, bracketed IPv4, junk refused");
}

static void ports_and_rules(void)
{
	uint16_t lo, hi;
	struct sk_rule r;
	char b[128];
	static const char *const good[] = {
		"allow tcp 10.0.0.5 22", "deny tcp 10.0.0.5 3389",
		"allow udp 10.1.0.0/16 1000-2000", "allow any any4",
		"allow icmpv6 any6", "deny any ::/0", "allow icmp 10.0.0.0/8",
		"allow tcp fd00::/16 0-65535", "deny udp 192.0.2.7 53",
	};
	/* text -> canonical text */
	static const char *const canon[][2] = {
		{ "allow tcp 10.0.0.5/32 22", "allow tcp 10.0.0.5 22" },
		{ "deny any ::/0", "deny any any6" },
		{ "allow  udp\t10.1.0.0/16   1000-2000", "allow udp 10.1.0.0/16 1000-2000" },
		{ "allow tcp 10.0.0.5 22-22", "allow tcp 10.0.0.5 22" },
	};
	static const struct {
		const char *rule, *why;
	} bad[] = {
		{ "permit tcp 10.0.0.5 22", "not allow or deny" },
		{ "allow sctp 10.0.0.5", "is not any, tcp" },
		{ "allow tcp", "expected ACTION PROTO PREFIX" },
		{ "allow tcp 10.0.0.5 22 23", "expected ACTION PROTO PREFIX" },
		{ "allow icmp 10.0.0.5 22", "tcp and udp only" },
		{ "allow any 10.0.0.5 22", "tcp and udp only" },
		{ "allow icmp fd00::1", "needs an IPv4" },
		{ "allow icmpv6 10.0.0.1", "needs an IPv6" },
		{ "allow tcp 10.0.0.5 2000-1000", "2000 > 1000" },
		{ "allow tcp 10.0.0.5 65536", "port" },
		{ "allow tcp 10.0.0.1/8 22", "host bits" },
		{ "allow tcp 10.0.0.5 a-b", "not a port range" },
	};
	size_t i;
	bool all = true;

	tap_ok(&t, !sk_parse_ports("22", &lo, &hi, err, sizeof(err)) &&
	       lo == 22 && hi == 22, "ports: single");
	tap_ok(&t, !sk_parse_ports("1000-2000", &lo, &hi, err, sizeof(err)) &&
	       lo == 1000 && hi == 2000, "ports: range");
	tap_ok(&t, sk_parse_ports("5-", &lo, &hi, err, sizeof(err)) &&
	       sk_parse_ports("-5", &lo, &hi, err, sizeof(err)),
	       "ports: half ranges refused");

	tap_ok(&t, !sk_parse_rule("allow tcp 10.0.0.5 22", &r, err, sizeof(err)) &&
	       r.action == SK_ACTION_ALLOW && r.proto == 6 && r.dst.len == 32 &&
	       r.has_ports && r.port_min == 22 && r.port_max == 22,
	       "rule: allow tcp 10.0.0.5 22 fields");
	tap_ok(&t, !sk_parse_rule("allow any any4", &r, err, sizeof(err)) &&
	       r.proto == 0 && r.dst.len == 0 && r.dst.addr.family == AF_INET &&
	       !r.has_ports, "rule: allow any any4 fields");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (sk_parse_rule(good[i], &r, err, sizeof(err))) {
			all = false;
			printf("# refused: %s: %s\n", good[i], err);
			continue;
		}
		/* the canonical text must parse back to the same rule */
		{
			struct sk_rule r2;

			sk_format_rule(&r, b, sizeof(b));
			if (sk_parse_rule(b, &r2, err, sizeof(err)) ||
			    memcmp(&r, &r2, sizeof(r))) {
				all = false;
				printf("# no round trip: %s -> %s\n", good[i], b);
			}
		}
	}
	tap_ok(&t, all, "rule: %zu valid rules parse and round-trip",
	       sizeof(good) / sizeof(good[0]));
	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		sk_parse_rule(canon[i][0], &r, err, sizeof(err));
		tap_ok(&t, !strcmp(sk_format_rule(&r, b, sizeof(b)), canon[i][1]),
		       "rule: '%s' prints as '%s' (got '%s')", canon[i][0],
		       canon[i][1], b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(&t, sk_parse_rule(bad[i].rule, &r, err, sizeof(err)) &&
		       has(err, bad[i].why), "rule: '%s' refused: %s", bad[i].rule,
		       err);
}

struct collect {
	struct sk_rule r[8];
	int n;
};

static int collect(void *ctx, const struct sk_rule *r)
{
	struct collect *c = ctx;

	if (c->n == 8)
		return -1;
	c->r[c->n++] = *r;
	return 0;
}

static void rules_text(void)
{
	char text[] = "# web servers\n\nallow tcp 10.0.0.5 22   # ssh\n"
		      "  deny tcp 10.0.0.5 3389\r\n\tallow any any6\n# end";
	char bad[] = "allow tcp 10.0.0.5 22\n\nallow tcp 10.0.0.1/8 22\n";
	struct collect c = { .n = 0 };

	tap_ok(&t, !sk_parse_rules_text(text, strlen(text), collect, &c, err,
					sizeof(err)) && c.n == 3 &&
	       c.r[1].action == SK_ACTION_DENY && c.r[2].dst.addr.family == AF_INET6,
	       "rules file: comments, blank lines, CRLF, indentation");
	c.n = 0;
	tap_ok(&t, sk_parse_rules_text(bad, strlen(bad), collect, &c, err,
				       sizeof(err)) && has(err, "line 3:"),
	       "rules file: error names the line (%s)", err);
}

static void hex_and_keys(void)
{
	uint8_t out[8];
	size_t n;
	struct sk_keys k;
	char ok[] = "tx-key 000102030405060708090a0b0c0d0e0f\n"
		    "tx-iv A0A1A2A3\n"
		    "# comment\n"
		    "rx-key 101112131415161718191a1b1c1d1e1f\n"
		    "rx-iv b0b1b2b3\ntx-seq 0x10\nrx-seq 7\n";
	char missing[] = "tx-key 00\ntx-iv 00\nrx-key 00\n";
	char dup[] = "tx-key 00\ntx-key 00\n";
	char unknown[] = "tx-key 00\nrx-salt 00\n";
	char twovals[] = "tx-key 00 11\n";
	char novalue[] = "tx-key\n";
	char badhex[] = "tx-key 0g\n";
	char longkey[] = "tx-key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n";
	char bigseq[] = "tx-key 00\ntx-iv 00\nrx-key 00\nrx-iv 00\ntx-seq 281474976710656\n";
	char path[] = "/tmp/sk-parse-test-XXXXXX";
	int fd;

	tap_ok(&t, !sk_hex_decode("00ff10", 6, out, sizeof(out), &n, err, sizeof(err)) &&
	       n == 3 && out[1] == 0xff, "hex: decode");
	tap_ok(&t, sk_hex_decode("0", 1, out, sizeof(out), &n, err, sizeof(err)) &&
	       has(err, "odd"), "hex: odd length refused");
	tap_ok(&t, sk_hex_decode("zz", 2, out, sizeof(out), &n, err, sizeof(err)) &&
	       has(err, "position 1"), "hex: bad digit position (%s)", err);
	tap_ok(&t, sk_hex_decode("000000000000000000", 18, out, sizeof(out), &n,
				 err, sizeof(err)) && has(err, "too long"),
	       "hex: too long refused");

	tap_ok(&t, !sk_keys_parse(ok, strlen(ok), &k, err, sizeof(err)) &&
	       k.tx.key_len == 16 && k.tx.iv_len == 4 && k.tx.iv[0] == 0xa0 &&
	       k.rx.key[15] == 0x1f && k.tx.has_seq && k.tx.seq == 16 &&
	       k.rx.has_seq && k.rx.seq == 7, "keys: full file");
	tap_ok(&t, !sk_keys_check(&k, SK_CIPHER_AES128_GCM, err, sizeof(err)),
	       "keys: lengths fit aes128-gcm");
	tap_ok(&t, sk_keys_check(&k, SK_CIPHER_AES256_GCM, err, sizeof(err)) &&
	       has(err, "tx-key") && has(err, "32-byte") && has(err, "got 16"),
	       "keys: aes256-gcm wants 32 bytes (%s)", err);
	tap_ok(&t, sk_keys_check(&k, SK_CIPHER_CHACHA20_POLY1305, err, sizeof(err)),
	       "keys: chacha20-poly1305 refuses a 16-byte key");
	k.tx.key_len = k.rx.key_len = 32;
	tap_ok(&t, sk_keys_check(&k, SK_CIPHER_CHACHA20_POLY1305, err, sizeof(err)) &&
	       has(err, "tx-iv") && has(err, "12-byte"),
	       "keys: chacha20-poly1305 wants a 12-byte IV (%s)", err);
	sk_keys_wipe(&k);
	tap_ok(&t, k.tx.key_len == 0 && k.tx.key[0] == 0, "keys: wipe zeroes");

	tap_ok(&t, sk_keys_parse(missing, strlen(missing), &k, err, sizeof(err)) &&
	       has(err, "missing rx-iv"), "keys: missing line (%s)", err);
	tap_ok(&t, sk_keys_parse(dup, strlen(dup), &k, err, sizeof(err)) &&
	       has(err, "line 2") && has(err, "twice"), "keys: duplicate (%s)", err);
	tap_ok(&t, sk_keys_parse(unknown, strlen(unknown), &k, err, sizeof(err)) &&
	       has(err, "unknown keyword 'rx-salt'"), "keys: unknown keyword");
	tap_ok(&t, sk_keys_parse(twovals, strlen(twovals), &k, err, sizeof(err)) &&
	       has(err, "one value"), "keys: two values refused");
	tap_ok(&t, sk_keys_parse(novalue, strlen(novalue), &k, err, sizeof(err)) &&
	       has(err, "needs a value"), "keys: missing value refused");
	tap_ok(&t, sk_keys_parse(badhex, strlen(badhex), &k, err, sizeof(err)) &&
	       has(err, "tx-key"), "keys: bad hex refused (%s)", err);
	tap_ok(&t, sk_keys_parse(longkey, strlen(longkey), &k, err, sizeof(err)) &&
	       has(err, "too long"), "keys: 33-byte key refused");
	tap_ok(&t, sk_keys_parse(bigseq, strlen(bigseq), &k, err, sizeof(err)) &&
	       has(err, "tx-seq"), "keys: sequence above 2^48-1 refused (%s)", err);

	fd = mkstemp(path);
	if (fd >= 0) {
		const char *kf = "tx-key 00112233445566778899aabbccddeeff\ntx-iv 01020304\n"
				 "rx-key ffeeddccbbaa99887766554433221100\nrx-iv 05060708\n";

		if (write(fd, kf, strlen(kf)) != (ssize_t)strlen(kf))
			printf("# short write\n");
		close(fd);
		tap_ok(&t, !sk_keys_load(path, &k, err, sizeof(err)) &&
		       k.rx.key[0] == 0xff && !sk_keys_check(&k, SK_CIPHER_AES128_GCM,
							     err, sizeof(err)),
		       "keys: load from a file");
		fd = open(path, O_WRONLY | O_TRUNC);
		if (fd >= 0) {
			char junk[SK_KEYFILE_MAX + 10];

			memset(junk, '#', sizeof(junk));
			if (write(fd, junk, sizeof(junk)) != (ssize_t)sizeof(junk))
				printf("# short write\n");
			close(fd);
		}
		tap_ok(&t, sk_keys_load(path, &k, err, sizeof(err)) &&
		       has(err, "larger than"), "keys: oversized file refused (%s)", err);
		unlink(path);
	}
	tap_ok(&t, sk_keys_load("/nonexistent/keys", &k, err, sizeof(err)) &&
	       has(err, "No such file"), "keys: missing file (%s)", err);
}

static void ciphers(void)
{
	enum sk_cipher c;

	tap_ok(&t, !sk_parse_cipher("aes128-gcm", &c, err, sizeof(err)) &&
	       c == SK_CIPHER_AES128_GCM && sk_cipher_key_len(c) == 16 &&
	       sk_cipher_iv_len(c) == 4, "cipher: aes128-gcm 16/4");
	tap_ok(&t, !sk_parse_cipher("aes256-gcm", &c, err, sizeof(err)) &&
	       sk_cipher_key_len(c) == 32 && sk_cipher_iv_len(c) == 4,
	       "cipher: aes256-gcm 32/4");
	tap_ok(&t, !sk_parse_cipher("chacha20-poly1305", &c, err, sizeof(err)) &&
	       sk_cipher_key_len(c) == 32 && sk_cipher_iv_len(c) == 12,
	       "cipher: chacha20-poly1305 32/12");
	tap_ok(&t, sk_parse_cipher("aes-128-gcm", &c, err, sizeof(err)) &&
	       has(err, "aes128-gcm, aes256-gcm or chacha20-poly1305"),
	       "cipher: unknown name lists the choices");
}

int main(void)
{
	tap_begin();
	numbers();
	addresses();
	ports_and_rules();
	rules_text();
	hex_and_keys();
	ciphers();
	return tap_end(&t);
}
