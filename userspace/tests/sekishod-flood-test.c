// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 11 item 6: the anonymous tables of main (logins in progress,
 * session.c; host scans, hscan.c) under a flood of `init` requests.  Main's
 * real AUTH handler with a real store: a victim starts a login, then one
 * keep-alive connection posts thousands of inits, then many connections
 * from one source do; the victim's login must still go through, its host
 * scan must still be found, the flooding connection holds at most
 * SKD_LOGINS_PER_CONN logins, the source at most SKD_LOGINS_PER_SOURCE, and
 * the newcomer (never someone else) is refused with a message in both
 * languages.  Before the fix each init evicted the oldest login of anyone.
 * Then (issue 12) the same handler's rule for clients that cannot run a
 * CSD wrapper (settings device.hostscan_skip): not asked for the scan.
 * TAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

static struct tap t;
static struct skd d;
static int wend[SKD_MAX_WORKERS];
static char dir[] = "/tmp/sekishod-flood-test.XXXXXX";
static pid_t next_pid = 50000;
static uint8_t client;	/* the kind the worker read (enum sk_po_client) */

/* worker slot i becomes a new connection from addr (IPv4 or IPv6 text),
 * with a pid of its own: main tells connections apart by slot and pid */
static struct skd_worker *worker(int i, const char *addr)
{
	struct skd_worker *w = &d.workers[i];
	int sv[2];

	if (w->used && w->fd >= 0)
		close(w->fd);
	if (wend[i] > 0)
		close(wend[i]);
	wend[i] = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return NULL;
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->fd = sv[0];
	w->pid = next_pid++;
	wend[i] = sv[1];
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&w->peer;

		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		a->sin6_port = htons((uint16_t)(20000 + i));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&w->peer;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &a->sin_addr);
		a->sin_port = htons((uint16_t)(20000 + i));
	}
	skd_conf_addr_text(&w->peer, w->remote, sizeof(w->remote));
	return w;
}

/* posts an AUTH as worker i (init or auth-reply with up to two fields) and
 * returns main's answer in *rep / *form; the status, 0 if none */
static int post(int i, bool init, const char *context, const char *sdesktop,
		const char *n1, const char *v1, const char *n2, const char *v2,
		struct sk_ipc_auth_reply *rep, struct sk_form *form)
{
	static uint8_t buf[SK_IPC_MAX];
	struct sk_ipc_auth *a = (struct sk_ipc_auth *)buf;
	size_t len = sizeof(*a);
	const char *kv[4] = { n1, v1, n2, v2 };
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	a->is_init = init;
	a->client = client;
	snprintf(a->context, sizeof(a->context), "%s", context ? context : "");
	snprintf(a->group, sizeof(a->group), "staff");
	snprintf(a->lang, sizeof(a->lang), "en");
	snprintf(a->sdesktop, sizeof(a->sdesktop), "%s", sdesktop ? sdesktop : "");
	for (int k = 0; k < 4 && kv[k]; k++) {
		size_t l = strlen(kv[k]) + 1;

		memcpy(buf + len, kv[k], l);
		len += l;
		if (k % 2)
			a->n_fields++;
	}
	skd_ipc_header(a, SK_IPC_AUTH, len);
	skd_on_auth(&d, &d.workers[i], buf, len);
	n = recv(wend[i], buf, sizeof(buf), MSG_DONTWAIT);
	if (n < (ssize_t)(sizeof(*rep) + sizeof(*form)))
		return 0;
	memcpy(rep, buf, sizeof(*rep));
	memcpy(form, buf + sizeof(*rep), sizeof(*form));
	return (int)rep->status;
}

static int audit_line(const struct sk_audit *a, void *arg)
{
	fprintf(arg, "%s %s %s\n", a->type, a->result, a->detail);
	return 0;
}

static int logins_of(struct skd_worker *w)
{
	int n = 0;

	for (int i = 0; i < SKD_MAX_LOGINS; i++)
		if (d.logins[i].used && d.logins[i].owner.idx == (int)(w - d.workers) &&
		    d.logins[i].owner.pid == w->pid)
			n++;
	return n;
}

static int logins_used(void)
{
	int n = 0;

	for (int i = 0; i < SKD_MAX_LOGINS; i++)
		n += d.logins[i].used;
	return n;
}

static bool setup(void)
{
	static const struct sk_pw_params cheap = { 1, 8, 1 };
	char path[256], err[512];
	struct sk_group g;
	struct sk_user u;

	if (!mkdtemp(dir) || skd_init(&d))
		return false;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sk_store_open(path, &d.st, err, sizeof(err)))
		return false;
	sk_group_defaults(&g);
	snprintf(g.name, sizeof(g.name), "staff");
	snprintf(g.pool4, sizeof(g.pool4), "10.77.0.0/24");
	if (sk_group_add(d.st, &g, err, sizeof(err)))
		return false;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "victim");
	snprintf(u.group, sizeof(u.group), "staff");
	u.enabled = true;
	if (sk_pw_hash("Pw-victim-1", &cheap, u.pw_hash, sizeof(u.pw_hash)) ||
	    sk_user_add(d.st, &u, err, sizeof(err)))
		return false;
	snprintf(d.gateway_name, sizeof(d.gateway_name), "vpn.test");
	d.chain.st = d.st;
	d.chain.defer_hash = true;	/* no hashing threads: main hashes inline */
	d.chain.gateway_name = d.gateway_name;
	d.chain.cert_bind = SK_BIND_CN;
	return true;
}

int main(void)
{
	static struct sk_ipc_auth_reply rep;
	static struct sk_form form;
	char ctx[64], token[48], err[256];
	int st, forms = 0, refused = 0, max_own = 0;
	bool msg_ok = true;

	tap_begin();
	setlogmask(LOG_MASK(LOG_DEBUG) << 1);
	if (!setup()) {
		printf("Bail out! setup\n");
		return 1;
	}

	/* ---- logins in progress ---- */
	worker(0, "198.51.100.7");
	st = post(0, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
	snprintf(ctx, sizeof(ctx), "%s", rep.context);
	tap_ok(&t, st == SK_AUTH_FORM && ctx[0], "the victim's init gets a form and a context");

	worker(1, "203.0.113.9");
	for (int k = 0; k < 3 * SKD_MAX_LOGINS; k++) {
		st = post(1, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		forms += st == SK_AUTH_FORM;
		if (logins_of(&d.workers[1]) > max_own)
			max_own = logins_of(&d.workers[1]);
	}
	tap_ok(&t, forms == 3 * SKD_MAX_LOGINS,
	       "one keep-alive connection's %d inits are all answered (%d forms)", 3 * SKD_MAX_LOGINS,
	       forms);
	tap_ok(&t, max_own <= SKD_LOGINS_PER_CONN && logins_used() <= 1 + SKD_LOGINS_PER_CONN,
	       "that connection never holds more than %d logins in progress (held %d; %d in the "
	       "table)", SKD_LOGINS_PER_CONN, max_own, logins_used());

	/* many connections from one source */
	forms = refused = 0;
	for (int k = 0; k < 200; k++) {
		worker(2 + k % 50, "203.0.113.9");
		st = post(2 + k % 50, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		if (st == SK_AUTH_FORM) {
			forms++;
		} else if (st == SK_AUTH_FATAL) {
			refused++;
			msg_ok &= !strcmp(form.error, sk_msg("busy-source", "en"));
		}
	}
	tap_ok(&t, forms + logins_of(&d.workers[1]) <= SKD_LOGINS_PER_SOURCE && refused > 0 &&
	       msg_ok, "200 connections of one source: %d logins taken, %d refused with busy-source",
	       forms, refused);
	printf("# %s\n", form.error);
	tap_ok(&t, strstr(sk_msg("busy-source", "ja"), "数分") &&
	       strstr(sk_msg("busy-source", "en"), "Wait a few minutes") &&
	       strstr(sk_msg("busy", "ja"), "管理者") && strstr(sk_msg("busy", "en"), "administrator"),
	       "the refusals say what to do, in Japanese and English");
	/* an IPv6 client is one source per /64 */
	forms = refused = 0;
	for (int k = 0; k < 100; k++) {
		char a6[64];

		snprintf(a6, sizeof(a6), "2001:db8:1:2::%x", k + 1);
		worker(2 + k % 50, a6);
		st = post(2 + k % 50, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		forms += st == SK_AUTH_FORM;
		refused += st == SK_AUTH_FATAL;
	}
	tap_ok(&t, forms == SKD_LOGINS_PER_SOURCE && refused == 100 - SKD_LOGINS_PER_SOURCE,
	       "100 addresses of one IPv6 /64 are one source (%d taken, %d refused)", forms, refused);

	/* the victim's login survived all of it */
	st = post(0, false, ctx, NULL, "username", "victim", "password", "Pw-victim-1", &rep, &form);
	tap_ok(&t, st == SK_AUTH_SUCCESS && rep.cookie[0],
	       "the victim's login in progress was not evicted: its password round succeeds (%d %s)",
	       st, form.error);

	/* a full table refuses the newcomer, evicting nobody */
	{
		int k = 0, before;

		while (logins_used() < SKD_MAX_LOGINS && k < 4000) {
			char a[32];

			snprintf(a, sizeof(a), "10.%d.%d.1", 1 + k / 250, k % 250);
			worker(2 + k % 50, a);
			post(2 + k % 50, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
			k++;
		}
		before = logins_used();
		worker(0, "198.51.100.8");
		st = post(0, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		tap_ok(&t, before == SKD_MAX_LOGINS && st == SK_AUTH_FATAL &&
		       !strcmp(form.error, sk_msg("busy", "en")) && logins_used() == SKD_MAX_LOGINS,
		       "a full table refuses the newcomer with busy (%d in use), evicting nobody",
		       logins_used());
		for (int i = 0; i < SKD_MAX_LOGINS; i++)
			if (d.logins[i].used) {
				sk_login_free(d.logins[i].l);
				memset(&d.logins[i], 0, sizeof(d.logins[i]));
			}
	}

	/* ---- host scans ---- */
	if (sk_setting_set(d.st, "device.hostscan", "on", err, sizeof(err)))
		printf("# %s\n", err);
	worker(0, "198.51.100.7");
	st = post(0, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
	snprintf(token, sizeof(token), "%s", rep.hs_token);
	tap_ok(&t, st == SK_AUTH_FORM && token[0], "the victim's init starts a host scan");
	forms = refused = max_own = 0;
	worker(1, "203.0.113.9");
	for (int k = 0; k < 3 * SKD_MAX_HOSTSCANS; k++) {
		st = post(1, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		forms += st == SK_AUTH_FORM && rep.hs_token[0];
	}
	for (int k = 0; k < 200; k++) {
		worker(2 + k % 50, "203.0.113.9");
		st = post(2 + k % 50, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		refused += st == SK_AUTH_FATAL && !strcmp(form.error, sk_msg("busy-source", "en"));
	}
	{
		int n = 0;

		for (int i = 0; i < SKD_MAX_HOSTSCANS; i++)
			n += d.hscans[i].used;
		tap_ok(&t, forms == 3 * SKD_MAX_HOSTSCANS && n <= SKD_HS_PER_SOURCE + 1 && refused > 0,
		       "host scans: one connection's %d inits and 200 connections of its source hold "
		       "%d scans (%d refused with busy-source)", 3 * SKD_MAX_HOSTSCANS, n, refused);
	}
	tap_ok(&t, skd_hs_find(&d, &d.workers[0], token, skd_now()) != NULL,
	       "the victim's host scan was not evicted");

	/* ---- a client that cannot run a CSD wrapper (issue 12) ---- */
	{
		struct sk_audit_filter f = { .type = "hostscan" };
		char list[2048] = "";
		FILE *m = fmemopen(list, sizeof(list) - 1, "w");

		worker(3, "192.0.2.77");
		client = SK_PO_CLIENT_WINDOWS;
		st = post(3, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		snprintf(ctx, sizeof(ctx), "%s", rep.context);
		tap_ok(&t, st == SK_AUTH_FORM && !rep.hs_token[0] && ctx[0] && form.n_inputs > 0,
		       "Windows (default device.hostscan_skip): no host scan, the login form (%d inputs)",
		       form.n_inputs);
		st = post(3, false, ctx, NULL, "username", "victim", "password", "Pw-victim-1", &rep,
			  &form);
		tap_ok(&t, st == SK_AUTH_FATAL && strstr(form.error, "(openconnect / OpenConnect-GUI on "
							 "Windows) cannot run the device check"),
		       "its login with no report, posture off: refused, hostscan-unsupported (%s)",
		       form.error);
		if (m) {
			sk_audit_list(d.st, &f, audit_line, m);
			fclose(m);
		}
		tap_ok(&t, strstr(list, "skip {\"reason\":\"client-cannot-run\",\"client\":\"windows\"}") != NULL,
		       "audited: hostscan skip, client windows (%s)", list);
		client = SK_PO_CLIENT_CISCO;
		worker(3, "192.0.2.77");
		st = post(3, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		tap_ok(&t, st == SK_AUTH_FORM && !rep.hs_token[0], "Cisco Secure Client: no host scan");
		if (sk_setting_set(d.st, "device.hostscan_skip", "cisco", err, sizeof(err)))
			printf("# %s\n", err);
		client = SK_PO_CLIENT_WINDOWS;
		worker(3, "192.0.2.77");
		st = post(3, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		tap_ok(&t, st == SK_AUTH_FORM && rep.hs_token[0],
		       "device.hostscan_skip=cisco: a Windows client is asked for the scan again");
		client = SK_PO_CLIENT_OTHER;
		worker(3, "192.0.2.77");
		st = post(3, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		tap_ok(&t, st == SK_AUTH_FORM && rep.hs_token[0], "any other client is asked for the scan");
		if (sk_setting_set(d.st, "device.hostscan", "off", err, sizeof(err)))
			printf("# %s\n", err);
		client = SK_PO_CLIENT_CISCO;
		worker(3, "192.0.2.77");
		st = post(3, true, NULL, NULL, NULL, NULL, NULL, NULL, &rep, &form);
		snprintf(ctx, sizeof(ctx), "%s", rep.context);
		st = post(3, false, ctx, NULL, "username", "victim", "password", "Pw-victim-1", &rep,
			  &form);
		tap_ok(&t, st == SK_AUTH_SUCCESS,
		       "device.hostscan off: the kind changes nothing, Cisco logs in (%d %s)", st,
		       form.error);
		client = SK_PO_CLIENT_OTHER;
	}

	/* the logins still in progress (the Cisco client's first one): the
	 * table is mmap'd, where LeakSanitizer finds no pointer to them */
	for (int i = 0; i < SKD_MAX_LOGINS; i++)
		if (d.logins[i].used && d.logins[i].l)
			sk_login_free(d.logins[i].l);
	tap_end(&t);
	sk_store_close(d.st);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			return 1;
	}
	return t.failed ? 1 : 0;
}
