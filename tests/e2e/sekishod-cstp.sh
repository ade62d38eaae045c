#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scenario: a tunnel without UDP (openconnect --no-dtls) carries data over
# CSTP.  After the CONNECT the worker hands the TLS connection to the
# kernel (kernel TLS, stream kind ktls, issue 16): sekisho.ko reads and
# writes the CSTP frames itself, answers DPD, and ends the session on the
# client's DISCONNECT.  TLS 1.3 (openconnect's default) and TLS 1.2 with
# ChaCha20-Poly1305 (GnuTLS told so by a priority file) are handed over, a
# CBC suite is not: the worker relays it through an AF_UNIX SOCK_SEQPACKET
# socket (PEER_STREAM) as before, and `session show` says why.  Either way
# the kernel checks, counts and routes the packets as it does DTLS
# records: the allowlist applies the same.  A client that asks for DTLS
# behind a firewall that drops UDP (nft in the client's namespace) gets
# kernel TLS too; a DTLS client's TLS side is handed over as well, and its
# DTLS handshake joins the live kernel peer (PEER_SET with the UDP socket,
# the stream untouched), also after a reconnect; once the kernel has the
# client's DTLS records the worker leaves, so no process is left for the
# session (DPD, reconnect with the cookie, logout and `session kill` work
# without it); `session kill` ends a TLS-only tunnel and its kernel peer.
. "$(dirname "$0")/lib.sh"
trap 'sekishod_stop; e2e_cleanup' EXIT
sk_begin "CSTP data path (TLS only)"

# kpeer_get ID stats FIELD: one counter of kernel peer ID (sekictl peer
# show --json), empty if there is no such peer; kpeer_get ID dtls FIELD:
# the peer's remote_port, or its primary key's FIELD (rx_seq: the highest
# DTLS record number received under that key)
kpeer_get() {
	in_gw "$SEKICTL" peer show sk0 "$1" --json 2>/dev/null | $PY -c '
import json, sys
pid, mode, field = sys.argv[1:4]
def walk(o):
    if isinstance(o, dict):
        if str(o.get("id")) == pid and (isinstance(o.get("stats"), dict) if mode == "stats" else "keys" in o):
            yield o
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for p in walk(d):
    if mode == "stats":
        print(p["stats"].get(field, 0))
    elif field == "remote_port":
        print(p.get("remote_port", ""))
    else:
        for k in p["keys"]:
            if k.get("slot") == "primary":
                print(k.get(field, ""))
                break
    break' "$1" "$2" "$3"
}
kpeer_stat() { kpeer_get "$1" stats "$2"; }
kpeer_dtls() { kpeer_get "$1" dtls "$2"; }
# gt A B: A is a number greater than B
gt() { [ -n "$1" ] && [ "$1" -gt "$2" ] 2>/dev/null; }
# mbps_pos VALUE: iperf_mbps printed a rate above 0
mbps_pos() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1] or 0) > 0 else 1)' "${1:-0}"; }
has_peer() { [ -n "$(kpeer_stat "$1" rx_packets)" ]; }
# port_moved ID OLD: the peer's DTLS socket goes to another client port
port_moved() {
	local p
	p=$(kpeer_dtls "$1" remote_port)
	[ -n "$p" ] && [ "$p" != "$2" ] && echo "# now port $p"
}
no_peer() { ! has_peer "$1"; }
# stat_gt ID FIELD N: kernel peer counter FIELD is above N
stat_gt() { gt "$(kpeer_stat "$1" "$2")" "$3"; }
# shows ID TEXT: `session show ID` contains TEXT (the stream: line)
shows() { skctl_live session show "$1" | grep -F -- "$2"; }
no_session() { [ -z "$(sk_session_id "$1")" ]; }
# worker_left ID: the worker of session ID (session show's pid) has exited
worker_left() {
	local pid
	pid=$(skctl_live session show "$1" | awk '$1 == "pid" { print $2 }')
	[ -n "$pid" ] && [ "$pid" != 0 ] && ! kill -0 "$pid" 2>/dev/null
}
logged_out() { skctl_live audit list --type session-end --user "$1" | grep -q logout; }
# gnutls_conf FILE LINES...: a GnuTLS priority override file for the
# client (GNUTLS_SYSTEM_PRIORITY_FILE): the gateway offers every suite,
# the client picks what the test needs
gnutls_conf() {
	local f=$1
	shift
	printf '[overrides]\n' >"$f"
	printf '%s\n' "$@" >>"$f"
}
# gnutls_client TAG NAME USER PASSWORD SUITE STREAM OVERRIDES...: a
# --no-dtls client whose GnuTLS is told OVERRIDES; checks that it comes
# up, speaks SUITE (a regex on its log) and that `session show` says
# STREAM; cid = its session id.  False if it did not come up.
gnutls_client() {
	local tag=$1 c=$2 user=$3 pw=$4 suite=$5 stream=$6
	shift 6
	gnutls_conf "$T/$c.conf" "$@"
	(
		export GNUTLS_SYSTEM_PRIORITY_FILE=$T/$c.conf
		OC_INPUT="$pw"$'\n' oc_connect "$c" -u "$user" --authgroup eng --passwd-on-stdin --no-dtls
	)
	check "$tag: tunnel up" oc_wait_up "$c" 180 || return 1
	cid=$(sk_session_id "$user")
	check "$tag: the client's suite is $suite" grep -q "$suite" "$T/oc-$c/log"
	check "$tag: session show: stream $stream" shows "$cid" "$stream"
}

check "store: policy ssh-only" skctl policy add ssh-only
check "store: rule allow tcp 10.20.0.0/24 port 22" skctl policy rule add ssh-only allow tcp 10.20.0.0/24 port 22
check "store: group eng (policy internal)" sk_group eng factors=password
check "store: group ops (policy ssh-only)" sk_group ops factors=password policy=ssh-only
sk_user alice eng Secret-pass1 >/dev/null
sk_user bob ops Secret-pass2 >/dev/null
sk_user carol eng Secret-pass3 >/dev/null
sk_user dave eng Secret-pass4 >/dev/null
sk_user erin eng Secret-pass5 >/dev/null
sk_user frank eng Secret-pass6 >/dev/null
sk_user gina eng Secret-pass7 >/dev/null
# DPD every 5 s: the kernel's answers show within seconds
check "store: session.dpd 5" skctl settings set session.dpd 5
# kernel TLS for clients offered DTLS too: the default
check "store: session.ktls_dtls on by default" test "$(skctl settings show session.ktls_dtls)" = on
check "sekishod: starts" sekishod_start || exit 1

# ---- alice: TLS only ----
OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --authgroup eng --passwd-on-stdin --no-dtls
check "no-dtls: tunnel up" oc_wait_up a 180 || exit 1
id=$(sk_session_id alice)
check "no-dtls: session id ${id:-?}" test -n "$id"
check "no-dtls: the kernel peer exists from CONNECT on" wait_for 20 has_peer "$id"
# no DTLS asked for: once the kernel has the TLS stream the worker leaves;
# everything below runs without a process for this session
check "no-dtls: the session's worker has exited (kernel TLS carries it all)" wait_for 20 worker_left "$id"
check "no-dtls: ping srv over CSTP" ping_cli $SRV4
mtu=$(oc_env a INTERNAL_IP4_MTU)
check "no-dtls: MTU ${mtu:-?} holds a 1328-byte packet" gt "${mtu:-0}" 1327
check "no-dtls: 1300-byte ping, no fragmentation" in_cli ping -c 2 -W 3 -M do -s 1300 $SRV4
up=$(iperf_mbps -t 3)
check "no-dtls: iperf3 up ${up:-?} Mbit/s" mbps_pos "$up"
down=$(iperf_mbps -t 3 -R)
check "no-dtls: iperf3 down ${down:-?} Mbit/s" mbps_pos "$down"
rx=$(kpeer_stat "$id" rx_packets)
tx=$(kpeer_stat "$id" tx_packets)
check "no-dtls: the kernel counted it (rx_packets ${rx:-?}, tx_packets ${tx:-?})" sh -c "[ \"${rx:-0}\" -gt 100 ] && [ \"${tx:-0}\" -gt 100 ]"
check_not "no-dtls: DTLS never established" oc_dtls a
check "ktls: session show: stream ktls (TLS 1.3)" shows "$id" "ktls (TLS 1.3"
check "ktls: the gateway's TCP socket has kernel TLS both ways" in_gw sh -c "grep -q '^TlsCurrTxSw[[:space:]]*[1-9]' /proc/net/tls_stat && grep -q '^TlsCurrRxSw[[:space:]]*[1-9]' /proc/net/tls_stat"
check "ktls: the kernel answers the client's DPD" wait_for 30 stat_gt "$id" dpd_answered 0
check "kill: session kill $id" skctl_live session kill "$id"
check "kill: the client loses its tunnel" wait_for 60 sh -c "! kill -0 $(oc_pid a) 2>/dev/null || ! ip netns exec cli ip link show $(oc_env a TUNDEV)"
check "kill: the kernel peer is gone" wait_for 20 no_peer "$id"
oc_stop a

# ---- bob: TLS only, allowlist tcp/22 ----
OC_INPUT=$'Secret-pass2\n' oc_connect b -u bob --authgroup ops --passwd-on-stdin --no-dtls
if check "policy: tunnel up (no-dtls)" oc_wait_up b 180; then
	bid=$(sk_session_id bob)
	d0=$(kpeer_stat "$bid" drop_policy)
	check "policy: tcp/22 allowed over CSTP" within 15 tcp_probe $SRV4 22
	check_not "policy: tcp/3389 dropped over CSTP" tcp_probe $SRV4 3389
	d1=$(kpeer_stat "$bid" drop_policy)
	check "policy: counted as policy drops on the peer (${d0:-?} -> ${d1:-?})" gt "${d1:-0}" "${d0:-0}"
	check_not "policy: DTLS never established" oc_dtls b
	oc_stop b
fi

# ---- dave: TLS 1.2 with ChaCha20-Poly1305, reconnect, logout ----
if gnutls_client tls1.2 d dave Secret-pass4 'ciphersuite (TLS1.2).*(CHACHA20-POLY1305)' \
	"ktls (TLS 1.2, chacha20-poly1305)" "disabled-version = tls1.3" \
	"tls-disabled-cipher = AES-256-GCM" "tls-disabled-cipher = AES-128-GCM"; then
	did=$cid
	check "tls1.2: ping srv" ping_cli $SRV4
	up=$(iperf_mbps -t 3)
	check "tls1.2: iperf3 up ${up:-?} Mbit/s" mbps_pos "$up"
	down=$(iperf_mbps -t 3 -R)
	check "tls1.2: iperf3 down ${down:-?} Mbit/s" mbps_pos "$down"
	check "tls1.2: the kernel counted it" stat_gt "$did" rx_packets 100
	kill -USR2 "$(oc_pid d)"
	check "tls1.2: reconnect recorded" wait_for 90 test -f "$T/oc-d/reconnect.env"
	check "tls1.2: the same session after the reconnect" test "$(sk_session_id dave)" = "$did"
	check "tls1.2: ping srv after the reconnect" within 30 ping_cli $SRV4
	check "tls1.2: the new connection is on kernel TLS too" wait_for 20 stat_gt "$did" rx_packets 0
	check "tls1.2: still stream ktls" shows "$did" "ktls (TLS 1.2"
	# SIGINT: openconnect says DISCONNECT, which the kernel passes up
	kill -INT "$(oc_pid d)"
	check "logout: the client's DISCONNECT ends the session" wait_for 30 no_session dave
	check "logout: the kernel peer is gone" wait_for 20 no_peer "$did"
	check "logout: audited as logout" logged_out dave
	oc_stop d
fi

# ---- erin: a CBC suite, which kernel TLS cannot carry: the relay ----
if gnutls_client cbc e erin Secret-pass5 'ciphersuite (TLS1.2).*-CBC)' "relay (cipher)" \
	"disabled-version = tls1.3" "tls-disabled-cipher = AES-256-GCM" \
	"tls-disabled-cipher = AES-128-GCM" "tls-disabled-cipher = CHACHA20-POLY1305" \
	"tls-disabled-cipher = AES-256-CCM" "tls-disabled-cipher = AES-128-CCM"; then
	eid=$cid
	check "cbc: ping srv through the worker's relay" ping_cli $SRV4
	check "cbc: the kernel counted it" stat_gt "$eid" rx_packets 0
	oc_stop e
fi

# ---- frank: asks for DTLS, but the network drops UDP (hotels, mobile
# networks): the fall-back a user meets is CSTP, carried by the kernel ----
udp_block() {
	in_cli nft -f - <<NFT
table inet udpblock {
	chain out { type filter hook output priority 0; policy accept; ip daddr $GW4 udp dport 443 counter drop; }
}
NFT
}
udp_dropped() { in_cli nft list table inet udpblock | grep -q 'packets [1-9]'; }
# dtls_block: the client's DTLS dropped both ways where it arrives (the
# gateway's input for the client's datagrams, the client's input for the
# gateway's): a drop in the client's own output chain fails its send
# (EPERM), and GnuTLS gives that handshake up at once ("Error in the push
# function"): openconnect then waited 60 s for the next one.  The gateway's
# first rule counts the client's DTLS handshake records (content type 22).
dtls_block() {
	in_gw nft -f - <<NFT && in_cli nft -f - <<NFT2
table inet dtlsblock {
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr $CLI4 udp dport 443 @th,64,8 0x16 counter drop
		ip saddr $CLI4 udp dport 443 counter drop
	}
}
NFT
table inet dtlsblock {
	chain in { type filter hook input priority 0; policy accept; ip saddr $GW4 udp sport 443 counter drop; }
}
NFT2
}
dtls_unblock() { in_gw nft delete table inet dtlsblock; in_cli nft delete table inet dtlsblock; }
# hello_dropped: a DTLS handshake record of the client's was dropped (her
# DTLS DPD declared the gateway dead and she starts a new handshake)
hello_dropped() { in_gw nft list chain inet dtlsblock in | grep -m1 'counter packets' | grep -q 'packets [1-9]'; }
tls_sockets() { in_gw sh -c "grep -q '^TlsCurrRxSw[[:space:]]*[1-9]' /proc/net/tls_stat"; }
check "udp blocked: nft drops UDP to the gateway in ns cli" udp_block
# gina: her worker waits for DTLS (session.dtls_wait, 300 s here: longer
# than this case, whatever the default) and dies: the kernel carries her
# TLS connection, so her session is not detached (it was, and ended after
# session.grace under a client that noticed nothing)
skctl_live settings set session.dtls_wait 300 >/dev/null
OC_INPUT=$'Secret-pass7\n' oc_connect g -u gina --authgroup eng --passwd-on-stdin
if check "worker killed: tunnel up (UDP blocked)" oc_wait_up g 180; then
	gid=$(sk_session_id gina)
	gpid=$(skctl_live session show "$gid" | awk '$1 == "pid" { print $2 }')
	skctl_live settings set session.grace 3 >/dev/null
	check "worker killed: its worker ${gpid:-?} (waiting for DTLS) killed" kill -KILL "${gpid:-0}"
	sleep 6		# beyond session.grace
	check "worker killed: the session stays (the kernel carries it)" test "$(sk_session_id gina)" = "$gid"
	check "worker killed: ping srv" ping_cli $SRV4
	skctl_live settings set session.grace 300 >/dev/null
	oc_stop g
fi
# the worker waits this long for a DTLS handshake that cannot come
check "udp blocked: session.dtls_wait 8" skctl_live settings set session.dtls_wait 8
OC_INPUT=$'Secret-pass6\n' oc_connect f -u frank --authgroup eng --passwd-on-stdin
if check "udp blocked: tunnel up" oc_wait_up f 180; then
	fid=$(sk_session_id frank)
	check "udp blocked: session show: stream ktls (TLS 1.3)" shows "$fid" "ktls (TLS 1.3"
	check "udp blocked: ping srv over CSTP" ping_cli $SRV4
	up=$(iperf_mbps -t 2)
	check "udp blocked: iperf3 up ${up:-?} Mbit/s" mbps_pos "$up"
	check "udp blocked: the kernel counted it" stat_gt "$fid" rx_packets 100
	check "udp blocked: the gateway's socket has kernel TLS" tls_sockets
	check "udp blocked: the client's DTLS was dropped by the firewall" udp_dropped
	check_not "udp blocked: DTLS never established" oc_dtls f
	check "udp blocked: after session.dtls_wait the worker has exited" wait_for 30 worker_left "$fid"
	check "udp blocked: ping srv without a worker" ping_cli $SRV4
	# the administrator's kill: main writes the DISCONNECT itself
	check "udp blocked: session kill $fid (no worker)" skctl_live session kill "$fid"
	check "udp blocked: the client loses its tunnel" wait_for 60 sh -c "! kill -0 $(oc_pid f) 2>/dev/null || ! ip netns exec cli ip link show $(oc_env f TUNDEV)"
	check "udp blocked: the kernel peer is gone" wait_for 20 no_peer "$fid"
	oc_stop f
fi
in_cli nft delete table inet udpblock
skctl_live settings set session.dtls_wait 60 >/dev/null	# the default

# ---- carol: DTLS as usual; its TLS side is on kernel TLS too, and the
# DTLS handshake joins the live kernel peer ----
# --force-dpd 3: her DTLS DPD declares a gateway dead within seconds
# (the new handshake after the worker left, below)
OC_INPUT=$'Secret-pass3\n' oc_connect c -u carol --authgroup eng --passwd-on-stdin --force-dpd 3
if check "dtls: tunnel up" oc_wait_up c 180; then
	ccid=$(sk_session_id carol)
	check "dtls: established" wait_for 60 oc_dtls c
	check "dtls: session show: stream ktls (TLS 1.3)" shows "$ccid" "ktls (TLS 1.3"
	check "dtls: the gateway's TLS socket is still on kernel TLS" tls_sockets
	rx0=$(kpeer_stat "$ccid" rx_packets)
	check "dtls: ping srv" ping_cli $SRV4
	check "dtls: the same kernel peer counted it (rx_packets ${rx0:-?} and up)" stat_gt "$ccid" rx_packets "${rx0:-0}"
	# the kernel has the client's DTLS records and the TLS stream: the
	# worker leaves, nothing runs for this session any more
	check "dtls: the session's worker has exited (TLS and DTLS in the kernel)" wait_for 30 worker_left "$ccid"
	d0=$(kpeer_stat "$ccid" dpd_answered)
	check "dtls: ping srv without a worker" ping_cli $SRV4
	check "dtls: the kernel answers the client's DPD (${d0:-?} and up)" wait_for 30 stat_gt "$ccid" dpd_answered "${d0:-0}"
	# ---- a new DTLS handshake after the worker left (issue 16): her
	# UDP dropped until her DTLS DPD declares the gateway dead, then let
	# through; openconnect handshakes again from a new port, main starts a
	# DTLS worker with the PSK it kept, which leaves with the keys in the
	# kernel ----
	t_nd=$(date +%s)
	n0=$(grep -c 'Established DTLS connection' "$T/oc-c/log")
	p0=$(kpeer_dtls "$ccid" remote_port)
	check "new dtls: nft drops carol's UDP both ways" dtls_block
	# (the firewall sees her new handshake; openconnect logs "DTLS Dead
	# Peer Detection" only when its sends did not fail)
	check "new dtls: her DTLS DPD gives the gateway up: a new ClientHello (dropped)" wait_for 60 hello_dropped || {
		echo "# her log's end, and the firewall's counters:"
		tail -n 25 "$T/oc-c/log" | sed 's/^/#   /'
		in_gw nft list table inet dtlsblock 2>&1 | sed 's/^/#   /'
	}
	dtls_unblock
	check "new dtls: a new DTLS handshake completes (without a resident worker)" wait_for 90 sh -c "[ \$(grep -c 'Established DTLS connection' '$T/oc-c/log') -gt $n0 ]"
	# what the daemon and the client said about it (the time it took)
	grep -E "session $ccid: .*DTLS" "$T/sekishod.log" | tail -n 6 | sed 's/^/#   gw: /'
	grep -E 'DTLS|dead peer' "$T/oc-c/log" | tail -n 6 | sed 's/^/#   carol: /'
	dpid=$(sed -n "s/.*session $ccid: a DTLS handshake from .* without a worker: DTLS worker \([0-9]*\).*/\1/p" "$T/sekishod.log" | tail -n 1)
	check "new dtls: main started a DTLS worker (${dpid:-none}) for it" test -n "$dpid"
	check "new dtls: the kernel peer has her new port (was ${p0:-?})" wait_for 20 port_moved "$ccid" "${p0:-x}"
	s0=$(kpeer_dtls "$ccid" rx_seq)
	rx0=$(kpeer_stat "$ccid" rx_packets)
	check "new dtls: ping srv" ping_cli $SRV4
	s1=$(kpeer_dtls "$ccid" rx_seq)
	check "new dtls: the kernel received her DTLS records under the new key (rx_seq ${s0:-?} -> ${s1:-?})" gt "${s1:-}" "${s0:-999999999}"
	check "new dtls: and counted the packets (rx_packets ${rx0:-?} and up)" stat_gt "$ccid" rx_packets "${rx0:-0}"
	check "new dtls: the DTLS worker ${dpid:-?} has exited" wait_for 30 sh -c "[ -n '$dpid' ] && ! kill -0 '$dpid' 2>/dev/null"
	check "new dtls: the session's worker is still gone" worker_left "$ccid"
	echo "# new dtls: the part took $(($(date +%s) - t_nd)) s"
	kill -USR2 "$(oc_pid c)"
	check "dtls: reconnect recorded" wait_for 90 test -f "$T/oc-c/reconnect.env"
	# between the new CONNECT and the new DTLS handshake the stream
	# carries the data; after it, DTLS again
	check "dtls: ping srv right after the reconnect (cookie, no worker before it)" within 30 ping_cli $SRV4
	check "dtls: DTLS again after the reconnect" wait_for 60 sh -c "[ \$(grep -c 'Established DTLS connection' '$T/oc-c/log') -ge 2 ]"
	check "dtls: ping srv after the new DTLS handshake" ping_cli $SRV4
	check "dtls: after the reconnect still stream ktls" shows "$ccid" "ktls (TLS 1.3"
	check "dtls: the new worker has exited too" wait_for 30 worker_left "$ccid"
	# SIGINT: openconnect's DISCONNECT on the kernel's TLS stream
	kill -INT "$(oc_pid c)"
	check "dtls: the client's DISCONNECT ends the session (no worker)" wait_for 30 no_session carol
	check "dtls: the kernel peer is gone" wait_for 20 no_peer "$ccid"
	check "dtls: audited as logout" logged_out carol
	oc_stop c
fi
ktap_end
