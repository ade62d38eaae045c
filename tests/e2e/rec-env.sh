#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# openconnect --script for the e2e tests (anyconnect-protocol.md §4.3, §9).
# Records what the gateway pushed, then does the minimum a vpnc-script does
# so that traffic flows: tun up with the pushed MTU, the addresses, and routes
# for the split includes (or a default route when there are none).
#
# REC_DIR (exported by lib.sh's oc_connect) receives REASON.env per call,
# written with printf %q so that lib.sh's oc_env can source it safely even
# for multi-line values (CISCO_CSTP_OPTIONS, CISCO_BANNER); "reasons" logs
# the order of the calls.
dir=${REC_DIR:-/tmp}
reason=${reason:-unknown}
{
	for v in reason TUNDEV VPNGATEWAY VPNPID LOG_LEVEL IDLE_TIMEOUT $(compgen -e | grep -E '^(INTERNAL_|CISCO_)'); do
		[ -n "${!v+x}" ] && printf '%s=%q\n' "$v" "${!v}"
	done
} >"$dir/$reason.env.tmp" && mv "$dir/$reason.env.tmp" "$dir/$reason.env"
echo "$reason" >>"$dir/reasons"

case $reason in
connect|reconnect)
	ip link set dev "$TUNDEV" up mtu "${INTERNAL_IP4_MTU:-1300}" || exit 1
	if [ -n "${INTERNAL_IP4_ADDRESS:-}" ]; then
		ip addr replace "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV" || exit 1
	fi
	# INTERNAL_IP6_NETMASK holds "address/prefixlen"; IPv6 needs MTU >= 1280
	if [ -n "${INTERNAL_IP6_NETMASK:-}" ] && [ "${INTERNAL_IP4_MTU:-1500}" -ge 1280 ]; then
		ip -6 addr replace "$INTERNAL_IP6_NETMASK" dev "$TUNDEV" nodad 2>/dev/null ||
			ip -6 addr replace "$INTERNAL_IP6_ADDRESS/128" dev "$TUNDEV" nodad
	fi
	n=${CISCO_SPLIT_INC:-0}
	if [ "$n" -gt 0 ]; then
		for ((i = 0; i < n; i++)); do
			a=CISCO_SPLIT_INC_${i}_ADDR l=CISCO_SPLIT_INC_${i}_MASKLEN
			ip route replace "${!a}/${!l}" dev "$TUNDEV" || exit 1
		done
	elif [ -n "${INTERNAL_IP4_ADDRESS:-}" ]; then
		# full tunnel: the gateway itself stays reachable through the more
		# specific connected route of the veth.
		ip route replace default dev "$TUNDEV" || exit 1
	fi
	n=${CISCO_IPV6_SPLIT_INC:-0}
	if [ -n "${INTERNAL_IP6_ADDRESS:-}" ] && [ "${INTERNAL_IP4_MTU:-1500}" -ge 1280 ]; then
		if [ "$n" -gt 0 ]; then
			for ((i = 0; i < n; i++)); do
				a=CISCO_IPV6_SPLIT_INC_${i}_ADDR l=CISCO_IPV6_SPLIT_INC_${i}_MASKLEN
				ip -6 route replace "${!a}/${!l}" dev "$TUNDEV" || exit 1
			done
		else
			ip -6 route replace default dev "$TUNDEV" || exit 1
		fi
	fi
	# Split excludes are only recorded: in this topology nothing is routed
	# outside the tunnel that an include would capture.
	;;
esac
exit 0
