#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 4 (issue 3): client certificate + password.  The certificate must
# chain to the CA, not be revoked (CRL) or expired, and belong to the user
# who logs in; `sekictl cert revoke` takes effect on a running gateway.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "client certificate + password"
check "store: group with cert,password" sk_group eng factors=cert,password
for u in alice bob carol dave; do sk_user $u eng secret1 >/dev/null; done
check "sekishod: starts" sekishod_start || exit 1
cert() { printf '%s\n' --certificate "$CERTS/$1.pem" --sslkey "$CERTS/$1.key"; }
mapfile -t ca < <(cert alice); mapfile -t cb < <(cert bob)
mapfile -t cc < <(cert carol); mapfile -t cd < <(cert dave)

check "cert: alice with her certificate" with_input $'Secret-pass1\n' oc_auth_cookie "${ca[@]}" -u alice --passwd-on-stdin
check "cert: no certificate refused" with_input $'Secret-pass1\n' oc_auth_refused -u alice --passwd-on-stdin
check_not "cert: bob's certificate for alice refused" with_input $'Secret-pass1\n' oc_auth_cookie "${cb[@]}" -u alice --passwd-on-stdin
check_not "cert: revoked (CRL) carol refused" with_input $'Secret-pass1\n' oc_auth_cookie "${cc[@]}" -u carol --passwd-on-stdin
check_not "cert: expired dave refused" with_input $'Secret-pass1\n' oc_auth_cookie "${cd[@]}" -u dave --passwd-on-stdin
check "cert: bob with his certificate" with_input $'Secret-pass1\n' oc_auth_cookie "${cb[@]}" -u bob --passwd-on-stdin
check "cert: revoke bob's serial live" skctl_live cert revoke "$(cert_serial bob)"
check_not "cert: bob refused after the revocation" with_input $'Secret-pass1\n' oc_auth_cookie "${cb[@]}" -u bob --passwd-on-stdin
OC_INPUT=$'Secret-pass1\n' oc_connect a "${ca[@]}" -u alice --passwd-on-stdin
check "cert: alice's tunnel up" oc_wait_up a 180 && check "cert: ping srv" ping_cli $SRV4
oc_stop a
ktap_end
