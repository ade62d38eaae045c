// SPDX-License-Identifier: GPL-2.0
/*
 * skldap: a directory (LDAP, Active Directory) as password and group
 * source, on OpenLDAP's libldap.  Contract in skldap.h; why libldap
 * directly and where it runs: Documentation/decisions/directory.md.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <ldap.h>

#include "ldap_dl.h"
#include "skauth.h"
#include "skldap.h"
#include "skradius.h"
#include "sktext.h"

/* ---------------------------------------------------------------- names */

const char *sk_ldap_type_name(enum sk_ldap_type t)
{
	return t == SK_LDAP_AD ? "ad" : t == SK_LDAP_OPENLDAP ? "openldap" :
	       t == SK_LDAP_RADIUS ? "radius" : "?";
}

int sk_ldap_type_from_name(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "ad"))
		return SK_LDAP_AD;
	if (!strcmp(s, "openldap"))
		return SK_LDAP_OPENLDAP;
	return 0;
}

const char *sk_ldap_tls_name(enum sk_ldap_tls t)
{
	return t == SK_LDAP_TLS_LDAPS ? "ldaps" : t == SK_LDAP_TLS_STARTTLS ? "starttls" :
	       t == SK_LDAP_TLS_PLAIN ? "plain" : "?";
}

int sk_ldap_tls_from_name(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "ldaps"))
		return SK_LDAP_TLS_LDAPS;
	if (!strcmp(s, "starttls"))
		return SK_LDAP_TLS_STARTTLS;
	if (!strcmp(s, "plain"))
		return SK_LDAP_TLS_PLAIN;
	return 0;
}

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void copy(char *dst, size_t len, const char *src)
{
	if (len)
		snprintf(dst, len, "%s", src ? src : "");
}

/* ---------------------------------------------------------------- config */

void sk_ldap_cfg_defaults(struct sk_ldap_cfg *c, enum sk_ldap_type type)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->tls = SK_LDAP_TLS_LDAPS;
	c->timeout = 5;
}

void sk_ldap_cfg_wipe(struct sk_ldap_cfg *c)
{
	if (!c)
		return;
	if (c->radius) {
		sk_radius_cfg_wipe(c->radius);
		free(c->radius);
	}
	sk_wipe(c, sizeof(*c));
}

const char *sk_ldap_filter(const struct sk_ldap_cfg *c)
{
	if (c->filter[0])
		return c->filter;
	return c->type == SK_LDAP_AD ? "(sAMAccountName=%s)" : "(uid=%s)";
}

bool sk_ldap_attr_ok(const char *a)
{
	size_t i;

	if (!a[0])
		return true;	/* the default */
	if (!isalpha((unsigned char)a[0]))
		return false;
	for (i = 0; a[i]; i++)
		if (!isalnum((unsigned char)a[i]) && a[i] != '-')
			return false;
	return i < SK_LDAP_ATTR_MAX;
}

/* a filter with exactly one "%s", balanced parentheses, wrapped in one pair */
bool sk_ldap_filter_ok(const char *f)
{
	int depth = 0, subs = 0;

	if (f[0] != '(')
		return false;
	for (const char *p = f; *p; p++) {
		if (*p == '%') {
			if (p[1] != 's')
				return false;
			subs++;
			p++;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			if (--depth < 0)
				return false;
			if (!depth && p[1])
				return false;
		}
	}
	return !depth && subs == 1 && sk_text_ok(f, SK_LDAP_FILTER_MAX - 1, false);
}

static const char *uri_scheme(const char *u)
{
	if (!strncasecmp(u, "ldaps://", 8))
		return "ldaps";
	if (!strncasecmp(u, "ldap://", 7))
		return "ldap";
	if (!strncasecmp(u, "ldapi://", 8))
		return "ldapi";
	return NULL;
}

int sk_ldap_cfg_check(const struct sk_ldap_cfg *c, char *err, size_t errlen)
{
	int i, rc;

	if (c->type != SK_LDAP_AD && c->type != SK_LDAP_OPENLDAP)
		return errf(err, errlen, -EINVAL, "type: use ad or openldap");
	if (c->n_uris < 1 || c->n_uris > SK_LDAP_URIS_MAX)
		return errf(err, errlen, -EINVAL, "uri: give 1 to %d URIs (ldaps://host, ldap://host)",
			    SK_LDAP_URIS_MAX);
	if (c->tls != SK_LDAP_TLS_LDAPS && c->tls != SK_LDAP_TLS_STARTTLS &&
	    c->tls != SK_LDAP_TLS_PLAIN)
		return errf(err, errlen, -EINVAL, "tls: use ldaps, starttls or plain");
	if (c->tls == SK_LDAP_TLS_PLAIN && !c->allow_plain)
		return errf(err, errlen, -EPERM,
			    "tls plain sends passwords in the clear: use ldaps or starttls, "
			    "or set allow-plain=yes if the network is trusted");
	/* libldap checks the URIs; every connection comes after this check */
	rc = sk_ldap_load(err, errlen);
	if (rc)
		return rc;
	for (i = 0; i < c->n_uris; i++) {
		const char *s = uri_scheme(c->uris[i]);

		if (!sk_text_ok(c->uris[i], SK_URL_MAX - 1, false) || !s || strchr(c->uris[i], ' ') ||
		    (!ldap_is_ldap_url(c->uris[i]) && !ldap_is_ldaps_url(c->uris[i]) &&
		     !ldap_is_ldapi_url(c->uris[i])))
			return errf(err, errlen, -EINVAL, "uri %d: not an LDAP URI "
				    "(ldaps://host[:port] or ldap://host[:port])", i + 1);
		if (c->tls == SK_LDAP_TLS_LDAPS && strcmp(s, "ldaps"))
			return errf(err, errlen, -EINVAL, "uri %d: tls ldaps needs ldaps:// URIs "
				    "(or set tls starttls for ldap://)", i + 1);
		if (c->tls == SK_LDAP_TLS_STARTTLS && strcmp(s, "ldap"))
			return errf(err, errlen, -EINVAL, "uri %d: tls starttls needs ldap:// URIs "
				    "(or set tls ldaps for ldaps://)", i + 1);
		if (c->tls == SK_LDAP_TLS_PLAIN && !strcmp(s, "ldaps"))
			return errf(err, errlen, -EINVAL, "uri %d: an ldaps:// URI with tls plain: "
				    "set tls ldaps", i + 1);
	}
	if (c->timeout < 1 || c->timeout > 60)
		return errf(err, errlen, -EINVAL, "timeout: 1 to 60 seconds");
	if (!c->base[0] || !sk_text_ok(c->base, SK_DN_MAX - 1, false))
		return errf(err, errlen, -EINVAL, "base: the DN below which users are searched "
			    "(e.g. ou=people,dc=example,dc=jp)");
	if (!sk_text_ok(c->bind_dn, SK_DN_MAX - 1, false))
		return errf(err, errlen, -EINVAL, "bind-dn: not valid text");
	if (c->bind_dn[0] && !c->bind_pw[0])
		return errf(err, errlen, -EINVAL, "bind-dn is set but the service password is not "
			    "(a bind with a DN and no password is unauthenticated): give it with "
			    "--bind-password-stdin or --bind-password-file");
	if (c->filter[0] && !sk_ldap_filter_ok(c->filter))
		return errf(err, errlen, -EINVAL, "filter: one parenthesised filter with exactly "
			    "one %%s for the account name, e.g. (&(objectClass=person)(uid=%%s))");
	if (!sk_ldap_attr_ok(c->attr_mail) || !sk_ldap_attr_ok(c->attr_name))
		return errf(err, errlen, -EINVAL, "mail-attr/name-attr: an attribute name "
			    "(letters, digits, -)");
	if (c->n_maps < 0 || c->n_maps > SK_LDAP_MAPS_MAX)
		return errf(err, errlen, -EINVAL, "map: at most %d rules", SK_LDAP_MAPS_MAX);
	return 0;
}

/* ---------------------------------------------------------------- helpers */

int sk_ldap_escape(const char *in, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '*' || ch == '(' || ch == ')' || ch == '\\' || ch == 0) {
			if (n + 3 >= outlen)
				return -ENOSPC;
			snprintf(out + n, 4, "\\%02x", ch);
			n += 3;
		} else {
			if (n + 1 >= outlen)
				return -ENOSPC;
			out[n++] = (char)ch;
		}
	}
	if (n >= outlen)
		return -ENOSPC;
	out[n] = '\0';
	return 0;
}

static int name_check(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	if (!n)
		return errf(err, errlen, -EINVAL, "the user name is empty");
	if (n > SK_NAME_MAX)
		return errf(err, errlen, -EINVAL, "the user name is longer than %d characters",
			    SK_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return errf(err, errlen, -EINVAL,
				    "the user name may hold A-Z a-z 0-9 . _ - only");
	return 0;
}

int sk_ldap_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *at, *bs, *name = in;
	size_t len;

	if (!in || !out || !outlen)
		return -EINVAL;
	out[0] = '\0';
	if (!memchr(in, '\0', SK_NAME_MAX * 4 + 1))
		return errf(err, errlen, -EINVAL, "the user name is too long");
	bs = strchr(in, '\\');
	at = strrchr(in, '@');
	if (bs && at)
		return errf(err, errlen, -EINVAL, "the user name has both DOMAIN\\ and @domain");
	if (bs) {
		if (bs == in || strchr(bs + 1, '\\'))
			return errf(err, errlen, -EINVAL, "the user name is not DOMAIN\\user");
		name = bs + 1;
		len = strlen(name);
	} else if (at) {
		if (!at[1] || strchr(in, '@') != at)
			return errf(err, errlen, -EINVAL, "the user name is not user@domain");
		len = (size_t)(at - in);
	} else {
		len = strlen(in);
	}
	if (len >= outlen || len > SK_NAME_MAX)
		return errf(err, errlen, -EINVAL, "the user name is longer than %d characters",
			    SK_NAME_MAX);
	memcpy(out, name, len);
	out[len] = '\0';
	if (name_check(out, err, errlen)) {
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

bool sk_ldap_value_ok(const char *v, size_t len, size_t max)
{
	if (!v || len > max || memchr(v, '\0', len))
		return false;
	/* sk_text_check needs a terminated string: len <= max < buffers we use */
	char buf[SK_DN_MAX + 1];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return sk_text_ok(buf, max, false);
}

int sk_ldap_parse_uac(const char *v, size_t len, uint32_t *out)
{
	long long x = 0;
	bool neg = false;
	size_t i = 0;

	if (!v || !len || len > 11)
		return -EINVAL;
	if (v[0] == '-') {
		neg = true;
		i = 1;
		if (len == 1)
			return -EINVAL;
	}
	for (; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		x = x * 10 + (v[i] - '0');
	}
	if (neg)
		x = -x;
	if (x < INT32_MIN || x > (long long)UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

void sk_ldap_uac_state(uint32_t uac, struct sk_ldap_state *s)
{
	if (uac & SK_AD_UAC_DISABLED)
		s->disabled = true;
	if (uac & SK_AD_UAC_LOCKOUT)
		s->locked = true;
	if (uac & SK_AD_UAC_PW_EXPIRED)
		s->pw_expired = true;
}

unsigned int sk_ldap_ad_bind_code(const char *diag, struct sk_ldap_state *s)
{
	const char *p;
	unsigned int code = 0;
	int digits = 0;

	if (!diag || !(p = strstr(diag, ", data ")))
		return 0;
	for (p += 7; digits < 8 && isxdigit((unsigned char)*p); p++, digits++)
		code = code * 16 + (unsigned int)(isdigit((unsigned char)*p) ? *p - '0' :
						  tolower((unsigned char)*p) - 'a' + 10);
	if (!digits || (*p && *p != ',' && *p != ' '))
		return 0;
	switch (code) {
	case 0x532:
		s->pw_expired = true;
		break;
	case 0x533:
		s->disabled = true;
		break;
	case 0x701:
		s->expired = true;
		break;
	case 0x773:
		s->must_change = true;
		break;
	case 0x775:
		s->locked = true;
		break;
	default:
		break;
	}
	return code;
}

int sk_ldap_ad_expired(const char *v, size_t len, int64_t now)
{
	/* seconds from 1601-01-01 to 1970-01-01 */
	const int64_t epoch = 11644473600LL;
	uint64_t x = 0;

	if (!v || !len || len > 19)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x == 0 || x >= 0x7FFFFFFFFFFFFFFFull)
		return 0;	/* never */
	return (int64_t)(x / 10000000u) - epoch <= now;
}

int sk_ldap_unicode_pwd(const char *pw, uint8_t *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)pw;
	size_t n = 0;

#define PUT16(u) do { if (n + 2 > outlen) return -ENOSPC; \
		out[n++] = (uint8_t)((u) & 0xff); out[n++] = (uint8_t)((u) >> 8); } while (0)
	if (!pw || !sk_text_ok(pw, 1024, false))
		return -EINVAL;
	PUT16('"');
	while (*p) {
		uint32_t cp;
		int more;

		if (*p < 0x80) {
			cp = *p;
			more = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			more = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			more = 2;
		} else {
			cp = *p & 0x07;
			more = 3;
		}
		p++;
		/* sk_text_ok checked the sequence: continuation bytes follow */
		while (more--)
			cp = (cp << 6) | (*p++ & 0x3f);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			PUT16(0xd800 | (cp >> 10));
			PUT16(0xdc00 | (cp & 0x3ff));
		} else {
			PUT16(cp);
		}
	}
	PUT16('"');
#undef PUT16
	return (int)n;
}

bool sk_ldap_dn_equal(const char *a, const char *b)
{
	char *na = NULL, *nb = NULL;
	bool eq;

	if (sk_ldap_load(NULL, 0))
		return !strcasecmp(a, b);	/* as for a DN libldap cannot parse */
	if (ldap_dn_normalize(a, LDAP_DN_FORMAT_LDAP, &na, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    ldap_dn_normalize(b, LDAP_DN_FORMAT_LDAP, &nb, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
		ldap_memfree(na);
		return !strcasecmp(a, b);
	}
	eq = !strcasecmp(na, nb);
	ldap_memfree(na);
	ldap_memfree(nb);
	return eq;
}

void sk_ldap_map_groups(const struct sk_ldap_cfg *c, struct sk_ldap_result *r)
{
	r->n_mapped = 0;
	for (int m = 0; m < c->n_maps; m++) {
		bool have = false;

		for (int k = 0; k < r->n_mapped; k++)
			if (!strcmp(r->mapped[k], c->maps[m].group))
				have = true;
		if (have)
			continue;
		for (int g = 0; g < r->n_groups; g++)
			if (sk_ldap_dn_equal(r->groups[g], c->maps[m].dn)) {
				copy(r->mapped[r->n_mapped], sizeof(r->mapped[0]), c->maps[m].group);
				r->n_mapped++;
				break;
			}
	}
}

/* ---------------------------------------------------------------- the check */

struct conn {
	LDAP *ld;
	const struct sk_ldap_cfg *c;
	struct timeval tv;
	struct ldap_conncb cb;
	/* the watchdog (see conn_added) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t wd;
	bool wd_running, done;
	bool connected;			/* the TCP connection was made */
	bool fired;			/* the watchdog shut the socket down */
	int fd;
	struct timespec deadline;	/* CLOCK_MONOTONIC */
};

/*
 * libldap bounds the TCP connect (LDAP_OPT_NETWORK_TIMEOUT) and the wait
 * for each result (LDAP_OPT_TIMEOUT), but Debian 12's libldap 2.5 (on
 * GnuTLS) does the TLS handshake of ldaps:// and StartTLS without a
 * timeout: a server that accepts the connection and then says nothing
 * holds the calling thread for ever (tests: "first URI silent").  So each
 * connection has a watchdog thread: the connect callback hands it the
 * socket, and when the deadline passes it shuts the socket down, which
 * ends any read in progress (the handshake fails, the check goes on with
 * the next URI).  conn_close stops and joins it before the socket is
 * closed, so it never touches a descriptor that was reused.
 */
static void *watchdog(void *arg)
{
	struct conn *k = arg;

	pthread_mutex_lock(&k->mu);
	while (!k->done) {
		if (pthread_cond_timedwait(&k->cv, &k->mu, &k->deadline) == ETIMEDOUT) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > k->deadline.tv_sec ||
			    (now.tv_sec == k->deadline.tv_sec && now.tv_nsec >= k->deadline.tv_nsec)) {
				if (k->fd >= 0) {
					shutdown(k->fd, SHUT_RDWR);
					k->fired = true;
				}
				/* wait for the end only */
				k->deadline.tv_sec = now.tv_sec + 3600;
			}
		}
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

static void set_deadline(struct conn *k, int seconds)
{
	pthread_mutex_lock(&k->mu);
	clock_gettime(CLOCK_MONOTONIC, &k->deadline);
	k->deadline.tv_sec += seconds;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

static int conn_added(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
		      struct ldap_conncb *ctx)
{
	struct conn *k = ctx->lc_arg;
	ber_socket_t fd = -1;

	(void)ld;
	(void)srv;
	(void)addr;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0)
		return -1;
	pthread_mutex_lock(&k->mu);
	k->fd = fd;
	k->connected = true;
	pthread_mutex_unlock(&k->mu);
	return 0;
}

static void conn_deleted(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	struct conn *k = ctx->lc_arg;

	(void)ld;
	(void)sb;
	pthread_mutex_lock(&k->mu);
	k->fd = -1;
	pthread_mutex_unlock(&k->mu);
}

static int conn_init(struct conn *k, const struct sk_ldap_cfg *c)
{
	pthread_condattr_t ca;

	memset(k, 0, sizeof(*k));
	k->c = c;
	k->fd = -1;
	pthread_mutex_init(&k->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* the connect, TLS and the service bind: one timeout together, plus
	 * the TCP connect's own */
	clock_gettime(CLOCK_MONOTONIC, &k->deadline);
	k->deadline.tv_sec += 2 * c->timeout;
	if (pthread_create(&k->wd, NULL, watchdog, k))
		return -EAGAIN;
	k->wd_running = true;
	return 0;
}

static void conn_close(struct conn *k)
{
	if (k->wd_running) {
		pthread_mutex_lock(&k->mu);
		k->done = true;
		pthread_cond_signal(&k->cv);
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->wd, NULL);
		k->wd_running = false;
	}
	if (k->ld)
		ldap_unbind_ext_s(k->ld, NULL, NULL);
	k->ld = NULL;
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
}

static const char *diag(LDAP *ld, int rc)
{
	static __thread char buf[256];
	char *msg = NULL;

	buf[0] = '\0';
	if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS &&
	    msg && *msg)
		sk_text_escape(msg, buf, sizeof(buf));
	else
		copy(buf, sizeof(buf), ldap_err2string(rc));
	ldap_memfree(msg);
	return buf;
}

static bool wd_state(struct conn *k, bool *connected)
{
	bool fired;

	pthread_mutex_lock(&k->mu);
	fired = k->fired;
	*connected = k->connected;
	pthread_mutex_unlock(&k->mu);
	return fired;
}

/* A connection that failed at TLS: the TCP connection was made, the
 * watchdog did not end it, and then the handshake failed.  libldap on
 * GnuTLS says "(unknown error code)" for a certificate it did not
 * accept, so the message says what to check. */
static int tls_or_down(struct conn *k, const char *uri, const char *what, int rc, char *err,
		       size_t errlen)
{
	bool connected, fired = wd_state(k, &connected);
	const struct sk_ldap_cfg *c = k->c;

	if (fired)
		return errf(err, errlen, -EHOSTDOWN, "%s: no answer within %d s", uri,
			    2 * c->timeout);
	if (!connected || rc == LDAP_TIMEOUT)
		return errf(err, errlen, -EHOSTDOWN, "%s: %s", uri, diag(k->ld, rc));
	return errf(err, errlen, -EPROTO, "%s: %s failed: the server's certificate was not "
		    "accepted (not issued by the CA in %s, or not for this host name), or the "
		    "server does not speak TLS there (%s)", uri, what,
		    c->ca_file[0] ? c->ca_file : "the system's CA list", diag(k->ld, rc));
}

/* Opens uri and binds as the service: 0, or -errno and why. */
static int conn_open(struct conn *k, const char *uri, char *err, size_t errlen)
{
	const struct sk_ldap_cfg *c = k->c;
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_HARD, tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int zero = 0, rc;
	struct berval cred;

	k->tv.tv_sec = c->timeout;
	k->tv.tv_usec = 0;
	k->cb.lc_add = conn_added;
	k->cb.lc_del = conn_deleted;
	k->cb.lc_arg = k;
	rc = ldap_initialize(&k->ld, uri);
	if (rc != LDAP_SUCCESS)
		return errf(err, errlen, -EINVAL, "%s: %s", uri, ldap_err2string(rc));
	if (ldap_set_option(k->ld, LDAP_OPT_PROTOCOL_VERSION, &v3) ||
	    ldap_set_option(k->ld, LDAP_OPT_CONNECT_CB, &k->cb) ||
	    ldap_set_option(k->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
	    ldap_set_option(k->ld, LDAP_OPT_NETWORK_TIMEOUT, &k->tv) ||
	    ldap_set_option(k->ld, LDAP_OPT_TIMEOUT, &k->tv) ||
	    ldap_set_option(k->ld, LDAP_OPT_TIMELIMIT, &c->timeout) ||
	    ldap_set_option(k->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) ||
	    ldap_set_option(k->ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) ||
	    (c->ca_file[0] && ldap_set_option(k->ld, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file)) ||
	    ldap_set_option(k->ld, LDAP_OPT_X_TLS_NEWCTX, &zero))
		return errf(err, errlen, -EPROTO, "%s: the TLS settings were refused by libldap "
			    "(is the CA file %s readable?)", uri, c->ca_file[0] ? c->ca_file : "-");
	if (c->tls == SK_LDAP_TLS_STARTTLS) {
		rc = ldap_start_tls_s(k->ld, NULL, NULL);
		if (rc == LDAP_PROTOCOL_ERROR || rc == LDAP_UNAVAILABLE ||
		    rc == LDAP_UNWILLING_TO_PERFORM)
			return errf(err, errlen, -EPROTO, "%s: the server refused StartTLS: %s "
				    "(is TLS configured on it?)", uri, diag(k->ld, rc));
		if (rc != LDAP_SUCCESS)
			return tls_or_down(k, uri, "StartTLS", rc, err, errlen);
	}
	cred.bv_val = (char *)c->bind_pw;
	cred.bv_len = strlen(c->bind_pw);
	rc = ldap_sasl_bind_s(k->ld, c->bind_dn[0] ? c->bind_dn : NULL, LDAP_SASL_SIMPLE,
			      &cred, NULL, NULL, NULL);
	if (rc == LDAP_SUCCESS)
		return 0;
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR) {
		bool connected, fired = wd_state(k, &connected);

		(void)connected;
		if (c->tls == SK_LDAP_TLS_LDAPS)
			return tls_or_down(k, uri, "TLS", rc, err, errlen);
		if (fired)
			return errf(err, errlen, -EHOSTDOWN, "%s: no answer within %d s", uri,
				    2 * c->timeout);
		return errf(err, errlen, -EHOSTDOWN, "%s: %s", uri, diag(k->ld, rc));
	}
	if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH ||
	    rc == LDAP_UNWILLING_TO_PERFORM || rc == LDAP_CONFIDENTIALITY_REQUIRED ||
	    rc == LDAP_STRONG_AUTH_REQUIRED)
		return errf(err, errlen, -EKEYREJECTED, "%s: the service bind as %s was refused: %s "
			    "(check bind-dn and the service password)", uri,
			    c->bind_dn[0] ? c->bind_dn : "(anonymous)", ldap_err2string(rc));
	return errf(err, errlen, -EIO, "%s: service bind: %s", uri, diag(k->ld, rc));
}

static void add_group(struct sk_ldap_result *r, const char *dn, size_t len)
{
	if (!sk_ldap_value_ok(dn, len, SK_DN_MAX - 1)) {
		r->dropped++;
		return;
	}
	for (int i = 0; i < r->n_groups; i++)
		if (strlen(r->groups[i]) == len && !strncasecmp(r->groups[i], dn, len))
			return;
	if (r->n_groups >= SK_LDAP_GROUPS_MAX) {
		r->dropped++;
		return;
	}
	memcpy(r->groups[r->n_groups], dn, len);
	r->groups[r->n_groups][len] = '\0';
	r->n_groups++;
}

static void add_member_of(LDAP *ld, LDAPMessage *e, struct sk_ldap_result *r)
{
	struct berval **v = ldap_get_values_len(ld, e, "memberOf");

	for (int i = 0; v && v[i]; i++)
		add_group(r, v[i]->bv_val, v[i]->bv_len);
	ldap_value_free_len(v);
}

/* the first value of attr, checked, into out ("" when absent or not valid) */
static void first_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out, size_t outlen,
			struct sk_ldap_result *r)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);

	out[0] = '\0';
	if (v && v[0]) {
		if (sk_ldap_value_ok(v[0]->bv_val, v[0]->bv_len, outlen - 1)) {
			memcpy(out, v[0]->bv_val, v[0]->bv_len);
			out[v[0]->bv_len] = '\0';
		} else {
			r->dropped++;
		}
	}
	ldap_value_free_len(v);
}

static void uac_value(LDAP *ld, LDAPMessage *e, const char *attr, struct sk_ldap_result *r)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	uint32_t uac;

	if (v && v[0]) {
		if (!sk_ldap_parse_uac(v[0]->bv_val, v[0]->bv_len, &uac))
			sk_ldap_uac_state(uac, &r->state);
		else
			r->dropped++;
	}
	ldap_value_free_len(v);
}

static int search(struct conn *k, const char *base, int scope, const char *filter,
		  char **attrs, int sizelimit, LDAPMessage **res, char *err, size_t errlen)
{
	int rc = ldap_search_ext_s(k->ld, base, scope, filter, attrs, 0, NULL, NULL, &k->tv,
				   sizelimit, res);

	if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED || rc == LDAP_NO_SUCH_OBJECT)
		return rc;
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED)
		return errf(err, errlen, -EHOSTDOWN, "search: %s", diag(k->ld, rc));
	return errf(err, errlen, -EIO, "search %s: %s", filter, diag(k->ld, rc));
}

/* AD: every group the user is in, nested included, in one search */
static int groups_in_chain(struct conn *k, struct sk_ldap_result *r, char *err, size_t errlen)
{
	char esc[SK_DN_MAX * 3 + 1], filter[sizeof(esc) + 64];
	char *attrs[] = { "1.1", NULL };
	LDAPMessage *res = NULL, *e;
	int rc;

	if (sk_ldap_escape(r->dn, strlen(r->dn), esc, sizeof(esc)))
		return errf(err, errlen, -EIO, "the user's DN is too long");
	snprintf(filter, sizeof(filter), "(member:1.2.840.113556.1.4.1941:=%s)", esc);
	rc = search(k, k->c->base, LDAP_SCOPE_SUBTREE, filter, attrs, SK_LDAP_GROUPS_MAX, &res,
		    err, errlen);
	if (rc < 0) {
		ldap_msgfree(res);
		return rc;
	}
	for (e = ldap_first_entry(k->ld, res); e; e = ldap_next_entry(k->ld, e)) {
		char *dn = ldap_get_dn(k->ld, e);

		if (dn)
			add_group(r, dn, strlen(dn));
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	return 0;
}

/* Other directories: the memberOf of each group found so far, breadth
 * first, until nothing new or SK_LDAP_GROUPS_MAX groups */
static int groups_walk(struct conn *k, struct sk_ldap_result *r, char *err, size_t errlen)
{
	char *attrs[] = { "memberOf", NULL };

	for (int i = 0; i < r->n_groups && i < SK_LDAP_GROUPS_MAX; i++) {
		LDAPMessage *res = NULL, *e;
		int rc = search(k, r->groups[i], LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res,
				err, errlen);

		if (rc < 0) {
			ldap_msgfree(res);
			return rc;
		}
		if ((e = ldap_first_entry(k->ld, res)))
			add_member_of(k->ld, e, r);
		ldap_msgfree(res);
	}
	return 0;
}

/*
 * The user's simple bind.  OpenLDAP: with the password-policy request
 * control (the ppolicy overlay), whose answer says that an administrator
 * reset the password and it must change (changeAfterReset: the bind
 * succeeds, and only the change is allowed) or that it has expired.
 * Returns the bind's result code.
 */
static int user_bind(struct conn *k, const char *dn, const char *pw, struct sk_ldap_result *r)
{
	struct berval cred = { strlen(pw), (char *)pw };
	LDAPControl *req = NULL, *sctrls[2] = { NULL, NULL }, **ctrls = NULL, *pp;
	LDAPMessage *res = NULL;
	int msgid, rc, code = LDAP_OTHER;

	if (k->c->type != SK_LDAP_OPENLDAP ||
	    ldap_create_passwordpolicy_control(k->ld, &req) != LDAP_SUCCESS)
		return ldap_sasl_bind_s(k->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	sctrls[0] = req;
	rc = ldap_sasl_bind(k->ld, dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL, &msgid);
	ldap_control_free(req);
	if (rc != LDAP_SUCCESS)
		return rc;
	rc = ldap_result(k->ld, msgid, LDAP_MSG_ALL, &k->tv, &res);
	if (rc <= 0) {
		ldap_msgfree(res);
		if (rc == 0)
			return LDAP_TIMEOUT;
		code = LDAP_SERVER_DOWN;
		ldap_get_option(k->ld, LDAP_OPT_RESULT_CODE, &code);
		return code;
	}
	rc = ldap_parse_result(k->ld, res, &code, NULL, NULL, NULL, &ctrls, 1);
	if (rc != LDAP_SUCCESS)
		return rc;
	pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls, NULL);
	if (pp) {
		ber_int_t expire = -1, grace = -1;
		LDAPPasswordPolicyError e = PP_noError;

		if (ldap_parse_passwordpolicy_control(k->ld, pp, &expire, &grace, &e) == LDAP_SUCCESS) {
			if (e == PP_changeAfterReset)
				r->state.must_change = true;
			else if (e == PP_passwordExpired)
				r->state.pw_expired = true;
		}
	}
	ldap_controls_free(ctrls);
	return code;
}

/* the search, the groups and the password on an open connection */
static int check_on(struct conn *k, const char *pw, struct sk_ldap_result *r, char *err,
		    size_t errlen)
{
	const struct sk_ldap_cfg *c = k->c;
	const char *mail_attr = c->attr_mail[0] ? c->attr_mail : "mail";
	const char *name_attr = c->attr_name[0] ? c->attr_name : "displayName";
	char *attrs[] = { "memberOf", (char *)mail_attr, (char *)name_attr, "userAccountControl",
			  "msDS-User-Account-Control-Computed", "pwdLastSet", "accountExpires", NULL };
	char esc[SK_NAME_MAX * 3 + 1], filter[SK_LDAP_FILTER_MAX + sizeof(esc)];
	const char *tmpl = sk_ldap_filter(c), *pct;
	LDAPMessage *res = NULL, *e;
	char *dn;
	int rc, n;

	if (sk_ldap_escape(r->account, strlen(r->account), esc, sizeof(esc)))
		return errf(err, errlen, -EINVAL, "the user name is too long");
	pct = strstr(tmpl, "%s");
	if (!pct)
		return errf(err, errlen, -EINVAL, "filter: no %%s");
	snprintf(filter, sizeof(filter), "%.*s%s%s", (int)(pct - tmpl), tmpl, esc, pct + 2);
	rc = search(k, c->base, LDAP_SCOPE_SUBTREE, filter, attrs, 2, &res, err, errlen);
	if (rc < 0) {
		ldap_msgfree(res);
		return rc;
	}
	n = ldap_count_entries(k->ld, res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return errf(err, errlen, -EIO, "search base %s does not exist", c->base);
	}
	if (n != 1 || rc == LDAP_SIZELIMIT_EXCEEDED) {
		ldap_msgfree(res);
		return errf(err, errlen, -ENOENT, "%s: %s entry for %s below %s",
			    r->uri, n > 1 || rc == LDAP_SIZELIMIT_EXCEEDED ? "more than one" : "no",
			    r->account, c->base);
	}
	e = ldap_first_entry(k->ld, res);
	dn = e ? ldap_get_dn(k->ld, e) : NULL;
	if (!dn || !sk_ldap_value_ok(dn, strlen(dn), SK_DN_MAX - 1)) {
		ldap_memfree(dn);
		ldap_msgfree(res);
		return errf(err, errlen, -EIO, "the user's DN is not usable (too long or not text)");
	}
	copy(r->dn, sizeof(r->dn), dn);
	ldap_memfree(dn);
	add_member_of(k->ld, e, r);
	first_value(k->ld, e, mail_attr, r->mail, sizeof(r->mail), r);
	if (r->mail[0] && !strchr(r->mail, '@')) {
		r->mail[0] = '\0';
		r->dropped++;
	}
	for (const char *p = r->mail; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[],;:\\\"", *p)) {
			r->mail[0] = '\0';
			r->dropped++;
			break;
		}
	first_value(k->ld, e, name_attr, r->display, sizeof(r->display), r);
	if (c->type == SK_LDAP_AD) {
		char pls[32];

		uac_value(k->ld, e, "userAccountControl", r);
		uac_value(k->ld, e, "msDS-User-Account-Control-Computed", r);
		first_value(k->ld, e, "pwdLastSet", pls, sizeof(pls), r);
		if (!strcmp(pls, "0"))
			r->state.must_change = true;
		/* the binds say 701 only to the right password; the re-check
		 * (no password) reads it here */
		first_value(k->ld, e, "accountExpires", pls, sizeof(pls), r);
		if (pls[0] && sk_ldap_ad_expired(pls, strlen(pls), (int64_t)time(NULL)) == 1)
			r->state.expired = true;
	}
	ldap_msgfree(res);
	if (c->nested) {
		rc = c->type == SK_LDAP_AD ? groups_in_chain(k, r, err, errlen) :
		     groups_walk(k, r, err, errlen);
		if (rc)
			return rc;
	}
	sk_ldap_map_groups(c, r);
	if (!pw)
		return 0;
	rc = user_bind(k, r->dn, pw, r);
	if (rc == LDAP_SUCCESS) {
		r->pw_checked = true;
		return 0;
	}
	if (rc == LDAP_INVALID_CREDENTIALS) {
		char *msg = NULL;
		unsigned int code = 0;

		if (c->type == SK_LDAP_AD &&
		    ldap_get_option(k->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS)
			code = sk_ldap_ad_bind_code(msg, &r->state);
		ldap_memfree(msg);
		/* 773 (must change), 532 (password expired), 533 (disabled)
		 * and 701 (account expired) come only with the right
		 * password: the chain refuses with the state's own message */
		if (code == 0x773 || code == 0x532 || code == 0x533 || code == 0x701) {
			r->pw_checked = true;
			return 0;
		}
		/* OpenLDAP's ppolicy says "expired" to the right password only */
		if (c->type == SK_LDAP_OPENLDAP && r->state.pw_expired) {
			r->pw_checked = true;
			return 0;
		}
		return errf(err, errlen, -EACCES, "%s: the password of %s was refused", r->uri,
			    r->dn);
	}
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT)
		return errf(err, errlen, -EHOSTDOWN, "%s: user bind: %s", r->uri, diag(k->ld, rc));
	return errf(err, errlen, -EIO, "%s: user bind: %s", r->uri, diag(k->ld, rc));
}

int sk_ldap_answer(const struct sk_ldap_cfg *c, const char *name, const uint8_t *state,
		   size_t state_len, const char *answer, struct sk_ldap_result *r,
		   char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!c || !name || !r)
		return -EINVAL;
	if (c->type != SK_LDAP_RADIUS || !c->radius)
		return errf(err, errlen, -EINVAL, "only a RADIUS directory asks a challenge");
	return sk_radius_ldap_answer(c->radius, name, state, state_len, answer, r, err, errlen);
}

/* What one connection does once the service bind succeeded: the check
 * (pw), or with new_pw the change of the password pw to new_pw; sent: the
 * change went out (a lost server is then not asked again) */
struct job {
	const char *pw, *new_pw;
	bool sent;
};

static int job_on(struct conn *k, struct job *j, struct sk_ldap_result *r, char *err,
		  size_t errlen);

/* the URIs in order, each with its own connection, for job j */
static int run(const struct sk_ldap_cfg *c, struct job *j, struct sk_ldap_result *r,
	       char *err, size_t errlen)
{
	char why[512] = "", tlswhy[512] = "";
	int rc = -EINVAL, i, tls_fail = 0, retried = 0;

	for (i = 0; i < c->n_uris; i++) {
		struct conn k;

		copy(r->uri, sizeof(r->uri), c->uris[i]);
		if (conn_init(&k, c)) {
			conn_close(&k);
			return errf(err, errlen, -EAGAIN, "no thread for the directory's watchdog");
		}
		rc = conn_open(&k, c->uris[i], why, sizeof(why));
		if (!rc) {
			char acc[SK_NAME_MAX + 1];

			/* the search, the groups, the user bind */
			set_deadline(&k, 4 * c->timeout);
			copy(acc, sizeof(acc), r->account);
			rc = job_on(&k, j, r, why, sizeof(why));
			conn_close(&k);
			/* a server that went away mid-check: once on the next one */
			if (rc == -EHOSTDOWN && !j->sent && !retried++) {
				memset(r, 0, sizeof(*r));
				copy(r->account, sizeof(r->account), acc);
				continue;
			}
			break;
		}
		conn_close(&k);
		if (rc == -EPROTO) {
			tls_fail++;
			copy(tlswhy, sizeof(tlswhy), why);
		}
		if (rc != -EHOSTDOWN && rc != -EPROTO)
			break;		/* a refused service bind: the same everywhere */
	}
	if (rc == -EHOSTDOWN && tls_fail) {
		rc = -EPROTO;	/* the TLS failure is the one to fix */
		copy(why, sizeof(why), tlswhy);
	}
	if (rc)
		errf(err, errlen, rc, "%s%s", rc == -EHOSTDOWN && c->n_uris > 1 ?
		     "no directory server answered; last: " : "", why);
	return rc;
}

/* the checks before any connection: 0, or -errno */
static int check_args(const struct sk_ldap_cfg *c, const char *name, const char *pw,
		      struct sk_ldap_result *r, char *err, size_t errlen)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = sk_ldap_cfg_check(c, err, errlen);
	if (rc)
		return rc;
	if (pw && !*pw)
		return errf(err, errlen, -EINVAL, "an empty password is refused (a simple bind "
			    "without a password is an unauthenticated bind)");
	if (pw && strlen(pw) > 1024)
		return errf(err, errlen, -EINVAL, "the password is longer than 1024 bytes");
	return sk_ldap_normalize(name, r->account, sizeof(r->account), err, errlen);
}

int sk_ldap_check(const struct sk_ldap_cfg *c, const char *name, const char *pw,
		  struct sk_ldap_result *r, char *err, size_t errlen)
{
	struct job j = { .pw = pw };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!c || !name || !r)
		return -EINVAL;
	if (c->type == SK_LDAP_RADIUS)
		return c->radius ? sk_radius_ldap_check(c->radius, name, pw, r, err, errlen) : -EINVAL;
	rc = check_args(c, name, pw, r, err, errlen);
	return rc ? rc : run(c, &j, r, err, errlen);
}

/* AD: delete the old unicodePwd, add the new one, in one modify */
static int ad_change(struct conn *k, struct job *j, const char *dn, char *err, size_t errlen)
{
	uint8_t ob[2 * 1024 + 8], nb[2 * 1024 + 8];
	int on = sk_ldap_unicode_pwd(j->pw, ob, sizeof(ob));
	int nn = sk_ldap_unicode_pwd(j->new_pw, nb, sizeof(nb));
	struct berval ov = { (ber_len_t)on, (char *)ob }, nv = { (ber_len_t)nn, (char *)nb };
	struct berval *ovs[] = { &ov, NULL }, *nvs[] = { &nv, NULL };
	LDAPMod del = { .mod_op = LDAP_MOD_DELETE | LDAP_MOD_BVALUES, .mod_type = "unicodePwd",
			.mod_vals.modv_bvals = ovs };
	LDAPMod add = { .mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES, .mod_type = "unicodePwd",
			.mod_vals.modv_bvals = nvs };
	LDAPMod *mods[] = { &del, &add, NULL };
	int rc;

	if (on < 0 || nn < 0) {
		sk_wipe(ob, sizeof(ob));
		sk_wipe(nb, sizeof(nb));
		return errf(err, errlen, -EPERM, "the new password is not text AD takes "
			    "(UTF-8 without control characters)");
	}
	j->sent = true;
	rc = ldap_modify_ext_s(k->ld, dn, mods, NULL, NULL);
	sk_wipe(ob, sizeof(ob));
	sk_wipe(nb, sizeof(nb));
	return rc;
}

/* the change on an open, service-bound connection (the entry found by
 * check_on, whose r->dn it uses) */
static int change_on(struct conn *k, struct job *j, struct sk_ldap_result *r, char *err,
		     size_t errlen)
{
	const struct sk_ldap_cfg *c = k->c;
	char *msg = NULL, d[256] = "";
	unsigned long code = 0;
	int rc;

	/* AD: find the entry (the user cannot bind yet); OpenLDAP: the
	 * user's bind with the old password as well */
	rc = check_on(k, c->type == SK_LDAP_AD ? NULL : j->pw, r, err, errlen);
	if (rc)
		return rc;
	if (c->type == SK_LDAP_AD) {
		rc = ad_change(k, j, r->dn, err, errlen);
		if (rc < 0)
			return rc;
	} else {
		struct berval user = { strlen(r->dn), r->dn };
		struct berval ov = { strlen(j->pw), (char *)j->pw };
		struct berval nv = { strlen(j->new_pw), (char *)j->new_pw };

		struct berval gen = { 0, NULL };	/* a generated password: none asked */

		j->sent = true;
		rc = ldap_passwd_s(k->ld, &user, &ov, &nv, &gen, NULL, NULL);
		if (gen.bv_val) {
			sk_wipe(gen.bv_val, gen.bv_len);
			ber_memfree(gen.bv_val);
		}
	}
	if (rc == LDAP_SUCCESS)
		return 0;
	if (ldap_get_option(k->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS && msg)
		sk_text_escape(msg, d, sizeof(d));
	/* AD's diagnostic begins with a Windows error: 0000052D the
	 * password policy (length, complexity, history, minimum age),
	 * 00000056 the old password is wrong */
	if (msg)
		code = strtoul(msg, NULL, 16);
	ldap_memfree(msg);
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT)
		return errf(err, errlen, -EHOSTDOWN, "%s: the change of %s's password: %s (it may "
			    "have been made)", r->uri, r->account, ldap_err2string(rc));
	if (rc == LDAP_CONSTRAINT_VIOLATION && code == 0x56)
		return errf(err, errlen, -EACCES, "%s: the old password of %s was refused (%s)",
			    r->uri, r->account, d);
	if (rc == LDAP_CONSTRAINT_VIOLATION)
		return errf(err, errlen, -EPERM, "%s: the directory's password policy refused the "
			    "new password of %s (%s)", r->uri, r->account, d);
	if (rc == LDAP_INSUFFICIENT_ACCESS || rc == LDAP_UNWILLING_TO_PERFORM ||
	    rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED)
		return errf(err, errlen, -ENOTSUP, "%s: the directory does not let %s change the "
			    "password of %s: %s (%s)", r->uri, c->type == SK_LDAP_AD ?
			    (c->bind_dn[0] ? c->bind_dn : "an anonymous connection") : "the user",
			    r->account, ldap_err2string(rc), d);
	return errf(err, errlen, -EIO, "%s: the change of %s's password: %s (%s)", r->uri,
		    r->account, ldap_err2string(rc), d);
}

static int job_on(struct conn *k, struct job *j, struct sk_ldap_result *r, char *err,
		  size_t errlen)
{
	return j->new_pw ? change_on(k, j, r, err, errlen) : check_on(k, j->pw, r, err, errlen);
}

int sk_ldap_passwd(const struct sk_ldap_cfg *c, const char *name, const char *old,
		   const char *new_pw, char *err, size_t errlen)
{
	struct job j = { .pw = old, .new_pw = new_pw };
	struct sk_ldap_result *r;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!c || !name || !old || !new_pw)
		return -EINVAL;
	if (c->type != SK_LDAP_AD && c->type != SK_LDAP_OPENLDAP)
		return errf(err, errlen, -ENOTSUP, "only an LDAP or AD directory changes passwords");
	if (!*new_pw || strlen(new_pw) > 1024)
		return errf(err, errlen, -EPERM, "the new password is empty or longer than 1024 bytes");
	if (c->tls == SK_LDAP_TLS_PLAIN)
		return errf(err, errlen, -ENOTSUP, "a password is changed over TLS only "
			    "(tls ldaps or starttls)");
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = check_args(c, name, old, r, err, errlen);
	if (!rc)
		rc = run(c, &j, r, err, errlen);
	sk_wipe(r, sizeof(*r));
	free(r);
	return rc;
}
