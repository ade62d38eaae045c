#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/ports.sh SS-FILE [GUIDE-EN GUIDE-JA]: the ports the admin
# guides tell an administrator to open (install.md and install-ja.md,
# "Ports to open" / "開けるポート": the rows of incoming TCP or UDP ports,
# not the outgoing ones) are the ports the installed gateway listens on:
# the listening TCP and the bound UDP sockets of sekishod's processes in
# SS-FILE (`ss -H -lntup` in the booted package root, tests/deb/install.sh
# boot 1, with metrics_listen on the guide's example port).  Both guides
# must list the same ports.  Prints both sets; exit 0 when they are equal,
# 1 with what differs.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ss_file=${1:?ss output}
en=${2:-$REPO/Documentation/admin/install.md}
ja=${3:-$REPO/Documentation/admin/install-ja.md}

# the guide's incoming ports, "tcp/443" lines: the table's rows whose first
# cell is "TCP N" or "UDP N" (an outgoing row starts with "outgoing" or 送信)
guide_ports() {
	awk '/^### (Ports to open|開けるポート)/ { sec = 1; next }
		sec && /^#/ { exit }
		sec && /^\| *(TCP|UDP) [0-9]+/ {
			split($0, c, "|"); split(c[2], w, " ")
			print tolower(w[1]) "/" w[2] + 0 }' "$1" | sort -u
}
# sekishod's listeners in ss -H -lntup output: NETID STATE RECV-Q SEND-Q
# LOCAL PEER PROCESS; the process column names sekishod (its workers'
# names begin with it too)
listening() {
	awk '/users:\(\("sekishod/ { n = split($5, a, ":"); print $1 "/" a[n] }' "$1" | sort -u
}
g_en=$(guide_ports "$en")
g_ja=$(guide_ports "$ja")
have=$(listening "$ss_file")
echo "guide ($(basename "$en")): $(echo $g_en)"
echo "guide ($(basename "$ja")): $(echo $g_ja)"
echo "sekishod listens on: $(echo $have)"
rc=0
[ -n "$g_en" ] || { echo "no ports in $en"; rc=1; }
[ "$g_en" = "$g_ja" ] || { echo "the guides list different ports"; rc=1; }
[ -n "$have" ] || { echo "no sekishod listener in $ss_file"; rc=1; }
missing=$(comm -23 <(echo "$g_en") <(echo "$have"))
extra=$(comm -13 <(echo "$g_en") <(echo "$have"))
[ -z "$missing" ] || { echo "in the guide, but sekishod does not listen on: $(echo $missing)"; rc=1; }
[ -z "$extra" ] || { echo "sekishod listens on, but the guide does not say: $(echo $extra)"; rc=1; }
exit $rc
