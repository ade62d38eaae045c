#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/checkpatch.sh [--tap] [FILE...]
#
# Run the kernel's checkpatch.pl (--no-tree --strict --terse -f) on the
# module sources: kmod/*.[ch] kmod/tests/*.[ch] include/uapi/linux/sekisho.h
# (or the FILEs given).  Exit 1 on any ERROR or WARNING; CHECK lines are
# printed but allowed.  Exit 77 (skip) when no checkpatch.pl can be found.
# --tap prints one TAP result per file (used by tests/run).
#
# checkpatch.pl comes from, in this order: $CHECKPATCH, the tree that
# scripts/debug-kernel extracted, /usr/src/linux-headers-*/scripts, or is
# extracted once from /usr/src/linux-source-6.12.tar.* into
# ${SEKISHO_CACHE:-/var/cache/sekisho}/checkpatch/.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
cache=${SEKISHO_CACHE:-/var/cache/sekisho}
tap=0
if [ "${1:-}" = --tap ]; then tap=1; shift; fi

find_checkpatch() {
	local c
	if [ -n "${CHECKPATCH:-}" ] && [ -x "$CHECKPATCH" ]; then echo "$CHECKPATCH"; return 0; fi
	c=$("$here/debug-kernel" --print-kdir 2>/dev/null)/scripts/checkpatch.pl
	[ -f "$c" ] && { echo "$c"; return 0; }
	for c in "$cache"/debug-kernel/*/src/scripts/checkpatch.pl /usr/src/linux-headers-*/scripts/checkpatch.pl \
		"$cache"/checkpatch/linux-source-6.12/scripts/checkpatch.pl; do
		[ -f "$c" ] && { echo "$c"; return 0; }
	done
	# extract the three files checkpatch needs from the source tarball
	local tarball
	tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || return 1
	mkdir -p "$cache/checkpatch" 2>/dev/null || return 1
	tar -xaf "$tarball" -C "$cache/checkpatch" \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch 2>/dev/null || return 1
	c=$cache/checkpatch/linux-source-6.12/scripts/checkpatch.pl
	[ -f "$c" ] && echo "$c"
}

cp_pl=$(find_checkpatch) || cp_pl=""
if [ -z "$cp_pl" ]; then
	echo "checkpatch.sh: no checkpatch.pl found (install linux-source-6.12: scripts/deps); skipping"
	exit 77
fi

cd "$repo"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	shopt -s nullglob
	files=(kmod/*.[ch] kmod/tests/*.[ch] include/uapi/linux/sekisho.h)
	shopt -u nullglob
fi
[ ${#files[@]} -gt 0 ] || { echo "checkpatch.sh: no files to check"; [ $tap = 1 ] && echo "1..0 # SKIP no files"; exit 0; }

bad=0 n=0 errors=0 warnings=0 checks=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	out=$(perl "$cp_pl" --no-tree --strict --terse --show-types --no-summary -f "$f" 2>&1)
	e=$(grep -c ': ERROR:' <<<"$out")
	w=$(grep -c ': WARNING:' <<<"$out")
	c=$(grep -c ': CHECK:' <<<"$out")
	errors=$((errors + e)) warnings=$((warnings + w)) checks=$((checks + c))
	if [ $tap = 1 ]; then
		if [ $((e + w)) -gt 0 ]; then
			echo "not ok $n - checkpatch $f ($e errors, $w warnings, $c checks)"
		else
			if [ "$c" -gt 0 ]; then echo "ok $n - checkpatch $f ($c checks)"; else echo "ok $n - checkpatch $f"; fi
		fi
		[ -n "$out" ] && sed 's/^/# /' <<<"$out"
	else
		[ -n "$out" ] && echo "$out"
	fi
	[ $((e + w)) -gt 0 ] && bad=1
done
[ $tap = 1 ] && echo "1..$n"
echo "# checkpatch ($cp_pl): $n files, $errors errors, $warnings warnings, $checks checks"
exit $bad
