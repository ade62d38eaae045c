#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario (issue 15): users of the organisation's directories through the
# real openconnect.  One gateway, two groups: "staff" checks passwords
# with a real slapd (LDAPS, the test CA, memberOf), "radstaff" with a real
# FreeRADIUS (Message-Authenticator, Framed-IP-Address, a challenge user,
# accounting to its detail file); both servers run in ns gw on 127.0.0.1
# (tests/lib/slapd.sh, tests/lib/freeradius.sh).
#   - LDAP alice: the password checked by a bind, the group from memberOf,
#     the just-in-time record in `sekictl user list`;
#   - a wrong password refused with the ja/en message;
#   - LDAP reset1, whose password an administrator reset (slapd's ppolicy):
#     the AnyConnect new-password form changes it in the directory
#     (password-modify), then the new one logs in and the old one not;
#   - deprovisioning: alice taken out of the directory group ends her
#     session at the next re-check, and her client's cookie is refused;
#   - RADIUS dave (PAP): the Accept's Framed-IP-Address is the tunnel's
#     address; accounting Start, and Stop with the bytes after a ping;
#   - RADIUS otp: the Access-Challenge as a second form, answered twice.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "directory users: LDAP and RADIUS"
t0=$(date +%s)

# the servers, in ns gw (where sekishod reaches 127.0.0.1); their
# settings come back through a file
dir_servers() {
	RADIUS_EXTRA_USERS=$'dave\tCleartext-Password := "dave-pw-1"\n\tClass := "vpn-staff",\n\tFramed-IP-Address := 10.77.0.150' \
	ip netns exec gw bash -c '
		. "$1/tests/lib/slapd.sh" && . "$1/tests/lib/freeradius.sh" &&
		slapd_start >"$2/slapd.log" 2>&1 && radius_start >"$2/radius.log" 2>&1 &&
		for v in SLAPD_DIR RADIUS_DIR SK_TEST_LDAPS_URI SK_TEST_LDAPI_URI SK_TEST_LDAP_CA \
			SK_TEST_LDAP_BASE SK_TEST_LDAP_BIND_DN SK_TEST_LDAP_BIND_PW SK_TEST_RADIUS_PORT \
			SK_TEST_RADIUS_SECRET SK_TEST_RADIUS_DETAIL; do printf "%s=%q\n" "$v" "${!v}"; done \
			>"$2/dir.env"' _ "$REPO" "$T" ||
		{ tail -n 20 "$T/slapd.log" "$T/radius.log"; return 1; }
	# shellcheck disable=SC1091
	. "$T/dir.env"	# plain assignments: global, although read in a function
	[ -n "$SK_TEST_RADIUS_PORT" ] && [ -n "$SK_TEST_LDAPS_URI" ] || { cat "$T/dir.env"; return 1; }
	# sekishod reads the CA as its service user
	install -m 0644 "$SK_TEST_LDAP_CA" "$T/ldap-ca.pem"
}
check "setup: slapd and FreeRADIUS in ns gw" dir_servers || exit 1
diag "servers up after $(($(date +%s) - t0)) s"

groups_setup() { sk_group staff factors=password >/dev/null && sk_group radstaff factors=password >/dev/null; }
check "store: groups staff (LDAP) and radstaff (RADIUS)" groups_setup
ldap_setup() {
	skctl directory add corp type=openldap "uri=$SK_TEST_LDAPS_URI" tls=ldaps \
		"ca-file=$T/ldap-ca.pem" "bind-dn=$SK_TEST_LDAP_BIND_DN" "base=$SK_TEST_LDAP_BASE" \
		timeout=5 recheck-interval=10 >/dev/null &&
		printf '%s\n' "$SK_TEST_LDAP_BIND_PW" | skctl directory set corp --bind-password-stdin >/dev/null &&
		skctl directory map corp staff "cn=vpn-staff,ou=groups,$SK_TEST_LDAP_BASE" >/dev/null &&
		skctl directory use corp staff >/dev/null
}
radius_setup() {
	skctl directory add rad type=radius "server=127.0.0.1:$SK_TEST_RADIUS_PORT" timeout=5 \
		retries=0 framed-ip=yes accounting=yes >/dev/null &&
		printf '%s\n' "$SK_TEST_RADIUS_SECRET" | skctl directory set rad --secret-stdin >/dev/null &&
		skctl directory map rad radstaff class=vpn-staff >/dev/null &&
		skctl directory use rad radstaff >/dev/null
}
check "store: directory corp (LDAPS, memberOf vpn-staff -> staff)" ldap_setup
check "store: directory rad (RADIUS, Class vpn-staff -> radstaff, framed-ip, accounting)" radius_setup
check "sekishod: starts" sekishod_start || exit 1

# LDAP: bind as the user, group from memberOf, the record made at login
OC_INPUT=$'alice-pw-1\n' oc_connect a -u alice --authgroup staff --passwd-on-stdin
check "ldap: alice's tunnel up (password checked by a bind)" oc_wait_up a 180 ||
	diag "$($SEKICTL --store "$SK_STORE" audit list 2>&1 | tail -n 4)"
check "ldap: address from staff's pool" sh -c "case '$(oc_env a INTERNAL_IP4_ADDRESS)' in 10.77.0.*) exit 0;; esac; exit 1"
check "ldap: ping srv through the tunnel" ping_cli $SRV4
ulist=$(skctl_live user list 2>&1)
check "ldap: the just-in-time record in sekictl user list" grep -Eq '^alice[[:space:]].*staff' <<<"$ulist"

# a wrong password: refused, with the message in Japanese and English
out=$(with_input $'wrong-pw\n' oc_auth -u alice --authgroup staff --passwd-on-stdin)
check "ldap: a wrong password is refused" bash -c '! grep -q "^COOKIE=" <<<"$1"' _ "$out"
check "ldap: ... with the ja/en message" bash -c 'grep -q "パスワードが違います" <<<"$1" && grep -q "Wrong user name or password" <<<"$1"' _ "$out" ||
	diag "$(tail -n 5 <<<"$out")"

# a password an administrator reset (ppolicy pwdReset): openconnect shows
# the new-password form and reads the new one from its next input line
check "ldap: reset1 (reset by an administrator): old password, new-password form: cookie" \
	with_input $'reset1-pw-1\nReset-Pass-9\n' oc_auth_cookie -u reset1 --authgroup staff --passwd-on-stdin
check "ldap: reset1's new password logs in" \
	with_input $'Reset-Pass-9\n' oc_auth_cookie -u reset1 --authgroup staff --passwd-on-stdin
check "ldap: reset1's old password is refused" \
	with_input $'reset1-pw-1\n' oc_auth_refused -u reset1 --authgroup staff --passwd-on-stdin
check "ldap: the change audited" sh -c \
	"$SEKICTL --store '$SK_STORE' audit list 2>/dev/null | grep -q 'pw-change'"

# deprovisioning: alice leaves vpn-staff in slapd (the memberof overlay
# updates her entry); the re-check (recheck-interval=10) ends her session
ldap_leave() {
	printf 'dn: cn=vpn-staff,ou=groups,%s\nchangetype: modify\ndelete: member\nmember: uid=alice,ou=people,%s\n' \
		"$SK_TEST_LDAP_BASE" "$SK_TEST_LDAP_BASE" |
		in_gw ldapmodify -x -H "$SK_TEST_LDAPI_URI" -D "cn=admin,$SK_TEST_LDAP_BASE" \
			-y "$SLAPD_DIR/rootpw" >/dev/null
}
no_alice() { [ -z "$(sk_session_id alice)" ]; }
check "deprovision: alice taken out of vpn-staff in slapd" ldap_leave
check "deprovision: her session ends at the re-check" wait_for 40 no_alice
check "deprovision: audited directory-group-removed" sh -c \
	"$SEKICTL --store '$SK_STORE' audit list 2>/dev/null | grep -q directory-group-removed"
check "deprovision: her client's cookie is refused, the client ends" wait_for 60 sh -c "! kill -0 $(oc_pid a) 2>/dev/null"

# RADIUS PAP: the Accept's Framed-IP-Address, accounting with the bytes
OC_INPUT=$'dave-pw-1\n' oc_connect d -u dave --authgroup radstaff --passwd-on-stdin
check "radius: dave's tunnel up (PAP, Class -> radstaff)" oc_wait_up d 180 ||
	diag "$($SEKICTL --store "$SK_STORE" audit list 2>&1 | tail -n 4)"
check "radius: the address is the Framed-IP-Address 10.77.0.150 ($(oc_env d INTERNAL_IP4_ADDRESS))" \
	test "$(oc_env d INTERNAL_IP4_ADDRESS)" = 10.77.0.150
check "radius: ping srv through the tunnel" ping_cli $SRV4
# the kernel's counters reach the session at the statistics refresh (10 s):
# a peer the kernel deletes at the BYE takes what came after the last one
dave_counted() {
	skctl_live session list --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else d.get("sessions", [])
sys.exit(0 if any(r.get("user") == "dave" and int(r.get("rx-bytes", r.get("rx_bytes", 0)) or 0) > 0
		  for r in rows) else 1)'
}
check "radius: the ping counted in dave's session" wait_for 25 dave_counted
acct_has() { grep -q "$1" "$SK_TEST_RADIUS_DETAIL" 2>/dev/null; }
check "radius: accounting Start received" wait_for 20 acct_has 'Acct-Status-Type = Start'
oc_stop d
check "radius: accounting Stop received (User-Request)" wait_for 20 acct_has 'Acct-Terminate-Cause = User-Request'
octets=$(awk '/Acct-Status-Type = Stop/ { stop = 1 } stop && /Acct-Input-Octets/ { print $3; exit }' "$SK_TEST_RADIUS_DETAIL")
check "radius: the Stop carries the bytes the kernel counted (Acct-Input-Octets ${octets:-none})" \
	test "${octets:-0}" -gt 0
check "radius: ... for dave, with his address" sh -c \
	"grep -q 'User-Name = \"dave\"' '$SK_TEST_RADIUS_DETAIL' && grep -q 'Framed-IP-Address = 10.77.0.150' '$SK_TEST_RADIUS_DETAIL'"

# RADIUS Access-Challenge: the password, then two codes in a second form
oc_connect_fifo o -u otp --authgroup radstaff --passwd-on-stdin
oc_type otp-pw-1
oc_type 123456
oc_type 654321
check "challenge: tunnel up after two answered challenges" oc_wait_up o 180 ||
	diag "$($SEKICTL --store "$SK_STORE" audit list 2>&1 | tail -n 4)"
oc_type_close
check "challenge: the client showed the server's prompts" sh -c \
	"grep -q 'Enter the code from your token' '$T/oc-o/log' && grep -q 'Enter the second code' '$T/oc-o/log'"
oc_stop o
diag "scenario time $(($(date +%s) - t0)) s"
ktap_end
