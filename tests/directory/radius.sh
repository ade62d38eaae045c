#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/directory/radius.sh BUILD - `sekictl directory` with a RADIUS
# directory and `sekictl radius test`, against the FreeRADIUS of
# tests/lib/freeradius.sh (the stage `directory` of tests/run starts it and
# exports SK_TEST_RADIUS_*).  TAP.
set -u
build=${1:?usage: radius.sh BUILD}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
has() { grep -q -- "$2" <<<"$1"; }

d=$(mktemp -d /tmp/sk-radius-cli.XXXXXX)
trap 'rm -rf "$d"' EXIT
S=$d/s.db
ctl() { "$build/sekictl" --store "$S" "$@"; }
P=$SK_TEST_RADIUS_PORT
"$build/sekictl" init --store "$S" >/dev/null
ctl group add staff >/dev/null && ctl group add admins >/dev/null

out=$(ctl directory add rad type=radius "server=127.0.0.1:$SK_TEST_RADIUS_DEAD_PORT" \
	"server=127.0.0.1:$P" timeout=2 retries=0 2>&1)
ok $? "directory add type=radius, two servers: $(head -1 <<<"$out")"
has "$out" "server (none) -> 127.0.0.1:$SK_TEST_RADIUS_DEAD_PORT 127.0.0.1:$P" &&
	has "$out" "not usable yet: no shared secret"
ok $? "add says the servers in order and that the secret is missing"
out=$(ctl directory set rad secret=x 2>&1); rc=$?
[ $rc = 2 ] && has "$out" "not taken on the command line" && has "$out" "秘密"
ok $? "the shared secret on argv refused (en/ja)"
out=$(ctl directory set rad --bind-password-stdin </dev/null 2>&1); rc=$?
[ $rc = 2 ] && has "$out" "secret-stdin"; ok $? "an LDAP option on a RADIUS directory refused, naming --secret-stdin"
out=$(printf '%s\n' "$SK_TEST_RADIUS_SECRET" | ctl directory set rad --secret-stdin 2>&1)
ok $? "shared secret from stdin: $out"
printf '%s\n' "$SK_TEST_RADIUS_SECRET" >"$d/secret"
out=$(ctl directory set rad --secret-file "$d/secret" 2>&1)
ok $? "shared secret from a file: $out"
for bad in "uri=ldaps://x" "timeout=0" "retries=9" "server=a:99999" "type=ad" \
	"server=a,b,c,d,e" "framed-ip=maybe" "accounting=1" "interim-interval=30"; do
	out=$(ctl directory set rad "$bad" 2>&1); [ $? = 2 ]; ok $? "set $bad refused: $out"
done
out=$(ctl directory set rad framed-ip=yes accounting=yes interim-interval=600 2>&1) &&
	has "$(ctl directory show rad)" "interim-interval *600" && has "$(ctl directory show rad)" "framed-ip *yes"
ok $? "framed-ip, accounting, interim-interval set and shown: $out"
ctl directory map rad staff class=vpn-staff >/dev/null; ok $? "map class=vpn-staff -> staff"
ctl directory map rad admins filter-id=admins >/dev/null; ok $? "map filter-id=admins -> admins"
out=$(ctl directory map rad admins color=red 2>&1); [ $? = 2 ]; ok $? "map of an unknown attribute refused: $out"
ctl directory use rad staff >/dev/null; ok $? "group staff uses rad"
out=$(ctl directory show rad)
has "$out" "secret *(set)" && has "$out" "type *radius" && ! has "$out" "$SK_TEST_RADIUS_SECRET"
ok $? "show: the secret only as (set)"
out=$(ctl --json directory list)
has "$out" '"type":"radius"' && ! has "$out" "$SK_TEST_RADIUS_SECRET"; ok $? "list --json, no secret"
out=$(ctl audit list 2>&1)
! has "$out" "$SK_TEST_RADIUS_SECRET" && has "$out" '"secret":"(changed)"'
ok $? "audit: the secret only as (changed)"

out=$(printf 'alice-pw-1\n' | ctl radius test alice 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "sekisho groups: staff" && has "$out" "framed IP: 10.20.30.40" &&
	has "$out" "server: 127.0.0.1:$P" && has "$out" "decision: would log in"
ok $? "radius test alice: accept, group staff, framed IP, the second server answered"
out=$(printf 'carol-pw-1\n' | ctl directory test rad 'CORP\carol' --password-stdin 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "account: carol" && has "$out" "sekisho groups: admins"
ok $? "directory test of a RADIUS directory, DOMAIN\\user: group admins"
out=$(printf 'bob-pw-1\n' | ctl radius test bob 2>&1); rc=$?
[ $rc = 1 ] && has "$out" "refused (no mapped group)"; ok $? "bob: accepted by RADIUS but no mapped group"
out=$(printf 'nope\n' | ctl radius test alice 2>&1); rc=$?
[ $rc = 1 ] && has "$out" "Access-Reject" && has "$out" "refused (wrong password"
ok $? "wrong password: reject"
out=$(printf 'otp-pw-1\n' | ctl radius test otp 2>&1); rc=$?
[ $rc = 1 ] && has "$out" "message: Enter the code from your token" && has "$out" "decision: a challenge"
ok $? "challenge without an answer: the prompt and what the form would do"
out=$(printf 'otp-pw-1\n123456\n654321\n' | ctl radius test otp 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "Enter the second code" && has "$out" "decision: would log in"
ok $? "two challenges answered on stdin: accept"
ctl directory set rad "server=127.0.0.1:$P" timeout=1 retries=1 >/dev/null
printf 'wrong-secret\n' | ctl directory set rad --secret-stdin >/dev/null
t0=$(date +%s%N)
out=$(printf 'alice-pw-1\n' | ctl radius test alice 2>&1); rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 1 ] && has "$out" "no answer" && has "$out" "shared secret" && [ $ms -lt 4000 ]
ok $? "wrong shared secret: a clear error in ${ms} ms (2 tries x 1 s), not a hang"
! has "$out" "wrong-secret"; ok $? "the error does not show the secret"
out=$(printf 'alice\n' | ctl radius test --directory nosuch alice 2>&1); [ $? = 1 ]
ok $? "radius test of a missing directory refused: $out"
ctl directory add corp type=openldap uri=ldaps://x base=dc=x >/dev/null
out=$(printf 'x\n' | ctl radius test alice 2>&1); rc=$?
[ $rc = 0 ] || [ $rc = 1 ]; ok $? "one RADIUS directory among others is still found"
ctl directory add rad2 type=radius server=127.0.0.1 >/dev/null
out=$(printf 'x\n' | ctl radius test alice 2>&1); [ $? = 2 ] && has "$out" "--directory"
ok $? "two RADIUS directories: radius test asks for --directory"

echo "1..$n"
echo "# $((n - fail)) passed, $fail failed"
[ $fail = 0 ]
