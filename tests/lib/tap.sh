# SPDX-License-Identifier: GPL-2.0
# Sourced by test scripts (tests/admin) that print TAP: TAP counters,
# ok NAME CMD..., expect STATUS PATTERN CMD... and tap_done.
N=0
FAILED=0
ok() {	# NAME CMD...: CMD must exit 0
	local name=$1 out; shift
	N=$((N + 1))
	if out=$("$@" 2>&1); then
		echo "ok $N $name"
	else
		FAILED=$((FAILED + 1)); echo "not ok $N $name"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}
# expect STATUS PATTERN CMD...: exit status and a pattern in stdout+stderr
expect() {
	local want=$1 pat=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	[ "$rc" = "$want" ] && printf '%s' "$out" | grep -q -- "$pat" && return 0
	echo "exit $rc (wanted $want); output:"; printf '%s\n' "$out"
	return 1
}
# the plan, the counts, and the script's status
tap_done() {
	echo "1..$N"
	echo "# $((N - FAILED)) passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
# admin_store NAME: a throw-away store for a sekictl script ($SEKICTL): $T
# (removed at exit), $DB made by `sekictl init` (only init creates a store),
# TZ=UTC; S ARGS... runs sekictl on it.
admin_store() {
	T=$(mktemp -d "/tmp/sk-admin-$1.XXXXXX") || exit 1
	trap 'rm -rf "$T"' EXIT
	DB=$T/sekisho.db
	export TZ=UTC
	"$SEKICTL" init --store "$DB" >/dev/null || { echo "# sekictl init failed"; exit 1; }
}
S() { "$SEKICTL" --store "$DB" "$@"; }
