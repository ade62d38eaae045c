#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the e2e scripts (inside the VM: scripts/vm-run -- tests/e2e/run-all.sh)
# and prints one KTAP document, numbered like tests/selftests/run-all.sh.
# E2E="a.sh b.sh" picks scripts; the default is every sekishod scenario
# (ocserv-smoke.sh, the rig against ocserv, runs with E2E=ocserv-smoke.sh).
cd "$(dirname "$0")" || exit 1
E2E_DEFAULT="sekishod-password.sh sekishod-email-otp.sh sekishod-totp.sh sekishod-cert.sh sekishod-ciphers.sh sekishod-lockout.sh sekishod-account.sh sekishod-policy.sh sekishod-sessions.sh sekishod-groups.sh sekishod-reconnect.sh sekishod-cstp.sh sekishod-hostile.sh sekishod-profile.sh sekishod-device.sh sekishod-scale.sh"
SCRIPTS=${E2E:-$E2E_DEFAULT}
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
	done < <(timeout "${E2E_TIMEOUT:-1200}" bash "./$s" 2>&1; echo "exit-status $?")
done
echo "1..$n"
echo "# e2e: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
