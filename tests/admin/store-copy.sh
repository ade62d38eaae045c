#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sekictl store copy and store digest end to end through the binary (issue
# 13): a store filled by sekictl (a secret setting among it) copied into a
# new file and, with SK_TEST_STORE=postgresql://... (the store-pg stage,
# tests/lib/pg.sh), through a new PostgreSQL database and back; the
# per-table report and the verification; the copy equals the original
# (store digest); a target that is not empty refused and unchanged unless
# --force; a source of another schema version refused; a URI's password
# masked; no secret in any output; libpq is loaded for a PostgreSQL store
# only (lib/skdl.h: a SQLite store's commands load none of libpq, libldap,
# libcurl).  TAP.  Usage: tests/admin/store-copy.sh
# (SEKICTL=path to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
T=$(mktemp -d /tmp/sk-store-copy.XXXXXX)
PGDB=""
cleanup() {
	[ -n "$PGDB" ] && psql -q "$SK_TEST_STORE" -c "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
DB=$T/sekisho.db
LOG=$T/output
export TZ=UTC

. "$REPO/tests/lib/tap.sh"
S() { "$SEKICTL" --store "$DB" "$@"; }
# every run of sekictl store goes through here: its output is checked for secrets
C() { "$SEKICTL" store "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }
# the libraries a run loads, linked or dlopen'ed (LD_DEBUG=files), one a line
loads() { LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/^ *[0-9]*:[[:space:]]*file=\([^ ]*\) .*/\1/p' | sort -u; }
same_digest() {	# A B: the same rows and digest in every table (both read)
	local a b
	a=$(C digest "$1") && b=$(C digest "$2") && printf '%s' "$a" | grep -q '^  users ' &&
		[ "$(tail -n +2 <<<"$a")" = "$(tail -n +2 <<<"$b")" ]
}

echo "TAP version 13"
"$SEKICTL" init --store "$DB" >/dev/null	# only init creates a store
SECRET="Smtp-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
{
	S policy add office &&
	S policy rule add office allow tcp 10.1.0.0/16 port 443 &&
	S group add staff pool4=10.77.0.0/24 split-include=10.1.0.0/16 policy=office &&
	S user add alice --email alice@example.jp --group staff &&
	S user add bob --email bob@example.jp --group staff &&
	S user set alice totp=new &&
	S device add pc-01 --type windows --method serial --id SN-0001 &&
	S device assign alice pc-01 &&
	printf '%s\n' "$SECRET" | S settings set smtp.password - &&
	S settings set gateway.name gw-a
} >"$T/fill.log" 2>&1
ok "a store filled by sekictl" sh -c "[ \$(sqlite3 '$DB' 'SELECT count(*) FROM users') = 2 ] || cat '$T/fill.log'"

sqlite_loads() {	# what a SQLite store's user list loads: SQLite, none of the others
	local l
	l=$(loads "$SEKICTL" --store "$DB" user list)
	echo "$l"
	grep -q '^libsqlite3' <<<"$l" && ! grep -qE '^lib(pq|ldap|lber|curl)[.-]' <<<"$l"
}
ok "a SQLite store's user list loads SQLite and none of libpq, libldap, libcurl" sqlite_loads

ok "store copy into a new file: per table the rows, the total, verified (en/ja)" expect 0 \
	"verified: every table has the same rows and digest.*検証済み" \
	sh -c "'$SEKICTL' store copy '$DB' '$T/copy.db' 2>&1 | tee -a '$LOG' | tr '\n' ' '"
ok "the copy is 0600" test "$(stat -c %a "$T/copy.db" 2>&1)" = 600
ok "the report names the tables with their rows" sh -c \
	"grep -q '^  users  *2 ' '$LOG' && grep -q '^  settings  *2 ' '$LOG' &&
	 grep -q '^  devices  *1 ' '$LOG' && grep -q '^  total  *[1-9]' '$LOG'"
ok "store digest: the copy equals the original" same_digest "$DB" "$T/copy.db"
ok "the secret setting is copied as stored (not shown)" expect 0 '^(set)$' \
	"$SEKICTL" --store "$T/copy.db" settings show smtp.password

S user add carol --email carol@example.jp --group staff >/dev/null 2>&1
ok "a target that is not empty: refused (exit 1)" expect 1 "not empty.*--force" C copy "$DB" "$T/copy.db"
ok "the refusal in Japanese" expect 0 "上書きしません" cat "$LOG"
ok "and the target is unchanged" sh -c \
	"out=\$('$SEKICTL' --store '$T/copy.db' user list) && printf '%s' \"\$out\" | grep -q alice &&
	 ! printf '%s' \"\$out\" | grep -q carol"
ok "--force replaces the target's content" sh -c \
	"'$SEKICTL' store copy --force '$DB' '$T/copy.db' >> '$LOG' 2>&1 &&
	 '$SEKICTL' --store '$T/copy.db' user list | grep -q carol"
ok "store digest: equal again" same_digest "$DB" "$T/copy.db"

if sk_is_pg=$(case "${SK_TEST_STORE:-}" in postgresql://*|postgres://*) echo 1;; esac) && [ -n "$sk_is_pg" ]; then
	PGDB=skcopy_$$
	psql -q "$SK_TEST_STORE" -c "CREATE DATABASE $PGDB" >/dev/null
	PG=$(printf '%s' "$SK_TEST_STORE" | sed "s|^\([a-z]*://[^/]*\)/[^?]*|\1/$PGDB|")
	ok "store copy to PostgreSQL" expect 0 "^verified:" C copy "$DB" "$PG"
	ok "PostgreSQL: the same digests" same_digest "$DB" "$PG"
	ok "PostgreSQL: sekictl reads the users" expect 0 "carol" "$SEKICTL" --store "$PG" user list
	ok "PostgreSQL: its user list loads libpq (dlopen, lib/skdl.h)" expect 0 '^libpq\.so\.5$' \
		loads "$SEKICTL" --store "$PG" user list
	ok "PostgreSQL: a target that is not empty refused" expect 1 "not empty" C copy "$DB" "$PG"
	ok "store copy from PostgreSQL back to a new file" expect 0 "^verified:" C copy "$PG" "$T/back.db"
	ok "the file copied back equals the first" same_digest "$DB" "$T/back.db"
	psql -q "$PG" -c "UPDATE schema_version SET version = version - 1" >/dev/null
	ok "PostgreSQL: a source of an older schema refused (upgrade first)" expect 1 "upgrade it first" \
		C copy "$PG" "$T/never.db"
	ok "and no target made" test ! -e "$T/never.db"
else
	echo "ok $((N + 1)) PostgreSQL round trip # SKIP no SK_TEST_STORE (the store-pg stage sets it)"
	N=$((N + 1))
fi

sqlite3 "$T/copy.db" "UPDATE schema_version SET version = version - 1"
ok "a source of an older schema: refused (exit 1, upgrade first)" expect 1 "upgrade it first" \
	C copy "$T/copy.db" "$T/never.db"
ok "and no target made" test ! -e "$T/never.db"
ok "a URI's password is masked in messages" expect 1 'postgresql://skcopy:\*\*\*@' \
	C copy "$DB" "postgresql://skcopy:Uri-$SECRET@localhost:1/none?connect_timeout=2"
ok "a bad command line is a usage error (exit 2)" expect 2 "store copy" C copy "$DB"
ok "no secret in any output of sekictl store" sh -c "! grep -n -e '$SECRET' '$LOG'"
ok "the output was checked (it is not empty)" test -s "$LOG"

tap_done
