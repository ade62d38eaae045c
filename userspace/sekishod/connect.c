// SPDX-License-Identifier: GPL-2.0
/*
 * The header lines of the CONNECT reply (anyconnect-protocol.md §4.2-§4.5),
 * built from a group's settings and the session's addresses.  Names are
 * matched case-sensitively by openconnect 9.01, so every spelling here is
 * deliberate (X-CSTP-MSIE-Proxy-PAC-URL in particular).  Pure functions.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

struct hbuf {
	char *p;
	size_t len, pos;
	bool overflow;
};

__attribute__((format(printf, 2, 3)))
static void hput(struct hbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->pos, b->len - b->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->pos) {
		b->overflow = true;
		return;
	}
	b->pos += (size_t)n;
}

/* A header value must not break the header block: drop CR, LF and other
 * control characters an administrator may have typed. */
static void clean(const char *in, char *out, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; in[i] && j + 1 < len; i++)
		if ((unsigned char)in[i] >= 0x20 && in[i] != 0x7f)
			out[j++] = in[i];
	out[j] = '\0';
}

int skd_connect_mtu(int base_mtu, bool outer_v6)
{
	/* link - IP - UDP - (13 header + 8 explicit nonce + 16 tag) - 1 type byte */
	return base_mtu - (outer_v6 ? 40 : 20) - 8 - 37 - 1;
}

/* "10.10.0.0/16" -> "X-CSTP-Split-Include: 10.10.0.0/255.255.0.0"; IPv6 to the -IP6 header */
static void split_line(struct hbuf *b, const char *name, const char *prefix)
{
	struct skd_pool p;
	char a[INET6_ADDRSTRLEN];

	if (skd_pool_parse(prefix, &p))
		return;		/* the store validated it; skip anything odd */
	inet_ntop(p.family, p.net, a, sizeof(a));
	if (p.family == AF_INET) {
		uint32_t m = p.plen ? htonl(~0u << (32 - p.plen)) : 0;
		char ms[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &m, ms, sizeof(ms));
		hput(b, "X-CSTP-%s: %s/%s\r\n", name, a, ms);
	} else {
		hput(b, "X-CSTP-%s-IP6: %s/%d\r\n", name, a, p.plen);
	}
}

/* X-CSTP-Banner: the client decodes %XX escapes, so '%' itself and line
 * breaks are escaped (a multi-line banner survives as %0A). */
static void banner_line(struct hbuf *b, const char *text)
{
	char out[SK_TEXT_MAX * 3 + 1];
	size_t j = 0;

	for (size_t i = 0; text[i] && j + 4 < sizeof(out); i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '%' || c < 0x20 || c == 0x7f)
			j += (size_t)snprintf(out + j, sizeof(out) - j, "%%%02X", c);
		else
			out[j++] = (char)c;
	}
	out[j] = '\0';
	hput(b, "X-CSTP-Banner: %s\r\n", out);
}

int skd_connect_headers(const struct skd_connect_params *p, char *buf, size_t len)
{
	struct hbuf b = { buf, len, 0, false };
	const struct sk_group *g = p->g;
	char a[INET6_ADDRSTRLEN], v[SK_URL_MAX];

	if (!len)
		return -1;
	buf[0] = '\0';
	hput(&b, "X-CSTP-Version: 1\r\n");
	if (p->has4) {
		uint32_t m = htonl(~0u << (32 - p->plen4));

		inet_ntop(AF_INET, &p->addr4, a, sizeof(a));
		hput(&b, "X-CSTP-Address: %s\r\n", a);
		inet_ntop(AF_INET, &m, a, sizeof(a));
		hput(&b, "X-CSTP-Netmask: %s\r\n", a);
	}
	if (p->has6) {
		inet_ntop(AF_INET6, &p->addr6, a, sizeof(a));
		hput(&b, "X-CSTP-Address-IP6: %s/%d\r\n", a, p->plen6);
	}
	for (int i = 0; i < 2; i++)
		if (g->dns[i][0]) {
			clean(g->dns[i], v, sizeof(v));
			hput(&b, "X-CSTP-DNS: %s\r\n", v);
		}
	if (g->wins[0]) {
		clean(g->wins, v, sizeof(v));
		hput(&b, "X-CSTP-NBNS: %s\r\n", v);
	}
	if (g->domain[0]) {
		clean(g->domain, v, sizeof(v));
		hput(&b, "X-CSTP-Default-Domain: %s\r\n", v);
	}
	for (int i = 0; i < g->n_split_dns && i < SK_LIST_MAX; i++) {
		clean(g->split_dns[i], v, sizeof(v));
		hput(&b, "X-CSTP-Split-DNS: %s\r\n", v);
	}
	for (int i = 0; i < g->n_split_inc && i < SK_LIST_MAX; i++)
		split_line(&b, "Split-Include", g->split_inc[i]);
	for (int i = 0; i < g->n_split_exc && i < SK_LIST_MAX; i++)
		split_line(&b, "Split-Exclude", g->split_exc[i]);
	switch (g->proxy_mode) {
	case SK_PROXY_PAC:
		if (g->proxy_pac[0]) {
			clean(g->proxy_pac, v, sizeof(v));
			hput(&b, "X-CSTP-MSIE-Proxy-PAC-URL: %s\r\n", v);
		}
		break;
	case SK_PROXY_SERVER:
	case SK_PROXY_NONE:
		/* 9.01 ignores X-CSTP-MSIE-Proxy-Server; a generated PAC is the
		 * one form it passes on (CISCO_PROXY_PAC) */
		if (p->pac_url && p->pac_url[0]) {
			clean(p->pac_url, v, sizeof(v));
			hput(&b, "X-CSTP-MSIE-Proxy-PAC-URL: %s\r\n", v);
		}
		break;
	case SK_PROXY_CLIENT:
		break;
	}
	if (p->notice && p->notice[0]) {
		/* quarantined: what failed and what to do comes first */
		char both[SK_TEXT_MAX];
		int n = snprintf(both, sizeof(both), "%s", p->notice);

		/* the group's banner after it, as far as it fits */
		if (g->banner[0] && n > 0 && (size_t)n + 3 < sizeof(both))
			snprintf(both + n, sizeof(both) - (size_t)n, "\n\n%.*s",
				 (int)(sizeof(both) - (size_t)n - 3), g->banner);
		banner_line(&b, both);
	} else if (g->banner[0]) {
		banner_line(&b, g->banner);
	}
	hput(&b, "X-CSTP-DPD: %d\r\n", p->dpd);
	hput(&b, "X-CSTP-Keepalive: %d\r\n", p->keepalive);
	if (g->idle_timeout > 0)
		hput(&b, "X-CSTP-Idle-Timeout: %d\r\n", g->idle_timeout);
	else
		hput(&b, "X-CSTP-Idle-Timeout: none\r\n");
	if (p->session_left > 0)
		hput(&b, "X-CSTP-Session-Timeout: %lld\r\n", (long long)p->session_left);
	else
		hput(&b, "X-CSTP-Session-Timeout: none\r\n");
	if (p->rekey > 0) {
		/* new-tunnel: a full reconnect, so the kernel keys are replaced by
		 * a fresh DTLS handshake; never X-DTLS-Rekey-* (§7.2) */
		hput(&b, "X-CSTP-Rekey-Time: %d\r\n", p->rekey);
		hput(&b, "X-CSTP-Rekey-Method: new-tunnel\r\n");
	}
	hput(&b, "X-CSTP-Base-MTU: %d\r\n", p->base_mtu);
	hput(&b, "X-CSTP-MTU: %d\r\n", p->mtu);
	if (p->dtls && p->app_id) {
		char hex[65];

		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", p->app_id[i]);
		hput(&b, "X-DTLS-Port: %u\r\n", p->dtls_port);
		hput(&b, "X-DTLS-App-ID: %s\r\n", hex);
		hput(&b, "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n");
		hput(&b, "X-DTLS-DPD: %d\r\n", p->dpd);
		hput(&b, "X-DTLS-Keepalive: %d\r\n", p->keepalive);
	}
	return b.overflow ? -1 : (int)b.pos;
}

/* host:port and the exclusions "*.local;10.*" as a PAC for proxy modes */
int skd_proxy_pac(const struct sk_group *g, char *buf, size_t len)
{
	struct hbuf b = { buf, len, 0, false };
	char srv[SK_URL_MAX], ex[SK_TEXT_MAX];
	const char *s;

	if (!len)
		return -1;
	buf[0] = '\0';
	hput(&b, "function FindProxyForURL(url, host) {\n");
	if (g->proxy_mode == SK_PROXY_SERVER && g->proxy_server[0]) {
		/* only characters of a host:port and of shell-style patterns:
		 * nothing an administrator types can break out of the strings */
		size_t j = 0;

		for (s = g->proxy_server; *s && j + 1 < sizeof(srv); s++)
			if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || strchr(".-:[]", *s))
				srv[j++] = *s;
		srv[j] = '\0';
		snprintf(ex, sizeof(ex), "%s", g->proxy_exclude);
		for (char *save = NULL, *tok = strtok_r(ex, ";, ", &save); tok;
		     tok = strtok_r(NULL, ";, ", &save)) {
			char pat[256];
			size_t k = 0;

			for (s = tok; *s && k + 1 < sizeof(pat); s++)
				if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				    (*s >= '0' && *s <= '9') || strchr(".-*?:", *s))
					pat[k++] = *s;
			pat[k] = '\0';
			if (pat[0])
				hput(&b, "  if (shExpMatch(host, \"%s\")) return \"DIRECT\";\n", pat);
		}
		hput(&b, "  return \"PROXY %s\";\n}\n", srv);
	} else {
		hput(&b, "  return \"DIRECT\";\n}\n");
	}
	return b.overflow ? -1 : (int)b.pos;
}
