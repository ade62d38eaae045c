#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The administrator fixes of issue 14 through the sekictl binary (--store on
# a temporary SQLite file): URL schemes of smtp.url and profile.base_url,
# overlapping pools, one MAC on two devices, a past valid-until (a warning),
# an unknown audit --type, and refused commands in the audit trail without
# the words of their command line; audit retention (the minimum, audit prune
# with an export, the audit-prune record); what the admin commands print, in
# Japanese under LANG=ja_JP.UTF-8.  TAP output.
# Usage: tests/admin/audit-checks.sh   (SEKICTL=path to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
. "$REPO/tests/lib/tap.sh"
admin_store checks

echo "TAP version 13"
ok "smtp.url https:// refused (exit 2, en and ja)" expect 2 "smtp://.*で始まる URL" \
	S settings set smtp.url https://mail.example.jp
ok "profile.base_url http:// refused" expect 2 "does not start with https://" \
	S settings set profile.base_url http://vpn.example.jp
ok "smtp.url smtps:// with a host taken" expect 0 "smtp.url: (none) -> smtps://mail.example.jp:465" \
	S settings set smtp.url smtps://mail.example.jp:465
ok "group a with pool4 10.8.0.0/16" expect 0 "group a: added" S group add a pool4=10.8.0.0/16
ok "group b inside a's pool refused (exit 1)" expect 1 "pool4 10.8.1.0/24 overlaps pool4 10.8.0.0/16 of group a" \
	S group add b pool4=10.8.1.0/24
ok "group b with its own pool" expect 0 "group b: added" S group add b pool4=10.9.0.0/24
ok "group set b into a's pool refused" expect 1 "overlaps" S group set b pool4=10.8.0.0/24
ok "device pc1 with a MAC" expect 0 "" S device add pc1 --type windows --method mac --id 12:34:56:78:90:ab
ok "the same MAC on pc2 refused" expect 1 "already device pc1" \
	S device add pc2 --type mac --method mac --id 12-34-56-78-90-AB
ok "a past valid-until: added, with a warning" expect 0 "warning: valid-until 2001-03-31.*in the past" \
	S user add old --email old@example.jp --group a --valid-until 2001-03-31
ok "audit list --type with a typo: exit 2 and the types" expect 2 "unknown audit type 'logn'; types: login" \
	S audit list --type logn
ok "a secret on the command line refused" expect 2 "not taken on the command line" \
	S settings set smtp.password Hunter2-secret
ok "refused commands are in the audit trail" expect 0 '"result":"refused-usage".*"command":"settings set"' \
	S audit export --type admin
ok "the secret is not" sh -c "! '$SEKICTL' --store '$DB' audit export | grep -q Hunter2"
ok "a refused group add is audited as refused" expect 0 '"result":"refused".*"command":"group add"' \
	S audit export --type admin
# audit retention through the binary (the cases: admin-auditlog-test)
ok "audit.retention_days 10 refused (the ja line: admin-auditlog-test)" expect 1 "10 days is below the minimum of 30" \
	S settings set audit.retention_days 10
sqlite3 "$DB" "INSERT INTO audit (time, type, actor) VALUES
	(strftime('%s','now') - 500 * 86400, 'login', 'old-one'), (strftime('%s','now') - 5 * 86400, 'login', 'new-one')"
ok "audit.export_dir below the state directory" expect 0 "audit.export_dir: (none) -> $T/exports" \
	S settings set audit.export_dir "$T/exports"
ok "audit prune: the record older than 400 days deleted and exported" \
	expect 0 "1 record(s) before .* deleted, exported to $T/exports/audit-before-.*\.jsonl" \
	S audit prune
ok "the export holds it, mode 0600" sh -c "grep -q '\"actor\":\"old-one\"' '$T'/exports/audit-before-*.jsonl &&
	[ \"\$(stat -c %a '$T'/exports/audit-before-*.jsonl)\" = 600 ]"
ok "the newer record is kept" expect 0 "new-one" S audit list --type login
ok "the pruning is audited" expect 0 '"type":"audit-prune".*"deleted":1,"retention_days":400,"export":' \
	S audit export --type audit-prune
ok "--before within the last 30 days refused" expect 1 "last 30 days are never pruned" \
	S audit prune --before "$(date -u -d '-10 days' +%F)"
# the admin commands' messages in Japanese under a Japanese locale
J() { LANG=ja_JP.UTF-8 LC_ALL= LC_MESSAGES= "$SEKICTL" --store "$DB" "$@"; }
ok "ja: group add" expect 0 "^グループ ja1 を追加しました$" J group add ja1 pool4=10.99.0.0/24
ok "ja: user add, with the display name" \
	expect 0 "^ユーザー hanako を追加しました（グループ ja1、メール hanako@example.jp、氏名 山田 花子）$" \
	J user add hanako --email hanako@example.jp --group ja1 --display-name "山田 花子"
ok "ja: ... and what is still to do" expect 0 "まだパスワードがありません" \
	J user add taro --email taro@example.jp --group ja1
ok "ja: user set: what changed" expect 0 "^ユーザー hanako: email を hanako@example.jp から h2@example.jp に変更しました$" \
	J user set hanako email=h2@example.jp
ok "ja: user set: nothing changed" expect 0 "^ユーザー hanako: 変更はありません$" J user set hanako email=h2@example.jp
ok "ja: settings set" expect 0 "^設定 otp.ttl: 300 から 600 に変更しました$" J settings set otp.ttl 600
ok "ja: user del" expect 0 "^ユーザー taro を削除しました$" J user del taro
ok "ja: an unknown user: exit 1" expect 1 "nobody: そのユーザーは存在しません" J user show nobody
ok "ja: a usage error names the help in Japanese" expect 2 "使い方は 'sekictl user help' を参照してください" \
	J user set hanako colour=blue
ok "ja: an empty list" expect 0 "^セッションはありません$" J session list
ok "en without a Japanese locale" expect 0 "^user hanako: email h2@example.jp -> h3@example.jp$" \
	env LANG=C "$SEKICTL" --store "$DB" user set hanako email=h3@example.jp
tap_done
