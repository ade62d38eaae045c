/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers shared by sekictl and sk-testpeer: numbers, addresses, prefixes,
 * endpoints, port ranges, allowlist rules, hex strings and key files.
 *
 * Every parser reports failures by writing one human-readable sentence into
 * a caller-supplied buffer (err, errlen) and returning -1; nothing here
 * prints, exits or keeps state.  The texts are meant to be shown after the
 * name of the offending argument, e.g. "--route: 10.0.0.1/8: host bits set".
 */
#ifndef SK_PARSE_H
#define SK_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Same values as enum sekisho_cipher in the uapi header (checked there). */
enum sk_cipher {
	SK_CIPHER_NONE = 0,
	SK_CIPHER_AES128_GCM = 1,
	SK_CIPHER_AES256_GCM = 2,
	SK_CIPHER_CHACHA20_POLY1305 = 3,
};

/* Same values as enum sekisho_action. */
enum sk_action {
	SK_ACTION_DENY = 0,
	SK_ACTION_ALLOW = 1,
};

#define SK_ERRLEN	256	/* enough for every message produced here */
#define SK_ADDRSTRLEN	64	/* "[ipv6]:port" and "ipv6/len" fit */

struct sk_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t a[16];		/* 4 or 16 bytes used, network order */
};

struct sk_prefix {
	struct sk_addr addr;
	uint8_t len;		/* 0..32 or 0..128 */
};

struct sk_endpoint {
	struct sk_addr addr;
	uint16_t port;		/* host order */
};

struct sk_rule {
	enum sk_action action;
	uint8_t proto;		/* 0 any, 1 icmp, 6 tcp, 17 udp, 58 icmpv6 */
	struct sk_prefix dst;	/* dst.len == 0 means "any" of that family */
	bool has_ports;
	uint16_t port_min;	/* host order, only with has_ports */
	uint16_t port_max;
};

#define SK_KEY_MAX	32
#define SK_IV_MAX	12

/* One direction of a DTLS record key, as in the key files. */
struct sk_keydir {
	uint8_t key[SK_KEY_MAX];
	uint8_t iv[SK_IV_MAX];
	size_t key_len;
	size_t iv_len;
	bool has_seq;
	uint64_t seq;
};

/* The contents of a key file: tx-key/tx-iv/rx-key/rx-iv [tx-seq] [rx-seq]. */
struct sk_keys {
	struct sk_keydir tx;
	struct sk_keydir rx;
};

#define SK_KEYFILE_MAX	4096	/* larger key files are refused */
#define SK_SEQ_MAX	0xffffffffffffULL

static inline size_t sk_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

int sk_parse_u64(const char *s, uint64_t max, uint64_t *out,
		 char *err, size_t errlen);
int sk_parse_u32(const char *s, uint32_t *out, char *err, size_t errlen);
int sk_parse_u16(const char *s, uint16_t *out, char *err, size_t errlen);

int sk_parse_addr(const char *s, struct sk_addr *out, char *err, size_t errlen);
/* "A", "A/len", "any4" (0.0.0.0/0), "any6" (::/0); host bits must be 0. */
int sk_parse_prefix(const char *s, struct sk_prefix *out,
		    char *err, size_t errlen);
/* "1.2.3.4:443", "[2001:db8::1]:443" (brackets required for IPv6). */
int sk_parse_endpoint(const char *s, struct sk_endpoint *out,
		      char *err, size_t errlen);
/* "N" or "N-M" with N <= M. */
int sk_parse_ports(const char *s, uint16_t *min, uint16_t *max,
		   char *err, size_t errlen);
/* "allow tcp 10.0.0.0/8 22" etc.; see Documentation/sekictl.md. */
int sk_parse_rule(const char *s, struct sk_rule *out, char *err, size_t errlen);
/* Parse a rules file held in buf (modified); calls add() per rule. */
int sk_parse_rules_text(char *buf, size_t len,
			int (*add)(void *ctx, const struct sk_rule *r),
			void *ctx, char *err, size_t errlen);
int sk_parse_cipher(const char *s, enum sk_cipher *out,
		    char *err, size_t errlen);
const char *sk_cipher_name(unsigned int c);
size_t sk_cipher_key_len(enum sk_cipher c);
size_t sk_cipher_iv_len(enum sk_cipher c);
const char *sk_proto_name(uint8_t proto);	/* NULL when it has no name */

/* Decode hex (even length, no separators); -1 on bad digits or too long. */
int sk_hex_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
		  size_t *outlen, char *err, size_t errlen);

/* Parse key-file text (modified in place and not wiped: caller wipes). */
int sk_keys_parse(char *text, size_t len, struct sk_keys *k,
		  char *err, size_t errlen);
/* Read and parse a key file ("-" = stdin); all buffers are wiped. */
int sk_keys_load(const char *path, struct sk_keys *k, char *err, size_t errlen);
/* Check the key and IV lengths of both directions against the cipher. */
int sk_keys_check(const struct sk_keys *k, enum sk_cipher c,
		  char *err, size_t errlen);
void sk_keys_wipe(struct sk_keys *k);

/* Read a whole file ("-" = stdin) into a malloc'ed NUL-terminated buffer. */
int sk_read_file(const char *path, size_t max, char **buf, size_t *len,
		 char *err, size_t errlen);

/* Formatters; buffers of SK_ADDRSTRLEN are always large enough. */
const char *sk_format_addr(const struct sk_addr *a, char *buf, size_t len);
/* "10.0.0.0/8"; host addresses keep "/32" unless bare is set. */
const char *sk_format_prefix(const struct sk_prefix *p, bool bare,
			     char *buf, size_t len);
const char *sk_format_endpoint(const struct sk_endpoint *e,
			       char *buf, size_t len);
/* Canonical rule text that sk_parse_rule() reads back unchanged. */
const char *sk_format_rule(const struct sk_rule *r, char *buf, size_t len);

void sk_endpoint_to_sockaddr(const struct sk_endpoint *e,
			     struct sockaddr_storage *ss, socklen_t *sslen);
void sk_sockaddr_to_endpoint(const struct sockaddr *sa, struct sk_endpoint *e);

#endif /* SK_PARSE_H */
