// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (skadmin.h): sekictl's store commands run inside the
 * daemon, which then applies what they changed to the live state at once:
 * kernel policies, sessions of users who may no longer connect, sessions an
 * administrator killed, and the CRL.  The socket is served by the event
 * loop without blocking it (skd_control_accept below).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"

int skd_control_open(struct skd *d, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(d->conf.control)], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", d->conf.control);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* 0755: the socket's own mode and group decide who connects */
		if (mkdir(dir, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "control directory %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (strlen(d->conf.control) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control: path too long");
		return -1;
	}
	strcpy(sun.sun_path, d->conf.control);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	unlink(d->conf.control);	/* a stale socket of a previous run */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(d->conf.control, 0660) ||
	    (geteuid() == 0 && chown(d->conf.control, 0, d->admin_gid)) ||
	    listen(fd, 16)) {
		snprintf(err, errlen, "control socket %s: %s", d->conf.control, strerror(errno));
		close(fd);
		return -1;
	}
	d->control_fd = fd;
	return 0;
}

struct pol_arg {
	struct skd *d;
	uint32_t ids[SKD_MAX_POLICIES];
	int n, failed;
};

static int program_one(const struct sk_policy *p, void *arg)
{
	struct pol_arg *a = arg;
	struct sk_rule *rules;
	int n = 0, cap, ret;

	if (p->id <= 0 || p->id > UINT32_MAX || a->n >= SKD_MAX_POLICIES) {
		a->failed++;
		return 0;
	}
	cap = p->n_rules > 0 ? p->n_rules : 1;
	rules = calloc((size_t)cap, sizeof(*rules));
	n = cap;
	if (!rules || sk_policy_rules(a->d->st, p->name, rules, &n) || n > cap) {
		/* a policy we cannot read must not stay permissive: empty = deny all */
		n = 0;
		a->failed++;
	}
	ret = skd_kernel_policy_put(&a->d->k, (uint32_t)p->id, rules, (size_t)n);
	if (ret) {
		syslog(LOG_ERR, "policy %s (id %lld): kernel refused: %s", p->name,
		       (long long)p->id, strerror(-ret));
		a->failed++;
	}
	a->ids[a->n++] = (uint32_t)p->id;
	free(rules);
	return 0;
}

int skd_program_policies(struct skd *d)
{
	struct pol_arg *a = calloc(1, sizeof(*a));
	int failed;

	if (!a)
		return -ENOMEM;
	a->d = d;
	sk_policy_list(d->st, program_one, a);
	/* policies deleted from the store go from the kernel too (refused
	 * while a peer still uses one; the sessions' re-check detaches them) */
	for (int i = 0; i < d->n_kpolicy; i++) {
		bool keep = false;

		for (int j = 0; j < a->n; j++)
			keep |= a->ids[j] == d->kpolicy[i];
		if (!keep)
			skd_kernel_policy_del(&d->k, d->kpolicy[i]);
	}
	memcpy(d->kpolicy, a->ids, sizeof(uint32_t) * (size_t)a->n);
	d->n_kpolicy = a->n;
	failed = a->failed;
	free(a);
	return failed ? -EIO : 0;
}

/* why a user may no longer hold a session, or NULL */
static const char *user_refused(struct skd *d, const char *name, int64_t now)
{
	struct sk_user u;
	int rc = sk_user_get(d->st, name, &u);

	/* a store that cannot be read ends nothing: tunnels outlive it */
	if (rc)
		return rc == -ENOENT ? "user-deleted" : NULL;
	if (!u.enabled)
		return "user-disabled";
	if (u.locked && (!u.locked_until || u.locked_until > now))
		return "user-locked";
	if (u.valid_until && now > u.valid_until)
		return "account-expired";
	if (u.valid_from && now < u.valid_from)
		return "account-not-yet-valid";
	return NULL;
}

/* A session bound to a device (the login's device check matched it) ends
 * with that device: deleted, disabled, or taken from its user. */
static const char *device_refused(struct skd *d, const struct skd_session *s)
{
	struct sk_device dev;
	int rc;

	if (!s->device[0])
		return NULL;
	if ((rc = sk_device_get(d->st, s->device, &dev)))
		return rc == -ENOENT ? "device-deleted" : NULL;
	if (!dev.enabled)
		return "device-disabled";
	if (strcmp(dev.user, s->user))
		return "device-unassigned";
	return NULL;
}

static void recheck_sessions(struct skd *d)
{
	int64_t now = skd_now();

	for (int i = 0; i < SKD_MAX_SESSIONS; i++) {
		struct skd_session *s = &d->sessions[i];
		const char *why;
		uint32_t pol;

		if (!s->used)
			continue;
		why = user_refused(d, s->user, now);
		if (!why)
			why = device_refused(d, s);
		if (why) {
			skd_session_end(d, s, why);
			continue;
		}
		/* group or device policy assignment may have changed (a
		 * quarantined session keeps its remediation allowlist) */
		pol = skd_session_policy(d, s);
		if (pol != s->policy) {
			s->policy = pol;
			if (s->peer_live)
				skd_kernel_peer_policy(&d->k, (uint32_t)s->id, pol);
		}
	}
}

void skd_apply_effects(struct skd *d, const struct sk_admin_effects *fx)
{
	if (fx->policies_changed && d->have_kernel && skd_program_policies(d))
		syslog(LOG_ERR, "re-programming policies: some failed");
	if (fx->users_changed || fx->policies_changed)
		recheck_sessions(d);
	for (int i = 0; i < fx->n_kill && i < SKA_KILL_MAX; i++) {
		struct skd_session *s = skd_session_by_id(d, fx->kill[i]);

		if (s)
			skd_session_end(d, s, "killed-by-admin");
	}
	if (fx->settings_changed)
		skd_mail_refresh(d);
	if (fx->crl_changed && d->certv) {
		char path[SKD_PATH_MAX + 16], dir[SKD_PATH_MAX] = "", err[256];

		/* the built-in CA's CRL, unless the bootstrap file names one */
		if (d->conf.crl[0])
			snprintf(path, sizeof(path), "%s", d->conf.crl);
		else if (!sk_setting_get(d->st, "ca.dir", dir, sizeof(dir)) && dir[0])
			snprintf(path, sizeof(path), "%s/crl.pem", dir);
		else
			path[0] = '\0';
		if (path[0] && sk_certv_reload_crl(d->certv, path, err, sizeof(err)))
			syslog(LOG_ERR, "CRL reload %s: %s", path, err);
	}
}

/*
 * Control connections are served by the event loop without waiting for
 * anyone: each has a buffer (struct sk_admin_conn) filled as its messages
 * arrive, a deadline (SKD_CONTROL_DEADLINE seconds for the request and its
 * input, as much again for taking the reply: a slow client is dropped, not
 * waited on) and a slot among SKD_CONTROL_MAX (one more is answered "busy"
 * and closed).  The command runs once its request is complete; the reply
 * goes out as the client takes it (EPOLLOUT).
 */
#define CONTROL_BUSY "sekishod: too many control connections at once (" \
	"the limit is 8); try again in a few seconds\n" \
	"sekishod: 同時に接続している管理コマンドが多すぎます（上限 8）。数秒後にやり直してください\n"

static int control_deadline(const struct skd *d)
{
	return d->control_deadline > 0 ? d->control_deadline : SKD_CONTROL_DEADLINE;
}

static void ctl_close(struct skd *d, struct skd_ctl *c)
{
	if (!c->c)
		return;
	skd_poll_del(d, c->fd);
	sk_admin_conn_free(c->c);
	close(c->fd);
	memset(c, 0, sizeof(*c));
}

static void ctl_events(struct skd *d, struct skd_ctl *c, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = &c->ev };

	epoll_ctl(d->ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* a connection beyond the limit: a refusal if the socket takes it, then close */
static void ctl_refuse(int fd)
{
	static const uint8_t st1[5] = { 'S', 'K', 'A', 'X', 1 };
	char buf[4 + sizeof(CONTROL_BUSY)];

	memcpy(buf, "SKAE", 4);
	memcpy(buf + 4, CONTROL_BUSY, sizeof(CONTROL_BUSY) - 1);
	if (send(fd, buf, 4 + sizeof(CONTROL_BUSY) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		send(fd, st1, sizeof(st1), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

void skd_control_accept(struct skd *d)
{
	for (int n = 0; n < 64; n++) {
		struct skd_ctl *c = NULL;
		int fd = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		for (int i = 0; i < SKD_CONTROL_MAX && !c; i++)
			if (!d->ctl[i].c)
				c = &d->ctl[i];
		if (!c) {
			ctl_refuse(fd);
			continue;
		}
		c->ev = (struct skd_ev){ SKD_EV_CONTROL_CONN, (int)(c - d->ctl) };
		c->fd = fd;
		c->deadline = skd_now() + control_deadline(d);
		c->replying = false;
		c->c = sk_admin_conn_new(fd, d->admin_gid);
		if (!c->c || skd_poll_add(d, fd, &c->ev)) {
			sk_admin_conn_free(c->c);
			memset(c, 0, sizeof(*c));
			close(fd);
			continue;
		}
		/* the request is usually there already */
		skd_control_io(d, c->ev.idx);
	}
}

void skd_control_io(struct skd *d, int idx)
{
	struct skd_ctl *c = &d->ctl[idx];
	struct sk_admin_effects fx;
	int rc;

	if (!c->c)
		return;
	if (!c->replying) {
		rc = sk_admin_conn_read(c->c);
		if (rc == 0)
			return;		/* more to come, before the deadline */
		if (rc < 0) {
			ctl_close(d, c);
			return;
		}
		memset(&fx, 0, sizeof(fx));
		sk_admin_conn_run(c->c, d->st, &fx);
		skd_apply_effects(d, &fx);
		c->replying = true;
		c->deadline = skd_now() + control_deadline(d);
	}
	rc = sk_admin_conn_write(c->c);
	if (rc == 0)
		ctl_events(d, c, EPOLLOUT);	/* the client reads slowly */
	else
		ctl_close(d, c);	/* all sent, or the client went */
}

void skd_control_timers(struct skd *d, int64_t now)
{
	for (int i = 0; i < SKD_CONTROL_MAX; i++)
		if (d->ctl[i].c && now >= d->ctl[i].deadline) {
			syslog(LOG_NOTICE, "control: a client %s in %d s: dropped",
			       d->ctl[i].replying ? "did not take its reply" :
						    "did not send its request", control_deadline(d));
			ctl_close(d, &d->ctl[i]);
		}
}

void skd_control_close_all(struct skd *d)
{
	for (int i = 0; i < SKD_CONTROL_MAX; i++)
		ctl_close(d, &d->ctl[i]);
}
