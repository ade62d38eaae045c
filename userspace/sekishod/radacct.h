/* SPDX-License-Identifier: GPL-2.0 */
/* RADIUS for sekishod's sessions (radacct.c): accounting and the
 * Framed-IP-Address of a RADIUS directory's Accept (issue 15). */
#ifndef SKD_RADACCT_H
#define SKD_RADACCT_H

#include "daemon.h"
#include "skradius.h"

/* A detached thread running fn(arg) with every signal blocked: 0 or an
 * errno (pthread_create's) */
int skd_thread_detached(void *(*fn)(void *), void *arg);

/* One Accounting-Request of session s on a thread of its own (a user of a
 * RADIUS directory with accounting=yes; nothing otherwise): Start once,
 * Interim-Update and Stop only after a Start.  reason: the session's end
 * reason (Stop: Acct-Terminate-Cause). */
void skd_acct(struct skd *d, struct skd_session *s, enum sk_radius_acct_status status,
	      const char *reason);
/* Interim-Update when the directory's interim-interval has passed */
void skd_acct_timer(struct skd *d, struct skd_session *s, int64_t now);
/* The expiry of a new session (Unix s, 0 = none) of group expiry
 * `expires`, bounded by a RADIUS Accept's Session-Timeout (0 = none) */
int64_t skd_radius_expires(int64_t expires, int64_t now, uint32_t session_timeout);
/* A session taken back from the store after a restart (session_adopt):
 * the RADIUS directory of its user's record again (the login's is gone
 * with the earlier run), and, when its tunnel was up, accounting as
 * started: Interim-Update and Stop go on under the same Acct-Session-Id
 * (the login time and the store's id), the Start was the earlier run's */
void skd_acct_resume(struct skd *d, struct skd_session *s);
/* A session row deleted while no slot held it (skd_sessions_sweep: killed,
 * expired or detached too long, at the start or later; session_adopt's
 * refusal): its Stop, when its tunnel was up and its user's record names a
 * RADIUS directory with accounting=yes, under the same Acct-Session-Id,
 * with the row's counters (the store keeps no packet counts: 0) and the
 * session time up to the row's last_seen; reason as for skd_acct */
void skd_acct_row_end(struct skd *d, const struct sk_session *row, const char *reason,
		      int64_t now);
/* The session's Framed-IP-Address as its IPv4 address, when it has one:
 * NULL (assigned, or none to assign), or the refusal: "framed-ip-invalid",
 * "framed-ip-not-in-pool" (not a client address of pool),
 * "framed-ip-in-use" (busy(): another session or another user's lease) */
const char *skd_framed_ip(struct skd *d, struct skd_session *s, const char *pool,
			  skd_busy_fn busy, void *arg);

#endif
