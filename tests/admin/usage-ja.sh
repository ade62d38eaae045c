#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sekictl's usage errors in Japanese (issue 14): a sample of bad invocations
# of the store nouns (admin/), the kernel nouns (sekictl/) and the command
# line itself run under LANG=ja_JP.UTF-8 print the Japanese text of the
# message (admin/usage_ja.c), the Japanese pointer to the help, no English
# line, and exit 2; the same under LANG=C stays English.  Then every usage
# format in the sources (ska_usage/sk_usage calls) is checked to have a
# Japanese text, to be bilingual already, or only to pass on another text
# ("%s", "%s: %s"): a new English-only usage message fails here.  TAP output.
# Usage: tests/admin/usage-ja.sh   (SEKICTL=path to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
. "$REPO/tests/lib/tap.sh"
admin_store usage-ja

echo "TAP version 13"
J() { LANG=ja_JP.UTF-8 LC_ALL= LC_MESSAGES= "$SEKICTL" "$@"; }
E() { LANG=C LC_ALL= LC_MESSAGES= "$SEKICTL" "$@"; }
# jx PATTERN CMD...: exit 2, PATTERN, the help pointer in Japanese, no "Try '"
jx() {
	local pat=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	[ "$rc" = 2 ] && grep -q -- "$pat" <<<"$out" && ! grep -q "Try '" <<<"$out" &&
		grep -q "を参照してください" <<<"$out" && return 0
	echo "exit $rc (wanted 2); output:"; printf '%s\n' "$out"
	return 1
}
S group add eng pool4=10.8.0.0/24 >/dev/null
ok "ja: an unknown verb" jx "不明な操作 'frob' です（add、del、list" J --store "$DB" user frob
ok "ja: a missing argument shows the form" jx "書式: user set NAME" J --store "$DB" user set
ok "ja: an unknown group key" jx "不明なキー 'colour' です。キー: label" J --store "$DB" group set eng colour=blue
ok "ja: a value out of range" jx "--limit: 1 から 1000000 までの数を指定してください（'0' が指定されました）" \
	J --store "$DB" audit list --limit 0
ok "ja: a bad date" jx "--since: YYYY-MM-DD か ISO 8601 の日時を指定してください" \
	J --store "$DB" audit list --since yesterday
ok "ja: an unexpected argument" jx "引数 'extra' は使えません" J --store "$DB" session list extra
ok "ja: an option without its value" jx "--limit には値が必要です" J --store "$DB" audit list --limit
ok "ja: a bad device type" jx "type: windows、mac、ios、android のいずれかを指定してください" \
	J --store "$DB" device add pc1 --type amiga --method serial --id X1
ok "ja: a kernel noun's missing argument" jx "書式: DEV ID" J peer del
ok "ja: a kernel noun's unknown verb" jx "不明な操作 'frob' です（" J peer frob
ok "ja: an unknown command" jx "不明なコマンド 'frob' です" J frob
ok "ja: --store with a kernel noun" jx "--store と --socket はストアの名詞" J --store "$DB" peer list
ok "ja: --store and --socket together" expect 2 "どちらか一方だけを指定してください" \
	J --store "$DB" --socket /nonexistent user list
ok "ja: diagnose with a stray argument" expect 2 "引数 'extra' は使えません" J --store "$DB" diagnose extra
ok "ja: the daemon not running" expect 1 "sekishod が動いていません" J --socket "$T/none.sock" user list
ok "en under LANG=C: the same error stays English" expect 2 "unknown verb 'frob' (add, del, list" \
	E --store "$DB" user frob
ok "en under LANG=C: the help pointer too" expect 2 "Try 'sekictl peer help'" E peer del
ok "en under LANG=C: no Japanese" sh -c "! LANG=C '$SEKICTL' --store '$DB' user frob 2>&1 | grep -q '不明'"

# every usage format of the sources: translated, bilingual, or a pass-through
cover() {
	python3 - "$REPO" "$1" <<'PY'
import glob, re, sys
repo, table = sys.argv[1], open(sys.argv[2]).read()
known = set(re.findall(r'\{ "((?:[^"\\]|\\.)*)",\n\t  "', table))
pat = re.compile(r'\b(?:ska_usage|sk_usage)\((?:a|ctx),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', re.S)
conv = re.compile(r'%[-+ #0-9.*]*(?:hh|h|ll|l|z|j|t)?[a-zA-Z%]')
bad = n = 0
for f in sorted(glob.glob(repo + '/userspace/admin/*.c') + glob.glob(repo + '/userspace/sekictl/*.c')):
    for m in pat.finditer(open(f).read()):
        fmt = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        n += 1
        if fmt in known or re.search(r'[^\x00-\x7f]', fmt):
            continue
        rest = re.sub(r'--[a-z-]+', '', conv.sub('', fmt))
        if not re.search(r'[A-Za-z]{2}', rest):
            continue		# "%s", "%s: %s", "--keys: %s": another text passed on
        print("# English only: %s: %s" % (f.rsplit('/', 1)[1], fmt))
        bad += 1
print("# %d usage calls, %d English only" % (n, bad))
sys.exit(1 if bad else 0)
PY
}
ok "every usage message of admin/ and sekictl/ has its Japanese" cover "$REPO/userspace/admin/usage_ja.c"
printf '%s\n' '{ "an English-only usage message %s",' > "$T/empty-table.c"
not_cover() { ! cover "$1" >/dev/null; }
ok "... which fails without the table" not_cover "$T/empty-table.c"
tap_done
