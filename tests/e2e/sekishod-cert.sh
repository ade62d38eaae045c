#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 3 (issue 3, and issue 4's CA): client certificate + password.
# The gateway trusts sekictl's built-in CA: `sekictl ca init`, one PKCS#12
# per user's device with `cert issue`.  A certificate must chain to that CA,
# not be revoked (CRL), and belong to the user who logs in;
# `sekictl cert revoke` on the running gateway is enforced at the next login.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "client certificate + password"
check "store: group with cert,password" sk_group eng factors=cert,password
for u in alice bob carol dave; do sk_user $u eng Secret-pass1 >/dev/null; done
check "ca: ca.dir in the state directory" skctl settings set ca.dir "$SK_LIB/ca" && check "ca: init" skctl ca init --cn "sekisho e2e CA"
for u in alice bob carol dave; do
	skctl device add $u-pc --type windows --method serial --id SN-$u >/dev/null &&
		skctl device assign $u $u-pc >/dev/null &&
		printf 'p12-pass\n' | skctl cert issue $u $u-pc --out "$T/$u.p12" >/dev/null
	check "cert: issued a PKCS#12 for $u" test -s "$T/$u.p12"
done
serial() { skctl cert list --user "$1" --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else d.get("certs", d.get("certificates", []))
print(rows[-1]["serial"])'; }
check "cert: carol revoked before the start" skctl cert revoke "$(serial carol)"
SK_CLIENT_CA=$SK_LIB/ca/ca.pem SK_CRL=$SK_LIB/ca/crl.pem sekishod_conf
check "sekishod: starts" sekishod_start || exit 1
p12() { printf '%s\n' --certificate "$T/$1.p12" --key-password p12-pass; }
mapfile -t ca < <(p12 alice); mapfile -t cb < <(p12 bob); mapfile -t cc < <(p12 carol)
# a certificate of another CA (the lab CA of lib.sh)
mapfile -t cx < <(printf '%s\n' --certificate "$CERTS/alice.pem" --sslkey "$CERTS/alice.key")

check "cert: alice with her certificate" with_input $'Secret-pass1\n' oc_auth_cookie "${ca[@]}" -u alice --passwd-on-stdin
check "cert: no certificate refused" with_input $'Secret-pass1\n' oc_auth_refused -u alice --passwd-on-stdin
check "cert: bob's certificate for alice refused" with_input $'Secret-pass1\n' oc_auth_refused "${cb[@]}" -u alice --passwd-on-stdin
check "cert: revoked (CRL) carol refused" with_input $'Secret-pass1\n' oc_auth_refused "${cc[@]}" -u carol --passwd-on-stdin
check "cert: a certificate of another CA refused" with_input $'Secret-pass1\n' oc_auth_refused "${cx[@]}" -u alice --passwd-on-stdin
check "cert: bob with his certificate" with_input $'Secret-pass1\n' oc_auth_cookie "${cb[@]}" -u bob --passwd-on-stdin
check "cert: revoke bob's certificate on the running gateway" skctl_live cert revoke "$(serial bob)"
check "cert: bob refused after the revocation" with_input $'Secret-pass1\n' oc_auth_refused "${cb[@]}" -u bob --passwd-on-stdin
OC_INPUT=$'Secret-pass1\n' oc_connect a "${ca[@]}" -u alice --passwd-on-stdin
check "cert: alice's tunnel up" oc_wait_up a 180 && check "cert: ping srv" ping_cli $SRV4
oc_stop a

# issue 11 item 4: a certificate is bound to the user record, not the name.
# dave is deleted on the running gateway and created again with the same
# name and password: his old certificate must not log the new dave in.
mapfile -t cdv < <(p12 dave)
check "cert: dave with his certificate" with_input $'Secret-pass1\n' oc_auth_cookie "${cdv[@]}" -u dave --passwd-on-stdin
check "cert: user del dave on the running gateway" skctl_live user del dave
readd_dave() {
	skctl_live user add dave --email "dave@$MAIL_DOMAIN" --group eng >/dev/null &&
		printf 'Secret-pass1\n' | skctl_live user passwd dave --no-change-required >/dev/null
}
check "cert: dave created again with the same name and password" readd_dave
check "cert: the old certificate does not log in the new dave" with_input $'Secret-pass1\n' oc_auth_refused "${cdv[@]}" -u dave --passwd-on-stdin
check "cert: a device of the new dave" skctl_live device assign dave dave-pc
check "cert: cert issue for the new dave" sh -c "printf 'p12-pass\n' | ip netns exec gw '$SEKICTL' --socket '$SK_SOCK' cert issue dave dave-pc --out '$T/dave2.p12'"
mapfile -t cd2 < <(p12 dave2)
check "cert: the new dave with his new certificate" with_input $'Secret-pass1\n' oc_auth_cookie "${cd2[@]}" -u dave --passwd-on-stdin
# a new certificate for the same device supersedes the old one
check "cert: a second certificate for dave-pc" sh -c "printf 'p12-pass\n' | ip netns exec gw '$SEKICTL' --socket '$SK_SOCK' cert issue dave dave-pc --out '$T/dave3.p12'"
check "cert: the superseded certificate refused" with_input $'Secret-pass1\n' oc_auth_refused "${cd2[@]}" -u dave --passwd-on-stdin
mapfile -t cd3 < <(p12 dave3)
check "cert: the newest certificate logs dave in" with_input $'Secret-pass1\n' oc_auth_cookie "${cd3[@]}" -u dave --passwd-on-stdin
ktap_end
