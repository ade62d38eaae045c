#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs each libFuzzer target (the worker's parsers, main's IPC handlers)
# for N seconds (default 15) from its seed corpus in
# userspace/fuzz/corpus/<target>/, and prints TAP.  New corpus entries go to
# a scratch directory, never into the tree.
#
#   userspace/fuzz/run-all.sh [seconds]   (BUILD=dir as for make, default ../../build)
set -u
secs=${1:-15}
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../../build}
make -s -j2 -C "$here" BUILD="$build" >&2 || { echo "not ok 1 - fuzz targets build"; echo "1..1"; exit 1; }
out=$(cd "$build" && pwd)/fuzz
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0 fail=0
echo "TAP version 13"
for t in http-fuzz xml-fuzz cstp-fuzz hostscan-fuzz posture-fuzz ipc-fuzz radius-fuzz; do
	n=$((n + 1))
	mkdir -p "$scratch/$t"
	seeds=$here/corpus/$t
	# the posture target's seeds are the recorded example reports
	[ "$t" = posture-fuzz ] && seeds=$here/../../tests/posture/reports
	log=$scratch/$t.log
	# -rss_limit_mb: the parsers are bounded; anything near this is a bug
	# (ipc-fuzz holds main's tables, about 300 MB with the sanitizers)
	if (cd "$scratch" && "$out/$t" -max_total_time="$secs" -print_final_stats=1 \
		-rss_limit_mb=512 -timeout=10 -max_len=70000 \
		"$scratch/$t" "$seeds") >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok $n - $t (runs=${runs:-?}, ${secs} s)"
	else
		fail=1
		echo "not ok $n - $t"
		grep -E 'ERROR|SUMMARY|crash-|==[0-9]+==' "$log" | head -20 | sed 's/^/# /'
		# keep the reproducer next to the log for the developer
		for f in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
			[ -e "$f" ] && cp "$f" "$out/" && echo "# reproducer: $out/$(basename "$f")"
		done
	fi
done
echo "1..$n"
exit $fail
