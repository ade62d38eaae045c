#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP tests of scripts/vm-run itself: one boot of the ${RIG_KERNEL:-6.1}
# kernel running tests/rig/guest-smoke.sh (its results are passed through),
# exit status propagation, the timeout, option errors, and that no QEMU is
# left behind.
set -u
cd "$(dirname "$0")/../.."
kernel=${RIG_KERNEL:-6.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case $kernel in
6.1) rel=$(scripts/kver.sh default) ;;
6.12) rel=$(scripts/kver.sh 6.12) ;;
*) rel="" ;;
esac

scripts/vm-run --kernel "$kernel" --timeout 900 --klog "$tmp/klog" \
	--env SMOKE_EXIT=42 --env 'SMOKE_VAR=a b  c' --env "EXPECT_RELEASE=$rel" \
	-- tests/rig/guest-smoke.sh >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
n=$(grep -cE '^(not )?ok [0-9]+' "$tmp/out")
fail=0
grep -qE '^not ok' "$tmp/out" && fail=1

r() { # r DESC COND...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
r "guest smoke test ran ($kernel)" [ "$n" -gt 0 ]
r "CMD's exit status comes back (want 42, got $rc)" [ "$rc" = 42 ]
r "kernel log written to --klog" grep -q 'Linux version' "$tmp/klog"

start=$(date +%s)
scripts/vm-run --kernel "$kernel" --timeout 5 --klog "$tmp/klog2" -- sleep 600 >"$tmp/out2" 2>&1
rc=$?
took=$(($(date +%s) - start))
r "--timeout 5 ends the VM with status 124 (got $rc after ${took}s)" [ "$rc" = 124 ] && [ "$took" -lt 60 ]
r "the timeout is reported" grep -q TIMEOUT "$tmp/out2"
no_qemu() { ! pgrep -f "qemu-system-x86_64 .*$tmp/klog" >/dev/null; }
r "no QEMU left behind" no_qemu

scripts/vm-run --bogus -- true >/dev/null 2>&1
rc=$?
r "unknown option -> status 123 (got $rc)" [ "$rc" = 123 ]
scripts/vm-run --kernel /nonexistent -- true >/dev/null 2>&1
rc=$?
r "missing kernel image -> status 123 (got $rc)" [ "$rc" = 123 ]
# --root DIR --init systemd (the package install test's mode) go together,
# and DIR must be a root with systemd holding the command
opt_rc() { scripts/vm-run "$@" >"$tmp/opt" 2>&1; echo $?; }
r "--root without --init systemd -> status 123" [ "$(opt_rc --root / -- true)" = 123 ]
r "--init systemd without --root -> status 123" [ "$(opt_rc --init systemd -- true)" = 123 ]
r "--root DIR without systemd in it -> status 123" [ "$(opt_rc --root "$tmp" --init systemd -- /bin/true)" = 123 ]
r "--init other -> status 123" [ "$(opt_rc --init sysv -- true)" = 123 ]
echo "1..$n"
exit $fail
