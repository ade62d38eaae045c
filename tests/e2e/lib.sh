#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the end-to-end tests: the real openconnect client, a real
# gateway (ocserv today, sekishod when it lands), a real SMTP server, real
# certificates and a real internal host, each in its own network namespace.
# Run as root, normally inside the VM (scripts/vm-run -- tests/e2e/run-all.sh);
# the host works too when it has ip netns and /dev/net/tun.
#
# Topology:
#   ns cli  c0 10.10.1.2/24 fd10:1::2/64 ──veth── g0 10.10.1.1/24 fd10:1::1/64  ns gw
#           tunN (openconnect) 10.77.0.x fd77::x                 gateway :443 TCP+UDP, SMTP :25
#   ns srv  s0 10.20.0.2/24 fd20::2/64   ──veth── g1 10.20.0.1/24 fd20::1/64   ns gw (forwarding)
#           iperf3 :5201, tcp/22, tcp/3389 (socat banners), ping target
# The VPN pool is 10.77.0.0/24 + fd77::/48; srv routes it back through gw.
# "vpn.test" is resolved with openconnect's --resolve, so no DNS is needed.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(cd "$E2E_DIR/../.." && pwd)}
T=${T:-$(mktemp -d /tmp/sekisho-e2e.XXXXXX)}
mkdir -p "$T" && chmod 0755 "$T" || exit 1	# ocserv workers (nobody) use its sockets
# KTAP helpers (ktap_result, check, check_not, diag, wait_for, ktap_end) and
# in_cli/in_gw/in_srv come from the selftests so that both suites print the
# same way; their module topology functions are not used here.  in_gw is
# the whole `ip netns exec` here (sekictl diagnose reads the namespace's
# /sys).
GW_NSENTER=0
. "$REPO/tests/selftests/lib.sh"

# The VM's PATH starts with /usr/local/bin; a developer's pyenv shim must not
# replace the Debian python3 that has aiosmtpd.
PY=${PY:-/usr/bin/python3}
OPENCONNECT=${OPENCONNECT:-openconnect}
GW4=10.10.1.1
GW6=fd10:1::1
CLI4=10.10.1.2
SRV4=10.20.0.2
SRV6=fd20::2
POOL4=10.77.0.0/24
POOL6=fd77::/48
VPN_HOST=vpn.test
VPN_URL=https://$VPN_HOST/
MAIL_DOMAIN=example.test
CERTS=$T/certs
MAILDIR=$T/maildir

# --------------------------------------------------------------------------
# Topology
# --------------------------------------------------------------------------
e2e_modules() {
	# The guest boots Debian's kernel: tun and veth are modules there.
	modprobe tun 2>/dev/null
	modprobe veth 2>/dev/null
	[ -c /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; }
	[ -c /dev/net/tun ]
}

e2e_topo_up() {
	local ns
	e2e_modules || { echo "no /dev/net/tun" >&2; return 1; }
	for ns in cli gw srv; do
		# the previous scenario's cleanup may still be under way (the
		# 50 clients of sekishod-scale.sh, an `ip netns exec` that held
		# the namespace when it was deleted): end it first
		if [ -e /run/netns/$ns ]; then
			ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
			wait_for 10 ip netns del $ns
		fi
	done
	# One `ip -batch` per namespace and two sysctl runs, not a program per
	# address and route: under TCG each program costs a good part of a
	# second, and every scenario builds this topology.
	ip -batch - <<-EOF || return 1
		netns add cli
		netns add gw
		netns add srv
		link add c0 netns cli type veth peer name g0 netns gw
		link add s0 netns srv type veth peer name g1 netns gw
	EOF
	ip -n cli -batch - <<-EOF || return 1
		link set lo up
		addr add $CLI4/24 dev c0
		addr add fd10:1::2/64 dev c0 nodad
		link set c0 up
	EOF
	ip -n gw -batch - <<-EOF || return 1
		link set lo up
		addr add $GW4/24 dev g0
		addr add $GW6/64 dev g0 nodad
		addr add 10.20.0.1/24 dev g1
		addr add fd20::1/64 dev g1 nodad
		link set g0 up
		link set g1 up
	EOF
	ip -n srv -batch - <<-EOF || return 1
		link set lo up
		addr add $SRV4/24 dev s0
		addr add $SRV6/64 dev s0 nodad
		link set s0 up
		route add $POOL4 via 10.20.0.1
		route add $POOL6 via fd20::1
	EOF
	# openconnect refuses nothing here, but the rp_filter of some kernels
	# drops the asymmetric first packets of a tun that has no route yet.
	in_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 &&
		in_cli sysctl -qw net.ipv4.conf.all.rp_filter=0
}

e2e_topo_down() {
	local ns f
	for f in "$T"/oc-*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	for ns in cli gw srv; do
		ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.3
	for ns in cli gw srv; do
		ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del $ns 2>/dev/null
	done
	{ wait; } 2>/dev/null	# reap the killed helpers quietly
	return 0
}

# --------------------------------------------------------------------------
# The internal server (ns srv): iperf3, banners on tcp/22 and tcp/3389
# --------------------------------------------------------------------------
srv_up() {
	local p
	in_srv iperf3 -s -D --pidfile "$T/iperf3.pid" >/dev/null 2>&1 || return 1
	for p in 22 3389; do
		ip netns exec srv socat TCP6-LISTEN:$p,ipv6only=0,reuseaddr,fork \
			SYSTEM:"echo srv-$p" >/dev/null 2>&1 &
	done
	wait_for 10 srv_listening
}
# srv_listening: socat on tcp/3389 and iperf3 on tcp/5201 listen (one ss
# run a try, where a shell and grep would be three more programs)
srv_listening() {
	local l
	l=$(in_srv ss -Hltn 2>/dev/null) && [[ $l == *":3389 "* && $l == *":5201 "* ]]
}

# tcp_probe HOST PORT: from cli, succeed when the banner "srv-PORT" arrives.
# within SECONDS CMD...: retry CMD until it succeeds or SECONDS of wall time
# pass (wait_for counts tries of 0.1 s, too long for a CMD that itself
# waits, like a TCP probe that is dropped)
within() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		nap 0.5
	done
}

tcp_probe() {
	local out
	out=$(in_cli timeout 10 socat -T 3 - "TCP:$1:$2,connect-timeout=4" </dev/null 2>/dev/null)
	[ "$out" = "srv-$2" ]
}

# iperf_mbps [iperf3 client args...]: Mbit/s received, from cli to srv.
iperf_mbps() {
	in_cli iperf3 -c $SRV4 -J "$@" 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e5 | round / 10'
}

# --------------------------------------------------------------------------
# SMTP: a real SMTP server (aiosmtpd) in gw that stores every message in a
# maildir; mail_wait_code reads the newest unread message to an address.
# --------------------------------------------------------------------------
smtp_up() {
	mkdir -p "$MAILDIR"/tmp "$MAILDIR"/new "$MAILDIR"/cur	# Mailbox wants a complete maildir
	ip netns exec gw $PY -m aiosmtpd -n -l "$GW4:25" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
		>"$T/smtp.log" 2>&1 &
	SMTP_PID=$!
	wait_for 20 in_gw sh -c 'ss -ltn | grep -q "10.10.1.1:25 "'
}

# mail_wait_code ADDRESS [SECONDS]: wait for a message to ADDRESS that was not
# returned before, print the 6-digit code of its body (any transfer encoding
# and charset; the email package decodes base64/quoted-printable and UTF-8).
mail_wait_code() {
	local addr=$1 limit=${2:-30} i=0 code n last=-1
	while [ $i -lt $((limit * 5)) ]; do
		# Python reads the maildir only when a message came since its last
		# look (its start costs about a second under TCG)
		n=$(mail_files)
		if [ "$n" = "$last" ]; then
			i=$((i + 1))
			nap 0.2
			continue
		fi
		last=$n
		code=$($PY - "$MAILDIR" "$addr" "$T/mail.seen" <<'PY'
import email, email.policy, os, re, sys
box, addr, seen_file = sys.argv[1], sys.argv[2].lower(), sys.argv[3]
seen = set(open(seen_file).read().split()) if os.path.exists(seen_file) else set()
found = []
for sub in ("new", "cur"):
    d = os.path.join(box, sub)
    for name in os.listdir(d) if os.path.isdir(d) else []:
        key = name.split(":")[0]
        if key in seen:
            continue
        path = os.path.join(d, name)
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        rcpts = " ".join(str(v) for h in ("X-RcptTo", "To") for v in msg.get_all(h, [])).lower()
        if addr not in rcpts:
            continue
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        m = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", text)
        found.append((os.path.getmtime(path), key, m.group(1) if m else None))
if found:
    found.sort()    # oldest unread first: codes are returned in sending order
    _, key, code = found[0]
    with open(seen_file, "a") as f:
        f.write(key + "\n")
    print(code or "NOCODE")
PY
)
		if [ -n "$code" ]; then
			[ "$code" = NOCODE ] && { echo "mail to $addr has no 6-digit code" >&2; return 1; }
			echo "$code"
			return 0
		fi
		i=$((i + 1))
		nap 0.2
	done
	echo "no new mail to $addr within ${limit}s" >&2
	return 1
}

# mail_files: how many messages the maildir holds (a builtin glob, no process)
mail_files() {
	local f n=0
	for f in "$MAILDIR"/new/* "$MAILDIR"/cur/*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo $n
}

# mail_count ADDRESS: how many messages to ADDRESS arrived (read or not).
mail_count() {
	grep -lis "^X-RcptTo:.*$1" "$MAILDIR"/new/* "$MAILDIR"/cur/* 2>/dev/null | wc -l
}

# --------------------------------------------------------------------------
# Certificates (openssl CLI, a throw-away test CA)
#   ca.pem/ca.key, server.pem/server.key (CN vpn.test, SAN DNS:vpn.test +
#   IP:10.10.1.1), USER.pem/USER.key for alice and bob (CN=UID=user, SAN
#   email), carol (revoked, in crl.pem), dave (expired in 2020).
#   $PIN is the pin-sha256 of the server key (§2.10).
# --------------------------------------------------------------------------
# In a VM every scenario of the boot shares one CA: the first one makes it
# in E2E_CERT_CACHE, the others copy it (the files name their directory only
# in ca.cnf's "dir =").  A scenario that issues or revokes more changes its
# own copy.  About fifteen openssl starts per scenario saved under TCG.
E2E_CERT_CACHE=${E2E_CERT_CACHE:-$([ -n "${SEKISHO_VM:-}" ] && echo /tmp/sekisho-e2e-certs)}
certs_make() {
	local c=$E2E_CERT_CACHE
	if [ -n "$c" ] && [ -f "$c/pin" ]; then
		mkdir -p "$CERTS" && cp -a "$c/." "$CERTS/" &&
			sed -i "s|^dir = .*|dir = $CERTS|" "$CERTS/ca.cnf" || return 1
		PIN=$(cat "$CERTS/pin")
		return 0
	fi
	certs_make_new || return 1
	if [ -n "$c" ]; then
		rm -rf "$c.tmp" && mkdir -p "$c.tmp" && cp -a "$CERTS/." "$c.tmp/" && mv "$c.tmp" "$c"
	fi
	return 0
}

certs_make_new() {
	local d=$CERTS u
	mkdir -p "$d/newcerts" || return 1
	: >"$d/index.txt"
	echo 1000 >"$d/serial"
	echo 1000 >"$d/crlnumber"
	cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = testca
[ testca ]
dir = $d
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 30
default_crl_days = 30
policy = anything
unique_subject = no
copy_extensions = copy
email_in_dn = no
[ anything ]
commonName = supplied
userId = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:$VPN_HOST,IP:$GW4,IP:$GW6
[ v3_user ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
EOF
	# EC P-256: key generation and handshakes stay fast under TCG.
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 30 -subj "/CN=sekisho e2e test CA" \
		-config "$d/ca.cnf" -extensions v3_ca 2>"$d/err" || { cat "$d/err" >&2; return 1; }
	_cert_issue server "/CN=$VPN_HOST" v3_server || return 1
	for u in alice bob carol; do
		_cert_issue $u "/CN=$u/UID=$u" v3_user "email:$u@$MAIL_DOMAIN" || return 1
	done
	_cert_issue dave "/CN=dave/UID=dave" v3_user "email:dave@$MAIL_DOMAIN" \
		-startdate 20200101000000Z -enddate 20200201000000Z || return 1
	openssl ca -batch -config "$d/ca.cnf" -revoke "$d/carol.pem" -crl_reason keyCompromise \
		2>"$d/err" || { cat "$d/err" >&2; return 1; }
	openssl ca -batch -config "$d/ca.cnf" -gencrl -out "$d/crl.pem" 2>"$d/err" ||
		{ cat "$d/err" >&2; return 1; }
	PIN=$(openssl x509 -in "$d/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
	echo "$PIN" >"$d/pin"
}

# _cert_issue NAME SUBJECT EXT [SAN [openssl ca options...]]
_cert_issue() {
	local d=$CERTS name=$1 subj=$2 ext=$3 san=${4:-} extfile
	shift 3
	[ $# -gt 0 ] && shift
	# CERT_NEWKEY: another key type ("-newkey rsa:2048"); EC P-256 by default
	# shellcheck disable=SC2086
	openssl req -new ${CERT_NEWKEY:--newkey ec -pkeyopt ec_paramgen_curve:P-256} -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "$subj" -config "$d/ca.cnf" \
		2>"$d/err" || { cat "$d/err" >&2; return 1; }
	extfile=$d/$name.ext
	sed -n "/^\[ $ext \]/,/^\[/p" "$d/ca.cnf" | grep -v '^\[' >"$extfile"
	[ -n "$san" ] && echo "subjectAltName = $san" >>"$extfile"
	sed -i '1i [ ext ]' "$extfile"
	openssl ca -batch -config "$d/ca.cnf" -in "$d/$name.csr" -out "$d/$name.pem" -notext \
		-extfile "$extfile" -extensions ext "$@" 2>"$d/err" || { cat "$d/err" >&2; return 1; }
	# P12 bundles for clients that want one (openconnect takes PEM too)
	chmod 0644 "$d/$name.key"	# ocserv's workers drop to nobody
}

# cert_serial NAME: the serial number in hex, as `sekictl cert revoke` takes it.
cert_serial() { openssl x509 -in "$CERTS/$1.pem" -noout -serial | cut -d= -f2; }

# --------------------------------------------------------------------------
# openconnect (ns cli).  Every client NAME has $T/oc-NAME/ with its log,
# pid file and the environment rec-env.sh recorded per reason.
# stdin for the client: set OC_INPUT (printf'd to it), otherwise /dev/null.
# --------------------------------------------------------------------------
oc_common() {
	printf '%s\n' --protocol=anyconnect --non-inter --servercert "pin-sha256:$PIN" \
		--resolve "$VPN_HOST:$GW4"
}

# oc_connect NAME ARGS...: start a client in the background (-b); it forks
# away once the tunnel is up.  Follow with oc_wait_up NAME.
oc_connect() {
	local name=$1 d=$T/oc-$1 common
	shift
	rm -rf "$d"
	mkdir -p "$d"
	mapfile -t common < <(oc_common)
	(
		printf '%s' "${OC_INPUT:-}" | REC_DIR=$d ip netns exec cli "$OPENCONNECT" "${common[@]}" \
			-b --pid-file "$d/pid" --script "$E2E_DIR/rec-env.sh" --timestamp -v "$@" "$VPN_URL" \
			>"$d/log" 2>&1
		echo $? >"$d/rc"
	) &
	return 0
}

# oc_connect_fifo NAME ARGS...: like oc_connect, but stdin is a FIFO kept
# open on fd 7 so that the test can answer later prompts (an e-mailed code
# that exists only after the password was sent): oc_type TEXT writes a line.
# One interactive client at a time.
oc_connect_fifo() {
	local name=$1 d=$T/oc-$1 common
	shift
	rm -rf "$d"
	mkdir -p "$d"
	mkfifo "$d/in"
	mapfile -t common < <(oc_common)
	(
		REC_DIR=$d ip netns exec cli "$OPENCONNECT" "${common[@]}" \
			-b --pid-file "$d/pid" --script "$E2E_DIR/rec-env.sh" --timestamp -v "$@" "$VPN_URL" \
			<"$d/in" >"$d/log" 2>&1
		echo $? >"$d/rc"
	) &
	exec 7<>"$d/in"	# read-write: never blocks, and keeps the FIFO open
	return 0
}
oc_type() { printf '%s\n' "$1" >&7; }
oc_type_close() { exec 7>&-; }

# oc_wait_up NAME [SECONDS]: the client backgrounded itself with a live
# tunnel: rc 0, a pid, the "connect" environment recorded, the tun up.
oc_wait_up() {
	local d=$T/oc-$1 limit=${2:-120} dev
	wait_for "$limit" test -f "$d/rc" || { echo "client $1 still starting after ${limit}s"; tail -n 20 "$d/log"; return 1; }
	[ "$(cat "$d/rc")" = 0 ] || { echo "client $1 exited $(cat "$d/rc")"; tail -n 30 "$d/log"; return 1; }
	wait_for 10 test -s "$d/pid" || { echo "no pid file"; return 1; }
	wait_for 10 test -f "$d/connect.env" || { echo "no connect environment"; return 1; }
	dev=$(oc_env "$1" TUNDEV)
	# rec-env.sh writes connect.done once its `ip -batch` has set the tun up
	# with its address and routes
	wait_for 10 test -f "$d/connect.done" || { echo "$dev not configured by rec-env.sh"; return 1; }
	# Right after the client backgrounds itself, a route lookup through the
	# new tun has been seen to fail for a moment (ping: "connect: Network is
	# unreachable", with the script's route in place a second later; twice in
	# ~330 checks, client side).  Wait until a lookup for the server finds a
	# route (through any tun: with many clients the last one's route wins);
	# not an error if it never does (a group without that route).
	wait_for 5 in_cli ip route get "$SRV4" || true
}

# oc_env NAME VAR [REASON]: a variable the script recorded (default reason
# connect).  The files are written with printf %q and read by a subshell.
oc_env() {
	local f=$T/oc-$1/${3:-connect}.env
	[ -f "$f" ] || return 1
	(
		# shellcheck disable=SC1090
		. "$f"
		printf '%s\n' "${!2-}"
	)
}

oc_pid() { cat "$T/oc-$1/pid" 2>/dev/null; }

# oc_alive NAME: the backgrounded client still runs.
oc_alive() { local p; p=$(oc_pid "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# oc_stop NAME: SIGTERM (the client sends BYE) and wait for it to exit.
oc_stop() {
	local p
	p=$(oc_pid "$1") || return 0
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	wait_for 20 pid_gone "$p" || { kill -9 "$p" 2>/dev/null; return 1; }
}
# pid_gone PID: no such process (a builtin test: no program per poll)
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# oc_log NAME: the client's log (for grep).
oc_log() { cat "$T/oc-$1/log"; }

# oc_auth ARGS...: `openconnect --authenticate` from cli; prints its output
# (COOKIE=, HOST=, FINGERPRINT= on success) and returns its exit status.
oc_auth() {
	local common
	mapfile -t common < <(oc_common)
	printf '%s' "${OC_INPUT:-}" | ip netns exec cli "$OPENCONNECT" "${common[@]}" --authenticate \
		"$@" "$VPN_URL" 2>&1
}

# oc_auth_cookie ARGS...: oc_auth succeeded and printed COOKIE=.
oc_auth_cookie() {
	local out
	out=$(oc_auth "$@") && grep -q '^COOKIE=' <<<"$out" && return 0
	printf '%s\n' "$out"
	return 1
}

# oc_auth_refused ARGS...: the SERVER refused the login: openconnect failed
# after at least two answered POSTs (init + form reply), not because TLS or
# the connection broke (which would make a negative test pass vacuously).
oc_auth_refused() {
	local out rc
	out=$(oc_auth "$@")
	rc=$?
	# refused by the server: a fatal auth form ("Failed to complete
	# authentication", possibly on the first answer, e.g. no certificate)
	# or at least two answered rounds; never a transport failure
	if [ $rc -ne 0 ] && { grep -q 'Failed to complete authentication' <<<"$out" ||
		[ "$(grep -c '^POST ' <<<"$out")" -ge 2 ]; } &&
		! grep -qE 'SSL connection failure|Failed to open HTTPS|Failed to connect' <<<"$out"; then
		return 0
	fi
	printf 'exit %s\n%s\n' "$rc" "$out"
	return 1
}

# with_input TEXT CMD...: run CMD (a helper above) with OC_INPUT=TEXT.
with_input() { local OC_INPUT=$1; shift; "$@"; }
# with_pin B64 CMD...: run CMD with another server pin (negative tests).
with_pin() { local PIN=$1; shift; "$@"; }

# oc_dtls NAME: the client logged an established DTLS channel; prints the line.
oc_dtls() { grep -m1 'Established DTLS connection' "$T/oc-$1/log"; }

# ping_tun [ping args] HOST: a few pings from cli (through whatever route).
# ping_cli ADDR...: on failure it prints what the client side looked like
# (routes, tun devices, whether each client still runs, its log tail), so
# that a failure in CI can be told apart: no route, no tunnel, or no reply.
ping_cli() {
	in_cli ping -c 3 -i 0.3 -W 3 "$@" >/dev/null && return 0
	local d
	echo "# ping $* failed; client routes and links:"
	in_cli ip route show 2>&1 | sed 's/^/#   /'
	in_cli ip -br addr show 2>&1 | sed 's/^/#   /'
	for d in "$T"/oc-*; do
		[ -d "$d" ] || continue
		echo "# ${d##*/}: pid $(cat "$d/pid" 2>/dev/null) alive $(oc_alive "${d##*/oc-}" && echo yes || echo no) reasons $(tr '\n' ' ' <"$d/reasons" 2>/dev/null)"
		tail -n 8 "$d/log" 2>/dev/null | sed 's/^/#   /'
	done
	return 1
}

# --------------------------------------------------------------------------
# ocserv in ns gw (the reference gateway).  ocserv_conf writes $T/ocserv.conf;
# extra "key = value" lines can be given as arguments.
# --------------------------------------------------------------------------
ocserv_passwd() {	# USER PASSWORD [GROUP]
	local g=()
	[ -n "${3:-}" ] && g=(-g "$3")
	printf '%s\n%s\n' "$2" "$2" | ocpasswd -c "$T/ocpasswd" "${g[@]}" "$1" >/dev/null 2>&1
	grep -q "^$1:" "$T/ocpasswd"
}

ocserv_conf() {
	cat >"$T/ocserv.conf" <<EOF
auth = "plain[passwd=$T/ocpasswd]"
tcp-port = 443
udp-port = 443
run-as-user = nobody
run-as-group = nogroup
socket-file = $T/ocserv.sock
occtl-socket-file = $T/occtl.sock
use-occtl = true
pid-file = $T/ocserv.pid
server-cert = $CERTS/server.pem
server-key = $CERTS/server.key
ca-cert = $CERTS/ca.pem
cert-user-oid = 0.9.2342.19200300.100.1.1
isolate-workers = true
max-clients = 128
max-same-clients = 0
max-ban-score = 0
min-reauth-time = 0
auth-timeout = 240
cookie-timeout = 300
rate-limit-ms = 0
keepalive = 32400
dpd = 90
mobile-dpd = 1800
switch-to-tcp-timeout = 25
try-mtu-discovery = false
tls-priorities = "NORMAL:%SERVER_PRECEDENCE:%COMPAT:-VERS-SSL3.0"
dtls-psk = true
dtls-legacy = false
cisco-client-compat = false
compression = false
deny-roaming = false
rekey-time = 172800
rekey-method = ssl
device = vpns
predictable-ips = true
ipv4-network = 10.77.0.0
ipv4-netmask = 255.255.255.0
ipv6-network = fd77::/48
ipv6-subnet-prefix = 64
default-domain = $MAIL_DOMAIN
dns = 10.20.0.53
nbns = 10.20.0.137
split-dns = corp.$MAIL_DOMAIN
route = 10.20.0.0/255.255.255.0
route = fd20::/64
no-route = 10.20.0.128/255.255.255.128
banner = "Welcome to the e2e lab"
EOF
	local l
	for l in "$@"; do printf '%s\n' "$l" >>"$T/ocserv.conf"; done
}

ocserv_start() {
	rm -f "$T/ocserv.pid"
	ip netns exec gw ocserv -f -d 1 -c "$T/ocserv.conf" >"$T/ocserv.log" 2>&1 &
	OCSERV_PID=$!
	wait_for 20 in_gw sh -c 'ss -ltn | grep -q ":443 "' ||
		{ tail -n 20 "$T/ocserv.log"; return 1; }
}

ocserv_stop() { stop_bg OCSERV_PID; }

# --------------------------------------------------------------------------
# sekishod in ns gw (the gateway under test).  Interface assumed from the
# issue: `sekishod -f -c CONF`, administration with `sekictl --store DB`
# before the start and `sekictl --socket SOCK` while it runs.
# --------------------------------------------------------------------------
SEKISHOD=${SEKISHOD:-$REPO/build/sekishod}
SK_LIB=$T/lib			# the daemon's state directory (/var/lib/sekisho)
SK_STORE=$SK_LIB/sekisho.db
SK_SOCK=$T/run/control.sock

sekishod_built() { [ -x "$SEKISHOD" ] && [ -x "$SEKICTL" ]; }

# skctl ARGS...: offline administration on the store (before the start).
# The store is made by the first call (only `sekictl init` creates one).
skctl() {
	mkdir -p "$SK_LIB" &&
		{ [ -e "$SK_STORE" ] || "$SEKICTL" init --store "$SK_STORE" >/dev/null; } &&
		"$SEKICTL" --store "$SK_STORE" "$@"
}
# sk_stat NAME: the first (device-wide) kernel counter NAME of `sekictl show`.
sk_stat() { in_gw "$SEKICTL" show | awk -v k="$1:" '$1 == k { print $2; exit }'; }
# skctl_live ARGS...: through the running daemon's control socket.
skctl_live() { in_gw "$SEKICTL" --socket "$SK_SOCK" "$@"; }

sekishod_conf() {
	cat >"$T/sekishod.conf" <<EOF
# written by tests/e2e/lib.sh
listen = $GW4:443
dtls_port = 443
server_cert = $CERTS/server.pem
server_key = $CERTS/server.key
client_ca = ${SK_CLIENT_CA:-$CERTS/ca.pem}
crl = ${SK_CRL:-$CERTS/crl.pem}
store = $SK_STORE
device = sk0
control = $SK_SOCK
user = sekisho
admin_group = sekisho-admin
smtp_url = smtp://$GW4:25
smtp_from = sekisho@$MAIL_DOMAIN
EOF
	local l
	for l in "$@"; do printf '%s\n' "$l" >>"$T/sekishod.conf"; done
}

# sekishod_start: needs the sekisho module (tests/selftests/lib.sh load_module).
sekishod_start() {
	load_module || return 1
	# the accounts the package would create (the VM's /etc is an overlay)
	getent group sekisho-admin >/dev/null || groupadd --system sekisho-admin || return 1
	getent passwd sekisho >/dev/null ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sekisho || return 1
	mkdir -p "$SK_LIB" "$(dirname "$SK_SOCK")"
	# sekishod opens only a store that exists (sekictl init makes it)
	[ -e "$SK_STORE" ] || "$SEKICTL" init --store "$SK_STORE" >/dev/null || return 1
	chown -R sekisho: "$SK_LIB"
	ip netns exec gw "$SEKISHOD" -f -c "$T/sekishod.conf" >"$T/sekishod.log" 2>&1 &
	SEKISHOD_PID=$!
	# "ready:" comes after the listeners are bound (main.c); one grep per
	# try rather than ip+sh+ss+grep
	wait_for 30 grep -q "ready: " "$T/sekishod.log" && wait_for 10 test -S "$SK_SOCK" ||
		{ tail -n 30 "$T/sekishod.log"; return 1; }
}

sekishod_stop() { stop_bg SEKISHOD_PID; }

# A second gateway on the same store (issue 13: sekishod-gateways.sh,
# tests/bench/store.sh): namespace gw2 with a link of its own to cli
# (c1 10.10.2.2 <-> h0 $GWB4), device sk1, control socket $T/run/b.sock,
# `gateway = gw-b`.  The store must be one both can reach (PostgreSQL).
GWB4=10.10.2.1
gw2_up() {
	ip netns add gw2 && ip -n gw2 link set lo up &&
		ip link add c1 netns cli type veth peer name h0 netns gw2 &&
		ip -n cli addr add 10.10.2.2/24 dev c1 && ip -n gw2 addr add $GWB4/24 dev h0 &&
		ip -n cli link set c1 up && ip -n gw2 link set h0 up
}
# gwb_conf: $T/sekishod-b.conf, B's copy of $T/sekishod.conf (A's listen
# address on g0 becomes B's on h0; other listen lines stay)
gwb_conf() {
	sed -e "s/^listen = $GW4:443\$/listen = $GWB4:443/" -e "s/^device = .*/device = sk1/" \
		-e "s|^control = .*|control = $T/run/b.sock|" -e "s/^gateway = .*/gateway = gw-b/" \
		"$T/sekishod.conf" >"$T/sekishod-b.conf"
}
# gw_start NS CONF LOG PIDVAR SOCK: sekishod_start for a store that exists,
# reading the PostgreSQL password from $T/pgpass.sekisho (the service
# user's copy: it connects again after a lost connection)
gw_start() {
	load_module || return 1
	getent group sekisho-admin >/dev/null || groupadd --system sekisho-admin || return 1
	mkdir -p "$SK_LIB" "$T/run" && chown -R sekisho: "$SK_LIB"
	PGPASSFILE=$T/pgpass.sekisho ip netns exec "$1" "$SEKISHOD" -f -c "$2" >"$3" 2>&1 &
	printf -v "$4" '%s' $!
	wait_for 60 grep -q "ready: " "$3" && wait_for 10 test -S "$5" || { tail -n 30 "$3"; return 1; }
}
# on_b CMD...: an openconnect helper of this file against gateway B
# shellcheck disable=SC2034 # GW4 is read by oc_common
on_b() { local GW4=$GWB4; "$@"; }

# gw_rss_kb: memory (kB) of every process in ns gw whose name matches the
# regex $1 (the gateway and its workers), as PSS: both gateways fork a
# worker per connection, and RSS would count their shared pages once per
# process.
gw_rss_kb() {
	local p sum=0 rss
	for p in $(ip netns pids gw); do
		grep -Eq "^Name:[[:space:]]+($1)" "/proc/$p/status" 2>/dev/null || continue
		rss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		sum=$((sum + ${rss:-0}))
	done
	echo $sum
}

# --------------------------------------------------------------------------
# sekishod scenarios: common start.  sk_begin prints a KTAP skip and exits
# when the daemon is not built, so run-all.sh can list the scripts early.
# --------------------------------------------------------------------------
sk_begin() {
	if ! sekishod_built; then
		ktap_skip "${1:-sekishod scenario}" "sekishod not built ($SEKISHOD)"
		ktap_end
		exit 0
	fi
	E2E_SMTP=${E2E_SMTP:-0}
	check "setup: topology, internal server,$([ "$E2E_SMTP" = 1 ] && echo " SMTP sink,") test CA" \
		e2e_setup || exit 1
	sekishod_conf
}

# sk_alice_tunnel: the usual start of a one-client scenario: group eng
# (password), user alice, sekishod started, client a logged in with its
# tunnel up; ADDR is its IPv4 address.  Exits the script on a failure.
sk_alice_tunnel() {
	check "store: group and user" sk_group eng factors=password
	sk_user alice eng Secret-pass1 >/dev/null
	check "sekishod: starts" sekishod_start || exit 1
	OC_INPUT=$'Secret-pass1\n' oc_connect a -u alice --passwd-on-stdin
	check "tunnel up" oc_wait_up a 180 || exit 1
	ADDR=$(oc_env a INTERNAL_IP4_ADDRESS)
}

# sk_user NAME GROUP PASSWORD: a user with e-mail NAME@example.test.
sk_user() {
	skctl user add "$1" --email "$1@$MAIL_DOMAIN" --group "$2" &&
		printf '%s\n' "$3" | skctl user passwd "$1" --no-change-required
}

# sk_group NAME KEY=VALUE...: a group with the lab's pushed settings, then
# the caller's (factors, policy, ...).  Each group gets its own part of the
# lab's pool 10.77.0.0/24 (two groups' pools may not overlap): the first
# 10.77.0.0/25, the next .128/26, .192/27, .224/28, then /29s.
sk_group() {
	local g=$1 n pool
	shift
	n=$(skctl group list --json 2>/dev/null | jq length 2>/dev/null || echo 0)
	case $n in
	0) pool=10.77.0.0/25 ;;
	1) pool=10.77.0.128/26 ;;
	2) pool=10.77.0.192/27 ;;
	3) pool=10.77.0.224/28 ;;
	*) pool=10.77.0.$((240 + (n - 4) % 2 * 8))/29 ;;
	esac
	# the allowlist is default-deny: a policy for the internal network
	# (a caller's policy=... comes later and wins)
	if ! skctl policy show internal >/dev/null 2>&1; then
		skctl policy add internal >/dev/null &&
			skctl policy rule add internal allow 10.20.0.0/24 >/dev/null &&
			skctl policy rule add internal allow fd20::/64 >/dev/null || return 1
	fi
	skctl group add "$g" &&
		skctl group set "$g" policy=internal pool4=$pool dns=10.20.0.53 wins=10.20.0.137 \
			domain=$MAIL_DOMAIN split-include=10.20.0.0/24 split-dns=corp.$MAIL_DOMAIN "$@"
}

# sk_session_id USER: the id of USER's session from `session list --json`.
# (JSON is read with jq: python3 takes a second or more to start under TCG)
sk_session_id() {
	skctl_live session list --json |
		jq -r --arg u "$1" '(if type == "array" then . else .sessions // [] end) |
			map(select(.user == $u)) | .[0].id // empty'
}

# e2e_setup: topology, internal server, SMTP sink, certificates.
# E2E_SMTP=0: no SMTP sink (sk_begin's default: a scenario that reads mail
# sets E2E_SMTP=1 before it; the sink's Python start costs seconds of the
# emulated CPU, and a scenario that never reads mail does not need it).
e2e_setup() {
	e2e_topo_up || return 1
	srv_up || return 1
	if [ "${E2E_SMTP:-1}" = 1 ]; then smtp_up || return 1; fi
	certs_make
}

e2e_cleanup() {
	e2e_topo_down
	# E2E_SAVE=DIR keeps the logs (the VM's tmpfs goes away with it):
	# e.g. --env E2E_SAVE=/work/main/tests/out/e2e inside scripts/vm-run.
	if [ -n "${E2E_SAVE:-}" ]; then
		mkdir -p "$E2E_SAVE" && cp -r --no-preserve=mode "$T"/. "$E2E_SAVE"/ 2>/dev/null
		find "$E2E_SAVE" -type s -delete 2>/dev/null
	fi
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
