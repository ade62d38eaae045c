#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 5 (issue 3): 10 wrong passwords lock the account (as in the
# seeds); the right password is refused while locked; `sekictl user unlock`
# (live) restores it.  Another user is not affected.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "lockout and unlock"
check "store: group eng" sk_group eng factors=password
sk_user alice eng Secret-pass1 && sk_user bob eng Secret-pass2 && ktap_result ok "store: users alice, bob" || ktap_result fail "store: users alice, bob"

check "sekishod: starts" sekishod_start || exit 1
for i in $(seq 1 10); do
	with_input $'wrong\n' oc_auth -u alice --passwd-on-stdin >"$T/fail.$i" 2>&1
done
check "lockout: the 10th failure was refused" grep -q 'POST ' "$T/fail.10"
check "lockout: right password refused while locked" with_input $'Secret-pass1\n' oc_auth_refused -u alice --passwd-on-stdin
out=$(with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin)
check "lockout: the message names the lock" grep -qiE 'lock|ロック' <<<"$out"
check "lockout: bob unaffected" with_input $'Secret-pass2\n' oc_auth_cookie -u bob --passwd-on-stdin
check "unlock: sekictl user unlock (live)" skctl_live user unlock alice
check "unlock: alice logs in again" with_input $'Secret-pass1\n' oc_auth_cookie -u alice --passwd-on-stdin
ktap_end
