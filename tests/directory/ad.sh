#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/directory/ad.sh BUILD - `sekictl directory` against the Samba AD DC
# of tests/lib/samba.sh (the stage `directory` of tests/run starts it,
# exports SK_TEST_AD_* and runs this inside the DC's network namespace,
# before auth-ad-test changes passwords).  TAP.
set -u
build=${1:?usage: ad.sh BUILD}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
has() { grep -q -- "$2" <<<"$1"; }

d=$(mktemp -d /tmp/sk-dir-ad.XXXXXX)
trap 'rm -rf "$d"' EXIT
S=$d/s.db
ctl() { "$build/sekictl" --store "$S" "$@"; }
base=$SK_TEST_AD_BASE
"$build/sekictl" init --store "$S" >/dev/null
ctl group add staff >/dev/null && ctl group add admins >/dev/null

ctl directory add ad type=ad "uri=$SK_TEST_AD_URI" tls=ldaps "ca-file=$SK_TEST_AD_CA" \
	"bind-dn=$SK_TEST_AD_BIND_DN" "base=$base" nested=yes >/dev/null 2>&1
ok $? "directory add ad (type ad, LDAPS with Samba's CA)"
printf '%s\n' "$SK_TEST_AD_BIND_PW" | ctl directory set ad --bind-password-stdin >/dev/null 2>&1
ok $? "the service account's password from stdin"
ctl directory map ad staff "CN=vpn-staff,CN=Users,$base" >/dev/null &&
	ctl directory map ad admins "CN=vpn-admins,CN=Users,$base" >/dev/null
ok $? "map vpn-staff -> staff, vpn-admins -> admins"

out=$(ctl directory test ad 'SEKISHO\carol' 2>&1)
has "$out" "sekisho groups: admins" && has "$out" "dn: CN=carol,CN=Users,$base"
ok $? "SEKISHO\\carol: found by sAMAccountName, admins through the nested group"
out=$(printf '%s\n' "$SK_TEST_AD_PW" | ctl directory test ad "alice@$SK_TEST_AD_REALM" --password-stdin 2>&1)
has "$out" "decision: would log in" && has "$out" "sekisho groups: staff" &&
	has "$out" "alice@sekisho.test"
ok $? "alice@realm with the right password: would log in to staff, AD's mail"
out=$(ctl directory test ad erin 2>&1)
has "$out" "account state: expired" && has "$out" "decision: refused (account state)"
ok $? "erin: accountExpires passed, refused"
out=$(ctl directory test ad dave 2>&1)
has "$out" "account state: disabled" && has "$out" "decision: refused (account state)"
ok $? "dave: disabled, refused"
out=$(printf '%s\n' "$SK_TEST_AD_PW" | ctl directory test ad chg1 --password-stdin 2>&1)
has "$out" "must-change-password" && has "$out" "decision: the new-password form"
ok $? "chg1 with its password: must change, the new-password form"
out=$(printf 'Wrong-Pass-9\n' | ctl directory test ad alice --password-stdin 2>&1); rc=$?
[ $rc = 1 ] && has "$out" "was refused"
ok $? "a wrong password refused"

echo "1..$n"
echo "# $((n - fail)) passed, $fail failed"
[ $fail = 0 ]
