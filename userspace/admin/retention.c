// SPDX-License-Identifier: GPL-2.0
/*
 * Audit retention (issue 14; Documentation/admin/logging.md "Retention"):
 * the records older than audit.retention_days are deleted once a day by
 * sekishod, or now by `sekictl audit prune`.  When audit.export_dir is
 * set they are first written there as JSON lines (the lines of `sekictl
 * audit export`) to a new file, and the deletion, the export and the
 * record "audit-prune" that says what was pruned are one transaction: an
 * export that cannot be written deletes nothing, and a deletion that
 * fails leaves no export behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin_int.h"
#include "skauditlog.h"
#include "sktext.h"

#define DAY 86400

struct prune_tx {
	const char *actor;
	int64_t now;
	int retention;		/* days, for the record; 0 = --before given */
	struct ska_prune *r;
	FILE *f;		/* the export, or NULL */
	int64_t written;
	int werr;		/* errno of a failed write */
};

static int export_each(const struct sk_audit *a, void *arg)
{
	struct prune_tx *t = arg;

	ska_audit_json(t->f, a);
	if (fputc('\n', t->f) == EOF) {
		t->werr = errno ? errno : EIO;
		return -EIO;
	}
	t->written++;
	return 0;
}

static int prune_apply(struct sk_store *st, void *arg)
{
	struct prune_tx *t = arg;
	struct sk_audit_filter flt = { .until = t->r->before - 1 };
	struct sk_audit rec = { .time = t->now };
	char when[32];
	FILE *f;
	int rc;

	if (t->f) {
		/* the records the DELETE below removes: time < before */
		if (t->r->before - 1 <= 0)
			return 0;
		rc = sk_audit_list(st, &flt, export_each, t);
		if (!rc && (fflush(t->f) || fsync(fileno(t->f))))
			t->werr = errno ? errno : EIO;
		if (t->werr)
			return -EIO;
		if (rc)
			return rc;
	}
	rc = sk_audit_prune(st, t->r->before, &t->r->deleted);
	if (rc)
		return rc;
	if (t->f && t->written != t->r->deleted)
		return -EAGAIN;	/* cannot happen inside one transaction */
	if (!t->r->deleted)
		return 0;	/* nothing pruned: no record either */
	snprintf(rec.type, sizeof(rec.type), "audit-prune");
	snprintf(rec.actor, sizeof(rec.actor), "%s", t->actor);
	snprintf(rec.result, sizeof(rec.result), "ok");
	{
		time_t b = (time_t)t->r->before;
		struct tm tm;

		gmtime_r(&b, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	f = fmemopen(rec.detail, sizeof(rec.detail) - 1, "w");
	if (!f)
		return -ENOMEM;
	fprintf(f, "{\"before\":\"%s\",\"deleted\":%lld,\"retention_days\":%d,\"export\":", when,
		(long long)t->r->deleted, t->retention);
	if (t->r->export_path[0])
		sk_json_escape(f, t->r->export_path);
	else
		fputs("null", f);
	fputc('}', f);
	fclose(f);
	return sk_audit_add(st, &rec);
}

/* A new file in dir for the records before `before` (O_EXCL, no link
 * followed, 0600); dir is made (0700) when it does not exist. */
static FILE *export_open(const char *dir, int64_t before, char *path, size_t len, char *err,
			 size_t errlen)
{
	time_t b = (time_t)before;
	struct tm tm;
	char stamp[32];
	FILE *f;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		sk_err(err, errlen, "audit.export_dir %s: cannot create it (%s); nothing was "
		       "deleted. Fix the directory or set audit.export_dir \"\"\n"
		       "  audit.export_dir %s を作成できません（%s）。何も削除していません。",
		       dir, strerror(errno), dir, strerror(errno));
		return NULL;
	}
	gmtime_r(&b, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if ((size_t)snprintf(path, len, "%s/audit-before-%s.jsonl", dir, stamp) >= len) {
		sk_err(err, errlen, "audit.export_dir %s: path too long", dir);
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		sk_err(err, errlen, "export %s: %s; nothing was deleted (an export of the same "
		       "time exists, or the directory is not writable)\n"
		       "  エクスポート %s: %s。何も削除していません。", path, strerror(e), path,
		       strerror(e));
		path[0] = '\0';
		return NULL;
	}
	return f;
}

int ska_audit_prune(struct sk_store *st, const char *actor, int64_t now, int64_t before,
		    struct ska_prune *r, char *err, size_t errlen)
{
	struct prune_tx t = { .actor = actor, .now = now, .r = r };
	char dir[SK_TEXT_MAX];
	int rc;

	memset(r, 0, sizeof(*r));
	if (!before) {
		t.retention = sk_setting_int(st, "audit.retention_days", 400);
		if (t.retention <= 0)
			return 0;	/* keep forever */
		if (t.retention < SK_AUDIT_RETENTION_MIN)
			t.retention = SK_AUDIT_RETENTION_MIN;	/* a value written past sekictl */
		before = now - (int64_t)t.retention * DAY;
	}
	if (before > now - (int64_t)SK_AUDIT_RETENTION_MIN * DAY)
		return sk_err(err, errlen, "the audit records of the last %d days are never pruned; "
			      "give a date at least %d days ago\n"
			      "  直近 %d 日間の監査ログは削除できません。%d 日以上前の日付を指定して"
			      "ください。", SK_AUDIT_RETENTION_MIN, SK_AUDIT_RETENTION_MIN,
			      SK_AUDIT_RETENTION_MIN, SK_AUDIT_RETENTION_MIN);
	r->before = before;
	rc = sk_setting_get(st, "audit.export_dir", dir, sizeof(dir));
	if (rc)
		return sk_err(err, errlen, "audit.export_dir: %s", strerror(-rc)), rc;
	if (dir[0] && !(t.f = export_open(dir, before, r->export_path, sizeof(r->export_path), err,
					  errlen)))
		return -EIO;
	rc = sk_store_tx(st, prune_apply, &t);
	if (t.f && fclose(t.f) && !rc) {
		t.werr = errno;
		rc = -EIO;
	}
	if (t.f && (rc || !r->deleted)) {
		unlink(r->export_path);	/* nothing deleted: no export either */
		r->export_path[0] = '\0';
	}
	if (rc && t.werr)
		return sk_err(err, errlen, "export: %s; nothing was deleted\n"
			      "  エクスポートを書けません（%s）。何も削除していません。",
			      strerror(t.werr), strerror(t.werr)), -EIO;
	if (rc)
		return sk_err(err, errlen, "the store: %s; nothing was deleted\n"
			      "  ストアのエラー（%s）。何も削除していません。", strerror(-rc),
			      strerror(-rc)), rc;
	return 0;
}

/* sekictl audit prune [--before DATE] */
int ska_audit_prune_cmd(struct ska *a, int argc, char **argv)
{
	struct ska_prune r;
	int64_t before = 0;
	char err[SKA_ERR * 2], t[40];
	int i, m;

	for (i = 1; i < argc; i++) {
		const char *v;

		if ((m = ska_opt(a, argc, argv, &i, "before", &v))) {
			if (m < 0)
				return 2;
			if (ska_parse_time(v, false, &before) || !before)
				return ska_usage(a, "--before: expected YYYY-MM-DD or ISO 8601, got '%s'",
						 v);
		} else {
			return ska_usage(a, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!before && sk_setting_int(a->st, "audit.retention_days", 400) <= 0) {
		fprintf(a->io->out, "audit prune: audit.retention_days is 0 (keep every record): "
			"nothing deleted; give --before DATE to prune once\n"
			"audit prune: audit.retention_days が 0（すべて保持）のため、何も削除して"
			"いません。一度だけ削除するには --before DATE を指定してください。\n");
		return 0;
	}
	if (ska_audit_prune(a->st, a->who->name, a->now, before, &r, err, sizeof(err)))
		return ska_fail(a, "%s", err);
	ska_fmt_time(r.before, t, sizeof(t));
	fprintf(a->io->out, "audit prune: %lld record(s) before %s deleted%s%s\n",
		(long long)r.deleted, t, r.export_path[0] ? ", exported to " : "", r.export_path);
	fprintf(a->io->out, "audit prune: %s より前の監査ログ %lld 件を削除しました%s%s%s\n",
		t, (long long)r.deleted, r.export_path[0] ? "（エクスポート先 " : "", r.export_path,
		r.export_path[0] ? "）" : "");
	return 0;
}
