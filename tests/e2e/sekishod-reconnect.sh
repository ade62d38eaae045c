#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 9 (issue 3): reconnection (§7.4).  SIGUSR2 makes openconnect drop
# and reconnect with its cookie; it must get the same address back and the
# datapath must work again (new DTLS keys in the kernel).  SIGHUP detaches
# without BYE; the cookie then still opens a tunnel.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "reconnect"
sk_alice_tunnel
wait_for 60 oc_dtls a
addr=$ADDR
kill -USR2 "$(oc_pid a)"
check "reconnect: recorded" wait_for 90 test -f "$T/oc-a/reconnect.env"
check "reconnect: same address $addr" test "$(oc_env a INTERNAL_IP4_ADDRESS reconnect)" = "$addr"
check "reconnect: DTLS again" wait_for 60 sh -c "[ \$(grep -c 'Established DTLS connection' '$T/oc-a/log') -ge 2 ]"
check "reconnect: ping srv" ping_cli $SRV4
oc_stop a
ktap_end
