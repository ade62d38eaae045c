#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the e2e scripts (inside the VM: scripts/vm-run -- tests/e2e/run-all.sh)
# and prints one KTAP document (tests/run-scripts.sh).
# E2E="a.sh b.sh" picks scripts; the default is every sekishod scenario
# (ocserv-smoke.sh, the rig against ocserv, runs with E2E=ocserv-smoke.sh).
E2E_DEFAULT="sekishod-dtls-first.sh sekishod-password.sh sekishod-email-otp.sh sekishod-directory.sh sekishod-totp.sh sekishod-cert.sh sekishod-ciphers.sh sekishod-lockout.sh sekishod-account.sh sekishod-policy.sh sekishod-sessions.sh sekishod-groups.sh sekishod-reconnect.sh sekishod-restart.sh sekishod-cstp.sh sekishod-hostile.sh sekishod-profile.sh sekishod-device.sh sekishod-posture.sh sekishod-secrets.sh sekishod-scale.sh"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2086 # a list of script names
exec bash "$here/../run-scripts.sh" e2e "${E2E_TIMEOUT:-1200}" "$here" ${E2E:-$E2E_DEFAULT}
