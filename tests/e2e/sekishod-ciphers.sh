#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 6b (issue 3): DTLS comes up with each of the three AEAD suites
# (the gateway's dtls_ciphers picks one), the kernel carries the data with
# it, and the client keeps a full MTU (the kernel echoes its MTU probes at
# once, §6.5; a lost probe would leave INTERNAL_IP4_MTU at 576).
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "DTLS ciphers"
sk_group eng factors=password >/dev/null
sk_user alice eng Secret-pass1 >/dev/null
n=0
for c in PSK-AES256-GCM-SHA384:AES-256-GCM PSK-AES128-GCM-SHA256:AES-128-GCM PSK-CHACHA20-POLY1305:CHACHA20-POLY1305; do
	suite=${c%%:*} gnutls=${c#*:}
	n=$((n + 1))
	sekishod_conf "dtls_ciphers = $suite"
	check "$suite: sekishod starts" sekishod_start || continue
	OC_INPUT=$'Secret-pass1\n' oc_connect c$n -u alice --passwd-on-stdin
	if check "$suite: tunnel up" oc_wait_up c$n 180; then
		wait_for 60 oc_dtls c$n
		check "$suite: DTLS established with $gnutls" sh -c "oc_log=\$(grep -m1 'Established DTLS' '$T/oc-c$n/log'); case \"\$oc_log\" in *'($gnutls)'*) exit 0;; esac; echo \"\$oc_log\"; exit 1"
		mtu=$(oc_env c$n INTERNAL_IP4_MTU)
		check "$suite: MTU $mtu kept (not 576)" test "${mtu:-0}" -gt 1300
		check "$suite: ping through the kernel" ping_cli $SRV4
		check "$suite: 1400-byte ping (no fragmentation)" in_cli ping -c 2 -W 3 -M do -s $((mtu - 28)) $SRV4
		oc_stop c$n
	fi
	sekishod_stop
done
ktap_end
