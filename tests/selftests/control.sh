#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Control-plane selftests: allowlist (its live change, fragments), key
# rollover with records of both epochs in flight, events, peer removal
# during traffic, socket closed under the peer, idle and key-exhaustion
# events, unload with traffic.
. "$(dirname "$0")/lib.sh"
trap 'topo_down; rm -rf "$T"' EXIT

CIPHER=${CIPHER:-aes256-gcm}

# monitor_start FILE: record events as JSON lines in the gateway ns.
monitor_start() {
	ip netns exec gw "$SEKICTL" monitor --json --timeout "${2:-300}" > "$1" 2>&1 &
	MON_PID=$!
	sleep 0.5
}
monitor_stop() { kill "$MON_PID" 2>/dev/null; wait "$MON_PID" 2>/dev/null; }
has_event() { grep -q "$2" "$1"; }	# FILE REGEX

# peer_del_stray ID: PEER_DEL of peer ID with an attribute PEER_DEL does not
# take (a VPN address) inside the peer nest; prints "errno message" and
# succeeds when the kernel refused it with EINVAL and an extack message.
peer_del_stray() {
	in_gw python3 - "$(dirname "$0")/nl-fuzz.py" "$1" <<'PY'
import errno, importlib.util, socket, sys
spec = importlib.util.spec_from_file_location("nlfuzz", sys.argv[1])
nl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nl)
g = nl.Genl()
err, msg, _ = g.request(nl.CMD["PEER_DEL"],
                        nl.u32(nl.A_IFINDEX, socket.if_nametoindex("sk0")) +
                        nl.attr(nl.A_PEER, [nl.u32(nl.PEER_ID, int(sys.argv[2])),
                                            nl.attr(nl.PEER_VPN_IPV4, bytes([10, 88, 0, 2]))]))
print(errno.errorcode.get(err, err), msg or "(no message)")
sys.exit(0 if err == errno.EINVAL and msg else 1)
PY
}

# tcp_reaches HOST PORT: a TCP connection from the client through the tunnel
# gets the listener's greeting.
tcp_reaches() {
	[ "$(in_cli timeout 6 socat -T 4 -u "TCP:$1:$2,connect-timeout=4" - 2>/dev/null)" = "hello $2" ]
}

check "module loads" load_module || exit 1
check "topology" topo_up || exit 1
check "gateway UDP socket" start_holder || exit 1

# --- allowlist -------------------------------------------------------------
for p in 22 3389; do
	ip netns exec srv socat "TCP-LISTEN:$p,fork,reuseaddr" "SYSTEM:echo hello $p" >/dev/null 2>&1 &
done
wait_for 5 in_srv ss -ltn 'sport = :3389'
check "policy add (ssh allowed, rdp denied)" in_gw "$SEKICTL" kpolicy add sk0 2 \
	"allow tcp 10.20.0.2 22" "deny tcp 10.20.0.2 3389" "allow icmp 10.20.0.0/24" "allow icmpv6 fd20::/64"
gen_keys "$CIPHER"
check "peer with policy 2" add_peer 1 2
# PEER_DEL takes only the peer id: anything else is refused, not ignored
stray=$(peer_del_stray 1)
check "PEER_DEL with a stray peer attribute refused: $stray" peer_del_stray 1
check "the peer is still there" in_gw "$SEKICTL" peer show sk0 1
check "key" in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$CIPHER" --keys "$T/gw.keys"
check "client up" start_peer "$CIPHER" 1
monitor_start "$T/ev.policy"
check "icmp allowed by rule 3" in_cli ping -c 2 -i 0.2 -W 3 10.20.0.2
check "tcp/22 allowed" tcp_reaches 10.20.0.2 22
p0=$(counter drop_policy)
check_not "tcp/3389 denied" tcp_reaches 10.20.0.2 3389
check "denial counted (policy $p0 -> $(counter drop_policy))" test "$(counter drop_policy)" -gt "$p0"
sleep 1
monitor_stop
check "policy-deny sample event" has_event "$T/ev.policy" '"event":"policy-deny".*3389'
check "live policy change" in_gw "$SEKICTL" kpolicy set sk0 2 \
	"allow tcp 10.20.0.2 22" "allow tcp 10.20.0.2 3389" "allow icmp 10.20.0.0/24"
check "tcp/3389 allowed after the change" tcp_reaches 10.20.0.2 3389
check "tcp/22 still allowed" tcp_reaches 10.20.0.2 22
check "session kept across the change" in_cli ping -c 1 -W 3 10.20.0.2
check_not "policy in use cannot be deleted" in_gw "$SEKICTL" kpolicy del sk0 2
check "policy 0 denies everything" in_gw "$SEKICTL" peer set sk0 1 --policy 0
check_not "nothing passes with policy 0" in_cli ping -c 1 -W 2 10.20.0.2
check "policy 2 back" in_gw "$SEKICTL" peer set sk0 1 --policy 2

# --- fragments and the allowlist (issue 11, item 11) --------------------------
# A datagram larger than the tunnel MTU (1400) leaves the client in
# fragments; only the first carries the ports.  The others must follow its
# verdict: the whole datagram to an allowed port arrives, none of one to a
# denied port does, and a TCP/UDP first fragment without its ports is
# dropped (RFC 7112).
FRAG="$(dirname "$0")/frag.py"
# frag_diag: what each hop counted, after a datagram that did not arrive
frag_diag() {
	local f
	for f in "$T"/gw-sys/class/net/sk0/sekisho/*; do
		[ -f "$f" ] && printf '%s=%s ' "${f##*/}" "$(cat "$f" 2>/dev/null)"
	done
	echo
	echo "client peer: $(kill -USR1 "$PEER_PID" 2>/dev/null; sleep 0.3; tr '\n' ' ' <"$T/peer.stats")"
	echo "srv: $(in_srv nstat -az 2>/dev/null | awk '/Reasm|Frag|InDiscards|InHdrErrors|UdpRcvbufErrors|UdpInErrors|UdpNoPorts|Ip6Reasm/ {printf "%s=%s ", $1, $2}')"
	echo "gw: $(in_gw nstat -az 2>/dev/null | awk '/Forw|OutDiscards|InDiscards|OutNoRoutes|FragOKs|FragFails/ {printf "%s=%s ", $1, $2}')"
	echo "rx file: $(tr '\n' ' ' <"$T/frag.rx")"
}
# frag_arrives DST: a 3000-byte datagram to udp/5001 arrives whole.  Up
# to three datagrams, 5 s each: UDP over the TCG VMs of a loaded host lost
# one once in CI (vm-6.1, no drop counted by the allowlist).  A miss is
# logged with frag_diag's counters, and a path that loses every datagram
# still fails.
frag_arrives() {
	local try
	for try in 1 2 3; do
		in_cli python3 "$FRAG" send "$1" 5001 3000
		if wait_for 5 grep -qx "5001 3000" "$T/frag.rx"; then
			[ "$try" = 1 ] || echo "attempt $try arrived" >>"$T/frag.diag"
			return 0
		fi
		{ echo "attempt $try did not arrive in 5 s:"; frag_diag; } >>"$T/frag.diag" 2>&1
	done
	return 1
}
check "policy: udp/5001 allowed, udp/5002 not, icmp both families" in_gw "$SEKICTL" kpolicy set sk0 2 \
	"allow tcp 10.20.0.2 22" "allow tcp 10.20.0.2 3389" "allow icmp 10.20.0.0/24" \
	"allow icmpv6 fd20::/64" "allow udp 10.20.0.2 5001" "allow udp fd20::2 5001"
: >"$T/frag.rx"
ip netns exec srv python3 "$FRAG" listen "$T/frag.rx" 5001 5002 &
FRAG_PID=$!
wait_for 5 in_srv ss -lun 'sport = :5002'
for fam in 4 6; do
	if [ $fam = 4 ]; then dst=10.20.0.2; else dst=fd20::2; fi
	p0=$(counter drop_policy)
	: >"$T/frag.diag"
	check "ipv$fam: a fragmented datagram to an allowed port arrives whole" \
		frag_arrives "$dst"
	[ -s "$T/frag.diag" ] && sed 's/^/# /' "$T/frag.diag"
	in_cli python3 "$FRAG" send "$dst" 5002 3000
	sleep 0.5
	check_not "ipv$fam: none of one to a denied port arrives" grep -q "^5002 " "$T/frag.rx"
	check "ipv$fam: all three of its fragments dropped by the allowlist ($p0 -> $(counter drop_policy))" \
		test "$(counter drop_policy)" -ge $((p0 + 3))
	check "ipv$fam: ping -s 3000 (fragmented ICMP) through the tunnel" \
		in_cli ping -$fam -c 2 -i 0.3 -W 3 -s 3000 "$dst"
	: >"$T/frag.rx"
	m0=$(counter drop_malformed)
	if [ $fam = 4 ]; then src=10.88.0.2; else src=fd88::2; fi
	in_cli python3 "$FRAG" tiny tun0 "$src" "$dst"
	check "ipv$fam: a UDP first fragment without its ports dropped as malformed (RFC 7112)" \
		wait_for 3 test "$(counter drop_malformed)" -gt "$m0"
done
kill "$FRAG_PID" 2>/dev/null
wait "$FRAG_PID" 2>/dev/null

# --- key rollover with both epochs in flight ---------------------------------
stop_peer
in_gw "$SEKICTL" peer del sk0 1
gen_keys "$CIPHER"
gen_keys "$CIPHER" .2
check "peer for rollover" add_peer 1 2
check "epoch 1 key" in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$CIPHER" --keys "$T/gw.keys"
check "client with rollover at 200 records" start_peer "$CIPHER" 1 \
	--rekey-at 200 --rekey-epoch 2 --rekey-keys "$T/cli.keys.2"
# The gateway gets epoch 2 before the client switches at record 200: on a
# loaded machine a `key add` issued while the ping runs can come after the
# switch, and the records in between are rightly dropped (no key).
check "epoch 2 key before the client switches" in_gw "$SEKICTL" key add sk0 1 --epoch 2 --cipher "$CIPHER" --keys "$T/gw.keys.2"
ip netns exec cli ping -c 400 -i 0.01 -W 2 10.20.0.2 > "$T/ping.roll" 2>&1
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$T/ping.roll")
# A broken rollover loses every packet of one direction from the switch on;
# allow one stray loss to TCG scheduling (400 probes, 10 ms apart).
check "no loss across the rollover (${loss:-?}%)" awk -v l="${loss:-100}" 'BEGIN { exit !(l <= 0.25) }'
check "both slots reported" sh -c "ip netns exec gw '$SEKICTL' peer show sk0 1 --json | grep -q '\"epoch\":2' && ip netns exec gw '$SEKICTL' peer show sk0 1 --json | grep -q '\"epoch\":1'"
check "secondary slot removed" in_gw "$SEKICTL" key del sk0 1 secondary
check "traffic on epoch 2 alone" in_cli ping -c 2 -i 0.2 -W 3 10.20.0.2

# --- key exhaustion -----------------------------------------------------------
stop_peer
in_gw "$SEKICTL" peer del sk0 1
gen_keys "$CIPHER"
# SEKISHO_SEQ_LIMIT is 2^48-1; the warning comes 2^32 before it.
printf 'tx-seq %d\n' $(( (1 << 48) - 1 - (1 << 32) - 2 )) >> "$T/gw.keys"
check "peer with a key near the warning mark" add_peer 1 2
check "key near exhaustion" in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$CIPHER" --keys "$T/gw.keys"
check "client" start_peer "$CIPHER" 1
monitor_start "$T/ev.exhaust"
in_cli ping -c 5 -i 0.2 -W 2 10.20.0.2 >/dev/null
sleep 0.5
monitor_stop
check "key-exhaust event" has_event "$T/ev.exhaust" '"event":"key-exhaust"'
gen_keys "$CIPHER"
printf 'tx-seq %d\n' $(( (1 << 48) - 3 )) >> "$T/gw.keys"
check "key at the very end of its sequence space" in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$CIPHER" --keys "$T/gw.keys"
stop_peer
check "client" start_peer "$CIPHER" 1
k0=$(counter drop_no_key)
in_cli ping -c 6 -i 0.2 -W 1 10.20.0.2 > "$T/ping.exh" 2>&1
check "sending stops at 2^48-1 (no_key $k0 -> $(counter drop_no_key))" test "$(counter drop_no_key)" -ge $((k0 + 3))

# --- idle event ---------------------------------------------------------------
stop_peer
in_gw "$SEKICTL" peer del sk0 1
gen_keys "$CIPHER"
monitor_start "$T/ev.idle" 600
check "peer with idle timeout 2s" in_gw "$SEKICTL" peer add sk0 1 --socket "$HOLDER_SOCK" \
	--remote "10.10.1.2:$CLI_PORT" --vpn-ip 10.88.0.2 --policy 2 --idle 2
in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$CIPHER" --keys "$T/gw.keys"
check "peer-idle event within 8 s" wait_for 8 has_event "$T/ev.idle" '"event":"peer-idle"'

# --- peer deleted during traffic, then socket closed under the peers --------
check "client" start_peer "$CIPHER" 1
in_srv iperf3 -s -D --pidfile "$T/iperf3.pid" >/dev/null 2>&1
sleep 0.5
ip netns exec cli iperf3 -c 10.20.0.2 -t 4 >/dev/null 2>&1 &
IPERF=$!
sleep 1.5
check "peer deleted during traffic" in_gw "$SEKICTL" peer del sk0 1
# its packets now go nowhere (the device stays): the client would wait out
# TCP's retransmissions, two minutes, before it gave up
kill $IPERF 2>/dev/null
wait $IPERF
check "peer-del event (userspace)" wait_for 3 has_event "$T/ev.idle" '"event":"peer-del".*"reason":"userspace"'
check "peer re-added" add_peer 1 2
check "second peer on the same socket" in_gw "$SEKICTL" peer add sk0 2 --socket "$HOLDER_SOCK" \
	--remote "10.10.1.2:$((CLI_PORT + 5))" --vpn-ip 10.88.0.5 --policy 2
in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$CIPHER" --keys "$T/gw.keys"
ip netns exec cli ping -c 20 -i 0.05 -W 1 10.20.0.2 >/dev/null 2>&1 &
sleep 0.3
stop_holder
sleep 1
check "socket closed: peers removed" test -z "$(in_gw "$SEKICTL" peer list sk0 --json | grep '"id"')"
check "peer-del events (socket-closed)" test "$(grep -c '"reason":"socket-closed"' "$T/ev.idle")" -eq 2
monitor_stop
check "device survives" in_gw ip link show sk0

# --- module unload with live peers and traffic ------------------------------
check "gateway UDP socket again" start_holder
check "peer" add_peer 1 2
in_gw "$SEKICTL" key add sk0 1 --epoch 1 --cipher "$CIPHER" --keys "$T/gw.keys"
ip netns exec cli iperf3 -c 10.20.0.2 -t 5 >/dev/null 2>&1 &
IPERF=$!
sleep 1.5
check "rmmod with traffic" rmmod sekisho
kill $IPERF 2>/dev/null	# as above: nothing answers it any more
wait $IPERF
check "device gone with the module" test ! -e /sys/module/sekisho
check "module loads again" load_module
check "and works again" in_gw ip link add sk1 type sekisho
ktap_end
