// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sekishod's Prometheus metrics (metrics.c): the request
 * check (path, method, the bearer token: missing, wrong, a prefix of the
 * right one, right; an incomplete request waits), the exposition text
 * made from a daemon's state (sessions by group, logins and factor
 * results counted from audit records, pool sizes and use, kernel
 * counters with drops by reason, the certificate's end), and the
 * listener itself over a real TCP socket on 127.0.0.1, plain and with
 * TLS (metrics_cert/metrics_key: a real OpenSSL client in a child
 * process; the gateway's own key refused; plain HTTP to the TLS listener
 * answered with nothing); SIGHUP's reload of the pair and of the bearer
 * token.  TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "daemon.h"
#include "knl.h"
#include "tap.h"
#include "testcert.h"

static struct tap t;
static const char tok[] = "0123456789abcdef0123";

static int req(const char *r)
{
	return skd_metrics_request(r, strlen(r), tok);
}

static void request(void)
{
	tap_ok(&t, req("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer 0123456789abcdef0123\r\n\r\n") == 200,
	       "the right token: 200");
	tap_ok(&t, req("GET /metrics HTTP/1.1\r\nauthorization: bearer 0123456789abcdef0123\r\n\r\n") == 200,
	       "header name and scheme in any case");
	tap_ok(&t, req("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 401, "no token: 401");
	tap_ok(&t, req("GET /metrics HTTP/1.1\r\nAuthorization: Bearer 0123456789abcdef0124\r\n\r\n") == 401,
	       "a wrong token: 401");
	tap_ok(&t, req("GET /metrics HTTP/1.1\r\nAuthorization: Bearer 0123456789abcdef012\r\n\r\n") == 401,
	       "a prefix of the token: 401");
	tap_ok(&t, req("GET /metrics HTTP/1.1\r\nAuthorization: Bearer 0123456789abcdef01234\r\n\r\n") == 401,
	       "the token and more: 401");
	tap_ok(&t, skd_metrics_request("GET /metrics HTTP/1.1\r\nAuthorization: Bearer \r\n\r\n",
				       49, "") == 401, "an empty configured token matches nothing");
	tap_ok(&t, req("POST /metrics HTTP/1.1\r\n\r\n") == 405, "POST: 405");
	tap_ok(&t, req("GET /admin HTTP/1.1\r\nAuthorization: Bearer 0123456789abcdef0123\r\n\r\n") == 404,
	       "another path: 404");
	tap_ok(&t, req("GET /metrics HTTP/1.1\r\nAuthorization: Bearer 0123456789abcdef0123\r\n") == 0,
	       "no blank line yet: wait for more");
	tap_ok(&t, req("GE") == 0, "two bytes: wait for more");
}

static bool has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		printf("# expected '%s'\n", needle);
		return false;
	}
	return true;
}

static void text(struct skd *d)
{
	struct knl_vec devs = { .size = sizeof(struct knl_dev) };
	struct knl_dev *k;
	struct sk_group g;
	struct sk_audit a;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	sk_store_set_gateway(d->st, "gw-a");
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	snprintf(g.pool4, sizeof(g.pool4), "10.8.0.0/24");
	snprintf(g.pool6, sizeof(g.pool6), "fd00:8::/64");
	sk_group_add(d->st, &g, err, sizeof(err));
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "guests");
	snprintf(g.pool4, sizeof(g.pool4), "10.9.0.0/28");
	g.pool6[0] = '\0';
	sk_group_add(d->st, &g, err, sizeof(err));
	for (int i = 0; i < 3; i++) {
		d->sessions[i].used = true;
		snprintf(d->sessions[i].group, sizeof(d->sessions[i].group), "%s", i < 2 ? "staff" : "guests");
		d->sessions[i].has4 = true;
		d->sessions[i].has6 = i == 0;
	}
	snprintf(d->sessions[1].quarantine, sizeof(d->sessions[1].quarantine), "remed");
	memset(&a, 0, sizeof(a));
	snprintf(a.type, sizeof(a.type), "login");
	snprintf(a.result, sizeof(a.result), "ok");
	ska_auditlog_count(&d->auditlog, &a);
	ska_auditlog_count(&d->auditlog, &a);
	snprintf(a.result, sizeof(a.result), "fail");
	ska_auditlog_count(&d->auditlog, &a);
	snprintf(a.result, sizeof(a.result), "x\"}\n{");
	ska_auditlog_count(&d->auditlog, &a);
	snprintf(a.type, sizeof(a.type), "factor");
	snprintf(a.result, sizeof(a.result), "fail");
	snprintf(a.detail, sizeof(a.detail), "{\"group\":\"staff\",\"factor\":\"email-otp\"}");
	ska_auditlog_count(&d->auditlog, &a);
	snprintf(a.detail, sizeof(a.detail), "{\"factor\":\"pass\\\"word\"}");
	ska_auditlog_count(&d->auditlog, &a);
	snprintf(a.type, sizeof(a.type), "posture");
	snprintf(a.result, sizeof(a.result), "quarantine");
	a.detail[0] = '\0';	/* a record without a check */
	ska_auditlog_count(&d->auditlog, &a);
	/* the chain's posture records: the check in "factor" */
	snprintf(a.result, sizeof(a.result), "pass");
	snprintf(a.detail, sizeof(a.detail), "{\"group\":\"staff\",\"factor\":\"av\"}");
	ska_auditlog_count(&d->auditlog, &a);
	ska_auditlog_count(&d->auditlog, &a);
	snprintf(a.result, sizeof(a.result), "fail");
	snprintf(a.detail, sizeof(a.detail), "{\"factor\":\"firewall\",\"reason\":\"firewall-off\"}");
	ska_auditlog_count(&d->auditlog, &a);
	snprintf(a.type, sizeof(a.type), "admin");
	ska_auditlog_count(&d->auditlog, &a);
	k = knl_vec_push(&devs);
	snprintf(k->ifname, sizeof(k->ifname), "sk0");
	for (int s = 0; s < KNL_NSTATS; s++)
		if (knl_stat_names[s]) {
			k->stats.has[s] = true;
			k->stats.v[s] = 100 + (uint64_t)s;
		}
	d->metrics_cert_not_after = 1893456000;

	f = open_memstream(&buf, &len);
	skd_metrics_write(f, d, &devs);
	fclose(f);
	printf("# %zu bytes\n", len);
	tap_ok(&t, has(buf, "# TYPE sekisho_sessions gauge\n") &&
	       has(buf, "\nsekisho_sessions{gateway=\"gw-a\",group=\"staff\"} 2\n") &&
	       has(buf, "\nsekisho_sessions{gateway=\"gw-a\",group=\"guests\"} 1\n"),
	       "sessions by gateway and group");
	tap_ok(&t, has(buf, "# TYPE sekisho_sessions_quarantined gauge\n") &&
	       has(buf, "\nsekisho_sessions_quarantined{gateway=\"gw-a\",group=\"staff\"} 1\n") &&
	       has(buf, "\nsekisho_sessions_quarantined{gateway=\"gw-a\",group=\"guests\"} 0\n"),
	       "of those, the quarantined ones by gateway and group");
	tap_ok(&t, has(buf, "# TYPE sekisho_logins_total counter\n") &&
	       has(buf, "\nsekisho_logins_total{result=\"ok\"} 2\n") &&
	       has(buf, "\nsekisho_logins_total{result=\"fail\"} 1\n") &&
	       has(buf, "\nsekisho_logins_total{result=\"other\"} 1\n") &&
	       has(buf, "\nsekisho_factor_results_total{factor=\"email-otp\",result=\"fail\"} 1\n") &&
	       has(buf, "\nsekisho_factor_results_total{factor=\"other\",result=\"fail\"} 1\n") &&
	       has(buf, "\nsekisho_posture_results_total{result=\"quarantine\"} 1\n") &&
	       !strstr(buf, "result=\"x"), "logins and factors by result; a result that is not a keyword is 'other'");
	tap_ok(&t, has(buf, "\nsekisho_posture_results_total{check=\"av\",result=\"pass\"} 2\n") &&
	       has(buf, "\nsekisho_posture_results_total{check=\"firewall\",result=\"fail\"} 1\n"),
	       "host-scan verdicts by check and result");
	tap_ok(&t, has(buf, "\nsekisho_pool_addresses{group=\"staff\",family=\"ipv4\"} 256\n") &&
	       has(buf, "\nsekisho_pool_addresses{group=\"staff\",family=\"ipv6\"} 18446744073709551616\n") &&
	       has(buf, "\nsekisho_pool_addresses{group=\"guests\",family=\"ipv4\"} 16\n") &&
	       has(buf, "\nsekisho_pool_addresses_used{group=\"staff\",family=\"ipv4\"} 2\n") &&
	       has(buf, "\nsekisho_pool_addresses_used{group=\"staff\",family=\"ipv6\"} 1\n") &&
	       has(buf, "\nsekisho_pool_addresses_used{group=\"guests\",family=\"ipv4\"} 1\n"),
	       "pool sizes and use");
	tap_ok(&t, has(buf, "sekisho_kernel_drops_total{device=\"sk0\",reason=\"replay\"} ") &&
	       has(buf, "sekisho_kernel_drops_total{device=\"sk0\",reason=\"policy\"} ") &&
	       has(buf, "sekisho_kernel_packets_total{device=\"sk0\",direction=\"rx\"} ") &&
	       has(buf, "sekisho_kernel_bytes_total{device=\"sk0\",direction=\"tx\"} "),
	       "kernel counters: packets, bytes, drops by reason");
	tap_ok(&t, has(buf, "\nsekisho_certificate_expiry_timestamp_seconds{certificate=\"server\"} 1893456000\n"),
	       "the server certificate's end");
	{
		/* every line is a comment or NAME{labels} VALUE, no blank, no tab */
		bool ok = len > 0 && buf[len - 1] == '\n';
		char *save = NULL;

		for (char *l = strtok_r(buf, "\n", &save); l && ok; l = strtok_r(NULL, "\n", &save))
			if (l[0] != '#' && (strncmp(l, "sekisho_", 8) || !strchr(l, ' ') ||
					    strchr(l, '\t') || strchr(strrchr(l, ' ') + 1, '"')))
				ok = false;
		tap_ok(&t, ok, "every line is a comment or a sample");
	}
	free(buf);
	knl_vec_free(&devs);
}

/* one connection: the request sent, the daemon's side run, the answer read */
static void scrape(struct skd *d, const struct sockaddr_in *sa, const char *request, char *resp,
		   size_t len)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	size_t n = 0;
	ssize_t r;

	connect(c, (const struct sockaddr *)sa, sizeof(*sa));
	skd_metrics_accept(d);
	if (write(c, request, strlen(request)) < 0)
		printf("# write failed\n");
	usleep(50000);
	skd_metrics_io(d);
	while ((r = recv(c, resp + n, len - 1 - n, 0)) > 0)
		n += (size_t)r;
	resp[n] = '\0';
	close(c);
}

/* the audit records of type daemon with result res: how many, and the
 * last one's detail */
struct daemon_audits {
	const char *res;
	int n;
	char detail[512];
};

static int daemon_audit_fn(const struct sk_audit *a, void *arg)
{
	struct daemon_audits *m = arg;

	if (!strcmp(a->result, m->res)) {
		m->n++;
		snprintf(m->detail, sizeof(m->detail), "%.500s", a->detail);
	}
	return 0;
}

static int daemon_audits(struct skd *d, const char *res, char *detail, size_t len)
{
	struct sk_audit_filter f = { .type = "daemon" };
	struct daemon_audits m = { .res = res };

	sk_audit_list(d->st, &f, daemon_audit_fn, &m);
	if (detail)
		snprintf(detail, len, "%s", m.detail);
	return m.n;
}

static void write_token(const char *path, const char *token)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "%s\n", token);
		fclose(f);
	}
}

/* the code of a scrape with the token tk */
static int scrape_code(struct skd *d, const struct sockaddr_in *sa, const char *tk)
{
	char req[256], resp[65536];

	snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", tk);
	scrape(d, sa, req, resp, sizeof(resp));
	if (!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && strstr(resp, "# HELP sekisho_sessions"))
		return 200;
	if (!strncmp(resp, "HTTP/1.1 401 ", 13) && !strstr(resp, "sekisho_sessions"))
		return 401;
	return 0;
}

/* SIGHUP's token reload (skd_metrics_token_reload): a new token replaces
 * the one in use, the old one is then refused; an unchanged file changes
 * nothing; a token that fails the start's checks, or a file that cannot
 * be read, keeps the one in use; each change and refusal audited, never
 * with the token */
static void token_reload(struct skd *d, const struct sockaddr_in *sa, const char *path)
{
	static const char tok2[] = "second-token-0123456789";
	char detail[512];
	int n0 = daemon_audits(d, "metrics-token-reloaded", NULL, 0);
	int k0 = daemon_audits(d, "metrics-token-kept", NULL, 0);

	tap_ok(&t, skd_metrics_token_reload(d) == 0 && daemon_audits(d, "metrics-token-reloaded", NULL, 0) == n0,
	       "SIGHUP, the token file unchanged: nothing replaced, nothing audited");
	write_token(path, tok2);
	tap_ok(&t, scrape_code(d, sa, tok) == 200 && scrape_code(d, sa, tok2) == 401,
	       "a new token in the file: the old one is served until SIGHUP");
	tap_ok(&t, skd_metrics_token_reload(d) == 1, "SIGHUP: the new token replaces it");
	tap_ok(&t, scrape_code(d, sa, tok2) == 200 && scrape_code(d, sa, tok) == 401,
	       "after SIGHUP the new token gets 200, the old one 401");
	tap_ok(&t, daemon_audits(d, "metrics-token-reloaded", detail, sizeof(detail)) == n0 + 1 &&
	       strstr(detail, path) && !strstr(detail, tok2) && !strstr(detail, tok),
	       "audited: daemon metrics-token-reloaded with the file, without the token (%s)", detail);

	write_token(path, "short");
	tap_ok(&t, skd_metrics_token_reload(d) == -1 && scrape_code(d, sa, tok2) == 200 &&
	       scrape_code(d, sa, "short") == 401,
	       "SIGHUP with a token the start refuses (too short): the one in use stays");
	tap_ok(&t, daemon_audits(d, "metrics-token-kept", detail, sizeof(detail)) == k0 + 1 &&
	       strstr(detail, "16 to 127 characters"),
	       "audited: daemon metrics-token-kept with the reason (%s)", detail);
	write_token(path, "with blank 0123456789");
	tap_ok(&t, skd_metrics_token_reload(d) == -1 && scrape_code(d, sa, tok2) == 200,
	       "a token with a blank: refused, the one in use stays");
	unlink(path);
	tap_ok(&t, skd_metrics_token_reload(d) == -1 && scrape_code(d, sa, tok2) == 200 &&
	       daemon_audits(d, "metrics-token-kept", detail, sizeof(detail)) == k0 + 3 &&
	       strstr(detail, "No such file"),
	       "the file gone: refused with why (%s), the one in use stays", detail);
	write_token(path, tok);
	tap_ok(&t, skd_metrics_token_reload(d) == 1 && scrape_code(d, sa, tok) == 200,
	       "the first token back by SIGHUP");
}

static void listener(struct skd *d, const char *dir)
{
	char path[256], err[256], resp[65536], req[256];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	FILE *f;
	int c;

	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	fprintf(f, "%s\n", tok);
	fclose(f);
	snprintf(d->conf.metrics_token_file, sizeof(d->conf.metrics_token_file), "%s", path);
	memcpy(&d->conf.metrics_listen, &sa, sizeof(sa));
	d->conf.metrics_listen_len = sizeof(sa);
	snprintf(d->conf.server_cert, sizeof(d->conf.server_cert), "%s/none.pem", dir);
	tap_ok(&t, skd_metrics_open(d, err, sizeof(err)) == 0, "the listener opens on 127.0.0.1:0 (%s)", err);
	getsockname(d->metrics_fd, (struct sockaddr *)&sa, &sl);
	d->ep = epoll_create1(0);

	snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
	scrape(d, &sa, req, resp, sizeof(resp));
	tap_ok(&t, !strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && strstr(resp, "text/plain; version=0.0.4") &&
	       strstr(resp, "\r\n\r\n# HELP sekisho_sessions"), "a scrape: 200 with the text");
	tap_ok(&t, d->metrics_conn_fd < 0, "and closed");
	scrape(d, &sa, "GET /metrics HTTP/1.1\r\nAuthorization: Bearer wrong-token-wrong-token\r\n\r\n",
	       resp, sizeof(resp));
	tap_ok(&t, !strncmp(resp, "HTTP/1.1 401 ", 13) && strstr(resp, "WWW-Authenticate: Bearer") &&
	       !strstr(resp, "sekisho_sessions"), "a wrong token: 401 and no metrics");

	c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&sa, sizeof(sa));
	skd_metrics_accept(d);
	dprintf(c, "GET /met");
	usleep(50000);
	skd_metrics_io(d);
	tap_ok(&t, d->metrics_conn_fd >= 0, "a slow client is waited for ...");
	skd_metrics_timers(d, skd_now() + 3);
	tap_ok(&t, d->metrics_conn_fd < 0, "... until the deadline, then dropped");
	close(c);
	token_reload(d, &sa, path);
	skd_metrics_close(d);
	close(d->ep);
	d->ep = -1;
}

/* ------------------------------------------------------------------ TLS */

/* a key and its self-signed certificate as PEM files dir/NAME.key, .pem,
 * valid for an hour (or secs seconds) */
static void pem_pair_for(const char *dir, const char *name, long secs)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = test_self_signed(k);
	char path[256];
	FILE *f;

	if (secs) {
		X509_gmtime_adj(X509_getm_notAfter(x), secs);
		X509_sign(x, k, EVP_sha256());
	}

	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void pem_pair(const char *dir, const char *name)
{
	pem_pair_for(dir, name, 0);
}

/* the notAfter of a PEM certificate file, as the metrics show it */
static long long pem_end(const char *pem)
{
	FILE *f = fopen(pem, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	struct tm tm;
	long long end = 0;

	if (f)
		fclose(f);
	if (x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		end = (long long)timegm(&tm);
	X509_free(x);
	return end;
}

/* the value of metric KEY (up to its space) in the text, or -1 */
static long long metric_of(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* A scrape by a child process (a blocking OpenSSL client, or plain TCP
 * when tls is false) while this process runs the daemon's side; the
 * answer ends up in resp, the SHA-256 of the certificate the server
 * showed in fp (TLS). */
static void child_scrape(struct skd *d, const struct sockaddr_in *sa, bool tls, const char *request,
			 char *resp, size_t len, unsigned char fp[32])
{
	int pfd[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	memset(fp, 0, 32);
	if (pipe(pfd))
		return;
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		char buf[65536];
		unsigned int fl = 32;
		unsigned char md[32] = { 0 };

		close(pfd[0]);
		if (connect(c, (const struct sockaddr *)sa, sizeof(*sa)))
			_exit(1);
		if (tls) {
			SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
			SSL *ssl = SSL_new(ctx);
			X509 *peer;
			int m;

			SSL_set_fd(ssl, c);
			if (SSL_connect(ssl) != 1)
				_exit(2);
			if ((peer = SSL_get1_peer_certificate(ssl))) {
				X509_digest(peer, EVP_sha256(), md, &fl);
				X509_free(peer);
			}
			if (write(pfd[1], md, 32) != 32)
				_exit(3);
			SSL_write(ssl, request, (int)strlen(request));
			while ((m = SSL_read(ssl, buf, sizeof(buf))) > 0)
				if (write(pfd[1], buf, (size_t)m) != m)
					_exit(3);
		} else {
			if (write(pfd[1], md, 32) != 32 || write(c, request, strlen(request)) < 0)
				_exit(3);
			while ((r = recv(c, buf, sizeof(buf), 0)) > 0)
				if (write(pfd[1], buf, (size_t)r) != r)
					_exit(3);
		}
		_exit(0);
	}
	close(pfd[1]);
	/* the daemon's side, as the event loop would run it, for up to 5 s */
	for (int i = 0; i < 500 && waitpid(pid, &st, WNOHANG) == 0; i++) {
		struct pollfd p = { .fd = d->metrics_conn_fd >= 0 ? d->metrics_conn_fd : d->metrics_fd,
				    .events = POLLIN };

		if (poll(&p, 1, 10) == 1) {
			if (d->metrics_conn_fd < 0)
				skd_metrics_accept(d);
			else
				skd_metrics_io(d);
		}
	}
	(void)waitpid(pid, &st, WNOHANG);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	while (n + 1 < len && (r = read(pfd[0], resp + n, len - 1 - n)) > 0)
		n += (size_t)r;
	close(pfd[0]);
	resp[n] = '\0';
	if (n >= 32) {
		memcpy(fp, resp, 32);
		memmove(resp, resp + 32, n - 32 + 1);
	} else {
		resp[0] = '\0';
	}
	if (d->metrics_conn_fd >= 0)
		skd_metrics_timers(d, skd_now() + 3);	/* a refused handshake left open */
}

static bool fp_of(const char *pem, const unsigned char fp[32])
{
	FILE *f = fopen(pem, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char md[32];
	unsigned int l = 32;
	bool ok;

	if (f)
		fclose(f);
	ok = x && X509_digest(x, EVP_sha256(), md, &l) && !memcmp(md, fp, 32);
	X509_free(x);
	return ok;
}

/* SIGHUP's reload (skd_metrics_reload): the new files are served only
 * after it, a pair that fails keeps the one in use, and the server
 * certificate's end follows the server certificate's reload */
static void reload(struct skd *d, const struct sockaddr_in *sa, const char *dir, const char *req)
{
	char err[512] = "", resp[65536], pem[256], key[256], other[256], gw[256];
	const char *mkey = "sekisho_certificate_expiry_timestamp_seconds{certificate=\"metrics\"} ";
	const char *skey = "sekisho_certificate_expiry_timestamp_seconds{certificate=\"server\"} ";
	unsigned char fp[32];
	long long end0, end1;

	snprintf(pem, sizeof(pem), "%s/metrics.pem", dir);
	snprintf(key, sizeof(key), "%s/metrics.key", dir);
	snprintf(other, sizeof(other), "%s/other.key", dir);
	snprintf(gw, sizeof(gw), "%s/gw.pem", dir);
	end0 = pem_end(pem);
	pem_pair_for(dir, "metrics", 30L * 86400);
	end1 = pem_end(pem);
	child_scrape(d, sa, true, req, resp, sizeof(resp), fp);
	tap_ok(&t, !fp_of(pem, fp) && metric_of(resp, mkey) == end0,
	       "new metrics files: the old pair is served until SIGHUP (end %lld)", end0);
	tap_ok(&t, skd_metrics_reload(d, false, err, sizeof(err)) == 0, "SIGHUP: the new pair loads (%s)", err);
	child_scrape(d, sa, true, req, resp, sizeof(resp), fp);
	tap_ok(&t, !strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && fp_of(pem, fp),
	       "after SIGHUP the listener shows the new certificate");
	tap_ok(&t, end1 > end0 + 86400 && metric_of(resp, mkey) == end1,
	       "and the metrics certificate's end is the new one's (%lld, was %lld)", metric_of(resp, mkey), end0);

	/* a key that does not match the new certificate: the pair in use stays */
	unlink(key);
	if (link(other, key))
		tap_ok(&t, false, "link %s %s: %s", other, key, strerror(errno));
	err[0] = '\0';
	tap_ok(&t, skd_metrics_reload(d, false, err, sizeof(err)) && strstr(err, "metrics_key"),
	       "SIGHUP with a key that does not match: refused (%s)", err);
	child_scrape(d, sa, true, req, resp, sizeof(resp), fp);
	tap_ok(&t, !strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && fp_of(pem, fp) && metric_of(resp, mkey) == end1,
	       "... and the pair in use stays (same certificate and end)");

	/* the server certificate's end: read again when it was reloaded */
	end0 = metric_of(resp, skey);
	pem_pair_for(dir, "gw", 60L * 86400);
	end1 = pem_end(gw);
	err[0] = '\0';
	skd_metrics_reload(d, false, err, sizeof(err));
	child_scrape(d, sa, true, req, resp, sizeof(resp), fp);
	tap_ok(&t, metric_of(resp, skey) == end0, "the server certificate's end is unchanged while it was "
	       "not reloaded (%lld)", end0);
	skd_metrics_reload(d, true, err, sizeof(err));
	child_scrape(d, sa, true, req, resp, sizeof(resp), fp);
	tap_ok(&t, end1 != end0 && metric_of(resp, skey) == end1,
	       "after the server certificate's reload its end is the new one's (%lld)", end1);
}

static void tls_listener(struct skd *d, const char *dir)
{
	char err[512], resp[65536], req[256], path[256];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	unsigned char fp[32];

	pem_pair(dir, "gw");
	pem_pair(dir, "metrics");
	pem_pair(dir, "other");
	memcpy(&d->conf.metrics_listen, &sa, sizeof(sa));
	d->conf.metrics_listen_len = sizeof(sa);
	snprintf(d->conf.server_cert, sizeof(d->conf.server_cert), "%s/gw.pem", dir);

	/* the gateway's own certificate and key: refused */
	snprintf(d->conf.metrics_cert, sizeof(d->conf.metrics_cert), "%s/gw.pem", dir);
	snprintf(d->conf.metrics_key, sizeof(d->conf.metrics_key), "%s/gw.key", dir);
	err[0] = '\0';
	tap_ok(&t, skd_metrics_open(d, err, sizeof(err)) && strstr(err, "the gateway's key") &&
	       d->metrics_fd < 0 && !d->metrics_tls, "metrics_cert with the gateway's key refused (%s)", err);
	skd_metrics_close(d);
	/* a key that is not the certificate's: refused */
	snprintf(d->conf.metrics_cert, sizeof(d->conf.metrics_cert), "%s/metrics.pem", dir);
	snprintf(d->conf.metrics_key, sizeof(d->conf.metrics_key), "%s/other.key", dir);
	err[0] = '\0';
	tap_ok(&t, skd_metrics_open(d, err, sizeof(err)) && strstr(err, "metrics_key") &&
	       !d->metrics_tls, "a metrics_key that does not match metrics_cert refused (%s)", err);
	skd_metrics_close(d);

	snprintf(d->conf.metrics_key, sizeof(d->conf.metrics_key), "%s/metrics.key", dir);
	err[0] = '\0';
	tap_ok(&t, skd_metrics_open(d, err, sizeof(err)) == 0 && d->metrics_tls,
	       "the TLS listener opens with its own pair (%s)", err);
	getsockname(d->metrics_fd, (struct sockaddr *)&sa, &sl);
	d->ep = epoll_create1(0);

	snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
	child_scrape(d, &sa, true, req, resp, sizeof(resp), fp);
	snprintf(path, sizeof(path), "%s/metrics.pem", dir);
	tap_ok(&t, !strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && strstr(resp, "\r\n\r\n# HELP sekisho_sessions"),
	       "a scrape over TLS with the token: 200 with the text");
	tap_ok(&t, fp_of(path, fp), "the server showed metrics_cert, not the gateway's certificate");
	tap_ok(&t, strstr(resp, "sekisho_certificate_expiry_timestamp_seconds{certificate=\"metrics\"} ") != NULL,
	       "the metrics certificate's end is a metric too");
	tap_ok(&t, d->metrics_conn_fd < 0 && !d->metrics_ssl, "and the connection closed");
	child_scrape(d, &sa, true, "GET /metrics HTTP/1.1\r\nAuthorization: Bearer wrong-token-wrong-token\r\n\r\n",
		     resp, sizeof(resp), fp);
	tap_ok(&t, !strncmp(resp, "HTTP/1.1 401 ", 13) && !strstr(resp, "sekisho_sessions"),
	       "over TLS, a wrong token: 401 and no metrics");
	child_scrape(d, &sa, false, req, resp, sizeof(resp), fp);
	tap_ok(&t, !strstr(resp, "sekisho_sessions") && !strstr(resp, "HTTP/1.1 200"),
	       "plain HTTP to the TLS listener, even with the token: no metrics");
	tap_ok(&t, d->metrics_conn_fd < 0 && !d->metrics_ssl, "and that connection is gone");
	child_scrape(d, &sa, true, req, resp, sizeof(resp), fp);
	tap_ok(&t, !strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "the listener still serves after that");

	/* SIGHUP: a new pair (30 days) in place of the old (1 hour) files */
	reload(d, &sa, dir, req);
	skd_metrics_close(d);
	close(d->ep);
	d->ep = -1;
	d->conf.metrics_cert[0] = d->conf.metrics_key[0] = '\0';
}

int main(void)
{
	static struct skd d;
	char dir[64], path[256], err[256];

	tap_begin();
	request();
	snprintf(dir, sizeof(dir), "/tmp/sk-metrics-test.XXXXXX");
	if (!mkdtemp(dir) || skd_init(&d))
		return 1;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sk_store_open(path, &d.st, err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	text(&d);
	listener(&d, dir);
	tls_listener(&d, dir);
	sk_store_close(d.st);
	d.st = NULL;
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
