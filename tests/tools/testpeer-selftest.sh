#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# testpeer-selftest.sh: validates sk-testpeer against itself before the
# kernel module is tested against it.  Two network namespaces joined by a
# veth pair, one `sk-testpeer tunnel` in each with mirrored keys; then, for
# each cipher: ping and iperf3 (IPv4 and IPv6 inside the tunnel), DPD echo,
# and crafted records from `sk-testpeer send` (replay, tampering,
# truncation, wrong epoch) that must be dropped and counted; plus a key
# rollover with records of both epochs in flight.  TAP output; needs root.
#
#   tests/tools/testpeer-selftest.sh [--quick]
#   env: SK_TESTPEER (binary, default $BUILD/sk-testpeer), BUILD (default ./build)
#        IPERF_SECS (default 3)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$top/build}
TP=${SK_TESTPEER:-$BUILD/sk-testpeer}
IPERF_SECS=${IPERF_SECS:-3}
quick=0
[ "${1:-}" = "--quick" ] && quick=1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check "description" command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

echo "TAP version 13"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$TP" ] || skip_all "no sk-testpeer at $TP (make -C userspace)"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
for t in ip ping iperf3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done

tmp=$(mktemp -d /tmp/sktp.XXXXXX)
A=sktpA$$
B=sktpB$$
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add $A || skip_all "ip netns add failed"
ip netns add $B
ip -n $A link set lo up
ip -n $B link set lo up
ip link add va netns $A type veth peer name vb netns $B
ip -n $A addr add 198.18.0.1/24 dev va
ip -n $B addr add 198.18.0.2/24 dev vb
ip -n $A addr add fd00:18::1/64 dev va nodad
ip -n $B addr add fd00:18::2/64 dev vb nodad
ip -n $A link set va up
ip -n $B link set vb up

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# keys CIPHER NAME: writes $tmp/NAME-a.keys (client A) and -b (mirror)
keys() {
	local kl il k1 k2 i1 i2
	case $1 in
	aes128-gcm) kl=16 il=4 ;;
	aes256-gcm) kl=32 il=4 ;;
	*) kl=32 il=12 ;;
	esac
	k1=$(hex $kl) k2=$(hex $kl) i1=$(hex $il) i2=$(hex $il)
	printf 'tx-key %s\ntx-iv %s\nrx-key %s\nrx-iv %s\n' $k1 $i1 $k2 $i2 >"$tmp/$2-a.keys"
	printf 'tx-key %s\ntx-iv %s\nrx-key %s\nrx-iv %s\n' $k2 $i2 $k1 $i1 >"$tmp/$2-b.keys"
}

# start NS NAME LOCAL REMOTE TUNADDR TUNADDR6 CIPHER KEYS [extra...]
start() {
	local ns=$1 name=$2 local=$3 remote=$4 a4=$5 a6=$6 c=$7 k=$8 i
	shift 8
	rm -f "$tmp/$name.pid" "$tmp/$name.stats"
	ip netns exec "$ns" "$TP" tunnel --local "$local" --remote "$remote" \
		--cipher "$c" --epoch 1 --keys "$k" --tun sktp0 \
		--tun-addr "$a4" --tun-addr6 "$a6" --mtu 1400 \
		--pidfile "$tmp/$name.pid" --stats-file "$tmp/$name.stats" "$@" \
		2>"$tmp/$name.err" &
	pids+=($!)
	eval "pid_$name=$!"
	for i in $(seq 50); do
		[ -s "$tmp/$name.pid" ] && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/$name.err" >&2
	return 1
}

stop() {
	local p
	eval "p=\$pid_$1"
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	# anything the tunnel said (sanitizer reports, warnings) as comments
	[ -s "$tmp/$1.err" ] && sed "s/^/# tunnel $1: /" "$tmp/$1.err"
	return 0
}

# stat NAME KEY: refreshes the stats file (SIGUSR1) and prints KEY's value
stat() {
	local p before
	eval "p=\$pid_$1"
	before=$(stat_mtime "$tmp/$1.stats")
	kill -USR1 "$p" 2>/dev/null
	for _ in $(seq 20); do
		[ "$(stat_mtime "$tmp/$1.stats")" != "$before" ] && break
		sleep 0.05
	done
	awk -v k="$2" '$1 == k { print $2 }' "$tmp/$1.stats"
}
stat_mtime() { command stat -c %Y.%Z.%s.%i "$1" 2>/dev/null; }

# ping_test NS ADDR LABEL [COUNT INTERVAL]
ping_test() {
	local out loss rtt
	out=$(ip netns exec "$1" ping -n -q -c "${4:-5}" -i "${5:-0.2}" -W 2 "$2" 2>&1)
	loss=$(echo "$out" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
	rtt=$(echo "$out" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
	if [ "$loss" = 0 ]; then
		ok "$3: ping $2 0% loss, avg rtt ${rtt} ms"
	else
		notok "$3: ping $2 loss ${loss:-?}%"
		echo "$out" | sed 's/^/# /'
	fi
}

# iperf_test ADDR LABEL: client in A, server in B
iperf_test() {
	local out bw
	ip netns exec $B iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	local sp=$!
	sleep 0.3
	out=$(ip netns exec $A timeout $((IPERF_SECS + 10)) iperf3 -c "$1" -p 5201 \
		-t "$IPERF_SECS" -f m 2>&1)
	wait $sp 2>/dev/null
	bw=$(echo "$out" | awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i+1) == "Mbits/sec") print $i }')
	if [ -n "$bw" ]; then
		ok "$2: iperf3 $1 ${bw} Mbit/s"
		echo "# RESULT $2 iperf3 $bw Mbit/s"
	else
		notok "$2: iperf3 $1"
		echo "$out" | tail -5 | sed 's/^/# /'
	fi
}

# send ARGS...: runs sk-testpeer send in A, prints its output as comments
send() {
	local out rc
	out=$(ip netns exec $A "$TP" send "$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/#   /'
	return $rc
}

# expect_delta NAME KEY BEFORE WANT LABEL
expect_delta() {
	local now
	now=$(stat "$1" "$2")
	if [ $((now - $3)) = "$4" ]; then
		ok "$5: $2 +$4"
	else
		notok "$5: $2 went from $3 to $now, expected +$4"
	fi
}

run_cipher() {
	local c=$1 under=$2 la lb pa pb
	if [ "$under" = 6 ]; then
		la="[fd00:18::1]" lb="[fd00:18::2]"
	else
		la=198.18.0.1 lb=198.18.0.2
	fi
	keys "$c" "$c"
	start $A a "$la:4443" "$lb:4443" 10.99.0.1/24 fd00:99::1/64 "$c" "$tmp/$c-a.keys" &&
	start $B b "$lb:4443" "$la:4443" 10.99.0.2/24 fd00:99::2/64 "$c" "$tmp/$c-b.keys"
	check "$c (IPv$under underlay): both tunnels up" test $? = 0 || return

	ping_test $A 10.99.0.2 "$c"
	ping_test $A fd00:99::2 "$c"
	ping_test $B 10.99.0.1 "$c (reverse)" 3
	if [ $quick = 0 ]; then
		iperf_test 10.99.0.2 "$c IPv4"
		iperf_test fd00:99::2 "$c IPv6"
	fi

	# crafted records from A's side to B's tunnel; A's tunnel goes away so
	# that replies addressed to A's endpoint reach the `send` socket
	stop a
	local S=$((1 << 40)) common r0 a0 m0 e0 k0
	common=(--local "$la:4443" --remote "$lb:4443" --cipher "$c" --epoch 1
		--keys "$tmp/$c-a.keys")
	check "$c: DPD-REQ of 1200 bytes answered with an identical DPD-RESP" \
		send "${common[@]}" --seq $S --type dpd --size 1200 \
		--wait-reply 2000 --expect dpd-resp
	check "$c: ICMP echo record answered with the echo reply" \
		send "${common[@]}" --seq $((S + 1)) --icmp-echo 10.99.0.1,10.99.0.2,77,5 \
		--wait-reply 2000 --expect data
	check "$c: ICMPv6 echo record answered with the echo reply" \
		send "${common[@]}" --seq $((S + 2)) --icmp-echo fd00:99::1,fd00:99::2 \
		--wait-reply 2000 --expect data
	r0=$(stat b drop_replay) a0=$(stat b drop_auth) m0=$(stat b drop_malformed)
	e0=$(stat b drop_unknown_epoch) k0=$(stat b rx_keepalive)
	send "${common[@]}" --seq $((S + 10)) --udp 10.99.0.1:1000,10.99.0.2:9,32 \
		--repeat 3 --same-seq >/dev/null
	send "${common[@]}" --seq $((S - 5000)) --type keepalive >/dev/null
	expect_delta b drop_replay "$r0" 3 "$c: same record 3 times and one 5000 behind"
	for f in tamper-tag tamper-ct tamper-hdr; do
		send "${common[@]}" --seq $((S + 20)) --type keepalive --fault $f >/dev/null
	done
	expect_delta b drop_auth "$a0" 3 "$c: tamper-tag, tamper-ct, tamper-hdr"
	send "${common[@]}" --seq $((S + 21)) --type keepalive --fault truncate >/dev/null
	send "${common[@]}" --seq $((S + 22)) --type keepalive --fault extra-bytes >/dev/null
	expect_delta b drop_malformed "$m0" 2 "$c: truncate and extra-bytes trailer"
	send "${common[@]}" --seq $((S + 23)) --type keepalive --fault wrong-epoch >/dev/null
	expect_delta b drop_unknown_epoch "$e0" 1 "$c: wrong-epoch"
	send "${common[@]}" --seq $((S + 24)) --type keepalive >/dev/null
	expect_delta b rx_keepalive "$k0" 2 "$c: keepalives counted (the good one and the one before the trailer)"
	check "$c: tampered seq 20 did not advance the window (seq 20 is still fresh)" \
		send "${common[@]}" --seq $((S + 20)) --type dpd --wait-reply 2000 --expect dpd-resp
	stop b
}

run_rekey() {
	local c=aes256-gcm e1 e2
	keys $c rk1
	keys $c rk2
	start $A a 198.18.0.1:4443 198.18.0.2:4443 10.99.0.1/24 fd00:99::1/64 $c "$tmp/rk1-a.keys" \
		--rekey-at 50 --rekey-epoch 2 --rekey-keys "$tmp/rk2-a.keys" &&
	start $B b 198.18.0.2:4443 198.18.0.1:4443 10.99.0.2/24 fd00:99::2/64 $c "$tmp/rk1-b.keys" \
		--rekey-at 2000 --rekey-epoch 2 --rekey-keys "$tmp/rk2-b.keys"
	check "rekey: tunnels up (A switches after 50 records, B after 2000)" test $? = 0 || return
	ping_test $A 10.99.0.2 "rekey" 120 0.01
	e1=$(stat b rx_epoch_1_records) e2=$(stat b rx_epoch_2_records)
	check "rekey: B received epoch 1 ($e1) and epoch 2 ($e2) records" \
		test "$e1" -ge 40 -a "$e2" -ge 60
	[ $quick = 0 ] && iperf_test 10.99.0.2 "rekey during iperf3 (B switches mid-run)"
	[ $quick = 0 ] && check "rekey: B's tx moved to epoch 2" test "$(stat b tx_epoch)" = 2
	check "rekey: no authentication or replay drops" \
		test "$(stat a drop_auth)$(stat b drop_auth)$(stat a drop_replay)$(stat b drop_replay)" = 0000
	stop a
	stop b
}

check "sk-testpeer selftest (known answers, record layout)" \
	sh -c "'$TP' selftest >'$tmp/selftest.tap'"
grep -q '^not ok' "$tmp/selftest.tap" && sed -n 's/^not ok/#   not ok/p' "$tmp/selftest.tap"

run_cipher aes128-gcm 4
run_cipher aes256-gcm 6
run_cipher chacha20-poly1305 4
run_rekey

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
