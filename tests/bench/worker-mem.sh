#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where sekishod's memory per session goes, run inside the VM:
#   scripts/vm-run -- bash tests/bench/worker-mem.sh
# Brings up WM_SESSIONS (default 4) openconnect sessions through sekishod
# and prints, for main and for every worker (and the binder): the totals
# of /proc/PID/smaps_rollup and the mappings with the most private dirty
# pages (/proc/PID/smaps), plus the PSS sum with 0 and with N sessions as
# tests/bench/gateway.sh computes it.  Not a pass/fail test.
. "$(dirname "$0")/../e2e/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
N=${WM_SESSIONS:-4}
TOP=${WM_TOP:-12}

sekishod_built || { echo "worker-mem: sekishod not built ($SEKISHOD)"; exit 1; }
e2e_setup >/dev/null || { echo "worker-mem: setup failed"; exit 1; }
sekishod_conf
skctl settings set password.memory_kib 19456 >/dev/null &&
	skctl settings set password.time_cost 1 >/dev/null
sk_group eng factors=password max-sessions=0 >/dev/null &&
	sk_user alice eng wm-Secret-pass1 >/dev/null || { echo "worker-mem: store setup failed"; exit 1; }
sekishod_start || { echo "worker-mem: sekishod did not start"; exit 1; }

# rollup PID: one line of the smaps_rollup totals (kB)
rollup() {
	awk '/^(Rss|Pss|Pss_Anon|Pss_File|Shared_Clean|Shared_Dirty|Private_Clean|Private_Dirty|Anonymous|Swap):/ {
		printf "%s=%s ", substr($1, 1, length($1) - 1), $2 } END { print "" }' "/proc/$1/smaps_rollup"
}

# top PID: the mappings with the most Private_Dirty (kB), with their Pss
top_maps() {
	awk -v top="$TOP" '
		/^[0-9a-f]+-[0-9a-f]+ / {
			n++; range[n] = $1; name[n] = ($6 == "" ? "[anon]" : $6)
			perm[n] = $2; next }
		/^Size:/ { size[n] = $2 }
		/^Private_Dirty:/ { pd[n] = $2 }
		/^Pss:/ { pss[n] = $2 }
		/^Shared_Dirty:/ { sd[n] = $2 }
		END {
			for (i = 1; i <= n; i++) idx[i] = i
			# selection sort by Private_Dirty, descending (n is small)
			for (i = 1; i <= n && i <= top; i++) {
				m = i
				for (j = i + 1; j <= n; j++) if (pd[idx[j]] > pd[idx[m]]) m = j
				t = idx[i]; idx[i] = idx[m]; idx[m] = t
				k = idx[i]
				if (pd[k] == 0) break
				printf "    %-28s %s %7d kB size  Private_Dirty %6d  Shared_Dirty %6d  Pss %6d  %s\n",
					range[k], perm[k], size[k], pd[k], sd[k], pss[k], name[k]
			}
		}' "/proc/$1/smaps"
}

# report TITLE: every sekishod process in ns gw
report() {
	local p kind ppid
	echo "== $1"
	for p in $(ip netns pids gw | sort -n); do
		grep -q '^Name:[[:space:]]*sekishod' "/proc/$p/status" 2>/dev/null || continue
		ppid=$(awk '/^PPid:/ {print $2}' "/proc/$p/status")
		if [ "$p" = "$SEKISHOD_PID" ] || ! grep -q "^Name:[[:space:]]*sekishod" "/proc/$ppid/status" 2>/dev/null; then
			kind=main
		else
			kind=child
		fi
		echo "  $kind pid $p (parent $ppid): $(rollup "$p")"
		top_maps "$p"
	done
	echo "  PSS sum: $(gw_rss_kb sekishod) kB"
}

sleep 1
report "idle (no session)"
pss0=$(gw_rss_kb sekishod)
for i in $(seq 1 "$N"); do OC_INPUT=$'wm-Secret-pass1\n' oc_connect m$i -u alice --passwd-on-stdin; done
up=0
for i in $(seq 1 "$N"); do
	if oc_wait_up m$i 300 >/dev/null; then up=$((up + 1)); else echo "# session $i did not come up"; oc_log m$i | tail -n 5; fi
done
for i in $(seq 1 "$N"); do wait_for 60 oc_dtls m$i; done
sleep 2
# a little traffic, so the tunnel loop's buffers are in use as they would be
for i in $(seq 1 "$N"); do in_cli ping -c 2 -i 0.2 -W 2 -I "$(oc_env m$i TUNDEV)" $SRV4 >/dev/null 2>&1; done
sleep 1
# a worker that only accepted a TCP connection (TLS handshake not begun):
# what a worker costs before it does anything, and what main wrote since
in_cli bash -c "exec sleep 30 </dev/tcp/$GW4/443" 2>/dev/null &
idle_conn=$!
sleep 2
report "$up sessions up (the last child: a TCP connection without a TLS handshake)"
kill $idle_conn 2>/dev/null
pss1=$(gw_rss_kb sekishod)
echo "# PSS: $pss0 kB idle, $pss1 kB with $up sessions: $(( up ? (pss1 - pss0) / up : 0 )) kB/session"
for i in $(seq 1 "$N"); do oc_stop m$i; done
