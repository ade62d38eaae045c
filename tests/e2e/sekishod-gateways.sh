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
# work.  B answers for the internal server itself (a dummy device in gw2
# holding its address), so B's tunnel has something to ping.  Each delay
# is measured from the moment sekictl returned (the change committed) to
# the effect on B.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib/pg.sh
. "$REPO/tests/lib/pg.sh"
trap 'stop_bg GWB_PID; sekishod_stop; pg_stop; ip netns del gw2 2>/dev/null; e2e_cleanup' EXIT
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
AG=()	# with group ops too, alice's logins choose her group
[ "$LIVE" = 1 ] && AG=(--authgroup eng)
[ "$LIVE" = 1 ] && check "store: group ops (password), user bob" eval "sk_group ops factors=password >/dev/null &&
	sk_user bob ops Secret-pass2 >/dev/null"

# gateway B: namespace gw2, c1 10.10.2.2 <-> h0 10.10.2.1
GWB4=10.10.2.1
ip netns add gw2 && ip -n gw2 link set lo up &&
	ip link add c1 netns cli type veth peer name h0 netns gw2 &&
	ip -n cli addr add 10.10.2.2/24 dev c1 && ip -n gw2 addr add $GWB4/24 dev h0 &&
	ip -n cli link set c1 up && ip -n gw2 link set h0 up
check "topology: namespace gw2 linked to cli" ip netns exec cli ping -c 1 -W 2 $GWB4
ip -n gw2 link add srv0 type dummy && ip -n gw2 addr add "$SRV4/32" dev srv0 && ip -n gw2 link set srv0 up
ip netns exec gw2 sysctl -qw net.ipv4.conf.all.rp_filter=0
sekishod_conf "gateway = gw-a"
sed -e "s/^listen = .*/listen = $GWB4:443/" -e "s/^device = .*/device = sk1/" \
	-e "s|^control = .*|control = $T/run/b.sock|" -e "s/^gateway = .*/gateway = gw-b/" \
	"$T/sekishod.conf" >"$T/sekishod-b.conf"

# gw_start NS CONF LOG PIDVAR SOCK: sekishod_start for a store that exists
gw_start() {
	load_module || return 1
	getent group sekisho-admin >/dev/null || groupadd --system sekisho-admin || return 1
	mkdir -p "$SK_LIB" "$T/run" && chown -R sekisho: "$SK_LIB"
	PGPASSFILE=$T/pgpass.sekisho ip netns exec "$1" "$SEKISHOD" -f -c "$2" >"$3" 2>&1 &
	printf -v "$4" '%s' $!
	wait_for 60 grep -q "ready: " "$3" && wait_for 10 test -S "$5" || { tail -n 30 "$3"; return 1; }
}
check "gateway A: starts on the PostgreSQL store" gw_start gw "$T/sekishod.conf" "$T/sekishod.log" SEKISHOD_PID "$SK_SOCK" || exit 1
check "gateway B: starts on the same store" gw_start gw2 "$T/sekishod-b.conf" "$T/sekishod-b.log" GWB_PID "$T/run/b.sock" || exit 1

# on_b CMD...: an openconnect helper of lib.sh against gateway B
# shellcheck disable=SC2034 # GW4 is read by oc_common
on_b() { local GW4=$GWB4; "$@"; }
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

[ "$LIVE" = 1 ] || { ktap_end; exit 0; }

# ---- live across gateways: bob's tunnel lives on B, the changes go to A ----
# since T0: seconds from T0 to now; delay_until T0 LIMIT CMD...: wait for
# CMD, DELAY = seconds since T0; le2 D: D <= 2 s
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
# (its own loop: wait_for pauses as long as a slow try took, up to 0.5 s)
delay_until() {
	local t0=$1 end=$((EPOCHSECONDS + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ "$EPOCHSECONDS" -ge "$end" ] && return 1
		nap 0.05
	done
	DELAY=$(since "$t0")
}
le2() { awk -v d="$1" 'BEGIN { exit !(d != "" && d <= 2.0) }'; }
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
trap 'stop_bg PING_PID; stop_bg GWB_PID; sekishod_stop; pg_stop; ip netns del gw2 2>/dev/null; e2e_cleanup' EXIT
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
ktap_end
