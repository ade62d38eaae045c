#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sekictl's store commands end to end through the binary, with --store on a
# temporary SQLite file (no daemon, no kernel module, no root needed except
# for nothing): round trips of every noun, exit codes, --json, CSV import
# and export, CA/CRL, profile links, batch mixing store and kernel nouns.
# TAP output.  Usage: tests/admin/cli.sh   (SEKICTL=path to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
. "$REPO/tests/lib/tap.sh"
admin_store cli

echo "TAP version 13"
ok "settings set ca.dir (the default is below the state directory)" expect 0 "ca.dir: $T/ca -> $T/ca" S settings set ca.dir "$T/ca"
ok "group add with keys" expect 0 "group staff: added" \
	S group add staff pool4=10.77.0.0/24 dns=10.0.0.53 split-include=10.1.0.0/16
ok "group set prints before -> after" expect 0 "group staff: factors password -> password,email-otp" \
	S group set staff factors=password,email-otp
ok "group set bad value is a usage error" expect 2 "max-devices: expected 1 to 100" \
	S group set staff max-devices=0
ok "user add" expect 0 "user alice: added (group staff, email alice@example.jp)" \
	S user add alice --email alice@example.jp --group staff --valid-until 2030-12-31 --lang ja
ok "user add: unknown group refused (exit 1)" expect 1 "nosuch" \
	S user add bob --email bob@example.jp --group nosuch
ok "user passwd from stdin" expect 0 "must be changed at the next login" \
	sh -c "echo 'Corr3ct-horse' | '$SEKICTL' --store '$DB' user passwd alice"
ok "user set totp=new prints the otpauth URI" expect 0 "otpauth://totp/.*secret=[A-Z2-7]\{32\}" \
	S user set alice totp=new
ok "user set group=" expect 0 "user alice: group staff -> contractors" \
	sh -c "'$SEKICTL' --store '$DB' group add contractors >/dev/null && '$SEKICTL' --store '$DB' user set alice group=contractors"
ok "user list --json (option before the noun)" expect 0 '^\[{"name":"alice"' \
	"$SEKICTL" --store "$DB" --json user list
ok "user lock / unlock" expect 0 "locked yes -> no" \
	sh -c "'$SEKICTL' --store '$DB' user lock alice >/dev/null && '$SEKICTL' --store '$DB' user unlock alice"
ok "policy add + rule add" expect 0 "rule added at the end: allow tcp 10.9.0.0/24 port 22" \
	sh -c "'$SEKICTL' --store '$DB' policy add office >/dev/null && '$SEKICTL' --store '$DB' policy rule add office allow tcp 10.9.0.0/24 port 22"
ok "policy show numbers the rules" expect 0 "1  allow tcp 10.9.0.0/24 port 22" S policy show office
ok "policy rule add: bad rule" expect 2 "" S policy rule add office allow tcp 10.9.0.1/24
ok "device add" expect 0 "device pc1: added" \
	S device add pc1 --type windows --method mac --id 12:34:56:78:90:ab
ok "device assign" expect 0 "device pc1: user (none) -> alice" S device assign alice pc1
ok "device del of an assigned device refused" expect 1 "assigned to user alice" S device del pc1
ok "ca init" expect 0 "ca: created" S ca init --cn "Test CA" --days 30
ok "ca init refuses to overwrite" expect 1 "force" S ca init
ok "cert issue" expect 0 "issued to user alice" \
	sh -c "echo p12pass | '$SEKICTL' --store '$DB' cert issue alice pc1 --out '$T/a.p12'"
ok "PKCS#12 opens with the password" \
	sh -c "openssl pkcs12 -in '$T/a.p12' -passin pass:p12pass -nokeys | openssl x509 -noout -subject | grep -q 'CN = alice'"
serial=$(S --json cert list | sed -n 's/.*"serial":"\([0-9A-F]*\)".*/\1/p')
ok "cert revoke" expect 0 "revoked; CRL rewritten" S cert revoke "$serial"
ok "crl.pem lists the serial" sh -c "openssl crl -in '$T/ca/crl.pem' -noout -text | grep -q '$serial'"
ok "profile send --no-mail prints the link" expect 0 "https://vpn.example.jp/profile/[A-Za-z0-9_-]\{43\}" \
	sh -c "'$SEKICTL' --store '$DB' settings set profile.base_url https://vpn.example.jp >/dev/null && '$SEKICTL' --store '$DB' profile send alice pc1 --no-mail --days 3 --downloads unlimited"
ok "profile list" expect 0 "waiting for download" S profile list
# the profile mail through a real SMTP server (python3-aiosmtpd into a Maildir)
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$T/mail" &
	smtp_pid=$!
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
	S settings set smtp.url "smtp://127.0.0.1:$port" >/dev/null
	S settings set smtp.from "vpn@example.jp" >/dev/null
	ok "profile resend mails the link" expect 0 "mailed to alice@example.jp" S profile resend alice pc1
	ok "the mail holds a link and the Japanese text" /usr/bin/python3 -c '
import mailbox, sys, re
msgs = list(mailbox.Maildir(sys.argv[1], factory=None, create=False))
assert len(msgs) == 1, len(msgs)
body = msgs[0].get_payload(decode=True).decode("utf-8")
assert re.search(r"https://vpn.example.jp/profile/[A-Za-z0-9_-]{43}", body), body
assert "ダウンロード回数" in body and "Downloads allowed" in body, body
assert msgs[0]["To"] == "alice@example.jp"
' "$T/mail"
	kill "$smtp_pid"; wait "$smtp_pid" 2>/dev/null
else
	N=$((N + 1)); echo "ok $N profile mail # SKIP python3-aiosmtpd not installed"
fi
printf 'name,email,group\ncarl,carl@example.jp,staff\ndora,bad,staff\n' > "$T/u.csv"
ok "CSV import: a bad row names its line, nothing applied" expect 1 "line 3:" S user import "$T/u.csv"
ok "CSV import: carl was not added" expect 1 "no such user" S user show carl
printf 'name,email,group\ncarl,carl@example.jp,staff\n' > "$T/u.csv"
ok "CSV import" expect 0 "1 user(s) added" S user import "$T/u.csv"
ok "user export" expect 0 "^carl,carl@example.jp,staff," S user export
ok "audit export: JSON lines" expect 0 '"type":"admin","actor":"uid=' S audit export --limit 5
ok "session list on an empty gateway" expect 0 "no sessions" S session list
ok "unknown verb is a usage error" expect 2 "unknown verb" S user frob
ok "help needs no store" expect 0 "sekictl user add NAME" "$SEKICTL" user help
ok "no daemon: clear message" expect 1 "sekishod is not running (no control socket at $T/none.sock); use --store" \
	"$SEKICTL" --socket "$T/none.sock" user list
ok "SEKISHO_CONTROL names the socket" expect 1 "no control socket at $T/env.sock" \
	env SEKISHO_CONTROL="$T/env.sock" "$SEKICTL" user list
printf 'settings show gateway.name\ngroup list\n' > "$T/batch"
ok "batch runs store nouns (SEKISHO_STORE)" expect 0 "staff" env SEKISHO_STORE="$DB" "$SEKICTL" batch "$T/batch"
# --continue (as documented) runs the lines after a failing one; the status is the worst
printf 'group show nosuchgroup
group list
' > "$T/batch2"
ok "batch --continue goes on after a failing line" expect 1 "staff" \
	env SEKISHO_STORE="$DB" "$SEKICTL" batch "$T/batch2" --continue
# Two sekictl processes racing on one user: every command succeeds (the
# store waits for the other writer instead of failing), and the audit trail
# is one chain: each change's "before" is the previous change's "after", so
# no process read a value the other was replacing, and the last "after" is
# what the store holds.
race() {	# TAG: 25 e-mail changes, alternating lock/unlock
	local i rc=0
	for i in $(seq 1 25); do
		S user set racer "email=$1$i@example.jp" >/dev/null || rc=1
		if [ $((i % 2)) = 1 ]; then S user lock racer >/dev/null || rc=1
		else S user unlock racer >/dev/null || rc=1; fi
	done
	return $rc
}
S user add racer --group staff --email r0@example.jp >/dev/null 2>&1
race a > "$T/race-a" 2>&1 & pa=$!
race b > "$T/race-b" 2>&1 & pb=$!
wait $pa; ra=$?; wait $pb; rb=$?
ok "race: every command of process A succeeded" sh -c "cat '$T/race-a'; exit $ra"
ok "race: every command of process B succeeded" sh -c "cat '$T/race-b'; exit $rb"
ok "race: the audit trail is one chain ending in the stored values" /usr/bin/python3 -c '
import json, subprocess, sys
s = [sys.argv[1], "--store", sys.argv[2]]
ev = [json.loads(l) for l in subprocess.run(s + ["audit", "export", "--user", "racer"],
      check=True, capture_output=True, text=True).stdout.splitlines()]
ev = sorted((e for e in ev if e["detail"]["command"] in ("user set", "user lock", "user unlock")),
            key=lambda e: e["id"])
now = {"email": "r0@example.jp", "locked": False}
for e in ev:
    for k, v in e["detail"]["after"].items():
        b = e["detail"]["before"].get(k)
        if b != now[k]:
            sys.exit("entry %d: before %s=%r, but the previous change left %r" % (e["id"], k, b, now[k]))
        now[k] = v
sets = sum(e["detail"]["command"] == "user set" for e in ev)
if sets != 50:
    sys.exit("%d user set entries, wanted 50" % sets)
u = json.loads(subprocess.run(s + ["--json", "user", "show", "racer"],
      check=True, capture_output=True, text=True).stdout)
if u["email"] != now["email"] or u["locked"] != now["locked"]:
    sys.exit("store holds %r/%r, the audit trail ends at %r" % (u["email"], u["locked"], now))
' "$SEKICTL" "$DB"
# The same for a setting: two processes, 200 values each; each audited
# "before" is the previous change's "after" and the last is what is stored.
# (one batch of 200 changes per process: fine-grained interleaving)
srace() {
	local i
	for i in $(seq 1 200); do echo "settings set gateway.name $1$i.example.jp"; done > "$T/srace-$1.batch"
	SEKISHO_STORE="$DB" "$SEKICTL" batch "$T/srace-$1.batch" >/dev/null
}
S settings set gateway.name s0.example.jp >/dev/null
srace a > "$T/srace-a" 2>&1 & pa=$!
srace b > "$T/srace-b" 2>&1 & pb=$!
wait $pa; ra=$?; wait $pb; rb=$?
ok "settings race: every command succeeded" sh -c "cat '$T/srace-a' '$T/srace-b'; exit \$(($ra + $rb))"
ok "settings race: the audit trail is one chain ending in the stored value" /usr/bin/python3 -c '
import json, subprocess, sys
s = [sys.argv[1], "--store", sys.argv[2]]
ev = [json.loads(l) for l in subprocess.run(s + ["audit", "export"],
      check=True, capture_output=True, text=True).stdout.splitlines()]
ev = sorted((e for e in ev if e["detail"]["command"] == "settings set" and
             "gateway.name" in (e["detail"].get("after") or {})), key=lambda e: e["id"])
ev = ev[[e["detail"]["after"]["gateway.name"] for e in ev].index("s0.example.jp") + 1:]
now = "s0.example.jp"
for e in ev:
    b = e["detail"]["before"]["gateway.name"]
    if b != now:
        sys.exit("entry %d: before %r, but the previous change left %r" % (e["id"], b, now))
    now = e["detail"]["after"]["gateway.name"]
if len(ev) != 400:
    sys.exit("%d settings set entries after the start, wanted 400" % len(ev))
got = subprocess.run(s + ["settings", "show", "gateway.name"], check=True, capture_output=True,
                     text=True).stdout.split()
if got[-1] != now:
    sys.exit("store holds %r, the audit trail ends at %r" % (got, now))
' "$SEKICTL" "$DB"
# Secret settings (issue 11, item 3): a planted SMTP password is read from
# stdin or a file, never taken on the command line, and appears nowhere but
# in the settings table's value column: not in any other table or column,
# not elsewhere in the raw file (secure_delete wipes the replaced value), not
# in any --json listing, audit list/export, or the commands' own output.
rnd() { od -An -tx1 -N12 /dev/urandom | tr -d ' \n'; }
SEC0="Argv-$(rnd)"; SEC1="Stdin-$(rnd)"; SEC2="File-$(rnd)"
SLOG=$T/secret-output
SO() { "$SEKICTL" --store "$DB" "$@" 2>&1 | tee -a "$SLOG"; return "${PIPESTATUS[0]}"; }
ok "settings show smtp.password: masked while unset" expect 0 '^(not set)$' SO settings show smtp.password
ok "settings set smtp.password VALUE: refused, says to use - or --file (en/ja)" \
	sh -c "out=\$('$SEKICTL' --store '$DB' settings set smtp.password '$SEC0' 2>&1); rc=\$?; printf '%s\n' \"\$out\" >> '$SLOG';
	       printf '%s\n' \"\$out\"; [ \$rc = 2 ] && printf '%s' \"\$out\" | grep -q -- '--file PATH' &&
	       printf '%s' \"\$out\" | grep -q '標準入力'"
ok "settings set smtp.password -: one line from stdin" expect 0 "setting smtp.password: changed" \
	sh -c "printf '%s\n%s\n' '$SEC1' 'second line ignored' | '$SEKICTL' --store '$DB' settings set smtp.password - 2>&1 | tee -a '$SLOG'"
ok "the store holds the stdin value, usable by sekishod" /usr/bin/python3 -c '
import sqlite3, sys
v = sqlite3.connect(sys.argv[1]).execute("SELECT value FROM settings WHERE key = ?", ("smtp.password",)).fetchone()
sys.exit(0 if v and v[0] == sys.argv[2] else "stored %r" % (v,))' "$DB" "$SEC1"
printf '%s\nnot this line\n' "$SEC2" > "$T/smtp.pw"
ok "settings set smtp.password --file PATH: the file's first line" expect 0 "setting smtp.password: changed" \
	SO settings set smtp.password --file "$T/smtp.pw"
ok "settings show smtp.password: masked once set" expect 0 '^(set)$' SO settings show smtp.password
ok "settings show: masked in the list" expect 0 'smtp.password  *(set)$' SO settings show
ok "settings set: the audit trail says only that it changed" expect 0 \
	'"before":{"smtp.password":"(secret)"},"after":{"smtp.password":"(changed)"}' SO audit export
for cmd in "settings show" "settings show smtp.password" "settings list" "audit list" "audit export" \
	   "user list" "group list" "session list" "profile list" "cert list" "device list" "policy list"; do
	# shellcheck disable=SC2086
	"$SEKICTL" --store "$DB" --json $cmd >> "$SLOG" 2>&1
	# shellcheck disable=SC2086
	"$SEKICTL" --store "$DB" $cmd >> "$SLOG" 2>&1
done
ok "no planted secret in any listing or command output" sh -c \
	"! grep -n -e '$SEC0' -e '$SEC1' -e '$SEC2' '$SLOG'"
ok "the store: the secret only in settings.value, the replaced ones nowhere" /usr/bin/python3 -c '
import glob, sqlite3, sys
db, s0, s1, s2 = sys.argv[1:5]
c = sqlite3.connect(db)
bad = []
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = \"table\""):
    cur = c.execute("SELECT * FROM \"%s\"" % t)
    cols = [d[0] for d in cur.description]
    for row in cur:
        for col, v in zip(cols, row):
            if v is None:
                continue
            b = v if isinstance(v, bytes) else str(v).encode()
            for s in (s0, s1, s2):
                if s.encode() in b and not (t == "settings" and col == "value" and s == s2):
                    bad.append("%s.%s holds %s" % (t, col, s))
c.close()
raw = b"".join(open(f, "rb").read() for f in glob.glob(db + "*"))
for s, want in ((s0, 0), (s1, 0), (s2, 1)):
    if raw.count(s.encode()) != want:
        bad.append("raw file bytes: %s %d times (want %d)" % (s, raw.count(s.encode()), want))
sys.exit("\n".join(bad) if bad else 0)' "$DB" "$SEC0" "$SEC1" "$SEC2"
# Text from clients and admins (issue 11, item 8): valid UTF-8 without
# control characters, checked before it is stored; the audit trail stays one
# line per record and valid JSON.
ok "user add: a name with a newline is refused (exit 2)" expect 2 "control character" \
	S user add $'eve\nforged' --group staff --email eve@example.jp
ok "user add: the refused name was not stored" sh -c \
	"! '$SEKICTL' --store '$DB' --json user list | grep -q eve && ! '$SEKICTL' --store '$DB' audit list | grep -q forged"
ok "group set: a banner with invalid UTF-8 is refused (exit 2)" expect 2 "UTF-8" \
	S group set staff banner=$'Welcome\xff\xfe'
ok "group set: a banner with a C1 control is refused (exit 2)" expect 2 "control character" \
	S group set staff banner=$'Welcome\xc2\x9b31m'
ok "group set: a multi-line UTF-8 banner is fine" expect 0 "banner" \
	S group set staff banner=$'ようこそ\nWelcome'
ok "policy add: a description with an escape character is refused (exit 2)" expect 2 "control character" \
	S policy add pol2 --description $'x\e[2Jy'
ok "settings set: a text setting with DEL is refused" expect 2 "control character" \
	S settings set gateway.name $'vpn\x7f.example.jp'
# a record written by an older version (or a forged one) with a newline and
# invalid UTF-8: the listing stays one line per record, the export valid JSON
/usr/bin/python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO audit (time, type, actor, user, device, source, result, detail) VALUES (?,?,?,?,?,?,?,?)",
          (1, "login", "eve", b"eve\n2026-01-01T00:00:00+00:00 admin forged".decode("latin-1"), "", "192.0.2.1:4433",
           "fail", "{\"reason\":\"x\"}"))
c.execute("INSERT INTO audit (time, type, actor, user, device, source, result, detail) VALUES (?,?,?,?,?,?,?,?)",
          (2, "login", "x", "", "", "", "fail", b"{\"banner\":\"\xff\xfe\"}"))
c.commit()' "$DB" 2>&1 | sed 's/^/# /'
ok "audit list: a stored newline does not forge a line" sh -c \
	"! '$SEKICTL' --store '$DB' audit list | grep -q '^2026-01-01T00:00:00+00:00 admin forged'"
ok "audit export: valid JSON lines (strict UTF-8)" sh -c \
	"'$SEKICTL' --store '$DB' audit export | /usr/bin/python3 -c 'import json,sys; [json.loads(l.decode(\"utf-8\")) for l in sys.stdin.buffer]'"
ok "audit list --json: valid JSON (strict UTF-8)" sh -c \
	"'$SEKICTL' --store '$DB' --json audit list | /usr/bin/python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))'"
# issue 11 item 4: certificates and profile links die with their user and
# device, a new profile supersedes the old one, certificates only for a
# device of the user's
S user add cu --email cu@example.jp --group staff >/dev/null
S device add cpc --type windows --method mac --id 12:34:56:78:90:cc >/dev/null
ok "cert issue for a device not assigned to the user refused (en/ja)" \
	expect 1 "not assigned to user cu.*割り当てられていません" \
	bash -o pipefail -c "echo p12pass | '$SEKICTL' --store '$DB' cert issue cu cpc --out '$T/cu.p12' 2>&1 | tr '\n' ' '"
S device assign cu cpc >/dev/null
cert_of() {	# USER DEVICE: the serials of the valid certificates, one per line
	S --json cert list --user "$1" | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["device"] == sys.argv[1] and c["revoked_at"] is None: print(c["serial"])' "$2"
}
ok "profile send: a certificate and a link" expect 0 "issued to user cu for device cpc" \
	S profile send cu cpc --no-mail
first=$(cert_of cu cpc)
ok "a second profile send says it superseded the first certificate" \
	expect 0 "1 earlier certificate of user cu for device cpc revoked" S profile send cu cpc --no-mail
second=$(cert_of cu cpc)
ok "one valid certificate left, the second; the first is in the CRL" sh -c \
	"[ -n '$first' ] && [ -n '$second' ] && [ '$first' != '$second' ] && [ \$(printf '%s\n' '$second' | wc -l) = 1 ] &&
	 openssl crl -in '$T/ca/crl.pem' -noout -text | grep -q '$first'"
ok "the first link expired, its package removed" sh -c \
	"'$SEKICTL' --store '$DB' --json profile list --all | /usr/bin/python3 -c '
import json, sys, os
ps = [p for p in json.load(sys.stdin) if p[\"user\"] == \"cu\"]
assert [p[\"state\"] for p in ps] == [\"expired\", \"waiting-download\"], ps
assert not os.path.exists(\"$T/ca/profiles/%d.p12\" % ps[0][\"id\"])
assert os.path.exists(\"$T/ca/profiles/%d.p12\" % ps[1][\"id\"])'"
uid_old=$(S --json user show cu | sed -n 's/.*"uid":"\([0-9a-f-]*\)".*/\1/p')
ok "user del revokes the certificates and expires the links" \
	expect 0 "user cu: 1 certificate revoked, profile links expired" S user del cu
ok "after user del: no valid certificate, every link expired, the CRL lists it" sh -c \
	"[ -z \"\$('$SEKICTL' --store '$DB' --json cert list --user cu | grep '\"revoked_at\":null')\" ] &&
	 ! '$SEKICTL' --store '$DB' --json profile list --all | grep '\"user\":\"cu\"' | grep -v -q '\"state\":\"expired\"' &&
	 openssl crl -in '$T/ca/crl.pem' -noout -text | grep -q '$second'"
S user add cu --email cu@example.jp --group staff >/dev/null
ok "user show: the uid of the user created again is another one" sh -c \
	"u=\$('$SEKICTL' --store '$DB' --json user show cu | sed -n 's/.*\"uid\":\"\([0-9a-f-]*\)\".*/\1/p'); [ \${#u} = 36 ] && [ -n '$uid_old' ] && [ \"\$u\" != '$uid_old' ]"
ok "a user created again with the name has another uid" sh -c \
	"'$SEKICTL' --store '$DB' --json cert list --user cu >/dev/null &&
	 /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); u=c.execute(\"SELECT uid FROM users WHERE name=?\",(\"cu\",)).fetchone()[0]; o=[r[0] for r in c.execute(\"SELECT user_uid FROM certs WHERE user=?\",(\"cu\",))]; assert len(u)==36 and o and u not in o, (u,o)' '$DB'"
# issue 11 item 7: paths in the store stay below the state directory
ok "settings set ca.dir /dev refused (en/ja)" expect 1 "not below the state directory $T.*状態ディレクトリ" \
	bash -o pipefail -c "'$SEKICTL' --store '$DB' settings set ca.dir /dev 2>&1 | tr '\n' ' '"
ln -s /etc "$T/etc-link"
ok "settings set ca.dir through a link out of the state directory refused" expect 1 "not below" \
	S settings set ca.dir "$T/etc-link/ca"
ok "settings show: ca.dir unchanged" expect 0 "$T/ca" S settings show ca.dir
if command -v sqlite3 >/dev/null && getent passwd nobody >/dev/null && getent group nogroup >/dev/null &&
   [ -x "$(dirname "$SEKICTL")/sekishod" ]; then
	mkdir "$T/sd"
	printf 'store = %s/sd/sekisho.db\nuser = nobody\nadmin_group = nogroup\ncontrol = %s/sd/c.sock\nserver_cert = %s/sd/s.pem\nserver_key = %s/sd/s.key\n' \
		"$T" "$T" "$T" "$T" > "$T/sd/conf"
	"$SEKICTL" init --store "$T/sd/sekisho.db" >/dev/null
	sqlite3 "$T/sd/sekisho.db" "INSERT INTO settings (key, value) VALUES ('ca.dir', '/dev')"
	ok "sekishod refuses to start on a store with ca.dir outside the state directory, naming the fix" \
		expect 1 "ca.dir is /dev, not below the state directory $T/sd.*settings set ca.dir $T/sd/ca" \
		timeout 20 "$(dirname "$SEKICTL")/sekishod" -f -c "$T/sd/conf"
else
	N=$((N + 1)); echo "ok $N sekishod start refusal # SKIP no sqlite3, nobody/nogroup or sekishod"
fi
# issue 11 items 1 and 2: failures per source address, temporary locks
ok "source list: none yet" expect 0 "no sources" S source list
ok "source list --json: empty" expect 0 '^\[\]' S --json source list
/usr/bin/python3 -c 'import sqlite3,sys,time
c=sqlite3.connect(sys.argv[1]); n=int(time.time())
c.execute("INSERT INTO sources VALUES (?,?,?,?,?,?)",("198.51.100.7",0,n,n,n+900,1))
c.execute("INSERT INTO sources VALUES (?,?,?,?,?,?)",("2001:db8:5:5::/64",3,n,n,0,0))
c.commit()' "$DB"
ok "source list shows the block and its end" expect 0 "^198.51.100.7 *0 *20[0-9T:+-]* *20[0-9T:+-]* *1$" S source list
ok "source list --json" expect 0 '"source":"198.51.100.7","failures":0,.*"blocked":true' S --json source list
ok "source unblock takes an address with its port" expect 0 "source 198.51.100.7: unblocked" \
	S source unblock 198.51.100.7:443
ok "source unblock of an IPv6 address forgets its /64" expect 0 "source 2001:db8:5:5::/64: failure count cleared" \
	S source unblock 2001:db8:5:5::77
ok "source unblock: nothing recorded (exit 1)" expect 1 "no failure recorded" S source unblock 198.51.100.7
ok "source unblock: not an address (exit 2)" expect 2 "not an IPv4 address" S source unblock banana
ok "source unblock is audited" expect 0 "source unblock" S audit list --type admin
ok "settings set source.never_block" expect 0 "source.never_block: (none) -> 192.0.2.0/24,2001:db8::/32" \
	S settings set source.never_block "192.0.2.0/24,2001:db8::/32"
ok "source.never_block with host bits refused" expect 1 "host bits" \
	S settings set source.never_block 192.0.2.1/24
ok "source.never_block with a name refused" expect 1 "'office' is not an IPv4 or IPv6 address" \
	S settings set source.never_block "10.0.0.0/8,office"
ok "settings show: source.never_block unchanged" expect 0 "192.0.2.0/24,2001:db8::/32" \
	S settings show source.never_block
ok "lockout.duration defaults to 900 s" expect 0 "900" S settings show lockout.duration
ok "lockout.duration permanent (the incumbents' lock)" expect 0 "lockout.duration: 900 -> permanent" \
	S settings set lockout.duration permanent
ok "lockout.duration: neither seconds nor permanent refused" expect 1 "seconds (1..31536000) or permanent" \
	S settings set lockout.duration forever
ok "kpolicy is the kernel noun" expect 0 "sekictl kpolicy add DEV ID" "$SEKICTL" kpolicy help
ok "sekictl help lists both" expect 0 "store commands" "$SEKICTL" help

# issue 11 item 5: a certificate alone only with the override; item 6: max-sessions 3 for new groups
ok "group add factors=cert alone refused, naming the fix (en/ja)" \
	expect 1 "cert-only-ok=yes.*cert-only-ok=yes を設定" \
	bash -o pipefail -c "'$SEKICTL' --store '$DB' group add certonly factors=cert 2>&1 | tr '\n' ' '"
ok "group add factors=cert cert-only-ok=yes taken" expect 0 "group certonly: added" \
	S group add certonly factors=cert cert-only-ok=yes
ok "group show: cert-only-ok yes" expect 0 "cert-only-ok *yes" S group show certonly
ok "group set cert-only-ok=no refused while cert is the only factor" expect 1 "cert alone" \
	S group set certonly cert-only-ok=no
ok "group set factors=cert,password cert-only-ok=no taken" expect 0 "certonly" \
	S group set certonly factors=cert,password cert-only-ok=no
ok "the override's change is audited" expect 0 "cert-only-ok" S audit list --type admin
ok "a new group gets max-sessions 3" expect 0 "max-sessions *3" S group show certonly
ok "max-sessions=0 (unlimited) can still be set" expect 0 "max-sessions 3 -> 0" \
	S group set certonly max-sessions=0

# issue 12: posture policy keys and the helpdesk's report test
R=$REPO/tests/posture/reports
ok "posture show: the defaults, marked" expect 0 "av.max_age_days *default *7" S posture show staff
ok "posture set prints the change" expect 0 "changed: posture group staff: posture (not set) -> on" \
	S posture set staff posture=on os.windows.min_build=19045
ok "posture show: the group's value" expect 0 "os.windows.min_build *group *19045" S posture show staff
ok "posture set: out of range refused (exit 2), names key and range" \
	expect 2 "av.max_age_days: '999' refused.*0..365" S posture set staff av.max_age_days=999
ok "posture set: refused in Japanese under a ja locale" \
	expect 2 "av.max_age_days: 値 '999' は使えません。0〜365" \
	env LANG=ja_JP.UTF-8 "$SEKICTL" --store "$DB" posture set staff av.max_age_days=999
ok "posture set: unknown key refused" expect 2 "unknown key 'bogus'" S posture set staff bogus=1
ok "posture set: the store unchanged after refusals" expect 0 "av.max_age_days *default *7" \
	S posture show staff
ok "posture set --device" expect 0 "changed: posture device pc1: firewall (not set) -> off" \
	S posture set --device pc1 firewall=off
ok "posture show --device: the device's value" expect 0 "firewall *device *off" \
	S posture show --device pc1
ok "posture unset --device" expect 0 "firewall off -> (not set)" S posture unset --device pc1 firewall
ok "posture changes are audited before/after" \
	expect 0 '"command":"posture unset","before":{"device":"pc1","firewall":"off"},"after":{"device":"pc1","firewall":null}' \
	S audit list --type admin
ok "device show: no posture report yet" expect 0 "posture *no report yet" S device show pc1
S group add pfail >/dev/null 2>&1
S posture set pfail posture=on os.families=ios >/dev/null
for f in debian12 macos14 windows10 windows11; do
	ok "posture test $f: passes (exit 0, verdicts)" \
		expect 0 "report *pass .*os *pass .*av *pass .*firewall *pass .*outcome: ok" \
		bash -o pipefail -c "'$SEKICTL' --store '$DB' posture test '$R/$f.txt' --group staff --at 2025-11-05 | tr '\n' ' '"
	ok "posture test $f: refused by os.families=ios (exit 1, ja and en messages)" \
		expect 1 "os *fail *refuse *os-family *ja: .* en: .*outcome: refuse" \
		bash -c "'$SEKICTL' --store '$DB' posture test '$R/$f.txt' --group pfail --at 2025-11-05 | tr '\n' ' '; exit \${PIPESTATUS[0]}"
done
ok "posture test --json" expect 1 '"outcome":"refuse".*"check":"os","reason":"os-family"' \
	S --json posture test "$R/debian12.txt" --group pfail --at 2025-11-05
ok "posture test: Windows 10 with the defaults' minimum" expect 1 "os-windows10" \
	sh -c "'$SEKICTL' --store '$DB' posture unset staff os.windows.min_build >/dev/null && '$SEKICTL' --store '$DB' posture test '$R/windows10.txt' --group staff --at 2025-11-05"
head -c 70000 /dev/zero | tr '\0' a >"$T/big.txt"
ok "posture test: oversized report refused (exit 2)" expect 2 "larger than 65536 bytes" \
	S posture test "$T/big.txt" --group staff
printf 'endpoint.posture.format="1;\n' >"$T/bad.txt"
ok "posture test: malformed report refused (exit 2)" expect 2 "not a valid report" \
	S posture test "$T/bad.txt" --group staff
ok "posture test: missing file (exit 2)" expect 2 "No such file" S posture test "$T/none.txt" --group staff
ok "posture test: report on stdin" expect 1 "report-missing" \
	sh -c "printf '' | '$SEKICTL' --store '$DB' posture test - --group staff"

tap_done
