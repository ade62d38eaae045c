// SPDX-License-Identifier: GPL-2.0
/*
 * The audit trail to syslog (skauditlog.h): the line, its priority, and
 * the forwarding of new records from the store to the syslog socket.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "skauditlog.h"
#include "sktext.h"

/* Records are read again from this many seconds before the newest one
 * sent: a record is stamped when its writer starts (an administrative
 * command stamps its start) and may reach the table after a newer one.
 * Those already sent are skipped by id. */
#define TAIL_SLACK	60

struct line { char *p; size_t len, n; bool cut; };

static void put(struct line *l, const char *s, size_t n)
{
	if (l->n + n >= l->len) {
		l->cut = true;
		return;
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
	l->p[l->n] = '\0';
}

/* key=value, the value escaped (sktext) and quoted when it must be;
 * room: the most bytes the escaped value may take (the detail's share).
 * Returns true when the value was cut to fit. */
static bool kv(struct line *l, const char *key, const char *val, size_t room)
{
	/* \xNN is the longest escape of one byte: the whole value fits here */
	char esc[sizeof(((struct sk_audit *)0)->detail) * 4 + 1];
	char q[sizeof(esc) * 2 + 3];
	size_t n = 0;
	bool quote, cut;

	if (room > sizeof(esc))
		room = sizeof(esc);
	sk_text_escape(val ? val : "", esc, sizeof(esc));
	cut = strlen(esc) >= room;
	if (cut)	/* again, cut at a character boundary */
		sk_text_escape(val ? val : "", esc, room);
	quote = !esc[0] || strpbrk(esc, " \"=");
	if (quote)
		q[n++] = '"';
	for (const char *s = esc; *s; s++) {
		if (*s == '"')
			q[n++] = '\\';
		q[n++] = *s;
	}
	if (quote)
		q[n++] = '"';
	q[n] = '\0';
	put(l, " ", 1);
	put(l, key, strlen(key));
	put(l, "=", 1);
	put(l, q, n);
	return cut;
}

size_t ska_audit_line(const struct sk_audit *a, char *buf, size_t len)
{
	struct line l = { buf, len, 0, false };
	char num[32], t[32];
	struct tm tm;
	time_t tt = (time_t)a->time;
	size_t room;

	if (!len)
		return 0;
	buf[0] = '\0';
	put(&l, "sekisho-audit", 13);
	snprintf(num, sizeof(num), "%lld", (long long)a->id);
	kv(&l, "id", num, sizeof(num));
	if (gmtime_r(&tt, &tm))
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(t, sizeof(t), "%lld", (long long)a->time);
	kv(&l, "time", t, sizeof(t));
	kv(&l, "type", a->type, sizeof(a->type) * 4);
	kv(&l, "result", a->result, sizeof(a->result) * 4);
	kv(&l, "actor", a->actor[0] ? a->actor : "-", sizeof(a->actor) * 4);
	kv(&l, "user", a->user[0] ? a->user : "-", sizeof(a->user) * 4);
	kv(&l, "device", a->device[0] ? a->device : "-", sizeof(a->device) * 4);
	kv(&l, "source", a->source[0] ? a->source : "-", sizeof(a->source) * 4);
	kv(&l, "gateway", a->gateway[0] ? a->gateway : "-", sizeof(a->gateway) * 4);
	/* the detail gets what is left; escaping and quoting may double it */
	room = l.n + 32 < len ? (len - l.n - 32) / 2 : 1;
	if (kv(&l, "detail", a->detail[0] ? a->detail : "{}", room) | l.cut)
		put(&l, " truncated=1", 12);
	return l.n;
}

int ska_audit_priority(const struct sk_audit *a)
{
	static const char *const calm[] = { "ok", "started", "stopped", "user-request" };

	for (size_t i = 0; i < sizeof(calm) / sizeof(calm[0]); i++)
		if (!strcmp(a->result, calm[i]))
			return LOG_AUTH | LOG_INFO;
	return LOG_AUTH | LOG_NOTICE;
}

int ska_auditlog_send(struct ska_auditlog *l, const struct sk_audit *a)
{
	static const char mon[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char msg[SKA_AUDIT_LINE_MAX + 128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (l->fd < 0)
		return -EBADF;
	if (l->quiet)
		return 0;
	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	/* the header glibc's syslog() writes (RFC 3164), which journald and
	 * rsyslog both parse: <PRI>Mmm dd hh:mm:ss ident[pid]: */
	n = snprintf(msg, sizeof(msg), "<%d>%s %2d %02d:%02d:%02d %s[%d]: ",
		     ska_audit_priority(a), mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, l->ident, l->pid);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EINVAL;
	n += (int)ska_audit_line(a, msg + n, SKA_AUDIT_LINE_MAX);
	memcpy(sa.sun_path, l->path, strlen(l->path) + 1);
	if (sendto(l->fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		l->dropped++;
		return -errno;
	}
	l->sent++;
	return 0;
}

static int newest(const struct sk_audit *a, void *arg)
{
	struct ska_auditlog *l = arg;

	l->last_id = a->id;
	l->last_time = a->time;
	return 0;
}

int ska_auditlog_open(struct ska_auditlog *l, struct sk_store *st, const char *path,
		      const char *ident)
{
	struct sk_audit_filter f = { .limit = 1 };
	int rc;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (!path)
		path = SKA_AUDIT_SYSLOG_PATH;
	if (strlen(path) >= sizeof(l->path) || !ident || strlen(ident) >= sizeof(l->ident))
		return -ENAMETOOLONG;
	memcpy(l->path, path, strlen(path) + 1);
	memcpy(l->ident, ident, strlen(ident) + 1);
	l->pid = (int)getpid();
	rc = sk_audit_list(st, &f, newest, l);
	if (rc)
		return rc;
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	return l->fd < 0 ? -errno : 0;
}

struct tail { struct ska_auditlog *l; int64_t id, time; int n; };

static int tail_each(const struct sk_audit *a, void *arg)
{
	struct tail *t = arg;

	if (a->id <= t->l->last_id)
		return 0;
	/* a full socket (the journal is slow) loses this line, not the
	 * daemon's time; the count is kept */
	(void)ska_auditlog_send(t->l, a);
	ska_auditlog_count(t->l, a);
	if (a->id > t->id) {
		t->id = a->id;
		t->time = a->time;
	}
	t->n++;
	return 0;
}

int ska_auditlog_poll(struct ska_auditlog *l, struct sk_store *st)
{
	struct sk_audit_filter f = { 0 };
	struct tail t = { l, l->last_id, l->last_time, 0 };
	int rc;

	if (l->fd < 0)
		return 0;
	f.since = l->last_time > TAIL_SLACK ? l->last_time - TAIL_SLACK : 0;
	f.after_id = l->last_id;	/* read only what was not sent */
	rc = sk_audit_list(st, &f, tail_each, &t);
	if (rc)
		return rc;
	l->last_id = t.id;
	if (t.time > l->last_time)
		l->last_time = t.time;
	return t.n;
}

/* v as a label value: a keyword of our code (a-z 0-9 - _), else "other" */
static const char *keyword(const char *v)
{
	if (!*v)
		return "other";
	for (const char *s = v; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return "other";
	return v;
}

void ska_auditlog_count(struct ska_auditlog *l, const struct sk_audit *a)
{
	static const char *const types[] = { "login", "factor", "posture" };
	const char *type = NULL, *result = keyword(a->result), *p;
	char factor[sizeof(l->counts[0].factor)] = "";
	int i;

	for (i = 0; i < 3 && !type; i++)
		if (!strcmp(a->type, types[i]))
			type = types[i];
	if (!type)
		return;
	/* a factor or posture record's detail is JSON written by the
	 * chain: {"group":..,"factor":"password",..}; a posture record's
	 * "factor" is the check (os, av, firewall, ...) */
	if (type != types[0] && (p = strstr(a->detail, "\"factor\":\""))) {
		size_t n = strcspn(p + 10, "\"");

		if (n < sizeof(factor)) {
			memcpy(factor, p + 10, n);
			factor[n] = '\0';
		}
	}
	/* a factor record always has one; a posture record may have none */
	if ((type == types[1] || factor[0]) && keyword(factor) != factor)
		snprintf(factor, sizeof(factor), "other");
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < l->n_counts; i++)
			if (!strcmp(l->counts[i].type, type) && !strcmp(l->counts[i].factor, factor) &&
			    !strcmp(l->counts[i].result, result))
				break;
		if (i < l->n_counts)
			break;
		/* the last free pair is kept for "other" */
		if (l->n_counts < SKA_COUNT_MAX - 1 || (l->n_counts < SKA_COUNT_MAX && pass)) {
			snprintf(l->counts[i].type, sizeof(l->counts[i].type), "%s", type);
			snprintf(l->counts[i].factor, sizeof(l->counts[i].factor), "%s", factor);
			snprintf(l->counts[i].result, sizeof(l->counts[i].result), "%s", result);
			l->n_counts++;
			break;
		}
		if (pass)
			return;
		result = "other";
		if (factor[0])
			snprintf(factor, sizeof(factor), "other");
	}
	l->counts[i].n++;
}

void ska_auditlog_close(struct ska_auditlog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
