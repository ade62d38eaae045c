// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the audit trail to syslog (admin/skauditlog.h): the line
 * of a record (keys, quoting, a newline or an escape sequence a client
 * sent, a long detail), its priority, and the forwarding through a real
 * syslog socket: an AF_UNIX datagram socket bound in a temporary
 * directory stands for /dev/log; every record written to the store after
 * the start arrives there once, in order, also those written after one
 * poll (no record twice, none lost), and an administrative command's
 * record carries its before/after.  TAP output.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
			   "source=203.0.113.5:51234 detail=\"{\\\"factor\\\":\\\"password\\\","
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
	ska_audit_line(&a, buf, sizeof(buf));
	tap_ok(&t, strstr(buf, " actor=- user=- device=- source=- detail={}") != NULL,
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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
