// SPDX-License-Identifier: GPL-2.0
/*
 * skradius: a RADIUS directory's settings as the store keeps them
 * (KEY=VALUE, sk_directory_*, the same tables as LDAP directories), and
 * the check the login chain runs through sk_ldap_check for a directory of
 * type radius (Documentation/admin/directory.md, "RADIUS").
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
	"type", "server", "secret", "timeout", "retries", "nas-identifier",
	"framed-ip", "accounting", "interim-interval",
};

const char *sk_radius_key(int i)
{
	return i >= 0 && i < (int)(sizeof(keys) / sizeof(keys[0])) ? keys[i] : NULL;
}

static bool map_key(const char *key)
{
	return !strncmp(key, "map-", 4) && strlen(key) == 6 && key[4] >= '0' && key[4] <= '9' &&
	       key[5] >= '0' && key[5] <= '9' && (key[4] - '0') * 10 + key[5] - '0' >= 1 &&
	       (key[4] - '0') * 10 + key[5] - '0' <= SK_RADIUS_MAPS_MAX;
}

/* one KEY=VALUE into c (NULL: check only) */
static int apply(struct sk_radius_cfg *c, const char *key, const char *val, char *err, size_t errlen)
{
	struct sk_radius_cfg tmp;
	int rc = 0;

	if (!c) {
		sk_radius_cfg_defaults(&tmp);
		c = &tmp;
	}
	if (!sk_text_ok(val, SK_TEXT_MAX - 1, false)) {
		rc = sk_err(err, errlen, "%s: not one line of text", key);
	} else if (map_key(key)) {
		if (c->n_maps >= SK_RADIUS_MAPS_MAX)
			rc = sk_err(err, errlen, "at most %d map rules", SK_RADIUS_MAPS_MAX);
		else if (!(rc = sk_radius_parse_map(val, &c->maps[c->n_maps], err, errlen)))
			c->n_maps++;
	} else if (!strcmp(key, "type")) {
		if (strcmp(val, "radius"))
			rc = sk_err(err, errlen, "type: radius (a directory's type is not changed: "
				    "delete it and add it again)");
	} else if (!strcmp(key, "server")) {
		char buf[SK_TEXT_MAX], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", val);
		c->n_servers = 0;
		for (tok = strtok_r(buf, " ,", &save); tok && !rc; tok = strtok_r(NULL, " ,", &save)) {
			if (c->n_servers >= SK_RADIUS_SERVERS_MAX)
				rc = sk_err(err, errlen, "server: at most %d servers",
					    SK_RADIUS_SERVERS_MAX);
			else if (sk_radius_parse_server(tok, &c->servers[c->n_servers++]))
				rc = sk_err(err, errlen, "server: '%.80s' is not HOST, HOST:PORT or "
					    "[IPv6]:PORT", tok);
		}
		if (!rc && !c->n_servers)
			rc = sk_err(err, errlen, "server: at least one (HOST[:PORT])");
	} else if (!strcmp(key, "secret")) {
		if (!*val || strlen(val) > SK_RADIUS_SECRET_MAX)
			rc = sk_err(err, errlen, "secret: 1 to %d bytes", SK_RADIUS_SECRET_MAX);
		else
			snprintf(c->secret, sizeof(c->secret), "%s", val);
	} else if (!strcmp(key, "timeout")) {
		if ((c->timeout = sk_dir_num(val, 1, 30)) < 0)
			rc = sk_err(err, errlen, "timeout: 1 to 30 seconds per try");
	} else if (!strcmp(key, "retries")) {
		int n = sk_dir_num(val, 0, 4);

		if (n < 0)
			rc = sk_err(err, errlen, "retries: 0 to 4 (tries per server after the first)");
		c->tries = n + 1;
	} else if (!strcmp(key, "nas-identifier")) {
		if (strlen(val) >= SK_RADIUS_NASID_MAX)
			rc = sk_err(err, errlen, "nas-identifier: at most %d bytes",
				    SK_RADIUS_NASID_MAX - 1);
		else
			snprintf(c->nas_id, sizeof(c->nas_id), "%s", val);
	} else if (!strcmp(key, "framed-ip") || !strcmp(key, "accounting")) {
		bool yes = !strcmp(val, "yes");

		if (!yes && strcmp(val, "no"))
			rc = sk_err(err, errlen, "%s: yes or no", key);
		else if (key[0] == 'f')
			c->framed_ip = yes;
		else
			c->accounting = yes;
	} else if (!strcmp(key, "interim-interval")) {
		int n = sk_dir_num(val, 0, 86400);

		if (n < 0 || (n > 0 && n < 60))
			rc = sk_err(err, errlen, "interim-interval: 0 (none) or 60 to 86400 seconds "
				    "between Interim-Updates");
		else
			c->interim = n;
	} else {
		rc = sk_err(err, errlen, "unknown key '%.40s' for a RADIUS directory (type server "
			    "timeout retries nas-identifier framed-ip accounting interim-interval, "
			    "map-01..map-32; the secret with --secret-stdin)", key);
	}
	if (c == &tmp)
		sk_radius_cfg_wipe(&tmp);
	return rc;
}

int sk_radius_setting_check(const char *key, const char *val, char *err, size_t errlen)
{
	if (!key || !val)
		return -EINVAL;
	return apply(NULL, key, val, err, errlen);
}

struct load { struct sk_radius_cfg *c; int rc; char *err; size_t errlen; };

static int load_fn(const char *key, const char *val, void *arg)
{
	struct load *l = arg;

	if (!l->rc)
		l->rc = apply(l->c, key, val, l->err, l->errlen);
	return 0;
}

int sk_radius_cfg_load(struct sk_store *st, const char *name, struct sk_radius_cfg *c,
		       char *err, size_t errlen)
{
	struct load l = { .c = c, .err = err, .errlen = errlen };
	int rc;

	sk_radius_cfg_defaults(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	rc = sk_directory_settings(st, name, load_fn, &l);
	if (rc)
		return snprintf(err, errlen, "no directory '%s'", name), rc;
	if (l.rc)
		return l.rc;
	return sk_radius_cfg_check(c, err, errlen);
}

_Static_assert(SK_LDAP_PROMPT_MAX == SK_RADIUS_PROMPT_MAX && SK_LDAP_STATE_MAX == SK_RADIUS_STATE_MAX,
	       "a challenge fits the directory result");

/* A RADIUS answer (rc, rr) as the directory step's result r */
static int ldap_result(int rc, const struct sk_radius_result *rr, struct sk_ldap_result *r,
		       char *err, size_t errlen)
{
	if (rc)
		return rc;
	snprintf(r->uri, sizeof(r->uri), "radius://%s", rr->server);
	if (rr->outcome == SK_RADIUS_ACCEPT) {
		/* what an Accept says; a Reject's attributes mean nothing */
		r->dropped = rr->dropped;
		for (int i = 0; i < rr->n_values && r->n_groups < SK_LDAP_GROUPS_MAX; i++)
			snprintf(r->groups[r->n_groups++], sizeof(r->groups[0]), "%s=%s",
				 sk_radius_kind_name(rr->values[i].kind), rr->values[i].value);
		for (int i = 0; i < rr->n_mapped && i < SK_LDAP_MAPS_MAX; i++)
			snprintf(r->mapped[r->n_mapped++], sizeof(r->mapped[0]), "%s", rr->mapped[i]);
		if (rr->has_framed_ip)
			snprintf(r->framed_ip, sizeof(r->framed_ip), "%s", rr->framed_ip);
		r->session_timeout = rr->session_timeout;
		r->pw_checked = true;
		return 0;
	}
	if (rr->outcome == SK_RADIUS_REJECT)
		return snprintf(err, errlen, "%s: Access-Reject", rr->server), -EACCES;
	/* a challenge: its State (bounded by the codec) and prompt (validated
	 * text) for the next round; a challenge without State cannot be
	 * answered (RFC 2865 4.4 lets a server omit it, then it is lost) */
	if (!rr->state_len)
		return snprintf(err, errlen, "%s asked an Access-Challenge without State, which "
				"cannot be answered", rr->server), -EIO;
	memcpy(r->ch_state, rr->state, rr->state_len);
	r->ch_state_len = rr->state_len;
	snprintf(r->prompt, sizeof(r->prompt), "%s", rr->prompt);
	return snprintf(err, errlen, "%s: Access-Challenge (the login asks its answer in a "
			"second form; sekictl radius test answers it on stdin)", rr->server), -EINPROGRESS;
}

/*
 * A RADIUS directory in the login chain's directory step (sk_ldap_check
 * calls this for type radius): an Access-Accept is a right password and
 * the groups its Class / Filter-Id / Fortinet-Group-Name map to; a Reject
 * a wrong one; a Challenge -EINPROGRESS with its prompt and State, which
 * the chain asks in a form and answers with sk_radius_ldap_answer.
 */
int sk_radius_ldap_check(const struct sk_radius_cfg *c, const char *name, const char *pw,
			 struct sk_ldap_result *r, char *err, size_t errlen)
{
	struct sk_radius_result *rr;
	int rc;

	memset(r, 0, sizeof(*r));
	if (sk_ldap_normalize(name, r->account, sizeof(r->account), err, errlen))
		return -EINVAL;
	if (!pw)
		return snprintf(err, errlen, "a RADIUS directory cannot look a user up without a "
				"password"), -EINVAL;
	rr = calloc(1, sizeof(*rr));
	if (!rr)
		return -ENOMEM;
	rc = ldap_result(sk_radius_start(c, r->account, pw, rr, err, errlen), rr, r, err, errlen);
	sk_wipe(rr, sizeof(*rr));
	free(rr);
	return rc;
}

int sk_radius_ldap_answer(const struct sk_radius_cfg *c, const char *name, const uint8_t *state,
			  size_t state_len, const char *answer, struct sk_ldap_result *r,
			  char *err, size_t errlen)
{
	struct sk_radius_result *rr;
	uint8_t st[SK_RADIUS_STATE_MAX];
	int rc;

	if (!state || !state_len || state_len > sizeof(st) || !answer)
		return snprintf(err, errlen, "no challenge to answer"), -EINVAL;
	memcpy(st, state, state_len);	/* state may be r's own */
	memset(r, 0, sizeof(*r));
	if (sk_ldap_normalize(name, r->account, sizeof(r->account), err, errlen))
		return -EINVAL;
	rr = calloc(1, sizeof(*rr));
	if (!rr)
		return -ENOMEM;
	rc = ldap_result(sk_radius_cont(c, r->account, st, state_len, answer, rr, err, errlen),
			 rr, r, err, errlen);
	sk_wipe(rr, sizeof(*rr));
	free(rr);
	return rc;
}
