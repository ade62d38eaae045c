#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kTLS stream of a peer (SEKISHO_A_PEER_STREAM_KIND ktls): a real TLS
# handshake (sk-ktls-gw, OpenSSL) on the gateway, kernel TLS installed and
# the socket handed to the module; a real TLS client (Python's ssl) in the
# cli namespace speaks CSTP.  TLS 1.2 and 1.3 with AES-128-GCM, AES-256-GCM
# and ChaCha20-Poly1305; pings both ways, DPD and keepalive, DISCONNECT, a
# tampered record, a record cut short, a reset under traffic, an alert, bad
# CSTP headers; then the DTLS side added to a live kTLS peer under traffic
# (PEER_SET with a UDP socket, KEY_NEW; sk-testpeer as the DTLS client),
# pings over both, a new UDP socket, the UDP socket closed; rmmod with
# traffic on both.  Skips when the kernel has no TLS.
# Output: KTAP result lines (run-all.sh numbers them).
. "$(dirname "$0")/lib.sh"
trap 'topo_down; rm -rf "$T"' EXIT
KTLS_GW=${KTLS_GW:-$BUILD/sk-ktls-gw}

# a module, or built in (the debug kernel would have CONFIG_TLS=y)
if ! modprobe tls 2>/dev/null && [ ! -e /proc/net/tls_stat ]; then
	ktap_skip "ktls" "no tls module in this kernel (CONFIG_TLS): kTLS streams cannot be tested"
	exit 0
fi
if [ ! -x "$KTLS_GW" ]; then
	ktap_result fail "ktls: $KTLS_GW is built (make -C userspace)"
	exit 1
fi
check "module loads" load_module || exit 1
check "topology" topo_up || exit 1
check "allow-all policy" in_gw "$SEKICTL" kpolicy add sk0 1 "allow any any4" "allow any any6"
check "DTLS keys" gen_keys aes128-gcm
T=$T TESTPEER=$TESTPEER in_gw python3 "$(dirname "$0")/ktls.py" sk0 "$KTLS_GW" "$SEKICTL" | grep -v '^1\.\.'
check_not "ktls: the module is gone after rmmod" grep -q "^sekisho " /proc/modules
