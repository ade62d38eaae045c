#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 6 (issue 3): the per-group allowlist enforced in the kernel.
# Policy "ssh-only" allows tcp/22 to 10.20.0.0/24; RDP (3389), ping and
# everything else is dropped by sekisho.ko (default deny).
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "allowlist policy"
check "store: policy ssh-only" skctl policy add ssh-only
check "store: rule allow tcp 10.20.0.0/24 port 22" skctl policy rule add ssh-only allow tcp 10.20.0.0/24 port 22
check "store: group with the policy" sk_group eng factors=password policy=ssh-only
sk_user alice eng Secret-pass1 >/dev/null
check "sekishod: starts" sekishod_start || exit 1
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin
check "tunnel up" oc_wait_up a 180 || exit 1
wait_for 60 oc_dtls a
check "policy: tcp/22 allowed" tcp_probe $SRV4 22
check_not "policy: tcp/3389 denied" tcp_probe $SRV4 3389
check_not "policy: ping denied" in_cli ping -c 2 -W 2 $SRV4
dp=$(sk_stat drop_policy)
check "policy: the kernel counted denials (drop_policy ${dp:-?})" test "${dp:-0}" -gt 0
# issue 4: a policy change on the running gateway reaches the kernel at once
check "live: rule add allow tcp 10.20.0.0/24 port 3389" skctl_live policy rule add ssh-only allow tcp 10.20.0.0/24 port 3389
check "live: tcp/3389 now allowed, same session" within 15 tcp_probe $SRV4 3389
check "live: the kernel policy has 2 rules (sekictl kpolicy list)" sh -c "ip netns exec gw $SEKICTL kpolicy list sk0 | grep -Eq '3389'"
check "live: rule del 2" skctl_live policy rule del ssh-only 2
sleep 1
check_not "live: tcp/3389 denied again" tcp_probe $SRV4 3389
check "live: tcp/22 still allowed" tcp_probe $SRV4 22
oc_stop a
ktap_end
