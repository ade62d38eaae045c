#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Datapath benchmark, run inside the VM: iperf3 TCP through
#   sekisho <-> sekisho (ChaCha20-Poly1305, AES-128-GCM, AES-256-GCM),
#   WireGuard <-> WireGuard (ChaCha20-Poly1305),
#   sekisho ChaCha20 with a 10,000-rule allowlist,
# single stream and 4 streams, both directions, in one boot.
# Prints numbers and ratios; it is not a pass/fail test.
. "$(dirname "$0")/../selftests/lib.sh"
trap 'topo_down; rm -rf "$T"' EXIT
DUR=${BENCH_SECONDS:-5}
RESULTS=$T/results

load_module || exit 1
modprobe wireguard || exit 1
topo_up || exit 1
in_srv iperf3 -s -D --pidfile "$T/iperf3.pid" >/dev/null 2>&1
sleep 0.5

# sekisho on both ends: the client side is a sekisho device too, whose one
# peer is the gateway and routes the server network.
sekisho_pair() {	# CIPHER POLICYFILE
	gen_keys "$1"
	in_gw "$SEKICTL" kpolicy add sk0 1 --file "$2" >/dev/null || return 1
	start_holder || return 1
	add_peer 1 1 >/dev/null || return 1
	in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$1" --keys "$T/gw.keys" >/dev/null || return 1
	ip -n cli link add sk9 type sekisho || return 1
	ip -n cli addr add 10.88.0.2/24 dev sk9
	ip -n cli link set sk9 up mtu 1400
	rm -f "$T/cholder.out"
	ip netns exec cli "$SEKICTL" socket hold --bind "10.10.1.2:$CLI_PORT" > "$T/cholder.out" &
	CHOLDER=$!
	wait_for 5 test -s "$T/cholder.out"
	in_cli "$SEKICTL" kpolicy add sk9 1 "allow any any4" "allow any any6" >/dev/null
	in_cli "$SEKICTL" peer add sk9 1 --socket "$(awk '{print $1 ":" $2}' "$T/cholder.out")" \
		--remote "10.10.1.1:$GW_PORT" --vpn-ip 10.88.0.1 --route 10.20.0.0/24 --policy 1 >/dev/null || return 1
	in_cli "$SEKICTL" key add sk9 1 --epoch 1 --cipher "$1" --keys "$T/cli.keys" >/dev/null || return 1
	in_cli ip route replace 10.20.0.0/24 dev sk9
}

sekisho_unpair() {
	kill "$CHOLDER" 2>/dev/null; wait "$CHOLDER" 2>/dev/null
	ip -n cli link del sk9
	in_gw "$SEKICTL" peer del sk0 1 >/dev/null 2>&1
	stop_holder
	in_gw "$SEKICTL" kpolicy del sk0 1 >/dev/null
}

wg_pair() {
	local ck sk
	ck=$(wg genkey); sk=$(wg genkey)
	ip -n cli link add wg9 type wireguard
	ip -n gw link add wg0 type wireguard
	in_cli wg set wg9 private-key <(echo "$ck") listen-port 51820 \
		peer "$(echo "$sk" | wg pubkey)" endpoint 10.10.1.1:51820 allowed-ips 10.20.0.0/24,10.77.0.1/32
	in_gw wg set wg0 private-key <(echo "$sk") listen-port 51820 \
		peer "$(echo "$ck" | wg pubkey)" allowed-ips 10.77.0.2/32
	ip -n cli addr add 10.77.0.2/24 dev wg9
	ip -n gw addr add 10.77.0.1/24 dev wg0
	ip -n cli link set wg9 up mtu 1420
	ip -n gw link set wg0 up mtu 1420
	in_cli ip route replace 10.20.0.0/24 dev wg9
	ip -n srv route replace 10.77.0.0/24 via 10.20.0.1
}

wg_unpair() { ip -n cli link del wg9; ip -n gw link del wg0; }

# measure NAME: four iperf3 runs, Mbit/s each, appended to $RESULTS.
measure() {
	local args mode bps
	for mode in "1 up:" "1 down:-R" "4 up:-P 4" "4 down:-P 4 -R"; do
		args=${mode#*:}
		bps=$(in_cli iperf3 -c 10.20.0.2 -t "$DUR" -O 1 -J $args 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' 2>/dev/null)
		printf '%s\t%s\t%.1f\n' "$1" "${mode%%:*}" "$(echo "${bps:-0} / 1000000" | bc -l)" >> "$RESULTS"
	done
}

echo 'allow any any4' > "$T/allow1"
for i in $(seq 0 9998); do
	printf 'deny tcp 172.%d.%d.0/24 %d\n' $((16 + i / 2500)) $(((i / 10) % 250)) $((1 + i % 1000))
done > "$T/allow10k"
echo 'allow any any4' >> "$T/allow10k"

for c in chacha20-poly1305 aes128-gcm aes256-gcm; do
	sekisho_pair "$c" "$T/allow1" && measure "sekisho-$c"
	sekisho_unpair
done
sekisho_pair chacha20-poly1305 "$T/allow10k" && measure "sekisho-chacha20-poly1305-10k-rules"
sekisho_unpair
wg_pair && measure "wireguard-chacha20-poly1305"
wg_unpair

echo "# iperf3 TCP, Mbit/s, ${DUR}s per run, $(nproc) vCPU, kernel $(uname -r)"
printf '%-40s %10s %10s %10s %10s\n' config "1 up" "1 down" "4 up" "4 down"
python3 - "$RESULTS" <<'PY'
import sys, collections
r = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, mode, v = line.rstrip("\n").split("\t")
    r.setdefault(name, {})[mode] = float(v)
modes = ["1 up", "1 down", "4 up", "4 down"]
for name, d in r.items():
    print(f"{name:40s} " + " ".join(f"{d.get(m, 0):10.1f}" for m in modes))
def ratio(a, b):
    if a in r and b in r:
        vals = [r[a][m] / r[b][m] for m in modes if r[b].get(m)]
        print(f"ratio {a} / {b}: " + " ".join(f"{v:.2f}" for v in vals)
              + f"  (mean {sum(vals) / len(vals):.2f})")
ratio("sekisho-chacha20-poly1305", "wireguard-chacha20-poly1305")
ratio("sekisho-aes128-gcm", "wireguard-chacha20-poly1305")
ratio("sekisho-aes256-gcm", "wireguard-chacha20-poly1305")
ratio("sekisho-chacha20-poly1305-10k-rules", "sekisho-chacha20-poly1305")
PY
