// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers shared by sekictl and sk-testpeer.  See skparse.h.
 */
#include "skparse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int sk_parse_u64(const char *s, uint64_t max, uint64_t *out,
		 char *err, size_t errlen)
{
	uint64_t v = 0;
	unsigned int base = 10;
	const char *p = s;

	if (!s || !*s)
		return fail(err, errlen, "empty number");
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			return fail(err, errlen, "'%s': no digits after 0x", s);
	}
	for (; *p; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return fail(err, errlen, "'%s' is not a %s number", s,
				    base == 16 ? "hexadecimal" : "decimal");
		if (v > (UINT64_MAX - d) / base)
			return fail(err, errlen, "'%s' is too large (max %llu)",
				    s, (unsigned long long)max);
		v = v * base + d;
	}
	if (v > max)
		return fail(err, errlen, "'%s' is too large (max %llu)", s,
			    (unsigned long long)max);
	*out = v;
	return 0;
}

int sk_parse_u32(const char *s, uint32_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (sk_parse_u64(s, UINT32_MAX, &v, err, errlen))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int sk_parse_u16(const char *s, uint16_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (sk_parse_u64(s, UINT16_MAX, &v, err, errlen))
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int sk_parse_addr(const char *s, struct sk_addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, out->a) == 1) {
			out->family = AF_INET6;
			return 0;
		}
		return fail(err, errlen, "'%s' is not an IPv6 address", s);
	}
	/* inet_pton(AF_INET) accepts only the strict dotted-quad form. */
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	return fail(err, errlen, "'%s' is not an IPv4 or IPv6 address", s);
}

int sk_parse_prefix(const char *s, struct sk_prefix *out,
		    char *err, size_t errlen)
{
	char buf[SK_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int maxlen, i;
	uint64_t len;
	char e2[SK_ERRLEN];

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "any4")) {
		out->addr.family = AF_INET;
		return 0;
	}
	if (!strcmp(s, "any6")) {
		out->addr.family = AF_INET6;
		return 0;
	}
	if (alen == 0 || alen >= sizeof(buf))
		return fail(err, errlen, "'%s' is not an address or prefix", s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (sk_parse_addr(buf, &out->addr, err, errlen))
		return -1;
	maxlen = out->addr.family == AF_INET6 ? 128 : 32;
	if (!slash) {
		out->len = maxlen;
		return 0;
	}
	if (strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
	    sk_parse_u64(slash + 1, maxlen, &len, e2, sizeof(e2)))
		return fail(err, errlen,
			    "'%s': prefix length must be 0..%u", s, maxlen);
	out->len = (uint8_t)len;
	for (i = out->len; i < maxlen; i++) {
		if (out->addr.a[i / 8] & (0x80 >> (i % 8))) {
			struct sk_prefix fixed = *out;
			char fb[SK_ADDRSTRLEN];
			unsigned int j;

			for (j = out->len; j < maxlen; j++)
				fixed.addr.a[j / 8] &= ~(0x80 >> (j % 8));
			return fail(err, errlen,
				    "'%s': host bits set (did you mean %s?)", s,
				    sk_format_prefix(&fixed, false, fb, sizeof(fb)));
		}
	}
	return 0;
}

int sk_parse_endpoint(const char *s, struct sk_endpoint *out,
		      char *err, size_t errlen)
{
	char buf[SK_ADDRSTRLEN];
	const char *colon, *astart;
	size_t alen;
	char e2[SK_ERRLEN];

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return fail(err, errlen,
				    "'%s': expected [IPV6]:PORT", s);
		astart = s + 1;
		alen = close - astart;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return fail(err, errlen,
				    "'%s': expected ADDR:PORT or [IPV6]:PORT", s);
		if (memchr(s, ':', colon - s))
			return fail(err, errlen,
				    "'%s': write IPv6 endpoints as [ADDR]:PORT", s);
		astart = s;
		alen = colon - s;
	}
	if (alen == 0 || alen >= sizeof(buf))
		return fail(err, errlen, "'%s': missing address", s);
	memcpy(buf, astart, alen);
	buf[alen] = '\0';
	if (sk_parse_addr(buf, &out->addr, e2, sizeof(e2)))
		return fail(err, errlen, "'%s': %s", s, e2);
	if (s[0] == '[' && out->addr.family != AF_INET6)
		return fail(err, errlen, "'%s': brackets are for IPv6 only", s);
	if (sk_parse_u16(colon + 1, &out->port, e2, sizeof(e2)))
		return fail(err, errlen, "'%s': port: %s", s, e2);
	return 0;
}

int sk_parse_ports(const char *s, uint16_t *min, uint16_t *max,
		   char *err, size_t errlen)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	char e2[SK_ERRLEN];

	if (!dash) {
		if (sk_parse_u16(s, min, e2, sizeof(e2)))
			return fail(err, errlen, "port %s", e2);
		*max = *min;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf))
		return fail(err, errlen, "'%s' is not a port range", s);
	memcpy(buf, s, dash - s);
	buf[dash - s] = '\0';
	if (sk_parse_u16(buf, min, e2, sizeof(e2)) ||
	    sk_parse_u16(dash + 1, max, e2, sizeof(e2)))
		return fail(err, errlen, "'%s' is not a port range N-M (0..65535)", s);
	if (*min > *max)
		return fail(err, errlen, "port range '%s': %u > %u", s, *min, *max);
	return 0;
}

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "any", 0 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 },
	{ "icmpv6", 58 },
};

const char *sk_proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

#define RULE_MAXWORDS 5

int sk_parse_rule(const char *s, struct sk_rule *out, char *err, size_t errlen)
{
	char buf[256];
	char *w[RULE_MAXWORDS + 1];
	char *p, *save = NULL;
	int n = 0;
	size_t i;
	char e2[SK_ERRLEN];
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "rule too long");
	strcpy(buf, s);
	for (p = strtok_r(buf, " \t\r\n", &save); p;
	     p = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == RULE_MAXWORDS)
			break;
		w[n++] = p;
	}
	if (n < 3 || n > 4)
		return fail(err, errlen,
			    "'%s': expected ACTION PROTO PREFIX [PORTS]", s);
	if (!strcmp(w[0], "allow"))
		out->action = SK_ACTION_ALLOW;
	else if (!strcmp(w[0], "deny"))
		out->action = SK_ACTION_DENY;
	else
		return fail(err, errlen, "'%s': action '%s' is not allow or deny",
			    s, w[0]);
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcmp(w[1], protos[i].name)) {
			out->proto = protos[i].proto;
			found = true;
		}
	}
	if (!found)
		return fail(err, errlen,
			    "'%s': protocol '%s' is not any, tcp, udp, icmp or icmpv6",
			    s, w[1]);
	if (sk_parse_prefix(w[2], &out->dst, e2, sizeof(e2)))
		return fail(err, errlen, "'%s': %s", s, e2);
	if (out->proto == 1 && out->dst.addr.family != AF_INET)
		return fail(err, errlen,
			    "'%s': icmp needs an IPv4 prefix (use icmpv6 for IPv6)", s);
	if (out->proto == 58 && out->dst.addr.family != AF_INET6)
		return fail(err, errlen,
			    "'%s': icmpv6 needs an IPv6 prefix (use icmp for IPv4)", s);
	if (n == 4) {
		if (out->proto != 6 && out->proto != 17)
			return fail(err, errlen,
				    "'%s': ports are allowed with tcp and udp only", s);
		if (sk_parse_ports(w[3], &out->port_min, &out->port_max,
				   e2, sizeof(e2)))
			return fail(err, errlen, "'%s': %s", s, e2);
		out->has_ports = true;
	}
	return 0;
}

int sk_parse_rules_text(char *buf, size_t len,
			int (*add)(void *ctx, const struct sk_rule *r),
			void *ctx, char *err, size_t errlen)
{
	size_t lineno = 0;
	char *line = buf, *end = buf + len;

	while (line < end) {
		char *nl = memchr(line, '\n', end - line);
		char *hash, *p;
		struct sk_rule r;
		char e2[SK_ERRLEN];

		if (nl)
			*nl = '\0';
		else
			*end = '\0';	/* buffer has room for the NUL */
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (p = line; *p == ' ' || *p == '\t' || *p == '\r'; p++)
			;
		if (*p) {
			if (sk_parse_rule(p, &r, e2, sizeof(e2)))
				return fail(err, errlen, "line %zu: %s", lineno, e2);
			if (add(ctx, &r))
				return fail(err, errlen, "line %zu: too many rules",
					    lineno);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

static const char *const cipher_names[] = {
	[SK_CIPHER_NONE] = "none",
	[SK_CIPHER_AES128_GCM] = "aes128-gcm",
	[SK_CIPHER_AES256_GCM] = "aes256-gcm",
	[SK_CIPHER_CHACHA20_POLY1305] = "chacha20-poly1305",
};

int sk_parse_cipher(const char *s, enum sk_cipher *out, char *err, size_t errlen)
{
	unsigned int i;

	for (i = SK_CIPHER_AES128_GCM; i <= SK_CIPHER_CHACHA20_POLY1305; i++) {
		if (!strcmp(s, cipher_names[i])) {
			*out = (enum sk_cipher)i;
			return 0;
		}
	}
	return fail(err, errlen,
		    "'%s' is not aes128-gcm, aes256-gcm or chacha20-poly1305", s);
}

const char *sk_cipher_name(unsigned int c)
{
	if (c < sizeof(cipher_names) / sizeof(cipher_names[0]))
		return cipher_names[c];
	return "unknown";
}

size_t sk_cipher_key_len(enum sk_cipher c)
{
	return c == SK_CIPHER_AES128_GCM ? 16 : 32;
}

size_t sk_cipher_iv_len(enum sk_cipher c)
{
	return c == SK_CIPHER_CHACHA20_POLY1305 ? 12 : 4;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sk_hex_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
		  size_t *outlen, char *err, size_t errlen)
{
	size_t i;

	if (slen % 2)
		return fail(err, errlen, "odd number of hex digits (%zu)", slen);
	if (slen / 2 > outmax)
		return fail(err, errlen, "too long: %zu bytes, at most %zu",
			    slen / 2, outmax);
	for (i = 0; i < slen; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return fail(err, errlen, "bad hex digit at position %zu",
				    i + (hi < 0 ? 1 : 2));
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = slen / 2;
	return 0;
}

int sk_keys_parse(char *text, size_t len, struct sk_keys *k,
		  char *err, size_t errlen)
{
	size_t lineno = 0;
	char *line = text, *end = text + len;
	unsigned int seen = 0;
	enum { TXK = 1, TXI = 2, RXK = 4, RXI = 8, TXS = 16, RXS = 32 };

	memset(k, 0, sizeof(*k));
	while (line < end) {
		char *nl = memchr(line, '\n', end - line);
		char *name, *val, *p, *save = NULL;
		struct sk_keydir *d;
		unsigned int bit;
		char e2[SK_ERRLEN];

		if (nl)
			*nl = '\0';
		else
			*end = '\0';
		lineno++;
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		name = strtok_r(line, " \t\r", &save);
		if (!name)
			goto next;
		val = strtok_r(NULL, " \t\r", &save);
		if (!val)
			return fail(err, errlen, "line %zu: '%s' needs a value",
				    lineno, name);
		if (strtok_r(NULL, " \t\r", &save))
			return fail(err, errlen, "line %zu: '%s' takes one value",
				    lineno, name);
		if (!strncmp(name, "tx-", 3))
			d = &k->tx;
		else if (!strncmp(name, "rx-", 3))
			d = &k->rx;
		else
			goto unknown;
		if (!strcmp(name + 3, "key")) {
			bit = d == &k->tx ? TXK : RXK;
			if (sk_hex_decode(val, strlen(val), d->key, SK_KEY_MAX,
					  &d->key_len, e2, sizeof(e2)))
				return fail(err, errlen, "line %zu: %s: %s",
					    lineno, name, e2);
		} else if (!strcmp(name + 3, "iv")) {
			bit = d == &k->tx ? TXI : RXI;
			if (sk_hex_decode(val, strlen(val), d->iv, SK_IV_MAX,
					  &d->iv_len, e2, sizeof(e2)))
				return fail(err, errlen, "line %zu: %s: %s",
					    lineno, name, e2);
		} else if (!strcmp(name + 3, "seq")) {
			bit = d == &k->tx ? TXS : RXS;
			if (sk_parse_u64(val, SK_SEQ_MAX, &d->seq, e2, sizeof(e2)))
				return fail(err, errlen, "line %zu: %s: %s",
					    lineno, name, e2);
			d->has_seq = true;
		} else {
			goto unknown;
		}
		if (seen & bit)
			return fail(err, errlen, "line %zu: '%s' given twice",
				    lineno, name);
		seen |= bit;
next:
		if (!nl)
			break;
		line = nl + 1;
		continue;
unknown:
		return fail(err, errlen,
			    "line %zu: unknown keyword '%s' (expected tx-key, tx-iv, rx-key, rx-iv, tx-seq or rx-seq)",
			    lineno, name);
	}
	if (!(seen & TXK))
		return fail(err, errlen, "missing tx-key");
	if (!(seen & TXI))
		return fail(err, errlen, "missing tx-iv");
	if (!(seen & RXK))
		return fail(err, errlen, "missing rx-key");
	if (!(seen & RXI))
		return fail(err, errlen, "missing rx-iv");
	return 0;
}

int sk_keys_load(const char *path, struct sk_keys *k, char *err, size_t errlen)
{
	/* Read into one fixed buffer (no stdio copies) and wipe it after. */
	char buf[SK_KEYFILE_MAX + 1];
	size_t len = 0;
	int fd, ret;

	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = fail(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
		if (len == sizeof(buf) - 1) {
			char c;

			if (read(fd, &c, 1) > 0) {
				ret = fail(err, errlen,
					   "%s: larger than %d bytes; not a key file",
					   path, SK_KEYFILE_MAX);
				goto out;
			}
			break;
		}
	}
	buf[len] = '\0';
	ret = sk_keys_parse(buf, len, k, err, errlen);
	if (ret)
		sk_keys_wipe(k);
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd != STDIN_FILENO)
		close(fd);
	return ret;
}

static int check_dir(const struct sk_keydir *d, const char *dir,
		     enum sk_cipher c, char *err, size_t errlen)
{
	size_t kl = sk_cipher_key_len(c), il = sk_cipher_iv_len(c);

	if (d->key_len != kl)
		return fail(err, errlen,
			    "%s-key: %s needs a %zu-byte key (%zu hex digits), got %zu bytes",
			    dir, sk_cipher_name(c), kl, 2 * kl, d->key_len);
	if (d->iv_len != il)
		return fail(err, errlen,
			    "%s-iv: %s needs a %zu-byte IV (%zu hex digits), got %zu bytes",
			    dir, sk_cipher_name(c), il, 2 * il, d->iv_len);
	return 0;
}

int sk_keys_check(const struct sk_keys *k, enum sk_cipher c,
		  char *err, size_t errlen)
{
	if (check_dir(&k->tx, "tx", c, err, errlen) ||
	    check_dir(&k->rx, "rx", c, err, errlen))
		return -1;
	return 0;
}

void sk_keys_wipe(struct sk_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}

int sk_read_file(const char *path, size_t max, char **bufp, size_t *lenp,
		 char *err, size_t errlen)
{
	size_t cap = 4096, len = 0;
	char *buf;
	int fd;

	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	buf = malloc(cap);
	if (!buf)
		goto nomem;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap > max) {
				free(buf);
				if (fd != STDIN_FILENO)
					close(fd);
				return fail(err, errlen, "%s: larger than %zu bytes",
					    path, max);
			}
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto nomem;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			if (fd != STDIN_FILENO)
				close(fd);
			return fail(err, errlen, "%s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > max) {
		free(buf);
		if (fd != STDIN_FILENO)
			close(fd);
		return fail(err, errlen, "%s: larger than %zu bytes", path, max);
	}
	buf[len] = '\0';
	if (fd != STDIN_FILENO)
		close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
nomem:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return fail(err, errlen, "%s: out of memory", path);
}

const char *sk_format_addr(const struct sk_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *sk_format_prefix(const struct sk_prefix *p, bool bare,
			     char *buf, size_t len)
{
	char ab[INET6_ADDRSTRLEN];
	unsigned int maxlen = p->addr.family == AF_INET6 ? 128 : 32;

	sk_format_addr(&p->addr, ab, sizeof(ab));
	if (bare && p->len == maxlen)
		snprintf(buf, len, "%s", ab);
	else
		snprintf(buf, len, "%s/%u", ab, p->len);
	return buf;
}

const char *sk_format_endpoint(const struct sk_endpoint *e, char *buf, size_t len)
{
	char ab[INET6_ADDRSTRLEN];

	sk_format_addr(&e->addr, ab, sizeof(ab));
	if (e->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ab, e->port);
	else
		snprintf(buf, len, "%s:%u", ab, e->port);
	return buf;
}

const char *sk_format_rule(const struct sk_rule *r, char *buf, size_t len)
{
	char pb[SK_ADDRSTRLEN], portb[16] = "";
	const char *pn = sk_proto_name(r->proto);
	char protob[8];

	if (!pn) {
		snprintf(protob, sizeof(protob), "%u", r->proto);
		pn = protob;
	}
	if (r->dst.len == 0)
		snprintf(pb, sizeof(pb), "%s",
			 r->dst.addr.family == AF_INET6 ? "any6" : "any4");
	else
		sk_format_prefix(&r->dst, true, pb, sizeof(pb));
	if (r->has_ports) {
		if (r->port_min == r->port_max)
			snprintf(portb, sizeof(portb), " %u", r->port_min);
		else
			snprintf(portb, sizeof(portb), " %u-%u", r->port_min,
				 r->port_max);
	}
	snprintf(buf, len, "%s %s %s%s",
		 r->action == SK_ACTION_ALLOW ? "allow" : "deny", pn, pb, portb);
	return buf;
}

void sk_endpoint_to_sockaddr(const struct sk_endpoint *e,
			     struct sockaddr_storage *ss, socklen_t *sslen)
{
	memset(ss, 0, sizeof(*ss));
	if (e->addr.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(e->port);
		memcpy(&s6->sin6_addr, e->addr.a, 16);
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(e->port);
		memcpy(&s4->sin_addr, e->addr.a, 4);
		*sslen = sizeof(*s4);
	}
}

void sk_sockaddr_to_endpoint(const struct sockaddr *sa, struct sk_endpoint *e)
{
	memset(e, 0, sizeof(*e));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		e->addr.family = AF_INET6;
		memcpy(e->addr.a, &s6->sin6_addr, 16);
		e->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		e->addr.family = AF_INET;
		memcpy(e->addr.a, &s4->sin_addr, 4);
		e->port = ntohs(s4->sin_port);
	}
}
