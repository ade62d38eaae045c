// SPDX-License-Identifier: GPL-2.0
/*
 * Live across gateways (issue 13; Documentation/decisions/live-gateways.md):
 * several sekishod on one PostgreSQL store hear every change that one of
 * them, a sekictl --store or psql made (the store's LISTEN/NOTIFY,
 * store_listen.c) and apply it as a change made through their own control
 * socket is applied (skd_apply_effects: policies programmed into the
 * kernel again, sessions of users or devices that may no longer connect
 * ended, the settings and the CRL read again).  A kill ends the session
 * here when this gateway serves it and the store says it was killed: a
 * notification alone decides nothing.
 *
 * The listener's connection is its own and non-blocking; the event loop
 * polls one descriptor and calls skd_live_run when it is readable and at
 * every tick.  When the connection comes back after a loss, everything is
 * read again (what was announced meanwhile is lost).  SQLite: one
 * gateway, no listener; nothing changes.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"

void skd_live_open(struct skd *d)
{
	int rc = sk_listen_new(d->conf.store, &d->listen);

	if (rc == -EOPNOTSUPP)
		return;
	if (rc) {
		syslog(LOG_ERR, "store notifications: %s; changes made on other gateways reach "
		       "this one at its next start only", strerror(-rc));
		return;
	}
	d->listen_ev = (struct skd_ev){ SKD_EV_LISTEN, 0 };
	if (skd_poll_add(d, sk_listen_fd(d->listen), &d->listen_ev)) {
		syslog(LOG_ERR, "store notifications: epoll: %s", strerror(errno));
		sk_listen_free(d->listen);
		d->listen = NULL;
		return;
	}
	skd_live_run(d);	/* starts connecting */
}

void skd_live_close(struct skd *d)
{
	if (!d->listen)
		return;
	sk_listen_free(d->listen);
	d->listen = NULL;
}

/* the session id, if this gateway serves it: ended when the store says it
 * was killed, released when another gateway serves it now (moved) */
static void kill_if_killed(struct skd *d, int64_t id)
{
	struct skd_session *s = skd_session_by_id(d, id);

	if (s)
		skd_session_recheck_row(d, s);
}

void skd_live_run(struct skd *d)
{
	struct sk_admin_effects fx;
	struct sk_notes n;

	if (!d->listen)
		return;
	sk_listen_step(d->listen, &n);
	if (n.kinds & SK_NOTE_LOST) {
		syslog(LOG_WARNING, "store notifications: the connection was lost (%s); "
		       "connecting again every few seconds; tunnels go on", sk_listen_error(d->listen));
		d->listen_down_logged = true;
	}
	if (!(n.kinds & SK_NOTE_RESYNC) && !sk_listen_up(d->listen) && !d->listen_down_logged &&
	    strcmp(sk_listen_error(d->listen), "not connected yet")) {
		syslog(LOG_WARNING, "store notifications: cannot listen (%s); connecting again "
		       "every few seconds", sk_listen_error(d->listen));
		d->listen_down_logged = true;
	}
	if (n.dropped)
		syslog(LOG_NOTICE, "store notifications: %d not of sekisho's (ignored)", n.dropped);
	memset(&fx, 0, sizeof(fx));
	if (n.kinds & SK_NOTE_RESYNC) {
		skd_log("store notifications: listening%s", n.kinds & SK_NOTE_RECONNECTED ?
			" again; the store is read again (changes made meanwhile)" : "");
		d->listen_down_logged = false;
		fx.policies_changed = fx.users_changed = fx.settings_changed = true;
		fx.crl_changed = true;
	}
	fx.policies_changed |= !!(n.kinds & SK_NOTE_POLICIES);
	fx.users_changed |= !!(n.kinds & SK_NOTE_USERS);
	fx.settings_changed |= !!(n.kinds & SK_NOTE_SETTINGS);
	fx.crl_changed |= !!(n.kinds & SK_NOTE_CRL);
	if (fx.policies_changed || fx.users_changed || fx.settings_changed || fx.crl_changed)
		skd_apply_effects(d, &fx);
	if (n.kinds & (SK_NOTE_RESYNC | SK_NOTE_KILL_SCAN)) {
		for (int i = 0; i < SKD_MAX_SESSIONS; i++)
			if (d->sessions[i].used)
				kill_if_killed(d, d->sessions[i].id);
	} else {
		for (int i = 0; i < n.n_kill; i++)
			kill_if_killed(d, n.kill[i]);
	}
}
