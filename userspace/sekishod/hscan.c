// SPDX-License-Identifier: GPL-2.0
/*
 * Host scans in sekishod's main process (settings device.hostscan; the
 * protocol is anyconnect-protocol.md §3, the behaviour
 * Documentation/admin/login-flow.md).
 *
 *   init (no sdesktop cookie)  -> skd_hs_new: ticket + token, <host-scan> reply
 *   token.xml?ticket=T         -> TICKET: the token of T
 *   scan.xml (sdesktop=TOKEN)  -> REPORT: the report the worker parsed
 *   wait.html (sdesktop=TOKEN) -> WAIT: done / still waiting / refused
 *   init (sdesktop=TOKEN)      -> skd_hs_find: the report goes into the login
 *   init of a client that cannot run a wrapper (device.hostscan_skip)
 *                              -> no scan: the login goes on without a report
 *
 * The table is bounded (SKD_MAX_HOSTSCANS) and entries expire after
 * SKD_HS_EXPIRE seconds.  A connection holds at most SKD_HS_PER_CONN scans
 * (its own oldest makes room), a source SKD_HS_PER_SOURCE; beyond that, or
 * with the table full, a new init is refused: one client's flood of inits
 * never evicts another client's scan.  Tokens and tickets are 128
 * random bits; the table keeps their SHA-256 for lookup (compared in
 * constant time) and the token itself only to answer token.xml.  A scan
 * is bound to the client address of its init: a report or a re-POST from
 * another address does not see it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "daemon.h"

bool skd_hostscan_on(struct skd *d)
{
	char v[8] = "";

	return !sk_setting_get(d->st, "device.hostscan", v, sizeof(v)) && !strcmp(v, "on");
}

bool skd_hostscan_skips(struct skd *d, unsigned int client)
{
	char v[128] = "";
	unsigned int mask;

	/* a value that cannot be read asks for the scan, as before */
	if (client <= SK_PO_CLIENT_OTHER || client >= SK_PO_CLIENT_N ||
	    sk_setting_get(d->st, "device.hostscan_skip", v, sizeof(v)) || sk_po_client_list(v, &mask))
		return false;
	return mask & (1u << client);
}

static void peer_addr(const struct skd_worker *w, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = w->peer.ss_family;
	if (w->peer.ss_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)&w->peer)->sin_addr, 4);
	else if (w->peer.ss_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)&w->peer)->sin6_addr, 16);
}

void skd_source_of(const struct sockaddr_storage *ss, struct skd_source *src)
{
	memset(src, 0, sizeof(*src));
	src->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		memcpy(src->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			src->family = AF_INET;
			memcpy(src->addr, a->s6_addr + 12, 4);
		} else {
			memcpy(src->addr, a->s6_addr, 8);	/* the /64 */
		}
	}
}

bool skd_source_eq(const struct skd_source *a, const struct skd_source *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool same_client(const struct skd_hscan *e, const struct skd_worker *w)
{
	uint8_t a[16];
	int fam;

	peer_addr(w, &fam, a);
	return fam == e->family && !memcmp(a, e->addr, 16);
}

static void hash_text(const char *s, uint8_t out[32])
{
	SHA256((const unsigned char *)s, strlen(s), out);
}

static void hs_free(struct skd_hscan *e)
{
	sk_wipe(e, sizeof(*e));
}

static bool live(const struct skd_hscan *e, int64_t now)
{
	return e->used && now - e->created < SKD_HS_EXPIRE && now >= e->created;
}

static int random_hex(char out[48])
{
	uint8_t raw[16];

	if (sk_random(raw, sizeof(raw)))
		return -EIO;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	sk_wipe(raw, sizeof(raw));
	return 0;
}

int skd_hs_new(struct skd *d, const struct skd_worker *w, int64_t now, char ticket[48],
	       char token[48])
{
	struct skd_hscan *e = NULL, *own_oldest = NULL;
	struct skd_source src;
	int n_src = 0, n_own = 0;

	skd_source_of(&w->peer, &src);
	for (int i = 0; i < SKD_MAX_HOSTSCANS; i++) {
		struct skd_hscan *x = &d->hscans[i];

		if (x->used && !live(x, now))
			hs_free(x);
		if (!x->used) {
			if (!e)
				e = x;
			continue;
		}
		if (!skd_source_eq(&x->src, &src))
			continue;
		n_src++;
		if (x->owner.idx == (int)(w - d->workers) && x->owner.pid == w->pid) {
			n_own++;
			if (!own_oldest || x->created < own_oldest->created)
				own_oldest = x;
		}
	}
	if (n_own >= SKD_HS_PER_CONN && own_oldest) {
		/* the connection starts over: its own oldest scan goes */
		hs_free(own_oldest);
		e = own_oldest;
	} else if (n_src >= SKD_HS_PER_SOURCE) {
		return -EBUSY;
	} else if (!e) {
		return -ENOSPC;	/* full: refuse rather than evict someone */
	}
	memset(ticket, 0, 48);
	memset(token, 0, 48);
	if (random_hex(ticket) || random_hex(token))
		return -EIO;
	e->used = true;
	e->state = SKD_HS_PENDING;
	e->created = now;
	hash_text(token, e->token_hash);
	hash_text(ticket, e->ticket_hash);
	snprintf(e->token, sizeof(e->token), "%s", token);
	peer_addr(w, &e->family, e->addr);
	e->src = src;
	e->owner.idx = (int)(w - d->workers);
	e->owner.pid = w->pid;
	return 0;
}

/* by token (ticket = false) or ticket; the whole table is scanned so the
 * time does not depend on where (or whether) the entry is */
static struct skd_hscan *find(struct skd *d, const struct skd_worker *w, const char *text,
			      bool ticket, int64_t now)
{
	struct skd_hscan *found = NULL;
	uint8_t h[32];

	if (!text[0])
		return NULL;
	hash_text(text, h);
	for (int i = 0; i < SKD_MAX_HOSTSCANS; i++) {
		struct skd_hscan *e = &d->hscans[i];
		bool eq = sk_ct_equal(ticket ? e->ticket_hash : e->token_hash, h, 32);

		if (eq && !found && live(e, now) && same_client(e, w))
			found = e;
	}
	return found;
}

struct skd_hscan *skd_hs_find(struct skd *d, const struct skd_worker *w, const char *token,
			      int64_t now)
{
	return find(d, w, token, false, now);
}

void skd_on_hostscan(struct skd *d, struct skd_worker *w, const struct sk_ipc_hostscan *m)
{
	struct sk_ipc_hostscan_reply rep;
	struct skd_hscan *e;
	int64_t now = skd_now();

	if (w->tunnel || !memchr(m->ticket, 0, sizeof(m->ticket)) ||
	    !memchr(m->token, 0, sizeof(m->token))) {
		skd_worker_fault(d, w, "malformed HOSTSCAN");
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rep.status = 403;
	switch (m->op) {
	case SK_HS_TICKET:
		e = find(d, w, m->ticket, true, now);
		rep.status = 404;
		if (e) {
			rep.status = 200;
			snprintf(rep.token, sizeof(rep.token), "%s", e->token);
		}
		break;
	case SK_HS_REPORT:
		e = find(d, w, m->token, false, now);
		if (!e || e->state != SKD_HS_PENDING)
			break;	/* unknown, or a report already came: the first one stands */
		if (m->bad) {
			e->state = SKD_HS_BAD;
			rep.status = 400;
			skd_audit(d, "hostscan", "", "", w->remote, "fail", "{\"reason\":\"malformed\"}");
			break;
		}
		e->r = m->report;
		sk_hostscan_terminate(&e->r);	/* strings from a worker */
		e->state = SKD_HS_HAVE;
		rep.status = 200;
		break;
	case SK_HS_WAIT:
		e = find(d, w, m->token, false, now);
		if (!e)
			break;
		if (e->state == SKD_HS_HAVE)
			rep.status = 200;
		else if (e->state == SKD_HS_PENDING && now - e->created < SKD_HS_WAIT)
			rep.status = 202;
		break;
	default:
		skd_worker_fault(d, w, "malformed HOSTSCAN");
		return;
	}
	skd_ipc_header(&rep, SK_IPC_HOSTSCAN_REPLY, sizeof(rep));
	if (skd_ipc_send(w, &rep, sizeof(rep), -1))
		skd_worker_kill(d, w, NULL);
	sk_wipe(&rep, sizeof(rep));
}
