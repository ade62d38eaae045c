#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every selftest script inside the VM and prints one KTAP document.
# Each script prints "ok"/"not ok" lines; they are numbered here.
cd "$(dirname "$0")" || exit 1
SCRIPTS=${SELFTESTS:-"datapath.sh control.sh stream.sh scale.sh"}
echo "KTAP version 1"
n=0
failed=0
for s in $SCRIPTS; do
	echo "# ---- $s ($(uname -r))"
	before=$failed
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
	done < <(timeout "${SELFTEST_TIMEOUT:-1200}" bash "./$s" 2>&1; echo "exit-status $?")
done
echo "1..$n"
echo "# selftests: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
