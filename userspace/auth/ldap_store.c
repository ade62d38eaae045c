// SPDX-License-Identifier: GPL-2.0
/*
 * skldap: a directory's settings as the store keeps them (KEY=VALUE,
 * sk_directory_*), checked one by one before they are stored and as a
 * whole when a check needs them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skauth.h"
#include "skldap.h"
#include "skradius.h"
#include "sktext.h"

static const char *const keys[] = {
	"type", "uri", "tls", "allow-plain", "ca-file", "bind-dn", "bind-password", "base",
	"filter", "mail-attr", "name-attr", "timeout", "nested", "lockout-threshold",
	"recheck-interval",
};

const char *sk_ldap_key(int i)
{
	return i >= 0 && i < (int)(sizeof(keys) / sizeof(keys[0])) ? keys[i] : NULL;
}

static int yesno(const char *v)
{
	if (!strcmp(v, "yes"))
		return 1;
	if (!strcmp(v, "no"))
		return 0;
	return -1;
}

int sk_dir_num(const char *v, int min, int max)
{
	char *end;
	long x;

	if (!*v || strlen(v) > 6)
		return -1;
	x = strtol(v, &end, 10);
	return *end || x < min || x > max ? -1 : (int)x;
}

/* map-NN = "GROUP DN" */
static int map_value(const char *v, struct sk_ldap_map *m, char *err, size_t errlen)
{
	const char *sp = strchr(v, ' ');
	size_t gl;

	if (!sp || sp == v)
		return snprintf(err, errlen, "a map rule is \"GROUP DN\""), -EINVAL;
	gl = (size_t)(sp - v);
	if (gl > SK_NAME_MAX)
		return snprintf(err, errlen, "map: the group name is too long"), -EINVAL;
	for (size_t i = 0; i < gl; i++)
		if (!(v[i] >= 'a' && v[i] <= 'z') && !(v[i] >= 'A' && v[i] <= 'Z') &&
		    !(v[i] >= '0' && v[i] <= '9') && !strchr("._-", v[i]))
			return snprintf(err, errlen, "map: '%.*s' is not a group name", (int)gl, v),
			       -EINVAL;
	while (*sp == ' ')
		sp++;
	if (!*sp || strlen(sp) >= SK_DN_MAX || !strchr(sp, '='))
		return snprintf(err, errlen, "map: '%.80s' is not a DN", sp), -EINVAL;
	if (m) {
		snprintf(m->group, sizeof(m->group), "%.*s", (int)gl, v);
		snprintf(m->dn, sizeof(m->dn), "%s", sp);
	}
	return 0;
}

static bool map_key(const char *key, int *n)
{
	if (strncmp(key, "map-", 4) || strlen(key) != 6 || key[4] < '0' || key[4] > '9' ||
	    key[5] < '0' || key[5] > '9')
		return false;
	*n = (key[4] - '0') * 10 + key[5] - '0';
	return *n >= 1 && *n <= SK_LDAP_MAPS_MAX;
}

/* one KEY=VALUE into c (c may be NULL: check only) */
static int apply(struct sk_ldap_cfg *c, const char *key, const char *val, char *err, size_t errlen)
{
	struct sk_ldap_cfg tmp;
	int n;

	if (!c) {
		sk_ldap_cfg_defaults(&tmp, SK_LDAP_OPENLDAP);
		c = &tmp;
	}
	if (!sk_text_ok(val, SK_TEXT_MAX - 1, false))
		return snprintf(err, errlen, "%s: not one line of text", key), -EINVAL;
	if (map_key(key, &n)) {
		if (c->n_maps >= SK_LDAP_MAPS_MAX)
			return snprintf(err, errlen, "at most %d map rules", SK_LDAP_MAPS_MAX), -EINVAL;
		return map_value(val, &c->maps[c->n_maps++], err, errlen);
	}
	if (!strcmp(key, "type")) {
		if (!(c->type = sk_ldap_type_from_name(val)))
			return snprintf(err, errlen, "type: ad or openldap"), -EINVAL;
	} else if (!strcmp(key, "uri")) {
		char buf[SK_TEXT_MAX], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", val);
		c->n_uris = 0;
		for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
			if (c->n_uris >= SK_LDAP_URIS_MAX)
				return snprintf(err, errlen, "uri: at most %d URIs", SK_LDAP_URIS_MAX),
				       -EINVAL;
			if (strlen(tok) >= SK_URL_MAX)
				return snprintf(err, errlen, "uri: too long"), -EINVAL;
			snprintf(c->uris[c->n_uris++], SK_URL_MAX, "%s", tok);
		}
		if (!c->n_uris)
			return snprintf(err, errlen, "uri: at least one (ldaps://host)"), -EINVAL;
	} else if (!strcmp(key, "tls")) {
		if (!(c->tls = sk_ldap_tls_from_name(val)))
			return snprintf(err, errlen, "tls: ldaps, starttls or plain"), -EINVAL;
	} else if (!strcmp(key, "allow-plain") || !strcmp(key, "nested")) {
		int b = yesno(val);

		if (b < 0)
			return snprintf(err, errlen, "%s: yes or no", key), -EINVAL;
		*(key[0] == 'a' ? &c->allow_plain : &c->nested) = b;
	} else if (!strcmp(key, "timeout")) {
		if ((c->timeout = sk_dir_num(val, 1, 60)) < 0)
			return snprintf(err, errlen, "timeout: 1 to 60 seconds"), -EINVAL;
	} else if (!strcmp(key, "recheck-interval")) {
		n = sk_dir_num(val, 0, 86400);
		if (n < 0 || (n > 0 && n < 10))
			return snprintf(err, errlen, "recheck-interval: 0 (never) or 10 to 86400 seconds "
					"between re-checks of a logged-in user"), -EINVAL;
		c->recheck = n;
	} else if (!strcmp(key, "lockout-threshold")) {
		if (sk_dir_num(val, 0, 1000) < 0)
			return snprintf(err, errlen, "lockout-threshold: the directory's own lockout "
					"threshold, 0 to 1000 (0 = none)"), -EINVAL;
	} else if (!strcmp(key, "ca-file") || !strcmp(key, "bind-dn") || !strcmp(key, "base") ||
		   !strcmp(key, "filter") || !strcmp(key, "mail-attr") || !strcmp(key, "name-attr") ||
		   !strcmp(key, "bind-password")) {
		char *dst = !strcmp(key, "ca-file") ? c->ca_file : !strcmp(key, "bind-dn") ? c->bind_dn :
			    !strcmp(key, "base") ? c->base : !strcmp(key, "filter") ? c->filter :
			    !strcmp(key, "mail-attr") ? c->attr_mail : !strcmp(key, "name-attr") ?
			    c->attr_name : c->bind_pw;
		size_t max = !strcmp(key, "ca-file") ? SK_URL_MAX : !strcmp(key, "filter") ?
			     SK_LDAP_FILTER_MAX : !strcmp(key, "mail-attr") || !strcmp(key, "name-attr") ?
			     SK_LDAP_ATTR_MAX : !strcmp(key, "bind-password") ? SK_LDAP_SECRET_MAX :
			     SK_DN_MAX;

		if (strlen(val) >= max)
			return snprintf(err, errlen, "%s: longer than %zu bytes", key, max - 1), -EINVAL;
		if (!strcmp(key, "ca-file") && val[0] != '/')
			return snprintf(err, errlen, "ca-file: an absolute path"), -EINVAL;
		if (!strcmp(key, "filter") && !sk_ldap_filter_ok(val))
			return snprintf(err, errlen, "filter: one parenthesised filter with exactly one "
					"%%s for the account name, e.g. (&(objectClass=person)(uid=%%s))"),
			       -EINVAL;
		if ((!strcmp(key, "mail-attr") || !strcmp(key, "name-attr")) && !sk_ldap_attr_ok(val))
			return snprintf(err, errlen, "%s: an attribute name (letters, digits, -)", key),
			       -EINVAL;
		snprintf(dst, max, "%s", val);
	} else {
		return snprintf(err, errlen, "unknown key '%.40s' (type uri tls allow-plain ca-file "
				"bind-dn base filter mail-attr name-attr timeout nested "
				"lockout-threshold recheck-interval, map-01..map-32)", key), -EINVAL;
	}
	if (c == &tmp)
		sk_ldap_cfg_wipe(&tmp);
	return 0;
}

int sk_ldap_setting_check(const char *key, const char *val, char *err, size_t errlen)
{
	if (!key || !val)
		return -EINVAL;
	return apply(NULL, key, val, err, errlen);
}

struct load { struct sk_ldap_cfg *c; int rc; char *err; size_t errlen; int lockout; };

static int load_fn(const char *key, const char *val, void *arg)
{
	struct load *l = arg;

	if (!strcmp(key, "lockout-threshold"))
		l->lockout = atoi(val);
	if (!l->rc)
		l->rc = apply(l->c, key, val, l->err, l->errlen);
	return 0;
}

static int type_fn(const char *key, const char *val, void *arg)
{
	if (!strcmp(key, "type"))
		snprintf(arg, 16, "%s", val);
	return 0;
}

int sk_ldap_dir_type(struct sk_store *st, const char *name)
{
	char t[16] = "";

	if (sk_directory_settings(st, name, type_fn, t))
		return -ENOENT;
	return !strcmp(t, "radius") ? SK_LDAP_RADIUS : sk_ldap_type_from_name(t);
}

int sk_ldap_cfg_load(struct sk_store *st, const char *name, struct sk_ldap_cfg *c,
		     int *dir_lockout, char *err, size_t errlen)
{
	struct load l = { .c = c, .err = err, .errlen = errlen };
	int rc;

	sk_ldap_cfg_defaults(c, 0);
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (dir_lockout)
		*dir_lockout = 0;
	if (sk_ldap_dir_type(st, name) == SK_LDAP_RADIUS) {
		/* a RADIUS directory: its own settings (auth/radius_store.c) */
		c->type = SK_LDAP_RADIUS;
		c->radius = calloc(1, sizeof(*c->radius));
		if (!c->radius)
			return snprintf(err, errlen, "out of memory"), -ENOMEM;
		rc = sk_radius_cfg_load(st, name, c->radius, err, errlen);
		c->timeout = c->radius->timeout;
		return rc;
	}
	rc = sk_directory_settings(st, name, load_fn, &l);
	if (dir_lockout)
		*dir_lockout = l.lockout;
	if (rc)
		return snprintf(err, errlen, "no directory '%s'", name), rc;
	if (l.rc)
		return l.rc;
	return sk_ldap_cfg_check(c, err, errlen);
}
