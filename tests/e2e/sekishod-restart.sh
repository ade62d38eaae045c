#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 13: sessions survive a restart of sekishod (SQLite, one gateway;
# Documentation/decisions/session-persistence.md).  One client with a ping
# running through the tunnel; sekishod is stopped with SIGTERM and started
# again, then killed with SIGKILL and started again.  Each time openconnect
# reconnects with its cookie by itself: it runs with --non-inter, so a
# login prompt would end it.  It must keep running, get the same address,
# and the ping must get answers again; the outage is a diag line.  A
# session killed, and one expired, while the gateway is down are refused
# after the start.
. "$(dirname "$0")/lib.sh"
trap 'stop_bg PING_PID; sekishod_stop; e2e_cleanup' EXIT
sk_begin "restart"
sk_alice_tunnel
addr=$ADDR
check "ping srv through the tunnel" ping_cli "$SRV4"
# -D: each answer with its time; line-buffered into the file
ip netns exec cli stdbuf -oL ping -D -n -i 0.2 -W 1 "$SRV4" >"$T/ping.log" 2>&1 &
PING_PID=$!

# answered_after T: the ping got an answer after time T (seconds.fraction)
answered_after() {
	awk -v t="$1" -F'[][]' '/bytes from/ && $2 + 0 > t { f = 1 } END { exit !f }' "$T/ping.log"
}
# gap T: the longest wait between two answers from the last answer before
# time T on (the outage the stop at T caused)
gap() {
	awk -v t="$1" -F'[][]' '/bytes from/ { x = $2 + 0; if (x <= t) { l = x; next }
		if (l && x - l > g) g = x - l; l = x } END { printf "%.1f", g }' "$T/ping.log"
}
session_of() {
	skctl session list --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else d.get("sessions", [])
print(" ".join(str(r.get("id")) for r in rows if r.get("user") == sys.argv[1]))' "$1"
}
id=$(session_of alice)
check "one session ($id)" test -n "$id"
check "ping: answers before the restarts" wait_for 10 answered_after 0
logins() { skctl audit list --type login | grep -c alice; }
n_logins=$(logins)

# restart SIG N: stop sekishod with SIG, start it again; the client's Nth
# reconnect brings the same address, the same session and traffic
restart() {
	local sig=$1 n=$2 t0 t1 pid=$SEKISHOD_PID
	nap 1	# a few answers in the log before the stop
	t0=$(date +%s.%N)
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	SEKISHOD_PID=
	check "$sig: sekishod starts again" sekishod_start || exit 1
	check "$sig: the client reconnected by itself" wait_for 120 sh -c "[ \"\$(grep -c '^reconnect\$' '$T/oc-a/reasons')\" -ge $n ]"
	t1=$(date +%s.%N)
	check "$sig: the client still runs (no prompt)" oc_alive a
	check "$sig: same address $addr" test "$(oc_env a INTERNAL_IP4_ADDRESS reconnect)" = "$addr"
	check "$sig: the same session $id" test "$(session_of alice)" = "$id"
	check "$sig: resumed from the store" grep -q "session $id of alice resumed" "$T/sekishod.log"
	check "$sig: ping answered after the reconnect" wait_for 60 answered_after "$t1"
	diag "$sig restart: no ping answer for $(gap "$t0") s"
}
restart TERM 1
restart KILL 2
check "no login after the first ($n_logins records)" test "$(logins)" = "$n_logins"
stop_bg PING_PID

# while the gateway is down, client a's session is killed and a second
# login's session expires (its end moved into the past, as a group's
# session_timeout that ran out would): both are refused after the start
cookie=$(with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin | sed -n "s/^COOKIE='\{0,1\}\([^']*\)'\{0,1\}$/\1/p")
check "a second login's cookie" test -n "$cookie"
sekishod_stop
check "down: session kill $id in the store" skctl session kill "$id"
check "down: the second session's end moved into the past" $PY -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("UPDATE sessions SET expires = 1 WHERE id != ?", (int(sys.argv[2]),)).rowcount
c.commit()
sys.exit(n != 1)' "$SK_STORE" "$id"
check "down: sekishod starts" sekishod_start || exit 1
check "killed: the client is refused and ends" wait_for 120 sh -c "! kill -0 $(oc_pid a) 2>/dev/null"
OC_INPUT="$cookie"$'\n' oc_connect e --cookie-on-stdin
wait_for 120 test -f "$T/oc-e/rc"
check "expired: the cookie is refused (openconnect exit $(cat "$T/oc-e/rc" 2>/dev/null), 2 = cookie rejected)" \
	test "$(cat "$T/oc-e/rc" 2>/dev/null)" = 2
check "no session left" test -z "$(session_of alice)"
ktap_end
