#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Store benchmark (issue 13), run inside the VM (tests/bench/run, or
#   scripts/vm-run --timeout 3600 -- tests/bench/store.sh):
# sekishod with SQLite and with PostgreSQL, one gateway and two (A in ns
# gw, B in ns gw2, one PostgreSQL started in the VM as tests/lib/pg.sh
# does), in one boot and one topology (tests/e2e/lib.sh):
#   - logins per second: BENCH_LOGINS `openconnect --authenticate` in a
#     row, per second of wall time; with two gateways half on each, the
#     two rows at the same time (the argon2id cost is the gateway's
#     default unless BENCH_PW_COST=KIB,PASSES);
#   - memory per session: PSS of the gateways' processes (both namespaces)
#     with 0 and with BENCH_SESSIONS sessions (DTLS up on each, spread over
#     both gateways), the difference per session; and the kernel's part
#     (Slab + Percpu + KernelStack + PageTables), which PSS does not see;
#   - the failover gap: tests/e2e/sekishod-gateways.sh in the same boot
#     (keepalived moves the floating address, A's sekishod is killed with
#     SIGKILL, the client reconnects to B: its '# failover:' lines;
#     BENCH_FAILOVER=0 leaves it out).
# Prints numbers; it is not a pass/fail test.
. "$(dirname "$0")/../e2e/lib.sh"
# shellcheck source=tests/lib/pg.sh
. "$REPO/tests/lib/pg.sh"
trap 'stop_bg GWB_PID; sekishod_stop; pg_stop; ip netns del gw2 2>/dev/null; e2e_cleanup' EXIT
NLOGIN=${BENCH_LOGINS:-20}
NSESS=${BENCH_SESSIONS:-10}
PW=bench-Secret-pass1
RES=$T/store.results
: >"$RES"
# shellcheck disable=SC2034 # read by e2e_setup: no SMTP sink
E2E_SMTP=0
e2e_setup >/dev/null || { echo "bench: setup failed"; exit 1; }
pg_start >/dev/null || { echo "bench: PostgreSQL did not start"; exit 1; }
PG_STORE=$SK_TEST_STORE
export SEKISHO_STATE_DIR=$SK_LIB
getent passwd sekisho >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sekisho
install -m 0600 -o sekisho "$PGPASSFILE" "$T/pgpass.sekisho"
# gateway B: namespace gw2 (lib.sh)
gw2_up || { echo "bench: no gw2"; exit 1; }
# skctl ARGS...: sekictl on the store SK_STORE names (store_make made it)
skctl() { "$SEKICTL" --store "$SK_STORE" "$@"; }
# a store with group eng and user alice: store_make PATH-OR-URL
store_make() {
	SK_STORE=$1
	mkdir -p "$SK_LIB" || return 1
	[ "${1#postgresql:}" != "$1" ] || rm -f "$1"
	"$SEKICTL" init --store "$1" >/dev/null 2>&1 || [ "${1#postgresql:}" != "$1" ] || return 1
	if [ -n "${BENCH_PW_COST:-}" ]; then
		skctl settings set password.memory_kib "${BENCH_PW_COST%,*}" >/dev/null &&
			skctl settings set password.time_cost "${BENCH_PW_COST#*,}" >/dev/null
	fi
	skctl group show eng >/dev/null 2>&1 ||
		{ sk_group eng factors=password max-sessions=0 pool4=10.77.0.0/24 >/dev/null &&
			sk_user alice eng "$PW" >/dev/null; }
}
# gateways_start N: A (and B) on $SK_STORE
gateways_start() {
	sekishod_conf "rate_per_source = 1000" "gateway = gw-a"
	gwb_conf
	gw_start gw "$T/sekishod.conf" "$T/sekishod.log" SEKISHOD_PID "$SK_SOCK" || return 1
	[ "$1" = 1 ] || gw_start gw2 "$T/sekishod-b.conf" "$T/sekishod-b.log" GWB_PID "$T/run/b.sock"
}
gateways_stop() { stop_bg GWB_PID; sekishod_stop; }
# pss_kb: PSS (kB) of sekishod and its workers in both gateway namespaces
pss_kb() {
	local ns p sum=0 v
	for ns in gw gw2; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns"); do
			grep -Eq '^Name:[[:space:]]+(sekishod|sk-)' "/proc/$p/status" 2>/dev/null || continue
			v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
			sum=$((sum + ${v:-0}))
		done
	done
	echo $sum
}
kernel_kb() { awk '/^(Slab|Percpu|KernelStack|PageTables):/ { s += $2 } END { print s }' /proc/meminfo; }
# logins N GW: N logins in a row on gateway GW (a or b); prints how many worked
logins() {
	local i ok=0
	for i in $(seq 1 "$1"); do
		if [ "$2" = a ]; then with_input "$PW"$'\n' oc_auth_cookie -u alice --passwd-on-stdin >/dev/null
		else with_input "$PW"$'\n' on_b oc_auth_cookie -u alice --passwd-on-stdin >/dev/null; fi &&
			ok=$((ok + 1))
	done
	echo $ok
}

# measure NAME NGW: logins per second and memory per session
measure() {
	local name=$1 ngw=$2 t0 t1 ok rss0 rss1 k0 k1 i up_n=0 dtls_n=0 stops=()
	t0=$(date +%s.%N)
	if [ "$ngw" = 1 ]; then
		ok=$(logins "$NLOGIN" a)
	else
		logins $((NLOGIN / 2)) a >"$T/ok-a" &
		logins $((NLOGIN - NLOGIN / 2)) b >"$T/ok-b"
		wait $!
		ok=$(($(cat "$T/ok-a") + $(cat "$T/ok-b")))
	fi
	t1=$(date +%s.%N)
	sleep 1
	rss0=$(pss_kb)
	k0=$(kernel_kb)
	for i in $(seq 1 "$NSESS"); do
		if [ "$ngw" = 2 ] && [ $((i % 2)) = 0 ]; then
			OC_INPUT="$PW"$'\n' on_b oc_connect m$i -u alice --passwd-on-stdin
		else
			OC_INPUT="$PW"$'\n' oc_connect m$i -u alice --passwd-on-stdin
		fi
		sleep 0.1
	done
	for i in $(seq 1 "$NSESS"); do
		oc_wait_up m$i 600 >/dev/null || { echo "# $name: session $i did not come up"; continue; }
		up_n=$((up_n + 1))
		wait_for 60 oc_dtls m$i && dtls_n=$((dtls_n + 1))
	done
	sleep 2	# a DTLS session's worker leaves once the kernel has both paths
	rss1=$(pss_kb)
	k1=$(kernel_kb)
	for i in $(seq 1 "$NSESS"); do
		oc_stop m$i &
		stops+=($!)
	done
	wait "${stops[@]}"
	printf '%s\tlogins\t%s\n' "$name" "$(echo "$ok / ($t1 - $t0)" | bc -l)" >>"$RES"
	i=$((up_n > 0 ? up_n : 1))
	printf '%s\tkb/session\t%s\n' "$name" "$(echo "($rss1 - $rss0) / $i" | bc -l)" >>"$RES"
	printf '%s\tkernel kb/s\t%s\n' "$name" "$(echo "($k1 - $k0) / $i" | bc -l)" >>"$RES"
	echo "# $name: $ok/$NLOGIN logins ok; PSS $rss0 kB idle, $rss1 kB with $up_n sessions up ($dtls_n on DTLS) of $NSESS; kernel $k0 -> $k1 kB"
}

if ! sekishod_built; then
	echo "sekishod: not built"
	exit 0
fi
store_make "$SK_LIB/sekisho.db" && gateways_start 1 && measure sqlite-1gw 1 ||
	echo "# sqlite-1gw: the store or the gateway did not start"
gateways_stop
sleep 1
store_make "$PG_STORE" && gateways_start 1 && measure postgresql-1gw 1 ||
	echo "# postgresql-1gw: the store or the gateway did not start"
gateways_stop
sleep 1
gateways_start 2 && measure postgresql-2gw 2 || echo "# postgresql-2gw: a gateway did not start"
gateways_stop
pg_stop
ip netns del gw2 2>/dev/null
e2e_topo_down

echo "# openconnect $($OPENCONNECT --version 2>&1 | sed -n 's/^OpenConnect version //p' | head -1), $(nproc) vCPU, kernel $(uname -r), $NLOGIN logins, $NSESS sessions"
awk -F'\t' '!($1 in seen) { seen[$1] = 1; order[++n] = $1 } { v[$1, $2] = $3 }
	END {
		printf "%-16s %12s %12s %12s\n", "store", "logins/s", "kB/session", "kernel kB/s"
		for (i = 1; i <= n; i++)
			printf "%-16s %12.2f %12.2f %12.2f\n", order[i], v[order[i], "logins"],
				v[order[i], "kb/session"], v[order[i], "kernel kb/s"]
	}' "$RES"

# the failover gap: the e2e scenario in this boot (its own topology and
# PostgreSQL; the live section left out); BENCH_FAILOVER=0 leaves it out
[ "${BENCH_FAILOVER:-1}" = 1 ] || exit 0
echo "# failover: tests/e2e/sekishod-gateways.sh (SEKISHO_E2E_LIVE=0)"
T='' SEKISHO_E2E_LIVE=0 bash "$REPO/tests/e2e/sekishod-gateways.sh" 2>&1 |
	grep -E '^# failover|race: .* tunnels up|^not ok' || true
