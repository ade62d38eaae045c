#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job, shown in a VM: load sekisho.ko, create sk0 in a gateway
# namespace, bring up a DTLS 1.2 (AES-256-GCM) tunnel to a client namespace,
# reach a server behind the gateway through it, and show the kernel state.
. "$(dirname "$0")/lib.sh"
trap 'topo_down; rm -rf "$T"' EXIT
set -e
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "load the module and create the device (ip link add sk0 type sekisho)"
load_module
topo_up
in_gw ip -br addr show sk0

step "allowlist: ssh and icmp to the server, nothing else"
in_gw "$SEKICTL" kpolicy add sk0 1 "allow tcp 10.20.0.2 22" "allow icmp 10.20.0.0/24" "allow icmpv6 fd20::/64"

step "a session: UDP socket, peer, keys (what sekishod does after the DTLS handshake)"
start_holder
gen_keys aes256-gcm
add_peer 1 1
in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher aes256-gcm --keys "$T/gw.keys"

step "the client (an independent OpenSSL implementation of the record layer)"
start_peer aes256-gcm 1
in_cli ip -br addr show tun0

step "ping the server behind the gateway, IPv4 and IPv6"
in_cli ping -c 3 -i 0.3 10.20.0.2
in_cli ping -6 -c 3 -i 0.3 fd20::2

step "tcp/5201 is not on the allowlist: dropped and counted"
in_srv iperf3 -s -D >/dev/null 2>&1
sleep 0.5
in_cli timeout 5 iperf3 -c 10.20.0.2 -t 1 --connect-timeout 2000 || echo "(refused by the allowlist, as configured)"

step "sekictl show"
in_gw "$SEKICTL" show
step "sysfs: /sys/class/net/sk0/sekisho/"
in_gw sh -c 'cd /sys/class/net/sk0/sekisho && grep -H . *'
