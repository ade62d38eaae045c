// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod bootstrap configuration parser; see conf.h.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skparse.h"

void skd_conf_defaults(struct skd_conf *c)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->listen[0];

	memset(c, 0, sizeof(*c));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(443);
	sin->sin_addr.s_addr = htonl(INADDR_ANY);
	c->listen_len[0] = sizeof(*sin);
	c->n_listen = 1;
	c->dtls_port = 443;
	strcpy(c->ocsp, "none");
	strcpy(c->store, "/var/lib/sekisho/sekisho.db");
	strcpy(c->device, "sk0");
	strcpy(c->control, "/run/sekisho/control.sock");
	strcpy(c->user, "sekisho");
	strcpy(c->admin_group, "sekisho-admin");
	strcpy(c->server_cert, "/etc/sekisho/server.pem");
	strcpy(c->server_key, "/etc/sekisho/server.key");
	c->mtu = 1500;
	c->rekey_time = 86400;
	strcpy(c->dtls_ciphers, SKD_DTLS_CIPHERS);
	c->max_preauth = 256;
	c->rate_per_source = 30;
	c->worker_generation = 64;
	c->audit_syslog = true;
	c->audit_prune_interval = 86400;
	strcpy(c->audit_syslog_socket, "/dev/log");
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "line %d: ", line);

	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int set_str(char *dst, size_t cap, const char *key, const char *val,
		   bool path, int line, char *err, size_t errlen)
{
	if (strlen(val) >= cap)
		return fail(err, errlen, line, "%s: value longer than %zu bytes", key, cap - 1);
	if (path && val[0] && val[0] != '/')
		return fail(err, errlen, line, "%s: '%s' is not an absolute path", key, val);
	strcpy(dst, val);
	return 0;
}

static int set_int(int *dst, const char *key, const char *val, long min, long max,
		   int line, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (!val[0] || *end || errno || v < min || v > max)
		return fail(err, errlen, line, "%s: '%s' is not a number %ld..%ld", key, val, min, max);
	*dst = (int)v;
	return 0;
}

/* a user or group name as useradd takes it */
static bool name_ok(const char *s)
{
	if (!s[0] || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* ep as a socket address (listen, metrics_listen); returns its length */
static socklen_t endpoint_sockaddr(const struct sk_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->addr.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		memcpy(&sin->sin_addr, ep->addr.a, 4);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		memcpy(&sin6->sin6_addr, ep->addr.a, 16);
		return sizeof(*sin6);
	}
}

static int set_listen(struct skd_conf *c, bool *listen_seen, const char *val,
		      int line, char *err, size_t errlen)
{
	struct sk_endpoint ep;
	char e2[SK_ERRLEN];
	struct sockaddr_storage ss;
	socklen_t sl;

	if (sk_parse_endpoint(val, &ep, e2, sizeof(e2)))
		return fail(err, errlen, line, "listen: %s", e2);
	if (!ep.port)
		return fail(err, errlen, line, "listen: port 0 is not a port to listen on");
	sl = endpoint_sockaddr(&ep, &ss);
	/* the first listen line replaces the default 0.0.0.0:443 */
	if (!*listen_seen) {
		c->n_listen = 0;
		*listen_seen = true;
	}
	if (c->n_listen >= SKD_LISTEN_MAX)
		return fail(err, errlen, line, "listen: more than %d addresses", SKD_LISTEN_MAX);
	for (int i = 0; i < c->n_listen; i++)
		if (c->listen_len[i] == sl && !memcmp(&c->listen[i], &ss, sl))
			return fail(err, errlen, line, "listen: %s given twice", val);
	c->listen[c->n_listen] = ss;
	c->listen_len[c->n_listen] = sl;
	c->n_listen++;
	return 0;
}

static int set_key(struct skd_conf *c, bool *listen_seen, const char *key, const char *val,
		   int line, char *err, size_t errlen)
{
#define STR(name, path) \
	if (!strcmp(key, #name)) \
		return set_str(c->name, sizeof(c->name), key, val, path, line, err, errlen)
#define INT(name, min, max) \
	if (!strcmp(key, #name)) \
		return set_int(&c->name, key, val, min, max, line, err, errlen)

	if (!strcmp(key, "listen"))
		return set_listen(c, listen_seen, val, line, err, errlen);
	if (!strcmp(key, "dtls_port")) {
		int p;

		if (set_int(&p, key, val, 1, 65535, line, err, errlen))
			return -1;
		c->dtls_port = (uint16_t)p;
		return 0;
	}
	if (!strcmp(key, "ocsp")) {
		if (strcmp(val, "none") && strcmp(val, "aia") &&
		    strncmp(val, "http://", 7) && strncmp(val, "https://", 8))
			return fail(err, errlen, line, "ocsp: '%s' is not none, aia or an http(s):// URL", val);
		return set_str(c->ocsp, sizeof(c->ocsp), key, val, false, line, err, errlen);
	}
	if (!strcmp(key, "device")) {
		if (!val[0] || strlen(val) >= sizeof(c->device) || strchr(val, '/') ||
		    strchr(val, ' ') || !strcmp(val, ".") || !strcmp(val, ".."))
			return fail(err, errlen, line, "device: '%s' is not an interface name (1-15 characters)", val);
		strcpy(c->device, val);
		return 0;
	}
	if (!strcmp(key, "user") || !strcmp(key, "admin_group")) {
		char *dst = !strcmp(key, "user") ? c->user : c->admin_group;

		if (!name_ok(val) || strlen(val) >= sizeof(c->user))
			return fail(err, errlen, line, "%s: '%s' is not a user or group name", key, val);
		strcpy(dst, val);
		return 0;
	}
	if (!strcmp(key, "metrics_listen")) {
		struct sk_endpoint ep;
		char e2[SK_ERRLEN];

		if (sk_parse_endpoint(val, &ep, e2, sizeof(e2)) || !ep.port)
			return fail(err, errlen, line, "metrics_listen: '%s' is not ADDR:PORT "
				    "(a management address, e.g. 192.0.2.10:9414)", val);
		c->metrics_listen_len = endpoint_sockaddr(&ep, &c->metrics_listen);
		return 0;
	}
	if (!strcmp(key, "metrics_token_file"))
		return set_str(c->metrics_token_file, sizeof(c->metrics_token_file), key, val,
			       true, line, err, errlen);
	if (!strcmp(key, "audit_syslog")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return fail(err, errlen, line, "audit_syslog: '%s' is not yes or no", val);
		c->audit_syslog = !strcmp(val, "yes");
		return 0;
	}
	if (!strcmp(key, "gateway")) {
		/* the store's name rules (sk_valid_name): it goes into rows */
		if (!name_ok(val) || strlen(val) >= sizeof(c->gateway))
			return fail(err, errlen, line, "gateway: '%s' is not a name (1-64 of A-Z a-z 0-9 . _ -)",
				    val);
		strcpy(c->gateway, val);
		return 0;
	}
	if (!strcmp(key, "audit_syslog_socket")) {
		if (!val[0])
			return fail(err, errlen, line, "audit_syslog_socket: empty (audit_syslog = no turns it off)");
		return set_str(c->audit_syslog_socket, sizeof(c->audit_syslog_socket), key, val,
			       true, line, err, errlen);
	}
	if (!strcmp(key, "dtls_ciphers")) {
		/* only the AEAD suites the kernel can carry (§6.4), in the
		 * administrator's order of preference */
		char tmp[sizeof(c->dtls_ciphers)], *tok, *save = NULL;

		if (!val[0] || strlen(val) >= sizeof(tmp))
			return fail(err, errlen, line, "dtls_ciphers: empty or too long");
		strcpy(tmp, val);
		for (tok = strtok_r(tmp, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
			if (strcmp(tok, "PSK-AES256-GCM-SHA384") && strcmp(tok, "PSK-AES128-GCM-SHA256") &&
			    strcmp(tok, "PSK-CHACHA20-POLY1305"))
				return fail(err, errlen, line,
					    "dtls_ciphers: '%s' is not one of PSK-AES256-GCM-SHA384, PSK-AES128-GCM-SHA256, PSK-CHACHA20-POLY1305",
					    tok);
		strcpy(c->dtls_ciphers, val);
		return 0;
	}
	if (!strcmp(key, "smtp_url")) {
		if (val[0] && strncmp(val, "smtp://", 7) && strncmp(val, "smtps://", 8))
			return fail(err, errlen, line, "smtp_url: '%s' is not an smtp:// or smtps:// URL", val);
		return set_str(c->smtp_url, sizeof(c->smtp_url), key, val, false, line, err, errlen);
	}
	STR(server_cert, true);
	STR(server_key, true);
	STR(client_ca, true);
	STR(crl, true);
	/* a file, or a PostgreSQL database (sk_store_is_url's prefixes:
	 * Documentation/admin/store.md) */
	STR(store, strncmp(val, "postgresql://", 13) && strncmp(val, "postgres://", 11));
	STR(control, true);
	STR(smtp_from, false);
	STR(smtp_user, false);
	STR(smtp_password_file, true);
	STR(metrics_cert, true);
	STR(metrics_key, true);
	INT(audit_prune_interval, 1, 86400);
	INT(mtu, 1280, 9000);
	INT(rekey_time, 0, 7 * 86400);
	INT(max_preauth, 1, 65536);
	INT(hash_threads, 0, 16);
	INT(rate_per_source, 1, 100000);
	INT(worker_generation, 0, SKD_GENERATION_MAX);
	INT(posture_recheck_port, 0, 65535);
#undef STR
#undef INT
	return fail(err, errlen, line, "unknown key '%s'", key);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int skd_conf_parse(struct skd_conf *c, const char *text, size_t len, char *err, size_t errlen)
{
	bool listen_seen = false;
	size_t pos = 0;
	int line = 0;

	if (len > SKD_CONF_MAX)
		return fail(err, errlen, 0, "file larger than %d bytes", SKD_CONF_MAX);
	while (pos < len) {
		char buf[1024], *eq, *key, *val;
		size_t n = 0;

		line++;
		while (pos < len && text[pos] != '\n') {
			if (text[pos] == '\0')
				return fail(err, errlen, line, "NUL byte in the file");
			if (n + 1 >= sizeof(buf))
				return fail(err, errlen, line, "line longer than %zu bytes", sizeof(buf) - 1);
			buf[n++] = text[pos++];
		}
		pos++;		/* the newline */
		buf[n] = '\0';
		/* '#' starts a comment anywhere: no value needs one */
		if ((eq = strchr(buf, '#')))
			*eq = '\0';
		key = trim(buf);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			if (!strcmp(key, "foreground")) {
				c->foreground = true;
				continue;
			}
			return fail(err, errlen, line, "expected 'key = value', got '%s'", key);
		}
		*eq = '\0';
		val = trim(eq + 1);
		key = trim(key);
		if (!*key)
			return fail(err, errlen, line, "missing key before '='");
		if (set_key(c, &listen_seen, key, val, line, err, errlen))
			return -1;
	}
	if (c->smtp_url[0] && !c->smtp_from[0])
		return fail(err, errlen, line, "smtp_url is set but smtp_from is not");
	if (c->metrics_listen_len && !c->metrics_token_file[0])
		return fail(err, errlen, line, "metrics_listen is set but metrics_token_file is not "
			    "(the bearer token every scrape must send)");
	if (!c->metrics_cert[0] != !c->metrics_key[0])
		return fail(err, errlen, line, "metrics_cert and metrics_key go together (TLS on the "
			    "metrics listener; neither = plain HTTP)");
	if (c->metrics_cert[0] && !c->metrics_listen_len)
		return fail(err, errlen, line, "metrics_cert is set but metrics_listen is not");
	return 0;
}

int skd_conf_load(struct skd_conf *c, const char *path, char *err, size_t errlen)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(SKD_CONF_MAX + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while ((n = read(fd, buf + len, SKD_CONF_MAX + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > SKD_CONF_MAX)
			break;
	}
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	ret = skd_conf_parse(c, buf, len, err, errlen);
	free(buf);
	if (ret) {
		/* prefix the file name: "FILE: line N: ..." */
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		snprintf(err, errlen, "%s", tmp);
	}
	return ret;
}

void skd_conf_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}
