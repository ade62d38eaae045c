#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP tests of tests/run's result counting rule (tests/run --count).
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
# expect NAME "P F S" < tap
expect() {
	local got
	cat >"$tmp/in"
	got=$(tests/run --count "$tmp/in" | tail -n 1)
	n=$((n + 1))
	if [ "$got" = "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (got '$got', want '$2')"
		fail=1
	fi
}

expect "flat TAP" "2 1 1" <<'EOF'
TAP version 13
ok 1 - a
not ok 2 - b
ok 3 - c # SKIP no thing
ok 4 - d
1..4
EOF

expect "KUnit KTAP: suites are summaries, cases are counted" "4 1 1" <<'EOF'
KTAP version 1
1..2
    KTAP version 1
    # Subtest: sekisho_replay
    1..3
    ok 1 replay_basic
    ok 2 replay_window
    not ok 3 replay_wrap
not ok 1 sekisho_replay
    KTAP version 1
    # Subtest: sekisho_record
    1..3
    ok 1 record_kat
    ok 2 record_short # SKIP no aes
    ok 3 record_long
ok 2 sekisho_record
EOF

expect "parameterised test: params counted, not the case line" "3 0 0" <<'EOF'
KTAP version 1
1..1
    KTAP version 1
    # Subtest: s
    1..2
        KTAP version 1
        # Subtest: param
        ok 1 param-0
        ok 2 param-1
    ok 1 param
    ok 2 plain
ok 1 s
EOF

expect "failing summary with passing children counts once" "2 1 0" <<'EOF'
KTAP version 1
1..1
    ok 1 a
    ok 2 b
not ok 1 suite
EOF

expect "skipped suite without children counts as one skip" "0 0 1" <<'EOF'
KTAP version 1
1..1
ok 1 suite # SKIP not built
EOF

expect "plan mismatch (crash mid-way) adds a failure" "2 1 0" <<'EOF'
TAP version 13
1..3
ok 1 a
ok 2 b
EOF

expect "two concatenated documents" "3 0 0" <<'EOF'
KTAP version 1
ok 1 a
1..1
KTAP version 1
ok 1 b
ok 2 c
1..2
EOF

expect "concatenated TAP streams without version lines" "3 0 0" <<'EOF'
# prog1
ok 1 a
ok 2 b
1..2
# prog2
1..1
ok 1 c
EOF

expect "Bail out! is a failure" "1 1 0" <<'EOF'
ok 1 a
Bail out! no kernel
EOF

expect "diagnostics and indented '# ok' are ignored" "1 0 0" <<'EOF'
# ok 5 this is a comment
    # not ok 6 neither
ok 1 real
EOF

expect "selftests KTAP from tests/selftests/run-all.sh" "2 1 0" <<'EOF'
KTAP version 1
# ---- datapath.sh (6.1.0-56-amd64)
ok 1 datapath: ping
not ok 2 datapath: iperf
ok 3 control: add peer
1..3
# selftests: 2 passed, 1 failed
EOF

echo "1..$n"
exit $fail
