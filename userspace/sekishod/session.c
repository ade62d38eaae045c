// SPDX-License-Identifier: GPL-2.0
/*
 * Logins, sessions, cookies and address pools of sekishod's main process.
 *
 * A login in progress is a struct sk_login (skchain.h) found by the random
 * webvpncontext value the worker reports; it ends on success, on a fatal
 * refusal or after SKD_LOGIN_IDLE seconds idle.  A session begins at
 * success: the client gets a cookie (32 random bytes, base64url), the store
 * keeps only its SHA-256.  It lives in memory (struct skd_session) and as a
 * store row that `sekictl session list` shows.  A session whose tunnel
 * connection drops without BYE stays resumable for cookie_grace seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/sekisho.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "daemon.h"
#include "dircheck.h"
#include "radacct.h"
#include "skposture.h"

/* ---- address pools ---- */

int skd_pool_parse(const char *text, struct skd_pool *p)
{
	char buf[SK_ADDR_MAX], *slash, *end;
	long plen;
	int maxlen;

	memset(p, 0, sizeof(*p));
	if (!text || strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (inet_pton(AF_INET, buf, p->net) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->net) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	maxlen = p->family == AF_INET ? 32 : 128;
	plen = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || plen < 0 || plen > maxlen)
		return -EINVAL;
	p->plen = (int)plen;
	/* clear host bits: "10.10.5.1/24" means its network */
	for (int i = 0; i < maxlen / 8; i++) {
		int bits = p->plen - i * 8;

		if (bits <= 0)
			p->net[i] = 0;
		else if (bits < 8)
			p->net[i] &= (uint8_t)(0xff << (8 - bits));
	}
	return 0;
}

static int alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* a = net + n (n small, added to the low 32 bits) */
static void pool_nth(const struct skd_pool *p, uint32_t n, uint8_t out[16])
{
	int l = alen(p->family);
	uint32_t low, carry;

	memset(out, 0, 16);
	memcpy(out, p->net, l);
	memcpy(&low, out + l - 4, 4);
	low = ntohl(low);
	carry = low + n < low;
	low += n;
	low = htonl(low);
	memcpy(out + l - 4, &low, 4);
	for (int i = l - 5; carry && i >= 0; i--) {
		out[i]++;
		carry = out[i] == 0;
	}
}

void skd_pool_gateway(const struct skd_pool *p, uint8_t out[16])
{
	pool_nth(p, 1, out);
}

/* number of client addresses we consider: the gateway and (IPv4) the
 * network and broadcast addresses excluded, at most 65536 */
static uint32_t pool_size(const struct skd_pool *p)
{
	int hostbits = (p->family == AF_INET ? 32 : 128) - p->plen;

	if (p->family == AF_INET && hostbits < 2)
		return 0;
	if (p->family == AF_INET6 && hostbits < 2)
		return 0;
	if (hostbits >= 17)
		return 65536;
	return (1u << hostbits) - (p->family == AF_INET ? 3 : 2);
}

static bool in_prefix(const struct skd_pool *p, const uint8_t *a)
{
	int full = p->plen / 8, rest = p->plen % 8;

	if (memcmp(a, p->net, full))
		return false;
	return !rest || ((a[full] ^ p->net[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool skd_pool_usable(const struct skd_pool *p, const uint8_t *a)
{
	uint8_t first[16], x[16];
	uint32_t n = pool_size(p);

	if (!n || !in_prefix(p, a))
		return false;
	/* the offset from net+2 must be below the pool size */
	pool_nth(p, 2, first);
	memcpy(x, a, alen(p->family));
	{
		int l = alen(p->family);
		uint32_t xa, fa;

		if (memcmp(x, first, l - 4))
			return false;	/* offsets beyond 2^32 are not used */
		memcpy(&xa, x + l - 4, 4);
		memcpy(&fa, first + l - 4, 4);
		xa = ntohl(xa);
		fa = ntohl(fa);
		return xa >= fa && xa - fa < n;
	}
}

int skd_pool_pick(const struct skd_pool *p, const uint8_t *want, const uint8_t *lease,
		  skd_busy_fn busy, void *arg, uint8_t out[16])
{
	uint32_t n = pool_size(p);

	memset(out, 0, 16);
	if (want && skd_pool_usable(p, want) && !busy(arg, p->family, want)) {
		memcpy(out, want, alen(p->family));
		return 0;
	}
	if (lease && skd_pool_usable(p, lease) && !busy(arg, p->family, lease)) {
		memcpy(out, lease, alen(p->family));
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint8_t a[16];

		pool_nth(p, 2 + i, a);
		if (!busy(arg, p->family, a)) {
			memcpy(out, a, 16);
			return 0;
		}
	}
	return -ENOSPC;
}

/* ---- cookies and lookups ---- */

void skd_cookie_make(const uint8_t raw[32], char out[44])
{
	unsigned char b64[48];
	int n = EVP_EncodeBlock(b64, raw, 32);	/* 44 chars with one '=' */
	int j = 0;

	for (int i = 0; i < n && j < 43; i++) {
		if (b64[i] == '=')
			break;
		out[j++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	}
	out[j] = '\0';
	sk_wipe(b64, sizeof(b64));
}

void skd_cookie_hash(const char *cookie, uint8_t hash[32])
{
	SHA256((const unsigned char *)cookie, strlen(cookie), hash);
}

struct skd_session *skd_session_by_id(struct skd *d, int64_t id)
{
	for (int i = 0; i < SKD_MAX_SESSIONS; i++)
		if (d->sessions[i].used && d->sessions[i].id == id)
			return &d->sessions[i];
	return NULL;
}

/* every slot is compared, in constant time each: the time taken says
 * nothing about which bytes of a guessed cookie hash matched */
struct skd_session *skd_session_by_cookie(struct skd *d, const uint8_t hash[32])
{
	struct skd_session *found = NULL;

	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		struct skd_session *s = &d->sessions[i];
		bool eq = sk_ct_equal(s->cookie_hash, hash, 32);

		if (eq && s->used && !found)
			found = s;
	}
	return found;
}

struct skd_session *skd_session_by_appid(struct skd *d, const uint8_t app_id[32])
{
	struct skd_session *found = NULL;

	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		struct skd_session *s = &d->sessions[i];
		bool eq = sk_ct_equal(s->app_id, app_id, 32);

		if (eq && s->used && s->has_app_id && !found)
			found = s;
	}
	return found;
}

uint32_t skd_session_policy(struct skd *d, const struct skd_session *s)
{
	struct sk_policy pol;

	if (!s->quarantine[0])
		return skd_policy_for(d, s->group, s->device);
	/* the remediation allowlist; gone from the store: 0, which denies
	 * everything (never the group's full list for a quarantined tunnel) */
	if (sk_policy_get(d->st, s->quarantine, &pol) || pol.id <= 0 || pol.id > UINT32_MAX)
		return 0;
	return (uint32_t)pol.id;
}

/* a quarantined tunnel's banner: how to leave it without a new login
 * (the in-tunnel re-check, recheck.c), when the gateway listens for it */
static void recheck_hint(struct skd *d, const struct skd_session *s, char *notice, size_t nlen)
{
	char url[96], hint[400];
	size_t n = strlen(notice);
	int h;
	const char *ja = "直したら、VPN をつないだまま次を実行してください (再接続は不要です):";
	const char *en = "Once fixed, run this with the VPN still connected (no reconnect needed):";
	const char *lang = s->lang[0] ? s->lang : NULL;

	skd_recheck_url(d, s, url, sizeof(url));
	if (!url[0])
		return;
	h = snprintf(hint, sizeof(hint), "\n%s%s%s\n  sekisho-hostscan.sh --recheck %s",
		     !lang || !strcmp(lang, "ja") ? ja : "", !lang ? " / " : "",
		     !lang || strcmp(lang, "ja") ? en : "", url);
	/* whole or not at all: never a character cut in two */
	if (h > 0 && (size_t)h < sizeof(hint) && n + (size_t)h < nlen)
		memcpy(notice + n, hint, (size_t)h + 1);
}

/*
 * Posture at CONNECT (issue 12): openconnect does not run the CSD wrapper
 * again on a cookie reconnect, so the login's report is evaluated again
 * against the policy and the time of now (a policy change or definitions
 * that aged past the limit apply; a quarantine is lifted or imposed).
 * Returns NULL to go on (s->quarantine set or cleared; notice: the failed
 * check's message in the session's language for the banner of a
 * quarantined tunnel), or the refusal's message (msg, English: it goes
 * into the HTTP status line).
 */
static const char *posture_connect(struct skd *d, struct skd_session *s, struct skd_worker *w,
				   int64_t now, char *msg, size_t len, char *notice, size_t nlen)
{
	struct sk_posture_result res;
	char quar[SK_PO_NAME], err[256] = "", detail[SK_PO_VERDICT_JSON + 256];
	int rc;

	rc = sk_posture_decide(d->st, s->group, s->device, s->posture, now, &res, quar, err,
			       sizeof(err));
	if (rc < 0) {
		skd_audit(d, "posture", s->user, s->device, w->remote, "fail", "{\"reason\":\"policy\"}");
		snprintf(msg, len, "%s", sk_msg("internal", "en"));
		return msg;
	}
	if (rc > 0) {
		char v[SK_PO_VERDICT_JSON];
		const char *chk = res.shown >= 0 ? sk_po_check_name((unsigned int)res.shown) : "";

		if (sk_posture_result_json(&res, v, sizeof(v)))
			snprintf(v, sizeof(v), "{}");
		/* the audit trail of the verdict; the session's state itself
		 * goes to its store row (sessions.quarantine, at this CONNECT).
		 * A failing check is named in "factor", as in the login's and
		 * the re-check's records, so that the metrics count it by check
		 * (sekisho_posture_results_total); the first "factor" of the
		 * detail is the one counted, so it comes before the verdicts.
		 * "why" is that check and its reason, for a quarantine and a
		 * refusal alike */
		snprintf(detail, sizeof(detail),
			 "{\"at\":\"connect\",\"session\":%lld,%s%s%s\"quarantine\":\"%s\",\"why\":\"%s%s%s\",\"result\":%s}",
			 (long long)s->id, chk[0] ? "\"factor\":\"" : "", chk, chk[0] ? "\"," : "",
			 quar, chk, chk[0] ? ": " : "", chk[0] ? res.c[res.shown].reason : "", v);
		skd_audit(d, "posture", s->user, s->device, w->remote,
			  sk_po_overall_name(res.overall), detail);
	}
	if (res.overall == SK_PO_OVERALL_REFUSE && res.shown >= 0) {
		/* the HTTP status line (128 bytes): the English text, which
		 * cannot be cut inside a character */
		sk_posture_message(&res, res.shown, "en", msg, len);
		return msg;
	}
	snprintf(s->quarantine, sizeof(s->quarantine), "%s", quar);
	s->quarantine_why[0] = 0;
	notice[0] = 0;
	if (quar[0]) {
		snprintf(s->quarantine_why, sizeof(s->quarantine_why), "%s: %s",
			 sk_po_check_name((unsigned int)res.shown), res.c[res.shown].reason);
		sk_posture_message(&res, res.shown, s->lang[0] ? s->lang : NULL, notice, nlen);
		recheck_hint(d, s, notice, nlen);
	}
	return NULL;
}

uint32_t skd_policy_for(struct skd *d, const char *group, const char *device)
{
	char name[SK_NAME_MAX + 1] = "";
	struct sk_policy pol;

	if (device && device[0]) {
		struct sk_device dev;

		if (!sk_device_get(d->st, device, &dev) && dev.policy[0])
			snprintf(name, sizeof(name), "%s", dev.policy);
	}
	if (!name[0] && group && group[0]) {
		struct sk_group g;

		if (!sk_group_get(d->st, group, &g))
			snprintf(name, sizeof(name), "%s", g.policy);
	}
	if (!name[0] || sk_policy_get(d->st, name, &pol) || pol.id <= 0 || pol.id > UINT32_MAX)
		return 0;
	return (uint32_t)pol.id;
}

/* ---- logins ---- */

static struct skd_login *login_find(struct skd *d, const char *context)
{
	struct skd_login *found = NULL;

	if (!context[0])
		return NULL;
	for (int i = 0; i < SKD_MAX_LOGINS; i++) {
		bool eq = sk_ct_streq(d->logins[i].context, context);

		if (eq && d->logins[i].used && !d->logins[i].dead && !found)
			found = &d->logins[i];
	}
	return found;
}

static void pending_drop(struct skd_login *lg)
{
	if (lg->pending) {
		sk_wipe(lg->pending, lg->pending_len);	/* the password */
		free(lg->pending);
	}
	lg->pending = NULL;
	lg->pending_len = 0;
}

/* A login on a hashing thread is only marked: skd_on_hashed frees it. */
static void login_free(struct skd_login *lg)
{
	if (lg->hashing) {
		lg->dead = true;
		return;
	}
	pending_drop(lg);
	if (lg->l)
		sk_login_free(lg->l);
	memset(lg, 0, sizeof(*lg));
}

/*
 * A slot for a new login of the client of w, or NULL with *why the refusal
 * (a message key).  The connection's own oldest login makes room for its
 * next one (a client starting over); a source at SKD_LOGINS_PER_SOURCE or
 * a full table refuses the newcomer: another client's login in progress
 * (say one waiting for its e-mailed code) is never evicted.
 */
static struct skd_login *login_new(struct skd *d, const struct skd_worker *w, const char *lang,
				   X509 *cert, int64_t now, const char **why)
{
	struct skd_login *lg = NULL, *own_oldest = NULL;
	struct skd_source src;
	int n_src = 0, n_own = 0, widx = (int)(w - d->workers);
	uint8_t raw[16];

	*why = "internal";
	/* a shared store that cannot be reached (the listener lost it):
	 * nothing of a login could be checked or kept; running tunnels go on */
	if (d->listen && !sk_listen_up(d->listen)) {
		*why = "store-down";
		return NULL;
	}
	skd_source_of(&w->peer, &src);
	for (int i = 0; i < SKD_MAX_LOGINS; i++) {
		struct skd_login *x = &d->logins[i];

		if (!x->used) {
			if (!lg)
				lg = x;
			continue;
		}
		if (x->dead || !skd_source_eq(&x->src, &src))
			continue;
		n_src++;
		if (x->owner.idx == widx && x->owner.pid == w->pid) {
			n_own++;
			if (!x->hashing && (!own_oldest || x->last < own_oldest->last))
				own_oldest = x;
		}
	}
	if (n_own >= SKD_LOGINS_PER_CONN && own_oldest) {
		login_free(own_oldest);
		lg = own_oldest;
	} else if (n_own >= SKD_LOGINS_PER_CONN) {
		return NULL;	/* all of its own are being hashed */
	} else if (n_src >= SKD_LOGINS_PER_SOURCE) {
		*why = "busy-source";
		return NULL;
	} else if (!lg) {
		*why = "busy";
		return NULL;
	}
	if (sk_random(raw, sizeof(raw)))
		return NULL;
	for (int i = 0; i < 16; i++)
		snprintf(lg->context + 2 * i, 3, "%02x", raw[i]);
	lg->l = sk_login_new(&d->chain, w->remote, lang, cert, NULL);
	if (!lg->l) {
		memset(lg, 0, sizeof(*lg));
		return NULL;
	}
	lg->used = true;
	lg->last = now;
	lg->src = src;
	lg->owner.idx = widx;
	lg->owner.pid = w->pid;
	return lg;
}

/* a user's sessions on every gateway sharing the store (those of a dead
 * gateway too, until session.gateway_dead and session.grace end them);
 * this gateway's own when the store cannot say */
static int user_sessions(struct skd *d, const char *user)
{
	int n = 0;

	if (!sk_session_count(d->st, user, &n))
		return n;
	for (int i = 0; i < SKD_MAX_SESSIONS; i++)
		if (d->sessions[i].used && !strcmp(d->sessions[i].user, user))
			n++;
	return n;
}

/* the row is this gateway's (or nobody's yet) */
static bool row_mine(struct skd *d, const struct sk_session *r)
{
	return !r->gateway[0] || !strcmp(r->gateway, sk_store_gateway(d->st));
}

static struct skd_session *session_slot(struct skd *d)
{
	for (int i = 0; i < SKD_MAX_SESSIONS; i++)
		if (!d->sessions[i].used) {
			struct skd_session *s = &d->sessions[i];

			skd_session_clear(s);
			s->ev.kind = SKD_EV_SESSION_UDP;
			s->ev.idx = i;
			return s;
		}
	return NULL;
}

static void fatal_form(struct sk_form *f, const char *key, const char *lang)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->auth_id, sizeof(f->auth_id), "main");
	snprintf(f->title, sizeof(f->title), "sekisho");
	snprintf(f->error, sizeof(f->error), "%s", sk_msg(key, lang && lang[0] ? lang : NULL));
}

/*
 * A newcomer the bounded tables (logins, host scans) cannot take: a fatal
 * form with why ("busy", "busy-source" or "internal"), audited unless it
 * was an internal error.
 */
static void refuse_full(struct skd *d, struct skd_worker *w, struct sk_ipc_auth_reply *rep,
			struct sk_form *form, const char *why, const char *table, const char *lang)
{
	char detail[96];

	rep->status = SK_AUTH_FATAL;
	fatal_form(form, why, lang);
	if (!strcmp(why, "store-down"))	/* no audit record can be written */
		syslog(LOG_WARNING, "login from %s refused: the store is unreachable (%s)",
		       w->remote, sk_listen_error(d->listen));
	if (!strcmp(why, "internal") || !strcmp(why, "store-down"))
		return;
	snprintf(detail, sizeof(detail), "{\"reason\":\"%s\",\"table\":\"%s\"}", why, table);
	skd_audit(d, "login", "", "", w->remote, "fail", detail);
}

/* SUCCESS: the session and its cookie; returns 0 or a message key */
static const char *session_create(struct skd *d, struct skd_worker *w, const struct sk_login *l,
				  const struct sk_login_result *r, int64_t now, char cookie[96])
{
	const struct sk_posture *po = sk_login_posture(l);
	struct sk_group g;
	struct skd_session *s;
	struct sk_session row;
	uint8_t raw[32];

	if (sk_group_get(d->st, r->group, &g))
		return "internal";
	if (g.max_sessions > 0 && user_sessions(d, r->user) >= g.max_sessions)
		return "too-many-sessions";
	s = session_slot(d);
	if (!s)
		return "internal";
	if (sk_random(raw, sizeof(raw)))
		return "internal";
	skd_cookie_make(raw, cookie);
	sk_wipe(raw, sizeof(raw));
	skd_cookie_hash(cookie, s->cookie_hash);

	memset(&row, 0, sizeof(row));
	memcpy(row.cookie_hash, s->cookie_hash, 32);
	snprintf(row.user, sizeof(row.user), "%s", r->user);
	snprintf(row.group, sizeof(row.group), "%s", r->group);
	snprintf(row.device, sizeof(row.device), "%s", r->device);
	snprintf(row.remote, sizeof(row.remote), "%s", w->remote);
	row.started = row.last_seen = now;
	row.expires = g.session_timeout > 0 ? now + g.session_timeout : 0;
	/* (issue 15) a RADIUS Accept's Session-Timeout bounds it too */
	row.expires = skd_radius_expires(row.expires, now, r->session_timeout);
	row.pid = 0;
	/* posture: a quarantined login's remediation allowlist and why */
	snprintf(row.quarantine, sizeof(row.quarantine), "%s", r->quarantine);
	if (r->quarantine[0])
		snprintf(row.quarantine_why, sizeof(row.quarantine_why), "%s: %s",
			 r->quarantine_check, r->quarantine_reason);
	if (sk_session_add(d->st, &row) || row.id <= 0 || row.id > UINT32_MAX) {
		sk_wipe(cookie, 96);
		skd_session_clear(s);
		return "internal";
	}
	s->used = true;
	s->id = row.id;
	snprintf(s->user, sizeof(s->user), "%s", r->user);
	snprintf(s->group, sizeof(s->group), "%s", r->group);
	/* the device the login matched: its policy override applies at CONNECT */
	snprintf(s->device, sizeof(s->device), "%s", r->device);
	snprintf(s->lang, sizeof(s->lang), "%s", r->lang);
	snprintf(s->remote, sizeof(s->remote), "%s", w->remote);
	s->started = s->last_seen = now;
	s->expires = row.expires;
	/* no tunnel yet: the cookie is good for the grace period until CONNECT */
	s->detached_at = now;
	/* posture: the login's verdict, and its report for the reconnects */
	snprintf(s->quarantine, sizeof(s->quarantine), "%s", r->quarantine);
	if (r->quarantine[0])
		snprintf(s->quarantine_why, sizeof(s->quarantine_why), "%s: %s", r->quarantine_check,
			 r->quarantine_reason);
	if (po && (s->posture = malloc(sizeof(*s->posture))))
		*s->posture = *po;
	snprintf(s->radius_dir, sizeof(s->radius_dir), "%s", r->radius_dir);
	snprintf(s->framed_ip, sizeof(s->framed_ip), "%s", r->framed_ip);
	return NULL;
}

/* Checks the variable part of an AUTH message and splits it. */
static int auth_parse(const uint8_t *msg, size_t len, const uint8_t **cert,
		      const char *names[16], const char *values[16])
{
	const struct sk_ipc_auth *a = (const void *)msg;
	const uint8_t *p = msg + sizeof(*a), *end = msg + len;

	if (len < sizeof(*a) || a->n_fields > 16 || a->cert_len > len - sizeof(*a) ||
	    a->client >= SK_PO_CLIENT_N)
		return -1;
	if (!memchr(a->context, 0, sizeof(a->context)) || !memchr(a->group, 0, sizeof(a->group)) ||
	    !memchr(a->group_path, 0, sizeof(a->group_path)) || !memchr(a->lang, 0, sizeof(a->lang)) ||
	    !memchr(a->sdesktop, 0, sizeof(a->sdesktop)))
		return -1;
	*cert = a->cert_len ? p : NULL;
	p += a->cert_len;
	for (uint32_t i = 0; i < a->n_fields * 2; i++) {
		size_t room = (size_t)(end - p);
		const uint8_t *nul = memchr(p, 0, room < 1025 ? room : 1025);

		if (!nul)
			return -1;
		if (i % 2)
			values[i / 2] = (const char *)p;
		else
			names[i / 2] = (const char *)p;
		p = nul + 1;
	}
	return p == end ? 0 : -1;	/* exact length */
}

static void auth_send(struct skd *d, struct skd_worker *w, struct sk_ipc_auth_reply *rep,
		      size_t rlen)
{
	skd_ipc_header(rep, SK_IPC_AUTH_REPLY, rlen);
	if (skd_ipc_send(w, rep, rlen, -1))
		skd_worker_kill(d, w, NULL);
	sk_wipe(rep, rlen);	/* the cookie */
	free(rep);
}

/* Keeps the round's message for the step after the hashing thread. */
static int pending_keep(struct skd *d, struct skd_worker *w, struct skd_login *lg,
			const uint8_t *msg, size_t len)
{
	uint8_t *copy = malloc(len);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	pending_drop(lg);
	lg->pending = copy;
	lg->pending_len = len;
	lg->widx = (int)(w - d->workers);
	lg->wpid = w->pid;
	return 0;
}

/*
 * Steps the round of lg that msg (an AUTH message auth_parse accepted)
 * posts, and fills rep.  false: the round waits for a hashing thread and
 * nothing is to be sent yet (skd_on_hashed steps it again).
 */
static bool auth_step(struct skd *d, struct skd_worker *w, struct skd_login *lg,
		      const uint8_t *msg, size_t len, struct sk_ipc_auth_reply *rep, int64_t now)
{
	const struct sk_ipc_auth *a = (const void *)msg;
	const char *names[16] = { 0 }, *values[16] = { 0 };
	struct sk_form *form = (struct sk_form *)(rep + 1);
	const char *lang = a->lang[0] ? a->lang : NULL;
	const uint8_t *cert_der;
	const char *group;
	enum sk_step step;

	if (auth_parse(msg, len, &cert_der, names, values)) {
		rep->status = SK_AUTH_FATAL;
		fatal_form(form, "internal", lang);
		login_free(lg);
		return true;
	}
	lg->last = now;
	snprintf(rep->context, sizeof(rep->context), "%s", lg->context);
	group = a->group[0] ? a->group : a->group_path[0] ? a->group_path : NULL;
	step = sk_login_step(lg->l, now, group, (int)a->n_fields, names, values, form);
	if (step == SK_STEP_HASH) {
		int slot = (int)(lg - d->logins);

		if (!pending_keep(d, w, lg, msg, len) && !skd_hashq_submit(d, slot))
			return false;
		/* no thread to take it: hash here, slower but correct */
		pending_drop(lg);
		sk_login_hash(lg->l);
		step = sk_login_step(lg->l, now, group, (int)a->n_fields, names, values, form);
	}
	if (step == SK_STEP_FORM) {
		rep->status = SK_AUTH_FORM;
	} else if (step == SK_STEP_SUCCESS) {
		struct sk_login_result r;
		const char *why = "internal";

		memset(&r, 0, sizeof(r));
		if (!sk_login_result(lg->l, &r))
			why = session_create(d, w, lg->l, &r, now, rep->cookie);
		if (why) {
			rep->status = SK_AUTH_FATAL;
			fatal_form(form, why, r.lang[0] ? r.lang : lang);
			skd_audit(d, "login", r.user, "", w->remote, why, "{}");
		} else {
			rep->status = SK_AUTH_SUCCESS;
			if (!form->auth_id[0])
				snprintf(form->auth_id, sizeof(form->auth_id), "success");
			skd_log("login: user %s group %s device %s from %s", r.user, r.group,
				r.device[0] ? r.device : "-", w->remote);
		}
		login_free(lg);
	} else {
		rep->status = SK_AUTH_FATAL;
		login_free(lg);
	}
	return true;
}

void skd_on_hashed(struct skd *d, int slot)
{
	struct skd_login *lg = &d->logins[slot];
	size_t rlen = sizeof(struct sk_ipc_auth_reply) + sizeof(struct sk_form);
	struct sk_ipc_auth_reply *rep;
	struct skd_worker *w;
	uint8_t *msg;
	size_t len;

	lg->hashing = false;
	if (lg->dead || !lg->used) {
		login_free(lg);
		return;
	}
	w = &d->workers[lg->widx];
	msg = lg->pending;
	len = lg->pending_len;
	lg->pending = NULL;
	lg->pending_len = 0;
	if (!msg)
		return;
	/* the client may have gone while its password was hashed: the
	 * login stays (its context cookie may come back) until it idles out */
	if (w->used && w->pid == lg->wpid && w->fd >= 0 && !w->tunnel) {
		rep = calloc(1, rlen);
		if (!rep)
			skd_worker_kill(d, w, "out of memory");
		else if (auth_step(d, w, lg, msg, len, rep, skd_now()))
			auth_send(d, w, rep, rlen);
		else
			free(rep);	/* hashed again (the stored hash changed) */
	}
	sk_wipe(msg, len);
	free(msg);
}

void skd_on_auth(struct skd *d, struct skd_worker *w, const uint8_t *msg, size_t len)
{
	const struct sk_ipc_auth *a = (const void *)msg;
	const char *names[16] = { 0 }, *values[16] = { 0 };
	const uint8_t *cert_der = NULL;
	struct sk_ipc_auth_reply *rep;
	struct sk_form *form;
	struct skd_login *lg;
	const struct sk_hostscan *report = NULL;
	const char *lang;
	int64_t now = skd_now();
	size_t rlen = sizeof(*rep) + sizeof(struct sk_form);
	unsigned int noscan = 0;

	if (w->tunnel || auth_parse(msg, len, &cert_der, names, values)) {
		skd_worker_fault(d, w, "malformed AUTH");
		return;
	}
	rep = calloc(1, rlen);
	if (!rep) {
		skd_worker_kill(d, w, "out of memory");
		return;
	}
	form = (struct sk_form *)(rep + 1);
	lang = a->lang[0] ? a->lang : NULL;
	lg = a->is_init ? NULL : login_find(d, a->context);
	if (a->is_init) {
		struct skd_login *old = login_find(d, a->context);

		if (old)
			login_free(old);	/* the client started over */
	}
	if (lg && lg->hashing) {
		/* the same login posted again from another connection while
		 * its password is being checked: one round at a time */
		rep->status = SK_AUTH_FATAL;
		fatal_form(form, "internal", lang);
		goto send;
	}
	if (a->is_init && skd_hostscan_on(d) && !a->sdesktop[0] && skd_hostscan_skips(d, a->client)) {
		/* a client that cannot run a CSD wrapper (libopenconnect on
		 * Windows, Cisco Secure Client) is not asked: asked, it would
		 * stop the login itself, before any message of ours.  It logs
		 * in with no report: the device check and the group's posture
		 * policy (report.outcome) decide, or, with posture off, it is
		 * refused with hostscan-unsupported (chain.c) */
		char detail[96];

		noscan = a->client;
		snprintf(detail, sizeof(detail), "{\"reason\":\"client-cannot-run\",\"client\":\"%s\"}",
			 sk_po_client_name(noscan));
		skd_audit(d, "hostscan", "", "", w->remote, "skip", detail);
	} else if (a->is_init && skd_hostscan_on(d)) {
		/* §3: a first init gets <host-scan> and no login; the re-POST
		 * after the scan (Cookie sdesktop=TOKEN) brings the report */
		struct skd_hscan *e;

		if (!a->sdesktop[0]) {
			rep->status = SK_AUTH_FORM;
			memset(form, 0, sizeof(*form));
			snprintf(form->auth_id, sizeof(form->auth_id), "main");
			snprintf(form->title, sizeof(form->title), "%.*s", (int)sizeof(form->title) - 1,
				 d->gateway_name[0] ? d->gateway_name : "sekisho");
			snprintf(form->message, sizeof(form->message), "%s", sk_msg("hostscan-wait", lang));
			switch (skd_hs_new(d, w, now, rep->hs_ticket, rep->hs_token)) {
			case 0:
				break;
			case -EBUSY:
				refuse_full(d, w, rep, form, "busy-source", "hostscans", lang);
				break;
			case -ENOSPC:
				refuse_full(d, w, rep, form, "busy", "hostscans", lang);
				break;
			default:
				refuse_full(d, w, rep, form, "internal", "hostscans", lang);
			}
			goto send;
		}
		e = skd_hs_find(d, w, a->sdesktop, now);
		if (!e || e->state != SKD_HS_HAVE) {
			/* no report (the wrapper did not run, failed, or sent
			 * garbage): the device check cannot pass */
			rep->status = SK_AUTH_FATAL;
			fatal_form(form, "device-check", lang);
			skd_audit(d, "login", "", "", w->remote, "fail",
				  e ? "{\"reason\":\"device-check\",\"hostscan\":\"no-report\"}" :
				      "{\"reason\":\"device-check\",\"hostscan\":\"unknown-token\"}");
			goto send;
		}
		report = &e->r;
	}
	if (!lg) {
		const char *why = "internal";
		X509 *cert = NULL;

		if (cert_der) {
			const uint8_t *p = cert_der;

			cert = d2i_X509(NULL, &p, (long)a->cert_len);
			/* an unparsable certificate is treated as none: the
			 * chain then refuses a "cert" factor with cert-missing */
		}
		lg = login_new(d, w, lang, cert, now, &why);
		X509_free(cert);
		if (!lg) {
			refuse_full(d, w, rep, form, why, "logins", lang);
			goto send;
		}
	}
	if (report)
		sk_login_set_device(lg->l, report);
	else if (noscan)
		sk_login_set_noscan(lg->l, noscan);
	if (!auth_step(d, w, lg, msg, len, rep, now)) {
		free(rep);	/* answered when the hashing thread is done */
		goto out;
	}
send:
	auth_send(d, w, rep, rlen);
out:
	sk_wipe((void *)msg, len);	/* the passwords and codes the client posted */
}

/* ---- CONNECT ---- */

struct busy_arg {
	struct skd *d;
	const char *user;
	const struct skd_session *self;
};

/*
 * Whether addr cannot be the session's.  The first address that passes is
 * also claimed here, in the store (sk_session_claim_addr): the database's
 * unique index refuses one that another session holds, on another gateway
 * sharing the store or of a previous run not resumed yet, including the
 * same user's other session; so skd_pool_pick returns an address that is
 * already the session's alone.
 */
static bool addr_busy(void *arg, int family, const uint8_t *addr)
{
	struct busy_arg *b = arg;
	char text[INET6_ADDRSTRLEN];

	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		const struct skd_session *s = &b->d->sessions[i];

		if (!s->used || s == b->self)
			continue;
		if (family == AF_INET && s->has4 && !memcmp(&s->addr4, addr, 4))
			return true;
		if (family == AF_INET6 && s->has6 && !memcmp(&s->addr6, addr, 16))
			return true;
	}
	inet_ntop(family, addr, text, sizeof(text));
	/* a failure of the store is "busy" too: never an address twice */
	return sk_lease_taken(b->d->st, family, text, b->user) ||
	       sk_session_claim_addr(b->d->st, b->self->id, family, text) != 0;
}

static int assign(struct skd *d, struct skd_session *s, const char *pool, int family,
		  const void *want)
{
	struct busy_arg b = { d, s->user, s };
	struct skd_pool p;
	char lease_text[SK_ADDR_MAX];
	uint8_t lease[16], out[16];
	bool has_lease = false;
	int ret;

	if (skd_pool_parse(pool, &p) || p.family != family)
		return -EINVAL;
	if (!sk_lease_get(d->st, s->user, family, lease_text, sizeof(lease_text)) &&
	    inet_pton(family, lease_text, lease) == 1)
		has_lease = true;
	ret = skd_pool_pick(&p, want, has_lease ? lease : NULL, addr_busy, &b, out);
	if (ret)
		return ret;
	inet_ntop(family, out, lease_text, sizeof(lease_text));
	sk_lease_set(d->st, s->user, family, lease_text);
	if (family == AF_INET) {
		memcpy(&s->addr4, out, 4);
		s->plen4 = p.plen;
		s->has4 = true;
	} else {
		memcpy(&s->addr6, out, 16);
		s->plen6 = p.plen;
		s->has6 = true;
	}
	return 0;
}

static void connect_reply_fd(struct skd *d, struct skd_worker *w, uint32_t status,
			     const char *reason, const struct skd_session *s, const char *headers,
			     uint32_t dpd, uint32_t ka, uint32_t mtu, int fd)
{
	size_t hl = headers ? strlen(headers) : 0;
	size_t len = sizeof(struct sk_ipc_connect_reply) + hl;
	struct sk_ipc_connect_reply *r = calloc(1, len);

	if (!r) {
		skd_worker_kill(d, w, NULL);
		return;
	}
	r->status = status;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	if (s) {
		r->session_id = (uint64_t)s->id;
		memcpy(r->app_id, s->app_id, 32);
	}
	r->dpd = dpd;
	r->keepalive = ka;
	r->mtu = mtu;
	r->headers_len = (uint32_t)hl;
	/* with the relay: hand the TLS connection to the kernel (ktls.c) */
	if (status == 200 && s)
		r->flags = skd_ktls_offer(d, w, s, fd);
	if (hl)
		memcpy(r + 1, headers, hl);
	skd_ipc_header(r, SK_IPC_CONNECT_REPLY, len);
	if (skd_ipc_send(w, r, len, fd))
		skd_worker_kill(d, w, NULL);
	free(r);
}

static void connect_reply(struct skd *d, struct skd_worker *w, uint32_t status,
			  const char *reason, const struct skd_session *s, const char *headers,
			  uint32_t dpd, uint32_t ka, uint32_t mtu)
{
	connect_reply_fd(d, w, status, reason, s, headers, dpd, ka, mtu, -1);
}

/* ---- the kernel peer ---- */

void skd_session_clear(struct skd_session *s)
{
	skd_dtlsw_forget(s);
	skd_dircheck_drop(s);
	free(s->posture);
	memset(s, 0, sizeof(*s));
	s->udp_fd = -1;
	s->stream_fd = -1;
}

static void stream_close(struct skd_session *s)
{
	if (s->stream_fd >= 0)
		close(s->stream_fd);
	s->stream_fd = -1;
	s->stream_ktls = false;
	s->ktls_at = 0;
}

void skd_session_peer_del(struct skd *d, struct skd_session *s)
{
	struct skd_kstats ks;

	if (!s->peer_live)
		return;
	s->peer_live = false;
	if (!d->have_kernel)
		return;
	if (!skd_kernel_peer_stats(&d->k, (uint32_t)s->id, &ks)) {
		s->rx_base += ks.rx_bytes;
		s->tx_base += ks.tx_bytes;
		s->rx_pbase += ks.rx_packets;
		s->tx_pbase += ks.tx_packets;
	} else {
		s->rx_base = s->rx_bytes;	/* the last refresh is all we know */
		s->tx_base = s->tx_bytes;
		s->rx_pbase = s->rx_pkts;
		s->tx_pbase = s->tx_pkts;
	}
	s->rx_bytes = s->rx_base;
	s->tx_bytes = s->tx_base;
	s->rx_pkts = s->rx_pbase;
	s->tx_pkts = s->tx_pbase;
	skd_kernel_peer_del(&d->k, (uint32_t)s->id);
}

int skd_session_peer_new(struct skd *d, struct skd_session *s, int udp_fd)
{
	struct skd_kpeer p = { 0 };
	int ret;

	skd_session_peer_del(d, s);
	if (!d->have_kernel)
		return -ENODEV;
	p.id = (uint32_t)s->id;
	p.fd = udp_fd;
	p.stream_fd = s->stream_fd;
	p.stream_ktls = s->stream_ktls;
	p.has4 = s->has4;
	memcpy(p.vpn4, &s->addr4, 4);
	p.has6 = s->has6;
	memcpy(p.vpn6, &s->addr6, 16);
	p.policy = s->policy;
	p.idle = s->idle > 0 ? (uint32_t)s->idle : 0;
	ret = skd_kernel_peer_new(&d->k, &p);
	if (!ret)
		s->peer_live = true;
	return ret;
}

/*
 * The CSTP data path of a tunnel: a packet socket pair, one end in the
 * kernel peer (PEER_STREAM), the other for the worker, which relays CSTP
 * DATA frames to and from it (one IP packet per message).  The kernel
 * checks and routes those packets as it does DTLS records.  Returns the
 * worker's end, or -1: no CSTP data path (no kernel, or a module without
 * PEER_STREAM); the tunnel then carries data over DTLS only.
 */
static int cstp_stream(struct skd *d, struct skd_session *s)
{
	/* the worker may queue a burst (TCP into the tunnel) without
	 * dropping; wmem_max caps it */
	int sp[2], ret, sndbuf = 1 << 20;

	/* a reconnect replaces the peer: the old DTLS keys belong to the
	 * old TLS session, the client makes a new DTLS handshake (§7.4) */
	skd_session_peer_del(d, s);
	stream_close(s);
	if (!d->have_kernel)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		syslog(LOG_ERR, "session %lld: CSTP relay socket pair: %m", (long long)s->id);
		return -1;
	}
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	s->stream_fd = sp[0];
	ret = skd_session_peer_new(d, s, -1);
	if (ret) {
		if (!d->stream_warned)
			syslog(LOG_ERR, "session %lld: kernel peer with the CSTP stream: %s; tunnels "
			       "without DTLS carry no data (is the sekisho module older than "
			       "sekishod?)", (long long)s->id, strerror(-ret));
		d->stream_warned = true;
		close(sp[0]);
		close(sp[1]);
		s->stream_fd = -1;
		return -1;
	}
	return sp[1];
}

/* ---- sessions across a restart (decisions/session-persistence.md) ---- */

/* the prefix length of the group's pool when addr is usable in it, else -1 */
static int pool_plen(const char *pool, int family, const uint8_t *addr)
{
	struct skd_pool p;

	if (!pool[0] || skd_pool_parse(pool, &p) || p.family != family || !skd_pool_usable(&p, addr))
		return -1;
	return p.plen;
}

/*
 * The session of row, which the store holds and memory does not: its
 * cookie was accepted by an earlier run of this gateway.  It goes into a
 * slot as a detached session with the address of its row (still in its
 * group's pool), and the CONNECT goes on as for a reconnect.  NULL: the
 * client was answered (401 or 503) and the row is gone if it cannot be
 * used again.
 */
static struct skd_session *session_adopt(struct skd *d, struct skd_worker *w,
					 const struct sk_session *row, int64_t now)
{
	const char *why = NULL, *msg = "cookie refused";
	struct skd_session *s;
	struct sk_group g;
	struct sk_user u;
	uint8_t a[16];
	char detail[96 + SK_NAME_MAX];
	int plen;

	if (row->id <= 0 || row->id > UINT32_MAX)
		why = "internal";
	else if (row->expires && now >= row->expires)
		why = "session-timeout", msg = "session expired";
	else if (sk_user_get(d->st, row->user, &u) || !u.enabled)
		why = "user-disabled";
	else if (sk_group_get(d->st, row->group, &g))
		why = "group-gone";
	if (why) {
		sk_session_del(d->st, row->id);
		skd_acct_row_end(d, row, why, now);	/* (issue 15) its RADIUS Stop */
		snprintf(detail, sizeof(detail), "{\"session\":%lld,\"reason\":\"%s\"}",
			 (long long)row->id, why);
		skd_audit(d, "connect", row->user, row->device, w->remote, "cookie-refused", detail);
		connect_reply(d, w, 401, msg, NULL, NULL, 0, 0, 0);
		return NULL;
	}
	s = session_slot(d);
	if (!s) {
		connect_reply(d, w, 503, "session table full / セッション表が満杯です", NULL, NULL,
			      0, 0, 0);
		return NULL;
	}
	s->used = true;
	s->id = row->id;
	memcpy(s->cookie_hash, row->cookie_hash, 32);
	snprintf(s->user, sizeof(s->user), "%s", row->user);
	snprintf(s->group, sizeof(s->group), "%s", row->group);
	snprintf(s->device, sizeof(s->device), "%s", row->device);
	snprintf(s->remote, sizeof(s->remote), "%s", row->remote);
	s->started = row->started;
	s->last_seen = now;
	s->expires = row->expires;
	s->detached_at = now;
	s->rx_bytes = s->rx_base = row->rx_bytes;
	s->tx_bytes = s->tx_base = row->tx_bytes;
	s->rx_pkts = s->rx_pbase = row->rx_pkts;
	s->tx_pkts = s->tx_pbase = row->tx_pkts;
	/* the address the row holds, if the group's pool still has it */
	if (row->addr4[0] && inet_pton(AF_INET, row->addr4, a) == 1 &&
	    (plen = pool_plen(g.pool4, AF_INET, a)) >= 0) {
		memcpy(&s->addr4, a, 4);
		s->plen4 = plen;
		s->has4 = true;
	}
	if (row->addr6[0] && inet_pton(AF_INET6, row->addr6, a) == 1 &&
	    (plen = pool_plen(g.pool6, AF_INET6, a)) >= 0) {
		memcpy(&s->addr6, a, 16);
		s->plen6 = plen;
		s->has6 = true;
	}
	/* a tunnel was up before (its session-start is recorded): no second
	 * one; its session-end comes when it ends */
	if (row->addr4[0] || row->addr6[0])
		s->tunnel_started = row->started;
	/* (issue 15) a RADIUS user's accounting goes on (radacct.c) */
	skd_acct_resume(d, s);
	/* the login's language and device report are not kept in the store:
	 * a posture check at this CONNECT sees no report (report-missing) */
	/* another gateway's row (its client came here): this CONNECT makes
	 * it ours, and the store announces the move ("moved ID"), on which
	 * that gateway ends its side of it (skd_session_recheck_row) */
	if (!row_mine(d, row)) {
		snprintf(detail, sizeof(detail), "{\"session\":%lld,\"from\":\"%s\",\"attached\":%s}",
			 (long long)s->id, row->gateway, row->pid ? "true" : "false");
		skd_log("session %lld of %s taken over from gateway %s%s", (long long)s->id, s->user,
			row->gateway, row->pid ? " (still attached there: it ends its side)" : "");
	} else {
		snprintf(detail, sizeof(detail), "{\"session\":%lld}", (long long)s->id);
	}
	skd_audit(d, "connect", s->user, s->device, w->remote, "resumed", detail);
	skd_log("session %lld of %s resumed from the store", (long long)s->id, s->user);
	return s;
}

/*
 * sekishod stops: each session stays in the store, detached (pid 0,
 * last_seen now, its counters), so that its client reconnects with its
 * cookie to the next run within session.grace.  Its worker, kernel peer
 * and sockets go; no session-end is recorded.  The number kept.
 */
int skd_sessions_suspend(struct skd *d)
{
	int64_t now = skd_now();
	int n = 0;

	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		struct skd_session *s = &d->sessions[i];
		struct sk_session row;

		if (!s->used)
			continue;
		if (s->w) {
			struct skd_worker *w = s->w;

			w->s = NULL;
			s->w = NULL;
			skd_worker_kill(d, w, "daemon-stop");
		}
		skd_session_peer_del(d, s);	/* adds the peer's counters */
		skd_session_udp_close(d, s);
		stream_close(s);
		if (!sk_session_get(d->st, s->id, &row)) {
			row.pid = 0;
			row.last_seen = now;
			row.rx_bytes = s->rx_bytes;
			row.tx_bytes = s->tx_bytes;
			row.rx_pkts = s->rx_pkts;
			row.tx_pkts = s->tx_pkts;
			if (!sk_session_update(d->st, &row))
				n++;
		}
		sk_wipe(s->cookie_hash, sizeof(s->cookie_hash));
		skd_session_clear(s);
	}
	return n;
}

struct sweep {
	struct skd *d;
	int64_t now;
	int grace;
	bool start, more;
	int n_del, n_detach, kept;
	struct {
		struct sk_session r;
		const char *reason;
	} del[256];
	int64_t detach[256];
};

static int sweep_row(const struct sk_session *r, void *arg)
{
	struct sweep *w = arg;
	const int max = (int)(sizeof(w->del) / sizeof(w->del[0]));

	/* another gateway's session is its business, detached or not (it
	 * may hold it in memory); a gateway that died loses its rows to the
	 * others after session.gateway_dead (skd_gateways_timer) */
	if (skd_session_by_id(w->d, r->id) || !row_mine(w->d, r))
		return 0;	/* in memory: its own timers end it */
	if (r->killed || (r->expires && w->now >= r->expires) ||
	    (!r->pid && w->now - r->last_seen >= w->grace)) {
		if (w->n_del >= max)
			goto full;
		w->del[w->n_del].r = *r;
		w->del[w->n_del].reason = r->killed ? "killed" : r->expires && w->now >= r->expires ?
					  "session-timeout" : "detached-timeout";
		w->n_del++;
		return 0;
	}
	if (w->start && r->pid) {
		/* attached when the previous run ended (SIGKILL, a crash):
		 * detached now, its grace starts now */
		if (w->n_detach >= max)
			goto full;
		w->detach[w->n_detach++] = r->id;
	}
	w->kept++;
	return 0;
full:
	w->more = true;
	return 1;
}

/*
 * The store's sessions that no slot holds: at start (start: true) those
 * of the previous run, later the ones whose client has not come back.
 * Killed, expired and detached ones older than session.grace are deleted;
 * at start, the ones a dead process left attached are marked detached
 * from now.  The rest wait for their client's CONNECT (session_adopt).
 * Returns how many rows were deleted; d->orphans is the number left.
 */
int skd_sessions_sweep(struct skd *d, int64_t now, bool start)
{
	struct sweep *w = calloc(1, sizeof(*w));
	int total = 0;

	if (!w)
		return 0;
	w->d = d;
	w->now = now;
	w->start = start;
	w->grace = sk_setting_int(d->st, "session.grace", 300);
	do {
		w->n_del = w->n_detach = w->kept = 0;
		w->more = false;
		if (sk_session_list(d->st, sweep_row, w) < 0)
			break;
		for (int i = 0; i < w->n_del; i++) {
			const struct sk_session *r = &w->del[i].r;
			char detail[160];

			if (sk_session_del(d->st, r->id))
				continue;
			total++;
			/* the tunnel's session-start has its end (the counters
			 * are the row's; duration up to now) */
			snprintf(detail, sizeof(detail),
				 "{\"reason\":\"%s\",\"session\":%lld,\"duration\":%lld}",
				 w->del[i].reason, (long long)r->id, (long long)(now - r->started));
			if (r->addr4[0] || r->addr6[0])
				skd_audit(d, "session-end", r->user, r->device, r->remote,
					  w->del[i].reason, detail);
			/* (issue 15) and a RADIUS user's accounting its Stop */
			skd_acct_row_end(d, r, w->del[i].reason, now);
		}
		for (int i = 0; i < w->n_detach; i++) {
			struct sk_session row;

			if (!sk_session_get(d->st, w->detach[i], &row)) {
				row.pid = 0;
				row.last_seen = now;
				sk_session_update(d->st, &row);
			}
		}
	} while (w->more && (w->n_del || w->n_detach));
	d->orphans = w->kept + (w->more ? 1 : 0);
	free(w);
	return total;
}

void skd_on_connect(struct skd *d, struct skd_worker *w, const struct sk_ipc_connect *m)
{
	struct skd_connect_params cp = { 0 };
	struct skd_session *s;
	struct sk_session row;
	struct sk_group g;
	uint8_t hash[32];
	char cookie[sizeof(m->cookie)], pac[SK_URL_MAX + 128], base[SK_URL_MAX] = "";
	char *headers;
	int64_t now = skd_now();
	int base_mtu, mtu, n, sfd;
	char pmsg[128], notice[SK_TEXT_MAX / 2];

	if (w->tunnel || !memchr(m->cookie, 0, sizeof(m->cookie)) ||
	    !memchr(m->hostname, 0, sizeof(m->hostname))) {
		skd_worker_fault(d, w, "malformed CONNECT");
		return;
	}
	memcpy(cookie, m->cookie, sizeof(cookie));
	skd_cookie_hash(cookie, hash);
	sk_wipe(cookie, sizeof(cookie));
	s = skd_session_by_cookie(d, hash);
	/* the store decides too: an administrator may have killed the session
	 * from another sekictl --store process; a store that cannot be
	 * reached ends nothing (the client tries again) */
	n = sk_session_find(d->st, hash, &row);
	if (n && n != -ENOENT) {
		connect_reply(d, w, 503, "the gateway cannot reach its store; try again", NULL, NULL,
			      0, 0, 0);
		return;
	}
	if (n || row.killed || (s && row.id != s->id)) {
		if (s)
			skd_session_end(d, s, "killed");
		skd_audit(d, "connect", "", "", w->remote, "cookie-refused", "{}");
		connect_reply(d, w, 401, "cookie refused", NULL, NULL, 0, 0, 0);
		return;
	}
	/* a session of the store that memory does not hold: this gateway
	 * restarted since its login (session_adopt) */
	if (!s && !(s = session_adopt(d, w, &row, now)))
		return;
	if (s->expires && now >= s->expires) {
		skd_session_end(d, s, "session-timeout");
		connect_reply(d, w, 401, "session expired", NULL, NULL, 0, 0, 0);
		return;
	}
	if (sk_group_get(d->st, s->group, &g)) {
		connect_reply(d, w, 503, "group no longer exists", NULL, NULL, 0, 0, 0);
		return;
	}
	/* a reconnect supersedes a half-dead older connection (§7.4) */
	if (s->w && s->w != w) {
		struct skd_worker *old = s->w;

		old->s = NULL;
		s->w = NULL;
		skd_worker_kill(d, old, old->dtls_only ? NULL : "superseded by a new connection");
	}
	/* the PSK of the old TLS connection: this one's comes with its KTLS */
	skd_dtlsw_forget(s);
	if (s->framed_ip[0] && !s->has4) {
		/* the RADIUS Accept's Framed-IP-Address (radacct.c), or a refusal */
		struct busy_arg b = { d, s->user, s };
		const char *why = skd_framed_ip(d, s, g.pool4, addr_busy, &b);

		if (why) {
			skd_audit(d, "connect", s->user, s->device, w->remote, why, "{}");
			connect_reply(d, w, 503, !strcmp(why, "framed-ip-in-use") ?
				      "the address RADIUS assigned is in use / RADIUS が割り当てたアドレスは使用中です" :
				      "the address RADIUS assigned is not in the group's pool / RADIUS が割り当てたアドレスはグループのアドレスプールの外です",
				      NULL, NULL, 0, 0, 0);
			return;
		}
		sk_lease_set(d->st, s->user, AF_INET, s->framed_ip);
	}
	if (!s->has4 && g.pool4[0])
		assign(d, s, g.pool4, AF_INET, m->has_want4 ? (const void *)&m->want4 : NULL);
	if (m->ipv6 && !s->has6 && g.pool6[0])
		assign(d, s, g.pool6, AF_INET6, m->has_want6 ? (const void *)&m->want6 : NULL);
	if (!s->has4 && !(m->ipv6 && s->has6)) {
		skd_audit(d, "connect", s->user, s->device, w->remote, "pool-exhausted", "{}");
		connect_reply(d, w, 503, "no free address in the pool / アドレスプールに空きがありません",
			      NULL, NULL, 0, 0, 0);
		return;
	}
	if (sk_random(s->app_id, sizeof(s->app_id))) {
		connect_reply(d, w, 503, "internal error", NULL, NULL, 0, 0, 0);
		return;
	}
	s->has_app_id = true;
	if (posture_connect(d, s, w, now, pmsg, sizeof(pmsg), notice, sizeof(notice))) {
		skd_session_end(d, s, "posture");
		connect_reply(d, w, 401, pmsg, NULL, NULL, 0, 0, 0);
		return;
	}
	s->policy = skd_session_policy(d, s);
	s->idle = g.idle_timeout;

	base_mtu = d->conf.mtu;
	if (m->base_mtu >= 1280 && (int)m->base_mtu < base_mtu)
		base_mtu = (int)m->base_mtu;
	mtu = skd_connect_mtu(base_mtu, m->peer_v6);
	if (g.mtu > 0 && g.mtu < mtu)
		mtu = g.mtu;
	cp.g = &g;
	cp.has4 = s->has4;
	cp.addr4 = s->addr4;
	cp.plen4 = s->plen4;
	cp.has6 = m->ipv6 && s->has6;
	cp.addr6 = s->addr6;
	cp.plen6 = s->plen6;
	cp.base_mtu = base_mtu;
	cp.mtu = mtu;
	cp.dpd = sk_setting_int(d->st, "session.dpd", 30);
	cp.keepalive = sk_setting_int(d->st, "session.keepalive", 20);
	cp.rekey = d->conf.rekey_time;
	cp.session_left = s->expires ? s->expires - now : 0;
	cp.dtls = m->psk_negotiate && d->n_udp > 0;
	w->dtls_offered = cp.dtls;	/* none: the worker leaves after a kTLS hand-off */
	cp.dtls_port = d->conf.dtls_port;
	cp.app_id = s->app_id;
	s->dtls_base_mtu = (uint32_t)base_mtu;	/* for a DTLS worker (dtlsw.c) */
	s->dtls_mtu = (uint32_t)mtu;
	cp.notice = notice;
	if ((g.proxy_mode == SK_PROXY_SERVER || g.proxy_mode == SK_PROXY_NONE) &&
	    !sk_setting_get(d->st, "profile.base_url", base, sizeof(base)) && base[0]) {
		snprintf(pac, sizeof(pac), "%s/proxy/%s.pac", base, g.name);
		cp.pac_url = pac;
	}
	headers = malloc(SK_IPC_MAX / 2);
	if (!headers || (n = skd_connect_headers(&cp, headers, SK_IPC_MAX / 2)) < 0) {
		free(headers);
		connect_reply(d, w, 503, "internal error", NULL, NULL, 0, 0, 0);
		return;
	}
	if (s->w != w)
		s->dtls_starts = 0;	/* a new worker: none sent to it yet */
	s->dtls_confirm = false;	/* until this tunnel's DTLS keys */
	s->w = w;
	w->s = s;
	if (!w->tunnel) {
		w->tunnel = true;
		d->n_preauth--;
	}
	s->detached_at = 0;
	s->last_seen = now;
	snprintf(s->remote, sizeof(s->remote), "%s", w->remote);

	row.pid = w->pid;
	row.last_seen = now;
	snprintf(row.remote, sizeof(row.remote), "%s", w->remote);
	snprintf(row.gateway, sizeof(row.gateway), "%s", sk_store_gateway(d->st));
	/* posture: this CONNECT's verdict (posture_connect), imposed or lifted */
	snprintf(row.quarantine, sizeof(row.quarantine), "%s", s->quarantine);
	snprintf(row.quarantine_why, sizeof(row.quarantine_why), "%s",
		 s->quarantine[0] ? s->quarantine_why : "");
	if (s->has4)
		inet_ntop(AF_INET, &s->addr4, row.addr4, sizeof(row.addr4));
	if (s->has6)
		inet_ntop(AF_INET6, &s->addr6, row.addr6, sizeof(row.addr6));
	sk_session_update(d->st, &row);
	if (!s->tunnel_started) {
		char detail[512];

		s->tunnel_started = now;
		snprintf(detail, sizeof(detail),
			 "{\"addr4\":\"%s\",\"addr6\":\"%s\",\"device\":\"%s\",\"hostname_len\":%zu%s%s%s%s%s}",
			 row.addr4, row.addr6, s->device, strlen(m->hostname),
			 s->quarantine[0] ? ",\"quarantine\":\"" : "", s->quarantine,
			 s->quarantine[0] ? "\",\"quarantine_why\":\"" : "", s->quarantine_why,
			 s->quarantine[0] ? "\"" : "");
		skd_audit(d, "session-start", s->user, s->device, w->remote,
			  s->quarantine[0] ? "quarantined" : "ok", detail);
		skd_acct(d, s, SK_RADIUS_ACCT_START, NULL);
	}
	sfd = cstp_stream(d, s);
	connect_reply_fd(d, w, 200, "CONNECTED", s, headers, (uint32_t)cp.dpd,
			 (uint32_t)cp.keepalive, (uint32_t)mtu, sfd);
	if (sfd >= 0)
		close(sfd);	/* the worker has it now */
	free(headers);
}

/* ---- end of connections and sessions ---- */

static void detach(struct skd *d, struct skd_session *s, int64_t now)
{
	struct sk_session row;

	s->w = NULL;
	s->detached_at = now;
	if (!sk_session_get(d->st, s->id, &row) && row_mine(d, &row)) {
		row.pid = 0;
		row.last_seen = now;
		sk_session_update(d->st, &row);
	}
}

void skd_on_cstp_end(struct skd *d, struct skd_worker *w, const struct sk_ipc_cstp_end *m)
{
	struct skd_session *s = w->s;

	if (!w->tunnel) {
		/* only a tunnel ends with CSTP */
		skd_worker_fault(d, w, "CSTP_END without a tunnel");
		return;
	}
	w->ended = true;
	if (!s)
		return;
	w->s = NULL;
	if (s->w == w)
		s->w = NULL;	/* it is ending by itself: no KILL for it */
	if (m->reason == SK_END_BYE) {
		skd_session_end(d, s, "logout");
		return;
	}
	/* EOF, DPD, protocol error: the client reconnects with its cookie
	 * within the grace period; the kernel peer keeps the DTLS path up */
	detach(d, s, skd_now());
}

void skd_worker_gone(struct skd *d, struct skd_worker *w)
{
	if (w->gone)
		return;
	w->gone = true;
	if (w->recheck_sid) {
		skd_recheck_gone(d, w);	/* never counted among the logins */
		return;
	}
	if (!w->tunnel)
		d->n_preauth--;
	if (w->dtls_only)
		d->n_dtlsw--;
	if (w->s) {
		struct skd_session *s = w->s;

		w->s = NULL;
		if (s->w != w)
			return;
		/* a DTLS worker's end (its handshake failed, or it broke):
		 * the session stays as the kernel carries it */
		if (w->dtls_only) {
			s->w = NULL;
			skd_dtlsw_ended(d, s);
			return;
		}
		/*
		 * The kernel carries the session's TLS connection (kernel TLS):
		 * the client is still connected, so the session stays as if
		 * its worker had left by itself (no later DTLS handshake is
		 * answered until a reconnect brings a new one).  Detaching it
		 * ended it after session.grace under a client that never
		 * noticed (issue 16).
		 */
		if (s->stream_ktls && s->peer_live) {
			s->w = NULL;
			syslog(LOG_WARNING, "session %lld: worker %d ended by itself; the kernel "
			       "carries the session's TLS connection", (long long)s->id, (int)w->pid);
			return;
		}
		detach(d, s, skd_now());
	}
}

/*
 * What ties s to this gateway goes: its worker (unlinked first, so that
 * its end does not write the row; killed with reason, or with no
 * TERMINATE when reason is NULL), the kernel peer, the UDP socket and the
 * TLS stream.  The row stays, for the caller.
 */
static void session_unwire(struct skd *d, struct skd_session *s, const char *reason)
{
	if (s->w) {
		struct skd_worker *w = s->w;

		w->s = NULL;
		s->w = NULL;
		skd_worker_kill(d, w, reason);
	}
	skd_session_peer_del(d, s);
	skd_session_udp_close(d, s);
	stream_close(s);
	skd_dtlsw_forget(s);	/* the DTLS PSK of that TLS connection */
}

void skd_session_end(struct skd *d, struct skd_session *s, const char *reason)
{
	int64_t now = skd_now();
	struct sk_session row;
	char detail[512];

	/* another gateway took the session meanwhile (its notification not
	 * heard yet): its row and its end are that gateway's */
	if (!sk_session_get(d->st, s->id, &row) && !row_mine(d, &row)) {
		skd_session_release(d, s, row.gateway);
		return;
	}
	skd_ktls_bye(s, reason);	/* the worker cannot say it on kernel TLS */
	session_unwire(d, s, reason);
	skd_acct(d, s, SK_RADIUS_ACCT_STOP, reason);	/* the final counters */
	snprintf(detail, sizeof(detail),
		 "{\"reason\":\"%s\",\"duration\":%lld,\"rx_bytes\":%llu,\"tx_bytes\":%llu}",
		 reason, (long long)(s->tunnel_started ? now - s->tunnel_started : 0),
		 (unsigned long long)s->rx_bytes, (unsigned long long)s->tx_bytes);
	if (s->tunnel_started)
		skd_audit(d, "session-end", s->user, s->device, s->remote, reason, detail);
	skd_log("session %lld of %s ended: %s", (long long)s->id, s->user, reason);
	sk_session_del(d->st, s->id);
	sk_wipe(s->cookie_hash, sizeof(s->cookie_hash));
	skd_session_clear(s);
}

void skd_on_profile(struct skd *d, struct skd_worker *w, const struct sk_ipc_profile *m)
{
	struct sk_ipc_profile_reply *r;
	uint8_t *body = NULL;
	size_t blen = 0, len;
	char filename[64] = "", msg[1024] = "";
	int status;

	if (w->tunnel || !memchr(m->token, 0, sizeof(m->token))) {
		skd_worker_fault(d, w, "malformed PROFILE");
		return;
	}
	status = sk_admin_profile_fetch(d->st, m->token, skd_now(), &body, &blen,
					filename, sizeof(filename), msg, sizeof(msg));
	if (status == 200 && blen > SK_IPC_MAX - sizeof(*r)) {
		status = 500;
		snprintf(msg, sizeof(msg), "profile package too large");
	}
	if (status != 200) {
		sk_wipe(body, blen);
		free(body);
		body = (uint8_t *)msg;
		blen = strlen(msg);
	}
	len = sizeof(*r) + blen;
	r = calloc(1, len);
	if (r) {
		r->status = (uint32_t)status;
		snprintf(r->content_type, sizeof(r->content_type), "%s",
			 status == 200 ? "application/x-tar" : "text/plain; charset=utf-8");
		snprintf(r->filename, sizeof(r->filename), "%s", status == 200 ? filename : "");
		r->body_len = (uint32_t)blen;
		memcpy(r + 1, body, blen);
		skd_ipc_header(r, SK_IPC_PROFILE_REPLY, len);
		if (skd_ipc_send(w, r, len, -1))
			skd_worker_kill(d, w, NULL);
		sk_wipe(r, len);	/* the package holds a private key */
		free(r);
	}
	if (status == 200) {
		sk_wipe(body, blen);
		free(body);
	}
}

/*
 * GET /proxy/<group>.pac: the PAC that carries the group's "server" (host:port
 * with exclusions) or "none" proxy mode; the CONNECT reply points the client
 * at it (X-CSTP-MSIE-Proxy-PAC-URL).  Not secret: the same for every member.
 */
void skd_on_pac(struct skd *d, struct skd_worker *w, const struct sk_ipc_pac *m)
{
	struct {
		struct sk_ipc_profile_reply r;
		char body[4096];
	} rep = { 0 };
	struct sk_group g;
	int n = -1;

	if (w->tunnel || !memchr(m->group, 0, sizeof(m->group))) {
		skd_worker_fault(d, w, "malformed PAC");
		return;
	}
	if (!sk_group_get(d->st, m->group, &g) &&
	    (g.proxy_mode == SK_PROXY_SERVER || g.proxy_mode == SK_PROXY_NONE))
		n = skd_proxy_pac(&g, rep.body, sizeof(rep.body));
	if (n < 0 || (size_t)n >= sizeof(rep.body)) {
		rep.r.status = 404;
		n = snprintf(rep.body, sizeof(rep.body), "no proxy script for this group\n");
		snprintf(rep.r.content_type, sizeof(rep.r.content_type), "text/plain; charset=utf-8");
	} else {
		rep.r.status = 200;
		snprintf(rep.r.content_type, sizeof(rep.r.content_type),
			 "application/x-ns-proxy-autoconfig");
	}
	rep.r.body_len = (uint32_t)n;
	skd_ipc_header(&rep.r, SK_IPC_PROFILE_REPLY, sizeof(rep.r) + (size_t)n);
	if (skd_ipc_send(w, &rep, sizeof(rep.r) + (size_t)n, -1))
		skd_worker_kill(d, w, NULL);
}

/* ---- timers and kernel events ---- */

/* false: s went (its row is another gateway's now, or gone) */
static bool refresh_stats(struct skd *d, struct skd_session *s, int64_t now)
{
	struct skd_kstats ks;
	struct sk_session row;
	int rc;

	if (s->peer_live && d->have_kernel &&
	    !skd_kernel_peer_stats(&d->k, (uint32_t)s->id, &ks)) {
		s->rx_bytes = s->rx_base + ks.rx_bytes;
		s->tx_bytes = s->tx_base + ks.tx_bytes;
		s->rx_pkts = s->rx_pbase + ks.rx_packets;
		s->tx_pkts = s->tx_pbase + ks.tx_packets;
		if (ks.has_last_rx && ks.last_rx_ms / 1000 < (uint64_t)(now - s->last_seen))
			s->last_seen = now - (int64_t)(ks.last_rx_ms / 1000);
	}
	rc = sk_session_get(d->st, s->id, &row);
	if (rc == -ENOENT || (!rc && !row_mine(d, &row))) {
		/* the notification of the move was missed (the listener was
		 * down): this read is the backstop */
		skd_session_release(d, s, rc ? "" : row.gateway);
		return false;
	}
	if (!rc) {
		row.rx_bytes = s->rx_bytes;
		row.tx_bytes = s->tx_bytes;
		row.rx_pkts = s->rx_pkts;
		row.tx_pkts = s->tx_pkts;
		row.last_seen = s->last_seen;
		sk_session_update(d->st, &row);
	}
	return true;
}

void skd_session_release(struct skd *d, struct skd_session *s, const char *to)
{
	char detail[96 + SK_NAME_MAX];

	/* no TERMINATE: its client, if still there, may reconnect */
	session_unwire(d, s, NULL);
	snprintf(detail, sizeof(detail), "{\"session\":%lld,\"to\":\"%s\"}", (long long)s->id, to);
	skd_audit(d, "session-moved", s->user, s->device, s->remote, to[0] ? "moved" : "row-gone",
		  detail);
	if (to[0])
		skd_log("session %lld of %s moved to gateway %s: its worker and kernel peer here "
			"are gone", (long long)s->id, s->user, to);
	else
		skd_log("session %lld of %s is no longer in the store: its worker and kernel peer "
			"here are gone", (long long)s->id, s->user);
	sk_wipe(s->cookie_hash, sizeof(s->cookie_hash));
	skd_session_clear(s);
}

void skd_session_recheck_row(struct skd *d, struct skd_session *s)
{
	struct sk_session row;
	int rc = sk_session_get(d->st, s->id, &row);

	if (rc == -ENOENT)
		skd_session_release(d, s, "");
	else if (rc)
		return;
	else if (row.killed)
		skd_session_end(d, s, "killed-by-admin");
	else if (!row_mine(d, &row))
		skd_session_release(d, s, row.gateway);
}

struct reap {
	struct skd *d;
	int64_t now;
	int dead, n;
};

static int reaped(const char *gw, int64_t seen, int n, void *arg)
{
	struct reap *r = arg;
	char detail[160];

	r->n += n;
	snprintf(detail, sizeof(detail),
		 "{\"gateway\":\"%s\",\"last_beat\":%lld,\"silent\":%lld,\"sessions\":%d}", gw,
		 (long long)seen, (long long)(r->now - seen), n);
	skd_audit(r->d, "gateway", "", "", "", "silent", detail);
	syslog(LOG_WARNING, "gateway %s silent for %lld s (session.gateway_dead %d): its %d "
	       "sessions are this gateway's now, detached; their clients may reconnect here, "
	       "else session.grace ends them", gw, (long long)(r->now - seen), r->dead, n);
	return 0;
}

void skd_gateways_timer(struct skd *d, int64_t now)
{
	struct reap r = { d, now, sk_setting_int(d->st, "session.gateway_dead", 60), 0 };

	if (r.dead < 20)
		r.dead = 20;	/* two beats missed at least (a store written by psql) */
	/* no judgement of the others while our own beat cannot be written */
	if (sk_gateway_beat(d->st, d->started_at, now))
		return;
	if (!sk_gateway_reap(d->st, now - r.dead, now, reaped, &r) && r.n)
		d->orphans += r.n;	/* the sweep ends them after session.grace */
}

void skd_timers(struct skd *d, int64_t now)
{
	bool stats = now - d->last_stats >= SKD_STATS_EVERY;
	int grace = sk_setting_int(d->st, "session.grace", 300);
	int dtls_wait = sk_setting_int(d->st, "session.dtls_wait", 60);

	for (int i = 0; i < SKD_MAX_LOGINS; i++)
		if (d->logins[i].used && now - d->logins[i].last > SKD_LOGIN_IDLE)
			login_free(&d->logins[i]);
	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		struct skd_session *s = &d->sessions[i];

		if (!s->used)
			continue;
		if (s->expires && now >= s->expires) {
			skd_session_end(d, s, "session-timeout");
			continue;
		}
		if (s->detached_at && now - s->detached_at >= grace) {
			skd_session_end(d, s, "detached-timeout");
			continue;
		}
		skd_ktls_timer(d, s, now, dtls_wait);
		if (stats && !refresh_stats(d, s, now))
			continue;
		if (stats && s->radius_dir[0])
			skd_acct_timer(d, s, now);
		if (stats)
			skd_dircheck(d, s, now);	/* may end s */
	}
	if (stats)
		skd_gateways_timer(d, now);
	if (stats && d->orphans)
		skd_sessions_sweep(d, now, false);
	if (stats)
		d->last_stats = now;
}

void skd_kernel_event(void *arg, enum skd_kevent kind, uint32_t peer, uint32_t reason)
{
	struct skd *d = arg;
	struct skd_session *s = skd_session_by_id(d, peer);

	if (!s)
		return;
	if (kind == SKD_KEV_PEER_IDLE) {
		/* the kernel sends it after the session's idle timeout without
		 * a valid record or a packet from the CSTP relay */
		if (s->idle > 0)
			skd_session_end(d, s, "idle-timeout");
		return;
	}
	if (reason != SEKISHO_DEL_REASON_USERSPACE) {
		bool had_udp = s->udp_fd >= 0;

		/* gone with the counters since the last refresh: keep what
		 * we have as the base of the next peer */
		s->peer_live = false;
		s->rx_base = s->rx_bytes;
		s->tx_base = s->tx_bytes;
		s->rx_pbase = s->rx_pkts;
		s->tx_pbase = s->tx_pkts;
		skd_session_udp_close(d, s);
		/* a stream on kernel TLS: the client's goodbye or its end */
		if (skd_ktls_peer_gone(d, s, reason))
			return;
		/* the DTLS socket went, the tunnel did not: its CSTP data path
		 * comes back in a peer of its own (only after a peer with a
		 * UDP socket, so this cannot loop) */
		if (reason == SEKISHO_DEL_REASON_SOCKET_CLOSED && had_udp &&
		    (s->w || s->stream_ktls) && s->stream_fd >= 0 && d->have_kernel) {
			int ret = skd_session_peer_new(d, s, -1);

			if (ret)
				syslog(LOG_ERR, "session %lld: kernel peer (CSTP only): %s",
				       (long long)s->id, strerror(-ret));
		}
	}
}
