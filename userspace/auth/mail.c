// SPDX-License-Identifier: GPL-2.0
/*
 * skauth mail: the one-time code mail and generic notifications, sent with
 * libcurl's SMTP client through the configured relay.
 *
 * libcurl is opened on the first mail (curl_dl.h); that first load runs
 * curl_global_init() under the loader's lock, so two threads never make
 * the first call at once, and a process that sends no mail never loads
 * libcurl.
 *
 * The message is built in memory: RFC 5322 headers (subject RFC 2047
 * encoded, UTF-8), a text/plain UTF-8 body in base64, lines ending CRLF.
 * Addresses and names are checked for control characters first so nothing
 * a user typed can add a header.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <liboath/oath.h>
#include <openssl/evp.h>

#include "curl_dl.h"
#include "skauth.h"

#define MAIL_ADDR_MAX 254	/* RFC 5321 path limit */
#define MAIL_SUBJECT_MAX 512
#define MAIL_BODY_MAX (64 * 1024)
#define MAIL_NAME_MAX 128	/* gateway and user names in the code mail */
#define MAIL_DEFAULT_TIMEOUT_MS 10000L

/* libcurl's and libldap's global setup run at their first load
 * (curl_dl.h, ldap_dl.h) */
int sk_auth_global_init(void)
{
	if (oath_init() != OATH_OK)
		return -EIO;
	return 0;
}

void sk_auth_global_cleanup(void)
{
	oath_done();
	sk_curl_cleanup();
}

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* a bare address "local@domain": printable ASCII, none of the characters
 * that would need quoting or could end the header or the SMTP path */
static bool addr_ok(const char *a)
{
	const char *at = NULL, *s;
	size_t n;

	if (!a)
		return false;
	n = strnlen(a, MAIL_ADDR_MAX + 1);
	if (n == 0 || n > MAIL_ADDR_MAX)
		return false;
	for (s = a; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return false;
		if (c == '@') {
			if (at)
				return false;
			at = s;
		}
	}
	return at && at != a && at[1];
}

/* UTF-8 text for a header or the body: no control characters except, in a
 * body, newline and tab */
static bool text_ok(const char *s, size_t max, bool body)
{
	size_t n;

	if (!s)
		return false;
	n = strnlen(s, max + 1);
	if (n > max)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == 0x7f || (c < ' ' && !(body && (c == '\n' || c == '\r' || c == '\t'))))
			return false;
	}
	return true;
}

/* a growing message buffer; ok goes false on overflow or allocation failure */
struct mbuf {
	char *p;
	size_t len, cap;
	bool ok;
};

static void mb_add(struct mbuf *m, const char *s, size_t n)
{
	if (!m->ok)
		return;
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		char *np;

		while (cap < m->len + n + 1)
			cap *= 2;
		if (cap > 4 * MAIL_BODY_MAX) {
			m->ok = false;
			return;
		}
		np = realloc(m->p, cap);
		if (!np) {
			m->ok = false;
			return;
		}
		m->p = np;
		m->cap = cap;
	}
	memcpy(m->p + m->len, s, n);
	m->len += n;
	m->p[m->len] = '\0';
}

static void mb_str(struct mbuf *m, const char *s)
{
	mb_add(m, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void mb_fmt(struct mbuf *m, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		m->ok = false;
		return;
	}
	mb_add(m, tmp, (size_t)n);
}

/* base64 of in[0..n) into the buffer (no line breaks) */
static void mb_b64(struct mbuf *m, const unsigned char *in, size_t n)
{
	unsigned char out[4 * 57 / 3 + 1];
	size_t i;

	for (i = 0; i < n; i += 57) {
		size_t k = n - i < 57 ? n - i : 57;
		int w = EVP_EncodeBlock(out, in + i, (int)k);

		mb_add(m, (const char *)out, (size_t)w);
	}
}

/* "Subject: " as RFC 2047 encoded words of at most 45 bytes each (60
 * base64 characters, 72 with the markers: under the 75 of RFC 2047),
 * split only between UTF-8 characters, folded onto continuation lines */
static void mb_subject(struct mbuf *m, const char *subj)
{
	const unsigned char *s = (const unsigned char *)subj;
	size_t len = strlen(subj), i = 0;
	bool first = true;

	mb_str(m, "Subject:");
	if (!len)
		mb_str(m, " ");
	while (i < len) {
		size_t k = len - i < 45 ? len - i : 45;

		/* do not cut a multi-byte character: back up to its lead byte */
		while (i + k < len && k > 0 && (s[i + k] & 0xc0) == 0x80)
			k--;
		if (k == 0)
			k = len - i < 45 ? len - i : 45;	/* invalid UTF-8: cut anyway */
		mb_str(m, first ? " =?UTF-8?B?" : "\r\n =?UTF-8?B?");
		mb_b64(m, s + i, k);
		mb_str(m, "?=");
		i += k;
		first = false;
	}
	mb_str(m, "\r\n");
}

/* body: LF or CRLF lines -> CRLF, then base64 in 76-character lines */
static void mb_body(struct mbuf *m, const char *body)
{
	struct mbuf canon = { .ok = true };
	const char *s;
	size_t i;

	for (s = body; *s; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;	/* the \n that follows writes the CRLF */
		if (*s == '\n' || *s == '\r')
			mb_add(&canon, "\r\n", 2);
		else
			mb_add(&canon, s, 1);
	}
	if (!canon.ok) {
		m->ok = false;
		free(canon.p);
		return;
	}
	for (i = 0; i < canon.len; i += 57) {
		size_t k = canon.len - i < 57 ? canon.len - i : 57;

		mb_b64(m, (const unsigned char *)canon.p + i, k);
		mb_str(m, "\r\n");
	}
	free(canon.p);
}

static void mb_date(struct mbuf *m, time_t now)
{
	/* fixed English names: strftime's %a/%b would follow the locale */
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (!gmtime_r(&now, &tm)) {
		m->ok = false;
		return;
	}
	mb_fmt(m, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", wd[tm.tm_wday],
	       tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int build_message(struct mbuf *m, const char *from, const char *to,
			 const char *subject, const char *body)
{
	unsigned char rnd[16];
	char id[33];
	int i;

	if (sk_random(rnd, sizeof(rnd)))
		return -EIO;
	for (i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	mb_date(m, time(NULL));
	mb_fmt(m, "From: %s\r\n", from);
	mb_fmt(m, "To: %s\r\n", to);
	mb_subject(m, subject);
	/* Message-ID on the sender's domain: unique by 128 random bits */
	mb_fmt(m, "Message-ID: <%s.sekisho%s>\r\n", id, strchr(from, '@'));
	mb_str(m, "MIME-Version: 1.0\r\n"
		  "Content-Type: text/plain; charset=UTF-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "\r\n");
	mb_body(m, body);
	return m->ok ? 0 : -ENOMEM;
}

struct reader {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nitems;

	if (n > r->left)
		n = r->left;
	memcpy(buf, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

/* The options every SMTP connection of cfg has: the URL, SMTP only, the
 * error buffer, the timeouts, the CA file and STARTTLS (no credentials) */
static CURLcode smtp_base(CURL *c, const struct sk_mail_cfg *cfg, char *cerr)
{
	long tmo = cfg->timeout_ms > 0 ? cfg->timeout_ms : MAIL_DEFAULT_TIMEOUT_MS;
	CURLcode cc = curl_easy_setopt(c, CURLOPT_URL, cfg->url);

	/* only SMTP: a configuration typo must not turn into an HTTP upload */
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	/* no SIGALRM for name resolution timeouts: sekishod owns its signals */
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tmo);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	if (!cc && cfg->ca_file)
		cc = curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	/* never send the password or the code in clear when TLS was asked */
	if (!cc && cfg->starttls)
		cc = curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	return cc;
}

static int smtp_send(const struct sk_mail_cfg *cfg, const char *to, const char *msg,
		     size_t len, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "", path[MAIL_ADDR_MAX + 3];
	struct curl_slist *rcpt = NULL;
	struct reader rd = { .p = msg, .left = len };
	CURLcode cc;
	CURL *c;
	int rc = -EIO;

	if (sk_curl_load(err, errlen))
		return -EIO;
	c = curl_easy_init();
	if (!c) {
		seterr(err, errlen, "mail: cannot start libcurl");
		return -EIO;
	}
	snprintf(path, sizeof(path), "<%s>", to);
	rcpt = curl_slist_append(NULL, path);
	if (!rcpt) {
		seterr(err, errlen, "mail: out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "<%s>", cfg->from);
	cc = smtp_base(c, cfg, cerr);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, path);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	if (!cc && cfg->user)
		cc = curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
	if (!cc && cfg->password)
		cc = curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password);
	if (cc) {
		seterr(err, errlen, "mail: libcurl option refused: %s", curl_easy_strerror(cc));
		goto out;
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		seterr(err, errlen, "mail to %s via %s failed: %s", to, cfg->url,
		       cerr[0] ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return rc;
}

int sk_mail_probe(const struct sk_mail_cfg *cfg, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	CURL *c;

	if (!cfg->url || !*cfg->url) {
		seterr(err, errlen, "mail: no SMTP relay configured");
		return -EINVAL;
	}
	if (sk_curl_load(err, errlen))
		return -EIO;
	c = curl_easy_init();
	if (!c) {
		seterr(err, errlen, "mail: cannot start libcurl");
		return -EIO;
	}
	/* the protocol's connect is the greeting and EHLO (and STARTTLS);
	 * CONNECT_ONLY stops there, the cleanup says QUIT */
	cc = smtp_base(c, cfg, cerr);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	if (!cc)
		cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		seterr(err, errlen, "%s: %s", cfg->url, cerr[0] ? cerr : curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	return cc == CURLE_OK ? 0 : -EIO;
}

static int check_cfg(const struct sk_mail_cfg *cfg, const char *to, char *err, size_t errlen)
{
	if (!cfg || !cfg->url || !*cfg->url) {
		seterr(err, errlen, "mail: no SMTP relay configured");
		return -EINVAL;
	}
	if (!addr_ok(cfg->from)) {
		seterr(err, errlen, "mail: invalid sender address");
		return -EINVAL;
	}
	if (!addr_ok(to)) {
		seterr(err, errlen, "mail: invalid recipient address");
		return -EINVAL;
	}
	return 0;
}

int sk_mail_send(const struct sk_mail_cfg *cfg, const char *to, const char *subject,
		 const char *body, char *err, size_t errlen)
{
	struct mbuf m = { .ok = true };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = check_cfg(cfg, to, err, errlen);
	if (rc)
		return rc;
	if (!text_ok(subject, MAIL_SUBJECT_MAX, false) || !text_ok(body, MAIL_BODY_MAX, true)) {
		seterr(err, errlen, "mail: subject or body too long or has control characters");
		return -EINVAL;
	}
	rc = build_message(&m, cfg->from, to, subject, body);
	if (rc) {
		seterr(err, errlen, "mail: cannot build the message");
		goto out;
	}
	rc = smtp_send(cfg, to, m.p, m.len, err, errlen);
out:
	if (m.p) {
		sk_wipe(m.p, m.cap);	/* may hold a one-time code */
		free(m.p);
	}
	return rc;
}

int sk_mail_send_otp(const struct sk_mail_cfg *cfg, const char *gateway_name,
		     const char *to, const char *user, const char *code, int valid_minutes,
		     char *err, size_t errlen)
{
	char subject[MAIL_NAME_MAX + 96];
	char body[4096];
	const char *s;
	int n, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!gateway_name || !*gateway_name || !text_ok(gateway_name, MAIL_NAME_MAX, false) ||
	    !user || !text_ok(user, MAIL_NAME_MAX, false)) {
		seterr(err, errlen, "mail: gateway or user name too long or has control characters");
		return -EINVAL;
	}
	if (!code || !*code || strlen(code) > 16) {
		seterr(err, errlen, "mail: invalid one-time code");
		return -EINVAL;
	}
	for (s = code; *s; s++)
		if (*s < '0' || *s > '9') {
			seterr(err, errlen, "mail: invalid one-time code");
			return -EINVAL;
		}
	if (valid_minutes < 1 || valid_minutes > 24 * 60) {
		seterr(err, errlen, "mail: validity must be 1 to 1440 minutes");
		return -EINVAL;
	}
	/* the code is not in the subject: subjects show on lock screens */
	snprintf(subject, sizeof(subject), "[%s] ワンタイムパスワード / One-time code",
		 gateway_name);
	n = snprintf(body, sizeof(body),
		"%s さん\n"
		"\n"
		"%s への接続に使うワンタイムパスワードは次のとおりです。\n"
		"\n"
		"    %s\n"
		"\n"
		"このコードの有効期限は %d 分で、1 回だけ使えます。ログイン画面に入力してください。\n"
		"このコードを要求した覚えがない場合は、だれかがあなたのパスワードを知っている"
		"おそれがあります。入力せずに、すぐに管理者に連絡してください。\n"
		"\n"
		"--\n"
		"\n"
		"Dear %s,\n"
		"\n"
		"Your one-time code to connect to %s is:\n"
		"\n"
		"    %s\n"
		"\n"
		"It is valid for %d minutes and can be used once. Type it on the login screen.\n"
		"If you did not request this, someone may know your password: do not use the "
		"code, and tell your administrator at once.\n",
		user, gateway_name, code, valid_minutes,
		user, gateway_name, code, valid_minutes);
	if (n < 0 || (size_t)n >= sizeof(body)) {
		sk_wipe(body, sizeof(body));
		seterr(err, errlen, "mail: message too long");
		return -EINVAL;
	}
	rc = sk_mail_send(cfg, to, subject, body, err, errlen);
	sk_wipe(body, sizeof(body));
	return rc;
}
