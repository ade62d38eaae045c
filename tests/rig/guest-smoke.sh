#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs INSIDE a scripts/vm-run guest: checks what the rig promises (read-only
# host root, writable tmpfs and VM_OUTDIR, netns + veth, modprobe of the
# tunnel modules, env passing, no stdin).  Prints numbered TAP result lines
# without a plan (the caller adds its own results and the plan).
# Exits ${SMOKE_EXIT:-0} when everything passed, 1 otherwise.
n=0 fail=0
t() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >/tmp/smoke.out 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' /tmp/smoke.out
		fail=1
	fi
}
repo=$(cd "$(dirname "$0")/../.." && pwd)
kernel_is() { [ -z "${EXPECT_RELEASE:-}" ] || [ "$(uname -r)" = "$EXPECT_RELEASE" ]; }
root_ro() { ! touch "$repo/.vm-run-rw-probe" 2>/dev/null; }
outdir_rw() {
	[ -n "${VM_OUTDIR:-}" ] && echo "smoke $$" >"$VM_OUTDIR/.smoke" &&
		[ "$(cat "$VM_OUTDIR/.smoke")" = "smoke $$" ] && rm -f "$VM_OUTDIR/.smoke"
}
tmpfs_rw() {
	local d
	for d in /tmp /run /var/tmp /var/lib /var/log /root; do
		touch "$d/.smoke" && rm "$d/.smoke" || return 1
	done
}
netns_veth() {
	ip netns add smoke && ip -n smoke link add v0 type veth peer name v1 &&
		ip -n smoke addr add 10.255.0.1/30 dev v0 && ip -n smoke link set v0 up &&
		ip -n smoke link set v1 up && ip netns exec smoke true && ip netns del smoke
}
etc_netns() { mkdir -p /etc/netns/smoke && rmdir /etc/netns/smoke; }
mods() { modprobe veth && modprobe tun && modprobe wireguard && modprobe udp_tunnel ip6_udp_tunnel; }
tunnel_dev() { ip tuntap add dev smoketun mode tun && ip link del smoketun; }
wg_dev() { ip link add smokewg type wireguard && ip link del smokewg; }
env_passed() { [ "${SMOKE_VAR:-}" = "a b  c" ] && [ "$HOME" = /root ] && [ "$SEKISHO_VM" = 1 ]; }
no_stdin() { ! read -r -t 1 _; }
tools() { iperf3 --version && openconnect --version; }
debugfs() { [ -d /sys/kernel/debug/kunit ] || mountpoint -q /sys/kernel/debug; }

t "guest runs the requested kernel ($(uname -r))" kernel_is
t "host root is read-only" root_ro
t "VM_OUTDIR is writable" outdir_rw
t "tmpfs on /tmp /run /var/tmp /var/lib /var/log /root" tmpfs_rw
t "ip netns + veth" netns_veth
t "/etc/netns is writable" etc_netns
t "modprobe veth tun wireguard udp_tunnel ip6_udp_tunnel" mods
t "tun device" tunnel_dev
t "wireguard device" wg_dev
t "--env values and HOME reach the command" env_passed
t "stdin is empty" no_stdin
t "iperf3 and openconnect run" tools
t "debugfs is mounted" debugfs
[ $fail = 0 ] && exit "${SMOKE_EXIT:-0}"
exit 1
