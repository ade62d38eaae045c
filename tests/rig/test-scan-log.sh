#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP tests of scripts/vm-run's kernel-splat scanner (vm-run --scan-log),
# fed with hand-written kernel logs.  No VM needed.
set -u
cd "$(dirname "$0")/../.."
vmrun=scripts/vm-run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0

# expect NAME WANT(0 clean|125 splat) < log
expect() {
	local name=$1 want=$2 got
	cat >"$tmp/log"
	n=$((n + 1))
	"$vmrun" --scan-log "$tmp/log" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $got, want $want)"
		sed 's/^/# /' "$tmp/out"
		fail=1
	fi
}

expect "clean boot log" 0 <<'EOF'
[    0.000000] Linux version 6.12.117-sekisho-debug (root@host) #1 SMP PREEMPT_DYNAMIC
[    0.000000] Command line: console=ttyS0,115200 rdinit=/init panic=-1
[    0.210000] kasan: KernelAddressSanitizer initialized (generic)
[    0.900000] kmemleak: Kernel memory leak detector initialized (mem pool available: 15000)
[    1.100000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
[    3.600000] Run /init as init process
[    9.000000] sekisho: loading out-of-tree module taints kernel.
[    9.100000] KTAP version 1
[    9.100001]     ok 1 replay_window_basic
[   13.250000] sysrq: Power Off
EOF

expect "WARNING with call trace" 125 <<'EOF'
[   10.000000] ------------[ cut here ]------------
[   10.000001] WARNING: CPU: 1 PID: 123 at kmod/peer.c:42 sk_peer_put+0x20/0x40 [sekisho]
[   10.000002] Modules linked in: sekisho(O) veth
[   10.000003] CPU: 1 UID: 0 PID: 123 Comm: sekictl Tainted: G           O       6.12.117-sekisho-debug #1
[   10.000004] RIP: 0010:sk_peer_put+0x20/0x40 [sekisho]
[   10.000005] Call Trace:
[   10.000006]  <TASK>
[   10.000007]  sk_nl_del_peer+0x50/0x90 [sekisho]
[   10.000008]  </TASK>
[   10.000009] ---[ end trace 0000000000000000 ]---
EOF

expect "KASAN report" 125 <<'EOF'
[   11.000000] ==================================================================
[   11.000001] BUG: KASAN: slab-use-after-free in sk_rx+0x1a/0x200 [sekisho]
[   11.000002] Read of size 8 at addr ffff888012345678 by task ksoftirqd/0/15
EOF

expect "UBSAN report" 125 <<'EOF'
[   12.000000] UBSAN: array-index-out-of-bounds in kmod/replay.c:77:9
EOF

expect "lockdep circular dependency" 125 <<'EOF'
[   13.000000] ======================================================
[   13.000001] WARNING: possible circular locking dependency detected
[   13.000002] 6.12.117-sekisho-debug #1 Tainted: G           O
EOF

expect "lockdep recursive locking" 125 <<'EOF'
[   13.000000] ============================================
[   13.000001] WARNING: possible recursive locking detected
EOF

expect "suspicious RCU usage" 125 <<'EOF'
[   14.000000] =============================
[   14.000001] WARNING: suspicious RCU usage
[   14.000002] kmod/peer.c:88 suspicious rcu_dereference_check() usage!
EOF

expect "inconsistent lock state" 125 <<'EOF'
[   14.000000] ================================
[   14.000001] WARNING: inconsistent lock state
EOF

expect "sleeping in atomic context" 125 <<'EOF'
[   15.000000] BUG: sleeping function called from invalid context at mm/slab.h:123
EOF

expect "oops" 125 <<'EOF'
[   16.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008
[   16.000001] Oops: Oops: 0000 [#1] PREEMPT SMP KASAN NOPTI
EOF

expect "general protection fault" 125 <<'EOF'
[   16.000000] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN
EOF

expect "kernel BUG at" 125 <<'EOF'
[   16.000000] kernel BUG at net/core/skbuff.c:207!
EOF

expect "hung task" 125 <<'EOF'
[  800.000000] INFO: task sekictl:321 blocked for more than 600 seconds.
EOF

expect "kmemleak" 125 <<'EOF'
[   20.000000] kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
EOF

expect "debugobjects" 125 <<'EOF'
[   20.000000] ODEBUG: free active (active state 0) object: 00000000deadbeef object type: timer_list hint: sk_timer_fn+0x0/0x40 [sekisho]
EOF

expect "log with CR line ends" 125 < <(printf '[   10.000000] boot\r\n[   10.000001] WARNING: CPU: 0 PID: 1 at lib/foo.c:1 foo+0x1/0x2\r\n')

expect "RCU stall alone is not a splat (TCG is slow)" 0 <<'EOF'
[  100.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
[  100.000001] Call Trace:
[  100.000002]  <TASK>
[  100.000003]  </TASK>
EOF

# SEKISHO_SPLAT_IGNORE drops matching lines
n=$((n + 1))
printf '[ 1.0] WARNING: known benign thing\n' >"$tmp/log"
if SEKISHO_SPLAT_IGNORE='known benign' "$vmrun" --scan-log "$tmp/log" >/dev/null 2>&1; then
	echo "ok $n - SEKISHO_SPLAT_IGNORE"
else
	echo "not ok $n - SEKISHO_SPLAT_IGNORE"; fail=1
fi

# the excerpt names the offending line
n=$((n + 1))
printf '[ 1.0] a\n[ 2.0] BUG: KASAN: double-free in x\n[ 3.0] b\n' >"$tmp/log"
if "$vmrun" --scan-log "$tmp/log" 2>&1 | grep -q 'double-free in x'; then
	echo "ok $n - excerpt contains the report"
else
	echo "not ok $n - excerpt contains the report"; fail=1
fi

echo "1..$n"
exit $fail
