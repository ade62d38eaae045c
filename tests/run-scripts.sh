#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/run-scripts.sh NAME TIMEOUT DIR SCRIPT... - run test scripts of DIR
# one after the other (inside a VM: tests/selftests/run-all.sh and
# tests/e2e/run-all.sh call it) and print one KTAP document.  Each script
# prints "ok"/"not ok" lines; they are numbered here, prefixed with the
# script's name, and a script that ends with a non-zero status without a
# failing result adds one failure.  Each script gets TIMEOUT seconds.
# RUN_CLAIMS=DIR (a directory shared with another VM doing the same list):
# a script runs only if this VM is the first to create DIR/SCRIPT (mkdir is
# atomic on the host behind the 9p share), so two VMs share one list.
name=$1 limit=$2
cd "$3" || exit 1
shift 3
echo "KTAP version 1"
n=0
failed=0
for s in "$@"; do
	if [ -n "${RUN_CLAIMS:-}" ] && ! mkdir "$RUN_CLAIMS/$s" 2>/dev/null; then
		continue	# the other VM took it
	fi
	echo "# ---- $s ($(uname -r))"
	before=$failed
	started=$(date +%s)
	while IFS= read -r line; do
		case $line in
		"exit-status "*)
			rc=${line#exit-status }
			if [ "$rc" != 0 ] && [ $failed -eq $before ]; then
				n=$((n + 1))
				failed=$((failed + 1))
				echo "not ok $n ${s%.sh}: script ended with status $rc"
			fi
			;;
		"ok "*|"not ok "*)
			n=$((n + 1))
			status=${line%% [0-9]*}
			rest=${line#"$status" }
			rest=${rest#* }
			[ "$status" = "not ok" ] && failed=$((failed + 1))
			echo "$status $n ${s%.sh}: $rest"
			;;
		1..*) ;;
		*) echo "# $line" ;;
		esac
	done < <(timeout "$limit" bash "./$s" 2>&1; echo "exit-status $?")
	echo "# ---- $s: $(($(date +%s) - started)) s"
done
echo "1..$n"
echo "# $name: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
