/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit trail to syslog: every record of the store's audit table also
 * goes to the local syslog socket (/dev/log: journald or rsyslog) as one
 * line of key=value pairs, so that a SIEM sees logins, sessions,
 * administrative changes and source blocks without reading the store.
 * Documentation/admin/logging.md describes the line and its keys.
 *
 * sekishod forwards the records: it reads the records it has not sent yet
 * from the store once a second (a "tail" of the audit table), so the
 * records of every writer reach syslog once, whoever wrote them (the
 * login chain, the sessions, the control socket, and `sekictl --store`
 * beside the running daemon).  Nothing else sends audit records to
 * syslog, so nothing is logged twice.
 *
 *   line    sekisho-audit id=12 time=2026-12-06T20:03:28Z type=login
 *           result=fail actor=alice user=alice device=- source=203.0.113.5:51234
 *           detail="{\"factor\":\"password\"}"
 *
 * A value is the record's text with every byte that is not valid
 * single-line UTF-8 written \xNN and a backslash as \\ (lib/sktext.h),
 * then quoted ("...", with \" inside) when it is empty or holds a blank,
 * '"' or '='.  No record holds a secret (the store's audit trail never
 * does: a secret setting is recorded as "(changed)"), so neither does a
 * line.  A line is at most SKA_AUDIT_LINE_MAX bytes: a longer detail is
 * cut at a character boundary and the line ends with "truncated=1".
 */
#ifndef SKAUDITLOG_H
#define SKAUDITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skstore.h"

#define SKA_AUDIT_LINE_MAX	4096
#define SKA_AUDIT_SYSLOG_PATH	"/dev/log"

/* The line of one record (without the syslog header); returns its length. */
size_t ska_audit_line(const struct sk_audit *a, char *buf, size_t len);

/* The syslog priority of a record: facility auth; info for "ok" and
 * "started"/"stopped", notice otherwise (a failed login, a refusal, a
 * source block, a session that ended for any reason but the user's). */
int ska_audit_priority(const struct sk_audit *a);

/* the results of the records of types login, factor (with the detail's
 * "factor") and posture, counted as they are read (the metrics); a value
 * that is not a keyword, or beyond SKA_COUNT_MAX pairs, counts as "other" */
#define SKA_COUNT_MAX 64
struct ska_count {
	char type[8];			/* "login", "factor", "posture" */
	char factor[24];		/* factor records: "password", "email-otp", ... */
	char result[SK_NAME_MAX + 1];
	uint64_t n;
};

struct ska_auditlog {
	int fd;				/* AF_UNIX datagram socket, -1 = closed */
	bool quiet;			/* read and count, send nothing (audit_syslog = no) */
	int n_counts;
	struct ska_count counts[SKA_COUNT_MAX];
	char path[108];			/* the syslog socket */
	char ident[32];			/* "sekishod" */
	int pid;
	int64_t last_id;		/* the newest record sent */
	int64_t last_time;		/* its time */
	uint64_t sent, dropped;		/* counters (metrics, tests) */
};

/*
 * Starts forwarding: opens a datagram socket towards path (NULL: /dev/log;
 * connected at each send, so a journald restart is survived) and sets the
 * cursor to the newest record of the store, so that only records written
 * from now on are sent.  0 or -errno.
 */
int ska_auditlog_open(struct ska_auditlog *l, struct sk_store *st, const char *path,
		      const char *ident);
/* Sends the records written since the last call, oldest first; returns how
 * many were sent or -errno from the store (the cursor then stays). */
int ska_auditlog_poll(struct ska_auditlog *l, struct sk_store *st);
/* Sends one record now (used by poll; also for tests). 0 or -errno. */
int ska_auditlog_send(struct ska_auditlog *l, const struct sk_audit *a);
void ska_auditlog_close(struct ska_auditlog *l);
/* counts a record of type login, factor or posture (poll does it for each record) */
void ska_auditlog_count(struct ska_auditlog *l, const struct sk_audit *a);

/* ---- retention (retention.c) ---- */

struct ska_prune {
	int64_t before;			/* the records older than this ... */
	int64_t deleted;		/* ... this many, were deleted */
	char export_path[4096];		/* where they were written first; "" = nowhere */
};

/*
 * Prunes the audit trail: the records older than before (0: now minus
 * audit.retention_days; nothing when that is 0) are written as JSON lines
 * (those of `sekictl audit export`) to a new file in audit.export_dir when
 * it is set (audit-before-YYYYMMDDTHHMMSSZ.jsonl, mode 0600, never an
 * existing file or a link; the directory made 0700 if missing), then
 * deleted, and a record "audit-prune" by actor says what was pruned
 * ({"before":..,"deleted":N,"retention_days":N,"export":PATH|null}): one
 * transaction, so an export that fails deletes nothing, and a deletion
 * that fails leaves no export.  Nothing to delete: no record, no file.
 * A before within the last SK_AUDIT_RETENTION_MIN days is refused.
 * 0 with *r filled, or -errno with a message (en, ja) in err.
 */
int ska_audit_prune(struct sk_store *st, const char *actor, int64_t now, int64_t before,
		    struct ska_prune *r, char *err, size_t errlen);

#endif
