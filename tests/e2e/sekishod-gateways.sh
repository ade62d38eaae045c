#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 13: two gateways, one PostgreSQL store.  A PostgreSQL 15 started in
# the VM as tests/lib/pg.sh does on the host (the cached initdb base), two
# sekishod in two namespaces (gw as in every scenario, and gw2 with a link
# of its own to cli), each with its own sekisho device and gateway name.
# What is single-use or counted stays so across them: a TOTP code used on
# A is refused on B; wrong passwords on A and B add up to a lockout, which
# B then enforces; each audit record names the gateway that wrote it.
# Live across gateways (the store's LISTEN/NOTIFY): with bob's tunnel on B,
# a policy rule added through A's control socket is in B's kernel within
# 2 s (B's policy drops grow under a ping), `session list` on A shows the
# session with B's name, a kill on A ends it on B, and a user disabled on
# A loses the tunnel on B, each within 2 s (the delays are printed).  With
# PostgreSQL stopped (pg_ctl -m immediate) the tunnel keeps carrying the
# ping, a new login is refused with the "try again later" message, and
# after the start both gateways listen again by themselves and logins
# work.  Each delay is measured from the moment sekictl returned (the
# change committed) to the effect on B.
# Failover (Documentation/admin/ha.md, decisions/ha-failover.md): both
# gateways also listen on one floating address that keepalived (VRRP, a
# track script on the gateway's process) holds on A, on a segment (a
# bridge in cli) both share with the client; the internal server is on a
# segment (a bridge in srv) both share too, and routes the pool to a
# second floating address of the same VRRP instance.  carol's client on
# the floating address runs iperf3 (-R: the server sends, so the data
# takes the return path) and a ping; A's sekishod is killed with SIGKILL;
# the address moves to B; openconnect reconnects by itself with its cookie
# (no prompt: --non-inter, stdin closed) to B, which takes the session
# from the store with the same address; the ping and iperf3's stream are
# answered through B again (B's kernel counts them); the gap is printed.
# A started again does not take the address back (nopreempt), and the
# live section then runs with bob's tunnel on B, answered by the real
# internal server through B.
# Split brain (decisions/gateway-heartbeat.md): the store is the arbiter.
# dave's cookie carries a tunnel on A; the same cookie presented to B
# (what a client does that reaches B while A still serves it) moves the
# session: B has it with the same address, A ends its side (worker and
# kernel peer) within 2 s of the move ("moved ID"), the store names B.
# A dead gateway (last): A serves erin and is killed for good; B sees A's
# heartbeat stop, takes A's rows as detached ones after
# session.gateway_dead (20 s here), and session.grace (5 s here) ends them:
# session list, the address and erin's session limit (max-sessions 1,
# counted on every gateway) are free again, each step audited.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/pg.sh
. "$REPO/tests/lib/pg.sh"
ha_stop() { stop_bg IPERF_PID; stop_bg KA_A_PID; stop_bg KA_B_PID; }
trap 'ha_stop; stop_bg GWB_PID; sekishod_stop; pg_stop; ip netns del gw2 2>/dev/null; e2e_cleanup' EXIT
sk_begin "two gateways, one PostgreSQL store"
check "postgresql: starts in the VM" pg_start || exit 1
SK_STORE=$SK_TEST_STORE
export SEKISHO_STATE_DIR=$SK_LIB
# the daemon reads the password from its own copy of the passfile: it
# connects again as the service user after a lost connection
getent passwd sekisho >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sekisho
install -m 0600 -o sekisho "$PGPASSFILE" "$T/pgpass.sekisho"
skctl() { "$SEKICTL" --store "$SK_STORE" "$@"; }
check "store: sekictl init on PostgreSQL" "$SEKICTL" init --store "$SK_STORE"
check "store: group with password,totp" sk_group eng factors=password,totp
check "store: user alice" sk_user alice eng Secret-pass1
skctl settings set lockout.threshold 4 >/dev/null
secret=$(skctl user set alice totp=new | sed -n 's/.*[?&]secret=\([A-Z2-7=]*\).*/\1/p')
check "totp: a base32 secret" test -n "$secret"
# the live section (below): SEKISHO_E2E_LIVE=0 leaves it out
LIVE=${SEKISHO_E2E_LIVE:-1}
AG=(--authgroup eng)	# with group ops too, alice's logins choose her group
check "store: group ops (password), users bob, carol, dave, erin and frank" eval "sk_group ops factors=password >/dev/null &&
	sk_user bob ops Secret-pass2 >/dev/null && sk_user carol ops Secret-pass3 >/dev/null &&
	sk_user dave ops Secret-pass4 >/dev/null && sk_user erin ops Secret-pass5 >/dev/null &&
	sk_user frank ops Secret-pass6 >/dev/null"
# group race and its users for the address race below (a pool's address
# on the device is made at the gateway's start)
RACE_N=${SEKISHO_E2E_RACE_N:-50}
rplen=28
[ "$RACE_N" -gt 13 ] && rplen=27
[ "$RACE_N" -gt 29 ] && rplen=26
skctl settings set password.memory_kib 19456 >/dev/null &&
	skctl settings set password.time_cost 1 >/dev/null	# cheap logins (as sekishod-scale.sh)
race_users() {
	sk_group race factors=password >/dev/null && skctl group set race pool4=10.77.0.192/$rplen >/dev/null &&
		{
			echo name,email,group
			for i in $(seq -w 1 "$RACE_N"); do echo "r$i,r$i@$MAIL_DOMAIN,race"; done
		} | skctl user import - >/dev/null || return 1
	for i in $(seq -w 1 "$RACE_N"); do
		printf 'Secret-race%s\n' "$i" | skctl user passwd "r$i" --no-change-required >/dev/null || return 1
	done
}
check "race: group race (pool 10.77.0.192/$rplen), $RACE_N users" race_users

# gateway B: namespace gw2, c1 10.10.2.2 <-> h0 10.10.2.1 (lib.sh)
gw2_up
check "topology: namespace gw2 linked to cli" ip netns exec cli ping -c 1 -W 2 $GWB4

# the pair's floating addresses (VRRP): VIP4 for the clients, on a
# segment of cli, A and B (bridge cb in cli); IVIP4 the internal next hop
# of the pool, on the internal segment of srv, A and B (bridge sb in srv:
# srv's s0 to A's g1 and s1 to B's i1).  Both gateways listen on VIP4
# before they hold it (ip_nonlocal_bind).
VIP4=10.10.3.1 IVIP4=10.20.0.254 VIP6=fd10:3::1
ha_topo() {
	modprobe bridge 2>/dev/null	# a module in Debian's kernel
	ip link add cv0 netns cli type veth peer name v0 netns gw &&
		ip link add cv1 netns cli type veth peer name v1 netns gw2 &&
		ip link add s1 netns srv type veth peer name i1 netns gw2 || return 1
	ip -n cli -batch - <<-EOF || return 1
		link add cb type bridge
		link set cv0 master cb
		link set cv1 master cb
		addr add 10.10.3.2/24 dev cb
		addr add fd10:3::2/64 dev cb nodad
		link set cv0 up
		link set cv1 up
		link set cb up
	EOF
	ip -n gw -batch - <<-EOF || return 1
		addr add 10.10.3.11/24 dev v0
		addr add fd10:3::11/64 dev v0 nodad
		link set v0 up
	EOF
	ip -n gw2 -batch - <<-EOF || return 1
		addr add 10.10.3.12/24 dev v1
		addr add fd10:3::12/64 dev v1 nodad
		addr add 10.20.0.3/24 dev i1
		link set v1 up
		link set i1 up
	EOF
	# srv's address moves from s0 to the bridge; the pool goes to IVIP4
	# (replace: flushing s0 leaves its IPv6 routes)
	ip -n srv -batch - <<-EOF || return 1
		link add sb type bridge
		addr flush dev s0
		link set s0 master sb
		link set s1 master sb
		addr add $SRV4/24 dev sb
		addr add $SRV6/64 dev sb nodad
		link set s1 up
		link set sb up
		route replace $POOL4 via $IVIP4
		route replace $POOL6 via fd20::1
	EOF
	ip netns exec gw sysctl -qw net.ipv4.ip_nonlocal_bind=1 net.ipv6.ip_nonlocal_bind=1 &&
		ip netns exec gw2 sysctl -qw net.ipv4.ip_forward=1 net.ipv4.ip_nonlocal_bind=1 \
			net.ipv6.ip_nonlocal_bind=1 net.ipv4.conf.all.rp_filter=0
}
check "topology: floating address segment (cli, gw, gw2) and a shared internal segment (srv, gw, gw2)" ha_topo
check "topology: B reaches the internal server" ip netns exec gw2 ping -c 1 -W 2 "$SRV4"
sekishod_conf "gateway = gw-a" "listen = $VIP4:443" "listen = [$VIP6]:443"
gwb_conf
check "gateway A: starts on the PostgreSQL store" gw_start gw "$T/sekishod.conf" "$T/sekishod.log" SEKISHOD_PID "$SK_SOCK" || exit 1
check "gateway B: starts on the same store" gw_start gw2 "$T/sekishod-b.conf" "$T/sekishod-b.log" GWB_PID "$T/run/b.sock" || exit 1

# totp_now SECRET: the code of this 30 s step (RFC 6238, SHA-1, 6 digits)
totp_now() {
	$PY - "$1" <<'EOF'
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1].rstrip('=')
k = base64.b32decode(s + '=' * (-len(s) % 8))
h = hmac.new(k, struct.pack('>Q', int(time.time()) // 30), hashlib.sha1).digest()
o = h[-1] & 15
print('%06d' % ((struct.unpack('>I', h[o:o + 4])[0] & 0x7fffffff) % 1000000))
EOF
}
code=$(totp_now "$secret")
check "totp: code $code logs in on A" with_input $'Secret-pass1\n' oc_auth_cookie -u alice "${AG[@]}" \
	--passwd-on-stdin --form-entry "otp:secondary_password=$code"
check "totp: the same code is refused on B" with_input $'Secret-pass1\n' on_b oc_auth_refused -u alice "${AG[@]}" \
	--passwd-on-stdin --form-entry "otp:secondary_password=$code"

# lockout.threshold 4: two wrong passwords on A, two on B
for gw in a a b b; do
	if [ $gw = a ]; then with_input $'Wrong-pass9\n' oc_auth -u alice "${AG[@]}" --passwd-on-stdin >/dev/null
	else with_input $'Wrong-pass9\n' on_b oc_auth -u alice "${AG[@]}" --passwd-on-stdin >/dev/null; fi
done
check "lockout: 2 failures on A + 2 on B lock alice" sh -c "'$SEKICTL' --store '$SK_STORE' --json user show alice | grep -q '\"locked\":\"\\?yes\\|\"locked\":true'"
code=$(totp_now "$secret")
check "lockout: B refuses the right password while locked" with_input $'Secret-pass1\n' on_b oc_auth_refused \
	-u alice "${AG[@]}" --passwd-on-stdin --form-entry "otp:secondary_password=$code"
json=$(skctl audit list --type login --json)
named() { grep -q "\"gateway\":\"$1\"" <<<"$json"; }
check "audit: login records of both gateways, each named" eval "named gw-a && named gw-b"

# ---- helpers of the failover and live sections ----
# since T0: seconds from T0 to now; delay_until T0 LIMIT CMD...: wait for
# CMD, DELAY = seconds since T0; le2 D: D <= 2 s
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
# (its own loop: wait_for pauses as long as a slow try took, up to 0.5 s)
delay_until() {
	local t0=$1 end=$((EPOCHSECONDS + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ "$EPOCHSECONDS" -ge "$end" ] && { DELAY="(timed out)"; return 1; }
		nap 0.05
	done
	DELAY=$(since "$t0")
}
le2() { awk -v d="$1" 'BEGIN { exit !(d ~ /^[0-9]+(\.[0-9]+)?$/ && d + 0 <= 2.0) }'; }
stat_b() { ip netns exec gw2 "$SEKICTL" show | awk -v k="$1:" '$1 == k { print $2; exit }'; }
logged_b() { grep -q "$1" "$T/sekishod-b.log"; }
# answered_after T: the ping got an answer after time T (seconds.fraction)
answered_after() {
	awk -v t="$1" -F'[][]' '/bytes from/ && $2 + 0 > t { f = 1 } END { exit !f }' "$T/ping.log"
}
ping_bg() {
	ip netns exec cli stdbuf -oL ping -D -n -i 0.2 -W 1 "$SRV4" >"$T/ping.log" 2>&1 &
	# shellcheck disable=SC2034 # stop_bg PING_PID reads it
	PING_PID=$!
}

# ---- failover: A killed, the floating address moves to B, the client follows ----
# keepalived on each gateway: one VRRP instance holding VIP4 on the client
# segment and IVIP4 on the internal one; its track script fails once the
# gateway's process is gone (the guide's `systemctl is-active sekishod`;
# no systemd in the VM, so `kill -0` of its pid), the instance goes to
# FAULT, announces priority 0 and drops both addresses, and the other
# takes them at once and sends gratuitous ARPs for both.  The check's
# timeout is 30 s here, not the guide's 5 s: under the emulated CPU, with
# iperf3 and the race's clients running, a `kill -0` of a living process
# took over 5 s, and each time out was a FAULT (the addresses flapped in
# the first run).  A dead process fails the check at once either way.
ka_conf() {	# NAME OUTER-IF INNER-IF PRIORITY PID
	# a new file renamed over the old one: keepalived may be running the
	# old check at this moment, and a file being executed cannot be opened
	# for writing (ETXTBSY: one full run failed so, at A's restart)
	printf '#!/bin/sh\nexec kill -0 %s\n' "$5" >"$T/alive-$1.new" && chmod 0755 "$T/alive-$1.new" &&
		mv -f "$T/alive-$1.new" "$T/alive-$1" &&
		cat >"$T/keepalived-$1.conf" <<-EOF
		global_defs {
			router_id gw-$1
			script_user root
			enable_script_security
		}
		vrrp_script sekishod {
			script "$T/alive-$1"
			interval 1
			timeout 30
			fall 1
			rise 1
		}
		vrrp_instance vpn {
			state BACKUP
			interface $2
			virtual_router_id 51
			priority $4
			# 2 s, not 1: a BACKUP takes over after three missed
			# advertisements, and with 1 s a MASTER starved of the
			# emulated CPU (two VMs on two cores) lost the addresses to
			# the BACKUP (a full run: MASTER on A twice); the failover
			# the test measures goes through the check and FAULT
			advert_int 2
			nopreempt
			virtual_ipaddress {
				$VIP4/24 dev $2
				$IVIP4/24 dev $3
			}
			# IPv6 in the same instance: not announced (VRRPv2
			# carries one family), moved with the others
			virtual_ipaddress_excluded {
				$VIP6/64 dev $2
			}
			track_script {
				sekishod
			}
		}
		EOF
}
ka_start() {	# NAME NS PIDVAR
	ip netns exec "$2" keepalived -n -l -P -G -f "$T/keepalived-$1.conf" -p "$T/ka-$1.pid" \
		-r "$T/ka-$1-vrrp.pid" >"$T/keepalived-$1.log" 2>&1 &
	printf -v "$3" '%s' $!
}
holds_vip() { ip -n "$1" -br addr show dev "$2" | grep -q " $VIP4/"; }
holds_vip6() { ip -n "$1" -br addr show dev "$2" | grep -q " $VIP6/"; }
ka_conf a v0 g1 150 "$SEKISHOD_PID" && ka_conf b v1 i1 100 "$GWB_PID"
# A first, so that it is the one that takes the addresses (both start as
# BACKUP: the first to miss three advertisements becomes MASTER)
ka_start a gw KA_A_PID
check "vrrp: A holds the floating address" wait_for 20 holds_vip gw v0 ||
	{ tail -n 20 "$T/keepalived-a.log"; exit 1; }
check "vrrp: A holds the floating IPv6 address" wait_for 10 holds_vip6 gw v0
ka_start b gw2 KA_B_PID
check "vrrp: B is BACKUP" wait_for 20 grep -q "Entering BACKUP STATE" "$T/keepalived-b.log"
# on_vip CMD...: an openconnect helper of lib.sh against the floating address
# shellcheck disable=SC2034 # GW4 is read by oc_common
on_vip() { local GW4=$VIP4; "$@"; }
# frank reaches the floating IPv6 address (IPv6 outer transport, the
# tunnel's IPv4 inside), first: his script routes everything else
# (default) into his tunnel, carol's split include (10.20.0.0/24, more
# specific) then stays hers; frank's checks ping through his tun device
printf '#!/bin/sh\nCISCO_SPLIT_INC=0 exec %s\n' "$E2E_DIR/rec-env.sh" >"$T/rec-env-default.sh" &&
	chmod 0755 "$T/rec-env-default.sh"
OC_INPUT=$'Secret-pass6\n' oc_connect f -u frank --authgroup ops --passwd-on-stdin \
	--resolve "$VPN_HOST:$VIP6" --script "$T/rec-env-default.sh"
check "failover6: frank's tunnel up through the floating IPv6 address" oc_wait_up f 180
faddr=$(oc_env f INTERNAL_IP4_ADDRESS)
# gw_remote_of USER: "GATEWAY REMOTE" of USER's session (the store's row)
gw_remote_of() {
	skctl session list --json | jq -r --arg u "$1" '(if type == "array" then . else .sessions // [] end) |
		.[] | select(.user == $u) | "\(.gateway) \(.remote)"'
}
check "failover6: frank's session is on gw-a, from an IPv6 address" eval "gw_remote_of frank | grep -q '^gw-a .*fd10:3::'"
check "failover6: ping through frank's tunnel" ping_cli -I "$(oc_env f TUNDEV)" "$SRV4"
OC_INPUT=$'Secret-pass3\n' on_vip oc_connect c -u carol --authgroup ops --passwd-on-stdin
check "failover: carol's tunnel up through the floating address" oc_wait_up c 180 || exit 1
caddr=$(oc_env c INTERNAL_IP4_ADDRESS)
check "failover: carol's session is on gw-a" eval "skctl session list | awk '\$2 == \"carol\"' | grep -q ' gw-a '"
ping_bg
# iperf3 -R: the internal server sends (1 Mbit/s), through the return path
ip netns exec cli iperf3 -c "$SRV4" -R -b 1M -t 300 -i 1 --forceflush --timestamps='%s ' \
	>"$T/iperf.log" 2>&1 &
# shellcheck disable=SC2034 # stop_bg IPERF_PID reads it
IPERF_PID=$!
trap 'stop_bg PING_PID; ha_stop; stop_bg GWB_PID; sekishod_stop; pg_stop; ip netns del gw2 2>/dev/null; e2e_cleanup' EXIT
# iperf_after T: an interval of iperf3 that started after time T received data
iperf_after() {
	awk -v t="$1" '$1 + 0 > t && / sec / && !/ 0\.00 Bytes / { f = 1 } END { exit !f }' "$T/iperf.log"
}
# gap T: the longest wait between two answers from the last answer before T on
gap() {
	awk -v t="$1" -F'[][]' '/bytes from/ { x = $2 + 0; if (x <= t) { l = x; next }
		if (l && x - l > g) g = x - l; l = x } END { printf "%.1f", g }' "$T/ping.log"
}
check "failover: iperf3 and the ping carried through A" wait_for 30 eval "iperf_after $EPOCHSECONDS && answered_after $EPOCHSECONDS"
b_tx0=$(stat_b tx_packets)
t0=$(date +%s.%N)
kill -KILL "$SEKISHOD_PID"
wait "$SEKISHOD_PID" 2>/dev/null
SEKISHOD_PID=
check "failover: the floating address moved to B" delay_until "$t0" 30 holds_vip gw2 v1
diag "failover: A killed -> B holds the address: $DELAY s"
check "failover: A dropped it" eval '! holds_vip gw v0'
check "failover6: B holds the floating IPv6 address" wait_for 10 holds_vip6 gw2 v1
check "failover: the client reconnected by itself" wait_for 120 grep -qx reconnect "$T/oc-c/reasons"
check "failover: the client still runs (no prompt)" oc_alive c
check "failover: same address $caddr" test "$(oc_env c INTERNAL_IP4_ADDRESS reconnect)" = "$caddr"
check "failover: B took the session from the store" wait_for 10 grep -q "of carol resumed from the store" "$T/sekishod-b.log"
t1=$(date +%s.%N)
check "failover: the ping is answered again" wait_for 60 answered_after "$t1"
diag "failover: no ping answer for $(gap "$t0") s"
check "failover: iperf3's stream flows again" wait_for 60 iperf_after "${t1%.*}"
diag "failover: iperf3: $(awk -v t="${t0%.*}" '$1 + 0 >= t && / sec / { n++; if (/ 0\.00 Bytes /) z++ } END { printf "%d of %d one-second intervals from the kill on without data", z, n }' "$T/iperf.log")"
check "failover: the return path is B's: B's kernel sent ${b_tx0:-?} -> more packets" \
	test "$(stat_b tx_packets)" -gt "${b_tx0:-0}"
check "failover6: frank's client reconnected by itself over IPv6" wait_for 120 grep -qx reconnect "$T/oc-f/reasons"
check "failover6: frank's client still runs (no prompt)" oc_alive f
check "failover6: same address $faddr" test "$(oc_env f INTERNAL_IP4_ADDRESS reconnect)" = "$faddr"
check "failover6: B took frank's session from the store" wait_for 10 grep -q "of frank resumed from the store" "$T/sekishod-b.log"
check "failover6: ping through frank's tunnel, now on B" wait_for 30 ping_cli -I "$(oc_env f TUNDEV reconnect)" "$SRV4"
check "failover6: the store has frank's session on gw-b, from IPv6" eval "gw_remote_of frank | grep -q '^gw-b .*fd10:3::'"
oc_stop f
stop_bg IPERF_PID
stop_bg PING_PID
# through B's control socket (a new sekictl connection to PostgreSQL timed
# out once here under the emulated CPU's load)
check "failover: session list on B shows carol on gw-b" eval "ip netns exec gw2 '$SEKICTL' --socket '$T/run/b.sock' session list |
	awk '\$2 == \"carol\"' | grep -q ' gw-b '"
# A comes back: BACKUP, the address stays with B (nopreempt); its restart
# removes the kernel peer the killed process left
check "failover: A's sekishod starts again" gw_start gw "$T/sekishod.conf" "$T/sekishod.log" SEKISHOD_PID "$SK_SOCK" || exit 1
ka_conf a v0 g1 150 "$SEKISHOD_PID"
check "failover: A's VRRP leaves FAULT (BACKUP)" wait_for 20 eval "grep -c 'Entering BACKUP STATE' '$T/keepalived-a.log' | grep -qx 2"
check "failover: B keeps the address (nopreempt)" holds_vip gw2 v1
check "failover: A's kernel has no peer left" test "$(sk_stat peers)" = 0
oc_stop c

# ---- clients on both gateways at once never share an address ----
# RACE_N clients (users r01...; 50 by default, the issue's figure), half
# on A and half on B, all started at once, in group race (a /26: 61
# addresses; SEKISHO_E2E_RACE_N=13 takes a /28, exactly 13): each gateway
# picks the lowest free address, so both pick the same few at the same
# time, and only the store's unique index keeps them apart.
t0=$EPOCHSECONDS
for i in $(seq -w 1 "$RACE_N"); do
	if [ $((10#$i % 2)) = 1 ]; then OC_INPUT="Secret-race$i"$'\n' oc_connect r$i -u r$i --authgroup race --passwd-on-stdin
	else OC_INPUT="Secret-race$i"$'\n' on_b oc_connect r$i -u r$i --authgroup race --passwd-on-stdin; fi
done
up=0
for i in $(seq -w 1 "$RACE_N"); do
	oc_wait_up r$i 600 >"$T/wait-r$i" 2>&1 && up=$((up + 1))
done
check "race: $up of $RACE_N tunnels up in $((EPOCHSECONDS - t0)) s (half on A, half on B)" test "$up" = "$RACE_N"
race_addrs() { for i in $(seq -w 1 "$RACE_N"); do oc_env r$i INTERNAL_IP4_ADDRESS; done; }
check "race: $RACE_N distinct addresses at the clients" test "$(race_addrs | sort -u | grep -c .)" = "$RACE_N"
json=$(skctl session list --json)
store_addrs() {
	jq -r '(if type == "array" then . else .sessions // [] end) | .[] |
		select(.user | test("^r[0-9]+$")) | "\(.gateway) \(.addr4)"' <<<"$json"
}
check "race: the store holds $RACE_N sessions, each address once" eval \
	"test \"\$(store_addrs | awk '{ print \$2 }' | grep -c .)\" = $RACE_N &&
	test \"\$(store_addrs | awk '{ print \$2 }' | sort -u | grep -c .)\" = $RACE_N"
check "race: both gateways serve some ($(store_addrs | awk '{ n[$1]++ } END { for (g in n) printf "%s %d ", g, n[g] }'))" eval \
	"store_addrs | grep -q '^gw-a ' && store_addrs | grep -q '^gw-b '"
kaddrs() {
	{
		in_gw "$SEKICTL" show --json
		ip netns exec gw2 "$SEKICTL" show --json
	} | jq -r '.[].peers[]?.vpn_ipv4 // empty'
}
check "race: the kernels of A and B hold $RACE_N peers, each address once" eval \
	"test \"\$(kaddrs | grep -c .)\" = $RACE_N && test \"\$(kaddrs | sort -u | grep -c .)\" = $RACE_N"
stops=()
for i in $(seq -w 1 "$RACE_N"); do
	oc_stop r$i &
	stops+=($!)
done
wait "${stops[@]}"
masters() { grep -c 'Entering MASTER STATE' "$T/keepalived-$1.log"; }
check "vrrp: no flapping through the failover and the race (MASTER: A once, B once)" \
	test "$(masters a) $(masters b)" = "1 1"

# ---- split brain: one cookie presented to both gateways ----
# In a VRRP partition both gateways hold the floating address and a
# client may reach either; openconnect then presents its cookie to the
# other one.  Here directly: dave's tunnel on A (A's own address), that
# client frozen (SIGSTOP: it neither talks nor reconnects), and the same
# cookie from a second client to B.  The session must then live on B
# only: A ends its worker and kernel peer on the store's "moved ID".
cookie=$(with_input $'Secret-pass4\n' oc_auth -u dave --authgroup ops --passwd-on-stdin |
	sed -n "s/^COOKIE='\{0,1\}\([^']*\)'\{0,1\}$/\1/p")
check "split: dave's cookie from a login on A" test -n "$cookie"
OC_INPUT="$cookie"$'\n' oc_connect s1 --cookie-on-stdin
check "split: dave's tunnel up on A" oc_wait_up s1 180
saddr=$(oc_env s1 INTERNAL_IP4_ADDRESS)
a_peer() { in_gw "$SEKICTL" show --json | jq -e --arg a "$1" '[.[].peers[]? | select(.vpn_ipv4 == $a)] | length > 0' >/dev/null; }
b_peer() { ip netns exec gw2 "$SEKICTL" show --json | jq -e --arg a "$1" '[.[].peers[]? | select(.vpn_ipv4 == $a)] | length > 0' >/dev/null; }
check "split: A's kernel has the peer of $saddr" wait_for 10 a_peer "$saddr"
kill -STOP "$(oc_pid s1)"
OC_INPUT="$cookie"$'\n' on_b oc_connect s2 --cookie-on-stdin
# from B's log line of the adoption (the row becomes B's in the same
# CONNECT) to A's log line of its end, polled every 0.05 s
check "split: B took the session over from A" delay_until "$(date +%s.%N)" 180 logged_b "of dave taken over from gateway gw-a"
t0=$(date +%s.%N)
check "split: A ended its side (moved to gw-b)" delay_until "$t0" 10 grep -q "of dave moved to gateway gw-b" "$T/sekishod.log"
diag "split: B took the session -> A ended its side: $DELAY s"
check "split: ... within 2 s ($DELAY s)" le2 "$DELAY"
check "split: the same cookie brings a tunnel up on B" oc_wait_up s2 180
check "split: B has the same address $saddr" test "$(oc_env s2 INTERNAL_IP4_ADDRESS)" = "$saddr"
check_not "split: A's kernel has no peer of $saddr" a_peer "$saddr"
check "split: B's kernel has it" b_peer "$saddr"
# list_b: session list through B's control socket; rows_of USER: its rows
list_b() { ip netns exec gw2 "$SEKICTL" --socket "$T/run/b.sock" session list; }
rows_of() { list_b | awk -v u="$1" '$2 == u'; }
check "split: the store has one session of dave, on gw-b" eval \
	'[ "$(rows_of dave | grep -c .)" = 1 ] && rows_of dave | grep -q " gw-b "'
check "split: audited: session-moved to gw-b" eval \
	"skctl audit list --type session-moved --user dave --json | grep -q gw-b"
check "split: the tunnel on B carries a ping" ping_cli -I "$(oc_env s2 TUNDEV)" "$SRV4"
kill -KILL "$(oc_pid s1)" 2>/dev/null
kill -CONT "$(oc_pid s1)" 2>/dev/null
oc_stop s2

# ---- live across gateways: bob's tunnel lives on B, the changes go to A ----
live_section() {
trap 'stop_bg PING_PID; ha_stop; stop_bg GWB_PID; sekishod_stop; pg_stop; ip netns del gw2 2>/dev/null; e2e_cleanup' EXIT
OC_INPUT=$'Secret-pass2\n' on_b oc_connect b -u bob --authgroup ops --passwd-on-stdin
check "live: bob's tunnel up on B" oc_wait_up b 180 || exit 1
check "live: session list on A shows bob's session on gw-b" sh -c \
	"'$SEKICTL' --socket '$SK_SOCK' session list | awk '\$2 == \"bob\"' | grep -q ' gw-b '"
check "live: ping through B's tunnel" ping_cli "$SRV4"
ping_bg
d0=$(stat_b drop_policy)
check "live: on A, policy internal: deny $SRV4 first" skctl_live policy rule add internal --at 1 deny "$SRV4/32"
t0=$(date +%s.%N)
drops_grew() { [ "$(stat_b drop_policy)" -gt "${d0:-0}" ]; }
check "live: B's kernel drops the ping (policy drops ${d0:-?} -> more)" delay_until "$t0" 10 drops_grew
diag "live: policy change on A -> B's kernel drops: $DELAY s"
check "live: ... within 2 s ($DELAY s)" le2 "$DELAY"
check_not "live: no answer through B now" in_cli ping -c 2 -i 0.3 -W 1 "$SRV4"
t1=$(date +%s.%N)
check "live: on A, the rule deleted again" skctl_live policy rule del internal 1
check "live: B carries the ping again" delay_until "$t1" 10 answered_after "$t1"
diag "live: rule deleted on A -> B answers again: $DELAY s"

# ---- PostgreSQL stopped under traffic and a login, then started again ----
pg_ctl_as() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" "$@" >/dev/null; }
t0=$(date +%s.%N)
check "pg down: pg_ctl stop -m immediate" pg_ctl_as -m immediate stop
check "pg down: both gateways notice" wait_for 10 eval "grep -q 'store notifications: the connection was lost' '$T/sekishod.log' && logged_b 'store notifications: the connection was lost'"
out=$(with_input $'Secret-pass2\n' oc_auth -u bob --authgroup ops --passwd-on-stdin)
store_down() {
	grep -q 'cannot reach its database' <<<"$out" && grep -q 'データベースに接続できない' <<<"$out" &&
		! grep -q '^COOKIE=' <<<"$out" || { grep -vi cookie <<<"$out" | tail -n 5; return 1; }
}
check "pg down: a new login on A is refused: try again later (ja/en)" store_down
t2=$(date +%s.%N)
check "pg down: B's tunnel still carries the ping" wait_for 5 answered_after "$t2"
diag "pg down for $(since "$t0") s so far, the ping answered throughout"
t0=$(date +%s.%N)
check "pg up: started again" pg_ctl_as -l "$PG_DIR/log" -w -t 60 -o "-c listen_addresses='' -k $PG_DIR -c fsync=off -c full_page_writes=off" start
check "pg up: both gateways listen again by themselves" wait_for 20 eval "grep -q 'store notifications: listening again' '$T/sekishod.log' && logged_b 'store notifications: listening again'"
check "pg up: a login on A works" wait_for 10 with_input $'Secret-pass2\n' oc_auth_cookie -u bob --authgroup ops --passwd-on-stdin
diag "pg up -> login works again: $(since "$t0") s"
check "pg up: bob's session on B is in the store, nothing half-written" sh -c \
	"'$SEKICTL' --socket '$SK_SOCK' session list | awk '\$2 == \"bob\"' | grep -q ' gw-b .*connected'"
check "pg up: B's tunnel still carries the ping" wait_for 5 answered_after "$(date +%s.%N)"
stop_bg PING_PID

# ---- a kill on A of B's session; a user disabled on A ----
id=$(skctl_live session list --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else d.get("sessions", [])
print(" ".join(str(r["id"]) for r in rows if r.get("user") == "bob" and r.get("gateway") == "gw-b"))')
check "kill: one session of bob on gw-b ($id)" test -n "$id" -a "${id// /}" = "$id"
out=$(skctl_live session kill "$id")
t0=$(date +%s.%N)
check "kill: on A, session $id: its gateway gw-b ends the tunnel" grep -q "gw-b" <<<"$out"
check "kill: B ended it" delay_until "$t0" 10 logged_b "session $id of bob ended: killed-by-admin"
diag "kill on A -> ended on B: $DELAY s"
check "kill: ... within 2 s ($DELAY s)" le2 "$DELAY"
check "kill: the client gave up (cookie refused)" wait_for 30 eval '! oc_alive b'
OC_INPUT=$'Secret-pass2\n' on_b oc_connect b -u bob --authgroup ops --passwd-on-stdin
check "disable: bob's tunnel up on B again" oc_wait_up b 180 || exit 1
check "disable: on A, bob enabled=no" skctl_live user set bob enabled=no
t0=$(date +%s.%N)
check "disable: B ended the tunnel" delay_until "$t0" 10 logged_b "of bob ended: user-disabled"
diag "user disabled on A -> ended on B: $DELAY s"
check "disable: ... within 2 s ($DELAY s)" le2 "$DELAY"
}
[ "$LIVE" = 1 ] && live_section

# ---- a gateway that dies for good: its sessions do not stay "live on A" ----
# erin (max-sessions 1 in her group, counted on every gateway) has a
# tunnel on A; A gets SIGKILL and stays dead; her client is killed too
# (it would only retry A).  B sees A's heartbeat stop: after
# session.gateway_dead (20 s) B takes A's rows as detached ones of its
# own, and session.grace (5 s) ends them at B's next sweep.
dead_settings() {
	skctl settings set session.gateway_dead 20 >/dev/null && skctl settings set session.grace 5 >/dev/null &&
		skctl group set ops max-sessions=1 >/dev/null
}
check "dead: session.gateway_dead 20, session.grace 5, group ops max-sessions 1" dead_settings
OC_INPUT=$'Secret-pass5\n' oc_connect e -u erin --authgroup ops --passwd-on-stdin
check "dead: erin's tunnel up on A" oc_wait_up e 180 || exit 1
eaddr=$(oc_env e INTERNAL_IP4_ADDRESS)
check "dead: erin's session is on gw-a" eval 'rows_of erin | grep -q " gw-a "'
t0=$(date +%s.%N)
kill -KILL "$SEKISHOD_PID"
wait "$SEKISHOD_PID" 2>/dev/null
SEKISHOD_PID=
kill -KILL "$(oc_pid e)" 2>/dev/null
check "dead: right after A died, session list still shows erin on gw-a" eval 'rows_of erin | grep -q " gw-a "'
too_many() {
	local out
	out=$(with_input $'Secret-pass5\n' on_b oc_auth -u erin --authgroup ops --passwd-on-stdin)
	grep -q 'too many connections' <<<"$out" && ! grep -q '^COOKIE=' <<<"$out" ||
		{ grep -vi cookie <<<"$out" | tail -n 5; return 1; }
}
check "dead: ... and her limit (1) holds on B: a second session is refused (too many)" too_many
check "dead: B takes A's sessions (gateway gw-a silent)" delay_until "$t0" 60 logged_b "gateway gw-a silent for"
diag "dead: A killed -> B took its sessions: $DELAY s (session.gateway_dead 20, beats and checks every 10 s)"
check "dead: audited: gateway gw-a silent, its sessions taken" eval \
	"skctl audit list --type gateway --json | grep -q 'gw-a.*sessions'"
no_rows_of() { [ -z "$(rows_of "$1")" ]; }
check "dead: B ended erin's session after session.grace" delay_until "$t0" 60 no_rows_of erin
diag "dead: A killed -> erin's row gone: $DELAY s"
check "dead: audited: session-end detached-timeout for erin" eval \
	"skctl audit list --type session-end --user erin --json | grep -q detached-timeout"
OC_INPUT=$'Secret-pass5\n' on_b oc_connect e2 -u erin --authgroup ops --passwd-on-stdin
check "dead: erin logs in on B again (the limit is free)" oc_wait_up e2 180
check "dead: ... with her address $eaddr (her lease)" test "$(oc_env e2 INTERNAL_IP4_ADDRESS)" = "$eaddr"
oc_stop e2
ktap_end
