// SPDX-License-Identifier: GPL-2.0
/*
 * skstore public functions: validate, then dispatch to the backend's
 * operations table (st->ops).  Nothing here knows SQL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "store-impl.h"
#include "sktext.h"
#include "posture.h"

/* ---- names ---- */

static const char *const factor_names[] = {
	[SK_FACTOR_CERT] = "cert",
	[SK_FACTOR_PASSWORD] = "password",
	[SK_FACTOR_EMAIL_OTP] = "email-otp",
	[SK_FACTOR_TOTP] = "totp",
};

static const char *const proxy_names[] = {
	[SK_PROXY_CLIENT] = "client",
	[SK_PROXY_PAC] = "pac",
	[SK_PROXY_SERVER] = "server",
	[SK_PROXY_NONE] = "none",
};

enum sk_factor sk_factor_from_name(const char *s)
{
	size_t i;

	for (i = 1; s && i < sizeof(factor_names) / sizeof(factor_names[0]); i++)
		if (!strcmp(s, factor_names[i]))
			return (enum sk_factor)i;
	return SK_FACTOR_NONE;
}

const char *sk_factor_name(enum sk_factor f)
{
	if ((int)f <= 0 || (size_t)f >= sizeof(factor_names) / sizeof(factor_names[0]))
		return NULL;
	return factor_names[f];
}

int sk_proxy_mode_from_name(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(proxy_names) / sizeof(proxy_names[0]); i++)
		if (!strcmp(s, proxy_names[i]))
			return (int)i;
	return -1;
}

const char *sk_proxy_mode_name(enum sk_proxy_mode m)
{
	if ((int)m < 0 || (size_t)m >= sizeof(proxy_names) / sizeof(proxy_names[0]))
		return NULL;
	return proxy_names[m];
}

void sk_group_defaults(struct sk_group *g)
{
	memset(g, 0, sizeof(*g));
	g->factors[0] = SK_FACTOR_PASSWORD;
	g->proxy_mode = SK_PROXY_CLIENT;
	g->max_devices = 2;
	/* a new group: one user cannot take every session slot (groups made
	 * before this default keep what they have, 0 = unlimited included) */
	g->max_sessions = SK_GROUP_MAX_SESSIONS_DEFAULT;
	g->lang = SK_LANG_AUTO;
}

bool sk_group_cert_only(const struct sk_group *g)
{
	int i;

	for (i = 0; i < SK_FACTORS_MAX && g->factors[i] != SK_FACTOR_NONE; i++)
		if (g->factors[i] != SK_FACTOR_CERT)
			return false;
	return i > 0;
}

/* ---- open, close, transactions ---- */

static int store_open(const char *path, bool create, struct sk_store **st, char *err,
		      size_t errlen)
{
	char host[256] = "";
	int rc;

	*st = NULL;
	if (!path || !*path) {
		sk_err(err, errlen, "store path is empty / ストアのパスが空です");
		return -EINVAL;
	}
	if (sk_store_is_url(path))
		rc = sk_pg_open(path, create, st, err, errlen);
	else
		rc = sk_sqlite_open(path, create, st, err, errlen);
	if (!rc && (gethostname(host, sizeof(host) - 1) || sk_store_set_gateway(*st, host)))
		sk_store_set_gateway(*st, "unnamed");
	return rc;
}

int sk_store_set_gateway(struct sk_store *st, const char *name)
{
	if (sk_valid_name("gateway", name, NULL, 0))
		return -EINVAL;
	snprintf(st->gateway, sizeof(st->gateway), "%s", name);
	return 0;
}

const char *sk_store_gateway(const struct sk_store *st)
{
	return st->gateway;
}

int sk_store_open(const char *path, struct sk_store **st, char *err, size_t errlen)
{
	return store_open(path, true, st, err, errlen);
}

int sk_store_open_existing(const char *path, struct sk_store **st, char *err, size_t errlen)
{
	return store_open(path, false, st, err, errlen);
}

int sk_store_dir_of(const char *path, char *dir, size_t len)
{
	if (!path || !*path)
		return -EINVAL;
	if (sk_store_is_url(path))
		return snprintf(dir, len, "%s", sk_pg_dir()) < (int)len ? 0 : -ENAMETOOLONG;
	return sk_sqlite_dir(path, dir, len);
}

bool sk_store_is_url(const char *store)
{
	return store && (!strncmp(store, "postgresql://", 13) || !strncmp(store, "postgres://", 11));
}

void sk_store_close(struct sk_store *st)
{
	if (st)
		st->ops->close(st);
}

int sk_store_tx_begin(struct sk_store *st)
{
	int rc;

	if (st->tx_depth > 0) {
		st->tx_depth++;
		return 0;
	}
	rc = st->ops->begin(st);
	if (rc)
		return rc;
	st->tx_depth = 1;
	st->tx_error = 0;
	return 0;
}

int sk_store_tx_end(struct sk_store *st, int rc)
{
	if (rc && !st->tx_error)
		st->tx_error = rc;
	if (--st->tx_depth > 0)
		return rc;
	if (st->tx_error) {
		st->ops->rollback(st);
		rc = rc ? rc : st->tx_error;
	} else {
		rc = st->ops->commit(st);
		if (rc)
			st->ops->rollback(st);
	}
	st->tx_error = 0;
	return rc;
}

int sk_store_tx(struct sk_store *st, int (*fn)(struct sk_store *st, void *arg), void *arg)
{
	int rc = sk_store_tx_begin(st);

	if (rc)
		return rc;
	return sk_store_tx_end(st, fn(st, arg));
}

int sk_store_schema_version(struct sk_store *st)
{
	return st->ops->schema_version(st);
}

static bool bad_name(const char *s)
{
	return sk_valid_name("name", s, NULL, 0) != 0;
}

/* ---- users ---- */

int sk_uid_new(char out[SK_UID_LEN + 1])
{
	uint8_t b[16];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);	/* version 4: random */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);	/* the RFC 4122 variant */
	snprintf(out, SK_UID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

int sk_user_add(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen)
{
	struct sk_user c = *u;
	int rc = sk_valid_user(st, &c, err, errlen);

	if (rc)
		return rc;
	/* always a new identifier, whatever the caller passed: a user record
	 * never takes over another one's certificates (skstore.h) */
	c.legacy_certs = false;
	if (sk_uid_new(c.uid))
		return sk_err(err, errlen, "no random bytes for the user's identifier"), -EIO;
	return st->ops->user_add(st, &c, err, errlen);
}

int sk_user_get(struct sk_store *st, const char *name, struct sk_user *u)
{
	return bad_name(name) ? -ENOENT : st->ops->user_get(st, name, u);
}

int sk_user_update(struct sk_store *st, const struct sk_user *u, char *err, size_t errlen)
{
	struct sk_user c = *u;
	int rc = sk_valid_user(st, &c, err, errlen);

	return rc ? rc : st->ops->user_update(st, &c, err, errlen);
}

int sk_user_del(struct sk_store *st, const char *name)
{
	return bad_name(name) ? -ENOENT : st->ops->user_del(st, name);
}

int sk_user_list(struct sk_store *st, int (*fn)(const struct sk_user *u, void *arg), void *arg)
{
	return st->ops->user_list(st, fn, arg);
}

int sk_user_fail(struct sk_store *st, const char *name, int threshold, int lock_seconds,
		 int64_t now, struct sk_user *u)
{
	struct sk_fail_policy p = {
		.lock_threshold = threshold, .lock_seconds = lock_seconds,
		.lock_max_seconds = lock_seconds,
	};
	struct sk_fail_result *r;
	int rc;

	if (threshold < 0 || lock_seconds < 0)
		return -EINVAL;
	if (bad_name(name))
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = st->ops->login_fail(st, name, NULL, &p, now, r);
	if (!rc && !r->user_found)
		rc = -ENOENT;
	if (!rc && u)
		*u = r->u;
	explicit_bzero(r, sizeof(*r));	/* the user's hashes */
	free(r);
	return rc;
}

int sk_user_success(struct sk_store *st, const char *name)
{
	return bad_name(name) ? -ENOENT : st->ops->user_success(st, name);
}

int sk_user_set_password(struct sk_store *st, const char *name, const char *hash, bool must_change)
{
	if (!hash || strnlen(hash, SK_HASH_MAX + 1) > SK_HASH_MAX ||
	    (hash[0] && strncmp(hash, "$argon2", 7)))
		return -EINVAL;
	return bad_name(name) ? -ENOENT : st->ops->user_set_password(st, name, hash, must_change);
}

int sk_user_totp_use(struct sk_store *st, const char *name, int64_t step)
{
	return bad_name(name) ? -ENOENT : st->ops->user_totp_use(st, name, step);
}

/* ---- login failures and sources ---- */

static bool digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* The client's address from any of sk_source_key's forms; *v6_64: the text
 * named a /64 */
static int source_addr(const char *in, struct sk_addr *a, bool *v6_64)
{
	char buf[SK_ADDRSTRLEN], e[SK_ERRLEN], *c, *slash;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	*v6_64 = false;
	if (!in || !*in || strlen(in) >= sizeof(buf))
		return -EINVAL;
	if (in[0] == '[') {
		const char *end = strchr(in, ']');

		if (!end || (end[1] && (end[1] != ':' || !digits(end + 2))) ||
		    (size_t)(end - in - 1) >= sizeof(buf))
			return -EINVAL;
		snprintf(buf, sizeof(buf), "%.*s", (int)(end - in - 1), in + 1);
	} else {
		snprintf(buf, sizeof(buf), "%s", in);
		c = strchr(buf, ':');
		if (c && !strchr(c + 1, ':')) {		/* "192.0.2.7:443" */
			if (!digits(c + 1))
				return -EINVAL;
			*c = '\0';
		}
		slash = strchr(buf, '/');
		if (slash) {
			if (strcmp(slash, "/64"))
				return -EINVAL;
			*slash = '\0';
			*v6_64 = true;
		}
	}
	if (sk_parse_addr(buf, a, e, sizeof(e)))
		return -EINVAL;
	if (a->family == AF_INET6 && !memcmp(a->a, mapped, 12) && !*v6_64) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	}
	if (*v6_64 && a->family != AF_INET6)
		return -EINVAL;
	return 0;
}

int sk_source_key(const char *addr, char *out, size_t len)
{
	struct sk_prefix p = { 0 };
	char buf[SK_ADDRSTRLEN];
	bool v6_64;

	if (source_addr(addr, &p.addr, &v6_64))
		return -EINVAL;
	if (p.addr.family == AF_INET6) {
		memset(p.addr.a + 8, 0, 8);
		p.len = 64;
		sk_format_prefix(&p, false, buf, sizeof(buf));
	} else {
		sk_format_addr(&p.addr, buf, sizeof(buf));
	}
	if (strlen(buf) >= len)
		return -EINVAL;
	snprintf(out, len, "%s", buf);
	return 0;
}

static bool in_prefix(const struct sk_prefix *p, const struct sk_addr *a)
{
	int full = p->len / 8, rest = p->len % 8;

	if (p->addr.family != a->family)
		return false;
	if (memcmp(a->a, p->addr.a, (size_t)full))
		return false;
	return !rest || ((a->a[full] ^ p->addr.a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Calls fn for each entry of a CIDR list; stops at its non-zero return or
 * at a malformed entry (-EINVAL, err says which). */
static int cidr_each(const char *list, char *err, size_t errlen,
		     int (*fn)(const struct sk_prefix *p, void *arg), void *arg)
{
	char item[SK_ADDRSTRLEN + 1], e[SK_ERRLEN];
	const char *p = list, *end;
	struct sk_prefix pf;
	int n = 0, rc;

	while (*p) {
		size_t len;

		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		end = p + strcspn(p, ", ");
		len = (size_t)(end - p);
		if (len >= sizeof(item))
			return sk_err(err, errlen, "'%.*s...' is not an address range", 40, p);
		memcpy(item, p, len);
		item[len] = '\0';
		if (sk_parse_prefix(item, &pf, e, sizeof(e)))
			return sk_err(err, errlen, "%s (an address range is ADDRESS/LENGTH, e.g. "
				      "192.0.2.0/24 or 2001:db8::/32, without host bits)", e);
		if (++n > SK_LIST_MAX)
			return sk_err(err, errlen, "more than %d address ranges", SK_LIST_MAX);
		if (fn && (rc = fn(&pf, arg)))
			return rc;
		p = end;
	}
	return 0;
}

int sk_cidr_list_check(const char *list, char *err, size_t errlen)
{
	return cidr_each(list ? list : "", err, errlen, NULL, NULL);
}

static int cidr_match(const struct sk_prefix *p, void *arg)
{
	return in_prefix(p, arg) ? 1 : 0;
}

bool sk_source_never_block(struct sk_store *st, const char *addr)
{
	char list[SK_TEXT_MAX], err[SK_ERRLEN];
	struct sk_addr a;
	bool v6_64;

	if (source_addr(addr, &a, &v6_64) ||
	    sk_setting_get(st, "source.never_block", list, sizeof(list)) || !list[0])
		return false;
	return cidr_each(list, err, sizeof(err), cidr_match, &a) == 1;
}

int sk_login_fail(struct sk_store *st, const char *user, const char *addr,
		  const struct sk_fail_policy *p, int64_t now, struct sk_fail_result *r)
{
	char key[SK_ADDR_MAX];

	memset(r, 0, sizeof(*r));
	if (!p || p->lock_threshold < 0 || p->lock_seconds < 0 || p->src_threshold < 0)
		return -EINVAL;
	if (addr && sk_source_key(addr, key, sizeof(key)))
		return -EINVAL;
	/* a name that cannot exist is looked up as "" (found by nobody):
	 * the same work as for a name that could */
	if (user && bad_name(user))
		user = "";
	return st->ops->login_fail(st, user, addr ? key : NULL, p, now, r);
}

int sk_source_get(struct sk_store *st, const char *addr, struct sk_source *s)
{
	char key[SK_ADDR_MAX];

	if (sk_source_key(addr, key, sizeof(key)))
		return -EINVAL;
	return st->ops->source_get(st, key, s);
}

int sk_source_list(struct sk_store *st, int (*fn)(const struct sk_source *s, void *arg), void *arg)
{
	return st->ops->source_list(st, fn, arg);
}

int sk_source_del(struct sk_store *st, const char *addr)
{
	char key[SK_ADDR_MAX];

	if (sk_source_key(addr, key, sizeof(key)))
		return -EINVAL;
	return st->ops->source_del(st, key);
}

/* ---- groups ---- */

int sk_group_add(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen)
{
	int rc = sk_valid_group(st, g, err, errlen);

	return rc ? rc : st->ops->group_add(st, g, err, errlen);
}

int sk_group_get(struct sk_store *st, const char *name, struct sk_group *g)
{
	return bad_name(name) ? -ENOENT : st->ops->group_get(st, name, g);
}

int sk_group_update(struct sk_store *st, const struct sk_group *g, char *err, size_t errlen)
{
	int rc = sk_valid_group(st, g, err, errlen);

	return rc ? rc : st->ops->group_update(st, g, err, errlen);
}

int sk_group_del(struct sk_store *st, const char *name)
{
	return bad_name(name) ? -ENOENT : st->ops->group_del(st, name);
}

int sk_group_list(struct sk_store *st, int (*fn)(const struct sk_group *g, void *arg), void *arg)
{
	return st->ops->group_list(st, fn, arg);
}

/* ---- policies ---- */

int sk_policy_add(struct sk_store *st, const char *name, const char *description)
{
	if (bad_name(name))
		return -EINVAL;
	if (!description)
		description = "";
	if (!sk_text_ok(description, SK_TEXT_MAX - 1, false))
		return -EINVAL;
	return st->ops->policy_add(st, name, description);
}

int sk_policy_get(struct sk_store *st, const char *name, struct sk_policy *p)
{
	return bad_name(name) ? -ENOENT : st->ops->policy_get(st, name, p);
}

int sk_policy_del(struct sk_store *st, const char *name)
{
	return bad_name(name) ? -ENOENT : st->ops->policy_del(st, name);
}

int sk_policy_list(struct sk_store *st, int (*fn)(const struct sk_policy *p, void *arg), void *arg)
{
	return st->ops->policy_list(st, fn, arg);
}

int sk_policy_rules(struct sk_store *st, const char *name, struct sk_rule *rules, int *n)
{
	if (*n < 0)
		return -EINVAL;
	return bad_name(name) ? -ENOENT : st->ops->policy_rules(st, name, rules, n);
}

bool sk_rule_ok(const struct sk_rule *r)
{
	int family = r->dst.addr.family;
	int maxlen = family == AF_INET ? 32 : 128;
	int i;

	if (r->action != SK_ACTION_ALLOW && r->action != SK_ACTION_DENY)
		return false;
	if (family != AF_INET && family != AF_INET6)
		return false;
	if (r->dst.len > maxlen)
		return false;
	for (i = r->dst.len; i < maxlen; i++)
		if (r->dst.addr.a[i / 8] & (0x80 >> (i % 8)))
			return false;
	if (r->proto != 0 && r->proto != 1 && r->proto != 6 && r->proto != 17 && r->proto != 58)
		return false;
	if (r->has_ports && (r->port_min > r->port_max || (r->proto != 6 && r->proto != 17)))
		return false;
	return true;
}

int sk_rule_add(struct sk_store *st, const char *policy, int pos, const struct sk_rule *r)
{
	if (pos < 0 || !sk_rule_ok(r))
		return -EINVAL;
	return bad_name(policy) ? -ENOENT : st->ops->rule_add(st, policy, pos, r);
}

int sk_rule_del(struct sk_store *st, const char *policy, int pos)
{
	if (pos < 1)
		return -ENOENT;
	return bad_name(policy) ? -ENOENT : st->ops->rule_del(st, policy, pos);
}

int sk_rule_move(struct sk_store *st, const char *policy, int from, int to)
{
	if (from < 1 || to < 1)
		return -ENOENT;
	return bad_name(policy) ? -ENOENT : st->ops->rule_move(st, policy, from, to);
}

/* ---- devices ---- */

int sk_device_add(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen)
{
	struct sk_device c = *d;
	int rc = sk_valid_device(&c, err, errlen);

	return rc ? rc : st->ops->device_add(st, &c, err, errlen);
}

int sk_device_get(struct sk_store *st, const char *name, struct sk_device *d)
{
	return bad_name(name) ? -ENOENT : st->ops->device_get(st, name, d);
}

int sk_device_update(struct sk_store *st, const struct sk_device *d, char *err, size_t errlen)
{
	struct sk_device c = *d;
	int rc = sk_valid_device(&c, err, errlen);

	return rc ? rc : st->ops->device_update(st, &c, err, errlen);
}

int sk_device_del(struct sk_store *st, const char *name)
{
	return bad_name(name) ? -ENOENT : st->ops->device_del(st, name);
}

int sk_device_list(struct sk_store *st, const char *user,
		   int (*fn)(const struct sk_device *d, void *arg), void *arg)
{
	if (user && bad_name(user))
		return -ENOENT;
	return st->ops->device_list(st, user, fn, arg);
}

int sk_device_assign(struct sk_store *st, const char *user, const char *device, char *err,
		     size_t errlen)
{
	int rc;

	if ((rc = sk_valid_name("user", user, err, errlen)) ||
	    (rc = sk_valid_name("device", device, err, errlen)))
		return rc;
	return st->ops->device_assign(st, user, device, err, errlen);
}

int sk_device_unassign(struct sk_store *st, const char *user, const char *device)
{
	if (bad_name(user) || bad_name(device))
		return -ENOENT;
	return st->ops->device_unassign(st, user, device);
}

/* ---- certificates ---- */

/* one line of text that fits a char[size] (lib/sktext.h) */
static bool text_ok(const char *s, size_t size)
{
	return sk_text_ok(s, size - 1, false);
}

int sk_cert_add(struct sk_store *st, const struct sk_cert *c)
{
	size_t i;

	if (!c->serial[0] || !text_ok(c->serial, sizeof(c->serial)) ||
	    !text_ok(c->subject, sizeof(c->subject)) || !text_ok(c->user, sizeof(c->user)) ||
	    !text_ok(c->device, sizeof(c->device)))
		return -EINVAL;
	for (i = 0; c->serial[i]; i++)
		if (!strchr("0123456789abcdefABCDEF", c->serial[i]))
			return -EINVAL;
	if ((c->user[0] && bad_name(c->user)) || (c->device[0] && bad_name(c->device)))
		return -EINVAL;
	if (strspn(c->user_uid, "0123456789abcdef-") != strlen(c->user_uid))
		return -EINVAL;
	return st->ops->cert_add(st, c);
}

int sk_cert_get(struct sk_store *st, const char *serial, struct sk_cert *c)
{
	if (!serial || strnlen(serial, SK_NAME_MAX + 1) > SK_NAME_MAX)
		return -ENOENT;
	return st->ops->cert_get(st, serial, c);
}

int sk_cert_revoke(struct sk_store *st, const char *serial, int64_t when)
{
	if (!serial || strnlen(serial, SK_NAME_MAX + 1) > SK_NAME_MAX || when <= 0)
		return -EINVAL;
	return st->ops->cert_revoke(st, serial, when);
}

int sk_cert_list(struct sk_store *st, const char *user,
		 int (*fn)(const struct sk_cert *c, void *arg), void *arg)
{
	return st->ops->cert_list(st, user, fn, arg);
}

int sk_cert_revoke_for(struct sk_store *st, const char *user, const char *device,
		       const char *keep_serial, int64_t keep_profile, int64_t when)
{
	if ((!user && !device) || (user && bad_name(user)) || (device && bad_name(device)) ||
	    (keep_serial && strnlen(keep_serial, SK_NAME_MAX + 1) > SK_NAME_MAX) || when <= 0)
		return -EINVAL;
	return st->ops->cert_revoke_for(st, user, device, keep_serial, keep_profile, when);
}

/* ---- profiles ---- */

static bool profile_ok(const struct sk_profile *p)
{
	return !bad_name(p->user) && (!p->device[0] || !bad_name(p->device)) &&
	       p->state >= SK_PROFILE_MAIL_PENDING && p->state <= SK_PROFILE_EXPIRED &&
	       p->max_downloads >= 0 && p->downloads >= 0;
}

int sk_profile_add(struct sk_store *st, struct sk_profile *p)
{
	return profile_ok(p) ? st->ops->profile_add(st, p) : -EINVAL;
}

int sk_profile_find(struct sk_store *st, const uint8_t token_hash[32], struct sk_profile *p)
{
	return st->ops->profile_find(st, token_hash, p);
}

int sk_profile_update(struct sk_store *st, const struct sk_profile *p)
{
	return profile_ok(p) ? st->ops->profile_update(st, p) : -EINVAL;
}

int sk_profile_list(struct sk_store *st, int (*fn)(const struct sk_profile *p, void *arg), void *arg)
{
	return st->ops->profile_list(st, fn, arg);
}

/* ---- settings ---- */

int sk_setting_get(struct sk_store *st, const char *key, char *val, size_t len)
{
	const struct sk_setting_def *d = key ? sk_setting_find(key) : NULL;
	int rc;
	size_t n;

	if (!d || !len)
		return -EINVAL;
	rc = st->ops->setting_get(st, key, val, len);
	if (rc == -ENOENT && d->kind == SK_SET_PATH && d->def[0]) {
		/* a path's default is below the state directory */
		n = (size_t)snprintf(val, len, "%s%s%s", st->dir, strcmp(st->dir, "/") ? "/" : "",
				     d->def);
		return n >= len ? -ENOSPC : 0;
	}
	if (rc == -ENOENT) {
		n = strlen(d->def);
		if (n >= len)
			return -ENOSPC;
		memcpy(val, d->def, n + 1);
		return 0;
	}
	return rc;
}

const char *sk_store_dir(struct sk_store *st)
{
	return st->dir;
}

int sk_store_check_paths(struct sk_store *st, char *err, size_t errlen)
{
	const struct sk_setting_def *d = NULL;
	char val[SK_TEXT_MAX], why[SK_TEXT_MAX + 512];
	const char *sep = strcmp(st->dir, "/") ? "/" : "";
	int i, n, rc;

	for (d = sk_setting_defs(&n), i = 0; i < n; i++) {
		if (d[i].kind != SK_SET_PATH)
			continue;
		rc = sk_setting_get(st, d[i].key, val, sizeof(val));
		if (rc && rc != -ENOSPC)
			return sk_err(err, errlen, "%s: %s", d[i].key, strerror(-rc)), rc;
		if (!rc && !val[0] && !d[i].def[0])
			continue;	/* an optional path that is not set */
		if (rc || sk_setting_validate(&d[i], val, why, sizeof(why)) ||
		    sk_setting_path_ok(&d[i], st->dir, val, why, sizeof(why)))
			return sk_err(err, errlen,
				      "%s is %.200s%s, not below the state directory %s: root would give "
				      "that tree to the service user. Fix: sekictl --store %s settings "
				      "set %s %s%s%s (and move its files there)",
				      d[i].key, rc ? "too long" : val, "", st->dir, st->file,
				      d[i].key, st->dir, sep, d[i].def), -EPERM;
	}
	return 0;
}

int sk_setting_set(struct sk_store *st, const char *key, const char *val, char *err, size_t errlen)
{
	const struct sk_setting_def *d = key ? sk_setting_find(key) : NULL;
	int rc;

	if (!d)
		return sk_err(err, errlen, "unknown setting '%s'", key ? key : "");
	if ((rc = sk_setting_validate(d, val, err, errlen)))
		return rc;
	if (d->kind == SK_SET_PATH && (*val || *d->def) &&
	    (rc = sk_setting_path_ok(d, st->dir, val, err, errlen)))
		return rc;
	rc = st->ops->setting_set(st, key, val);
	if (rc)
		sk_err(err, errlen, "%s: %s", key, st->errmsg);
	return rc;
}

int sk_setting_int(struct sk_store *st, const char *key, int def)
{
	char buf[32], *end;
	long v;

	if (sk_setting_get(st, key, buf, sizeof(buf)))
		return def;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (!buf[0] || *end || errno || v < -2147483647L || v > 2147483647L)
		return def;
	return (int)v;
}

int sk_setting_list(struct sk_store *st, int (*fn)(const char *key, const char *val, void *arg),
		    void *arg)
{
	int i, n, rc;
	const struct sk_setting_def *d = sk_setting_defs(&n);
	char val[SK_TEXT_MAX];

	for (i = 0; i < n; i++) {
		if ((rc = sk_setting_get(st, d[i].key, val, sizeof(val))))
			return rc;
		if ((rc = fn(d[i].key, val, arg)))
			return rc;
	}
	return 0;
}

/* ---- directories ---- */

static bool directory_key_ok(const char *key)
{
	size_t i;

	if (!key || key[0] < 'a' || key[0] > 'z')
		return false;
	for (i = 0; key[i]; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') ||
		      key[i] == '-'))
			return false;
	return i <= 31;
}

int sk_directory_add(struct sk_store *st, const char *name, char *err, size_t errlen)
{
	int rc;

	if (!name || sk_valid_name("directory", name, err, errlen))
		return -EINVAL;
	rc = st->ops->directory_add(st, name, (int64_t)time(NULL));
	if (rc == -EEXIST)
		sk_err(err, errlen, "a directory named '%s' exists already", name);
	return rc;
}

int sk_directory_del(struct sk_store *st, const char *name)
{
	if (!name || sk_valid_name("directory", name, NULL, 0))
		return -EINVAL;
	return st->ops->directory_del(st, name);
}

int sk_directory_list(struct sk_store *st, int (*fn)(const char *name, void *arg), void *arg)
{
	if (!fn)
		return -EINVAL;
	return st->ops->directory_list(st, fn, arg);
}

int sk_directory_set(struct sk_store *st, const char *name, const char *key, const char *val,
		     char *err, size_t errlen)
{
	int rc;

	if (!name || sk_valid_name("directory", name, err, errlen))
		return -EINVAL;
	if (!directory_key_ok(key))
		return sk_err(err, errlen, "directory: '%.40s' is not a key (a-z 0-9 -, at most 31)",
			      key ? key : "");
	if (val && !*val)
		val = NULL;
	if (val && !sk_text_ok(val, SK_TEXT_MAX - 1, false))
		return sk_err(err, errlen, "directory %s: %s: %s", name, key,
			      sk_text_check(val, SK_TEXT_MAX - 1, false));
	rc = st->ops->directory_set(st, name, key, val);
	if (rc == -ENOENT)
		sk_err(err, errlen, "no directory '%s'", name);
	return rc;
}

int sk_directory_settings(struct sk_store *st, const char *name,
			  int (*fn)(const char *key, const char *val, void *arg), void *arg)
{
	if (!name || !fn || sk_valid_name("directory", name, NULL, 0))
		return -EINVAL;
	return st->ops->directory_settings(st, name, fn, arg);
}

int sk_group_directory_set(struct sk_store *st, const char *group, const char *dir)
{
	if (!group || sk_valid_name("group", group, NULL, 0) ||
	    (dir && *dir && sk_valid_name("directory", dir, NULL, 0)))
		return -EINVAL;
	return st->ops->group_directory_set(st, group, dir && *dir ? dir : NULL);
}

int sk_group_directory_get(struct sk_store *st, const char *group, char *dir, size_t len)
{
	if (!group || !dir || !len || sk_valid_name("group", group, NULL, 0))
		return -EINVAL;
	return st->ops->group_directory_get(st, group, dir, len);
}

int sk_user_directory_get(struct sk_store *st, const char *name, char *dir, size_t len)
{
	if (!name || !dir || !len || sk_valid_name("user", name, NULL, 0))
		return -EINVAL;
	return st->ops->user_directory_get(st, name, dir, len);
}

int sk_user_directory_set(struct sk_store *st, const char *name, const char *dir)
{
	if (!name || sk_valid_name("user", name, NULL, 0) ||
	    (dir && *dir && sk_valid_name("directory", dir, NULL, 0)))
		return -EINVAL;
	return st->ops->user_directory_set(st, name, dir && *dir ? dir : NULL);
}

/* ---- device posture ---- */

static bool posture_key_known(const char *key)
{
	const char *k;

	for (int i = 0; key && (k = sk_posture_policy_key(i, NULL)); i++)
		if (!strcmp(k, key))
			return true;
	return false;
}

int sk_posture_set(struct sk_store *st, enum sk_posture_scope scope, const char *name,
		   const char *key, const char *val, char *err, size_t errlen)
{
	struct sk_posture_policy p;
	int rc;

	if (scope != SK_PO_SCOPE_GROUP && scope != SK_PO_SCOPE_DEVICE)
		return -EINVAL;
	if (!name || sk_valid_name(scope ? "device" : "group", name, err, errlen))
		return -EINVAL;
	if (!posture_key_known(key)) {
		sk_err(err, errlen, "posture: unknown key '%.40s' (sekictl posture show lists them)",
		       key ? key : "");
		return -EINVAL;
	}
	if (val && !*val)
		val = NULL;
	if (val) {
		sk_posture_policy_default(&p);
		if (sk_posture_policy_set(&p, key, val, err, errlen))
			return -EINVAL;
	}
	rc = st->ops->posture_set(st, (int)scope, name, key, val);
	if (rc == -ENOENT)
		sk_err(err, errlen, "no %s '%s'", scope ? "device" : "group", name);
	return rc;
}

int sk_posture_list(struct sk_store *st, enum sk_posture_scope scope, const char *name,
		    int (*fn)(const char *key, const char *val, void *arg), void *arg)
{
	if ((scope != SK_PO_SCOPE_GROUP && scope != SK_PO_SCOPE_DEVICE) || !name || !fn)
		return -EINVAL;
	return st->ops->posture_list(st, (int)scope, name, fn, arg);
}

int sk_posture_last_set(struct sk_store *st, const char *device, const struct sk_posture_last *l)
{
	if (!device || !*device || !l || !memchr(l->report, 0, sizeof(l->report)) ||
	    !memchr(l->verdicts, 0, sizeof(l->verdicts)) || !memchr(l->outcome, 0, sizeof(l->outcome)))
		return -EINVAL;
	/* JSON texts made by the evaluator from validated fields: text again here */
	if (!sk_text_ok(l->report, sizeof(l->report) - 1, false) ||
	    !sk_text_ok(l->verdicts, sizeof(l->verdicts) - 1, false) ||
	    !sk_text_ok(l->outcome, sizeof(l->outcome) - 1, false))
		return -EINVAL;
	return st->ops->posture_last_set(st, device, l);
}

int sk_posture_last_get(struct sk_store *st, const char *device, struct sk_posture_last *l)
{
	if (!device || !l)
		return -EINVAL;
	return st->ops->posture_last_get(st, device, l);
}

/* ---- sessions and leases ---- */

static bool session_ok(const struct sk_session *s)
{
	return !bad_name(s->user) && (!s->group[0] || !bad_name(s->group)) &&
	       (!s->gateway[0] || !bad_name(s->gateway)) &&
	       (!s->device[0] || !bad_name(s->device)) && text_ok(s->addr4, sizeof(s->addr4)) &&
	       text_ok(s->addr6, sizeof(s->addr6)) && text_ok(s->remote, sizeof(s->remote)) &&
	       (!s->quarantine[0] || !bad_name(s->quarantine)) &&
	       text_ok(s->quarantine_why, sizeof(s->quarantine_why)) && s->pid >= 0;
}

int sk_session_add(struct sk_store *st, struct sk_session *s)
{
	if (!s->gateway[0])
		snprintf(s->gateway, sizeof(s->gateway), "%s", st->gateway);
	return session_ok(s) ? st->ops->session_add(st, s) : -EINVAL;
}

int sk_session_get(struct sk_store *st, int64_t id, struct sk_session *s)
{
	return st->ops->session_get(st, id, s);
}

int sk_session_find(struct sk_store *st, const uint8_t cookie_hash[32], struct sk_session *s)
{
	return st->ops->session_find(st, cookie_hash, s);
}

int sk_session_update(struct sk_store *st, const struct sk_session *s)
{
	return session_ok(s) ? st->ops->session_update(st, s) : -EINVAL;
}

int sk_session_del(struct sk_store *st, int64_t id)
{
	return st->ops->session_del(st, id);
}

int sk_session_list(struct sk_store *st, int (*fn)(const struct sk_session *s, void *arg), void *arg)
{
	return st->ops->session_list(st, fn, arg);
}

int sk_lease_get(struct sk_store *st, const char *user, int family, char *addr, size_t len)
{
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	return bad_name(user) ? -ENOENT : st->ops->lease_get(st, user, family, addr, len);
}

int sk_lease_set(struct sk_store *st, const char *user, int family, const char *addr)
{
	if ((family != AF_INET && family != AF_INET6) || bad_name(user) || !addr ||
	    strnlen(addr, SK_ADDR_MAX) >= SK_ADDR_MAX)
		return -EINVAL;
	return st->ops->lease_set(st, user, family, addr);
}

bool sk_lease_taken(struct sk_store *st, int family, const char *addr, const char *by_other_than_user)
{
	/* on a failure answer "taken": handing out an address twice is worse */
	return st->ops->lease_taken(st, family, addr, by_other_than_user ? by_other_than_user : "") != 0;
}

int sk_session_claim_addr(struct sk_store *st, int64_t id, int family, const char *addr)
{
	char text[INET6_ADDRSTRLEN];
	uint8_t bin[16];

	/* one spelling per address, or the unique index would not see a
	 * second "fd77:0::2" for "fd77::2" */
	if ((family != AF_INET && family != AF_INET6) || !addr || id <= 0 ||
	    inet_pton(family, addr, bin) != 1 || !inet_ntop(family, bin, text, sizeof(text)))
		return -EINVAL;
	return st->ops->session_claim_addr(st, id, family, text);
}

int sk_session_count(struct sk_store *st, const char *user, int *n)
{
	int64_t v;
	int rc;

	*n = 0;
	if (bad_name(user))
		return 0;
	rc = st->ops->session_count(st, user, &v);
	if (rc)
		return rc;
	*n = v > INT_MAX ? INT_MAX : (int)v;
	return 0;
}

int sk_gateway_beat(struct sk_store *st, int64_t started, int64_t now)
{
	return st->ops->gateway_beat(st, st->gateway, started, now);
}

int sk_gateway_reap(struct sk_store *st, int64_t before, int64_t now,
		    int (*fn)(const char *gateway, int64_t seen, int n, void *arg), void *arg)
{
	return st->ops->gateway_reap(st, st->gateway, before, now, fn, arg);
}

/* ---- audit ---- */

/* An audit field that is not one line of text (a user name a client sent
 * with a newline, broken UTF-8) is kept, escaped (\x0a): the record is
 * what happened, so it is written rather than refused, and it can forge
 * no line and break no JSON. */
static void audit_field(char *f, size_t size)
{
	char *tmp;

	if (!memchr(f, '\0', size))
		f[size - 1] = '\0';
	if (sk_text_ok(f, size - 1, false) || !(tmp = malloc(size)))
		return;
	sk_text_escape(f, tmp, size);
	memcpy(f, tmp, size);
	free(tmp);
}

int sk_audit_add(struct sk_store *st, const struct sk_audit *a)
{
	struct sk_audit *c;
	int rc;

	if (!a->type[0])
		return -EINVAL;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = *a;
	if (!c->gateway[0])
		snprintf(c->gateway, sizeof(c->gateway), "%s", st->gateway);
	audit_field(c->gateway, sizeof(c->gateway));
	audit_field(c->type, sizeof(c->type));
	audit_field(c->actor, sizeof(c->actor));
	audit_field(c->user, sizeof(c->user));
	audit_field(c->device, sizeof(c->device));
	audit_field(c->source, sizeof(c->source));
	audit_field(c->result, sizeof(c->result));
	/* detail is JSON text written by lib/skjson (always valid); anything
	 * else is kept as an escaped string */
	if (!sk_text_ok(c->detail, sizeof(c->detail) - 1, false)) {
		audit_field(c->detail, sizeof(c->detail));
		if (c->detail[0] == '{')
			c->detail[0] = '?';
	}
	rc = st->ops->audit_add(st, c);
	free(c);
	return rc;
}

int sk_audit_prune(struct sk_store *st, int64_t before, int64_t *deleted)
{
	int64_t n = 0;
	int rc;

	if (before <= 0)
		return -EINVAL;
	rc = st->ops->audit_prune(st, before, &n);
	if (deleted)
		*deleted = rc ? 0 : n;
	return rc;
}

int sk_audit_list(struct sk_store *st, const struct sk_audit_filter *f,
		  int (*fn)(const struct sk_audit *a, void *arg), void *arg)
{
	static const struct sk_audit_filter all;

	return st->ops->audit_list(st, f ? f : &all, fn, arg);
}
