#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/conf-keys.sh CONF [MANPAGE] [SEKISHOD]: every key the bootstrap
# parser accepts (userspace/sekishod/conf.c) is in CONF commented out with
# its default ("#key = value", "#foreground"), and in MANPAGE
# (sekishod.conf.5) when given; CONF parses as it is and with every key
# uncommented (sekishod -T, the syntax, when SEKISHOD is given).  Prints
# "# missing: ..." lines and exits 1 when something is missing.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
conf=${1:?usage: conf-keys.sh CONF [MANPAGE] [SEKISHOD]}
man=${2:-}
sekishod=${3:-}
fail=0

# the keys of set_key(): "listen" etc. compared with strcmp, the STR() and
# INT() tables; the bare word "foreground" of skd_conf_parse()
keys=$(sed -n '/^static int set_key(/,/^}/p' "$REPO/userspace/sekishod/conf.c" |
	grep -oE 'strcmp\(key, "[a-z_]+"\)|^[[:space:]]*(STR|INT)\([a-z_]+' |
	sed -E 's/.*"([a-z_]+)".*/\1/; s/^[[:space:]]*(STR|INT)\(//' | sort -u)
n=$(wc -w <<<"$keys")
if [ "$n" -lt 20 ]; then
	echo "# only $n keys found in conf.c: the extraction is broken"
	exit 1
fi
grep -q 'strcmp(key, "foreground")' "$REPO/userspace/sekishod/conf.c" && keys="$keys foreground"
for k in $keys; do
	if [ "$k" = foreground ]; then
		grep -qx '#foreground' "$conf" || { echo "# missing in $conf: #foreground"; fail=1; }
	else
		grep -qE "^#$k = [^ ]" "$conf" || { echo "# missing in $conf: #$k = DEFAULT"; fail=1; }
	fi
	# the line above each key explains it
	grep -B1 -E "^#$k( =|$)" "$conf" | head -n 1 | grep -qE '^# [A-Za-z(]' ||
		{ echo "# no explanation line above #$k in $conf"; fail=1; }
	if [ -n "$man" ]; then
		grep -qE "^\.(BI|B) \"?$k( |\"|$)" "$man" || { echo "# missing in $man: $k"; fail=1; }
	fi
done
# nothing is set: every line is a comment or blank
if grep -vE '^(#.*)?$' "$conf" | grep -q .; then
	echo "# lines set in $conf (every key must be commented out):"
	grep -vE '^(#.*)?$' "$conf" | sed 's/^/#   /'
	fail=1
fi
if [ -n "$sekishod" ]; then
	t=$(mktemp)
	"$sekishod" -T -c "$conf" >/dev/null || { echo "# sekishod -T refuses $conf"; fail=1; }
	sed -E 's/^#([a-z_]+ = )/\1/; s/^#foreground$/foreground/' "$conf" >"$t"
	"$sekishod" -T -c "$t" >/dev/null || { echo "# sekishod -T refuses $conf with every key uncommented"; fail=1; }
	rm -f "$t"
fi
echo "# $(wc -w <<<"$keys") keys checked"
exit $fail
