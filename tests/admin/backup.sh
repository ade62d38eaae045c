#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sekictl init, backup and restore end to end through the binary (issue
# 14, Operations): only init creates a store (a mistyped --store is
# refused and creates nothing, for SQLite and, with SK_TEST_STORE, for a
# PostgreSQL database without sekisho's tables); a backup holds the store
# (one snapshot, taken while another sekictl writes), ca.dir and the
# bootstrap file, is 0600, never overwrites, is a ustar archive GNU tar
# lists; restore gives back the same store (store digest), the CA and the
# config, refuses a target with other content without --force, a newer
# schema, an archive with a foreign entry; --encrypt: the passphrase from
# stdin, no plaintext in the file, a wrong passphrase or a changed byte
# refused, a short passphrase refused.  With SK_TEST_STORE (the store-pg
# stage) the same round trip through PostgreSQL.  TAP.
# Usage: tests/admin/backup.sh (SEKICTL=path to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
T=$(mktemp -d /tmp/sk-backup.XXXXXX)
PGDBS=""
cleanup() {
	local d
	for d in $PGDBS; do
		psql -q "$SK_TEST_STORE" -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
	done
	[ -n "${WRITER:-}" ] && kill "$WRITER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export TZ=UTC TMPDIR=$T
DB=$T/a/sekisho.db
mkdir -p "$T/a" "$T/b" "$T/c"
PASS="correct horse battery staple"

. "$REPO/tests/lib/tap.sh"
S() { "$SEKICTL" --store "$DB" "$@"; }
same_digest() {	# A B: the same rows and digest in every table but audit (a
		# restore records itself there) and the total
	local a b
	a=$("$SEKICTL" store digest "$1" | grep -v -e '^  audit ' -e '^  total ') &&
	b=$("$SEKICTL" store digest "$2" | grep -v -e '^  audit ' -e '^  total ') &&
		printf '%s' "$a" | grep -q '^  users ' && [ "$(tail -n +2 <<<"$a")" = "$(tail -n +2 <<<"$b")" ]
}


echo "TAP version 13"
# ---- init, and no other command creates a store
ok "a store command on a path that does not exist: refused, names sekictl init (en/ja)" \
	expect 1 "does not exist.*sekictl init --store $T/nosuch.db.*存在しません" \
	bash -o pipefail -c "'$SEKICTL' --store '$T/nosuch.db' user list 2>&1 | tr '\n' ' '"
ok "and nothing was created" test ! -e "$T/nosuch.db"
ok "SEKISHO_STORE the same" expect 1 "sekictl init" env SEKISHO_STORE="$T/nosuch.db" "$SEKICTL" group list
ok "backup of a store that does not exist: refused" expect 1 "does not exist" \
	"$SEKICTL" --store "$T/nosuch.db" backup "$T/never.bk"
ok "and neither store nor backup made" test ! -e "$T/nosuch.db" -a ! -e "$T/never.bk"
ok "init creates the store (en/ja)" expect 0 "created the store $DB (schema version [0-9]*, empty).*作成しました" \
	sh -c "'$SEKICTL' init --store '$DB' | tr '\n' ' '"
ok "init leaves the store empty (a restore into it needs no --force)" sh -c \
	"'$SEKICTL' store digest '$DB' | grep -q '^  total  *0 '"
ok "init again: exists, nothing changed" expect 0 "exists already.*nothing changed" "$SEKICTL" init --store "$DB"
ok "init through the control socket: refused (usage)" expect 2 "not through sekishod" \
	"$SEKICTL" --socket "$T/none.sock" init

# ---- a store with a CA, a secret setting, users; a bootstrap file
{
	S ca init --cn "Backup Test CA" &&
	S group add staff pool4=10.77.0.0/24 &&
	S user add alice --email alice@example.jp --group staff &&
	printf '%s\n' "Smtp-Secret-4711" | S settings set smtp.password -
} >"$T/fill.log" 2>&1
ok "a store filled by sekictl, with a CA" sh -c "[ -s '$T/a/ca/ca.key' ] || cat '$T/fill.log'"
printf 'store = %s\nuser = sekisho\n' "$DB" >"$T/a/sekishod.conf"

# a writer beside the backup: the snapshot is one transaction
( for i in $(seq 1 200); do S user add "w$i" --email "w$i@example.jp" --group staff >/dev/null 2>&1 || exit; done ) &
WRITER=$!
ok "backup while another sekictl writes (en/ja, what it holds)" \
	expect 0 "backup $T/b1.bk: the store $DB (schema version [0-9]*, [0-9]* tables.*3 files of ca.dir $T/a/ca, $T/a/sekishod.conf; mode 0600, not encrypted.*バックアップ" \
	sh -c "'$SEKICTL' --store '$DB' backup --config '$T/a/sekishod.conf' '$T/b1.bk' | tr '\n' ' '"
wait "$WRITER"
WRITER=""
ok "the backup is mode 0600" test "$(stat -c %a "$T/b1.bk")" = 600
ok "GNU tar lists it: manifest, store, CA, bootstrap file" sh -c \
	"tar tf '$T/b1.bk' | sort | tr '\n' ' ' | grep -qx 'sekisho-backup/MANIFEST sekisho-backup/ca/ca.key sekisho-backup/ca/ca.pem sekisho-backup/ca/crl.pem sekisho-backup/sekishod.conf sekisho-backup/store.db '"
ok "the work directory is gone" sh -c "! ls -d '$T'/sekisho-backup.* 2>/dev/null"
ok "an existing file is never overwritten" expect 1 "exists already" \
	"$SEKICTL" --store "$DB" backup "$T/b1.bk"

# ---- restore into a new place
R=$T/b/sekisho.db
ok "restore into a new store: what it restored (en/ja)" \
	expect 0 "restored $T/b1.bk (release .*: the store $R (schema version [0-9]*, .*verified), 3 files into ca.dir $T/b/ca, $T/b/sekishod.conf.*復元しました" \
	sh -c "'$SEKICTL' --store '$R' restore --config '$T/b/sekishod.conf' '$T/b1.bk' | tr '\n' ' '"
tar xf "$T/b1.bk" -C "$T/c"
ok "the restored store equals the snapshot in the backup (store digest)" same_digest "$T/c/sekisho-backup/store.db" "$R"
ok "the CA and the bootstrap file are back, the key 0600" sh -c \
	"cmp '$T/a/ca/ca.key' '$T/b/ca/ca.key' && cmp '$T/a/ca/ca.pem' '$T/b/ca/ca.pem' &&
	 cmp '$T/a/sekishod.conf' '$T/b/sekishod.conf' && [ \$(stat -c %a '$T/b/ca/ca.key') = 600 ]"
ok "the restore is audited in the restored store (who, the file)" sh -c \
	"last_audit() { '$SEKICTL' --store \"\$1\" --json audit list --type admin; };
	 last_audit '$R' | grep -q 'restore' && last_audit '$R' | grep -q 'b1.bk'"
ok "the backup is audited in the store it was taken from" sh -c \
	"'$SEKICTL' --store '$DB' --json audit list --type admin | grep -q 'b1.bk'"
ok "the restored store works (sekictl reads it; the secret as stored)" expect 0 "^(set)$" \
	"$SEKICTL" --store "$R" settings show smtp.password
ok "restore onto a store that is not empty: refused without --force (en/ja)" \
	expect 1 "not empty.*--force.*空ではありません" \
	bash -o pipefail -c "'$SEKICTL' --store '$DB' restore --config '$T/a/sekishod.conf' '$T/b1.bk' 2>&1 | tr '\n' ' '"
echo "# changed" >>"$T/b/sekishod.conf"
S user add zed --email zed@example.jp --group staff >/dev/null
ok "a bootstrap file with other content: refused without --force, nothing restored" \
	expect 1 "exist with other content: $T/b/sekishod.conf.*--force" \
	"$SEKICTL" --store "$R" restore --config "$T/b/sekishod.conf" "$T/b1.bk"
ok "and the file is unchanged" grep -q "# changed" "$T/b/sekishod.conf"
ok "--force replaces store, CA and bootstrap file" sh -c \
	"'$SEKICTL' --store '$DB' restore --force --config '$T/a/sekishod.conf' '$T/b1.bk' >/dev/null &&
	 ! '$SEKICTL' --store '$DB' user list | grep -q zed"

# ---- hostile or unsuitable archives
mkdir -p "$T/h/sekisho-backup"
cp "$T/c/sekisho-backup/MANIFEST" "$T/c/sekisho-backup/store.db" "$T/h/sekisho-backup/"
echo evil >"$T/h/evil"
echo evil >"$T/h/sekisho-backup/evil.sh"
(cd "$T/h" && tar --format=ustar -cf "$T/evil.bk" sekisho-backup/MANIFEST sekisho-backup/store.db ../h/evil) 2>/dev/null
ok "an archive with an entry outside sekisho-backup/: refused, nothing restored" expect 1 "lies outside sekisho-backup/" \
	"$SEKICTL" --store "$T/h1.db" restore --config "$T/h.conf" "$T/evil.bk"
ok "and no store made" test ! -e "$T/h1.db"
(cd "$T/h" && tar --format=ustar -cf "$T/evil2.bk" sekisho-backup/MANIFEST sekisho-backup/evil.sh sekisho-backup/store.db)
ok "an archive with a name a backup does not have: refused" expect 1 'a name a backup does not have: "sekisho-backup/evil.sh"' \
	"$SEKICTL" --store "$T/h1.db" restore --config "$T/h.conf" "$T/evil2.bk"
rm "$T/h/sekisho-backup/evil.sh"
ln -s /etc/passwd "$T/h/sekisho-backup/sekishod.conf"
(cd "$T/h" && tar --format=ustar -cf "$T/link.bk" sekisho-backup/MANIFEST sekisho-backup/store.db sekisho-backup/sekishod.conf)
ok "a symbolic link in the archive: refused" expect 1 "not a regular file" \
	"$SEKICTL" --store "$T/h2.db" restore --config "$T/h.conf" "$T/link.bk"
rm "$T/h/sekisho-backup/sekishod.conf"
sqlite3 "$T/h/sekisho-backup/store.db" "UPDATE schema_version SET version = 999"
(cd "$T/h" && tar --format=ustar -cf "$T/newer.bk" sekisho-backup/MANIFEST sekisho-backup/store.db)
ok "a backup of a newer schema: refused, names the version (en/ja)" \
	expect 1 "schema version 999 is newer.*nothing was restored.*何も復元していません" \
	bash -o pipefail -c "'$SEKICTL' --store '$T/h3.db' restore --config '$T/h.conf' '$T/newer.bk' 2>&1 | tr '\n' ' '"
ok "and no store made" test ! -e "$T/h3.db"
head -c 3000 "$T/b1.bk" >"$T/short.bk"
ok "a truncated archive: refused" expect 1 "nothing was restored" \
	"$SEKICTL" --store "$T/h4.db" restore --config "$T/h.conf" "$T/short.bk"

# ---- encrypted
ok "backup --encrypt: passphrase from stdin" expect 0 "encrypted (scrypt, AES-256-GCM)" \
	sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$DB' backup --encrypt --config '$T/a/sekishod.conf' '$T/b2.bk'"
ok "the file is 0600 and holds no plaintext (no tar header, no SQLite, no key, no secret)" sh -c \
	"[ \$(stat -c %a '$T/b2.bk') = 600 ] && ! grep -qa -e ustar -e 'SQLite format' -e 'PRIVATE KEY' -e Smtp-Secret '$T/b2.bk'"
ok "a short passphrase: refused, nothing written" expect 1 "at least 12" \
	sh -c "echo short | '$SEKICTL' --store '$DB' backup --encrypt '$T/b3.bk'; r=\$?; [ ! -e '$T/b3.bk' ]; exit \$r"
ok "restore with a wrong passphrase: refused (en/ja), no store made" \
	expect 1 "passphrase is wrong or the file was changed.*パスフレーズが違う" \
	bash -c "echo 'wrong passphrase here' | '$SEKICTL' --store '$T/e1.db' restore --config '$T/e.conf' '$T/b2.bk' 2>&1 | tr '\n' ' '; r=\${PIPESTATUS[1]}; [ ! -e '$T/e1.db' ] && exit \$r"
cp "$T/b2.bk" "$T/b2x.bk"
printf 'X' | dd of="$T/b2x.bk" bs=1 seek=5000 conv=notrunc 2>/dev/null
ok "one changed byte: refused" expect 1 "passphrase is wrong or the file was changed" \
	sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$T/e2.db' restore --config '$T/e.conf' '$T/b2x.bk'"
cp "$T/b2.bk" "$T/b2p.bk"
printf '\020' | dd of="$T/b2p.bk" bs=1 seek=9 conv=notrunc 2>/dev/null
ok "a changed scrypt parameter in the header: refused" expect 1 "passphrase is wrong or the file was changed" \
	sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$T/e3.db' restore --config '$T/e.conf' '$T/b2p.bk'"
printf '\377' | dd of="$T/b2p.bk" bs=1 seek=9 conv=notrunc 2>/dev/null
ok "scrypt parameters beyond the bound: refused before the key is derived" expect 1 "key derivation" \
	sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$T/e4.db' restore --config '$T/e.conf' '$T/b2p.bk'"
ok "restore with the right passphrase" expect 0 "restored $T/b2.bk" \
	sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$T/e5.db' restore --config '$T/e.conf' '$T/b2.bk'"
ok "the same store as the unencrypted backup's" same_digest "$T/c/sekisho-backup/store.db" "$T/e5.db"

# ---- PostgreSQL (the store-pg stage)
if case "${SK_TEST_STORE:-}" in postgresql://*|postgres://*) true;; *) false;; esac; then
	pgurl() { printf '%s' "$SK_TEST_STORE" | sed "s|^\([a-z]*://[^/]*\)/[^?]*|\1/$1|"; }
	for d in skbk_a_$$ skbk_b_$$ skbk_c_$$; do
		psql -q "$SK_TEST_STORE" -c "CREATE DATABASE $d" >/dev/null && PGDBS="$PGDBS $d"
	done
	export SEKISHO_STATE_DIR=$T/p	# a PostgreSQL store's state directory (ca.dir below it)
	mkdir -p "$T/p"
	PA=$(pgurl skbk_a_$$)
	PB=$(pgurl skbk_b_$$)
	ok "PostgreSQL: a database without sekisho's tables is refused, names sekictl init" \
		expect 1 "does not exist.*sekictl init" "$SEKICTL" --store "$PA" user list
	ok "PostgreSQL: and no table was created" sh -c \
		"[ \$(psql -tA '$PA' -c \"SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()\") = 0 ]"
	ok "PostgreSQL: init" expect 0 "created the store" "$SEKICTL" init --store "$PA"
	ok "PostgreSQL: restore the SQLite backup into it" expect 0 "restored" \
		"$SEKICTL" --store "$PA" restore --config "$T/p.conf" "$T/b1.bk"
	ok "PostgreSQL: the same rows and digests" same_digest "$T/c/sekisho-backup/store.db" "$PA"
	ok "PostgreSQL: backup (encrypted) of the PostgreSQL store" expect 0 "encrypted" \
		sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$PA' backup --encrypt --config '$T/p.conf' '$T/p.bk'"
	PW=$(printf '%s' "$PA" | sed -n 's|^[a-z]*://[^:/@]*:\([^@]*\)@.*|\1|p')
	ok "PostgreSQL: the URI's password is not in the output" sh -c \
		"out=\$('$SEKICTL' --store '$PA' backup --config '$T/p.conf' '$T/p2.bk' 2>&1) &&
		 printf '%s' \"\$out\" | grep -q 'backup $T/p2.bk' && { [ -z '$PW' ] || ! printf '%s' \"\$out\" | grep -qF -- '$PW'; }"
	ok "PostgreSQL: restore it into a second database" expect 0 "restored" \
		sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$PB' restore --config '$T/p.conf' '$T/p.bk'"
	ok "PostgreSQL: equal to the first" same_digest "$PA" "$PB"
	ok "PostgreSQL: restore onto it again: refused without --force" expect 1 "not empty" \
		sh -c "printf '%s\n' '$PASS' | '$SEKICTL' --store '$PB' restore --config '$T/p.conf' '$T/p.bk'"
	# a restore refused by its file checks creates nothing in a new database
	PC=$(pgurl skbk_c_$$)
	printf '# another gateway\n' >"$T/pc.conf"
	ok "PostgreSQL: restore into a new database with a conflicting bootstrap file: refused" \
		expect 1 "exist with other content: $T/pc.conf" \
		"$SEKICTL" --store "$PC" restore --config "$T/pc.conf" "$T/b1.bk"
	ok "PostgreSQL: and no table was created by the refused restore" sh -c \
		"[ \$(psql -tA '$PC' -c \"SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()\") = 0 ]"
fi
tap_done
