// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the audit trail to syslog (admin/skauditlog.h): the line
 * of a record (keys, quoting, a newline or an escape sequence a client
 * sent, a long detail), its priority, and the forwarding through a real
 * syslog socket: an AF_UNIX datagram socket bound in a temporary
 * directory stands for /dev/log; every record written to the store after
 * the start arrives there once, in order, also those written after one
 * poll (no record twice, none lost), and an administrative command's
 * record carries its before/after.  Audit retention (admin/retention.c):
 * audit.retention_days (default 400, at least 30), the records older
 * than it deleted and the others kept, the pruning audited once, the
 * export to audit.export_dir (below the state directory; JSON lines, a new
 * 0600 file) written first, and an export that cannot be written (a file
 * or a link in its place) deleting nothing.  TAP output.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "skadmin.h"
#include "skauditlog.h"
#include "tap.h"
#include "store-test.h"

static struct tap t;

static struct sk_audit rec(const char *type, const char *user, const char *result,
			   const char *detail)
{
	struct sk_audit a;

	memset(&a, 0, sizeof(a));
	a.id = 7;
	a.time = 1764979200;	/* 2025-12-06T00:00:00Z */
	snprintf(a.type, sizeof(a.type), "%s", type);
	snprintf(a.actor, sizeof(a.actor), "%s", user);
	snprintf(a.user, sizeof(a.user), "%s", user);
	snprintf(a.source, sizeof(a.source), "203.0.113.5:51234");
	snprintf(a.result, sizeof(a.result), "%s", result);
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	snprintf(a.gateway, sizeof(a.gateway), "gw-a");
	return a;
}

static void line_format(void)
{
	char buf[SKA_AUDIT_LINE_MAX];
	struct sk_audit a = rec("login", "alice", "fail",
				"{\"factor\":\"password\",\"reason\":\"bad-password\"}");
	size_t n;

	n = ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, n == strlen(buf), "the length returned is the line's");
	tap_ok(&t, !strcmp(buf, "sekisho-audit id=7 time=2025-12-06T00:00:00Z type=login "
			   "result=fail actor=alice user=alice device=- "
			   "source=203.0.113.5:51234 gateway=gw-a detail=\"{\\\"factor\\\":\\\"password\\\","
			   "\\\"reason\\\":\\\"bad-password\\\"}\""),
	       "a failed login: every key, the detail quoted: %s", buf);

	/* a name a client typed with a newline, an escape sequence, a quote,
	 * a blank and '=': one line, nothing forged */
	a = rec("login", "bob\nsekisho-audit id=1 type=admin", "fail", "{}");
	snprintf(a.actor, sizeof(a.actor), "x\x1b[2J\"y z=1\\");
	ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, !strchr(buf, '\n') && !strchr(buf, '\x1b'),
	       "no newline, no escape character in the line");
	tap_ok(&t, strstr(buf, " user=\"bob\\x0asekisho-audit id=1 type=admin\"") != NULL,
	       "a newline in a user name is \\x0a, the value quoted: %s", buf);
	tap_ok(&t, strstr(buf, " actor=\"x\\x1b[2J\\\"y z=1\\\\\"") != NULL,
	       "escape \\x1b, quote \\\", backslash \\\\ in a quoted value");

	/* a name in Japanese stays as it is (valid UTF-8) */
	a = rec("admin", "山田", "ok", "{}");
	ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, strstr(buf, " user=山田 ") != NULL, "UTF-8 text is kept: %s", buf);

	/* broken UTF-8 (an older record) is escaped */
	a = rec("login", "a\xff", "fail", "{}");
	ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, strstr(buf, " user=a\\xff ") != NULL, "invalid UTF-8 is \\xNN");

	/* empty fields */
	a = rec("daemon", "", "started", "");
	a.source[0] = '\0';
	a.gateway[0] = '\0';
	ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, strstr(buf, " actor=- user=- device=- source=- gateway=- detail={}") != NULL,
	       "empty fields are '-', an empty detail {}: %s", buf);

	/* a detail that does not fit: cut, marked, and the line bounded */
	memset(a.detail, '"', sizeof(a.detail) - 1);
	a.detail[sizeof(a.detail) - 1] = '\0';
	n = ska_audit_line(&a, buf, 600);
	tap_ok(&t, n < 600 && strlen(buf) == n, "a long detail: the line stays within the buffer (%zu)", n);
	tap_ok(&t, n >= 12 && !strcmp(buf + n - 12, " truncated=1"), "and ends with truncated=1");
	n = ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, n < sizeof(buf) && strstr(buf, " truncated=1"), "also within the full line size");
	/* short as stored, long once escaped (a backslash is \\): still marked */
	memset(a.detail, '\\', 1500);
	a.detail[1500] = '\0';
	n = ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, n < sizeof(buf) && strstr(buf, " truncated=1"),
	       "a detail that only escaping makes too long is marked too");

	a = rec("login", "alice", "ok", "{}");
	tap_ok(&t, ska_audit_priority(&a) == (LOG_AUTH | LOG_INFO), "a success is auth.info");
	a = rec("login", "alice", "fail", "{}");
	tap_ok(&t, ska_audit_priority(&a) == (LOG_AUTH | LOG_NOTICE), "a failure is auth.notice");
}

/* the next datagram within ms milliseconds, "" if none */
static const char *recv_line(int fd, int ms, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	buf[0] = '\0';
	if (poll(&p, 1, ms) != 1)
		return buf;
	n = recv(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void add(struct sk_store *st, const char *type, const char *user, const char *result,
		const char *detail)
{
	struct sk_audit a = rec(type, user, result, detail);

	a.id = 0;
	a.time = time(NULL);
	if (sk_audit_add(st, &a))
		printf("# audit add failed\n");
}

static void forwarding(const char *dir)
{
	char path[512], sock[100], e[256], buf[SKA_AUDIT_LINE_MAX + 256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ska_auditlog l;
	struct sk_store *st;
	int fd, n;

	snprintf(sock, sizeof(sock), "%s/log", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("Bail out! bind %s: %s\n", sock, strerror(errno));
		exit(1);
	}
	if (!test_store(dir, "fwd.db", path, sizeof(path)) || sk_store_open(path, &st, e, sizeof(e))) {
		printf("Bail out! store: %s\n", e);
		exit(1);
	}
	add(st, "login", "before", "ok", "{}");
	tap_ok(&t, ska_auditlog_open(&l, st, sock, "sekishod") == 0, "the forwarder opens");
	tap_ok(&t, ska_auditlog_poll(&l, st) == 0 && !*recv_line(fd, 100, buf, sizeof(buf)),
	       "a record written before the start is not sent again");

	add(st, "login", "mallory", "fail", "{\"factor\":\"password\",\"reason\":\"bad-password\"}");
	add(st, "session-start", "alice", "ok", "{\"addr4\":\"10.0.0.2\"}");
	n = ska_auditlog_poll(&l, st);
	tap_ok(&t, n == 2, "two new records, two sent (%d)", n);
	recv_line(fd, 1000, buf, sizeof(buf));
	tap_ok(&t, !strncmp(buf, "<37>", 4) && strstr(buf, " sekishod[") &&
		   strstr(buf, "]: sekisho-audit id=") && strstr(buf, " type=login result=fail") &&
		   strstr(buf, " user=mallory ") && strstr(buf, " source=203.0.113.5:51234 "),
	       "the first: <auth.notice> header, ident[pid]:, the failed login: %s", buf);
	recv_line(fd, 1000, buf, sizeof(buf));
	tap_ok(&t, !strncmp(buf, "<38>", 4) && strstr(buf, " type=session-start result=ok") &&
		   strstr(buf, "10.0.0.2"), "the second: <auth.info>, the session with its address");
	tap_ok(&t, ska_auditlog_poll(&l, st) == 0 && !*recv_line(fd, 100, buf, sizeof(buf)),
	       "the next poll sends nothing twice");

	/* an administrative change through the admin commands: who, before, after */
	{
		static const struct sk_admin_caller root = { .uid = 0, .pid = 1, .name = "uid=0(root)" };
		char *argv[] = { "settings", "set", "otp.ttl", "600", NULL };
		struct sk_admin_io io = { 0 };
		struct sk_admin_effects fx = { 0 };
		char *ob = NULL, *eb = NULL;
		size_t ol = 0, el = 0;

		io.out = open_memstream(&ob, &ol);
		io.err = open_memstream(&eb, &el);
		n = sk_admin_exec(st, &root, &io, 4, argv, &fx);
		fclose(io.out);
		fclose(io.err);
		free(ob);
		free(eb);
		tap_ok(&t, n == 0 && ska_auditlog_poll(&l, st) == 1, "settings set: one record sent");
		recv_line(fd, 1000, buf, sizeof(buf));
		tap_ok(&t, strstr(buf, " type=admin result=ok actor=\"uid=0(root)\" ") &&
			   strstr(buf, "\\\"before\\\":{\\\"otp.ttl\\\":\\\"300\\\"}") &&
			   strstr(buf, "\\\"after\\\":{\\\"otp.ttl\\\":\\\"600\\\"}"),
		       "who, before and after: %s", buf);
	}

	/* a record stamped earlier than the newest sent (a long command that
	 * stamped its start) still arrives once */
	{
		struct sk_audit a = rec("admin", "late", "ok", "{}");

		a.id = 0;
		a.time = time(NULL) - 30;
		sk_audit_add(st, &a);
		tap_ok(&t, ska_auditlog_poll(&l, st) == 1, "a record stamped 30 s back is sent");
		recv_line(fd, 1000, buf, sizeof(buf));
		tap_ok(&t, strstr(buf, " user=late ") != NULL, "it is that record");
	}

	/* the syslog socket is gone (journald restarting): counted, no crash,
	 * and the records after it come back */
	unlink(sock);
	add(st, "login", "lost", "fail", "{}");
	tap_ok(&t, ska_auditlog_poll(&l, st) == 1 && l.dropped == 1,
	       "no syslog socket: the line is counted as dropped");
	close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		printf("# rebind: %s\n", strerror(errno));
	add(st, "login", "back", "ok", "{}");
	tap_ok(&t, ska_auditlog_poll(&l, st) == 1, "the socket is back: sent");
	recv_line(fd, 1000, buf, sizeof(buf));
	tap_ok(&t, strstr(buf, " user=back ") != NULL, "and received");
	ska_auditlog_close(&l);
	close(fd);
	sk_store_close(st);
}

/* ---- retention ---- */

static int count_cb(const struct sk_audit *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static int n_records(struct sk_store *st, const char *type)
{
	struct sk_audit_filter f = { .type = type };
	int n = 0;

	sk_audit_list(st, &f, count_cb, &n);
	return n;
}

static int last_cb(const struct sk_audit *a, void *arg)
{
	*(struct sk_audit *)arg = *a;
	return 0;
}

static struct sk_audit last_of(struct sk_store *st, const char *type)
{
	struct sk_audit_filter f = { .type = type };
	struct sk_audit a = { 0 };

	sk_audit_list(st, &f, last_cb, &a);
	return a;
}

static void add_at(struct sk_store *st, int64_t when, const char *user)
{
	struct sk_audit a = rec("login", user, "ok", "{}");

	a.id = 0;
	a.time = when;
	if (sk_audit_add(st, &a))
		printf("# audit add failed\n");
}

static void retention(const char *dir)
{
	const int64_t day = 86400, now = time(NULL);
	char path[512], e[1024], xdir[600], file[4096], line[SKA_AUDIT_LINE_MAX];
	struct ska_prune r;
	struct sk_audit a;
	struct stat sb;
	struct sk_store *st;
	FILE *f;
	int n;

	if (!test_store(dir, "ret.db", path, sizeof(path)) || sk_store_open(path, &st, e, sizeof(e))) {
		tap_ok(&t, false, "retention store opens (%s)", e);
		return;
	}
	/* the setting: 400 by default, 0 = keep, at least 30 days */
	tap_ok(&t, sk_setting_int(st, "audit.retention_days", -1) == 400,
	       "audit.retention_days is 400 by default (13 months and more)");
	tap_ok(&t, sk_setting_set(st, "audit.retention_days", "29", e, sizeof(e)) == -EINVAL &&
	       strstr(e, "29 days is below the minimum of 30") && strstr(e, "最小値 30 日"),
	       "audit.retention_days 29 refused, en and ja (%s)", e);
	tap_ok(&t, sk_setting_set(st, "audit.retention_days", "1", e, sizeof(e)) == -EINVAL,
	       "audit.retention_days 1 refused");
	tap_ok(&t, sk_setting_set(st, "audit.retention_days", "0", e, sizeof(e)) == 0 &&
	       sk_setting_set(st, "audit.retention_days", "30", e, sizeof(e)) == 0 &&
	       sk_setting_set(st, "audit.retention_days", "400", e, sizeof(e)) == 0,
	       "audit.retention_days 0, 30 and 400 taken (%s)", e);
	tap_ok(&t, sk_audit_prune(st, 0, NULL) == -EINVAL, "sk_audit_prune(0) refused");

	add_at(st, now - 500 * day, "old1");
	add_at(st, now - 500 * day, "old2");
	add_at(st, now - 450 * day, "old3");
	add_at(st, now - 401 * day, "old4");
	add_at(st, now - 399 * day, "keep1");
	add_at(st, now - 10 * day, "keep2");
	add_at(st, now, "keep3");
	tap_ok(&t, ska_audit_prune(st, "tester", now, 0, &r, e, sizeof(e)) == 0 && r.deleted == 4 &&
	       r.before == now - 400 * day && !r.export_path[0] && n_records(st, "login") == 3,
	       "the records older than 400 days are deleted (%lld), the others kept (%s)",
	       (long long)r.deleted, e);
	a = last_of(st, "audit-prune");
	tap_ok(&t, !strcmp(a.actor, "tester") && !strcmp(a.result, "ok") &&
	       strstr(a.detail, "\"deleted\":4") && strstr(a.detail, "\"retention_days\":400") &&
	       strstr(a.detail, "\"export\":null") && a.time == now,
	       "the pruning is audited: %s", a.detail);
	tap_ok(&t, ska_audit_prune(st, "tester", now, 0, &r, e, sizeof(e)) == 0 && r.deleted == 0 &&
	       n_records(st, "audit-prune") == 1, "again: nothing to delete, no second record");
	tap_ok(&t, ska_audit_prune(st, "tester", now, now - 29 * day, &r, e, sizeof(e)) != 0 &&
	       strstr(e, "last 30 days are never pruned") && n_records(st, "login") == 3,
	       "a date within the last 30 days refused (%s)", e);
	sk_setting_set(st, "audit.retention_days", "0", e, sizeof(e));
	add_at(st, now - 3000 * day, "ancient");
	tap_ok(&t, ska_audit_prune(st, "tester", now, 0, &r, e, sizeof(e)) == 0 && r.deleted == 0 &&
	       n_records(st, "login") == 4, "retention 0: every record kept");

	/* the export: below the state directory only, a new 0600 file of JSON lines */
	tap_ok(&t, sk_setting_set(st, "audit.export_dir", "/etc/sekisho-x", e, sizeof(e)) == -EPERM,
	       "audit.export_dir outside the state directory refused (%s)", e);
	snprintf(xdir, sizeof(xdir), "%s/exports", sk_store_dir(st));
	tap_ok(&t, sk_setting_set(st, "audit.export_dir", xdir, e, sizeof(e)) == 0,
	       "audit.export_dir below the state directory taken (%s)", e);
	tap_ok(&t, ska_audit_prune(st, "sekishod", now, now - 100 * day, &r, e, sizeof(e)) == 0 &&
	       r.deleted == 2 && r.export_path[0] && n_records(st, "login") == 2,
	       "--before 100 days ago: 2 deleted, exported to %s (%s)", r.export_path, e);
	n = 0;
	if ((f = fopen(r.export_path, "r"))) {
		while (fgets(line, sizeof(line), f))
			n += line[0] == '{' && strstr(line, "\"type\":\"login\"") &&
			     (strstr(line, "\"user\":\"ancient\"") || strstr(line, "\"user\":\"keep1\""));
		fclose(f);
	}
	tap_ok(&t, n == 2 && !stat(r.export_path, &sb) && (sb.st_mode & 0777) == 0600 &&
	       !stat(xdir, &sb) && (sb.st_mode & 0777) == 0700,
	       "the export holds the 2 records as JSON lines, mode 0600 in a 0700 directory");
	a = last_of(st, "audit-prune");
	tap_ok(&t, strstr(a.detail, r.export_path) && strstr(a.detail, "\"deleted\":2"),
	       "the record names the export: %s", a.detail);

	/* an export that cannot be written deletes nothing */
	add_at(st, now - 300 * day, "old5");
	snprintf(file, sizeof(file), "%s", r.export_path);
	tap_ok(&t, ska_audit_prune(st, "sekishod", now, now - 100 * day, &r, e, sizeof(e)) != 0 &&
	       strstr(e, "nothing was deleted") && n_records(st, "login") == 3 &&
	       n_records(st, "audit-prune") == 2,
	       "the export file exists already: refused, nothing deleted, no record (%s)", e);
	unlink(file);
	tap_ok(&t, symlink("/tmp/sk-auditlog-victim", file) == 0 &&
	       ska_audit_prune(st, "sekishod", now, now - 100 * day, &r, e, sizeof(e)) != 0 &&
	       n_records(st, "login") == 3 && access("/tmp/sk-auditlog-victim", F_OK) != 0,
	       "a link in its place: not followed, nothing deleted (%s)", e);
	unlink(file);
	tap_ok(&t, ska_audit_prune(st, "sekishod", now, now - 100 * day, &r, e, sizeof(e)) == 0 &&
	       r.deleted == 1 && n_records(st, "login") == 2, "then the prune runs (%s)", e);
	/* nothing old: no export file left behind */
	tap_ok(&t, ska_audit_prune(st, "sekishod", now + 1, now - 100 * day + 1, &r, e, sizeof(e)) == 0 &&
	       r.deleted == 0 && !r.export_path[0], "nothing to delete: no export file");
	sk_store_close(st);
}

int main(void)
{
	char dir[64], cmd[128];

	tap_begin();
	snprintf(dir, sizeof(dir), "/tmp/sk-auditlog-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("TZ", "UTC", 1);
	line_format();
	forwarding(dir);
	retention(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
