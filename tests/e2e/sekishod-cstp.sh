#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 10 (issue 3): UDP blocked.  With no DTLS the tunnel must still
# work over the TLS connection (CSTP; kTLS hand-off to the kernel when the
# daemon does it), over IPv4 and IPv6 transport, and many clients at once
# get distinct addresses.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "CSTP only and concurrent clients"
check "store: group and user" sk_group eng factors=password max-sessions=20
sk_user alice eng Secret-pass1 >/dev/null
check "sekishod: starts" sekishod_start || exit 1
# UDP 443 really blocked (not only --no-dtls): the client may try DTLS
# (tc flower: no nft/iptables on the build host, whose root the VM shares)
check "firewall: UDP 443 dropped in gw" sh -c "ip netns exec gw tc qdisc add dev g0 clsact &&
	ip netns exec gw tc filter add dev g0 ingress protocol ip flower ip_proto udp dst_port 443 action drop &&
	ip netns exec gw tc filter add dev g0 ingress protocol ipv6 flower ip_proto udp dst_port 443 action drop"
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin
check "cstp: tunnel up with DTLS blocked" oc_wait_up a 180 && check "cstp: ping srv" ping_cli $SRV4
up=$(iperf_mbps -t 3)
check "cstp: iperf3 ${up:-?} Mbit/s" test -n "$up"
oc_stop a
OC_INPUT=$'Secret-pass1\n' oc_connect a6 -u alice --passwd-on-stdin --no-dtls --resolve "$VPN_HOST:$GW6"
check "cstp: IPv6 transport" oc_wait_up a6 180 && check "cstp: IPv6 transport ping" ping_cli $SRV4
oc_stop a6
for i in 1 2 3 4 5; do OC_INPUT=$'Secret-pass1\n' oc_connect m$i -u alice --passwd-on-stdin; done
ok=0
for i in 1 2 3 4 5; do oc_wait_up m$i 240 >/dev/null && ok=$((ok + 1)); done
check "concurrent: 5 tunnels up ($ok)" test $ok = 5
check "concurrent: 5 distinct addresses" test "$(for i in 1 2 3 4 5; do oc_env m$i INTERNAL_IP4_ADDRESS; done | sort -u | wc -l)" = 5
for i in 1 2 3 4 5; do oc_stop m$i; done
ktap_end
