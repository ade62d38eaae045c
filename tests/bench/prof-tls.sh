#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where the gateway's CPU goes in a TLS-only tunnel, run inside the VM:
#   SEKISHO_TCG_THREAD=multi scripts/vm-run --kernel 6.1 --cpus 2 --timeout 900 \
#       --env BENCH_SECONDS=5 --env "PROF_DIRS=down up" -- tests/bench/prof-tls.sh
# openconnect --no-dtls through ocserv (download; PROF_OCSERV=0 skips it),
# then through sekishod on kernel TLS (PROF_DIRS), laid out as
# gateway.sh's pinned mode (client and server on CPU 0, the gateway's
# processes, unbound work items and receive softirqs on CPU 1).  During
# each iperf3 run the function_graph tracer records the chosen functions
# (PROF_FUNCS) on CPU 1 only; the table gives, per function, the time
# inside it (total), the part not inside another traced function (self),
# the calls and the time per call.  perf cannot profile here: its
# cpu-clock samples all land in the idle task under TCG.  Tracing slows
# the traced paths, so compare calls and shares, not rates.
. "$(dirname "$0")/../e2e/lib.sh"
trap 'sekishod_stop; ocserv_stop; e2e_cleanup' EXIT
DUR=${BENCH_SECONDS:-8}
e2e_setup >/dev/null || { echo "setup failed"; exit 1; }
modprobe aesni_intel
. "$(dirname "$0")/pin.sh"
place() { pin_layout 0 1 0; }
taskset -p -c 0 $$ >/dev/null
cpu_mask 1 >/sys/devices/virtual/workqueue/cpumask
TR=/sys/kernel/tracing
mount -t tracefs nodev $TR 2>/dev/null
FUNCS=${PROF_FUNCS:-"process_one_work net_rx_action tls_sw_sendmsg tls_sw_recvmsg crypto_aead_encrypt
 crypto_aead_decrypt sk_msg_alloc sk_msg_memcopy_from_iter tcp_sock_set_cork __dev_queue_xmit ip_forward
 sekisho_xmit __skb_gso_segment pskb_expand_head tcp_v4_rcv do_tcp_sendpages kernel_recvmsg kernel_sendmsg
 rcu_core sekisho_ktls_rx ip_rcv process_backlog __napi_poll tls_tx_records tcp_rcv_established
 skb_copy_bits tcp_write_xmit veth_xmit sekisho_stream_xmit __skb_linearize tasklet_action_common
 run_timer_softirq gro_cells_receive netif_receive_skb_list_internal"}
prof() {	# prof LABEL IPERF-ARGS...
	local label=$1 f ok=""
	shift
	echo 0 >$TR/tracing_on; echo nop >$TR/current_tracer; : >$TR/set_ftrace_filter
	for f in $FUNCS; do echo "$f" >>$TR/set_ftrace_filter 2>/dev/null && ok="$ok $f"; done
	echo 60000 >$TR/buffer_size_kb
	echo function_graph >$TR/current_tracer
	echo 1 >$TR/options/funcgraph-irqs 2>/dev/null; echo 1 >$TR/options/funcgraph-tail; echo 0 >$TR/options/overwrite; echo 2 >$TR/tracing_cpumask
	echo 1 >$TR/options/funcgraph-cpu
	: >$TR/trace
	a=$(awk '/^cpu[01] /{t=0; for(i=2;i<=9;i++) t+=$i; print $1, t-$5-$6, t}' /proc/stat)
	echo 1 >$TR/tracing_on
	mbps=$(iperf_mbps "$@")
	echo 0 >$TR/tracing_on
	b=$(awk '/^cpu[01] /{t=0; for(i=2;i<=9;i++) t+=$i; print $1, t-$5-$6, t}' /proc/stat)
	echo "# $label: $mbps Mbit/s; busy: $(paste -d' ' <(echo "$a") <(echo "$b") | awk '{printf "%s %.0f%% ", $1, 100*($5-$2)/($6-$3)}')"
	grep -c . $TR/trace | sed 's/^/# trace lines /'; cat $TR/per_cpu/cpu1/stats | grep -i "overrun\|lost\|dropped\|entries"
	awk -v l="$label" '
		function dur(line,   m) { if (match(line, /[0-9.]+ us/)) return substr(line, RSTART, RLENGTH - 3) + 0; return 0 }
		/^ *[0-9]+\)/ {
			cpu = $1; sub(/\).*/, "", cpu); cpu += 0
			if ($0 ~ /\(\) \{ *$/) {
				match($0, /[a-zA-Z_0-9.]+\(\) \{/); fn = substr($0, RSTART, RLENGTH - 4)
				sp[cpu]++; st[cpu, sp[cpu]] = fn; ch[cpu, sp[cpu]] = 0; next
			}
			if ($0 ~ /\(\);/) {
				match($0, /[a-zA-Z_0-9.]+\(\);/); fn = substr($0, RSTART, RLENGTH - 3); d = dur($0)
				tot[cpu " " fn] += d; self[cpu " " fn] += d; n[cpu " " fn]++
				if (sp[cpu] > 0) ch[cpu, sp[cpu]] += d
				next
			}
			if ($0 ~ /\} \/\*/) {
				d = dur($0); if (sp[cpu] < 1) next
				fn = st[cpu, sp[cpu]]
				tot[cpu " " fn] += d; self[cpu " " fn] += d - ch[cpu, sp[cpu]]; n[cpu " " fn]++
				sp[cpu]--
				if (sp[cpu] > 0) ch[cpu, sp[cpu]] += d
			}
		}
		END { for (k in tot) printf "%s %s total %10.0f us self %10.0f us %8d calls %8.1f us/call\n", l, k, tot[k], self[k], n[k], tot[k] / n[k] }' $TR/trace | sort -k2,2n -k5,5nr | head -120
}
if [ "${PROF_OCSERV:-1}" = 1 ]; then
	ocserv_passwd alice bench-Secret-pass1; ocserv_conf
	if ocserv_start; then
		place
		OC_INPUT="bench-Secret-pass1"$'\n' oc_connect o -u alice --passwd-on-stdin --no-dtls
		oc_wait_up o 300 >/dev/null && place && prof ocserv-down -t "$DUR" -O 1 -R
		oc_stop o; ocserv_stop
	fi
fi
sekishod_conf "rate_per_source = 1000"
sk_group eng factors=password max-sessions=0 pool4=10.77.0.0/24 >/dev/null
sk_user alice eng bench-Secret-pass1 >/dev/null
sekishod_start || exit 1
place
OC_INPUT="bench-Secret-pass1"$'\n' oc_connect t -u alice --passwd-on-stdin --no-dtls
oc_wait_up t 300 >/dev/null || { echo "no tunnel"; oc_log t | tail; exit 1; }
place
for dir in ${PROF_DIRS:-down}; do
	args=(-t "$DUR" -O 1); [ $dir = down ] && args+=(-R)
	prof ktls-$dir "${args[@]}"
done
grep -c . /proc/net/tls_stat >/dev/null
