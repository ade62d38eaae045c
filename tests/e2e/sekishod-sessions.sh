#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 7 (issue 3): sessions seen and ended by the administrator.
# `session list --json` shows the user and the assigned address; `session
# kill ID` ends the tunnel (the kernel peer goes) and the cookie dies with it.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "session list and kill"
check "store: group and user" sk_group eng factors=password
sk_user alice eng Secret-pass1 >/dev/null
check "sekishod: starts" sekishod_start || exit 1
cookie=$(with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin | sed -n "s/^COOKIE='\{0,1\}\([^']*\)'\{0,1\}$/\1/p")
check "cookie from --authenticate" test -n "$cookie"
OC_INPUT="$cookie"$'\n' oc_connect a --cookie-on-stdin
check "tunnel up with the cookie" oc_wait_up a 180 || exit 1
addr=$(oc_env a INTERNAL_IP4_ADDRESS)
json=$(skctl_live session list --json)
check "session list --json is JSON" $PY -c 'import json,sys; json.loads(sys.argv[1])' "$json"
check "session list shows alice at $addr" bash -c "grep -q '\"alice\"' <<<'$json' && grep -q '\"$addr\"' <<<'$json'"
id=$(sk_session_id alice)
check "session kill $id" skctl_live session kill "$id"
check "kill: the client loses its tunnel" wait_for 60 sh -c "! kill -0 $(oc_pid a) 2>/dev/null || ! ip netns exec cli ip link show $(oc_env a TUNDEV)"
no_peers() { [ "$(sk_stat peers)" = 0 ]; }
check "kill: the kernel peer is gone" wait_for 10 no_peers
# the killed session's cookie no longer opens a tunnel: CONNECT gets 401,
# which openconnect reports with exit status 2 (§7.4)
OC_INPUT="$cookie"$'\n' oc_connect k --cookie-on-stdin
wait_for 120 test -f "$T/oc-k/rc"
check "kill: the cookie is dead (openconnect exit $(cat "$T/oc-k/rc" 2>/dev/null), 2 = cookie rejected)" test "$(cat "$T/oc-k/rc" 2>/dev/null)" = 2
oc_stop a
check "kill: list is empty" sh -c "! ip netns exec gw $SEKICTL --socket $SK_SOCK session list --json | grep -q alice"
ktap_end
