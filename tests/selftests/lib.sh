#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the sekisho netns selftests (run inside the VM as root).
#
# Topology:
#   ns cli  c0 10.10.1.2/24 fd10:1::2/64 ──veth── g0 10.10.1.1/24 fd10:1::1/64  ns gw
#           tun0 10.88.0.2 fd88::2 (sk-testpeer: OpenSSL far end)        sk0 10.88.0.1/24 fd88::1/64
#   ns srv  s0 10.20.0.2/24 fd20::2/64 ──veth── g1 10.20.0.1/24 fd20::1/64  ns gw (forwarding on)
# The gateway side is the module; the client side is sk-testpeer, an
# independent implementation of the record format on OpenSSL EVP.

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$REPO/build}
SEKICTL=${SEKICTL:-$BUILD/sekictl}
TESTPEER=${TESTPEER:-$BUILD/sk-testpeer}
KO=${SEKISHO_KO:-$REPO/kmod/sekisho.ko}
T=${T:-$(mktemp -d /tmp/sekisho-selftest.XXXXXX)}
GW_PORT=4433
CLI_PORT=40000

KTAP_N=0
KTAP_FAILED=0

# A result that took KTAP_SLOW seconds or more since the previous one says
# so ("# took N s"): where the suite's time goes shows in every run's log.
KTAP_SLOW=${KTAP_SLOW:-10}
KTAP_LAST=$SECONDS
ktap_result() {	# ok|fail name [diag]
	KTAP_N=$((KTAP_N + 1))
	[ $((SECONDS - KTAP_LAST)) -ge "$KTAP_SLOW" ] && echo "# took $((SECONDS - KTAP_LAST)) s:"
	KTAP_LAST=$SECONDS
	if [ "$1" = ok ]; then
		echo "ok $KTAP_N $2"
	else
		KTAP_FAILED=$((KTAP_FAILED + 1))
		echo "not ok $KTAP_N $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
	return 0
}

ktap_skip() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $1 # SKIP ${2:-}"; }

# check NAME CMD... : run CMD in this shell (so functions that start
# helpers can set variables), report ok when it exits 0; its output goes to
# the diagnostics of a failure.
check() {
	local name=$1 rc
	shift
	"$@" > "$T/check.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ktap_result ok "$name"
	else
		ktap_result fail "$name" "$(printf 'exit %s: %s\n' "$rc" "$*"; tail -n 25 "$T/check.out")"
	fi
	return $rc
}

# check_not NAME CMD... : ok when CMD fails.
check_not() {
	local name=$1
	shift
	if "$@" > "$T/check.out" 2>&1; then
		ktap_result fail "$name" "$(printf 'unexpected success: %s\n' "$*"; tail -n 25 "$T/check.out")"
		return 1
	fi
	ktap_result ok "$name"
}

diag() { printf '# %s\n' "$*"; }

# Functions cannot be backgrounded without a subshell whose pid is not the
# command's: start background helpers with "ip netns exec NS" directly.
# sekictl's kernel commands talk netlink only: they need the namespace's
# network, not the remount of /sys that `ip netns exec` makes for every
# command (in the debug kernel's VM that doubles the cost of each call), so
# the selftests enter with nsenter; everything else gets the whole `ip
# netns exec`.  The e2e suite, which sources this file too and runs
# `sekictl diagnose` (it reads /sys/class/net), sets GW_NSENTER=0.
GW_NSENTER=${GW_NSENTER:-1}
in_gw() {
	if [ "$GW_NSENTER" = 1 ] && [ "$1" = "$SEKICTL" ]; then
		nsenter --net=/run/netns/gw "$@"
	else
		ip netns exec gw "$@"
	fi
}
in_cli() { ip netns exec cli "$@"; }
in_srv() { ip netns exec srv "$@"; }

# counter NAME [DEV]: a device counter from sysfs, read in the gateway ns.
# topo_up mounts the gateway namespace's sysfs once at $T/gw-sys (sysfs
# shows the devices of the mounting process's network namespace), so a
# read is a shell builtin: `ip netns exec` forks, execs and remounts /sys
# in a new mount namespace each time, which the debug kernel's selftests
# paid about a hundred times per script.
counter() {
	local v
	if [ -d "$T/gw-sys/class/net" ]; then
		read -r v <"$T/gw-sys/class/net/${2:-sk0}/sekisho/$1" || return 1
		echo "$v"
	else
		in_gw cat "/sys/class/net/${2:-sk0}/sekisho/$1"
	fi
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
# nap SECONDS: sleep without a process.  Under TCG every fork+exec costs
# milliseconds of the one emulated CPU that the daemon being waited for
# needs too; a read with a timeout on a pipe nobody writes to is a builtin.
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _; return 0; }

#
# SECONDS counts tries of at least 0.1 s each (limit x 10 tries), so a slow
# machine waits longer, never less.  A try that costs more than 0.1 s (a
# program started under TCG: 0.2 s and up, seconds in the debug kernel) is
# followed by a pause as long as the try itself, up to 0.5 s: a poll takes
# about half of the emulated CPU from the process it waits for, and a try
# of seconds is not followed by as many seconds of not looking.
wait_for() {
	local limit=$1 i=0 t0 dt us
	shift
	while :; do
		t0=${EPOCHREALTIME//[!0-9]/}
		"$@" >/dev/null 2>&1 && return 0
		i=$((i + 1))
		[ $i -ge $((limit * 10)) ] && return 1
		dt=$((${EPOCHREALTIME//[!0-9]/} - t0))
		[ "$dt" -gt 500000 ] && dt=500000
		if [ "$dt" -gt 100000 ]; then
			us=00000$((dt % 1000000))
			nap "$((dt / 1000000)).${us: -6}"
		else
			nap 0.1
		fi
	done
}

load_module() {
	# loaded already (every e2e scenario starts sekishod through here):
	# no program at all, where the modprobes and lsmod cost seconds of TCG
	[ -d /sys/module/sekisho ] && return 0
	modprobe udp_tunnel 2>/dev/null
	modprobe ip6_udp_tunnel 2>/dev/null
	modprobe tun 2>/dev/null
	modprobe veth 2>/dev/null
	lsmod | grep -q '^sekisho ' || insmod "$KO"
}

unload_module() { lsmod | grep -q '^sekisho ' && rmmod sekisho; }

topo_up() {
	local ns
	for ns in cli gw srv; do
		ip netns add $ns
		ip -n $ns link set lo up
	done
	ip link add c0 netns cli type veth peer name g0 netns gw
	ip link add s0 netns srv type veth peer name g1 netns gw
	ip -n cli addr add 10.10.1.2/24 dev c0
	ip -n cli addr add fd10:1::2/64 dev c0 nodad
	ip -n gw addr add 10.10.1.1/24 dev g0
	ip -n gw addr add fd10:1::1/64 dev g0 nodad
	ip -n gw addr add 10.20.0.1/24 dev g1
	ip -n gw addr add fd20::1/64 dev g1 nodad
	ip -n srv addr add 10.20.0.2/24 dev s0
	ip -n srv addr add fd20::2/64 dev s0 nodad
	ip -n cli link set c0 up
	ip -n gw link set g0 up
	ip -n gw link set g1 up
	ip -n srv link set s0 up
	ip -n srv route add 10.88.0.0/24 via 10.20.0.1
	ip -n srv route add fd88::/64 via fd20::1
	mkdir -p "$T/gw-sys"
	nsenter --net=/run/netns/gw mount -t sysfs sysfs "$T/gw-sys" 2>/dev/null ||
		rmdir "$T/gw-sys"
	in_gw sysctl -qw net.ipv4.ip_forward=1
	in_gw sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n gw link add sk0 type sekisho || return 1
	ip -n gw addr add 10.88.0.1/24 dev sk0
	ip -n gw addr add fd88::1/64 dev sk0 nodad
	ip -n gw link set sk0 up
}

topo_down() {
	stop_peer
	stop_holder
	# the sysfs mount holds the gateway namespace: unmount it first
	umount "$T/gw-sys" 2>/dev/null && rmdir "$T/gw-sys"
	local ns
	for ns in cli gw srv; do
		ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del $ns 2>/dev/null
	done
	return 0
}

# gen_keys CIPHER [SUFFIX]: write $T/gw.keys$SUFFIX and $T/cli.keys$SUFFIX
# with mirrored random keys for CIPHER.
gen_keys() {
	local klen ivlen ck cv sk sv
	case $1 in
	aes128-gcm) klen=16 ivlen=4 ;;
	aes256-gcm) klen=32 ivlen=4 ;;
	chacha20-poly1305) klen=32 ivlen=12 ;;
	*) echo "gen_keys: unknown cipher $1" >&2; return 1 ;;
	esac
	ck=$(openssl rand -hex $klen); cv=$(openssl rand -hex $ivlen)
	sk=$(openssl rand -hex $klen); sv=$(openssl rand -hex $ivlen)
	printf 'tx-key %s\ntx-iv %s\nrx-key %s\nrx-iv %s\n' "$sk" "$sv" "$ck" "$cv" > "$T/gw.keys${2:-}"
	printf 'tx-key %s\ntx-iv %s\nrx-key %s\nrx-iv %s\n' "$ck" "$cv" "$sk" "$sv" > "$T/cli.keys${2:-}"
}

# stop_bg VAR: ends the background job whose pid is in $VAR (TERM, then
# waits for it) and empties VAR; nothing when VAR is empty.
stop_bg() {
	local pid=${!1:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	printf -v "$1" '%s' ''
}

# start_holder: the UDP socket the gateway's peers use, owned by a process.
start_holder() {
	rm -f "$T/holder.out"	# a stale file would be read before the new one is written
	ip netns exec gw "$SEKICTL" socket hold --bind "${1:-10.10.1.1}:$GW_PORT" > "$T/holder.out" 2>&1 &
	HOLDER_PID=$!
	wait_for 10 test -s "$T/holder.out" || return 1
	HOLDER_SOCK=$(awk '{print $1 ":" $2; exit}' "$T/holder.out")
}

stop_holder() { stop_bg HOLDER_PID; }

# add_peer ID [POLICY]: peer for the sk-testpeer client at 10.10.1.2:$CLI_PORT.
add_peer() {
	in_gw "$SEKICTL" peer add sk0 "$1" --socket "$HOLDER_SOCK" \
		--remote "10.10.1.2:$CLI_PORT" --vpn-ip 10.88.0.2 --vpn-ip fd88::2 \
		--policy "${2:-1}"
}

# start_peer CIPHER EPOCH [extra sk-testpeer args]: the client end.
start_peer() {
	local cipher=$1 epoch=$2
	shift 2
	# the previous client's tun0 must be gone before a new one is made
	wait_for 5 sh -c '! ip -n cli link show tun0' || return 1
	ip netns exec cli "$TESTPEER" tunnel --local "10.10.1.2:$CLI_PORT" --remote "10.10.1.1:$GW_PORT" \
		--cipher "$cipher" --epoch "$epoch" --keys "$T/cli.keys" --tun tun0 \
		--tun-addr 10.88.0.2/24 --tun-addr6 fd88::2/64 --mtu 1400 \
		--pidfile "$T/peer.pid" --stats-file "$T/peer.stats" "$@" > "$T/peer.log" 2>&1 &
	PEER_PID=$!
	wait_for 10 in_cli ip link show tun0 || return 1
	in_cli ip route replace 10.20.0.0/24 dev tun0
	in_cli ip -6 route replace fd20::/64 dev tun0
}

stop_peer() { stop_bg PEER_PID; }

# peer_stat KEY: a counter of the running sk-testpeer (SIGUSR1 dumps them).
peer_stat() {
	kill -USR1 "$PEER_PID" 2>/dev/null
	sleep 0.3
	awk -v k="$1" '$1 == k {print $2}' "$T/peer.stats"
}

# send_rec ARGS...: one-shot records from the peer's own endpoint (so the
# tunnel end must be stopped first); sequence numbers must lie beyond what
# the tunnel already used.
send_rec() {
	in_cli "$TESTPEER" send --local "10.10.1.2:$CLI_PORT" --remote "10.10.1.1:$GW_PORT" "$@"
}

ktap_end() {
	echo "1..$KTAP_N"
	[ "$KTAP_FAILED" -eq 0 ]
}
