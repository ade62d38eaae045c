#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The CSTP stream of a peer (SEKISHO_A_PEER_STREAM): refusals, packets both
# ways through a SOCK_SEQPACKET pair held by stream.py as sekishod's worker
# would, the source check, malformed and oversized messages, an unread
# burst, PEER_DEL and re-attach, the worker end closing under the peer.
# Output: KTAP result lines (run-all.sh numbers them).
. "$(dirname "$0")/lib.sh"
trap 'topo_down; rm -rf "$T"' EXIT

check "module loads" load_module || exit 1
check "topology" topo_up || exit 1
check "allow-all policy" in_gw "$SEKICTL" kpolicy add sk0 1 "allow any any4" "allow any any6"
spoof0=$(counter drop_spoof)
big0=$(counter drop_too_big)
rx0=$(counter rx_packets)
tx0=$(counter tx_packets)
in_gw python3 "$(dirname "$0")/stream.py" sk0 | grep -v '^1\.\.'
check "stream: the kernel counted the packets (rx $rx0 -> $(counter rx_packets), tx $tx0 -> $(counter tx_packets))" \
	test "$(counter rx_packets)" -ge $((rx0 + 8)) -a "$(counter tx_packets)" -ge $((tx0 + 8))
check "stream: spoofed source counted (drop_spoof $spoof0 -> $(counter drop_spoof))" \
	test "$(counter drop_spoof)" -gt "$spoof0"
check "stream: oversized message counted (drop_too_big $big0 -> $(counter drop_too_big))" \
	test "$(counter drop_too_big)" -gt "$big0"
check "stream: no peer left" test "$(in_gw "$SEKICTL" peer list sk0 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d if isinstance(d, list) else d.get("peers", [])))')" = 0
check "module unloads" unload_module
