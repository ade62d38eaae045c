#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs INSIDE the debug-kernel VM (tests/run stage vm-debug):
#   1. the rig smoke checks (tests/rig/guest-smoke.sh),
#   2. load $SEKISHO_KO, load $SEKISHO_KUNIT_KO (its KUnit suites run at
#      load time) and print their KTAP results from
#      /sys/kernel/debug/kunit/<suite>/results (dmesg as a fallback),
#      unload both,
#   3. tests/selftests/run-all.sh if it exists (it loads $SEKISHO_KO itself).
# Parts 1+2 form one KTAP document (each KUnit suite is a subtest), part 3
# prints its own.  Exit status 0 only if everything passed.
repo=$(cd "$(dirname "$0")/../.." && pwd)
ko=${SEKISHO_KO:-$repo/kmod/sekisho.ko}
kunit_ko=${SEKISHO_KUNIT_KO:-}
dbg=/sys/kernel/debug/kunit
fail=0

echo "KTAP version 1"
echo "# ---- rig smoke checks ($(uname -r))"
SMOKE_EXIT=0 SMOKE_VAR="a b  c" "$repo/tests/rig/guest-smoke.sh" >/tmp/smoke.tap 2>&1 || fail=1
cat /tmp/smoke.tap
n=$(grep -cE '^(not )?ok [0-9]+' /tmp/smoke.tap)
res() { # res ok|not-ok DESC
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi
}

loaded=""
if [ -f "$ko" ]; then
	echo "# ---- module $ko"
	if insmod "$ko"; then res ok "insmod sekisho.ko"; loaded=sekisho; else res not-ok "insmod sekisho.ko"; fi
fi

if [ -n "$kunit_ko" ] && [ -f "$kunit_ko" ]; then
	echo "# ---- KUnit: $kunit_ko"
	before=$(ls "$dbg" 2>/dev/null)
	marker="sekisho-kunit-start-$$"
	echo "$marker" >/dev/kmsg
	if insmod "$kunit_ko"; then
		suites=$(comm -13 <(echo "$before" | sort) <(ls "$dbg" 2>/dev/null | sort))
		if [ -n "$suites" ]; then
			for s in $suites; do
				# drop the file's own "KTAP version 1" / "1..1" header, keep
				# the indented suite block, renumber its summary line
				n=$((n + 1))
				sed -n '3,$p' "$dbg/$s/results" | sed -E "\$s/^(not )?ok [0-9]+/\\1ok $n/"
				tail -n 1 "$dbg/$s/results" | grep -q '^not ok' && fail=1
			done
		else
			# no debugfs: take the KTAP lines the module printed to dmesg
			echo "# (no new suites in $dbg; KTAP from dmesg)"
			dmesg | sed -n "/$marker/,\$p" | sed -E 's/^\[ *[0-9.]+\] ?//' |
				sed -n '/^ *KTAP version\|^ *# Subtest\|^ *1\.\.\|^ *\(not \)\?ok \|^ *# /p' |
				grep -v '^KTAP version\|^1\.\.' | tee /tmp/kunit.dmesg
			grep -q 'not ok' /tmp/kunit.dmesg && fail=1
			n=$((n + $(grep -cE '^(not )?ok [0-9]+' /tmp/kunit.dmesg)))
		fi
		if rmmod sekisho_kunit; then res ok "rmmod sekisho_kunit"; else res not-ok "rmmod sekisho_kunit"; fi
	else
		res not-ok "insmod sekisho_kunit.ko"
	fi
fi

if [ -n "$loaded" ]; then
	if rmmod "$loaded"; then res ok "rmmod sekisho"; else res not-ok "rmmod sekisho"; fi
fi
echo "1..$n"

if [ -x "$repo/tests/selftests/run-all.sh" ] || [ -f "$repo/tests/selftests/run-all.sh" ]; then
	echo "# ---- selftests"
	# Under KASAN, lockdep and kmemleak every netlink request and every
	# process costs many times what it costs on Debian's kernels (about
	# 57 ms per peer add here), and this VM is the longest of its lane:
	# the scale script runs the same code paths with 400 peers (still a
	# dump of several parts) and 1,000 fuzz requests here (its 10,000 run
	# on 6.1 and 6.12; 10,000 ran past the VM's timeout), and datapath.sh
	# gives its record-fault checks to one cipher (each cipher's traffic
	# still runs; the whole matrix runs on 6.1 and 6.12).
	SCALE_PEERS=${SCALE_PEERS:-400} FUZZ_ITERS=${FUZZ_ITERS:-1000} \
	DATAPATH_FAULT_CIPHERS=${DATAPATH_FAULT_CIPHERS:-aes128-gcm} \
		bash "$repo/tests/selftests/run-all.sh" || fail=1
fi
exit $fail
