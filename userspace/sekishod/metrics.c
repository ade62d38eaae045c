// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics in the Prometheus text format (issue 14), on a management
 * listener that is off by default (bootstrap keys metrics_listen and
 * metrics_token_file; Documentation/admin/logging.md):
 *
 *   GET /metrics HTTP/1.x with "Authorization: Bearer TOKEN"
 *
 * One connection at a time, a request of at most 4 KiB read within 2 s,
 * the token compared in constant time; the answer is written once and
 * the connection closed.  The text (skd_metrics_write) is made of the
 * live sessions by group, the logins and factor results counted from the
 * audit trail since the start, the address pools' sizes and use, the
 * kernel device's counters (drops by reason) and the server certificate's
 * expiry.
 *
 * TLS (metrics_cert and metrics_key): the listener speaks TLS 1.2 or 1.3
 * with a certificate of its own, loaded as root at start and again on
 * SIGHUP (skd_metrics_reload, as the service user then).  Never the
 * gateway's key: main does not hold it (the key holder does, and signs
 * only for workers; Documentation/architecture.md), so a metrics_cert
 * with the server certificate's public key is refused.  The handshake
 * runs in the event loop on the non-blocking socket, within the same 2 s
 * deadline; no session tickets, no session cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <poll.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "check.h"
#include "daemon.h"
#include "knl.h"
#include "skjson.h"
#include "skparse.h"

#define METRICS_REQ_MAX		4096
#define METRICS_DEADLINE	2

/* a label value: \ " and newline escaped (the format's only rule) */
static void label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct pool_arg { FILE *f; struct skd *d; bool used; };

static double pool_size(const char *pool)
{
	struct sk_prefix p;
	char e[SK_ERRLEN];

	if (!*pool || sk_parse_prefix(pool, &p, e, sizeof(e)))
		return -1;
	return ldexp(1.0, (p.addr.family == AF_INET ? 32 : 128) - p.len);
}

static int pool_each(const struct sk_group *g, void *arg)
{
	struct pool_arg *a = arg;
	const char *pools[2] = { g->pool4, g->pool6 };

	for (int fam = 0; fam < 2; fam++) {
		double size = pool_size(pools[fam]);
		int used = 0;

		if (size < 0)
			continue;
		for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
			const struct skd_session *s = &a->d->sessions[i];

			if (s->used && !strcmp(s->group, g->name) && (fam ? s->has6 : s->has4))
				used++;
		}
		fprintf(a->f, "%s{group=", a->used ? "sekisho_pool_addresses_used" :
			"sekisho_pool_addresses");
		label(a->f, g->name);
		fprintf(a->f, ",family=\"%s\"} ", fam ? "ipv6" : "ipv4");
		if (a->used)
			fprintf(a->f, "%d\n", used);
		else
			fprintf(a->f, "%.0f\n", size);
	}
	return 0;
}

/* the counters of one audit type; lname names the records' factor (the
 * factor of a factor record, the check of a posture record) */
static void counts(FILE *f, const struct ska_auditlog *l, const char *type, const char *name,
		   const char *lname, const char *help)
{
	family(f, name, "counter", help);
	for (int i = 0; i < l->n_counts; i++) {
		if (strcmp(l->counts[i].type, type))
			continue;
		fprintf(f, "%s{", name);
		if (l->counts[i].factor[0]) {
			fprintf(f, "%s=", lname);
			label(f, l->counts[i].factor);
			fputc(',', f);
		}
		fputs("result=", f);
		label(f, l->counts[i].result);
		fprintf(f, "} %llu\n", (unsigned long long)l->counts[i].n);
	}
}

void skd_metrics_write(FILE *f, struct skd *d, const struct knl_vec *devs)
{
	struct pool_arg pa = { f, d, false };
	char groups[64][SK_NAME_MAX + 1];
	int ng = 0, n[64] = { 0 }, q[64] = { 0 }, other = 0, qother = 0;

	family(f, "sekisho_sessions", "gauge", "sessions of this gateway by gateway and group");
	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		const struct skd_session *s = &d->sessions[i];
		int g;

		if (!s->used)
			continue;
		for (g = 0; g < ng && strcmp(groups[g], s->group); g++)
			;
		if (g == ng) {
			if (ng == 64) {
				other++;
				qother += s->quarantine[0] != 0;
				continue;
			}
			snprintf(groups[ng++], sizeof(groups[0]), "%s", s->group);
		}
		n[g]++;
		q[g] += s->quarantine[0] != 0;
	}
	for (int g = 0; g <= ng; g++) {
		if (g == ng && !other)
			break;
		/* gateway = its name in the store's rows (gateway =, else the host) */
		fputs("sekisho_sessions{gateway=", f);
		label(f, d->st ? sk_store_gateway(d->st) : "");
		fputs(",group=", f);
		label(f, g < ng ? groups[g] : "(other)");
		fprintf(f, "} %d\n", g < ng ? n[g] : other);
	}
	/* posture (issue 12): of those, the ones on a remediation allowlist;
	 * an in-tunnel re-check that passes takes one off at once */
	family(f, "sekisho_sessions_quarantined", "gauge",
	       "sessions of this gateway in posture quarantine by gateway and group");
	for (int g = 0; g <= ng; g++) {
		if (g == ng && !other)
			break;
		fputs("sekisho_sessions_quarantined{gateway=", f);
		label(f, d->st ? sk_store_gateway(d->st) : "");
		fputs(",group=", f);
		label(f, g < ng ? groups[g] : "(other)");
		fprintf(f, "} %d\n", g < ng ? q[g] : qother);
	}

	counts(f, &d->auditlog, "login", "sekisho_logins_total", "factor",
	       "logins by result since sekishod started (audit type login)");
	counts(f, &d->auditlog, "factor", "sekisho_factor_results_total", "factor",
	       "results of single factors by factor since sekishod started (audit type factor)");
	counts(f, &d->auditlog, "posture", "sekisho_posture_results_total", "check",
	       "host-scan (posture) verdicts by check since sekishod started (audit type posture)");

	family(f, "sekisho_pool_addresses", "gauge", "addresses in a group's pool");
	if (d->st)
		sk_group_list(d->st, pool_each, &pa);
	family(f, "sekisho_pool_addresses_used", "gauge",
	       "addresses of a group's pool held by sessions of this gateway");
	pa.used = true;
	if (d->st)
		sk_group_list(d->st, pool_each, &pa);

	family(f, "sekisho_kernel_packets_total", "counter", "packets through the device");
	family(f, "sekisho_kernel_drops_total", "counter", "packets the device dropped, by reason");
	for (size_t i = 0; devs && i < devs->n; i++) {
		const struct knl_dev *k = (const struct knl_dev *)devs->items + i;

		for (int s = 0; s < KNL_NSTATS; s++) {
			const char *name = knl_stat_names[s];

			if (!k->stats.has[s] || !name)
				continue;
			if (!strncmp(name, "drop_", 5)) {
				fputs("sekisho_kernel_drops_total{device=", f);
				label(f, k->ifname);
				fprintf(f, ",reason=\"%s\"}", name + 5);
			} else if (!strcmp(name + 3, "packets") || !strcmp(name + 3, "bytes")) {
				fprintf(f, "sekisho_kernel_%s_total{device=", strstr(name, "bytes") ?
					"bytes" : "packets");
				label(f, k->ifname);
				fprintf(f, ",direction=\"%.2s\"}", name);
			} else {
				fprintf(f, "sekisho_kernel_%s_total{device=", name);
				label(f, k->ifname);
				fputc('}', f);
			}
			fprintf(f, " %llu\n", (unsigned long long)k->stats.v[s]);
		}
	}

	family(f, "sekisho_certificate_expiry_timestamp_seconds", "gauge",
	       "notAfter of the server certificate (alert on this minus time())");
	if (d->metrics_cert_not_after)
		fprintf(f, "sekisho_certificate_expiry_timestamp_seconds{certificate=\"server\"} %lld\n",
			(long long)d->metrics_cert_not_after);
	if (d->metrics_tls_not_after)
		fprintf(f, "sekisho_certificate_expiry_timestamp_seconds{certificate=\"metrics\"} %lld\n",
			(long long)d->metrics_tls_not_after);
	family(f, "sekisho_audit_syslog_dropped_total", "counter",
	       "audit lines the syslog socket did not take");
	fprintf(f, "sekisho_audit_syslog_dropped_total %llu\n",
		(unsigned long long)d->auditlog.dropped);
	family(f, "sekisho_cstp_streams_total", "counter",
	       "CSTP streams carried by kernel TLS (stream=ktls) or relayed by the worker, by reason");
	fprintf(f, "sekisho_cstp_streams_total{stream=\"ktls\",reason=\"\"} %llu\n",
		(unsigned long long)d->ktls_handed);
	for (int i = 0; skd_ktls_reason(i); i++)
		fprintf(f, "sekisho_cstp_streams_total{stream=\"relay\",reason=\"%s\"} %llu\n",
			skd_ktls_reason(i), (unsigned long long)d->ktls_relayed[i]);
	family(f, "sekisho_dtls_workers_total", "counter",
	       "DTLS workers started for a later DTLS handshake of a session without a worker");
	fprintf(f, "sekisho_dtls_workers_total %llu\n", (unsigned long long)d->dtlsw_started);
	family(f, "sekisho_dtls_hellos_refused_total", "counter",
	       "ClientHellos of such sessions that started no DTLS worker, by bound");
	fprintf(f, "sekisho_dtls_hellos_refused_total{reason=\"rate\"} %llu\n",
		(unsigned long long)d->dtlsw_rate);
	fprintf(f, "sekisho_dtls_hellos_refused_total{reason=\"cap\"} %llu\n",
		(unsigned long long)d->dtlsw_cap);
}

/* ------------------------------------------------------------- the request */

int skd_metrics_request(const char *req, size_t len, const char *token)
{
	const char *p, *end = req + len, *eol;
	size_t tl = strlen(token);
	bool ok = false;

	if (len < 4 || strncmp(req, "GET ", 4))
		return !memchr(req, '\n', len) && len < METRICS_REQ_MAX ? 0 : 405;
	if (!(eol = memmem(req, len, "\r\n", 2)))
		return len < METRICS_REQ_MAX ? 0 : 400;
	if (!memmem(req, len, "\r\n\r\n", 4))
		return len < METRICS_REQ_MAX ? 0 : 400;
	if ((size_t)(eol - req) < 13 || strncmp(req + 4, "/metrics ", 9) ||
	    strncmp(eol - 8, "HTTP/1.", 7))
		return 404;
	for (p = eol + 2; p < end && !(p[0] == '\r' && p[1] == '\n'); p = eol + 2) {
		if (!(eol = memmem(p, (size_t)(end - p), "\r\n", 2)))
			return 400;
		if ((size_t)(eol - p) > 21 && !strncasecmp(p, "Authorization: Bearer ", 22)) {
			const char *v = p + 22;
			size_t vl = (size_t)(eol - v);

			/* constant time in the token's content; its length is no secret */
			ok = tl && vl == tl && !CRYPTO_memcmp(v, token, tl);
		}
	}
	return ok ? 200 : 401;
}

/* -------------------------------------------------------------- connection */

static void metrics_close(struct skd *d)
{
	if (d->metrics_conn_fd < 0)
		return;
	if (d->metrics_ssl) {
		if (SSL_is_init_finished(d->metrics_ssl))
			(void)SSL_shutdown(d->metrics_ssl);	/* close_notify, not awaited */
		SSL_free(d->metrics_ssl);
		d->metrics_ssl = NULL;
		ERR_clear_error();
	}
	skd_poll_del(d, d->metrics_conn_fd);
	close(d->metrics_conn_fd);
	d->metrics_conn_fd = -1;
	d->metrics_len = 0;
}

void skd_metrics_accept(struct skd *d)
{
	int fd = accept4(d->metrics_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (d->metrics_conn_fd >= 0) {	/* one scrape at a time */
		close(fd);
		return;
	}
	if (d->metrics_tls) {
		d->metrics_ssl = SSL_new(d->metrics_tls);
		if (!d->metrics_ssl || !SSL_set_fd(d->metrics_ssl, fd)) {
			SSL_free(d->metrics_ssl);
			d->metrics_ssl = NULL;
			close(fd);
			return;
		}
		SSL_set_accept_state(d->metrics_ssl);
	}
	d->metrics_conn_fd = fd;
	d->metrics_len = 0;
	d->metrics_deadline = skd_now() + METRICS_DEADLINE;
	d->metrics_conn_ev = (struct skd_ev){ SKD_EV_METRICS_CONN, 0 };
	if (skd_poll_add(d, fd, &d->metrics_conn_ev)) {
		SSL_free(d->metrics_ssl);
		d->metrics_ssl = NULL;
		close(fd);
		d->metrics_conn_fd = -1;
	}
}

/* all of buf, plain or TLS: the answer is a few KiB, normally within the
 * socket's buffer at once; a full buffer is waited for up to 1 s */
static void send_all(struct skd *d, const char *buf, size_t len)
{
	struct pollfd p = { .fd = d->metrics_conn_fd, .events = POLLOUT };

	for (int tries = 0; len && tries < 10; tries++) {
		ssize_t n;

		if (d->metrics_ssl) {
			int r = SSL_write(d->metrics_ssl, buf, (int)len);

			if (r <= 0 && SSL_get_error(d->metrics_ssl, r) != SSL_ERROR_WANT_WRITE)
				return;
			n = r > 0 ? r : 0;
		} else {
			n = send(d->metrics_conn_fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return;
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (poll(&p, 1, 100) < 0) {
			return;
		}
	}
}

static void reply(struct skd *d, int status)
{
	char *body = NULL, *all, head[256];
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	struct knl_vec devs = { .size = sizeof(struct knl_dev) };
	const char *why = status == 401 ? "Unauthorized" : status == 404 ? "Not Found" :
			  status == 405 ? "Method Not Allowed" : status == 400 ? "Bad Request" : "OK";
	int hl;

	if (!f)
		return;
	if (status == 200) {
		if (d->have_kernel && knl_get_devs(&d->k.req, d->k.ifindex, &devs))
			knl_vec_free(&devs);
		skd_metrics_write(f, d, &devs);
		knl_vec_free(&devs);
	} else {
		fprintf(f, "%d %s\n", status, why);
	}
	fclose(f);
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: text/plain; version=0.0.4; "
		      "charset=utf-8\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n", status,
		      why, blen, status == 401 ? "WWW-Authenticate: Bearer\r\n" : "");
	/* head and body in one write: one TLS record, one segment */
	all = malloc((size_t)hl + blen);
	if (all) {
		memcpy(all, head, (size_t)hl);
		memcpy(all + hl, body, blen);
		send_all(d, all, (size_t)hl + blen);
		free(all);
	}
	free(body);
}

/* The handshake, then what TLS has of the request (also what it holds
 * buffered beyond this socket read).  Returns the bytes added (0: none
 * yet, the handshake goes on), -EAGAIN when nothing more is there yet
 * and nothing was added, or -EPROTO for a failed handshake, an alert or
 * the peer's close. */
static ssize_t tls_read(struct skd *d)
{
	size_t before = d->metrics_len;
	int r, e;

	if (!SSL_is_init_finished(d->metrics_ssl)) {
		r = SSL_do_handshake(d->metrics_ssl);
		if (r != 1) {
			e = SSL_get_error(d->metrics_ssl, r);
			return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? -EAGAIN :
				-EPROTO;
		}
	}
	while (d->metrics_len < sizeof(d->metrics_req) - 1) {
		r = SSL_read(d->metrics_ssl, d->metrics_req + d->metrics_len,
			     (int)(sizeof(d->metrics_req) - 1 - d->metrics_len));
		if (r > 0) {
			d->metrics_len += (size_t)r;
			continue;
		}
		e = SSL_get_error(d->metrics_ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			break;
		return -EPROTO;
	}
	return d->metrics_len > before ? (ssize_t)(d->metrics_len - before) : -EAGAIN;
}

void skd_metrics_io(struct skd *d)
{
	ssize_t n;
	int status;

	if (d->metrics_conn_fd < 0)
		return;
	if (d->metrics_ssl) {
		n = tls_read(d);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			metrics_close(d);
			return;
		}
	} else {
		n = recv(d->metrics_conn_fd, d->metrics_req + d->metrics_len,
			 sizeof(d->metrics_req) - 1 - d->metrics_len, 0);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			metrics_close(d);
			return;
		}
		d->metrics_len += (size_t)n;
	}
	d->metrics_req[d->metrics_len] = '\0';
	status = skd_metrics_request(d->metrics_req, d->metrics_len, d->metrics_token);
	if (!status && d->metrics_len < sizeof(d->metrics_req) - 1)
		return;	/* more to come */
	if (!status)
		status = 400;
	if (status == 401)
		syslog(LOG_NOTICE, "metrics: a request without the right bearer token was refused");
	reply(d, status);
	metrics_close(d);
}

void skd_metrics_timers(struct skd *d, int64_t now)
{
	if (d->metrics_conn_fd >= 0 && now >= d->metrics_deadline)
		metrics_close(d);
}

/* ------------------------------------------------------------------- setup */

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static int64_t not_after(const X509 *x)
{
	struct tm tm;

	if (!x || !ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* metrics_cert/metrics_key into an SSL_CTX (as root, at start; sekishod
 * -t too); NULL with the reason in err */
static SSL_CTX *tls_ctx(const struct skd_conf *conf, int64_t *end, char *err, size_t errlen)
{
	const char *c = conf->metrics_cert, *k = conf->metrics_key;
	X509 *mine = read_cert(c), *gw = read_cert(conf->server_cert);
	unsigned long e;
	SSL_CTX *ctx = NULL, *rc = NULL;

	if (!mine) {
		snprintf(err, errlen, "metrics_cert %s: no PEM certificate could be read (%s)", c,
			 strerror(errno));
		goto out;
	}
	if (gw && EVP_PKEY_eq(X509_get0_pubkey(mine), X509_get0_pubkey(gw)) == 1) {
		snprintf(err, errlen, "metrics_cert %s has the gateway's key (server_cert): the "
			 "gateway's private key stays in the key holder; give the metrics listener "
			 "a key and certificate of its own (e.g. issued by the same CA)", c);
		goto out;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		snprintf(err, errlen, "metrics TLS: no TLS context");
		goto out;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, c) != 1) {
		e = ERR_peek_last_error();
		snprintf(err, errlen, "metrics_cert %s: %s", c, e ? ERR_reason_error_string(e) : "unreadable");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		e = ERR_peek_last_error();
		snprintf(err, errlen, "metrics_key %s: %s (it must be the unencrypted PEM key of "
			 "metrics_cert %s)", k, e ? ERR_reason_error_string(e) : "unreadable", c);
		goto out;
	}
	*end = not_after(mine);
	rc = ctx;
	ctx = NULL;
out:
	SSL_CTX_free(ctx);
	X509_free(mine);
	X509_free(gw);
	ERR_clear_error();
	return rc;
}

int skd_metrics_tls_check(const struct skd_conf *conf, int64_t *not_after, char *err,
			  size_t errlen)
{
	SSL_CTX *ctx = tls_ctx(conf, not_after, err, errlen);

	SSL_CTX_free(ctx);
	return ctx ? 0 : -1;
}

/*
 * The bearer token: the first line of path, 16 to outlen - 1 printable
 * ASCII characters without blanks.  0, or -1 with why in err (never a
 * byte of the file's content).
 */
static int read_token(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	char tok[sizeof(((struct skd *)0)->metrics_token) + 2];
	FILE *f;
	size_t n;
	int rc = -1;

	if (outlen > sizeof(tok) - 2)
		outlen = sizeof(tok) - 2;
	f = fopen(path, "re");
	if (!f || !fgets(tok, sizeof(tok), f)) {
		int e = f ? 0 : errno;

		snprintf(err, errlen, "metrics_token_file %s: %s", path, f ? "empty" : strerror(e));
		if (f)
			fclose(f);
		errno = e;
		return -1;
	}
	fclose(f);
	errno = 0;
	n = strcspn(tok, "\r\n");
	tok[n] = '\0';
	if (n < 16 || n >= outlen) {
		snprintf(err, errlen, "metrics_token_file %s: the token must be 16 to %zu characters "
			 "on the first line (e.g. openssl rand -hex 32)", path, outlen - 1);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (tok[i] <= ' ' || tok[i] > '~') {
			snprintf(err, errlen, "metrics_token_file %s: the token must be printable "
				 "ASCII without blanks", path);
			goto out;
		}
	memcpy(out, tok, n + 1);
	rc = 0;
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	return rc;
}

int skd_metrics_open(struct skd *d, char *err, size_t errlen)
{
	X509 *x = NULL;
	int one = 1;

	d->metrics_fd = d->metrics_conn_fd = -1;
	if (!d->conf.metrics_listen_len)
		return 0;
	if (read_token(d->conf.metrics_token_file, d->metrics_token, sizeof(d->metrics_token),
		       err, errlen))
		return -1;
	if (d->conf.metrics_cert[0] &&
	    !(d->metrics_tls = tls_ctx(&d->conf, &d->metrics_tls_not_after, err, errlen)))
		return -1;
	d->metrics_fd = socket(d->conf.metrics_listen.ss_family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->metrics_fd < 0 ||
	    setsockopt(d->metrics_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(d->metrics_fd, (struct sockaddr *)&d->conf.metrics_listen,
		 d->conf.metrics_listen_len) || listen(d->metrics_fd, 8)) {
		char a[64];

		skd_conf_addr_text(&d->conf.metrics_listen, a, sizeof(a));
		snprintf(err, errlen, "metrics_listen %s: %s", a, strerror(errno));
		return -1;
	}
	/* the server certificate's end, read here (as root) and again when
	 * SIGHUP reloads that certificate */
	x = read_cert(d->conf.server_cert);
	d->metrics_cert_not_after = not_after(x);
	X509_free(x);
	return 0;
}

/*
 * SIGHUP: metrics_cert and metrics_key again from their paths, read by
 * main as it runs then (the service user after the start: like
 * server_key, the files must be readable by it; sekishod -t says so), and
 * checked as at the start (the pair matches, not the gateway's key).  A
 * new pair that fails keeps the old one in use.  A connection in progress
 * keeps the context it began with (its SSL holds a reference).  With
 * server_reloaded (skd_cert_reload took the new server certificate), the
 * server certificate's end is read again too.  0, or -1 with why in err.
 */
int skd_metrics_reload(struct skd *d, bool server_reloaded, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int64_t end = 0;

	if (d->metrics_fd < 0)
		return 0;
	if (server_reloaded) {
		X509 *x = read_cert(d->conf.server_cert);

		if (x)
			d->metrics_cert_not_after = not_after(x);
		X509_free(x);
	}
	if (!d->metrics_tls)
		return 0;
	ctx = tls_ctx(&d->conf, &end, err, errlen);
	if (!ctx)
		return -1;
	SSL_CTX_free(d->metrics_tls);
	d->metrics_tls = ctx;
	d->metrics_tls_not_after = end;
	return 0;
}

/* an audit record of the token's reload: the file and, when refused, why */
static void token_audit(struct skd *d, const char *result, const char *why)
{
	char *detail = NULL;
	size_t len = 0;
	struct sk_json j;
	FILE *f = open_memstream(&detail, &len);

	if (f) {
		sk_json_init(&j, f);
		sk_json_obj_begin(&j, NULL);
		sk_json_str(&j, "file", d->conf.metrics_token_file);
		if (why)
			sk_json_str(&j, "reason", why);
		sk_json_obj_end(&j);
		if (fclose(f)) {
			free(detail);
			detail = NULL;
		}
	}
	skd_audit(d, "daemon", "", "", "", result, detail ? detail : "{}");
	free(detail);
}

/*
 * SIGHUP: the bearer token again from metrics_token_file, read by main as
 * it runs then (the service user after the start: the file must be
 * readable by its group, as metrics_key; sekishod -t says so), through
 * the start's checks.  A new token replaces the one in use (a scrape in
 * progress was already checked); one that fails keeps the one in use.
 * Logged and audited (type daemon: metrics-token-reloaded, or
 * metrics-token-kept with the reason); an unchanged token is neither.
 * Never the token itself.  1 replaced, 0 unchanged or no listener, -1
 * kept.
 */
int skd_metrics_token_reload(struct skd *d)
{
	char tok[sizeof(d->metrics_token)], err[512];
	int rc;

	if (d->metrics_fd < 0)
		return 0;
	if (read_token(d->conf.metrics_token_file, tok, sizeof(tok), err, sizeof(err))) {
		/* errno: EACCES when the service user cannot read the file */
		syslog(LOG_ERR, "SIGHUP: the metrics token was not reloaded, the one in use stays: "
		       "%s%s", err, errno == EACCES ? " (SIGHUP reads it as the service user: make "
		       "the file readable by its group, chgrp and chmod 0640, or restart)" : "");
		token_audit(d, "metrics-token-kept", err);
		return -1;
	}
	rc = strlen(tok) == strlen(d->metrics_token) &&
	     !CRYPTO_memcmp(tok, d->metrics_token, strlen(tok)) ? 0 : 1;
	if (rc) {
		OPENSSL_cleanse(d->metrics_token, sizeof(d->metrics_token));
		memcpy(d->metrics_token, tok, strlen(tok) + 1);
		skd_log("SIGHUP: metrics token reloaded from %s; scrapes need the new one",
			d->conf.metrics_token_file);
		token_audit(d, "metrics-token-reloaded", NULL);
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	return rc;
}

void skd_metrics_close(struct skd *d)
{
	metrics_close(d);
	if (d->metrics_fd >= 0)
		close(d->metrics_fd);
	d->metrics_fd = -1;
	SSL_CTX_free(d->metrics_tls);
	d->metrics_tls = NULL;
	OPENSSL_cleanse(d->metrics_token, sizeof(d->metrics_token));
}
