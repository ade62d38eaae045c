#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/uapi/check-gen.sh [TREE]
#
# The kernel's netlink policies must be what the spec says: regenerate
# kmod/netlink-gen.[ch] from Documentation/netlink/specs/sekisho.yaml with
# scripts/nl-gen.py into a scratch directory and diff them against the
# checked-in files; also check that every SEKISHO_* name the generated code
# uses is in the uapi header (tests/uapi/check-spec.py checks the header
# against the spec).  TAP output; exit 1 on any difference.  TREE defaults
# to this checkout (give a scratch copy to see it fail on a planted drift).
set -uo pipefail

tree=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

result() {	# OK NAME [DIAG FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
		[ -n "${3:-}" ] && sed 's/^/# /' "$3" | head -40
	fi
}

echo "1..4"
python3 "$tree/scripts/nl-gen.py" --spec "$tree/Documentation/netlink/specs/sekisho.yaml" \
	--out "$tmp/gen" > "$tmp/gen.log" 2>&1
result $? "scripts/nl-gen.py runs" "$tmp/gen.log"
for f in netlink-gen.c netlink-gen.h; do
	diff -u "$tree/kmod/$f" "$tmp/gen/$f" > "$tmp/$f.diff" 2>&1
	result $? "kmod/$f is what the spec generates (else run scripts/nl-gen.py)" "$tmp/$f.diff"
done
cat "$tree"/kmod/netlink-gen.[ch] | grep -o '\bSEKISHO_[A-Z0-9_]*' | sort -u |
	grep -v -e '^SEKISHO_NETLINK_GEN_H$' |
	while read -r name; do
		grep -qw "$name" "$tree/include/uapi/linux/sekisho.h" || echo "$name"
	done > "$tmp/missing"
[ ! -s "$tmp/missing" ]
result $? "every SEKISHO_* name of the generated code is in the uapi header" "$tmp/missing"
echo "# $((n - fail)) passed, $fail failed"
[ "$fail" = 0 ]
