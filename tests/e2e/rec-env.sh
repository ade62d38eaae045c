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
#
# Under TCG every program the script starts costs a good part of a second,
# and it runs at every connect and disconnect of every client: so no grep
# (bash lists the variables by prefix itself) and one `ip -batch` for all
# of the tun's configuration.
dir=${REC_DIR:-/tmp}
reason=${reason:-unknown}
{
	for v in reason TUNDEV VPNGATEWAY VPNPID LOG_LEVEL IDLE_TIMEOUT ${!INTERNAL_@} ${!CISCO_@}; do
		[ -n "${!v+x}" ] && printf '%s=%q\n' "$v" "${!v}"
	done
} >"$dir/$reason.env.tmp" && mv "$dir/$reason.env.tmp" "$dir/$reason.env"
echo "$reason" >>"$dir/reasons"

case $reason in
connect|reconnect)
	# `ip -batch` stops at the first command that fails and exits non-zero
	{
		echo "link set dev $TUNDEV up mtu ${INTERNAL_IP4_MTU:-1300}"
		[ -n "${INTERNAL_IP4_ADDRESS:-}" ] && echo "addr replace $INTERNAL_IP4_ADDRESS/32 dev $TUNDEV"
		# INTERNAL_IP6_NETMASK holds "address/prefixlen"; IPv6 needs MTU >= 1280
		v6=""
		if [ -n "${INTERNAL_IP6_ADDRESS:-}" ] && [ "${INTERNAL_IP4_MTU:-1500}" -ge 1280 ]; then
			v6=1
			case ${INTERNAL_IP6_NETMASK:-} in
			*/*) echo "addr replace $INTERNAL_IP6_NETMASK dev $TUNDEV nodad" ;;
			*) echo "addr replace $INTERNAL_IP6_ADDRESS/128 dev $TUNDEV nodad" ;;
			esac
		fi
		n=${CISCO_SPLIT_INC:-0}
		if [ "$n" -gt 0 ]; then
			for ((i = 0; i < n; i++)); do
				a=CISCO_SPLIT_INC_${i}_ADDR l=CISCO_SPLIT_INC_${i}_MASKLEN
				echo "route replace ${!a}/${!l} dev $TUNDEV"
			done
		elif [ -n "${INTERNAL_IP4_ADDRESS:-}" ]; then
			# full tunnel: the gateway itself stays reachable through the
			# more specific connected route of the veth.
			echo "route replace default dev $TUNDEV"
		fi
		n=${CISCO_IPV6_SPLIT_INC:-0}
		if [ -n "$v6" ]; then
			if [ "$n" -gt 0 ]; then
				for ((i = 0; i < n; i++)); do
					a=CISCO_IPV6_SPLIT_INC_${i}_ADDR l=CISCO_IPV6_SPLIT_INC_${i}_MASKLEN
					echo "route replace ${!a}/${!l} dev $TUNDEV"
				done
			else
				echo "route replace ::/0 dev $TUNDEV"
			fi
		fi
	} | ip -batch - || exit 1
	# for lib.sh's oc_wait_up: configured (a test of a file, where asking
	# ip whether the tun is up costs four programs a try)
	: >"$dir/$reason.done"
	# Split excludes are only recorded: in this topology nothing is routed
	# outside the tunnel that an include would capture.
	;;
esac
exit 0
