#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 3 (issue 3): password + TOTP (RFC 6238).  The secret comes from
# `sekictl user set alice totp=new` (an otpauth URI); openconnect computes
# the code itself (--token-mode=totp, form "otp", input secondary_password).
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "password + TOTP"
check "store: group with password,totp" sk_group eng factors=password,totp
check "store: user alice" sk_user alice eng Secret-pass1
uri=$(skctl user set alice totp=new)
secret=$(sed -n 's/.*[?&]secret=\([A-Z2-7=]*\).*/\1/p' <<<"$uri")
check "totp: otpauth URI with a base32 secret" test -n "$secret"
check "sekishod: starts" sekishod_start || exit 1

check "totp: --authenticate with the client's TOTP" with_input $'Secret-pass1\n' oc_auth_cookie -u alice \
	--passwd-on-stdin --token-mode=totp --token-secret "base32:$secret"
# the same step again: the code was used (replay refused).  oathtool
# (scripts/deps) computes it: an empty code would be refused for being
# empty, and the check would pass for the wrong reason.
code=$(oathtool --totp -b "$secret")
check "totp: oathtool gives a six-digit code" grep -qxE '[0-9]{6}' <<<"$code"
with_input $'Secret-pass1\n' oc_auth -u alice --passwd-on-stdin --form-entry "otp:secondary_password=$code" >/dev/null
check "totp: the same code twice is refused (replay)" with_input $'Secret-pass1\n' oc_auth_refused -u alice \
	--passwd-on-stdin --form-entry "otp:secondary_password=$code"
check "totp: a wrong code is refused" with_input $'Secret-pass1\n' oc_auth_refused -u alice \
	--passwd-on-stdin --form-entry "otp:secondary_password=000000"
# the tunnel with the next step's code: totp.window (default 1) accepts it
# now and it is newer than every step used above, so the scenario does not
# wait 30 s for the clock (whichever step boundary passes meanwhile, the
# code stays within one step of the server's and unused)
next=$(oathtool --totp -b -N "@$(($(date +%s) + 30))" "$secret")
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin --form-entry "otp:secondary_password=$next"
check "totp: tunnel up" oc_wait_up a 180
check "totp: ping srv" ping_cli $SRV4
oc_stop a
ktap_end
