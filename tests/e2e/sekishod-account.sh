#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Account checks at login and on live sessions (issues 3 and 4): the
# validity window (valid-from / valid-until) and the group's access hours
# refuse a login with their own message; a disabled user loses the tunnel
# it has; each change is made live through the control socket.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "validity window, access hours, disabled user"
check "store: group eng" sk_group eng factors=password
sk_user alice eng Secret-pass1 >/dev/null && sk_user bob eng Secret-pass2 >/dev/null && ktap_result ok "store: users alice, bob" || ktap_result fail "store: users alice, bob"
check "sekishod: starts" sekishod_start || exit 1

# refused_with MSG-REGEX ARGS...: the login is refused and says MSG
refused_with() {
	local re=$1 out
	shift
	out=$(with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin "$@")
	grep -qE "$re" <<<"$out" && ! grep -q '^COOKIE=' <<<"$out" ||
		{ grep -vi cookie <<<"$out" | tail -n 5 | sed 's/^/# /'; return 1; }
}

check "validity: valid-until in the past (live)" skctl_live user set alice valid-until=2020-01-01
check "validity: refused, the message says the period ended" \
	refused_with '利用期間が終了|validity period has ended'
check "validity: valid-from in the future" skctl_live user set alice valid-until=2099-12-31 valid-from=2099-01-01
check "validity: refused, the message says not yet" \
	refused_with '利用期間がまだ始まって|not valid yet'
check "validity: inside the window again" skctl_live user set alice valid-from=2000-01-01
check "validity: alice logs in" with_input $'Secret-pass1\n' oc_auth_cookie -u alice --passwd-on-stdin

# a window of the gateway's local time that does not hold the present hour
if [ "$(date +%-H)" -lt 12 ]; then hours=13:00-14:00; else hours=01:00-02:00; fi
check "hours: group eng access-hours=$hours (now $(date +%H:%M))" skctl_live group set eng access-hours=$hours
check "hours: refused, the message names the hours" \
	refused_with '許可されている時間帯|permitted hours'
check "hours: bob too (the group's rule)" with_input $'Secret-pass2\n' oc_auth_refused -u bob --passwd-on-stdin
check "hours: cleared" skctl_live group set eng access-hours=
check "hours: alice logs in" with_input $'Secret-pass1\n' oc_auth_cookie -u alice --passwd-on-stdin

# a live tunnel of a user who is then disabled
OC_INPUT=$'Secret-pass2\n' oc_connect b -u bob --passwd-on-stdin
if check "disable: bob's tunnel up" oc_wait_up b 180; then
	check "disable: user set bob enabled=no (live)" skctl_live user set bob enabled=no
	check "disable: bob's tunnel ends" wait_for 60 sh -c "! kill -0 $(oc_pid b) 2>/dev/null || ! ip netns exec cli ip link show $(oc_env b TUNDEV)"
	no_peers() { [ "$(sk_stat peers)" = 0 ]; }
	check "disable: the kernel peer is gone" wait_for 10 no_peers
	check "disable: bob's login is refused" with_input $'Secret-pass2\n' oc_auth_refused -u bob --passwd-on-stdin
fi
oc_stop b

# First login (issue 3): a password the administrator set must be changed on
# the AnyConnect new-password form; openconnect reads the new one from the
# next line of its input. The change is hashed on the hashing threads.
carl_add() {
	skctl user add carl --email "carl@$MAIL_DOMAIN" --group eng >/dev/null &&
		printf 'Initial-pass3\n' | skctl user passwd carl | grep -q 'must be changed'
}
carl_changed() { skctl user show carl | grep -q '^must-change-password  *no'; }
check "first login: carl with a password set by the administrator" carl_add
check "first login: old password, then the new-password form: cookie" \
	with_input $'Initial-pass3\nChanged-pass3\n' oc_auth_cookie -u carl --passwd-on-stdin
check "first login: the store no longer asks for a change" carl_changed
check "first login: the new password logs in" \
	with_input $'Changed-pass3\n' oc_auth_cookie -u carl --passwd-on-stdin
check "first login: the old one is refused" \
	with_input $'Initial-pass3\n' oc_auth_refused -u carl --passwd-on-stdin
ktap_end
