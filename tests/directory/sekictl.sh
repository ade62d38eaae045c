#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/directory/sekictl.sh BUILD - `sekictl directory` against the slapd
# of tests/lib/slapd.sh (the stage `directory` of tests/run starts it and
# exports SK_TEST_LDAP_*).  TAP.
set -u
build=${1:?usage: sekictl.sh BUILD}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
has() { grep -q -- "$2" <<<"$1"; }

d=$(mktemp -d /tmp/sk-dir-cli.XXXXXX)
trap 'rm -rf "$d"' EXIT
S=$d/s.db
ctl() { "$build/sekictl" --store "$S" "$@"; }
base=$SK_TEST_LDAP_BASE
"$build/sekictl" init --store "$S" >/dev/null	# only init creates a store
ctl group add staff >/dev/null && ctl group add admins >/dev/null

out=$(ctl directory add corp type=openldap "uri=$SK_TEST_LDAP_DEAD_URI $SK_TEST_LDAPS_URI" \
	tls=ldaps "ca-file=$SK_TEST_LDAP_CA" "bind-dn=$SK_TEST_LDAP_BIND_DN" "base=$base" timeout=2 2>&1)
ok $? "directory add: $(head -1 <<<"$out")"
has "$out" "not usable yet" ; ok $? "add says what is still missing (the service password)"
out=$(printf '%s\n' "$SK_TEST_LDAP_BIND_PW" | ctl directory set corp --bind-password-stdin 2>&1)
ok $? "service password from stdin: $out"
out=$(ctl directory set corp bind-password=x 2>&1); rc=$?
[ $rc = 2 ] && has "$out" "not taken on the command line"; ok $? "service password on argv refused (en/ja)"
out=$(ctl directory set corp tls=plain 2>&1)
has "$out" "allow-plain=yes"; ok $? "tls plain: stored, but 'not usable yet' names allow-plain"
out=$(ctl directory test corp alice 2>&1); rc=$?
[ $rc = 1 ] && has "$out" "allow-plain"; ok $? "directory test with tls plain refused"
ctl directory set corp tls=ldaps >/dev/null; ok $? "tls ldaps again"
out=$(ctl directory set corp tls=wrong 2>&1); [ $? = 2 ]; ok $? "tls wrong refused: $out"
out=$(ctl directory set corp filter='uid=%s' 2>&1); [ $? = 2 ]; ok $? "a filter without parentheses refused"
ctl directory map corp staff "cn=vpn-staff,ou=groups,$base" >/dev/null; ok $? "map vpn-staff -> staff"
ctl directory map corp admins "cn=vpn-admins,ou=groups,$base" >/dev/null; ok $? "map vpn-admins -> admins"
out=$(ctl directory map corp nogroup "cn=x,$base" 2>&1); [ $? = 1 ]; ok $? "map to a missing group refused"
ctl directory use corp staff >/dev/null; ok $? "group staff uses corp"
out=$(ctl directory show corp)
has "$out" "bind-password *(set)" && ! has "$out" "$SK_TEST_LDAP_BIND_PW"
ok $? "show: the service password only as (set)"
out=$(ctl --json directory list)
has "$out" '"groups":\["staff"\]' && ! has "$out" "$SK_TEST_LDAP_BIND_PW"; ok $? "list --json"

out=$(ctl directory test corp alice 2>&1)
ok $? "test without a password"
has "$out" "sekisho groups: staff" && has "$out" "dn: uid=alice,ou=people,$base" &&
	has "$out" "server: $SK_TEST_LDAPS_URI"; ok $? "test: DN, group staff, the second URI answered"
out=$(printf 'alice-pw-1\n' | ctl directory test corp 'SEKISHO\alice' --password-stdin 2>&1)
has "$out" "decision: would log in"; ok $? "test DOMAIN\\user with the right password"
out=$(printf 'nope\n' | ctl directory test corp alice --password-stdin 2>&1); rc=$?
[ $rc = 1 ] && has "$out" "was refused"; ok $? "test with a wrong password refused"
out=$(ctl directory test corp bob 2>&1)
has "$out" "(none: a login would be refused)"; ok $? "bob: no mapped group"
out=$(ctl directory test corp 'admin)(|(uid=*' 2>&1); rc=$?
[ $rc = 1 ] && ! has "$out" "dn:"; ok $? "an injection name finds nobody"
ctl directory set corp nested=yes >/dev/null
out=$(ctl directory test corp carol 2>&1)
has "$out" "sekisho groups: admins"; ok $? "nested=yes: carol -> admins through sub-team"

out=$(ctl directory set corp lockout-threshold=5 2>&1); rc=$?
[ $rc = 1 ] && has "$out" "lockout.threshold"; ok $? "a directory lockout at or below ours refused"
ctl settings set lockout.threshold 3 >/dev/null
ctl directory set corp lockout-threshold=5 >/dev/null; ok $? "... accepted when ours is below it"
out=$(ctl directory del corp 2>&1); [ $? = 1 ] && has "$out" "still used"; ok $? "del while a group uses it refused"
out=$(ctl audit list --type admin)
! has "$out" "$SK_TEST_LDAP_BIND_PW" && has "$out" '"bind-password":"(changed)"'
ok $? "audit: the service password never, '(changed)' instead"
ctl directory use none staff >/dev/null && ctl directory del corp >/dev/null; ok $? "use none, then del"
echo "1..$n"
echo "# $((n - fail)) passed, $fail failed"
[ $fail = 0 ]
