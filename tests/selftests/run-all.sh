#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every selftest script inside the VM and prints one KTAP document
# (tests/run-scripts.sh).  SELFTESTS="a.sh b.sh" picks scripts;
# SELFTESTS_FIRST="x.sh" runs x.sh before the default ones.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2086 # a list of script names
exec bash "$here/../run-scripts.sh" selftests "${SELFTEST_TIMEOUT:-1200}" "$here" \
	${SELFTESTS:-${SELFTESTS_FIRST:-} datapath.sh control.sh stream.sh ktls.sh scale.sh}
