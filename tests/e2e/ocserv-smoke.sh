#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The e2e rig proved against the reference gateway: Debian's ocserv 1.1.6
# speaks the same AnyConnect protocol as sekishod, so every helper of lib.sh
# (topology, certificates and pin, openconnect lifecycle, recorded vpnc-script
# environment, SMTP sink) is checked here with a known-good server.
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT

check "setup: netns topology, internal server, SMTP sink, test CA" e2e_setup || exit 1
diag "server pin-sha256:$PIN"
check "certificates: alice verifies against the CA" \
	openssl verify -CAfile "$CERTS/ca.pem" "$CERTS/alice.pem"
check_not "certificates: carol is revoked in the CRL" \
	openssl verify -crl_check -CAfile <(cat "$CERTS/ca.pem" "$CERTS/crl.pem") "$CERTS/carol.pem"
check_not "certificates: dave is expired" \
	openssl verify -CAfile "$CERTS/ca.pem" "$CERTS/dave.pem"
check "certificates: alice has UID and e-mail SAN" \
	sh -c "openssl x509 -in '$CERTS/alice.pem' -noout -subject -ext subjectAltName | grep -q 'UID *= *alice' &&
		openssl x509 -in '$CERTS/alice.pem' -noout -ext subjectAltName | grep -q 'email:alice@'"

check "ocserv: password file" ocserv_passwd alice 'secret1 パス'
ocserv_conf
check "ocserv: starts in gw on TCP 443" ocserv_start || exit 1
check "ocserv: UDP 443 bound (DTLS)" in_gw sh -c 'ss -lun | grep -q ":443 "'

# 1. the wrong password is refused, --authenticate succeeds with the right one
check "auth: wrong password refused" with_input $'wrong\n' oc_auth_refused -u alice --passwd-on-stdin
out=$(OC_INPUT=$'secret1 パス\n' oc_auth -u alice --passwd-on-stdin)
rc=$?
if [ $rc -eq 0 ] && grep -q '^COOKIE=' <<<"$out"; then
	ktap_result ok "auth: --authenticate prints a cookie"
else
	ktap_result fail "auth: --authenticate prints a cookie" "exit $rc: $(tail -n 10 <<<"$out")"
fi
check_not "auth: wrong server pin refused" with_pin AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
	with_input $'secret1 パス\n' oc_auth -u alice --passwd-on-stdin

# 2. a tunnel with DTLS
OC_INPUT=$'secret1 パス\n' oc_connect a1 -u alice --passwd-on-stdin
check "tunnel: openconnect backgrounds with the tun up" oc_wait_up a1 180 || { oc_log a1 | tail -n 30 | sed 's/^/# /'; exit 1; }
addr=$(oc_env a1 INTERNAL_IP4_ADDRESS)
check "tunnel: INTERNAL_IP4_ADDRESS in the pool ($addr)" sh -c "case '$addr' in 10.77.0.*) exit 0;; esac; exit 1"
check "tunnel: INTERNAL_IP6_ADDRESS in the pool" sh -c "case '$(oc_env a1 INTERNAL_IP6_ADDRESS)' in fd77:*) exit 0;; esac; exit 1"
check "tunnel: pushed DNS, WINS, domain, split DNS, banner" sh -c "
	[ '$(oc_env a1 INTERNAL_IP4_DNS)' = 10.20.0.53 ] && [ '$(oc_env a1 INTERNAL_IP4_NBNS)' = 10.20.0.137 ] &&
	[ '$(oc_env a1 CISCO_DEF_DOMAIN)' = $MAIL_DOMAIN ] && [ '$(oc_env a1 CISCO_SPLIT_DNS)' = corp.$MAIL_DOMAIN ] &&
	[ '$(oc_env a1 CISCO_BANNER)' = 'Welcome to the e2e lab' ]"
check "tunnel: split include 10.20.0.0/24 and exclude 10.20.0.128/25" sh -c "
	[ '$(oc_env a1 CISCO_SPLIT_INC)' = 1 ] && [ '$(oc_env a1 CISCO_SPLIT_INC_0_ADDR)' = 10.20.0.0 ] &&
	[ '$(oc_env a1 CISCO_SPLIT_INC_0_MASKLEN)' = 24 ] && [ '$(oc_env a1 CISCO_SPLIT_EXC_0_MASKLEN)' = 25 ] &&
	[ '$(oc_env a1 CISCO_IPV6_SPLIT_INC_0_ADDR)' = fd20:: ]"
# DTLS comes up after the CSTP tunnel; give the handshake time under TCG
wait_for 30 oc_dtls a1
check "tunnel: DTLS established" oc_dtls a1 && diag "$(oc_dtls a1 | sed 's/.*Established/Established/')"
tun=$(oc_env a1 TUNDEV)
mtu=$(in_cli cat "/sys/class/net/$tun/mtu")
check "tunnel: MTU $mtu is not the 576 fallback (DPD echo works)" sh -c "[ '$mtu' -gt 576 ] && [ '$(oc_env a1 INTERNAL_IP4_MTU)' = '$mtu' ]"
check "tunnel: route to srv via $tun" sh -c "ip netns exec cli ip route get $SRV4 | grep -q 'dev $tun'"
check "tunnel: ping srv over IPv4" ping_cli $SRV4
check "tunnel: ping srv over IPv6" ping_cli $SRV6
check "tunnel: tcp/22 on srv reachable" tcp_probe $SRV4 22
rx0=$(in_cli cat "/sys/class/net/$tun/statistics/rx_bytes")
up=$(iperf_mbps -t 3)
down=$(iperf_mbps -t 3 -R)
rx1=$(in_cli cat "/sys/class/net/$tun/statistics/rx_bytes")
check "tunnel: iperf3 to srv (up ${up:-?} Mbit/s, down ${down:-?} Mbit/s) through $tun" \
	sh -c "[ -n '$up' ] && [ -n '$down' ] && [ $((rx1 - rx0)) -gt 1000000 ]"
check "tunnel: ocserv data went over UDP (DTLS), not only TCP" \
	sh -c "ip netns exec gw cat /proc/net/snmp | awk '/^Udp: [0-9]/ {exit !(\$2 > 1000)}'"

# 3. lifecycle
pid=$(oc_pid a1)
check "lifecycle: SIGTERM ends the client" oc_stop a1
check "lifecycle: disconnect recorded, tun gone" sh -c "grep -q disconnect '$T/oc-a1/reasons' && ! ip netns exec cli ip link show '$tun'"
check "lifecycle: pid file removed" sh -c "! kill -0 $pid 2>/dev/null && [ ! -e '$T/oc-a1/pid' ]"

# 4. IPv6 transport to the gateway
OC_INPUT=$'secret1 パス\n' oc_connect a6 -u alice --passwd-on-stdin --resolve "$VPN_HOST:$GW6" --no-dtls
check "tunnel over IPv6 transport, CSTP only" oc_wait_up a6 180 && check "IPv6 transport: ping srv" ping_cli $SRV4
oc_stop a6

# 5. the SMTP sink: a real mail, base64 UTF-8 body, read back by mail_wait_code
code=$(printf '%06d' $((RANDOM % 1000000)))
body=$(printf 'ワンタイムパスワード / one-time code: %s\n有効期限 5 分\n' "$code" | base64)
printf 'From: gw@%s\r\nTo: alice@%s\r\nSubject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n' \
	"$MAIL_DOMAIN" "$MAIL_DOMAIN" "$(printf 'ワンタイムパスワード' | base64)" "$body" >"$T/mail.txt"
check "smtp: curl delivers from cli to gw:25" in_cli curl -sS --max-time 20 "smtp://$GW4:25" \
	--mail-from "gw@$MAIL_DOMAIN" --mail-rcpt "alice@$MAIL_DOMAIN" --upload-file "$T/mail.txt"
got=$(mail_wait_code "alice@$MAIL_DOMAIN" 20)
check "smtp: mail_wait_code decodes the code ($code)" test "$got" = "$code"
check_not "smtp: the same mail is not returned twice" mail_wait_code "alice@$MAIL_DOMAIN" 1
check_not "smtp: no mail for bob" mail_wait_code "bob@$MAIL_DOMAIN" 1

ocserv_stop
ktap_end
