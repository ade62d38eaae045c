// SPDX-License-Identifier: GPL-2.0
/*
 * Validation of every object before it reaches a backend, so that the CLI,
 * the daemon and any future caller get the same checks and the same
 * messages.  Each message names the field and says why.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-impl.h"
#include "sktext.h"

static bool bounded(const char *s, size_t max)
{
	return memchr(s, '\0', max + 1) != NULL;
}

/* one line of text (lib/sktext.h): valid UTF-8, no control characters */
static bool printable(const char *s)
{
	return sk_text_check(s, strlen(s), false) == NULL;
}

int sk_valid_name(const char *field, const char *s, char *err, size_t errlen)
{
	size_t i, n;

	if (!s || !*s)
		return sk_err(err, errlen, "%s: must not be empty", field);
	if (!bounded(s, SK_NAME_MAX))
		return sk_err(err, errlen, "%s: longer than %d characters", field, SK_NAME_MAX);
	n = strlen(s);
	for (i = 0; i < n; i++) {
		const char *why;

		if (isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-')
			continue;
		/* never echo a control character or broken UTF-8 */
		if ((why = sk_text_check(s, SK_NAME_MAX, false)))
			return sk_err(err, errlen, "%s: %s (use A-Z a-z 0-9 . _ -)", field, why);
		return sk_err(err, errlen, "%s: '%.*s' is not allowed (use A-Z a-z 0-9 . _ -)", field,
			      (int)sk_utf8_len((const unsigned char *)s + i), s + i);
	}
	return 0;
}

int sk_valid_email(const char *field, const char *s, char *err, size_t errlen)
{
	const char *at, *dot;
	size_t i;

	if (!bounded(s, SK_EMAIL_MAX))
		return sk_err(err, errlen, "%s: longer than %d characters", field, SK_EMAIL_MAX);
	if (!printable(s))
		return sk_err(err, errlen, "%s: %s", field, sk_text_check(s, SK_EMAIL_MAX, false));
	at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return sk_err(err, errlen, "%s: '%s' is not an address of the form local@domain",
			      field, s);
	dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || !dot[1])
		return sk_err(err, errlen, "%s: '%s': the domain needs a dot (example.com)", field, s);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || strchr("<>()[],;:\\\"", s[i]))
			return sk_err(err, errlen, "%s: '%s' contains a space or a character "
				      "not allowed in an address", field, s);
	if (strstr(at, ".."))
		return sk_err(err, errlen, "%s: '%s': empty label in the domain", field, s);
	return 0;
}

int sk_norm_mac(const char *in, char *out, size_t outlen)
{
	int i;

	if (strlen(in) != 17 || outlen < 18)
		return -EINVAL;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (in[i] != ':' && in[i] != '-')
				return -EINVAL;
			out[i] = ':';
		} else {
			if (!isxdigit((unsigned char)in[i]))
				return -EINVAL;
			out[i] = (char)tolower((unsigned char)in[i]);
		}
	}
	out[17] = '\0';
	return 0;
}

/* "A.B.C.D/len" or "X::/len"; family 0 = either.  Host bits must be zero
 * for pools and split routes: a typo there routes the wrong network. */
static int valid_prefix(const char *field, const char *s, int family, bool need_len, char *err,
			size_t errlen)
{
	char buf[SK_ADDR_MAX];
	uint8_t a[16];
	const char *slash;
	int fam, maxlen, i;
	long len;
	char *end;

	if (!bounded(s, SK_ADDR_MAX - 1))
		return sk_err(err, errlen, "%s: too long", field);
	slash = strchr(s, '/');
	if (!slash && need_len)
		return sk_err(err, errlen, "%s: '%s' needs a prefix length (A/len)", field, s);
	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, buf, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		fam = AF_INET6;
	else
		return sk_err(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address", field, buf);
	if (family && fam != family)
		return sk_err(err, errlen, "%s: '%s' must be an %s prefix", field, s,
			      family == AF_INET ? "IPv4" : "IPv6");
	maxlen = fam == AF_INET ? 32 : 128;
	len = maxlen;
	if (slash) {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || len < 0 || len > maxlen ||
		    !isdigit((unsigned char)slash[1]))
			return sk_err(err, errlen, "%s: '%s': prefix length must be 0..%d", field, s,
				      maxlen);
	}
	for (i = 0; i < maxlen; i++)
		if (i >= len && (a[i / 8] & (0x80 >> (i % 8))))
			return sk_err(err, errlen, "%s: '%s': host bits set after /%ld", field, s, len);
	return 0;
}

static int valid_addr(const char *field, const char *s, int family, char *err, size_t errlen)
{
	uint8_t a[16];

	if (!bounded(s, SK_ADDR_MAX - 1))
		return sk_err(err, errlen, "%s: too long", field);
	if ((family != AF_INET6 && inet_pton(AF_INET, s, a) == 1) ||
	    (family != AF_INET && inet_pton(AF_INET6, s, a) == 1))
		return 0;
	return sk_err(err, errlen, "%s: '%s' is not an %s address", field, s,
		      family == AF_INET ? "IPv4" : "IP");
}

static int valid_domain(const char *field, const char *s, size_t max, char *err, size_t errlen)
{
	size_t i, n;

	if (!bounded(s, max - 1))
		return sk_err(err, errlen, "%s: longer than %zu characters", field, max - 1);
	n = strlen(s);
	if (!n || s[0] == '.' || s[0] == '-' || strstr(s, ".."))
		return sk_err(err, errlen, "%s: '%s' is not a domain name", field, s);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
			return sk_err(err, errlen, "%s: '%s' is not a domain name", field, s);
	return 0;
}

static int valid_text(const char *field, const char *s, size_t max, char *err, size_t errlen)
{
	if (!bounded(s, max - 1))
		return sk_err(err, errlen, "%s: longer than %zu bytes", field, max - 1);
	if (!printable(s))
		return sk_err(err, errlen, "%s: %s", field, sk_text_check(s, max - 1, false));
	return 0;
}

static bool hhmm(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && s[2] == ':' &&
	       isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) &&
	       (s[0] - '0') * 10 + (s[1] - '0') <= 24 && (s[3] - '0') * 10 + (s[4] - '0') < 60;
}

/* "HH:MM-HH:MM" optionally ",DAYS" with days like mon-fri,sat */
static int valid_hours(const char *s, char *err, size_t errlen)
{
	const char *d;

	if (!*s)
		return 0;
	if (!bounded(s, SK_NAME_MAX - 1) || strlen(s) < 11 || !hhmm(s) || s[5] != '-' ||
	    !hhmm(s + 6) || (s[11] && s[11] != ','))
		return sk_err(err, errlen, "access_hours: '%s' is not HH:MM-HH:MM[,days]", s);
	for (d = s + 11; *d; d++)
		if (!islower((unsigned char)*d) && *d != ',' && *d != '-')
			return sk_err(err, errlen,
				      "access_hours: days '%s' must be like mon-fri,sun", s + 12);
	return 0;
}

static int valid_base32(const char *s, char *err, size_t errlen)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '2' && *s <= '7') || *s == '='))
			return sk_err(err, errlen,
				      "totp_secret: '%c' is not a base32 character (A-Z 2-7)", *s);
	return 0;
}

int sk_valid_display_name(const char *s, char *err, size_t errlen)
{
	const char *why;
	size_t i, n = 0;

	if (!bounded(s, SK_DISPLAY_NAME_MAX * 4))
		return sk_err(err, errlen, "display-name: longer than %d characters",
			      SK_DISPLAY_NAME_MAX);
	/* the check also refuses text that is not UTF-8: never echoed */
	if ((why = sk_text_check(s, SK_DISPLAY_NAME_MAX * 4, false)))
		return sk_err(err, errlen, "display-name: %s", why);
	for (i = 0; s[i]; n++)
		i += sk_utf8_len((const unsigned char *)s + i);
	if (n > SK_DISPLAY_NAME_MAX)
		return sk_err(err, errlen, "display-name: %zu characters, at most %d", n,
			      SK_DISPLAY_NAME_MAX);
	if (n && (s[0] == ' ' || s[i - 1] == ' '))
		return sk_err(err, errlen, "display-name: begins or ends with a space");
	return 0;
}

int sk_valid_user(struct sk_store *st, struct sk_user *u, char *err, size_t errlen)
{
	int rc;

	if ((rc = sk_valid_name("name", u->name, err, errlen)))
		return rc;
	if (!bounded(u->email, SK_EMAIL_MAX) || !bounded(u->group, SK_NAME_MAX) ||
	    !bounded(u->pw_hash, SK_HASH_MAX) || !bounded(u->totp_secret, SK_NAME_MAX) ||
	    !bounded(u->cert_id, SK_NAME_MAX))
		return sk_err(err, errlen, "user: a text field is not terminated");
	if (u->email[0] && (rc = sk_valid_email("email", u->email, err, errlen)))
		return rc;
	if ((rc = sk_valid_display_name(u->display_name, err, errlen)))
		return rc;
	if (!u->group[0]) {
		/* the setting names the group of users added without one */
		if (sk_setting_get(st, "default.group", u->group, sizeof(u->group)) || !u->group[0])
			return sk_err(err, errlen,
				      "group: required (no default.group setting)");
	}
	if ((rc = sk_valid_name("group", u->group, err, errlen)))
		return rc;
	if (!printable(u->pw_hash))
		return sk_err(err, errlen, "pw_hash: not one line of text");
	if (u->pw_hash[0] && strncmp(u->pw_hash, "$argon2", 7))
		return sk_err(err, errlen, "pw_hash: not an argon2 encoded hash");
	if ((rc = valid_base32(u->totp_secret, err, errlen)))
		return rc;
	if ((rc = valid_text("cert_id", u->cert_id, SK_NAME_MAX + 1, err, errlen)))
		return rc;
	if (u->fail_count < 0)
		return sk_err(err, errlen, "fail_count: must not be negative");
	if (u->valid_from && u->valid_until && u->valid_from > u->valid_until)
		return sk_err(err, errlen, "valid_until: before valid_from");
	if (u->lang < SK_LANG_AUTO || u->lang > SK_LANG_EN)
		return sk_err(err, errlen, "lang: must be auto, ja or en");
	return 0;
}

static int valid_list(const char *field, int n, const char (*l)[SK_ADDR_MAX], char *err,
		      size_t errlen)
{
	int i, j, rc;

	if (n < 0 || n > SK_LIST_MAX)
		return sk_err(err, errlen, "%s: 0..%d entries", field, SK_LIST_MAX);
	for (i = 0; i < n; i++) {
		if ((rc = valid_prefix(field, l[i], 0, false, err, errlen)))
			return rc;
		for (j = 0; j < i; j++)
			if (!strcmp(l[i], l[j]))
				return sk_err(err, errlen, "%s: '%s' listed twice", field, l[i]);
	}
	return 0;
}

int sk_valid_group(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen)
{
	int i, j, rc;
	struct sk_policy p;

	if ((rc = sk_valid_name("name", g->name, err, errlen)))
		return rc;
	if ((rc = valid_text("label", g->label, sizeof(g->label), err, errlen)))
		return rc;
	for (i = 0; i < SK_FACTORS_MAX && g->factors[i] != SK_FACTOR_NONE; i++) {
		if (!sk_factor_name(g->factors[i]))
			return sk_err(err, errlen, "factors: unknown factor %d", (int)g->factors[i]);
		for (j = 0; j < i; j++)
			if (g->factors[j] == g->factors[i])
				return sk_err(err, errlen, "factors: '%s' listed twice",
					      sk_factor_name(g->factors[i]));
	}
	if (i == 0)
		return sk_err(err, errlen, "factors: at least one factor is needed");
	if (sk_group_cert_only(g) && !g->cert_only_ok)
		return sk_err(err, errlen,
			      "factors: cert alone asks for no secret (a compromised worker can "
			      "present any certificate it has seen): add password, email-otp or "
			      "totp, or set cert-only-ok=yes / 証明書だけでは秘密を確かめません: "
			      "password, email-otp, totp を加えるか cert-only-ok=yes を設定してください");
	if (g->pool4[0] && (rc = valid_prefix("pool4", g->pool4, AF_INET, true, err, errlen)))
		return rc;
	if (g->pool6[0] && (rc = valid_prefix("pool6", g->pool6, AF_INET6, true, err, errlen)))
		return rc;
	for (i = 0; i < 2; i++)
		if (g->dns[i][0] && (rc = valid_addr(i ? "dns2" : "dns1", g->dns[i], 0, err, errlen)))
			return rc;
	if (g->wins[0] && (rc = valid_addr("wins", g->wins, AF_INET, err, errlen)))
		return rc;
	if (g->domain[0] && (rc = valid_domain("domain", g->domain, sizeof(g->domain), err, errlen)))
		return rc;
	if ((rc = valid_list("split_inc", g->n_split_inc, g->split_inc,
			     err, errlen)) ||
	    (rc = valid_list("split_exc", g->n_split_exc, g->split_exc,
			     err, errlen)))
		return rc;
	if (g->n_split_dns < 0 || g->n_split_dns > SK_LIST_MAX)
		return sk_err(err, errlen, "split_dns: 0..%d entries", SK_LIST_MAX);
	for (i = 0; i < g->n_split_dns; i++)
		if ((rc = valid_domain("split_dns", g->split_dns[i], sizeof(g->split_dns[i]), err,
				       errlen)))
			return rc;
	if (!sk_proxy_mode_name(g->proxy_mode))
		return sk_err(err, errlen, "proxy_mode: must be client, pac, server or none");
	if ((rc = valid_text("proxy_pac", g->proxy_pac, sizeof(g->proxy_pac), err, errlen)) ||
	    (rc = valid_text("proxy_server", g->proxy_server, sizeof(g->proxy_server), err, errlen)) ||
	    (rc = valid_text("proxy_exclude", g->proxy_exclude, sizeof(g->proxy_exclude), err,
			     errlen)))
		return rc;
	switch (g->proxy_mode) {
	case SK_PROXY_PAC:
		if (strncmp(g->proxy_pac, "http://", 7) && strncmp(g->proxy_pac, "https://", 8))
			return sk_err(err, errlen, "proxy_pac: mode pac needs an http(s):// URL");
		if (g->proxy_server[0] || g->proxy_exclude[0])
			return sk_err(err, errlen,
				      "proxy_server: only with mode server (mode is pac)");
		break;
	case SK_PROXY_SERVER: {
		const char *c = strrchr(g->proxy_server, ':');
		char *end;
		long port;

		if (!c || c == g->proxy_server)
			return sk_err(err, errlen, "proxy_server: mode server needs host:port");
		port = strtol(c + 1, &end, 10);
		if (!c[1] || *end || port < 1 || port > 65535 || strchr(g->proxy_server, ' '))
			return sk_err(err, errlen, "proxy_server: '%s' is not host:port (1..65535)",
				      g->proxy_server);
		if (g->proxy_pac[0])
			return sk_err(err, errlen, "proxy_pac: only with mode pac (mode is server)");
		break;
	}
	default:
		if (g->proxy_pac[0] || g->proxy_server[0] || g->proxy_exclude[0])
			return sk_err(err, errlen,
				      "proxy_pac/proxy_server/proxy_exclude: only with mode pac or "
				      "server (mode is %s)", sk_proxy_mode_name(g->proxy_mode));
	}
	if (!bounded(g->banner, sizeof(g->banner) - 1))
		return sk_err(err, errlen, "banner: longer than %zu bytes", sizeof(g->banner) - 1);
	/* the banner may span lines */
	if (sk_text_check(g->banner, sizeof(g->banner) - 1, true))
		return sk_err(err, errlen, "banner: %s",
			      sk_text_check(g->banner, sizeof(g->banner) - 1, true));
	if (g->idle_timeout < 0 || g->session_timeout < 0 || g->max_sessions < 0)
		return sk_err(err, errlen,
			      "idle_timeout/session_timeout/max_sessions: must not be negative");
	if (g->max_devices < 1 || g->max_devices > 100)
		return sk_err(err, errlen, "max_devices: must be 1..100 (is %d)", g->max_devices);
	if ((rc = valid_hours(g->access_hours, err, errlen)))
		return rc;
	if (g->lang < SK_LANG_AUTO || g->lang > SK_LANG_EN)
		return sk_err(err, errlen, "lang: must be auto, ja or en");
	if (g->mtu && (g->mtu < 576 || g->mtu > 9000))
		return sk_err(err, errlen, "mtu: 0 (automatic) or 576..9000");
	if (g->policy[0]) {
		if ((rc = sk_valid_name("policy", g->policy, err, errlen)))
			return rc;
		if (sk_policy_get(st, g->policy, &p))
			return sk_err(err, errlen, "policy: no policy named '%s'", g->policy);
	}
	return 0;
}

int sk_valid_device(struct sk_device *d, char *err, size_t errlen)
{
	int rc;
	char mac[18];
	size_t i;

	if ((rc = sk_valid_name("name", d->name, err, errlen)))
		return rc;
	if (d->type < SK_DEV_WINDOWS || d->type > SK_DEV_ANDROID)
		return sk_err(err, errlen, "type: must be windows, mac, ios or android");
	if (d->method != SK_DEVM_SERIAL && d->method != SK_DEVM_MAC)
		return sk_err(err, errlen, "method: must be serial or mac");
	if (d->method == SK_DEVM_MAC && d->type != SK_DEV_WINDOWS && d->type != SK_DEV_MAC)
		return sk_err(err, errlen,
			      "method: mac identification is only for Windows and Mac devices");
	/* an empty serial ID means "not registered yet": the first login with
	 * device.auto_register on fills it (auth/chain.c).  A MAC address is
	 * never registered automatically (the seed manual), so it is required. */
	if (!bounded(d->ident, SK_NAME_MAX) || (!d->ident[0] && d->method == SK_DEVM_MAC))
		return sk_err(err, errlen, "ident: required, at most %d characters", SK_NAME_MAX);
	if (d->method == SK_DEVM_MAC) {
		if (sk_norm_mac(d->ident, mac, sizeof(mac)))
			return sk_err(err, errlen, "ident: '%s' is not a MAC address 12:34:56:78:90:ab",
				      d->ident);
		memcpy(d->ident, mac, sizeof(mac));
	} else {
		for (i = 0; d->ident[i]; i++)
			if (!isalnum((unsigned char)d->ident[i]) && !strchr("._-:", d->ident[i]))
				/* the whole character (UTF-8), never a broken byte */
				return sk_err(err, errlen, "ident: '%.*s' is not allowed in a serial ID",
					      (int)sk_utf8_len((const unsigned char *)d->ident + i),
					      d->ident + i);
	}
	if (d->policy[0] && (rc = sk_valid_name("policy", d->policy, err, errlen)))
		return rc;
	if (d->user[0] && (rc = sk_valid_name("user", d->user, err, errlen)))
		return rc;
	return 0;
}
