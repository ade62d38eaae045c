#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/install-guest.sh PHASE VERSION OTHER: the guest side of
# tests/deb/install.sh, run by scripts/vm-run --init systemd as the unit
# vm-run.service in the clean Debian 12 root where tests/deb/install.sh
# installed the packages (copied there as /root/sekisho-test/).  TAP lines
# without a plan (install.sh prints the plan).
#   first V NEW  the gateway that systemd started at boot: units, accounts,
#            module, a real openconnect login with a password (client in
#            netns cli), ping of the internal host (netns srv), the audit
#            line once in the journal, systemctl restart, login again;
#            then, with that tunnel up and a ping running through it, apt
#            installs the sekisho package of release NEW: its postinst
#            restarts the service, the client reconnects with its cookie
#            (same address, no prompt), the module stays V's
#   upgraded NEW V  the boot after the upgrade to NEW: the new module is
#            the one loaded, store and config kept, login again; then, with
#            the tunnel up, V's module is put where DKMS installs it (what a
#            DKMS build of another release does): the loaded one stays
#            until `systemctl restart sekishod`, whose start replaces it;
#            the client reconnects
set -uo pipefail
PHASE=${1:?first or upgraded}
VER=${2:?version}
OTHER=${3:?the other version}
D=/root/sekisho-test
. $D/tap.sh	# tests/lib/tap.sh: ok DESC CMD...
N=${TAP_START:-0}
T=$(mktemp -d)
wait_for() { # SECONDS CMD...: poll every 0.2 s
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
t0=$SECONDS
lap() { echo "# ---- $1: $((SECONDS - t0)) s"; }
PIN=$(cat $D/pin)
PASS=$(cat $D/password)

# --------------------------------------------------------------------------
# network: the gateway is this root namespace (systemd's sekishod listens on
# 0.0.0.0:443); the client in netns cli, the internal host in netns srv
topo() {
	modprobe veth && modprobe tun || return 1
	ip netns add cli && ip netns add srv || return 1
	ip link add g0 type veth peer name c0 netns cli &&
	ip link add g1 type veth peer name s0 netns srv || return 1
	ip addr add 10.10.1.1/24 dev g0 && ip link set g0 up &&
	ip addr add 10.20.0.1/24 dev g1 && ip link set g1 up &&
	ip -n cli addr add 10.10.1.2/24 dev c0 && ip -n cli link set c0 up && ip -n cli link set lo up &&
	ip -n srv addr add 10.20.0.2/24 dev s0 && ip -n srv link set s0 up && ip -n srv link set lo up &&
	ip -n srv route add 10.77.0.0/24 via 10.20.0.1 || return 1
	sysctl -qw net.ipv4.ip_forward=1 && sysctl -qw net.ipv4.conf.all.rp_filter=0 &&
	ip netns exec cli sysctl -qw net.ipv4.conf.all.rp_filter=0
}
# login NAME: openconnect with the password on stdin, in the background
login() {
	local d=$T/oc-$1
	rm -rf "$d"; mkdir -p "$d"
	(
		printf '%s\n' "$PASS" | REC_DIR=$d ip netns exec cli openconnect --protocol=anyconnect \
			--non-inter --servercert "pin-sha256:$PIN" --resolve vpn.test:10.10.1.1 \
			-b --pid-file "$d/pid" --script $D/rec-env.sh -u alice --passwd-on-stdin \
			https://vpn.test/ >"$d/log" 2>&1
		echo $? >"$d/rc"
	) &
	wait_for 120 test -f "$d/rc" && [ "$(cat "$d/rc")" = 0 ] && wait_for 10 test -f "$d/connect.env" &&
		wait_for 10 test -s "$d/pid" || { tail -n 20 "$d/log"; return 1; }
	wait_for 5 ip netns exec cli ip route get 10.20.0.2
}
# a ping through the tunnel in the background, each answer with its time
ping_bg() {
	ip netns exec cli stdbuf -oL ping -D -n -i 0.2 -W 1 10.20.0.2 >"$T/ping.log" 2>&1 &
	PINGPID=$!
}
ping_stop() { [ -z "${PINGPID:-}" ] || { kill "$PINGPID"; wait "$PINGPID"; } 2>/dev/null; PINGPID=; }
# answered_after T: an answer after time T (seconds.fraction)
answered_after() {
	awk -v t="$1" -F'[][]' '/bytes from/ && $2 + 0 > t { f = 1 } END { exit !f }' "$T/ping.log"
}
# gap T: the longest wait between two answers from the last one before T on
gap() {
	awk -v t="$1" -F'[][]' '/bytes from/ { x = $2 + 0; if (x <= t) { l = x; next }
		if (l && x - l > g) g = x - l; l = x } END { printf "%.1f", g }' "$T/ping.log"
}
oc_addr() { (. "$T/oc-$1/$2.env" && echo "$INTERNAL_IP4_ADDRESS"); }	# NAME REASON
# reconnected NAME: openconnect called its script for a reconnect and still
# runs (with --non-inter a refused cookie would have ended it: no prompt)
reconnected() { grep -qx reconnect "$T/oc-$1/reasons" && kill -0 "$(cat "$T/oc-$1/pid")"; }
mainpid() { systemctl show -p MainPID --value sekishod; }
srcver() { cat /sys/module/sekisho/srcversion; }
# stuck: what blocks, into the kernel log and our output (after a timeout)
stuck() {
	echo w >/proc/sysrq-trigger
	ps -eo pid,stat,wchan:32,args | awk '$2 ~ /D/'
	systemctl status --no-pager sekishod | tail -n 15
}
# bounded SECONDS CMD...: CMD under timeout; on a timeout, stuck
bounded() {
	local secs=$1
	shift
	timeout "$secs" "$@"
	local rc=$?
	[ $rc = 124 ] && { echo "timed out: $*"; stuck; }
	return $rc
}
# back NAME ADDR T: after an outage that began at T, NAME reconnected by
# itself with the same address and the ping is answered again; the gap
back() {
	local t1
	wait_for 120 reconnected "$1" || { echo "no reconnect:"; cat "$T/oc-$1/reasons"; tail -n 20 "$T/oc-$1/log"; return 1; }
	[ "$(oc_addr "$1" reconnect)" = "$2" ] || { echo "address $(oc_addr "$1" reconnect), was $2"; return 1; }
	t1=$(date +%s.%N)
	wait_for 60 answered_after "$t1" || { echo "no ping answer since the reconnect"; tail -n 5 "$T/ping.log"; return 1; }
	echo "no ping answer for $(gap "$3") s" >"$T/gap"
}
swap_restart() {
	bounded 120 systemctl restart sekishod || return 1
	[ "$(modver)" = "$OTHER" ] && [ "$(systemctl is-active sekishod)" = active ] ||
		{ echo "module $(modver), sekishod $(systemctl is-active sekishod)"; return 1; }
}
resumed() { journalctl -q -o cat -u sekishod --no-pager | grep -q 'session [0-9]* of alice resumed from the store'; }
logout() {
	local p
	p=$(cat "$T/oc-$1/pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	wait_for 20 sh -c "! kill -0 $p"
}
ping_srv() { ip netns exec cli ping -c 2 -i 0.3 -W 3 10.20.0.2; }
login_ping() { login "$1" && ping_srv; }
modver() { cat /sys/module/sekisho/version; }
active() { [ "$(systemctl is-active sekishod)" = active ] && test -S /run/sekisho/control.sock; }
audit_once() { # alice's login in the unit's journal; no audit id twice
	local j dup
	j=$(journalctl -q -o cat -u sekishod --no-pager | grep 'sekisho-audit ')
	grep -E 'type=login .*(user|actor)=alice' <<<"$j" | head -n 3
	grep -qE 'type=login .*(user|actor)=alice' <<<"$j" || { echo "no login line"; return 1; }
	dup=$(grep -o 'sekisho-audit id=[0-9]*' <<<"$j" | sort | uniq -d)
	[ -z "$dup" ] || { echo "twice: $dup"; return 1; }
}
units() { # every unit file the package ships: known to systemd, status readable
	local u rc=0 st
	for u in $(dpkg -L sekisho | grep -E '^/(usr/)?lib/systemd/system/[^/]+\.(service|socket|timer|path)$'); do
		u=${u##*/}
		st=$(systemctl is-active "$u")
		echo "$u: enabled=$(systemctl is-enabled "$u") active=$st"
		systemctl status --no-pager "$u" >/dev/null
		[ $? -le 3 ] && [ "$st" != failed ] || rc=1
		[ "$st" = active ] || [ "$(systemctl show -p Type --value "$u")" = oneshot ] || rc=1
	done
	return $rc
}

case $PHASE in
first)
	ok "boot: sekishod.service enabled and active (started by systemd at boot)" \
		sh -c "systemctl is-enabled sekishod && for i in \$(seq 1 150); do [ \"\$(systemctl is-active sekishod)\" = active ] && [ -S /run/sekisho/control.sock ] && exit 0; sleep 0.2; done; systemctl status --no-pager sekishod; exit 1"
	lap boot
	ok "boot: every unit the package ships is loaded and active (systemctl status)" units
	ok "boot: no failed unit in the system" sh -c '! systemctl --failed --no-legend | grep . '
	ok "accounts: user sekisho, group sekisho-admin (sysusers), /var/lib/sekisho 0750 sekisho (tmpfiles)" \
		sh -c 'getent passwd sekisho && getent group sekisho-admin && [ "$(stat -c "%a %U" /var/lib/sekisho)" = "750 sekisho" ]'
	ok "module: sekisho $VER built by DKMS for $(uname -r) and loaded (sysfs version $(modver 2>/dev/null))" \
		sh -c "[ \"\$(cat /sys/module/sekisho/version)\" = '$VER' ] && modinfo -n sekisho | grep -q '/updates/dkms/sekisho.ko'"
	ok "sekishod runs as sekisho" sh -c '[ "$(ps -o user= -p "$(systemctl show -p MainPID --value sekishod)")" = sekisho ]'
	ok "network: client and internal host namespaces" topo
	lap setup
	ok "openconnect: password login through the systemd-started gateway" login a
	lap login
	ok "openconnect: ping of the internal host through the tunnel" ping_srv
	ok "sekictl session list (control socket as root) shows alice" sh -c 'sekictl session list | grep -w alice'
	# the listening sockets, for the host's comparison with the guides'
	# ports to open (tests/deb/ports.sh)
	ss -H -lntup >"${VM_OUTDIR:-/tmp}/ss-boot1.txt" 2>&1
	sed 's/^/# ss: /' "${VM_OUTDIR:-/tmp}/ss-boot1.txt"
	ok "journal: the login's audit line is in journalctl -u sekishod, every audit record once" audit_once
	journalctl -q -o cat -u sekishod --no-pager | grep 'sekisho-audit' | head -n 5 | sed 's/^/# journal: /'
	logout a
	pid0=$(systemctl show -p MainPID --value sekishod)
	ok "systemctl restart sekishod: active again with a new main process" \
		sh -c "systemctl restart sekishod && for i in \$(seq 1 150); do [ \"\$(systemctl is-active sekishod)\" = active ] && [ -S /run/sekisho/control.sock ] && [ \"\$(systemctl show -p MainPID --value sekishod)\" != $pid0 ] && exit 0; sleep 0.2; done; exit 1"
	ok "after the restart: openconnect logs in and pings" login_ping b
	lap restart
	# the upgrade of the sekisho package under a live tunnel
	addr=$(oc_addr b connect)
	ping_bg	# not inside ok: its $(...) subshell would keep PINGPID
	ok "live tunnel: a ping running through it ($addr)" wait_for 10 answered_after 0
	pid0=$(mainpid) mod0=$(modver) src0=$(srcver)
	# scripts/pkg-root's guard against starting daemons in its chroot: a
	# server has none, and the postinst's restart must run
	rm -f /usr/sbin/policy-rc.d
	t1=$(date +%s.%N)
	ok "apt-get install ./sekisho_${OTHER}_amd64.deb under the live tunnel" \
		bounded 240 apt-get install -y -q --no-install-recommends $D/sekisho_${OTHER}_amd64.deb
	ok "dpkg-query: sekisho $OTHER is installed" sh -c "[ \"\$(dpkg-query -W -f '\${Version}' sekisho)\" = '$OTHER' ]"
	ok "its postinst restarted sekishod (active, a new main process)" \
		sh -c "[ \"\$(systemctl is-active sekishod)\" = active ] && [ \"\$(systemctl show -p MainPID --value sekishod)\" != $pid0 ]"
	ok "openconnect reconnected by itself with its cookie, same address $addr, ping answered again" back b "$addr" "$t1"
	echo "# the upgrade under a live tunnel: $(cat "$T/gap" 2>/dev/null)"
	ok "journal: the session resumed from the store (no new login)" resumed
	ok "the module is still $mod0 (sekisho-dkms not upgraded: the start kept it)" \
		test "$(modver) $(srcver)" = "$mod0 $src0"
	ping_stop
	logout b
	lap upgrade-live
	;;
upgraded)
	ok "boot: sekishod.service active after the upgrade" \
		sh -c "for i in \$(seq 1 150); do [ \"\$(systemctl is-active sekishod)\" = active ] && [ -S /run/sekisho/control.sock ] && exit 0; sleep 0.2; done; systemctl status --no-pager sekishod; exit 1"
	lap boot
	ok "boot: every unit the package ships is loaded and active" units
	ok "module: the new build $VER is the one loaded (sysfs version $(modver 2>/dev/null))" \
		sh -c "[ \"\$(cat /sys/module/sekisho/version)\" = '$VER' ]"
	ok "store kept: alice is still there" sh -c 'sekictl user list | grep -w alice'
	ok "config kept: the administrator's line in /etc/sekisho/sekishod.conf" \
		grep -qx 'rate_per_source = 29' /etc/sekisho/sekishod.conf
	ok "network: namespaces" topo
	ok "openconnect: the upgraded gateway logs alice in, ping" login_ping c
	lap login
	if [ "${SEKISHO_DEB_VM_SWAP:-1}" != 1 ]; then
		N=$((N + 1))
		echo "ok $N - the module replaced at the next start under a live tunnel # SKIP SEKISHO_DEB_VM_SWAP=0"
	else
		# another build of the module on disk under a live tunnel: what a
		# DKMS build does (its postinst: the module copied to updates/dkms,
		# depmod), here with V's module saved by install.sh (same path, so
		# modules.dep stays right); a DKMS build itself takes many minutes
		# under TCG
		addr=$(oc_addr c connect)
		ping_bg	# not inside ok: its $(...) subshell would keep PINGPID
		ok "live tunnel: a ping running through it ($addr)" wait_for 10 answered_after 0
		ko=$(modinfo -n sekisho)
		old_ko=$(ls $D/sekisho.ko* 2>/dev/null | head -n 1)
		src1=$(srcver)
		ok "V's module put in place of the loaded one's file ($ko)" \
			sh -c "[ -n '$old_ko' ] && [ '${old_ko##*.}' = '${ko##*.}' ] && cp '$old_ko' '$ko' && [ \"\$(modinfo -F version sekisho)\" = '$OTHER' ]"
		ok "the loaded module stays $VER under the live tunnel (nothing reloads it)" \
			sh -c "[ \"\$(cat /sys/module/sekisho/version) \$(cat /sys/module/sekisho/srcversion)\" = '$VER $src1' ]"
		# a sekisho device of someone else (another network namespace):
		# removing the module would delete it, so the start keeps the
		# loaded module and says why
		ip netns add other && ip -n other link add sk9 type sekisho
		ok "a restart while a sekisho device is in another namespace: the module stays $VER, sekishod active" \
			sh -c "$(declare -f bounded stuck); bounded 120 systemctl restart sekishod && [ \"\$(cat /sys/module/sekisho/version) \$(cat /sys/module/sekisho/srcversion)\" = '$VER $src1' ] && [ \"\$(systemctl is-active sekishod)\" = active ]"
		ok "... and the journal says why (netns other: sk9)" \
			sh -c "journalctl -q -o cat -u sekishod --no-pager | grep -F 'sekisho: the loaded module $VER (' | grep -qF 'netns other: sk9'"
		ok "... and the client reconnected to the restarted gateway" wait_for 120 reconnected c
		ip -n other link del sk9; ip netns del other
		: >"$T/oc-c/reasons"	# the next reconnect is the swap's
		t1=$(date +%s.%N)
		ok "systemctl restart sekishod: its start replaces the module (now $OTHER)" \
			swap_restart
		journalctl -q -o cat -u sekishod --no-pager | grep '^sekisho: ' | sed 's/^/# unit: /'
		ok "the unit said which module it loaded and that it deleted the stopped service's device first" \
			sh -c "journalctl -q -o cat -u sekishod --no-pager | grep -F 'sekisho: replacing the loaded module $VER (' | grep -F 'with $OTHER (' | grep -qF 'device(s) sk0 deleted first'"
		ok "openconnect reconnected by itself with its cookie, same address $addr, ping answered again" back c "$addr" "$t1"
		echo "# the module swap at the restart: $(cat "$T/gap" 2>/dev/null)"
		ok "journal: the session resumed from the store" resumed
		ping_stop
		logout c
	fi
	lap swap
	;;
esac
echo "# systemd-analyze: $(systemd-analyze 2>/dev/null | head -n 1)"
systemd-analyze blame 2>/dev/null | head -n 8 | sed 's/^/# blame: /'
echo "# guest tests: $N"
echo "$N" >"${VM_OUTDIR:-/tmp}/install-guest.count"
