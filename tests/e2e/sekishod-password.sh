#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario 1 (issue 3): password login, the pushed settings, and the datapath.
# A password-only group; openconnect gets every pushed setting (§4.3), DTLS
# comes up and the kernel carries the data (sekictl show counters move).
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "password login and pushed settings"
check "store: group eng with settings" sk_group eng factors=password \
	split-exclude=10.20.0.128/25 proxy=pac proxy-pac=http://proxy.$MAIL_DOMAIN/eng.pac \
	banner="ようこそ / Welcome"
check "store: user alice" sk_user alice eng 'secret1 パス'
check "sekishod: starts" sekishod_start || exit 1

# issue 3: after the set-up the daemon keeps CAP_NET_ADMIN only; the DTLS
# port is bound by its binder process (sekishod-bind), which keeps
# CAP_NET_BIND_SERVICE only, as the service user, under seccomp
pstat() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status" 2>/dev/null; }
binder_pid() {
	local p
	for p in $(ip netns pids gw); do
		[ "$(pstat "$p" PPid)" = "$SEKISHOD_PID" ] && [ "$(pstat "$p" Name)" = sekishod-bind ] &&
			{ echo "$p"; return 0; }
	done
	return 1
}
check "privileges: main process is sekishod ($SEKISHOD_PID)" test "$(pstat "$SEKISHOD_PID" Name)" = sekishod
check "privileges: main CapEff = CAP_NET_ADMIN only ($(pstat "$SEKISHOD_PID" CapEff))" \
	test "$(pstat "$SEKISHOD_PID" CapEff)" = 0000000000001000
check "privileges: main CapPrm = CAP_NET_ADMIN only" test "$(pstat "$SEKISHOD_PID" CapPrm)" = 0000000000001000
check "privileges: main CapBnd empty" test "$(pstat "$SEKISHOD_PID" CapBnd)" = 0000000000000000
check "privileges: main runs as sekisho" test "$(pstat "$SEKISHOD_PID" Uid | awk '{ print $2 }')" = "$(id -u sekisho)"
bpid=$(binder_pid)
check "privileges: binder process sekishod-bind (${bpid:-none})" test -n "$bpid"
check "privileges: binder CapEff = CAP_NET_BIND_SERVICE only ($(pstat "$bpid" CapEff))" \
	test "$(pstat "$bpid" CapEff)" = 0000000000000400
check "privileges: binder CapPrm = CAP_NET_BIND_SERVICE only" test "$(pstat "$bpid" CapPrm)" = 0000000000000400
check "privileges: binder CapBnd empty" test "$(pstat "$bpid" CapBnd)" = 0000000000000000
check "privileges: binder NoNewPrivs, seccomp filter" \
	test "$(pstat "$bpid" NoNewPrivs)/$(pstat "$bpid" Seccomp)" = 1/2
check "privileges: binder runs as sekisho" test "$(pstat "$bpid" Uid | awk '{ print $2 }')" = "$(id -u sekisho)"

check "auth: wrong password refused" with_input $'wrong\n' oc_auth_refused -u alice --passwd-on-stdin
check "auth: unknown user refused" with_input $'Secret-pass1\n' oc_auth_refused -u nobody --passwd-on-stdin
check "auth: --authenticate gives a cookie" with_input $'secret1 パス\n' oc_auth_cookie -u alice --passwd-on-stdin

OC_INPUT=$'secret1 パス\n' oc_connect a -u alice --passwd-on-stdin
check "tunnel: up" oc_wait_up a 180 || exit 1
check "settings: address from the pool" sh -c "case '$(oc_env a INTERNAL_IP4_ADDRESS)' in 10.77.0.*) exit 0;; esac; exit 1"
check "settings: DNS, WINS, domain, split DNS" sh -c "
	[ '$(oc_env a INTERNAL_IP4_DNS)' = 10.20.0.53 ] && [ '$(oc_env a INTERNAL_IP4_NBNS)' = 10.20.0.137 ] &&
	[ '$(oc_env a CISCO_DEF_DOMAIN)' = $MAIL_DOMAIN ] && [ '$(oc_env a CISCO_SPLIT_DNS)' = corp.$MAIL_DOMAIN ]"
check "settings: split include and exclude" sh -c "
	[ '$(oc_env a CISCO_SPLIT_INC_0_ADDR)' = 10.20.0.0 ] && [ '$(oc_env a CISCO_SPLIT_INC_0_MASKLEN)' = 24 ] &&
	[ '$(oc_env a CISCO_SPLIT_EXC_0_ADDR)' = 10.20.0.128 ] && [ '$(oc_env a CISCO_SPLIT_EXC_0_MASKLEN)' = 25 ]"
check "settings: proxy PAC URL (X-CSTP-MSIE-Proxy-PAC-URL)" \
	test "$(oc_env a CISCO_PROXY_PAC)" = "http://proxy.$MAIL_DOMAIN/eng.pac"
check "settings: banner (UTF-8)" test "$(oc_env a CISCO_BANNER)" = "ようこそ / Welcome"
wait_for 60 oc_dtls a
check "datapath: DTLS established" oc_dtls a
# the kernel peer's socket came from the binder: bound to :443 by a
# process without CAP_NET_BIND_SERVICE in main, and the binder still runs
check "privileges: the binder still runs after the DTLS handshake" test "$(binder_pid)" = "$bpid"
tun=$(oc_env a TUNDEV)
check "datapath: MTU not 576" sh -c "[ \$(ip netns exec cli cat /sys/class/net/$tun/mtu) -gt 576 ]"
check "datapath: ping srv" ping_cli $SRV4
up=$(iperf_mbps -t 3); down=$(iperf_mbps -t 3 -R)
check "datapath: iperf3 up ${up:-?} / down ${down:-?} Mbit/s" test -n "$up" -a -n "$down"
rxb=$(sk_stat rx_bytes)
check "datapath: the kernel carried it (sekictl show: rx_bytes ${rxb:-?})" test "${rxb:-0}" -gt 1000000
check "sessions: alice listed" test -n "$(sk_session_id alice)"
# issue 14: sekictl diagnose in the gateway, with a tunnel up: the lines
# that need the kernel and the running daemon are ok (the others: the
# host test admin-diagnose-test)
in_gw "$SEKICTL" --store "$SK_STORE" diagnose --config "$T/sekishod.conf" --json >"$T/diagnose.json"
diag_ok() {
	jq -r --arg c "$1" '.[] | select(.check == $c) | "# \(.status) \(.en)"' "$T/diagnose.json"
	jq -e --arg c "$1" '[.[] | select(.check == $c)] | length > 0 and all(.status == "ok")' \
		"$T/diagnose.json" >/dev/null
}
for c in module device forwarding route listen-tcp listen-udp kernel-policy store server-key; do
	check "diagnose: $c ok" diag_ok $c
done
# the binder dies: the main process logs it once and goes on; the DTLS
# session it already made keeps working
lost_count() { grep -c 'DTLS binder process lost' "$T/sekishod.log"; }
kill -9 "$bpid"
check "binder death: logged once" wait_for 10 sh -c "[ \$(grep -c 'DTLS binder process lost' '$T/sekishod.log') = 1 ]"
check "binder death: the main process goes on" kill -0 "$SEKISHOD_PID"
rx0=$(sk_stat rx_bytes)
check "binder death: the DTLS tunnel still carries (ping)" ping_cli $SRV4
rx1=$(sk_stat rx_bytes)
check "binder death: ... through the kernel (rx_bytes ${rx0:-?} -> ${rx1:-?})" test "${rx1:-0}" -gt "${rx0:-0}"
addr=$(oc_env a INTERNAL_IP4_ADDRESS)
check "disconnect: SIGTERM" oc_stop a
# the BYE ends the tunnel's session; the --authenticate cookie's session
# (never connected) stays for its grace period
check "disconnect: the tunnel's session ($addr) ended" wait_for 10 sh -c "! ip netns exec gw $SEKICTL --socket $SK_SOCK session list --json | grep -q '\"$addr\"'"
no_peers() { [ "$(sk_stat peers)" = 0 ]; }
check "disconnect: the kernel peer is gone" wait_for 10 no_peers
# without the binder a new tunnel comes up on CSTP only (its data goes
# through the worker's relay into the kernel peer: sekishod-security.md,
# "the CSTP data path"), and the refused DTLS attempts are not logged again
OC_INPUT=$'secret1 パス\n' oc_connect b -u alice --passwd-on-stdin
check "binder death: a new tunnel comes up (CSTP)" oc_wait_up b 180
sleep 3		# its ClientHellos reach the DTLS port meanwhile
check "binder death: no DTLS for it" sh -c "! grep -q 'Established DTLS connection' '$T/oc-b/log'"
check "binder death: one kernel peer for it (the CSTP stream only)" test "$(sk_stat peers)" = 1
check "binder death: the CSTP-only tunnel carries (ping)" ping_cli $SRV4
check "binder death: still logged once ($(lost_count))" test "$(lost_count)" = 1
check "binder death: disconnect" oc_stop b
ktap_end
