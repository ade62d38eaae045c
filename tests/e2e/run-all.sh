#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the e2e scripts (inside the VM: scripts/vm-run -- tests/e2e/run-all.sh)
# and prints one KTAP document (tests/run-scripts.sh).
# E2E="a.sh b.sh" picks scripts; the default is every sekishod scenario
# (ocserv-smoke.sh, the rig against ocserv, runs with E2E=ocserv-smoke.sh).
E2E_DEFAULT="sekishod-dtls-first.sh sekishod-password.sh sekishod-email-otp.sh sekishod-directory.sh sekishod-totp.sh sekishod-cert.sh sekishod-ciphers.sh sekishod-lockout.sh sekishod-account.sh sekishod-policy.sh sekishod-sessions.sh sekishod-groups.sh sekishod-reconnect.sh sekishod-restart.sh sekishod-gateways.sh sekishod-cstp.sh sekishod-hostile.sh sekishod-profile.sh sekishod-device.sh sekishod-posture.sh sekishod-secrets.sh sekishod-scale.sh"
here=$(cd "$(dirname "$0")" && pwd)
list=${E2E:-$E2E_DEFAULT}
# --list: the scenarios this run would take (tests/run counts the ones
# neither VM has started)
if [ "${1:-}" = --list ]; then
	echo $list
	exit 0
fi
# E2E_QUEUE=DIR, E2E_LANE=1|2: two VMs share the list (tests/run's e2e
# split; run-scripts.sh's RUN_CLAIMS), in the list's order.  Lane 1 boots
# first and keeps sekishod-dtls-first.sh, which needs a fresh VM, at its
# head; lane 2, started later by the other lane, never takes it.  The
# order stays the list's, with sekishod-scale.sh last: run first (longest
# first, for balance) its 50 logins met the other lane's parallel builds
# (deb, deb-vm) and lost 4 sessions to the starved VM twice; at the end
# they meet only the other lane's VM.
if [ -n "${E2E_QUEUE:-}" ]; then
	if [ "${E2E_LANE:-1}" != 1 ]; then
		rest=""
		for s in $list; do
			[ "$s" = sekishod-dtls-first.sh ] || rest="$rest $s"
		done
		list=$rest
	fi
	export RUN_CLAIMS=$E2E_QUEUE
fi
# shellcheck disable=SC2086 # a list of script names
exec bash "$here/../run-scripts.sh" e2e "${E2E_TIMEOUT:-1200}" "$here" $list
