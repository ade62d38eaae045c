// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekishod's main-process pieces that need no root, kernel or
 * store: the bootstrap config parser, the CONNECT header builder, the MTU
 * rule, address pools (reuse, reconnect, exhaustion), ClientHello App-ID
 * parsing and lookup, cookies and the generated PAC.  TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "daemon.h"
#include "tap.h"

static struct tap t;

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static int parse(struct skd_conf *c, const char *text, char *err, size_t errlen)
{
	skd_conf_defaults(c);
	return skd_conf_parse(c, text, strlen(text), err, errlen);
}

static void conf(void)
{
	struct skd_conf c;
	char err[256], a[128];

	skd_conf_defaults(&c);
	skd_conf_addr_text(&c.listen[0], a, sizeof(a));
	tap_ok(&t, c.n_listen == 1 && !strcmp(a, "0.0.0.0:443") && c.dtls_port == 443 &&
	       !strcmp(c.device, "sk0") && !strcmp(c.store, "/var/lib/sekisho/sekisho.db") &&
	       !strcmp(c.control, "/run/sekisho/control.sock") && !strcmp(c.user, "sekisho") &&
	       !strcmp(c.admin_group, "sekisho-admin") && !strcmp(c.ocsp, "none"),
	       "defaults (%s)", a);

	tap_ok(&t, !parse(&c, "# gateway\n\nlisten = 192.0.2.1:443   # public\n"
			  "listen=[2001:db8::1]:8443\ndtls_port = 4443\n"
			  "server_cert = /etc/sekisho/gw.pem\r\nserver_key=/etc/sekisho/gw.key\n"
			  "client_ca = /etc/sekisho/ca.pem\ncrl = /etc/sekisho/crl.pem\nocsp = aia\n"
			  "store = /srv/sk.db\ndevice = sk1\ncontrol = /run/sk/c.sock\n"
			  "user = vpn\nadmin_group = wheel\nsmtp_url = smtp://10.0.0.1:25\n"
			  "smtp_from = vpn@example.jp\nsmtp_user = vpn\n"
			  "smtp_password_file = /etc/sekisho/smtp.pw\nmtu = 1400\nforeground\n",
			  err, sizeof(err)), "full file parses (%s)", err);
	skd_conf_addr_text(&c.listen[1], a, sizeof(a));
	tap_ok(&t, c.n_listen == 2 && !strcmp(a, "[2001:db8::1]:8443"), "listen: first line replaces the default, repeatable (%s)", a);
	skd_conf_addr_text(&c.listen[0], a, sizeof(a));
	tap_ok(&t, !strcmp(a, "192.0.2.1:443"), "listen: comment after the value stripped (%s)", a);
	tap_ok(&t, c.dtls_port == 4443 && !strcmp(c.server_cert, "/etc/sekisho/gw.pem") &&
	       !strcmp(c.server_key, "/etc/sekisho/gw.key") && !strcmp(c.ocsp, "aia") &&
	       !strcmp(c.device, "sk1") && !strcmp(c.user, "vpn") && !strcmp(c.admin_group, "wheel") &&
	       !strcmp(c.smtp_from, "vpn@example.jp") && c.mtu == 1400 && c.foreground,
	       "every value stored (CRLF tolerated)");

	tap_ok(&t, parse(&c, "device = sk0\n\nlistn = 1.2.3.4:443\n", err, sizeof(err)) &&
	       has(err, "line 3") && has(err, "unknown key 'listn'"), "unknown key: error names line 3 (%s)", err);
	tap_ok(&t, parse(&c, "dtls_port = 70000\n", err, sizeof(err)) && has(err, "line 1") &&
	       has(err, "dtls_port"), "port out of range (%s)", err);
	tap_ok(&t, !parse(&c, "store = postgresql://gw@db.example/sekisho?sslmode=verify-full\n", err,
			   sizeof(err)) && !strcmp(c.store, "postgresql://gw@db.example/sekisho?sslmode=verify-full") &&
	       !parse(&c, "store = postgres:///sekisho?host=/run/postgresql\n", err, sizeof(err)),
	       "store: a postgresql:// or postgres:// URI taken (%s)", err);
	tap_ok(&t, parse(&c, "store = sekisho.db\n", err, sizeof(err)) && has(err, "absolute"),
	       "relative path refused (%s)", err);
	tap_ok(&t, parse(&c, "ocsp = maybe\n", err, sizeof(err)) && has(err, "ocsp"),
	       "bad ocsp refused (%s)", err);
	tap_ok(&t, parse(&c, "listen = 1.2.3.4\n", err, sizeof(err)) && has(err, "listen"),
	       "listen without port refused (%s)", err);
	tap_ok(&t, !parse(&c, "", err, sizeof(err)) && c.audit_syslog &&
	       !strcmp(c.audit_syslog_socket, "/dev/log"), "audit_syslog: on by default, to /dev/log");
	tap_ok(&t, !parse(&c, "audit_syslog = no\naudit_syslog_socket = /run/x.sock\n", err, sizeof(err)) &&
	       !c.audit_syslog && !strcmp(c.audit_syslog_socket, "/run/x.sock"),
	       "audit_syslog = no, audit_syslog_socket stored");
	tap_ok(&t, !parse(&c, "", err, sizeof(err)) && !c.gateway[0] &&
	       !parse(&c, "gateway = gw-1.example_a\n", err, sizeof(err)) &&
	       !strcmp(c.gateway, "gw-1.example_a"), "gateway: none by default (the host name), a name stored");
	tap_ok(&t, parse(&c, "gateway = gw 1\n", err, sizeof(err)) && has(err, "gateway") &&
	       parse(&c, "gateway = gw/1\n", err, sizeof(err)) && has(err, "gateway") &&
	       parse(&c, "gateway = "
		     "g1234567890123456789012345678901234567890123456789012345678901234\n", err,
		     sizeof(err)) && has(err, "gateway"),
	       "gateway: a blank, a slash, 65 characters refused (%s)", err);
	tap_ok(&t, !parse(&c, "smtp_url = smtp://a.example.jp\nsmtp_from = v@example.jp\n", err,
			   sizeof(err)) && skd_mail_warning(&c, "smtp://b.example.jp") &&
	       has(skd_mail_warning(&c, "smtp://b.example.jp"), "both set") &&
	       has(skd_mail_warning(&c, "smtp://b.example.jp"), "両方") &&
	       !skd_mail_warning(&c, "") && !skd_mail_warning(&c, NULL),
	       "smtp_url and the store's smtp.url both set: a warning (en, ja); one alone: none");
	skd_conf_defaults(&c);
	tap_ok(&t, !skd_mail_warning(&c, "smtp://b.example.jp"), "the store's smtp.url alone: none");
	{
		struct stat sb;
		char js[64];

		fstat(2, &sb);
		unsetenv("JOURNAL_STREAM");
		tap_ok(&t, !skd_stderr_is_journal(), "no JOURNAL_STREAM: stderr is not the journal");
		snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)sb.st_dev,
			 (unsigned long long)sb.st_ino);
		setenv("JOURNAL_STREAM", js, 1);
		tap_ok(&t, skd_stderr_is_journal(), "JOURNAL_STREAM naming stderr: the journal (no copy)");
		snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)sb.st_dev,
			 (unsigned long long)sb.st_ino + 1);
		setenv("JOURNAL_STREAM", js, 1);
		tap_ok(&t, !skd_stderr_is_journal(), "JOURNAL_STREAM of another file (stderr redirected)");
		unsetenv("JOURNAL_STREAM");
	}
	tap_ok(&t, !parse(&c, "", err, sizeof(err)) && !c.metrics_listen_len, "metrics: off by default");
	tap_ok(&t, parse(&c, "metrics_listen = 127.0.0.1:9414\n", err, sizeof(err)) &&
	       has(err, "metrics_token_file"), "metrics_listen without a token file refused (%s)", err);
	tap_ok(&t, parse(&c, "metrics_listen = 127.0.0.1\nmetrics_token_file = /etc/t\n", err,
			 sizeof(err)) && has(err, "ADDR:PORT"), "metrics_listen without a port refused (%s)", err);
	tap_ok(&t, !parse(&c, "metrics_listen = [::1]:9414\nmetrics_token_file = /etc/t\n", err,
			  sizeof(err)) && c.metrics_listen_len && !strcmp(c.metrics_token_file, "/etc/t"),
	       "metrics_listen and metrics_token_file stored");
	tap_ok(&t, parse(&c, "metrics_listen = 127.0.0.1:9414\nmetrics_token_file = /etc/t\n"
			 "metrics_cert = /etc/m.pem\n", err, sizeof(err)) && has(err, "go together"),
	       "metrics_cert without metrics_key refused (%s)", err);
	tap_ok(&t, parse(&c, "metrics_cert = /etc/m.pem\nmetrics_key = /etc/m.key\n", err, sizeof(err)) &&
	       has(err, "metrics_listen is not"), "metrics_cert without metrics_listen refused (%s)", err);
	tap_ok(&t, !parse(&c, "metrics_listen = 127.0.0.1:9414\nmetrics_token_file = /etc/t\n"
			  "metrics_cert = /etc/m.pem\nmetrics_key = /etc/m.key\n", err, sizeof(err)) &&
	       !strcmp(c.metrics_cert, "/etc/m.pem") && !strcmp(c.metrics_key, "/etc/m.key"),
	       "metrics_cert and metrics_key stored");
	tap_ok(&t, !parse(&c, "", err, sizeof(err)) && c.audit_prune_interval == 86400,
	       "audit_prune_interval: a day by default");
	tap_ok(&t, parse(&c, "audit_prune_interval = 0\n", err, sizeof(err)) &&
	       parse(&c, "audit_prune_interval = 86401\n", err, sizeof(err)) &&
	       !parse(&c, "audit_prune_interval = 2\n", err, sizeof(err)) && c.audit_prune_interval == 2,
	       "audit_prune_interval: 1..86400");
	tap_ok(&t, parse(&c, "audit_syslog = maybe\n", err, sizeof(err)) && has(err, "yes or no"),
	       "audit_syslog: not yes or no refused (%s)", err);
	tap_ok(&t, parse(&c, "audit_syslog_socket = dev/log\n", err, sizeof(err)) && has(err, "absolute"),
	       "audit_syslog_socket: relative path refused (%s)", err);
	tap_ok(&t, parse(&c, "listen = 1.2.3.4:443\nlisten = 1.2.3.4:443\n", err, sizeof(err)) &&
	       has(err, "line 2") && has(err, "twice"), "duplicate listen refused (%s)", err);
	tap_ok(&t, parse(&c, "server_cert\n", err, sizeof(err)) && has(err, "key = value"),
	       "line without '=' refused (%s)", err);
	tap_ok(&t, parse(&c, "device = a/b\n", err, sizeof(err)) &&
	       parse(&c, "device = 0123456789abcdef\n", err, sizeof(err)),
	       "bad device names refused");
	tap_ok(&t, parse(&c, "user = -rf\n", err, sizeof(err)) && has(err, "user"),
	       "bad user name refused (%s)", err);
	tap_ok(&t, parse(&c, "smtp_url = smtp://x\n", err, sizeof(err)) && has(err, "smtp_from"),
	       "smtp_url needs smtp_from (%s)", err);
	{
		char big[1100];

		memset(big, 'a', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		tap_ok(&t, parse(&c, big, err, sizeof(err)) && has(err, "longer"),
		       "overlong line refused (%s)", err);
	}
	tap_ok(&t, skd_conf_load(&c, "/nonexistent/sekishod.conf", err, sizeof(err)) &&
	       has(err, "/nonexistent/sekishod.conf"), "missing file: error names it (%s)", err);
}

static void sample_group(struct sk_group *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->name, "staff");
	strcpy(g->pool4, "10.77.0.0/24");
	strcpy(g->dns[0], "10.99.0.53");
	strcpy(g->dns[1], "fd00:99::53");
	strcpy(g->wins, "10.99.0.137");
	strcpy(g->domain, "example.test");
	g->n_split_dns = 1;
	strcpy(g->split_dns[0], "corp.example.test");
	g->n_split_inc = 2;
	strcpy(g->split_inc[0], "10.10.0.0/16");
	strcpy(g->split_inc[1], "fd00:10::/64");
	g->n_split_exc = 1;
	strcpy(g->split_exc[0], "10.10.5.0/24");
	g->proxy_mode = SK_PROXY_PAC;
	strcpy(g->proxy_pac, "http://proxy.example.test/staff.pac");
	strcpy(g->banner, "Welcome 100%\nsecond line");
	g->idle_timeout = 1200;
}

static void headers(void)
{
	struct sk_group g;
	struct skd_connect_params p = { 0 };
	uint8_t app_id[32];
	char buf[8192], small[64];
	int n;

	for (int i = 0; i < 32; i++)
		app_id[i] = (uint8_t)(0xa0 + i);
	sample_group(&g);
	p.g = &g;
	p.has4 = true;
	inet_pton(AF_INET, "10.77.0.2", &p.addr4);
	p.plen4 = 24;
	p.has6 = true;
	inet_pton(AF_INET6, "fd00:77::2", &p.addr6);
	p.plen6 = 64;
	p.base_mtu = 1500;
	p.mtu = skd_connect_mtu(1500, false);
	p.dpd = 30;
	p.keepalive = 20;
	p.rekey = 86400;
	p.session_left = 3600;
	p.dtls = true;
	p.dtls_port = 443;
	p.app_id = app_id;
	n = skd_connect_headers(&p, buf, sizeof(buf));
	tap_ok(&t, n > 0 && (size_t)n == strlen(buf) && !strcmp(buf,
		"X-CSTP-Version: 1\r\n"
		"X-CSTP-Address: 10.77.0.2\r\n"
		"X-CSTP-Netmask: 255.255.255.0\r\n"
		"X-CSTP-Address-IP6: fd00:77::2/64\r\n"
		"X-CSTP-DNS: 10.99.0.53\r\n"
		"X-CSTP-DNS: fd00:99::53\r\n"
		"X-CSTP-NBNS: 10.99.0.137\r\n"
		"X-CSTP-Default-Domain: example.test\r\n"
		"X-CSTP-Split-DNS: corp.example.test\r\n"
		"X-CSTP-Split-Include: 10.10.0.0/255.255.0.0\r\n"
		"X-CSTP-Split-Include-IP6: fd00:10::/64\r\n"
		"X-CSTP-Split-Exclude: 10.10.5.0/255.255.255.0\r\n"
		"X-CSTP-MSIE-Proxy-PAC-URL: http://proxy.example.test/staff.pac\r\n"
		"X-CSTP-Banner: Welcome 100%25%0Asecond line\r\n"
		"X-CSTP-DPD: 30\r\n"
		"X-CSTP-Keepalive: 20\r\n"
		"X-CSTP-Idle-Timeout: 1200\r\n"
		"X-CSTP-Session-Timeout: 3600\r\n"
		"X-CSTP-Rekey-Time: 86400\r\n"
		"X-CSTP-Rekey-Method: new-tunnel\r\n"
		"X-CSTP-Base-MTU: 1500\r\n"
		"X-CSTP-MTU: 1434\r\n"
		"X-DTLS-Port: 443\r\n"
		"X-DTLS-App-ID: a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\r\n"
		"X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n"
		"X-DTLS-DPD: 30\r\n"
		"X-DTLS-Keepalive: 20\r\n"), "sample group: exact header lines");
	if (t.failed)
		printf("# got:\n%s", buf);
	tap_ok(&t, !has(buf, "X-DTLS-Rekey") && !has(buf, "Content-Encoding"),
	       "no X-DTLS-Rekey-*, no compression");

	p.has6 = false;		/* client without IPv6 */
	p.dtls = false;		/* --no-dtls */
	p.session_left = 0;
	p.rekey = 0;
	g.idle_timeout = 0;
	g.banner[0] = '\0';
	strcpy(g.domain, "evil\r\nX-CSTP-Address: 1.2.3.4");
	n = skd_connect_headers(&p, buf, sizeof(buf));
	tap_ok(&t, n > 0 && !has(buf, "Address-IP6") && !has(buf, "X-DTLS-") &&
	       has(buf, "X-CSTP-Idle-Timeout: none\r\n") && has(buf, "X-CSTP-Session-Timeout: none\r\n") &&
	       !has(buf, "Rekey") && !has(buf, "Banner"),
	       "no IPv6, no DTLS, no timeouts: those lines absent or none");
	tap_ok(&t, has(buf, "X-CSTP-Default-Domain: evilX-CSTP-Address: 1.2.3.4\r\n"),
	       "CR/LF in a value cannot inject a header line");
	g.proxy_mode = SK_PROXY_SERVER;
	p.pac_url = "https://vpn.example.jp/proxy/staff.pac";
	skd_connect_headers(&p, buf, sizeof(buf));
	tap_ok(&t, has(buf, "X-CSTP-MSIE-Proxy-PAC-URL: https://vpn.example.jp/proxy/staff.pac\r\n"),
	       "proxy server mode: generated PAC URL");
	g.proxy_mode = SK_PROXY_CLIENT;
	skd_connect_headers(&p, buf, sizeof(buf));
	tap_ok(&t, !has(buf, "Proxy"), "proxy client mode: no proxy header");
	tap_ok(&t, skd_connect_headers(&p, small, sizeof(small)) == -1, "too small buffer: -1");
	tap_ok(&t, skd_connect_mtu(1500, false) == 1434 && skd_connect_mtu(1500, true) == 1414 &&
	       skd_connect_mtu(1280, false) == 1214, "MTU rule: 1434 for 1500 over IPv4 (§4.5)");
}

static void pac(void)
{
	struct sk_group g;
	char buf[2048];

	sample_group(&g);
	g.proxy_mode = SK_PROXY_SERVER;
	strcpy(g.proxy_server, "proxy.example.jp:8080\"); evil(");
	strcpy(g.proxy_exclude, "*.local;10.*");
	tap_ok(&t, skd_proxy_pac(&g, buf, sizeof(buf)) > 0 &&
	       has(buf, "shExpMatch(host, \"*.local\")") && has(buf, "shExpMatch(host, \"10.*\")") &&
	       has(buf, "return \"PROXY proxy.example.jp:8080evil\";") && !has(buf, "\");"),
	       "PAC for server mode, quotes stripped");
	g.proxy_mode = SK_PROXY_NONE;
	tap_ok(&t, skd_proxy_pac(&g, buf, sizeof(buf)) > 0 && has(buf, "return \"DIRECT\";") &&
	       !has(buf, "PROXY"), "PAC for none: DIRECT");
}

struct busyset {
	int n;
	uint8_t a[8][16];
};

static bool busy(void *arg, int family, const uint8_t *addr)
{
	struct busyset *b = arg;

	for (int i = 0; i < b->n; i++)
		if (!memcmp(b->a[i], addr, family == AF_INET6 ? 16 : 4))
			return true;
	return false;
}

static void addv4(struct busyset *b, const char *s)
{
	memset(b->a[b->n], 0, 16);
	inet_pton(AF_INET, s, b->a[b->n++]);
}

static bool is4(const uint8_t *a, const char *s)
{
	uint8_t x[4];

	inet_pton(AF_INET, s, x);
	return !memcmp(a, x, 4);
}

static void pools(void)
{
	struct skd_pool p;
	struct busyset b = { 0 };
	uint8_t out[16], gw[16], want[16], lease[16];
	char txt[64];

	tap_ok(&t, !skd_pool_parse("10.77.0.0/24", &p) && p.family == AF_INET && p.plen == 24,
	       "pool parses");
	tap_ok(&t, skd_pool_parse("10.77.0.0", &p) == -EINVAL && skd_pool_parse("10.77.0.0/33", &p) &&
	       skd_pool_parse("x/24", &p) && skd_pool_parse("10.0.0.0/", &p), "bad pools refused");
	skd_pool_parse("10.77.0.0/24", &p);
	skd_pool_gateway(&p, gw);
	tap_ok(&t, is4(gw, "10.77.0.1"), "gateway is the first host");
	tap_ok(&t, !skd_pool_pick(&p, NULL, NULL, busy, &b, out) && is4(out, "10.77.0.2"),
	       "first client address .2");
	addv4(&b, "10.77.0.2");
	tap_ok(&t, !skd_pool_pick(&p, NULL, NULL, busy, &b, out) && is4(out, "10.77.0.3"),
	       "busy address skipped");
	inet_pton(AF_INET, "10.77.0.50", lease);
	tap_ok(&t, !skd_pool_pick(&p, NULL, lease, busy, &b, out) && is4(out, "10.77.0.50"),
	       "lease reused when free");
	addv4(&b, "10.77.0.50");
	tap_ok(&t, !skd_pool_pick(&p, NULL, lease, busy, &b, out) && is4(out, "10.77.0.3"),
	       "lease held by someone else: first free");
	inet_pton(AF_INET, "10.77.0.60", want);
	tap_ok(&t, !skd_pool_pick(&p, want, lease, busy, &b, out) && is4(out, "10.77.0.60"),
	       "reconnect: requested address honoured");
	inet_pton(AF_INET, "10.78.0.60", want);
	tap_ok(&t, !skd_pool_pick(&p, want, NULL, busy, &b, out) && is4(out, "10.77.0.3"),
	       "requested address outside the pool ignored");
	inet_pton(AF_INET, "10.77.0.1", want);
	tap_ok(&t, !skd_pool_usable(&p, want) && (inet_pton(AF_INET, "10.77.0.255", want), !skd_pool_usable(&p, want)) &&
	       (inet_pton(AF_INET, "10.77.0.0", want), !skd_pool_usable(&p, want)) &&
	       (inet_pton(AF_INET, "10.77.0.254", want), skd_pool_usable(&p, want)),
	       "gateway, network and broadcast are not client addresses");
	skd_pool_parse("10.9.0.0/29", &p);	/* .2 .. .6 */
	b.n = 0;
	addv4(&b, "10.9.0.2");
	addv4(&b, "10.9.0.3");
	addv4(&b, "10.9.0.4");
	addv4(&b, "10.9.0.5");
	tap_ok(&t, !skd_pool_pick(&p, NULL, NULL, busy, &b, out) && is4(out, "10.9.0.6"),
	       "small pool: last address");
	addv4(&b, "10.9.0.6");
	tap_ok(&t, skd_pool_pick(&p, NULL, NULL, busy, &b, out) == -ENOSPC, "pool exhausted: -ENOSPC");
	tap_ok(&t, !skd_pool_parse("10.9.0.0/31", &p) &&
	       skd_pool_pick(&p, NULL, NULL, busy, &b, out) == -ENOSPC, "/31 has no client address");
	b.n = 0;
	skd_pool_parse("fd00:77::/64", &p);
	skd_pool_gateway(&p, gw);
	inet_ntop(AF_INET6, gw, txt, sizeof(txt));
	tap_ok(&t, !strcmp(txt, "fd00:77::1"), "IPv6 gateway %s", txt);
	skd_pool_pick(&p, NULL, NULL, busy, &b, out);
	inet_ntop(AF_INET6, out, txt, sizeof(txt));
	tap_ok(&t, !strcmp(txt, "fd00:77::2"), "IPv6 first client %s", txt);
	memcpy(b.a[0], out, 16);
	b.n = 1;
	skd_pool_pick(&p, NULL, NULL, busy, &b, out);
	inet_ntop(AF_INET6, out, txt, sizeof(txt));
	tap_ok(&t, !strcmp(txt, "fd00:77::3"), "IPv6 next client %s", txt);
	tap_ok(&t, !skd_pool_parse("10.10.5.1/24", &p) && is4(p.net, "10.10.5.0"),
	       "host bits of a prefix cleared");
}

static void clienthello(uint8_t *dg, const uint8_t app_id[32])
{
	memset(dg, 0, 200);
	dg[0] = 22;
	dg[1] = 0xfe;
	dg[2] = 0xff;
	dg[13] = 1;
	dg[25] = 0xfe;
	dg[26] = 0xfd;
	for (int i = 0; i < 32; i++)
		dg[27 + i] = (uint8_t)(i + 1);
	dg[59] = 32;
	memcpy(dg + 60, app_id, 32);
}

static void appid(void)
{
	struct skd *d = calloc(1, sizeof(*d));
	uint8_t a1[32], a2[32], got[32], dg[200];

	d->sessions = calloc(SKD_MAX_SESSIONS, sizeof(*d->sessions));
	memset(a1, 0x11, 32);
	memset(a2, 0x22, 32);
	d->sessions[3].used = true;
	d->sessions[3].has_app_id = true;
	d->sessions[3].id = 33;
	memcpy(d->sessions[3].app_id, a1, 32);
	d->sessions[7].used = true;
	d->sessions[7].has_app_id = true;
	d->sessions[7].id = 77;
	memcpy(d->sessions[7].app_id, a2, 32);
	tap_ok(&t, skd_session_by_appid(d, a2) == &d->sessions[7] &&
	       skd_session_by_appid(d, a1) == &d->sessions[3], "App-ID lookup finds its session");
	got[0] = 0x22;
	memset(got, 0x22, 31);
	got[31] = 0x23;
	tap_ok(&t, !skd_session_by_appid(d, got), "App-ID differing in the last byte: none");
	d->sessions[7].has_app_id = false;
	tap_ok(&t, !skd_session_by_appid(d, a2), "session without App-ID not matched");
	memset(got, 0, 32);
	tap_ok(&t, !skd_session_by_appid(d, got), "all-zero App-ID matches no free slot");
	tap_ok(&t, skd_session_by_id(d, 33) == &d->sessions[3] && !skd_session_by_id(d, 34),
	       "lookup by id");

	clienthello(dg, a1);
	tap_ok(&t, !skd_clienthello_appid(dg, 200, got) && !memcmp(got, a1, 32),
	       "ClientHello: App-ID from session_id");
	tap_ok(&t, skd_clienthello_appid(dg, 91, got), "ClientHello shorter than 92 refused");
	dg[59] = 16;
	tap_ok(&t, skd_clienthello_appid(dg, 200, got), "session_id not 32 bytes refused");
	clienthello(dg, a1);
	dg[0] = 23;
	tap_ok(&t, skd_clienthello_appid(dg, 200, got), "not a handshake record refused");
	clienthello(dg, a1);
	dg[4] = 1;
	tap_ok(&t, skd_clienthello_appid(dg, 200, got), "epoch 1 refused");
	clienthello(dg, a1);
	memset(dg + 27, 0, 32);
	tap_ok(&t, skd_clienthello_appid(dg, 200, got), "all-zero client random refused");
	free(d->sessions);
	free(d);
}

static void cookies(void)
{
	struct skd *d = calloc(1, sizeof(*d));
	uint8_t raw[32], h[32], h2[32];
	char c[44], c2[44];
	bool charset = true;

	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(i * 37 + 251);
	skd_cookie_make(raw, c);
	for (size_t i = 0; i < strlen(c); i++)
		charset &= (c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= 'a' && c[i] <= 'z') ||
			   (c[i] >= '0' && c[i] <= '9') || c[i] == '-' || c[i] == '_';
	tap_ok(&t, strlen(c) == 43 && charset, "cookie: 43 base64url characters (%s)", c);
	raw[0] ^= 1;
	skd_cookie_make(raw, c2);
	tap_ok(&t, strcmp(c, c2) != 0, "different bytes, different cookie");
	skd_cookie_hash(c, h);
	SHA256((const unsigned char *)c, strlen(c), h2);
	tap_ok(&t, !memcmp(h, h2, 32), "cookie hash is SHA-256 of the text");
	d->sessions = calloc(SKD_MAX_SESSIONS, sizeof(*d->sessions));
	d->sessions[9].used = true;
	memcpy(d->sessions[9].cookie_hash, h, 32);
	tap_ok(&t, skd_session_by_cookie(d, h) == &d->sessions[9], "session by cookie hash");
	h[5] ^= 0x80;
	tap_ok(&t, !skd_session_by_cookie(d, h), "one bit off: refused");
	free(d->sessions);
	free(d);
}

int main(void)
{
	tap_begin();
	conf();
	headers();
	pac();
	pools();
	appid();
	cookies();
	return tap_end(&t);
}
