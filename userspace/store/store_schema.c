// SPDX-License-Identifier: GPL-2.0
/*
 * The store's schema, described once for every backend.
 *
 * sk_schema[i] brings schema version i to i + 1.  Each text is a list of
 * SQL statements separated by ';', written in the SQL that SQLite and
 * PostgreSQL share, with a few words that each backend spells its own way
 * ({INT}, {BLOB}, ...; see words[] below) and, where a statement exists
 * on one backend only, a "sqlite:" or "pg:" prefix on that statement.
 * sk_schema_script() expands one version for one dialect; each backend
 * runs the result, and the step that SQL cannot do (version 3: a random
 * uid for every existing user) in C, in the same transaction
 * (Documentation/decisions/store-backends.md).
 *
 * Never edit a released version: append a new one.  Group lists (split
 * routes, split DNS, factors) are child tables with a position column,
 * not JSON, so that they keep their order and stay queryable.  The column
 * "user" is quoted everywhere: PostgreSQL reserves the word.
 */
#include <stdlib.h>
#include <string.h>

#include "store-impl.h"

const char *const sk_schema[] = {
	/* 0 -> 1: the base schema */
	"CREATE TABLE schema_version (version {INT} NOT NULL);"
	"INSERT INTO schema_version VALUES (0);"
	"CREATE TABLE policies ("
	" id {ID},"
	" name TEXT NOT NULL UNIQUE,"
	" description TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE rules ("
	" policy_id {INT} NOT NULL REFERENCES policies(id) ON DELETE CASCADE,"
	" position {INT} NOT NULL,"
	" allow {INT} NOT NULL, family {INT} NOT NULL, addr {BLOB} NOT NULL,"
	" prefixlen {INT} NOT NULL, proto {INT} NOT NULL,"
	" port_min {INT} NOT NULL, port_max {INT} NOT NULL,"
	" PRIMARY KEY (policy_id, position)){NOROWID};"
	"CREATE TABLE groups ("
	" id {ID},"
	" name TEXT NOT NULL UNIQUE,"
	" label TEXT NOT NULL DEFAULT '',"
	" pool4 TEXT NOT NULL DEFAULT '', pool6 TEXT NOT NULL DEFAULT '',"
	" dns1 TEXT NOT NULL DEFAULT '', dns2 TEXT NOT NULL DEFAULT '',"
	" wins TEXT NOT NULL DEFAULT '', domain TEXT NOT NULL DEFAULT '',"
	" proxy_mode {INT} NOT NULL DEFAULT 0,"
	" proxy_pac TEXT NOT NULL DEFAULT '', proxy_server TEXT NOT NULL DEFAULT '',"
	" proxy_exclude TEXT NOT NULL DEFAULT '',"
	" banner TEXT NOT NULL DEFAULT '',"
	" idle_timeout {INT} NOT NULL DEFAULT 0, session_timeout {INT} NOT NULL DEFAULT 0,"
	" max_sessions {INT} NOT NULL DEFAULT 0, max_devices {INT} NOT NULL DEFAULT 2,"
	" access_hours TEXT NOT NULL DEFAULT '',"
	" policy_id {INT} REFERENCES policies(id) ON DELETE RESTRICT,"
	" lang {INT} NOT NULL DEFAULT 0, mtu {INT} NOT NULL DEFAULT 0);"
	"CREATE TABLE group_factors ("
	" group_id {INT} NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	" position {INT} NOT NULL, factor TEXT NOT NULL,"
	" PRIMARY KEY (group_id, position), UNIQUE (group_id, factor));"
	"CREATE TABLE group_lists ("
	" group_id {INT} NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL CHECK (kind IN ('split_inc', 'split_exc', 'split_dns')),"
	" position {INT} NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (group_id, kind, position));"
	"CREATE TABLE users ("
	" id {ID},"
	" name TEXT NOT NULL UNIQUE,"
	" email TEXT NOT NULL DEFAULT '',"
	" group_id {INT} NOT NULL REFERENCES groups(id) ON DELETE RESTRICT,"
	" pw_hash TEXT NOT NULL DEFAULT '',"
	" must_change_pw {INT} NOT NULL DEFAULT 0,"
	" enabled {INT} NOT NULL DEFAULT 1,"
	" locked {INT} NOT NULL DEFAULT 0, locked_until {INT} NOT NULL DEFAULT 0,"
	" fail_count {INT} NOT NULL DEFAULT 0,"
	" valid_from {INT} NOT NULL DEFAULT 0, valid_until {INT} NOT NULL DEFAULT 0,"
	" totp_secret TEXT NOT NULL DEFAULT '', totp_last_step {INT} NOT NULL DEFAULT 0,"
	" cert_id TEXT NOT NULL DEFAULT '', lang {INT} NOT NULL DEFAULT 0,"
	" created {INT} NOT NULL, changed {INT} NOT NULL);"
	"CREATE INDEX users_group ON users(group_id);"
	"CREATE TABLE devices ("
	" id {ID},"
	" name TEXT NOT NULL UNIQUE,"
	" type {INT} NOT NULL, enabled {INT} NOT NULL, check_on {INT} NOT NULL,"
	" method {INT} NOT NULL, ident TEXT NOT NULL,"
	" policy_id {INT} REFERENCES policies(id) ON DELETE RESTRICT,"
	" user_id {INT} REFERENCES users(id) ON DELETE SET NULL);"
	"CREATE INDEX devices_user ON devices(user_id);"
	/* serials are unique whatever their case */
	"CREATE TABLE certs ("
	" id {ID},"
	" serial TEXT NOT NULL{NOCASE_UNIQUE},"
	" \"user\" TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" not_before {INT} NOT NULL, not_after {INT} NOT NULL,"
	" revoked_at {INT} NOT NULL DEFAULT 0);"
	"pg:CREATE UNIQUE INDEX certs_serial ON certs (lower(serial));"
	"CREATE INDEX certs_user ON certs(\"user\");"
	"CREATE TABLE profiles ("
	" id {ID},"
	" \"user\" TEXT NOT NULL, device TEXT NOT NULL DEFAULT '',"
	" token_hash {BLOB} NOT NULL UNIQUE,"
	" expires {INT} NOT NULL, max_downloads {INT} NOT NULL, downloads {INT} NOT NULL,"
	" state {INT} NOT NULL, created {INT} NOT NULL);"
	"CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL){NOROWID};"
	/* session ids are kernel peer ids: never handed out twice */
	"CREATE TABLE sessions ("
	" id {SERIAL},"
	" cookie_hash {BLOB} NOT NULL UNIQUE,"
	" \"user\" TEXT NOT NULL, grp TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',"
	" addr4 TEXT NOT NULL DEFAULT '', addr6 TEXT NOT NULL DEFAULT '',"
	" remote TEXT NOT NULL DEFAULT '',"
	" started {INT} NOT NULL, last_seen {INT} NOT NULL, expires {INT} NOT NULL,"
	" rx_bytes {INT} NOT NULL DEFAULT 0, tx_bytes {INT} NOT NULL DEFAULT 0,"
	" pid {INT} NOT NULL DEFAULT 0, killed {INT} NOT NULL DEFAULT 0);"
	/* one address per user and family, never one address for two users:
	 * the database enforces it */
	"CREATE TABLE leases ("
	" \"user\" TEXT NOT NULL, family {INT} NOT NULL, addr TEXT NOT NULL,"
	" PRIMARY KEY (\"user\", family), UNIQUE (family, addr));"
	"CREATE TABLE source_failures (source TEXT NOT NULL, time {INT} NOT NULL);"
	"CREATE INDEX source_failures_st ON source_failures(source, time);"
	"CREATE TABLE audit ("
	" id {ID},"
	" time {INT} NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL DEFAULT '',"
	" \"user\" TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',"
	" source TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '',"
	" detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX audit_time ON audit(time);"
	"CREATE INDEX audit_user ON audit(\"user\", time);",

	/* 1 -> 2: audit searches by type ("all logins this week") */
	"CREATE INDEX audit_type ON audit(type, time);",

	/* 2 -> 3: a user identifier that is never given to another user (the
	 * rowid is reused after a delete, a name may be given again); the
	 * users of the store get theirs in C, from getrandom, which SQL has
	 * no access to, and then the unique index users_uid (the backends'
	 * migration code).  legacy_certs marks the records that may hold
	 * certificates issued without one. */
	"ALTER TABLE users ADD COLUMN uid TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN legacy_certs {INT} NOT NULL DEFAULT 0;"
	"UPDATE users SET legacy_certs = 1;"
	"ALTER TABLE certs ADD COLUMN user_uid TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX certs_device ON certs(device);"
	"CREATE INDEX profiles_user ON profiles(\"user\", device);",

	/* 3 -> 4: a group whose only factor is a certificate is refused
	 * unless an administrator sets cert_only_ok (a compromised worker can
	 * report any certificate it has seen: issue 11 item 5); the groups
	 * that were like that before the upgrade keep working, with the
	 * override set for them (sekishod names them at every start) */
	"ALTER TABLE groups ADD COLUMN cert_only_ok {INT} NOT NULL DEFAULT 0;"
	"UPDATE groups SET cert_only_ok = 1 WHERE id IN (SELECT group_id FROM group_factors"
	" GROUP BY group_id HAVING count(*) = 1 AND max(factor) = 'cert');",

	/* 4 -> 5: login failures scored per source prefix (an IPv4 address
	 * or an IPv6 /64), one bounded row each, instead of one row per
	 * failure keyed by address:port (issue 11 item 1); locks that grow
	 * (lock_count), and lockout.seconds becomes lockout.duration, its 0
	 * "permanent" (item 2) */
	"DROP TABLE source_failures;"
	"CREATE TABLE sources ("
	" prefix TEXT PRIMARY KEY,"
	" failures {INT} NOT NULL DEFAULT 0,"
	" window_start {INT} NOT NULL, last_fail {INT} NOT NULL,"
	" blocked_until {INT} NOT NULL DEFAULT 0,"
	" blocks {INT} NOT NULL DEFAULT 0);"
	"CREATE INDEX sources_last ON sources(last_fail);"
	"ALTER TABLE users ADD COLUMN lock_count {INT} NOT NULL DEFAULT 0;"
	"INSERT INTO settings (key, value) SELECT 'lockout.duration',"
	" CASE value WHEN '0' THEN 'permanent' ELSE value END"
	" FROM settings WHERE key = 'lockout.seconds';"
	"DELETE FROM settings WHERE key = 'lockout.seconds';",

	/* 5 -> 6: device posture (issue 12): policy keys per group and per
	 * device (KEY=VALUE, checked by lib/posture.c before they are
	 * stored; a missing key takes the group's or the shipped default),
	 * and each device's last report and verdicts */
	"CREATE TABLE group_posture ("
	" group_id {INT} NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (group_id, key)){NOROWID};"
	"CREATE TABLE device_posture ("
	" device_id {INT} NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (device_id, key)){NOROWID};"
	"CREATE TABLE device_posture_last ("
	" device_id {INT} PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,"
	" time {INT} NOT NULL, outcome TEXT NOT NULL,"
	" report TEXT NOT NULL, verdicts TEXT NOT NULL);",

	/* 6 -> 7: directories (issue 15, Documentation/admin/directory.md):
	 * named LDAP/AD directories as KEY=VALUE settings (checked by
	 * auth/ldap.c before they are stored; the service password is one of
	 * them, never listed), the directory a group uses (a group may use
	 * none; deleting a directory a group uses is refused), and the
	 * directory a user record was made for (NULL = a local account) */
	"CREATE TABLE directories ("
	" id {ID}, name TEXT NOT NULL UNIQUE, created {INT} NOT NULL);"
	"CREATE TABLE directory_settings ("
	" directory_id {INT} NOT NULL REFERENCES directories(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (directory_id, key)){NOROWID};"
	"CREATE TABLE group_directory ("
	" group_id {INT} PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,"
	" directory_id {INT} NOT NULL REFERENCES directories(id));"
	"ALTER TABLE users ADD COLUMN directory TEXT;",

	/* 7 -> 8: a user's display name (氏名, issue 14), shown in listings
	 * and the audit trail, never used to log in */
	"ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';",

	/* 8 -> 9: several gateways, one store (issue 13).  Every audit
	 * record names the gateway (or the host of the sekictl) that wrote
	 * it; a session row names the gateway that serves it.  No address is
	 * ever held by two sessions, whichever gateway or user: unique
	 * indexes, so that the database refuses the second one (a store of
	 * an older version could only have duplicates from two gateways:
	 * the newest session of each address keeps it, the others get a new
	 * one at their next CONNECT) */
	"ALTER TABLE audit ADD COLUMN gateway TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE sessions ADD COLUMN gateway TEXT NOT NULL DEFAULT '';"
	"UPDATE sessions SET addr4 = '' WHERE addr4 != '' AND id NOT IN"
	" (SELECT max(id) FROM sessions WHERE addr4 != '' GROUP BY addr4);"
	"UPDATE sessions SET addr6 = '' WHERE addr6 != '' AND id NOT IN"
	" (SELECT max(id) FROM sessions WHERE addr6 != '' GROUP BY addr6);"
	"CREATE UNIQUE INDEX sessions_addr4 ON sessions(addr4) WHERE addr4 != '';"
	"CREATE UNIQUE INDEX sessions_addr6 ON sessions(addr6) WHERE addr6 != '';",

	/* 9 -> 10: live across gateways (issue 13,
	 * Documentation/decisions/live-gateways.md).  On PostgreSQL every
	 * change that a running gateway must apply is announced on the
	 * channel "sekisho" in the transaction that makes it, whoever makes
	 * it (sekictl against any gateway, --store, or psql): a trigger
	 * sends a kind ("policies", "users", "settings", "crl") or "kill ID";
	 * NOTIFY delivers it at the commit only, once per kind and
	 * transaction, and never says what changed beyond that (the
	 * gateways read the store again).  Row triggers with WHEN leave out
	 * the writes of every login (failure counters, TOTP steps, session
	 * counters).  SQLite has one gateway and no notifications: nothing. */
	"pg:CREATE FUNCTION sekisho_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN PERFORM pg_notify('sekisho', TG_ARGV[0]){SEMI} RETURN NULL{SEMI} END $$;"
	"pg:CREATE FUNCTION sekisho_notify_kill() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN PERFORM pg_notify('sekisho', 'kill ' || NEW.id){SEMI} RETURN NULL{SEMI} END $$;"
	"pg:CREATE TRIGGER policies_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policies"
	" FOR EACH STATEMENT EXECUTE FUNCTION sekisho_notify('policies');"
	"pg:CREATE TRIGGER rules_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rules"
	" FOR EACH STATEMENT EXECUTE FUNCTION sekisho_notify('policies');"
	"pg:CREATE TRIGGER users_notify AFTER UPDATE ON users FOR EACH ROW WHEN"
	" (OLD.enabled IS DISTINCT FROM NEW.enabled OR OLD.locked IS DISTINCT FROM NEW.locked"
	" OR OLD.locked_until IS DISTINCT FROM NEW.locked_until"
	" OR OLD.valid_from IS DISTINCT FROM NEW.valid_from"
	" OR OLD.valid_until IS DISTINCT FROM NEW.valid_until"
	" OR OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.name IS DISTINCT FROM NEW.name)"
	" EXECUTE FUNCTION sekisho_notify('users');"
	"pg:CREATE TRIGGER users_gone_notify AFTER DELETE OR TRUNCATE ON users"
	" FOR EACH STATEMENT EXECUTE FUNCTION sekisho_notify('users');"
	"pg:CREATE TRIGGER groups_notify AFTER UPDATE ON groups FOR EACH ROW"
	" WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION sekisho_notify('users');"
	"pg:CREATE TRIGGER groups_gone_notify AFTER DELETE OR TRUNCATE ON groups"
	" FOR EACH STATEMENT EXECUTE FUNCTION sekisho_notify('users');"
	"pg:CREATE TRIGGER devices_notify AFTER UPDATE ON devices FOR EACH ROW"
	" WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION sekisho_notify('users');"
	"pg:CREATE TRIGGER devices_gone_notify AFTER DELETE OR TRUNCATE ON devices"
	" FOR EACH STATEMENT EXECUTE FUNCTION sekisho_notify('users');"
	"pg:CREATE TRIGGER settings_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings"
	" FOR EACH STATEMENT EXECUTE FUNCTION sekisho_notify('settings');"
	"pg:CREATE TRIGGER certs_notify AFTER UPDATE ON certs FOR EACH ROW"
	" WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION sekisho_notify('crl');"
	"pg:CREATE TRIGGER sessions_kill_notify AFTER UPDATE ON sessions FOR EACH ROW"
	" WHEN (NEW.killed != 0 AND OLD.killed = 0) EXECUTE FUNCTION sekisho_notify_kill();",

	/* 10 -> 11: a session's quarantine (issue 12): the remediation
	 * allowlist its tunnel runs on ("" = none) and why ("check: reason"),
	 * written by sekishod at the login and at every CONNECT, read by
	 * sekictl session list/show (before: the last posture audit record) */
	("ALTER TABLE sessions ADD COLUMN quarantine TEXT NOT NULL DEFAULT '';"
	 "ALTER TABLE sessions ADD COLUMN quarantine_why TEXT NOT NULL DEFAULT '';"),

	/* 11 -> 12: gateways that die (issue 13,
	 * Documentation/decisions/gateway-heartbeat.md).  Every sekishod
	 * writes its name and the time into gateways every 10 s; the others
	 * take the sessions of a gateway silent for session.gateway_dead
	 * seconds as detached sessions of their own (session.grace then ends
	 * them unless their clients come back).  A session whose gateway
	 * changes (its client came back with its cookie to another gateway,
	 * or a live gateway took a silent one's rows) is announced as
	 * "moved ID": the gateway that served it ends its side (worker,
	 * kernel peer), so that one gateway only routes its address. */
	"CREATE TABLE gateways (name TEXT PRIMARY KEY, started {INT} NOT NULL,"
	" seen {INT} NOT NULL){NOROWID};"
	"pg:CREATE FUNCTION sekisho_notify_moved() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN PERFORM pg_notify('sekisho', 'moved ' || NEW.id){SEMI} RETURN NULL{SEMI} END $$;"
	"pg:CREATE TRIGGER sessions_moved_notify AFTER UPDATE ON sessions FOR EACH ROW"
	" WHEN (OLD.gateway != '' AND NEW.gateway != OLD.gateway)"
	" EXECUTE FUNCTION sekisho_notify_moved();",

	/* 12 -> 13: a session's packet counters beside its bytes (issue 15):
	 * the RADIUS Accounting Stop of a session that ends after a
	 * restart (taken back, or its row deleted by the sweep) has the
	 * packets counted before the restart too, as it has the bytes */
	("ALTER TABLE sessions ADD COLUMN rx_packets {INT} NOT NULL DEFAULT 0;"
	 "ALTER TABLE sessions ADD COLUMN tx_packets {INT} NOT NULL DEFAULT 0;"),
};

const int sk_schema_latest = (int)(sizeof(sk_schema) / sizeof(sk_schema[0]));

/* The words each dialect spells its own way.  {ID}: a row id (SQLite may
 * hand a deleted one out again); {SERIAL}: an id never handed out twice. */
static const struct { const char *word, *sqlite, *pg; } words[] = {
	{ "{INT}", "INTEGER", "BIGINT" },
	{ "{BLOB}", "BLOB", "BYTEA" },
	{ "{ID}", "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
	{ "{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT",
	  "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
	{ "{NOROWID}", " WITHOUT ROWID", "" },
	/* PostgreSQL: the unique index certs_serial on lower(serial) */
	{ "{NOCASE_UNIQUE}", " UNIQUE COLLATE NOCASE", "" },
	/* a ';' inside a statement (a PL/pgSQL body): the list splits at ';' */
	{ "{SEMI}", ";", ";" },
};

static const char *const prefixes[] = {
	[SK_DIALECT_SQLITE] = "sqlite:",
	[SK_DIALECT_PG] = "pg:",
};

char *sk_schema_script(enum sk_dialect d, int from)
{
	const char *in, *stmt_end, *p;
	size_t cap, n = 0, i;
	char *out;

	if (from < 0 || from >= sk_schema_latest || (d != SK_DIALECT_SQLITE && d != SK_DIALECT_PG))
		return NULL;
	in = sk_schema[from];
	cap = strlen(in) * 16 + 1;	/* no word grows more than 16 times */
	if (!(out = malloc(cap)))
		return NULL;
	while (*in) {
		bool keep = true;

		stmt_end = strchr(in, ';');
		stmt_end = stmt_end ? stmt_end + 1 : in + strlen(in);
		for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			size_t len = strlen(prefixes[i]);

			if (!strncmp(in, prefixes[i], len)) {
				keep = (enum sk_dialect)i == d;
				in += len;
			}
		}
		for (p = in; keep && p < stmt_end;) {
			const char *w = NULL;

			for (i = 0; *p == '{' && i < sizeof(words) / sizeof(words[0]); i++)
				if (!strncmp(p, words[i].word, strlen(words[i].word))) {
					w = d == SK_DIALECT_PG ? words[i].pg : words[i].sqlite;
					p += strlen(words[i].word);
					break;
				}
			if (w) {
				if (n + strlen(w) >= cap)
					goto overflow;
				memcpy(out + n, w, strlen(w));
				n += strlen(w);
			} else {
				if (n + 1 >= cap)
					goto overflow;
				out[n++] = *p++;
			}
		}
		in = stmt_end;
	}
	out[n] = '\0';
	return out;
overflow:
	free(out);
	return NULL;
}
