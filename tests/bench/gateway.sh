#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Gateway benchmark, run inside the VM (tests/bench/run, or
#   scripts/vm-run --timeout 3600 -- tests/bench/gateway.sh):
# the same openconnect 9.01 client through ocserv 1.1.6 and, when it is
# built, through sekishod, in one boot and one topology (tests/e2e/lib.sh):
#   - iperf3 TCP cli -> srv through the tunnel, both directions.  Both
#     gateways use DTLS-PSK (PSK-NEGOTIATE); the suite is whatever GnuTLS
#     picks by default and is printed for each (same client, same priority);
#   - logins per second: BENCH_LOGINS sequential `openconnect --authenticate`
#     (sekishod's argon2id cost: BENCH_PW_COST=KIB,PASSES; by default the
#     gateway's, OWASP's 7168,5);
#   - memory per session: PSS of the gateway's processes with 0 and with
#     BENCH_SESSIONS sessions (DTLS up on each), (difference) / sessions;
#     and the kernel's part, which PSS does not see (sekisho.ko carries
#     sessions in the kernel since issue 16): Slab + Percpu + KernelStack +
#     PageTables of /proc/meminfo, the same difference per session (it
#     includes the clients' own kernel memory, alike for both gateways);
#     BENCH_ONLY=mem measures only memory and the TLS-only throughput;
#     BENCH_SESSIONS=200 (the issue's figure) wants a larger guest:
#     scripts/vm-run --mem 8192 --timeout 7200 -- tests/bench/gateway.sh;
#   - BENCH_SK_VARIANT="key = value": sekishod measured again with that
#     configuration line (e.g. "worker_generation = 0"), in the same boot;
#   - TLS only (openconnect --no-dtls, issue 16): iperf3 both ways through
#     ocserv ("ocserv-tls"), through sekishod with the CSTP stream on
#     kernel TLS ("sekishod-tls", `session show` says which stream it got)
#     and with session.ktls off, the worker's relay ("sekishod-relay").
#     BENCH_ONLY=tls measures only these (no DTLS, logins, memory).
#     BENCH_TLS_ROUNDS=N measures the three N times, ocserv then sekishod
#     in each round (the host's load drifts within a boot: a round keeps
#     the pair within a minute or two), and shows medians and each
#     round's ratios.
#   - the kernel's AES: a host loads aesni_intel at boot (udev matches the
#     CPU's AES-NI flag); the VM has no udev, and with the generic AES built
#     into Debian's kernels (CONFIG_CRYPTO_AES=y) the crypto API never asks
#     for it, so kernel TLS and DTLS ran on the generic C AES while ocserv,
#     sekishod's worker and openconnect used AES-NI.  The bench loads it as
#     udev would; BENCH_AES=generic leaves it out (the figures before
#     session 14).  The line "# kernel gcm(aes)" says which one ran.
#   - BENCH_MODE=pinned|shared (default: pinned when the VM's vCPUs run
#     in parallel, see below), BENCH_CLI_CPUS (0), BENCH_GW_CPUS (1 to the
#     last), BENCH_SRV_CPUS (the client's): where client, gateway and
#     server run; pinned, each iperf3 run also reports the busy share of
#     the gateway's CPUs and the rate per busy gateway CPU ("/gw CPU").
#     BENCH_TOP=1 adds the threads that used a CPU during each run and
#     which CPU they ran on (a `top -H` by CPU).
# Prints numbers and sekishod/ocserv ratios; it is not a pass/fail test.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/pin.sh"
trap 'ocserv_stop; sekishod_stop; e2e_cleanup' EXIT
DUR=${BENCH_SECONDS:-5}
NLOGIN=${BENCH_LOGINS:-20}
NSESS=${BENCH_SESSIONS:-10}
RES=$T/bench.results
: >"$RES"

e2e_setup >/dev/null || { echo "bench: setup failed"; exit 1; }
[ "${BENCH_AES:-}" = generic ] || modprobe aesni_intel || echo "# aesni_intel did not load"

# Where the work runs (BENCH_MODE; Documentation/testing.md, "Gateway
# benchmark"): "pinned" puts the client (openconnect, iperf3 -c, this
# script) on BENCH_CLI_CPUS, the gateway (every process of ns gw, the
# kernel's unbound work items: sekisho.ko's, and the receive softirqs of
# ns gw's devices by RPS) on BENCH_GW_CPUS and the server (iperf3 -s) on
# BENCH_SRV_CPUS (the client's), as if both were other machines; it wants vCPUs
# that run in parallel (tests/bench/run: SEKISHO_TCG_THREAD=multi).
# "shared" pins nothing (single-threaded TCG: the vCPUs take turns, so
# client and gateway share one host CPU; the mode before session 15).
# Default: pinned when there are 2 or more CPUs that are not one TCG thread.
NCPU=$(nproc)
BENCH_MODE=${BENCH_MODE:-auto}
if [ "$BENCH_MODE" = auto ]; then
	BENCH_MODE=shared
	[ "$NCPU" -ge 2 ] && [ "${VM_ACCEL:-}" != tcg,thread=single ] && BENCH_MODE=pinned
fi
CLI_CPUS=${BENCH_CLI_CPUS:-0}
GW_CPUS=${BENCH_GW_CPUS:-1-$((NCPU - 1))}
# the server is the rest of the world, as the client is: on the gateway's
# CPU its iperf3 would wake per packet between ocserv's worker's writes
# (session 15: ocserv's upload 9-20 Mbit/s there, 14-34 with the server
# beside the client), a cost no real gateway has
SRV_CPUS=${BENCH_SRV_CPUS:-$CLI_CPUS}
# place: after a gateway started or a tunnel came up (new tun devices)
place() {
	[ "$BENCH_MODE" = pinned ] || return 0
	pin_layout "$CLI_CPUS" "$GW_CPUS" "$SRV_CPUS"
}
if [ "$BENCH_MODE" = pinned ]; then
	taskset -p -c "$CLI_CPUS" $$ >/dev/null || exit 1
	# unbound workqueues (sekisho.ko's "sekisho", kTLS's, cryptd's
	# unbound users) only on the gateway's CPUs; the per-CPU
	# "sekisho-stream" runs where the gateway's softirqs queue it
	cpu_mask "$GW_CPUS" >/sys/devices/virtual/workqueue/cpumask || exit 1
	place
fi
echo "# mode $BENCH_MODE: ${VM_ACCEL:-accelerator unknown}, $NCPU CPUs$([ "$BENCH_MODE" = pinned ] &&
	echo "; client on CPU $CLI_CPUS, gateway on $GW_CPUS, server on $SRV_CPUS")"
# SEKISHO_VCPU_QUOTA (scripts/vm-run): the gateway's vCPU runs slower than
# the client's, so that the gateway, not openconnect, limits the rate
[ -n "${VM_VCPU_QUOTA:-}" ] &&
	echo "# vCPU ${VM_VCPU_QUOTA%:*} limited to ${VM_VCPU_QUOTA#*:} % of a host core (SEKISHO_VCPU_QUOTA)"

# cpu_snap: per CPU "cpuN busy total" in ticks (/proc/stat)
cpu_snap() { awk '$1 ~ /^cpu[0-9]+$/ { t = 0; for (i = 2; i <= 9; i++) t += $i; print $1, t - $5 - $6, t }' /proc/stat; }
# task_snap: "tid cpu ticks comm" of every thread (/proc/PID/task/TID/stat:
# utime + stime, the CPU it last ran on); task_top LABEL BEFORE AFTER: the
# threads that used 3 % of a CPU or more in between, with that CPU, as
# `top -H` would show them (BENCH_TOP=1: which side's work ran where;
# perf's cpu-clock samples under multi-threaded TCG all landed in the idle
# task, so perf cannot tell)
task_snap() {
	awk '{ c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) [A-Z] .*/, "", c); r = $0; sub(/.*\) /, "", r)
	       split(r, f, " "); print $1, f[37], f[12] + f[13], c }' /proc/[0-9]*/task/[0-9]*/stat 2>/dev/null
}
task_top() {
	printf '%s\n--\n%s\n' "$2" "$3" | awk -v l="$1" -v hz="$(getconf CLK_TCK)" -v s="$DUR" '
		$0 == "--" { after = 1; next }
		{ id = $1; cpu = $2; t = $3; $1 = $2 = $3 = ""; sub(/^ +/, "")
		  if (!after) { t0[id] = t; next }
		  d = t - (id in t0 ? t0[id] : 0)
		  if (d >= 0.03 * hz * (s + 1)) printf "# top %s: cpu%s %3.0f%% %s\n", l, cpu, 100 * d / (hz * (s + 1)), $0 }' |
		sort -t% -k1,1 -s
}
# bench_iperf NAME KEY ARGS...: iperf3 (iperf_mbps ARGS) from cli to srv;
# records the rate as KEY and the gateway CPUs' busy share during it as
# "KEY gw" (pinned mode), and prints each CPU's busy share
bench_iperf() {
	local name=$1 key=$2 a b mbps out cpus gw cli
	shift 2
	local t0 t1
	[ -n "${BENCH_TOP:-}" ] && t0=$(task_snap)
	a=$(cpu_snap)
	mbps=$(iperf_mbps "$@")
	b=$(cpu_snap)
	[ -n "${BENCH_TOP:-}" ] && t1=$(task_snap) && task_top "$name $key" "$t0" "$t1"
	printf '%s\t%s\t%s\n' "$name" "$key" "${mbps:-0}" >>"$RES"
	out=$(paste -d' ' <(echo "$a") <(echo "$b") | awk -v gw=",$GW_CPUS," -v cli=",$CLI_CPUS," '
		function inlist(n, l,   k, r, x) {
			k = split(substr(l, 2, length(l) - 2), r, ",")
			for (; k > 0; k--) {
				split(r[k], x, "-"); if (x[2] == "") x[2] = x[1]
				if (n + 0 >= x[1] + 0 && n + 0 <= x[2] + 0) return 1
			}
			return 0
		}
		{ n = substr($1, 4); busy = $5 - $2; tot = $6 - $3; p = tot ? 100 * busy / tot : 0
		  line = line sprintf(" cpu%s %.0f%%", n, p)
		  if (inlist(n, gw)) { gb += busy; gt += tot }
		  if (inlist(n, cli)) { cb += busy; ct += tot } }
		END { printf "%s|%.3f|%.3f\n", line, gt ? gb / gt : 0, ct ? cb / ct : 0 }')
	IFS='|' read -r cpus gw cli <<<"$out"
	[ "$BENCH_MODE" = pinned ] &&
		printf '%s\t%s gw\t%s\n%s\t%s cli\t%s\n' "$name" "$key" "$gw" "$name" "$key" "$cli" >>"$RES"
	echo "# $name $key ${mbps:-0} Mbit/s, busy:$cpus"
}

# the drivers of the kernel's gcm(aes) instances (/proc/crypto)
kernel_gcm() { awk '$1 == "name" { n = $3 } $1 == "driver" && n == "gcm(aes)" { printf "%s ", $3 }' /proc/crypto; }

# measure NAME PROCESS-REGEX PASSWORD
measure() {
	local name=$1 re=$2 pw=$3 t0 t1 i n ok rss0 rss1 cipher k0 k1 up_n dtls_n procs stops
	OC_INPUT="$pw"$'\n' oc_connect b -u alice --passwd-on-stdin
	if ! oc_wait_up b 300 >/dev/null; then
		echo "# $name: the tunnel did not come up"; oc_log b | tail -n 5 | sed 's/^/# /'; return 1
	fi
	wait_for 60 oc_dtls b
	cipher=$(oc_dtls b | sed -n 's/.*Ciphersuite //p' | sed 's/\.$//')
	ok=0
	if [ "${BENCH_ONLY:-}" != mem ]; then
		place
		bench_iperf "$name" up -t "$DUR" -O 1
		bench_iperf "$name" down -t "$DUR" -O 1 -R
	fi
	oc_stop b
	t0=$(date +%s.%N)
	[ "${BENCH_ONLY:-}" = mem ] || for i in $(seq 1 "$NLOGIN"); do
		with_input "$pw"$'\n' oc_auth_cookie -u alice --passwd-on-stdin >/dev/null && ok=$((ok + 1))
	done
	t1=$(date +%s.%N)
	sleep 1
	rss0=$(gw_rss_kb "$re")
	k0=$(kernel_kb)
	for i in $(seq 1 "$NSESS"); do
		OC_INPUT="$pw"$'\n' oc_connect m$i -u alice --passwd-on-stdin
		sleep 0.1
	done
	up_n=0 dtls_n=0
	for i in $(seq 1 "$NSESS"); do
		oc_wait_up m$i 600 >/dev/null || { echo "# $name: session $i did not come up"; continue; }
		up_n=$((up_n + 1))
		wait_for 60 oc_dtls m$i && dtls_n=$((dtls_n + 1))
	done
	# a DTLS session's worker leaves once the kernel has both paths
	sleep 2
	rss1=$(gw_rss_kb "$re")
	k1=$(kernel_kb)
	procs=$(for p in $(ip netns pids gw); do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c |
		awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
	stops=()
	for i in $(seq 1 "$NSESS"); do
		oc_stop m$i &
		stops+=($!)
	done
	wait "${stops[@]}"	# not a bare wait: the gateway and the SMTP sink are children too
	if [ "${BENCH_ONLY:-}" != mem ]; then
		printf '%s\tlogins\t%s\n' "$name" "$(echo "$ok / ($t1 - $t0)" | bc -l)" >>"$RES"
	fi
	n=$((up_n > 0 ? up_n : 1))
	printf '%s\tkb/session\t%s\n' "$name" "$(echo "($rss1 - $rss0) / $n" | bc -l)" >>"$RES"
	printf '%s\tkernel kb/s\t%s\n' "$name" "$(echo "($k1 - $k0) / $n" | bc -l)" >>"$RES"
	echo "# $name: DTLS ${cipher:-none};$([ "${BENCH_ONLY:-}" = mem ] || echo " $ok/$NLOGIN logins ok;") PSS ${rss0} kB idle, ${rss1} kB with $up_n sessions up ($dtls_n on DTLS) of $NSESS; kernel ${k0} -> ${k1} kB; processes in ns gw: $procs"
}

# kernel_kb: the kernel's own memory (/proc/meminfo), which PSS does not count
kernel_kb() { awk '/^(Slab|Percpu|KernelStack|PageTables):/ { s += $2 } END { print s }' /proc/meminfo; }

# tx_drops: TX errors + dropped of ns gw's devices toward the client
# (sekishod: the sekisho device, whose per-stream queue drops when full;
# ocserv: its tun devices)
tx_drops() {
	ip -n gw -s -j link show 2>/dev/null | jq '[.[] | select(.ifname != "lo") |
		(.stats64.tx.errors // 0) + (.stats64.tx.dropped // 0)] | add // 0'
}

# measure_tls NAME PASSWORD: iperf3 both ways through a TLS-only tunnel
measure_tls() {
	local name=$1 pw=$2 cs id stream=""
	OC_INPUT="$pw"$'\n' oc_connect t -u alice --passwd-on-stdin --no-dtls
	if ! oc_wait_up t 300 >/dev/null; then
		echo "# $name: the TLS-only tunnel did not come up"; oc_log t | tail -n 5 | sed 's/^/# /'; return 1
	fi
	cs=$(sed -n 's/.*with ciphersuite //p' "$T/oc-t/log" | tail -n 1)
	if [ "$name" != ocserv-tls ]; then
		# the newest of alice's sessions (the list is by id): sessions of
		# measure() may still be listed, and sk_session_id takes the first
		id=$(skctl_live session list --json |
			jq -r '(if type == "array" then . else .sessions // [] end) |
				map(select(.user == "alice")) | .[-1].id // empty')
		stream=$(skctl_live session show "$id" | sed -n 's/^ *stream:* *//p')
	fi
	local e0 e1
	e0=$(tx_drops)
	place
	bench_iperf "$name" up -t "$DUR" -O 1
	bench_iperf "$name" down -t "$DUR" -O 1 -R
	e1=$(tx_drops)
	oc_stop t
	echo "# $name: TLS only, ${cs:-?}${stream:+; stream $stream}; packets the gateway's device dropped on the way to the client (TX errors + dropped): $((e1 - e0))"
}

ocserv_passwd alice bench-Secret-pass1
ocserv_conf
# BENCH_SESSIONS beyond ocserv's default of 128 clients
sed -i "s/^max-clients = .*/max-clients = $((NSESS + 16))/" "$T/ocserv.conf"
if ocserv_start && place; then
	[ "${BENCH_ONLY:-}" = tls ] || measure ocserv 'ocserv' bench-Secret-pass1
	measure_tls ocserv-tls bench-Secret-pass1
	ocserv_stop
else
	echo "# ocserv did not start"
fi
sleep 1

if sekishod_built; then
	# all clients come from one address: lift the per-source rate
	sekishod_conf "rate_per_source = 1000"
	# BENCH_PW_COST=KIB,PASSES: the argon2id cost of the bench user's
	# hash (default: the gateway's, OWASP's 7168,5, one lane)
	if [ -n "${BENCH_PW_COST:-}" ]; then
		skctl settings set password.memory_kib "${BENCH_PW_COST%,*}" >/dev/null &&
			skctl settings set password.time_cost "${BENCH_PW_COST#*,}" >/dev/null
	fi
	# the whole lab pool: BENCH_SESSIONS up to 250
	sk_group eng factors=password max-sessions=0 pool4=10.77.0.0/24 >/dev/null &&
		sk_user alice eng bench-Secret-pass1 >/dev/null &&
		sekishod_start && place && {
		[ "${BENCH_ONLY:-}" = tls ] || measure sekishod 'sekishod' bench-Secret-pass1
		measure_tls sekishod-tls bench-Secret-pass1
		skctl_live settings set session.ktls off >/dev/null &&
			measure_tls sekishod-relay bench-Secret-pass1
		skctl_live settings set session.ktls on >/dev/null
	}
	sekishod_stop
	# BENCH_SK_VARIANT="key = value": sekishod once more in the same boot
	# with that line added to its configuration (row "sekishod*")
	if [ -n "${BENCH_SK_VARIANT:-}" ]; then
		sleep 1
		sekishod_conf "$BENCH_SK_VARIANT"
		sekishod_start && place && measure 'sekishod*' 'sekishod' bench-Secret-pass1
		sekishod_stop
		echo "# sekishod*: with '$BENCH_SK_VARIANT'"
	fi
	# BENCH_TLS_ROUNDS=N: rounds 2..N of the TLS-only measurements
	for round in $(seq 2 "${BENCH_TLS_ROUNDS:-1}"); do
		sleep 1
		ocserv_start && place && { measure_tls ocserv-tls bench-Secret-pass1; ocserv_stop; }
		sleep 1
		sekishod_start && place && {
			measure_tls sekishod-tls bench-Secret-pass1
			skctl_live settings set session.ktls off >/dev/null &&
				measure_tls sekishod-relay bench-Secret-pass1
			skctl_live settings set session.ktls on >/dev/null
		}
		sekishod_stop
		echo "# round $round done"
	done
else
	echo "sekishod: not built"
fi

what="iperf3 ${DUR}s"
[ "${BENCH_ONLY:-}" = tls ] || what="$what, $NLOGIN logins, $NSESS sessions"
[ "${BENCH_ONLY:-}" = mem ] && what="iperf3 ${DUR}s (TLS only), $NSESS sessions"
echo "# kernel gcm(aes): $(kernel_gcm)"
echo "# openconnect $($OPENCONNECT --version 2>&1 | sed -n 's/^OpenConnect version //p' | head -1), $NCPU vCPU, kernel $(uname -r), $what"
[ "${BENCH_TLS_ROUNDS:-1}" -gt 1 ] && what="$what, TLS only: medians of ${BENCH_TLS_ROUNDS} rounds"
$PY - "$RES" <<'PY'
import sys, collections, statistics
rounds = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, k, v = line.rstrip("\n").split("\t")
    rounds.setdefault(name, {}).setdefault(k, []).append(float(v))
# pinned mode: each run's rate per busy gateway CPU ("KEY gw": the busy
# share of the gateway's CPUs; "KEY cli" the client's), the gateway's own
# capacity: Mbit/s / share
for d in rounds.values():
    for k in ("up", "down"):
        if k + " gw" in d:
            d[k + " cap"] = [v / g if g else 0.0 for v, g in zip(d[k], d[k + " gw"])]
# several rounds (BENCH_TLS_ROUNDS): the median of each figure
r = collections.OrderedDict((n, {k: statistics.median(v) for k, v in d.items()})
                            for n, d in rounds.items())
cols = [("up", "up Mbit/s"), ("down", "down Mbit/s"), ("up gw", "up gw busy"), ("down gw", "down gw busy"),
        ("up cli", "up cli busy"), ("down cli", "down cli busy"),
        ("up cap", "up /gw CPU"), ("down cap", "down /gw CPU"),
        ("logins", "logins/s"), ("kb/session", "kB/session"), ("kernel kb/s", "kernel kB/s")]
# only what was measured (BENCH_ONLY=tls: throughput)
cols = [c for c in cols if any(c[0] in d for d in r.values())]
print(f"{'gateway':12s} " + " ".join(f"{c[1]:>12s}" for c in cols))
for name, d in r.items():
    print(f"{name:12s} " + " ".join(f"{d.get(c[0], 0):12.2f}" for c in cols))
for s, o, label in (("sekishod", "ocserv", "ratio s/o"),
                    ("sekishod-tls", "ocserv-tls", "tls ktls/o"),
                    ("sekishod-relay", "ocserv-tls", "tls relay/o")):
    if s in r and o in r:
        a, b = r[s], r[o]
        print(f"{label:12s} " + " ".join(
            f"{(a[c[0]] / b[c[0]]) if b.get(c[0]) and c[0] in a else float('nan'):12.2f}"
            for c in cols))
# each round's figures and ratios, when there were several
for name, d in rounds.items():
    for k in ("up", "down", "up cap", "down cap"):
        if len(d.get(k, [])) > 1:
            print(f"# rounds {name} {k}: " + " ".join(f"{v:.1f}" for v in d[k]))
for s, o, label in (("sekishod-tls", "ocserv-tls", "ktls/o"), ("sekishod-relay", "ocserv-tls", "relay/o")):
    if s in rounds and o in rounds and len(rounds[o].get("up", [])) > 1:
        for k in ("up", "down", "up cap", "down cap"):
            if k not in rounds[o]:
                continue
            pairs = zip(rounds[s].get(k, []), rounds[o].get(k, []))
            print(f"# rounds {label} {k}: " + " ".join(f"{a / b:.2f}" if b else "nan" for a, b in pairs))
PY
