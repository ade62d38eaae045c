// SPDX-License-Identifier: GPL-2.0
/*
 * Deprovisioning (issue 15): the sessions of a directory's users are
 * checked against the directory again every recheck-interval seconds (an
 * LDAP / Active Directory setting; 0 = never).  A user whose entry is gone,
 * disabled or locked in the directory, or who is no longer in a directory
 * group mapped to the session's group, loses the session: it ends (the
 * tunnel goes, the cookie is refused at the next reconnect), audited with
 * the reason.  A directory that does not answer ends nothing (not the
 * user's fault; logged).  RADIUS cannot look a user up without a password:
 * its sessions are not re-checked.
 *
 * The check is sk_ldap_check without a password (service bind, search) on
 * a detached thread of its own with a copy of the settings; the event loop
 * reads the store, starts it, and collects the verdict at a later timer
 * tick.  A session that ends first abandons its job, which the thread
 * then frees.  The directory of a user comes from the store (the record's
 * directory), so a session taken over after a restart is checked too.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"
#include "dircheck.h"
#include "radacct.h"
#include "skldap.h"

/* settings are read at most this often per session */
#define SKD_DIRCHECK_POLL 10

enum { JOB_RUNNING = 0, JOB_DONE, JOB_ABANDONED };

struct skd_dirjob {
	atomic_int state;
	struct sk_ldap_cfg c;		/* the service password: wiped */
	struct sk_ldap_result r;
	char user[SK_NAME_MAX + 1];
	int rc;
	char err[256];
};

static void job_free(struct skd_dirjob *j)
{
	sk_ldap_cfg_wipe(&j->c);
	sk_wipe(j, sizeof(*j));
	free(j);
}

static void *job_run(void *arg)
{
	struct skd_dirjob *j = arg;
	int expect = JOB_RUNNING;

	j->rc = sk_ldap_check(&j->c, j->user, NULL, &j->r, j->err, sizeof(j->err));
	if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_DONE))
		job_free(j);	/* the session ended meanwhile */
	return NULL;
}

void skd_dircheck_drop(struct skd_session *s)
{
	struct skd_dirjob *j = s->dirjob;
	int expect = JOB_RUNNING;

	if (!j)
		return;
	s->dirjob = NULL;
	if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_ABANDONED))
		job_free(j);	/* done: nobody else holds it */
}

/* NULL: the user may keep the session; else why not */
static const char *verdict(const struct skd_dirjob *j, const char *group)
{
	bool ok = false;

	if (j->rc == -ENOENT)
		return "directory-user-removed";
	if (j->rc)
		return NULL;
	if (j->r.state.disabled)
		return "directory-user-disabled";
	if (j->r.state.locked)
		return "directory-user-locked";
	if (j->r.state.expired)
		return "directory-user-expired";
	for (int i = 0; i < j->r.n_mapped; i++)
		ok |= !strcmp(j->r.mapped[i], group);
	return ok ? NULL : "directory-group-removed";
}

static void collect(struct skd *d, struct skd_session *s)
{
	struct skd_dirjob *j = s->dirjob;
	const char *why;
	char detail[400];

	s->dirjob = NULL;
	why = verdict(j, s->group);
	if (j->rc && !why)
		syslog(LOG_WARNING, "session %lld: re-check of %s in directory %s failed, the session "
		       "goes on: %s", (long long)s->id, s->user, j->c.name, j->err);
	if (why) {
		snprintf(detail, sizeof(detail), "{\"directory\":\"%s\",\"group\":\"%s\"}", j->c.name,
			 s->group);
		skd_audit(d, "directory-recheck", s->user, s->device, s->remote, why, detail);
		skd_log("session %lld of %s: %s in directory %s", (long long)s->id, s->user, why,
			j->c.name);
	}
	job_free(j);
	if (why)
		skd_session_end(d, s, why);
}

static void start(struct skd_session *s, struct skd_dirjob *j)
{
	int rc;

	snprintf(j->user, sizeof(j->user), "%s", s->user);
	s->dirjob = j;
	rc = skd_thread_detached(job_run, j);
	if (rc) {
		s->dirjob = NULL;
		syslog(LOG_WARNING, "session %lld: directory re-check: no thread: %s",
		       (long long)s->id, strerror(rc));
		job_free(j);
	}
}

void skd_dircheck(struct skd *d, struct skd_session *s, int64_t now)
{
	char dir[SK_NAME_MAX + 1], err[256];
	struct skd_dirjob *j;

	if (s->dirjob) {
		if (atomic_load(&s->dirjob->state) == JOB_DONE)
			collect(d, s);
		return;
	}
	if (!s->dir_checked)
		s->dir_checked = s->started ? s->started : now;
	if (now < s->dir_next)
		return;
	s->dir_next = now + SKD_DIRCHECK_POLL;
	if (sk_user_directory_get(d->st, s->user, dir, sizeof(dir)) || !dir[0]) {
		s->dir_next = INT64_MAX;	/* a local account stays local */
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	if (sk_ldap_cfg_load(d->st, dir, &j->c, NULL, err, sizeof(err)) ||
	    j->c.type == SK_LDAP_RADIUS || j->c.recheck <= 0 || now - s->dir_checked < j->c.recheck) {
		job_free(j);
		return;
	}
	s->dir_checked = now;
	start(s, j);
}
