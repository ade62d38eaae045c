#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 5 (issue 3, issue 11 items 1 and 2): lockout and source blocks
# with the real openconnect, with small settings so that locks end in
# seconds.
#  - an unknown name and a known name with a wrong password get the same
#    answer; a locked name with a wrong password too;
#  - 3 wrong passwords lock alice for lockout.duration (30 s); the right
#    password is told "locked" with its end; the lock passes by itself;
#  - a spray from one address over many connections (one wrong password
#    each, another name each time) blocks the address: the next connection
#    is refused at once with the "temporarily blocked" message, the
#    administrator gets a notice, `sekictl source list` shows the block and
#    `sekictl source unblock` (live) lifts it;
#  - `sekictl user unlock` (live) restores a locked account; bob unaffected.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "lockout, source blocks and unlock"
check "store: group eng" sk_group eng factors=password
sk_user alice eng Secret-pass1 && sk_user bob eng Secret-pass2 && ktap_result ok "store: users alice, bob" || ktap_result fail "store: users alice, bob"
for kv in lockout.threshold=3 lockout.duration=30 lockout.max_duration=60 \
	  lockout.source_threshold=20 lockout.source_window=120 lockout.source_block=60 \
	  notify.admin_email=admin@$MAIL_DOMAIN; do
	skctl settings set "${kv%%=*}" "${kv#*=}" >/dev/null || ktap_result fail "settings $kv"
done

check "sekishod: starts" sekishod_start || exit 1
# the answer to a wrong password, with the name typed made anonymous
answer() { with_input $'Wrong-pass9\n' oc_auth -u "$1" --passwd-on-stdin | sed "s/$1/NAME/g" | grep -v '^COOKIE='; }
a_unknown=$(answer nobody-here)
a_known=$(answer alice)
check "same answer: unknown name and known name with a wrong password" test "$a_unknown" = "$a_known"
check "same answer: it names the lock and whom to ask" grep -qE 'lock|ロック' <<<"$a_unknown"
for i in 1 2; do answer alice >/dev/null; done
t_lock=$(date +%s)
check "lockout: alice locked after 3 wrong passwords" sh -c "ip netns exec gw '$SEKICTL' --socket '$SK_SOCK' --json user show alice | grep -q '\"locked\":\"\\?yes\\|\"locked\":true'"
a_locked=$(answer alice)
check "same answer: a locked name with a wrong password" test "$a_unknown" = "$a_locked"
out=$(with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin)
check "lockout: the right password is refused while locked" with_input $'Secret-pass1\n' oc_auth_refused -u alice --passwd-on-stdin
check "lockout: ... told 'locked' and until when" grep -qE 'locked until|ロックされています' <<<"$out"
check "lockout: bob unaffected" with_input $'Secret-pass2\n' oc_auth_cookie -u bob --passwd-on-stdin
# a spray: one wrong password per connection, another name each time
check "source: forget the address's failures so far" skctl_live source unblock "$CLI4"
check "source: lockout.source_threshold 5 (live)" skctl_live settings set lockout.source_threshold 5
for i in 1 2 3 4 5; do answer "spray$i" >/dev/null; done
out=$(with_input $'Secret-pass2\n' oc_auth -u bob --passwd-on-stdin)
check "source: after 5 connections with a wrong password the address is refused, right password too" \
	with_input $'Secret-pass2\n' oc_auth_refused -u bob --passwd-on-stdin
check "source: ... with the 'temporarily blocked' message" grep -qE 'temporarily blocked|一時的に受け付けません' <<<"$out"
check "source: sekictl source list shows the block" sh -c "ip netns exec gw '$SEKICTL' --socket '$SK_SOCK' source list | grep -q '^$CLI4 '"
check "source: the administrator was notified" sh -c "ip netns exec gw '$SEKICTL' --socket '$SK_SOCK' audit list --type notify | grep -q source-blocked"
check "source: sekictl source unblock (live)" skctl_live source unblock "$CLI4"
check "source: bob logs in again" with_input $'Secret-pass2\n' oc_auth_cookie -u bob --passwd-on-stdin

# the lock is 30 s: the source checks above ran meanwhile (each openconnect
# run takes seconds under emulation), so little or nothing is left to wait
left=$((t_lock + 31 - $(date +%s)))
echo "# lockout: $left s left to wait for the lock's end"
[ "$left" -gt 0 ] && sleep "$left"
check "lockout: the temporary lock has passed (30 s)" with_input $'Secret-pass1\n' oc_auth_cookie -u alice --passwd-on-stdin

# the permanent lock of the incumbents, as a setting; user unlock ends it
check "settings: lockout.duration permanent (live)" skctl_live settings set lockout.duration permanent
check "settings: lockout.source_threshold 0 (live)" skctl_live settings set lockout.source_threshold 0
for i in 1 2 3; do answer alice >/dev/null; done
sleep 2
check "permanent: still refused" with_input $'Secret-pass1\n' oc_auth_refused -u alice --passwd-on-stdin
check "unlock: sekictl user unlock (live)" skctl_live user unlock alice
check "unlock: alice logs in again" with_input $'Secret-pass1\n' oc_auth_cookie -u alice --passwd-on-stdin
ktap_end
