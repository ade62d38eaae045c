#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The first-gateway example of the admin guides (issue 14: "the
# first-gateway example in the guide allows the pushed DNS server through
# the allowlist"): the `$S ...` lines of section 3 of guide.md and of
# guide-ja.md, run as written on a new store, succeed, and `sekictl
# diagnose --json` finds the DNS server the example's group pushes allowed
# by its own policy (check dns-allowlist ok; on the host the kernel checks
# are errors and are not looked at).  The same example without its port 53
# rules gets an error there, so the check can fail.  TAP output.
# Usage: tests/admin/guide-example.sh   (SEKICTL=path to override)

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SEKICTL=${SEKICTL:-$REPO/build/sekictl}
. "$REPO/tests/lib/tap.sh"
T=$(mktemp -d /tmp/sk-guide.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
echo "TAP version 13"

# the example's store commands (the password is set elsewhere: stdin)
example() {	# GUIDE: its `$S ...` lines from the first "S=" on, up to the first blank line
	awk '/^S="sekictl --store / { on = 1; next } on && /^\$S / { print; next } on && /^```/ { exit }' "$1" |
		grep -v ' user passwd ' | sed 's/[[:space:]]*#.*$//'
}
run_example() {	# STORE FILE
	local S="$SEKICTL --store $1" l
	"$SEKICTL" init --store "$1" >/dev/null || return 1
	while IFS= read -r l; do
		eval "$l" >/dev/null || { echo "failed: $l"; return 1; }
	done <"$2"
}
dns_status() {	# STORE: the status of the check dns-allowlist
	"$SEKICTL" --store "$1" diagnose --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else d.get("checks", [])
print(" ".join(sorted({r.get("status", "") for r in rows if r.get("check") == "dns-allowlist"})) or "none")'
}
for g in guide guide-ja; do
	example "$REPO/Documentation/admin/$g.md" >"$T/$g.sh"
	ok "$g.md: the example has its store commands ($(wc -l <"$T/$g.sh") lines, a group with dns=)" \
		sh -c "[ \$(wc -l <'$T/$g.sh') -ge 5 ] && grep -q 'group add .*dns=' '$T/$g.sh'"
	ok "$g.md: they run as written" run_example "$T/$g.db" "$T/$g.sh"
	st=$(dns_status "$T/$g.db")
	ok "$g.md: diagnose finds the pushed DNS server allowed by the group's policy ($st)" test "$st" = ok
done
grep -v ' port 53' "$T/guide.sh" >"$T/nodns.sh"
run_example "$T/nodns.db" "$T/nodns.sh" >/dev/null
st=$(dns_status "$T/nodns.db")
ok "without its port 53 rules the same example gets an error there ($st)" test "$st" = error
tap_done
