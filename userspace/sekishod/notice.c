// SPDX-License-Identifier: GPL-2.0
/*
 * Notices to the administrator (an account locked, a source blocked, a
 * device that could not be registered), sent off the login's path.
 *
 * The login chain decides a notice inside the round that caused it
 * (auth/chain.c admin_notice, at most 30 an hour).  Mailed from the event
 * loop, the SMTP exchange would delay that round's answer, and the delay
 * would tell a client that its wrong password has just locked an account
 * that exists.  Each notice is therefore mailed by a detached thread with
 * its own copy of the relay settings; the answer goes out at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"

struct notice_job {
	char url[512], from[256], user[256], password[256], ca_file[512];
	bool starttls;
	long timeout_ms;
	char to[SK_TEXT_MAX], subject[256], body[2048];
};

static void *notice_thread(void *arg)
{
	struct notice_job *j = arg;
	struct sk_mail_cfg cfg = {
		.url = j->url, .from = j->from,
		.user = j->user[0] ? j->user : NULL,
		.password = j->password[0] ? j->password : NULL,
		.ca_file = j->ca_file[0] ? j->ca_file : NULL,
		.starttls = j->starttls, .timeout_ms = j->timeout_ms,
	};
	char err[256];

	if (sk_mail_send(&cfg, j->to, j->subject, j->body, err, sizeof(err)))
		syslog(LOG_WARNING, "notice to the administrator (%s) not sent: %s", j->to, err);
	sk_wipe(j, sizeof(*j));
	free(j);
	return NULL;
}

static void cp(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void skd_notice(void *arg, const struct sk_mail_cfg *mail, const char *to, const char *subject,
		const char *body)
{
	struct notice_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t th;
	int rc;

	(void)arg;
	if (!j || !mail) {
		free(j);
		syslog(LOG_WARNING, "notice to the administrator not sent: out of memory");
		return;
	}
	cp(j->url, sizeof(j->url), mail->url);
	cp(j->from, sizeof(j->from), mail->from);
	cp(j->user, sizeof(j->user), mail->user);
	cp(j->password, sizeof(j->password), mail->password);
	cp(j->ca_file, sizeof(j->ca_file), mail->ca_file);
	j->starttls = mail->starttls;
	j->timeout_ms = mail->timeout_ms;
	cp(j->to, sizeof(j->to), to);
	cp(j->subject, sizeof(j->subject), subject);
	cp(j->body, sizeof(j->body), body);
	rc = pthread_attr_init(&attr);
	if (!rc) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&th, &attr, notice_thread, j);
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		syslog(LOG_WARNING, "notice to the administrator not sent: no thread");
		sk_wipe(j, sizeof(*j));
		free(j);
	}
}
