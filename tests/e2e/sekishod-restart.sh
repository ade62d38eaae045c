#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 13: sessions survive a restart of sekishod (SQLite, one gateway;
# Documentation/decisions/session-persistence.md).  One client with a ping
# running through the tunnel; sekishod is stopped with SIGTERM and started
# again, then killed with SIGKILL and started again.  Each time openconnect
# reconnects with its cookie by itself: it runs with --non-inter, so a
# login prompt would end it.  It must keep running, get the same address,
# and the ping must get answers again; the gap (last answer before the
# stop, first after it) is a diag line.  A session killed while the
# gateway is down stays refused after the start.
. "$(dirname "$0")/lib.sh"
trap 'stop_bg PING_PID; sekishod_stop; e2e_cleanup' EXIT
sk_begin "restart"
check "store: group and user" sk_group eng factors=password
sk_user alice eng Secret-pass1 >/dev/null
check "sekishod: starts" sekishod_start || exit 1
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin
check "tunnel up" oc_wait_up a 180 || exit 1
addr=$(oc_env a INTERNAL_IP4_ADDRESS)
check "ping srv through the tunnel" ping_cli "$SRV4"
# -D: each answer with its time; line-buffered into the file
ip netns exec cli stdbuf -oL ping -D -n -i 0.2 -W 1 "$SRV4" >"$T/ping.log" 2>&1 &
PING_PID=$!

# answered_after T: the ping got an answer after time T (seconds.fraction)
answered_after() {
	awk -v t="$1" -F'[][]' '/bytes from/ && $2 + 0 > t { f = 1 } END { exit !f }' "$T/ping.log"
}
# gap T: seconds between the last answer before T and the first after it
gap() {
	awk -v t="$1" -F'[][]' '/bytes from/ { x = $2 + 0; if (x <= t) l = x; else if (!f) f = x }
		END { if (l && f) printf "%.1f", f - l; else printf "?" }' "$T/ping.log"
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
	local sig=$1 n=$2 t0 pid=$SEKISHOD_PID
	nap 1	# a few answers in the log before the stop
	t0=$(date +%s.%N)
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	SEKISHOD_PID=
	check "$sig: sekishod starts again" sekishod_start || exit 1
	check "$sig: the client reconnected by itself" wait_for 120 sh -c "[ \"\$(grep -c '^reconnect\$' '$T/oc-a/reasons')\" -ge $n ]"
	check "$sig: the client still runs (no prompt)" oc_alive a
	check "$sig: same address $addr" test "$(oc_env a INTERNAL_IP4_ADDRESS reconnect)" = "$addr"
	check "$sig: the same session $id" test "$(session_of alice)" = "$id"
	check "$sig: resumed from the store" grep -q "session $id of alice resumed" "$T/sekishod.log"
	check "$sig: ping answered again" wait_for 60 answered_after "$t0"
	diag "$sig restart: ping gap $(gap "$t0") s"
}
restart TERM 1
restart KILL 2
check "no login after the first ($n_logins records)" test "$(logins)" = "$n_logins"
stop_bg PING_PID

# killed while the gateway is down: refused at the reconnect
sekishod_stop
check "down: session kill $id in the store" skctl session kill "$id"
check "killed: sekishod starts" sekishod_start || exit 1
check "killed: the client is refused and ends" wait_for 120 sh -c "! kill -0 $(oc_pid a) 2>/dev/null"
check "killed: the session is gone" test -z "$(session_of alice)"
ktap_end
