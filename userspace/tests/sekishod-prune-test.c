// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod's daily audit prune (loop.c skd_audit_prune_timer, run from
 * the event loop's tick; Documentation/admin/logging.md "Retention"),
 * clock-independent: the test hands the timer its own "now" instead of
 * waiting a day.  On a real SQLite store with records of several ages:
 * nothing happens before the first minute, the first run deletes exactly
 * the records older than audit.retention_days and writes them to a new
 * export file first, nothing runs again within the day, the next day's
 * run deletes the records that have aged past the retention since, and
 * audit_prune_interval (the test-only shorter interval) brings the first
 * run and the next ones forward.  The e2e scenario sekishod-sessions.sh
 * shows the timer firing in a running sekishod.  TAP output.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

#define DAY 86400

static struct tap t;

struct seen { int n; bool has[8]; };

static int each(const struct sk_audit *a, void *arg)
{
	struct seen *s = arg;

	s->n++;
	if (!strncmp(a->actor, "age-", 4) && a->actor[4] >= '0' && a->actor[4] < '8')
		s->has[a->actor[4] - '0'] = true;
	return 0;
}

static struct seen seen(struct sk_store *st)
{
	struct sk_audit_filter f = { .type = "login" };
	struct seen s = { 0 };

	sk_audit_list(st, &f, each, &s);
	return s;
}

static int prunes(struct sk_store *st)
{
	struct sk_audit_filter f = { .type = "audit-prune" };
	struct seen s = { 0 };

	sk_audit_list(st, &f, each, &s);
	return s.n;
}

/* the export files in dir and the lines of all of them */
static int exports(const char *dir, int *lines, bool *mode600)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	*lines = 0;
	*mode600 = true;
	while (dp && (e = readdir(dp))) {
		char path[512];
		struct stat sb;
		FILE *f;
		int c;

		if (strncmp(e->d_name, "audit-before-", 13))
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &sb) || (sb.st_mode & 0777) != 0600)
			*mode600 = false;
		if ((f = fopen(path, "r"))) {
			while ((c = fgetc(f)) != EOF)
				*lines += c == '\n';
			fclose(f);
		}
	}
	if (dp)
		closedir(dp);
	return n;
}

static void add(struct sk_store *st, int64_t when, int age)
{
	struct sk_audit a;

	memset(&a, 0, sizeof(a));
	a.time = when;
	snprintf(a.type, sizeof(a.type), "login");
	snprintf(a.actor, sizeof(a.actor), "age-%d", age);
	snprintf(a.result, sizeof(a.result), "ok");
	sk_audit_add(st, &a);
}

int main(void)
{
	static struct skd d;
	char dir[64], path[256], xdir[256], err[256];
	int64_t t0 = (int64_t)time(NULL);
	struct seen s;
	int lines = 0, n;
	bool m600;

	tap_begin();
	snprintf(dir, sizeof(dir), "/tmp/sk-prune-test.XXXXXX");
	if (!mkdtemp(dir) || skd_init(&d))
		return 1;
	skd_conf_defaults(&d.conf);
	snprintf(path, sizeof(path), "%s/store.db", dir);
	snprintf(xdir, sizeof(xdir), "%s/exports", dir);
	if (sk_store_open(path, &d.st, err, sizeof(err)) ||
	    sk_setting_set(d.st, "audit.export_dir", xdir, err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	/* default retention 400 days; ages relative to t0 */
	add(d.st, t0 - 500 * DAY, 0);			/* gone at the first run */
	add(d.st, t0 - 401 * DAY, 1);			/* gone at the first run */
	add(d.st, t0 - 400 * DAY + DAY / 2, 2);	/* 399.5 days: kept, gone the next day */
	add(d.st, t0 - 397 * DAY, 3);			/* kept for three days */
	add(d.st, t0 - 5 * DAY, 4);			/* kept */

	tap_ok(&t, !skd_audit_prune_timer(&d, t0) && seen(d.st).n == 5,
	       "the start: nothing pruned yet");
	tap_ok(&t, !skd_audit_prune_timer(&d, t0 + 59) && seen(d.st).n == 5,
	       "59 s later: nothing yet");
	tap_ok(&t, skd_audit_prune_timer(&d, t0 + 60), "a minute after the start: the first prune");
	s = seen(d.st);
	tap_ok(&t, s.n == 3 && !s.has[0] && !s.has[1] && s.has[2] && s.has[3] && s.has[4],
	       "it deleted the two records older than 400 days and nothing else (%d left)", s.n);
	n = exports(xdir, &lines, &m600);
	tap_ok(&t, n == 1 && lines == 2 && m600,
	       "they were written to one export file first, mode 0600 (%d file(s), %d lines)", n, lines);
	tap_ok(&t, prunes(d.st) == 1, "the pruning is audited (audit-prune)");
	tap_ok(&t, !skd_audit_prune_timer(&d, t0 + 60 + DAY - 1) && seen(d.st).n == 3,
	       "not again within the day");
	tap_ok(&t, skd_audit_prune_timer(&d, t0 + 60 + DAY), "a day later: the next prune");
	s = seen(d.st);
	tap_ok(&t, s.n == 2 && !s.has[2] && s.has[3] && s.has[4],
	       "it deleted the record that aged past 400 days since (%d left)", s.n);
	n = exports(xdir, &lines, &m600);
	tap_ok(&t, n == 2 && lines == 3 && m600,
	       "into a second export file (%d file(s), %d lines in all)", n, lines);
	tap_ok(&t, skd_audit_prune_timer(&d, t0 + 60 + 2 * DAY) && seen(d.st).n == 2 &&
	       exports(xdir, &lines, &m600) == 2 && prunes(d.st) == 2,
	       "a run with nothing to delete: no file, no record");

	/* audit_prune_interval (tests): the first run after it (< 60), then every it */
	d.audit_prune_next = 0;
	d.conf.audit_prune_interval = 2;
	tap_ok(&t, !skd_audit_prune_timer(&d, t0 + 3 * DAY) && !skd_audit_prune_timer(&d, t0 + 3 * DAY + 1) &&
	       skd_audit_prune_timer(&d, t0 + 3 * DAY + 2) && !skd_audit_prune_timer(&d, t0 + 3 * DAY + 3) &&
	       skd_audit_prune_timer(&d, t0 + 3 * DAY + 4), "audit_prune_interval = 2: at +2 s, then every 2 s");
	tap_ok(&t, seen(d.st).n == 1 && seen(d.st).has[4], "and it prunes by the clock it is given (%d left)",
	       seen(d.st).n);
	/* retention 0: keep everything */
	sk_setting_set(d.st, "audit.retention_days", "0", err, sizeof(err));
	add(d.st, t0 - 900 * DAY, 5);
	tap_ok(&t, skd_audit_prune_timer(&d, t0 + 3 * DAY + 6) && seen(d.st).has[5],
	       "audit.retention_days 0: the timer runs and keeps every record");

	sk_store_close(d.st);
	d.st = NULL;
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		printf("# could not remove %s\n", dir);
	return tap_end(&t);
}
