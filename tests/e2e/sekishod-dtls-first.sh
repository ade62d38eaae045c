#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 11 item 13: the first DTLS setup after the module is loaded is
# answered at once.  The gateway holds back its final flight until the
# kernel peer has its keys; when creating the peer's AEAD transforms cost
# the crypto API's first instantiation (module loads, self-tests: 1.7 s
# under emulation), the client retransmitted its second flight before the
# answer came.  This must run first in a freshly booted VM (run-all.sh
# lists it first; the vm-6.12 stage runs it before its selftests), with
# the module loaded by this script.
#
# A capture on the gateway's client-facing link counts the handshake
# messages the client sent: exactly one ClientHello and one
# ClientKeyExchange when nothing was retransmitted.
. "$(dirname "$0")/lib.sh"
trap 'stop_bg CAP_PID; sekishod_stop; e2e_cleanup' EXIT
CAP_PID=

# dtls_client_msgs PCAP: "CH CKE" counts of the client's handshake messages
# in epoch-0 DTLS records sent to port 443 (plain pcap, Ethernet)
dtls_client_msgs() {
	$PY - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
le = data[:4] == b"\xd4\xc3\xb2\xa1"
e = "<" if le else ">"
off, ch, cke = 24, 0, 0
while off + 16 <= len(data):
    incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(pkt) < 14:
        continue
    et = struct.unpack(">H", pkt[12:14])[0]
    if et == 0x0800:
        ihl = (pkt[14] & 15) * 4
        if pkt[23] != 17:
            continue
        udp = 14 + ihl
    elif et == 0x86DD:
        if pkt[20] != 17:
            continue
        udp = 14 + 40
    else:
        continue
    if struct.unpack(">H", pkt[udp + 2:udp + 4])[0] != 443:
        continue
    p = udp + 8
    while p + 13 <= len(pkt):
        ctype, epoch = pkt[p], struct.unpack(">H", pkt[p + 3:p + 5])[0]
        rlen = struct.unpack(">H", pkt[p + 11:p + 13])[0]
        if ctype == 22 and epoch == 0 and rlen > 0:
            if pkt[p + 13] == 1:
                ch += 1
            elif pkt[p + 13] == 16:
                cke += 1
        p += 13 + rlen
print(ch, cke)
PY
}

sk_begin "dtls-first"
if lsmod | grep -q '^sekisho '; then
	# not the first: an earlier script loaded the module in this boot
	ktap_skip "first DTLS setup" "the module was loaded before this script (run it first in a fresh VM)"
	ktap_end
	exit 0
fi
check "store: group and user" sk_group eng factors=password
sk_user alice eng Secret-pass1 >/dev/null
check "sekishod: starts (loads the module)" sekishod_start || exit 1
ip netns exec gw tcpdump -i g0 -U -n -w "$T/dtls.pcap" udp port 443 2>"$T/tcpdump.log" &
CAP_PID=$!
check "capture: tcpdump listening" wait_for 30 grep -q listening "$T/tcpdump.log"
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin
check "tunnel up" oc_wait_up a 180 || exit 1
check "DTLS established" wait_for 60 oc_dtls a
sleep 1
stop_bg CAP_PID
read -r n_ch n_cke < <(dtls_client_msgs "$T/dtls.pcap")
check "first DTLS setup: one ClientHello from the client (saw ${n_ch:-?})" test "${n_ch:-0}" = 1
check "first DTLS setup: one ClientKeyExchange, not retransmitted (saw ${n_cke:-?})" test "${n_cke:-0}" = 1
check "ping srv over the tunnel" ping_cli $SRV4
oc_stop a
ktap_end
